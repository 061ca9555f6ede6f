"""The interface in the partners' languages: complete catalogues, CLDR's plural forms and formats, a page in
every language at its address, the switcher and hreflang links, no English left on another language's page."""
from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import format_date
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from generator.content import facets
from generator.content.load import load
from generator.site import text, words
from generator.site.theme import DEFAULT_THEME

from generator.engine.build import build

from .conftest import ROOT, copy_site, write_files
from .test_text import extracted

LANGUAGES = ("en", "cs", "pl", "hu", "sl", "et", "lt", "lv", "sk", "hr", "bg", "ro")
TRANSLATED = LANGUAGES[1:]
LOCALES = DEFAULT_THEME / "locales"
COUNTS = (0, 1, 2, 5, 21, 22, 25)


def catalogue_of(language: str):
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=language)


def msgid(message) -> str | tuple[str, ...]:
    return message.id if isinstance(message.id, str) else tuple(message.id)


# --- the catalogues --------------------------------------------------------------------------------------------

def test_the_sample_catalogue_has_every_language():
    catalogue = load(ROOT)[0]
    assert catalogue.config.languages == LANGUAGES
    assert sorted(p.name for p in LOCALES.iterdir() if p.is_dir()) == sorted(TRANSLATED)
    assert not list(LOCALES.rglob("*.mo")), "catalogues are compiled at build time, not committed"


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_catalogue_has_every_message_and_no_stale_one(language):
    wanted = {m if isinstance(m, str) else tuple(m) for m in extracted()}
    po = catalogue_of(language)
    have = {msgid(m): m for m in po if m.id}
    assert sorted(map(str, wanted - set(have))) == [], f"{language}: messages not in the catalogue"
    assert sorted(map(str, set(have) - wanted)) == [], f"{language}: stale messages (pybabel update drops them)"
    untranslated = [m.id for m in have.values()
                    if not all(m.string if isinstance(m.string, tuple) else [m.string]) or m.fuzzy]
    assert untranslated == [], f"{language}: untranslated or fuzzy"
    errors = [(m.id, str(e)) for m, found in po.check() for e in found]
    assert errors == [], f"{language}: placeholders that do not match"


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_catalogues_plural_forms_are_cldrs(language):
    po = catalogue_of(language)
    plural = get_plural(language)  # Babel's gettext rule from CLDR
    assert po.num_plurals == plural.num_plurals and po.plural_expr == plural.plural_expr


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_for_counts_follow_the_languages_categories(language):
    translations = text.translations([DEFAULT_THEME], language)
    rule = Locale.parse(language).plural_form
    said: dict[str, set[str]] = {}
    for n in COUNTS:
        words_for_n = translations.ngettext("%(num)s course", "%(num)s courses", n) % {"num": n}
        assert str(n) in words_for_n and "course" not in words_for_n, (language, n, words_for_n)
        said.setdefault(rule(n), set()).add(words_for_n.replace(str(n), "N"))
    # the counts of one CLDR category say the same words; the script picks them by the same categories
    assert all(len(forms) == 1 for forms in said.values()), (language, said)
    categories = {category for category, _ in text.plural_samples(language)}
    assert set(said) <= categories


FRACTION_WORDS = {"en": "2.5 ECTS credits", "cs": "2,5 kreditu ECTS", "pl": "2,5 punktu ECTS",
                  "hu": "2,5 ECTS-kreditpont", "sl": "2,5 kreditne točke ECTS", "et": "2,5 ECTS-ainepunkti",
                  "lt": "2,5 ECTS kredito", "lv": "2,5 ECTS kredītpunkti", "sk": "2,5 kreditu ECTS",
                  "hr": "2,5 ECTS bodova", "bg": "2,5 кредита по ECTS", "ro": "2,5 credite ECTS"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_credits_with_a_fraction_take_the_form_cldr_gives_decimals(language):
    """gettext counts whole numbers only; a number with a fraction has its own plural category in CLDR (Czech,
    Slovak and Lithuanian "many", Polish "other": forms no whole number takes), or one whole numbers share."""
    speak = words.Words(text.translations([DEFAULT_THEME], language) if language != "en" else None, language)
    assert speak.credits_amount(2.5) == FRACTION_WORDS[language]
    category = Locale.parse(language).plural_form(2.5)
    whole = dict(text.plural_samples(language)).get(category)
    if whole is not None:  # the same words as a whole number of that category
        assert speak.credits_amount(2.5).replace(speak.number(2.5), "N") == \
            speak.credits_amount(whole).replace(speak.number(whole), "N", 1), (language, category, whole)
    else:
        assert language in ("cs", "sk", "lt", "pl"), (language, category)


def test_czech_counts_say_kurz_kurzy_kurzu():
    translations = text.translations([DEFAULT_THEME], "cs")
    say = lambda n: translations.ngettext("%(num)s course", "%(num)s courses", n) % {"num": n}  # noqa: E731
    assert [say(n) for n in (1, 3, 5)] == ["1 kurz", "3 kurzy", "5 kurzů"]


# --- formats by locale -----------------------------------------------------------------------------------------

def test_english_formats_are_cldrs_british_english():
    """English is written out (no CLDR data loaded for it): it must say what CLDR's en_GB says."""
    english = words.ENGLISH
    for day in (dt.date(2027, 3, 15), dt.date(2026, 12, 1), dt.date(2028, 2, 29)):
        assert english.date(day) == format_date(day, "long", locale=words.ENGLISH_FORMATS)
    for amount in (450, 1200, 12000):
        assert english._credits_short(2) == "2 ECTS credits"
        expected = format_currency(amount, "EUR", locale=words.ENGLISH_FORMATS).removesuffix(".00")
        assert f"€{words.number(amount)}" == expected


@pytest.mark.parametrize(("language", "day", "fee", "country", "name"), [
    ("cs", "15. března 2027", "1 200 Kč", "Polsko", "čeština"),
    ("pl", "15 marca 2027", "1200 zł", "Polska", "czeski"),  # Polish groups digits from five on
    ("hu", "2027. március 15.", "180 000 Ft", "Lengyelország", "cseh"),
])
def test_formats_and_names_follow_the_locale(language, day, fee, country, name):
    speak = words.Words(None, language)
    assert speak.date(dt.date(2027, 3, 15)) == day
    currency = {"cs": "CZK", "pl": "PLN", "hu": "HUF"}[language]
    amount = 180000 if language == "hu" else 1200
    assert speak._money(amount, currency).replace("\xa0", " ").replace("\u202f", " ") == fee
    assert speak.country("PL") == country and speak.language("cs") == name


def test_a_span_of_days_is_written_as_the_locale_writes_it():
    start, end = dt.date(2027, 6, 8), dt.date(2027, 6, 10)
    assert words.Words(None, "pl").date_range(start, end) == "8–10 czerwca 2027"
    assert words.ENGLISH.date_range(start, end) == "8–10 June 2027"
    assert words.Words(None, "hu").date_range(start, dt.date(2027, 7, 2)) == "2027. június 8.\u2009–\u2009július 2."


def test_alphabetical_order_follows_the_locale():
    names = ["Chemie", "Cesta", "Hrad", "Čaj", "Zebra"]
    assert sorted(names, key=words.Words(None, "cs").sort_key()) == ["Cesta", "Čaj", "Hrad", "Chemie", "Zebra"]
    assert sorted(names, key=words.ENGLISH.sort_key()) == ["Cesta", "Chemie", "Hrad", "Zebra", "Čaj"]


# --- the built site --------------------------------------------------------------------------------------------

class Page(HTMLParser):
    """A page's lang, links, hreflang alternates, and the text it shows in its own language (text inside an
    element with another `lang`, like a course's own words, left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.alternates: dict[str, str] = {}
        self.switcher: dict[str, str] = {}
        self.own_text: list[str] = []
        self._langs: list[tuple[str, str]] = []
        self._skip = 0
        self.title = ""                  # the <title>'s text (see read_page)
        self.foreign_text: list[str] = []  # the texts in another language than the page's
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._in_title = tag == "title"
        if tag == "html":
            self.lang = attrs.get("lang", "")
        if tag == "link" and attrs.get("rel") == "alternate" and attrs.get("hreflang"):
            self.alternates[attrs["hreflang"]] = attrs["href"]
        if tag == "a" and attrs.get("data-language"):
            self.switcher[attrs["data-language"]] = attrs["href"]
        if tag in ("script", "style") or ("lang" in attrs and tag != "html" and attrs["lang"] != self.lang):
            self._langs.append((tag, "skip"))
            self._skip += 1
        elif tag not in ("br", "img", "input", "meta", "link", "hr", "source", "wbr"):
            self._langs.append((tag, ""))
        for name in ("aria-label", "placeholder", "title", "alt"):
            if attrs.get(name) and not self._skip:
                self.own_text.append(attrs[name])

    def handle_endtag(self, tag):
        self._in_title = False
        while self._langs:
            open_tag, mark = self._langs.pop()
            if mark:
                self._skip -= 1
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif self._skip and data.strip():
            self.foreign_text.append(data.strip())
        elif data.strip():
            self.own_text.append(data.strip())


def read_page(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    # a page's <title> cannot mark the language of the content it repeats (a course's title, an award): what
    # the page shows elsewhere in another language is not its own text there either
    title = page.title
    for foreign in sorted(page.foreign_text, key=len, reverse=True):
        title = title.replace(foreign, "")
    if title.strip():
        page.own_text.append(title.strip())
    return page


def target(out: Path, href: str) -> Path:
    rel = href.removeprefix("/")
    return out / (rel + "index.html" if rel.endswith("/") or not rel else rel)


def sample_pages(out: Path, language: str) -> list[str]:
    prefix = "" if language == "en" else f"{language}/"
    course = sorted((out / "courses").glob("*/*/index.html"))[0].relative_to(out).as_posix()
    institution = sorted((out / "institutions").glob("*/index.html"))[0].relative_to(out).as_posix()
    return [prefix + p for p in ("index.html", "page/2/index.html", course, "institutions/index.html",
                                 institution, "404.html")]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_its_pages_at_its_address_with_its_lang(sample_build, language):
    out, _ = sample_build
    for rel in sample_pages(out, language):
        assert (out / rel).is_file(), rel
        assert read_page(out / rel).lang == language, rel


@pytest.mark.slow
def test_switcher_and_hreflang_links_resolve_to_the_same_page_in_each_language(sample_build):
    out, _ = sample_build
    for language in LANGUAGES:
        for rel in sample_pages(out, language)[:-1]:
            page = read_page(out / rel)
            assert set(page.alternates) == {*LANGUAGES, "x-default"}, rel
            assert set(page.switcher) == set(LANGUAGES), rel
            same = rel.removeprefix(f"{language}/") if language != "en" else rel
            for code in LANGUAGES:
                expected = same if code == "en" else f"{code}/{same}"
                assert target(out, page.switcher[code]) == out / expected, (rel, code)
                assert target(out, page.alternates[code]) == out / expected, (rel, code)
                assert read_page(out / expected).lang == code
            assert page.alternates["x-default"] == page.alternates["en"]


@pytest.mark.slow
def test_the_sitemap_lists_every_language_with_its_alternates(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    (site / "site.yaml").write_text((site / "site.yaml").read_text() + "languages: [en, cs, pl]\n")
    write_files(site, {"content/pages/about.md": "---\ntitle: About\n---\n\nWho we are.\n"})
    out = tmp_path / "out"
    result = build(site, out)
    host, languages = "https://courses.example.org/", ("en", "cs", "pl")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    index = ET.parse(out / "sitemap.xml").getroot()
    maps = [loc.text for loc in index.findall("s:sitemap/s:loc", ns)]
    assert maps == [f"{host}sitemaps/{code}.xml" for code in languages]
    listed = len(result.catalogue.listed)
    for code in languages:
        urls = ET.parse(out / "sitemaps" / f"{code}.xml").getroot().findall("s:url", ns)
        assert len(urls) > listed
        locs = [url.find("s:loc", ns).text for url in urls]
        assert f"{host}{'' if code == 'en' else code + '/'}about/" in locs  # content pages too
        for url, loc in zip(urls, locs):
            assert loc.startswith(host) and target(out, loc.removeprefix(host[:-1])).is_file(), loc
            links = {link.get("hreflang"): link.get("href") for link in url.findall("x:link", ns)}
            assert set(links) == {*languages, "x-default"} and links[code] == loc


def test_netlify_sends_a_first_visit_to_the_browsers_language(sample_build):
    out, _ = sample_build
    rules = [line.split() for line in (out / "_redirects").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    home = [r for r in rules if r[0] == "/"]
    assert home == [["/", f"/{code}/", "302", f"Language={code}"] for code in TRANSLATED]
    not_found = [r for r in rules if r[0] != "/"]
    assert not_found == [[f"/{code}/*", f"/{code}/404.html", "404"] for code in TRANSLATED]
    assert all((out / code / "404.html").is_file() for code in TRANSLATED)
    script = next((out / "assets" / "js").glob("language.*.js")).read_text()
    assert "nf_lang=" in script  # the switcher's choice wins over the browser's language


def test_open_data_and_the_search_index_are_made_once(sample_build):
    out, _ = sample_build
    for code in TRANSLATED:
        for shared in ("courses.json", "courses.csv", "elm.jsonld", "feed.xml", "courses.ics", "search/browse.json",
                       "pagefind", "assets"):
            assert not (out / code / shared).exists(), f"{code}/{shared}"
        # in each language only the words of the cards' facts; the cards themselves are the same for all
        assert sorted(p.name for p in (out / code / "search").iterdir()) == ["words.json"]
        assert not list((out / code / "courses").rglob("card.json"))
    home = (out / "cs" / "index.html").read_text()
    assert 'data-root="/"' in home and 'data-base="/cs/"' in home


def english_phrases() -> dict[str, set[str]]:
    """For each language, the English message ids its catalogue says otherwise (those that would show a
    page that missed the lookup), with their markup and placeholders taken out; not those that are words of the
    language too (Romanian's "date", its "data")."""
    found = {}
    for language in TRANSLATED:
        phrases = set()
        own = []
        for m in catalogue_of(language):
            pairs = zip(m.id, m.string) if isinstance(m.id, tuple) else [(m.id, m.string)]
            for english, said in pairs:
                own.append(said)
                for piece in re.split(r"<[^>]*>|%\(\w+\)s", english):
                    piece = piece.strip(" .,:;–()“”")
                    if len(piece) > 3 and piece not in said and re.search(r"[a-z]{3}", piece):
                        phrases.add(piece)
        words_of_its_own = "\n".join(own)
        found[language] = {p for p in phrases if not re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", words_of_its_own)}
    return found


@pytest.mark.slow
def test_no_english_interface_words_on_another_languages_page(sample_build):
    out, _ = sample_build
    phrases = english_phrases()
    left = {}
    for language in TRANSLATED:
        for page_path in sorted((out / language).rglob("*.html")):
            shown = "\n".join(read_page(page_path).own_text)
            found = sorted(p for p in phrases[language]
                           if p in shown and re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])", shown))
            if found:
                left[page_path.relative_to(out).as_posix()] = found
    assert left == {}


def test_the_check_for_english_finds_english(sample_build, tmp_path):
    out, _ = sample_build
    page = (out / "cs" / "index.html").read_text(encoding="utf-8")
    planted = tmp_path / "index.html"
    planted.write_text(page.replace("</main>", "<p>Clear all filters</p></main>"), encoding="utf-8")
    shown = "\n".join(read_page(planted).own_text)
    assert "Clear all filters" in english_phrases()["cs"] and "Clear all filters" in shown


def test_cards_facts_are_worded_in_each_language(sample_build):
    import json
    out, result = sample_build
    course = next(c for c in result.catalogue.listed if c.start_date and c.fee)
    card = next(c for c in json.loads((out / "search/cards.json").read_text()) if c["url"] == course.url)
    english = json.loads((out / "search/words.json").read_text())
    czech = json.loads((out / "cs/search/words.json").read_text())
    assert english["credits"][card["credits"]].endswith(("credit", "credits"))
    assert "kredit" in czech["credits"][card["credits"]].lower()
    # the same words as the static listing in each language, from CLDR
    cs = words.Words(None, "cs")
    assert czech["start"][card["start"]] == cs.date(course.start_date)
    assert czech["fee"][card["fee"]] == cs.fee(course)
    assert czech["mode"][card["mode"]] == cs.label(course.mode, "mode")
    assert [czech["language"][code] for code in card["language"]] == [cs.language(c) for c in course.language]
    for language in LANGUAGES[1:]:
        table = json.loads((out / language / "search/words.json").read_text())
        assert set(table["credits"]) == {facets.credits_code(c.credits) for c in result.catalogue.listed}
        assert not (out / language / course.url / "card.json").exists()


# --- in Chromium -----------------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES[1:])  # (English's: test_browser.py, at two widths)
def test_each_languages_pages_pass_axe(sample_build, serve, page, language):
    from .test_browser import axe_violations
    out, _ = sample_build
    base = serve(out)
    for rel in sample_pages(out, language)[:1] + sample_pages(out, language)[2:5]:
        page.goto(base + rel.removesuffix("index.html"))
        assert page.evaluate("document.documentElement.lang") == language
        assert axe_violations(page) == [], rel
    assert page.external_requests == [] and page.console_errors == []


@pytest.mark.browser
def test_no_page_scrolls_sideways_on_a_phone_in_any_language(sample_build, serve, page):
    """Longer words than English's (a sort order's label, an Estonian heading) stay inside a 320 px screen."""
    out, result = sample_build
    base = serve(out)
    page.set_viewport_size({"width": 320, "height": 640})
    longest = max(result.catalogue.listed, key=lambda c: len(c.body_html))
    for language in LANGUAGES:
        prefix = result.catalogue.config.language_prefix(language)
        for path in ["", "?level=7&mode=online", longest.url, "institutions/", "calendar/", "pathways/", "feeds/"]:
            page.goto(base + prefix + path)
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (language, path, overflow)

@pytest.mark.browser
def test_search_and_filters_speak_the_pages_language_and_link_to_it(sample_build, serve, page):
    from .test_search import shown_urls, wait_ready
    out, result = sample_build
    czech = next(c for c in result.catalogue.listed if c.language == ("cs",))
    word = max(re.findall(r"\w+", re.sub("<[^>]+>", " ", czech.body_html)), key=len)
    translations = text.translations([DEFAULT_THEME], "cs")
    page.goto(serve(out) + "cs/")
    wait_ready(page)
    page.fill("#q", word)
    page.press("#q", "Enter")
    page.wait_for_function("word => document.querySelector('[data-status]').textContent.includes(word)", arg=word)
    urls = shown_urls(page)
    assert "/cs/" + czech.url in urls and all(u.startswith("/cs/courses/") for u in urls)
    page.goto(serve(out) + "cs/?mode=online")
    wait_ready(page)
    page.wait_for_function("() => document.querySelector('[data-catalogue]').dataset.shown")
    status = page.locator("[data-status]").text_content()
    n = sum(1 for c in result.catalogue.listed if c.mode == "online")
    assert status.strip() == translations.ngettext("%(num)s course", "%(num)s courses", n) % {"num": n}
    card = page.locator("[data-results] .card").first.text_content()
    assert "credit" not in card and "kredit" in card.lower()
    assert page.console_errors == []


@pytest.mark.browser
def test_titles_sort_in_the_pages_alphabetical_order(sample_build, serve, page):
    from .test_search import wait_ready
    out, _ = sample_build
    page.goto(serve(out) + "cs/?sort=title")
    wait_ready(page)
    page.wait_for_function("() => (document.querySelector('[data-catalogue]').dataset.shown || '').includes('sort=title')")
    titles = page.eval_on_selector_all("[data-results] .card__title a", "els => els.map(e => e.textContent)")
    assert len(titles) > 10 and titles == sorted(titles, key=words.Words(None, "cs").sort_key())


# --- the catalogue's own words (site.yaml's title and description) -------------------------------------------

def test_the_catalogues_title_and_description_are_shown_in_each_language_site_yaml_gives(sample_build):
    out, result = sample_build
    config = result.catalogue.config
    given = {t.language: (t.title, t.description) for t in config.translations}
    assert sorted(given) == sorted(TRANSLATED)
    for language in LANGUAGES:
        title, description = given.get(language, (config.title, config.description))
        home = (out / config.language_prefix(language) / "index.html").read_text(encoding="utf-8")
        assert f'<p class="lead">{description}</p>' in home, language  # (no lang of its own: the page's)
        assert f'<span class="brand__name">{title}</span>' in home, language
        assert re.search(r'<a class="brand" href="[^"]*">', home), language
        assert f"<title>{title}</title>" in home, language


def test_a_language_site_yaml_does_not_translate_shows_the_default_languages_words_marked_so(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    config = site / "site.yaml"
    config.write_text(config.read_text() + "languages: [en, cs, pl]\ntranslations:\n  cs:\n"
                      "    title: Katalog pro testy\n")
    build(site, tmp_path / "out")
    czech = (tmp_path / "out/cs/index.html").read_text(encoding="utf-8")
    polish = (tmp_path / "out/pl/index.html").read_text(encoding="utf-8")
    assert '<span class="brand__name">Katalog pro testy</span>' in czech and '<a class="brand" href="/cs/">' in czech
    assert '<p class="lead" lang="en">A small catalogue for the tests.</p>' in czech  # (not translated)
    assert '<a class="brand" href="/pl/" lang="en">' in polish and "Test Catalogue" in polish
    assert "Katalog pro testy" not in (tmp_path / "out/index.html").read_text(encoding="utf-8")
    assert '"title": "Test Catalogue"' in (tmp_path / "out/courses.json").read_text(encoding="utf-8")  # (open data: one)


def test_site_yamls_translations_are_checked_each_problem_at_its_line(tmp_path):
    from generator.content.config import load_config
    site = write_files(tmp_path / "site", {"content/courses/.keep": "", "site.yaml": """\
        title: Catalogue
        languages: [en, cs, pl]
        translations:
          cs:
            titel: Katalog
            description: "%s"
          en:
            title: Catalogue
          de:
            title: Katalog
          pl:
            title: Katalog kursów
        """ % ("x" * 301)})
    config, diags = load_config(site)
    assert config is None
    said = sorted((d.line, d.message, d.hint) for d in diags)
    assert [(line, message) for line, message, _ in said] == [
        (5, "unknown field 'titel'"),
        (6, "'description' is too long: 301 characters, at most 300 are allowed"),
        (7, "'translations' cannot have 'en' here"),
        (9, "'translations' cannot have 'de' here")], said
    assert "did you mean 'title'?" in said[0][2] and "default language" in said[2][2] and "languages" in said[3][2]
    site.joinpath("site.yaml").write_text("languages: [en, cs]\ntranslations: Katalog\n")
    config, diags = load_config(site)
    assert config is None and [(d.line, d.code) for d in diags] == [(2, "wrong-type")]


def test_site_yamls_topic_names_are_checked_each_problem_at_its_line(tmp_path):
    from generator.content.config import load_config
    site = write_files(tmp_path / "site", {"content/courses/.keep": "", "site.yaml": """\
        languages: [en, cs, pl, hu]
        translations:
          cs:
            topics:
              Genomics: Genomika
              yes: Ano
              Imaging: ""
              Open Science: "%s"
          pl:
            topics: [Genomika]
          hu:
            topics:
              Genomics: Genomika
        """ % ("x" * 61)})
    config, diags = load_config(site)
    assert config is None
    assert sorted((d.line, d.code, d.message) for d in diags) == [
        (6, "wrong-type", "each tag under 'topics' must be text, but one is a yes/no value"),
        (7, "empty-field", "an item of 'topics' is empty"),
        (8, "too-long", "'topics' is too long: 61 characters, at most 60 are allowed"),
        (10, "wrong-type", "'topics' must give, on a line each, a text as the courses write it, a colon and its name")]
    site.joinpath("site.yaml").write_text("languages: [en, cs]\ntranslations:\n  cs:\n    topics:\n"
                                          "      Genomics:  Genomika \n      Open  Science: Otevřená věda\n")
    config, diags = load_config(site)
    assert diags == [] and config.topic_names("cs") == {"Genomics": "Genomika", "Open Science": "Otevřená věda"}
    assert config.topic_names("en") == {} and config.topic_names("pl") == {}


def test_a_topic_name_for_a_topic_no_course_has_is_warned_at_its_line(tmp_path):
    from generator.content.load import check
    site = copy_site("basic", tmp_path / "site")
    config = site / "site.yaml"
    config.write_text(config.read_text() + "languages: [en, cs]\ntranslations:\n  cs:\n    topics:\n"
                      "      Open Science: Otevřená věda\n      Research Data Managment: Správa výzkumných dat\n"
                      "      Astronomy: Astronomie\n")
    said = [(Path(d.path).name, d.line, d.severity, d.message, d.hint) for d in check(site) if d.code == "unused-topic"]
    assert said == [
        ("site.yaml", 10, "warning", "no course has the topic 'Research Data Managment' that the 'cs' translation names",
         "write it as the courses' `topics` do: did you mean 'Research Data Management'?"),
        ("site.yaml", 11, "warning", "no course has the topic 'Astronomy' that the 'cs' translation names",
         "write it as the courses' `topics` do, or remove its line")]


@pytest.mark.slow
def test_a_pages_topics_are_in_its_language_where_site_yaml_names_them_and_marked_where_not(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    course = site / "content/courses/alpha-institute/data-stewardship.md"
    course.write_text(course.read_text().replace("topics: [Research Data Management, Open Science]",
                                                 "topics: [Research Data Management, Open Science, Data Cleaning]"))
    config = site / "site.yaml"
    config.write_text(config.read_text() + "languages: [en, cs, pl]\ntranslations:\n  cs:\n    topics:\n"
                      "      Open Science: Otevřená věda\n      Data Cleaning: Čištění dat\n")
    out = tmp_path / "out"
    build(site, out)
    page = "courses/alpha-institute/data-stewardship/index.html"

    def facet(html: str) -> list[str]:
        group = re.search(r'data-facet-group="topic">(.*?)</details>', html, re.S).group(1)
        return re.findall(r'<label for="f-topic-\d+">(.*?) <span class="facet__count"', group)

    english, czech, polish = ((out / prefix / "index.html").read_text(encoding="utf-8") for prefix in ("", "cs", "pl"))
    assert facet(english) == ["Data Cleaning", "Open Science", "Research Data Management"]
    # in Czech's alphabet (Č after C, before D; not after Z, as by code points), the one not named marked English
    assert facet(czech) == ["Čištění dat", "Otevřená věda", '<span lang="en">Research Data Management</span>']
    assert 'value="Data Cleaning" data-label="Čištění dat" data-facet>' in czech
    assert 'value="Research Data Management" data-label="Research Data Management" data-lang="en" data-facet>' in czech
    assert facet(polish) == [f'<span lang="en">{t}</span>' for t in ("Data Cleaning", "Open Science",
                                                                     "Research Data Management")]
    topics = re.compile(r"<dt data-pagefind-ignore>(?:Topics|Témata|Tematy)</dt><dd>(.*?)</dd>")
    assert topics.search((out / page).read_text()).group(1) == "Research Data Management, Open Science, Data Cleaning"
    assert topics.search((out / "cs" / page).read_text()).group(1) == \
        '<span lang="en">Research Data Management</span>, Otevřená věda, Čištění dat'
    assert topics.search((out / "pl" / page).read_text()).group(1) == ", ".join(
        f'<span lang="en">{t}</span>' for t in ("Research Data Management", "Open Science", "Data Cleaning"))
    calendar = (out / "cs/calendar/index.html").read_text(encoding="utf-8")
    assert re.search(r'<label for="cal-topic-\d+">Čištění dat</label>', calendar)
    assert re.search(r'<label for="cal-topic-\d+" lang="en">Research Data Management</label>', calendar)
    feeds = (out / "cs/feeds/index.html").read_text(encoding="utf-8")
    assert '<li data-feed="topic" data-value="Data Cleaning" data-count="1"><span data-label>Čištění dat</span>' in feeds
    assert '<span data-label lang="en">Research Data Management</span>' in feeds
    # the open data keeps the tags as the courses write them
    assert "Čištění" not in (out / "courses.json").read_text(encoding="utf-8")
