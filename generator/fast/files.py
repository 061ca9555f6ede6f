"""File-system mechanics of publishing: hard links, an atomic exchange of two folders, ext4's top-of-tree
hint, removing a large folder in a process of its own, and reading many files' sizes and times in threads."""
from __future__ import annotations

import ctypes
import errno
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from generator.fast.programs import command


MARKER = ".catalogue-output"  # marks a folder this tool wrote, so it never replaces anything else


def marker_token(folder: Path) -> str | None:
    """The manifest token in a site's marker (a published site's, or the spare's), if it has one."""
    try:
        lines = (folder / MARKER).read_text().splitlines()
    except OSError:
        return None
    return lines[1] if len(lines) > 1 else None


# FS_IOC_GETFLAGS, FS_IOC_SETFLAGS and FS_TOPDIR_FL, from <linux/fs.h> (the ioctl numbers of 64-bit Linux)
_GET_FLAGS, _SET_FLAGS, _TOP_DIRECTORY = 0x80086601, 0x40086602, 0x00020000


def top_of_tree(folder: Path) -> bool:
    """Mark a new folder as the top of a tree of its own (`chattr +T`), where the file system allows.

    On ext4, the folders made in it are then placed as top-level folders are, away from the files recently
    deleted nearby (other builds, tests), which a file's creation would otherwise scan past. A fixed name would
    find the same place each time, so `stage` makes the big folders under names of chance and renames them.
    False where the request is refused or not understood: nothing else changes (docs/performance.md).
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


def stat_lines(root: str, names: Sequence[str]) -> str | None:
    """Each file's kind, size and modification time under `root`, a line each ("kind:size:mtime_ns"), in the
    order of `names`; None when one cannot be read. In threads (the system call releases Python's lock): 58,000
    files in 0.15 s on two cores, not 0.23."""
    from concurrent.futures import ThreadPoolExecutor

    def lines(part: Sequence[str]) -> str:
        lstat, said = os.lstat, []
        for rel in part:
            st = lstat(f"{root}/{rel}")
            said.append(f"{st.st_mode >> 12}:{st.st_size}:{st.st_mtime_ns}\n")
        return "".join(said)

    threads = min(os.cpu_count() or 1, 4)
    if threads < 2 or len(names) < 2000:
        parts = [names]
    else:
        size = -(-len(names) // (threads * 8))
        parts = [names[i:i + size] for i in range(0, len(names), size)]
    try:
        if len(parts) == 1:
            return lines(parts[0])
        with ThreadPoolExecutor(threads) as pool:
            return "".join(pool.map(lines, parts))
    except OSError:
        return None


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


def remove_later(folders: Sequence[Path]) -> bool:
    """Remove folders by a process of its own, not waited for; False when no process could be started."""
    try:
        subprocess.Popen(command("remove_folders", *map(os.fspath, folders)), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    except OSError:
        return False
    return True


def exchange(first: Path, second: Path) -> bool:
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
