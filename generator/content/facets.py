"""Facets: how courses are grouped for filtering (credits buckets, EQF level, audience, institution...).

The same definitions label the filter form on the home page, fill the browse table that the home page's
search and filters work on, and order each facet's values, so the static pages and the search never disagree.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from functools import lru_cache
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, NamedTuple, Sequence

from generator.content import schema

from generator.site import words
from generator.site.text import N_
from generator.content.model import Course, Institution
from generator.content.pathways import pathway_of

# (upper bound, label): a course goes to the first bucket whose bound it does not exceed, so 2.5 is in 3–5
CREDIT_BUCKETS = ((2, "1–2"), (5, "3–5"), (10, "6–10"), (30, "11–30"), (60, "31–60"))


@dataclass(frozen=True)
class FacetValue:
    """One value of a facet: the code in URLs and the index, its label, and how many listed courses have it."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Facet:
    """A facet: its key (as in `?level=7`), its heading, and its values in display order."""

    key: str
    label: str
    values: tuple[FacetValue, ...]


def credits_bucket(credits: float) -> str:
    """The credits bucket's label: 1 → '1–2', 2.5 → '3–5', 60 → '31–60'."""
    return next(label for bound, label in CREDIT_BUCKETS if credits <= bound)


@lru_cache(maxsize=65536)  # records are immutable; the live preview asks again for every unchanged course
def course_facets(course: Course, institution: Institution) -> dict[str, tuple[str, ...]]:
    """Every facet value a course has, by facet key."""
    return {
        "credits": (credits_bucket(course.credits),),
        "level": (str(course.eqf_level),),
        "audience": course.audience,
        "institution": (course.institution_id,),
        "country": (institution.country,),
        "mode": (course.mode,),
        "language": course.language,
        "topic": course.topics,
    }


@lru_cache(maxsize=65536)
def _facet_pairs(course: Course, institution: Institution) -> tuple[tuple[str, str], ...]:
    """A course's (facet, value) pairs, each once."""
    return tuple(dict.fromkeys((key, v) for key, values in course_facets(course, institution).items() for v in values))


def _order(key: str) -> Callable[[tuple[str, str]], tuple]:
    """Display order of a facet's (value, label) pairs: the schema's order for enumerations, else by label."""
    if key == "credits":
        order = [label for _, label in CREDIT_BUCKETS]
        return lambda pair: (order.index(pair[0]),)
    if key == "level":
        return lambda pair: (int(pair[0]),)
    spec = next((s for s in schema.COURSE_FIELDS if s.name == key and s.choices), None)
    if spec:
        order = [c.value for c in spec.choices]
        return lambda pair: (order.index(pair[0]),)
    return lambda pair: (pair[1].casefold(), pair[0])


# English message ids: the theme translates a facet's label where it shows it (`_(facet.label)`)
FACET_LABELS = (
    ("credits", N_("Credits (ECTS)")), ("level", N_("EQF level")), ("audience", N_("Audience")),
    ("institution", N_("Institution")), ("country", N_("Country")), ("mode", N_("Mode")), ("language", N_("Language")),
    ("topic", N_("Topic")),
)


def value_label(key: str, value: str, institutions: dict[str, Institution], speak: words.Words = words.ENGLISH) -> str:
    """The words shown for a facet value (in English, or in the language of `speak`)."""
    if key == "credits":
        high = next(bound for bound, label in CREDIT_BUCKETS if label == value)
        # TRANSLATORS: a range of credits, like "3–5 credits"
        return speak.ngettext("%(range)s credit", "%(range)s credits", high) % {"range": value}
    if key == "level":
        return speak.level(int(value))
    if key in ("audience", "mode"):
        return speak.label(value, key)
    if key == "institution":
        return institutions[value].name
    if key == "country":
        return speak.country(value)
    if key == "language":
        return speak.language(value)
    return speak.topic(value)


def option_label(key: str, option: FacetValue, speak: words.Words) -> str:
    """A facet value's words in the language of `speak` (an institution's name is as it is written)."""
    if key == "institution":
        return option.label
    return value_label(key, option.value, {}, speak)


def build_facets(listed: tuple[Course, ...], institutions: dict[str, Institution]) -> tuple[Facet, ...]:
    """Every facet with every value that listed courses have, and its count in the whole catalogue."""
    counted: dict[tuple[str, str], int] = {}
    for course in listed:
        for pair in _facet_pairs(course, institutions[course.institution_id]):
            counted[pair] = counted.get(pair, 0) + 1
    counts: dict[str, dict[str, int]] = {key: {} for key, _ in FACET_LABELS}
    for (key, value), count in counted.items():
        counts[key][value] = count
    facets = []
    for key, label in FACET_LABELS:
        pairs = sorted(((v, value_label(key, v, institutions)) for v in counts[key]), key=_order(key))
        facets.append(Facet(key, label, tuple(FacetValue(v, lab, counts[key][v]) for v, lab in pairs)))
    return tuple(facets)


def sort_keys(course: Course) -> dict[str, str]:
    """The values the search sorts by: start date (as the static listing: closed courses and undated ones last),
    credits, title."""
    closed = int(course.status == "closed")
    return {
        "start": f"{closed}-{course.start_date.isoformat() if course.start_date else '9999-12-31'}",
        "credits": words.number(course.credits).replace(",", ""),
        "title": course.title.casefold(),
    }


@lru_cache(maxsize=65536)
def _value_positions(course: Course, institution: Institution,
                     positions: tuple[tuple[str, tuple[str, ...]], ...]) -> list[list[int]]:
    values = course_facets(course, institution)
    return [sorted({order.index(v) for v in values[key]}) for key, order in positions]


def card(course: Course, institution: Institution, logo: str = "") -> dict:
    """What a result card shows (search/cards.json: the home page's search and filter results), in every interface
    language at once: the course's own texts and their translations, and its facts as codes that the words
    table of each language (`card_words`) turns into words; `logo` is where the institution's logo is, if it
    has one."""
    data: dict = {
        "title": course.title,
        "url": course.url,
        "lang": course.body_lang,
        "institution": institution.name,
        "logo": logo,
        "summary": course.summary,
        "credits": credits_code(course.credits),
        "level": str(course.eqf_level),
        "audience": list(course.audience),
        "mode": course.mode,
        "language": list(course.language),
        "start": course.start_date.isoformat() if course.start_date else "",
        "fee": fee_code(course),
        "status": course.status,
        **plan_facts(course),
    }
    if course.translations:
        data["translations"] = {t.language: {"title": t.title, "summary": t.summary} for t in course.translations}
    return data


def plan_facts(course: Course) -> dict:
    """The facts the shortlist and the comparison show besides a card's (as codes; words.json words them)."""
    facts: dict = {"id": course.id, "workload": workload_code(course), "admission": course.admission,
                   "assessment": course.assessment}
    for name, day in (("end", course.end_date), ("deadline", course.application_deadline)):
        if day:
            facts[name] = day.isoformat()
    for name in ("supervision", "stackability", "stackable_towards", "europass"):
        if getattr(course, name) is not None:
            facts[name] = getattr(course, name)
    if pathway_of(course):
        facts["pathway"] = pathway_of(course)
    if course.start_date or (course.application_deadline and course.status in ("open", "upcoming")):
        facts["calendar"] = True  # it has its own calendar.ics (as feeds.course_calendar_path finds)
    return facts


def workload_code(course: Course) -> str:
    """A course's workload as a card names it: '5' (credits alone) or '5 140' (credits and stated hours)."""
    code = credits_code(course.credits)
    return f"{code} {course.workload_hours}" if course.workload_hours else code


def credits_code(credits: float) -> str:
    """A number of credits as a card names it: '5', '2.5'."""
    return str(int(credits)) if float(credits).is_integer() else str(credits)


def fee_code(course: Course) -> str:
    """A course's fee as a card names it: '' (not stated), '0' (free), '1200 CZK'."""
    if course.fee is None:
        return ""
    return "0" if course.fee == 0 else f"{credits_code(course.fee)} {course.currency}"


class CardCodes(NamedTuple):
    """The values the listed courses' cards name, by code (`card`), with what each code stands for: the same
    in every interface language, found once a build and worded in each (`card_words`)."""

    credits: tuple[tuple[str, float], ...]
    fees: tuple[tuple[str, float | None, str], ...]
    starts: tuple[tuple[str, dt.date], ...]
    languages: tuple[str, ...]
    workloads: tuple[tuple[str, float, int | None], ...] = ()  # each workload code's credits and stated hours
    dates: tuple[tuple[str, dt.date], ...] = ()      # every start, end and deadline (the comparison's)


def card_codes(listed: Sequence[Course]) -> CardCodes:
    """Every code the cards of `listed` use, in code order."""
    credits: dict[str, float] = {}
    fees: dict[str, tuple[float | None, str]] = {}
    starts: dict[str, dt.date] = {}
    languages: set[str] = set()
    workloads: dict[str, tuple[float, int | None]] = {}
    dates: dict[str, dt.date] = {}
    for course in listed:
        workloads.setdefault(workload_code(course), (course.credits, course.workload_hours))
        for day in (course.start_date, course.end_date, course.application_deadline):
            if day:
                dates.setdefault(day.isoformat(), day)
        credits.setdefault(credits_code(course.credits), course.credits)
        fees.setdefault(fee_code(course), (course.fee, course.currency))
        if course.start_date:
            starts.setdefault(course.start_date.isoformat(), course.start_date)
        languages.update(course.language)
    return CardCodes(tuple(sorted(credits.items())), tuple((code, *fees[code]) for code in sorted(fees)),
                     tuple(sorted(starts.items())), tuple(sorted(languages)),
                     tuple((code, *workloads[code]) for code in sorted(workloads)), tuple(sorted(dates.items())))


def card_words(codes: CardCodes | Sequence[Course], speak: words.Words) -> dict[str, dict[str, str]]:
    """The words of the cards' facts in one interface language, by code: each value the listed courses have
    (`codes`, or the courses themselves), written as the static listing writes it (CLDR's dates, numbers and
    money in the locale)."""
    if not isinstance(codes, CardCodes):
        codes = card_codes(codes)
    table = {
        "credits": {code: speak.credits_amount(credits) for code, credits in codes.credits},
        "audience": {}, "mode": {},
        "language": {code: speak.language(code) for code in codes.languages},
        "start": {code: speak.date(start) for code, start in codes.starts},
        "fee": {code: speak.fee_amount(fee, currency) for code, fee, currency in codes.fees},
        "status": {},
        # (Words says a workload from a course's credits and hours: these two stand for it)
        "workload": {code: speak.credits(SimpleNamespace(credits=credits, workload_hours=hours))  # type: ignore[arg-type]
                     for code, credits, hours in codes.workloads},
        "date": {code: speak.date(day) for code, day in codes.dates},
    }
    for field, choices in (("audience", schema.AUDIENCES), ("mode", schema.MODES), ("status", schema.STATUSES),
                           ("admission", schema.ADMISSIONS), ("supervision", schema.SUPERVISION),
                           ("stackability", schema.STACKABILITY)):
        table[field] = {c.value: speak.label(c.value, field) for c in choices}
    return {name: dict(sorted(values.items())) for name, values in table.items()}


def browse_index(listed: tuple[Course, ...], facets: tuple[Facet, ...],
                 institutions: dict[str, Institution], title_orders: dict[str, Callable] | None = None) -> dict:
    """A compact table of every listed course's facet values and sort ranks: the home page filters, counts
    and sorts it, alone or narrowed to the courses a Pagefind search found.

    Filtering and counting 4,000 courses from this table takes the browser a few milliseconds, where a
    filter-only Pagefind search would first download the whole word index. `title_orders` gives, for other
    interface languages, the key of their alphabetical order: the table then holds each row's rank by title (its
    translated title, where a partner gave one) in each of them (`titles`), which pages in that language sort by.
    """
    positions = tuple((f.key, tuple(v.value for v in f.values)) for f in facets)
    by_start = {c.id: rank for rank, c in enumerate(sorted(listed, key=lambda c: (sort_keys(c)["start"], c.id)))}
    by_title = {c.id: rank for rank, c in enumerate(sorted(listed, key=lambda c: (c.title.casefold(), c.id)))}
    rows = [[course.url, by_start[course.id], course.credits, by_title[course.id],
             _value_positions(course, institutions[course.institution_id], positions)] for course in listed]
    table = {"facets": [[f.key, [v.value for v in f.values]] for f in facets], "courses": rows,
             "table": table_digest([course.url for course in listed])}
    if title_orders:
        table["titles"] = {language: _ranks(listed, lambda c, key=key, language=language:
                                            (key(c.text(language).title if c.translations else c.title), c.id))
                           for language, key in title_orders.items()}
    return table


def _ranks(listed: tuple[Course, ...], key: Callable) -> list[int]:
    """Each course's place in the order `key` gives, in the courses' order."""
    rank = {c.id: i for i, c in enumerate(sorted(listed, key=key))}
    return [rank[c.id] for c in listed]


def table_digest(paths: Sequence[str]) -> str:
    """Names a browse table by its rows' paths, in order: the search index's list of ids per row (made by
    another stage, or, in the live preview, at another moment) says which table it goes with."""
    return hashlib.blake2b("\n".join(paths).encode("utf-8"), digest_size=8).hexdigest()
