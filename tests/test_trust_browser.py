"""In Chromium: the new pages in every interface language pass axe (content pages, a course past its deadline, a
course after its run), the script's result cards (h3 titles, "Applications closed"), and forced colours."""
from __future__ import annotations

import datetime as dt

import pytest

from generator.engine.build import build

from .conftest import ROOT
from .test_browser import axe_violations
from .test_languages import LANGUAGES
from .test_pages import PAGES
from .test_search import shown_urls, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LATER = dt.date(2027, 2, 10)  # some of the sample's courses are closed on that day, and some have ended


@pytest.fixture(scope="module")
def dated_build(tmp_path_factory):
    """The sample catalogue as on LATER."""
    out = tmp_path_factory.mktemp("dated") / "output"
    result = build(ROOT, out, today=LATER, use_cache=False)
    closed = next(c for c in result.catalogue.listed if c.passed == "deadline")
    ended = next(c for c in result.catalogue.courses if c.ended)
    return out, closed, ended


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_new_pages_pass_axe_in_every_language(sample_build, dated_build, serve, page, language):
    """Every content page (the sample translates each into every language) and a course after its run in each
    language; a course past its deadline in English and in Czech (the course pages of one kind differ only in
    the theme's words)."""
    out, _ = sample_build
    dated, closed, ended = dated_build
    base, later = serve(out), serve(dated)
    prefix = "" if language == "en" else f"{language}/"
    addresses = [f"{base}{prefix}{slug}/" for slug in PAGES] + [f"{later}{prefix}{ended.url}"]
    if language in ("en", "cs"):
        addresses.append(f"{later}{prefix}{closed.url}")
    for address in addresses:
        page.goto(address)
        assert page.evaluate("document.documentElement.lang") == language
        assert axe_violations(page) == [], address
    page.goto(f"{later}{prefix}{ended.url}")
    assert page.locator(".notice").count() == 1 and page.locator("a.button").count() == 0  # no Apply button
    assert page.external_requests == [] and page.console_errors == []


def test_a_course_past_its_deadline_has_no_apply_button(dated_build, serve, page):
    out, closed, _ = dated_build
    page.goto(serve(out) + closed.url)
    assert page.locator(".badge--closed").inner_text() == "Applications closed"
    assert page.locator("a.button").count() == 0 and page.get_by_text("Apply by").count() == 0


def test_the_scripts_cards_have_h3_titles_and_say_applications_closed(dated_build, serve, page):
    out, closed, ended = dated_build
    base = serve(out)
    for prefix, words in (("", "Applications closed"), ("cs/", "Přihlášky uzavřeny")):
        page.goto(f"{base}{prefix}?mode={closed.mode}")
        wait_ready(page)
        page.wait_for_function("() => document.querySelector('[data-catalogue]').dataset.shown")
        urls = shown_urls(page)
        assert f"/{prefix}{closed.url}" in urls and f"/{prefix}{ended.url}" not in urls
        card = page.locator("[data-results] > li", has=page.locator(f'a[href="/{prefix}{closed.url}"]'))
        assert card.locator("h3.card__title").count() == 1 and card.locator(".badge--closed").inner_text() == words
        assert page.locator("[data-results] h2").count() == 0
        assert axe_violations(page) == []
    assert page.console_errors == []


def test_forced_colours_keep_the_current_page_and_the_badges_shape(dated_build, serve, browser):
    out, closed, _ = dated_build
    base = serve(out)
    for forced in ("none", "active"):
        context = browser.new_context(forced_colors=forced)
        page = context.new_page()
        page.goto(base + "page/2/")
        links = page.eval_on_selector_all(".pagination a", """els => els.map(e => {
            const s = getComputedStyle(e);
            return [e.getAttribute('aria-current'), s.backgroundColor, s.color];
        })""")
        current = [style for style in links if style[0] == "page"]
        others = [style for style in links if style[0] is None]
        assert len(current) == 1 and others
        assert all(current[0][1:] != style[1:] for style in others), (forced, links)  # told apart by its colours
        page.goto(base + closed.url)
        badge = page.eval_on_selector(".badge", """e => {
            const s = getComputedStyle(e);
            return [s.borderTopStyle, parseFloat(s.borderTopWidth), s.borderTopColor, s.backgroundColor];
        }""")
        if forced == "active":
            assert badge[0] == "solid" and badge[1] >= 1, badge  # its shape, drawn by a border
            assert page.evaluate("matchMedia('(forced-colors: active)').matches")
        context.close()
