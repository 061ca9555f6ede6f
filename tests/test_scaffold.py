"""`catalogue new`: a course file with every field explained, which check rejects until it is filled in."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.engine.build import build, check
from generator.cli import main
from generator.content.scaffold import PLACEHOLDER, course_template, create_course, slugify
from generator.content.schema import COURSE_FIELDS

from .conftest import ROOT

TITLE = "Cryo-EM: Sample to Structure"
REL = "content/courses/test-institute/cryo-em-sample-to-structure.md"
REQUIRED = [spec.name for spec in COURSE_FIELDS if spec.required]
OPTIONAL = [spec.name for spec in COURSE_FIELDS if not spec.required]

# What a partner writes in place of the empty required lines (and enrol_url, which warns when empty).
FILLED = {
    "summary": "Prepare a sample, collect data and reconstruct a 3D structure.",
    "credits": "2.5",
    "eqf_level": "8",
    "audience": "[doctoral-candidates, professionals]",
    "language": "[en, cs]",
    "mode": "blended",
    "admission": "master",
    "learning_outcomes": "\n  - Prepare a vitrified grid.\n  - Collect a single-particle data set.",
    "assessment": '"Report: a written account of a reconstruction."',
    "quality_assurance": "Approved by the doctoral school's board.",
    "enrol_url": "https://test.example.org/apply/cryo-em",
}


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each field's empty line `name:` with `name: value`, and the description's placeholder paragraphs
    with the course's own text, as a partner would."""
    for name, value in values.items():
        text, count = re.subn(rf"^{name}:$", f"{name}:{'' if value.startswith(chr(10)) else ' '}{value}", text,
                              flags=re.M)
        assert count == 1, name
    text, count = re.subn(rf"^{PLACEHOLDER}:.*$", "Three days of sessions at the microscope, with a report.", text,
                          flags=re.M)
    assert count == 3
    return text


def key_lines(text: str) -> dict[str, int]:
    """The 1-based line of each top-level field in a course file's front matter."""
    front = text.split("\n---\n", 1)[0]
    return {m.group(1): front.count("\n", 0, m.start()) + 1 for m in re.finditer(r"^(\w+):", front, re.M)}


@pytest.fixture
def new_course(make_site, chdir_to, capsys) -> Path:
    """A scratch site with one valid course, and a new course scaffolded into it through the CLI."""
    site = make_site()
    chdir_to(site)
    assert main(["new", "test-institute", TITLE]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Wrote {REL}\n") and "Next steps" in out and f"catalogue check {REL}" in out
    return site / REL


# --- the file ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("title, slug", [
    (TITLE, "cryo-em-sample-to-structure"),
    ("Správa výzkumných dat (FAIR)", "sprava-vyzkumnych-dat-fair"),
    ("Dobra praktyka kliniczna — Łódź 2027", "dobra-praktyka-kliniczna-lodz-2027"),
    ("Добра клинична практика", "dobra-klinichna-praktika"),
    ("  R & Python -- for   Biostatistics!  ", "r-python-for-biostatistics"),
    ("Größe", "grosse"),
    ("?!", ""),
    ("x" * 90 + " y", "x" * 80),
    ("word " * 30, ("word-" * 16)[:-1]),
])
def test_slug_is_ascii_lowercase_with_single_hyphens(title, slug):
    assert slugify(title) == slug
    assert not slug or re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


def test_every_field_is_there_required_first_each_under_its_explanation(new_course):
    text = new_course.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert list(key_lines(text)) == REQUIRED + OPTIONAL
    for spec in COURSE_FIELDS:
        at = key_lines(text)[spec.name] - 1
        start = at
        while lines[start - 1].startswith("#"):
            start -= 1
        comment = " ".join(line.lstrip("# ") for line in lines[start:at])
        assert comment.startswith("Required" if spec.required else ("Recommended" if spec.warn_if_missing
                                                                     else "Optional")), spec.name
        assert spec.meaning in comment, spec.name
        for choice in spec.choices if spec.kind != "integer" else ():  # numbers: "from 1 to 8" below
            assert str(choice.value) in comment, (spec.name, choice.value)
        if spec.minimum is not None and spec.maximum is not None:
            assert f"from {spec.minimum:g} to" in comment, spec.name
        if spec.max_length and spec.kind != "integer":
            assert f"at most {spec.max_length} characters" in comment, spec.name
        if spec.name != "title":
            assert lines[at] == f"{spec.name}:", "every field but the title is left empty"
    front, body = text.split("\n---\n", 1)
    assert yaml.safe_load(front.removeprefix("---\n"))["title"] == TITLE
    assert [line for line in body.split("\n") if line.startswith("## ")] == \
        ["## Structure", "## Lecturers"]


@pytest.mark.parametrize("title", [
    'Cryo-EM: "Sample" # to Structure', "yes", "no", "123", "2027-03-01", "- dash", "@at", "'single'", "[x]",
    "{x}", "a: b", "%TAG", "*star", "!bang", "&anchor", "back\\slash", "Ünïcödé – dash", "null", "~", "#hash",
])
def test_any_title_is_written_so_that_yaml_reads_it_back_unchanged(title):
    front = course_template(title).split("\n---\n", 1)[0].removeprefix("---\n")
    assert yaml.safe_load(front)["title"] == title


def test_whitespace_in_the_title_is_tidied(make_site):
    site = make_site()
    path = create_course(site, "test-institute", "  Mass\tspectrometry\n basics ")
    assert path.name == "mass-spectrometry-basics.md"
    assert 'title: "Mass spectrometry basics"' in path.read_text(encoding="utf-8")


# --- check --------------------------------------------------------------------------------------------

def test_untouched_scaffold_fails_with_one_error_per_required_field_at_its_line(new_course):
    lines = key_lines(new_course.read_text(encoding="utf-8"))
    diagnostics = [d for d in check(Path(".")) if d.path == REL]
    errors = [d for d in diagnostics if d.is_error]
    assert [(d.line, d.col, d.code) for d in errors] == [(lines[name], 1, "empty-field") for name in REQUIRED
                                                         if name != "title"]
    for d, name in zip(errors, [n for n in REQUIRED if n != "title"]):
        assert d.message == f"'{name}' is empty"
    warnings = [d for d in diagnostics if not d.is_error]
    assert warnings[0].message == "'enrol_url' is missing"
    # the description's three placeholder paragraphs, each at its line: they would be published as they are
    body_lines = [number for number, line in enumerate(new_course.read_text(encoding="utf-8").split("\n"), 1)
                  if line.startswith(PLACEHOLDER)]
    assert [(d.line, d.col, d.code) for d in warnings[1:]] == [(n, 1, "placeholder") for n in body_lines]
    assert len(body_lines) == 3 and all("template's placeholder text" in d.message for d in warnings[1:])
    assert main(["check", REL]) == 1


def test_filled_scaffold_passes_check_strict_and_builds(new_course, tmp_path, capsys):
    assert set(FILLED) >= set(REQUIRED) - {"title"}
    new_course.write_text(fill(new_course.read_text(encoding="utf-8"), FILLED), encoding="utf-8")
    assert check(Path(".")) == []
    assert main(["check", "--strict"]) == 0
    assert "No problems found." in capsys.readouterr().err
    result = build(Path("."), tmp_path / "out")
    course = next(c for c in result.catalogue.courses if c.slug == "cryo-em-sample-to-structure")
    assert course.title == TITLE and course.credits == 2.5 and course.fee is None and course.currency == "EUR"
    assert course.status == "open" and course.topics == ()
    assert (tmp_path / "out/courses/test-institute/cryo-em-sample-to-structure/index.html").is_file()


def test_filled_scaffold_without_enrol_url_only_warns(new_course):
    values = {k: v for k, v in FILLED.items() if k != "enrol_url"}
    new_course.write_text(fill(new_course.read_text(encoding="utf-8"), values), encoding="utf-8")
    assert [(d.severity, d.message) for d in check(Path("."))] == [("warning", "'enrol_url' is missing")]


# --- refusals ---------------------------------------------------------------------------------------

def course_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in (site / "content/courses").rglob("*.md"))


def test_unknown_institution_is_refused_with_the_known_ones(make_site, chdir_to, capsys):
    site = make_site({"content/institutions/beta-centre.yaml":
                      "name: Beta\ncountry: PL\nwebsite: https://b.example.org\n"})
    chdir_to(site)
    before = course_files(site)
    assert main(["new", "test-institue", TITLE]) == 2
    err = capsys.readouterr().err
    assert "there is no institution 'test-institue'" in err and "Did you mean 'test-institute'?" in err
    assert "Known institutions: beta-centre, test-institute" in err
    assert main(["new", "../test-institute", TITLE]) == 2
    assert course_files(site) == before and not (site / "content/courses/test-institue").exists()


def test_existing_course_is_never_overwritten(make_site, chdir_to, capsys):
    site = make_site()
    chdir_to(site)
    original = (site / "content/courses/test-institute/test-course.md").read_bytes()
    assert main(["new", "test-institute", "Test Course"]) == 2
    assert "content/courses/test-institute/test-course.md already exists" in capsys.readouterr().err
    assert (site / "content/courses/test-institute/test-course.md").read_bytes() == original
    assert main(["new", "test-institute", "Test course!"]) == 2  # another title, the same file name


@pytest.mark.parametrize("title, words", [
    ("???", "no letters or digits"),
    ("—", "no letters or digits"),
    ("x" * 151, "at most 150"),
])
def test_titles_that_cannot_make_a_course_are_refused(make_site, chdir_to, capsys, title, words):
    site = make_site()
    chdir_to(site)
    before = course_files(site)
    assert main(["new", "test-institute", title]) == 2
    assert words in capsys.readouterr().err
    assert course_files(site) == before


def test_a_folder_without_content_is_refused(tmp_path, capsys):
    assert main(["new", "test-institute", TITLE, "--source", str(tmp_path)]) == 2
    assert "no content/ folder" in capsys.readouterr().err


def test_source_option_writes_into_that_site(make_site, capsys):
    site = make_site()
    assert main(["new", "test-institute", TITLE, "--source", str(site)]) == 0
    assert (site / REL).is_file()
    assert f"--source {site.as_posix()}" in capsys.readouterr().out


# --- the partners' guide gives the same template ----------------------------------------------------

def test_the_guide_holds_the_current_template():
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    expected = f"```markdown\n{course_template('Your course title')}```\n"
    assert expected in guide, "run `python -m generator.content.reference` to update CONTRIBUTING.md"
