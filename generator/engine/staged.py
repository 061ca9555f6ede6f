"""The staged site: the new site made beside the published one, from the site the last build replaced (the
spare) or from nothing, then put in its place (docs/performance.md, "The spare site")."""
from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Callable

from generator.content.config import Config
from generator.diagnostics import Diagnostic
from generator.engine.artifact import Made, Work, make_work, to_make
from generator.engine.manifest import Manifest, file_stats
from generator.engine.output import Sink, discard, fill, inside, mark, move_in, publish, recover, refill, remove, \
    set_aside, stage
from generator.fast.folders import FoldersAhead
from generator.fast.pagefind import Indexed, Previous, build_index, shards_to_make
from generator.fast.parallel import PARALLEL_FROM, Ahead, forked_job
from generator.fast.spare import Survey, convert, has_spare, intact_inodes, keep_spare, making_spare, \
    remove_stale, start_maker, survey_spare, take_spare, wait_for_maker
from generator.site.routes import Plan


class StagedSite:
    """A new site being made beside the published one: the files made and linked so far, the search index's
    working folder set aside, and for a rebuild the site the last build replaced, taken over (`recycle`,
    fast/spare.py), or else the last build's folders made ahead. A rebuild with little to make while that
    site is still being made the published one's image makes its files in a folder of their own meanwhile,
    moved in once it is ready (`_land`)."""

    def __init__(self, out: Path, previous: Manifest | None, recycle: bool = False, clean_later: bool = False) -> None:
        self.out, self.previous, self.recycle, self.clean_later = out, previous, recycle, clean_later
        self.hashes: dict[str, str] = {}
        self.linked: set[str] = set()
        self.aside: list[Path] = []
        self.kept: dict[str, int] = {}    # a recycled site's files (fast/spare.py): path → inode
        self.inodes: dict[str, int] | None = None  # the published files' inodes, of those that can be reused
        self._published = False
        self.folder: Path | None = None
        self.folders: FoldersAhead | None = None
        self.survey: Ahead[Survey | None] | None = None
        self.early_inodes: Ahead[dict[str, int]] | None = None  # `inodes`, found while the spare is being made
        self.waiting: dict[str, str] | None = None  # made ahead of the spare: the files to link into it
        self.ahead: set[str] = set()                      # and the files made meanwhile
        resolved = out.resolve()
        if previous and recycle and (making_spare(resolved) or has_spare(resolved, previous.spare)):
            # what of the published site and of its spare is as left: found while the content is read, once the
            # spare is made (a rebuild with a spare takes it over once something is to be made: `_recycle`)
            self.survey = forked_job(functools.partial(survey_spare, os.fspath(resolved), previous.keys,
                                                       previous.stats, previous.spare))
            if making_spare(resolved):  # the published files, without waiting for the spare (`_make_ahead`)
                self.early_inodes = forked_job(functools.partial(intact_inodes, os.fspath(resolved),
                                                                 previous.keys, previous.stats))
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
        self.folders = FoldersAhead(self.folder, folders) if previous else None
        self.sink = Sink(os.fspath(self.folder), os.fspath(out.resolve()), previous.files if previous else {},
                         previous.stats if previous else {})

    def _recycle(self) -> None:
        """Take the spare over as the staged site (see fast/spare.py)."""
        previous, out = self.previous, self.out
        self._cancel_early_inodes()
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

    def _make_ahead(self) -> None:
        """Make the files in a folder of their own while the spare is being made (`_land` moves them into it)."""
        out = self.out.resolve()
        self.folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        os.chmod(self.folder, 0o755)  # (published as it is if there is no spare after all)
        os.mkdir(self.folder / "pagefind")
        self.waiting = {}
        self.sink = Sink(os.fspath(self.folder), os.fspath(out), self.previous.files, self.previous.stats)

    def _land(self) -> None:
        """Once the spare is made, take it over and move into it what was made ahead of it (`_make_ahead`),
        then link the files kept from the published site; with no spare after all, link them all here."""
        ahead, waiting, out = self.folder, self.waiting or {}, self.out.resolve()
        self.waiting = None
        found = self._surveyed()
        recover(out, later=self.clean_later, keep=ahead)
        taken = take_spare(out, self.previous.spare) if found else None
        if found is None or taken is None:
            fill(ahead, self.out, {}, waiting, made=self.sink.made)
            return
        if (taken / "pagefind").is_dir():
            self.aside.append(set_aside(taken / "pagefind", self.out))
        os.replace(ahead / "pagefind", taken / "pagefind")
        made = found.spare_folders | {"pagefind"}
        for rel in sorted(self.ahead):
            move_in(ahead, taken, rel, made)
        self.folder, self.kept = taken, found.spare_files
        refill(taken, self.out, waiting, self.kept, self.inodes, self.hashes, self.linked, made)
        discard(ahead)

    def _cancel_early_inodes(self) -> None:
        if self.early_inodes:
            self.early_inodes.cancel()
            self.early_inodes = None

    def _surveyed(self) -> Survey | None:
        """What the survey started with this staged site found (see fast/spare.py: `survey`)."""
        survey, self.survey = self.survey, None
        assert survey is not None  # (started whenever there is a spare to take)
        return survey.result()

    def reusable_keys(self) -> dict[str, str]:
        """The last build's keys of the files still as it left them (only those can be linked again)."""
        previous = self.previous
        if self.folder is None and self.early_inodes and making_spare(self.out.resolve()):
            self.inodes = self.early_inodes.result()  # (the staged site is chosen by the first `make`)
            self.early_inodes = None
        elif self.folder is None:
            self._recycle()  # (the inodes below are then the survey's)
        if not previous:
            return {}
        if self.inodes is None:
            self.inodes = intact_inodes(os.fspath(self.out), previous.keys, previous.stats)
        keys = previous.keys
        return {rel: keys[rel] for rel in self.inodes}

    def make(self, artifacts: tuple, keys: dict[str, str], then: Callable[[], object] | None = None) -> Made:
        """Make the artifacts whose key is not in `keys` into the staged site (chosen the first time). `then` is
        called once the search index's pages are made: when there are few files to make (an edit's), those first,
        so that the index can be made while the rest are."""
        work = to_make(artifacts, keys)
        few = len(work.todo) < PARALLEL_FROM
        if self.folder is None:  # a spare is being made: few files are made ahead of it, many into it
            if few and making_spare(self.out.resolve()):
                self._make_ahead()
            else:
                self._recycle()
        if then is None:
            return self._make(work)
        if not few:
            made = self._make(work)
            then()
            return made
        indexed, rest = work.split(lambda artifact: artifact.indexed)
        made = self._make(indexed)
        then()
        return made.joined(self._make(rest))

    def _make(self, work: Work) -> Made:
        made = make_work(work, self.sink)
        self.hashes.update(made.hashes)
        self.linked |= made.linked
        if self.waiting is not None:
            self.ahead.update(made.put)
        return made

    def link_reused(self, made: Made) -> None:
        """Link the files not made again (their keys unchanged) from the published site."""
        if not self.previous:
            return
        files = self.previous.files
        reuse = {rel: files[rel] for rel in made.reused}
        if self.waiting is not None:  # (linked once the spare is made: `_land`)
            self.waiting.update(reuse)
            self.hashes.update(reuse)
            self.linked.update(reuse)
        elif self.kept:
            refill(self.folder, self.out, reuse, self.kept, self.inodes, self.hashes, self.linked, self.sink.made)
        else:
            fill(self.folder, self.out, {}, reuse, self.hashes, self.linked, self.sink.made)

    def index_beside(self, pool: Executor, site: Plan, config: Config) -> Future[Indexed] | None:
        """The search index made on `pool` while the other files are, once its pages are made: for a rebuild
        with few shards to make (a whole index is made after them: its processes and the forked makers would
        share the cores); else None."""
        last = self._last_index(site)
        if last is None or shards_to_make(site.indexed, last) >= (os.cpu_count() or 1):
            return None
        return pool.submit(self._index, site, config, last)

    def index(self, site: Plan, config: Config) -> Indexed:
        return self._index(site, config, self._last_index(site))

    def _index(self, site: Plan, config: Config, last: Previous | None) -> Indexed:
        return build_index(self.folder, config, site.indexed, previous=last, rows=site.rows,
                           set_aside=lambda folder: self.aside.append(set_aside(folder, self.out)))

    def _last_index(self, site: Plan) -> Previous | None:
        previous = self.previous
        if previous is None:
            return None
        written = frozenset(rel for rel in site.indexed if rel in self.hashes)
        changed = frozenset(rel for rel in written if previous.files.get(rel) != self.hashes[rel])
        return Previous(self.out / "pagefind", previous.indexed, changed, self.out, written)

    def changed(self) -> int:
        files = self.previous.files if self.previous else {}
        return sum(1 for rel, h in self.hashes.items() if files.get(rel) != h)

    def publish(self, made_from: str, keys: dict[str, str], indexed: tuple[str, ...], inputs: str,
                diags: list[Diagnostic], summary: dict[str, int], remove_old_later: bool,
                steady: list[str] | None = None) -> Manifest:
        """Put the staged site in place of the published one; its manifest, for the next build."""
        if self.waiting is not None:
            self._land()
        if self.folders:
            self.folders.prune(self.hashes)
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
        self._cancel_early_inodes()
        if self.folder is None:
            return
        if self.folders:
            self.folders.stop()
        if not self._published:
            discard(self.folder)
            remove(self.aside)
            self.aside = []
            self._published = True  # (discarded: never twice)
