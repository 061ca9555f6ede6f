"""Hard-link pages of a site into a view folder, in the order given: arguments view, site and published site
(or ""), pages NUL-separated on standard input. A page missing from the site is linked from the published site,
and only if it is a plain file there (never a symbolic link); copied where links are refused."""
import os
import shutil
import stat
import sys


def main() -> None:
    view, site, published = (os.fsencode(a) for a in sys.argv[1:4])
    os.makedirs(view, exist_ok=True)
    made = set()
    for page in sys.stdin.buffer.read().split(b"\0"):
        if not page:
            continue
        target = os.path.join(view, page)
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        try:
            os.link(os.path.join(site, page), target)
        except FileNotFoundError:
            source = os.path.join(published, page)
            if not published or not stat.S_ISREG(os.lstat(source).st_mode):
                raise
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)


if __name__ == "__main__":
    main()
