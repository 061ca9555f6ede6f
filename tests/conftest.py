"""Shared fixtures: scratch sites, fixture sites on disk, a local HTTP server and a headless browser."""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import textwrap
import threading
from pathlib import Path
from typing import Callable, Iterator, Mapping

import pytest

from generator.fast import pagefind as search
from generator.engine.build import BuildResult, build

# Every build and check of the tests (and of the commands they start) is for one day, before the sample's and the
# fixtures' dates, so that what they show does not change as days go by (content/timeline.py).
PINNED_DAY = "2026-06-01"
os.environ["SOURCE_DATE_EPOCH"] = "1780272000"  # 2026-06-01T00:00:00Z

ROOT = Path(__file__).resolve().parent.parent
SITES = Path(__file__).resolve().parent / "sites"
CHROMIUM = os.environ.get("CATALOGUE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

INSTITUTION = """\
name: Test Institute
country: CZ
website: https://test.example.org
"""

COURSE = """\
---
title: A Test Course
summary: A course used in the tests.
credits: 2
eqf_level: 7
audience: [doctoral-candidates]
language: en
mode: online
admission: master
learning_outcomes:
  - Do a thing well.
assessment: A written test.
quality_assurance: Internal approval.
enrol_url: https://test.example.org/apply
---

The course body.
"""


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write dedented text files (or raw bytes) under root."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """make_site({path: text}) writes a scratch site; with base=True it starts from one valid course."""
    def make(files: dict[str, str | bytes] | None = None, base: bool = True) -> Path:
        site = tmp_path / "site"
        if base:
            write_files(site, {"content/institutions/test-institute.yaml": INSTITUTION,
                               "content/courses/test-institute/test-course.md": COURSE})
        return write_files(site, files or {})
    return make


@pytest.fixture
def chdir_to(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Run with the working directory in a site, as partners do (diagnostic paths are relative to it)."""
    return monkeypatch.chdir


def copy_site(name: str, dest: Path) -> Path:
    """A fresh copy of a fixture site from tests/sites/."""
    shutil.copytree(SITES / name, dest, ignore=shutil.ignore_patterns("output", ".catalogue-cache"))
    return dest


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    """The project's sample catalogue (content/ at the top of the repo), built once."""
    out = tmp_path_factory.mktemp("sample") / "output"
    return out, build(ROOT, out)


@pytest.fixture(scope="session")
def sharded_sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    """The sample catalogue built once with its search index in shards of at most 8 pages (several shards)."""
    out = tmp_path_factory.mktemp("sharded") / "output"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "SHARD_PAGES", 8)
        return out, build(ROOT, out, use_cache=False)


@pytest.fixture(scope="session", params=["one index", pytest.param("shards", marks=pytest.mark.slow)])
def search_build(request: pytest.FixtureRequest) -> tuple[Path, BuildResult]:
    """The sample catalogue with its search index whole, then in shards."""
    return request.getfixturevalue("sample_build" if request.param == "one index" else "sharded_sample_build")


@pytest.fixture(scope="session")
def basic_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    """tests/sites/basic built once."""
    out = tmp_path_factory.mktemp("basic") / "output"
    return out, build(SITES / "basic", out)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a built site under a path prefix, like a static host would, with its 404 page."""

    prefix = "/"
    extra_headers: Callable[[str], Mapping[str, str]] | None = None  # the headers for a request's path

    def log_message(self, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        if self.extra_headers is not None:
            path = getattr(self, "site_path", None) or self.path.split("?", 1)[0]
            for name, value in self.extra_headers(path).items():
                self.send_header(name, value)
        super().end_headers()

    def send_head(self):  # noqa: ANN201 — http.server's own signature
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        self.site_path = path
        if not path.startswith(self.prefix):
            return self._not_found()
        self.path = "/" + self.path[len(self.prefix):]
        target = Path(self.translate_path(self.path))
        if target.is_dir() and not (target / "index.html").exists():
            return self._not_found()
        if not target.exists():
            return self._not_found()
        return super().send_head()

    def _not_found(self):  # noqa: ANN202
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.exists() else b"not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


def headers_rules(text: str) -> list[tuple[str, dict[str, str]]]:
    """The rules of a _headers file, in order: (path pattern, {header: value})."""
    rules: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            rules.append((line.strip(), {}))
        else:
            name, _, value = line.strip().partition(":")
            assert rules and value, f"not a header line under a path: {line!r}"
            rules[-1][1][name.strip()] = value.strip()
    return rules


def rule_matches(pattern: str, path: str) -> bool:
    """Whether a _headers path pattern matches a request path, as Netlify matches them: `*` matches anything,
    `:name` one path segment, and a trailing slash is optional."""
    return _rule_pattern(pattern).match(path) is not None


@functools.lru_cache(maxsize=None)
def _rule_pattern(pattern: str) -> re.Pattern[str]:
    def part(text: str) -> str:
        if text.startswith(":"):
            return "([^/]+)"
        if text == "*":
            return "?(.*)"
        return "(.*)".join(re.escape(piece) for piece in text.split("*"))
    regex = "/".join(part(p) for p in pattern.split("/") if p.strip())
    return re.compile(f"^/{regex}/?$", re.IGNORECASE)


def site_headers(folder: Path) -> Callable[[str], dict[str, str]]:
    """The headers the built site's _headers file gives each path; a header that two matching rules set is
    joined with a comma, as hosts do."""
    rules = headers_rules((folder / "_headers").read_text(encoding="utf-8"))

    def for_path(path: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for pattern, values in rules:
            if rule_matches(pattern, path):
                for name, value in values.items():
                    found[name] = f"{found[name]}, {value}" if name in found else value
        return found
    return for_path


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """serve(folder, prefix='/', headers=None) starts an HTTP server on 127.0.0.1 and returns its base URL.

    `headers` are sent with every response: a mapping, or a function of the request's path that returns one
    (like `site_headers(folder)`, which reads the built site's _headers file).
    """
    servers = []

    def start(folder: Path, prefix: str = "/",
              headers: Mapping[str, str] | Callable[[str], Mapping[str, str]] | None = None) -> str:
        extra = (lambda path: headers) if isinstance(headers, Mapping) else headers
        handler = type("Handler", (_Handler,), {"prefix": prefix,
                                                "extra_headers": staticmethod(extra) if extra else None})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}{prefix}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


FUZZ_TRIED = {"catalogues": 0, "files": 0, "built": 0}  # counted by test_fuzz in the process that runs it
FUZZ_TOLD = {"catalogues": 0, "files": 0, "built": 0}   # what its reports said, where the run is summed up


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """The fuzz test's counts go with its report (from a worker process too, when the tests run in several)."""
    report = yield
    if call.when == "call" and FUZZ_TRIED["catalogues"]:
        report.user_properties.append(("fuzz", dict(FUZZ_TRIED)))
        FUZZ_TRIED.update(catalogues=0, files=0, built=0)
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, counts in report.user_properties:
        if name == "fuzz":
            for key in FUZZ_TOLD:
                FUZZ_TOLD[key] += counts[key]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many generated course files the fuzz test tried, when it ran."""
    if FUZZ_TOLD["catalogues"]:
        terminalreporter.write_line(f"fuzz: {FUZZ_TOLD['files']:,} course files tried ({FUZZ_TOLD['catalogues']:,} "
                                    f"catalogues; {FUZZ_TOLD['built']:,} of the files valid and built)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that drives the browser (the `browser` or `page` fixture) is slow: Chromium starts, pages
    load and scripts run, a second or more a test. `pytest -m "not slow"` (make test-fast) leaves them out;
    the other slow tests carry the marker themselves. The fuzz test, the longest by far, runs first: in a run
    of several processes the others share the rest meanwhile, rather than one of them running it alone at
    the end."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.path.name != "test_fuzz.py")  # (a stable sort: the others keep their order)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium through Playwright. Skips where it is missing, except in CI, where it fails."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CATALOGUE_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(f"Chromium is required for the browser tests but {CHROMIUM} is missing")
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    """A fresh browser page that fails the test on any request to another host or any console error."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.external_requests = []
    page.console_errors = []

    def on_request(request) -> None:
        if not request.url.startswith(("http://127.0.0.1", "data:", "about:")):
            page.external_requests.append(request.url)

    page.on("request", on_request)
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def without_the_web_font(page) -> None:
    """Keep the theme's web font from the pages `page` opens (its request fails): their text is drawn in the
    size-matched fallback font throughout. The layout tests measure what the page and its script do; with
    `font-display: swap`, the font coming after the first paint (on a busy machine, any page) moves the text by
    about 0.0008, which says how loaded the machine was, not how the page is made."""
    page.route("**/*.woff2", lambda route: route.abort())
