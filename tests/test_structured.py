"""schema.org Course data read as JSON-LD has what search engines need; it cannot break out of its <script>."""
from __future__ import annotations

import dataclasses
import json
from html.parser import HTMLParser
from typing import Any

import pytest
import rdflib

from generator.site import structured
from generator.site.elm import hours
from generator.engine.build import load
from generator.content.identity import course_iri

from .varied_site import varied_courses

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

SDO = rdflib.Namespace("https://schema.org/")
LOCAL_CONTEXT = {"@vocab": "https://schema.org/"}  # schema.org's context, offline


@pytest.fixture(scope="module")
def sample(sample_build):
    return sample_build[1].catalogue


def read(text: str) -> Any:
    """The JSON-LD in a script element as RDF, with schema.org's context mapped to a local one."""
    data = json.loads(text)
    assert data["@context"] == "https://schema.org"
    data["@context"] = LOCAL_CONTEXT
    return rdflib.Graph().parse(data=json.dumps(data), format="json-ld")


def one(g: Any, subject: Any, prop: str) -> Any:
    values = list(g.objects(subject, SDO[prop]))
    assert len(values) == 1, (subject, prop, values)
    return values[0]


def test_every_sample_course_has_the_required_properties(sample):
    for course in sample.listed:
        institution = sample.institutions_by_id[course.institution_id]
        g = read(structured.json_ld_script(structured.course_schema_org(course, institution, sample.config)))
        [node] = g.subjects(rdflib.RDF.type, SDO.Course)
        assert str(node) == course_iri(course, sample.config)
        assert str(one(g, node, "name")) == course.title
        assert str(one(g, node, "description")) == course.summary
        provider = one(g, node, "provider")
        assert str(one(g, provider, "name")) == institution.name
        assert str(one(g, provider, "url")) == institution.website
        assert str(one(g, one(g, provider, "address"), "addressCountry")) == institution.country
        assert float(one(g, one(g, node, "numberOfCredits"), "value")) == course.credits
        assert str(one(g, one(g, node, "educationalLevel"), "termCode")) == str(course.eqf_level)
        assert {str(x) for x in g.objects(node, SDO.inLanguage)} == set(course.language)
        assert {str(x) for x in g.objects(node, SDO.teaches)} == set(course.learning_outcomes)
        assert len(list(g.objects(node, SDO.coursePrerequisites))) == 1 + bool(course.prerequisites)
        credential = one(g, node, "educationalCredentialAwarded")
        assert (credential, rdflib.RDF.type, SDO.EducationalOccupationalCredential) in g
        if course.fee is not None:
            offer = one(g, node, "offers")
            assert float(one(g, offer, "price")) == course.fee
            assert str(one(g, offer, "priceCurrency")) == course.currency
            assert str(one(g, offer, "category")) == ("Free" if course.fee == 0 else "Paid")
        instance = one(g, node, "hasCourseInstance")
        assert str(one(g, instance, "courseMode")) in ("Online", "Onsite", "Blended")
        assert str(one(g, instance, "courseWorkload")) == hours(course.workload_hours or course.credits * 25)
        if course.start_date:
            assert str(one(g, instance, "startDate")) == course.start_date.isoformat()
        if course.end_date:
            assert str(one(g, instance, "endDate")) == course.end_date.isoformat()


def test_an_absolute_site_gives_the_page_address(basic_build):
    catalogue = basic_build[1].catalogue
    course = catalogue.listed[0]
    data = structured.course_schema_org(course, catalogue.institutions_by_id[course.institution_id], catalogue.config)
    assert data["url"] == data["@id"] == "https://courses.example.org/" + course.url
    free = next(c for c in catalogue.listed if c.fee == 0)
    data = structured.course_schema_org(free, catalogue.institutions_by_id[free.institution_id], catalogue.config)
    assert data["offers"]["category"] == "Free" and data["isAccessibleForFree"] is True


class Scripts(HTMLParser):
    """The script elements of a page, as a browser's tokenizer splits them."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict, str]] = []
        self._open: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


@pytest.mark.parametrize("title", ["</script><script>alert(1)</script>", "</SCRIPT ><!-- <script>",
                                   "Tom & Jerry \u2028 <b>bold</b>", "]]> --> ' \""])
def test_a_hostile_title_stays_inside_the_script_element(sample, title):
    course = dataclasses.replace(sample.listed[0], title=title, summary=f"Summary with {title}")
    data = structured.course_schema_org(course, sample.institutions_by_id[course.institution_id], sample.config)
    text = structured.json_ld_script(data)
    assert not any(c in text for c in "<>&\u2028\u2029")
    page = f'<html><head><script type="application/ld+json">{text}</script></head><body><p>x</p></body></html>'
    parser = Scripts()
    parser.feed(page)
    [(attrs, content)] = parser.scripts
    assert attrs == {"type": "application/ld+json"}
    assert json.loads(content) == data
    assert str(one(read(content), rdflib.URIRef(data["@id"]), "name")) == title


def test_the_script_text_is_markup_so_templates_do_not_escape_it_again():
    import jinja2
    env = jinja2.Environment(autoescape=True)
    text = structured.json_ld_script({"name": 'a "quoted" name'})
    rendered = env.from_string("{{ data }}").render(data=text)
    assert rendered == text and "&#34;" not in rendered and json.loads(rendered) == {"name": 'a "quoted" name'}


def test_open_graph_of_a_course_page(basic_build):
    catalogue = basic_build[1].catalogue
    course = next(c for c in catalogue.listed if c.start_date)
    pairs = dict(structured.course_open_graph(course, catalogue.config, image="/assets/preview.png"))
    assert pairs["og:title"] == pairs["twitter:title"] == course.title
    assert pairs["og:description"] == pairs["twitter:description"] == course.summary
    assert pairs["og:url"] == "https://courses.example.org/" + course.url
    assert pairs["og:image"] == "https://courses.example.org/assets/preview.png"
    assert pairs["og:site_name"] == catalogue.config.title
    assert pairs["twitter:card"] == "summary_large_image"
    assert pairs["twitter:label1"] == "Credits" and "ECTS" in pairs["twitter:data1"]
    assert pairs["twitter:label2"] == "Starts"


def test_open_graph_of_another_page_in_a_local_build(sample):
    config = sample.config
    assert not config.absolute
    pairs = structured.open_graph(config, "Institutions", "Every partner.", "institutions/", image="x.png")
    names = [name for name, _ in pairs]
    assert len(names) == len(set(names))
    assert "og:url" not in names and "og:image" not in names  # previews need full addresses
    assert dict(pairs)["twitter:card"] == "summary"
    assert all(name.startswith(("og:", "twitter:")) and value for name, value in pairs)


def test_varied_courses_read_back_as_the_same_data(make_site):
    catalogue, _ = load(make_site(varied_courses()), "https://example.org/")
    for course in catalogue.listed:
        institution = catalogue.institutions_by_id[course.institution_id]
        data = structured.course_schema_org(course, institution, catalogue.config)
        text = structured.json_ld_script(data)
        assert "<" not in text and json.loads(text) == data
        g = read(text)
        [node] = g.subjects(rdflib.RDF.type, SDO.Course)
        assert str(one(g, node, "name")) == course.title
        assert str(one(g, node, "url")) == "https://example.org/" + course.url
        if course.fee is not None:
            assert float(one(g, one(g, node, "offers"), "price")) == course.fee
