"""Hard-link pages of a site into a view folder, in the order given: arguments view, site and published site
(or ""), pages NUL-separated on standard input, each after a letter: "s", linked from the site, or from the
published site if the site has none; "p", from the published site. A page is linked from the published site
only if it is a plain file there (never a symbolic link); copied where links are refused."""
import os
import shutil
import stat
import sys


def main() -> None:
    view, site, published = (os.fsencode(a) for a in sys.argv[1:4])
    os.makedirs(view, exist_ok=True)
    made = set()
    for tagged in sys.stdin.buffer.read().split(b"\0"):
        if not tagged:
            continue
        where, page = tagged[:1], tagged[1:]
        target = os.path.join(view, page)
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        if where == b"s":
            try:
                os.link(os.path.join(site, page), target)
                continue
            except FileNotFoundError:
                pass
        source = os.path.join(published, page)
        if not published or not stat.S_ISREG(os.lstat(source).st_mode):
            raise FileNotFoundError(source)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


if __name__ == "__main__":
    main()
