"""The validator's contract: broken sites under tests/sites/invalid/ and the exact lines `catalogue check` prints.

Each case folder holds a small `content/` with one thing broken (or a few related things) and `expected.txt`,
the whole of stderr for `catalogue check` run inside the folder. A change to a message is a change to what
course coordinators read: update expected.txt by hand, after reading the new line as they would.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.engine.build import build
from generator.cli import main
from generator.diagnostics import ContentError

from .conftest import SITES

INVALID = SITES / "invalid"
CASES = sorted(p for p in INVALID.iterdir() if p.is_dir())
LINE_RE = re.compile(r"^(?P<path>[^:]+?)(?::(?P<line>\d+):(?P<col>\d+))?: (?P<severity>error|warning): (?P<text>.*)$")
COUNT_RE = re.compile(r"^\d+ errors?, \d+ warnings?$")


def expected(case: Path) -> str:
    return (case / "expected.txt").read_text(encoding="utf-8")


def expected_diagnostics(case: Path) -> list[dict[str, object]]:
    """The diagnostic lines of expected.txt, parsed into path, line, column, severity and text."""
    *lines, count = expected(case).splitlines()
    assert COUNT_RE.match(count), f"{case.name}: expected.txt must end with the count line"
    rows = []
    for line in lines:
        match = LINE_RE.match(line)
        assert match, f"{case.name}: not a diagnostic line: {line!r}"
        rows.append({"path": match["path"], "line": int(match["line"] or 0), "column": int(match["col"] or 0),
                     "severity": match["severity"], "text": match["text"]})
    return rows


def has_error(case: Path) -> bool:
    return any(": error: " in line for line in expected(case).splitlines())


def test_the_contract_covers_enough_cases():
    assert len(CASES) >= 30
    for case in CASES:
        assert (case / "content").is_dir() and (case / "expected.txt").is_file(), case.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_check_prints_exactly_the_expected_diagnostics(case, chdir_to, capsys):
    chdir_to(case)
    code = main(["check"])
    out, err = capsys.readouterr()
    assert err == expected(case)
    assert out == ""
    assert "No problems found." not in err and "Traceback" not in err
    assert code == (1 if has_error(case) else 0)


def test_a_valid_file_beside_a_broken_one_says_nothing(chdir_to, capsys):
    case = INVALID / "bom-crlf-valid-beside-broken"
    valid = case / "content/courses/beta-centre/good-clinical-practice.md"
    assert valid.read_bytes().startswith(b"\xef\xbb\xbf---\r\n")  # the case really is a BOM and CRLF file
    chdir_to(case)
    main(["check"])
    assert "good-clinical-practice.md" not in capsys.readouterr().err


def test_github_annotation_format(chdir_to, capsys):
    chdir_to(INVALID / "unknown-field-did-you-mean")
    assert main(["check", "--format", "github"]) == 1
    assert capsys.readouterr().out == ("::error file=content/courses/beta-centre/good-clinical-practice.md,line=4,col=1,"
                                       "title=unknown-field::unknown field 'credit' (did you mean 'credits'?)\n")


@pytest.mark.parametrize("name", ["yaml-unclosed-quote", "institution-problems", "many-problems", "workload-warning"])
def test_github_annotations_sit_where_the_text_lines_say(name, chdir_to, capsys):
    case = INVALID / name
    chdir_to(case)
    code = main(["check", "--format", "github"])
    out, err = capsys.readouterr()
    assert err == ""
    annotations = out.splitlines()
    wanted = expected_diagnostics(case)
    assert len(annotations) == len(wanted)
    for line, d in zip(annotations, wanted):
        match = re.fullmatch(r"::(error|warning) file=([^,]+),line=(\d+),col=(\d+),title=([a-z-]+)::(.*)", line)
        assert match, line
        place = (match[1], match[2], int(match[3]), int(match[4]))
        assert place == (d["severity"], d["path"], d["line"], d["column"])
        assert match[6] == d["text"].replace("%", "%25")
    assert code == (1 if has_error(case) else 0)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_json_has_the_same_diagnostics(case, chdir_to, capsys):
    chdir_to(case)
    code = main(["check", "--format", "json"])
    rows = json.loads(capsys.readouterr().out)
    wanted = expected_diagnostics(case)
    assert len(rows) == len(wanted)
    for row, d in zip(rows, wanted):
        text = row["message"] + (f" ({row['hint']})" if row["hint"] else "")
        assert (row["path"], row["line"], row["column"], row["severity"], text) == \
            (d["path"], d["line"], d["column"], d["severity"], d["text"])
        assert row["code"]
    assert code == (1 if has_error(case) else 0)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_build_stops_with_the_same_diagnostics_and_writes_nothing(case, tmp_path, chdir_to):
    chdir_to(case)
    out = tmp_path / "output"
    # a case with only warnings must still stop a strict build
    with pytest.raises(ContentError) as err:
        build(Path("."), out, strict=not has_error(case))
    assert [d.text() for d in err.value.diagnostics] == expected(case).splitlines()[:-1]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
