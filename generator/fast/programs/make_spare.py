"""Make the spare of a published site (see generator/fast/spare.py).

    make_spare.py OUT MAKING SPARE TOKEN PID_FILE

MAKING (empty, or the site OUT replaced, whose folders are kept) gets every file of OUT but its marker and search
index, hard-linked, is marked with TOKEN and renamed SPARE; what OUT has not is moved aside and removed last,
at the lowest priority, pausing while a build into OUT runs. PID_FILE holds this process's number meanwhile (a
build that starts while the spare is made waits for it; one that starts later leaves the removal to it).
"""
import os
import shutil
import sys
import time

PATIENCE = 60.0  # seconds the removal pauses for builds at most (a build that was killed leaves its lock file)

MARKER = ".catalogue-output"


def mirror(source: str, target: str, top: bool, trash: "Trash") -> None:
    """Make the folder `target` hold what `source` holds (at the top, but its marker and search index), each
    file a hard link to the source's: what is there already is kept, or moved to `trash`."""
    with os.scandir(target) as listing:
        there = {entry.name: entry for entry in listing}
    with os.scandir(source) as listing:
        for entry in listing:
            if top and entry.name in (MARKER, "pagefind"):
                continue
            path, have = f"{target}/{entry.name}", there.pop(entry.name, None)
            if entry.is_dir(follow_symlinks=False):
                if have is not None and not have.is_dir(follow_symlinks=False):
                    trash.put(have.path)
                    have = None
                if have is None:
                    os.mkdir(path)
                mirror(entry.path, path, False, trash)
            elif entry.is_file(follow_symlinks=False):
                if have is not None:
                    if not have.is_dir(follow_symlinks=False) and have.inode() == entry.inode():
                        continue  # (the same file)
                    trash.put(have.path)
                os.link(entry.path, path)
    for entry in there.values():  # what the source does not have
        trash.put(entry.path)


def remove_giving_way(folder: str, lock: str, patience: float = PATIENCE) -> None:
    """Remove `folder` a few hundred files at a time, pausing while a build runs (its lock file `lock` is there):
    the removal's writes would slow it. At most `patience` seconds of pauses in all."""
    waited, count = 0.0, 0
    for root, folders, files in os.walk(folder, topdown=False):
        for name in files:
            count += 1
            while count % 256 == 0 and waited < patience and os.path.exists(lock):
                time.sleep(0.05)
                waited += 0.05
            try:
                os.unlink(os.path.join(root, name))
            except OSError:
                pass
        for name in folders:
            try:
                os.rmdir(os.path.join(root, name))
            except OSError:
                pass
    shutil.rmtree(folder, ignore_errors=True)


class Trash:
    """A folder what is replaced is moved to, removed once the spare is made (a move costs a fifth of a
    removal, which frees the file's blocks)."""

    def __init__(self, path: str) -> None:
        self.path, self.count = path, 0
        shutil.rmtree(path, ignore_errors=True)
        os.mkdir(path)

    def put(self, path: str) -> None:
        self.count += 1
        os.rename(path, f"{self.path}/{self.count}")


def main() -> None:
    out, making, spare, token, pid_file = sys.argv[1:]
    try:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    except OSError:
        pass
    trash = f"{making}.trash"  # (a build removes it, if this process is stopped: it is named as its leftovers)
    try:
        mirror(out, making, True, Trash(trash))
        with open(f"{making}/{MARKER}", "w") as f:
            f.write(f"Written by the catalogue generator; replaced on every build.\n{token}\n")
        if os.path.lexists(spare):
            os.rename(spare, f"{trash}/spare")
        os.replace(making, spare)
    except OSError:
        shutil.rmtree(making, ignore_errors=True)
    os.nice(19)  # the rest gives way to any other work (a build started meanwhile no longer waits for it)
    parent, name = os.path.split(os.path.abspath(out))
    remove_giving_way(trash, os.path.join(parent, f".{name}.lock"))  # (the lock file of builds into OUT)
    try:  # (until now a build leaves the trash to this process; a maker started since has its number there)
        with open(pid_file) as f:
            if f.read() == str(os.getpid()):
                os.unlink(pid_file)
    except OSError:
        pass


if __name__ == "__main__":
    main()
