"""Lighthouse's four scores (performance, accessibility, best practices, SEO) for the home page, a listing page, a
course page and an institution page of the built sample catalogue, with Lighthouse's mobile settings: a figure,
not a test.

    .venv/bin/python benchmarks/lighthouse.py             # builds the sample into a temporary folder
    .venv/bin/python benchmarks/lighthouse.py --out output  # an already built site

Lighthouse (npm, pinned below) installs itself on first use into ~/.cache/catalogue-bench/lighthouse; Chromium is
Debian's (CHROME_PATH, default /usr/bin/chromium). The site is served on 127.0.0.1 with the headers its _headers
file gives, as a static host would.
"""
from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import socket
import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import site_headers  # noqa: E402  (the _headers file read as a host reads it)

LIGHTHOUSE = "12.2.3"  # 13 wants Node 22
TOOLS = Path.home() / ".cache" / "catalogue-bench" / "lighthouse"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")


def lighthouse() -> Path:
    """Lighthouse's command, installed with npm the first time."""
    program = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not program.exists():
        TOOLS.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", "--save-exact",
                        f"lighthouse@{LIGHTHOUSE}"], check=True)
    return program


COMPRESSED = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".map")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """The site on 127.0.0.1 as a static host serves it: its _headers, text compressed (gzip)."""
    headers = site_headers(folder)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def send_head(self):  # noqa: ANN201 — http.server's own signature
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if not (path.suffix in COMPRESSED and path.is_file() and "gzip" in self.headers.get("Accept-Encoding", "")):
                return super().send_head()
            body = gzip.compress(path.read_bytes(), mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(path)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            import io
            return io.BytesIO(body)

        def end_headers(self) -> None:
            for name, value in headers(self.path.split("?", 1)[0]).items():
                self.send_header(name, value)
            super().end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def scores(url: str, tries: int = 3) -> dict[str, float]:
    """Lighthouse's scores for one page (its default: a phone, simulated slow 4G and a slower CPU). A run that
    fails to record the page's trace (Lighthouse's NO_NAVSTART, on a busy machine) is tried again."""
    with tempfile.TemporaryDirectory() as work:
        report = Path(work) / "report.json"
        env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
        for attempt in range(tries):
            run = subprocess.run([str(lighthouse()), url, "--quiet", "--output=json", f"--output-path={report}",
                                  "--only-categories=" + ",".join(CATEGORIES),
                                  "--chrome-flags=--headless --no-sandbox --disable-gpu"], env=env)
            if run.returncode == 0:
                break
            if attempt == tries - 1:
                raise SystemExit(f"Lighthouse failed on {url} {tries} times")
        data = json.loads(report.read_text(encoding="utf-8"))
    result = {c: data["categories"][c]["score"] for c in CATEGORIES}
    result["cls"] = data["audits"]["cumulative-layout-shift"]["numericValue"]
    result["lcp_ms"] = data["audits"]["largest-contentful-paint"]["numericValue"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="a built site (default: build the sample into a temporary folder, "
                                                 "with the local server's address as its base URL)")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as work:
        out = args.out
        if out is None:
            out = Path(work) / "site"
            subprocess.run([sys.executable, "-m", "generator", "build", "-q", "--source", str(ROOT), "--out", str(out),
                            "--base-url", f"http://127.0.0.1:{port}/"], check=True, stdout=subprocess.DEVNULL)
        course = sorted((out / "courses").glob("*/*/index.html"))[0].parent.relative_to(out).as_posix()
        institution = sorted((out / "institutions").glob("*/index.html"))[0].parent.relative_to(out).as_posix()
        server, base = serve(out, port)
        try:
            print(f"Lighthouse {LIGHTHOUSE}, mobile settings")
            print(f"{'page':45} {'perf':>5} {'a11y':>5} {'best':>5} {'seo':>5} {'CLS':>6} {'LCP ms':>7}")
            for path in ("", "page/2/", course + "/", institution + "/"):
                s = scores(base + path)
                print(f"/{path:44} {s['performance']:5.2f} {s['accessibility']:5.2f} {s['best-practices']:5.2f} "
                      f"{s['seo']:5.2f} {s['cls']:6.3f} {s['lcp_ms']:7.0f}", flush=True)
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
