"""Words: course values as people read them ("2 credits · 50–60 hours", "Free", "EQF level 7 (master's level)").

A `Words` says them in one interface language, as Jinja filters every theme shares: its words from a theme's
translations (`text`), dates, numbers, fees and the names of languages and countries as CLDR writes them
(Babel, and ICU where Babel does not follow CLDR). The module's functions say them in English, as CLDR's
British English writes it, for the data files, without loading CLDR's data.
"""
from __future__ import annotations

import datetime as dt
import gettext as _gettext
from typing import Callable

from generator.content import schema
from generator.content.model import Course
from generator.site import text
from generator.site.text import N_

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$"}
EPOCH = dt.datetime(1970, 1, 1)
ENGLISH_FORMATS = "en_GB"  # the CLDR locale whose formats English follows (see the module's docstring)
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
    N_("Open for applications"), N_("Upcoming"), N_("Applications closed"), N_("Archived"),
)


def number(x: float | int) -> str:
    """2.0 → '2', 2.5 → '2.5', 1200 → '1,200'."""
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.2f}".rstrip("0").rstrip(".")


def own_name(code: str) -> str:
    """A language's name in that language, as a menu shows it: 'cs' → 'Čeština', 'en' → 'English'."""
    if code == "en":
        return "English"
    locale = _locale(code)
    name = locale.languages.get(code) if locale else None
    name = name or schema.language_name(code) or code
    return name[:1].upper() + name[1:]


def _locale(code: str):
    from babel import Locale, UnknownLocaleError
    try:
        return Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None


class Words:
    """The catalogue's words in one language: those of `translations` (English without them), and CLDR's
    formats and names of `language` (English's, written out, for English or an unknown language)."""

    def __init__(self, translations: _gettext.NullTranslations | None = None, language: str = "en",
                 topics: dict[str, str] | None = None) -> None:
        self.translations = translations if translations is not None else text.ENGLISH
        self.topics = topics or {}  # subject tags' names in the language, as the settings give them
        self.gettext: Callable[[str], str] = self.translations.gettext
        self.ngettext: Callable[[str, str, int], str] = self.translations.ngettext
        self.language_code = language
        self.locale = None if language == "en" else _locale(language)  # None: English's formats
        self._intervals = None  # ICU's formatter of spans of days, made when first needed
        self._numbers: dict[str, object] = {}  # ICU's number formatters, by skeleton
        # the words of values said before (a listing page says those of 24 courses; 20,000 pages say a few hundred)
        self._said: dict[tuple, str] = {}

    def number(self, x: float | int) -> str:
        """2.0 → '2', 2.5 → '2.5' ('2,5' in Czech), 1200 → '1,200' ('1 200' in Czech, '1200' in Polish)."""
        if self.locale is None:
            return number(x)
        return self._formatted(".##", x)

    def _formatted(self, skeleton: str, x: float | int) -> str:
        """A number by one of ICU's number skeletons, in the locale (CLDR's separators and grouping, which
        Babel's do not follow for languages that group only from five digits)."""
        said = self._said.get(("number", skeleton, x))
        if said is None:
            import icu
            formatter = self._numbers.get(skeleton)
            if formatter is None:
                formatter = self._numbers[skeleton] = icu.NumberFormatter.forSkeleton(skeleton).locale(
                    icu.Locale(str(self.locale)))
            said = self._said[("number", skeleton, x)] = formatter.formatDouble(float(x))
        return said

    def credits(self, course: Course) -> str:
        """'2 ECTS credits · 50–60 hours', or the stated hours when the course gives them."""
        # TRANSLATORS: "2 ECTS credits · 50–60 hours"
        return self.gettext("%(credits)s · %(hours)s") % {"credits": self.credits_short(course),
                                                          "hours": self.hours(course)}

    def hours(self, course: Course) -> str:
        """'55 hours' when the course states them, else the hours its credits stand for: '50–60 hours'."""
        if course.workload_hours:
            return self.ngettext("%(num)s hour", "%(num)s hours", text.plural_count(course.workload_hours)) % {
                "num": self.number(course.workload_hours)}
        low, high = course.credits * 25, course.credits * 30
        # TRANSLATORS: a range of hours of work, like "50–60 hours"
        return self.ngettext("%(low)s–%(high)s hour", "%(low)s–%(high)s hours", text.plural_count(high)) % {
            "low": self.number(low), "high": self.number(high)}

    def credits_short(self, course: Course) -> str:
        """'2 ECTS credits'."""
        return self.credits_amount(course.credits)

    def credits_amount(self, credits: float) -> str:
        """'2 ECTS credits', for a number of credits."""
        said = self._said.get(("credits", credits))
        if said is None:
            said = self._said[("credits", credits)] = self._credits_short(credits)
        return said

    def _credits_short(self, credits: float) -> str:
        if not float(credits).is_integer():  # (gettext counts whole numbers only)
            # TRANSLATORS: a number of credits with a fraction, like "2.5 ECTS credits": in the form your language
            # gives such a number (CLDR's plural category of decimals: Czech "2,5 kreditu", Polish "2,5 punktu")
            return self.translations.pgettext("fraction", "%(num)s ECTS credits") % {"num": self.number(credits)}
        return self.ngettext("%(num)s ECTS credit", "%(num)s ECTS credits", int(credits)) % {"num": self.number(credits)}

    def fee(self, course: Course) -> str:
        """'Free', '€450', '12,000 CZK', or 'Fee not stated'."""
        return self.fee_amount(course.fee, course.currency)

    def fee_amount(self, fee: float | None, currency: str) -> str:
        """A fee as `fee` says it, for an amount (None: not stated) in a currency."""
        if fee is None:
            return self.gettext("Fee not stated")
        if fee == 0:
            return self.gettext("Free")
        if self.locale is not None:
            return self._money(fee, currency)
        sign = CURRENCY_SIGNS.get(currency)
        return f"{sign}{number(fee)}" if sign else f"{number(fee)} {currency}"

    def _money(self, amount: float, currency: str) -> str:
        """An amount as the locale writes money ('1 200 Kč', '180 000 Ft', '1200 zł'): no cents when whole."""
        whole = float(amount).is_integer()
        return self._formatted(f"currency/{currency} " + ("precision-integer" if whole else ".00"), amount)

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

    # Names from the standard lists: languages (ISO 639) and countries (ISO 3166) in the interface language, as
    # CLDR gives them ('čeština', 'Polsko'); the fields of education (ISCED-F) in English.
    def language(self, code: str) -> str:
        """'cs' → 'Czech' ('čeština' in Czech)."""
        name = self.locale.languages.get(code) if self.locale is not None else None
        return name or schema.language_name(code) or code

    def languages(self, codes: tuple[str, ...]) -> str:
        """('en', 'cs') → 'English, Czech'."""
        return ", ".join(self.language(c) for c in codes)

    def country(self, code: str) -> str:
        """'CZ' → 'Czechia' ('Česko' in Czech)."""
        name = self.locale.territories.get(code) if self.locale is not None else None
        return name or schema.country_name(code) or code

    def topic(self, tag: str) -> str:
        """A subject tag's name in the language, where the settings give one; else as the courses write it."""
        return self.topics.get(tag, tag)

    def isced(self, code: str) -> str:
        """'0511' → 'Biology'."""
        return schema.isced_fields().get(code, code)

    def date(self, value: dt.date | None) -> str:
        """'15 March 2027' ('15. března 2027', '2027. március 15.')."""
        if value is None:
            return ""
        said = self._said.get(("date", value))
        if said is None:
            if self.locale is None:
                said = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
            else:
                from babel.dates import format_date
                said = format_date(value, format="long", locale=self.locale)
            self._said[("date", value)] = said
        return said

    def month(self, value: dt.date) -> str:
        """'March 2027' ('březen 2027', '2027. március'): a month of a year, as CLDR's yMMMM skeleton says it."""
        if self.locale is None:
            return f"{MONTHS[value.month - 1]} {value.year}"
        from babel.dates import format_skeleton
        return format_skeleton("yMMMM", value, locale=self.locale)

    def date_range(self, start: dt.date | None, end: dt.date | None) -> str:
        """'15–17 March 2027', '30 March – 2 April 2027', or one date (as CLDR's intervals, in the locale)."""
        if start is None:
            return ""
        if end is None or end == start:
            return self.date(start)
        if self.locale is not None:
            return self._interval(start, end)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{end.day} {MONTHS[end.month - 1]} {end.year}"
        if start.year == end.year:
            return f"{start.day} {MONTHS[start.month - 1]} – {self.date(end)}"
        return f"{self.date(start)} – {self.date(end)}"

    def _interval(self, start: dt.date, end: dt.date) -> str:
        """Two dates as the locale writes a span of days, from ICU's interval formats of CLDR's data (Babel's
        do not widen a skeleton's month to its full name, as the standard says a matched skeleton should)."""
        said = self._said.get(("interval", start, end))
        if said is None:
            import icu
            if self._intervals is None:
                icu.TimeZone.setDefault(icu.TimeZone.getGMT())  # days are days wherever the build runs
                self._intervals = icu.DateIntervalFormat.createInstance("yMMMMd", icu.Locale(str(self.locale)))
            seconds = [(dt.datetime(d.year, d.month, d.day) - EPOCH).total_seconds() for d in (start, end)]
            said = self._said[("interval", start, end)] = self._intervals.format(icu.DateInterval(*seconds))
        return said

    def file_size(self, size: int) -> str:
        """A file's size as CLDR writes it: '240 kB', '1.2 MB' ('1,2 MB' in Czech); a kilobyte is 1,000 bytes."""
        if size < 999_500:
            amount, skeleton, unit = max(1, round(size / 1000)), "measure-unit/digital-kilobyte unit-width-short " \
                "precision-integer", "kB"
        else:
            amount, skeleton, unit = round(size / 1_000_000, 1), "measure-unit/digital-megabyte unit-width-short .#", \
                "MB"
        if self.locale is None:
            return f"{number(amount)} {unit}"
        return self._formatted(skeleton, amount)

    def sort_key(self) -> Callable[[str], object]:
        """A key that sorts words in the language's alphabetical order ('ch' after 'h' in Czech, 'cs' after 'c'
        in Hungarian), from ICU's collation of CLDR's rules; English's is case-blind code-point order."""
        if self.locale is None:
            return str.casefold
        import icu
        return icu.Collator.createInstance(icu.Locale(str(self.locale))).getSortKey

    def filters(self) -> dict[str, Callable]:
        """The Jinja filters of these words."""
        return {
            "credits": self.credits, "credits_short": self.credits_short, "hours": self.hours, "fee": self.fee,
            "label": self.label,
            "level": self.level, "language": self.language, "languages": self.languages, "country": self.country,
            "isced": self.isced, "date": self.date, "date_range": self.date_range, "number": self.number,
            "month": self.month,
            "file_size": self.file_size,
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
