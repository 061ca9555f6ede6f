"""The build, as a straight line of stages; `check` is the same line stopped before rendering."""
from __future__ import annotations

import dataclasses
import gc
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from generator.content.catalogue import Catalogue, cross_check, index, parse_all
from generator.content.config import load_config
from generator.content.files import discover
from generator.diagnostics import ContentError, Diagnostic, has_errors
from generator.engine.cache import CACHE_DIR, ParseCache, code_fingerprint, compiled_templates, digest
from generator.engine.manifest import Manifest, file_stats, read_manifest, write_manifest
from generator.engine.output import Sink, check_destination, discard, fill, inside, mark, publish, remove, set_aside, stage
from generator.fast.pagefind import Previous, build_index, shards_to_make
from generator.site.render import Rendered, render, render_data, render_site_data
from generator.site.theme import load_theme, theme_digest

log = logging.getLogger(__name__)


@dataclass
class Timings:
    """Seconds spent in each stage, in order."""

    stages: dict[str, float] = field(default_factory=dict)
    on_stage: Callable[[str], None] | None = None  # told as each stage starts (the terminal's progress line)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.on_stage:
            self.on_stage(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = time.perf_counter() - start

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.stages.items())


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: the catalogue, its warnings, how many files it had and wrote anew, its stage times.

    A build that found its input files as the last build left them reads nothing else: it has no catalogue,
    only the last build's `summary` and warnings.
    """

    catalogue: Catalogue | None
    diagnostics: tuple[Diagnostic, ...]
    files: int
    timings: Timings
    written: int = 0
    up_to_date: bool = False
    indexed: bool = False
    counts: dict[str, int] | None = None
    shards: tuple[int, int] = (0, 0)  # search index shards made anew, of all

    @property
    def summary(self) -> dict[str, int]:
        """How many courses, listed courses and institutions the site has."""
        if self.catalogue is None:
            return dict(self.counts or {})
        return _summary(self.catalogue)


def _summary(catalogue: Catalogue) -> dict[str, int]:
    return {"courses": len(catalogue.courses), "listed": len(catalogue.listed),
            "institutions": len(catalogue.institutions)}


def load(source: Path, base_url: str | None = None, timings: Timings | None = None,
         cache: ParseCache | None = None) -> tuple[Catalogue, list[Diagnostic]]:
    """Every stage up to rendering: config, discovery, parsing, validation, cross-file checks, indexing.

    Raises ContentError with every diagnostic when any of them is an error.
    """
    timings = timings or Timings()
    with timings.stage("config"):
        config, diags = load_config(source, base_url)
    with timings.stage("discover"):
        found = discover(source)
    with timings.stage("parse"):
        institutions, courses, problems = parse_all(found, cache)
    with timings.stage("validate"):
        diags += problems + cross_check(found, institutions, courses)
    if config is None or has_errors(diags):
        raise ContentError(diags)
    with timings.stage("index"):
        catalogue = index(config, institutions, courses)
    return catalogue, sorted(diags)


def check(source: Path, base_url: str | None = None) -> list[Diagnostic]:
    """Every problem in the site's content, without rendering anything."""
    try:
        return load(source, base_url)[1]
    except ContentError as exc:
        return exc.diagnostics


def build(source: Path, out: Path, base_url: str | None = None, strict: bool = False,
          use_cache: bool = True, on_stage: Callable[[str], None] | None = None,
          remove_old_later: bool = False) -> BuildResult:
    """Check, render and write the whole site; on any error (or warning, when strict), raise before touching `out`.

    With the cache (SOURCE/.catalogue-cache), a build that finds every input file as the last build left it
    (`input_signature`) stops there; otherwise unchanged courses are not parsed again, unchanged pages are not
    rendered or written again, and only the search index shards with a changed page are made again; the
    output is byte-identical to a cold build's either way. With `remove_old_later` (the command line), the
    previous output is removed by a process of its own once the new one is in place (see `output.publish`).
    """
    timings = Timings(on_stage=on_stage)
    check_destination(out, source)
    cache_dir = source / CACHE_DIR if use_cache else None
    with timings.stage("inputs"):  # before anything is read: a file changed during the build is seen next time
        inputs = input_signature(source, base_url) if cache_dir else ""
        previous = read_manifest(cache_dir, out)
        if (inputs and previous and previous.inputs == inputs and not (strict and previous.warnings)
                and previous.all_intact(out)):
            return BuildResult(None, tuple(Diagnostic(**d) for d in previous.warnings), len(previous.files), timings,
                               up_to_date=True, counts=previous.summary)
    parsed = ParseCache(cache_dir)
    # a rebuild's folders are made while the content is read (see Skeleton)
    early = Skeleton(out, previous) if previous is not None else None
    try:
        try:
            catalogue, diags = load(source, base_url, timings, parsed)
        finally:  # kept even when the content has errors: the next check or build reads only what changed
            parsed.prune()
        if strict and diags:
            raise ContentError(diags)
        # The catalogue lives until the end: keep the garbage collector from scanning it again and again while
        # pages are made (about 9% of rendering at 20,000 courses), and forked copies from touching its pages.
        gc.freeze()
        try:
            return _build(out, catalogue, diags, timings, cache_dir, previous, inputs, remove_old_later, early)
        finally:
            gc.unfreeze()
    except BaseException:  # the early staged site is never published: its folder maker stopped, it is removed
        if early:
            early.discard()
        raise


class Skeleton:
    """A rebuild's staged site, begun before the content is read: a process of its own makes the folders of
    the last build's files in it (4,000 course folders at 4,000 courses) while the build reads the content
    on one core, where they were made beside the search index, in the part of a rebuild that uses both
    cores (on this machine's disk a folder can cost a scan of the files deleted nearby: 0.1 to 0.9 s for
    4,000). A process, not a thread: a thread making folders one system call at a time waits for Python's
    lock after each, and the build's thread, busy reading, holds it.

    A folder the new build has no file in is removed before publishing (`prune`); the search index's folders
    are left to the search stage.
    """

    def __init__(self, out: Path, previous: Manifest) -> None:
        folders = {rel.rpartition("/")[0] for rel in previous.files}
        self.folders = sorted(f for f in folders if f and inside(f) and f != "pagefind" and not f.startswith("pagefind/"))
        self.staging = stage(out, {}, folders=_big_folders(any(f.startswith("courses/") for f in self.folders)))
        self._maker: subprocess.Popen | None = None
        if self.folders:
            try:
                self._maker = subprocess.Popen([sys.executable, "-I", "-S", "-c", _MAKE_FOLDERS, os.fspath(self.staging)],
                                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                self._maker.stdin.write("\0".join(self.folders).encode("utf-8", "surrogateescape"))
                self._maker.stdin.close()
            except OSError:  # the build makes them itself as it writes
                if self._maker:
                    self._maker.kill()
                    self._maker.wait()
                self._maker = None

    def join(self) -> None:
        if self._maker:
            self._maker.wait()

    def discard(self) -> None:
        if self._maker and self._maker.poll() is None:
            self._maker.kill()
        self.join()
        discard(self.staging)

    def prune(self, files: set[str]) -> None:
        """Remove the folders made for the last build's files that the new build does not have (deepest first)."""
        self.join()
        needed = set()
        for rel in files:
            folder = rel.rpartition("/")[0]
            while folder and folder not in needed:
                needed.add(folder)
                folder = folder.rpartition("/")[0]
        for folder in sorted(set(self.folders) - needed, key=lambda f: f.count("/"), reverse=True):
            try:
                os.rmdir(self.staging / folder)
            except OSError:  # (not empty, or gone)
                pass


def _big_folders(courses: bool) -> tuple[str, ...]:
    """The site's folders that hold thousands of files each, made first in a staged site (see
    `output.top_of_tree`)."""
    return ("courses", "pagefind") if courses else ("pagefind",)


# run by the Skeleton's process: the staged site's folder, then the folders to make in it on standard input
_MAKE_FOLDERS = """import os, sys
root = sys.argv[1]
for folder in sys.stdin.buffer.read().split(b"\\0"):
    if folder:
        os.makedirs(os.path.join(os.fsencode(root), folder), exist_ok=True)
"""


def _build(out: Path, catalogue: Catalogue, diags: list[Diagnostic], timings: Timings, cache_dir: Path | None,
           previous: Manifest | None, inputs: str, remove_old_later: bool, early: Skeleton | None = None) -> BuildResult:
    """Render, write, index and publish a loaded catalogue (see `build`)."""
    with timings.stage("theme"):
        theme = load_theme(catalogue.config, compiled_templates() if cache_dir else None)
        fingerprint = _fingerprint(catalogue, theme.digest)
        if previous and previous.fingerprint == fingerprint and previous.all_intact(out):
            if early:
                early.discard()
            # the same content, touched: note the files' new signature so the next build need not read them
            write_manifest(cache_dir, out, dataclasses.replace(previous, inputs=inputs,
                                                               warnings=[dataclasses.asdict(d) for d in diags]))
            return BuildResult(catalogue, tuple(diags), len(previous.files), timings, up_to_date=True)
        # a page is reused by its key only if its file is still as the last build left it
        keys = {rel: key for rel, key in previous.keys.items() if previous.intact(os.fspath(out), rel)} if previous else None
        store = ParseCache(cache_dir, "rendered")
        # Files go into the staged site as they are made, by the processes that make them: no process holds
        # the whole site (its pages and open data are 200 MB at 4,000 courses), and neither do results sent
        # between processes.
        staging = early.staging if early else stage(out, {}, folders=_big_folders(bool(catalogue.courses)))
    hashes: dict[str, str] = {}
    linked: set[str] = set()
    aside: list[Path] = []  # the search index's working folder, moved out of the site to be removed after

    def search_work(folder: Path) -> None:
        aside.append(set_aside(folder, out))

    try:
        with ThreadPoolExecutor(max_workers=1) as pool, ExitStack() as behind:
            index = None
            with timings.stage("render"):
                sink = Sink(os.fspath(staging), os.fspath(out.resolve()), previous.files if previous else {},
                            previous.stats if previous else {})
                pages = render(catalogue, theme, keys, site_data=False, sink=sink.put)
                _note(pages, hashes, linked)
                indexed = sorted(c.url + "index.html" for c in catalogue.listed)
                rows = [c.url for c in catalogue.listed]  # the browse table's rows, in order
                last = Previous(out / "pagefind", previous.indexed, frozenset(
                    rel for rel in indexed if rel in hashes and previous.files.get(rel) != hashes[rel]), out) \
                    if previous else None
                # The search index needs only the pages: a rebuild's few shards are made while everything else
                # is (its pages not linked into the new site yet are read from the published one, and this
                # thread gives way to Pagefind: the index takes longest). A whole index is made after the data
                # files: Pagefind's processes and this one's forked copies would fight over the cores.
                if last is not None and shards_to_make(indexed, last) < (os.cpu_count() or 1):
                    index = pool.submit(build_index, staging, catalogue.config, indexed, previous=last, rows=rows,
                                        set_aside=search_work)
                    behind.enter_context(_second(threading.get_native_id()))
                site = render_site_data(catalogue, sink=sink.put)
                _note(site, hashes, linked)
            with timings.stage("write"):  # what is reused as it is: linked from the current output
                fill(staging, out, {}, _reused(pages, previous), hashes, linked, sink.made)
            with timings.stage("data"):
                data = render_data(catalogue, theme, keys, store, sink=sink.put)
                _note(data, hashes, linked)
                fill(staging, out, {}, _reused(data, previous), hashes, linked, sink.made)
                store.prune()
            behind.close()
            with timings.stage("search"):  # made beside the stages above: the time it took beyond them
                search = index.result() if index else build_index(staging, catalogue.config, indexed, previous=last,
                                                                  rows=rows, set_aside=search_work)
        changed = {rel for rel, h in hashes.items() if not previous or previous.files.get(rel) != h}
        with timings.stage("publish"):
            if early:
                early.prune(set(hashes))
            # renames keep them: these are the published files' stats
            stats = file_stats(staging, hashes, previous.stats if previous else None, linked)
            manifest = Manifest(fingerprint, hashes, {**pages.keys, **data.keys}, indexed, stats, inputs,
                                [dataclasses.asdict(d) for d in diags], _summary(catalogue))
            mark(staging, manifest.token)
            publish(staging, out, remove_old_later, also=aside)
    except BaseException:
        if not early:  # (an early one is discarded by `build`, once its folder maker is stopped)
            discard(staging)
        remove(aside)
        raise
    with timings.stage("cache"):
        write_manifest(cache_dir, out, manifest)
    return BuildResult(catalogue, tuple(diags), len(hashes), timings, written=len(changed), indexed=bool(search.made),
                       shards=(len(search.made), search.shards))


@contextmanager
def _second(thread: int) -> Iterator[None]:
    """Let the search index go first: a rebuild's index takes longer than the files made beside it (measured at
    4,000 courses: Pagefind 1.2 s alone, 1.9 s sharing the cores with them; they take 0.9 s of processor time),
    so this thread gives way to Pagefind's processes while it links and makes files (10 steps nicer), and
    takes its place back after, where the system allows (raising a thread's priority may need privileges:
    what is left after is a few renames).

    The index's own thread (it drives the Pagefind processes and starts the one that gathers the shard's
    pages) needs Python's lock for a moment at each step, and this thread, busy making files, held it up to
    Python's switch interval each time (5 ms): the interval is 1 ms meanwhile (the shard's pages were
    gathered 0.1 s sooner)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.001))
    try:
        try:
            before = os.getpriority(os.PRIO_PROCESS, thread)
            os.setpriority(os.PRIO_PROCESS, thread, min(before + 10, 19))
        except (OSError, AttributeError):  # AttributeError: not a Unix
            yield
            return
        try:
            yield
        finally:
            try:
                os.setpriority(os.PRIO_PROCESS, thread, before)
            except OSError:
                pass
    finally:
        sys.setswitchinterval(interval)


def _reused(rendered: Rendered, previous: Manifest | None) -> dict[str, str]:
    """The files the renderer did not make again (their keys unchanged): linked from the current output."""
    return {rel: previous.files[rel] for rel in rendered.reused} if previous else {}


def _note(rendered: Rendered, hashes: dict[str, str], linked: set[str]) -> None:
    """Record what the sink said of each file made: its content hash, and whether it was linked."""
    for rel, (content, was_linked) in rendered.put.items():
        hashes[rel] = content
        if was_linked:
            linked.add(rel)


def input_signature(source: Path, base_url: str | None = None) -> str:
    """A hash of everything a build is made from, read without parsing any course: the generator's code, the
    config, the theme's files, and the name, size, type and times of every file and folder under content/.

    The change time (ctime) changes with every write and cannot be set back, so an edit that keeps a file's
    size and modification time is still seen. "" when it cannot be worked out (then the build reads all).
    """
    config, _ = load_config(source, base_url)
    if config is None:
        return ""
    parts = [code_fingerprint(), theme_digest(config), repr(dataclasses.replace(config, source=Path(".")))]
    try:
        _file_signatures(source / "content", "", parts)
    except OSError:
        return ""
    return digest(*parts)


def _file_signatures(folder: Path, prefix: str, parts: list[str]) -> None:
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        st = entry.stat(follow_symlinks=False)
        parts.append(f"{prefix}{entry.name}\0{st.st_mode}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}")
        if entry.is_dir(follow_symlinks=False):
            _file_signatures(Path(entry.path), f"{prefix}{entry.name}/", parts)


def _fingerprint(catalogue: Catalogue, theme_digest: str) -> str:
    """Everything a build is made from: if this is unchanged since the last build, so is the output."""
    config = dataclasses.replace(catalogue.config, source=Path("."))
    return digest(code_fingerprint(), theme_digest, repr(config),
                  *(f"{c.id}:{c.digest}" for c in sorted(catalogue.courses, key=lambda c: c.id)),
                  *(f"{i.id}:{i.digest}" for i in catalogue.institutions))
