"""Feeds: the catalogue as Atom feeds (whole and per institution), iCalendar files of course dates and
application deadlines, and a CSV table, for feed readers, calendars and spreadsheets.

Every date in them comes from the content, never from the clock, so the same content gives the same bytes.
The formats are written with the standard library (ElementTree, csv, and a few lines for iCalendar's
escaping and line folding) because the build may not need more than its declared dependencies.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from generator.site import media, words
from generator.content.catalogue import Catalogue
from generator.site.elm import decimal
from generator.content.identity import course_iri, file_iri, page_url
from generator.content.model import Course, Institution

ATOM = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
UNKNOWN_DATE = dt.date(1970, 1, 1)  # for a course that gives no date at all (never the build's clock)
PRODID = "-//microcredentials-catalogue//Catalogue//EN"
DEADLINE_STATUSES = ("open", "upcoming")  # a closed course's deadline is no use to anyone

# The columns of courses.csv and what they hold (docs/open-data.md shows this table; a test keeps it in step).
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "`<institution-id>/<course-id>`, stable"),
    ("url", "the course's page (a full address when the site has an absolute base URL, else a path)"),
    ("institution_id", "the awarding institution's id"),
    ("institution_name", "the institution's full name"),
    ("institution_country", "the institution's country, ISO 3166-1 alpha-2"),
    ("title", "title"),
    ("summary", "one or two sentences"),
    ("credits", "ECTS credits, like `2` or `2.5`"),
    ("workload_hours", "total hours of work, if given"),
    ("eqf_level", "EQF level, 1 to 8"),
    ("audience", "target groups (`doctoral-candidates`, …), joined with `; `"),
    ("language", "ISO 639-1 codes of the languages of instruction, joined with `; `"),
    ("mode", "`online`, `on-site` or `blended`"),
    ("admission", "minimum prior education: `none`, `secondary`, `bachelor`, `master` or `doctorate`"),
    ("prerequisites", "other admission criteria"),
    ("learning_outcomes", "learning outcomes, joined with `; `"),
    ("assessment", "type of assessment"),
    ("quality_assurance", "how the course is quality-assured"),
    ("topics", "subject tags, joined with `; `"),
    ("isced_f", "ISCED-F 2013 field code, like `0511`"),
    ("image", "the address of the course's picture (its JPEG or PNG file closest to 1200 pixels wide), if it has one"),
    ("image_alt", "what the picture shows, in words"),
    ("start_date", "first day of the next run, `YYYY-MM-DD`"),
    ("end_date", "last day of the next run, `YYYY-MM-DD`"),
    ("application_deadline", "last day to apply, `YYYY-MM-DD`"),
    ("duration", "duration in words"),
    ("fee", "fee as a number; `0` means free; empty when not stated"),
    ("currency", "ISO 4217 currency code of the fee"),
    ("enrol_url", "where to apply"),
    ("contact", "contact e-mail address"),
    ("supervision", "`unsupervised`, `supervised` or `supervised-with-id-check`"),
    ("stackability", "`stand-alone` or `stackable`"),
    ("stackable_towards", "what the credential stacks towards"),
    ("europass", "`true` or `false`: issued as a Europass digital credential"),
    ("status", "`open`, `upcoming` or `closed`"),
    ("updated", "date of the last substantive change, `YYYY-MM-DD`"),
)
LIST_SEPARATOR = "; "
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def course_date(course: Course) -> dt.date:
    """When a course last changed, as far as its content says: `updated`, else its start date."""
    return course.updated or course.start_date or UNKNOWN_DATE


# ---- Atom --------------------------------------------------------------------------------------------------

def atom_feed(courses: Iterable[Course], catalogue: Catalogue, title: str, path: str,
              entries: Mapping[str, bytes] | None = None) -> bytes:
    """An Atom 1.0 feed of courses, most recently updated first; `path` is the feed's own path in the site.

    `entries` may give courses' entries as `feed_entry` makes them (by course id): each course is in two
    feeds, and a rebuild keeps the entries of unchanged courses.
    """
    config = catalogue.config
    ordered = sorted(courses, key=lambda c: (-course_date(c).toordinal(), c.id))
    # Unprefixed names with an xmlns attribute: ElementTree's default_namespace refuses unqualified attributes.
    feed = ET.Element("feed", {"xmlns": ATOM, _XML_LANG: config.language})
    _add(feed, "id", file_iri(config, path))
    _add(feed, "title", title)
    _add(feed, "subtitle", config.description)
    _add(feed, "updated", _timestamp(max((course_date(c) for c in ordered), default=UNKNOWN_DATE)))
    _add(feed, "link", rel="self", type="application/atom+xml", href=page_url(config, path))
    _add(feed, "link", rel="alternate", type="text/html", href=page_url(config, path.removesuffix("feed.xml")))
    author = _add(feed, "author")
    _add(author, "name", config.title)
    if config.absolute:
        _add(author, "uri", page_url(config))
    ET.indent(feed)
    head = ET.tostring(feed, encoding="utf-8", xml_declaration=True).rpartition(b"</feed>")[0]
    entries = entries or {}
    parts = [head]
    for course in ordered:
        made = entries.get(course.id)
        parts.append(made if made is not None
                     else feed_entry(course, catalogue.institutions_by_id[course.institution_id], catalogue))
    parts.append(b"</feed>\n")
    return b"".join(parts)


def feed_entry(course: Course, institution: Institution, catalogue: Catalogue) -> bytes:
    """A course's Atom entry as it stands in a feed (indented, one level in)."""
    entry = _entry(course, institution, catalogue)
    ET.indent(entry, level=1)
    return b"  " + ET.tostring(entry, encoding="utf-8") + b"\n"


def _entry(course: Course, institution: Institution, catalogue: Catalogue) -> ET.Element:
    config = catalogue.config
    entry = ET.Element("entry", {_XML_LANG: course.body_lang})
    _add(entry, "id", course_iri(course, config))
    _add(entry, "title", course.title)
    _add(entry, "updated", _timestamp(course_date(course)))
    _add(entry, "link", rel="alternate", type="text/html", href=page_url(config, course.url))
    if course.enrol_url:
        _add(entry, "link", rel="related", type="text/html", href=course.enrol_url, title="Apply")
    author = _add(entry, "author")
    _add(author, "name", institution.name)
    _add(author, "uri", institution.website)
    _add(entry, "summary", course.summary)
    for topic in course.topics:
        _add(entry, "category", term=topic)
    return entry


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def feed_paths(catalogue: Catalogue) -> list[str]:
    """Where the catalogue's feed and each institution's are published (the files `feed_files` makes)."""
    return ["feed.xml"] + [institution.url + "feed.xml" for institution in catalogue.institutions]


def feed_files(catalogue: Catalogue, entries: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """`feed.xml` for the catalogue and `institutions/<id>/feed.xml` for each institution (see `atom_feed`)."""
    config = catalogue.config
    if entries is None:
        entries = {c.id: feed_entry(c, catalogue.institutions_by_id[c.institution_id], catalogue)
                   for c in catalogue.listed}
    files = {"feed.xml": atom_feed(catalogue.listed, catalogue, config.title, "feed.xml", entries)}
    for institution in catalogue.institutions:
        path = institution.url + "feed.xml"
        files[path] = atom_feed(catalogue.by_institution[institution.id], catalogue,
                                f"{institution.name} · {config.title}", path, entries)
    return files


# ---- iCalendar ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Event:
    """One all-day calendar event."""

    uid: str
    stamp: dt.date
    start: dt.date
    end: dt.date        # inclusive
    summary: str
    description: str
    location: str
    url: str | None


def events(course: Course, catalogue: Catalogue) -> list[Event]:
    """A course's run (start to end) and, while it takes applications, its application deadline."""
    config = catalogue.config
    institution = catalogue.institutions_by_id[course.institution_id]
    host = urlsplit(institution.website).hostname or "localhost"
    url = page_url(config, course.url) if config.absolute else None
    where = "Online" if course.mode == "online" else f"{institution.name}, {words.country(institution.country)}"
    about = [course.summary, institution.name, words.credits_short(course), page_url(config, course.url)]
    found = []
    if course.start_date:
        found.append(Event(f"{course.institution_id}.{course.slug}.run@{host}", course_date(course),
                           course.start_date, course.end_date or course.start_date, course.title,
                           "\n".join(about), where, url))
    if course.application_deadline and course.status in DEADLINE_STATUSES:
        apply = [f"Apply at {course.enrol_url}"] if course.enrol_url else []
        found.append(Event(f"{course.institution_id}.{course.slug}.deadline@{host}", course_date(course),
                           course.application_deadline, course.application_deadline,
                           f"Application deadline: {course.title}", "\n".join(about + apply), where, url))
    return found


def calendar_ics(catalogue: Catalogue, pieces: Mapping[str, Sequence[Piece]] | None = None) -> bytes:
    """Every listed course's run and open application deadline, as one iCalendar file.

    `pieces` may give courses' events as `course_events` makes them (by course id): a rebuild keeps those
    of unchanged courses.
    """
    pieces = pieces or {}
    found = [piece for c in catalogue.listed
             for piece in (pieces[c.id] if c.id in pieces else course_events(c, catalogue))]
    return _calendar_from(found, catalogue.config.title)


Piece = tuple[str, str, str]  # an event's start date, its UID and its lines: sorts as the calendar lists events


def course_events(course: Course, catalogue: Catalogue) -> tuple[Piece, ...]:
    """A course's events, each as it stands in a calendar file."""
    return tuple((event.start.isoformat(), event.uid, _event_text(event)) for event in events(course, catalogue))


def course_calendar_path(course: Course, catalogue: Catalogue) -> str | None:
    """Where a course's own calendar file is published, or None when it has no dates to add."""
    has_events = course.start_date or (course.application_deadline and course.status in DEADLINE_STATUSES)
    return course.url + "calendar.ics" if course.listed and has_events else None  # (as `events` finds them)


def course_calendar_ics(course: Course, catalogue: Catalogue, pieces: Sequence[Piece] | None = None) -> bytes:
    """One course's events, for its page's "add to calendar" link (`pieces`: as `course_events` made them)."""
    return _calendar_from(list(course_events(course, catalogue) if pieces is None else pieces), course.title)


def _calendar_from(pieces: list[Piece], name: str) -> bytes:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
            f"NAME:{ics_text(name)}", f"X-WR-CALNAME:{ics_text(name)}"]
    text = "".join(fold(line) + "\r\n" for line in head) + "".join(piece[2] for piece in sorted(pieces))
    return (text + "END:VCALENDAR\r\n").encode("utf-8")


def _event_text(event: Event) -> str:
    lines = ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{event.stamp:%Y%m%d}T000000Z",
             f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}",
             f"DTEND;VALUE=DATE:{event.end + dt.timedelta(days=1):%Y%m%d}",  # all-day ends are exclusive
             f"SUMMARY:{ics_text(event.summary)}", f"DESCRIPTION:{ics_text(event.description)}",
             f"LOCATION:{ics_text(event.location)}"]
    if event.url:
        lines.append(f"URL:{event.url}")
    lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    return "".join(fold(line) + "\r\n" for line in lines)


def ics_text(text: str) -> str:
    """A TEXT value escaped as RFC 5545 §3.3.11 says: backslash, semicolon, comma and line breaks."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """A content line folded into lines of at most 75 octets (RFC 5545 §3.1), never inside a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    parts: list[bytes] = []
    start, width = 0, limit
    while len(data) - start > width:
        cut = start + width
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: cut before its character instead
            cut -= 1
        parts.append(data[start:cut])
        start, width = cut, limit - 1  # continuation lines start with a space
    parts.append(data[start:])
    return "\r\n ".join(part.decode("utf-8") for part in parts)


# ---- CSV ---------------------------------------------------------------------------------------------------

def courses_csv(catalogue: Catalogue, rows: Mapping[str, str] | None = None) -> bytes:
    """Every listed course as one row of a UTF-8 CSV table with a header, by id (`rows` may give courses'
    rows as `csv_row` makes them, by course id)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(name for name, _ in CSV_COLUMNS)
    rows = rows or {}
    for course in sorted(catalogue.listed, key=lambda c: c.id):
        out.write(rows[course.id] if course.id in rows else csv_row(course, catalogue))
    return out.getvalue().encode("utf-8")


def csv_row(course: Course, catalogue: Catalogue) -> str:
    """A course's line of the CSV table."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(csv_cell(value) for value in csv_values(course, catalogue).values())
    return out.getvalue()


def csv_values(course: Course, catalogue: Catalogue) -> dict[str, Any]:
    """A course's values for each CSV column, before formatting."""
    institution = catalogue.institutions_by_id[course.institution_id]
    extra = {"url": page_url(catalogue.config, course.url), "institution_id": institution.id,
             "institution_name": institution.name, "institution_country": institution.country,
             "image": media.picture_url(course, catalogue.config)}
    return {name: extra[name] if name in extra else getattr(course, name) for name, _ in CSV_COLUMNS}


def csv_cell(value: Any) -> str:
    """A value as a cell: lists joined with '; ', dates as YYYY-MM-DD, numbers without '.0', empty for none.

    Text that a spreadsheet would run as a formula (starting with = + - @) gets a leading apostrophe.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return decimal(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = LIST_SEPARATOR.join(value) if isinstance(value, tuple) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


# ---- everything ----------------------------------------------------------------------------------------------

def data_files(catalogue: Catalogue) -> dict[str, bytes]:
    """The feeds, `courses.ics`, `courses.csv` and each dated course's `courses/<inst>/<course>/calendar.ics`."""
    files = feed_files(catalogue)
    files["courses.ics"] = calendar_ics(catalogue)
    files["courses.csv"] = courses_csv(catalogue)
    for course in catalogue.listed:
        path = course_calendar_path(course, catalogue)
        if path:
            files[path] = course_calendar_ics(course, catalogue)
    return files
