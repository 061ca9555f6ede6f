"""Pathways, the calendar, the shortlist's data and the feeds of every filter, checked against the content files
(read here without the generator's parser) and against their standards (Atom, RFC 5545, the ELM shapes)."""
from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import icalendar
import pytest

from generator.content.pathways import award_key, pathway_slug, pathways, spelling_problems
from generator.engine.build import load
from generator.site import elm, planning

from .conftest import ROOT
from .test_elm import ELM, RDF, front_matter, graph, load_shapes, validate

ATOM = "{http://www.w3.org/2005/Atom}"
CREDIT_BOUNDS = ((2, "1–2"), (5, "3–5"), (10, "6–10"), (30, "11–30"), (60, "31–60"))


def content_courses(root: Path = ROOT) -> dict[str, dict]:
    """Every listed course of a site by id, with its institution's fields under '_institution'."""
    institutions = {p.stem: front_matter_yaml(p) for p in (root / "content" / "institutions").glob("*.yaml")}
    found = {}
    for path in sorted((root / "content" / "courses").glob("*/*.md")):
        if path.name.count(".") > 1:  # a translation: course.cs.md
            continue
        fields = front_matter(path)
        if fields.get("status") == "archived":
            continue
        fields["_institution"] = {"id": path.parent.name, **institutions[path.parent.name]}
        found[f"{path.parent.name}/{path.stem}"] = fields
    return found


def front_matter_yaml(path: Path) -> dict:
    import yaml
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def listify(value) -> list[str]:
    return [] if value is None else [str(v) for v in value] if isinstance(value, list) else [str(value)]


def facet_values(fields: dict) -> dict[str, list[str]]:
    """A course's value of each filter, worked out from its file as the home page's filters describe them."""
    credits = float(fields["credits"])
    return {
        "credits": [next(label for bound, label in CREDIT_BOUNDS if credits <= bound)],
        "level": [str(fields["eqf_level"])], "audience": listify(fields["audience"]),
        "institution": [fields["_institution"]["id"]], "country": [fields["_institution"]["country"]],
        "mode": [fields["mode"]], "language": listify(fields["language"]), "topic": listify(fields.get("topics")),
    }


@pytest.fixture(scope="module")
def sample(sample_build):
    return sample_build[1].catalogue


# ---- pathways ------------------------------------------------------------------------------------------------

def test_an_award_is_compared_without_case_accents_spaces_or_punctuation():
    assert award_key("Certyfikat  Szkoły Doktorskiej (10 ECTS)") == "certyfikat-szkoly-doktorskiej-10-ects"
    assert award_key("certyfikat szkoły doktorskiej – 10 ECTS.") == award_key("Certyfikat Szkoly Doktorskiej (10 ECTS)")
    assert award_key("Сертификат по фармакология") == "sertifikat-po-farmakologiya"
    long = "Certificate " + "in advanced research methods " * 20
    assert len(pathway_slug(long)) <= 80 and pathway_slug(long) != pathway_slug(long + "x")
    assert pathway_slug(long) == pathway_slug(long.upper())
    assert award_key("博士课程") != award_key("硕士课程") and award_key("博士课程").startswith("award-")


def test_the_sample_has_a_pathway_of_two_to_four_courses_across_institutions(sample):
    shared = [p for p in pathways(sample.listed) if 2 <= len(p.courses) <= 4
              and len({c.institution_id for c in p.courses}) > 1]
    assert shared, "the sample catalogue needs a pathway across institutions"
    for pathway in shared:
        starts = [c.start_date for c in pathway.courses if c.start_date]
        assert starts == sorted(starts)


def test_pathways_group_courses_by_their_award_as_the_files_say_it(sample):
    expected: dict[str, set[str]] = {}
    for course_id, fields in content_courses().items():
        if fields.get("stackability") == "stackable" and fields.get("stackable_towards"):
            expected.setdefault(award_key(fields["stackable_towards"]), set()).add(course_id)
    found = {p.slug: {c.id for c in p.courses} for p in pathways(sample.listed)}
    assert found == {pathway_slug(key): ids for key, ids in expected.items()}


def test_each_pathway_page_totals_the_credits_of_its_courses(sample_build):
    out, result = sample_build
    files = content_courses()
    for pathway in pathways(result.catalogue.listed):
        html = (out / pathway.url / "index.html").read_text(encoding="utf-8")
        total = sum(float(files[c.id]["credits"]) for c in pathway.courses)
        shown = re.search(r"data-pathway-credits>([^<]*)<", html).group(1)
        assert shown == f"{total:g} ECTS credit" + ("" if total == 1 else "s"), pathway.slug
        assert re.search(r"data-pathway-courses>(\d+)<", html).group(1) == str(len(pathway.courses))
        links = re.findall(r'class="card__title"><a href="/(courses/[^"]+)"', html)
        assert links == [c.url for c in pathway.courses]  # in order of their start dates
        czech = (out / "cs" / pathway.url / "index.html").read_text(encoding="utf-8")
        assert "kredit" in re.search(r"data-pathway-credits>([^<]*)<", czech).group(1)
    index = (out / "pathways" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="/{p.url}"' in index for p in pathways(result.catalogue.listed))


def test_a_course_page_links_its_pathway_and_only_a_stackable_one_does(sample_build):
    out, result = sample_build
    for course in result.catalogue.listed:
        html = (out / course.url / "index.html").read_text(encoding="utf-8")
        linked = re.findall(r'class="course__pathway"[^>]*>.*?href="/(pathways/[^"]+)"', html)
        stacks = course.stackability == "stackable" and course.stackable_towards
        assert linked == ([f"pathways/{pathway_slug(course.stackable_towards)}/"] if stacks else []), course.id


def test_two_spellings_of_one_award_are_told_where_the_less_used_one_is(make_site):
    def course(title: str, award: str) -> str:
        from .conftest import COURSE
        return COURSE.replace("title: A Test Course", f"title: {title}").replace(
            "enrol_url:", f"stackability: stackable\nstackable_towards: {award}\nenrol_url:")
    site = make_site({
        "content/courses/test-institute/one.md": course("One", "Certificate in Drug Discovery and Development"),
        "content/courses/test-institute/two.md": course("Two", "Certificate in Drug Discovery and Development"),
        "content/courses/test-institute/three.md": course("Three", "Certificate in Drug Discovery & Development"),
        "content/courses/test-institute/four.md": course("Four", "Certificate in Regulatory Science"),
    })
    catalogue, warnings = load(site)
    told = [d for d in warnings if d.code == "award-spelling"]
    assert [(d.path.rsplit("/", 1)[-1], d.line, d.col) for d in told] == [("three.md", 15, 20)]
    assert "'Certificate in Drug Discovery and Development'" in told[0].message
    assert "did you mean" in told[0].hint
    # until it is corrected, the two spellings are two pathways
    assert sorted(len(p.courses) for p in pathways(catalogue.listed)) == [1, 1, 2]
    assert spelling_problems([c for c in catalogue.courses if c.slug != "three"]) == []


# ---- ELM -------------------------------------------------------------------------------------------------------

@pytest.mark.slow  # SHACL over the whole catalogue, twice
def test_elm_relates_a_pathways_courses_and_still_conforms(sample):
    document = elm.catalogue_elm(sample)
    for shapes in (load_shapes(), load_shapes(activate_all=True)):
        conforms, text = validate(document, shapes)
        assert conforms, text
    g = graph(document)
    has_part = rdflib_uri("http://data.europa.eu/snb/model/elm/hasPart")
    for pathway in pathways(sample.listed):
        node = rdflib_uri(f"urn:microcredential:pathway:{pathway.slug}")
        assert (node, RDF.type, ELM.LearningAchievementSpecification) in g
        parts = {str(o) for o in g.objects(node, has_part)}
        assert parts == {f"urn:microcredential:course:{c.institution_id}:{c.slug}#achievement" for c in pathway.courses}
    built = json.loads(b"".join(elm.catalogue_pieces([elm.node_json(c, sample.institutions_by_id[c.institution_id],
                                                                      sample.config)
                                                     for c in sorted(sample.listed, key=lambda c: c.id)]
                                                    + elm.pathway_nodes(sample))))
    assert built == json.loads(json.dumps(document))


def rdflib_uri(text: str):
    import rdflib
    return rdflib.URIRef(text)


# ---- feeds of every filter ---------------------------------------------------------------------------------

def test_each_filters_feeds_hold_exactly_its_courses_counted_from_the_content_files(sample_build):
    out, result = sample_build
    files = content_courses()
    stems = json.loads((out / planning.FEEDS_INDEX).read_text())["facets"]
    expected: dict[tuple[str, str], set[str]] = {}
    for course_id, fields in files.items():
        for key, values in facet_values(fields).items():
            for value in values:
                expected.setdefault((key, value), set()).add(course_id)
    assert {(k, v) for k, values in stems.items() for v in values} == set(expected)
    for (key, value), ids in expected.items():
        path = out / "feeds" / key / (stems[key][value] + ".xml")
        feed = ET.parse(path).getroot()
        pages = [e.find(f"{ATOM}link[@rel='alternate']").get("href") for e in feed.findall(f"{ATOM}entry")]
        assert sorted(pages) == sorted(f"/courses/{i}/" for i in ids), (key, value)
        calendar = icalendar.Calendar.from_ical(path.with_suffix(".ics").read_bytes())
        uids = Counter(str(e["UID"]).split("@")[0].rsplit(".", 1)[0].replace(".", "/", 1)
                       for e in calendar.walk("VEVENT"))
        assert set(uids) == {i for i in ids if files[i].get("start_date") or (
            files[i].get("application_deadline") and files[i].get("status", "open") in ("open", "upcoming"))}
    assert len(set(stems["topic"].values())) == len(stems["topic"])  # one file each


def test_feed_file_names_are_plain_and_never_shared():
    from generator.content.facets import Facet, FacetValue
    fake = type("C", (), {"facets": (Facet("topic", "Topic", tuple(FacetValue(v, v, 1) for v in
                                                                   ("C++", "C#", "Ökologie", "okologie", "!!"))),)})
    stems = planning.feed_stems(fake)["topic"]
    assert len(set(stems.values())) == 5 and all(re.fullmatch(r"[a-z0-9-]+", s) for s in stems.values())
    assert stems["C++"].startswith("c-") and stems["C#"].startswith("c-")


# ---- the calendar ------------------------------------------------------------------------------------------

def test_the_calendar_lists_twelve_months_of_starts_and_open_deadlines(sample):
    months = planning.calendar_months(sample.listed, dt.date(2027, 2, 10))
    assert [m for m, _ in months][:2] == [dt.date(2027, 2, 1), dt.date(2027, 3, 1)] and len(months) == 12
    shown = [(d.day, d.kind, d.course.id) for _, dates in months for d in dates]
    listed = {c.id: c for c in sample.listed}  # as they stand on the build date: over, they are not listed
    expected = set()
    for course_id, fields in content_courses().items():
        for day, kind in ((fields.get("start_date"), "start"), (fields.get("application_deadline"), "deadline")):
            if day and dt.date(2027, 2, 1) <= day < dt.date(2028, 2, 1) and course_id in listed and (
                    kind == "start" or listed[course_id].status in ("open", "upcoming")):
                expected.add((day, kind, course_id))
    assert set(shown) == expected and len(shown) == len(expected) and expected
    assert [d for d, _, _ in shown] == sorted(d for d, _, _ in shown)


def test_the_calendar_page_shows_the_months_from_the_build_dates(sample_build):
    out, result = sample_build
    html = (out / "calendar" / "index.html").read_text(encoding="utf-8")
    today = result.catalogue.today
    assert today == dt.date(2026, 6, 1)  # the tests' build date (conftest.py)
    months = re.findall(r'<h2 id="month-\d+">([^<]+)</h2>', html)
    assert months[0] == "June 2026" and months[-1] == "May 2027" and len(months) == 12
    assert 'data-filters hidden' in html  # the filters need the script; the list does not
    assert planning.next_month(today) == dt.date(2026, 7, 1)
    # a later build from the same files has nothing to do until the next month (or an earlier turn of a course)
    from generator.engine.build import _steady_days
    since, until = _steady_days(result.catalogue)
    assert since >= "2026-06-01" and until <= "2026-07-01"


# ---- what the shortlist and the comparison read --------------------------------------------------------------

def test_a_card_carries_the_facts_the_comparison_shows_and_words_json_words_them(sample_build):
    out, result = sample_build
    files = content_courses()
    czech = json.loads((out / "cs" / "search" / "words.json").read_text())
    cards = {card["url"]: card for card in json.loads((out / "search" / "cards.json").read_text())}
    assert set(cards) == {course.url for course in result.catalogue.listed}
    for course in result.catalogue.listed:
        card = cards[course.url]
        fields = files[course.id]
        assert card["id"] == course.id and card["admission"] == fields["admission"]
        assert card["assessment"] == fields["assessment"]
        for name, key in (("end", "end_date"), ("deadline", "application_deadline")):
            assert card.get(name) == (fields[key].isoformat() if fields.get(key) else None)
            if card.get(name):
                assert card[name] in czech["date"]
        assert card["workload"] in czech["workload"] and "kredit" in czech["workload"][card["workload"]]
        for name in ("supervision", "stackability", "europass"):
            assert card.get(name) == fields.get(name)
        if card.get("stackability"):
            assert card["stackability"] in czech["stackability"]
        assert czech["admission"][card["admission"]]
