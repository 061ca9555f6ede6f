"""Search and filters on the catalogue home, in headless Chromium, with counts worked out independently."""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from generator.fast import pagefind as search
from generator.engine.build import build

from .conftest import ROOT, SITES

pytestmark = pytest.mark.browser


def content_courses(site: Path) -> list[dict]:
    """Listed courses straight from the content files, with the facet values a visitor filters by."""
    countries = {p.stem: yaml.safe_load(p.read_text())["country"] for p in (site / "content/institutions").glob("*.yaml")}
    courses = []
    for path in sorted(p for p in (site / "content/courses").glob("*/*.md") if "." not in p.stem):  # (no translations)
        front = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
        if front.get("status") == "archived":
            continue
        as_list = lambda v: v if isinstance(v, list) else [v]  # noqa: E731
        credits = front["credits"]
        bucket = ("1–2" if credits <= 2 else "3–5" if credits <= 5 else "6–10" if credits <= 10
                  else "11–30" if credits <= 30 else "31–60")
        courses.append({
            "url": f"/courses/{path.parent.name}/{path.stem}/", "title": front["title"],
            "credits": [bucket], "level": [str(front["eqf_level"])], "audience": as_list(front["audience"]),
            "institution": [path.parent.name], "country": [countries[path.parent.name]], "mode": [front["mode"]],
            "language": as_list(front["language"]), "topic": front.get("topics") or [],
            "start": front.get("start_date"), "raw_credits": credits,
        })
    return courses


def matching(courses: list[dict], choices: dict[str, list[str]], without: str | None = None) -> list[dict]:
    return [c for c in courses if all(set(c[k]) & set(v) for k, v in choices.items() if k != without and v)]


def wait_ready(page) -> None:
    page.wait_for_selector("[data-catalogue][data-ready]")


def settle(page, expected_status: str) -> None:
    page.wait_for_function("text => document.querySelector('[data-status]').textContent.trim() === text",
                           arg=expected_status)


def status_for(n: int, q: str = "") -> str:
    """The count's words: the same in every state (the static listing's, a filter's and a search's)."""
    words = "1 course" if n == 1 else f"{n} courses"
    shown = ", showing 1–24" if n > 24 else ""
    return (f"{words} for “{q}”" if q else words) + shown


def shown_urls(page) -> list[str]:
    while page.locator("[data-more]").is_visible():
        before = page.locator("[data-results] > li").count()
        page.locator("[data-more]").click()
        page.wait_for_function("n => document.querySelectorAll('[data-results] > li').length > n", arg=before)
    return page.eval_on_selector_all("[data-results] .card__title a", "els => els.map(e => e.getAttribute('href'))")


def facet_count(page, key: str, value: str) -> int:
    box = page.locator(f"input[data-facet][name='{key}'][value='{value}']")
    label = page.locator(f"label[for='{box.get_attribute('id')}'] [data-count]").text_content()
    return int(label.strip("()"))


COMBINATIONS = [
    {"level": ["7", "8"]},
    {"level": ["7", "8"], "audience": ["professionals"]},
    {"credits": ["1–2"], "mode": ["online"], "language": ["en"]},
    {"audience": ["research-managers"], "credits": ["1–2", "3–5"]},
    {"country": ["CZ", "PL"], "mode": ["blended", "on-site"]},
    {"topic": ["Research Data Management"]},
]


@pytest.mark.parametrize("choices", COMBINATIONS, ids=lambda c: "&".join(f"{k}={'|'.join(v)}" for k, v in c.items()))
def test_filter_counts_match_the_content_files(sample_build, serve, page, choices):
    out, _ = sample_build
    courses = content_courses(ROOT)
    query = urlencode([(k, v) for k, values in choices.items() for v in values])
    page.goto(serve(out) + "?" + query)
    wait_ready(page)
    expected = matching(courses, choices)
    settle(page, status_for(len(expected)))
    assert sorted(shown_urls(page)) == sorted(c["url"] for c in expected)
    for key in ("credits", "level", "audience", "mode", "country", "language"):
        for box in page.locator(f"input[data-facet][name='{key}']").all():
            value = box.get_attribute("value")
            # a value's count: what the other facets' choices give, OR-ed with this facet's own choices
            others = matching(courses, choices, without=key)
            assert facet_count(page, key, value) == sum(value in c[key] for c in others), (key, value)
    for key, values in choices.items():
        for value in values:
            assert page.locator(f"input[data-facet][name='{key}'][value='{value}']").is_checked()


def indexed_text(out: Path, url: str) -> str:
    """The text of a course page that the search index holds: its article."""
    html = (out / url.strip("/") / "index.html").read_text(encoding="utf-8")
    article = re.search(r"<article class=\"course\" data-pagefind-body>(.*?)</article>", html, re.S).group(1)
    article = re.sub(r"<(\w+)[^>]*\bdata-pagefind-ignore\b[^>]*>.*?</\1>", " ", article, flags=re.S)  # left out
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", article))


@pytest.mark.parametrize("word, choices", [("research", {"level": ["7", "8"], "mode": ["online", "blended"]}),
                                           ("data", {"audience": ["professionals"]})])
def test_search_words_and_filters_give_the_counts_of_the_found_courses(search_build, serve, page, word, choices):
    out, _ = search_build
    found = [c for c in content_courses(ROOT)
             if re.search(rf"\b{word}\w*", indexed_text(out, c["url"]), re.I)]  # Pagefind also matches prefixes
    assert 3 < len(found) < len(content_courses(ROOT))
    query = urlencode([("q", word)] + [(k, v) for k, values in choices.items() for v in values])
    page.goto(serve(out) + "?" + query)
    wait_ready(page)
    expected = matching(found, choices)
    settle(page, status_for(len(expected), word))
    assert sorted(shown_urls(page)) == sorted(c["url"] for c in expected)
    for key in ("credits", "level", "audience", "mode", "country", "language", "institution"):
        for box in page.locator(f"input[data-facet][name='{key}']").all():
            value = box.get_attribute("value")
            others = matching(found, choices, without=key)
            assert facet_count(page, key, value) == sum(value in c[key] for c in others), (key, value)


def test_every_indexed_page_is_linked_to_its_row_of_the_browse_table(search_build):
    out, result = search_build
    listing = json.loads((out / "pagefind/catalogue-pages.json").read_text(encoding="utf-8"))
    table = json.loads((out / "search/browse.json").read_text(encoding="utf-8"))
    rows = [row[0] for row in table["courses"]]
    assert sorted(rows) == sorted(c.url for c in result.catalogue.listed)
    assert listing["table"] == table["table"] and len(listing["ids"]) == len(rows)
    folders = [out / "pagefind"] + [out / "pagefind" / shard for shard in listing["shards"]]
    assert result.shards == (len(folders), len(folders))
    # each row's id is the id of the fragment Pagefind wrote for that row's page, in one of the shards
    found = {}
    for folder in folders:
        shard = search.page_paths(folder)
        assert shard and json.loads((folder / search.SHARD_LIST).read_text(encoding="utf-8")) == shard
        found.update(shard)
    assert [found[id_] for id_ in listing["ids"]] == rows
    # the merged shards carry no script or wasm of their own: the first shard's serve them all
    assert not [p for folder in folders[1:] for p in folder.iterdir() if p.suffix in (".js", ".pagefind")]


def test_shards_are_at_most_their_size_and_keep_their_pages_as_others_come_and_go(monkeypatch):
    monkeypatch.setattr(search, "SHARD_PAGES", 50)
    pages = [f"courses/x/course-{i:04}/index.html" for i in range(1000)]
    assert len(search.shards(pages)) == search.MAX_SHARDS  # larger shards past that many
    monkeypatch.setattr(search, "MAX_SHARDS", 100)
    groups = search.shards(pages)
    assert len(groups) == 20 and sorted(p for g in groups for p in g) == pages
    assert max(map(len, groups)) < 75  # spread by a hash: even enough
    fewer = search.shards(pages[:-10] + [f"courses/y/new-{i}/index.html" for i in range(10)])
    assert [[p for p in g if p in pages] for g in fewer] == [[p for p in g if p in pages[:-10]] for g in groups]
    assert len(search.shards([])) == 1 and len(search.shards(pages[:50])) == 1 and len(search.shards(pages[:51])) == 2


def test_an_index_holds_the_pages_named_and_does_not_depend_on_the_order_they_were_written(tmp_path, request):
    from types import SimpleNamespace

    from .test_build import tree

    names = [f"courses/{i % 3}/c{i:02}" for i in range(24)] + ["courses/b/{x,y}", "courses/b/[z]*?"]
    wanted = [f"{name}/index.html" for name in names if not name.endswith("7")]
    built = []
    # in memory where there is a tmpfs: it lists a folder in the order its entries were made (ext4 lists a large
    # folder by a hash of the names, which would hide an index that follows the listing)
    memory = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(dir=memory)) if memory.is_dir() and os.access(memory, os.W_OK) else tmp_path
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    for order in (names, names[::-1]):  # folders and pages written in one order, then in the other
        site = base / f"site-{len(built)}"
        for name in order:
            (site / name).mkdir(parents=True)
            (site / name / "index.html").write_text(f'<html lang="en"><body><main data-pagefind-body><h1>{name}</h1>'
                                                    f"<p>common words {name[-2:]}</p></main></body></html>")
        result = search.build_index(site, SimpleNamespace(language="en"), wanted)  # (all it reads of the config)
        assert result.pages == len(wanted)
        assert sorted(search.page_paths(site / "pagefind").values()) == sorted(p.removesuffix("index.html") for p in wanted)
        built.append(tree(site / "pagefind"))
    # Pagefind numbers pages in the order it finds them: the index must not follow the order of the folders
    assert built[0] == built[1]


def test_browsing_without_words_lists_the_whole_catalogue_with_counts(sample_build, serve, page):
    out, _ = sample_build
    courses = content_courses(ROOT)
    page.goto(serve(out))
    wait_ready(page)
    # untouched, the page is the static listing, with every facet value's count in the whole catalogue
    assert page.locator("[data-static]").is_visible() and page.locator("[data-results]").is_hidden()
    assert facet_count(page, "mode", "online") == sum("online" in c["mode"] for c in courses)
    assert facet_count(page, "level", "8") == sum("8" in c["level"] for c in courses)
    page.select_option("#sort", "title")
    page.wait_for_function("() => (document.querySelector('[data-catalogue]').dataset.shown || '').includes('sort=title')")
    settle(page, status_for(len(courses)))
    assert sorted(shown_urls(page)) == sorted(c["url"] for c in courses)
    titles = page.eval_on_selector_all("[data-results] .card__title a", "els => els.map(e => e.textContent)")
    assert titles == sorted(titles, key=str.casefold)


def test_untouched_home_fetches_nothing_for_search(sample_build, serve, page):
    out, _ = sample_build
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(serve(out))
    wait_ready(page)
    assert not [u for u in fetched if "/pagefind/" in u or "/search/" in u or u.endswith("card.json")]


def test_credit_buckets_in_order_and_between_buckets(sample_build, serve, page):
    out, _ = sample_build
    page.goto(serve(out))
    wait_ready(page)
    values = page.eval_on_selector_all("input[name=credits]", "els => els.map(e => e.value)")
    assert values == ["1–2", "3–5", "6–10", "11–30", "31–60"]
    levels = page.eval_on_selector_all("input[name=level]", "els => els.map(e => Number(e.value))")
    assert levels == sorted(levels)
    assert "master's level" in page.locator("label[for='%s']" % page.locator("input[name=level][value='7']").get_attribute("id")).inner_text()
    page.locator("input[name=credits][value='3–5']").check()
    courses = matching(content_courses(ROOT), {"credits": ["3–5"]})
    assert any(c["raw_credits"] == 2.5 for c in courses)  # 2.5 credits counts in 3–5
    settle(page, status_for(len(courses)))


def test_search_finds_words_from_bodies_in_any_language(basic_build, serve, page):
    out, _ = basic_build
    base = serve(out)
    for word, expected in [("hvězdokupa", "/courses/alpha-institute/kurz-biostatistiky/"),
                           ("glossary", "/courses/alpha-institute/data-stewardship/"),
                           ("monitoring", "/courses/beta-centre/good-clinical-practice/")]:
        page.goto(base + "?" + urlencode({"q": word}))
        wait_ready(page)
        settle(page, status_for(1, word))
        assert shown_urls(page) == [expected]
    page.goto(base + "?q=pipetting")  # the archived course is not in the index
    wait_ready(page)
    settle(page, status_for(0, "pipetting"))


def test_search_finds_a_czech_course_of_the_sample(sample_build, serve, page):
    out, result = sample_build
    czech = next(c for c in result.catalogue.listed if c.language == ("cs",))
    word = max(re.findall(r"\w+", re.sub("<[^>]+>", " ", czech.body_html)), key=len)
    page.goto(serve(out))
    wait_ready(page)
    page.fill("#q", word)
    page.press("#q", "Enter")
    page.wait_for_function("() => document.querySelector('[data-status]').textContent.includes(' for “')")
    assert "/" + czech.url in shown_urls(page)


def test_search_text_and_filters_combine_with_sorting(sample_build, serve, page):
    out, _ = sample_build
    courses = content_courses(ROOT)
    page.goto(serve(out) + "?sort=credits&mode=online")
    wait_ready(page)
    expected = matching(courses, {"mode": ["online"]})
    settle(page, status_for(len(expected)))
    credits = [c["raw_credits"] for c in sorted(expected, key=lambda c: c["raw_credits"])]
    urls = shown_urls(page)
    by_url = {c["url"]: c["raw_credits"] for c in courses}
    assert [by_url[u] for u in urls] == credits
    page.select_option("#sort", "title")
    page.wait_for_url(re.compile(r"sort=title"))
    page.wait_for_function("() => (document.querySelector('[data-catalogue]').dataset.shown || '').includes('sort=title')")
    titles = page.eval_on_selector_all("[data-results] .card__title a", "els => els.map(e => e.textContent)")
    assert titles == sorted(titles, key=str.casefold)


def test_url_state_round_trips_and_back_restores(sample_build, serve, page):
    out, _ = sample_build
    base = serve(out)
    courses = content_courses(ROOT)
    page.goto(base)
    wait_ready(page)
    page.locator("input[name=level][value='7']").check()
    page.wait_for_url(re.compile(r"level=7"))
    page.locator("input[name=level][value='8']").check()
    page.wait_for_url(re.compile(r"level=7&level=8"))
    page.locator("input[name=audience][value='professionals']").check()
    page.wait_for_url(re.compile(r"audience=professionals"))
    assert page.url == base + "?level=7&level=8&audience=professionals"
    settle(page, status_for(len(matching(courses, {"level": ["7", "8"], "audience": ["professionals"]}))))
    page.go_back()
    page.wait_for_url(base + "?level=7&level=8")
    settle(page, status_for(len(matching(courses, {"level": ["7", "8"]}))))
    assert not page.locator("input[name=audience][value='professionals']").is_checked()
    assert page.locator("input[name=level][value='8']").is_checked()
    page.reload()
    wait_ready(page)
    settle(page, status_for(len(matching(courses, {"level": ["7", "8"]}))))


def test_no_match_state_offers_a_reset(sample_build, serve, page):
    out, _ = sample_build
    page.goto(serve(out) + "?q=zzzzqqqq&level=4")
    wait_ready(page)
    settle(page, status_for(0, "zzzzqqqq"))
    assert page.locator("[data-empty]").is_visible() and page.locator("[data-results]").is_hidden()
    page.get_by_role("button", name="Show all courses").click()
    page.wait_for_function("() => !document.querySelector('[data-static]').hidden")
    assert page.locator("[data-status]").text_content().strip().startswith(f"{len(content_courses(ROOT))} courses")
    assert page.input_value("#q") == "" and page.url.endswith("/") and page.locator("[data-empty]").is_hidden()


@pytest.mark.parametrize("shard_pages", [1000, 1])
def test_search_works_under_a_sub_path(serve, page, tmp_path, monkeypatch, shard_pages):
    monkeypatch.setattr(search, "SHARD_PAGES", shard_pages)  # 1: every course in a shard of its own
    out = tmp_path / "out"
    build(SITES / "basic", out, base_url="https://example.org/catalogue/")
    base = serve(out, prefix="/catalogue/")
    page.goto(base + "?q=glossary")
    wait_ready(page)
    settle(page, status_for(1, "glossary"))
    page.locator("[data-results] a").first.click()
    assert page.url == base + "courses/alpha-institute/data-stewardship/"
    assert page.external_requests == [] and page.console_errors == []


def test_filters_on_a_phone_open_with_a_button_and_pass_axe(sample_build, serve, page):
    from .test_browser import axe_violations
    out, _ = sample_build
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(serve(out))
    wait_ready(page)
    toggle = page.get_by_role("button", name="Filters", exact=True)
    assert toggle.get_attribute("aria-expanded") == "false" and page.locator("#filters").is_hidden()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and page.locator("#filters").is_visible()
    assert axe_violations(page) == []
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_keyboard_only_filtering_announces_the_count(sample_build, serve, page):
    out, _ = sample_build
    courses = content_courses(ROOT)
    page.goto(serve(out))
    wait_ready(page)
    page.focus("#q")
    page.keyboard.type("data")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-status]').textContent.includes(' for “')")
    box = page.locator("input[name=audience][value='professionals']")
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"audience=professionals"))
    assert box.is_checked()
    assert page.locator("[data-status]").get_attribute("role") == "status"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    assert len(courses) > 0


def test_an_index_made_for_another_course_table_is_not_used(serve, page, tmp_path):
    out = tmp_path / "out"
    build(SITES / "basic", out)
    listing = out / "pagefind/catalogue-pages.json"
    data = json.loads(listing.read_text(encoding="utf-8"))
    data["table"] = "0" * 16  # as in the live preview between refreshing the table and the index
    listing.write_text(json.dumps(data), encoding="utf-8")
    page.goto(serve(out) + "?q=glossary")
    wait_ready(page)
    page.wait_for_function("() => /Search is unavailable/.test(document.querySelector('[data-status]').textContent)")
    # the static listing of every course stays; no result is shown for another course's id
    static = (out / "index.html").read_text(encoding="utf-8").count('class="card__title"')
    assert static and page.locator(".card__title a:visible").count() == static and shown_urls(page) == []


def test_labels_and_repeated_facts_stay_out_of_the_index(basic_build, serve, page):
    out, _ = basic_build
    base = serve(out)
    # "Form of participation" labels a value on every course page: searching for it would find them all
    page.goto(base + "?q=participation")
    wait_ready(page)
    settle(page, status_for(0, "participation"))
    # what partners wrote stays
    page.goto(base + "?" + urlencode({"q": "monitoring"}))
    wait_ready(page)
    settle(page, status_for(1, "monitoring"))


def test_a_shards_pages_are_gathered_from_the_site_or_else_the_published_one(tmp_path):
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def on_its_own_thread(coroutine):  # (the browser tests' Playwright keeps an event loop on this one)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    site, published, view = tmp_path / "site", tmp_path / "published", tmp_path / "view"
    for folder, page in ((site, "courses/a/x/index.html"), (published, "courses/b/y/index.html"),
                         (site, "courses/c/z/index.html")):
        (folder / page).parent.mkdir(parents=True)
        (folder / page).write_text(page)
    pages = ["courses/a/x/index.html", "courses/b/y/index.html", "courses/c/z/index.html"]
    on_its_own_thread(search._link_view(site, view, pages, published))
    assert sorted(p.relative_to(view).as_posix() for p in view.rglob("index.html")) == pages
    assert (view / pages[1]).stat().st_ino == (published / pages[1]).stat().st_ino  # linked, not copied
    # a page of the published site that is a symbolic link is never followed: the shard fails instead
    (published / "courses/d/w").mkdir(parents=True)
    (published / "courses/d/w/index.html").symlink_to(tmp_path / "elsewhere.html")
    (tmp_path / "elsewhere.html").write_text("not the site's")
    with pytest.raises(RuntimeError, match="could not be gathered"):
        on_its_own_thread(search._link_view(site, tmp_path / "view2", ["courses/d/w/index.html"], published))
    assert not (tmp_path / "view2/courses/d/w/index.html").exists()
    # a page this build did not write is the published one, even where the site holds another file (a spare's)
    (published / pages[0]).parent.mkdir(parents=True)
    (published / pages[0]).write_text("published")
    view3 = tmp_path / "view3"
    on_its_own_thread(search._link_view(site, view3, [pages[0], pages[2]], published, frozenset(pages[2:])))
    assert (view3 / pages[0]).read_text() == "published"
    assert (view3 / pages[2]).stat().st_ino == (site / pages[2]).stat().st_ino
