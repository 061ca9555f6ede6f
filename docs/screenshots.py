"""The README's pictures: the built sample catalogue in headless Chromium at 375 and 1280 px wide (home, filtered
home, search, a course, an institution and a content page), saved as WebP under docs/screenshots/.

    .venv/bin/python docs/screenshots.py             # builds the sample, as on TODAY, into a temporary folder
    .venv/bin/python docs/screenshots.py --out output  # an already built site

Needs Playwright (the test tools) and Debian's Chromium (CATALOGUE_CHROMIUM, default /usr/bin/chromium).
"""
from __future__ import annotations

import argparse
import functools
import http.server
import io
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CATALOGUE_CHROMIUM", "/usr/bin/chromium")
WIDTHS = {375: 812, 1280: 860}
# the build date of the pictures: a fixed day on which the sample's courses are open (the pictures stay the same
# from one run to the next, and none shows courses closed or gone only because the sample's dates have passed)
TODAY = "2026-06-01"  # width: the height shown (a phone's screen, a laptop's)


def pages(out: Path) -> dict[str, str]:
    """The pages shown, by picture name: a content page once there are some, else the not-found page."""
    course = "courses/ceitec-muni/cryo-em-single-particle-analysis/"
    content = next((p.parent.relative_to(out).as_posix() + "/" for p in sorted(out.glob("about/index.html"))),
                   "no-such-page/")
    return {"home": "", "filtered": "?level=7&mode=online", "search": "?q=microscopy", "course": course,
            "institution": "institutions/ceitec-muni/", "content": content}


def shoot(out: Path, dest: Path = DEST) -> list[Path]:
    from playwright.sync_api import sync_playwright
    from PIL import Image

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            if code != 404:
                return super().send_error(code, message, explain)
            body = (out / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            for width, height in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
                for name, path in pages(out).items():
                    page.goto(base + path)
                    if page.locator("[data-catalogue]").count():
                        page.wait_for_selector("[data-catalogue][data-ready]")
                        if "q=" in path:
                            page.wait_for_selector(".card__excerpt mark")
                    if name == "filtered" and width < 600:
                        page.click("[data-toggle-filters]")  # the phone's panel, open, with its chips and count
                    page.evaluate("document.fonts.ready")
                    picture = Image.open(io.BytesIO(page.screenshot()))
                    target = dest / f"{name}-{width}.webp"
                    picture.save(target, "WEBP", quality=80, method=6)
                    written.append(target)
            browser.close()
    finally:
        server.shutdown()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="a built site (default: build the sample into a temporary folder)")
    parser.add_argument("--today", default=TODAY, help=f"the build date of the sample (default: {TODAY})")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        out = args.out
        if out is None:
            out = Path(work) / "site"
            subprocess.run([sys.executable, "-m", "generator", "build", "--source", str(ROOT), "--out", str(out),
                            "--today", args.today],
                           check=True, stdout=subprocess.DEVNULL)
        for path in shoot(out):
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
