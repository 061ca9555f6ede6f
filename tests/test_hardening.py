"""Hardening: security headers with the site working under them, untrusted content, resource limits,
builds killed at random moments, reproducible output, and arbitrary input (Hypothesis)."""
from __future__ import annotations

import gzip
import http.server
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Callable
from urllib.parse import urlencode

import pytest

from generator.engine.build import build, check
from generator.content.files import MAX_NODES
from generator.diagnostics import ContentError

from .conftest import COURSE, ROOT, SITES, copy_site, headers_rules, rule_matches, site_headers
from .safety import assert_safe, assert_safe_site

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
       "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
SHORT = "public, max-age=0, must-revalidate"
FOREVER = "public, max-age=31536000, immutable"
HASHED = re.compile(r"^(assets/(.+/)?[^/]+\.[0-9a-f]{10}(\.\w+)?(\.map)?|media/[a-z0-9-]+-[0-9a-f]{16}-\d+\.(webp|jpg|png)|pagefind/(shards/\d+/)?(index|fragment|filter)/\w+_[0-9a-f]{7,}\.pf_\w+)$")


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def addresses(out: Path, base: str = "/") -> list[str]:
    """Every address of a built site: each file's, and each folder's that has an index.html."""
    found = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and not rel.startswith(("_headers", ".")):
            found.append(base + rel)
            if path.name == "index.html":
                found.append(base + rel.removesuffix("index.html"))
    return found


# --- security headers -------------------------------------------------------------------------------------


@pytest.mark.slow  # (every file of the sample in twelve languages, matched against every rule: ten seconds)
def test_headers_file_sets_each_header_once_and_caches_only_hashed_files_for_good(sample_build):
    out, _ = sample_build
    rules = headers_rules((out / "_headers").read_text())
    assert rules[0] == ("/*", {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                               "Referrer-Policy": "strict-origin-when-cross-origin",
                               "Permissions-Policy": rules[0][1]["Permissions-Policy"]})
    denied = dict(item.split("=") for item in rules[0][1]["Permissions-Policy"].split(", "))
    assert {"camera", "microphone", "geolocation", "payment", "usb"} <= set(denied) and set(denied.values()) == {"()"}
    forever, headers = [], site_headers(out)
    for address in addresses(out):
        matching = [values for pattern, values in rules if rule_matches(pattern, address)]
        names = [name for values in matching for name in values]
        assert len(names) == len(set(names)), (address, matching)  # hosts would join two values with a comma
        # every file of the catalogue has its policy, from one rule (the web editor's own: tests/test_editor.py)
        assert headers(address).get("Content-Security-Policy") == CSP, address
        assert headers(address).get("Cross-Origin-Opener-Policy") == "same-origin", address
        cache = next((values["Cache-Control"] for values in matching if "Cache-Control" in values), None)
        rel = address.removeprefix("/")
        if cache == FOREVER:
            forever.append(rel)
            assert HASHED.match(rel), f"{address} is cached for good but its name does not change with its content"
        elif address.endswith((".html", "/")) or rel.split("/")[0] in ("courses", "institutions", "search", "pagefind",
                                                                         "sitemaps"):
            assert cache == SHORT, address
    assert any(f.startswith("assets/css/") for f in forever) and any(f.startswith("pagefind/fragment/") for f in forever)
    for unhashed in ("pagefind/pagefind.js", "pagefind/pagefind-entry.json", "pagefind/pagefind-worker.js"):
        assert headers("/" + unhashed)["Cache-Control"] == SHORT


def test_netlify_takes_the_headers_from_the_headers_file_alone(sample_build):
    out, _ = sample_build
    assert "headers" not in tomllib.loads((ROOT / "netlify.toml").read_text())  # two sources would join values
    assert headers_rules((out / "_headers").read_text())[0][0] == "/*"


def test_headers_file_follows_the_base_path(tmp_path):
    out = tmp_path / "out"
    build(SITES / "basic", out, base_url="https://example.org/catalogue/")
    rules = headers_rules((out / "_headers").read_text())
    assert all(pattern.startswith("/catalogue/") for pattern, _ in rules)
    headers = site_headers(out)
    assert headers("/catalogue/assets/css/site.0123456789.css")["Cache-Control"] == FOREVER
    assert headers("/catalogue/")["Content-Security-Policy"] == CSP and headers("/catalogue/")["Cache-Control"] == SHORT
    assert headers("/other/") == {}


# --- the site in a browser with the policy enforced -------------------------------------------------------

TRAP = """
(() => {
  const report = (text) => window.__hardeningReport(text);
  document.addEventListener("securitypolicyviolation", (e) => report(
    `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline code"} at ${e.sourceFile}:${e.lineNumber}`), true);
  // hostile content sets window.__pwned or calls alert(): the first is caught here, the second as a dialog
  Object.defineProperty(window, "__pwned", {configurable: false, get: () => undefined,
                                            set: (value) => report(`script ran: window.__pwned = ${value}`)});
})();
"""


@pytest.fixture
def csp_reports() -> tuple[str, list[str]]:
    """A server that collects the browser's CSP violation reports, from pages and from workers alike."""
    reports: list[str] = []

    class Collector(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 — http.server's name
            reports.append(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace"))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/csp", reports
    server.shutdown()
    server.server_close()


def enforced(out: Path, report_uri: str, csp: str | None = None) -> Callable[[str], dict[str, str]]:
    """The built site's headers, with violation reports sent to the collector (and another policy, if given)."""
    headers = site_headers(out)

    def for_path(path: str) -> dict[str, str]:
        values = dict(headers(path))
        if "Content-Security-Policy" in values:  # (an address the site does not have: the 404 page's own, below)
            values["Content-Security-Policy"] = f"{csp or values['Content-Security-Policy']}; report-uri {report_uri}"
        return values
    return for_path


def guard(page) -> list[str]:
    """Problems seen by the page from now on: CSP violations, script run by content, dialogs."""
    problems: list[str] = []
    page.expose_function("__hardeningReport", lambda text: problems.append(text))
    page.add_init_script(TRAP)

    def on_dialog(dialog) -> None:
        problems.append(f"dialog: {dialog.type} {dialog.message!r}")
        dialog.dismiss()
    page.on("dialog", on_dialog)
    return problems


def settle_status(page, predicate: str) -> str:
    page.wait_for_function(f"() => {{ const t = document.querySelector('[data-status]').textContent; return {predicate}; }}")
    return page.locator("[data-status]").text_content().strip()


def walk_the_catalogue(page, base: str, word: str) -> None:
    """Search, filter, sort, then open a course and its institution, as a visitor would."""
    page.goto(base)
    page.wait_for_selector("[data-catalogue][data-ready]")
    page.fill("#q", word)
    page.press("#q", "Enter")
    found = settle_status(page, "t.includes(' for “')")
    assert re.match(r"\d+ courses? for “", found), found
    assert page.locator("[data-results] > li").count() > 0
    # Pagefind searched in its worker, so the worker's policy was put to the test too
    assert page.evaluate("() => performance.getEntriesByType('resource').some(e => e.name.endsWith('/pagefind-worker.js'))")
    first_level = page.locator("input[data-facet][name=level]").first
    first_level.check()
    page.wait_for_url(re.compile(r"level="))
    settle_status(page, "t.includes(' for “')")
    assert re.fullmatch(r"\(\d+\)", page.locator(f"label[for='{first_level.get_attribute('id')}'] [data-count]").text_content())
    page.fill("#q", "")
    page.press("#q", "Enter")
    settle_status(page, "/^\\d+ courses?(, showing|$)/.test(t)")
    page.select_option("#sort", "title")
    page.wait_for_url(re.compile(r"sort=title"))
    page.wait_for_function("() => document.querySelectorAll('[data-results] > li').length > 0")
    page.locator("[data-results] .card__title a").first.click()
    page.wait_for_selector("h1")
    assert page.locator(".course__institution a").count() == 1
    page.locator(".course__institution a").click()
    page.wait_for_selector("h1")
    assert page.url.startswith(base + "institutions/")
    page.get_by_role("link", name="Institutions").click()
    page.wait_for_url(base + "institutions/")


@pytest.mark.browser
def test_whole_site_works_with_the_policy_enforced(sample_build, serve, page, csp_reports):
    out, _ = sample_build
    report_uri, reports = csp_reports
    base = serve(out, headers=enforced(out, report_uri))
    problems = guard(page)
    walk_the_catalogue(page, base, "data")
    assert page.console_errors == []
    assert page.goto(base + "courses/no-such-course/").status == 404  # the host's 404 page, with the same policy
    # (at an address outside the site's folders it has the headers every file has, but no policy: see _headers)
    assert page.goto(base + "no-such-page/").status == 404
    assert "Content-Security-Policy" not in site_headers(out)("/no-such-page/")
    assert site_headers(out)("/no-such-page/")["X-Frame-Options"] == "DENY"
    time.sleep(0.3)  # reports are sent after the fact
    assert problems == [] and reports == [] and page.external_requests == []
    assert [e for e in page.console_errors if "404 (Not Found)" not in e] == []


@pytest.mark.browser
def test_whole_site_works_with_the_policy_enforced_under_a_sub_path(serve, page, csp_reports, tmp_path):
    out = tmp_path / "out"
    build(SITES / "basic", out, base_url="https://example.org/catalogue/")
    report_uri, reports = csp_reports
    base = serve(out, prefix="/catalogue/", headers=enforced(out, report_uri))
    response = page.request.get(base)
    assert response.headers["content-security-policy"].startswith(CSP)
    assert response.headers["x-content-type-options"] == "nosniff"
    problems = guard(page)
    walk_the_catalogue(page, base, "data")
    time.sleep(0.3)
    assert problems == [] and reports == [] and page.console_errors == [] and page.external_requests == []


@pytest.mark.browser
def test_a_policy_without_webassembly_is_caught(sample_build, serve, page, csp_reports):
    """The checks above can fail: without 'wasm-unsafe-eval', Pagefind's worker is stopped, and reports it.

    Violations inside a worker never reach the page's listeners, hence the report collector.
    """
    out, _ = sample_build
    report_uri, reports = csp_reports
    base = serve(out, headers=enforced(out, report_uri, CSP.replace(" 'wasm-unsafe-eval'", "")))
    guard(page)
    page.goto(base + "?q=data")
    page.wait_for_selector("[data-catalogue][data-ready]")
    deadline = time.monotonic() + 5
    while not reports and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    violations = [json.loads(r)["csp-report"] for r in reports]
    assert any(v["effective-directive"] == "script-src" and v["blocked-uri"] == "wasm-eval"
               and v["source-file"].endswith("pagefind-worker.js") for v in violations), violations


# --- a corpus of hostile course files ---------------------------------------------------------------------

HOSTILE_VALID = ("bom-start", "crlf-endings", "xss-everywhere")
LONG_NAME = "a" * 120 + ".md"


def hostile_site(tmp_path: Path) -> Path:
    """tests/sites/hostile, with what is made at test time: links, a pipe, odd names and oversized files."""
    site = copy_site("hostile", tmp_path / "hostile")
    courses = site / "content/courses/evil-institute"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(COURSE)
    os.symlink(outside / "secret.md", courses / "linked-out.md")
    os.symlink(outside, site / "content/courses/linked-folder")
    os.symlink("link-loop.md", courses / "link-loop.md")
    os.mkfifo(courses / "pipe.md")
    (courses / "oversized.md").write_text(COURSE + "x" * (1024 * 1024))
    (courses / "absurdly-long-field.md").write_text(COURSE.replace("title: A Test Course", "title: " + "x" * 100_000))
    (courses / "huge-body.md").write_text(COURSE + ("A sentence of a description. " * 40 + "\n\n") * 60)
    (courses / "with\x1b[31mescape.md").write_text(COURSE)
    (courses / "new\nline.md").write_text(COURSE)
    (courses / LONG_NAME).write_text(COURSE)
    (courses / "Not An Id.md").write_text(COURSE)
    with open(os.fsencode(courses) + b"/latin-1-name-\xe9.md", "w") as f:
        f.write(COURSE)
    return site


def run_check(site: Path, *args: str) -> subprocess.CompletedProcess:
    """`catalogue check` in its own process, as a pull request's check runs it: a hang fails the test."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    return subprocess.run([sys.executable, "-m", "generator", "check", *args], cwd=site, env=env,
                          capture_output=True, text=True, timeout=60)


def test_check_reports_every_hostile_file_and_nothing_else(tmp_path):
    site = hostile_site(tmp_path)
    result = run_check(site)
    expected = (SITES / "hostile/expected.txt").read_text(encoding="utf-8").replace("<LONG_NAME>", LONG_NAME)
    assert result.returncode == 1
    assert result.stderr == expected
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result.stderr)  # names cannot garble a terminal
    for valid in HOSTILE_VALID:
        assert f"/{valid}.md" not in result.stderr
    # the other reporters print the same problems, with a strict UTF-8 output (as in CI)
    for fmt in ("json", "github"):
        other = run_check(site, "--format", fmt)
        assert other.returncode == 1 and other.stderr == "", other.stderr
    assert len(json.loads(run_check(site, "--format", "json").stdout)) == expected.count("\n") - 1


def valid_subset(tmp_path: Path) -> Path:
    """The hostile site with every file that has an error taken out: what would build."""
    site = copy_site("hostile", tmp_path / "valid")
    for path in (site / "content/courses/evil-institute").iterdir():
        if path.stem not in HOSTILE_VALID:
            path.unlink()
    return site


def test_hostile_values_stay_in_their_context_in_every_file(tmp_path):
    out = tmp_path / "out"
    build(valid_subset(tmp_path), out)
    files = tree(out)
    title = "</script><script>window.__pwned='title'</script> \"Quoted\" & 'single' <!-- {{ 7*7 }} xylophonic"
    assert assert_safe_site(out) > 10
    for rel, data in files.items():
        if rel.endswith(".html"):
            assert "window.__pwned='title'</script>" not in data.decode(), rel
    page = files["courses/evil-institute/xss-everywhere/index.html"].decode()
    assert title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;") \
        .replace("'", "&#39;") in page  # shown as the partner wrote it, {{ 7*7 }} included
    # {{ 7*7 }} was not run as a template (its "49" is looked for in the text, not in the assets' hashed names)
    assert "49" not in re.sub(r"<[^>]*>", "", page.split('<div class="prose"')[0].split("</header>")[0])
    record = next(c for c in json.loads(files["courses.json"])["courses"] if c["id"] == "evil-institute/xss-everywhere")
    assert record["title"] == title
    bom = files["courses/evil-institute/bom-start/index.html"].decode()
    assert "A course file that starts with a byte order mark" in bom and "\ufeff" not in bom
    assert "<strong>body</strong> with CRLF" in files["courses/evil-institute/crlf-endings/index.html"].decode()


@pytest.mark.browser
def test_hostile_pages_run_nothing_in_a_browser_with_the_policy_enforced(tmp_path, serve, page, csp_reports):
    out = tmp_path / "out"
    build(valid_subset(tmp_path), out)
    report_uri, reports = csp_reports
    base = serve(out, headers=enforced(out, report_uri))
    problems = guard(page)
    poke = """() => { for (const el of document.querySelectorAll('body *')) {
        for (const type of ['mouseover', 'focus', 'toggle', 'load', 'error', 'click'])
          if (type !== 'click' || el.tagName !== 'A') el.dispatchEvent(new Event(type, {bubbles: true}));
      } }"""
    paths = ["", "institutions/", "institutions/evil-institute/"] + [f"courses/evil-institute/{c}/" for c in HOSTILE_VALID]
    for path in paths:
        page.goto(base + path)
        page.evaluate(poke)  # an inline handler that survived would now run, or be blocked and reported
    page.goto(base + "?q=xylophonic")
    page.wait_for_selector("[data-catalogue][data-ready]")
    settle_status(page, "t.includes(' for “')")
    assert page.locator("[data-results] .card__title a").first.text_content().startswith("</script><script>")
    page.goto(base + "?sort=title")  # result cards built in the page from search/cards.json
    page.wait_for_selector("[data-catalogue][data-ready]")
    page.wait_for_function("() => document.querySelectorAll('[data-results] > li').length === 3")
    topic = page.locator("input[data-facet][name=topic]").first.get_attribute("value")
    assert topic.startswith(('">', "</script>"))
    page.goto(base + "?" + urlencode({"topic": topic}))  # the hostile topic, from the address into the form
    page.wait_for_selector("[data-catalogue][data-ready]")
    page.wait_for_function("() => document.querySelectorAll('[data-results] > li').length === 1")
    assert page.locator("input[data-facet][name=topic]").first.is_checked()
    page.evaluate(poke)
    time.sleep(0.3)
    assert problems == [] and reports == [] and page.console_errors == [] and page.external_requests == []
    assert page.evaluate("() => window.__pwned") is None


# --- resource limits ---------------------------------------------------------------------------------------


def codes(site: Path) -> list[tuple[str, str]]:
    """(file name, diagnostic code) of every problem `check` finds, in this process's processor time: none may
    take long (what these inputs would cost unguarded is minutes, not seconds; processor time, unlike the clock,
    does not count the other work of a busy machine)."""
    start = time.process_time()
    found = [(Path(d.path).name, d.code) for d in check(site)]
    assert time.process_time() - start < 10
    return found


def course(**fields: str) -> str:
    text = COURSE
    for key, value in fields.items():
        text = re.sub(rf"(?m)^{key}:.*$", lambda _: f"{key}: {value}", text) if re.search(rf"(?m)^{key}:", text) \
            else text.replace("\n---\n", f"\n{key}: {value}\n---\n", 1)
    return text


@pytest.mark.parametrize("front, code", [
    ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", "yaml-shape"),
    ("base: &base {credits: 2}\n<<: *base\n", "yaml-shape"),
    ("nested: " + "[" * 20 + "]" * 20 + "\n", "yaml-shape"),
    ("nested: " + "[" * 5000 + "]" * 5000 + "\n", "yaml-syntax"),
    ("summary: " + "x" * 200_000 + "\n", "too-long"),
    ("? " + "k" * 5000 + "\n: v\n", "bad-key"),
    ("summary: a\x1b[2Jb\n", "control-character"),
    ('summary: "a\\x1bb"\n', "control-character"),
    ("summary: a\x85b\n", "control-character"),
    ("summary: right\u202eleft\n", "control-character"),
    ("summary: a\u2028b\n", "control-character"),
    ('mode: "on\\x1b[31mline"\n', "control-character"),
    ("credits: " + "9" * 5000 + "\n", "bad-value"),
    ("summary: !!python/object:os.system x\n", "bad-value"),
], ids=["alias-bomb", "merge-key", "deep-20", "deep-5000", "long-value", "long-key", "escape", "escaped-escape",
        "nel", "bidi-override", "line-separator", "escaped-in-a-choice", "huge-number", "python-tag"])
def test_front_matter_limits_each_give_one_clear_diagnostic(make_site, front, code):
    text = COURSE.replace("---\n", "---\n" + front, 1)
    text = re.sub(r"(?m)^summary: A course used in the tests\.\n", "", text) if front.startswith("summary") else text
    site = make_site({"content/courses/test-institute/test-course.md": text})
    assert code in [c for _, c in codes(site)]


def test_a_huge_list_stops_being_read_at_the_value_limit(make_site):
    """300,000 values: reading them all took seconds; the counting loader stops at the first past the limit."""
    site = make_site({"content/courses/test-institute/test-course.md":
                      COURSE.replace("---\n", "---\ntopics: [" + "a, " * 300_000 + "a]\n", 1)})
    [problem] = check(site)
    # at the first value past the limit: the mapping, the key and the list are the first three
    assert (problem.line, problem.col, problem.code) == (2, 10 + 3 * (MAX_NODES - 3), "yaml-shape")
    assert problem.message == "the front matter has too many values (more than 2,000)"


@pytest.mark.parametrize("field, value, words", [
    ("europass", "!!bool maybe", "'europass' is marked !!bool, but 'maybe' is not true or false"),
    ("credits", "!!int ''", "'credits' is marked !!int, but '' is not a whole number"),
    ("start_date", "!!timestamp x", "'start_date' is marked !!timestamp, but 'x' is not a date"),
    ("fee", "!!float '-'", "'fee' is marked !!float, but '-' is not a number"),
])
def test_a_value_marked_with_a_type_it_is_not_gets_a_diagnostic(make_site, field, value, words):
    """PyYAML's constructors raised KeyError, IndexError or AttributeError on these: a traceback."""
    site = make_site({"content/courses/test-institute/test-course.md": course(**{field: value})})
    [problem] = check(site)
    assert problem.text().endswith(f":{problem.line}:{problem.col}: error: {words} (remove the !!"
                                   f"{value.split()[0][2:]} before it)") and problem.line > 1
    result = run_check(site)
    assert result.returncode == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("fields", [{"credits": "9" * 5000}, {"title": "!!python/object:os.system x"},
                                    {"fee": "!!float x", "currency": "CZK"}, {"start_date": "!!timestamp x",
                                                                              "end_date": "2027-01-02"}])
def test_a_value_that_cannot_be_read_is_told_once_not_as_missing_too(make_site, fields):
    site = make_site({"content/courses/test-institute/test-course.md": course(**fields)})
    assert [c for _, c in codes(site)] == ["bad-value"]


def test_a_link_address_with_a_line_break_is_quoted_on_one_line(make_site):
    site = make_site({"content/courses/test-institute/test-course.md": COURSE + "[the plan](<plan\nof-work.html>)\n"})
    [problem] = check(site)
    assert "the link 'plan of-work.html' goes nowhere" in problem.message and "\n" not in problem.text()


@pytest.mark.slow
def test_front_matter_nesting_is_refused_by_the_pure_python_parser_too(make_site, monkeypatch):
    import yaml
    import generator.content.files
    monkeypatch.setattr(generator.content.files, "Loader", yaml.SafeLoader)
    for depth in (20, 3000):
        site = make_site({"content/courses/test-institute/test-course.md":
                          COURSE.replace("---\n", "---\nnested: " + "[" * depth + "]" * depth + "\n", 1)})
        assert ("test-course.md", "yaml-shape") in codes(site)


@pytest.mark.parametrize("body, code", [
    ("[" * 20_000, "body-too-complex"),
    ("[a](" * 5_000, "body-too-complex"),
    ("![" * 10_000, "body-too-complex"),
    ("".join("    " * i + "- item\n" for i in range(300)), "body-too-complex"),
    ("term\n: definition\n" * 600, "body-too-complex"),
    ("> " * 100 + "quote", "body-too-complex"),
    ("".join(f"*[A{i}]: x\n" for i in range(500)) + "\nA1", "body-too-complex"),
    ("word " * 20_000, "body-too-complex"),
    ("A paragraph.\n\n" * 5_000, "body-too-complex"),
    ("text \x1b[2J text", "control-character"),
    ("text \x00 text", "not-text"),
], ids=["brackets", "links", "images", "nested-lists", "definitions", "quotes", "abbreviations", "paragraph",
        "too-long", "escape", "nul"])
def test_markdown_that_would_hang_or_crash_the_renderer_gets_a_diagnostic(make_site, body, code):
    site = make_site({"content/courses/test-institute/test-course.md": COURSE + body + "\n"})
    assert ("test-course.md", code) in codes(site)


def test_markdown_recursion_is_never_a_crash(monkeypatch):
    import markdown
    from generator.content.markup import MarkdownRenderer
    text = "term\n: <script>alert(1)</script> definition\n" * 600  # past body_problems' limit
    html = MarkdownRenderer().render(text)  # (Python-Markdown 3.11 renders it; earlier ones ran out of stack)
    assert "definition" in html and "<script" not in html

    def too_deep(self, source):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr(markdown.Markdown, "convert", too_deep)
    html = MarkdownRenderer().render(text)  # shown as plain text, escaped
    assert html.startswith("<p>term") and "definition" in html and "<script" not in html


def test_every_limit_leaves_real_course_descriptions_alone():
    from generator.content.markup import body_problems
    for path in sorted((ROOT / "content/courses").glob("*/*.md")):
        assert body_problems(path.read_text(encoding="utf-8").split("\n---\n", 1)[1]) == [], path


@pytest.mark.parametrize("url, code", [
    ('"javascript:alert(1)"', "bad-url"), ('"JavaScript:alert(1)//https://x.example.org"', "bad-url"),
    ('"data:text/html,<script>alert(1)</script>"', "bad-url"), ("http://test.example.org/apply", "insecure-url"),
    ('"https://test.example.org/apply\\"><script>alert(1)</script>"', None),  # an address; escaped where shown
])
def test_enrol_url_must_be_a_secure_web_address(make_site, url, code):
    site = make_site({"content/courses/test-institute/test-course.md": course(enrol_url=url)})
    assert [c for _, c in codes(site)] == ([code] if code else [])


def test_file_size_limit(make_site):
    site = make_site({"content/courses/test-institute/test-course.md": COURSE + "x" * (1024 * 1024)})
    assert codes(site) == [("test-course.md", "too-large")]


def test_links_and_special_files_are_reported_not_followed(make_site, tmp_path):
    site = make_site()
    outside = tmp_path / "elsewhere"
    (outside / "courses/test-institute").mkdir(parents=True)
    (outside / "courses/test-institute/secret.md").write_text(COURSE)
    courses = site / "content/courses"
    os.symlink(outside / "courses/test-institute/secret.md", courses / "test-institute/linked-file.md")
    os.symlink(outside / "courses/test-institute", courses / "linked-institute")
    os.symlink(courses / "test-institute", courses / "test-institute/linked-inside")
    os.symlink("loop.md", courses / "test-institute/loop.md")
    os.symlink("missing.md", courses / "test-institute/dangling.md")
    os.mkfifo(courses / "test-institute/pipe.md")
    found = codes(site)
    assert sorted(found) == sorted([("linked-file.md", "symlink"), ("linked-institute", "symlink"),
                                    ("linked-inside", "symlink"), ("loop.md", "symlink"),
                                    ("dangling.md", "symlink"), ("pipe.md", "not-a-file")])


def test_linked_content_folders_are_reported(make_site, tmp_path):
    site = make_site()
    shutil.move(site / "content/courses", tmp_path / "courses-elsewhere")
    os.symlink(tmp_path / "courses-elsewhere", site / "content/courses")
    assert ("courses", "symlink") in codes(site)
    other = tmp_path / "other-site"
    other.mkdir()
    os.symlink(site / "content", other / "content")
    assert codes(other) == [("content", "symlink")]


@pytest.mark.parametrize("name, code", [
    ("with\x1b[31mcolour.md", "bad-name"), ("tab\there.md", "bad-name"), ("new\nline.md", "bad-name"),
    ("x" * 101 + ".md", "bad-name"), ("with space.md", "bad-id"), ("UPPER.md", "bad-id"), ("-x.md", "bad-id"),
    ("a--b.md", "bad-id"), ("žluťoučký.md", "bad-id"), ("a.b.md", "bad-id"),
])
def test_odd_file_names_are_reported_and_never_reach_the_output(make_site, tmp_path, name, code):
    site = make_site({f"content/courses/test-institute/{name}": COURSE})
    assert code in [c for _, c in codes(site)]
    with pytest.raises(ContentError):
        build(site, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_name_that_is_not_utf8_is_reported_printably(make_site):
    site = make_site()
    with open(os.fsencode(site / "content/courses/test-institute") + b"/caf\xe9.md", "w") as f:
        f.write(COURSE)
    result = run_check(site)
    assert result.returncode == 1 and "caf\\xe9.md: error: the name contains" in result.stderr
    assert run_check(site, "--format", "json").returncode == 1


# --- nothing lost: builds killed at random moments ------------------------------------------------------


def generated_site(tmp_path: Path, count: int) -> Path:
    """tests/sites/basic with `count` more courses, copies of one of them under other names."""
    site = copy_site("basic", tmp_path / "site")
    folder = site / "content/courses/alpha-institute"
    text = (folder / "data-stewardship.md").read_text()
    for n in range(count):
        (folder / f"generated-{n:03d}.md").write_text(text.replace("title: ", f"title: Copy {n} of ", 1))
    return site


def edit(site: Path, version: int) -> None:
    """Switch the site between two versions that differ in one course's title."""
    path = site / "content/courses/alpha-institute/generated-007.md"
    text = re.sub(r"(?m)^title: .*$", f"title: Version {version} of a generated course", path.read_text())
    path.write_text(text)


def build_command(site: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "generator", "build", "--source", str(site), "--out", str(out), "-q", *extra]


@pytest.mark.slow
def test_a_build_killed_at_any_moment_leaves_a_complete_earlier_build(tmp_path):
    site = generated_site(tmp_path, 150)  # about 1.5 s to build
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out, reference = tmp_path / "out", tmp_path / "reference"
    edit(site, 1)
    subprocess.run(build_command(site, reference, "--no-cache"), env=env, check=True, timeout=120)
    edit(site, 0)
    start = time.monotonic()
    subprocess.run(build_command(site, out), env=env, check=True, timeout=120)
    duration = time.monotonic() - start
    references = {0: tree(out), 1: tree(reference)}
    assert references[0] != references[1]
    rng = random.Random(8)
    for attempt in range(8):
        version = attempt % 2 if attempt < 4 else rng.randrange(2)
        edit(site, version)
        extra = ("--no-cache",) if attempt % 3 == 2 else ()  # a cold build's stages too
        process = subprocess.Popen(build_command(site, out, *extra), env=env, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, duration))
        os.killpg(process.pid, signal.SIGKILL)  # the build and the worker processes it started
        process.wait(timeout=30)
        assert tree(out) in (references[0], references[1]), f"attempt {attempt}: not a complete build"
    # the next build finishes the job, from whatever the killed ones left in the cache and beside the output
    version = 1 - version
    edit(site, version)
    subprocess.run(build_command(site, out), env=env, check=True, timeout=120)
    assert tree(out) == references[version]
    # what the killed builds left is removed soon after; the site replaced is kept as the next build's spare
    expected = [".out.spare", "out", "reference", "site"]
    deadline = time.monotonic() + 30
    while sorted(p.name for p in tmp_path.iterdir()) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == expected, left


def test_a_template_cache_removed_by_another_version_of_the_generator_is_no_build_error(tmp_path, monkeypatch):
    """Two checkouts of different versions build on one machine: each removes the other's compiled templates."""
    import jinja2
    from generator.engine.cache import compiled_templates
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    templates = compiled_templates()
    shutil.rmtree(templates.directory)
    env = jinja2.Environment(loader=jinja2.DictLoader({"page": "{{ 6 * 7 }}"}), bytecode_cache=templates)
    assert env.get_template("page").render() == "42"


def test_the_previous_output_is_removed_by_a_process_of_its_own(tmp_path):
    from generator.engine.output import publish, stage
    out = tmp_path / "out"
    publish(stage(out, {"index.html": b"first"}), out)
    publish(stage(out, {"index.html": b"second", **{f"page/{n}/index.html": b"x" for n in range(2000)}}), out)
    publish(stage(out, {"index.html": b"third"}), out, remove_old_later=True)
    assert (out / "index.html").read_bytes() == b"third" and not (out / "page").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "out"]  # still there as this returns
    deadline = time.monotonic() + 30
    while [p.name for p in tmp_path.iterdir()] != ["out"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_readers_never_see_the_output_folder_missing_while_it_is_replaced(tmp_path):
    from generator.engine.output import publish, stage
    out = tmp_path / "out"
    publish(stage(out, {"index.html": b"first"}), out)
    seen_missing = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if not (out / "index.html").exists():
                seen_missing.append(time.monotonic())
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for n in range(200):
            publish(stage(out, {"index.html": b"version %d" % n}), out)
    finally:
        done.set()
        watcher.join()
    assert seen_missing == [] and (out / "index.html").read_bytes() == b"version 199"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


# --- reproducible ------------------------------------------------------------------------------------------


def test_builds_in_other_folders_at_other_times_are_byte_identical_and_leak_no_paths(tmp_path, monkeypatch):
    outputs = []
    # two days of one month: the calendar page shows the build date's month and the eleven after it
    for n, epoch in enumerate(("1700000000", "1700800000")):
        site = copy_site("basic", tmp_path / f"machine-{n}" / "somewhere" / "site")
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        out = tmp_path / f"machine-{n}" / "out"
        build(site, out)
        outputs.append(out)
    first, second = (tree(o) for o in outputs)
    assert first == second
    leaks = [str(tmp_path), str(Path.home()), str(ROOT), "machine-0", "machine-1", os.environ.get("USER", "")]
    for rel, data in first.items():
        if data[:2] == b"\x1f\x8b":  # Pagefind's index files are gzipped
            data = gzip.decompress(data)
        text = data.decode("utf-8", "replace")
        assert not [leak for leak in leaks if len(leak) > 1 and leak in text], rel


# --- arbitrary input (Hypothesis) ---------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402 — only these tests need it

from generator.content.catalogue import parse_course, parse_institution  # noqa: E402
from generator.content.files import SourceFile  # noqa: E402
from generator.content.markup import MarkdownRenderer  # noqa: E402
from generator.content.schema import COURSE_FIELDS, INSTITUTION_FIELDS  # noqa: E402

VECTORS = ["<script>alert(1)</script>", "</script><script>window.__pwned=1</script>", "javascript:alert(1)",
           "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "\"><a href=javascript:alert(1)>", "'", '"',
           "<!--", "-->", "]]>", "{{ 7*7 }}", "{% raw %}", "&#x6a;avascript:alert(1)", "<style>", "\x1b[2J",
           "\u202e", "\u2028", "\t", "\r\n", "\r", "\ufeff", "&", "*a", "&a", "!!python/object:os.system",
           "<<: *a", "? ", "- ", ": ", "[", "]", "{", "}", "|", ">", "%", "@", "`", "#", "---", "...", "\x85"]
MARKDOWN = VECTORS + ["\n", "\n\n", "# ", "### ", "1. ", "> ", "    ", "```", "~~~", "(", ")", "![", "_", "**",
                      "*[", "]:", "\\", ": ", "|---|", "<a href=\"https://example.org\" onclick=\"x()\">",
                      "[x](javascript:alert(1))", "<javascript:alert(1)>", "[x]: javascript:alert(1)\n",
                      "<iframe src=x>", "<details open ontoggle=alert(1)>", "<math><mi xlink:href=javascript:x>"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**40, max_value=10**40),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40), st.sampled_from(VECTORS),
                    st.dates(), st.datetimes(), st.binary(max_size=8))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
keys = st.sampled_from([f.name for f in COURSE_FIELDS] + [f.name for f in INSTITUTION_FIELDS]) | st.text(max_size=12)
bodies = st.lists(st.sampled_from(MARKDOWN) | st.text(max_size=20), max_size=40).map("".join)


def dumped(mapping: dict) -> str:
    import yaml
    return yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False)


front_matter = st.one_of(
    st.dictionaries(keys, values, max_size=14).map(dumped),                               # well-formed YAML
    st.lists(st.sampled_from(VECTORS) | st.text(max_size=12), max_size=30).map("".join),  # anything at all
)


# CATALOGUE_FUZZ_EXAMPLES=20000 explores further than the suite's 200 examples a test
SETTINGS = settings(max_examples=int(os.environ.get("CATALOGUE_FUZZ_EXAMPLES", 200)), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.slow
@SETTINGS
@given(front=front_matter, body=bodies)
def test_any_course_file_gives_a_course_or_diagnostics(tmp_path, front, body):
    path = tmp_path / "some-institute" / "a-course.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    course, diagnostics = parse_course(SourceFile(path, "a-course.md"), RENDERER)
    assert course is not None or any(d.is_error for d in diagnostics)
    for d in diagnostics:
        assert d.path == "a-course.md" and d.line >= 0 and d.message and "\n" not in d.text()
    if course is not None:
        assert_safe(course.body_html, description=True)


@pytest.mark.slow
@SETTINGS
@given(front=front_matter)
def test_any_institution_file_gives_an_institution_or_diagnostics(tmp_path, front):
    path = tmp_path / "some-institute.yaml"
    path.write_text(front, encoding="utf-8")
    institution, diagnostics = parse_institution(SourceFile(path, "some-institute.yaml"))
    assert institution is not None or any(d.is_error for d in diagnostics)


@pytest.mark.slow
@SETTINGS
@given(body=bodies)
def test_any_markdown_body_renders_to_safe_html(body):
    assert_safe(RENDERER.render(body), description=True)


RENDERER = MarkdownRenderer()
