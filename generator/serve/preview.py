"""The previewed site: the same `load()`, `plan()` and `make()` as a build, with a cache of its own, writing only
the files whose bytes changed into the folder it serves; the files no page shows and the search index follow
in the background, so they never delay a reload."""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from generator.content.catalogue import Catalogue
from generator.content.config import Config, load_config
from generator.content.load import load
from generator.diagnostics import ContentError, Diagnostic
from generator.engine.artifact import make
from generator.engine.cache import CACHE_DIR, MemoryStore, RememberingCache, usable
from generator.engine.output import InMemory, ServedFolder, fresh_folder
from generator.fast.pagefind import Previous, build_index
from generator.fast.tuning import frozen, lower_priority
from generator.site.pages import problem_page
from generator.site.routes import Plan, plan, preview_routes
from generator.site.theme import Theme, footer_of, load_theme, load_themes, theme_digest

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What one refresh did."""

    ok: bool
    seconds: float
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reindex: bool = False


class Preview:
    """The previewed site: its last good catalogue and plan, and the files it serves."""

    def __init__(self, source: Path, out: Path, today: dt.date | None = None) -> None:
        self.source = source
        self.out = out
        self.today = today  # the build date; None: the day of each refresh
        cache = source / CACHE_DIR
        self.parsed = RememberingCache(cache if usable(cache) else None)  # (an unwritable one: said once)
        self.store = MemoryStore()  # courses' pieces of the catalogue-wide files, kept between refreshes
        self.folder = ServedFolder(out)
        self.catalogue: Catalogue | None = None
        self.site: Plan | None = None
        self.theme: Theme | None = None  # in the default language (the problems page's)
        self.themes: dict[str, Theme] = {}
        self.themes_made_from: tuple = ()
        self.keys: dict[str, str] = {}  # the keys of the files now served
        self.now_paths: set[str] = set()    # the files served that a visitor opens, and the others
        self.later_paths: set[str] = set()
        self.problems: list[Diagnostic] = []
        self.lock = threading.Lock()    # the background thread writes files too
        self.closed = False             # set when the preview stops: nothing is written after that

    @property
    def config(self) -> Config:
        return self.catalogue.config

    def refresh(self) -> Outcome:
        """Bring the pages a visitor opens up to date with the site folder."""
        started = time.perf_counter()
        try:
            with frozen():  # the last catalogue and plan are not scanned again by each collection meanwhile
                outcome = self._refresh()
        except ContentError as exc:
            self.problems = list(exc.diagnostics)
            return Outcome(False, time.perf_counter() - started, diagnostics=self.problems)
        self.problems = []
        outcome.seconds = time.perf_counter() - started
        return outcome

    def _refresh(self) -> Outcome:
        catalogue, diags = load(self.source, "/", cache=self.parsed, today=self.today)
        themes = self._themes(catalogue)
        theme = next(iter(themes.values()))
        site = plan(catalogue, themes, self.store, routes=preview_routes())
        files = InMemory()
        made = make(site.now, self.keys, files)
        old, now = self.catalogue, {a.path for a in site.now}
        # the files of a course that is gone go at once, its open data too; other stale files no page shows
        # go with the next background refresh
        ids = {c.id for c in catalogue.courses}
        gone = tuple(c.url for c in old.courses if c.id not in ids) if old else ()
        with self.lock:
            written = self.folder.update(files.data)
            stale = (self.now_paths - now) | {rel for rel in self.folder.hashes if rel.startswith(gone)} if gone \
                else self.now_paths - now
            removed = self.folder.remove(stale & set(self.folder.hashes))
            self.keys = {**{k: v for k, v in self.keys.items() if k not in stale}, **made.keys}
            previous, self.catalogue, self.site, self.now_paths = self.site, catalogue, site, now
            self.theme, self.themes = theme, themes
        reindex = bool(set(site.indexed) & {*written, *removed}) or (previous is not None and previous.indexed != site.indexed)
        return Outcome(True, 0.0, written, removed, diags, reindex)

    def refresh_later(self) -> list[str]:
        """Bring the files no page shows up to date with the last good catalogue; the paths written or removed."""
        site = self.site
        if site is None:
            return []
        files = InMemory()
        made = make(site.later, self.keys, files)
        later = {a.path for a in site.later}
        with self.lock:
            if site is not self.site or self.closed:
                return []  # a newer refresh came meanwhile (the next run makes its files), or the preview stopped
            written = self.folder.update(files.data)
            stale = (self.later_paths - later - self.now_paths) & set(self.folder.hashes)
            removed = self.folder.remove(stale)
            self.keys = {**{k: v for k, v in self.keys.items() if k not in stale}, **made.keys}
            self.later_paths = later
        return written + removed

    def problem_page(self) -> bytes:
        """What is served where there is no page yet: the problems, from the theme."""
        theme = self.theme
        if theme is None:
            config, _ = load_config(self.source, "/")
            theme = load_theme(config) if config else None
        return problem_page(theme, self.problems)

    def close(self) -> None:
        """Stop writing files (the preview is stopping and its folder is about to go)."""
        locked = self.lock.acquire(timeout=5)
        self.closed = True
        if locked:
            self.lock.release()

    def _themes(self, catalogue: Catalogue) -> dict[str, Theme]:
        config = catalogue.config
        made_from = (theme_digest(config), config, footer_of(catalogue.pages))
        if self.themes and self.themes_made_from == made_from:
            return self.themes
        self.themes_made_from = made_from
        return load_themes(config, pages=catalogue.pages)


def describe(outcome: Outcome, changes: list[str]) -> str:
    """The terminal line of one rebuild."""
    what = ", ".join(changes[:3]) + (f" and {len(changes) - 3} more" if len(changes) > 3 else "") if changes else "start"
    if not outcome.ok:
        errors = sum(d.is_error for d in outcome.diagnostics)
        return f"{time.strftime('%H:%M:%S')} {what}: {errors} {'problem' if errors == 1 else 'problems'}; still serving the last good pages"
    files = len(outcome.written) + len(outcome.removed)
    return (f"{time.strftime('%H:%M:%S')} {what}: {files} {'file' if files == 1 else 'files'} written in "
            f"{outcome.seconds * 1000:.0f} ms" + (" (search index refreshing)" if outcome.reindex else ""))


class Background:
    """After a reload: the files no page shows (sitemap, courses.json, the search table, the open data), then,
    when an indexed page changed, the search index. It starts a moment after the reload, so the open pages
    reload first instead of sharing the processor with this work.

    One run at a time; requests made meanwhile are folded into the next run.
    """

    SETTLE = 0.3  # seconds

    def __init__(self, preview: Preview, announce: Callable[[str], None] = lambda line: None) -> None:
        self.preview = preview
        self.announce = announce
        self.wanted = threading.Event()
        self.stopping = threading.Event()
        self.reindex = False
        self.changed: set[str] = set()  # pages written since the index was last made: their shards are made anew
        self.indexed: list[str] | None = None  # the pages of the index being served
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def request(self, reindex: bool, changed: Iterable[str] = ()) -> None:
        self.changed.update(changed)
        self.reindex = self.reindex or reindex
        self.wanted.set()

    def stop(self, timeout: float) -> None:
        """Let the current run finish (it writes nothing more once the preview is closed), up to a timeout."""
        self.preview.close()
        self.stopping.set()
        self.wanted.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        lower_priority()  # and so that of the Pagefind processes it starts: a save meanwhile is rebuilt first
        while True:
            self.wanted.wait()
            self.stopping.wait(self.SETTLE)  # (a stop need not wait for the pause)
            if self.preview.closed:
                return
            self.wanted.clear()
            reindex, self.reindex = self.reindex, False
            changed, self.changed = self.changed, set()
            started = time.perf_counter()
            try:
                written = self.preview.refresh_later()
            except Exception as exc:  # noqa: BLE001 — the preview goes on without fresh data files
                log.warning("open-data files not refreshed: %s", exc)
            else:
                if written:
                    self.announce(f"  data files: {len(written)} written in "
                                  f"{(time.perf_counter() - started) * 1000:.0f} ms")
            if reindex and not self.preview.closed:
                started = time.perf_counter()
                count = self._index(changed)
                if count is None:
                    self.changed |= changed  # not indexed: those pages' shards are still to be made
                else:
                    self.announce(f"  search index: {count} pages indexed in {time.perf_counter() - started:.1f} s")

    def _index(self, changed: set[str]) -> int | None:
        site, out = self.preview.site, self.preview.out
        if site is None:
            return None
        last = Previous(out / "pagefind", self.indexed, frozenset(changed)) if self.indexed is not None else None
        try:
            with fresh_folder(out, "pagefind") as made:
                count = build_index(out, self.preview.config, site.indexed, folder=made.name, previous=last,
                                    rows=site.rows).pages
                if self.preview.closed:
                    return None
            self.indexed = list(site.indexed)
            return count
        except Exception as exc:  # noqa: BLE001 — the preview goes on without a fresh index
            log.warning("search index not refreshed: %s", exc)
            return None
