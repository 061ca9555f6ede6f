"""Make folders under a root: the root is the argument, the folders come NUL-separated on standard input."""
import os
import sys


def main() -> None:
    root = os.fsencode(sys.argv[1])
    for folder in sys.stdin.buffer.read().split(b"\0"):
        if folder:
            os.makedirs(os.path.join(root, folder), exist_ok=True)


if __name__ == "__main__":
    main()
