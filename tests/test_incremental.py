"""Rebuilds with the cache: a warm rebuild and a one-edit rebuild give exactly what a cold build gives."""
from __future__ import annotations

import gzip
import io
import json
import logging
import marshal
import os
import pickle
import shutil
import sys
import threading
import time

import pytest

from generator.engine import staged as staged_module
from generator import fingerprint
from generator.engine import cache
from generator.fast import tuning
from generator.site import pages
from generator.fast import pagefind as search
from generator.engine.build import build
from generator.engine.cache import CACHE_DIR
from generator.engine import manifest as manifest_module
from generator.engine.manifest import read_manifest
from generator.diagnostics import ContentError

from .conftest import COURSE, ROOT, copy_site
from .test_build import tree

MARKER = ".catalogue-output"


@pytest.fixture
def site(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    for i in range(6):
        (site / f"content/courses/beta-centre/extra-{i}.md").write_text(
            COURSE.replace("A Test Course", f"Extra Course {i}").replace("start", "start"))
    return site


def pack_bytes(entries, key):
    """A cache pack's bytes, signed with `key` (as builds write them)."""
    buffer = io.BytesIO()
    cache.write_pack(buffer, entries, key)
    return buffer.getvalue()


def unpack(data, key):
    """The entries of a cache pack's bytes, or None when it is not signed with `key`."""
    return cache.read_pack(io.BytesIO(data), key)


def cold(site, tmp_path, name: str):
    """A build from nothing: no cache, fresh output folder."""
    copy = tmp_path / f"cold-{name}"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(CACHE_DIR, "output"))
    out = tmp_path / f"cold-out-{name}"
    build(copy, out, use_cache=False)
    return out


@pytest.mark.slow
def test_warm_rebuild_changes_nothing(site, tmp_path):
    out = tmp_path / "out"
    first = build(site, out)
    assert first.written == first.files and not first.up_to_date
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build(site, out)
    assert again.up_to_date and again.written == 0
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    assert tree(out) == tree(cold(site, tmp_path, "warm"))


def test_one_edit_rewrites_what_shows_the_course_and_matches_a_cold_build(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    before = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    course = site / "content/courses/alpha-institute/data-stewardship.md"
    course.write_text(course.read_text().replace("title: Data Stewardship in the Life Sciences",
                                                 "title: Data Stewardship for Life Scientists"))
    result = build(site, out)
    assert not result.up_to_date and result.indexed  # an indexed page changed: the search index is rebuilt
    after = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    rewritten = {rel for rel in after if before.get(rel) != after[rel] and not rel.startswith("pagefind/")}
    assert "courses/alpha-institute/data-stewardship/index.html" in rewritten
    assert "courses/beta-centre/good-clinical-practice/index.html" not in rewritten   # untouched course pages
    assert "courses/beta-centre/extra-3/index.html" not in rewritten
    assert tree(out) == tree(cold(site, tmp_path, "edit"))


@pytest.mark.slow
def test_theme_config_and_institution_changes_rebuild_what_they_touch(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    (site / "site.yaml").write_text((site / "site.yaml").read_text().replace("Test Catalogue", "Renamed Catalogue"))
    build(site, out)
    assert "Renamed Catalogue" in (out / "courses/beta-centre/extra-1/index.html").read_text()
    assert tree(out) == tree(cold(site, tmp_path, "config"))
    institution = site / "content/institutions/beta-centre.yaml"
    institution.write_text(institution.read_text().replace("Beta Centre for Clinical Research", "Beta Research Centre"))
    result = build(site, out)
    assert "Beta Research Centre" in (out / "courses/beta-centre/extra-1/index.html").read_text()
    assert "Beta Research Centre" not in (out / "courses/alpha-institute/data-stewardship/index.html").read_text()
    assert tree(out) == tree(cold(site, tmp_path, "institution"))
    assert result.written < result.files


@pytest.mark.slow
def test_deleted_and_archived_courses(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    (site / "content/courses/beta-centre/extra-2.md").unlink()
    extra = site / "content/courses/beta-centre/extra-4.md"
    extra.write_text(extra.read_text().replace("enrol_url:", "status: archived\nenrol_url:"))
    build(site, out)
    assert not (out / "courses/beta-centre/extra-2").exists()
    assert not [c for c in json.loads((out / "search/cards.json").read_text()) if "/extra-4/" in c["url"]]
    assert tree(out) == tree(cold(site, tmp_path, "delete"))


@pytest.mark.slow
def test_the_search_index_is_kept_when_no_indexed_page_changed(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    index_before = {p.relative_to(out): p.stat().st_ino for p in (out / "pagefind").rglob("*") if p.is_file()}
    logo = site / "content/institutions/alpha-institute.svg"
    logo.write_text(logo.read_text().replace("#246", "#248"))  # the logo shows on the institution page only
    result = build(site, out)
    assert not result.up_to_date and not result.indexed
    assert {p.relative_to(out): p.stat().st_ino for p in (out / "pagefind").rglob("*") if p.is_file()} == index_before
    assert tree(out) == tree(cold(site, tmp_path, "logo"))
    (site / "content/courses/alpha-institute/notes.txt").write_text("not a course")  # ignored: nothing to do
    assert build(site, out).up_to_date


@pytest.mark.slow
def test_a_damaged_cache_is_never_trusted(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    pack = site / CACHE_DIR / "parsed.pack"
    entries = unpack(pack.read_bytes(), cache.signing_key())
    assert len(entries) == 10  # one per course file (the basic site's four and six more)
    pack.write_bytes(pack_bytes({key: b"garbage" for key in entries}, cache.signing_key()))  # every entry damaged
    course = site / "content/courses/beta-centre/extra-0.md"
    course.write_text(course.read_text().replace("Extra Course 0", "Extra Course Zero"))
    build(site, out)
    assert tree(out) == tree(cold(site, tmp_path, "damaged"))
    pack.write_bytes(pack.read_bytes()[:100])  # the pack itself damaged (cut short)
    course.write_text(course.read_text().replace("Extra Course Zero", "Extra Course Nought"))
    build(site, out)
    assert tree(out) == tree(cold(site, tmp_path, "damaged-pack"))
    (out / "index.html").write_bytes(b"tampered")  # an output changed behind the tool's back: a full rebuild
    build(site, out)
    assert (out / "index.html").read_bytes() != b"tampered"


@pytest.mark.slow
def test_a_build_with_nothing_to_do_reads_the_manifests_head_and_listing_only(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    parts = {path.name.rsplit(".", 1)[-1]: path for path in (site / CACHE_DIR).glob("manifest-*.*.*")}
    assert sorted(parts) == ["body", "listing"]
    parts["body"].write_text("not a manifest")  # the body is not read when nothing changed
    assert build(site, out).up_to_date
    course = site / "content/courses/beta-centre/extra-0.md"  # an edit needs it: without it, everything is made
    course.write_text(course.read_text().replace("Extra Course 0", "Extra Course Zero"))
    again = build(site, out)
    assert again.written == again.files and tree(out) == tree(cold(site, tmp_path, "no-body"))
    assert build(site, out).up_to_date  # (the new manifest is whole again)
    page = out / "institutions/index.html"  # a file replaced by a link to the same bytes is not the file left
    page.rename(tmp_path / "kept.html")
    page.symlink_to(tmp_path / "kept.html")
    assert not build(site, out).up_to_date and not (out / "institutions/index.html").is_symlink()
    assert len(list((site / CACHE_DIR).glob("manifest-*.*.*"))) == 2  # (the parts of older manifests removed)


class _RunsCode:
    """Unpickling this runs code: it writes a file (what a pack made by someone else could do)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (_touch, (self.path,))


def _touch(path: str) -> None:
    with open(path, "w"):
        pass


@pytest.mark.slow
@pytest.mark.parametrize("signed_by", ["nobody", "another key"])
def test_a_cache_pack_not_written_by_this_machine_is_never_unpickled(site, tmp_path, signed_by):
    # a pull request can commit SOURCE/.catalogue-cache/ past .gitignore: its packs must not run code in the build
    out = tmp_path / "out"
    build(site, out)
    ran = tmp_path / "ran"
    pack = site / CACHE_DIR / "parsed.pack"
    entries = unpack(pack.read_bytes(), cache.signing_key())
    evil = {key: pickle.dumps(_RunsCode(str(ran))) for key in entries}
    pack.write_bytes(pickle.dumps(evil) if signed_by == "nobody" else pack_bytes(evil, b"k" * 32))
    course = site / "content/courses/beta-centre/extra-1.md"
    course.write_text(course.read_text().replace("Extra Course 1", "Extra Course One"))
    build(site, out)
    assert not ran.exists()
    assert tree(out) == tree(cold(site, tmp_path, f"foreign-{signed_by}"))
    # and one this machine signed is read (its entries unpickled): the check is the signature, not the name
    pack.write_bytes(pack_bytes(evil, cache.signing_key()))
    course.write_text(course.read_text().replace("Extra Course One", "Extra Course Uno"))
    build(site, out)
    assert ran.exists()


@pytest.mark.slow
@pytest.mark.parametrize("signed_by", ["nobody", "another key"])
def test_a_manifest_not_written_by_this_machine_is_not_read(site, tmp_path, signed_by):
    # its body (marshalled: fast, but not safe to load from anyone) is signed like the cache's packs
    out = tmp_path / "out"
    build(site, out)
    [body] = (site / CACHE_DIR).glob("manifest-*.*.body")
    with body.open("rb") as f:
        entries = cache.read_pack(f, cache.signing_key(), plain=True)
    assert set(entries) == {"fingerprint", "spare", "files", "keys", "indexed", "stats"}
    assert entries["files"] == read_manifest(site / CACHE_DIR, out).files and len(entries["files"]) > 20
    assert cache.read_pack(io.BytesIO(body.read_bytes()), cache.signing_key()) is None  # (not a pickle's pack)
    signed = io.BytesIO()
    cache.write_pack(signed, entries, b"k" * 32, plain=True)
    body.write_bytes(marshal.dumps(entries) if signed_by == "nobody" else signed.getvalue())
    assert read_manifest(site / CACHE_DIR, out) is None
    course = site / "content/courses/beta-centre/extra-1.md"
    course.write_text(course.read_text().replace("Extra Course 1", "Extra Course One"))
    result = build(site, out)  # from nothing: every file made anew
    assert result.written == result.files and tree(out) == tree(cold(site, tmp_path, signed_by))
    assert read_manifest(site / CACHE_DIR, out) is not None  # (the new one, this machine's)


@pytest.mark.slow
def test_with_no_key_to_sign_with_a_build_still_sees_it_has_nothing_to_do(site, tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "signing_key", lambda: None)
    monkeypatch.setattr(manifest_module, "signing_key", lambda: None)
    out = tmp_path / "out"
    build(site, out)
    assert not list((site / CACHE_DIR).glob("manifest-*.*.body")) and read_manifest(site / CACHE_DIR, out) is None
    assert build(site, out).up_to_date
    course = site / "content/courses/beta-centre/extra-1.md"
    course.write_text(course.read_text().replace("Extra Course 1", "Extra Course One"))
    result = build(site, out)  # (from nothing: there is no body to say what is unchanged)
    assert not result.up_to_date and result.written == result.files
    assert tree(out) == tree(cold(site, tmp_path, "no-key"))


@pytest.mark.slow
def test_no_cache_builds_everything(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    result = build(site, out, use_cache=False)
    assert not result.up_to_date and result.indexed
    assert tree(out)


def test_a_build_that_finds_its_files_as_left_reads_no_course_and_says_its_warnings_again(site, tmp_path):
    course = site / "content/courses/beta-centre/extra-0.md"
    course.write_text(course.read_text().replace("credits: 2\n", "credits: 2\nworkload_hours: 500\n"))
    out = tmp_path / "out"
    first = build(site, out)
    assert [d.code for d in first.diagnostics if not d.is_error]  # the workload warning
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = build(site, out)
    assert again.up_to_date and again.catalogue is None and list(again.timings.stages) == ["inputs"]
    assert again.diagnostics == first.diagnostics and again.summary == first.summary
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    with pytest.raises(ContentError):  # --strict still refuses the warning
        build(site, out, strict=True)


@pytest.mark.slow
def test_an_edit_that_keeps_the_size_and_modification_time_is_still_seen(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    course = site / "content/courses/beta-centre/extra-1.md"
    stat = course.stat()
    course.write_text(course.read_text().replace("Extra Course 1", "Extra Course X"))  # same length
    os.utime(course, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert course.stat().st_size == stat.st_size and course.stat().st_mtime_ns == stat.st_mtime_ns
    result = build(site, out)
    assert not result.up_to_date and "Extra Course X" in (out / "courses/beta-centre/extra-1/index.html").read_text()
    assert tree(out) == tree(cold(site, tmp_path, "same-size"))


def test_a_file_touched_but_unchanged_is_read_once_then_trusted_again(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    (site / "content/courses/beta-centre/extra-2.md").touch()
    touched = build(site, out)
    assert touched.up_to_date and touched.catalogue is not None  # read, found the same: nothing written
    assert build(site, out).catalogue is None  # and the next build trusts the files' new times


@pytest.mark.slow
def test_one_edit_makes_only_its_search_shard_anew(site, tmp_path, monkeypatch):
    monkeypatch.setattr(search, "SHARD_PAGES", 3)
    out = tmp_path / "out"
    first = build(site, out)
    assert first.shards[0] == first.shards[1] > 2
    inodes = {p.relative_to(out).as_posix(): p.stat().st_ino for p in (out / "pagefind").rglob("*") if p.is_file()}
    course = site / "content/courses/beta-centre/extra-3.md"
    course.write_text(course.read_text().replace("Extra Course 3", "Extra Course Three"))
    result = build(site, out)
    assert result.shards == (1, first.shards[1])
    page = "courses/beta-centre/extra-3/index.html"
    edited = next(k for k, group in enumerate(search.shards(sorted(c.url + "index.html" for c in result.catalogue.listed))) if page in group)
    folder = "pagefind/" if edited == 0 else f"pagefind/shards/{edited}/"
    after = {p.relative_to(out).as_posix(): p.stat().st_ino for p in (out / "pagefind").rglob("*") if p.is_file()}
    kept = {rel for rel in after if inodes.get(rel) == after[rel]}
    remade = set(after) - kept - {"pagefind/catalogue-pages.json"}
    # files of the edited shard are new; every file of the other shards is the last build's
    assert remade and all(rel.startswith(folder) and (edited != 0 or not rel.startswith("pagefind/shards/"))
                          for rel in remade)
    assert any(rel.startswith("pagefind/shards/") for rel in kept) and any(rel.startswith(folder) for rel in remade)
    with monkeypatch.context() as patch:
        patch.setattr(search, "SHARD_PAGES", 3)
        assert tree(out) == tree(cold(site, tmp_path, "shard"))
    # a course added and one deleted: only their shards are made anew
    (site / "content/courses/beta-centre/extra-5.md").unlink()
    again = build(site, out)
    assert 1 <= again.shards[0] < again.shards[1]
    assert tree(out) == tree(cold(site, tmp_path, "shard-delete"))
    # the folder of page links the shards were made from was moved out of the site, and removed after it
    assert not (out / "pagefind" / search.WORK).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [".out.spare"]  # (for the next build)


def test_a_rebuild_gives_way_to_its_search_index_and_takes_its_place_back(site, tmp_path, monkeypatch):
    import threading

    from generator.engine import build as build_module

    seen, switching = [], []

    def nice() -> None:
        thread = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, thread)
        interval = sys.getswitchinterval()
        with tuning.giving_way():
            seen.append(os.getpriority(os.PRIO_PROCESS, thread) - before)
            switching.append(sys.getswitchinterval())
        seen.append(os.getpriority(os.PRIO_PROCESS, thread) - before)
        switching.append(sys.getswitchinterval() == interval)

    worker = threading.Thread(target=nice)  # not this thread: without privileges it would stay lowered
    worker.start()
    worker.join()
    assert seen[0] == 10 or seen[0] == 19 - os.getpriority(os.PRIO_PROCESS, 0)
    assert switching == [0.001, True]  # the index's thread gets Python's lock sooner meanwhile, then as before
    if os.geteuid() == 0:
        assert seen[1] == 0
    # a rebuild making one shard beside its other files gives way while it makes them; a cold build does not
    entered = []
    real = tuning.giving_way

    def recording():
        entered.append(threading.get_native_id())
        return real()

    monkeypatch.setattr(build_module, "giving_way", recording)
    monkeypatch.setattr(search, "SHARD_PAGES", 3)
    out = tmp_path / "out"
    build(site, out)
    assert entered == []
    course = site / "content/courses/beta-centre/extra-1.md"
    course.write_text(course.read_text().replace("Extra Course 1", "Extra Course One"))
    assert build(site, out).shards[0] == 1 and entered == [threading.get_native_id()]


def test_an_edit_renders_only_the_pages_made_from_the_course(site, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(site, out)
    rendered = []
    real = pages.render_page

    def recording(theme, template, values, page_path=""):  # noqa: ANN001, ANN202
        rendered.append(theme.prefix + page_path + ("index.html" if template.endswith(".html") else ""))
        return real(theme, template, values, page_path)

    monkeypatch.setattr(pages, "render_page", recording)
    course = site / "content/courses/alpha-institute/data-stewardship.md"
    course.write_text(course.read_text() + "\nOne more sentence.\n")
    build(site, out)
    # its page, the listing page with its card, its institution's page, the pathways' pages and the calendar (which
    # list its course); not the other pages, nor the sitemap (made of addresses and dates alone)
    assert sorted(rendered) == ["calendar/index.html", "courses/alpha-institute/data-stewardship/index.html",
                                "index.html", "institutions/alpha-institute/index.html", "pathways/index.html",
                                "pathways/the-institute-s-certificate-in-research-management/index.html"]
    assert tree(out) == tree(cold(site, tmp_path, "rendered"))


@pytest.mark.slow
def test_an_edit_makes_again_only_the_calendar_dates_of_its_course(site, tmp_path, monkeypatch):
    import datetime as dt
    from generator.site import planning
    config = site / "site.yaml"
    config.write_text(config.read_text() + "languages: [en, cs]\n")
    out, today = tmp_path / "out", dt.date(2027, 1, 20)
    first = build(site, out, today=today)
    made: list[tuple[str, str, str, str]] = []
    real = planning.CalendarMonths._date

    def recording(self, date):  # noqa: ANN001, ANN202
        made.append((self.theme.language, date.course.id, date.kind, date.day.isoformat()))
        return real(self, date)

    monkeypatch.setattr(planning.CalendarMonths, "_date", recording)
    course = site / "content/courses/alpha-institute/data-stewardship.md"
    course.write_text(course.read_text().replace("\ntitle: ", "\ntitle: Edited ", 1))
    build(site, out, today=today)
    # its application deadline and its start, in each language: its title is shown there alone
    assert sorted(made) == [(language, "alpha-institute/data-stewardship", kind, day) for language in ("cs", "en")
                            for kind, day in (("deadline", "2027-02-15"), ("start", "2027-03-01"))]
    calendar = (out / "cs/calendar/index.html").read_text(encoding="utf-8")
    assert "Edited Data Stewardship" in calendar and calendar.count("<section class=\"calendar__month\"") == 12
    assert tree(out) == tree(cold_on(site, tmp_path, today))
    assert len(first.catalogue.listed) > 1  # (the other courses' months were kept, not made again)


@pytest.mark.slow
def test_an_edit_makes_again_only_the_institution_card_of_its_course(site, tmp_path, monkeypatch):
    config = site / "site.yaml"
    config.write_text(config.read_text() + "languages: [en, cs]\n")
    out = tmp_path / "out"
    first = build(site, out)
    made: list[tuple[str, str]] = []
    real = pages.Cards._card

    def recording(self, course):  # noqa: ANN001, ANN202
        made.append((self.theme.language, course.id))
        return real(self, course)

    monkeypatch.setattr(pages.Cards, "_card", recording)
    course = site / "content/courses/alpha-institute/data-stewardship.md"
    course.write_text(course.read_text().replace("\ntitle: ", "\ntitle: Edited ", 1))
    build(site, out)
    edited = "alpha-institute/data-stewardship"
    assert sorted(made) == [("cs", edited), ("en", edited)]  # the others' cards were kept, not made again
    listed = first.catalogue.by_institution["alpha-institute"]
    assert len(listed) > 1
    for prefix in ("", "cs/"):
        html = (out / prefix / "institutions/alpha-institute/index.html").read_text(encoding="utf-8")
        assert "Edited Data Stewardship" in html and html.count('<article class="card">') == len(listed)
        assert "<!--cards" not in html
    assert tree(out) == tree(cold(site, tmp_path, "cards"))
    # a change of the site's settings makes them all again: every page's of a language together (shared out
    # between processes) once one page has many to make
    made.clear()
    shared: list[int] = []
    real_run_all = pages.run_all

    def run_all(jobs):  # noqa: ANN001, ANN202
        shared.append(len(jobs))
        return real_run_all(jobs)

    monkeypatch.setattr(pages, "run_all", run_all)
    monkeypatch.setattr(pages.Cards, "TOGETHER_FROM", 2)
    config.write_text(config.read_text().replace("title: Test Catalogue", "title: Another Catalogue"))
    build(site, out)
    assert len(made) == 2 * len(first.catalogue.listed)
    assert shared == [len(first.catalogue.listed) - 1] * 2  # (one card made first, to load the theme's macros)
    assert tree(out) == tree(cold(site, tmp_path, "cards-again"))


def test_two_courses_of_the_same_words_each_have_their_own_card_and_calendar_dates(site, tmp_path):
    """A course file copied as it is (a new run's first step) has its parse, and so its hash, from its words
    alone: the parts kept by key (cards, the calendar's dates) still link each to its own page."""
    import datetime as dt
    course = site / "content/courses/alpha-institute/data-stewardship.md"
    (site / "content/courses/alpha-institute/data-stewardship-autumn.md").write_bytes(course.read_bytes())
    out = tmp_path / "out"
    build(site, out, today=dt.date(2027, 1, 20))
    page = (out / "institutions/alpha-institute/index.html").read_text(encoding="utf-8")
    calendar = (out / "calendar/index.html").read_text(encoding="utf-8")
    for slug in ("data-stewardship", "data-stewardship-autumn"):
        assert page.count(f'href="/courses/alpha-institute/{slug}/"') >= 1, slug
        assert calendar.count(f'data-course="alpha-institute/{slug}"') == 2, slug  # its deadline and its start
        assert calendar.count(f'href="/courses/alpha-institute/{slug}/"') == 2, slug


def test_an_edit_starts_the_search_index_once_its_pages_are_made(site, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(site, out)
    events: list[str] = []
    real_index, real_render = staged_module.build_index, pages.render_page

    def index(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        events.append("index")
        return real_index(*args, **kwargs)

    def render(theme, template, values, page_path=""):  # noqa: ANN001, ANN202
        events.append(page_path)
        return real_render(theme, template, values, page_path)

    monkeypatch.setattr(staged_module, "build_index", index)
    monkeypatch.setattr(pages, "render_page", render)
    course = site / "content/courses/alpha-institute/data-stewardship.md"
    course.write_text(course.read_text() + "\nOne more sentence.\n")
    build(site, out)
    # the course's page (which the index holds) first; the listing, institution and planning pages beside the index
    assert events[:2] == ["courses/alpha-institute/data-stewardship/", "index"]
    assert {"", "institutions/alpha-institute/", "calendar/"} <= set(events[2:])
    assert tree(out) == tree(cold(site, tmp_path, "index-first"))


def cold_on(site, tmp_path, today):
    """`cold`, on a given build date."""
    copy = tmp_path / "cold-on"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(CACHE_DIR, "output"))
    out = tmp_path / "cold-on-out"
    build(copy, out, use_cache=False, today=today)
    return out


@pytest.mark.slow
def test_a_shard_that_cannot_be_linked_is_made_again(site, tmp_path, monkeypatch):
    monkeypatch.setattr(search, "SHARD_PAGES", 3)
    out = tmp_path / "out"
    first = build(site, out)
    assert first.shards[1] > 2
    pages = sorted(c.url + "index.html" for c in first.catalogue.listed)
    edited = "courses/beta-centre/extra-3/index.html"
    groups = search.shards(pages)
    k = next(k for k, group in enumerate(groups) if edited in group)
    broken = next(j for j in range(1, len(groups)) if j != k)  # another shard, damaged behind the tool's back
    (out / f"pagefind/shards/{broken}/pagefind-entry.json").unlink()
    course = site / "content/courses/beta-centre/extra-3.md"
    course.write_text(course.read_text().replace("Extra Course 3", "Extra Course Three"))
    result = build(site, out)
    assert result.shards == (2, first.shards[1])  # the edited page's shard and the damaged one
    with monkeypatch.context() as patch:
        patch.setattr(search, "SHARD_PAGES", 3)
        assert tree(out) == tree(cold(site, tmp_path, "broken-shard"))


@pytest.mark.slow
def test_a_shard_pagefind_left_incomplete_is_made_again_and_never_published(site, tmp_path, monkeypatch, caplog):
    # Pagefind 1.5 does not flush its writes, and its process can exit before they land: files left empty
    caplog.set_level(logging.INFO)
    real = search._index
    damaged = []

    async def leaves_a_file_empty(view, written, config, linking):
        await real(view, written, config, linking)
        if len(damaged) < times:
            damaged.append(written)
            (written / "pagefind.js").write_bytes(b"")

    monkeypatch.setattr(search, "_index", leaves_a_file_empty)
    out = tmp_path / "out"
    times = 1
    build(site, out)
    assert len(damaged) == 1 and "making it again" in caplog.text
    assert tree(out) == tree(cold(site, tmp_path, "remade"))  # (the cold build's Pagefind left nothing empty)
    # left incomplete every time: the build fails with a message, and the published site stays as it was
    before = tree(out)
    course = site / "content/courses/beta-centre/extra-2.md"
    course.write_text(course.read_text().replace("Extra Course 2", "Extra Course Two"))
    damaged.clear()
    times = search.ATTEMPTS
    with pytest.raises(ContentError) as failed:
        build(site, out)
    assert len(damaged) == search.ATTEMPTS
    assert "incomplete (pagefind.js is empty)" in str(failed.value.diagnostics[0].message)
    assert tree(out) == before


def test_a_whole_shard_is_told_from_an_incomplete_one(tmp_path):
    import gzip as gz

    shard = tmp_path / "shard"
    (shard / "fragment").mkdir(parents=True)
    (shard / "pagefind-entry.json").write_text('{"version":"1.5.2","languages":{"en":{"page_count":1}}}')
    (shard / "pagefind.js").write_text("export {}")
    (shard / "fragment/en_1.pf_fragment").write_bytes(gz.compress(b'pagefind_dcd{"url":"/a/"}'))
    (shard / "pagefind-ui.css").write_bytes(b"")  # a file the catalogue removes anyway
    assert search._read_back(shard)[0] is None
    (shard / "fragment/en_1.pf_fragment").write_bytes(gz.compress(b'pagefind_dcd{"url":"/a/"}')[:-6])
    assert search._read_back(shard)[0] == "fragment/en_1.pf_fragment is cut short"
    (shard / "fragment/en_1.pf_fragment").write_bytes(b"")
    assert search._read_back(shard)[0] == "fragment/en_1.pf_fragment is empty"
    (shard / "fragment/en_1.pf_fragment").unlink()
    (shard / "pagefind-entry.json").write_text('{"version":')
    assert search._read_back(shard)[0] == "pagefind-entry.json cannot be read"


def test_the_index_is_closed_only_once_every_file_pagefind_wrote_has_landed(tmp_path):
    # Pagefind answers "written" while its last writes are still queued, and closing stops it at once
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    def on_its_own_thread(coroutine):  # (the browser tests' Playwright keeps an event loop on this one)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    shard = tmp_path / "shard"
    (shard / "fragment").mkdir(parents=True)
    (shard / "fragment/en_1.pf_fragment").write_bytes(gzip.compress(b'pagefind_dcd{"url":"/a/"}'))
    late = [shard / "pagefind-entry.json", shard / "wasm.unknown.pagefind"]
    for path in late:
        path.write_bytes(b"")
    writer = threading.Timer(0.2, lambda: [path.write_bytes(b"landed") for path in late])
    writer.start()
    on_its_own_thread(search._landed(shard))
    assert [path.read_bytes() for path in late] == [b"landed", b"landed"]
    writer.join()
    # a file that never lands is waited for only so long: the read-back then finds it
    late[0].write_bytes(b"")
    started = time.perf_counter()
    on_its_own_thread(search._landed(shard, wait=0.3))
    assert 0.3 <= time.perf_counter() - started < 2
    assert search._read_back(shard)[0] == "pagefind-entry.json is empty"


@pytest.mark.slow
def test_compiled_templates_are_kept_in_the_users_folder_and_give_the_same_site(site, tmp_path, monkeypatch):
    import jinja2

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    kept = tmp_path / "user/microcredentials-catalogue/templates" / fingerprint.code_version()
    stale = kept.parent / "0123456789abcdef"  # another version of the generator's: compiled otherwise
    stale.mkdir(parents=True)
    (stale / "__jinja2_0.cache").write_bytes(b"compiled by another version")
    compiled = []
    real = jinja2.Environment.compile

    def compile(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        compiled.append(args[1] if len(args) > 1 else kwargs.get("name"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", compile)
    reference = cold(site, tmp_path, "reference")  # --no-cache: templates compiled, nothing kept
    assert compiled and not kept.exists()
    compiled.clear()
    build(site, tmp_path / "first")
    assert compiled and sorted(p.name for p in kept.iterdir())  # compiled once, and kept
    assert not stale.exists()
    compiled.clear()
    second = copy_site("basic", tmp_path / "other-site")  # another site, the same theme
    for i in range(6):
        shutil.copy(site / f"content/courses/beta-centre/extra-{i}.md", second / "content/courses/beta-centre")
    build(second, tmp_path / "second")
    assert compiled == []  # every template read back compiled
    assert tree(tmp_path / "second") == tree(tmp_path / "first") == tree(reference)
    # a folder others could write to is not trusted: templates are compiled again
    kept.parent.chmod(0o777)
    build(site, tmp_path / "third", use_cache=True)
    assert compiled
    assert tree(tmp_path / "third") == tree(reference)


def folders(out):
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir())


@pytest.mark.slow
def test_a_rebuild_makes_its_folders_while_reading_and_keeps_none_the_site_no_longer_has(site, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(site, out)
    # a course removed, another moved to a new institution folder: the folders made early for the last
    # build's files are removed where the new build has none
    (site / "content/courses/beta-centre/extra-4.md").unlink()
    course = site / "content/courses/beta-centre/extra-5.md"
    course.write_text(course.read_text().replace("Extra Course 5", "Extra Course Five"))
    made = []
    real = staged_module.FoldersAhead.prune

    def noted(self, files):  # noqa: ANN001, ANN202
        self.join()
        made.append(folders(self.root))
        real(self, files)

    monkeypatch.setattr(staged_module.FoldersAhead, "prune", noted)
    build(site, out)
    assert made and "courses/beta-centre/extra-4" in made[0]  # made early, for the last build's file
    reference = cold(site, tmp_path, "removed")
    assert folders(out) == folders(reference) and tree(out) == tree(reference)
    assert not (out / "courses/beta-centre/extra-4").exists()
    # content errors: the early staged site is discarded, the published one untouched
    before = tree(out)
    course.write_text(course.read_text().replace("title:", "titel:"))
    with pytest.raises(ContentError):
        build(site, out)
    assert tree(out) == before
    # nothing staged is left; the site the second build replaced is still the spare, untouched
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == [".out.spare"]


def test_a_link_to_a_course_is_checked_again_when_that_course_goes(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)  # data-stewardship.md links kurz-biostatistiky.md: its parse result is now in the cache
    before = tree(out)
    (site / "content/courses/alpha-institute/kurz-biostatistiky.md").rename(
        site / "content/courses/alpha-institute/biostatistika.md")
    with pytest.raises(ContentError) as failed:
        build(site, out)
    assert [(d.path.endswith("alpha-institute/data-stewardship.md"), d.code, d.hint)
            for d in failed.value.diagnostics] == [(True, "bad-link", "did you mean biostatistika.md?")]
    assert tree(out) == before  # the last good site stays


# --- the spare: the site a build replaced, taken over by the next one (fast/spare.py) ----------------------------

def inodes(folder):
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def image(folder):
    """A site's files and their inodes, but its marker and its search index."""
    return {rel: ino for rel, ino in inodes(folder).items() if not rel.startswith("pagefind/") and rel != MARKER}


def edit(site, i: int, words: str) -> None:
    course = site / f"content/courses/beta-centre/extra-{i}.md"
    course.write_text(course.read_text() + f"\n{words}\n")


@pytest.mark.slow
def test_a_rebuild_takes_over_the_spare_and_links_only_what_changed_since_it(site, tmp_path, monkeypatch):
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    build(site, out)
    edit(site, 1, "First edit.")
    build(site, out)  # the first build's site, replaced, is made the second's image: the spare
    site_files = image(out)
    assert image(spare) == site_files  # the same files (the search index is made anew every time)
    linked = []
    real_link = os.link
    monkeypatch.setattr(os, "link", lambda a, b, **kw: linked.append(os.fspath(b)) or real_link(a, b, **kw))
    edit(site, 2, "Second edit.")
    build(site, out)
    assert tree(out) == tree(cold(site, tmp_path, "spare"))
    # no course's file was linked but the edited one's (made anew, then linked into the next spare); the files
    # made on every build (data, assets) are linked when their bytes are the same
    relinked = sorted({path.split(".out.new-", 1)[1].split("/", 1)[1] for path in linked if ".out.new-" in path})
    assert "courses/beta-centre/extra-2/index.html" in relinked
    assert [rel for rel in relinked if rel.startswith("courses/")
            and not rel.startswith("courses/beta-centre/extra-2/")] == []
    # every file the edit left alone is still the same file as the second build's, and the spare is the
    # third build's image
    now = inodes(out)
    assert now["courses/beta-centre/extra-3/index.html"] == site_files["courses/beta-centre/extra-3/index.html"]
    assert image(spare) == image(out)


@pytest.mark.slow
def test_a_spare_changed_by_hand_gives_the_same_site(site, tmp_path):
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    build(site, out)
    edit(site, 1, "First edit.")
    build(site, out)
    # a file added, a file replaced by other bytes, a file replaced by a folder, a folder replaced by a file
    (spare / "stray.html").write_text("<script>alert(1)</script>")
    page = spare / "courses/beta-centre/extra-3/index.html"
    page.unlink()
    page.write_text("not the page")
    card = spare / "courses/beta-centre/extra-4/elm.jsonld"
    card.unlink()
    card.mkdir()
    (card / "inside.txt").write_text("x")
    shutil.rmtree(spare / "institutions/alpha-institute")
    (spare / "institutions/alpha-institute").write_text("a file where a folder was")
    edit(site, 2, "Second edit.")
    build(site, out)
    assert not (out / "stray.html").exists()
    assert tree(out) == tree(cold(site, tmp_path, "tampered"))


@pytest.mark.slow
def test_a_spare_of_another_build_is_not_used(site, tmp_path):
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    build(site, out)
    edit(site, 1, "First edit.")
    build(site, out)
    marker = spare / ".catalogue-output"
    marker.write_text(marker.read_text().replace(marker.read_text().splitlines()[1], "0" * 32))
    (spare / "stray.html").write_text("not this build's")
    edit(site, 2, "Second edit.")
    build(site, out)
    assert not (out / "stray.html").exists() and tree(out) == tree(cold(site, tmp_path, "other"))
    # a build without the cache keeps no spare (nothing would trust it) and removes the one there was
    edit(site, 3, "Third edit.")
    build(site, out, use_cache=False)
    assert not spare.exists() and tree(out) == tree(cold(site, tmp_path, "no-cache"))


def run_build(site, out, *extra: str) -> None:
    """The command, as a user runs it (it leaves the spare to a process of its own when it must make one)."""
    import subprocess
    subprocess.run([sys.executable, "-m", "generator", "build", "--source", os.fspath(site), "--out",
                    os.fspath(out), "-q", *extra], check=True, timeout=120, cwd=os.path.dirname(os.path.dirname(
                        os.path.abspath(__file__))))


@pytest.mark.slow
def test_after_a_build_that_shared_nothing_the_spare_is_made_by_a_process_and_waited_for(site, tmp_path):
    out, spare = tmp_path / "out", tmp_path / ".out.spare"
    run_build(site, out, "--no-cache")
    run_build(site, out)  # the cache is filled: every file written anew, none the replaced site's
    edit(site, 1, "An edit right after.")
    run_build(site, out)  # waits for the spare, if it is still being made, and takes it over
    assert tree(out) == tree(cold(site, tmp_path, "made"))
    deadline = time.monotonic() + 30
    while ((tmp_path / ".out.spare-making").exists() or (tmp_path / ".out.spare-maker").exists()) \
            and time.monotonic() < deadline:  # (the maker's number is there until it has removed what it replaced)
        time.sleep(0.02)
    assert image(spare) == image(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.spare"]


def a_maker_at_work(tmp_path, ending: str):
    """The spare as a maker still making it leaves it (in its folder, the maker's number in its file), with a
    process that stands for the maker until `go` is made: then it puts the spare in place ("made") or ends
    without ("died")."""
    import subprocess
    making, go = tmp_path / ".out.spare-making", tmp_path / "go"
    os.rename(tmp_path / ".out.spare", making)
    maker = subprocess.Popen([sys.executable, "-m", "tests.maker_stand_in", str(making), str(tmp_path / ".out.spare"),
                              str(tmp_path / ".out.spare-maker"), str(go), ending], cwd=ROOT)
    deadline = time.monotonic() + 10
    while not (tmp_path / ".out.spare-maker").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return maker, making, go


def puts_noting_the_maker(monkeypatch, making, go):
    """Sink.put, noting whether the spare was still being made each time; the first put lets the maker end."""
    from generator.engine.output import Sink
    seen, real_put = [], Sink.put

    def put(self, rel, data):
        seen.append(making.exists())
        go.touch()
        return real_put(self, rel, data)

    monkeypatch.setattr(Sink, "put", put)
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("ending", ["made", "died"])
def test_an_edit_while_the_spare_is_made_makes_its_files_meanwhile(site, tmp_path, monkeypatch, ending):
    out = tmp_path / "out"
    build(site, out)
    edit(site, 1, "First edit.")
    build(site, out)
    before = inodes(out)
    maker, making, go = a_maker_at_work(tmp_path, ending)
    seen = puts_noting_the_maker(monkeypatch, making, go)
    edit(site, 2, "An edit while the spare is made.")
    build(site, out)
    maker.wait(timeout=30)
    assert seen[0] is True  # the first file was made before the spare was ready, not after waiting for it
    assert tree(out) == tree(cold(site, tmp_path, "meanwhile"))
    if ending == "made":  # the spare taken over: what the edit left alone is still the same file
        assert inodes(out)["courses/beta-centre/extra-3/index.html"] == before["courses/beta-centre/extra-3/index.html"]
        assert image(tmp_path / ".out.spare") == image(out)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.spare"]


@pytest.mark.slow
def test_a_large_rebuild_while_the_spare_is_made_waits_for_it(site, tmp_path, monkeypatch):
    out = tmp_path / "out"
    build(site, out)
    edit(site, 1, "First edit.")
    build(site, out)
    maker, making, go = a_maker_at_work(tmp_path, "made")
    seen = puts_noting_the_maker(monkeypatch, making, go)
    monkeypatch.setattr(staged_module, "PARALLEL_FROM", 1)  # (every rebuild is large then)
    edit(site, 2, "An edit while the spare is made.")
    threading.Timer(0.5, go.touch).start()  # (nothing is made before the maker ends: it is let go)
    build(site, out)
    maker.wait(timeout=30)
    assert seen and not any(seen)  # every file made into the spare, once it was ready
    assert tree(out) == tree(cold(site, tmp_path, "large"))
    assert image(tmp_path / ".out.spare") == image(out)


def test_the_spare_maker_makes_a_replaced_site_the_published_ones_image(tmp_path):
    import subprocess
    from generator.fast.programs import make_spare
    out, making, spare = tmp_path / "out", tmp_path / ".out.spare-making", tmp_path / ".out.spare"
    for rel, text in {"index.html": "new home", "a/b/page.html": "kept", "a/c": "now a file", "d/e.html": "new",
                      MARKER: "token", "pagefind/x.js": "index"}.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    for rel, text in {"index.html": "old home", "a/c/old.html": "a folder where a file is now", "d": "a file",
                      "gone/old.html": "not there any more", MARKER: "old token", "pagefind/y.js": "old index"}.items():
        (making / rel).parent.mkdir(parents=True, exist_ok=True)
        (making / rel).write_text(text)
    (making / "a/b").mkdir(parents=True)
    os.link(out / "a/b/page.html", making / "a/b/page.html")  # already the published file: left as it is
    kept = (making / "a/b/page.html").stat().st_ino
    subprocess.run([sys.executable, make_spare.__file__, str(out), str(making), str(spare), "the token",
                    str(tmp_path / "pid")], check=True, timeout=60)
    assert not making.exists() and image(spare) == image(out) and (spare / "a/b/page.html").stat().st_ino == kept
    assert sorted(p.relative_to(spare).as_posix() for p in spare.rglob("*")) == [
        MARKER, "a", "a/b", "a/b/page.html", "a/c", "d", "d/e.html", "index.html"]
    assert (spare / MARKER).read_text().splitlines()[-1] == "the token"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.spare", "out"]  # (what it moved aside, removed)


@pytest.mark.slow
def test_the_spare_makers_removal_pauses_while_a_build_runs(tmp_path):
    from generator.fast.programs import make_spare
    trash, lock = tmp_path / "trash", tmp_path / ".out.lock"
    for i in range(600):
        (trash / f"f{i % 7}").mkdir(parents=True, exist_ok=True)
        (trash / f"f{i % 7}/{i}.html").write_text("x")
    lock.write_text("")  # a build into the output runs
    removing = threading.Thread(target=make_spare.remove_giving_way, args=(str(trash), str(lock), 20.0))
    removing.start()
    time.sleep(0.5)
    assert len(list(trash.rglob("*.html"))) == 600 - 255  # paused at its 256th file
    lock.unlink()  # the build ended
    removing.join(timeout=20)
    assert not trash.exists()
    # a lock file a killed build left is waited for only so long
    (trash / "a").mkdir(parents=True)
    for i in range(300):
        (trash / f"a/{i}.html").write_text("x")
    lock.write_text("")
    started = time.monotonic()
    make_spare.remove_giving_way(str(trash), str(lock), 0.2)
    assert not trash.exists() and time.monotonic() - started < 10


@pytest.mark.slow
def test_a_build_leaves_what_a_running_maker_moved_aside_to_it(tmp_path):
    import subprocess
    from generator.engine.output import recover
    out, trash = tmp_path / "out", tmp_path / ".out.spare-making.trash"
    out.mkdir()
    (trash / "a").mkdir(parents=True)
    (trash / "a/page.html").write_text("replaced")
    maker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])  # (a maker still at work)
    try:
        (tmp_path / ".out.spare-maker").write_text(str(maker.pid))
        recover(out)
        assert (trash / "a/page.html").exists()  # its maker removes it, pausing while builds run
    finally:
        maker.kill()
        maker.wait()
    recover(out)  # its maker died: what it left is a leftover like any other
    assert not trash.exists()


@pytest.mark.slow
def test_a_spare_maker_that_died_is_not_waited_for(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    (tmp_path / ".out.spare-making").mkdir()  # as a maker killed midway leaves it
    (tmp_path / ".out.spare-maker").write_text("999999999")
    edit(site, 1, "An edit.")
    started = time.monotonic()
    build(site, out)
    assert time.monotonic() - started < 20 and tree(out) == tree(cold(site, tmp_path, "died"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.spare"]


@pytest.mark.slow  # (waits for a stopped build's spare to be made again)
def test_a_build_with_nothing_to_publish_makes_the_spare_a_stopped_build_took(site, tmp_path):
    out = tmp_path / "out"
    build(site, out, remove_old_later=True)
    edit(site, 1, "An edit.")
    build(site, out, remove_old_later=True)  # (its replaced site is the spare)
    spare = tmp_path / ".out.spare"
    assert spare.is_dir()
    spare.rename(tmp_path / ".out.new-stopped")  # as a build stopped after taking it over leaves things
    course = next((site / "content/courses").glob("*/*.md"))
    course.write_text(course.read_text())  # touched, the same content: nothing to publish
    assert build(site, out, remove_old_later=True).up_to_date
    deadline = time.monotonic() + 30
    while sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) != [".out.spare"] \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == [".out.spare"]
    edit(site, 2, "Another edit.")  # and the next build takes it over
    build(site, out, remove_old_later=True)
    assert tree(out) == tree(cold(site, tmp_path, "after"))
