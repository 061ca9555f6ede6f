"""Atom feeds, iCalendar files and the CSV table: read back by real parsers, and in agreement with the content."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import feedparser
import icalendar
import pytest
import yaml
from hypothesis import given, strategies as st

from generator.site import feeds
from generator.engine.build import load
from generator.site.feeds import fold
from generator.content.identity import course_iri

from .conftest import COURSE
from .varied_site import varied_courses


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample(sample_build):
    return sample_build[1].catalogue


@pytest.fixture(scope="module")
def basic(basic_build):
    return basic_build[1].catalogue


def front_matter(path: Path) -> dict[str, Any]:
    """A course file's fields, read here without the generator's parser."""
    match = re.match(r"---\r?\n(.*?)\r?\n---\r?\n", path.read_text(encoding="utf-8"), re.S)
    assert match, path
    return yaml.safe_load(match.group(1))


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


# ---- Atom ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("site", ["sample", "basic"])
def test_the_catalogue_feed_parses_with_every_listed_course_newest_first(site, request):
    catalogue = request.getfixturevalue(site)
    parsed = feedparser.parse(feeds.feed_files(catalogue)["feed.xml"])
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == catalogue.config.title
    ids = [entry.id for entry in parsed.entries]
    assert sorted(ids) == sorted(course_iri(c, catalogue.config) for c in catalogue.listed)
    updated = [entry.updated_parsed for entry in parsed.entries]
    assert updated == sorted(updated, reverse=True)
    by_id = {course_iri(c, catalogue.config): c for c in catalogue.listed}
    for entry in parsed.entries:
        course = by_id[entry.id]
        assert entry.title == course.title and entry.summary == course.summary
        assert entry.link == catalogue.config.base_url + course.url
        assert entry.author == catalogue.institutions_by_id[course.institution_id].name
        day = course.updated or course.start_date or feeds.UNKNOWN_DATE
        assert dt.date(*entry.updated_parsed[:3]) == day


def test_updated_dates_order_the_feed_and_ties_go_by_id(sample):
    parsed = feedparser.parse(feeds.feed_files(sample)["feed.xml"])
    keys = [(-dt.date(*e.updated_parsed[:3]).toordinal(), e.id) for e in parsed.entries]
    assert keys == sorted(keys)
    assert len({k[0] for k in keys}) > 10  # the sample's dates really differ


def test_each_institution_has_a_feed_of_its_own_courses(basic):
    files = feeds.feed_files(basic)
    assert set(files) == {"feed.xml"} | {f"institutions/{i.id}/feed.xml" for i in basic.institutions}
    for institution in basic.institutions:
        parsed = feedparser.parse(files[f"institutions/{institution.id}/feed.xml"])
        assert not parsed.bozo
        assert {e.id for e in parsed.entries} == {course_iri(c, basic.config) for c in basic.by_institution[institution.id]}
        assert parsed.feed.link == f"https://courses.example.org/institutions/{institution.id}/"
        self_link = next(link.href for link in parsed.feed.links if link.rel == "self")
        assert self_link == f"https://courses.example.org/institutions/{institution.id}/feed.xml"
    archived = [c for c in basic.courses if not c.listed]
    assert archived and all(course_iri(c, basic.config).encode() not in b"".join(files.values()) for c in archived)


def test_feeds_are_reproducible(sample):
    assert feeds.data_files(sample) == feeds.data_files(sample)


# ---- iCalendar -----------------------------------------------------------------------------------------------

def expected_events(catalogue) -> dict[str, tuple[dt.date, dt.date]]:
    """UID → (first day, day after the last), from the content, by the rule docs/open-data.md states."""
    found = {}
    for course in catalogue.listed:
        host = re.sub(r"^https://([^/]+).*$", r"\1", catalogue.institutions_by_id[course.institution_id].website)
        key = f"{course.institution_id}.{course.slug}"
        if course.start_date:
            found[f"{key}.run@{host}"] = (course.start_date,
                                          (course.end_date or course.start_date) + dt.timedelta(days=1))
        if course.application_deadline and course.status in ("open", "upcoming"):
            found[f"{key}.deadline@{host}"] = (course.application_deadline,
                                               course.application_deadline + dt.timedelta(days=1))
    return found


def test_the_calendar_parses_with_one_event_per_start_and_open_deadline(sample):
    data = feeds.calendar_ics(sample)
    calendar = icalendar.Calendar.from_ical(data)
    parsed = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    expected = expected_events(sample)
    assert len(parsed) == len(calendar.walk("VEVENT")) == len(expected) > 30
    assert set(parsed) == set(expected)
    for uid, (start, end) in expected.items():
        event = parsed[uid]
        assert event.decoded("DTSTART") == start and event.decoded("DTEND") == end
        assert isinstance(event.decoded("DTSTART"), dt.date) and not isinstance(event.decoded("DTSTART"), dt.datetime)
        assert event.decoded("DTSTAMP").tzinfo is not None
    deadlines = [c for c in sample.listed if c.application_deadline and c.status == "closed"]
    assert deadlines, "the sample should have a closed course with a deadline, which the calendar leaves out"


def test_calendar_dates_and_stamps_come_from_the_content(sample):
    calendar = icalendar.Calendar.from_ical(feeds.calendar_ics(sample))
    courses = {f"{c.institution_id}.{c.slug}": c for c in sample.listed}
    for event in calendar.walk("VEVENT"):
        course = courses[str(event["UID"]).split("@")[0].rsplit(".", 1)[0]]
        stamp = event.decoded("DTSTAMP")
        assert stamp.date() == (course.updated or course.start_date) and stamp.utcoffset() == dt.timedelta(0)
        assert course.title in str(event["SUMMARY"])
        assert course.summary in str(event["DESCRIPTION"])


def test_calendar_lines_are_crlf_and_folded_at_75_octets(sample):
    data = feeds.calendar_ics(sample)
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the sample's descriptions are long enough to fold
    for line in lines:
        line.decode("utf-8")  # never folded inside a character


def test_text_is_escaped_and_survives_a_round_trip(make_site):
    title = 'Cells, tissues; and "back\\slashes": ž' + "ř" * 40
    site = make_site({"content/courses/test-institute/test-course.md": f"""\
        ---
        title: '{title}'
        summary: "Two lines, really; with commas, semicolons and \\u017e."
        credits: 2
        eqf_level: 7
        audience: [doctoral-candidates]
        language: en
        mode: on-site
        admission: master
        learning_outcomes: [Do a thing well.]
        assessment: A written test.
        quality_assurance: Internal approval.
        start_date: 2027-03-01
        enrol_url: https://test.example.org/apply
        ---

        The course body.
        """})
    catalogue, _ = load(site)
    data = feeds.calendar_ics(catalogue)
    assert b"Cells\\, tissues\\; and" in data.replace(b"\r\n ", b"")
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == "Test Institute, Czechia"
    assert "with commas, semicolons and ž" in str(event["DESCRIPTION"])
    assert event.decoded("DTEND") == dt.date(2027, 3, 2)
    assert max(len(line) for line in data.split(b"\r\n")) <= 75
    assert feeds.course_calendar_path(catalogue.listed[0], catalogue) == "courses/test-institute/test-course/calendar.ics"


def test_fold_keeps_every_character_whole():
    line = "DESCRIPTION:" + "žluťoučký kůň " * 20
    folded = feeds.fold(line)
    parts = folded.split("\r\n ")
    assert all(len(p.encode("utf-8")) <= (75 if i == 0 else 74) for i, p in enumerate(parts))
    assert "".join(parts) == line
    assert feeds.fold("SHORT:x") == "SHORT:x"


def test_a_course_without_dates_has_no_calendar_of_its_own(make_site):
    catalogue, _ = load(make_site())
    course = catalogue.listed[0]
    assert feeds.course_calendar_path(course, catalogue) is None
    assert not any(path.endswith("calendar.ics") for path in feeds.data_files(catalogue))


# ---- CSV -----------------------------------------------------------------------------------------------------

def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def cell(value: Any) -> str:
    """What the CSV holds for a JSON or YAML value, by the rules docs/open-data.md states."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        value = "; ".join(value)
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def test_csv_rows_agree_with_courses_json(sample_build, sample):
    out, _ = sample_build
    published = json.loads((out / "courses.json").read_text(encoding="utf-8"))["courses"]
    table = rows(feeds.courses_csv(sample))
    assert [r["id"] for r in table] == [c["id"] for c in published]  # both by id
    for row, record in zip(table, published):
        assert row["url"] == record["url"]
        assert row["institution_id"] == record["institution"]["id"]
        assert row["institution_name"] == record["institution"]["name"]
        assert row["institution_country"] == record["institution"]["country"]
        for name, value in record.items():
            if name not in ("id", "url", "institution"):
                assert row[name] == cell(value), (record["id"], name)


def test_csv_rows_agree_with_the_content_files(sample):
    table = {r["id"]: r for r in rows(feeds.courses_csv(sample))}
    files = sorted(p for p in (ROOT / "content" / "courses").glob("*/*.md") if "." not in p.stem)  # (no translations)
    listed = {}
    for path in files:
        fields = front_matter(path)
        if fields.get("status") != "archived":
            listed[f"{path.parent.name}/{path.stem}"] = fields
    assert set(table) == set(listed)
    for course_id, fields in listed.items():
        row = table[course_id]
        assert row["title"] == fields["title"]
        assert float(row["credits"]) == float(fields["credits"])
        assert row["eqf_level"] == str(fields["eqf_level"])
        assert row["language"].split("; ") == as_list(fields["language"])
        assert row["audience"].split("; ") == as_list(fields["audience"])
        assert row["learning_outcomes"] == cell(fields["learning_outcomes"])
        assert row["start_date"] == cell(fields.get("start_date"))
        assert row["fee"] == cell(fields.get("fee"))
        assert row["currency"] == fields.get("currency", "EUR")
        assert row["isced_f"] == (fields.get("isced_f") or "")
        assert row["status"] == fields.get("status", "open")


def test_csv_header_is_the_documented_columns_and_follows_courses_json():
    from generator.site.data import COURSES_JSON_FIELDS
    names = [name for name, _ in feeds.CSV_COLUMNS]
    assert names[:5] == ["id", "url", "institution_id", "institution_name", "institution_country"]
    assert tuple(names[5:]) == COURSES_JSON_FIELDS
    doc = (ROOT / "docs" / "open-data.md").read_text(encoding="utf-8")
    table = "| column | what it holds |\n|---|---|\n" + "".join(
        f"| `{name}` | {meaning} |\n" for name, meaning in feeds.CSV_COLUMNS)
    assert table in doc, "docs/open-data.md's CSV table differs from feeds.CSV_COLUMNS"


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_defused(make_site):
    hostile = (COURSE.replace("title: A Test Course", 'title: "=HYPERLINK(\\"https://evil.example\\",\\"click\\")"')
               .replace("summary: A course used in the tests.", 'summary: "@SUM(A1:A2) is not a summary"')
               .replace("learning_outcomes:\n  - Do a thing well.", 'learning_outcomes: ["-1 plus 1", "+ more"]'))
    assert hostile.count("HYPERLINK") == 1 and "@SUM" in hostile and "+ more" in hostile
    site = make_site({"content/courses/test-institute/test-course.md": hostile})
    catalogue, _ = load(site)
    [row] = rows(feeds.courses_csv(catalogue))
    assert row["title"].startswith("'=HYPERLINK(")
    assert row["summary"].startswith("'@SUM")
    assert row["learning_outcomes"] == "'-1 plus 1; + more"
    assert row["credits"] == "2" and row["fee"] == "" and row["europass"] == ""


# ---- content unlike the sample's -----------------------------------------------------------------------------

@pytest.mark.parametrize("base_url", [None, "https://example.org/sub/"])
def test_varied_courses_give_valid_feeds_calendars_and_tables(make_site, base_url):
    catalogue, _ = load(make_site(varied_courses()), base_url)
    files = feeds.data_files(catalogue)
    for path, data in files.items():
        if path.endswith("feed.xml"):
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (path, parsed.get("bozo_exception"))
        elif path.endswith(".ics"):
            calendar = icalendar.Calendar.from_ical(data)
            assert calendar.walk("VEVENT"), path
            assert max(len(line) for line in data.split(b"\r\n")) <= 75
    parsed = feedparser.parse(files["feed.xml"])
    assert {e.title for e in parsed.entries} == {c.title for c in catalogue.listed}
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(files["courses.ics"]).walk("VEVENT")]
    assert sorted(uids) == sorted(expected_events(catalogue)) and len(uids) == len(set(uids))
    table = rows(files["courses.csv"])
    assert [r["id"] for r in table] == sorted(c.id for c in catalogue.listed)
    by_id = {c.id: c for c in catalogue.listed}
    for row in table:
        course = by_id[row["id"]]
        assert row["title"] == course.title and row["language"] == "; ".join(course.language)
        assert row["fee"] == ("" if course.fee is None else cell(course.fee))


def _fold_one_character_at_a_time(line: str, limit: int = 75) -> str:
    """RFC 5545 folding done the obvious way, to check the fast one against."""
    parts: list[bytes] = []
    current = b""
    for char in line:
        octets = char.encode("utf-8")
        if len(current) + len(octets) > limit - (1 if parts else 0):
            parts.append(current)
            current = b""
        current += octets
    parts.append(current)
    return "\r\n ".join(part.decode("utf-8") for part in parts)


@given(st.text(alphabet=st.sampled_from("ab ;,\\é€ł𝄞ż\u0301"), max_size=400))
def test_folding_matches_folding_one_character_at_a_time(line):
    assert fold(line) == _fold_one_character_at_a_time(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in fold(line).split("\r\n"))
