"""Courses on the build date: closed after their application deadline, out of the listings after their run, the
build date's sources and order, the warnings of check, and what a daily build makes again."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys

import pytest

from generator.cli import main
from generator.content.timeline import build_date, steady
from generator.diagnostics import UsageError
from generator.engine.build import build
from generator.engine.cache import CACHE_DIR
from generator.engine.manifest import read_manifest

from .conftest import COURSE, INSTITUTION, ROOT, write_files
from .test_build import tree

DAY = dt.date


def dated(title: str, deadline: str | None = None, start: str | None = None, end: str | None = None,
          status: str | None = None) -> str:
    """A course file with these dates (and status)."""
    lines = [f"application_deadline: {deadline}" if deadline else "", f"start_date: {start}" if start else "",
             f"end_date: {end}" if end else "", f"status: {status}" if status else ""]
    extra = "".join(line + "\n" for line in lines if line)
    return COURSE.replace("A Test Course", title).replace("enrol_url:", extra + "enrol_url:")


@pytest.fixture
def site(tmp_path):
    """Five courses of one institution: one with each kind of dates, one without any."""
    root = tmp_path / "site"
    write_files(root, {
        "site.yaml": "title: Dated\nbase_url: https://courses.example.org/\npage_size: 2\n",
        "content/institutions/test-institute.yaml": INSTITUTION,
        "content/institutions/other-institute.yaml": INSTITUTION.replace("Test Institute", "Other Institute"),
        "content/courses/test-institute/winter-school.md": dated("Winter School", "2027-01-10", "2027-01-20",
                                                                 "2027-01-22"),
        "content/courses/test-institute/spring-school.md": dated("Spring School", "2027-03-01", "2027-03-15",
                                                                 "2027-03-19"),
        "content/courses/test-institute/one-day-seminar.md": dated("One-day Seminar", start="2027-02-01"),
        "content/courses/test-institute/self-paced.md": dated("Self-paced Course"),
        "content/courses/other-institute/summer-school.md": dated("Summer School", "2027-05-01", "2027-06-01",
                                                                  "2027-06-05"),
    })
    return root


WINTER = "courses/test-institute/winter-school/"
APPLY = re.compile(r'<a class="button[^"]*" href="https?://')  # a course page's Apply button


# --- the build date --------------------------------------------------------------------------------------------

def test_the_build_date_is_the_option_else_source_date_epoch_else_the_clock():
    assert build_date(DAY(2027, 1, 2), {"SOURCE_DATE_EPOCH": "1780272000"}) == DAY(2027, 1, 2)
    assert build_date(None, {"SOURCE_DATE_EPOCH": "1780272000"}) == DAY(2026, 6, 1)
    assert build_date(None, {"SOURCE_DATE_EPOCH": "1780358399"}) == DAY(2026, 6, 1)  # its day in UTC
    assert build_date(None, {}) == dt.date.today() and build_date(None, {"SOURCE_DATE_EPOCH": " "}) == dt.date.today()
    for bad in ("yesterday", "1.5", "99999999999999999999"):
        with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH is .* not a number of seconds since 1970-01-01"):
            build_date(None, {"SOURCE_DATE_EPOCH": bad})


@pytest.mark.slow
def test_the_command_line_takes_a_date_and_refuses_what_is_not_one(site, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["check", "--source", str(site), "--today", "2027-13-01"])
    assert stopped.value.code == 2
    assert "argument --today: '2027-13-01' is not a date: write it as YYYY-MM-DD" in capsys.readouterr().err
    assert main(["build", "--source", str(site), "--out", str(tmp_path / "out"), "--today", "2027-01-12"]) == 0
    assert "Applications closed" in (tmp_path / "out" / WINTER / "index.html").read_text()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "soon"}
    run = subprocess.run([sys.executable, "-m", "generator", "build", "--source", str(site)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.startswith("catalogue: error: SOURCE_DATE_EPOCH is 'soon', which is not a number of seconds")
    assert not (site / "output").exists()


@pytest.mark.slow
def test_the_same_files_and_day_build_the_same_bytes(site, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    build(site, first, use_cache=False, today=DAY(2027, 1, 12))
    build(site, second, use_cache=False, today=DAY(2027, 1, 12))
    assert tree(first) == tree(second)
    later = tmp_path / "later"
    build(site, later, use_cache=False, today=DAY(2027, 1, 25))
    assert tree(later) != tree(first)


# --- a course on the build date ---------------------------------------------------------------------------------

def test_a_course_past_its_deadline_shows_applications_closed_and_no_apply_button(site, tmp_path):
    out = tmp_path / "out"
    before = build(site, tmp_path / "before", today=DAY(2027, 1, 10)).catalogue  # the deadline's own day: still open
    page = (tmp_path / "before" / WINTER / "index.html").read_text()
    assert APPLY.search(page) and "Apply by 10 January 2027" in page and "Applications closed" not in page
    result = build(site, out, today=DAY(2027, 1, 11))
    winter = next(c for c in result.catalogue.courses if c.slug == "winter-school")
    assert winter.status == "closed" and winter.passed == "deadline" and winter.listed
    page = (out / WINTER / "index.html").read_text()
    assert not APPLY.search(page) and "Apply by" not in page
    assert '<p class="badge badge--closed">Applications closed</p>' in page
    assert re.search(r"<dt[^>]*>Status</dt><dd>Applications closed</dd>", page)
    # the static listing's card, the script's card and the open data say so too; the deadline leaves the calendar
    listing = "".join((out / p).read_text() for p in ("index.html", "page/2/index.html", "page/3/index.html"))
    card = re.search(r'<article class="card">(?:(?!</article>).)*winter-school/.*?</article>', listing, re.S).group()
    assert "Applications closed" in card
    assert card_of(out, WINTER)["status"] == "closed"
    assert json.loads((out / "search/words.json").read_text())["status"]["closed"] == "Applications closed"
    record = next(c for c in json.loads((out / "courses.json").read_text())["courses"] if c["id"].endswith("winter-school"))
    assert record["status"] == "closed"
    assert "Application deadline: Winter School" not in (out / "courses.ics").read_text()
    assert "Application deadline: Winter School" in (tmp_path / "before/courses.ics").read_text()
    # closed courses come after those one can apply to
    assert [c.slug for c in result.catalogue.listed][-1] == "winter-school"
    assert [c.slug for c in before.listed][0] == "winter-school"


@pytest.mark.slow
def test_a_course_after_its_run_keeps_its_page_and_leaves_everything_else(site, tmp_path):
    out = tmp_path / "out"
    result = build(site, out, today=DAY(2027, 1, 23))
    winter = next(c for c in result.catalogue.courses if c.slug == "winter-school")
    assert winter.ended and not winter.listed and winter not in result.catalogue.listed
    page = (out / WINTER / "index.html").read_text()
    assert "This course ended on 22 January 2027. Its page is kept for reference." in page
    assert '<a href="/institutions/test-institute/">See the current courses of Test Institute</a>' in page
    assert '<meta name="robots" content="noindex">' in page and "application/ld+json" not in page
    assert not APPLY.search(page) and "calendar.ics" not in page
    everywhere = {rel: data for rel, data in tree(out).items() if rel != WINTER + "index.html"}
    shows = [rel for rel, data in everywhere.items() if b"winter-school" in data or b"Winter School" in data]
    assert shows == [], "it is in no listing, search table, feed, calendar, sitemap or open data"
    indexed = read_manifest(site / CACHE_DIR, out).indexed  # the pages the search index holds
    assert WINTER + "index.html" not in indexed and len(indexed) == 4
    assert len(json.loads((out / "search/browse.json").read_text())["courses"]) == 4
    facets = (out / "index.html").read_text()
    assert "(4)" in facets and "(5)" not in facets  # the filters' counts leave it out
    # the day of its end it was still listed; a course with a start date only ends after that day
    assert any(c.slug == "winter-school" for c in build(site, tmp_path / "o2", today=DAY(2027, 1, 22)).catalogue.listed)
    seminar = {c.slug: c for c in build(site, tmp_path / "o3", today=DAY(2027, 2, 2)).catalogue.courses}["one-day-seminar"]
    assert seminar.ended and seminar.status == "closed"


@pytest.mark.slow
def test_new_dates_are_the_next_run(site, tmp_path):
    out = tmp_path / "out"
    build(site, out, today=DAY(2027, 1, 23))
    course = site / "content/courses/test-institute/winter-school.md"
    course.write_text(course.read_text().replace("2027-01-10", "2028-01-10").replace("2027-01-2", "2028-01-2"))
    result = build(site, out, today=DAY(2027, 1, 23))
    assert any(c.slug == "winter-school" for c in result.catalogue.listed)
    assert "Apply by 10 January 2028" in (out / WINTER / "index.html").read_text()


@pytest.mark.slow
def test_archived_courses_are_out_of_time(site, tmp_path):
    course = site / "content/courses/test-institute/spring-school.md"
    course.write_text(course.read_text().replace("enrol_url:", "status: archived\nenrol_url:"))
    result = build(site, tmp_path / "out", today=DAY(2027, 4, 1))
    spring = next(c for c in result.catalogue.courses if c.slug == "spring-school")
    assert spring.passed == "" and spring.status == "archived"
    assert "no longer offered" in (tmp_path / "out/courses/test-institute/spring-school/index.html").read_text()


# --- check -----------------------------------------------------------------------------------------------------

def test_check_warns_where_the_dates_are_and_strict_fails(site, chdir_to, capsys):
    chdir_to(site)
    assert main(["check", "--today", "2027-01-12"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "content/courses/test-institute/winter-school.md:14:23: warning: the application deadline 2027-01-10 has "
        "passed, but the status is 'open': the course is shown as closed for applications (if applications are "
        "still taken, give the new deadline; if not, set status: closed)",
        "0 errors, 1 warning"]
    assert main(["check", "--today", "2027-01-12", "--strict"]) == 1
    capsys.readouterr()
    assert main(["check", "--today", "2027-01-05"]) == 0
    assert "No problems found." in capsys.readouterr().err
    main(["check", "--today", "2027-06-10"])
    said = capsys.readouterr().err
    assert said.count("this course ended on") == 4 and "self-paced" not in said and said.endswith("0 errors, 4 warnings\n")


# --- a build every day -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_days_between_which_nothing_changes():
    from generator.content.load import load
    today = DAY(2027, 2, 10)
    catalogue = load(ROOT, today=today)[0]
    since, until = steady(catalogue.courses, today)
    days = [d + dt.timedelta(days=1) for c in catalogue.courses if c.status != "archived"
            for d in (c.application_deadline, c.end_date or c.start_date) if d]
    assert since == max(d for d in days if d <= today) and until == min(d for d in days if d > today)
    assert since <= today < until
    # on any day between them, every course stands as on `today`; on `until`, one does not
    for day in (since, until - dt.timedelta(days=1)):
        assert load(ROOT, today=day)[0].courses == catalogue.courses
    assert load(ROOT, today=until)[0].courses != catalogue.courses
    assert steady(catalogue.courses, DAY(2020, 1, 1))[0] is None and steady(catalogue.courses, DAY(2030, 1, 1))[1] is None


def card_of(out, url: str) -> dict | None:
    """The course's result card in search/cards.json (every listed course's card), or None."""
    return next((c for c in json.loads((out / "search/cards.json").read_text()) if c["url"] == url), None)


def changed_keys(site, out, before: dict[str, str]) -> set[str]:
    after = read_manifest(site / CACHE_DIR, out).keys
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


@pytest.mark.slow
def test_a_daily_build_makes_again_only_what_the_day_changed(site, tmp_path):
    out = tmp_path / "out"
    first = build(site, out, today=DAY(2027, 1, 5))
    keys = read_manifest(site / CACHE_DIR, out).keys
    # the next days change nothing: the build ends before reading a course
    again = build(site, out, today=DAY(2027, 1, 10))
    assert again.up_to_date and again.written == 0 and again.catalogue is None
    # the day after the winter school's deadline: its own files, the listing pages that show it or whose courses
    # moved (closed courses go last), its institution's page; no other course's files
    result = build(site, out, today=DAY(2027, 1, 11))
    assert not result.up_to_date
    chunks = lambda catalogue: {n: [c.id for c in catalogue.listed[(n - 1) * 2: n * 2]] for n in (1, 2, 3)}  # noqa: E731
    moved = {"index.html" if n == 1 else f"page/{n}/index.html"
             for n, ids in chunks(result.catalogue).items() if ids != chunks(first.catalogue)[n]
             or "test-institute/winter-school" in ids}
    assert changed_keys(site, out, keys) == {
        WINTER + "index.html", WINTER + "elm.jsonld", WINTER + "calendar.ics",
        "institutions/test-institute/index.html", "calendar/index.html", *moved,  # (its deadline leaves the calendar)
        *(path for path in keys if path.startswith("feeds/") and b"winter-school" in (out / path).read_bytes())}
    assert tree(out) == tree(cold(site, tmp_path, DAY(2027, 1, 11)))
    # after its run: out of the listings; its page says it has ended, its card, ELM and calendar are gone
    keys = read_manifest(site / CACHE_DIR, out).keys
    result = build(site, out, today=DAY(2027, 1, 23))
    changed = changed_keys(site, out, keys)
    assert {WINTER + "index.html", "institutions/test-institute/index.html"} <= changed
    assert not any(path.startswith("courses/") and not path.startswith(WINTER) for path in changed)
    assert "institutions/other-institute/index.html" not in changed
    assert card_of(out, WINTER) is None
    assert tree(out) == tree(cold(site, tmp_path, DAY(2027, 1, 23)))


def cold(site, tmp_path, day):
    copy = tmp_path / f"cold-{day}"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(CACHE_DIR, "output"))
    out = tmp_path / f"cold-out-{day}"
    build(copy, out, use_cache=False, today=day)
    return out


@pytest.mark.slow
def test_the_preview_shows_the_day_it_is_given(site, tmp_path):
    from generator.serve.preview import Preview
    preview = Preview(site, tmp_path / "served", DAY(2027, 1, 23))
    assert preview.refresh().ok
    assert not any(c.slug == "winter-school" for c in preview.catalogue.listed)
    assert "This course ended on" in (tmp_path / "served" / WINTER / "index.html").read_text()


def test_the_daily_build_workflow_builds_every_day_without_a_pinned_date():
    import yaml
    workflow = yaml.safe_load((ROOT / ".github/workflows/daily-build.yml").read_text())
    triggers = workflow[True]  # (YAML 1.1 reads the key `on` as true)
    assert [entry["cron"] for entry in triggers["schedule"]] and "workflow_dispatch" in triggers
    text = (ROOT / ".github/workflows/daily-build.yml").read_text()
    assert "SOURCE_DATE_EPOCH" not in text and "--today" not in text  # built for the day it runs
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any("NETLIFY_BUILD_HOOK" in step and "curl" in step for step in steps)  # Netlify: its build hook
    assert any("make build" in step for step in steps)  # GitHub Pages: built here
    uses = [step.get("uses", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert any(u.startswith("actions/deploy-pages@") for u in uses)
    assert any(u.startswith("actions/cache@") for u in uses)  # an edit build, from the last one's cache
