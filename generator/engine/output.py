"""Output: write the site next to the old one, then swap it in, so a failed or killed build loses nothing."""
from __future__ import annotations

import ctypes
import errno
import hashlib
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from generator.diagnostics import UsageError, display_path

log = logging.getLogger(__name__)

MARKER = ".catalogue-output"  # marks a folder this tool wrote, so it never replaces anything else


def check_destination(out: Path, source: Path) -> None:
    """Refuse to replace a folder that is not a previous build (or that holds the content)."""
    out = out.resolve()
    src = source.resolve()
    if out == src or src.is_relative_to(out) or (src / "content").resolve().is_relative_to(out):
        raise UsageError(f"--out {display_path(out)} would replace the site's own files; choose another folder")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise UsageError(f"{display_path(out)} exists and was not written by this tool: remove it or choose "
                         "another --out")


def recover(out: Path) -> None:
    """Finish a swap that a killed build left half done: the previous output comes back."""
    if not out.exists():
        old = sorted(out.parent.glob(f".{out.name}.old-*"))
        if old:
            os.replace(old[-1], out)
            log.info("restored the previous output after an interrupted build")
    for leftover in out.parent.glob(f".{out.name}.*-*"):
        shutil.rmtree(leftover, ignore_errors=True)


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
          hashes: dict[str, str] | None = None, linked: set[str] | None = None, folders: Sequence[str] = ()) -> Path:
    """Write every file into a new folder beside `out` (same file system, so publishing is a rename).

    `reuse` names files of the current output to keep as they are, by their content hash. They are
    hard-linked, never modified (a new build only ever creates new files), so the current output stays
    intact until the swap; a rendered file with the same bytes as its predecessor is linked the same way,
    which keeps its modification time. `folders` are the site's big top-level folders, made first (see
    `top_of_tree`).
    """
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
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


# FS_IOC_GETFLAGS, FS_IOC_SETFLAGS and FS_TOPDIR_FL, from <linux/fs.h> (the ioctl numbers of 64-bit Linux)
_GET_FLAGS, _SET_FLAGS, _TOP_DIRECTORY = 0x80086601, 0x40086602, 0x00020000


def top_of_tree(folder: Path) -> bool:
    """Mark a new folder as the top of a tree of its own (what `chattr +T` does), where the file system allows.

    A build makes a site of some 20,000 files and folders at 4,000 courses. On ext4 without a journal (the
    project's machine) making a file costs a scan past the files deleted nearby in the last minute or so,
    and without the mark, every file of the site goes beside the files of its output folder's neighbours:
    other builds, tools, tests, all deleting. With the mark, ext4 places each folder made in it as it places
    a disk's top-level folders: in the part of the disk with the fewest folders, looked for from a point a
    hash of the folder's name gives. A fixed name would find the same part every time, and it is emptiest
    just after the last build there was deleted: so the site's big folders are made under names of chance
    (`stage`), then renamed. Cold builds right after another tool's build took 14-18 s, 8-16 s of it in the
    kernel; marked, 11-12 s, 3 s in the kernel. False where the request is refused or not understood (other
    file systems, other systems): nothing else changes.
    """
    try:
        import fcntl
        import struct
    except ImportError:  # not a Unix
        return False
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False
    try:
        flags = struct.unpack("l", fcntl.ioctl(fd, _GET_FLAGS, struct.pack("l", 0)))[0]
        fcntl.ioctl(fd, _SET_FLAGS, struct.pack("l", flags | _TOP_DIRECTORY))
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


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


@dataclass
class Sink:
    """Puts each file into a staged site as soon as it is made, so no process holds the whole site in memory.

    Rendering processes (forked copies of the build) call `put` themselves and send back only its result:
    the file's content hash, and whether the file was linked from the current output (same bytes as the
    last build's file there, which is checked to be as the last build left it) rather than written.
    """

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
        if not os.path.isdir(f"{root}/{folder}"):
            raise
    except FileNotFoundError:  # (the root itself is missing)
        os.makedirs(f"{root}/{folder}", exist_ok=True)
    made.add(folder)


def mark(staging: Path, token: str) -> None:
    """Sign a staged site as this tool's, with the token of the manifest that describes it."""
    (staging / MARKER).write_text(f"Written by the catalogue generator; replaced on every build.\n{token}\n")


def marker_token(out: Path) -> str | None:
    """The manifest token of a published site, if it has one."""
    try:
        lines = (out / MARKER).read_text().splitlines()
    except OSError:
        return None
    return lines[1] if len(lines) > 1 else None


def content_hash(data: bytes | Sequence[bytes]) -> str:
    """The hash by which unchanged files are recognised between builds (of a file's bytes, or of its pieces
    one after the other: the same hash)."""
    if isinstance(data, bytes):
        return hashlib.blake2b(data, digest_size=16).hexdigest()
    hashed = hashlib.blake2b(digest_size=16)
    for piece in data:
        hashed.update(piece)
    return hashed.hexdigest()


def link_file(source: str | Path, target: str | Path, checked: bool = False) -> bool:
    """Hard-link a file of the current output into the staging folder (a copy where links are refused).

    Unless `checked` (its size and time compared with the manifest's, without following links), the source
    is first made sure to be a plain file: a link to the published site must never carry a symbolic link.
    """
    try:
        if not checked and not stat.S_ISREG(os.lstat(source).st_mode):
            return False
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
        return True
    except OSError:
        return False


def publish(staging: Path, out: Path, remove_old_later: bool = False, also: Sequence[Path] = ()) -> None:
    """Put a complete staged site in place of `out`, then remove the previous site and the folders `also`
    names (set aside from the staged site while it was made).

    With `remove_old_later`, they (as many files as the new site) are removed by a process of their own,
    started here and not waited for: the command that built the site returns as soon as it is in place.
    Whatever such a process leaves is removed by the next build (`recover`).
    """
    old = _swap(staging, out.resolve())
    remove([*([old] if old else []), *also], later=remove_old_later)


def discard(staging: Path) -> None:
    """Remove a staged site that will not be published."""
    shutil.rmtree(staging, ignore_errors=True)


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _remove_later(folders: Sequence[Path]) -> None:
    try:
        subprocess.Popen([sys.executable, "-c",
                          "import shutil, sys\nfor f in sys.argv[1:]: shutil.rmtree(f, ignore_errors=True)",
                          *map(os.fspath, folders)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        remove(folders)


def set_aside(folder: Path, out: Path) -> Path:
    """Move a folder of a staged site out of it, beside `out` (the next build removes what is left there)."""
    target = Path(tempfile.mkdtemp(prefix=f".{out.name}.aside-", dir=out.parent))
    os.replace(folder, target)  # (onto the empty folder just made: a rename replaces an empty folder)
    return target


def remove(folders: Sequence[Path], later: bool = False) -> None:
    """Remove folders, here or (`later`) by a process of their own that is not waited for."""
    if later and folders:
        _remove_later(folders)
    else:
        for folder in folders:
            _remove(folder)


def _swap(staging: Path, out: Path) -> Path | None:
    """Put the staged site in place of `out`; the folder that now holds the previous site, if there was one."""
    if not out.exists():
        os.replace(staging, out)
        return None
    if _exchange(staging, out):  # one atomic step: `out` is the old site, then the new one, never missing
        return staging  # it holds the old site now
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(out, old)        # a build killed between these two renames is undone by recover()
    os.replace(staging, out)
    return old


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically with Linux's renameat2(RENAME_EXCHANGE); False where that is not available.

    Python has no binding for it, hence ctypes. Elsewhere `_swap` renames twice, and `recover` finishes the
    job if a build is killed between the two renames.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library without it (glibc before 2.28, some others)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # the kernel or the file system cannot
        return False
    raise OSError(code, os.strerror(code), str(second))
