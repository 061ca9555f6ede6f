"""The `catalogue` command: build the site, check its content, or start a new course file."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from generator import __version__
from generator.engine.build import build, check
from generator.diagnostics import (ContentError, GithubReporter, JsonReporter, Reporter, TextReporter, UsageError,
                          display_path, has_errors)
from generator.content.scaffold import create_course
from generator.fast.tuning import leave

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="catalogue", description="Build and check the micro-credentials catalogue.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", help="check the content and build the static site")
    b.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    b.add_argument("--out", type=Path, help="output folder (default: SOURCE/output)")
    b.add_argument("--base-url", help="address the site is published at, like https://example.org/catalogue/")
    b.add_argument("--strict", action="store_true", help="fail on warnings too")
    b.add_argument("--no-cache", action="store_true",
                   help="ignore and do not update SOURCE/.catalogue-cache: parse, render and index everything")
    b.add_argument("-q", "--quiet", action="store_true", help="print only problems")

    s = sub.add_parser("serve", help="preview the site, rebuilding and reloading pages as files change")
    s.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")

    c = sub.add_parser("check", help="report every problem in the content, without building")
    c.add_argument("files", nargs="*", type=Path, help="report only on these files (all files are still read)")
    c.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    c.add_argument("--strict", action="store_true", help="fail on warnings too")
    c.add_argument("--format", choices=("text", "github", "json"), default="text",
                   help="text for people (default), github for pull-request annotations, json for tools")

    n = sub.add_parser("new", help="start a new course file with every field explained")
    n.add_argument("institution", help="the institution's id: its file is content/institutions/<id>.yaml")
    n.add_argument("title", help="the course's title, in quotes; the file name is made from it")
    n.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 clean, 1 content errors, 2 usage errors)."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    try:
        if args.command == "check":
            return run_check(args)
        if args.command == "new":
            return run_new(args)
        if args.command == "serve":
            return run_serve(args)
        return run_build(args)
    except UsageError as exc:
        print(f"catalogue: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("catalogue: interrupted; the previous output is unchanged", file=sys.stderr)
        return 130


def run() -> None:
    """The `catalogue` command: `main`, then out of the process at once (see `fast.tuning.leave`)."""
    try:
        code = main()
    except BrokenPipeError:  # the reader went away (`catalogue check --format json | head`): nothing more to say
        code = 1
    leave(code)


def _fails(diagnostics: list, strict: bool) -> bool:
    return has_errors(diagnostics) or (strict and bool(diagnostics))


def run_check(args: argparse.Namespace) -> int:
    diagnostics = check(args.source)
    if args.files:
        wanted = {display_path(f) for f in args.files}
        diagnostics = [d for d in diagnostics if d.path in wanted]
    reporter: Reporter = {"text": TextReporter(), "github": GithubReporter(), "json": JsonReporter()}[args.format]
    reporter.report(diagnostics)
    failed = _fails(diagnostics, args.strict)
    if args.format == "text" and not diagnostics:
        print("No problems found.", file=sys.stderr)
    return EXIT_CONTENT if failed else EXIT_OK


def run_new(args: argparse.Namespace) -> int:
    """Write a new course file from the template and say what to do next."""
    path = display_path(create_course(args.source, args.institution, args.title))
    source = "" if args.source == Path(".") else f" --source {display_path(args.source)}"
    print(f"Wrote {path}\n\nNext steps:\n"
          f"  1. Open it and fill in every field marked Required, and the optional ones that apply.\n"
          f"  2. Replace the text below the second --- line with the course description.\n"
          f"  3. Check it: .venv/bin/catalogue check{source} {path}\n"
          f"  4. Preview the site: make build, then make serve-output and open http://127.0.0.1:8000/\n"
          f"  5. Commit the file on a new branch and open a pull request.")
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    from generator.serve import serve  # watchdog and the server are needed only here
    try:
        serve(args.source, args.host, args.port, announce=lambda line: print(line, file=sys.stderr, flush=True))
    except KeyboardInterrupt:  # Ctrl-C is how a preview ends: before it was fully started, too
        print("Stopped.", file=sys.stderr)
    return EXIT_OK


STAGE_WORDS = {"config": "reading the settings", "discover": "finding files", "parse": "reading courses",
               "validate": "checking", "index": "arranging", "render": "rendering pages", "write": "writing files",
               "search": "indexing for search"}


def progress(quiet: bool):  # noqa: ANN201
    """A one-line progress display on an interactive terminal; nothing in CI, in pipes or with --quiet."""
    if quiet or not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    names = list(STAGE_WORDS)

    def show(stage: str) -> None:
        step = names.index(stage) + 1 if stage in names else 0
        bar = "#" * step + "." * (len(names) - step)
        print(f"\r\x1b[K[{bar}] {STAGE_WORDS.get(stage, stage)}…", end="", file=sys.stderr, flush=True)
    return show


def run_build(args: argparse.Namespace) -> int:
    out = args.out or args.source / "output"
    try:
        result = build(args.source, out, args.base_url, args.strict, use_cache=not args.no_cache,
                       on_stage=progress(args.quiet), remove_old_later=True)
    except ContentError as exc:
        if progress(args.quiet):
            print("\r\x1b[K", end="", file=sys.stderr)
        TextReporter().report(exc.diagnostics)
        print(f"Build stopped: nothing was written; {display_path(out)} is unchanged.", file=sys.stderr)
        return EXIT_CONTENT
    if progress(args.quiet):
        print("\r\x1b[K", end="", file=sys.stderr)
    TextReporter().report(result.diagnostics)
    counts = result.summary
    what = f"{counts['courses']} courses ({counts['listed']} listed) from {counts['institutions']} institutions"
    if result.up_to_date:
        log.info("Nothing changed since the last build of %s: %s, %d files", display_path(out), what, result.files)
    else:
        made, shards = result.shards
        search = ("search index unchanged" if not made else "search index rebuilt" if made == shards
                  else f"search index: {made} of {shards} shards rebuilt")
        log.info("Built %s: %d files in %s, %d of them new or changed; %s", what, result.files, display_path(out),
                 result.written, search)
    log.info("Stages: %s (%.2f s in all)", result.timings.summary(), sum(result.timings.stages.values()))
    return EXIT_OK
