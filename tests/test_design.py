"""The theme's look and the home page's filters: chips, "Show N courses", the phone panel, layout shift, one
request for cards, search excerpts, the web font, the site's logo, minified files with source maps, caching."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.content.load import load
from generator.site.theme import DEFAULT_THEME

from .conftest import ROOT, SITES, headers_rules, rule_matches, without_the_web_font
from .test_browser import axe_violations
from .test_search import content_courses, matching, settle, status_for, wait_ready

FOREVER = "public, max-age=31536000, immutable"
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def shown_state(page, part: str) -> None:
    page.wait_for_function("part => (document.querySelector('[data-catalogue]').dataset.shown || '').includes(part)",
                           arg=part)


# --- filters that show their state ---------------------------------------------------------------------------

@pytest.mark.browser
def test_chips_and_show_n_courses_on_a_phone(sample_build, serve, page):
    out, _ = sample_build
    courses = content_courses(ROOT)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(serve(out) + "?level=7&mode=online")
    wait_ready(page)
    expected = matching(courses, {"level": ["7"], "mode": ["online"]})
    settle(page, status_for(len(expected)))
    # a removable chip for each choice, above the results, named for what it removes
    chips = page.locator("[data-chips] button")
    assert chips.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))") == \
        ["Remove filter: EQF level 7 (master's level)", "Remove filter: Online"]
    assert page.get_by_role("button", name="Remove filter: Online").is_visible()
    # the panel opens with the chosen facets unfolded, and says how many courses it would show
    toggle = page.locator("[data-toggle-filters]")
    assert toggle.text_content() == "Filters (2 chosen)"
    toggle.click()
    assert page.locator("details[data-facet-group=mode]").evaluate("d => d.open")
    assert page.locator("input[name=mode][value=online]").is_visible()
    show = page.locator("[data-show-results]")
    assert show.text_content() == f"Show {len(expected)} courses" and show.is_visible()
    assert axe_violations(page) == []
    page.locator("input[name=mode][value=blended]").check()
    both = matching(courses, {"level": ["7"], "mode": ["online", "blended"]})
    settle(page, status_for(len(both)))
    assert show.text_content() == f"Show {len(both)} courses"
    # the count stays in view after the change: the sticky button at the foot of the open panel
    box = show.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= 740
    show.click()
    assert toggle.get_attribute("aria-expanded") == "false" and page.locator("#filters").is_hidden()
    assert page.evaluate("() => document.activeElement.id") == "results"
    page.keyboard.press("Tab")
    first = page.evaluate("() => document.activeElement.closest('[data-results] .card') !== null")
    assert first, page.evaluate("() => document.activeElement.outerHTML")
    # removing a chip unticks its box, updates the address, and moves the focus to the next chip
    page.get_by_role("button", name="Remove filter: EQF level 7 (master's level)").click()
    shown_state(page, "mode=online&mode=blended")
    assert not page.locator("input[name=level][value='7']").is_checked()
    assert page.url.endswith("?mode=online&mode=blended")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "Remove filter: Online"
    settle(page, status_for(len(matching(courses, {"mode": ["online", "blended"]}))))
    assert page.external_requests == [] and page.console_errors == []


@pytest.mark.browser
def test_a_topics_chip_says_its_name_in_the_pages_language_or_marks_it_as_written(tmp_path, serve, page):
    from generator.engine.build import build
    from .conftest import copy_site
    site = copy_site("basic", tmp_path / "site")
    config = site / "site.yaml"
    config.write_text(config.read_text() + "languages: [en, cs]\ntranslations:\n  cs:\n    topics:\n"
                      "      Open Science: Otevřená věda\n")
    build(site, tmp_path / "out")
    page.goto(serve(tmp_path / "out") + "cs/?topic=Open+Science&topic=Research+Data+Management")
    wait_ready(page)
    shown_state(page, "topic=Research")
    chips = page.locator("[data-chips] button")
    assert chips.evaluate_all("els => els.map(e => e.innerHTML)") == [
        "Otevřená věda", '<span lang="en">Research Data Management</span>']
    assert chips.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))") == [
        "Odebrat filtr: Otevřená věda", "Odebrat filtr: Research Data Management"]
    assert axe_violations(page) == [] and page.console_errors == []


@pytest.mark.browser
def test_skip_to_results_from_the_panel(sample_build, serve, page):
    out, _ = sample_build
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(serve(out))
    wait_ready(page)
    page.get_by_role("button", name="Filters", exact=True).click()
    page.get_by_role("link", name="Skip to results").first.click()
    assert page.evaluate("() => document.activeElement.id") == "results"
    assert page.get_by_role("button", name="Filters", exact=True).get_attribute("aria-expanded") == "false"


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_few_keys_from_a_ticked_filter_to_the_first_result(sample_build, serve, page, width):
    """From a ticked box ("EQF level 7") to the first result took 18 Tab presses (the rest of the open facets and
    the closed ones' headings, then the sort): after each open facet, "Skip to results" is the next stop now."""
    out, _ = sample_build
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(serve(out))
    wait_ready(page)
    if width < 600:
        page.locator("[data-toggle-filters]").click()
    box = page.locator("input[name=level][value='7']")
    box.focus()
    page.keyboard.press("Space")
    shown_state(page, "level=7")
    presses = 0
    while presses < 30 and not page.evaluate("() => document.activeElement.matches('[data-skip-results]')"):
        page.keyboard.press("Tab")
        presses += 1
    assert page.locator("[data-skip-results]:focus").is_visible()   # it shows itself when it has the focus
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    presses += 1
    assert page.evaluate("() => document.activeElement.closest('[data-results] li') === document.querySelector('[data-results] li')")
    assert presses == 3  # "EQF level 8", "Skip to results", then the first course (and one Enter)


# --- what the page does to the layout and the network ----------------------------------------------------------

LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) total += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => resolve(total), 400);
})"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_no_layout_shift_when_the_script_starts(sample_build, serve, browser, width):
    out, result = sample_build
    base = serve(out)
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    without_the_web_font(page)
    course = result.catalogue.listed[0]
    for path in ["", "page/2/", course.url, f"institutions/{course.institution_id}/", "cs/"]:
        page.goto(base + path)
        if path in ("", "page/2/", "cs/"):
            wait_ready(page)
        assert page.evaluate(LAYOUT_SHIFT) == 0, path
    context.close()


@pytest.mark.browser
def test_a_filter_change_fetches_no_card(sample_build, serve, page):
    out, _ = sample_build
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(serve(out))
    wait_ready(page)
    page.locator("details[data-facet-group=mode]").evaluate("d => { d.open = true; }")
    for value in ("online", "blended", "on-site"):
        page.locator(f"input[name=mode][value='{value}']").check()
        shown_state(page, f"mode={value}")
    for value in ("7", "8"):
        page.locator(f"input[name=level][value='{value}']").check()
        shown_state(page, f"level={value}")
    cards = [u for u in fetched if u.endswith(("card.json", "cards.json"))]
    assert [u.rsplit("/", 2)[-2:] for u in cards] == [["search", "cards.json"]]  # once, for every change
    assert page.locator("[data-results] .card").count() > 0


@pytest.mark.browser
def test_search_results_show_excerpts_with_the_words_marked(sample_build, serve, page):
    out, _ = sample_build
    page.goto(serve(out) + "?q=microscopy")
    wait_ready(page)
    page.wait_for_function("() => document.querySelectorAll('[data-results] .card__excerpt mark').length > 0")
    marks = page.eval_on_selector_all(".card__excerpt mark", "els => els.map(e => e.textContent.toLowerCase())")
    assert marks and all(m.startswith("microscop") for m in marks)
    tags = page.eval_on_selector_all(".card__excerpt *", "els => [...new Set(els.map(e => e.localName))]")
    assert tags == ["mark"]


@pytest.mark.browser
def test_excerpts_of_hostile_courses_are_text(serve, page, tmp_path):
    from generator.engine.build import build
    from .test_hardening import valid_subset
    out = tmp_path / "out"
    build(valid_subset(tmp_path), out)
    page.goto(serve(out) + "?q=xylophonic")
    wait_ready(page)
    page.wait_for_function("() => document.querySelectorAll('[data-results] .card__excerpt').length > 0")
    tags = page.eval_on_selector_all("[data-results] .card__excerpt *", "els => els.map(e => e.localName)")
    assert set(tags) <= {"mark"}
    assert page.evaluate("() => window.__pwned") is None and page.console_errors == []


# --- the course page -------------------------------------------------------------------------------------------

def test_a_course_page_says_each_fact_once(sample_build):
    out, result = sample_build
    for course in result.catalogue.listed[:6]:
        html = (out / course.url / "index.html").read_text(encoding="utf-8")
        article = re.search(r"<article class=\"course\".*?</article>", html, re.S).group(0)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article))
        credits = re.search(r"\d+(\.\d)? ECTS credits?", text).group(0)
        assert text.count(credits) == 1, course.url
        assert html.count('class="site-title"') == 0 and html.count(result.catalogue.config.description) == 0


@pytest.mark.browser
def test_a_wide_table_scrolls_on_a_phone_without_breaking_words(sample_build, serve, page):
    out, result = sample_build
    course = next(c for c in result.catalogue.listed if "<table" in c.body_html)
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(serve(out) + course.url)
    broken = page.evaluate("""() => [...document.querySelectorAll('.prose td, .prose th')].filter(cell => {
        // (a line may break after a dash: "February–" "March")
        const words = cell.textContent.trim().split(/\\s+/).flatMap(w => w.split(/(?<=[\u2013\u2014-])/));
        const widest = Math.max(...words.map(w => { const r = document.createRange(); const s = document.createElement('span');
          s.textContent = w; s.style.whiteSpace = 'nowrap'; cell.append(s); const width = s.getBoundingClientRect().width;
          s.remove(); return width; }));
        return cell.clientWidth + 1 < widest; }).map(cell => cell.textContent)""")
    assert broken == []
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    outcomes, prose = (page.locator(s).bounding_box()["width"] for s in (".outcomes", ".prose"))
    assert abs(outcomes - prose) < 48  # one measure for both


# --- the theme's files -----------------------------------------------------------------------------------------

def _vlq(segment: str) -> list[int]:
    values, shift, value = [], 0, 0
    for char in segment:
        digit = BASE64.index(char)
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            shift = value = 0
    return values


def original_position(source_map: dict, line: int, column: int) -> tuple[int, int]:
    """The source line and column a source map gives for a place in the generated file (0-based)."""
    source_line = source_column = 0
    found = None
    for number, mappings in enumerate(source_map["mappings"].split(";")):
        generated = 0
        for segment in filter(None, mappings.split(",")):
            fields = _vlq(segment)
            generated += fields[0]
            if len(fields) >= 4:
                source_line += fields[2]
                source_column += fields[3]
                if number == line and generated <= column:
                    found = (source_line, source_column)
        if number == line:
            break
    assert found is not None
    return found


def test_css_and_javascript_are_minified_with_source_maps_pointing_at_their_source(sample_build):
    out, _ = sample_build
    checked = 0
    for name in ("css/site.css", "css/no-script.css", "js/catalogue.js", "js/language.js"):
        source = (DEFAULT_THEME / "static" / name).read_text(encoding="utf-8")
        folder, stem = name.rsplit("/", 1)
        [built] = [p for p in (out / "assets" / folder).glob(stem.replace(".", ".*.")) if not p.name.endswith(".map")]
        text = built.read_text(encoding="utf-8")
        assert len(text) < len(source) * 0.8, name  # comments and spaces gone
        map_name = re.search(r"sourceMappingURL=(\S+?)(?: \*/)?$", text.strip()).group(1)
        assert map_name == built.name + ".map"
        source_map = json.loads((built.parent / map_name).read_text(encoding="utf-8"))
        assert source_map["version"] == 3 and source_map["sources"] == [stem]
        # the source as the minifier read it: the theme's, with the stylesheet's url()s naming hashed files
        unhashed = re.sub(r"url\([^)]*\)", "url()", source_map["sourcesContent"][0])
        assert unhashed == re.sub(r"url\([^)]*\)", "url()", source)
        checked += 1
    # a place in the minified stylesheet maps back to the same rule in the theme's source
    css = next((out / "assets/css").glob("site.*.css")).read_text(encoding="utf-8")
    source = (DEFAULT_THEME / "static/css/site.css").read_text(encoding="utf-8").splitlines()
    source_map = json.loads(next((out / "assets/css").glob("site.*.css.map")).read_text(encoding="utf-8"))
    for selector in (".card__title a", ".chip", ".key-facts__list dt"):
        line_no, column = next((n, line.index(selector + "{")) for n, line in enumerate(css.splitlines())
                               if selector + "{" in line)
        src_line, src_column = original_position(source_map, line_no, column)
        assert source[src_line][src_column:].startswith(selector), selector
    assert checked == 4


def test_every_theme_file_is_cached_for_good(sample_build):
    out, _ = sample_build
    rules = headers_rules((out / "_headers").read_text(encoding="utf-8"))
    assets = [p.relative_to(out).as_posix() for p in (out / "assets").rglob("*") if p.is_file()]
    assert any(a.startswith("assets/favicon.") for a in assets) and any(a.endswith(".woff2") for a in assets)
    for asset in assets:
        caches = [v["Cache-Control"] for pattern, v in rules if "Cache-Control" in v and rule_matches(pattern, "/" + asset)]
        assert caches == [FOREVER], asset


def test_the_web_font_is_self_hosted_preloaded_and_has_every_letter_of_the_interface(sample_build):
    from babel.messages.pofile import read_po
    from fontTools.ttLib import TTFont
    out, _ = sample_build
    font = DEFAULT_THEME / "static/fonts/catalogue-sans.woff2"
    have = set(TTFont(font).getBestCmap())
    letters: set[str] = set()
    for po_file in (DEFAULT_THEME / "locales").glob("*/LC_MESSAGES/messages.po"):
        with po_file.open("rb") as f:
            for message in read_po(f):
                for words in (message.string if isinstance(message.string, tuple) else (message.string,)):
                    letters.update(re.sub(r"<[^>]*>|%\(\w+\)s", "", words or ""))
    missing = sorted(c for c in letters if ord(c) not in have and not c.isspace())
    assert missing == []
    assert {ord(c) for c in "ąčęėįšųūžőűșțđľŕåäöüõāēģīķļņђщъьюя€–—„“”‚‘’…\u202f\u00a0"} <= have
    html = (out / "cs/index.html").read_text(encoding="utf-8")
    preload = re.search(r'<link rel="preload" href="(/assets/fonts/catalogue-sans\.[0-9a-f]{10}\.woff2)" as="font" '
                        r'type="font/woff2" crossorigin>', html)
    assert preload and (out / preload.group(1).lstrip("/")).read_bytes() == font.read_bytes()
    css = next((out / "assets/css").glob("site.*.css")).read_text(encoding="utf-8")
    assert "font-display:swap" in css and f"url(../fonts/{Path(preload.group(1)).name})" in css
    assert list((out / "assets/fonts").glob("LICENSE.*.txt"))


# --- the catalogue's logo --------------------------------------------------------------------------------------

def test_the_header_shows_the_sites_logo_or_the_themes_mark(make_site, tmp_path):
    from generator.engine.build import build
    site = make_site({"site.yaml": "title: Test Catalogue\nlogo: our-logo.svg\n",
                      "our-logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>'})
    out = tmp_path / "out"
    build(site, out)
    html = (out / "index.html").read_text(encoding="utf-8")
    src = re.search(r'<img class="brand__logo" src="/(assets/site-logo\.[0-9a-f]{10}\.svg)"', html).group(1)
    assert (out / src).read_bytes() == (site / "our-logo.svg").read_bytes()
    assert html.count("Test Catalogue</span></a>") == 1  # the name once at the top, beside the logo
    (site / "site.yaml").write_text("title: Test Catalogue\n", encoding="utf-8")
    build(site, out)
    html = (out / "index.html").read_text(encoding="utf-8")
    theme_mark = re.search(r'<img class="brand__logo" src="/(assets/logo\.[0-9a-f]{10}\.svg)"', html).group(1)
    assert (out / theme_mark).read_bytes() == (DEFAULT_THEME / "static/logo.svg").read_bytes()


def test_a_logo_that_is_not_there_is_a_diagnostic_at_its_line(make_site):
    from generator.diagnostics import ContentError
    site = make_site({"site.yaml": "title: Test Catalogue\nlogo: missing.svg\n"})
    with pytest.raises(ContentError) as raised:
        load(site)
    texts = [d.text() for d in raised.value.diagnostics]
    assert any(re.match(r".*site\.yaml:2:7: error: 'logo' names the file 'missing\.svg'", t) for t in texts), texts
