"""Benchmark of the catalogue home's search and filters in headless Chromium; prints figures, asserts nothing.

    python benchmarks/search.py [--n 4000] [--corpus-generator benchmarks/corpus.py]

Builds a generated catalogue of N courses, serves it on 127.0.0.1, and measures with a real browser:
the bytes of the home page's first load (the search index's chunks counted apart), and for one search
and one filter change, the bytes fetched and the time until the results are shown.
"""
from __future__ import annotations

import argparse
import re
import functools
import gzip
import http.server
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.engine.build import build  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


class Meter:
    """Counts what the server sends, per path, so each step's transfer can be read off."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.log: list[tuple[str, int, int]] = []

    def mark(self) -> int:
        return len(self.log)

    def since(self, mark: int) -> list[tuple[str, int, int]]:
        return self.log[mark:]


def serve(folder: Path, meter: Meter) -> str:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "max-age=3600")
            super().end_headers()

        def copyfile(self, source, outputfile) -> None:  # noqa: ANN001
            data = source.read()
            outputfile.write(data)
            # what a host that compresses text would send (Pagefind's own files are already compressed)
            compressed = len(gzip.compress(data)) if not self.path.split("?")[0].endswith(
                (".pf_fragment", ".pf_index", ".pf_filter", ".pf_meta", ".pagefind")) else len(data)
            meter.log.append((self.path, len(data), min(compressed, len(data))))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/"


# Times, by the page's own clock, from the visitor's act (the Enter key's submit, a box ticked) to the first
# frame painted with the new results: Playwright's own round trips are left out.
WATCH = """() => {
  window.__asked = null; window.__shown = null;
  const root = document.querySelector('[data-catalogue]');
  const asked = (event) => { if (window.__asked === null) window.__asked = event.timeStamp; };
  root.addEventListener('submit', asked, { capture: true, once: true });
  root.addEventListener('change', asked, { capture: true, once: true });
  const status = root.querySelector('[data-status]');
  const before = status.textContent;
  const observer = new MutationObserver(() => {
    if (status.textContent === before || root.querySelector('[data-results]').hidden) return;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { window.__shown = performance.now(); }));
  });
  observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
}"""


def kib(n: float) -> str:
    return f"{n / 1024:.1f} KiB"


def report(name: str, rows: list[tuple[str, int, int]]) -> None:
    index = [r for r in rows if "/pagefind/" in r[0] and not r[0].endswith(("pagefind.js", "pagefind-worker.js"))]
    rest = [r for r in rows if r not in index]
    print(f"{name}: {len(rows)} requests; {kib(sum(r[2] for r in rest))} compressed "
          f"({kib(sum(r[1] for r in rest))} raw) without the search index's chunks; "
          f"index chunks {kib(sum(r[2] for r in index))} in {len(index)} files; "
          f"total {kib(sum(r[2] for r in rows))} compressed")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--corpus-generator", default=str(ROOT / "benchmarks/corpus.py"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("urls", nargs="*", help="also measure fresh loads of these ?query strings")
    ap.add_argument("--detail", action="store_true", help="break the first load down by kind of file")
    ap.add_argument("--built", help="measure this already built site instead of building a corpus")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site, out = Path(tmp) / "site", Path(args.built or Path(tmp) / "out")
        if not args.built:
            subprocess.run([sys.executable, args.corpus_generator, str(site), str(args.n)], check=True)
            started = time.perf_counter()
            result = build(site, out)
            print(f"corpus: {len(result.catalogue.courses)} courses; build {time.perf_counter() - started:.1f} s "
                  f"({result.timings.summary()})")
        meter = Meter(out)
        base = serve(out, meter)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for extra in [q for q in sys.argv if q.startswith("?")]:
                fresh = browser.new_page()
                mark = meter.mark()
                fresh.goto(base + extra)
                fresh.wait_for_selector("[data-catalogue][data-ready]")
                report(f"fresh load of {extra}", meter.since(mark))
                fresh.close()
            mark = meter.mark()
            page.goto(base)
            page.wait_for_selector("[data-catalogue][data-ready]")
            report("home, first load (until search is ready)", meter.since(mark))
            if "--detail" in sys.argv:
                groups = {}
                for path, raw, comp in meter.since(mark):
                    kind = re.sub(r"[0-9a-f]{6,}", "*", path)
                    n, b = groups.get(kind, (0, 0))
                    groups[kind] = (n + 1, b + comp)
                for kind, (n, b) in sorted(groups.items(), key=lambda kv: -kv[1][1])[:15]:
                    print(f"  {kind}: {n} files, {kib(b)}")

            words = ["data", "protein", "grant", "ethics", "imaging", "statistics", "leadership"]

            def timed(action, label: str, warm: bool = False, fresh: bool = False, typed: bool = False) -> None:
                """Median time from the action to the results shown; the bytes fetched by the first run."""
                times, inpage, first = [], [], None
                for i in range(args.repeat):
                    context = browser.new_context(viewport={"width": 1280, "height": 900}) if fresh else None
                    tab = context.new_page() if context else page
                    tab.goto(base)
                    tab.wait_for_selector("[data-catalogue][data-ready]")
                    if warm:  # the visitor has clicked into the search box: Pagefind loads meanwhile
                        tab.focus("#q")
                        tab.wait_for_selector("[data-catalogue][data-search-ready]")
                    before, mark = tab.locator("[data-status]").text_content(), meter.mark()
                    if typed:  # a visitor typing the words (60 ms a key); the time counts from the Enter key
                        tab.click("#q")
                        tab.type("#q", words[i % len(words)], delay=60)
                    tab.evaluate(WATCH)
                    start = tab.evaluate("() => performance.now()")
                    action(tab, i)
                    tab.wait_for_function("t => document.querySelector('[data-status]').textContent !== t "
                                          "&& !document.querySelector('[data-results]').hidden", arg=before)
                    tab.wait_for_function("() => [...document.querySelectorAll('[data-results] > li')].length > 0")
                    times.append(tab.evaluate("() => performance.now()") - start)
                    tab.wait_for_function("() => window.__shown !== null")
                    asked, shown_at = tab.evaluate("() => [window.__asked, window.__shown]")
                    inpage.append(shown_at - asked)
                    first = first if first is not None else meter.since(mark)
                    if context:
                        context.close()
                report(f"{label} (first run)", first)
                print(f"{label}: results painted in median {statistics.median(inpage):.0f} ms, max {max(inpage):.0f} ms "
                      f"(from the visitor's submit or tick, by the page's clock); seen by Playwright in median "
                      f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms; {args.repeat} runs")

            def type_words(tab, i: int) -> None:
                tab.fill("#q", words[i % len(words)])
                tab.press("#q", "Enter")
            timed(type_words, "one search, first visit (empty browser cache, loading Pagefind)", fresh=True)
            timed(lambda tab, i: tab.press("#q", "Enter"),
                  "one search, first visit, typed (empty cache; Pagefind loads on focus, the words' index while typing)",
                  fresh=True, typed=True)
            timed(type_words, "one search, cold (the first on the page, loading Pagefind)")
            timed(type_words, "one search, warm (Pagefind loaded when the box got focus)", warm=True)
            levels = ["7", "8", "6", "5"]

            def tick(tab, i: int) -> None:
                tab.locator(f"input[name=level][value='{levels[i % len(levels)]}']").check()
            timed(tick, "one filter change, first visit (empty browser cache)", fresh=True)
            timed(tick, "one filter change")
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
