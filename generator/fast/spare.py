"""The spare: an image of the published site (hard links to its files) kept beside the output, which the next
build takes over as its staged site, so that an edit relinks only what changed (docs/performance.md, "The
spare site"). Trusted only through its marker's token; its files only when they are the published ones.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, Mapping, NamedTuple

from generator.fast.files import MARKER, link_file, marker_token
from generator.fast.programs import command

WAIT = 60.0  # seconds a build waits at most for the spare being made (see `start_maker`)


def spare_path(out: Path) -> Path:
    return out.parent / f".{out.name}.spare"


def _making_path(out: Path) -> Path:
    return out.parent / f".{out.name}.spare-making"


def convert(old: Path, out: Path, made: Iterable[str], gone: Iterable[str]) -> None:
    """Make the site just replaced (`old`, whose other files are already the published ones) the published
    site's image: the files made anew linked into it, the files the published site no longer has removed."""
    root, published = os.fspath(old), os.fspath(out)
    for rel in made:
        clear(old, rel)
        parent = rel.rpartition("/")[0]
        if parent:
            os.makedirs(f"{root}/{parent}", exist_ok=True)
        if not link_file(f"{published}/{rel}", f"{root}/{rel}"):
            raise OSError(f"{published}/{rel} could not be linked")
    for rel in gone:
        try:
            os.unlink(f"{root}/{rel}")
        except OSError:  # (gone, or a folder)
            pass


def start_maker(out: Path, token: str, replaced: Path | None = None) -> bool:
    """Make the published site's spare by a process of its own, not waited for (a build that starts while it
    runs waits for it: `wait_for_maker`); from the site `out` replaced (`replaced`, whose folders it keeps), if
    given. False if it could not start."""
    making = _making_path(out)
    shutil.rmtree(making, ignore_errors=True)
    try:
        if replaced is None:
            making.mkdir()
        else:
            os.replace(replaced, making)
        subprocess.Popen(command("make_spare", os.fspath(out), os.fspath(making), os.fspath(spare_path(out)), token,
                                 os.fspath(_pid_path(out))),
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        if replaced is not None and making.exists() and not replaced.exists():
            os.replace(making, replaced)  # (to be removed as it would have been)
        shutil.rmtree(making, ignore_errors=True)
        return False
    return True


def _pid_path(out: Path) -> Path:
    return out.parent / f".{out.name}.spare-maker"


def maker_paths(out: Path) -> tuple[Path, ...]:
    """The maker's own files beside `out` (see `start_maker`): the folder a spare is made in, its process number
    file and, while it runs, the folder of what it moved aside, which it removes last."""
    making = _making_path(out)
    trash = making.with_name(making.name + ".trash")
    return (making, _pid_path(out), *((trash,) if _alive(_pid_path(out)) else ()))


def making_spare(out: Path) -> bool:
    """Whether a process is making the spare of `out` (or one that stopped left its folder)."""
    return _making_path(out).exists()


def wait_for_maker(out: Path, wait: float = WAIT) -> None:
    """Wait for the process making the spare of `out`, if one runs (at most `wait` seconds)."""
    making, started = _making_path(out), time.monotonic()
    while making.exists() and time.monotonic() < started + wait:
        if not _alive(_pid_path(out)) and time.monotonic() > started + 1:  # (given a second to start)
            break
        time.sleep(0.01)
    if not _alive(_pid_path(out)):  # what a maker that died left
        _pid_path(out).unlink(missing_ok=True)
        shutil.rmtree(making, ignore_errors=True)


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:  # a child of this process (a build run from Python) that has ended
            return False
    except ChildProcessError:  # (another process's)
        pass
    except OSError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # (someone else's process: not ours to wait for)
        return False
    try:  # ended, and not yet waited for by its parent (a build run from Python, seen from a forked copy)
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def keep_spare(old: Path, out: Path) -> bool:
    """Keep the site just replaced (`old`) as the spare of `out`; False when it could not be moved there."""
    spare = spare_path(out)
    try:
        remove_spare(out)
        os.replace(old, spare)
    except OSError:
        return False
    return True


def remove_spare(out: Path) -> None:
    shutil.rmtree(spare_path(out), ignore_errors=True)


def has_spare(out: Path, token: str) -> bool:
    """Whether `out` has a spare whose marker carries `token` (the manifest's)."""
    return bool(token) and marker_token(spare_path(out)) == token


def take_spare(out: Path, token: str) -> Path | None:
    """Move the spare of `out` to a staging folder of its own, if its marker carries `token`; the folder."""
    spare = spare_path(out)
    if not token or marker_token(spare) != token:
        remove_spare(out)
        return None
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        os.replace(spare, staging)  # (onto the empty folder just made: a rename replaces an empty folder)
    except OSError:
        os.rmdir(staging)
        remove_spare(out)
        return None
    os.unlink(staging / MARKER)  # (made again when the staged site is published)
    return staging


class Survey(NamedTuple):
    """What of a published site and its spare is as the last build left them: the published files that are
    (path → inode), and the spare's files (path → inode) and folders."""

    published: dict[str, int]
    spare_files: dict[str, int]
    spare_folders: set[str]


def survey_spare(out: str, keys: Mapping[str, str], stats: Mapping[str, list[int]], token: str) -> Survey | None:
    """`survey` of the spare carrying `token`, once the process making it (if one runs) is done; None when
    there is none."""
    wait_for_maker(Path(out))
    return survey(out, keys, stats, os.fspath(spare_path(Path(out)))) if has_spare(Path(out), token) else None


def survey(out: str, keys: Mapping[str, str], stats: Mapping[str, list[int]], spare: str) -> Survey:
    """The published files of `keys` still as `stats` says the last build left them, and the spare's listing
    (made in a process of its own while the content is read: see engine/staged.py)."""
    files, folders = spare_files(Path(spare), skip="pagefind")
    return Survey(intact_inodes(out, keys, stats), files, folders)


def intact_inodes(out: str, keys: Iterable[str], stats: Mapping[str, list[int]]) -> dict[str, int]:
    """The inode of each file of `keys` in `out` whose size and modification time are as `stats` says."""
    found = {}
    for rel in keys:
        try:
            st = os.lstat(f"{out}/{rel}")
        except OSError:
            continue
        if [st.st_size, st.st_mtime_ns] == stats.get(rel):  # as `Manifest.intact`
            found[rel] = st.st_ino
    return found


def spare_files(folder: Path, skip: str) -> tuple[dict[str, int], set[str]]:
    """Every file of a taken spare but those under the folder `skip` (path → inode, read from the folder
    listings, without looking at any file), and every folder."""
    files: dict[str, int] = {}
    folders: set[str] = set()
    root = os.fspath(folder)

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as listing:
            for entry in listing:
                rel = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if rel != skip:
                        folders.add(rel)
                        walk(entry.path, rel + "/")
                else:
                    files[rel] = entry.inode()

    walk(root, "")
    return files, folders


def clear(folder: Path, rel: str) -> None:
    """Make room at `rel` in a staged site (never a published one): remove what is there, file or folder."""
    path = f"{os.fspath(folder)}/{rel}"
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        shutil.rmtree(path)


def remove_stale(folder: Path, files: dict[str, int], keep: set[str] | dict[str, str]) -> None:
    """Remove the spare's files that the new site does not have, then the folders that left empty."""
    root = os.fspath(folder)
    emptied: set[str] = set()
    for rel in files.keys() - keep:
        try:
            os.unlink(f"{root}/{rel}")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):  # (gone, or replaced by the new site)
            pass
        parent = rel.rpartition("/")[0]
        while parent and parent not in emptied:
            emptied.add(parent)
            parent = parent.rpartition("/")[0]
    for rel in sorted(emptied, key=lambda f: f.count("/"), reverse=True):
        try:
            os.rmdir(f"{root}/{rel}")
        except OSError:  # (not empty: still used)
            pass
