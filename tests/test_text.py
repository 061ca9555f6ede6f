"""Interface text: every word the site shows a visitor comes from the theme's one lookup (gettext), can be
extracted for translators, and says today's English without a catalogue."""
from __future__ import annotations

import dataclasses
import datetime as dt
import gettext
import json
import re
from html.parser import HTMLParser

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract, extract_from_dir

from generator.content import facets, schema
from generator.content.load import load
from generator.engine.build import build
from generator.site import text, theme as theme_module, words

from .conftest import ROOT, SITES

TEMPLATES = ROOT / "themes" / "default" / "templates"
SCRIPT = ROOT / "themes" / "default" / "static" / "js" / "catalogue.js"
PYTHON_SOURCES = [ROOT / "generator" / "site" / "words.py", ROOT / "generator" / "site" / "text.py",
                  ROOT / "generator" / "content" / "facets.py", ROOT / "generator" / "site" / "pages.py"]

OPEN, CLOSE = "⟦", "⟧"
_PIECES = re.compile(r"(<[^>]*>|%\(\w+\)s|%%)")   # markup and placeholders in a message id stay as they are
_LETTERS = re.compile(r"[^\W\d_]+")


def mark(message: str) -> str:
    """Each word of a message id between ⟦ ⟧: 'Apply by %(date)s' → '⟦Apply⟧ ⟦by⟧ %(date)s'."""
    return "".join(piece if i % 2 else _LETTERS.sub(lambda m: OPEN + m.group() + CLOSE, piece)
                   for i, piece in enumerate(_PIECES.split(message)))


class Marking(gettext.NullTranslations):
    """Translations that mark every word they give, and remember what they were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str | tuple[str, str]] = set()

    def gettext(self, message: str) -> str:
        self.asked.add(message)
        return mark(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        self.asked.add((singular, plural))
        return mark(singular if n == 1 else plural)

    def pgettext(self, context: str, message: str) -> str:
        self.asked.add(message)
        return mark(message)


class Visible(HTMLParser):
    """What a visitor reads on a page: text outside scripts and styles, the attributes that are read out or
    shown, and the words the page gives its script (the JSON of the catalogue's data-text)."""

    SHOWN_ATTRIBUTES = {"aria-label", "alt", "title", "placeholder"}

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self.script_text: list[str] = []
        self._in: str | None = None  # script or style

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._in = tag
        if attrs.get("data-text"):
            self.script_text.append(attrs["data-text"])
        self.pieces += [value for name, value in attrs.items() if name in self.SHOWN_ATTRIBUTES and value]
        if tag == "meta" and attrs.get("name") == "description":
            self.pieces.append(attrs.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is None:
            self.pieces.append(data)


def strings_of(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_of(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings_of(v)]
    return []


def content_strings(catalogue) -> list[str]:
    """The catalogue's own words (partners' content, the site's settings) and the names from standard lists
    (languages, countries, fields of education: not translated yet), longest first."""
    found = {catalogue.config.title, catalogue.config.description}
    records = [*catalogue.courses, *catalogue.institutions]
    for record in records:
        for f in dataclasses.fields(record):
            value = getattr(record, f.name)
            found.update(s for s in strings_of(value) if s)
    for course in catalogue.courses:
        body = Visible()
        body.feed(course.body_html)
        found.update(p.strip() for p in body.pieces if p.strip())
        found.update(words.language(code) for code in course.language)
        found.add(words.isced(course.isced_f) if course.isced_f else "")
    found.update(words.country(i.country) for i in catalogue.institutions)
    found.update(words.MONTHS)  # dates are CLDR's (English's written out as CLDR's en_GB: see words.py)
    return sorted((s for s in found if s), key=len, reverse=True)


def english_left(piece: str, content: list[str]) -> list[str]:
    """The words of a piece of visible text that neither the lookup marked nor the content has."""
    piece = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", piece)
    for s in content:  # whole words only: a course's language "en" is no licence for "Open"
        if s in piece:
            piece = re.sub(rf"(?<!\w){re.escape(s)}(?!\w)", " ", piece)
    piece = re.sub(r"(https?://|mailto:)\S+|\S+@\S+|%\(\w+\)s", " ", piece)
    return [w for w in _LETTERS.findall(piece) if len(w) > 1]


PROBLEM = "content/courses/a.md:1:1: error: a problem"  # the diagnostics' words are the generator's, as the terminal's


@pytest.fixture(scope="module")
def marked_site(tmp_path_factory):
    """The basic fixture site built with translations that mark every word they give."""
    marking = Marking()
    patch = pytest.MonkeyPatch()
    patch.setattr(text, "translations", lambda layers, language: marking)
    try:
        out = tmp_path_factory.mktemp("marked") / "out"
        build(SITES / "basic", out, use_cache=False)
        catalogue = load(SITES / "basic")[0]
        problems = theme_module.load_theme(catalogue.config).env.get_template("_problems.html")
        pages = {"_problems.html": problems.render(problems=[PROBLEM], language="en"),
                 "_problems.html (none)": problems.render(problems=[], language="en")}
    finally:
        patch.undo()
    pages.update({p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in sorted(out.rglob("*.html"))})
    return pages, catalogue, marking


def test_every_word_a_page_shows_comes_from_the_lookup(marked_site):
    pages, catalogue, _ = marked_site
    content = sorted(content_strings(catalogue) + [PROBLEM], key=len, reverse=True)
    assert {"index.html", "404.html", "institutions/index.html", "courses/alpha-institute/data-stewardship/index.html",
            "courses/beta-centre/old-workshop/index.html"} <= set(pages)
    left = {}
    for path, html in pages.items():
        visible = Visible()
        visible.feed(html)
        found = [w for piece in visible.pieces for w in english_left(piece, content)]
        # the script's words: marked, but for the placeholders the script fills
        for script in visible.script_text:
            found += [w for s in strings_of(json.loads(script)) for w in english_left(s, [])]
        if found:
            left[path] = sorted(set(found))
    assert left == {}, f"words that bypass the theme's translations: {left}"
    home = Visible()
    home.feed(pages["index.html"])
    assert home.script_text, "the home page gives its script its words"


def test_the_check_finds_a_word_that_bypasses_the_lookup(marked_site):
    _, catalogue, _ = marked_site
    content = content_strings(catalogue)
    visible = Visible()
    visible.feed(f'<p>{mark("Fee")}: Free</p><a aria-label="Main" href="/">{catalogue.courses[0].title}</a>')
    assert [w for piece in visible.pieces for w in english_left(piece, content)] == ["Free", "Main"]


def extracted() -> dict[str | tuple[str, ...], list[str]]:
    """Every message id `pybabel extract` finds in the theme's templates and the Python that shows words."""
    found: dict = {}
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    for name, line, message, comments, context in extract_from_dir(
            str(TEMPLATES), method_map=[("**.html", "jinja2.ext:babel_extract")], options_map={"**.html": options}):
        found.setdefault(message, []).append(f"{name}:{line}")
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    for path in PYTHON_SOURCES:
        with path.open("rb") as f:
            for line, message, comments, context in extract("python", f, keywords=keywords,
                                                             comment_tags=("TRANSLATORS:",)):
                found.setdefault(message, []).append(f"{path.name}:{line}")
    return found


def test_every_word_asked_for_is_extractable(marked_site):
    _, _, marking = marked_site
    messages = extracted()
    missing = {m for m in marking.asked if m not in messages}
    assert missing == set(), f"shown but not extractable by pybabel extract: {missing}"
    # the facets' labels and the words of every allowed value, shown or not in the fixture
    assert {label for _, label in facets.FACET_LABELS} <= set(messages)
    assert all(m for m in messages), "no empty message id"


def test_the_scripts_words_come_from_the_page_and_are_extractable(marked_site):
    pages, _, _ = marked_site
    script = SCRIPT.read_text(encoding="utf-8")
    # the script says no English of its own: its words are the page's, by key
    keys = set(re.findall(r'\bsay\("(\w+)"', script))
    fact_keys = set(re.findall(r'\bfact\("(\w+)"', script)) | set(re.findall(r"\blabels\.(\w+)", script))
    assert {"filters", "filtersChosen", "count", "countShowing", "found", "foundShowing", "show", "removeFilter",
            "unavailable"} <= keys
    for line in script.splitlines():
        if "console." in line or line.lstrip().startswith("//"):
            continue
        literals = re.findall(r'"([^"\\]*)"|`([^`]*)`', line)
        for literal in (a or b for a, b in literals):
            assert not re.search(r"[A-Z][a-z]+ [a-z]+", literal), f"English in catalogue.js: {literal!r}"
    # the English page: the script's words are message ids that pybabel finds
    given = json.loads(_english_home())
    assert keys <= set(given) and fact_keys <= set(given["fact"])
    messages = extracted()
    for key in keys:
        value = given[key]
        if isinstance(value, dict):  # plural: English has one and other
            assert set(value) == {"one", "other"}
            assert (value["one"], value["other"]) in messages, value
        else:
            assert value in messages, value
    assert all(value in messages for value in given["fact"].values())


def _english_home() -> str:
    catalogue = load(SITES / "basic")[0]
    theme = theme_module.load_theme(catalogue.config)
    return str(theme.env.get_template("_macros.html").module.catalogue_json)


def test_the_schemas_labels_are_marked_for_extraction():
    shown = {c.label for spec in schema.COURSE_FIELDS if spec.choices for c in spec.choices}
    assert shown == set(words.CHOICE_LABELS)


# --- English without a catalogue: today's words, byte for byte ----------------------------------------------

@pytest.fixture(scope="module")
def course():
    catalogue = load(SITES / "basic")[0]
    return next(c for c in catalogue.courses if c.slug == "data-stewardship"), catalogue


@pytest.mark.parametrize("speak", [words.ENGLISH, words.Words(gettext.NullTranslations())], ids=["module", "null"])
def test_words_say_todays_english(course, speak):
    course, catalogue = course
    c = lambda **changes: dataclasses.replace(course, **changes)  # noqa: E731
    assert speak.credits(c(credits=2, workload_hours=None)) == "2 ECTS credits · 50–60 hours"
    assert speak.credits(c(credits=1, workload_hours=None)) == "1 ECTS credit · 25–30 hours"
    assert speak.credits(c(credits=2.5, workload_hours=None)) == "2.5 ECTS credits · 62.5–75 hours"
    assert speak.credits(c(credits=40, workload_hours=None)) == "40 ECTS credits · 1,000–1,200 hours"
    assert speak.credits(c(credits=2, workload_hours=55)) == "2 ECTS credits · 55 hours"
    assert speak.credits_short(c(credits=1)) == "1 ECTS credit" and speak.credits_short(c(credits=6)) == "6 ECTS credits"
    assert speak.fee(c(fee=None)) == "Fee not stated" and speak.fee(c(fee=0)) == "Free"
    assert speak.fee(c(fee=450, currency="EUR")) == "€450" and speak.fee(c(fee=12000, currency="CZK")) == "12,000 CZK"
    assert speak.level(7) == "EQF level 7 (master's level)" and speak.label("on-site", "mode") == "On site"
    assert speak.label("unknown", "mode") == "unknown"
    assert speak.languages(("cs", "en")) == "Czech, English" and speak.country("CZ") == "Czechia"
    assert speak.isced("0511") == "Biology"
    assert speak.date(dt.date(2027, 3, 5)) == "5 March 2027" and speak.date(None) == ""
    assert speak.date_range(dt.date(2027, 3, 15), dt.date(2027, 3, 17)) == "15–17 March 2027"
    assert speak.date_range(dt.date(2027, 3, 30), dt.date(2027, 4, 2)) == "30 March – 2 April 2027"
    assert speak.date_range(dt.date(2026, 12, 30), dt.date(2027, 1, 2)) == "30 December 2026 – 2 January 2027"
    assert speak.date_range(dt.date(2027, 3, 5), None) == "5 March 2027" == speak.date_range(dt.date(2027, 3, 5),
                                                                                             dt.date(2027, 3, 5))
    assert [facets.value_label("credits", label, {}, speak) for _, label in facets.CREDIT_BUCKETS] == [
        "1–2 credits", "3–5 credits", "6–10 credits", "11–30 credits", "31–60 credits"]
    institution = catalogue.institutions_by_id[course.institution_id]
    assert facets.card(c(start_date=None), institution)["start"] == ""  # the page's "Date to be announced"
    card, table = facets.card(course, institution), facets.card_words([course], speak)
    assert table["credits"][card["credits"]] == speak.credits_short(course) and table["fee"][card["fee"]] == speak.fee(course)
    assert table["mode"][card["mode"]] == "Online" if course.mode == "online" else speak.label(course.mode, "mode")


def test_the_module_functions_are_the_english_words(course):
    course, _ = course
    for name in ("credits", "credits_short", "fee"):
        assert getattr(words, name)(course) == getattr(words.ENGLISH, name)(course)
    assert words.FILTERS.keys() == words.ENGLISH.filters().keys()


# --- catalogues: a theme's .po files, layered, with their plural forms -----------------------------------------

CZECH_PO = r'''
msgid ""
msgstr ""
"Language: cs\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=3; plural=(n==1) ? 0 : (n>=2 && n<=4) ? 1 : 2;\n"

msgid "Free"
msgstr "Zdarma"

msgid "%(num)s ECTS credit"
msgid_plural "%(num)s ECTS credits"
msgstr[0] "%(num)s kredit ECTS"
msgstr[1] "%(num)s kredity ECTS"
msgstr[2] "%(num)s kreditů ECTS"

#, fuzzy
msgid "Fee not stated"
msgstr "Nepřeloženo"
'''


def test_a_themes_catalogue_translates_with_its_plural_forms_and_falls_back(tmp_path, course):
    course, _ = course
    site_theme, default_theme = tmp_path / "site-theme", tmp_path / "default"
    po = site_theme / "locales" / "cs" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text(CZECH_PO, encoding="utf-8")
    fallback = default_theme / "locales" / "cs" / "LC_MESSAGES" / "messages.po"
    fallback.parent.mkdir(parents=True)
    fallback.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                        'msgid "Credits"\nmsgstr "Kredity"\n', encoding="utf-8")
    czech = text.translations([site_theme, default_theme], "cs")
    speak = words.Words(czech)
    assert [speak.credits_short(dataclasses.replace(course, credits=n)) for n in (1, 3, 5)] == [
        "1 kredit ECTS", "3 kredity ECTS", "5 kreditů ECTS"]
    assert speak.fee(dataclasses.replace(course, fee=0)) == "Zdarma"
    assert czech.gettext("Credits") == "Kredity"                        # from the next layer
    assert speak.fee(dataclasses.replace(course, fee=None)) == "Fee not stated"  # fuzzy: left out
    assert text.translations([site_theme], "pl").gettext("Free") == "Free"     # no catalogue: English
    assert text.translations([site_theme], "cs-CZ").gettext("Free") == "Zdarma"


def test_plural_categories_for_the_script():
    assert text.plural_samples("en") == (("one", 1), ("other", 0))
    assert text.plural_samples("cs") == (("one", 1), ("few", 2), ("other", 0))
    assert [c for c, _ in text.plural_samples("pl")] == ["one", "few", "many"]
    assert text.plural_samples("not a language") == (("one", 1), ("other", 0))


def test_plural_samples_are_the_first_whole_number_of_each_category():
    """Each category CLDR gives a whole number below 1,000 has a sample, the smallest such number: in the
    catalogue's languages and in those whose rules have the most categories."""
    from babel import Locale
    for language in ("en", "cs", "pl", "hu", "sl", "et", "lt", "lv", "sk", "hr", "bg", "ro",
                     "ar", "cy", "ga", "mt", "gd", "br", "he", "ru", "uk", "fr", "pt", "kw"):
        rule, first = Locale.parse(language).plural_form, {}
        for n in range(1000):
            first.setdefault(rule(n), n)
        assert dict(text.plural_samples(language)) == first, language
