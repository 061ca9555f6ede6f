"""Benchmark of the live preview: from saving a course file to the open page showing the change.

    python benchmarks/serve.py [--n 4000] [--repeat 7] [--corpus-generator benchmarks/corpus.py]

Starts `catalogue serve` on a generated catalogue, opens a course page in headless Chromium, then edits the
course's title on disk and times, in the browser, until the page shows the new title; prints figures only.
The reloaded page's first paint is read from the browser's paint timing; Playwright noticing the new title
takes longer, as it re-attaches to the page after each navigation before it polls.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--pause", type=float, default=12.0,
                    help="seconds between edits (the search index is refreshed in the background meanwhile)")
    ap.add_argument("--corpus-generator", default=str(ROOT / "benchmarks/corpus.py"))
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        subprocess.run([sys.executable, args.corpus_generator, str(site), str(args.n)], check=True)
        started = time.perf_counter()
        server = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--source", str(site), "--port", "0"],
                                  cwd=ROOT, stderr=subprocess.PIPE, text=True, bufsize=1)
        url = None
        for line in server.stderr:
            found = re.search(r"at (http://\S+/) ", line)
            if found:
                url = found.group(1)
                break
        print(f"serve: {args.n} courses ready in {time.perf_counter() - started:.1f} s (first build)")
        course = sorted((site / "content/courses").glob("*/*.md"))[len(list((site / "content/courses").glob("*/*.md"))) // 2]
        page_url = f"{url}courses/{course.parent.name}/{course.stem}/"
        times, rebuilds, painted = [], [], []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page()
                page.goto(page_url)
                # the first search index is made in the background after the first build: let it finish
                next(l for l in server.stderr if "search index:" in l)
                time.sleep(1)
                original = course.read_text()
                for i in range(args.repeat):
                    title = f"Edited title number {i}"
                    page.evaluate("() => { window.__t0 = null; }")
                    text = re.sub(r'^title: .*$', f'title: "{title}"', original, count=1, flags=re.M)
                    t0 = time.time()
                    course.write_text(text)
                    page.wait_for_function("t => document.querySelector('h1') && "
                                           "document.querySelector('h1').textContent === t", arg=title, timeout=20000)
                    times.append((time.time() - t0) * 1000)
                    # when the reloaded page first painted, by the browser's own clock (the same system clock)
                    painted.append(page.evaluate(
                        "t0 => { const p = performance.getEntriesByName('first-contentful-paint')[0]; "
                        "return p ? performance.timeOrigin + p.startTime - t0 : null; }", t0 * 1000))
                    line = next(l for l in server.stderr if re.search(r": \d+ files? written in|problem", l))
                    found = re.search(r"files? written in (\d+) ms", line)
                    if found:
                        rebuilds.append(int(found.group(1)))
                    time.sleep(args.pause)
                course.write_text(original)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
        print(f"edits {args.pause:g} s apart:")
        painted = [t for t in painted if t is not None]
        if painted:
            print(f"save -> the reloaded page painted (browser's paint timing): median {statistics.median(painted):.0f} ms, "
                  f"min {min(painted):.0f} ms, max {max(painted):.0f} ms over {len(painted)} edits")
        print(f"save -> Playwright sees the change (adds its own polling after the navigation): median "
              f"{statistics.median(times):.0f} ms, min {min(times):.0f} ms, max {max(times):.0f} ms over {len(times)} edits")
        if rebuilds:
            print(f"  of which the rebuild itself: median {statistics.median(rebuilds):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
