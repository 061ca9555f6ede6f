"""The site's data files: the theme's static files and logos, the browse table and result cards the home page's
script reads (every card in one file), courses.json, the JSON Schema, and the open data (ELM, Atom, iCalendar, CSV)."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from generator.content.catalogue import Catalogue
from generator.content.facets import CardCodes, browse_index, card, card_codes, card_words
from generator.content.model import Course, Institution
from generator.engine.artifact import Artifact
from generator.engine.cache import ParseCache
from generator.fingerprint import fingerprint
from generator.fast.parallel import run_all
from generator.site import elm, feeds, media, planning
from generator.site.jsonschema import write_json_schema_bytes
from generator.site.pages import course_key, logo_path
from generator.site.theme import Theme
from generator.site.words import Words

SCHEMA_PATH = "schema/course.schema.json"  # the course format, for editors that validate YAML front matter
BROWSE_PATH = "search/browse.json"  # the filter table of the home page's script
CARDS_PATH = "search/cards.json"  # every result card, in the browse table's order: the script's one request for cards
CARD_WORDS_PATH = "search/words.json"  # the words of the result cards' facts, in each interface language
# courses.json publishes every course field, in this order (docs/courses-json.md; the CSV columns follow it);
# a test ties it to the schema's field list and to the Course record
COURSES_JSON_FIELDS = (
    "title", "summary", "credits", "workload_hours", "eqf_level", "audience", "language", "mode", "admission",
    "prerequisites", "learning_outcomes", "assessment", "quality_assurance", "topics", "isced_f", "image",
    "image_alt", "start_date",
    "end_date", "application_deadline", "duration", "fee", "currency", "enrol_url", "contact", "supervision",
    "stackability", "stackable_towards", "europass", "status", "updated",
)


def theme_files(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The theme's static files, under content-hashed names."""
    for path, data in theme.static.items():
        yield Artifact(path, functools.partial(bytes, data))


def logos(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """Each institution's logo, beside its page."""
    folder = Path(catalogue.config.source) / "content" / "institutions"
    for institution in catalogue.institutions:
        if institution.logo:
            yield Artifact(logo_path(institution), (folder / institution.logo).read_bytes)


def card_words_file(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The words of the cards' facts in the theme's language (under its prefix), keyed by the codes they word."""
    codes, digest = _card_codes(catalogue.listed)
    yield Artifact(theme.prefix + CARD_WORDS_PATH, lambda: _compact(card_words(codes, theme.words)),
                   functools.partial(fingerprint, base_key, "card words", digest))


_last_codes: tuple[tuple[Course, ...], CardCodes, str] | None = None


def _card_codes(listed: tuple[Course, ...]) -> tuple[CardCodes, str]:
    """The cards' codes of `listed` and their fingerprint, found once for every interface language."""
    global _last_codes
    if _last_codes is None or _last_codes[0] is not listed:
        codes = card_codes(listed)
        _last_codes = (listed, codes, fingerprint(repr(codes)))
    return _last_codes[1], _last_codes[2]


def catalogue_data(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """courses.json, the course format as a JSON Schema, the browse table and the result cards."""
    schema_id = catalogue.config.base_url + SCHEMA_PATH if catalogue.config.absolute else None
    yield Artifact("courses.json", functools.partial(courses_json, catalogue))
    yield Artifact(SCHEMA_PATH, functools.partial(write_json_schema_bytes, schema_id))
    yield Artifact(BROWSE_PATH, functools.partial(_browse_json, catalogue))
    yield Artifact(CARDS_PATH, functools.partial(_cards_json, catalogue))


class Pieces(NamedTuple):
    """A course's pieces of the catalogue-wide open-data files, as they stand in each."""

    elm_node: bytes
    feed_entry: bytes
    csv_row: str
    events: tuple


class CoursePieces:
    """Every listed course's pieces, made when first needed (shared out between processes for many courses)
    and kept in `store` by the course's key, so a rebuild makes only the edited courses' again."""

    def __init__(self, catalogue: Catalogue, base_key: str, store: ParseCache) -> None:
        self.catalogue, self.base_key, self.store = catalogue, base_key, store
        self.order = sorted(catalogue.listed, key=lambda c: c.id)
        self.of: dict[str, Pieces] = {}

    def ensure(self) -> None:
        if self.of or not self.order:
            return
        keys = {c.id: course_key(self.base_key, c, self.catalogue.institutions_by_id[c.institution_id])
                for c in self.order}
        stored = {c.id: self.store.get("data-" + keys[c.id]) if keys[c.id] else None for c in self.order}
        missing = [c for c in self.order if stored[c.id] is None]
        for course, made in zip(missing, run_all([functools.partial(self._make, c) for c in missing])):
            stored[course.id] = made
            if keys[course.id]:
                self.store.put("data-" + keys[course.id], made)
        self.of = {cid: Pieces(*value) for cid, value in stored.items()}

    def _make(self, course: Course) -> tuple:
        catalogue = self.catalogue
        institution = catalogue.institutions_by_id[course.institution_id]
        return (elm.node_json(course, institution, catalogue.config), feeds.feed_entry(course, institution, catalogue),
                feeds.csv_row(course, catalogue), feeds.course_events(course, catalogue))

    @functools.cached_property
    def feeds(self) -> dict[str, bytes]:
        return feeds.feed_files(self.catalogue, {cid: p.feed_entry for cid, p in self.of.items()})


def open_data(catalogue: Catalogue, theme: Theme, base_key: str, store: ParseCache) -> Iterator[Artifact]:
    """Each listed course's ELM document and calendar, and the catalogue's ELM, Atom, iCalendar and CSV files."""
    pieces = CoursePieces(catalogue, base_key, store)
    for course in pieces.order:
        key = course_key(base_key, course, catalogue.institutions_by_id[course.institution_id])
        yield Artifact(course.url + "elm.jsonld", functools.partial(_course_elm, pieces, course.id), key, pieces.ensure)
        calendar = feeds.course_calendar_path(course, catalogue)
        if calendar:
            yield Artifact(calendar, functools.partial(_course_calendar, pieces, course), key, pieces.ensure)
    for path in feeds.feed_paths(catalogue):
        yield Artifact(path, functools.partial(lambda p: pieces.feeds[p], path), needs=pieces.ensure)
    yield Artifact("courses.ics", lambda: feeds.calendar_ics(catalogue, {c: p.events for c, p in pieces.of.items()}),
                   needs=pieces.ensure)
    yield Artifact("courses.csv", lambda: feeds.courses_csv(catalogue, {c: p.csv_row for c, p in pieces.of.items()}),
                   needs=pieces.ensure)
    # written piece by piece, never joined (see `elm.catalogue_pieces`); the pathways' nodes after the courses'
    yield Artifact("elm.jsonld", lambda: elm.catalogue_pieces([pieces.of[c.id].elm_node for c in pieces.order]
                                                              + elm.pathway_nodes(catalogue)), needs=pieces.ensure)
    # a feed and a calendar for each facet value, from the same entries and events
    entries = functools.lru_cache(maxsize=1)(lambda: {c: p.feed_entry for c, p in pieces.of.items()})
    events = functools.lru_cache(maxsize=1)(lambda: {c: p.events for c, p in pieces.of.items()})
    yield from planning.search_feeds(catalogue, entries, events, pieces.ensure, base_key)


def _course_elm(pieces: CoursePieces, course_id: str) -> bytes:
    return elm.course_document(pieces.of[course_id].elm_node)


def _course_calendar(pieces: CoursePieces, course: Course) -> bytes:
    return feeds.course_calendar_ics(course, pieces.catalogue, pieces.of[course.id].events)


def _browse_json(catalogue: Catalogue) -> bytes:
    orders = {language: Words(None, language).sort_key() for language in catalogue.config.languages[1:]}
    return _compact(browse_index(catalogue.listed, catalogue.facets, catalogue.institutions_by_id, orders))


@functools.lru_cache(maxsize=65536)  # records are immutable: the live preview writes cards.json again on every edit
def _card_json(course: Course, institution: Institution) -> bytes:
    return _compact(card_data(course, institution, logo_path(institution) or ""))


def card_data(course: Course, institution: Institution, logo: str = "") -> dict[str, Any]:
    """A result card's data (see `facets.card`), with the course's picture and its descriptions."""
    data = card(course, institution, logo)
    picture = course.picture
    if picture:
        data["image"] = {**media.card_image(picture), "alt": course.image_alt}
        for translation in course.translations:
            if translation.image_alt:
                data["translations"][translation.language]["image_alt"] = translation.image_alt
    return data


def _cards_json(catalogue: Catalogue) -> bytes:
    """Every listed course's card, in the rows' order of the browse table: the home page's script shows any
    filter's results from this one file, fetched once."""
    by_id = catalogue.institutions_by_id
    return b"[" + b",\n".join(_card_json(c, by_id[c.institution_id]) for c in catalogue.listed) + b"]"


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def course_record(course: Course, institution: Institution, base_url: str) -> dict[str, Any]:
    """One course as published in courses.json (documented in docs/courses-json.md)."""
    record: dict[str, Any] = {
        "id": course.id,
        "url": base_url + course.url,
        "institution": {"id": institution.id, "name": institution.name, "country": institution.country},
    }
    for name in COURSES_JSON_FIELDS:
        value = getattr(course, name)
        if name == "image":  # the address of its picture, not the name of the file it was made of
            value = base_url + media.preview_image(course.picture).path if course.picture else None
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif name == "credits" and float(value).is_integer():
            value = int(value)
        record[name] = value
    return record


@functools.lru_cache(maxsize=32768)
def _record_json(course: Course, institution: Institution, base_url: str) -> str:
    """One course's line of courses.json (remembered: the live preview writes the file again on every edit)."""
    return json.dumps(course_record(course, institution, base_url), ensure_ascii=False, separators=(",", ":"))


def courses_json(catalogue: Catalogue) -> bytes:
    """Every listed course's fields and URL, for re-use: one course per line, so diffs stay readable."""
    head = json.dumps({"title": catalogue.config.title, "count": len(catalogue.listed)}, ensure_ascii=False)[:-1]
    records = (_record_json(c, catalogue.institutions_by_id[c.institution_id], catalogue.config.base_url)
               for c in sorted(catalogue.listed, key=lambda c: c.id))
    return (head + ', "courses": [\n' + ",\n".join(records) + "\n]}\n").encode("utf-8")
