"""Faults of the machine and of the command line: each is one line on stderr (no traceback), a known exit code,
the last good output byte for byte as it was, and the site's files untouched."""
from __future__ import annotations

import hashlib
import os
import random
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.engine.build import build
from tests.conftest import ROOT, copy_site

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def snapshot(folder: Path, leave_out: tuple[str, ...] = ()) -> dict[str, str]:
    """Every file and folder under `folder`, with each file's hash (the names in `leave_out` left out)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel.split("/")[0] in leave_out:
            continue
        found[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
    return found


def source_files(site: Path) -> dict[str, str]:
    return snapshot(site, leave_out=(".catalogue-cache",))  # (the cache is the tool's, not the site's)


@pytest.fixture(scope="module")
def good_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/sites/basic built once, into a folder beside it."""
    top = tmp_path_factory.mktemp("good")
    build(copy_site("basic", top / "site"), top / "out")
    return top


@pytest.fixture
def built(good_build: Path, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A copy of the good build in tmp_path, as site/ and out/: (site, out, the output's files). Commands run
    from tmp_path, so they name these site and out."""
    site, out = tmp_path / "site", tmp_path / "out"
    shutil.copytree(good_build / "site", site, symlinks=True)
    shutil.copytree(good_build / "out", out, symlinks=True)
    return site, out, snapshot(out)


def catalogue(cwd: Path, *args: str, fault: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the command (with a fault put in, see tests/faulty.py) from `cwd`."""
    program = ["-m", "tests.faulty", fault] if fault else ["-m", "generator"]
    return subprocess.run([sys.executable, *program, *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def start(cwd: Path, *args: str, fault: str | None = None) -> subprocess.Popen:
    program = ["-m", "tests.faulty", fault] if fault else ["-m", "generator"]
    return subprocess.Popen([sys.executable, *program, *args], cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 30) -> str:
    """The first line of the process's stderr that contains `text` (failing after `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            break
        line = process.stderr.readline()
        if not line:
            break
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} on stderr")


def one_line(stderr: str) -> str:
    """The only line of `stderr`, which must not be a traceback."""
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Names of staged or set-aside sites, and of lock files, beside the output (waiting a little for the
    process that removes a replaced output); not the spare a build keeps for the next (fast/spare.py)."""
    deadline = time.monotonic() + 15
    while True:
        names = sorted(p.name for p in folder.iterdir() if p.name.startswith(".out.") and p.name != ".out.spare")
        if not names or time.monotonic() > deadline:
            return names
        time.sleep(0.02)


def staged(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".out.new-")]


# --- two builds at once ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_build_into_the_same_folder_waits_for_the_first(built, tmp_path):
    site, out, before = built
    release = tmp_path / "release"
    first = start(tmp_path, "build", "--source", "site", "--out", "out", "--no-cache", "-q", fault=f"hold:{release}")
    second = None
    try:
        wait_for_line(first, "held")
        assert len(staged(tmp_path)) == 1
        second = start(tmp_path, "build", "--source", "site", "--out", "out", "--no-cache", "-q")
        line = wait_for_line(second, "another build")
        assert line.strip() == "another build into out is running: waiting for it to finish…"
        assert len(staged(tmp_path)) == 1 and second.poll() is None  # the first build's staging is left alone
        release.touch()
        assert first.wait(timeout=60) == 0 and second.wait(timeout=60) == 0
        assert "Traceback" not in first.stderr.read() + second.stderr.read()
    finally:
        for process in (first, second):
            if process and process.poll() is None:
                process.kill()
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


@pytest.mark.slow
def test_builds_started_together_both_finish(built, tmp_path):
    site, out, before = built
    processes = [start(tmp_path, "build", "--source", "site", "--out", "out", "--no-cache", "-q") for _ in range(2)]
    assert [p.wait(timeout=60) for p in processes] == [0, 0]
    assert all("Traceback" not in p.stderr.read() for p in processes)
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


# --- a full disk ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault, words", [("enospc", "the disk is full"), ("edquot", "the disk quota is used up")])
def test_a_full_disk_stops_the_build_and_keeps_the_output(built, tmp_path, fault, words):
    site, out, before = built
    source = source_files(site)
    result = catalogue(tmp_path, "build", "--source", "site", "--out", "out", "--no-cache", "-q", fault=fault)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line.startswith(f"catalogue: error: {words}: ") and "free some space and build again" in line
    assert snapshot(out) == before and source_files(site) == source
    assert leftovers(tmp_path) == []


# --- the output folder ------------------------------------------------------------------------------------------


def test_missing_folders_above_the_output_are_made(built, tmp_path):
    site, _, before = built
    result = catalogue(tmp_path, "build", "--source", "site", "--out", "new/er/out", "-q")
    assert result.returncode == 0 and result.stderr == ""
    assert snapshot(tmp_path / "new/er/out") == before
    assert leftovers(tmp_path / "new/er") == []  # no lock file left either


@pytest.mark.parametrize("where, words", [
    ("/proc/catalogue-out", "--out /proc/catalogue-out cannot be written: "),
    ("a-file/out", "--out a-file/out cannot be made: a-file is a file, not a folder"),
    ("a-file", "--out a-file is a file, not a folder"),
])
def test_an_output_folder_that_cannot_be_written_is_refused(built, tmp_path, where, words):
    site, out, before = built
    (tmp_path / "a-file").write_text("a file")
    source = source_files(site)
    result = catalogue(tmp_path, "build", "--source", "site", "--out", where, "-q")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"catalogue: error: {words}")
    assert snapshot(out) == before and source_files(site) == source
    assert (tmp_path / "a-file").read_text() == "a file" and not Path("/proc/catalogue-out").exists()


@pytest.mark.parametrize("where, words", [
    (".", "would replace the site's own files"),
    ("site", "would replace the site's own files"),
    ("site/content", "would replace the site's own files"),
    ("site/content/x", "is inside the site's content folder site/content"),
    ("site/content/courses", "is inside the site's content folder site/content"),
    ("site/themes/x", "is inside the site's themes folder site/themes"),
    ("site/.catalogue-cache/x", "is inside the site's cache folder site/.catalogue-cache"),
    ("site/site.yaml", "is a file, not a folder"),
])
def test_an_output_folder_in_the_site_is_refused(built, tmp_path, where, words):
    site, out, before = built
    source = source_files(site)
    result = catalogue(tmp_path, "build", "--source", "site", "--out", where, "-q")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith("catalogue: error: --out ") and words in line
    assert snapshot(out) == before and source_files(site) == source


# --- read-only source -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_read_only_content_and_an_unwritable_cache_still_build(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    reference = tmp_path / "reference"
    build(site, reference, use_cache=False)
    for path in (site / "content").rglob("*"):
        if path.is_file():
            path.chmod(0o444)
    (site / ".catalogue-cache").write_text("")  # a file in the cache's place: it cannot be written, even by root
    source = source_files(site)
    result = catalogue(tmp_path, "build", "--source", "site", "--out", "out", "-q")
    assert result.returncode == 0
    assert one_line(result.stderr) == ("the build cache site/.catalogue-cache cannot be written (a file is in its "
                                       "place): going on without it")
    assert snapshot(tmp_path / "out") == snapshot(reference) and source_files(site) == source
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in (site / "content").rglob("*.md"))


def test_the_preview_warns_once_of_an_unwritable_cache(tmp_path, caplog):
    from generator.serve.preview import Preview
    site = copy_site("basic", tmp_path / "site")
    (site / ".catalogue-cache").write_text("")
    (tmp_path / "served").mkdir()
    with caplog.at_level("WARNING"):
        preview = Preview(site, tmp_path / "served")
        assert preview.refresh().ok
        (site / "content/courses/beta-centre/old-workshop.md").touch()
        assert preview.refresh().ok
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "site/.catalogue-cache cannot be written (a file is in its place)" in warnings[0]
    assert (site / ".catalogue-cache").read_text() == ""


def immutable(folder: Path, on: bool) -> bool:
    """Set or clear Linux's immutable flag on a folder (nothing can be added to it, even by root); False where
    it cannot be (not root, a file system without it, no chattr)."""
    try:
        return subprocess.run(["chattr", "+i" if on else "-i", str(folder)], capture_output=True).returncode == 0
    except OSError:
        return False


@pytest.mark.slow
def test_a_read_only_site_folder_builds_with_one_warning(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    for path in [*site.rglob("*"), site]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:  # (root writes in a read-only folder: for root, the folder is made immutable too)
        if os.geteuid() == 0 and not immutable(site, True):
            pytest.skip("neither a read-only nor an immutable folder stops root here (chattr +i failed)")
        result = catalogue(tmp_path, "build", "--source", "site", "--out", "out", "-q")
    finally:
        immutable(site, False)
        for path in [site, *site.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert result.returncode == 0
    assert one_line(result.stderr).startswith("the build cache site/.catalogue-cache cannot be written")


# --- files that go away -----------------------------------------------------------------------------------------


def test_a_course_file_gone_while_the_site_is_read_is_a_diagnostic(built, tmp_path):
    site, out, before = built
    gone = "site/content/courses/alpha-institute/data-stewardship.md"
    source = source_files(site)
    result = catalogue(tmp_path, "build", "--source", "site", "--out", "out", "--no-cache", "-q", fault=f"gone:{gone}")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == (f"{gone}: error: the file went away while the catalogue was read "
                                             "(if it was moved or deleted on purpose, run the command again)")
    assert snapshot(out) == before
    assert source_files(site) == {rel: h for rel, h in source.items() if f"site/{rel}" != gone}


def test_a_logo_gone_while_the_pages_are_made_is_one_line(built, tmp_path):
    site, out, before = built
    gone = "site/content/institutions/alpha-institute.svg"
    result = catalogue(tmp_path, "build", "--source", "site", "--out", "out", "--no-cache", "-q",
                       fault=f"logo-gone:{gone}")
    assert result.returncode == 1
    assert one_line(result.stderr) == (f"catalogue: error: a file went away while the catalogue was read or "
                                       f"written: {gone}; build again (out holds the last complete build)")
    assert snapshot(out) == before and leftovers(tmp_path) == []


# --- signals ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number, code, words", [(signal.SIGTERM, 143, "stopped by SIGTERM"),
                                                 (signal.SIGINT, 130, "interrupted"),
                                                 (signal.SIGHUP, 129, "stopped by SIGHUP")])
def test_a_signal_stops_the_build_and_removes_what_it_staged(built, tmp_path, number, code, words):
    site, out, before = built
    source = source_files(site)
    process = start(tmp_path, "build", "--source", "site", "--out", "out", "--no-cache", "-q",
                    fault=f"hold:{tmp_path / 'never'}")
    try:
        wait_for_line(process, "held")
        assert len(staged(tmp_path)) == 1
        process.send_signal(number)
        assert process.wait(timeout=30) == code
    finally:
        if process.poll() is None:
            process.kill()
    assert one_line(process.stderr.read()) == f"catalogue: {words} (out holds the last complete build)"
    assert snapshot(out) == before and source_files(site) == source
    assert leftovers(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("number, words", [(signal.SIGTERM, "stopped by SIGTERM"), (signal.SIGINT, "interrupted")])
def test_a_signal_while_the_command_starts_is_said_in_one_line(tmp_path, number, words):
    process = subprocess.Popen([sys.executable, "-m", "tests.slow_start", "build", "--source", "site", "--out", "out"],
                               cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)  # (Python has started and is loading the command's modules)
    process.send_signal(number)
    assert process.wait(timeout=30) == 128 + number
    assert one_line(process.stderr.read()) == f"catalogue: {words}"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing read, nothing written


@pytest.mark.slow
def test_a_large_build_stopped_at_any_moment_keeps_the_output_and_the_next_cleans_up(tmp_path):
    from tests.test_hardening import edit, generated_site
    site = generated_site(tmp_path, 300)
    started = time.monotonic()
    assert catalogue(tmp_path, "build", "--source", "site", "--out", "out", "-q", "--no-cache",
                     timeout=120).returncode == 0
    cold = time.monotonic() - started  # a build without the cache: long enough to be stopped in its middle
    before = snapshot(tmp_path / "out")
    rng = random.Random(3)
    stopped = 0
    for attempt in range(6):
        edit(site, attempt % 2 + 1)
        # every other build is cold, stopped between its start (once the command runs) and 80% of its time;
        # the others are rebuilds, stopped whenever: they may finish first
        extra, moment = (("--no-cache",), rng.uniform(0.5, max(0.6, 0.8 * cold))) if attempt % 2 \
            else ((), rng.uniform(0.3, 1.5))
        process = start(tmp_path, "build", "--source", "site", "--out", "out", "-q", *extra)
        time.sleep(moment)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
        stderr = process.stderr.read()
        assert "Traceback" not in stderr
        if code == 0:  # it finished first: that is the output to keep now
            before = snapshot(tmp_path / "out")
            continue
        assert code == 143 and one_line(stderr).startswith("catalogue: stopped by SIGTERM")
        assert snapshot(tmp_path / "out") == before
        stopped += 1
    assert stopped >= 3, f"only {stopped} of 6 builds stopped mid-build (a cold build took {cold:.2f} s)"
    edit(site, 0)
    assert catalogue(tmp_path, "build", "--source", "site", "--out", "out", "-q", timeout=120).returncode == 0
    assert leftovers(tmp_path) == []


# --- the command line -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (["serve", "--port", "80000"], "argument --port: '80000' is not a port number"),
    (["serve", "--port", "-1"], "argument --port: '-1' is not a port number"),
    (["serve", "--port", "http"], "argument --port: 'http' is not a port number"),
    (["build", "--colour"], "unrecognized arguments: --colour"),
    (["check", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
])
def test_a_mistake_on_the_command_line_is_one_line_with_a_pointer_to_the_help(built, tmp_path, args, words):
    result = catalogue(tmp_path, *args, "--source", "site")
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert line.startswith(f"catalogue {args[0]}: error: {words}")
    assert line.endswith(f"(see catalogue {args[0]} --help)") and "usage:" not in result.stderr


def test_no_command_is_one_line_too(tmp_path):
    result = catalogue(tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr).endswith("(see catalogue --help)")


def test_an_address_that_cannot_be_served_on_is_one_line(built, tmp_path):
    result = catalogue(tmp_path, "serve", "--source", "site", "--host", "no-such-host.invalid", "--port", "0")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith("catalogue: error: cannot serve on no-such-host.invalid:0: ")


def test_a_port_in_use_is_one_line(built, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        number = taken.getsockname()[1]
        result = catalogue(tmp_path, "serve", "--source", "site", "--port", str(number))
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"catalogue: error: port {number} on 127.0.0.1 is already in use")


@pytest.mark.parametrize("url", ["ftp://example.org/", "not a url", "https://example.org/?page=1",
                                 "https://example.org/#top", "https://"])
def test_a_bad_base_url_is_one_line(built, tmp_path, url):
    site, out, before = built
    result = catalogue(tmp_path, "build", "--source", "site", "--out", "out", "--base-url", url, "-q")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"catalogue: error: --base-url: the base URL '{url}'")
    assert snapshot(out) == before


@pytest.mark.parametrize("where, words", [("nowhere", "the site folder nowhere does not exist"),
                                          ("site/site.yaml", "the site folder site/site.yaml is a file, not a folder"),
                                          ("site/content", "no content/ folder in site/content")])
def test_a_source_that_is_not_a_site_is_one_line_and_writes_nothing(built, tmp_path, where, words):
    site, out, before = built
    result = catalogue(tmp_path, "build", "--source", where, "--out", "elsewhere", "-q")
    assert result.returncode == 2
    assert one_line(result.stderr).startswith(f"catalogue: error: {words}")
    assert not (tmp_path / "elsewhere").exists() and not (site / "content/.catalogue-cache").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]


def test_a_settings_file_that_is_a_folder_is_reported(built, tmp_path):
    site, out, before = built
    (site / "site.yaml").unlink()
    (site / "site.yaml").mkdir()
    result = catalogue(tmp_path, "build", "--source", "site", "--out", "out", "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith("site/site.yaml: error: site.yaml is a folder, not a file")
    assert snapshot(out) == before
