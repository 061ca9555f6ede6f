"""Structured data: a course as schema.org `Course` JSON-LD for search engines, and Open Graph and Twitter card
values so that a shared link shows a proper preview.

These return plain data; the templates write it (`json_ld_script` makes JSON safe inside a <script> element).
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from markupsafe import Markup

from generator.site import media, words
from generator.content.config import Config
from generator.site.elm import EQF, ISCED_F, decimal, hours
from generator.content.identity import course_iri, institution_iri, page_url
from generator.content.model import Course, CourseText, Institution

SCHEMA_MODES = {"online": "Online", "on-site": "Onsite", "blended": "Blended"}  # schema.org's courseMode words
EQF_SCHEME = EQF + "25831c2"
ISCED_F_SCHEME = ISCED_F + "25831c2"


def course_schema_org(course: Course, institution: Institution, config: Config,
                      text: CourseText | None = None) -> dict[str, Any]:
    """A schema.org Course for one course page, its name, description and outcomes as the page shows them (`text`,
    in a translation on a page in its language); `inLanguage` is the language the course is taught in."""
    text = text or course.text(course.body_lang)
    level = {"@type": "DefinedTerm", "name": words.level(course.eqf_level), "termCode": str(course.eqf_level),
             "inDefinedTermSet": EQF_SCHEME, "url": f"{EQF}{course.eqf_level}"}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": course_iri(course, config),
        "courseCode": course.id,
        "name": text.title,
        "description": text.summary,
        "inLanguage": course.language[0] if len(course.language) == 1 else list(course.language),
        "provider": _provider(institution, config),
        "numberOfCredits": {"@type": "StructuredValue", "value": _number(course.credits), "unitText": "ECTS credits"},
        "educationalLevel": level,
        "teaches": list(text.learning_outcomes),
        "coursePrerequisites": [words.label(course.admission, "admission")]
                               + ([course.prerequisites] if course.prerequisites else []),
        "educationalCredentialAwarded": {
            "@type": "EducationalOccupationalCredential", "name": text.title,
            "credentialCategory": "Micro-credential", "educationalLevel": level,
        },
        "audience": [{"@type": "EducationalAudience", "educationalRole": words.label(a, "audience")}
                     for a in course.audience],
        "hasCourseInstance": _instance(course, institution),
    }
    if config.absolute:
        data["url"] = page_url(config, course.url)
    if course.topics:
        data["keywords"] = list(course.topics)
    if course.isced_f:
        data["about"] = {"@type": "DefinedTerm", "name": words.isced(course.isced_f), "termCode": course.isced_f,
                         "inDefinedTermSet": ISCED_F_SCHEME, "url": ISCED_F + course.isced_f}
    if course.fee is not None:
        offer: dict[str, Any] = {"@type": "Offer", "category": "Free" if course.fee == 0 else "Paid",
                                 "price": _number(course.fee), "priceCurrency": course.currency}
        if course.enrol_url:
            offer["url"] = course.enrol_url
        if course.application_deadline:
            offer["validThrough"] = course.application_deadline.isoformat()
        data["offers"] = offer
        data["isAccessibleForFree"] = course.fee == 0
    if course.updated:
        data["dateModified"] = course.updated.isoformat()
    if config.absolute and course.picture:
        data["image"] = media.picture_url(course, config)
    return data


def _provider(institution: Institution, config: Config) -> dict[str, Any]:
    provider: dict[str, Any] = {"@type": "Organization", "@id": institution_iri(institution, config),
                                "name": institution.name, "url": institution.website,
                                "address": {"@type": "PostalAddress", "addressCountry": institution.country}}
    if institution.short_name:
        provider["alternateName"] = institution.short_name
    return provider


def _instance(course: Course, institution: Institution) -> dict[str, Any]:
    instance: dict[str, Any] = {"@type": "CourseInstance", "courseMode": SCHEMA_MODES[course.mode],
                                "courseWorkload": hours(course.workload_hours or course.credits * 25)}
    if course.start_date:
        instance["startDate"] = course.start_date.isoformat()
    if course.end_date:
        instance["endDate"] = course.end_date.isoformat()
    if course.mode != "online":
        instance["location"] = {"@type": "Place", "name": institution.name,
                                "address": {"@type": "PostalAddress", "addressCountry": institution.country}}
    return instance


def _number(x: float | int) -> int | float:
    """Whole numbers as JSON integers (2, not 2.0)."""
    return int(x) if float(x).is_integer() else float(decimal(x))


def json_ld_script(data: Any) -> Markup:
    """JSON for the inside of <script type="application/ld+json">: no `<`, `>` or `&` can end the element.

    JSON's own \\u escapes keep the data the same for any JSON parser; U+2028/9 are escaped for old JavaScript.
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return Markup(text)


def open_graph(config: Config, title: str, description: str, path: str, course: Course | None = None,
               image: str | None = None, speak: words.Words = words.ENGLISH, image_alt: str | None = None,
               image_size: tuple[int, int] | None = None) -> list[tuple[str, str]]:
    """Open Graph (`og:`, a `property` attribute) and Twitter card (`twitter:`, a `name` attribute) values of a page.

    `path` is the page's path in the site (like `courses/x/y/`, or `cs/courses/x/y/`); `image` an image's path
    or address, with its description and size when known. Addresses are only given when the site has an absolute
    base URL: link previews need full addresses. The card's labels are in the words of `speak`.
    """
    pairs = [("og:type", "website"), ("og:site_name", config.title), ("og:title", title),
             ("og:description", description)]
    if config.absolute:
        pairs.append(("og:url", page_url(config, path)))
        if image:
            pairs.append(("og:image", urljoin(config.base_url, image)))
            if image_size:
                pairs += [("og:image:width", str(image_size[0])), ("og:image:height", str(image_size[1]))]
            if image_alt:
                pairs.append(("og:image:alt", image_alt))
    pairs += [("twitter:card", "summary_large_image" if image and config.absolute else "summary"),
              ("twitter:title", title), ("twitter:description", description)]
    if image and config.absolute and image_alt:
        pairs.append(("twitter:image:alt", image_alt))
    if course:
        pairs += [("twitter:label1", speak.gettext("Credits")), ("twitter:data1", speak.credits_short(course))]
        pairs += ([("twitter:label2", speak.gettext("Starts")), ("twitter:data2", speak.date(course.start_date))]
                  if course.start_date else
                  [("twitter:label2", speak.gettext("Level")), ("twitter:data2", speak.level(course.eqf_level))])
    return pairs


def course_open_graph(course: Course, config: Config, image: str | None = None, speak: words.Words = words.ENGLISH,
                      prefix: str = "", text: CourseText | None = None) -> list[tuple[str, str]]:
    """open_graph() for a course page (in the language of `speak`, whose pages are under `prefix`; its title and
    summary from `text`, as the page shows them), with its picture unless another `image` is given."""
    text = text or course.text(course.body_lang)
    alt, size = None, None
    if image is None and course.picture:
        shown = media.preview_image(course.picture)
        image, alt, size = shown.path, text.image_alt, (shown.width, shown.height)
    return open_graph(config, text.title, text.summary, prefix + course.url, course, image, speak, alt, size)
