"""File-system mechanics of publishing: hard links, an atomic exchange of two folders, ext4's top-of-tree
hint, and removing a large folder in a process of its own."""
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
