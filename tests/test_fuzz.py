"""Fuzzing: thousands of generated course files, valid and broken, thrown at `catalogue check` and `catalogue build`.

Each Hypothesis example is a catalogue of 150 course files, checked and built in processes of their own (and its
valid files built alone):
no traceback, no hang, no file written outside the output folder and the cache, and built pages that run no
script from content. CATALOGUE_FUZZ_FILES sets how many files a run tries (default 5,000); the examples are
the same on every run (derandomized). CATALOGUE_FUZZ_SHRINK=1 lets Hypothesis shrink a failing catalogue, down
to one file where it can (slow: each step is a check and a build).
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from generator.content.schema import COURSE_FIELDS

from .conftest import COURSE, FUZZ_TRIED, INSTITUTION, ROOT
from .safety import assert_safe_site

FILES = int(os.environ.get("CATALOGUE_FUZZ_FILES", 5000))
SHRINK = os.environ.get("CATALOGUE_FUZZ_SHRINK") == "1"
PER_CATALOGUE = min(150, FILES)  # (200 would often overrun what Hypothesis draws for one example)
CATALOGUES = max(1, -(-FILES // PER_CATALOGUE))
INSTITUTIONS = ("fuzz-a", "fuzz-b")
TIMEOUT = 60  # seconds for one check or build of a catalogue: far more than any takes

# --- course files ----------------------------------------------------------------------------------------------

HOSTILE = ["<script>alert(1)</script>", "</script><script>window.__pwned=1</script>", "javascript:alert(1)",
           "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>", "\"><a href=javascript:alert(1)>x</a>", "'", '"',
           "<!--", "-->", "]]>", "{{ 7*7 }}", "{% raw %}", "&#x6a;avascript:alert(1)", "<style>", "=cmd|' /C calc'!A0",
           "+1", "@SUM(1)", "\u202e", "\t", "&", "&amp;", "\\", "Ünïcödé ✓ 中文 🎓", "a\u0301", "\ufeff"]
texts = st.sampled_from(HOSTILE) | st.text(max_size=30)
quoted = texts.map(lambda t: json.dumps(t, ensure_ascii=False))  # a YAML double-quoted scalar
# text a field takes: visible characters (no controls, no bidirectional overrides), not blank
visible = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Co", "Cn", "Zl", "Zp")), min_size=1, max_size=40)
valid_quoted = (st.sampled_from([h for h in HOSTILE if h.strip() and h not in ("\u202e", "\ufeff")]) |
                visible.filter(str.strip)).map(lambda t: json.dumps(t, ensure_ascii=False))
odd = st.sampled_from([  # values of the wrong type, tagged values, anchors and aliases, YAML oddities
    "", "~", "null", "true", "no", "on", "0", "-1", "2.75", "1e999", ".nan", "-.inf", "0x1F", "0o17", "1_000",
    "2027-02-30", "2027-13-01", "2027-01-01T10:00:00Z", "12.04.2027", "[]", "{}", "[a, b]", "{a: 1}", "[[[]]]",
    "'it''s'", "|\n  block\n  text", ">-\n  folded\n  text", "\n  - one\n  - two", "\n  - [nested]\n  - {a: b}",
    "\n  key: value", '"\\x1b[31m"', '"\\u0000"', '"\\ud800"', "!!bool maybe", "!!int ''", "!!int '-'",
    "!!timestamp x", "!!timestamp [a]", "!!float ''", "!!float abc", "!!binary x", "!!binary '!!'", "!!set {a}",
    "!!omap [a]", "!!pairs [a]", "!!str [a]", "!!map [a]", "!!seq {a: 1}", "!!null x", "!!python/object:os.system x",
    "!!python/name:os.system", "!foo bar", "!<tag:yaml.org,2002:int> x", "&a x", "*a", "*nope", "&a [1, 2]",
    "[*a, *a]", "{<<: *a}", "&a\n  - *a", "? a\n  : b", "'unclosed", '"unclosed', "[unclosed", "{unclosed",
    "a: b: c", "a #comment", "#", "@at", "`tick", "%percent", "- item", "? key", "| x", "> x", "\ta",
])
VALID = {  # values each field takes
    "credits": ["1", "2", "1.5", "60", "7.5"], "eqf_level": [str(n) for n in range(1, 9)],
    "audience": ["[doctoral-candidates]", "[professionals, anyone]", "\n  - recent-graduates"],
    "language": ["en", "[cs, en]", "de"], "mode": ["online", "on-site", "blended"],
    "admission": ["none", "bachelor", "master", "doctorate"], "workload_hours": ["50", "60"],
    "isced_f": ['"0511"', '"05"'], "start_date": ["2027-01-20"], "end_date": ["2027-01-21"],
    "application_deadline": ["2027-01-01"], "fee": ["0", "450", "99.5"], "currency": ["EUR", "CZK"],
    "enrol_url": ["https://test.example.org/apply?a=1&b=2", '"https://test.example.org/\\"><script>x</script>"'],
    "contact": ["someone@example.org"], "supervision": ["supervised"], "stackability": ["stackable"],
    "europass": ["true", "false"], "status": ["open", "upcoming", "closed", "archived"], "updated": ["2026-05-01"],
    "image": ["~"],  # (a picture needs its file and image_alt: tests/test_media.py; here the field is left empty)
}
FIELDS = [f.name for f in COURSE_FIELDS]
KEYS = st.sampled_from(FIELDS + ["credit", "ects", "x", "Title", "<<", "? [a]", "'quoted key'", "1", "true", "a b"])


def valid_value(field: str) -> st.SearchStrategy[str]:
    """A value the field takes: hostile text in text fields (it must be escaped where it is shown)."""
    if field in VALID:
        return st.sampled_from(VALID[field])
    if field in ("learning_outcomes", "topics"):
        return st.lists(valid_quoted, min_size=1, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
    return valid_quoted


def value_for(field: str) -> st.SearchStrategy[str]:
    return st.one_of(valid_value(field), odd, quoted, st.integers(-10**30, 10**30).map(str), st.text(max_size=20))


field_change = KEYS.flatmap(lambda key: st.tuples(st.just(key), st.none() | value_for(key)))  # None: left out
valid_change = st.sampled_from(FIELDS).flatmap(lambda key: st.tuples(st.just(key), valid_value(key)))

MARKDOWN = [
    "\n", "\n\n", "# ", "## Heading\n", "1. ", "- ", "> ", "    ", "```\n", "~~~\n", "**bold**", "_em_", "`code`",
    "[link](https://example.org/a?b=1&c=2)", "[other course](../fuzz-b/c-001.md)",
    "[other](/content/courses/fuzz-a/c-000.md#x)", "[itself](c-000.md)",
    "[missing](missing-course.md)", "[section](#programme)", "[abs](/etc/passwd)", "[proto](//evil.example)",
    "[js](javascript:alert(1))", "[js2](JaVaScRiPt:alert(1))", "[tab](java\tscript:alert(1))", "[data](data:text/html,x)",
    "[broken](<plan\nof-work.html>)", "[ref][r]\n\n[r]: javascript:alert(1)\n", "[undefined][nowhere]",
    "[spaced] (https://example.org)", "<https://example.org>", "<javascript:alert(1)>", "<mailto:a@example.org>",
    "https://example.org/bare).", "<a href=\"https://example.org\" onclick=\"x()\">a</a>", "<a href=javascript:x>x</a>",
    "<script>window.__pwned=1</script>", "<img src=x onerror=alert(1)>", "![image](x.png)", "![x](javascript:x)",
    "<iframe src=x></iframe>", "<details open ontoggle=alert(1)>", "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href=javascript:x>", "<style>body{}</style>", "<!-- comment -->", "<div style=\"x\">d</div>",
    "&#x6a;avascript:alert(1)", "&lt;script&gt;", "| a | b |\n|---|---|\n| 1 | <b>2</b> |\n",
    "term\n: definition\n", "*[HTML]: Hyper Text\n", "[^1]\n\n[^1]: a note\n", "line  \nbreak", "\\<script>",
    "{{ 7*7 }}", "{% raw %}", "word " * 400, "x" * 5000 + "\n", "[" * 50, "(" * 50,
]
bodies = st.lists(st.sampled_from(MARKDOWN) | st.text(max_size=20), max_size=10).map("".join)
NOT_VALID = ("[[", "((", "[itself]", "[missing]", "[abs]", "[proto]", "[tab]", "[broken]", "<img", "![")  # errors: bad links, images
valid_bodies = st.lists(st.sampled_from([m for m in MARKDOWN if not m.startswith(NOT_VALID)]), max_size=8) \
    .map(lambda parts: "A description.\n\n" + "".join(parts))
FENCES = ["---\n{fm}---\n{body}"] * 6 + ["{fm}---\n{body}", "---\n{fm}{body}", "---\n{fm}...\n{body}",
                                         "--- \t\n{fm}---  \n{body}", "\ufeff---\n{fm}---\n{body}", "---\n---\n{body}",
                                         "---\r\n{fm}---\r\n{body}", "\n---\n{fm}---\n{body}"]


def base_fields() -> dict[str, str]:
    """The test course's fields as YAML text, in file order."""
    fields: dict[str, str] = {}
    key = ""
    for line in COURSE.split("---\n")[1].splitlines():
        if line.startswith(" "):
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def course_text(changes: list[tuple[str, str | None]], body: str, fence: str, duplicate: bool = False) -> str:
    """The test course with fields changed, added or left out (or given twice), in a front matter fence."""
    fields = list(base_fields().items())
    for key, value in changes:
        given = [n for n, (k, _) in enumerate(fields) if k == key]
        if value is None:
            fields = [(k, v) for k, v in fields if k != key]
        elif given and not duplicate:
            fields[given[0]] = (key, value)
        else:
            fields.append((key, value))
    lines = [f"{key}: {value}" if not value.startswith("\n") else f"{key}:{value}" for key, value in fields]
    return fence.format(fm="\n".join(lines) + "\n", body=body)


valid_course = st.builds(lambda changes, body: course_text(changes, body, FENCES[0]),
                         st.lists(valid_change, max_size=4), valid_bodies)
broken_course = st.builds(course_text, st.lists(field_change, min_size=1, max_size=5), bodies,
                          st.sampled_from(FENCES), st.booleans())
raw_yaml = st.builds(lambda parts, body: f"---\n{''.join(parts)}\n---\n{body}",
                     st.lists(st.sampled_from(["\n", ": ", "- ", "  ", "title", "credits", "x"]) | odd | quoted,
                              max_size=12), bodies)


def huge(kind: str, n: int) -> str:
    """A course file with something very large or deep in it; n is from 0 to 1,000."""
    if kind == "list":
        return course_text([("topics", "[" + "a, " * (20_000 + 280 * n) + "a]")], "", FENCES[0])
    if kind == "nesting":
        depth = 10 * n
        return course_text([("topics", "[" * depth + "]" * depth)], "", FENCES[0])
    if kind == "block-nesting":
        return course_text([("x", "".join(f"\n{'  ' * (i + 1)}k{i}:" for i in range(n // 4)) + " v")], "", FENCES[0])
    if kind == "string":
        return course_text([("summary", "x" * (1_100 * n))], "", FENCES[0])  # past 1 MiB, the file limit, at the end
    if kind == "keys":
        return COURSE.replace("---\n", "---\n" + "".join(f"k{i}: v\n" for i in range(30 * n)), 1)
    if kind == "aliases":
        lines = "a0: &a0 [x, x, x, x]\n" + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 4)}]\n"
                                                  for i in range(1, n // 50 + 2))
        return COURSE.replace("---\n", "---\n" + lines, 1)
    if kind == "body":
        return COURSE + ("A sentence of a description. " * 40 + "\n\n") * n
    if kind == "line":
        return COURSE + "word" * (250 * n)
    return COURSE + "[a](https://example.org) " * (10 * n)  # "links"


huge_course = st.builds(huge, st.sampled_from(["list", "nesting", "block-nesting", "string", "keys", "aliases",
                                               "body", "line", "links"]), st.integers(0, 1000))
BYTES = [b"\xff", b"\xc3", b"\xc3(", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\r\n", b"\r", b"\x1b[2J", b"\x85",
         b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xae", b"\t", b"\x7f", b"\x08", b"\xf4\x90\x80\x80", b"\n---\n"]
byte_change = st.tuples(st.integers(0, 1000), st.sampled_from(BYTES) | st.binary(max_size=4), st.booleans())


def mangled(text: str, changes: list[tuple[int, bytes, bool]], crlf: bool) -> bytes:
    """A course file with bytes put in (or the rest cut off) at places along it."""
    data = text.encode("utf-8")
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    for at, piece, cut in changes:
        place = len(data) * at // 1000
        data = data[:place] + piece + (b"" if cut and at > 500 else data[place:])
    return data


byte_course = st.builds(mangled, valid_course, st.lists(byte_change, min_size=1, max_size=3), st.booleans())
random_bytes = st.binary(max_size=200) | st.binary(max_size=200).map(lambda b: b"---\n" + b + b"\n---\n")
# Of every twenty files: half valid (with hostile values and descriptions: they are built), one very large.
# By place rather than by Hypothesis's choice, whose proportions would drift.
KINDS = [valid_course] * 10 + [broken_course] * 4 + [raw_yaml, raw_yaml, byte_course, byte_course, random_bytes,
                                                    huge_course]
catalogues = st.tuples(*(KINDS[n % len(KINDS)] for n in range(PER_CATALOGUE))).map(list)

# --- running the commands --------------------------------------------------------------------------------------

DIAGNOSTIC = re.compile(r"^(?P<path>[^:]+)(:\d+(:\d+)?)?: (?P<severity>error|warning): \S")
OTHER_LINES = re.compile(r"^(\d+ errors?, \d+ warnings?|No problems found\.|Build stopped: nothing was written; "
                         r"output is unchanged\.|a course description is nested too deeply for Markdown: .*)$")


def snapshot(top: Path, site: Path) -> dict[str, str]:
    """Every file and folder under `top` with a digest of its content, but for the output folder and the cache."""
    skip = (site / "output", site / ".catalogue-cache")
    found: dict[str, str] = {}
    for folder, names, files in os.walk(top):
        here = Path(folder)
        names[:] = [n for n in names if here / n not in skip]
        for name in names:
            found[(here / name).relative_to(top).as_posix()] = "folder"
        for name in files:
            path = here / name
            found[path.relative_to(top).as_posix()] = hashlib.sha1(path.read_bytes()).hexdigest()
    return found


def settled(top: Path, site: Path) -> dict[str, str]:
    """The snapshot once the build's own folders beside the output (.output.aside-*, the search index's working
    folder set aside) are gone: a process of their own removes them just after the build returns."""
    deadline = time.monotonic() + 10
    while any(site.glob(".output.*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    return snapshot(top, site)


def start(site: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8"}
    env.pop("CI", None)
    return subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=site, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen, what: str) -> tuple[int, str]:
    """The exit code and stderr of a finished command, checked: no traceback, no hang, only diagnostics."""
    try:
        _, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError(f"{what} did not finish in {TIMEOUT} s") from None
    assert "Traceback" not in stderr, f"{what}:\n{stderr[-5000:]}"
    assert process.returncode in (0, 1), f"{what} exited with {process.returncode}:\n{stderr[-5000:]}"
    strays = [line for line in stderr.splitlines() if not DIAGNOSTIC.match(line) and not OTHER_LINES.match(line)]
    assert not strays, f"{what} printed lines that are not diagnostics: {strays[:5]}"
    return process.returncode, stderr


def failing_files(stderr: str) -> set[str]:
    return {m["path"] for line in stderr.splitlines() if (m := DIAGNOSTIC.match(line)) and m["severity"] == "error"}


def write_catalogue(top: Path, files: list[str | bytes], valid_only: bool = False) -> Path:
    """A site of the files (with `valid_only`, of those made valid, at the same names) and two institutions."""
    site = top / "site"
    for institution in INSTITUTIONS:
        path = site / "content/institutions" / f"{institution}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(INSTITUTION.replace("Test Institute", f"Institute {institution}"), encoding="utf-8")
        (site / "content/courses" / institution).mkdir(parents=True)
    for n, content in enumerate(files):
        if valid_only and KINDS[n % len(KINDS)] is not valid_course:
            continue
        path = site / "content/courses" / INSTITUTIONS[n % 2] / f"c-{n:03d}.md"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return site


def check_and_build(top: Path, files: list[str | bytes]) -> int:
    """Check and build the catalogue, and at the same time build its valid files alone; returns how many
    courses were built."""
    (top / "all").mkdir()
    (top / "valid").mkdir()
    site, valid = write_catalogue(top / "all", files), write_catalogue(top / "valid", files, valid_only=True)
    before = snapshot(site.parent, site), snapshot(valid.parent, valid)  # each site and the folder it is in
    running = start(site, "check"), start(site, "build", "-q"), start(valid, "build", "-q")
    (checked, check_err), (built, build_err), (made, made_err) = \
        (finish(p, what) for p, what in zip(running, ("check", "build", "build of the valid files")))
    assert (settled(site.parent, site), settled(valid.parent, valid)) == before, "check or build wrote outside the output folder"
    assert checked == built, f"check exited {checked}, build {built}:\n{check_err[-3000:]}\n{build_err[-3000:]}"
    assert failing_files(check_err) == failing_files(build_err)
    assert not failing_files(check_err) - {f"content/courses/{p.parent.name}/{p.name}"
                                           for p in site.glob("content/courses/*/*.md")}  # only course files fail
    if built:
        assert not (site / "output").exists(), "a build that failed left an output folder"
    assert made == 0, f"the valid files did not build:\n{made_err[-3000:]}"
    assert_safe_site(valid / "output")
    pages = len(list(valid.glob("output/courses/*/*/index.html")))
    assert pages == len(list(valid.glob("content/courses/*/*.md")))
    return pages


REMOVER = ThreadPoolExecutor(max_workers=1)


@pytest.mark.slow
@settings(max_examples=CATALOGUES, deadline=None, database=None, derandomize=True, print_blob=SHRINK,
          phases=list(Phase) if SHRINK else [Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(files=catalogues)
def test_generated_catalogues_are_checked_and_built_without_a_crash_and_safely(tmp_path, files):
    top = Path(tempfile.mkdtemp(dir=tmp_path))
    try:
        built = check_and_build(top, files)
    except BaseException:
        print(f"the catalogue is kept in {top}")
        raise
    REMOVER.submit(shutil.rmtree, top, ignore_errors=True)  # (while the next catalogue is made)
    FUZZ_TRIED["catalogues"] += 1
    FUZZ_TRIED["files"] += len(files)
    FUZZ_TRIED["built"] += built
