"""`catalogue serve` as a partner uses it: a real server in a subprocess, a real browser, files edited on disk."""
from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .conftest import COURSE, copy_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class Server:
    """A `catalogue serve` subprocess and what it prints (read by a thread of its own, so that waiting for a line
    that never comes fails at its time limit instead of hanging the test run)."""

    def __init__(self, site: Path, port: int = 0) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--source", str(site), "--port", str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            found = re.search(r"at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop; built files in (.+)\)",
                              self.read_line(r"\(Ctrl-C to stop", timeout=30))
        except AssertionError as exc:
            self.stop()
            raise AssertionError(f"serve did not start: {exc}") from None
        self.url, self.out = found.group(1), Path(found.group(2))

    def _read(self) -> None:
        for line in self.process.stderr:
            self._queue.put(line)
        self._queue.put(None)  # the process closed its output

    def read_line(self, pattern: str, timeout: float = 15) -> str:
        """The next printed line matching a pattern (the terminal report of a rebuild)."""
        deadline = time.time() + timeout
        while (left := deadline - time.time()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                self._queue.put(None)
                break
            self.lines.append(line)
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line like {pattern!r} in: {''.join(self.lines)}")

    def interrupt(self) -> None:
        """Press Ctrl-C: the server finishes its current step and stops (`stop` waits for it)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def stop(self) -> int:
        """Ctrl-C, then wait for the process to end and for the last of what it printed."""
        self.interrupt()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)
        if not self._reader.is_alive():
            self.process.stderr.close()
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return self.process.returncode


@pytest.fixture(scope="module")
def stopping():
    """The servers the tests are done with, Ctrl-C'd when their test ended and waited for here, at the end of
    the module: a server takes about half a second to stop (its background thread's settling pause, the HTTP
    loop's poll interval), which would otherwise be added to every test's teardown."""
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def start_server(stopping):
    """start_server(site) starts `catalogue serve` on a site; it is stopped when the test ends."""
    started: list[Server] = []

    def start(site: Path) -> Server:
        server = Server(site)
        started.append(server)
        return server

    yield start
    for server in started:
        server.interrupt()
        stopping.append(server)


@pytest.fixture
def served(tmp_path, start_server):
    site = copy_site("basic", tmp_path / "site")
    server = start_server(site)
    server.site = site
    return server


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_edit_shows_in_the_open_page_by_itself(served, page):
    course = served.site / "content/courses/beta-centre/good-clinical-practice.md"
    page.goto(served.url + "courses/beta-centre/good-clinical-practice/")
    assert page.locator("h1").inner_text() == "Good Clinical Practice for Investigators"
    page.wait_for_function("() => document.querySelector('script[src^=\"/_catalogue/live.js\"]')")
    time.sleep(0.3)  # let the page connect to the event stream
    edit(course, "title: Good Clinical Practice for Investigators", "title: GCP for Trial Investigators")
    page.wait_for_function("() => document.querySelector('h1').textContent === 'GCP for Trial Investigators'")
    line = served.read_line(r"good-clinical-practice\.md: \d+ files? written in \d+ ms")
    assert "content/courses/beta-centre/good-clinical-practice.md" in line


def test_a_rebuild_during_page_load_is_not_missed(served, page):
    """A rebuild that lands after the page was served but before it listens still reloads it."""
    course = served.site / "content/courses/beta-centre/good-clinical-practice.md"
    held = []
    page.route("**/_catalogue/events*", lambda route: held.append(route))  # the page cannot listen yet
    page.goto(served.url + "courses/beta-centre/good-clinical-practice/")
    page.wait_for_function("() => document.querySelector('script[src^=\"/_catalogue/live.js\"]')")
    while not held:
        page.wait_for_timeout(50)
    edit(course, "title: Good Clinical Practice for Investigators", "title: GCP Missed While Loading")
    served.read_line(r"good-clinical-practice\.md: \d+ files? written")
    assert page.locator("h1").inner_text() == "Good Clinical Practice for Investigators"
    held[0].continue_()  # now it connects, one rebuild late
    page.wait_for_function("() => document.querySelector('h1').textContent === 'GCP Missed While Loading'")


def test_the_page_shown_before_a_first_good_build_reloads_when_fixed(tmp_path, start_server, page):
    site = copy_site("basic", tmp_path / "site")
    course = site / "content/courses/beta-centre/good-clinical-practice.md"
    edit(course, "credits: 1\n", "credits: lots\n")
    server = start_server(site)
    page.goto(server.url)
    assert "The catalogue could not be built" in page.locator("h1").inner_text()
    assert "'credits' must be a number" in page.locator("body").inner_text()
    time.sleep(0.3)
    edit(course, "credits: lots\n", "credits: 1\n")
    page.wait_for_function("() => document.querySelector('[data-ready]') !== null", timeout=20_000)


def test_only_the_pages_showing_a_course_are_rewritten(served):
    out = served.out
    served.read_line(r"search index: \d+ pages indexed", timeout=60)  # the first build's background work is done
    before = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
              and not any("pagefind" in part for part in p.relative_to(out).parts)}
    time.sleep(0.05)
    course = served.site / "content/courses/alpha-institute/data-stewardship.md"
    edit(course, "summary: Plan, document and share", "summary: Plan, describe and share")
    served.read_line(r"data-stewardship\.md: \d+ files? written")
    after = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
             and not any("pagefind" in part for part in p.relative_to(out).parts)}
    rewritten = {rel for rel in after if before.get(rel) != after[rel]}
    assert rewritten == {
        "courses/alpha-institute/data-stewardship/index.html",
        "index.html",                            # its card on the first listing page
        "institutions/alpha-institute/index.html",
        "pathways/the-institute-s-certificate-in-research-management/index.html",  # its card on its pathway's page
    }, rewritten
    # then, in the background, the data files that carry its summary (the rest stay as they were)
    line = served.read_line(r"data files: \d+ written")
    later = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
             and not any("pagefind" in part for part in p.relative_to(out).parts)}
    data = {rel for rel in later if after.get(rel) != later[rel]}
    # the feeds of its filters' values (each filter value's Atom feed and calendar that hold it)
    filters = {rel for rel in later if rel.startswith("feeds/") and rel.endswith((".xml", ".ics"))
               and b"data-stewardship" in (out / rel).read_bytes()}
    assert len(filters) >= 16  # a feed and a calendar for each of its eight filters, at least
    assert data == {
        "courses.json", "courses.csv", "elm.jsonld", "courses/alpha-institute/data-stewardship/elm.jsonld",
        "feed.xml", "institutions/alpha-institute/feed.xml",
        "courses.ics", "courses/alpha-institute/data-stewardship/calendar.ics",
        "search/cards.json",                     # its result card, with every other
    } | filters, data
    assert f"data files: {len(data)} written" in line


def fetch(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_new_and_deleted_courses(served, page):
    page.goto(served.url + "institutions/beta-centre/")
    time.sleep(0.3)
    new = served.site / "content/courses/beta-centre/pharmacovigilance.md"
    new.write_text(COURSE.replace("A Test Course", "Pharmacovigilance Basics"))
    # the open institution page reloads by itself and lists the new course
    page.get_by_role("link", name="Pharmacovigilance Basics").wait_for()
    status, html = fetch(served.url + "courses/beta-centre/pharmacovigilance/")
    assert status == 200 and "<h1 lang=\"en\">Pharmacovigilance Basics</h1>" in html
    # the files no page shows follow in the background: the feed, courses.json, the search table (the preview has
    # no sitemap: its addresses have no host)
    for path in ("feed.xml", "courses.json", "search/browse.json"):
        deadline = time.time() + 20
        while "beta-centre/pharmacovigilance/" not in fetch(served.url + path)[1]:
            assert time.time() < deadline, f"{path} does not list the new course"
            time.sleep(0.1)
    new.unlink()
    page.wait_for_function("() => !document.body.textContent.includes('Pharmacovigilance Basics')")
    assert fetch(served.url + "courses/beta-centre/pharmacovigilance/")[0] == 404
    assert not (served.out / "courses/beta-centre/pharmacovigilance").exists() or \
        not any((served.out / "courses/beta-centre/pharmacovigilance").iterdir())
    (served.site / "content/courses/beta-centre/good-clinical-practice.md").rename(
        served.site / "content/courses/beta-centre/gcp.md")
    served.read_line(r"gcp\.md.*\d+ files? written")
    assert fetch(served.url + "courses/beta-centre/gcp/")[0] == 200
    assert fetch(served.url + "courses/beta-centre/good-clinical-practice/")[0] == 404


def test_a_broken_file_shows_over_the_page_until_fixed(served, page):
    course = served.site / "content/courses/beta-centre/good-clinical-practice.md"
    page.goto(served.url + "courses/beta-centre/good-clinical-practice/")
    time.sleep(0.3)
    edit(course, "credits: 1\n", "credits: lots\n")
    overlay = page.locator("#catalogue-problems")
    overlay.wait_for()
    assert "content/courses/beta-centre/good-clinical-practice.md:4:10: error: 'credits' must be a number" in \
        overlay.inner_text()
    served.read_line(r"1 problem; still serving the last good pages")
    assert page.locator("h1").inner_text() == "Good Clinical Practice for Investigators"  # the last good page
    edit(course, "credits: lots\n", "credits: 1.5\n")
    page.wait_for_function("() => !document.querySelector('#catalogue-problems') && "
                           "document.body.textContent.includes('1.5 ECTS credits')")
    # a page opened while the site is broken shows the problems at once
    edit(course, "mode: on-site", "mode: onsite")
    served.read_line(r"still serving")
    other = page.context.new_page()
    other.goto(served.url)
    other.locator("#catalogue-problems").wait_for()
    assert "did you mean 'on-site'?" in other.locator("#catalogue-problems").inner_text()


def test_template_errors_show_with_their_line(served, page):
    theme = served.site / "themes/default/templates"
    theme.mkdir(parents=True)
    page.goto(served.url)
    time.sleep(0.3)
    (theme / "404.html").write_text("{% extends 'base.html' %}\n{% block main %}\n{{ nope }}\n{% endblock %}\n")
    page.locator("#catalogue-problems").wait_for()
    assert "themes/default/templates/404.html:3" in page.locator("#catalogue-problems").inner_text()


def test_search_works_in_the_preview(served, page):
    deadline = time.time() + 60  # the index is made in the background after the first build
    while not (served.out / "pagefind/pagefind.js").exists() and time.time() < deadline:
        time.sleep(0.2)
    page.goto(served.url + "?q=glossary")
    page.wait_for_function("() => document.querySelector('[data-status]').textContent.includes(' for “')",
                           timeout=20_000)
    assert page.locator("[data-results] a").first.get_attribute("href") == "/courses/alpha-institute/data-stewardship/"


def raw_get(url: str, path: str) -> bytes:
    host, port = re.match(r"http://([\d.]+):(\d+)/", url).groups()
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("path", ["/../", "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                                  "/courses/../../site/content/institutions/beta-centre.yaml", "/.catalogue-output",
                                  "/courses/", "/assets/", "//etc/passwd", "/%00"])
def test_nothing_outside_the_built_site_is_served(served, path):
    response = raw_get(served.url, path)
    assert response.startswith(b"HTTP/1.1 404"), response[:200]
    assert b"root:" not in response and b"name: Beta" not in response and b"Index of" not in response


def test_binds_to_localhost_and_reports_a_port_in_use(served, tmp_path):
    assert served.url.startswith("http://127.0.0.1:")
    port = int(served.url.rsplit(":", 1)[1].strip("/"))
    clash = subprocess.run([sys.executable, "-m", "generator", "serve", "--source", str(served.site), "--port",
                            str(port)], capture_output=True, text=True, timeout=30)
    assert clash.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in clash.stderr and "Traceback" not in clash.stderr


def test_ctrl_c_stops_cleanly(served):
    out = served.out
    assert served.stop() == 0
    assert "Stopped." in "".join(served.lines) and "Traceback" not in "".join(served.lines)
    assert not out.exists()


def test_build_output_never_has_the_live_script(basic_build):
    out, _ = basic_build
    assert not any(b"_catalogue" in p.read_bytes() for p in out.rglob("*") if p.is_file())


def test_a_saved_picture_shows_in_the_open_page(tmp_path, start_server, page):
    from .test_media import photo
    site = copy_site("basic", tmp_path / "site")
    folder = site / "content/courses/beta-centre"
    (folder / "ward.jpg").write_bytes(photo(size=(800, 500)))
    edit(folder / "good-clinical-practice.md", "mode: on-site\n", "mode: on-site\nimage: ward.jpg\n"
                                                                   "image_alt: A hospital ward\n")
    server = start_server(site)
    page.goto(server.url + "courses/beta-centre/good-clinical-practice/")
    picture = page.locator(".course__picture img")
    first = picture.get_attribute("src")
    page.wait_for_function("() => document.querySelector('script[src^=\"/_catalogue/live.js\"]')")
    time.sleep(0.3)
    (folder / "ward.jpg").write_bytes(photo(size=(640, 480)))  # the partner saves a new picture over the old
    page.wait_for_function("first => { const img = document.querySelector('.course__picture img');"
                           " return img && img.getAttribute('src') !== first && img.complete && img.naturalWidth > 0 }",
                           arg=first, timeout=20_000)
    assert picture.get_attribute("width") == "640" and picture.get_attribute("height") == "480"
    served = sorted(p.name for p in (server.out / "media").iterdir())
    assert len({name.rsplit("-", 2)[1] for name in served}) == 1  # the old picture's files are gone
    assert sorted({name.rsplit("-", 1)[1] for name in served}) == ["480.jpg", "480.webp", "640.jpg", "640.webp"]
    line = server.read_line(r"ward\.jpg: \d+ files? written")
    assert "content/courses/beta-centre/ward.jpg" in line
