"""Identity: the stable addresses and IRIs of courses and institutions, shared by every machine-readable export.

ELM, schema.org, the Atom feed and the calendar must name a course the same way. When the site has an
absolute base URL, a course is its page's address; otherwise (a local build) it gets a `urn:` IRI that does
not depend on where the files end up, so identifiers never change between builds of the same content.
"""
from __future__ import annotations

from generator.content.config import Config
from generator.content.model import Course, Institution

URN = "urn:microcredential"


def page_url(config: Config, path: str = "") -> str:
    """The address of a page of the site: absolute when the base URL names a host, else a root-relative path."""
    return config.base_url + path


def course_iri(course: Course, config: Config) -> str:
    """The IRI of a course: its page's absolute address, or a stable `urn:` IRI in a local build."""
    if config.absolute:
        return page_url(config, course.url)
    return f"{URN}:course:{course.institution_id}:{course.slug}"


def institution_iri(institution: Institution, config: Config) -> str:
    """The IRI of an institution: its page's absolute address, or a stable `urn:` IRI in a local build."""
    if config.absolute:
        return page_url(config, institution.url)
    return f"{URN}:institution:{institution.id}"


def file_iri(config: Config, path: str) -> str:
    """The IRI of a published file (a feed, a calendar): its absolute address, or a stable `urn:` IRI."""
    if config.absolute:
        return page_url(config, path)
    return f"{URN}:file:{path}"


def pathway_iri(slug: str, config: Config) -> str:
    """The IRI of a learning pathway (the award its courses stack towards): its page's address, or a `urn:`."""
    if config.absolute:
        return page_url(config, f"pathways/{slug}/")
    return f"{URN}:pathway:{slug}"
