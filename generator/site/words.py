"""Words: course values as people read them ("2 credits · 50–60 hours", "Free", "EQF level 7 (master's level)").

These are the catalogue's own vocabulary, shared by every theme as Jinja filters.
"""
from __future__ import annotations

import datetime as dt

from generator.content import schema
from generator.content.model import Course

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$"}
_LABELS = {spec.name: {c.value: c.label for c in spec.choices} for spec in schema.COURSE_FIELDS if spec.choices}


def number(x: float | int) -> str:
    """2.0 → '2', 2.5 → '2.5', 1200 → '1,200'."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def credits(course: Course) -> str:
    """'2 credits · 50–60 hours', or the stated hours when the course gives them."""
    unit = "credit" if course.credits == 1 else "credits"
    hours = (f"{number(course.workload_hours)} hours" if course.workload_hours
             else f"{number(course.credits * 25)}–{number(course.credits * 30)} hours")
    return f"{number(course.credits)} ECTS {unit} · {hours}"


def credits_short(course: Course) -> str:
    """'2 ECTS credits'."""
    return f"{number(course.credits)} ECTS {'credit' if course.credits == 1 else 'credits'}"


def fee(course: Course) -> str:
    """'Free', '€450', '12,000 CZK', or 'Fee not stated'."""
    if course.fee is None:
        return "Fee not stated"
    if course.fee == 0:
        return "Free"
    sign = CURRENCY_SIGNS.get(course.currency)
    return f"{sign}{number(course.fee)}" if sign else f"{number(course.fee)} {course.currency}"


def label(value: object, field: str) -> str:
    """The human label of an allowed value, e.g. label('on-site', 'mode') → 'On site'."""
    return _LABELS[field].get(value, str(value))


def level(value: int) -> str:
    """'EQF level 7 (master's level)'."""
    return label(value, "eqf_level")


def language(code: str) -> str:
    """'cs' → 'Czech'."""
    return schema.language_name(code) or code


def languages(codes: tuple[str, ...]) -> str:
    """('en', 'cs') → 'English, Czech'."""
    return ", ".join(language(c) for c in codes)


def country(code: str) -> str:
    """'CZ' → 'Czechia'."""
    return schema.country_name(code) or code


def isced(code: str) -> str:
    """'0511' → 'Biology'."""
    return schema.isced_fields().get(code, code)


def date(value: dt.date | None) -> str:
    """'15 March 2027' (the same in every locale, so builds stay byte-identical)."""
    if value is None:
        return ""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def date_range(start: dt.date | None, end: dt.date | None) -> str:
    """'15–17 March 2027', '30 March – 2 April 2027', or one date."""
    if start is None:
        return ""
    if end is None or end == start:
        return date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {MONTHS[end.month - 1]} {end.year}"
    if start.year == end.year:
        return f"{start.day} {MONTHS[start.month - 1]} – {date(end)}"
    return f"{date(start)} – {date(end)}"


FILTERS = {
    "credits": credits, "credits_short": credits_short, "fee": fee, "label": label, "level": level,
    "language": language, "languages": languages, "country": country, "isced": isced, "date": date,
    "date_range": date_range, "number": number,
}
