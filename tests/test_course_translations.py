"""Course translations: course.cs.md beside course.md gives its texts in another language, shown on the pages in
that language, carried by the ELM export, and rebuilt when it changes."""
from __future__ import annotations

import json
import re

import pytest

from generator.content.files import discover
from generator.content.load import check, load
from generator.engine.build import build
from generator.serve.preview import Preview
from generator.site import elm

from .conftest import COURSE
from .test_elm import shapes, validate  # noqa: F401 — the shapes fixture, parsed once for this module too

COURSE_DIR = "content/courses/test-institute"
TRANSLATION = """\
---
title: Zkušební kurz
summary: Kurz, který používají testy.
learning_outcomes:
  - Dělat jednu věc dobře.
---

Popis kurzu v češtině, s [odkazem na jiný kurz](other-course.md).
"""
OTHER = COURSE.replace("A Test Course", "Another Course").replace("enrol_url:", "start_date: 2027-05-01\nenrol_url:")


@pytest.fixture
def site(make_site):
    return make_site({"site.yaml": "languages: [en, cs]\n", f"{COURSE_DIR}/test-course.cs.md": TRANSLATION,
                      f"{COURSE_DIR}/other-course.md": OTHER})


def page(out, path):
    return (out / path).read_text(encoding="utf-8")


def test_a_translation_is_found_beside_its_course_and_is_not_a_course(site):
    found = discover(site)
    assert [s.path.name for s in found.translations] == ["test-course.cs.md"]
    assert "test-course.cs.md" not in [s.path.name for s in found.courses]
    catalogue, diags = load(site)
    assert diags == []
    course = next(c for c in catalogue.courses if c.slug == "test-course")
    [translation] = course.translations
    assert (translation.language, translation.title) == ("cs", "Zkušební kurz")
    assert translation.source.endswith(f"{COURSE_DIR}/test-course.cs.md")


def test_a_dotted_name_that_is_no_translation_is_still_refused(make_site):
    site = make_site({f"{COURSE_DIR}/my.course.md": COURSE})
    assert [d.code for d in check(site)] == ["bad-id"]


def test_the_page_in_the_translations_language_shows_it_and_the_others_the_original(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    cs = page(out, "cs/courses/test-institute/test-course/index.html")
    en = page(out, "courses/test-institute/test-course/index.html")
    assert '<h1 lang="cs">Zkušební kurz</h1>' in cs and '<p class="lead" lang="cs">Kurz, který používají testy.</p>' in cs
    assert '<ul class="outcomes" lang="cs">' in cs and "<li>Dělat jednu věc dobře.</li>" in cs
    assert '<div class="prose" lang="cs">' in cs and "Popis kurzu v češtině" in cs
    assert "<title>Zkušební kurz · " in cs and '<meta name="description" content="Kurz, který používají testy.">' in cs
    assert '<meta property="og:title" content="Zkušební kurz">' in cs
    # the facts that are not translated stay in the course file's language
    assert '<dd lang="en">A written test.</dd>' in cs
    # the link to another course's file goes to that course's page in the same language
    assert 'href="../../test-institute/other-course/"' in cs
    assert '<h1 lang="en">A Test Course</h1>' in en and "Zkušební kurz" not in en
    schema = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', cs).group(1))
    assert schema["name"] == "Zkušební kurz" and schema["inLanguage"] == "en"  # the language it is taught in
    assert schema["teaches"] == ["Dělat jednu věc dobře."]


def test_the_result_cards_follow_the_pages(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    cards = {c["url"]: c for c in json.loads(page(out, "search/cards.json"))}
    card = cards["courses/test-institute/test-course/"]
    assert (card["title"], card["lang"]) == ("A Test Course", "en")
    assert card["translations"] == {"cs": {"title": "Zkušební kurz", "summary": "Kurz, který používají testy."}}
    assert "translations" not in cards["courses/test-institute/other-course/"]
    assert not (out / "cs/search/cards.json").exists()  # one card for every language
    listing = page(out, "cs/index.html")
    assert 'lang="cs">Zkušební kurz</a>' in listing and 'lang="en">Another Course</a>' in listing
    assert 'lang="en">A Test Course</a>' in page(out, "index.html")


def test_what_a_translation_leaves_out_is_shown_from_the_course_file(make_site, tmp_path):
    site = make_site({"site.yaml": "languages: [en, cs]\n",
                      f"{COURSE_DIR}/test-course.cs.md": "---\ntitle: Zkušební kurz\nsummary: Krátce.\n---\n"})
    out = tmp_path / "out"
    build(site, out)
    cs = page(out, "cs/courses/test-institute/test-course/index.html")
    assert '<h1 lang="cs">Zkušební kurz</h1>' in cs
    assert '<ul class="outcomes" lang="en">' in cs and "<li>Do a thing well.</li>" in cs
    assert '<div class="prose" lang="en">' in cs and "The course body." in cs


@pytest.mark.slow
def test_a_course_without_a_translation_is_built_byte_for_byte_as_before(site, tmp_path):
    with_translation, without = tmp_path / "with", tmp_path / "without"
    build(site, with_translation, use_cache=False)
    (site / COURSE_DIR / "test-course.cs.md").unlink()
    build(site, without, use_cache=False)
    for path in ("courses/test-institute/other-course/index.html", "cs/courses/test-institute/other-course/index.html",
                 "cs/search/words.json",
                 "courses/test-institute/other-course/elm.jsonld"):
        assert (with_translation / path).read_bytes() == (without / path).read_bytes(), path


def test_an_edited_translation_rebuilds_its_course_and_nothing_else(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    before = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    translation = site / COURSE_DIR / "test-course.cs.md"
    translation.write_text(TRANSLATION.replace("Zkušební kurz", "Upravený kurz"), encoding="utf-8")
    result = build(site, out)
    assert not result.up_to_date
    after = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    rewritten = {rel for rel in after if before.get(rel) != after[rel]}
    assert "cs/courses/test-institute/test-course/index.html" in rewritten
    assert "search/cards.json" in rewritten
    assert "Upravený kurz" in page(out, "search/cards.json")
    assert "Upravený kurz" in page(out, "cs/courses/test-institute/test-course/index.html")
    assert not {rel for rel in rewritten if "/other-course/" in rel}
    other = next(c for c in json.loads(page(out, "search/cards.json")) if c["url"].endswith("/other-course/"))
    assert "translations" not in other


def test_the_preview_sees_a_translation_added_edited_and_removed(make_site, tmp_path):
    site = make_site({"site.yaml": "languages: [en, cs]\n", f"{COURSE_DIR}/other-course.md": OTHER})
    served = tmp_path / "served"
    served.mkdir()
    preview = Preview(site, served)
    assert preview.refresh().ok
    shown = served / "cs/courses/test-institute/test-course/index.html"
    assert "Zkušební kurz" not in shown.read_text(encoding="utf-8")
    translation = site / COURSE_DIR / "test-course.cs.md"
    translation.write_text(TRANSLATION, encoding="utf-8")
    assert preview.refresh().ok
    assert "Zkušební kurz" in shown.read_text(encoding="utf-8")
    translation.write_text(TRANSLATION.replace("Zkušební kurz", "Upravený kurz"), encoding="utf-8")
    assert preview.refresh().ok
    assert "Upravený kurz" in shown.read_text(encoding="utf-8")
    translation.unlink()
    assert preview.refresh().ok
    assert '<h1 lang="en">A Test Course</h1>' in shown.read_text(encoding="utf-8")


def test_elm_carries_every_language_and_conforms(site, shapes):  # noqa: F811
    catalogue, _ = load(site)
    course = next(c for c in catalogue.listed if c.slug == "test-course")
    document = elm.course_elm(course, catalogue.institutions_by_id[course.institution_id], catalogue.config)
    opportunity = document
    assert opportunity["title"] == {"en": "A Test Course", "cs": "Zkušební kurz"}
    assert opportunity["description"] == {"en": "A course used in the tests.", "cs": "Kurz, který používají testy."}
    spec = opportunity["learningAchievementSpecification"]
    assert spec["title"] == {"en": "A Test Course", "cs": "Zkušební kurz"}
    assert [o["title"] for o in spec["learningOutcome"]] == [{"en": "Do a thing well.", "cs": "Dělat jednu věc dobře."}]
    conforms, text = validate(document, shapes)
    assert conforms, text


def test_a_translation_into_a_language_the_site_has_no_pages_in_is_left_out(make_site, tmp_path):
    site = make_site({f"{COURSE_DIR}/test-course.cs.md": TRANSLATION.replace("(other-course.md)", "(test-course.md)")})
    catalogue, diags = load(site)
    assert [d.code for d in diags] == ["site-language"]
    assert catalogue.courses[0].translations == ()
