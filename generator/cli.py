"""The `catalogue` command: build the site, check its content, or start a new course file."""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, NoReturn

from generator import __version__
from generator.command import stopped_words
from generator.engine.build import build, check
from generator.diagnostics import (ContentError, GithubReporter, JsonReporter, Reporter, TextReporter, UsageError,
                          display_path, has_errors, system_problem)
from generator.content.config import load_config
from generator.content.scaffold import create_course
from generator.content.timeline import build_date
from generator.fast.tuning import leave

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2
EXIT_SYSTEM = 1  # the machine stopped the command: a full disk, a file that went away


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line and a pointer to the help instead of the usage block."""

    commands: dict[str, argparse.ArgumentParser]  # each command's own parser

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def port(text: str) -> int:
    """A TCP port number from the command line (0 picks a free one)."""
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number: give one from 0 to 65535, "
                                         "or 0 for any free port")
    return number


def day(text: str) -> dt.date:
    """A date from the command line, written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.date.fromisoformat("")
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write it as YYYY-MM-DD, like 2027-03-01") from None


TODAY_HELP = ("build for this date, YYYY-MM-DD: which courses have ended or closed (default: the day of "
              "SOURCE_DATE_EPOCH when it is set, else today)")


def parser() -> Parser:
    p = Parser(prog="catalogue", description="Build and check the micro-credentials catalogue.")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p.commands = sub.choices

    b = sub.add_parser("build", help="check the content and build the static site")
    b.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    b.add_argument("--out", type=Path, help="output folder (default: SOURCE/output)")
    b.add_argument("--base-url", help="address the site is published at, like https://example.org/catalogue/")
    b.add_argument("--strict", action="store_true", help="fail on warnings too")
    b.add_argument("--no-cache", action="store_true",
                   help="ignore and do not update SOURCE/.catalogue-cache: parse, render and index everything")
    b.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    b.add_argument("--today", type=day, metavar="DATE", help=TODAY_HELP)

    s = sub.add_parser("serve", help="preview the site, rebuilding and reloading pages as files change")
    s.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    s.add_argument("--port", type=port, default=8000, help="port to listen on (default: 8000; 0 picks a free one)")
    s.add_argument("--today", type=day, metavar="DATE", help=TODAY_HELP)

    c = sub.add_parser("check", help="report every problem in the content, without building")
    c.add_argument("files", nargs="*", type=Path, help="report only on these files (all files are still read)")
    c.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    c.add_argument("--strict", action="store_true", help="fail on warnings too")
    c.add_argument("--format", choices=("text", "github", "json"), default="text",
                   help="text for people (default), github for pull-request annotations, json for tools")
    c.add_argument("--today", type=day, metavar="DATE", help=TODAY_HELP.replace("build for", "check as on"))

    n = sub.add_parser("new", help="start a new course file with every field explained")
    n.add_argument("institution", help="the institution's id: its file is content/institutions/<id>.yaml")
    n.add_argument("title", help="the course's title, in quotes; the file name is made from it")
    n.add_argument("--source", type=Path, default=Path("."), help="site folder holding content/ (default: .)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code (0 clean, 1 content errors or a fault of the machine, 2 usage
    errors, 128 + the signal's number when stopped by one)."""
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
                        format="%(message)s", stream=sys.stderr)
    # asyncio's notes on its own workings (a stopped build's search indexer ending after the loop was closed,
    # say) are not for the command's user: its errors still are
    logging.getLogger("asyncio").setLevel(logging.ERROR)
    try:
        with stopped_by_signals():
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
    except KeyboardInterrupt as exc:
        number = exc.signal if isinstance(exc, Stopped) else signal.SIGINT
        print(f"catalogue: {stopped_words(number)}{_output_kept(args)}", file=sys.stderr)
        return 128 + number
    except OSError as exc:
        print(f"catalogue: error: {system_problem(exc)}{_output_kept(args)}", file=sys.stderr)
        return EXIT_SYSTEM


def _output_kept(args: argparse.Namespace) -> str:
    """For a build stopped early: what became of its output folder."""
    if args.command != "build":
        return ""
    return f" ({display_path(args.out or args.source / 'output')} holds the last complete build)"


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line's arguments; a mistake is one line naming the command's help."""
    p = parser()
    args, extra = p.parse_known_args(argv)
    if extra:  # said by the command's own parser, so the hint names its help
        p.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    return args


class Stopped(KeyboardInterrupt):
    """A signal asked the command to stop (TERM, HUP): handled as Ctrl-C is."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.signal = number


@contextmanager
def stopped_by_signals() -> Iterator[None]:
    """TERM and HUP stop the command as Ctrl-C does: what was staged is removed, the output left as it was."""
    def stop(number: int, frame: object) -> None:
        raise Stopped(number)
    if threading.current_thread() is not threading.main_thread():  # (only the main thread may set handlers)
        yield
        return
    before = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGHUP)
              if signal.getsignal(number) is not signal.SIG_IGN}  # (nohup: a hang-up is to be ignored)
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


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
    diagnostics = check(args.source, today=args.today)
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
        build_date(args.today)  # a SOURCE_DATE_EPOCH that is not a date is said before the preview starts
        serve(args.source, args.host, args.port, announce=lambda line: print(line, file=sys.stderr, flush=True),
              today=args.today)
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
                       on_stage=progress(args.quiet), remove_old_later=True, today=args.today)
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
    config = result.catalogue.config if result.catalogue else load_config(args.source, args.base_url)[0]
    if config is not None and not config.absolute:
        log.info("No sitemap: it needs full addresses, and the base URL %s has no host (give one with --base-url "
                 "or base_url in site.yaml, like https://example.org/catalogue/)", config.base_url)
    return EXIT_OK
