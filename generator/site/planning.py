"""Planning: the pages and feeds that help a visitor plan a year of training. Learning pathways (stackable
courses grouped by award), the calendar of the next twelve months, the shortlist and the comparison (kept in
the browser: their pages are frames the theme's script fills from the published card data), the page to
follow a search, and its static feeds: one Atom feed and one iCalendar file per facet value, which the
browser combines into any filtered view (docs/open-data.md)."""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import zlib
from urllib.parse import urlencode
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

from markupsafe import Markup

from generator.content.catalogue import Catalogue
from generator.content.facets import FACET_LABELS, course_facets, value_label
from generator.content.model import Course
from generator.content.pathways import Pathway, award_key, pathways
from generator.content.timeline import build_date
from generator.engine.artifact import Artifact
from generator.engine.cache import ParseCache
from generator.fingerprint import fingerprint
from generator.site import feeds, pages
from generator.site.pages import course_key, facets_in, group_key, page
from generator.site.theme import Theme

FEEDS_INDEX = "feeds/index.json"  # each facet value's feed file name, for the browser
CALENDAR_MONTHS = 12


def today(catalogue: Catalogue) -> dt.date:
    """The day the site is built for: the catalogue's build date (`timeline.build_date`: --today,
    SOURCE_DATE_EPOCH, else the system's date)."""
    return catalogue.today or build_date()


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after `day`'s: the calendar page changes then (see `calendar_months`)."""
    return _add_months(day.replace(day=1), 1)


# ---- pathways ----------------------------------------------------------------------------------------------

def pathway_pages(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The pathways' index and one page per pathway: its courses in order of start, their total credits."""
    found = pathways(catalogue.listed)
    by_id = catalogue.institutions_by_id
    every = tuple(c for p in found for c in p.courses)
    yield page(theme, "pathways/index.html", "pathways.html", {"pathways": found, "institutions_by_id": by_id},
               functools.partial(group_key, base_key, f"pathways {[p.slug for p in found]}", "", every, by_id))
    for pathway in found:
        yield page(theme, pathway.url + "index.html", "pathway.html",
                   {"pathway": pathway, "institutions_by_id": by_id},
                   functools.partial(group_key, base_key, f"pathway {pathway.slug}", "", pathway.courses, by_id))


# ---- the calendar ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Date:
    """A day of the calendar: a course's start or its application deadline."""

    day: dt.date
    kind: str  # "start" or "deadline"
    course: Course


def calendar_months(courses: Sequence[Course], today: dt.date) -> list[tuple[dt.date, list[Date]]]:
    """The start dates and open application deadlines of twelve months from `today`'s, month by month (as the
    iCalendar file has them: `feeds.events`; the courses as they stand on `today`, so a deadline gone by is
    closed and a run that is over is not listed); each month as its first day and its dates in order. The
    page depends on the day only through its month and the courses, which `build` keeps in step with."""
    months = [_add_months(today.replace(day=1), n) for n in range(CALENDAR_MONTHS)]
    first, end = months[0], _add_months(months[0], CALENDAR_MONTHS)
    dates: dict[dt.date, list[Date]] = {month: [] for month in months}
    for course in courses:
        found = [(course.start_date, "start")] if course.start_date else []
        if course.application_deadline and course.status in feeds.DEADLINE_STATUSES:
            found.append((course.application_deadline, "deadline"))
        for day, kind in found:
            if first <= day < end:
                dates[day.replace(day=1)].append(Date(day, kind, course))
    return [(month, sorted(dates[month], key=lambda d: (d.day, d.kind == "start", d.course.id))) for month in months]


def _add_months(day: dt.date, n: int) -> dt.date:
    years, month = divmod(day.month - 1 + n, 12)
    return day.replace(year=day.year + years, month=month + 1)


# ---- the shortlist, the comparison, the calendar and following a search: one page each --------------------

def planning_pages(catalogue: Catalogue, theme: Theme, base_key: str, store: ParseCache) -> Iterator[Artifact]:
    """/shortlist/, /compare/, /calendar/ and /feeds/ in the theme's language."""
    for name in ("shortlist", "compare"):
        yield page(theme, f"{name}/index.html", f"{name}.html", {}, group_key(base_key, name, "", (), {}))
    facets_key = functools.lru_cache(maxsize=1)(lambda: fingerprint(repr(catalogue.facets)))
    month = today(catalogue).replace(day=1)
    months = CalendarMonths(catalogue, theme, base_key, store, month)
    yield Artifact(theme.prefix + "calendar/index.html",
                   functools.partial(_calendar_page, theme, months, lambda: facets_in(catalogue.facets, theme)),
                   lambda: months.key(facets_key()), months.ensure if store.keeps else None)
    yield page(theme, "feeds/index.html", "feeds.html",
               lambda: {"facets": facets_in(catalogue.facets, theme), "stems": feed_stems(catalogue)},
               lambda: group_key(base_key, "feeds", facets_key(), (), {}))


class CalendarMonths:
    """The calendar page's months, each kept in the store by what it shows, and each date on them made on its own
    (`calendar_date` of `_calendar_date.html`) and kept too, a month's in one entry: an edit makes again only its
    course's dates, in each language, and the months they are on (`_calendar_month.html`) from the dates kept."""

    TEMPLATE = "_calendar_date.html"

    def __init__(self, catalogue: Catalogue, theme: Theme, base_key: str, store: ParseCache, first: dt.date) -> None:
        self.catalogue, self.theme, self.base_key, self.store, self.first = catalogue, theme, base_key, store, first
        self.made: list[bytes] | None = None  # each month's section, compressed (`ensure`)

    @functools.cached_property
    def months(self) -> list[tuple[dt.date, list[Date], str]]:
        """Each month, its dates and its section's key ("" when it is never kept)."""
        return [(month, dates, courses and fingerprint(self.base_key, f"calendar month {index} {month}", courses))
                for index, (month, dates, courses) in enumerate(_months_of(self.catalogue, self.first), 1)]

    def key(self, facets_key: str) -> str:
        """The page's key: its months' (which the store keeps, made or not, with their dates) and the filters'."""
        keys = [key for _, _, key in self.months]
        for month, _, key in self.months:
            self.store.keep(_STORED + key)
            self.store.keep(self._dates_entry(month))
        return fingerprint(self.base_key, "calendar", str(self.first), facets_key, *keys) if all(keys) else ""

    def total(self) -> int:
        return sum(len(dates) for _, dates, _ in self.months)

    def ensure(self) -> None:
        """Make the months the store does not have, from the dates it has and those it lacks, and keep them (in
        this process: see `Artifact.needs`)."""
        if self.made is not None or not all(key for _, _, key in self.months):
            return
        try:
            made: list[bytes | None] = [self.store.get(_STORED + key) for _, _, key in self.months]
            lacking = [index for index, section in enumerate(made) if not isinstance(section, bytes)]
            made_from = fingerprint(self.base_key, "calendar dates")
            kept = {index: pages.kept_parts(self.store.get(self._dates_entry(self.months[index][0])), made_from)
                    for index in lacking}
            wanted = {index: {self._key(date): date for date in self.months[index][1]} for index in lacking}
            missing = list({key: date for index in lacking for key, date in wanted[index].items()
                            if key not in kept[index]}.items())
            # (in this process: shared out between processes, a cold build's 4,000 dates a language took 1 s longer)
            new = {key: self._date(date) for key, date in missing}
            for index in lacking:
                month, _, key = self.months[index]
                dates = {key: kept[index].get(key) or new[key] for key in wanted[index]}
                self.store.put(self._dates_entry(month), pages.parts_entry(made_from, dates))
                made[index] = zlib.compress(self._month(index + 1, month, list(dates.values())), 1)
                self.store.put(_STORED + key, made[index])
            self.made = made  # type: ignore[assignment]
        except Exception:  # noqa: BLE001 — a theme's error is reported where the page is made (`render_page`)
            self.made = None

    def sections(self) -> list[bytes]:
        """Each month's section, as the page shows it (UTF-8)."""
        if self.made is not None:
            return [zlib.decompress(section) for section in self.made]
        return [self._month(index, month, [self._date(date) for date in dates])
                for index, (month, dates, _) in enumerate(self.months, 1)]

    def _dates_entry(self, month: dt.date) -> str:
        return f"{_STORED}dates-{self.theme.language}-{month:%Y-%m}"

    def _key(self, date: Date) -> str:
        """What a date's item is made from: its course (its id and hash, whether it has ended), its kind and its
        institution (whose name it shows)."""
        course = date.course
        return f"{course.id}:{course.digest}:{course.passed}:{date.kind}:{date.day}:" \
               f"{self.catalogue.institutions_by_id[course.institution_id].digest}"

    def _month(self, index: int, month: dt.date, items: list[bytes]) -> bytes:
        """A month's section: its frame and its dates' items (UTF-8)."""
        return pages.in_theme(self.theme, "_calendar_month.html", lambda: self.theme.env.get_template(
            "_calendar_month.html").render(index=index, month=month, items=[
                Markup(item.decode("utf-8")) for item in items]).encode("utf-8"))

    def _date(self, date: Date) -> bytes:
        return pages.part(self.theme, self.TEMPLATE, "calendar_date", date,
                          self.catalogue.institutions_by_id[date.course.institution_id])


def _calendar_page(theme: Theme, months: CalendarMonths, facets: Callable[[], Any]) -> list[bytes]:
    """The calendar page in pieces (`pages.pieced`): its frame and its months' sections (2.8 MB a language at
    4,000 courses: never put together again by the template, nor joined)."""
    values = {"total": months.total(), "month": months.first, "facets": facets()}
    return pages.pieced(theme, "calendar.html", "calendar/", values, "months", months.sections)


_STORED = "calendar-"
_last: list[Any] = []  # [courses, first month, their months]: the last catalogue's, the same in every language


def _months_of(catalogue: Catalogue, first: dt.date) -> list[tuple[dt.date, list[Date], str]]:
    """`calendar_months`, each month with what its courses are made from ("" when it is never kept)."""
    if _last and _last[0] is catalogue.listed and _last[1] == first:
        return _last[2]
    by_id = catalogue.institutions_by_id
    months = [(month, dates, group_key("", "", "", [d.course for d in dates], by_id))
              for month, dates in calendar_months(catalogue.listed, first)]
    _last[:] = [catalogue.listed, first, months]
    return months


# ---- a feed for each facet value -----------------------------------------------------------------------------

def feed_stems(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Each facet value's file name under feeds/<facet>/ (without .xml or .ics): its words in ASCII
    ('1–2' → '1-2', 'CZ' → 'cz'), with a short hash where two values would have the same."""
    stems: dict[str, dict[str, str]] = {}
    for facet in catalogue.facets:
        plain = {v.value: award_key(v.value) for v in facet.values}
        taken: dict[str, int] = {}
        for stem in plain.values():
            taken[stem] = taken.get(stem, 0) + 1
        stems[facet.key] = {value: stem if stem and taken[stem] == 1 else
                            (stem + "-" if stem else "") + hashlib.blake2b(value.encode(), digest_size=3).hexdigest()
                            for value, stem in plain.items()}
    return stems


def facet_courses(catalogue: Catalogue) -> dict[tuple[str, str], list[Course]]:
    """The listed courses of each (facet, value), in listing order."""
    found: dict[tuple[str, str], list[Course]] = {}
    for course in catalogue.listed:
        for key, values in course_facets(course, catalogue.institutions_by_id[course.institution_id]).items():
            for value in dict.fromkeys(values):
                found.setdefault((key, value), []).append(course)
    return found


def search_feeds(catalogue: Catalogue, entries: Callable[[], Mapping[str, bytes]],
                 events: Callable[[], Mapping[str, Sequence[feeds.Piece]]],
                 needs: Callable[[], None], base_key: str = "") -> Iterator[Artifact]:
    """feeds/<facet>/<value>.xml (Atom) and .ics (iCalendar) for every facet value, and feeds/index.json;
    `entries` and `events` give each listed course's Atom entry and calendar events, once `needs` ran. Each file
    is keyed by its courses' keys: an edit makes again only the feeds of the edited course's values."""
    stems = feed_stems(catalogue)
    grouped = functools.lru_cache(maxsize=1)(lambda: facet_courses(catalogue))
    yield Artifact(FEEDS_INDEX, lambda: json.dumps({"facets": stems}, ensure_ascii=False, sort_keys=True,
                                                   separators=(",", ":")).encode("utf-8"))
    labels = dict(FACET_LABELS)
    for facet in catalogue.facets:
        for option in facet.values:
            path = f"feeds/{facet.key}/{stems[facet.key][option.value]}"
            title = (f"{labels[facet.key]}: {value_label(facet.key, option.value, catalogue.institutions_by_id)}"
                     f" · {catalogue.config.title}")
            courses = functools.partial(lambda k, v: grouped()[(k, v)], facet.key, option.value)
            key = functools.lru_cache(maxsize=1)(functools.partial(_feed_key, base_key, catalogue, title, courses))
            yield Artifact(path + ".xml", functools.partial(_atom, catalogue, courses, title, path + ".xml",
                                                            "?" + urlencode({facet.key: option.value}), entries),
                           key, needs=needs)
            yield Artifact(path + ".ics", functools.partial(_ics, courses, title, events), key, needs=needs)


def _feed_key(base_key: str, catalogue: Catalogue, title: str, courses: Callable[[], list[Course]]) -> str:
    """A facet value's feeds are made from its courses (their files and what of them is over) and its title."""
    by_id = catalogue.institutions_by_id
    keys = [course_key(base_key, c, by_id[c.institution_id]) for c in courses()]
    return fingerprint(base_key, "feed", title, *keys) if keys and all(keys) else ""  # "": never reused


def _atom(catalogue: Catalogue, courses: Callable[[], list[Course]], title: str, path: str, query: str,
          entries: Callable[[], Mapping[str, bytes]]) -> bytes:
    return feeds.atom_feed(courses(), catalogue, title, path, entries(), alternate=query)


def _ics(courses: Callable[[], list[Course]], title: str, events: Callable[[], Mapping[str, Sequence[Any]]]) -> bytes:
    made = events()
    return feeds.events_calendar([piece for course in courses() for piece in made[course.id]], title)


__all__ = ["Pathway", "calendar_months", "feed_stems", "pathway_pages", "planning_pages", "search_feeds", "today"]
