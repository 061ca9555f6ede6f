"""The build: load the content, plan every file of the site, make those whose inputs changed, index the pages
for search and publish the whole site at once. `check` is the same line stopped before planning."""
from __future__ import annotations

import dataclasses
import functools
import datetime as dt
import os
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from generator.content.catalogue import Catalogue
from generator.content.config import Config, load_config
from generator.content.files import check_source
from generator.content.load import Timings, check, load
from generator.content.timeline import build_date, steady
from generator.diagnostics import ContentError, Diagnostic
from generator.engine.artifact import Made, make
from generator.engine.cache import CACHE_DIR, ParseCache, compiled_templates, usable
from generator.engine.manifest import Manifest, file_stats, read_head, read_manifest, write_manifest
from generator.engine.output import Sink, check_destination, discard, fill, inside, locked, mark, publish, \
    recover, refill, remove, set_aside, stage
from generator.fast.folders import FoldersAhead
from generator.fast.pagefind import Indexed, Previous, build_index, shards_to_make
from generator.fast.parallel import Ahead, forked_job
from generator.fast.spare import Survey, convert, has_spare, intact_inodes, keep_spare, making_spare, remove_stale, \
    start_maker, survey_spare, take_spare, wait_for_maker
from generator.fast.tuning import collecting_rarely, frozen, giving_way
from generator.fingerprint import basis, fingerprint
from generator.site.editor import state as editor_state
from generator.site import planning
from generator.site.routes import Plan, plan
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
    with ThreadPoolExecutor(max_workers=1) as pool:
        early: Future[Indexed] | None = None
        with timings.stage("render"):
            now = staged.make(site.now, keys)
            if staged.index_early(site):  # a rebuild's few shards are made while the rest is
                early = pool.submit(staged.index, site, catalogue.config)
            site = site.without()
        with giving_way() if early else nullcontext():
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


class StagedSite:
    """A new site being made beside the published one: the files made and linked so far, the search index's
    working folder set aside, and for a rebuild the site the last build replaced, taken over (`recycle`,
    fast/spare.py), or else the last build's folders made ahead."""

    def __init__(self, out: Path, previous: Manifest | None, recycle: bool = False, clean_later: bool = False) -> None:
        self.out, self.previous, self.recycle, self.clean_later = out, previous, recycle, clean_later
        self.hashes: dict[str, str] = {}
        self.linked: set[str] = set()
        self.aside: list[Path] = []
        self.kept: dict[str, int] = {}    # a recycled site's files (fast/spare.py): path → inode
        self.inodes: dict[str, int] | None = None  # the published files' inodes, of those that can be reused
        self._published = False
        self.folder: Path | None = None
        self.ahead: FoldersAhead | None = None
        self.survey: Ahead[Survey | None] | None = None
        resolved = out.resolve()
        if previous and recycle and (making_spare(resolved) or has_spare(resolved, previous.spare)):
            # what of the published site and of its spare is as left: found while the content is read, once the
            # spare is made (a rebuild with a spare takes it over once something is to be made: `_recycle`)
            self.survey = forked_job(functools.partial(survey_spare, os.fspath(resolved), previous.keys,
                                                       previous.stats, previous.spare))
        else:
            wait_for_maker(resolved)
            self._stage()

    def _stage(self) -> None:
        """A new staged site; a rebuild's folders are made while the content is read."""
        out, previous = self.out, self.previous
        folders = {rel.rpartition("/")[0] for rel in previous.files} if previous else set()
        folders = {f for f in folders if f and inside(f) and f != "pagefind" and not f.startswith("pagefind/")}
        big = ("courses", "pagefind") if previous is None or any(f.startswith("courses/") for f in folders) \
            else ("pagefind",)
        self.folder = stage(out, {}, folders=big, clean_later=self.clean_later)
        self.ahead = FoldersAhead(self.folder, folders) if previous else None
        self.sink = Sink(os.fspath(self.folder), os.fspath(out.resolve()), previous.files if previous else {},
                         previous.stats if previous else {})

    def _recycle(self) -> None:
        """Take the spare over as the staged site (see fast/spare.py)."""
        previous, out = self.previous, self.out
        found = self._surveyed()  # (before the spare is moved: the survey reads it where it is)
        if found is None:  # (its maker stopped before it was made)
            self._stage()
            return
        self.inodes = found.published
        recover(out.resolve(), later=self.clean_later)
        taken = take_spare(out.resolve(), previous.spare)
        if taken is None:  # (gone since)
            self._stage()
            return
        self.folder = taken
        if (taken / "pagefind").is_dir():  # the search index is made in a folder of its own each time
            self.aside.append(set_aside(taken / "pagefind", out))
        os.mkdir(taken / "pagefind")
        self.kept, folders = found.spare_files, found.spare_folders
        self.sink = Sink(os.fspath(taken), os.fspath(out.resolve()), previous.files, previous.stats,
                         made=folders | {"pagefind"})

    def _surveyed(self) -> Survey | None:
        """What the survey started with this staged site found (see fast/spare.py: `survey`)."""
        survey, self.survey = self.survey, None
        assert survey is not None  # (started whenever there is a spare to take)
        return survey.result()

    def reusable_keys(self) -> dict[str, str]:
        """The last build's keys of the files still as it left them (only those can be linked again)."""
        previous = self.previous
        if self.folder is None:
            self._recycle()  # (the inodes below are then the survey's)
        if not previous:
            return {}
        if self.inodes is None:
            self.inodes = intact_inodes(os.fspath(self.out), previous.keys, previous.stats)
        keys = previous.keys
        return {rel: keys[rel] for rel in self.inodes}

    def make(self, artifacts: tuple, keys: dict[str, str]) -> Made:
        made = make(artifacts, keys, self.sink)
        self.hashes.update(made.hashes)
        self.linked |= made.linked
        return made

    def link_reused(self, made: Made) -> None:
        """Link the files not made again (their keys unchanged) from the published site."""
        if not self.previous:
            return
        files = self.previous.files
        reuse = {rel: files[rel] for rel in made.reused}
        if self.kept:
            refill(self.folder, self.out, reuse, self.kept, self.inodes, self.hashes, self.linked, self.sink.made)
        else:
            fill(self.folder, self.out, {}, reuse, self.hashes, self.linked, self.sink.made)

    def index_early(self, site: Plan) -> bool:
        """Whether the search index should be made while the other files are: a rebuild with few shards to
        make (a whole index is made after them: its processes and the forked makers would share the cores)."""
        return self.previous is not None and shards_to_make(site.indexed, self._last_index(site)) < (os.cpu_count() or 1)

    def index(self, site: Plan, config: Config) -> Indexed:
        return build_index(self.folder, config, site.indexed, previous=self._last_index(site), rows=site.rows,
                           set_aside=lambda folder: self.aside.append(set_aside(folder, self.out)))

    def _last_index(self, site: Plan) -> Previous | None:
        previous = self.previous
        if previous is None:
            return None
        changed = frozenset(rel for rel in site.indexed if rel in self.hashes and previous.files.get(rel) != self.hashes[rel])
        return Previous(self.out / "pagefind", previous.indexed, changed, self.out)

    def changed(self) -> int:
        files = self.previous.files if self.previous else {}
        return sum(1 for rel, h in self.hashes.items() if files.get(rel) != h)

    def publish(self, made_from: str, keys: dict[str, str], indexed: tuple[str, ...], inputs: str,
                diags: list[Diagnostic], summary: dict[str, int], remove_old_later: bool,
                steady: list[str] | None = None) -> Manifest:
        """Put the staged site in place of the published one; its manifest, for the next build."""
        if self.ahead:
            self.ahead.prune(self.hashes)
        if self.kept:
            remove_stale(self.folder, self.kept, self.hashes)
        try:  # made first for a site with courses (see `output.top_of_tree`); left out of one without
            os.rmdir(self.folder / "courses")
        except OSError:  # (it has files, or was never made)
            pass
        previous = self.previous
        # renames keep them: these are the published files' stats
        stats = file_stats(self.folder, self.hashes, previous.stats if previous else None, self.linked)
        manifest = Manifest(made_from, self.hashes, keys, list(indexed), stats, inputs,
                            [dataclasses.asdict(d) for d in diags], summary, steady=steady or [])
        mark(self.folder, manifest.token)
        old = publish(self.folder, self.out, remove_old_later, also=self.aside, keep_old=self.recycle)
        self._published = True
        if old is None or not self._spare_from(old, manifest.token, remove_old_later):
            return manifest
        kept = dataclasses.replace(manifest, spare=manifest.token)
        kept.__dict__["token"] = manifest.token  # (the spare is not part of it)
        return kept

    def _spare_from(self, old: Path, token: str, remove_old_later: bool) -> bool:
        """Keep the next build's spare, the published site's image (fast/spare.py): the replaced site `old`
        made into it when most of its files are the published ones; else, from a command, made into it by a
        process of its own (its folders kept). False when there will be none (`old` is then removed)."""
        out = self.out.resolve()
        made = self.hashes.keys() - self.linked
        if len(made) * 2 <= len(self.hashes):
            gone = (self.previous.files.keys() if self.previous else set()) - self.hashes.keys()
            try:
                convert(old, out, made, gone)
                mark(old, token)
                if keep_spare(old, out):
                    return True
            except OSError:
                pass
        elif remove_old_later and start_maker(out, token, replaced=old):
            return True
        remove([old], later=remove_old_later)
        return False

    def keep_a_spare(self) -> str:
        """For a build that publishes nothing (the site is as its content says): what earlier builds left beside
        the output removed, and the published site's spare made again if one of them took it and was stopped
        (from a command, by a process of its own); the token the spare will carry, or ""."""
        out, previous = self.out.resolve(), self.previous
        wait_for_maker(out)
        recover(out, later=self.clean_later)
        if previous is None or has_spare(out, previous.spare):
            return previous.spare if previous else ""
        return previous.token if self.clean_later and start_maker(out, previous.token) else ""

    def discard(self) -> None:
        """Remove what was staged (nothing, once published; a spare not taken yet stays one)."""
        if self.survey:
            self.survey.cancel()
            self.survey = None
        if self.folder is None:
            return
        if self.ahead:
            self.ahead.stop()
        if not self._published:
            discard(self.folder)
            remove(self.aside)
            self.aside = []
            self._published = True  # (discarded: never twice)


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
