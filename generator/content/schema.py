"""The course format: one definition of every field, which validates course files and documents them.

`COURSE_FIELDS` is the public contract partners write to. The validator (checks.py), the field reference in
the partners' guide and the published JSON Schema are all derived from it.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import pycountry


MAX_TEXT = 5000  # any single text value; longer is surely a mistake (or an attack)
MAX_LIST = 50


@dataclass(frozen=True)
class Choice:
    """One allowed value of an enumeration, with its label and what it means."""

    value: Any
    label: str
    meaning: str = ""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a file format: its name, kind, limits and meaning."""

    name: str
    kind: str
    meaning: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    max_length: int = 0
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    default: Any = None
    warn_if_missing: str = ""
    example: str = ""

    def allowed(self) -> str:
        """The allowed values in words, as the guide and error messages show them."""
        if self.choices:
            return ", ".join(str(c.value) for c in self.choices)
        return KIND_WORDS.get(self.kind, self.kind)


KIND_WORDS = {
    "text": "text",
    "plain_text": "plain text on one line",
    "credits": "a number",
    "integer": "a whole number",
    "money": "a number",
    "date": "a date written YYYY-MM-DD",
    "url": "a web address starting with https://",
    "email": "an e-mail address",
    "bool": "true or false",
    "enum": "one of the allowed values",
    "enum_list": "a list of allowed values",
    "text_list": "a list of texts",
    "translations": "each language's code, with its fields below it",
    "names": "each text as the courses write it, a colon, then its name in the language",
    "languages": "an ISO 639-1 language code (like en or cs), or a list of them",
    "country": "an ISO 3166-1 two-letter country code (like CZ)",
    "currency": "an ISO 4217 currency code (like EUR)",
    "isced": "an ISCED-F 2013 field code of 2 to 4 digits, in quotes (like \"0511\")",
    "file": "the name of an image file beside this file",
    "image": "the file name of a picture beside the course file: a JPEG (.jpg), PNG (.png) or WebP (.webp) image",
    "base_url": "a web address like https://example.org/catalogue/, or a path like /",
    "github_repo": "a GitHub repository written owner/name",
}

EQF_LEVELS = (
    Choice(1, "EQF level 1 (basic general knowledge)"),
    Choice(2, "EQF level 2 (basic factual knowledge)"),
    Choice(3, "EQF level 3 (general concepts in a field)"),
    Choice(4, "EQF level 4 (upper secondary level)"),
    Choice(5, "EQF level 5 (short-cycle tertiary level)"),
    Choice(6, "EQF level 6 (bachelor's level)"),
    Choice(7, "EQF level 7 (master's level)"),
    Choice(8, "EQF level 8 (doctoral level)"),
)
AUDIENCES = (
    Choice("doctoral-candidates", "Doctoral candidates", "people working towards a doctorate"),
    Choice("recent-graduates", "Recent graduates", "people who finished a degree in the last few years"),
    Choice("professionals", "Professionals", "people in work who want to update or widen their skills"),
    Choice("research-managers", "Research managers", "research-management and support staff: grants, projects, "
                                                     "technology transfer, core facilities"),
    Choice("anyone", "Anyone", "open to everyone"),
)
MODES = (
    Choice("online", "Online", "taught and assessed remotely"),
    Choice("on-site", "On site", "taught in person at the institution"),
    Choice("blended", "Blended", "partly online, partly in person"),
)
ADMISSIONS = (
    Choice("none", "No formal education required", "open without any prior degree"),
    Choice("secondary", "Secondary education", "a secondary-school leaving certificate"),
    Choice("bachelor", "Bachelor's degree", "a bachelor's degree or equivalent"),
    Choice("master", "Master's degree", "a master's degree or equivalent"),
    Choice("doctorate", "Doctorate", "a doctoral degree"),
)
SUPERVISION = (
    Choice("unsupervised", "Unsupervised assessment", "no supervision during assessment"),
    Choice("supervised", "Supervised assessment", "supervised, without identity verification"),
    Choice("supervised-with-id-check", "Supervised assessment with identity check",
           "supervised, with the learner's identity verified"),
)
STACKABILITY = (
    Choice("stand-alone", "Stand-alone", "a complete credential on its own"),
    Choice("stackable", "Stackable", "can be combined with others towards a larger credential"),
)
STATUSES = (
    Choice("open", "Open for applications", "applications are open; the default"),
    Choice("upcoming", "Upcoming", "announced; applications not open yet"),
    Choice("closed", "Applications closed", "no applications are taken (set by the catalogue itself once "
                               "the application_deadline has passed)"),
    Choice("archived", "Archived", "no longer offered: the page stays so links never break, but the course is "
                                   "left out of listings and search"),
)

TRANSLATION_MEANINGS = {
    "title": "The course's title in the translation's language",
    "summary": "Its summary in that language",
    "learning_outcomes": "Its learning outcomes in that language, as many as the course file has and in the same "
                         "order; when left out, the course file's are shown",
    "image_alt": "The description of the course's picture in that language; when left out, the course file's is "
                 "shown",
}

COURSE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", "plain_text", "Title of the micro-credential", True, max_length=150,
              example='"Research Data Management for Life Scientists"'),
    FieldSpec("summary", "plain_text", "One or two sentences shown on cards, in search results and as the page "
              "description", True, max_length=300),
    FieldSpec("credits", "credits", "Notional workload in ECTS credits (one credit is 25 to 30 hours of work)",
              True, minimum=1, maximum=60, step=0.5, example="2"),
    FieldSpec("eqf_level", "integer", "Level on the European Qualifications Framework", True,
              choices=EQF_LEVELS, minimum=1, maximum=8, example="7"),
    FieldSpec("audience", "enum_list", "Target groups", True, choices=AUDIENCES, example="[doctoral-candidates]"),
    FieldSpec("language", "languages", "Language(s) of instruction", True, example="en"),
    FieldSpec("mode", "enum", "Form of participation", True, choices=MODES, example="online"),
    FieldSpec("admission", "enum", "Minimum prior education needed to enrol", True, choices=ADMISSIONS,
              example="master"),
    FieldSpec("learning_outcomes", "text_list", "What a learner can do after the course", True, max_length=500),
    FieldSpec("assessment", "text", "Type of assessment and what is needed to complete the course", True,
              max_length=1000),
    FieldSpec("quality_assurance", "text", "How the course is quality-assured (e.g. internal approval)", True,
              max_length=1000),
    FieldSpec("workload_hours", "integer", "Total hours of work; expected to be 25 to 30 hours per credit",
              minimum=1, maximum=2400),
    FieldSpec("prerequisites", "text", "Other admission criteria", max_length=1000),
    FieldSpec("topics", "text_list", "Subject tags", max_length=60, default=()),
    FieldSpec("isced_f", "isced", "Field of education (ISCED-F 2013)"),
    FieldSpec("image", "image", "A picture shown on the course's page and card and in link previews (at least 1200 "
              "pixels wide is best; at most 10 MB and 40 megapixels)", example="cryo-em-lab.jpg"),
    FieldSpec("image_alt", "plain_text", "What the picture shows, in a few words, for people who cannot see it "
              "(required with 'image')", max_length=250, example='"A researcher loading a sample into an '
              'electron microscope"'),
    FieldSpec("start_date", "date", "First day of the next run"),
    FieldSpec("end_date", "date", "Last day of the next run (not before the start date)"),
    FieldSpec("application_deadline", "date", "Last day to apply (not after the start date)"),
    FieldSpec("duration", "plain_text", "Duration in words (\"2 days\", \"one semester\")", max_length=100),
    FieldSpec("fee", "money", "Fee; 0 means free", minimum=0, maximum=1_000_000),
    FieldSpec("currency", "currency", "Currency of the fee", default="EUR"),
    FieldSpec("enrol_url", "url", "Where to apply", warn_if_missing="add enrol_url so that learners know where "
              "to apply"),
    FieldSpec("contact", "email", "Contact e-mail address"),
    FieldSpec("supervision", "enum", "Supervision and identity verification during assessment",
              choices=SUPERVISION),
    FieldSpec("stackability", "enum", "Whether the credential can be combined with others", choices=STACKABILITY),
    FieldSpec("stackable_towards", "text", "What the credential stacks towards", max_length=500),
    FieldSpec("europass", "bool", "The certificate is issued as a Europass digital credential"),
    FieldSpec("status", "enum", "Whether the course takes applications", choices=STATUSES, default="open"),
    FieldSpec("updated", "date", "Date of the last substantive change"),
)

# A translation (course.cs.md beside course.md) gives these fields in another language, and its description below
# them; every other field comes from the course file. Title and summary are required: cards show them together.
TRANSLATION_FIELDS: tuple[FieldSpec, ...] = tuple(
    dataclasses.replace(spec, required=spec.name in ("title", "summary"),
                        meaning=TRANSLATION_MEANINGS[spec.name]) for spec in COURSE_FIELDS
    if spec.name in TRANSLATION_MEANINGS)

INSTITUTION_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "plain_text", "Full name of the institution", True, max_length=200),
    FieldSpec("country", "country", "Country (ISO 3166-1 alpha-2 code)", True),
    FieldSpec("website", "url", "Home page", True),
    FieldSpec("short_name", "plain_text", "Short name or acronym", max_length=40),
    FieldSpec("description", "text", "A few sentences about the institution", max_length=2000),
    FieldSpec("logo", "file", "Logo: an image file (.svg, .png, .jpg or .webp) beside this file"),
)

# The site's own pages (content/pages/<name>.md: About, Contact, Legal notice, Accessibility statement), written
# in the site's default language, their text below the fields.
PAGE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", "plain_text", "Title of the page: its heading, and its link in the footer", True,
              max_length=120, example='"Accessibility statement"'),
    FieldSpec("description", "plain_text", "One or two sentences for search engines and link previews; when left "
              "out, the page's first paragraph", max_length=300),
    FieldSpec("footer", "bool", "Whether every page's footer links to it", default=True),
    FieldSpec("order", "integer", "Where its link is in the footer: lower numbers first; pages without one come "
              "after them, by title", minimum=0, maximum=1000, example="10"),
)

# A page's translation (about.cs.md beside about.md) gives these fields, and its text below them.
PAGE_TRANSLATION_FIELDS: tuple[FieldSpec, ...] = (
    dataclasses.replace(PAGE_FIELDS[0], meaning="The page's title in the translation's language"),
    dataclasses.replace(PAGE_FIELDS[1], meaning="Its description in that language; when left out, the first "
                                                "paragraph of its text"),
)

# Words people often write for an allowed value, per field; they get a precise "did you mean".
CHOICE_ALIASES = {
    "audience": {"phd": "doctoral-candidates", "phd-students": "doctoral-candidates", "doctoral": "doctoral-candidates",
                 "doctoral-students": "doctoral-candidates", "graduates": "recent-graduates", "everyone": "anyone",
                 "all": "anyone", "public": "anyone"},
    "mode": {"in-person": "on-site", "face-to-face": "on-site", "presential": "on-site", "hybrid": "blended",
             "distance": "online", "remote": "online"},
    "admission": {"msc": "master", "ma": "master", "masters-degree": "master", "bsc": "bachelor", "ba": "bachelor",
                  "bachelors": "bachelor", "phd": "doctorate", "high-school": "secondary"},
}

# Names people often write for a field; they get a precise "did you mean".
ALIASES = {
    "ects": "credits", "credit": "credits", "ects_credits": "credits", "level": "eqf_level", "eqf": "eqf_level",
    "lang": "language", "languages": "language", "outcomes": "learning_outcomes",
    "learning_outcome": "learning_outcomes", "description": "summary", "price": "fee", "cost": "fee",
    "url": "enrol_url", "link": "enrol_url", "enroll_url": "enrol_url", "enrolment_url": "enrol_url",
    "email": "contact", "e-mail": "contact", "tags": "topics", "keywords": "topics", "topic": "topics",
    "deadline": "application_deadline", "hours": "workload_hours", "workload": "workload_hours",
    "format": "mode", "delivery": "mode", "target_group": "audience", "target_groups": "audience",
    "start": "start_date", "end": "end_date", "requirements": "prerequisites", "isced": "isced_f",
    "qa": "quality_assurance", "name": "title", "picture": "image", "photo": "image", "img": "image",
    "alt": "image_alt", "alt_text": "image_alt", "image_description": "image_alt", "picture_alt": "image_alt",
}



@lru_cache(maxsize=1)
def isced_fields() -> dict[str, str]:
    """ISCED-F 2013 field codes and their names."""
    return json.loads(resources.files("generator").joinpath("data/isced_f.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _language_names() -> dict[str, str]:
    """pycountry's ISO 639-1 codes and English names, as data/iso639-1.json keeps them (a test checks they are
    the same): a few hundred bytes read, where pycountry reads all 7,900 languages of ISO 639-3, 60 ms, in a
    build that has nothing else to read them for."""
    return json.loads(resources.files("generator").joinpath("data/iso639-1.json").read_text(encoding="utf-8"))


def language_name(code: str) -> str | None:
    """English name of an ISO 639-1 language code (in either case, as pycountry finds it), or None for an
    unknown code."""
    return _language_names().get(code.lower())


@lru_cache(maxsize=None)
def country_name(code: str) -> str | None:
    """Common English name of an ISO 3166-1 alpha-2 country code, or None for an unknown code."""
    country = pycountry.countries.get(alpha_2=code)
    return (getattr(country, "common_name", None) or country.name) if country else None


@lru_cache(maxsize=None)
def is_currency(code: str) -> bool:
    """True for an ISO 4217 currency code."""
    return pycountry.currencies.get(alpha_3=code) is not None


SITE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", "plain_text", "Name of the catalogue, shown in every page's header",
              default="Micro-credentials catalogue", max_length=120),
    FieldSpec("description", "plain_text", "One sentence describing the catalogue",
              default="Short, accredited courses from research institutions.", max_length=300),
    FieldSpec("base_url", "base_url", "Address the site is published at; --base-url overrides it", default="/"),
    FieldSpec("theme", "plain_text", "Theme folder name, under themes/", default="default", max_length=60),
    FieldSpec("page_size", "integer", "Courses per page of the listing", default=24, minimum=1, maximum=500),
    FieldSpec("languages", "languages", "Interface languages: the first at /, each other under /<code>/",
              default=("en",)),
    FieldSpec("language", "languages", "The older name of `languages`", default=()),
    FieldSpec("translations", "translations", "The catalogue's title and description in the other interface "
              "languages, under each one's code (see below)"),
    FieldSpec("logo", "file", "The catalogue's logo beside its name in every page's header: an image file (.svg, "
              ".png, .jpg or .webp) beside site.yaml; the theme's own mark when not given"),
    FieldSpec("editor_repo", "github_repo", "The catalogue's GitHub repository, where the web editor at /admin/ "
              "opens pull requests; without it the built site has no /admin/", example="alliance/catalogue"),
    FieldSpec("editor_branch", "plain_text", "The branch pull requests from the web editor go to", default="main",
              max_length=100),
    FieldSpec("editor_auth_url", "url", "The GitHub sign-in service of the web editor (an OAuth provider); "
              "Netlify's, https://api.netlify.com, when left out"),
    FieldSpec("editor_auth_endpoint", "plain_text", "The path of the sign-in service's start page, under "
              "editor_auth_url; auth when left out", max_length=100),
)


# The settings a translation gives, under `translations:` in site.yaml: the catalogue's words in one language.
SITE_TRANSLATION_FIELDS: tuple[FieldSpec, ...] = (
    dataclasses.replace(SITE_FIELDS[0], meaning="The catalogue's name in that language", default=None),
    dataclasses.replace(SITE_FIELDS[1], meaning="Its description in that language", default=None),
    FieldSpec("topics", "names", "The courses' subject tags (their `topics`) in that language", max_length=60),
)


def _num(x: float | int | None) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:,}".replace(",", " ") if isinstance(x, int) and x >= 10000 else str(x)



def value_words(spec: FieldSpec, quote: bool = False) -> str:
    """What a field takes, in words with its limits: "a number; from 1 to 60; in steps of 0.5".

    The guide's tables, the scaffold's comments and the JSON Schema's descriptions all use these words.
    """
    value = KIND_WORDS[spec.kind]
    if spec.choices and spec.kind != "integer":
        shown = ", ".join(f"`{c.value}`" if quote else str(c.value) for c in spec.choices)
        value = ("one or more of " if spec.kind == "enum_list" else "one of ") + shown
    limits = []
    if spec.max_length and spec.kind in ("text", "plain_text", "text_list"):
        limits.append(f"at most {spec.max_length} characters" + (" each" if spec.kind == "text_list" else ""))
    if spec.minimum is not None and spec.maximum is not None:
        limits.append(f"from {_num(spec.minimum)} to {_num(spec.maximum)}")
    elif spec.minimum is not None:
        limits.append(f"{_num(spec.minimum)} or more")
    if spec.step:
        limits.append(f"in steps of {spec.step}")
    if spec.default not in (None, ()):
        default = ", ".join(spec.default) if isinstance(spec.default, tuple) else \
            str(spec.default).lower() if isinstance(spec.default, bool) else spec.default
        limits.append(f"default {default}")
    return "; ".join([value] + limits)


def reference_table(fields: tuple[FieldSpec, ...] = COURSE_FIELDS) -> str:
    """The field reference as a Markdown table, for the partners' guide (a test keeps the guide in step)."""
    rows = ["| field | required | value | meaning |", "|---|---|---|---|"]
    for spec in fields:
        required = "yes" if spec.required else ("no (warning when missing)" if spec.warn_if_missing else "no")
        rows.append(f"| `{spec.name}` | {required} | {value_words(spec, quote=True)} | {spec.meaning} |")
    return "\n".join(rows) + "\n"


def choices_table(fields: tuple[FieldSpec, ...] = COURSE_FIELDS) -> str:
    """Every allowed value of every enumeration, with its meaning, as Markdown."""
    parts = []
    for spec in fields:
        if spec.choices:
            parts.append(f"`{spec.name}`:\n")
            parts += [f"- `{c.value}`: {c.label}" + (f" ({c.meaning})" if c.meaning else "") for c in spec.choices]
            parts.append("")
    return "\n".join(parts)
