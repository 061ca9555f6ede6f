"""The engine's seams: routes, artifacts and their keys, shared by the build and the live preview."""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest

from generator.content.load import load
from generator.content.model import Course
from generator.content.schema import COURSE_FIELDS
from generator.diagnostics import ContentError, Diagnostic
from generator.engine.artifact import Artifact, make
from generator.engine.build import build
from generator.engine.output import InMemory
from generator.serve.preview import Preview
from generator.site import routes
from generator.site.data import COURSES_JSON_FIELDS
from generator.site.theme import load_theme

from .conftest import copy_site

made_by_route: list[str] = []


def _count_words(catalogue, theme, base_key):  # noqa: ANN001, ANN202 — a route as a newcomer would add one
    text = "".join(f"{c.id} {len(c.title.split())}\n" for c in catalogue.listed).encode()

    def make_it() -> bytes:
        made_by_route.append("words.txt")
        return text
    yield Artifact("words.txt", make_it, key=base_key + "|" + text.decode())


@pytest.fixture
def with_new_route(monkeypatch: pytest.MonkeyPatch) -> None:
    made_by_route.clear()
    monkeypatch.setattr(routes, "ROUTES", (*routes.ROUTES, routes.Route("word counts", _count_words)))


@pytest.mark.slow
def test_a_new_route_is_built_kept_by_its_key_and_previewed_without_other_changes(with_new_route, tmp_path):
    site = copy_site("basic", tmp_path / "site")
    out = tmp_path / "out"
    build(site, out)
    assert "alpha-institute/data-stewardship 6\n" in (out / "words.txt").read_text()
    assert made_by_route == ["words.txt"]
    course = site / "content/courses/beta-centre/old-workshop.md"  # an edit that does not change the file
    course.write_text(course.read_text() + "\nOne more sentence.\n")
    build(site, out)
    assert made_by_route == ["words.txt"]  # its key was unchanged: linked from the last build, not made
    assert (out / "words.txt").is_file()
    served = tmp_path / "served"
    served.mkdir()
    preview = Preview(site, served)
    assert preview.refresh().ok
    assert (served / "words.txt").read_bytes() == (out / "words.txt").read_bytes()


def test_make_reuses_by_key_and_reports_every_problem_at_once():
    calls = []

    def made(name: str) -> bytes:
        calls.append(name)
        return name.encode()

    def broken(name: str) -> bytes:
        raise ContentError([Diagnostic(name, 1, 1, message="template error: boom")])

    artifacts = [Artifact("a", functools.partial(made, "a"), key="k1"),
                 Artifact("b", functools.partial(made, "b"), key=lambda: "k2"),
                 Artifact("c", functools.partial(made, "c"))]
    sink = InMemory()
    result = make(artifacts, {"a": "k1", "b": "old", "c": ""}, sink)
    assert calls == ["b", "c"] and result.reused == {"a"} and result.keys == {"a": "k1", "b": "k2"}
    assert sink.data == {"b": b"b", "c": b"c"}
    with pytest.raises(ContentError) as failed:
        make([Artifact("x", functools.partial(broken, "x.html")), Artifact("y", functools.partial(broken, "y.html"))],
             {}, InMemory())
    assert sorted(d.path for d in failed.value.diagnostics) == ["x.html", "y.html"]


def test_needed_work_runs_once_before_the_artifacts_that_need_it():
    order = []
    need = functools.partial(order.append, "need")
    artifacts = [Artifact(p, functools.partial(lambda p: order.append(p) or b"", p), needs=need) for p in "xyz"]
    make(artifacts, {}, InMemory())
    assert order == ["need", "x", "y", "z"]
    order.clear()
    make([a._replace(key="same") for a in artifacts], {p: "same" for p in "xyz"}, InMemory())
    assert order == []  # nothing to make: nothing needed


def test_the_plan_of_a_site_names_every_file_once_and_indexes_the_listed_course_pages(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    catalogue, _ = load(site)
    plan = routes.plan(catalogue, load_theme(catalogue.config))
    paths = [a.path for a in (*plan.now, *plan.later)]
    assert len(paths) == len(set(paths))
    assert plan.indexed == tuple(sorted(c.url + "index.html" for c in catalogue.listed))
    assert {"index.html", "sitemap.xml", "courses.json", "elm.jsonld", "search/browse.json"} <= set(paths)
    later = {a.path for a in plan.later}
    assert "sitemap.xml" in later and not any(p.endswith("index.html") for p in later)


def test_one_field_list_ties_the_schema_the_course_record_and_courses_json():
    schema = {spec.name for spec in COURSE_FIELDS}
    record = {f.name for f in dataclasses.fields(Course)}
    assert set(COURSES_JSON_FIELDS) == schema
    assert schema <= record
    internal = record - schema
    assert internal == {"id", "institution_id", "slug", "source", "body_html", "digest", "passed", "title_line",
                        "places", "course_links", "translations", "pictures", "documents", "media_refs"}


def test_the_build_and_the_preview_make_the_same_bytes(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    out = tmp_path / "out"
    build(site, out, base_url="/")
    served = tmp_path / "served"
    served.mkdir()
    preview = Preview(site, served)
    assert preview.refresh().ok
    preview.refresh_later()
    for path in sorted(preview.folder.hashes):
        if not path.startswith("admin/"):  # the preview's own web editor: tests/test_editor.py
            assert (served / path).read_bytes() == (out / path).read_bytes(), path
    built = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert built - set(preview.folder.hashes) <= {".catalogue-output"} | {p for p in built if p.startswith("pagefind/")}


def test_a_stale_file_is_removed_from_the_preview_at_once(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    served = tmp_path / "served"
    served.mkdir()
    preview = Preview(site, served)
    preview.refresh()
    preview.refresh_later()
    assert (served / "courses/beta-centre/good-clinical-practice/elm.jsonld").is_file()
    Path(site / "content/courses/beta-centre/good-clinical-practice.md").unlink()
    outcome = preview.refresh()
    assert outcome.ok and "courses/beta-centre/good-clinical-practice/elm.jsonld" in outcome.removed
    assert not (served / "courses/beta-centre/good-clinical-practice").exists() or \
        not any((served / "courses/beta-centre/good-clinical-practice").iterdir())


def test_a_course_has_a_calendar_file_exactly_when_it_has_events(make_site):
    from generator.site import feeds

    from .varied_site import varied_courses
    catalogue, _ = load(make_site(varied_courses()))
    assert any(feeds.course_calendar_path(c, catalogue) for c in catalogue.courses)
    for course in catalogue.courses:
        has = bool(course.listed and feeds.events(course, catalogue))
        assert bool(feeds.course_calendar_path(course, catalogue)) == has, course.id
