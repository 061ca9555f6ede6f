"""Remove the folders named as arguments, with all they hold (what cannot be removed is left), giving way to
any other work of the machine (a build started meanwhile)."""
import os
import shutil
import sys


def main() -> None:
    os.nice(19)
    for folder in sys.argv[1:]:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
