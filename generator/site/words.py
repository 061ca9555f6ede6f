"""Words: course values as people read them ("2 credits · 50–60 hours", "Free", "EQF level 7 (master's level)").

These are the catalogue's own vocabulary, shared by every theme as Jinja filters. A `Words` says them in the
language of a set of translations (a theme's: see `text`); the module's functions say them in English, the
language of the data files (feeds, ELM, structured data), which stay English.
"""
from __future__ import annotations

import datetime as dt
import gettext as _gettext
from typing import Callable

from generator.content import schema
from generator.content.model import Course
from generator.site import text
from generator.site.text import N_

MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
          N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))
CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$"}
_LABELS = {spec.name: {c.value: c.label for c in spec.choices} for spec in schema.COURSE_FIELDS if spec.choices}

# The labels of the allowed values (schema.py's, which are shown to visitors), marked here for extraction:
# tests/test_text.py checks that the two lists agree.
CHOICE_LABELS = (
    N_("EQF level 1 (basic general knowledge)"), N_("EQF level 2 (basic factual knowledge)"),
    N_("EQF level 3 (general concepts in a field)"), N_("EQF level 4 (upper secondary level)"),
    N_("EQF level 5 (short-cycle tertiary level)"), N_("EQF level 6 (bachelor's level)"),
    N_("EQF level 7 (master's level)"), N_("EQF level 8 (doctoral level)"),
    N_("Doctoral candidates"), N_("Recent graduates"), N_("Professionals"), N_("Research managers"), N_("Anyone"),
    N_("Online"), N_("On site"), N_("Blended"),
    N_("No formal education required"), N_("Secondary education"), N_("Bachelor's degree"), N_("Master's degree"),
    N_("Doctorate"),
    N_("Unsupervised assessment"), N_("Supervised assessment"), N_("Supervised assessment with identity check"),
    N_("Stand-alone"), N_("Stackable"),
    N_("Open for applications"), N_("Upcoming"), N_("Closed"), N_("Archived"),
)


def number(x: float | int) -> str:
    """2.0 → '2', 2.5 → '2.5', 1200 → '1,200'."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


class Words:
    """The catalogue's words in the language of `translations` (English without them)."""

    def __init__(self, translations: _gettext.NullTranslations | None = None) -> None:
        self.translations = translations if translations is not None else text.ENGLISH
        self.gettext: Callable[[str], str] = self.translations.gettext
        self.ngettext: Callable[[str, str, int], str] = self.translations.ngettext
        # the words of values said before (a listing page says those of 24 courses; 20,000 pages say a few hundred)
        self._said: dict[tuple, str] = {}

    def credits(self, course: Course) -> str:
        """'2 ECTS credits · 50–60 hours', or the stated hours when the course gives them."""
        if course.workload_hours:
            hours = self.ngettext("%(num)s hour", "%(num)s hours", text.plural_count(course.workload_hours)) % {
                "num": number(course.workload_hours)}
        else:
            low, high = course.credits * 25, course.credits * 30
            # TRANSLATORS: a range of hours of work, like "50–60 hours"
            hours = self.ngettext("%(low)s–%(high)s hour", "%(low)s–%(high)s hours", text.plural_count(high)) % {
                "low": number(low), "high": number(high)}
        # TRANSLATORS: "2 ECTS credits · 50–60 hours"
        return self.gettext("%(credits)s · %(hours)s") % {"credits": self.credits_short(course), "hours": hours}

    def credits_short(self, course: Course) -> str:
        """'2 ECTS credits'."""
        said = self._said.get(("credits", course.credits))
        if said is None:
            said = self._said[("credits", course.credits)] = self._credits_short(course.credits)
        return said

    def _credits_short(self, credits: float) -> str:
        return self.ngettext("%(num)s ECTS credit", "%(num)s ECTS credits", text.plural_count(credits)) % {"num": number(credits)}

    def fee(self, course: Course) -> str:
        """'Free', '€450', '12,000 CZK', or 'Fee not stated'."""
        if course.fee is None:
            return self.gettext("Fee not stated")
        if course.fee == 0:
            return self.gettext("Free")
        sign = CURRENCY_SIGNS.get(course.currency)
        return f"{sign}{number(course.fee)}" if sign else f"{number(course.fee)} {course.currency}"

    def label(self, value: object, field: str) -> str:
        """The human label of an allowed value, e.g. label('on-site', 'mode') → 'On site'."""
        said = self._said.get(("label", field, value))
        if said is None:
            known = _LABELS[field].get(value)
            said = self._said[("label", field, value)] = self.gettext(known) if known is not None else str(value)
        return said

    def level(self, value: int) -> str:
        """'EQF level 7 (master's level)'."""
        return self.label(value, "eqf_level")

    # Names from the standard lists (ISO 639, ISO 3166, ISCED-F): English, in every language for now.
    def language(self, code: str) -> str:
        """'cs' → 'Czech'."""
        return schema.language_name(code) or code

    def languages(self, codes: tuple[str, ...]) -> str:
        """('en', 'cs') → 'English, Czech'."""
        return ", ".join(self.language(c) for c in codes)

    def country(self, code: str) -> str:
        """'CZ' → 'Czechia'."""
        return schema.country_name(code) or code

    def isced(self, code: str) -> str:
        """'0511' → 'Biology'."""
        return schema.isced_fields().get(code, code)

    def month(self, month: int) -> str:
        return self.gettext(MONTHS[month - 1])

    def date(self, value: dt.date | None) -> str:
        """'15 March 2027' (the same in every locale, so builds stay byte-identical)."""
        if value is None:
            return ""
        said = self._said.get(("date", value))
        if said is None:
            # TRANSLATORS: a date, like "15 March 2027"
            said = self._said[("date", value)] = self.gettext("%(day)s %(month)s %(year)s") % {
                "day": value.day, "month": self.month(value.month), "year": value.year}
        return said

    def date_range(self, start: dt.date | None, end: dt.date | None) -> str:
        """'15–17 March 2027', '30 March – 2 April 2027', or one date."""
        if start is None:
            return ""
        if end is None or end == start:
            return self.date(start)
        if (start.year, start.month) == (end.year, end.month):
            # TRANSLATORS: days in one month, like "15–17 March 2027"
            return self.gettext("%(start_day)s–%(end_day)s %(month)s %(year)s") % {
                "start_day": start.day, "end_day": end.day, "month": self.month(end.month), "year": end.year}
        if start.year == end.year:
            # TRANSLATORS: days in one year, like "30 March – 2 April 2027" (%(end)s is a whole date)
            return self.gettext("%(start_day)s %(start_month)s – %(end)s") % {
                "start_day": start.day, "start_month": self.month(start.month), "end": self.date(end)}
        # TRANSLATORS: two whole dates, like "30 December 2026 – 2 January 2027"
        return self.gettext("%(start)s – %(end)s") % {"start": self.date(start), "end": self.date(end)}

    def filters(self) -> dict[str, Callable]:
        """The Jinja filters of these words."""
        return {
            "credits": self.credits, "credits_short": self.credits_short, "fee": self.fee, "label": self.label,
            "level": self.level, "language": self.language, "languages": self.languages, "country": self.country,
            "isced": self.isced, "date": self.date, "date_range": self.date_range, "number": number,
        }


ENGLISH = Words()

credits = ENGLISH.credits
credits_short = ENGLISH.credits_short
fee = ENGLISH.fee
label = ENGLISH.label
level = ENGLISH.level
language = ENGLISH.language
languages = ENGLISH.languages
country = ENGLISH.country
isced = ENGLISH.isced
date = ENGLISH.date
date_range = ENGLISH.date_range

FILTERS = ENGLISH.filters()
