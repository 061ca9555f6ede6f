"""Output: write the site next to the old one, then swap it in, so a failed or killed build loses nothing."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from contextlib import contextmanager
from typing import ClassVar, Iterator, Mapping, Sequence

try:
    import fcntl
except ImportError:  # not a Unix: builds into the same folder are not kept apart
    fcntl = None  # type: ignore[assignment]

from generator.content.config import PACKAGE_THEMES
from generator.diagnostics import UsageError, display_path
from generator.engine.cache import CACHE_DIR

from generator.fast.files import MARKER, exchange, link_file, remove_later, top_of_tree
from generator.fast.spare import clear, maker_paths, spare_path

log = logging.getLogger(__name__)



def check_destination(out: Path, source: Path) -> None:
    """Refuse an output folder that holds the site, lies inside its content, theme or cache (the output would
    be read back as input), is a file, or is a folder this tool did not write."""
    out = out.resolve()
    src = source.resolve()
    if out == src or src.is_relative_to(out) or (src / "content").resolve().is_relative_to(out):
        raise UsageError(f"--out {display_path(out)} would replace the site's own files; choose another folder")
    for folder, what in ((src / "content", "the site's content"), (src / "themes", "the site's themes"),
                         (PACKAGE_THEMES, "the generator's themes"), (src / CACHE_DIR, "the site's cache")):
        if out.is_relative_to(folder.resolve()):
            raise UsageError(f"--out {display_path(out)} is inside {what} folder {display_path(folder)}: "
                             "choose a folder outside it, like output/")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {display_path(out)} is a file, not a folder: choose a folder")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"{display_path(out)} exists and was not written by this tool: remove it or choose "
                         "another --out")


@contextmanager
def locked(out: Path) -> Iterator[None]:
    """Hold the lock on builds into `out` for the block: a second build waits, so neither removes the other's
    staged site as a leftover. The lock file sits beside `out` (which is swapped whole) and is removed when
    the block ends; the folder it is in is made if missing."""
    out = out.resolve()
    path = out.parent / f".{out.name}.lock"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {display_path(out)} cannot be made: {_why(exc)}; choose another folder") from exc
    if fcntl is None:
        yield
        return
    fd = _lock(out, path)
    try:
        yield
    finally:
        try:  # removed while still held: a build waiting on this file then sees it gone and locks a new one
            os.unlink(path)
        except OSError:
            pass
        os.close(fd)


def _lock(out: Path, path: Path) -> int:
    """Open and lock the lock file, waiting for a build that holds it; the locked file's descriptor."""
    waited = False
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise UsageError(f"--out {display_path(out)} cannot be written: {_why(exc)}; choose another "
                             "folder") from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not waited:
                    log.warning("another build into %s is running: waiting for it to finish…", display_path(out))
                    waited = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # the build that held it removed it as it finished: lock the file now there


def _same_file(fd: int, path: Path) -> bool:
    try:
        here, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _why(exc: OSError) -> str:
    """Why a folder cannot be made or written, in words."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return f"{display_path(Path(exc.filename))} is a file, not a folder" if exc.filename else "a file is in the way"
    return (exc.strerror or str(exc)).lower()


def recover(out: Path, later: bool = False, keep: Path | None = None) -> None:
    """Finish a swap that a killed build left half done: the previous output comes back. What earlier builds
    left beside the output (but `keep`, this build's) is removed, here or (`later`) by a process of its own (a
    replaced site that the process an earlier command left it to is still removing, say: 7 s of work at a
    hundred thousand files)."""
    if not out.exists():
        old = sorted(out.parent.glob(f".{out.name}.old-*"))
        if old:
            os.replace(old[-1], out)
            log.info("restored the previous output after an interrupted build")
    mine = _maker_names(out) | ({keep.name} if keep else set())
    leftovers = [p for p in out.parent.glob(f".{out.name}.*-*") if p.name not in mine]
    for leftover in leftovers:
        if not leftover.is_dir() or leftover.is_symlink():
            leftover.unlink(missing_ok=True)
    remove([p for p in leftovers if p.is_dir() and not p.is_symlink()], later=later)


def _maker_names(out: Path) -> set[str]:
    """The spare maker's files (fast/spare.py), which it removes itself, or the next build if it died."""
    return {p.name for p in maker_paths(out)}


def write_site(out: Path, files: dict[str, bytes]) -> int:
    """Write every file into a fresh folder beside `out`, then put it in place of `out`. Returns the count."""
    staging = stage(out, files)
    try:
        mark(staging, "")
        publish(staging, out)
    except BaseException:
        discard(staging)
        raise
    return len(files)


def stage(out: Path, files: dict[str, bytes], reuse: dict[str, str] | None = None,
          hashes: dict[str, str] | None = None, linked: set[str] | None = None, folders: Sequence[str] = (),
          clean_later: bool = False) -> Path:
    """Write every file into a new folder beside `out` (same file system, so publishing is a rename).

    `reuse` names files of the current output to keep as they are, by their content hash. They are
    hard-linked, never modified (a new build only ever creates new files), so the current output stays
    intact until the swap; a rendered file with the same bytes as its predecessor is linked the same way,
    which keeps its modification time. `folders` are the site's big top-level folders, made first (see
    `top_of_tree`). With `clean_later`, what earlier builds left is removed by a process of its own (`recover`).
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out, later=clean_later)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        if top_of_tree(staging):
            for name in folders:  # made under a name of chance, then renamed (see top_of_tree)
                made = tempfile.mkdtemp(prefix=".", dir=staging)
                os.chmod(made, 0o755)
                os.rename(made, staging / name)
        fill(staging, out, files, reuse, hashes, linked)
        os.chmod(staging, 0o755)
    except BaseException:
        discard(staging)
        raise
    return staging


def fill(staging: Path, out: Path, files: dict[str, bytes], reuse: dict[str, str] | None = None,
         hashes: dict[str, str] | None = None, linked: set[str] | None = None, made: set[str] | None = None) -> None:
    """Add files to a staged site, linking those that `reuse` keeps from the current output (see `stage`).

    `reuse` must name only files checked to be as the last build left them (`Manifest.intact`). The paths
    of the files linked are added to `linked`; `made` holds the folders already made in the staged site (the
    sink's: a folder is made once). Paths are handled as strings: at tens of thousands of files, pathlib's
    objects cost more than the system calls.
    """
    root, old = os.fspath(staging), os.fspath(out.resolve())
    reuse = reuse or {}
    made = set() if made is None else made
    for rel, data in sorted(files.items()):
        target = _target(root, rel, made)
        digest = content_hash(data)
        if hashes is not None:
            hashes[rel] = digest
        if reuse.get(rel) == digest and link_file(f"{old}/{rel}", target, checked=True):
            if linked is not None:
                linked.add(rel)
            continue
        with open(target, "wb") as f:
            f.write(data)
    for rel, digest in sorted(reuse.items()):
        if rel in files:
            continue
        if not link_file(f"{old}/{rel}", _target(root, rel, made), checked=True):
            raise FileNotFoundError(f"{old}/{rel} disappeared during the build")
        if hashes is not None:
            hashes[rel] = digest
        if linked is not None:
            linked.add(rel)


def refill(staging: Path, out: Path, reuse: dict[str, str], kept: Mapping[str, int], inodes: Mapping[str, int],
           hashes: dict[str, str], linked: set[str], made: set[str]) -> None:
    """`fill` for a staged site recycled from the spare (see fast/spare.py): a file it holds that is the
    published one (the same inode: `kept`, `inodes`) stays; any other is replaced by a link to the published."""
    root, old = os.fspath(staging), os.fspath(out.resolve())
    for rel in [rel for rel in reuse if kept.get(rel, -1) != inodes.get(rel)]:
        clear(staging, rel)
        if not link_file(f"{old}/{rel}", _target(root, rel, made), checked=True):
            raise FileNotFoundError(f"{old}/{rel} disappeared during the build")
    hashes.update(reuse)
    linked.update(reuse)


def move_in(folder: Path, staging: Path, rel: str, made: set[str]) -> None:
    """Move the file at `rel` in `folder` to the same place in a staged site, in place of what is there."""
    path = _target(os.fspath(staging), rel, made)
    clear(staging, rel)
    os.rename(f"{os.fspath(folder)}/{rel}", path)


@dataclass
class Sink:
    """Puts each file into a staged site as soon as it is made, so no process holds the whole site in memory.

    Rendering processes (forked copies of the build) call `put` themselves and send back only its result:
    the file's content hash, and whether the file was linked from the current output (same bytes as the
    last build's file there, which is checked to be as the last build left it) rather than written.
    """

    shared: ClassVar[bool] = True  # it writes to the file system: forked processes may put files into it
    staging: str
    out: str
    files: Mapping[str, str] = field(default_factory=dict)  # the last build's files: path -> content hash
    stats: Mapping[str, list[int]] = field(default_factory=dict)  # and their size and modification time
    made: set[str] = field(default_factory=set)  # folders made so far (by this process)

    def put(self, rel: str, data: bytes | Sequence[bytes]) -> tuple[str, bool]:
        """Put one file into the staged site; (its content hash, linked from the current output).

        `data` is the file's bytes, or a list of pieces to write one after the other (a large file is never
        held whole)."""
        target = _target(self.staging, rel, self.made)
        try:  # never write through a link to the published site: whatever is there is replaced, not changed
            os.unlink(target)
        except FileNotFoundError:
            pass
        except IsADirectoryError:  # (a folder of a recycled site in the way)
            shutil.rmtree(target)
        digest = content_hash(data)
        if self.files.get(rel) == digest and self._intact(rel) and link_file(f"{self.out}/{rel}", target, checked=True):
            return digest, True
        with open(target, "wb") as f:
            if isinstance(data, bytes):
                f.write(data)
            else:
                f.writelines(data)
        return digest, False

    def _intact(self, rel: str) -> bool:
        return unchanged(self.out, rel, self.stats)


def unchanged(out: str, rel: str, stats: Mapping[str, list[int]]) -> bool:
    """True when a published file still has the size and modification time recorded when it was written
    (looked at without following links, so a symbolic link put in its place never is)."""
    try:
        st = os.lstat(f"{out}/{rel}")
    except OSError:
        return False
    return [st.st_size, st.st_mtime_ns] == stats.get(rel)


def inside(rel: str) -> bool:
    """True for a site path that stays inside the site's folder (relative, no `..`, no empty part)."""
    return not (not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in rel.split("/"))
                or "\\" in rel or "\0" in rel)


def _target(root: str, rel: str, made: set[str]) -> str:
    """Where a site path goes in the staged site (its folder made), refusing any path that could leave it."""
    if not inside(rel):
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    folder = rel.rpartition("/")[0]
    if folder and folder not in made:
        make_folder(root, folder, made)
    return f"{root}/{rel}"


def make_folder(root: str, folder: str, made: set[str]) -> None:
    """Make a folder of the staged site, and those of its parents not made yet: one system call per folder
    (`os.makedirs` looks first, then makes: twice as many, at thousands of folders per build)."""
    parent = folder.rpartition("/")[0]
    if parent and parent not in made:
        make_folder(root, parent, made)
    try:
        os.mkdir(f"{root}/{folder}")
    except FileExistsError:
        if not os.path.isdir(f"{root}/{folder}"):  # a file of a recycled site (see fast/spare.py) in the way
            os.unlink(f"{root}/{folder}")
            os.mkdir(f"{root}/{folder}")
    except FileNotFoundError:  # (the root itself is missing)
        os.makedirs(f"{root}/{folder}", exist_ok=True)
    made.add(folder)


def mark(staging: Path, token: str) -> None:
    """Sign a staged site as this tool's, with the token of the manifest that describes it."""
    (staging / MARKER).unlink(missing_ok=True)  # (replaced, never written through)
    (staging / MARKER).write_text(f"Written by the catalogue generator; replaced on every build.\n{token}\n")


def content_hash(data: bytes | Sequence[bytes]) -> str:
    """The hash by which unchanged files are recognised between builds (of a file's bytes, or of its pieces
    one after the other: the same hash)."""
    if isinstance(data, bytes):
        return hashlib.blake2b(data, digest_size=16).hexdigest()
    hashed = hashlib.blake2b(digest_size=16)
    for piece in data:
        hashed.update(piece)
    return hashed.hexdigest()


def publish(staging: Path, out: Path, remove_old_later: bool = False, also: Sequence[Path] = (),
            keep_old: bool = False) -> Path | None:
    """Put a complete staged site in place of `out`, then remove the previous site and the folders `also`
    names (set aside from the staged site while it was made).

    With `keep_old`, the previous site is not removed but returned (for the next build's spare, see
    fast/spare.py); without, the spare there may be is removed too. With `remove_old_later`, what is removed
    (as many files as the site) is removed by a process of its own, started here and not waited for: the
    command that built the site returns as soon as it is in place. Whatever such a process leaves is removed
    by the next build (`recover`).
    """
    out = out.resolve()
    old = _swap(staging, out)
    stale = [spare_path(out)] if not keep_old and spare_path(out).exists() else []
    remove([*([old] if old and not keep_old else []), *stale, *also], later=remove_old_later)
    return old if keep_old else None


def discard(staging: Path) -> None:
    """Remove a staged site that will not be published."""
    shutil.rmtree(staging, ignore_errors=True)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def set_aside(folder: Path, out: Path) -> Path:
    """Move a folder of a staged site out of it, beside `out` (the next build removes what is left there)."""
    target = Path(tempfile.mkdtemp(prefix=f".{out.name}.aside-", dir=out.parent))
    os.replace(folder, target)  # (onto the empty folder just made: a rename replaces an empty folder)
    return target


def remove(folders: Sequence[Path], later: bool = False) -> None:
    """Remove folders, here or (`later`) by a process of their own that is not waited for."""
    if later and folders and remove_later(folders):
        return
    for folder in folders:
        _remove(folder)


def _swap(staging: Path, out: Path) -> Path | None:
    """Put the staged site in place of `out`; the folder that now holds the previous site, if there was one."""
    if not out.exists():
        os.replace(staging, out)
        return None
    if exchange(staging, out):  # one atomic step: `out` is the old site, then the new one, never missing
        return staging  # it holds the old site now
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(out, old)        # a build killed between these two renames is undone by recover()
    os.replace(staging, out)
    return old


class InMemory:
    """A sink that keeps the files made in memory (the live preview writes only those whose bytes changed)."""

    shared: ClassVar[bool] = False  # forked processes could not give their files back

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def put(self, rel: str, data: bytes | Sequence[bytes]) -> tuple[str, bool]:
        whole = data if isinstance(data, bytes) else b"".join(data)
        self.data[rel] = whole
        return content_hash(whole), False


class ServedFolder:
    """A folder being served, updated file by file: each file replaced whole, so a request never reads half."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.hashes: dict[str, str] = {}  # every file written and its content hash

    def update(self, files: Mapping[str, bytes]) -> list[str]:
        """Write the files whose bytes differ from those served; their paths."""
        written = []
        for rel, data in sorted(files.items()):
            digest = content_hash(data)
            if self.hashes.get(rel) != digest:
                target = self.root / rel
                if not inside(rel):
                    raise ValueError(f"refusing to write outside the served folder: {rel!r}")
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                tmp.write_bytes(data)
                tmp.replace(target)
                self.hashes[rel] = digest
                written.append(rel)
        return written

    def remove(self, paths: set[str]) -> list[str]:
        """Remove files no longer served; their paths."""
        for rel in sorted(paths):
            (self.root / rel).unlink(missing_ok=True)
            self.hashes.pop(rel, None)
        return sorted(paths)


@contextmanager
def fresh_folder(root: Path, name: str) -> Iterator[Path]:
    """A new folder beside `root/name`, put in its place (the old one removed) when the block ends without an
    error; removed otherwise."""
    made = root / f".{name}-new"
    shutil.rmtree(made, ignore_errors=True)
    try:
        yield made
    except BaseException:
        shutil.rmtree(made, ignore_errors=True)
        raise
    target = root / name
    if not made.exists():
        return
    if target.exists() and exchange(made, target):
        shutil.rmtree(made, ignore_errors=True)  # (it holds the old folder now)
        return
    old = root / f".{name}-old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    made.rename(target)
    shutil.rmtree(old, ignore_errors=True)

