"""The built site in headless Chromium: accessibility (axe-core), keyboard, phones, no JavaScript, sub-paths."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def axe_source() -> str:
    """axe-core, as shipped inside the axe-playwright-python package."""
    import axe_playwright_python
    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page) -> list[str]:
    page.add_script_tag(content=axe_source())
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


def first_course_url(out: Path) -> str:
    return next(p for p in sorted((out / "courses").glob("*/*/index.html"))).parent.relative_to(out).as_posix() + "/"


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 740}],
                         ids=["desktop", "phone"])
def test_axe_finds_no_violations(sample_build, serve, page, viewport):
    out, result = sample_build
    base = serve(out)
    page.set_viewport_size(viewport)
    archived = next(c for c in result.catalogue.courses if not c.listed)
    paths = ["", "page/2/", first_course_url(out), archived.url, "institutions/",
             f"institutions/{result.catalogue.institutions[0].id}/", "no-such-page/"]
    for path in paths:
        page.goto(base + path)
        assert axe_violations(page) == [], path
    assert page.external_requests == []


def test_dark_colour_scheme_passes_axe_too(sample_build, serve, browser):
    out, _ = sample_build
    base = serve(out)
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    for path in ["", first_course_url(out)]:
        page.goto(base + path)
        assert axe_violations(page) == [], path
    context.close()


def test_no_horizontal_scrolling_on_a_phone(sample_build, serve, page):
    out, result = sample_build
    base = serve(out)
    page.set_viewport_size({"width": 320, "height": 640})
    longest = max(result.catalogue.courses, key=lambda c: len(c.body_html))
    for path in ["", longest.url, "institutions/"]:
        page.goto(base + path)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)


NAV_BOXES = """() => {
  const nav = document.querySelector('.site-header nav'), box = nav.getBoundingClientRect();
  const current = document.querySelector('.site-nav [aria-current=page], .site-nav .site-nav__section');
  const focused = document.activeElement.closest('.site-nav') ? document.activeElement : null;
  const inside = (el) => { const r = el.getBoundingClientRect(); return r.left >= box.left - 1 && r.right <= box.right + 1; };
  return {lines: new Set([...document.querySelectorAll('.site-nav li')].map((li) => Math.round(li.getBoundingClientRect().top))).size,
          header: document.querySelector('.site-header').getBoundingClientRect().height,
          scrolls: nav.scrollWidth > nav.clientWidth, current: current ? inside(current) : null,
          focused: focused ? inside(focused) : null, pageScrolled: window.scrollY};
}"""


def test_on_a_phone_the_sections_take_one_line_with_the_current_one_in_view(sample_build, serve, page):
    out, _ = sample_build
    base = serve(out)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ["bg/shortlist/", "hu/calendar/", "lt/institutions/", "cs/"]:  # long words; the last section
        page.goto(base + path)
        boxes = page.evaluate(NAV_BOXES)
        assert boxes["lines"] == 1 and boxes["header"] < 130 and boxes["scrolls"], (path, boxes)
        assert boxes["current"] is True and boxes["pageScrolled"] == 0, (path, boxes)
    page.goto(base + "bg/")
    page.focus(".site-nav li:last-child a")  # a keyboard user reaching the last section sees it
    assert page.evaluate(NAV_BOXES)["focused"] is True
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "bg/shortlist/")
    assert page.evaluate(NAV_BOXES)["scrolls"] is False


def test_every_listed_course_is_reachable_without_javascript(sample_build, serve, browser):
    out, result = sample_build
    base = serve(out)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base)
    seen: set[str] = set()
    pages = 0
    while True:
        pages += 1
        seen.update(page.eval_on_selector_all(".cards .card__title a", "els => els.map(e => e.getAttribute('href'))"))
        following = page.locator("a[rel=next]")
        if following.count() == 0:
            break
        following.first.click()
    assert pages == -(-len(result.catalogue.listed) // result.catalogue.config.page_size)
    assert seen == {"/" + c.url for c in result.catalogue.listed}
    page.goto(base + next(iter(sorted(seen))).lstrip("/"))
    assert page.locator("h1").count() == 1
    context.close()


def test_keyboard_skip_link_and_visible_focus(sample_build, serve, page):
    out, _ = sample_build
    page.goto(serve(out))
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.textContent, document.activeElement.getBoundingClientRect().left]")
    assert focused[0] == "Skip to content" and focused[1] >= 0  # it shows itself when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"
    page.keyboard.press("Tab")
    style = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")
    assert style == "solid"


def test_site_works_under_a_sub_path(basic_build, serve, page, tmp_path):
    from generator.engine.build import build
    from .conftest import SITES
    out = tmp_path / "out"
    build(SITES / "basic", out, base_url="https://example.org/catalogue/")
    base = serve(out, prefix="/catalogue/")
    page.goto(base)
    assert page.evaluate("() => getComputedStyle(document.querySelector('.site-header')).backgroundColor") != \
        "rgba(0, 0, 0, 0)"  # the stylesheet loaded from under the sub-path
    page.get_by_role("link", name="Data Stewardship in the Life Sciences").click()
    assert page.url == base + "courses/alpha-institute/data-stewardship/"
    page.get_by_role("link", name="Alpha Institute of Molecular Biology").first.click()
    assert page.url == base + "institutions/alpha-institute/"
    assert page.locator("img.institution__logo").evaluate("img => img.naturalWidth") > 0
    page.get_by_role("link", name="Institutions").click()
    page.get_by_role("link", name="Courses", exact=True).click()
    assert page.url == base
    assert page.external_requests == [] and page.console_errors == []
    response = page.goto(base + "missing/")
    assert response.status == 404 and page.locator("h1").inner_text() == "Page not found"
    page.get_by_role("link", name="Browse all courses").click()
    assert page.url == base and page.external_requests == []
