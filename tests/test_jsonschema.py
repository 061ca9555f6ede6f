"""The published JSON Schema of a course: derived from COURSE_FIELDS, valid, and in step with the validator."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker

from generator.engine.build import check
from generator.site.jsonschema import course_json_schema, write_json_schema_bytes
from generator.content.scaffold import course_template
from generator.content.schema import COURSE_FIELDS

from .conftest import COURSE, ROOT, SITES
from .test_scaffold import FILLED, fill

SAMPLE_COURSES = [path for site in (ROOT, SITES / "basic")
                  for path in sorted((site / "content/courses").glob("*/*.md")) if "." not in path.stem]  # (no translations)


def front_matter(text: str) -> dict[str, Any]:
    """A course file's front matter as JSON would hold it: dates become ISO strings."""
    data = yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))
    return {key: _json(value) for key, value in data.items()}


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    return value


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(course_json_schema(), format_checker=FormatChecker())


def errors(validator: Draft202012Validator, data: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def test_the_schema_is_a_valid_draft_2020_12_schema():
    schema = course_json_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["required"] == [spec.name for spec in COURSE_FIELDS if spec.required]
    assert course_json_schema("https://example.org/schema/course.schema.json")["$id"].endswith("course.schema.json")


def _enums(node: Any) -> list[Any]:
    """Every value of every `enum` under a schema node."""
    if isinstance(node, dict):
        return list(node.get("enum", [])) + [v for key, child in node.items() if key != "enum" for v in _enums(child)]
    if isinstance(node, list):
        return [v for child in node for v in _enums(child)]
    return []


def test_the_schema_mentions_every_field_and_every_choice():
    properties = course_json_schema()["properties"]
    assert list(properties) == [spec.name for spec in COURSE_FIELDS]
    for spec in COURSE_FIELDS:
        prop = properties[spec.name]
        assert prop["title"] == spec.meaning and prop["description"].startswith(spec.meaning)
        for choice in spec.choices:
            assert choice.value in _enums(prop), (spec.name, choice.value)
            assert f"{choice.value}: {choice.label}" in prop["description"], (spec.name, choice.value)
        if spec.max_length and spec.kind in ("text", "plain_text"):
            assert prop["maxLength"] == spec.max_length
    credits = properties["credits"]
    assert (credits["minimum"], credits["maximum"], credits["multipleOf"]) == (1, 60, 0.5)
    assert properties["enrol_url"]["format"] == "uri" and properties["enrol_url"]["pattern"] == "^https://"
    assert properties["contact"]["format"] == "email" and properties["start_date"]["format"] == "date"
    assert properties["currency"]["default"] == "EUR" and properties["status"]["default"] == "open"


def test_the_bytes_are_deterministic_sorted_and_end_with_a_newline():
    data = write_json_schema_bytes()
    assert data == write_json_schema_bytes() and data.endswith(b"}\n") and not data.endswith(b"\n\n")
    assert json.loads(data) == course_json_schema()
    assert data.decode("utf-8") == json.dumps(course_json_schema(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_every_sample_course_is_valid(validator):
    assert len(SAMPLE_COURSES) >= 30
    for path in SAMPLE_COURSES:
        assert errors(validator, front_matter(path.read_text(encoding="utf-8"))) == [], path


def test_a_filled_scaffold_with_empty_optional_fields_is_valid(validator):
    data = front_matter(fill(course_template("Cryo-EM: Sample to Structure"), FILLED))
    assert data["fee"] is None and data["topics"] is None
    assert errors(validator, data) == []


def test_an_untouched_scaffold_is_invalid_for_each_empty_required_field(validator):
    data = front_matter(course_template("Cryo-EM: Sample to Structure"))
    failing = {e.absolute_path[0] for e in validator.iter_errors(data)}
    assert failing == {spec.name for spec in COURSE_FIELDS if spec.required and spec.name != "title"}


BASE = front_matter(COURSE)
BROKEN = {
    "unknown field": {**BASE, "credit": 2},
    "credits 61": {**BASE, "credits": 61},
    "credits 0": {**BASE, "credits": 0},
    "credits 2.3": {**BASE, "credits": 2.3},
    "credits as text": {**BASE, "credits": "2 ECTS"},
    "mode onsite": {**BASE, "mode": "onsite"},
    "missing title": {k: v for k, v in BASE.items() if k != "title"},
    "empty summary": {**BASE, "summary": None},
    "blank summary": {**BASE, "summary": "   "},
    "eqf_level 9": {**BASE, "eqf_level": 9},
    "audience phd": {**BASE, "audience": ["phd"]},
    "audience empty list": {**BASE, "audience": []},
    "language eng": {**BASE, "language": "eng"},
    "language no, read as false": {**BASE, "language": False},
    "http address": {**BASE, "enrol_url": "http://test.example.org/apply"},
    "not a date": {**BASE, "start_date": "15. 3. 2027"},
    "isced_f unquoted": {**BASE, "isced_f": 329},
    "bad e-mail": {**BASE, "contact": "someone at example.org"},
    "europass yes as text": {**BASE, "europass": "yes"},
    "status unknown": {**BASE, "status": "finished"},
    "title too long": {**BASE, "title": "x" * 151},
    "learning outcomes as text": {**BASE, "learning_outcomes": "Do a thing."},
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_front_matter_is_rejected_by_the_schema_and_the_validator(validator, make_site, case):
    data = BROKEN[case]
    assert errors(validator, data), case
    site = make_site({"content/courses/test-institute/broken.md": "---\n" + yaml.safe_dump(data) + "---\n\nBody\n"})
    assert any(d.is_error and d.path.endswith("broken.md") for d in check(site)), case


def test_the_base_of_the_broken_cases_is_valid(validator, make_site):
    assert errors(validator, BASE) == []
    other = {**BASE, "title": "Another course"}  # (the same title beside the base course: a copy, warned about)
    site = make_site({"content/courses/test-institute/copy.md": "---\n" + yaml.safe_dump(other) + "---\n\nBody\n"})
    assert check(Path(site)) == []
