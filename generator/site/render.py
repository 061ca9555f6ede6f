"""Render: the theme's Jinja templates and static files turned into the site's files, in memory.

Templates see plain records and a few helpers; every page gets only what it shows (no page walks the
whole catalogue, except the sitemap and the data files whose job that is).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import jinja2



from generator.engine.cache import ParseCache, code_fingerprint, digest
from generator.content.catalogue import Catalogue
from generator.site.theme import DEFAULT_THEME, Theme
from generator.diagnostics import ContentError, Diagnostic, display_path
from generator.site.elm import catalogue_document as elm_catalogue_document, catalogue_pieces as elm_catalogue_pieces, \
    course_document as elm_course_document, node_json as elm_node_json
from generator.site.feeds import calendar_ics, course_calendar_ics, course_calendar_path, course_events, courses_csv, csv_row, \
    feed_entry, feed_files
from generator.site.jsonschema import write_json_schema_bytes
from generator.site.structured import course_open_graph, course_schema_org
from generator.content.facets import browse_index, card
from generator.content.model import Course
from generator.fast.parallel import PARALLEL_FROM, run_all

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Page:
    """One file to render: where it goes, with which template and values."""

    path: str
    template: str
    values: dict[str, Any] | Callable[[], dict[str, Any]]
    # a hash of all the page is made from (worked out when asked: the live preview renders few pages)
    key: str | Callable[[], str] | None = None


@dataclass(frozen=True)
class Rendered:
    """The site's files: new bytes for those rendered, and the keys of keyed pages (rendered or reused).

    Rendered with a sink, the files went straight to it: `put` holds what it said for each, not their bytes.
    """

    files: dict[str, bytes]
    keys: dict[str, str]
    reused: frozenset[str]
    put: dict[str, Any] = field(default_factory=dict)


Sink = Callable[[str, bytes], Any]  # takes each file as it is made (see output.Sink)


def _made(path: str, make: Callable[[], bytes], sink: Sink | None) -> Any:
    """A job's result: the file's bytes, or with a sink, what the sink said of them (all that crosses processes)."""
    data = make()
    return sink(path, data) if sink else data


SCHEMA_PATH = "schema/course.schema.json"  # the course format, for editors that validate YAML front matter
SORT_OPTIONS = (("relevance", "Relevance"), ("start", "Start date, soonest first"),
                ("credits", "Credits, fewest first"), ("title", "Title, A to Z"))


def pages(catalogue: Catalogue, base_key: str = "") -> Iterator[Page]:
    """Every page of the site, in a fixed order. `base_key` is the hash of the code, theme and config.

    Each page's key hashes all it is made from (its courses' and institutions' files, the facet counts), so
    a rebuild renders only the pages an edit touched: one course's page, its listing and institution pages.
    """
    config = catalogue.config
    listed = catalogue.listed
    by_id = catalogue.institutions_by_id
    total_pages = max(1, math.ceil(len(listed) / config.page_size))
    # the filter form on every listing page shows the facet counts
    facets_key = functools.lru_cache(maxsize=1)(lambda: digest(repr(catalogue.facets)) if base_key else "")
    for number in range(1, total_pages + 1):
        chunk = listed[(number - 1) * config.page_size: number * config.page_size]
        yield Page(listing_path(number), "index.html", functools.partial(_listing_values, catalogue, chunk, number,
                                                                          total_pages),
                   key=functools.partial(_listing_key, base_key, f"listing {number} of {total_pages}, {len(listed)} courses",
                                         facets_key, chunk, by_id))
    for course in catalogue.courses:
        institution = by_id[course.institution_id]
        yield Page(course.url + "index.html", "course.html",
                   functools.partial(_course_values, catalogue, course, institution),
                   key=course_key(base_key, course, institution))
    counts = {i.id: len(catalogue.by_institution[i.id]) for i in catalogue.institutions}
    yield Page("institutions/index.html", "institutions.html", {"institutions": catalogue.institutions, "counts": counts},
               key=functools.partial(_group_key, base_key, f"institutions {counts}", "", (),
                                     {i.id: i for i in catalogue.institutions}))
    for institution in catalogue.institutions:
        yield Page(institution.url + "index.html", "institution.html", {
            "institution": institution, "courses": catalogue.by_institution[institution.id],
            "logo": logo_path(institution),
        }, key=functools.partial(_group_key, base_key, f"institution {institution.id}", institution.digest,
                                 catalogue.by_institution[institution.id], by_id))
    yield Page("404.html", "404.html", {}, key=_group_key(base_key, "404", "", (), {}))
    yield Page("_headers", "_headers", {}, key=_group_key(base_key, "_headers", "", (), {}))
    yield Page("sitemap.xml", "sitemap.xml", {
        "listing_pages": [listing_path(n).removesuffix("index.html") for n in range(1, total_pages + 1)],
        "courses": listed, "institutions": catalogue.institutions,
    }, key=functools.partial(_group_key, base_key, "sitemap", "", listed, by_id))
    yield Page("robots.txt", "robots.txt", {}, key=_group_key(base_key, "robots", "", (), {}))


def _listing_key(base_key: str, what: str, facets_key: Callable[[], str], courses: Sequence[Course],
                 by_id: dict[str, Any]) -> str:
    return _group_key(base_key, what, facets_key(), courses, by_id)


def _group_key(base_key: str, what: str, extra: str, courses: Sequence[Course], by_id: dict[str, Any]) -> str:
    """The key of a page made from several courses (and their institutions): "" (never reused) without hashes."""
    if not base_key:
        return ""
    parts = [base_key, what, extra]
    for course in courses:
        institution = by_id[course.institution_id]
        if not (course.digest and institution.digest):
            return ""
        parts.append(f"{course.digest}:{institution.digest}")
    for institution in (by_id.values() if not courses else ()):
        if not institution.digest:
            return ""
        parts.append(institution.digest)
    return digest(*parts)


def _browse_json(catalogue: Catalogue) -> bytes:
    return _compact(browse_index(catalogue.listed, catalogue.facets, catalogue.institutions_by_id))


def _card_json(course: Course, institution: Any) -> bytes:
    return _compact(card(course, institution))


def _render_page(theme: Theme, page: Page) -> bytes:
    values = page.values() if callable(page.values) else page.values
    return theme.env.get_template(page.template).render(values).encode("utf-8")


def _listing_values(catalogue: Catalogue, chunk: tuple, number: int, total_pages: int) -> dict[str, Any]:
    """A listing page's values (made only when the page is rendered: the live preview renders few of them)."""
    return {
        "courses": chunk, "total": len(catalogue.listed), "page": _pagination(number, total_pages),
        "first_index": (number - 1) * catalogue.config.page_size + 1,
        "institutions_by_id": catalogue.institutions_by_id, "facets": catalogue.facets,
        "sort_options": SORT_OPTIONS,
    }


def _course_values(catalogue: Catalogue, course: Course, institution: Any) -> dict[str, Any]:
    """A course page's values (made only when the page is rendered: most rebuilds reuse most pages)."""
    config = catalogue.config
    return {
        "course": course, "institution": institution,
        "schema_org": course_schema_org(course, institution, config),
        "social": course_open_graph(course, config),
        "calendar_path": course_calendar_path(course, catalogue),
    }


def listing_path(number: int) -> str:
    """Page 1 of the listing is the home page; page n is /page/n/."""
    return "index.html" if number == 1 else f"page/{number}/index.html"


PAGINATION_AROUND = 2  # pages linked on each side of the current one (and always the first and the last)


def _pagination(number: int, total: int) -> dict[str, Any]:
    """Links to the first, the last and the nearby listing pages; (None, None) marks a gap between them.

    A link to every page would be quadratic in the catalogue's size (834 pages at 20,000 courses, each
    linking all) and a long tab stop for keyboard users.
    """
    def link(n: int) -> str:
        return listing_path(n).removesuffix("index.html")
    shown = sorted({1, total, *range(max(1, number - PAGINATION_AROUND), min(total, number + PAGINATION_AROUND) + 1)})
    links: list[tuple[int | None, str | None]] = []
    for n in shown:
        if links and links[-1][0] is not None and n > links[-1][0] + 1:
            links.append((None, None))
        links.append((n, link(n)))
    return {
        "number": number, "total": total, "path": link(number),
        "previous": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < total else None,
        "links": links,
    }


def logo_path(institution: Any) -> str | None:
    """Where an institution's logo is published."""
    if not institution.logo:
        return None
    return f"{institution.url}{institution.logo.lower()}"


def course_key(base_key: str, course: Course, institution: Any) -> str:
    """What a course's own page and card are made from: its file, its institution's, the code, theme and config."""
    return _key(base_key, course.digest, institution.digest) if course.digest and institution.digest else ""


@functools.lru_cache(maxsize=65536)  # the live preview asks again for every unchanged course on each save
def _key(*parts: str) -> str:  # (keyed by the hashes, which are cheaper to look up than whole records)
    return digest(*parts)


def render(catalogue: Catalogue, theme: Theme, previous_keys: dict[str, str] | None = None,
           only: Callable[[Page], bool] | None = None, site_data: bool = True, sink: Sink | None = None) -> Rendered:
    """Every file of the site, as bytes keyed by its path in the site. Template errors become diagnostics.

    A keyed page whose key is in `previous_keys` is not rendered again: the previous output's file is reused.
    `only` limits the pages rendered (the live preview re-renders what a change can have touched), and
    without `site_data` the catalogue-wide data files (courses.json, the search table, the JSON Schema)
    are left out: the live preview makes them after the open page has reloaded. With a `sink`, each file
    goes to it as it is made, in whichever process made it.
    """
    config = catalogue.config
    base_key = _base_key(catalogue, theme)
    previous_keys = previous_keys or {}
    files: dict[str, bytes] = {}
    put: dict[str, Any] = {}

    def emit(path: str, data: bytes) -> None:
        if sink:
            put[path] = sink(path, data)
        else:
            files[path] = data

    for path, data in theme.static.items():
        emit(path, data)
    keys: dict[str, str] = {}
    reused: set[str] = set()
    problems: dict[tuple, Diagnostic] = {}
    todo: list[Page] = []
    for page in pages(catalogue, base_key):
        if only is not None and not only(page):
            continue
        key = page.key() if callable(page.key) else page.key
        if key:
            keys[page.path] = key
            if previous_keys.get(page.path) == key:
                reused.add(page.path)
                continue
        todo.append(page)
    extra: dict[str, Callable[[], bytes]] = site_data_files(catalogue) if site_data else {}  # files not pages
    for course in catalogue.listed:
        path = course.url + "card.json"
        institution = catalogue.institutions_by_id[course.institution_id]
        key = course_key(base_key, course, institution)
        keys[path] = key
        if key and previous_keys.get(path) == key:
            reused.add(path)
        else:
            extra[path] = functools.partial(_card_json, course, institution)
    jobs = [(page.path, functools.partial(_render_page, theme, page)) for page in todo] + list(extra.items())
    done = put if sink else files
    if len(jobs) >= PARALLEL_FROM:  # a cold build: shared with forked processes
        try:
            done.update(zip((path for path, _ in jobs),
                            run_all([functools.partial(_made, path, make, sink) for path, make in jobs])))
        except Exception:  # noqa: BLE001 — made again below, where a template error becomes a diagnostic
            pass
    for page in todo:
        if page.path in done:
            continue
        try:
            emit(page.path, _render_page(theme, page))
        except jinja2.TemplateSyntaxError as exc:
            d = _template_problem(theme, exc.filename or exc.name or page.template, exc.lineno, exc.message or "")
            problems[(d.path, d.line, d.message)] = d
        except jinja2.TemplateNotFound as exc:
            d = Diagnostic(display_path(theme.dir / "templates"), message=f"the theme has no template '{exc.name}'",
                           code="template")
            problems[(d.path, d.line, d.message)] = d
        except Exception as exc:  # noqa: BLE001 — any error inside a template is reported at its template line
            name, line = _template_frame(theme, exc)
            d = _template_problem(theme, name or page.template, line, f"{type(exc).__name__}: {exc}")
            problems[(d.path, d.line, d.message)] = d
    if problems:
        raise ContentError(problems.values())
    for path, make in extra.items():
        if path not in done:
            emit(path, make())
    for institution in catalogue.institutions:
        if institution.logo:
            emit(logo_path(institution), (Path(config.source) / "content" / "institutions" / institution.logo).read_bytes())
    return Rendered(files, keys, frozenset(reused), put)


def site_data_files(catalogue: Catalogue) -> dict[str, Callable[[], bytes]]:
    """The catalogue-wide files `render` makes besides pages (with `site_data`), each as the call that makes it."""
    config = catalogue.config
    schema_id = config.base_url + SCHEMA_PATH if config.absolute else None
    return {"courses.json": functools.partial(courses_json, catalogue),
            SCHEMA_PATH: functools.partial(write_json_schema_bytes, schema_id),
            "search/browse.json": functools.partial(_browse_json, catalogue)}


def render_site_data(catalogue: Catalogue, sink: Sink | None = None) -> Rendered:
    """The files that `render` leaves out without `site_data`, made in this process."""
    made = {path: _made(path, make, sink) for path, make in site_data_files(catalogue).items()}
    return Rendered({} if sink else made, {}, frozenset(), made if sink else {})


def render_data(catalogue: Catalogue, theme: Theme, previous_keys: dict[str, str] | None = None,
                store: ParseCache | None = None, sink: Sink | None = None) -> Rendered:
    """The open-data files no page shows: ELM, feeds, calendars, CSV (the live preview makes them after reloading).

    Each course's own ELM and calendar files are skipped when their key is in `previous_keys`, as pages are;
    each course's parts of the catalogue-wide files (ELM, Atom, CSV, iCalendar) are kept in `store` by the same key.
    """
    base_key = _base_key(catalogue, theme)
    previous_keys = previous_keys or {}
    store = store or ParseCache(None)
    keys: dict[str, str] = {}
    reused: set[str] = set()
    jobs, stored = [], []  # each listed course: its parts of the catalogue-wide files, and its own files
    order = sorted(catalogue.listed, key=lambda c: c.id)
    for course in order:
        institution = catalogue.institutions_by_id[course.institution_id]
        key = course_key(base_key, course, institution)
        paths = [course.url + "elm.jsonld"]
        calendar = course_calendar_path(course, catalogue)
        if calendar:
            paths.append(calendar)
        for path in paths:
            keys[path] = key
            if key and previous_keys.get(path) == key:
                reused.add(path)
        parts = store.get("data-" + key) if key else None
        stored.append((key, parts is not None))
        jobs.append(functools.partial(_course_data, catalogue, course, institution, parts,
                                      tuple(path for path in paths if path not in reused), sink))
    results = run_all(jobs)  # across processes when there are many
    files: dict[str, bytes] = {}
    put: dict[str, Any] = {}
    nodes, entries, rows, events = [], {}, {}, {}
    for course, (parts, made), (key, was_stored) in zip(order, results, stored):
        if key and not was_stored:
            store.put("data-" + key, parts)
        nodes.append(parts[0])
        entries[course.id], rows[course.id], events[course.id] = parts[1:]
        (put if sink else files).update(made)
    del results
    # the catalogue-wide files, from their courses' parts
    for make in (functools.partial(feed_files, catalogue, entries),
                 lambda: {"courses.ics": calendar_ics(catalogue, events)},
                 lambda: {"courses.csv": courses_csv(catalogue, rows)}):
        (put if sink else files).update(_whole(make, sink))
    if sink:  # written piece by piece, never joined (see `elm.catalogue_pieces`)
        put["elm.jsonld"] = sink("elm.jsonld", elm_catalogue_pieces(nodes))
    else:
        files["elm.jsonld"] = elm_catalogue_document(nodes)
    return Rendered(files, keys, frozenset(reused), put)


def _whole(make: Callable[[], dict[str, bytes]], sink: Sink | None) -> dict[str, Any]:
    """Catalogue-wide data files: their bytes, or what the sink said of them."""
    return {path: sink(path, data) if sink else data for path, data in make().items()}


def _course_data(catalogue: Catalogue, course: Course, institution: Any, parts: tuple | None,
                 paths: tuple[str, ...], sink: Sink | None = None) -> tuple[tuple, dict[str, Any]]:
    """A course's parts of the catalogue-wide files (its ELM node, Atom entry, CSV row and calendar events),
    made unless given, and those of its own data files that `paths` names (their bytes, or what the sink
    said of them)."""
    if parts is None:
        parts = (elm_node_json(course, institution, catalogue.config), feed_entry(course, institution, catalogue),
                 csv_row(course, catalogue), course_events(course, catalogue))
    made = {}
    for path in paths:
        data = (elm_course_document(parts[0]) if path.endswith("elm.jsonld")
                else course_calendar_ics(course, catalogue, parts[3]))
        made[path] = sink(path, data) if sink else data
    return parts, made


def _base_key(catalogue: Catalogue, theme: Theme) -> str:
    """The hash of the code, theme and config that every page is also made from."""
    return digest(code_fingerprint(), theme.digest, repr(dataclasses.replace(catalogue.config, source=Path("."))))


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _template_problem(theme: Theme, name: str, line: int | None, message: str) -> Diagnostic:
    path = Path(name)
    if not path.is_absolute():
        layers = [theme.dir, DEFAULT_THEME]
        path = next((l / "templates" / name for l in layers if (l / "templates" / name).exists()),
                    theme.dir / "templates" / name)
    return Diagnostic(display_path(path), line or 0, 0, message=f"template error: {message}", code="template")


def _template_frame(theme: Theme, exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in the traceback of an error raised while rendering."""
    roots = (str(theme.dir / "templates"), str(DEFAULT_THEME / "templates"))
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__ or sys.exc_info()[2]):
        if frame.filename.startswith(roots):
            found = (frame.filename, frame.lineno)
    return found


COURSES_JSON_FIELDS = (
    "title", "summary", "credits", "workload_hours", "eqf_level", "audience", "language", "mode", "admission",
    "prerequisites", "learning_outcomes", "assessment", "quality_assurance", "topics", "isced_f", "start_date",
    "end_date", "application_deadline", "duration", "fee", "currency", "enrol_url", "contact", "supervision",
    "stackability", "stackable_towards", "europass", "status", "updated",
)


def course_record(course: Course, institution: Any, base_url: str) -> dict[str, Any]:
    """One course as published in courses.json (documented in docs/courses-json.md)."""
    record: dict[str, Any] = {
        "id": course.id,
        "url": base_url + course.url,
        "institution": {"id": institution.id, "name": institution.name, "country": institution.country},
    }
    for name in COURSES_JSON_FIELDS:
        value = getattr(course, name)
        if hasattr(value, "isoformat"):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        elif name == "credits" and float(value).is_integer():
            value = int(value)
        record[name] = value
    return record


@functools.lru_cache(maxsize=32768)
def _record_json(course: Course, institution: Any, base_url: str) -> str:
    """One course's line of courses.json (remembered: the live preview rewrites the file on every edit)."""
    return json.dumps(course_record(course, institution, base_url), ensure_ascii=False, separators=(",", ":"))


def courses_json(catalogue: Catalogue) -> bytes:
    """Every listed course's fields and URL, for re-use: one course per line, so diffs stay readable."""
    head = json.dumps({"title": catalogue.config.title, "count": len(catalogue.listed)}, ensure_ascii=False)[:-1]
    records = (_record_json(c, catalogue.institutions_by_id[c.institution_id], catalogue.config.base_url)
               for c in sorted(catalogue.listed, key=lambda c: c.id))
    return (head + ', "courses": [\n' + ",\n".join(records) + "\n]}\n").encode("utf-8")
