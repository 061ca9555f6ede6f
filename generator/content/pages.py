"""Content pages: the site's own pages (About, Contact, Legal notice, Accessibility statement), one Markdown file
each under content/pages/ with a small front matter (schema.PAGE_FIELDS), and their translations beside them
(about.cs.md). They are read, checked and cleaned as course files are, and a dozen at most: never cached."""
from __future__ import annotations

import dataclasses
import difflib
import re
from collections import defaultdict

from markupsafe import Markup

from generator.content.checks import Checker
from generator.content.files import ID_RE, Discovery, Document, SourceFile, read_course, translation_of
from generator.content.markup import MarkdownRenderer, has_scheme, picture_lines, rewrite_links
from generator.content.model import ContentPage, PageTranslation
from generator.content.schema import PAGE_FIELDS, PAGE_TRANSLATION_FIELDS, language_name
from generator.diagnostics import ERROR, WARNING, Diagnostic, shortened
from generator.fingerprint import fingerprint

# The first part of addresses the catalogue's own files use: a page cannot be called so.
TAKEN = ("assets", "courses", "institutions", "page", "pagefind", "schema", "search", "sitemaps")
DESCRIPTION_LENGTH = 160  # characters of a page's first paragraph that stand for its description
_FIRST_PARAGRAPH_RE = re.compile(r"<p>(.*?)</p>", re.DOTALL)
Link = tuple[str, str, str, int, int]  # a link to another page: the file it is in, the page's name, the address, line, column


def parse_pages(found: Discovery, languages: tuple[str, ...] | None) -> tuple[list[ContentPage], list[Diagnostic]]:
    """Every page file with its translations, and the problems of all of them; `languages` are the site's (the
    first its default, which page files are written in), None when the settings cannot be read."""
    renderer = MarkdownRenderer(top=2)  # a page's headings sit under its title, the <h1>
    beside: dict[str, list[SourceFile]] = defaultdict(list)
    for source in found.page_translations:
        beside[translation_of(source.path.name)[0]].append(source)  # type: ignore[index]
    pages, diags, links = [], [], []
    slugs = [source.path.stem for source in found.pages]
    for source in found.pages:
        page, found_links, problems = parse_page(source, renderer, languages, tuple(beside.pop(source.path.stem, ())))
        diags += problems
        links += found_links
        if page is not None:
            pages.append(page)
    for slug, orphans in beside.items():
        for source in orphans:
            close = difflib.get_close_matches(slug, slugs, n=1)
            language = translation_of(source.path.name)[1]  # type: ignore[index]
            diags.append(Diagnostic(source.display, severity=ERROR, code="no-page-file",
                                    message=f"there is no page file {slug}.md beside this translation",
                                    hint=f"did you mean {close[0]}.{language}.md?" if close
                                    else "add the page file first, or name the translation after it"))
    return pages, diags + _missing_pages(links, set(slugs))


def parse_page(source: SourceFile, renderer: MarkdownRenderer, languages: tuple[str, ...] | None,
               translations: tuple[SourceFile, ...] = ()
               ) -> tuple[ContentPage | None, tuple[Link, ...], list[Diagnostic]]:
    """Read, check and render one page file and its translations: the page (None when it has errors), its and
    its translations' links to other pages (checked once every page is read), and its problems."""
    slug = source.path.stem
    diags = _name_problems(source, slug, languages)
    doc, read_diags = read_course(source)
    diags += read_diags
    if doc is None:
        return None, (), diags
    checker = Checker(doc, PAGE_FIELDS, "page")
    clean = checker.check()
    diags += checker.diagnostics
    if any(d.code == "body-too-complex" for d in diags):  # (rendering it could take very long)
        return None, (), diags
    body_html, links, problems = _text(source, doc, renderer, required=True)
    diags += problems
    done = []
    language = languages[0] if languages else None
    for translation in translations:
        parsed, found, problems = _parse_translation(translation, renderer, slug, languages)
        diags += problems
        links += found
        if parsed is not None:
            done.append(parsed)
    if body_html is None or language is None or any(d.is_error for d in diags):
        return None, links, diags
    digest = fingerprint(source.path.read_bytes(), *(part for t in translations
                                                     for part in (t.path.name, t.path.read_bytes())))
    return ContentPage(slug=slug, source=source.display, title=clean["title"],
                       description=clean["description"] or _first_paragraph(body_html) or clean["title"],
                       body_html=body_html, language=language, footer=clean["footer"], order=clean["order"],
                       translations=tuple(sorted(done, key=lambda t: t.language)), digest=digest), links, diags


def _parse_translation(source: SourceFile, renderer: MarkdownRenderer, slug: str, languages: tuple[str, ...] | None
                       ) -> tuple[PageTranslation | None, tuple[Link, ...], list[Diagnostic]]:
    """A page's translation, its links to other pages, and its problems."""
    language = translation_of(source.path.name)[1]  # type: ignore[index]
    diags = _language_problems(source, slug, language, languages)
    doc, read_diags = read_course(source)
    diags += read_diags
    if doc is None:
        return None, (), diags
    kept = {}
    translated = {spec.name for spec in PAGE_TRANSLATION_FIELDS}
    for key, value in doc.values.items():
        if key in {spec.name for spec in PAGE_FIELDS} - translated:
            diags.append(Diagnostic(source.display, value.key_line, value.key_col, ERROR, code="not-translated",
                                    message=f"'{key}' is not translated: it comes from {slug}.md",
                                    hint="remove it here"))
        else:
            kept[key] = value
    checker = Checker(dataclasses.replace(doc, values=kept), PAGE_TRANSLATION_FIELDS, "page translation")
    clean = checker.check()
    diags += checker.diagnostics
    if any(d.code == "body-too-complex" for d in diags):
        return None, (), diags
    body_html, links, problems = _text(source, doc, renderer, required=False)
    diags += problems
    if any(d.is_error for d in diags) or any(d.code == "own-language" for d in diags) or \
            (languages is not None and language not in languages):
        return None, links, diags
    description = clean["description"] or _first_paragraph(body_html or "") or clean["title"]
    return PageTranslation(language, source.display, clean["title"], description, body_html), links, diags


def _name_problems(source: SourceFile, slug: str, languages: tuple[str, ...] | None) -> list[Diagnostic]:
    """A page's file name becomes its address: lowercase words, and none the catalogue's own files use."""
    if not ID_RE.match(slug):
        from generator.content.scaffold import slugify
        return [Diagnostic(source.display, severity=ERROR, code="bad-id",
                           message=f"the file name '{source.path.name}' cannot be used as a page's address: use "
                                   "lowercase letters a-z, digits and single hyphens",
                           hint=f"rename it, e.g. to {slugify(slug) or 'about'}.md")]
    if slug in TAKEN or language_name(slug) or (languages and slug in languages):
        return [Diagnostic(source.display, severity=ERROR, code="taken-name",
                           message=f"the address /{slug}/ is the catalogue's own"
                                   + (" (a language's pages are there)" if language_name(slug) else ""),
                           hint=f"rename the file, e.g. to about-{slug}.md")]
    return []


def _language_problems(source: SourceFile, slug: str, language: str,
                       languages: tuple[str, ...] | None) -> list[Diagnostic]:
    """The language in a translation's file name: a code, one the site's pages are made in, not the page file's."""
    if not (language.islower() and language_name(language)):
        if language_name(language.lower()):
            return [Diagnostic(source.display, severity=ERROR, code="bad-id",
                               message="the language code in the file name is written in capitals",
                               hint=f"rename the file to {slug}.{language.lower()}.md")]
        return [Diagnostic(source.display, severity=ERROR, code="bad-id",
                           message=f"'{language}' in the file name is not a language code: a translation is named "
                                   "after its page file and a two-letter ISO 639-1 code",
                           hint=f"rename it like {slug}.cs.md")]
    if languages is None:
        return []
    if language == languages[0]:
        return [Diagnostic(source.display, severity=WARNING, code="own-language",
                           message=f"this translation is in {language_name(language)}, the language {slug}.md is "
                                   "written in (the site's first language): it is not used",
                           hint="delete this file, or name it for the language it is in")]
    if language not in languages:
        return [Diagnostic(source.display, severity=WARNING, code="site-language",
                           message=f"this translation is in {language_name(language)}, a language the catalogue's "
                                   "pages are not made in: it is not shown",
                           hint=f"the site's languages are {', '.join(languages)}; a language is added to "
                                "'languages' in site.yaml")]
    return []


def _text(source: SourceFile, doc: Document, renderer: MarkdownRenderer, required: bool
          ) -> tuple[str | None, tuple[Link, ...], list[Diagnostic]]:
    """A page's text rendered and cleaned, its links to other pages, its problems."""
    if not doc.body.strip():
        if not required:
            return None, (), []
        return None, (), [Diagnostic(source.display, max(doc.body_line - 1, 1), 1, ERROR, code="empty-body",
                                     message="the page's text is missing: write it below the closing --- line")]
    diags = [Diagnostic(source.display, doc.body_line + line, 1, ERROR, code="image",
                        message="pictures cannot be shown on the catalogue's own pages",
                        hint="remove the picture: pictures are shown on course pages, beside the course file")
             for line in picture_lines(doc.body)]
    try:
        body_html = renderer.render(doc.body)
    except Exception as exc:  # noqa: BLE001 — Python-Markdown can fail on pathological input: report, never crash
        return None, (), diags + [Diagnostic(source.display, doc.body_line, 1, ERROR, code="body-too-complex",
                                             message=f"the page's text cannot be rendered ({type(exc).__name__})",
                                             hint="simplify its structure: fewer nested lists and quotes")]
    found: list[Link] = []

    def rewrite(href: str) -> str | None:
        if not href or href.startswith("#") or has_scheme(href):
            return None
        line, col = _place(doc.body, href, doc.body_line)
        target = href.split("#", 1)[0]
        if "/" not in target and target.endswith(".md") and ID_RE.match(target[:-3]):
            found.append((source.display, target[:-3], href, line, col))
            fragment = href.partition("#")[2]
            return f"../{target[:-3]}/" + (f"#{fragment}" if fragment else "")
        diags.append(Diagnostic(source.display, line, col, ERROR, code="bad-link",
                                message=f"the link '{shortened(href, 60)}' goes nowhere on the catalogue: a link on a "
                                        "page needs a full address",
                                hint="write a full address, starting with https:// or mailto:, or link another page "
                                     "by its file name, like contact.md"))
        return None

    return rewrite_links(body_html, rewrite), tuple(found), diags


def _place(body: str, text: str, body_line: int) -> tuple[int, int]:
    at = body.find(text)
    if at < 0:
        return body_line, 1
    return body_line + body.count("\n", 0, at), at - (body.rfind("\n", 0, at) + 1) + 1


def _first_paragraph(body_html: str) -> str:
    """The text of the first paragraph, cut at a word to about DESCRIPTION_LENGTH characters."""
    match = _FIRST_PARAGRAPH_RE.search(body_html)
    if match is None:
        return ""
    text = " ".join(Markup(match.group(1)).striptags().split())
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    return text[:DESCRIPTION_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _missing_pages(links: list[Link], slugs: set[str]) -> list[Diagnostic]:
    """An error for each link to a page file that does not exist."""
    diags = []
    for path, slug, href, line, col in links:
        if slug in slugs:
            continue
        close = difflib.get_close_matches(slug, sorted(slugs), n=1)
        diags.append(Diagnostic(path, line, col, ERROR, code="bad-link",
                                message=f"the link '{shortened(href, 60)}' is to content/pages/{slug}.md, which does "
                                        "not exist", hint=f"did you mean {close[0]}.md?" if close else "check the file name"))
    return diags
