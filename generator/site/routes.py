"""Routes: the registry of everything the site has. Each route yields the artifacts of one kind of file; a
new page type or output format is one more route, and the build and the live preview both make it."""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from generator.content.catalogue import Catalogue
from generator.engine.artifact import Artifact
from generator.engine.cache import ParseCache
from generator.fingerprint import basis
from generator.site import data, editor, media, pages, planning
from generator.site.theme import Theme


@dataclass(frozen=True)
class Route:
    """One kind of file. `later` ones are files no visitor opens as a page (data, feeds, the sitemap): the
    preview makes them after reloading the open pages, and a build after it has started the search index."""

    name: str
    artifacts: Callable[..., Iterable[Artifact]]  # (catalogue, theme, base_key[, store]) → artifacts
    later: bool = False
    stored: bool = False  # given the engine's store, to keep per-course work between builds
    per_language: bool = False  # made in each interface language (under its prefix), else once


ROUTES: tuple[Route, ...] = (
    Route("theme files", data.theme_files),
    Route("listing pages", pages.listing_pages, per_language=True),
    Route("course pages", pages.course_pages, per_language=True),
    Route("institution pages", pages.institution_pages, stored=True, per_language=True),
    Route("content pages", pages.content_pages, per_language=True),
    Route("not-found pages", pages.not_found_pages, per_language=True),
    Route("pathway pages", planning.pathway_pages, per_language=True),
    Route("planning pages", planning.planning_pages, stored=True, per_language=True),
    Route("host files", pages.host_files),
    Route("logos", data.logos),
    Route("pictures", media.picture_files),
    Route("documents", media.document_files),
    Route("result cards' words", data.card_words_file, per_language=True),
    Route("sitemap", pages.sitemap, later=True),
    Route("catalogue data", data.catalogue_data, later=True),
    Route("open data", data.open_data, later=True, stored=True),
    Route("editor", editor.admin_files),
)


def preview_routes() -> tuple[Route, ...]:
    """The live preview's routes: `ROUTES`, with the web editor writing into the site folder (through the
    preview's local backend) instead of opening pull requests."""
    return tuple(dataclasses.replace(route, artifacts=editor.local_admin_files) if route.name == "editor" else route
                 for route in ROUTES)


@dataclass(frozen=True)
class Plan:
    """Every artifact of a site: those a visitor opens first (`now`) and the rest (`later`, planned when first
    asked for), and what the search index needs: the pages it holds, and the browse table's rows in order."""

    now: tuple[Artifact, ...]
    plan_later: Callable[[], tuple[Artifact, ...]]
    indexed: tuple[str, ...]
    rows: tuple[str, ...]

    @functools.cached_property
    def later(self) -> tuple[Artifact, ...]:
        return self.plan_later()

    def without(self, later: bool = False) -> Plan:
        """The plan without the artifacts made by now (`now`, and the `later` ones too): what the search index
        needs stays, and the memory of the rest goes to what is made next."""
        return Plan((), _nothing if later else self.plan_later, self.indexed, self.rows)


def _nothing() -> tuple[Artifact, ...]:
    return ()


def plan(catalogue: Catalogue, themes: Mapping[str, Theme] | Theme, store: ParseCache | None = None,
         routes: tuple[Route, ...] | None = None) -> Plan:
    """The artifacts of every route (of `ROUTES` unless given), in a fixed order; nothing is made here.

    `themes` is the theme in each interface language, the default one first (or just the default one)."""
    themes = {themes.language: themes} if isinstance(themes, Theme) else dict(themes)
    default = next(iter(themes.values()))
    keys = {language: basis(catalogue.config, theme.digest) for language, theme in themes.items()}
    store = store or ParseCache(None)
    chosen = ROUTES if routes is None else routes

    def artifacts(later: bool) -> tuple[Artifact, ...]:
        return tuple(artifact for route in chosen if route.later == later
                     for theme in (themes.values() if route.per_language else (default,))
                     for artifact in route.artifacts(catalogue, theme, keys[theme.language],
                                                     *((store,) if route.stored else ())))

    now = artifacts(later=False)
    indexed = tuple(sorted(a.path for a in now if a.indexed))
    return Plan(now, functools.partial(artifacts, later=True), indexed, tuple(c.url for c in catalogue.listed))
