"""The build: load the content, plan every file of the site, make those whose inputs changed, index the pages
for search and publish the whole site at once. `check` is the same line stopped before planning."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from generator.content.catalogue import Catalogue
from generator.content.config import load_config
from generator.content.files import check_source
from generator.content.load import Timings, check, load
from generator.content.timeline import build_date, steady
from generator.diagnostics import ContentError, Diagnostic
from generator.engine.cache import CACHE_DIR, ParseCache, compiled_templates, usable
from generator.engine.manifest import read_head, read_manifest, write_manifest
from generator.engine.output import check_destination, locked
from generator.engine.staged import StagedSite
from generator.fast.pagefind import Indexed
from generator.fast.tuning import collecting_rarely, frozen, giving_way
from generator.fingerprint import basis, fingerprint
from generator.site.editor import state as editor_state
from generator.site import planning
from generator.site.routes import plan
from generator.site.theme import load_themes, theme_digest

__all__ = ["BuildResult", "build", "check", "load", "input_signature"]


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: the catalogue, its warnings, how many files it had and wrote anew, its stage times.

    A build that found its input files as the last build left them reads nothing else: it has no catalogue,
    only the last build's `counts` and warnings.
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
        return dict(self.counts or {}) if self.catalogue is None else _summary(self.catalogue)


def _summary(catalogue: Catalogue) -> dict[str, int]:
    return {"courses": len(catalogue.courses), "listed": len(catalogue.listed),
            "institutions": len(catalogue.institutions)}


def build(source: Path, out: Path, base_url: str | None = None, strict: bool = False,
          use_cache: bool = True, on_stage: Callable[[str], None] | None = None,
          remove_old_later: bool = False, today: dt.date | None = None) -> BuildResult:
    """Check, make and publish the whole site as it stands on `today` (the build date: see
    `timeline.build_date`); on any error (or warning, when strict), raise before touching `out`.

    With the cache (SOURCE/.catalogue-cache), unchanged input files end the build at once (unless a course's
    deadline or run has ended since), unchanged courses are not parsed again and unchanged files not made
    again; the output is byte-identical to a cold build's on the same date either way. With
    `remove_old_later`, the previous output is removed by a process of its own.
    """
    timings = Timings(on_stage=on_stage)
    today = build_date(today)
    check_source(source)
    check_destination(out, source)
    with locked(out), collecting_rarely():  # one build into `out` at a time (the second waits)
        return _build(source, out, base_url, strict, source / CACHE_DIR if use_cache else None, timings,
                      remove_old_later, today)


def _build(source: Path, out: Path, base_url: str | None, strict: bool, cache_dir: Path | None, timings: Timings,
           remove_old_later: bool, today: dt.date) -> BuildResult:
    """`build`, holding the lock on `out`."""
    if cache_dir is not None and not usable(cache_dir):
        cache_dir = None
    with timings.stage("inputs"):  # before anything is read: a file changed during the build is seen next time
        inputs = input_signature(source, base_url) if cache_dir else ""
        head = read_head(cache_dir, out)
        if (inputs and head and head.inputs == inputs and head.steady_on(today)
                and not (strict and head.warnings) and head.intact(out)):
            return BuildResult(None, tuple(Diagnostic(**d) for d in head.warnings), head.files, timings,
                               up_to_date=True, counts=head.summary)
        previous = read_manifest(cache_dir, out, head)
    staged = StagedSite(out, previous, recycle=cache_dir is not None, clean_later=remove_old_later)
    try:
        parsed = ParseCache(cache_dir)
        try:
            catalogue, diags = load(source, base_url, timings, parsed, today)
        finally:  # kept even when the content has errors: the next check or build reads only what changed
            parsed.prune()
        if strict and diags:
            raise ContentError(diags)
        with frozen():
            return _make_site(catalogue, diags, staged, timings, cache_dir, inputs, remove_old_later)
    except BaseException:
        staged.discard()
        raise


def _make_site(catalogue: Catalogue, diags: list[Diagnostic], staged: StagedSite, timings: Timings,
               cache_dir: Path | None, inputs: str, remove_old_later: bool) -> BuildResult:
    """Plan, make, index and publish a loaded catalogue (see `build`)."""
    out, previous = staged.out, staged.previous
    days = _steady_days(catalogue)
    with timings.stage("theme"):
        made_from = site_fingerprint(catalogue, theme_digest(catalogue.config))
        if previous and previous.fingerprint == made_from and previous.all_intact(out):
            staged.discard()  # the same content, touched: note the files' new signature for the next build
            touched = dataclasses.replace(previous, inputs=inputs, warnings=[dataclasses.asdict(d) for d in diags],
                                          steady=days, spare=staged.keep_a_spare())
            touched.__dict__["token"] = previous.token  # (made of neither)
            write_manifest(cache_dir, out, touched)
            return BuildResult(catalogue, tuple(diags), len(previous.files), timings, up_to_date=True)
        themes = load_themes(catalogue.config, compiled_templates() if cache_dir else None, catalogue.pages)
        store = ParseCache(cache_dir, "rendered")
        site = plan(catalogue, themes, store)
        keys = staged.reusable_keys()
    with ThreadPoolExecutor(max_workers=1) as pool, ExitStack() as beside:
        early: Future[Indexed] | None = None

        def start_index() -> None:  # a rebuild's few shards are made while the other files are
            nonlocal early
            early = staged.index_beside(pool, site, catalogue.config)
            if early:
                beside.enter_context(giving_way())

        with timings.stage("render"):
            now = staged.make(site.now, keys, then=start_index)
            site = site.without()
        with timings.stage("write"):
            staged.link_reused(now)
        with timings.stage("data"):
            later = staged.make(site.later, keys)
            staged.link_reused(later)
            store.prune()
            site = site.without(later=True)
        with timings.stage("search"):  # made beside the stages above: the time it took beyond them
            search = early.result() if early else staged.index(site, catalogue.config)
    with timings.stage("publish"):
        manifest = staged.publish(made_from, {**now.keys, **later.keys}, site.indexed, inputs, diags,
                                  _summary(catalogue), remove_old_later, days)
    with timings.stage("cache"):
        write_manifest(cache_dir, out, manifest)
    return BuildResult(catalogue, tuple(diags), len(staged.hashes), timings, written=staged.changed(),
                       indexed=bool(search.made), shards=(len(search.made), search.shards))


def input_signature(source: Path, base_url: str | None = None) -> str:
    """A fingerprint of everything a build is made from, read without parsing any course: the generator's code,
    the config, the theme's files, and the name, size, type and times of every file and folder under content/.

    The change time (ctime) changes with every write and cannot be set back, so an edit that keeps a file's
    size and modification time is still seen. "" when it cannot be worked out (then the build reads all).
    """
    config, _ = load_config(source, base_url)
    if config is None:
        return ""
    parts = [basis(config, theme_digest(config)), editor_state()]
    try:
        _file_signatures(source / "content", "", parts)
    except OSError:
        return ""
    return fingerprint(*parts)


def _file_signatures(folder: Path, prefix: str, parts: list[str]) -> None:
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for entry in entries:
        st = entry.stat(follow_symlinks=False)
        parts.append(f"{prefix}{entry.name}\0{st.st_mode}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}")
        if entry.is_dir(follow_symlinks=False):
            _file_signatures(Path(entry.path), f"{prefix}{entry.name}/", parts)


def site_fingerprint(catalogue: Catalogue, theme_digest: str) -> str:
    """Everything a site is made from: if this is unchanged since the last build, so is the output."""
    return fingerprint(basis(catalogue.config, theme_digest), editor_state(),
                       *(f"{c.id}:{c.digest}:{c.passed}" for c in sorted(catalogue.courses, key=lambda c: c.id)),
                       *(f"{i.id}:{i.digest}" for i in catalogue.institutions),
                       *(f"page {p.slug}:{p.digest}" for p in catalogue.pages))


def _steady_days(catalogue: Catalogue) -> list[str]:
    """The days (ISO dates, "" for no bound) between which the catalogue's courses stand as on its build date: a
    later build on a day between them, from the same files, has nothing to do."""
    if catalogue.today is None:
        return []
    since, until = steady(catalogue.courses, catalogue.today)
    # the calendar page shows twelve months from the build date's: a new month changes it
    since = max(since or dt.date.min, catalogue.today.replace(day=1))
    until = min(until or dt.date.max, planning.next_month(catalogue.today))
    return [since.isoformat(), until.isoformat()]
