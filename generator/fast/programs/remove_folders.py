"""Remove the folders named as arguments, with all they hold (what cannot be removed is left)."""
import shutil
import sys


def main() -> None:
    for folder in sys.argv[1:]:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
