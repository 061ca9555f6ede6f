"""The site's HTML pages (and the few text files a host reads): listing, course, institution pages, 404,
headers, robots and sitemap, each an artifact keyed by what it shows."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
import functools
import marshal
import math
import sys
import traceback
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import jinja2
from markupsafe import Markup

from generator.content.catalogue import Catalogue
from generator.content.facets import Facet, option_label
from generator.content.model import Course, Institution
from generator.content.pathways import pathway_of, pathways
from generator.diagnostics import ContentError, Diagnostic, display_path
from generator.engine.artifact import Artifact
from generator.engine.cache import ParseCache
from generator.fast.parallel import run_all
from generator.fingerprint import fingerprint
from generator.site.feeds import course_calendar_path
from generator.site.structured import course_open_graph, course_schema_org
from generator.site.text import N_
from generator.site.theme import DEFAULT_THEME, Theme

# value and label of each sort order the listing offers (the label is interface text, translated where shown)
SORT_OPTIONS = (("relevance", N_("Relevance")), ("start", N_("Start date, soonest first")),
                ("credits", N_("Credits, fewest first")), ("title", N_("Title, A to Z")))
PAGINATION_AROUND = 2  # pages linked on each side of the current one (and always the first and the last)


def page(theme: Theme, path: str, template: str, values: dict[str, Any] | Callable[[], dict[str, Any]],
         key: str | Callable[[], str] = "", indexed: bool = False, needs: Callable[[], Any] | None = None) -> Artifact:
    """A file rendered from one of the theme's templates (its values worked out only when it is made), at `path`
    under the theme's language prefix; templates get `page_path`, the page's address without the prefix (the
    same in every language, for the language switcher)."""
    return Artifact(theme.prefix + path, functools.partial(render_page, theme, template, values,
                                                           path.removesuffix("index.html")), key, needs, indexed)


def render_page(theme: Theme, template: str, values: dict[str, Any] | Callable[[], dict[str, Any]],
                page_path: str = "") -> bytes:
    """A template rendered with its values; an error in the theme becomes a diagnostic at its template line."""
    return in_theme(theme, template, lambda: theme.env.get_template(template).render(
        values() if callable(values) else values, page_path=page_path).encode("utf-8"))


def in_theme(theme: Theme, template: str, work: Callable[[], bytes]) -> bytes:
    """What `work` makes from the theme's `template`; an error in the theme becomes a diagnostic at its line."""
    try:
        return work()
    except jinja2.TemplateSyntaxError as exc:
        problem = _template_problem(theme, exc.filename or exc.name or template, exc.lineno, exc.message or "")
    except jinja2.TemplateNotFound as exc:
        problem = Diagnostic(display_path(theme.dir / "templates"), message=f"the theme has no template '{exc.name}'",
                             code="template")
    except Exception as exc:  # noqa: BLE001 — any error inside a template is reported at its template line
        name, line = _template_frame(theme, exc)
        problem = _template_problem(theme, name or template, line, f"{type(exc).__name__}: {exc}")
    raise ContentError([problem])


def listing_pages(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The home page and /page/N/: every listed course as a card, with the filter form and its counts."""
    listed, size, by_id = catalogue.listed, catalogue.config.page_size, catalogue.institutions_by_id
    total = listing_count(catalogue)
    facets_key = functools.lru_cache(maxsize=1)(lambda: fingerprint(repr(catalogue.facets)))
    shown = functools.lru_cache(maxsize=1)(lambda: facets_in(catalogue.facets, theme))
    for number in range(1, total + 1):
        chunk = listed[(number - 1) * size: number * size]
        yield page(theme, listing_path(number), "index.html",
                   functools.partial(_listing_values, catalogue, chunk, number, total, shown),
                   functools.partial(_listing_key, base_key, f"listing {number} of {total}, {len(listed)} courses",
                                     facets_key, chunk, by_id))


def course_pages(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """One page per course, archived ones too (they keep their address); the listed ones are searched."""
    maker, prefix = _CoursePage(catalogue, theme), theme.prefix
    for course in catalogue.courses:
        institution = catalogue.institutions_by_id[course.institution_id]
        yield Artifact(prefix + course.url + "index.html", functools.partial(maker, course),
                       course_key(base_key, course, institution), indexed=course.listed and not prefix)


@dataclass(frozen=True)
class _CoursePage:
    """Makes a course's page in one language: one for every course of the language, so that each of a large
    site's planned pages holds no more than the course it is of."""

    catalogue: Catalogue
    theme: Theme

    def __call__(self, course: Course) -> bytes:
        institution = self.catalogue.institutions_by_id[course.institution_id]
        return render_page(self.theme, "course.html",
                           functools.partial(_course_values, self.catalogue, course, institution, self.theme),
                           course.url)


def institution_pages(catalogue: Catalogue, theme: Theme, base_key: str, store: ParseCache) -> Iterator[Artifact]:
    """The institutions' index and each institution's page with its courses (their cards kept in `store`)."""
    counts = {i.id: len(catalogue.by_institution[i.id]) for i in catalogue.institutions}
    order = theme.words.sort_key()
    in_order = tuple(sorted(catalogue.institutions, key=lambda i: (order(i.name), i.id))) \
        if theme.words.locale is not None else catalogue.institutions
    yield page(theme, "institutions/index.html", "institutions.html",
               {"institutions": in_order, "counts": counts},
               functools.partial(group_key, base_key, f"institutions {counts}", "", (),
                                 {i.id: i for i in catalogue.institutions}))
    language: list[Cards] = []  # every institution's, for a build that makes most of them (`Cards.ensure`)
    for institution in catalogue.institutions:
        courses = catalogue.by_institution[institution.id]
        cards = Cards(theme, institution, courses, base_key, store, language)
        language.append(cards)
        values = {"institution": institution, "courses": courses, "logo": logo_path(institution)}
        key = functools.partial(group_key, base_key, f"institution {institution.id}", institution.digest, courses,
                                catalogue.institutions_by_id)
        yield Artifact(theme.prefix + institution.url + "index.html",
                       functools.partial(pieced, theme, "institution.html", institution.url, values, "cards",
                                         cards.sections), functools.partial(cards.key, key), cards.ensure)


class Cards:
    """An institution's page's course cards, each made on its own (`_cards.html`) and kept in the store by what
    it shows, the page's in one entry: an edit makes again only its course's card, in each language, and the
    page is written as its frame and its cards one after the other (`pieced`)."""

    TEMPLATE = "_cards.html"
    TOGETHER_FROM = 50  # cards to make for one page, from which every page's (of its language) are made together

    def __init__(self, theme: Theme, institution: Institution, courses: Sequence[Course], base_key: str,
                 store: ParseCache, language: list[Cards]) -> None:
        self.theme, self.institution, self.courses = theme, institution, courses
        self.base_key, self.store, self.language = base_key, store, language
        self.entry = f"cards-{theme.language}-{institution.id}"
        self.kept: tuple[bytes, list[str]] | None = None  # the page's entry, compressed, and its cards' keys

    def key(self, page_key: Callable[[], str]) -> str:
        """The page's key (`page_key`'s); the store keeps the page's cards, made or not."""
        self.store.keep(self.entry)
        return page_key()

    def ensure(self) -> None:
        """Make the cards the store does not have, and keep the page's (in this process: see `Artifact.needs`);
        many, with those of the language's other pages, shared out between processes."""
        if not self._to_keep():
            return
        try:
            wanted = self._wanted()
            if wanted is None:
                return
            pages = [(self, wanted)]
            if len(wanted[3]) >= self.TOGETHER_FROM:
                pages += [(cards, cards._wanted()) for cards in self.language if cards is not self and cards._to_keep()]
            jobs = [(cards, course) for cards, want in pages if want for _, course in want[3]]
            made = [cards._card(course) for cards, course in jobs[:1]]  # (the macros loaded before forking)
            made += run_all([functools.partial(cards._card, course) for cards, course in jobs[1:]])
            for cards, want in pages:
                if want:
                    cards.kept = cards._keep(*want, made[:len(want[3])])
                    del made[:len(want[3])]
        except Exception:  # noqa: BLE001 — a theme's error is reported where the page is made
            self.kept = None

    def _to_keep(self) -> bool:
        """Whether the page's cards are still to be kept (`ensure`): not yet, with a store, a page of courses."""
        return self.kept is None and self.store.keeps and bool(self.courses) and bool(self.institution.digest)

    def sections(self) -> list[bytes]:
        """Each course's card, as the page shows it (UTF-8)."""
        if self.kept is None:
            return [self._card(course) for course in self.courses]
        entry, keys = self.kept
        cards = marshal.loads(zlib.decompress(entry))[1]
        return [cards[key] for key in keys]

    def _wanted(self) -> tuple[str, list[str], tuple[bytes | None, dict[str, bytes]], list[tuple[str, Course]]] | None:
        """What the page's entry is made from, its cards' keys, the entry as kept and the cards it lacks; None for
        courses never kept."""
        if not all(course.digest for course in self.courses):
            return None
        # the page's cards by course (its id and hash, whether it has ended), for a theme, settings and institution
        made_from = fingerprint(self.base_key, "cards", self.institution.digest)
        keys = [f"{course.id}:{course.digest}:{course.passed}" for course in self.courses]
        entry = self.store.get(self.entry)
        kept = kept_parts(entry, made_from)
        return made_from, keys, (entry, kept), [(key, course) for key, course in zip(keys, self.courses)
                                                 if key not in kept]

    def _keep(self, made_from: str, keys: list[str], kept: tuple[bytes | None, dict[str, bytes]],
              missing: list[tuple[str, Course]], made: list[bytes]) -> tuple[bytes, list[str]]:
        """The page's entry with the cards `made`, kept in the store if it changed."""
        entry, cards = kept
        if entry is not None and not missing and len(cards) == len(keys):
            return entry, keys
        cards = {**cards, **{key: card for (key, _), card in zip(missing, made)}}
        entry = parts_entry(made_from, {key: cards[key] for key in keys})
        self.store.put(self.entry, entry)
        return entry, keys

    def _card(self, course: Course) -> bytes:
        return part(self.theme, self.TEMPLATE, "institution_card", course, self.institution)


def part(theme: Theme, template: str, macro: str, *args: Any) -> bytes:
    """A part of a page made on its own, to be kept between builds: what a macro of a theme's template makes of
    `args` (UTF-8); an error in the theme becomes a diagnostic at its template line."""
    env = theme.env

    def made() -> bytes:
        try:
            return str(getattr(env.get_template(template).module, macro)(*args)).strip().encode("utf-8")
        except Exception:  # noqa: BLE001 — raised again at the template's own lines, as a render would
            env.handle_exception()
            raise

    return in_theme(theme, template, made)


def parts_entry(made_from: str, parts: dict[str, bytes]) -> bytes:
    """A store entry of parts by key (`kept_parts` reads it), with what they were made from."""
    return zlib.compress(marshal.dumps((made_from, parts)), 1)


def kept_parts(entry: object, made_from: str) -> dict[str, bytes]:
    """The parts a store entry keeps by key ({} when there is none, it is damaged, or its parts were made from
    another theme or settings than `made_from`)."""
    try:
        kept_from, kept = marshal.loads(zlib.decompress(entry)) if isinstance(entry, bytes) else ("", {})
    except (ValueError, EOFError, TypeError, zlib.error):
        return {}
    return kept if kept_from == made_from and isinstance(kept, dict) else {}


def pieced(theme: Theme, template: str, path: str, values: dict[str, Any], name: str,
           sections: Callable[[], list[bytes]]) -> list[bytes]:
    """A page whose template shows a list of sections made on their own (`values[name]`), in pieces written one
    after the other: the page rendered with a stand-in for each section, each stand-in then replaced by its
    section (never put together again by the template, nor joined). A template that shows a section other than
    once as it is, or fails, gets the page rendered whole (its error then reported at its template's line)."""

    def whole() -> list[bytes]:
        return [render_page(theme, template, lambda: {
            **values, name: [Markup(section.decode("utf-8")) for section in sections()]}, path)]

    try:
        made = sections()
    except ContentError:
        raise
    except Exception:  # noqa: BLE001 — a theme's error: see `whole`
        return whole()
    stand_ins = [f"<!--{name} {n}-->" for n in range(len(made))]
    frame = render_page(theme, template, {**values, name: [Markup(s) for s in stand_ins]}, path)
    if frame.count(f"<!--{name} ".encode("utf-8")) != len(made):  # (then each once, if each is found in order)
        return whole()
    pieces: list[bytes] = []
    at = 0
    for stand_in, section in zip(stand_ins, made):
        found = frame.find(stand_in.encode("utf-8"), at)
        if found < 0:
            return whole()
        pieces += [frame[at:found], section]
        at = found + len(stand_in)
    return pieces + [frame[at:]]


def content_pages(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The site's own pages (About, Contact, Legal notice...), each in its translation where it has one."""
    for doc in catalogue.pages:
        yield page(theme, doc.url + "index.html", "page.html", {"doc": doc, "text": doc.text(theme.language)},
                   _key(base_key, f"page {doc.slug}", doc.digest))


def not_found_pages(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The page a static host shows for an address it has nothing at (404.html, and cs/404.html...)."""
    yield page(theme, "404.html", "404.html", {}, group_key(base_key, "404", "", (), {}))


def host_files(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The files a static host or a crawler reads: the headers file, robots.txt and, for a site in several
    languages, the redirects file (Netlify's: the home page sends a first visit to the browser's language)."""
    names = ("_headers", "robots.txt") + (("_redirects",) if len(catalogue.config.languages) > 1 else ())
    for name in names:
        yield page(theme, name, name, {}, group_key(base_key, name.removesuffix(".txt"), "", (), {}))


def sitemap(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """sitemap.xml: every listing page, listed course, institution, content page, pathway and the calendar; for a
    site in several
    languages, an index
    of one sitemap a language (sitemaps/cs.xml...), each page there with its address in every language.

    A sitemap shows only addresses and dates: its key is made of those, so an edit that keeps them (a course's
    text, say) leaves every sitemap as it is. Sitemaps need full addresses: a site whose base URL has no host has
    none (the build says so)."""
    if not catalogue.config.absolute:
        return
    languages = catalogue.config.languages
    listing = [listing_path(n).removesuffix("index.html") for n in range(1, listing_count(catalogue) + 1)]
    courses = sorted(catalogue.listed, key=lambda c: c.url)  # by address: an edit that reorders the listing keeps it
    found = pathways(catalogue.listed)
    planning = ["calendar/", *(["pathways/"] if found else []), *(p.url for p in found)]
    values = {
        "listing_pages": listing, "courses": courses, "institutions": catalogue.institutions,
        "content_pages": catalogue.pages, "planning_pages": planning, "sitemaps": (), "entries_in": languages,
        "alternates": _alternates(catalogue),
    }
    addresses = functools.lru_cache(maxsize=1)(lambda: fingerprint(
        *listing, *(f"{c.url} {c.updated}" for c in courses), *(i.url for i in catalogue.institutions),
        *(p.url for p in catalogue.pages), *planning))
    if len(languages) == 1:
        yield page(theme, "sitemap.xml", "sitemap.xml", values,
                   functools.partial(_addresses_key, base_key, "sitemap", addresses))
        return
    paths = [f"sitemaps/{code}.xml" for code in languages]
    yield page(theme, "sitemap.xml", "sitemap.xml", {**values, "sitemaps": paths},
               group_key(base_key, f"sitemap index {paths}", "", (), {}))
    for code, path in zip(languages, paths):
        yield page(theme, path, "sitemap.xml", {**values, "entries_in": (code,)},
                   functools.partial(_addresses_key, base_key, f"sitemap {code}", addresses))


def _addresses_key(base_key: str, what: str, addresses: Callable[[], str]) -> str:
    return _key(base_key, what, addresses())


def _alternates(catalogue: Catalogue) -> Callable[[str], tuple[tuple[str, str], ...]]:
    """A page's address in each language and its x-default (the default language's), by the page's path: the
    same in every language's sitemap, so worked out once a page."""
    config = catalogue.config
    prefixes = [(code, config.language_prefix(code)) for code in config.languages]

    @functools.lru_cache(maxsize=None)
    def alternates(path: str) -> tuple[tuple[str, str], ...]:
        return (*((code, config.base_url + prefix + path) for code, prefix in prefixes),
                ("x-default", config.base_url + path))
    return alternates


def listing_count(catalogue: Catalogue) -> int:
    return max(1, math.ceil(len(catalogue.listed) / catalogue.config.page_size))


def listing_path(number: int) -> str:
    """Page 1 of the listing is the home page; page n is /page/n/."""
    return "index.html" if number == 1 else f"page/{number}/index.html"


def logo_path(institution: Institution) -> str | None:
    """Where an institution's logo is published."""
    return f"{institution.url}{institution.logo.lower()}" if institution.logo else None


def course_key(base_key: str, course: Course, institution: Institution) -> str:
    """What a course's own files are made from: its file, its institution's, the code, theme and config, and what
    of it is over on the build date (not the date itself: a daily build remakes only what a day changed).

    The course's part is worked out once for all the files and languages that share it; the key is the two
    fingerprints side by side."""
    return base_key + _key(course.digest, institution.digest, course.passed) \
        if course.digest and institution.digest else ""


@functools.lru_cache(maxsize=65536)  # the live preview asks again for every unchanged course on each save
def _key(*parts: str) -> str:
    return fingerprint(*parts)


def group_key(base_key: str, what: str, extra: str, courses: Sequence[Course], by_id: dict[str, Any]) -> str:
    """The key of a file made from several courses (and their institutions): "" (never reused) without hashes."""
    parts = [base_key, what, extra]
    for course in courses:
        institution = by_id[course.institution_id]
        if not (course.digest and institution.digest):
            return ""
        parts.append(f"{course.digest}:{course.passed}:{institution.digest}")
    for institution in (by_id.values() if not courses else ()):
        if not institution.digest:
            return ""
        parts.append(institution.digest)
    return fingerprint(*parts)


def _listing_key(base_key: str, what: str, facets_key: Callable[[], str], courses: Sequence[Course],
                 by_id: dict[str, Any]) -> str:
    return group_key(base_key, what, facets_key(), courses, by_id)


def facets_in(facets: tuple[Facet, ...], theme: Theme) -> tuple[Facet, ...]:
    """The facets as the listing shows them in the theme's language: the values ordered by name (institutions,
    countries, languages, topics) in that language's alphabetical order."""
    if theme.words.locale is None:
        return facets  # in English's, as they are made
    order = theme.words.sort_key()
    return tuple(dataclasses.replace(f, values=tuple(sorted(
        f.values, key=lambda v: (order(option_label(f.key, v, theme.words)), v.value))))
        if f.key in BY_NAME else f for f in facets)


BY_NAME = ("institution", "country", "language", "topic")  # the facets whose values are in alphabetical order


def _listing_values(catalogue: Catalogue, chunk: tuple, number: int, total_pages: int,
                    facets: Callable[[], tuple[Facet, ...]]) -> dict[str, Any]:
    return {
        "courses": chunk, "total": len(catalogue.listed), "page": _pagination(number, total_pages),
        "first_index": (number - 1) * catalogue.config.page_size + 1,
        "institutions_by_id": catalogue.institutions_by_id, "facets": facets(),
        "sort_options": SORT_OPTIONS,
    }


def _course_values(catalogue: Catalogue, course: Course, institution: Institution, theme: Theme) -> dict[str, Any]:
    config, text = catalogue.config, course.text(theme.language)
    return {
        "course": course, "institution": institution, "text": text,
        "schema_org": course_schema_org(course, institution, config, text),
        # the course's own picture in a link's preview, else the theme's
        "social": course_open_graph(course, config, None if course.picture else theme.env.globals["preview_image"],
                                    speak=theme.words, prefix=theme.prefix, text=text),
        "calendar_path": course_calendar_path(course, catalogue),
        "pathway": f"pathways/{pathway_of(course)}/" if pathway_of(course) else None,
    }


def _pagination(number: int, total: int) -> dict[str, Any]:
    """Links to the first, the last and the nearby listing pages; (None, None) marks a gap between them
    (a link to every page would grow with the catalogue, on every page, and make a long tab stop)."""
    def link(n: int) -> str:
        return listing_path(n).removesuffix("index.html")
    shown = sorted({1, total, *range(max(1, number - PAGINATION_AROUND), min(total, number + PAGINATION_AROUND) + 1)})
    links: list[tuple[int | None, str | None]] = []
    for n in shown:
        if links and links[-1][0] is not None and n > links[-1][0] + 1:
            links.append((None, None))
        links.append((n, link(n)))
    return {
        "number": number, "total": total, "path": link(number),
        "previous": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < total else None,
        "links": links,
    }


def _template_problem(theme: Theme, name: str, line: int | None, message: str) -> Diagnostic:
    path = Path(name)
    if not path.is_absolute():
        layers = [theme.dir, DEFAULT_THEME]
        path = next((layer / "templates" / name for layer in layers if (layer / "templates" / name).exists()),
                    theme.dir / "templates" / name)
    return Diagnostic(display_path(path), line or 0, 0, message=f"template error: {message}", code="template")


def _template_frame(theme: Theme, exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template file and line in the traceback of an error raised while rendering."""
    roots = (str(theme.dir / "templates"), str(DEFAULT_THEME / "templates"))
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__ or sys.exc_info()[2]):
        if frame.filename.startswith(roots):
            found = (frame.filename, frame.lineno)
    return found


PROBLEMS_TEMPLATE = "_problems.html"  # the live preview's page of problems, served where no page is yet


def problem_page(theme: Theme | None, problems: Sequence[Diagnostic]) -> bytes:
    """The preview's page of problems, from the theme (the default theme's, when the settings cannot be read)."""
    env = theme.env if theme is not None else _fallback_env()
    language = theme.env.globals["site"].language if theme is not None else "en"
    return env.get_template(PROBLEMS_TEMPLATE).render(problems=[d.text() for d in problems],
                                                      language=language).encode("utf-8")


@functools.lru_cache(maxsize=1)
def _fallback_env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(DEFAULT_THEME / "templates")), autoescape=True,
                             extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined)
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    return env
