"""The Pagefind driver: the course pages' search index, made in shards beside the rest of the build.

Shards keep Pagefind's memory small, run in parallel, and let an edit re-index only the shard of the edited
page (the others are linked from the last build); the browser merges them. Each shard is indexed from a folder
of links to its pages, in path order (Pagefind numbers pages in the order it finds them), and read back
before it is published, because Pagefind 1.5 can leave files unwritten. Pagefind only finds and ranks: the
browse table (search/browse.json) filters, counts and sorts in the browser; PAGES maps its rows to Pagefind
ids. Figures: docs/performance.md.
"""
from __future__ import annotations

import asyncio
import errno
import gzip
import hashlib
import json
import logging
import os
import shutil
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Sequence

from generator.content.config import Config
from generator.diagnostics import ContentError, Diagnostic
from generator.content.facets import table_digest
from generator.engine.output import link_file

from generator.fast.programs import command

log = logging.getLogger(__name__)

UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")
# a merged shard needs only its entry file, metadata, index chunks and fragments: the first shard's
# script, worker and wasm serve them all
SCRIPTS = ("pagefind.js", "pagefind-worker.js")
PAGES = "catalogue-pages.json"  # the Pagefind id of each row of the browse table, and the other shards
SHARD_LIST = "shard-pages.json"  # in each shard: its pages' ids and paths (for the next build's PAGES)
SHARD_PAGES = 1500
# Past 4,000 courses shards grow instead: each shard costs a visitor's first search a few more requests
MAX_SHARDS = 8
WORK = ".shards-in-the-making"  # inside the index folder while shards are made; never published


@dataclass(frozen=True)
class Previous:
    """The index of the last build, for reusing the shards none of whose pages changed."""

    folder: Path  # its index folder (pagefind/ of the published site)
    pages: Sequence[str]  # the pages it indexed
    changed: frozenset[str] = field(default_factory=frozenset)  # pages written anew since
    # the published site: an unchanged page not yet linked into the site being indexed is read from here
    site: Path | None = None
    # the pages the site being indexed holds as this build made them (None: all); the others are read from `site`
    written: frozenset[str] | None = None


@dataclass(frozen=True)
class Indexed:
    """What the search stage did: pages in the index, and the shards made anew (the others were reused)."""

    pages: int
    shards: int
    made: tuple[int, ...]


def shards(pages: Sequence[str]) -> list[list[str]]:
    """The indexed pages, split into shards by a hash of each path, so a page stays in its shard as others come
    and go (until the number of shards changes). No shard is empty (Pagefind cannot merge an empty index),
    unless there is no page at all."""
    count = max(1, min(MAX_SHARDS, -(-len(pages) // SHARD_PAGES)))
    groups: list[list[str]] = [[] for _ in range(count)]
    for page in sorted(pages):
        groups[int.from_bytes(hashlib.blake2b(page.encode(), digest_size=8).digest(), "big") % count].append(page)
    return [group for group in groups if group] or [[]]


def shards_to_make(pages: Sequence[str], previous: Previous | None) -> int:
    """How many shards an index of these pages needs anew (the others can be linked from the last build's)."""
    groups = shards(pages)
    return len(groups) - len(_reusable(groups, previous))


def shard_folder(index: Path, k: int) -> Path:
    """Where shard k lives: the first shard is the index folder itself, the others are numbered inside it."""
    return index if k == 0 else index / "shards" / str(k)


def build_index(site: Path, config: Config, pages: Sequence[str], folder: str = "pagefind",
                previous: Previous | None = None, rows: Sequence[str] = (),
                set_aside: Callable[[Path], None] | None = None) -> Indexed:
    """Index the given pages of a written site into site/<folder>/, reusing the last build's unchanged shards.

    `rows` are the paths of the browse table's rows (search/browse.json), in order: PAGES gives the Pagefind
    id of each, so the browser can go from a search result to its row. The folder of page links the shards
    were made from is removed, or given to `set_aside` to move out of the site (removing it is slow: a folder
    per page).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        runner = asyncio.run
    else:  # called from inside an event loop (a server, a test browser): run ours on its own thread
        def runner(coroutine):  # noqa: ANN001, ANN202
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(asyncio.run, coroutine).result()
    index = site / folder
    groups = shards(pages)
    try:
        reused = runner(_make_index(site, index, config, groups, previous))
    except Exception as exc:  # noqa: BLE001 — the service's failures reach us in many shapes
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise  # a full disk, not a problem of the content
        raise ContentError([Diagnostic("pagefind", message=f"the search index could not be built: {exc}",
                                       code="search")]) from exc
    finally:
        if set_aside and (index / WORK).is_dir():
            set_aside(index / WORK)
        else:
            shutil.rmtree(index / WORK, ignore_errors=True)
    paths = _page_paths(index, groups)
    ids = {path: id_ for id_, path in paths.items()}
    # ids in the table's row order, with the table's digest: a third of the size of ids with their paths
    listing = {"shards": [f"shards/{k}/" for k in range(1, len(groups))], "table": table_digest(rows),
               "ids": [ids.get(row) for row in rows]}
    data = json.dumps(listing, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    if not (previous and _same_bytes(previous.folder / PAGES, data) and link_file(previous.folder / PAGES, index / PAGES)):
        (index / PAGES).write_bytes(data)
    return Indexed(len(paths), len(groups), tuple(k for k in range(len(groups)) if k not in reused))


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


async def _make_index(site: Path, index: Path, config: Config, groups: list[list[str]],
                      previous: Previous | None) -> set[int]:
    """Make the shards that changed while the unchanged ones are linked from the last build (Pagefind works in
    processes of its own meanwhile); a shard that cannot be linked is made too. Returns the shards linked."""
    reusable = _reusable(groups, previous)
    published = (previous.site, previous.written) if previous else None
    linking = asyncio.to_thread(_link_shards, index, reusable, previous)
    making = _make_shards(site, index, config, {k: g for k, g in enumerate(groups) if k not in reusable}, published)
    linked, _ = await asyncio.gather(linking, making)
    if reusable - linked:
        await _make_shards(site, index, config, {k: groups[k] for k in sorted(reusable - linked)}, published)
    return linked


def _reusable(groups: list[list[str]], previous: Previous | None) -> set[int]:
    """The shards whose pages are the last build's, none of them changed since."""
    before = shards(previous.pages) if previous else []
    if len(before) != len(groups):
        return set()
    return {k for k, group in enumerate(groups) if group == before[k] and previous.changed.isdisjoint(group)}


def _link_shards(index: Path, reusable: set[int], previous: Previous | None) -> set[int]:
    """Link the given shards of the last build's index; the ones linked (a failed one is cleared away)."""
    linked = set()
    for k in sorted(reusable):
        target = shard_folder(index, k)
        if previous and _link_shard(shard_folder(previous.folder, k), target):
            linked.add(k)
        else:
            _clear_shard(target, k)
    return linked


def _clear_shard(folder: Path, k: int) -> None:
    """Remove what a failed link left of a shard (the first shard's folder also holds the others: not those)."""
    if k:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry.is_dir() and entry.name in ("index", "fragment"):
            shutil.rmtree(entry, ignore_errors=True)
        elif entry.is_file():
            entry.unlink(missing_ok=True)


def _link_shard(source: Path, target: Path) -> bool:
    """Hard-link one shard's files (not the other shards inside the first one's folder); False if any is missing."""
    if not (source / "pagefind-entry.json").is_file() or source.is_symlink():
        return False
    try:
        for entry in os.scandir(source):
            if entry.is_file(follow_symlinks=False) and entry.name != PAGES:  # (made anew by every build)
                target.mkdir(parents=True, exist_ok=True)
                if not link_file(Path(entry.path), target / entry.name):
                    return False
            elif entry.is_dir(follow_symlinks=False) and entry.name in ("index", "fragment"):
                (target / entry.name).mkdir(parents=True, exist_ok=True)
                for file in os.scandir(entry.path):
                    if not link_file(Path(file.path), target / entry.name / file.name):
                        return False
    except OSError:
        return False
    return True


async def _make_shards(site: Path, index: Path, config: Config, groups: dict[int, list[str]],
                       published: tuple[Path | None, frozenset[str] | None] | None) -> None:
    """Write the given shards, up to twice as many at a time as there are cores: a Pagefind process does not
    keep a core busy all the time."""
    if not groups:
        return
    limit = asyncio.Semaphore(max(1, min(len(groups), 2 * (os.cpu_count() or 1))))

    async def one(k: int, pages: list[str]) -> None:
        async with limit:
            view, written = index / WORK / f"view-{k}", index / WORK / f"out-{k}"
            await _index(view, written, config, _link_view(site, view, pages, *(published or (None, None))))
            problem, paths = await asyncio.to_thread(_read_back, written)
            for _ in range(ATTEMPTS - 1):
                if problem is None:
                    break
                # (said, not warned: the index made again is whole, and nothing needs doing)
                log.info("search index shard %d: %s; making it again", k, problem)
                await asyncio.to_thread(shutil.rmtree, written, True)
                await _index(view, written, config, asyncio.sleep(0))
                problem, paths = await asyncio.to_thread(_read_back, written)
            if problem is not None:
                raise RuntimeError(f"Pagefind left the index incomplete ({problem}), {ATTEMPTS} times")
            _write_shard_list(written, paths)
            await asyncio.to_thread(_place, written, shard_folder(index, k), k)

    await asyncio.gather(*(one(k, pages) for k, pages in groups.items()))


ATTEMPTS = 3  # times a shard is made before the build gives up on it


def _read_back(written: Path) -> tuple[str | None, dict[str, str]]:
    """What is missing from a shard Pagefind said it wrote (None when it is whole), and its pages' ids and paths.

    Pagefind 1.5 writes its files through asynchronous writes it does not flush, and its service process can
    be stopped before the last of them land: the files are there, empty (before `_landed`, pagefind.js,
    pagefind-entry.json and a wasm file were once published so). So every file is read back: none may be
    empty, the compressed ones must decompress whole, the entry file must be JSON. The fragments read give
    the shard's page list on the way (see `page_paths`).
    """
    paths: dict[str, str] = {}
    for path in sorted(written.rglob("*")):
        if not path.is_file() or path.name in UNUSED:
            continue
        name = path.relative_to(written).as_posix()
        data = path.read_bytes()
        if not data:
            return f"{name} is empty", {}
        if path.suffix in (".pf_fragment", ".pf_index", ".pf_meta", ".pf_filter", ".pagefind"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error):
                return f"{name} is cut short", {}
            if path.suffix == ".pf_fragment":
                paths[path.stem] = _fragment_path(data)
    try:
        json.loads((written / "pagefind-entry.json").read_bytes())["languages"]
    except (OSError, ValueError, KeyError, TypeError):
        return "pagefind-entry.json cannot be read", {}
    return None, paths


async def _link_view(site: Path, view: Path, pages: list[str], published: Path | None = None,
                     written: frozenset[str] | None = None) -> None:
    """A folder holding just this shard's pages, at their paths in the site (links: nothing is copied), made in
    path order.

    A page this build did not write (not in `written`, when given), or not (yet) in the site, is an unchanged
    one, linked from the published site: so a rebuild can index its changed pages while the unchanged ones are
    still being linked into the new site (a site taken over from the spare may hold another file there until
    then). Made by a process of its own: a thread of this one, making a link at a time, waited for Python's
    lock after each while the build's thread made the other files.
    """
    maker = await asyncio.create_subprocess_exec(
        *command("link_pages", os.fspath(view), os.fspath(site), os.fspath(published or "")),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    tagged = ("s" + page if written is None or page in written or not published else "p" + page for page in pages)
    _, problem = await maker.communicate("\0".join(tagged).encode("utf-8", "surrogateescape"))
    if maker.returncode:
        raise RuntimeError(f"the pages of a search index shard could not be gathered: "
                           f"{problem.decode(errors='replace').strip().splitlines()[-1:] or maker.returncode}")


async def _index(view: Path, written: Path, config: Config, linking: Awaitable[None]) -> None:
    """Index the pages of a view into `written`; `linking` makes the view, meanwhile Pagefind starts.

    The index is written before the service is closed, and closed only once every file it wrote has landed
    (see `_landed`): closing stops Pagefind's process at once.
    """
    from pagefind.service import PagefindService  # imported late: check never needs it

    linked = asyncio.ensure_future(linking)
    # One language for the whole index: a Czech course must be found from the English search box.
    options = {"force_language": config.language, "output_path": str(written)}
    try:
        async with PagefindService() as service:
            index = await service.create_index(options)
            await linked
            await index.add_directory(str(view), glob="**/index.html")
            await index.write_files()
            await _landed(written)
    finally:
        if not linked.done():  # Pagefind failed to start: let the links finish before the view is removed
            await asyncio.wait([linked])


LANDING = 10.0  # seconds a shard's files are waited for, at most (then the read-back finds what is missing)


async def _landed(written: Path, wait: float = LANDING) -> None:
    """Wait until no file Pagefind wrote is empty.

    Pagefind 1.5 writes each file through an asynchronous write it does not wait for (tokio's `write_all`,
    not flushed): it says the index is written while the last writes are still queued, and the Python
    wrapper's `close` stops its process at once (SIGTERM). Under load some were lost: pagefind-entry.json
    and the wasm file left empty (seen in about one build in three with three shards made at once). A
    queued write lands whole (each file is one write of under 2 MiB), so a shard whose files are all
    non-empty is complete; the read-back after still checks every file.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    pending = await asyncio.to_thread(_empty_files, written)
    while pending and loop.time() < deadline:
        await asyncio.sleep(0.005)
        pending = [path for path in pending if _size(path) == 0]
    if pending:
        log.debug("search index: %d files still empty after %.0f s", len(pending), wait)


def _empty_files(folder: Path) -> list[str]:
    empty, stack = [], [os.fspath(folder)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.stat(follow_symlinks=False).st_size == 0:
                    empty.append(entry.path)
    return empty


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _place(written: Path, target: Path, k: int) -> None:
    """Move a written shard into the index; the catalogue uses its own interface, not Pagefind's bundled UIs."""
    for name in UNUSED + (SCRIPTS + tuple(p.name for p in written.glob("wasm.*.pagefind")) if k else ()):
        (written / name).unlink(missing_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    for entry in written.iterdir():
        os.replace(entry, target / entry.name)


def _page_paths(index: Path, groups: list[list[str]]) -> dict[str, str]:
    """Each indexed page's Pagefind id and its path in the site (as in search/browse.json: no leading slash).

    Each shard keeps its own list (SHARD_LIST, not fetched by browsers), made from its fragments when the
    shard is made (as they are read back): a reused shard's comes with it.
    """
    paths: dict[str, str] = {}
    for k in range(len(groups)):
        folder = shard_folder(index, k)
        shard = _shard_list(folder)
        if shard is None:
            shard = page_paths(folder)
            _write_shard_list(folder, shard)
        paths.update(shard)
    return paths


def _write_shard_list(folder: Path, paths: dict[str, str]) -> None:
    (folder / SHARD_LIST).write_text(json.dumps(paths, sort_keys=True, separators=(",", ":")), encoding="utf-8")


def _shard_list(folder: Path) -> dict[str, str] | None:
    """A linked shard's own list of its pages, or None when it cannot be read."""
    try:
        return json.loads((folder / SHARD_LIST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def page_paths(shard: Path) -> dict[str, str]:
    """Each page of one shard: its Pagefind id and its path in the site.

    Pagefind names each page's fragment file by the page's id; the fragment gives the page's URL.
    """
    paths: dict[str, str] = {}
    for fragment in (shard / "fragment").glob("*.pf_fragment"):
        paths[fragment.stem] = _fragment_path(gzip.decompress(fragment.read_bytes()))
    return paths


def _fragment_path(data: bytes) -> str:
    """The site path of a page, from its decompressed fragment."""
    return json.loads(data[data.index(b"{"):])["url"].lstrip("/")
