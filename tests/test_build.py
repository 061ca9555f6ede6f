"""Whole builds of fixture sites and of the sample catalogue: pages, links, data files, determinism."""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

from generator.engine.build import build
from generator.diagnostics import ContentError

from .conftest import COURSE, ROOT, SITES, copy_site


class Links(HTMLParser):
    """Collects every href/src and every element's attributes, to check links and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        for name in ("href", "src"):
            if attrs.get(name):
                self.urls.append(attrs[name])


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_basic_site_pages(basic_build):
    out, result = basic_build
    assert result.diagnostics == ()
    expected = {
        "index.html", "page/2/index.html", "404.html", "sitemap.xml", "robots.txt", "courses.json",
        "courses/alpha-institute/data-stewardship/index.html", "courses/alpha-institute/kurz-biostatistiky/index.html",
        "courses/beta-centre/good-clinical-practice/index.html", "courses/beta-centre/old-workshop/index.html",
        "institutions/index.html", "institutions/alpha-institute/index.html", "institutions/beta-centre/index.html",
        "institutions/alpha-institute/alpha-institute.svg", ".catalogue-output",
    }
    files = set(tree(out))
    assert expected <= files
    assert {f for f in files if f.startswith("assets/")} and all(
        re.search(r"\.[0-9a-f]{10}\.\w+(\.map)?$", f) for f in files if f.startswith("assets/"))


def test_course_page_shows_every_field_in_words(basic_build):
    out, _ = basic_build
    html = (out / "courses/alpha-institute/data-stewardship/index.html").read_text()
    for words in ["Data Stewardship in the Life Sciences", "EQF level 8 (doctoral level)", "2 ECTS credits", "55 hours",
                  "Free", "Doctoral candidates, Research managers", "Online", "English", "Master&#39;s degree",
                  "Write a data management plan for a funded project.", "A data management plan, reviewed by a data steward.",
                  "Approved by the institute&#39;s doctoral board.", "Research Data Management, Open Science",
                  "Biology (ISCED-F 0511)", "1–26 March 2027", "15 February 2027", "Supervised assessment",
                  "Stackable", "The institute&#39;s certificate in research management", "Europass digital credential",
                  "courses@alpha.example.org", "1 November 2026", "Alpha Institute of Molecular Biology", "Czechia",
                  'href="https://alpha.example.org/apply/data-stewardship"']:
        assert words in html, words
    assert "<table>" in html and "<strong>FAIR data</strong>" in html
    assert 'rel="noopener noreferrer"' in html
    # the description's own "## About the course" would repeat the heading the page shows above it
    assert re.findall(r"<h\d[^>]*>About the course</h\d>", html) == ['<h2 id="about">About the course</h2>']


def test_human_words_for_ranges_and_fees(basic_build):
    out, _ = basic_build
    cs = (out / "courses/alpha-institute/kurz-biostatistiky/index.html").read_text()
    assert "2.5 ECTS credits" in cs and "62.5–75 hours" in cs
    assert "3,500 CZK" in cs and "Czech, English" in cs and "Upcoming" in cs
    assert '<div class="prose" lang="cs">' in cs and '<h1 lang="cs">' in cs
    gcp = (out / "courses/beta-centre/good-clinical-practice/index.html").read_text()
    assert "1 ECTS credit" in gcp and "25–30 hours" in gcp and "€450" in gcp and "20–21 January 2027" in gcp
    assert "<h3>Programme</h3>" in gcp and gcp.count("<h1") == 1  # body headings sit below the page's


def test_pagination_links_the_first_last_and_nearby_pages_and_reaches_every_page(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    for i in range(17):
        (site / f"content/courses/beta-centre/extra-{i:02}.md").write_text(COURSE.replace("A Test Course", f"Extra {i:02}"))
    out = tmp_path / "out"
    build(site, out)  # 20 listed courses, 2 a page (tests/sites/basic/site.yaml): 10 pages

    def numbers(path: str) -> list[str]:
        nav = re.search(r'<nav class="pagination".*?</nav>', (out / path).read_text(), re.S).group()
        return [m.group(1) or m.group(2) for m in
                re.finditer(r'</span>(\d+)</a>|<span class="pagination__gap">(…)</span>', nav)]
    assert numbers("page/5/index.html") == ["1", "…", "3", "4", "5", "6", "7", "…", "10"]
    assert numbers("index.html") == ["1", "2", "3", "…", "10"]
    assert numbers("page/10/index.html") == ["1", "…", "8", "9", "10"]
    assert '/page/5/"' in re.search(r'<link rel="canonical"[^>]*>', (out / "page/5/index.html").read_text()).group()
    # following the links from the first page reaches every page, and so every course, without JavaScript
    seen, todo = set(), ["index.html"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += [f"page/{n}/index.html" for n in re.findall(r'href="/page/(\d+)/"', (out / path).read_text())]
        todo += ["index.html"] if 'href="/"' in (out / path).read_text() else []
    assert seen == {"index.html", *(f"page/{n}/index.html" for n in range(2, 11))}


def test_archived_course_has_a_page_but_is_not_listed(basic_build):
    out, _ = basic_build
    page = (out / "courses/beta-centre/old-workshop/index.html").read_text()
    assert "no longer offered" in page and 'name="robots" content="noindex"' in page
    listing = (out / "index.html").read_text() + (out / "page/2/index.html").read_text()
    assert "old-workshop" not in listing
    assert "old-workshop" not in (out / "sitemap.xml").read_text()
    assert "old-workshop" not in (out / "institutions/beta-centre/index.html").read_text()
    assert all(c["id"] != "beta-centre/old-workshop" for c in json.loads((out / "courses.json").read_text())["courses"])


def test_listing_is_paginated_and_complete_without_javascript(basic_build):
    out, _ = basic_build
    first, second = (out / "index.html").read_text(), (out / "page/2/index.html").read_text()
    assert "3 courses, showing 1–2" in first and 'href="/page/2/"' in first and 'rel="next"' in second[:0] + first
    assert "3 courses, showing 3–3" in second and 'rel="prev"' in second
    ids = re.findall(r'href="/courses/([^"]+)/"', first + second)
    assert sorted(set(ids)) == ["alpha-institute/data-stewardship", "alpha-institute/kurz-biostatistiky",
                                "beta-centre/good-clinical-practice"]
    assert not re.search(r"<script(?![^>]*\bsrc=)", first + second)  # no inline script, for a strict CSP


def test_courses_json_matches_the_content_files(basic_build):
    out, _ = basic_build
    data = json.loads((out / "courses.json").read_text())
    assert data["count"] == 3 and len(data["courses"]) == 3
    by_id = {c["id"]: c for c in data["courses"]}
    for course_id, record in by_id.items():
        text = (SITES / "basic/content/courses" / f"{course_id}.md").read_text()
        front = yaml.safe_load(text.split("---\n")[1])
        for key, value in front.items():
            if key in ("language", "audience") and isinstance(value, str):
                value = [value]
            if isinstance(value, list):
                assert record[key] == value, key
            elif hasattr(value, "isoformat"):
                assert record[key] == value.isoformat(), key
            else:
                assert record[key] == value, key
        assert record["url"] == f"https://courses.example.org/courses/{course_id}/"
    assert by_id["alpha-institute/kurz-biostatistiky"]["language"] == ["cs", "en"]
    assert by_id["alpha-institute/kurz-biostatistiky"]["audience"] == ["recent-graduates"]
    assert by_id["beta-centre/good-clinical-practice"]["currency"] == "EUR"


def test_sitemap_and_robots(basic_build):
    out, _ = basic_build
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ET.parse(out / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    assert "https://courses.example.org/" in locs and len(locs) == len(set(locs)) == 11
    # the calendar, the pathways' index and each pathway; not the shortlist, the comparison or the feeds' page,
    # which show what a visitor chose
    assert {"https://courses.example.org/calendar/", "https://courses.example.org/pathways/",
            "https://courses.example.org/pathways/the-institute-s-certificate-in-research-management/"} <= set(locs)
    assert not [loc for loc in locs if loc.endswith(("/shortlist/", "/compare/", "/feeds/"))]
    assert "Sitemap: https://courses.example.org/sitemap.xml" in (out / "robots.txt").read_text()


def test_every_internal_link_resolves(basic_build):
    out, _ = basic_build
    for page in html_files(out):
        address = "/" + page.relative_to(out).as_posix()
        for url in parse(page).urls:
            if url.startswith(("https://", "mailto:", "#")):
                continue
            # the site's own links start with its base path; a description's links to other courses are relative
            assert url.startswith("/") or url.startswith("../../") and "/courses/" in address, (page, url)
            target = out / urljoin(address, url).lstrip("/").split("#")[0]
            assert target.is_file() or (target / "index.html").is_file(), (page, url)


def test_a_description_links_other_courses_by_their_files(basic_build):
    out, _ = basic_build
    html = (out / "courses/alpha-institute/data-stewardship/index.html").read_text()
    assert '<a href="../../alpha-institute/kurz-biostatistiky/" rel="noopener noreferrer">the biostatistics course</a>' in html
    assert '<a href="../../beta-centre/old-workshop/#about" rel="noopener noreferrer">an earlier workshop</a>' in html


def test_no_request_to_another_host(basic_build):
    out, _ = basic_build
    for page in html_files(out):
        for tag, attrs in parse(page).tags:
            if tag == "script" and attrs.get("type") == "application/ld+json":
                continue  # a data block: nothing is loaded
            if tag in ("link", "img", "script", "iframe", "source", "video", "audio") and attrs.get("rel") != "canonical":
                url = attrs.get("href") or attrs.get("src") or ""
                assert url.startswith("/"), (page, tag, url)


def test_sub_path_base_url(tmp_path):
    out = tmp_path / "out"
    build(SITES / "basic", out, base_url="https://example.org/catalogue")
    for page in html_files(out):
        address = "/catalogue/" + page.relative_to(out).as_posix()
        for url in parse(page).urls:
            if not url.startswith(("https://", "mailto:", "#")):
                assert urljoin(address, url).startswith("/catalogue/"), (page, url)
    assert '<link rel="canonical" href="https://example.org/catalogue/">' in (out / "index.html").read_text()
    assert "https://example.org/catalogue/courses/" in (out / "sitemap.xml").read_text()
    assert 'href="/catalogue/"' in (out / "404.html").read_text()


def test_same_input_builds_byte_identical_output(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    first, second = tmp_path / "one", tmp_path / "two"
    build(site, first)
    (site / "content/courses/alpha-institute/data-stewardship.md").touch()
    build(site, second)
    # every file, Pagefind's index included: with no Pagefind filters on the pages, its output is stable too
    # (Pagefind 1.5 writes filter indexes differently from run to run: upstream Pagefind/pagefind#638)
    assert tree(first) == tree(second)
    assert {path for path in tree(first) if path.startswith("pagefind/")} >= {"pagefind/pagefind-entry.json"}


def test_failed_build_leaves_previous_output_unchanged(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    out = tmp_path / "out"
    build(site, out)
    before = tree(out)
    path = site / "content/courses/beta-centre/good-clinical-practice.md"
    path.write_text(path.read_text().replace("credits: 1", "credits: lots"))
    with pytest.raises(ContentError) as err:
        build(site, out)
    assert any("'credits' must be a number" in d.message for d in err.value.diagnostics)
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]  # no staging folders left behind


def test_markdown_bodies_cannot_run_script(make_site, tmp_path):
    hostile = COURSE.replace("The course body.", """\
<script>alert(1)</script>
<img src=x onerror="alert(2)">
<a href="javascript:alert(3)">click</a> <a href="JaVaScRiPt:alert(4)">x</a>
[md link](javascript:alert(5)) <iframe src="https://evil.example"></iframe>
<div onclick="alert(6)" style="background:url(x)">styled</div>
<svg><script>alert(7)</script></svg> <form action="https://evil.example"><input></form>
""").replace("title: A Test Course", 'title: "</title><script>alert(8)</script>"')
    site = make_site({"content/courses/test-institute/test-course.md": hostile})
    # the <img> is reported as an image; without it the rest must build and be harmless
    with pytest.raises(ContentError):
        build(site, tmp_path / "out")
    path = site / "content/courses/test-institute/test-course.md"
    path.write_text(path.read_text().replace('<img src=x onerror="alert(2)">', ""))
    build(site, tmp_path / "out")
    html = (tmp_path / "out/courses/test-institute/test-course/index.html").read_text()
    # the one script element is the schema.org data block (not executable; its text never holds a "<")
    data_block = re.search(r'<script type="application/ld\+json">([^<]*)</script>', html)
    assert data_block and "alert(8)" in data_block.group(1)
    # the theme's own module scripts (the shortlist's toggle is on every page) are no content
    theme_scripts = re.compile(r'<script type="module" src="/assets/js/[a-z]+\.[0-9a-f]{10}\.js"></script>')
    lowered = theme_scripts.sub("", html.replace(data_block.group(0), "")).lower()
    assert "<script" not in lowered and "javascript:" not in lowered and "<iframe" not in lowered
    assert "onclick" not in lowered and "onerror" not in lowered and "<form" not in lowered and "style=" not in lowered
    assert "&lt;/title&gt;&lt;script&gt;alert(8)&lt;/script&gt;" in html


def theme_problems(make_site, tmp_path, chdir_to, templates: dict[str, str], files: dict | None = None) -> list:
    """The problems of a build with a theme `broken` made of `templates` (over the default theme's)."""
    site = make_site({**{f"themes/broken/templates/{name}": text for name, text in templates.items()},
                      "site.yaml": "theme: broken\n", **(files or {})})
    chdir_to(site)
    with pytest.raises(ContentError) as err:
        build(site, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    return list(err.value.diagnostics)


def test_template_error_is_reported_at_its_line(make_site, tmp_path, chdir_to):
    problems = theme_problems(make_site, tmp_path, chdir_to, {"base.html": "<p>\n{{ site.titel }}\n</p>\n",
                                                              "index.html": "{% extends 'base.html' %}"})
    assert [(d.path, d.line) for d in problems][0] == ("themes/broken/templates/base.html", 2)
    assert "titel" in problems[0].message


def test_an_error_in_the_calendars_month_template_is_reported_at_its_line(make_site, tmp_path, chdir_to):
    # (the months are made before the pages, to be kept between builds: the error is still the template's)
    problems = theme_problems(make_site, tmp_path, chdir_to,
                              {"_calendar_month.html": "<section>\n{{ month.no_such() }}\n</section>\n"})
    assert {(d.path, d.line) for d in problems} == {("themes/broken/templates/_calendar_month.html", 2)}


def test_an_error_in_the_calendars_date_template_is_reported_at_its_line(make_site, tmp_path, chdir_to):
    import datetime as dt
    from .conftest import COURSE
    soon = dt.date.today() + dt.timedelta(days=40)  # (a date on the calendar of the build's day)
    dated = COURSE.replace("mode: online\n", f"mode: online\nstart_date: {soon.isoformat()}\n")
    problems = theme_problems(make_site, tmp_path, chdir_to, {"_calendar_date.html": (
        "{% macro calendar_date(entry, institution) %}\n{{ entry.no_such() }}\n{% endmacro %}\n")},
        {"content/courses/test-institute/test-course.md": dated})
    assert {(d.path, d.line) for d in problems} == {("themes/broken/templates/_calendar_date.html", 2)}



@pytest.mark.parametrize("shown", ["{% for m in months %}<div>{{ m }}</div>{% endfor %}",  # (in pieces)
                                   "{% for m in months + months[:1] %}<div>{{ m }}</div>{% endfor %}",
                                   "{{ months | length }} months"])
def test_the_calendar_page_is_what_its_template_makes_of_its_months(make_site, tmp_path, shown):
    """The months are put into the page after it is rendered (planning._calendar_page): so long as the template
    shows each once, as it is; else the page is rendered whole. Either way, what the template says."""
    site = make_site({"themes/mine/templates/calendar.html": f"<main>{shown}</main>\n", "site.yaml": "theme: mine\n"})
    build(site, tmp_path / "out")
    html = (tmp_path / "out/calendar/index.html").read_text(encoding="utf-8")
    month = '<section class="calendar__month" aria-labelledby="month-{}"'
    assert "<!--months" not in html and html.startswith("<main>") and html.endswith("</main>\n")
    if "length" in shown:
        assert html == "<main>12 months</main>\n"
    else:
        found = [len(re.findall(r"<div>\s*" + re.escape(month.format(n)), html)) for n in range(1, 13)]
        assert found == [2 if "+" in shown else 1] + [1] * 11
        assert html.count("<div>") == html.count("</div>") == (13 if "+" in shown else 12)

def test_an_error_in_the_institution_cards_template_is_reported_at_its_line(make_site, tmp_path, chdir_to):
    # (the cards are made before the pages, to be kept between builds: the error is still the template's)
    problems = theme_problems(make_site, tmp_path, chdir_to, {"_cards.html": (
        '{% macro institution_card(course, institution) %}\n{{ course.no_such() }}\n{% endmacro %}\n')})
    assert {(d.path, d.line) for d in problems} == {("themes/broken/templates/_cards.html", 2)}


@pytest.mark.parametrize("shown", ["{% for c in cards %}<div>{{ c }}</div>{% endfor %}",  # (in pieces)
                                   "{% for c in cards + cards[:1] %}<div>{{ c }}</div>{% endfor %}",
                                   "{{ cards | length }} cards"])
def test_an_institution_page_is_what_its_template_makes_of_its_cards(make_site, tmp_path, shown):
    """The cards are put into the page after it is rendered (pages.pieced), as the calendar's months are."""
    site = make_site({"themes/mine/templates/institution.html": f"<main>{shown}</main>\n", "site.yaml": "theme: mine\n"})
    result = build(site, tmp_path / "out")
    institution = result.catalogue.institutions[0]
    courses = result.catalogue.by_institution[institution.id]
    html = (tmp_path / "out" / institution.url / "index.html").read_text(encoding="utf-8")
    assert "<!--cards" not in html and html.startswith("<main>") and html.endswith("</main>\n")
    if "length" in shown:
        assert html == f"<main>{len(courses)} cards</main>\n"
    else:
        found = [html.count(f'href="/{course.url}"') for course in courses]
        assert found == [2 if "+" in shown else 1] + [1] * (len(courses) - 1)
        assert html.count("<div><article") == html.count("</article></div>") == len(courses) + ("+" in shown)


def test_template_syntax_error_is_reported_at_its_line(make_site, tmp_path, chdir_to):
    problems = theme_problems(make_site, tmp_path, chdir_to, {"index.html": "ok\n{% if %}\n"})
    assert (problems[0].path, problems[0].line) == ("themes/broken/templates/index.html", 2)


def test_sample_catalogue_builds_cleanly(sample_build):
    out, result = sample_build
    catalogue = result.catalogue
    assert not any(d.is_error for d in result.diagnostics)
    assert len(catalogue.institutions) >= 8 and len(catalogue.courses) >= 30
    assert len({lang for c in catalogue.courses for lang in c.language}) > 1
    for course in catalogue.courses:
        assert (out / course.url / "index.html").is_file()
    listed = json.loads((out / "courses.json").read_text())["courses"]
    assert len(listed) == len(catalogue.listed) == sum(c.status != "archived" for c in catalogue.courses)


def test_sample_catalogue_uses_every_field_and_value(sample_build):
    from generator.content.schema import COURSE_FIELDS
    _, result = sample_build
    courses = result.catalogue.courses
    for spec in COURSE_FIELDS:
        used = [getattr(c, spec.name) for c in courses]
        assert any(u not in (None, (), spec.default) for u in used) or spec.name in ("currency", "status"), spec.name
        for choice in spec.choices:
            values = {v for u in used for v in (u if isinstance(u, tuple) else (u,))}
            if spec.name != "eqf_level" or choice.value >= 4:
                assert choice.value in values, (spec.name, choice.value)


@pytest.mark.slow  # (builds the whole sample again)
def test_sample_site_is_the_default_source(tmp_path, chdir_to):
    from generator.cli import main
    chdir_to(ROOT)
    assert main(["build", "--out", str(tmp_path / "out"), "-q"]) == 0
    assert (tmp_path / "out/index.html").is_file()


@pytest.mark.slow
def test_parallel_parsing_gives_the_same_site_as_serial(make_site, tmp_path, monkeypatch):
    from generator.content import catalogue
    files = {f"content/courses/test-institute/course-{i:03d}.md": COURSE.replace("A Test Course", f"Course {i}")
             for i in range(12)}
    files["content/courses/test-institute/broken.md"] = COURSE.replace("credits: 2", "credits: 0")
    site = make_site(files)
    monkeypatch.setattr(catalogue, "PARALLEL_FROM", 5)
    with pytest.raises(ContentError) as parallel_err:
        build(site, tmp_path / "p")
    monkeypatch.setattr(catalogue, "PARALLEL_FROM", 10_000)
    with pytest.raises(ContentError) as serial_err:
        build(site, tmp_path / "s")
    assert parallel_err.value.diagnostics == serial_err.value.diagnostics != []
    (site / "content/courses/test-institute/broken.md").unlink()
    build(site, tmp_path / "s")
    monkeypatch.setattr(catalogue, "PARALLEL_FROM", 5)
    build(site, tmp_path / "p")
    assert tree(tmp_path / "p") == tree(tmp_path / "s") and len(tree(tmp_path / "p")) > 13


def test_the_site_is_marked_as_a_tree_of_its_own_where_the_file_system_allows(tmp_path):
    import fcntl
    import struct

    from generator.fast import files as output

    def flags(folder: Path) -> int:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return struct.unpack("l", fcntl.ioctl(fd, output._GET_FLAGS, struct.pack("l", 0)))[0]
        finally:
            os.close(fd)

    assert output.top_of_tree(tmp_path / "missing") is False and output.top_of_tree(SITES / "basic/site.yaml") is False
    probe = tmp_path / "probe"
    probe.mkdir()
    if not output.top_of_tree(probe):
        pytest.skip("this file system does not take the top-of-tree mark (not ext2/3/4)")
    assert flags(probe) & output._TOP_DIRECTORY
    out = tmp_path / "out"
    build(SITES / "basic", out)
    assert flags(out) & output._TOP_DIRECTORY  # the staged site was marked, and published by a rename
    # its big folders were made under names of chance (so ext4 places them afresh), then renamed: no name is left
    assert (out / "courses").is_dir() and (out / "pagefind").is_dir()
    assert [p.name for p in out.iterdir() if p.name.startswith(".") and p.is_dir()] == []
    assert oct((out / "courses").stat().st_mode & 0o777) == oct(0o755)
