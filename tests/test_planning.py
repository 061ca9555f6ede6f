"""The shortlist, the comparison, pathways, the calendar and following a search, in headless Chromium, on the
sample catalogue built for a sub-path (`--base-url http://127.0.0.1:PORT/sub/path/`) and served there."""
from __future__ import annotations

import functools
import http.server
import re
import threading
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import pytest

from generator.content.pathways import pathways
from generator.engine.build import build

from .conftest import ROOT, _Handler
from .test_browser import axe_violations
from .test_languages import LANGUAGES
from .test_pathways import content_courses, facet_values

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PREFIX = "/sub/path/"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The sample catalogue built for, and served at, http://127.0.0.1:PORT/sub/path/ (the port chosen first)."""
    out = tmp_path_factory.mktemp("sub-path") / "output"
    out.mkdir()
    handler = type("Handler", (_Handler,), {"prefix": PREFIX, "extra_headers": None})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(out)))
    base = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    result = build(ROOT, out, base_url=base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base, out, result.catalogue
    server.shutdown()
    server.server_close()


@pytest.fixture
def context(browser):
    """A fresh browser context (its own storage) whose pages fail the test on a console error or another host."""
    made = browser.new_context(accept_downloads=True)
    made.set_default_timeout(10_000)
    made.problems = []
    made.on("console", lambda m: made.problems.append(m.text) if m.type == "error" else None)
    made.on("request", lambda r: made.problems.append(r.url) if not r.url.startswith(
        ("http://127.0.0.1", "blob:", "data:", "about:")) else None)
    yield made
    assert made.problems == []
    made.close()


def ready(page, selector: str) -> None:
    page.wait_for_selector(f"{selector}[data-ready=true]", state="attached")


def shown_titles(page) -> list[str]:
    return page.eval_on_selector_all("[data-list] .card__title a", "links => links.map(a => a.textContent)")


def test_three_saved_courses_survive_a_reload_and_open_from_the_shared_link_elsewhere(site, context, browser):
    base, _, catalogue = site
    page = context.new_page()
    page.goto(base)
    toggles = page.locator("article.card [data-save-toggle]")
    toggles.first.wait_for()
    saved = [toggles.nth(i).get_attribute("data-save-toggle") for i in (0, 3, 5)]
    for i in (0, 3, 5):
        toggles.nth(i).click()
    page.reload()
    page.locator("article.card [data-save-toggle]").first.wait_for()
    pressed = page.eval_on_selector_all("article.card [data-save-toggle][aria-pressed=true]",
                                        "buttons => buttons.map(b => b.dataset.saveToggle)")
    assert pressed == saved
    assert page.locator("[data-shortlist-count]").inner_text().strip() == "(3)"
    page.get_by_role("link", name=re.compile("^Shortlist")).click()
    ready(page, "[data-shortlist]")
    by_id = {c.id: c for c in catalogue.listed}
    titles = [by_id[i].title for i in saved]
    assert shown_titles(page) == titles
    credits = sum(by_id[i].credits for i in saved)
    assert page.locator("[data-total=credits]").inner_text() == f"{credits:g} ECTS credits"
    link = page.locator("[data-share]").input_value()
    assert link.startswith(base + "shortlist/?c=") and link.split("=", 1)[1].split(",") == saved

    elsewhere = browser.new_context()
    other = elsewhere.new_page()
    other.goto(link)
    ready(other, "[data-shortlist]")
    assert shown_titles(other) == titles
    assert other.locator("[data-shared]").is_visible()  # not saved there until the visitor says so
    other.get_by_role("button", name="Save these courses to your shortlist").click()
    assert other.locator("[data-shortlist-count]").inner_text().strip() == "(3)"
    elsewhere.close()


def test_the_shortlists_totals_calendar_and_print_view(site, context):
    base, out, catalogue = site
    chosen = [c for c in catalogue.listed if c.fee and c.start_date][:3]
    page = context.new_page()
    page.goto(base + "shortlist/?c=" + ",".join(c.id for c in chosen) + ",no-such/course")
    ready(page, "[data-shortlist]")
    assert "no longer in the catalogue" in page.locator("[data-gone]").inner_text()
    fees = page.locator("[data-total=fees]").inner_text()
    for currency in {c.currency for c in chosen}:
        total = sum(c.fee for c in chosen if c.currency == currency)
        assert f"{total:,.0f}" in fees, (currency, fees)
    # the .ics download, made in the browser from the courses' own calendars
    with page.expect_download() as made:
        page.locator("[data-ics]").click()
    data = Path(made.value.path()).read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n")) and b"\n" not in data.replace(b"\r\n", b"")
    calendar = icalendar.Calendar.from_ical(data)
    uids = sorted(str(e["UID"]) for e in calendar.walk("VEVENT"))
    expected = sorted(str(e["UID"]) for c in chosen for e in icalendar.Calendar.from_ical(
        (out / c.url / "calendar.ics").read_bytes()).walk("VEVENT"))
    assert uids == expected and len(uids) == len(set(uids))
    assert {str(e["DTSTAMP"].dt) for e in calendar.walk("VEVENT")} <= {
        str(c.updated or c.start_date) + " 00:00:00+00:00" for c in chosen}
    page.emulate_media(media="print")
    assert not page.locator("[data-actions]").is_visible() and not page.locator(".save-toggle").first.is_visible()
    assert page.locator("[data-list]").is_visible()


@pytest.mark.parametrize("language, words", [("cs", "kreditu ECTS"), ("pl", "punktu ECTS"), ("lt", "ECTS kredito"),
                                             ("sl", "kreditne točke ECTS"), ("en", "ECTS credits")])
def test_a_shortlists_credits_with_a_fraction_take_the_languages_form_for_decimals(site, context, language, words):
    """gettext counts whole numbers only: the page gives the script the words for a number with a fraction too."""
    base, _, catalogue = site
    half = next(c for c in catalogue.listed if not float(c.credits).is_integer())
    whole = next(c for c in catalogue.listed if float(c.credits).is_integer())
    total = half.credits + whole.credits
    page = context.new_page()
    prefix = "" if language == "en" else f"{language}/"
    page.goto(f"{base}{prefix}shortlist/?c={half.id},{whole.id}")
    ready(page, "[data-shortlist]")
    shown = page.locator("[data-total=credits]").inner_text()
    number = f"{total:g}" if language == "en" else f"{total:g}".replace(".", ",")
    assert shown == f"{number} {words}", shown


def test_comparing_two_courses_shows_every_fact_and_marks_the_differences(site, context):
    base, _, catalogue = site
    files = content_courses()
    a, b = [c for c in catalogue.listed if c.stackability and c.supervision and c.application_deadline][:2]
    page = context.new_page()
    page.goto(f"{base}compare/?c={a.id},{b.id}")
    ready(page, "[data-compare]")
    table = page.locator("table.compare")
    assert table.locator("caption").inner_text() == "Comparison of 2 courses"
    assert table.locator("thead th[scope=col]").all_inner_texts() == [a.title, b.title]
    rows = {row.get_attribute("data-fact"): row for row in table.locator("tbody tr").all()}
    assert list(rows) == ["institution", "credits", "workload", "level", "admission", "mode", "language", "start",
                          "end", "deadline", "fee", "assessment", "supervision", "stackability", "europass"]
    assert all(row.locator("th[scope=row]").count() == 1 for row in rows.values())
    labels = {"admission": {"master": "Master's degree", "bachelor": "Bachelor's degree", "doctorate": "Doctorate",
                            "secondary": "Secondary education", "none": "No formal education required"},
              "mode": {"online": "Online", "on-site": "On site", "blended": "Blended"}}
    for column, course in enumerate((a, b)):
        fields = files[course.id]
        cells = {key: row.locator("td").nth(column).inner_text() for key, row in rows.items()}
        assert cells["credits"].startswith(f"{float(fields['credits']):g} ECTS")
        assert cells["level"] == f"EQF {fields['eqf_level']}"
        assert cells["admission"] == labels["admission"][fields["admission"]]
        assert cells["mode"] == labels["mode"][fields["mode"]]
        assert cells["assessment"] == " ".join(fields["assessment"].split())
        assert fields["start_date"].strftime("%B %Y") in cells["start"]
        assert fields["application_deadline"].strftime("%B %Y") in cells["deadline"]
        assert cells["stackability"].startswith(fields["stackability"].capitalize())
        assert cells["europass"] == {True: "Yes", False: "No", None: "Not stated"}[fields.get("europass")]
    for key, row in rows.items():
        values = row.locator("td").all_inner_texts()
        differs = row.locator(".differs-mark").count() == 1
        assert differs == (len(set(values)) > 1), key  # marked in words, not by colour alone
    page.set_viewport_size({"width": 375, "height": 740})
    assert page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth") <= 0
    box = page.locator("[data-table-box]")
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the courses scroll sideways, in their box
    assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"


def test_a_pathway_page_totals_its_credits_and_lists_its_courses_by_start(site, context):
    base, _, catalogue = site
    files = content_courses()
    page = context.new_page()
    page.goto(base + "pathways/")
    for pathway in pathways(catalogue.listed):
        page.goto(base + "pathways/")
        page.get_by_role("link", name=pathway.award).click()
        assert page.url == base + pathway.url
        total = sum(float(files[c.id]["credits"]) for c in pathway.courses)
        assert page.locator("[data-pathway-credits]").inner_text() == f"{total:g} ECTS credit" + ("" if total == 1 else "s")
        titles = page.locator(".pathway-courses .card__title a").all_inner_texts()
        starts = [files[c.id].get("start_date") for c in pathway.courses]
        assert titles == [c.title for c in pathway.courses] and [s for s in starts if s] == sorted(s for s in starts if s)
    course = next(c for p in pathways(catalogue.listed) if len(p.courses) > 1 for c in p.courses)
    page.goto(base + course.url)
    page.locator(".course__pathway a").click()
    assert page.url.startswith(base + "pathways/")


def test_a_followed_search_gives_exactly_the_courses_the_view_shows(site, context):
    base, _, catalogue = site
    files = content_courses()
    view = {"level": "7", "mode": "online"}
    expected = sorted(i for i, f in files.items() if all(value in facet_values(f)[key] for key, value in view.items()))
    page = context.new_page()
    page.goto(base + "?level=7&mode=online")
    page.wait_for_selector("[data-catalogue][data-ready=true]", state="attached")
    shown = page.locator("[data-results] .card__title a").evaluate_all("links => links.map(a => a.pathname)")
    assert sorted(shown) == [f"{PREFIX}courses/{i}/" for i in expected]
    page.get_by_role("link", name="Follow this search: feeds and calendars").click()
    ready(page, "[data-follow-page]")
    assert page.locator("[data-view-count]").inner_text() == f"{len(expected)} courses match."
    with page.expect_download() as made:
        page.locator("[data-download-atom]").click()
    feed = ET.parse(made.value.path()).getroot()
    entries = feed.findall(f"{ATOM}entry")
    links = sorted(urlsplit(e.find(f"{ATOM}link[@rel='alternate']").get("href")).path for e in entries)
    assert links == [f"{PREFIX}courses/{i}/" for i in expected]
    with page.expect_download() as made:
        page.locator("[data-download-ics]").click()
    calendar = icalendar.Calendar.from_ical(Path(made.value.path()).read_bytes())
    owners = {str(e["UID"]).split("@")[0].rsplit(".", 1)[0].replace(".", "/", 1) for e in calendar.walk("VEVENT")}
    assert owners == {i for i in expected if files[i].get("start_date") or files[i].get("application_deadline")}
    with page.expect_download() as made:
        page.locator("[data-download-opml]").click()
    outlines = ET.parse(made.value.path()).getroot().findall(".//outline[@xmlUrl]")
    assert sorted(urlsplit(o.get("xmlUrl")).path for o in outlines) == [
        f"{PREFIX}feeds/level/7.xml", f"{PREFIX}feeds/mode/online.xml"]
    # one filter: a feed to subscribe to, with exactly the courses of that view
    page.goto(base + "feeds/?level=7")
    ready(page, "[data-follow-page]")
    href = page.locator("[data-subscribe-atom]").get_attribute("href")
    text = page.evaluate("url => fetch(url).then(r => r.text())", href)
    pages = sorted(urlsplit(e.find(f"{ATOM}link[@rel='alternate']").get("href")).path
                   for e in ET.fromstring(text).findall(f"{ATOM}entry"))
    assert pages == sorted(f"{PREFIX}courses/{i}/" for i, f in files.items() if str(f["eqf_level"]) == "7")


def test_the_calendar_filters_like_the_home_page_and_lists_without_javascript(site, context, browser):
    base, _, catalogue = site
    page = context.new_page()
    page.goto(base + "calendar/")
    ready(page, "[data-calendar]")
    every = page.locator("li[data-course]").count()
    page.locator("details.facet").filter(has=page.locator("legend", has_text="Mode")).locator("summary").click()
    page.get_by_label("Online").check()
    assert page.url.endswith("calendar/?mode=online")
    page.wait_for_selector('[data-calendar][data-shown="mode=online"]', state="attached")  # the list filtered
    online = {c.id for c in catalogue.listed if c.mode == "online"}
    visible = page.eval_on_selector_all("li[data-course]:not([hidden])", "items => items.map(i => i.dataset.course)")
    assert visible and set(visible) <= online and len(visible) < every
    assert page.locator("[data-status]").inner_text() == f"{len(visible)} dates."
    assert page.locator("[data-follow-link]").get_attribute("href").endswith("feeds/?mode=online")
    plain = browser.new_context(java_script_enabled=False).new_page()
    plain.goto(base + "calendar/")
    assert plain.locator("li[data-course]").count() == every and not plain.locator("[data-filters]").is_visible()
    plain.goto(base + "shortlist/")
    assert plain.locator("[data-needs-script]").is_visible() and not plain.locator("[data-shortlist]").is_visible()
    plain.goto(base)
    assert plain.locator("[data-save-toggle]").count() == 0
    plain.context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_planning_page_passes_axe_in_each_language(site, context, language):
    base, _, catalogue = site
    prefix = "" if language == "en" else f"{language}/"
    page = context.new_page()
    ids = [c.id for c in catalogue.listed if c.start_date][:3]
    page.goto(base + prefix + "shortlist/")
    page.evaluate("([key, ids]) => localStorage.setItem(key, JSON.stringify(ids))",
                  [f"catalogue-shortlist:{PREFIX}", ids])
    pathway = pathways(catalogue.listed)[0]
    for path, selector in (("pathways/", None), (pathway.url, None), ("calendar/?level=7", "[data-calendar]"),
                           ("shortlist/", "[data-shortlist]"), (f"compare/?c={ids[0]},{ids[1]}", "[data-compare]"),
                           ("feeds/?level=7&mode=online", "[data-follow-page]")):
        page.goto(base + prefix + path)
        if selector:
            ready(page, selector)
        assert page.evaluate("document.documentElement.lang") == language
        assert axe_violations(page) == [], (language, path)
