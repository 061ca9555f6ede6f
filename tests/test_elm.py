"""The ELM (Europass) export: it conforms to the official LOQ SHACL shapes and says what the content says."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, Callable

import pyshacl
import pytest
import rdflib
import yaml

from generator.site import elm
from generator.site import elm_extract
from generator.content.identity import course_iri, institution_iri
from generator.content.model import Course

from .varied_site import varied_courses

pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parent.parent
STANDARD = ROOT / "tests" / "standards" / "elm"  # vendored: see its README.md for source and licence
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
ELM = rdflib.Namespace("http://data.europa.eu/snb/model/elm/")
DC = rdflib.Namespace("http://purl.org/dc/terms/")
RDF = rdflib.RDF

# The shapes' URL patterns are written for Java's regex engine; pyshacl compiles them with Python's. These
# rewrite the three Java-only constructs into Python ones that match the same strings (a flag after `^`,
# and class unions like `[%[\p{L}…]]`). Any other pattern is used as it is.
JAVA_TO_PYTHON = (
    ("^(?i)", "(?i)^"),
    (r"[[A-Fa-f0-9]\:\.]", "[A-Fa-f0-9:.]"),
    (r"[%[\p{L}\p{Nl}\p{Nd}]]", r"[%\w]"),
)


def load_shapes(activate_all: bool = False) -> Any:
    shapes = rdflib.Graph()
    shapes.parse(STANDARD / "LOQ-constraints.ttl")
    shapes.parse(STANDARD / "LOQ-constraints-mdr.ttl")
    rewritten = 0
    for node, _, pattern in list(shapes.triples((None, SH.pattern, None))):
        text = str(pattern)
        for java, python in JAVA_TO_PYTHON:
            text = text.replace(java, python)
        re.compile(text)  # every pattern must compile, rewritten or not
        if text != str(pattern):
            rewritten += 1
            shapes.remove((node, SH.pattern, pattern))
            shapes.add((node, SH.pattern, rdflib.Literal(text)))
    assert rewritten == 3, "the shapes' URL patterns changed: review JAVA_TO_PYTHON"
    if activate_all:
        shapes.remove((None, SH.deactivated, None))
    return shapes


@pytest.fixture(scope="module")
def shapes() -> Any:
    """Both LOQ shape files in one graph, parsed once."""
    return load_shapes()


@pytest.fixture(scope="module")
def strict_shapes() -> Any:
    """The shapes with the (deactivated) LearningAchievementSpecification shape switched on."""
    return load_shapes(activate_all=True)


@pytest.fixture(scope="module")
def sample(sample_build):
    return sample_build[1].catalogue


def graph(document: dict[str, Any]) -> Any:
    """A JSON-LD document read as RDF, offline (its context is inline)."""
    assert isinstance(document["@context"], dict)
    return rdflib.Graph().parse(data=json.dumps(document), format="json-ld")


def validate(document: dict[str, Any], shapes: Any) -> tuple[bool, str]:
    conforms, _, text = pyshacl.validate(graph(document), shacl_graph=shapes)
    return conforms, text


def documents(catalogue) -> list[tuple[Course, dict[str, Any]]]:
    return [(c, elm.course_elm(c, catalogue.institutions_by_id[c.institution_id], catalogue.config))
            for c in catalogue.listed]


def front_matter(path: Path) -> dict[str, Any]:
    """A course file's fields, read here without the generator's parser."""
    match = re.match(r"---\r?\n(.*?)\r?\n---\r?\n", path.read_text(encoding="utf-8"), re.S)
    assert match, path
    return yaml.safe_load(match.group(1))


# ---- conformance -----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_every_sample_course_conforms_to_the_loq_shapes(sample, shapes):
    failures = {}
    for course, document in documents(sample):
        conforms, text = validate(document, shapes)
        if not conforms:
            failures[course.id] = text
    assert len(sample.listed) >= 30
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_the_catalogue_document_conforms_and_holds_every_listed_course(sample, shapes):
    document = elm.catalogue_elm(sample)
    conforms, text = validate(document, shapes)
    assert conforms, text
    g = graph(document)
    found = {str(s) for s in g.subjects(RDF.type, ELM.LearningOpportunity)}
    assert found == {course_iri(c, sample.config) for c in sample.listed}
    archived = [c for c in sample.courses if not c.listed]
    assert archived and not {course_iri(c, sample.config) for c in archived} & found


def test_an_absolute_site_uses_page_addresses_and_conforms(basic_build, shapes):
    catalogue = basic_build[1].catalogue
    assert catalogue.config.absolute
    for course, document in documents(catalogue):
        conforms, text = validate(document, shapes)
        assert conforms, (course.id, text)
        page = "https://courses.example.org/" + course.url
        assert document["id"] == page
        assert document["homepage"]["contentURL"] == page
        assert document["providedBy"]["id"] == f"https://courses.example.org/institutions/{course.institution_id}/"
        if course.enrol_url:
            assert document["supplementaryDocument"]["contentURL"] == course.enrol_url


@pytest.mark.slow
def test_the_specification_also_meets_its_deactivated_shape(sample, strict_shapes):
    """Stricter than the profile asks: the LearningAchievementSpecification shape is switched off there."""
    for course, document in documents(sample):
        assert course.isced_f, course.id  # the shape requires a field of education, which every sample gives
        conforms, text = validate(document, strict_shapes)
        assert conforms, (course.id, text)


def test_a_minimal_course_conforms(make_site, shapes):
    from generator.engine.build import load
    catalogue, _ = load(make_site())
    [(course, document)] = documents(catalogue)
    assert course.isced_f is None and course.fee is None and course.start_date is None
    conforms, text = validate(document, shapes)
    assert conforms, text
    assert "temporal" not in document and "priceDetail" not in document


@pytest.mark.parametrize("base_url", [None, pytest.param("https://example.org/sub/path/", marks=pytest.mark.slow)])
def test_courses_using_every_value_conform(make_site, shapes, base_url):
    from generator.engine.build import load
    catalogue, _ = load(make_site(varied_courses()), base_url)
    assert len(catalogue.listed) == 11
    for course, document in documents(catalogue):
        conforms, text = validate(document, shapes)
        assert conforms, (course.id, text)
    conforms, text = validate(elm.catalogue_elm(catalogue), shapes)
    assert conforms, text


def drop(*path: str) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for key in path[:-1]:
            doc = doc[key]
        del doc[path[-1]]
    return mutate


def put(value: Any, *path: str) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value
    return mutate


BROKEN = {
    "no title": drop("title"),
    "no provider": drop("providedBy"),
    "no homepage": drop("homepage"),
    "homepage not a web address": put("javascript:alert(1)", "homepage", "contentURL"),
    "language from another vocabulary": put({"id": "urn:x:lang:en", "type": "Concept",
                                             "inScheme": {"id": "urn:x:languages", "type": "ConceptScheme"}},
                                            "elm:defaultLanguage"),
    "a property the profile does not have": put({"en": "x"}, "altLabel"),
    "provider without legal name": drop("providedBy", "legalName"),
    "provider without country": drop("providedBy", "location", "address", "countryCode"),
    "credit points without framework": drop("learningAchievementSpecification", "creditPoint", "framework"),
    "date that is not a date-time": put({"startDate": "soon", "id": "urn:x:p", "type": "PeriodOfTime"}, "temporal"),
    "price without currency": drop("priceDetail", "amount", "unit"),
    "outcome without text": drop("learningAchievementSpecification", "learningOutcome"),
}


@pytest.mark.parametrize("mutate", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_export_does_not_conform(sample, shapes, mutate):
    course = next(c for c in sample.listed if c.start_date and c.fee)
    document = elm.course_elm(course, sample.institutions_by_id[course.institution_id], sample.config)
    assert validate(document, shapes)[0]
    broken = copy.deepcopy(document)
    mutate(broken)
    if broken["learningAchievementSpecification"].get("learningOutcome") is None:
        # the outcome's own shape needs a title: an outcome node without one must fail
        broken["learningAchievementSpecification"]["learningOutcome"] = [
            {"id": "urn:x:outcome", "type": "LearningOutcome"}]
    assert not validate(broken, shapes)[0]


# ---- values ----------------------------------------------------------------------------------------------

def test_values_match_the_content_files(sample):
    config = sample.config
    for course in sample.listed:
        fields = front_matter(ROOT / "content" / "courses" / course.institution_id / f"{course.slug}.md")
        iri = rdflib.URIRef(course_iri(course, config))
        g = graph(elm.course_elm(course, sample.institutions_by_id[course.institution_id], config))
        spec = g.value(iri, ELM.learningAchievementSpecification)
        languages = fields["language"] if isinstance(fields["language"], list) else [fields["language"]]
        assert rdflib.Literal(fields["title"], lang=languages[0]) in set(g.objects(iri, DC.title))
        credit = g.value(spec, ELM.creditPoint)
        assert float(g.value(credit, ELM.point)) == float(fields["credits"])
        assert str(g.value(credit, ELM.framework)) == "http://data.europa.eu/snb/education-credit/6fcec5c5af"
        assert str(g.value(spec, ELM.educationLevel)) == f"http://data.europa.eu/snb/eqf/{fields['eqf_level']}"
        assert str(g.value(spec, ELM.ISCEDFCode)) == f"http://data.europa.eu/snb/isced-f/{fields['isced_f']}"
        expected = {elm.language_uri(code) for code in languages}
        assert {str(x) for x in g.objects(spec, DC.language)} == expected
        assert str(g.value(iri, ELM.defaultLanguage)) == elm.language_uri(languages[0])
        hours = fields.get("workload_hours") or fields["credits"] * 25
        volume = rdflib.Literal(elm.hours(hours), datatype=rdflib.XSD.duration)
        assert g.value(spec, ELM.volumeOfLearning).toPython() == volume.toPython()
        outcomes = {str(title) for o in g.objects(spec, ELM.learningOutcome) for title in g.objects(o, DC.title)
                    if title.language == languages[0]}
        assert outcomes == set(fields["learning_outcomes"])
        if fields.get("fee") is not None:
            amount = g.value(g.value(iri, ELM.priceDetail), ELM.amount)
            assert float(g.value(amount, RDF.value)) == float(fields["fee"])
            assert str(g.value(amount, ELM.unit)).endswith("/currency/" + fields.get("currency", "EUR"))
        if fields.get("start_date"):
            start = g.value(g.value(iri, DC.temporal), ELM.startDate)
            assert start.toPython().date() == fields["start_date"]
        if fields.get("application_deadline"):
            assert g.value(iri, ELM.applicationDeadline).toPython().date() == fields["application_deadline"]
        provider = g.value(iri, ELM.providedBy)
        assert str(provider) == institution_iri(sample.institutions_by_id[course.institution_id], config)


@pytest.mark.parametrize("code, uri", [("en", "ENG"), ("cs", "CES"), ("sk", "SLK"), ("pl", "POL"), ("hu", "HUN"),
                                       ("sl", "SLV"), ("hr", "HRV"), ("de", "DEU"), ("fr", "FRA"), ("el", "ELL")])
def test_languages_use_the_publications_office_codes(code, uri):
    assert elm.language_uri(code) == f"http://publications.europa.eu/resource/authority/language/{uri}"


def test_modes_and_target_groups_map_to_europass_concepts():
    assert elm.MODES["online"].endswith("/920fbb3cbe") and elm.MODES["on-site"].endswith("/9191af2ed9")
    assert elm.MODES["blended"].endswith("/e92d221e4d")
    labels = elm.vocabularies()["http://data.europa.eu/snb/target-group/25831c2"]
    assert labels[elm.TARGET_GROUPS["doctoral-candidates"][0]] == "Persons in tertiary education (EQF 8)"
    assert elm.TARGET_GROUPS["anyone"] == ()


def test_workload_is_an_iso_8601_duration():
    assert elm.hours(50) == "PT50H"
    assert elm.hours(2.5 * 25) == "PT62H30M"
    assert elm.decimal(2.0) == "2" and elm.decimal(2.5) == "2.5" and elm.decimal(1_000_000) == "1000000"


def test_elm_files_give_one_document_per_listed_course_and_are_reproducible(sample):
    files = elm.elm_files(sample)
    assert set(files) == {"elm.jsonld"} | {c.url + "elm.jsonld" for c in sample.listed}
    assert files == elm.elm_files(sample)
    for data in files.values():
        json.loads(data.decode("utf-8"))
    catalogue = json.loads(files["elm.jsonld"])
    # the courses by id, then the pathways (tests/test_pathways.py)
    assert [node["id"] for node in catalogue["@graph"] if node["type"] == "LearningOpportunity"] == sorted(
        course_iri(c, sample.config) for c in sample.listed)
    assert {node["type"] for node in catalogue["@graph"]} == {"LearningOpportunity", "LearningAchievementSpecification"}


# ---- the committed data is the standard's ----------------------------------------------------------------

def test_the_embedded_context_and_code_lists_are_the_standards():
    data = ROOT / "generator" / "data"
    for name, text in elm_extract.extracted(STANDARD).items():
        assert (data / name).read_text(encoding="utf-8") == text, "run `python -m generator.site.elm_extract`"


def test_every_concept_the_export_uses_is_in_the_code_lists():
    from generator.content.schema import isced_fields
    index = {uri for concepts in elm.vocabularies().values() for uri in concepts}
    used = ({elm.ECTS, elm.COURSE_TYPE} | set(elm.MODES.values())
            | {uri for uris in elm.TARGET_GROUPS.values() for uri in uris}
            | {f"{elm.EQF}{n}" for n in range(1, 9)} | {elm.ISCED_F + code for code in isced_fields()})
    assert used <= index, used - index


def test_the_authority_tables_are_the_ones_the_shapes_require():
    mdr = rdflib.Graph().parse(STANDARD / "LOQ-constraints-mdr.ttl")
    required = {str(o) for o in mdr.objects(None, SH.hasValue)}
    assert {elm.LANGUAGE_SCHEME, elm.COUNTRY_SCHEME, elm.CURRENCY_SCHEME} <= required
