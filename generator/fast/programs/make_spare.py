"""Make the spare of a published site (see generator/fast/spare.py), then remove the folders named after it.

    make_spare.py OUT MAKING SPARE TOKEN PID_FILE [FOLDER...]

Every file of OUT but its marker and its search index is hard-linked into MAKING (made by the build), which is
then marked with TOKEN and renamed to SPARE. On any error MAKING is removed and no spare is left. PID_FILE
holds this process's number while it makes the spare (a build that starts meanwhile waits for it).
"""
import os
import shutil
import sys

MARKER = ".catalogue-output"


def link_tree(source: str, target: str, top: bool) -> None:
    with os.scandir(source) as listing:
        for entry in listing:
            if top and entry.name in (MARKER, "pagefind"):
                continue
            there = f"{target}/{entry.name}"
            if entry.is_dir(follow_symlinks=False):
                os.mkdir(there)
                link_tree(entry.path, there, False)
            elif entry.is_file(follow_symlinks=False):
                os.link(entry.path, there)


def main() -> None:
    out, making, spare, token, pid_file, *old = sys.argv[1:]
    try:
        with open(pid_file, "w") as f:
            f.write(str(os.getpid()))
    except OSError:
        pass
    try:
        link_tree(out, making, True)
        with open(f"{making}/{MARKER}", "w") as f:
            f.write(f"Written by the catalogue generator; replaced on every build.\n{token}\n")
        shutil.rmtree(spare, ignore_errors=True)
        os.replace(making, spare)
    except OSError:
        shutil.rmtree(making, ignore_errors=True)
    try:
        os.unlink(pid_file)
    except OSError:
        pass
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
