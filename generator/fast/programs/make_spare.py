"""Make the spare of a published site (see generator/fast/spare.py).

    make_spare.py OUT MAKING SPARE TOKEN PID_FILE

MAKING (empty, or the site OUT replaced, whose folders are kept) gets every file of OUT but its marker and search
index, hard-linked, is marked with TOKEN and renamed SPARE; what OUT has not is moved aside and removed last,
at the lowest priority. PID_FILE holds this process's number meanwhile (a build that starts then waits for it).
"""
import os
import shutil
import sys

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
    try:
        os.unlink(pid_file)
    except OSError:
        pass
    os.nice(19)  # the rest gives way to any other work (a build started meanwhile no longer waits for it)
    shutil.rmtree(trash, ignore_errors=True)


if __name__ == "__main__":
    main()
