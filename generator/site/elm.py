"""ELM: every course as a Europass learning opportunity in the European Learning Model (ELM v3), as JSON-LD.

A course is an `elm:LearningOpportunity` (the run people apply to) whose `elm:LearningAchievementSpecification`
says what is learnt and certified, provided and awarded by an `elm:Organisation`, within the closed SHACL
shapes of the LOQ profile (tests/test_elm.py validates against them), with the EU's controlled vocabularies.
The context is embedded in every document (`generator/data/elm-context.json`): reading one needs no network.
"""
from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

import pycountry

from generator.site import words
from generator.content.catalogue import Catalogue
from generator.content.config import Config
from generator.content.identity import URN, course_iri, institution_iri, page_url, pathway_iri
from generator.content.model import Course, Institution
from generator.content.pathways import Pathway, pathways
from generator.content.schema import COURSE_FIELDS

# Terms of the official context this export uses. Three properties are written as compact IRIs instead,
# because the official context lacks them or maps them otherwise than the shapes expect:
# elm:defaultLanguage (not in it), rdf:value of an Amount (its `value` is elm:value) and dc:modified (its
# `dateModified` is typed as an IRI, the shapes want xsd:dateTime).
CONTEXT_TERMS = (
    "Address", "Amount", "AwardingOpportunity", "Concept", "ConceptScheme", "CreditPoint",
    "LearningAchievementSpecification", "LearningAssessmentSpecification", "LearningOpportunity",
    "LearningOutcome", "Location", "Note", "Organisation", "PeriodOfTime", "PriceDetail", "WebResource",
    "additionalNote", "address", "admissionProcedure", "altLabel", "amount", "applicationDeadline",
    "awardingBody", "awardingOpportunity", "category", "contentURL", "countryCode", "creditPoint", "dcType",
    "description", "educationLevel", "endDate", "entryRequirement", "framework", "hasPart", "homepage", "inScheme",
    "language", "learningAchievementSpecification", "learningOutcome", "legalName", "location", "mode",
    "noteLiteral", "point", "prefLabel", "priceDetail", "provenBy", "providedBy", "scheduleInformation",
    "startDate", "subject", "supplementaryDocument", "targetGroup", "temporal", "thematicArea", "title",
    "unit", "volumeOfLearning",
)

# The Publications Office's authority tables, as the LOQ vocabulary shapes require them.
LANGUAGE_SCHEME = "http://publications.europa.eu/resource/authority/language"
COUNTRY_SCHEME = "http://publications.europa.eu/resource/authority/country"
CURRENCY_SCHEME = "http://publications.europa.eu/resource/authority/currency"

EQF = "http://data.europa.eu/snb/eqf/"
ISCED_F = "http://data.europa.eu/snb/isced-f/"
ECTS = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
COURSE_TYPE = "http://data.europa.eu/snb/learning-opportunity/05053c1cbe"  # "Course"
_MODE = "http://data.europa.eu/snb/learning-assessment/"
MODES = {"online": _MODE + "920fbb3cbe", "on-site": _MODE + "9191af2ed9", "blended": _MODE + "e92d221e4d"}
_TG = "http://data.europa.eu/snb/target-group/"
_WORKING = (_TG + "5e56931138", _TG + "cbedf28444", _TG + "d45b47b458")  # 0-3, 3-10, 10+ years of work
# The Europass target groups describe people by education and experience, not by role, so each audience
# maps to the groups it consists of; "anyone" narrows nothing and maps to none.
TARGET_GROUPS: dict[str, tuple[str, ...]] = {
    "doctoral-candidates": (_TG + "b0bf4f9fe9",),                                  # in tertiary education (EQF 8)
    "recent-graduates": (_TG + "e7627913ad", _TG + "527a6f97eb", _TG + "5e56931138"),  # completed EQF 6/7; 0-3 years
    "professionals": _WORKING,
    "research-managers": _WORKING,
    "anyone": (),
}

# What a free-text note is about. No EU vocabulary names these, so they are the catalogue's own concepts
# (as the Commission's sample does for its own assessment types).
NOTE_SUBJECTS = f"{URN}:note-subject"
SUBJECTS = {
    "audience": "Target groups", "europass": "Europass digital credential", "quality-assurance":
    "Quality assurance", "stackability": "Stackability", "supervision": "Supervision and identity verification",
    "institution": "About the institution",
}
OWN = "en"  # the catalogue's own words (labels, notes) are English; course texts are in the course's language


@lru_cache(maxsize=1)
def context() -> dict[str, Any]:
    """The embedded JSON-LD context."""
    return _data("elm-context.json")["@context"]


@lru_cache(maxsize=1)
def vocabularies() -> dict[str, dict[str, str]]:
    """Concept scheme URI → {concept URI: English label}, from the ELM code lists."""
    return _data("elm-vocabularies.json")


@lru_cache(maxsize=1)
def _concept_index() -> dict[str, tuple[str, str]]:
    return {uri: (scheme, label) for scheme, concepts in vocabularies().items() for uri, label in concepts.items()}


def _data(name: str) -> Any:
    return json.loads(resources.files("generator").joinpath(f"data/{name}").read_text(encoding="utf-8"))


def course_elm(course: Course, institution: Institution, config: Config) -> dict[str, Any]:
    """One course as a JSON-LD document: its learning opportunity, specification and provider."""
    return {"@context": context(), **_opportunity(course, institution, config)}


def catalogue_elm(catalogue: Catalogue) -> dict[str, Any]:
    """Every listed course's learning opportunity in one JSON-LD document, by course id, then the pathways."""
    return {"@context": context(), "@graph": [
        _opportunity(course, catalogue.institutions_by_id[course.institution_id], catalogue.config)
        for course in sorted(catalogue.listed, key=lambda c: c.id)]
        + [_pathway(pathway, catalogue.config) for pathway in pathways(catalogue.listed)]}


def elm_files(catalogue: Catalogue) -> dict[str, bytes]:
    """`elm.jsonld` for the catalogue and `courses/<institution>/<course>/elm.jsonld` for each listed course."""
    files = {}
    nodes = []
    for course in sorted(catalogue.listed, key=lambda c: c.id):
        node = node_json(course, catalogue.institutions_by_id[course.institution_id], catalogue.config)
        files[course.url + "elm.jsonld"] = course_document(node)
        nodes.append(node)
    files["elm.jsonld"] = catalogue_document(nodes + pathway_nodes(catalogue))
    return files


def node_json(course: Course, institution: Institution, config: Config) -> bytes:
    """One course's learning opportunity as compact JSON (UTF-8), a line of the catalogue document."""
    return json.dumps(_opportunity(course, institution, config), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


@lru_cache(maxsize=1)
def _context_json() -> bytes:
    return json.dumps(context(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def course_document(node: bytes) -> bytes:
    """One course's ELM document from its node: the same as `encode(course_elm(...))` but for the layout."""
    return b"".join((b'{"@context":', _context_json(), b",", node[1:], b"\n"))


def catalogue_document(node_jsons: Sequence[bytes]) -> bytes:
    """The catalogue's ELM document from its courses' nodes (sorted by course id), one course per line.

    Equivalent to `catalogue_elm`; built from pieces so a rebuild re-encodes only the courses that changed.
    """
    return b"".join(catalogue_pieces(node_jsons))


def catalogue_pieces(node_jsons: Sequence[bytes]) -> list[bytes]:
    """The catalogue's ELM document in pieces, to be written one after the other (the largest file of a
    large catalogue: joining it would hold it twice in memory)."""
    pieces = [b'{"@context":', _context_json(), b',"@graph":[\n']
    for i, node in enumerate(node_jsons):
        if i:
            pieces.append(b",\n")
        pieces.append(node)
    pieces.append(b"\n]}\n")
    return pieces


def pathway_nodes(catalogue: Catalogue) -> list[bytes]:
    """Each pathway as a line of the catalogue document: an `elm:LearningAchievementSpecification` of the award
    that `elm:hasPart` its courses' specifications (LOQ's closest property for credentials that stack: ELM has
    no award we could describe further, and a course's own document cannot refer to a node it does not hold,
    so the relation is told here, where every course is)."""
    return [json.dumps(_pathway(pathway, catalogue.config), ensure_ascii=False, sort_keys=True,
                       separators=(",", ":")).encode("utf-8") for pathway in pathways(catalogue.listed)]


def _pathway(pathway: Pathway, config: Config) -> dict[str, Any]:
    iri = pathway_iri(pathway.slug, config)
    members = [course_iri(course, config) for course in pathway.courses]
    codes = sorted({code for course in pathway.courses for code in course.language})
    node: dict[str, Any] = {
        "id": iri, "type": "LearningAchievementSpecification", "title": {pathway.lang: pathway.award},
        "hasPart": [f"{member}#achievement" for member in members],
        # what the award's parts teach and in which languages: their outcomes, by their identifiers
        "learningOutcome": [f"{member}#outcome-{n}" for member, course in zip(members, pathway.courses)
                            for n in range(1, len(course.learning_outcomes) + 1)],
        "language": [language(code) for code in codes],
        "creditPoint": {"id": f"{iri}#credit", "type": "CreditPoint", "framework": coded(ECTS),
                        "point": decimal(pathway.credits)},
    }
    fields = sorted({course.isced_f for course in pathway.courses if course.isced_f})
    if fields:
        node["thematicArea"] = [coded(ISCED_F + code) for code in fields]
    return node


def encode(document: dict[str, Any]) -> bytes:
    """JSON-LD as published: UTF-8, sorted keys, so the same content always gives the same bytes."""
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _opportunity(course: Course, institution: Institution, config: Config) -> dict[str, Any]:
    iri = course_iri(course, config)
    org = institution_iri(institution, config)
    node: dict[str, Any] = {
        "id": iri,
        "type": "LearningOpportunity",
        "title": _in_each_language(course, course.title, "title"),
        "description": _in_each_language(course, course.summary, "summary"),
        "dcType": coded(COURSE_TYPE),
        "elm:defaultLanguage": language(course.body_lang),
        "mode": coded(MODES[course.mode]),
        "providedBy": organisation(institution, config),
        "learningAchievementSpecification": _specification(course, iri, org),
        "admissionProcedure": _note(f"{iri}#admission", [(OWN, _admission(course))]),
    }
    homepage = page_url(config, course.url) if config.absolute else course.enrol_url or institution.website
    node["homepage"] = _web(f"{iri}#homepage", homepage)
    if course.enrol_url and course.enrol_url != homepage:
        node["supplementaryDocument"] = _web(f"{iri}#apply", course.enrol_url, "Application")
    if course.mode in ("on-site", "blended"):
        node["location"] = f"{org}#location"
    if course.start_date or course.end_date:
        period: dict[str, Any] = {"id": f"{iri}#period", "type": "PeriodOfTime"}
        if course.start_date:
            period["startDate"] = f"{course.start_date.isoformat()}T00:00:00"
        if course.end_date:
            period["endDate"] = f"{course.end_date.isoformat()}T23:59:59"
        node["temporal"] = period
    if course.application_deadline:
        node["applicationDeadline"] = f"{course.application_deadline.isoformat()}T23:59:59"
    if course.duration:
        node["scheduleInformation"] = _note(f"{iri}#schedule", [(course.body_lang, course.duration)])
    if course.fee is not None:
        node["priceDetail"] = {
            "id": f"{iri}#price", "type": "PriceDetail", "prefLabel": {OWN: words.fee(course)},
            "amount": {"id": f"{iri}#price-amount", "type": "Amount", "unit": currency(course.currency),
                       "rdf:value": {"@value": decimal(course.fee), "@type": "xsd:decimal"}},
        }
    notes = [_note(f"{iri}#audience", [(OWN, "; ".join(words.label(a, "audience") for a in course.audience))],
                   "audience")]
    if course.europass is not None:
        said = "is" if course.europass else "is not"
        notes.append(_note(f"{iri}#europass", [(OWN, f"The certificate {said} issued as a Europass digital "
                                                     "credential.")], "europass"))
    node["additionalNote"] = notes
    if course.updated:
        node["dc:modified"] = _modified(course)
    return node


def _admission(course: Course) -> str:
    lines = [f"Status: {words.label(course.status, 'status')}."]
    if course.enrol_url:
        lines.append(f"Apply at {course.enrol_url}")
    if course.application_deadline:
        lines.append(f"Application deadline: {words.date(course.application_deadline)}.")
    if course.contact:
        lines.append(f"Contact: {course.contact}")
    return "\n".join(lines)


def _specification(course: Course, iri: str, org: str) -> dict[str, Any]:
    lang = course.body_lang
    spec = f"{iri}#achievement"
    node: dict[str, Any] = {
        "id": spec,
        "type": "LearningAchievementSpecification",
        "title": _in_each_language(course, course.title, "title"),
        "description": _in_each_language(course, course.summary, "summary"),
        "learningOutcome": [{"id": f"{iri}#outcome-{n}", "type": "LearningOutcome",
                             "title": _in_each_language(course, text, "learning_outcomes", n - 1)}
                            for n, text in enumerate(course.learning_outcomes, 1)],
        "creditPoint": {"id": f"{iri}#credit", "type": "CreditPoint", "framework": coded(ECTS),
                        "point": decimal(course.credits)},
        "volumeOfLearning": hours(course.workload_hours or course.credits * 25),
        "educationLevel": coded(f"{EQF}{course.eqf_level}"),
        "language": [language(code) for code in course.language],
        "mode": coded(MODES[course.mode]),
        "entryRequirement": _note(f"{iri}#entry", [
            (OWN, f"Minimum prior education: {words.label(course.admission, 'admission')}."),
            (lang, course.prerequisites or "")]),
        "provenBy": _assessment(course, iri),
        "additionalNote": [_note(f"{iri}#quality", [(lang, course.quality_assurance)], "quality-assurance")],
        "awardingOpportunity": {"id": f"{iri}#awarding", "type": "AwardingOpportunity", "awardingBody": org,
                                "location": f"{org}#location", "learningAchievementSpecification": spec},
    }
    groups = sorted({uri for a in course.audience for uri in TARGET_GROUPS[a]})
    if groups:
        node["targetGroup"] = [coded(uri) for uri in groups]
    if course.isced_f:
        node["thematicArea"] = coded(ISCED_F + course.isced_f)
    if course.topics:
        node["category"] = {lang: list(course.topics)}
    if course.stackability:
        stack = [(OWN, f"{words.label(course.stackability, 'stackability')}: "
                       f"{_meaning('stackability', course.stackability)}.")]
        if course.stackable_towards:
            stack.append((lang, course.stackable_towards))
        node["additionalNote"].append(_note(f"{iri}#stackability", stack, "stackability"))
    if course.updated:
        node["dc:modified"] = _modified(course)
    return node


def _in_each_language(course: Course, own: str, name: str, item: int | None = None) -> dict[str, str]:
    """A text in the course's language and in each of its translations that gives it (`item`: of a list)."""
    texts = {course.body_lang: own}
    for translation in course.translations:
        value = getattr(translation, name)
        if value is not None:
            texts[translation.language] = value if item is None else value[item]
    return texts


def _assessment(course: Course, iri: str) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": f"{iri}#assessment", "type": "LearningAssessmentSpecification",
        "title": {OWN: "Assessment"}, "description": {course.body_lang: course.assessment},
        "language": [language(code) for code in course.language], "mode": coded(MODES[course.mode]),
    }
    if course.supervision:
        node["additionalNote"] = [_note(f"{iri}#supervision", [
            (OWN, f"{words.label(course.supervision, 'supervision')}: {_meaning('supervision', course.supervision)}.")],
            "supervision")]
    return node


def organisation(institution: Institution, config: Config) -> dict[str, Any]:
    """An institution as an elm:Organisation, located in its country."""
    iri = institution_iri(institution, config)
    lang = config.language  # institution files are written in the site's language
    node: dict[str, Any] = {
        "id": iri, "type": "Organisation", "legalName": {lang: institution.name},
        "homepage": _web(f"{iri}#homepage", institution.website),
        "location": {"id": f"{iri}#location", "type": "Location",
                     "address": {"id": f"{iri}#address", "type": "Address", "countryCode": country(institution.country)}},
    }
    if institution.short_name and institution.short_name != institution.name:
        node["altLabel"] = {lang: institution.short_name}
    if institution.description:
        node["additionalNote"] = [_note(f"{iri}#about", [(lang, institution.description)], "institution")]
    return node


def concept(uri: str, scheme: str, label: str) -> dict[str, Any]:
    """A skos:Concept with its scheme and English label, as the shapes need it described in the document."""
    return {"id": uri, "type": "Concept", "inScheme": {"id": scheme, "type": "ConceptScheme"}, "prefLabel": {OWN: label}}


def coded(uri: str) -> dict[str, Any]:
    """A concept of one of the ELM code lists."""
    scheme, label = _concept_index()[uri]
    return concept(uri, scheme, label)


def language_uri(code: str) -> str:
    """ISO 639-1 'cs' → the Publications Office's language concept (…/language/CES, an ISO 639-2/T code)."""
    return f"{LANGUAGE_SCHEME}/{pycountry.languages.get(alpha_2=code).alpha_3.upper()}"


def language(code: str) -> dict[str, Any]:
    return concept(language_uri(code), LANGUAGE_SCHEME, words.language(code))


def country(code: str) -> dict[str, Any]:
    """ISO 3166-1 'CZ' → …/country/CZE."""
    return concept(f"{COUNTRY_SCHEME}/{pycountry.countries.get(alpha_2=code).alpha_3}", COUNTRY_SCHEME,
                   words.country(code))


def currency(code: str) -> dict[str, Any]:
    """ISO 4217 'EUR' → …/currency/EUR."""
    found = pycountry.currencies.get(alpha_3=code)
    return concept(f"{CURRENCY_SCHEME}/{code}", CURRENCY_SCHEME, found.name if found else code)


def decimal(x: float | int) -> str:
    """2.0 → '2', 2.5 → '2.5', 1e6 → '1000000': a valid xsd:decimal, never in exponent form."""
    return str(int(x)) if float(x).is_integer() else format(Decimal(str(x)), "f")


def hours(value: float) -> str:
    """62.5 → 'PT62H30M': an ISO 8601 / xsd:duration (only seconds may have a fraction)."""
    minutes = round(value * 60)
    whole, rest = divmod(minutes, 60)
    return f"PT{whole}H" + (f"{rest}M" if rest else "")


def _modified(course: Course) -> dict[str, str]:
    return {"@value": f"{course.updated.isoformat()}T00:00:00", "@type": "xsd:dateTime"}


def _meaning(field: str, value: str) -> str:
    spec = next(s for s in COURSE_FIELDS if s.name == field)
    return next(c.meaning for c in spec.choices if c.value == value)


def _note(iri: str, texts: list[tuple[str, str]], subject: str | None = None) -> dict[str, Any]:
    """An elm:Note: one literal per language (texts in the same language are joined), and what it is about."""
    by_lang: dict[str, list[str]] = {}
    for lang, text in texts:
        if text:
            by_lang.setdefault(lang, []).append(text)
    node: dict[str, Any] = {"id": iri, "type": "Note", "noteLiteral": {k: "\n".join(v) for k, v in by_lang.items()}}
    if subject:
        node["subject"] = concept(f"{NOTE_SUBJECTS}:{subject}", NOTE_SUBJECTS, SUBJECTS[subject])
    return node


def _web(iri: str, url: str, title: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"id": iri, "type": "WebResource", "contentURL": url}
    if title:
        node["title"] = {OWN: title}
    return node
