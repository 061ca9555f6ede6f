"""Catalogue: turn read files into validated records, then check what spans files and index them.

`parse_*` work on one file each and return a record or diagnostics; `index` sees every record at once
(institutions exist, ids are unique) and arranges them for the pages.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import logging
import multiprocessing
import os
import re
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from generator.content.config import Config
from generator.engine.cache import ParseCache
from generator.fingerprint import fingerprint as made_from
from generator.content.files import (ID_RE, Discovery, Document, SourceFile, read_course, read_limited, read_yaml_file,
                                    translation_of)
from generator.diagnostics import ERROR, WARNING, Diagnostic
from generator.content.facets import Facet, build_facets
from generator.content import media, timeline
from generator.content.markup import MarkdownRenderer
from generator.content.model import ContentPage, Course, Institution, MediaRef, Translation
from generator.content.pathways import spelling_problems
from generator.fast.parallel import can_fork, run_all
from generator.content.checks import Checker, check_course_rules, picture_name_problem
from generator.content.description import body_problems, placeholder_warnings, quoted, render_description
from generator.content.schema import COURSE_FIELDS, INSTITUTION_FIELDS, TRANSLATION_FIELDS, language_name

log = logging.getLogger(__name__)

MAX_LOGO_BYTES = 512 * 1024
_SVG_DANGER = re.compile(rb"<script|<foreignObject|\bon[a-z]+\s*=|javascript:|<!ENTITY|xlink:href\s*=\s*[\"']\s*(?!#)"
                         rb"|\bhref\s*=\s*[\"']\s*(?!#)", re.IGNORECASE)


@dataclass(frozen=True)
class Catalogue:
    """Everything the pages show, checked and arranged."""

    config: Config
    institutions: tuple[Institution, ...]
    courses: tuple[Course, ...]  # every course, archived ones included, in listing order
    listed: tuple[Course, ...]   # what listings, feeds and search show
    by_institution: dict[str, tuple[Course, ...]]
    institutions_by_id: dict[str, Institution]
    facets: tuple[Facet, ...]            # for the filter form on the home page
    today: dt.date | None = None         # the build date, which the courses are as on (content/timeline.py)
    pages: tuple[ContentPage, ...] = ()  # the site's own pages (About, Contact...), by name


def parse_course(source: SourceFile, renderer: MarkdownRenderer, digest: str = "",
                 translations: tuple[SourceFile, ...] = (), data: bytes | None = None
                 ) -> tuple[Course | None, list[Diagnostic]]:
    """Read, validate and render one course file, and its translations; `data`: the bytes the file is about to
    have, checked in its place before it is written (the web editor's local backend)."""
    course, diags = _parse_course_file(source, renderer, digest, data)
    done = []
    for translation in translations:
        parsed, problems = parse_translation(translation, renderer, course)
        diags += problems
        if parsed is not None:
            done.append(parsed)
    if course is None or any(d.is_error for d in diags):
        return None, diags
    return (dataclasses.replace(course, translations=tuple(done)) if done else course), diags


def _parse_course_file(source: SourceFile, renderer: MarkdownRenderer, digest: str,
                       data: bytes | None = None) -> tuple[Course | None, list[Diagnostic]]:
    path = source.path
    institution_id, slug = path.parent.name, path.stem
    diags = _id_problems(source, institution_id, slug)
    doc, read_diags = read_course(source, data)
    diags += read_diags
    if doc is None:
        return None, diags
    checker = Checker(doc, COURSE_FIELDS, "course")
    clean = checker.check()
    check_course_rules(checker, clean)
    diags += checker.diagnostics
    diags += body_problems(source, doc.body, doc.body_line) + placeholder_warnings(source, doc.body, doc.body_line)
    if any(d.code == "body-too-complex" for d in diags):
        return None, diags
    # rendered even when the fields have errors: its links' problems are told at once too
    body_html, course_links, refs, description_problems = render_description(source, institution_id, doc, renderer)
    diags += description_problems
    if body_html is None or any(d.is_error for d in diags):
        return None, diags
    places = tuple((name, doc.values[name].line, doc.values[name].col) for name in PLACED if name in doc.values)
    course = Course(id=f"{institution_id}/{slug}", institution_id=institution_id, slug=slug, source=source.display,
                    body_html=body_html, digest=digest, title_line=doc.values["title"].line, course_links=course_links,
                    places=places, media_refs=_image_ref(source, doc, clean.get("image")) + refs, **clean)
    return course, diags


def _image_ref(source: SourceFile, doc: Document, name: str | None) -> tuple[MediaRef, ...]:
    """The picture a course file's `image` names, with its place."""
    if not name:
        return ()
    value = doc.values["image"]
    return (MediaRef("image", name, source.display, value.line, value.col),)


def parse_translation(source: SourceFile, renderer: MarkdownRenderer,
                      course: Course | None = None) -> tuple[Translation | None, list[Diagnostic]]:
    """Read, validate and render one translation (course.cs.md), checked against its course when it has one."""
    slug, language = translation_of(source.path.name) or (source.path.stem, "")
    main = f"{slug}.md"
    diags = _language_problems(source, slug, language)
    doc, read_diags = read_course(source)
    diags += read_diags
    if doc is None:
        return None, diags
    kept = {}
    for key, value in doc.values.items():
        if key in _COURSE_FIELD_NAMES and key not in _TRANSLATED:
            diags.append(Diagnostic(source.display, value.key_line, value.key_col, ERROR, code="not-translated",
                                    message=f"'{key}' is not translated: it comes from {main}",
                                    hint="remove it here"))
        else:
            kept[key] = value
    checker = Checker(dataclasses.replace(doc, values=kept), TRANSLATION_FIELDS, "translation")
    clean = checker.check()
    diags += checker.diagnostics
    outcomes = clean["learning_outcomes"]
    if course is not None and outcomes and len(outcomes) != len(course.learning_outcomes):
        diags.append(Diagnostic(source.display, kept["learning_outcomes"].line, kept["learning_outcomes"].col, ERROR,
                                code="outcomes-count",
                                message=f"'learning_outcomes' has {len(outcomes)} items, but {main} has "
                                        f"{len(course.learning_outcomes)}",
                                hint="translate each outcome of the course file, in the same order"))
    body_html, course_links, refs = None, (), ()
    if doc.body.strip():
        diags += body_problems(source, doc.body, doc.body_line) + placeholder_warnings(source, doc.body, doc.body_line)
        if not any(d.code == "body-too-complex" for d in diags):
            body_html, course_links, refs, problems = render_description(source, source.path.parent.name, doc, renderer)
            diags += problems
    if course is not None and clean["image_alt"] and not course.image:
        alt = kept["image_alt"]
        diags.append(Diagnostic(source.display, alt.key_line, alt.key_col, WARNING, code="image-alt",
                                message=f"'image_alt' is given, but {main} has no 'image': it describes no picture",
                                hint=f"add the picture to {main}, or remove 'image_alt' here"))
    if course is not None and language == course.body_lang:
        diags.append(Diagnostic(source.display, severity=WARNING, code="own-language",
                                message=f"this translation is in {language_name(language)}, the language {main} "
                                        "is written in (its first 'language'): it is not used",
                                hint="delete this file, or name it for the language it is in"))
        return None, diags
    if any(d.is_error for d in diags):
        return None, diags
    return Translation(language=language, source=source.display, title=clean["title"], summary=clean["summary"],
                       learning_outcomes=outcomes or None, body_html=body_html, image_alt=clean["image_alt"],
                       course_links=course_links, media_refs=refs), diags


_COURSE_FIELD_NAMES = {spec.name for spec in COURSE_FIELDS}
_TRANSLATED = {spec.name for spec in TRANSLATION_FIELDS}


def _language_problems(source: SourceFile, slug: str, language: str) -> list[Diagnostic]:
    """The language code in a translation's file name: a lower-case ISO 639-1 code."""
    if language.islower() and language_name(language):
        return []
    if language_name(language.lower()):
        return [Diagnostic(source.display, severity=ERROR, code="bad-id",
                           message="the language code in the file name is written in capitals",
                           hint=f"rename the file to {slug}.{language.lower()}.md")]
    return [Diagnostic(source.display, severity=ERROR, code="bad-id",
                       message=f"'{language}' in the file name is not a language code: a translation is named "
                               "after its course file and a two-letter ISO 639-1 code",
                       hint=f"rename it like {slug}.cs.md, or, if it is not a translation, remove the dots from "
                            "its name")]


def _id_problems(source: SourceFile, institution_id: str, slug: str) -> list[Diagnostic]:
    diags = []
    if not ID_RE.match(slug):
        diags.append(Diagnostic(source.display, severity=ERROR, code="bad-id",
                                message=f"the file name '{source.path.name}' cannot be used as a course id: use "
                                        "lowercase letters a-z, digits and single hyphens",
                                hint=f"rename it, e.g. to {_suggest_id(slug)}.md"))
    if not ID_RE.match(institution_id):
        diags.append(Diagnostic(source.display, severity=ERROR, code="bad-id",
                                message=f"the folder name '{institution_id}' cannot be used as an institution id: "
                                        "use lowercase letters a-z, digits and single hyphens"))
    return diags


def _suggest_id(name: str) -> str:
    from generator.content.scaffold import slugify  # the scaffold's slugs know the partners' alphabets
    return slugify(name) or "my-course"


DATED = ("start_date", "end_date", "application_deadline")  # the fields the build date is checked against
PLACED = DATED + ("stackable_towards",)  # the fields whose place a check across courses tells (pathways.py)


def parse_institution(source: SourceFile) -> tuple[Institution | None, list[Diagnostic]]:
    """Read and validate one institution file, and check its logo."""
    institution_id = source.path.stem
    diags: list[Diagnostic] = []
    if not ID_RE.match(institution_id):
        diags.append(Diagnostic(source.display, severity=ERROR, code="bad-id",
                                message=f"the file name '{source.path.name}' cannot be used as an institution id: "
                                        "use lowercase letters a-z, digits and single hyphens"))
    doc, read_diags = read_yaml_file(source)
    diags += read_diags
    if doc is None:
        return None, diags
    checker = Checker(doc, INSTITUTION_FIELDS, "institution")
    clean = checker.check()
    diags += checker.diagnostics
    if clean.get("logo"):
        diags += logo_problems(source, clean["logo"], doc.values["logo"].line, doc.values["logo"].col)
    if any(d.is_error for d in diags):
        return None, diags
    logo = source.path.parent / clean["logo"] if clean.get("logo") else None
    fingerprint = made_from(source.path.read_bytes(), logo.read_bytes() if logo else b"")
    return Institution(id=institution_id, source=source.display, digest=fingerprint, **clean), diags


def logo_problems(source: SourceFile, name: str, line: int, col: int) -> list[Diagnostic]:
    """What is wrong with a logo file named in `source` (an institution's, or the site's in site.yaml)."""
    path = source.path.parent / name
    def problem(message: str, hint: str = "") -> list[Diagnostic]:
        return [Diagnostic(source.display, line, col, ERROR, message, hint, "logo")]
    if path.suffix.lower() not in (".svg", ".png", ".jpg", ".jpeg", ".webp"):
        return problem(f"'logo' must be an .svg, .png, .jpg or .webp image, not '{name}'")
    if not path.is_file() or path.is_symlink():
        folder = source.display.rpartition("/")[0] or "."
        return problem(f"'logo' names the file '{name}', which is not in {folder}/",
                       "put the image beside this file, or check the spelling: capitals count")
    if path.stat().st_size > MAX_LOGO_BYTES:
        return problem(f"the logo '{name}' is too large (the limit is {MAX_LOGO_BYTES // 1024} KiB)")
    if path.suffix.lower() == ".svg" and _SVG_DANGER.search(path.read_bytes()):
        return problem(f"the logo '{name}' contains scripts, links or external references, which are not allowed",
                       "export the logo again as a plain SVG, or use a PNG")
    return []


def parse_institutions(sources: tuple[SourceFile, ...]) -> tuple[list[Institution], list[Diagnostic]]:
    """Parse every institution file (a dozen: never cached, always read)."""
    institutions, diags = [], []
    for source in sources:
        institution, problems = parse_institution(source)
        diags += problems
        if institution:
            institutions.append(institution)
    return institutions, diags


def parse_all(found: Discovery, cache: ParseCache | None = None) -> tuple[list[Institution], list[Course], list[Diagnostic]]:
    """Parse every institution and course file (with its translations), collecting every diagnostic; unchanged
    courses come from the cache."""
    institutions, diags = parse_institutions(found.institutions)
    diags = list(found.diagnostics) + diags
    cache = cache or ParseCache(None)
    beside = translations_by_course(found)
    results: dict[SourceFile, tuple[Course | None, list[Diagnostic]]] = {}
    todo: list[tuple[SourceFile, str, str]] = []
    for source in found.courses:
        files = (source, *beside.get(_course_key(source.path), ()))
        key, parts, cached = cache.lookup(files, file_bytes)
        if cached is not None:
            results[source] = cached
        else:
            # what the course is made from: its bytes, then each translation's name and bytes
            todo.append((source, made_from(*parts[1:]), key))
    jobs = [(s, d, tuple(beside.get(_course_key(s.path), ()))) for s, d, _ in todo]
    for (source, _, key), result in zip(todo, _parse_courses(jobs)):
        results[source] = result
        cache.put(key, result)
    courses = []
    for source in found.courses:
        course, problems = results[source]
        diags += problems
        if course:
            courses.append(course)
    renderer = MarkdownRenderer()
    known = {_course_key(s.path) for s in found.courses}
    for source in found.translations:  # the ones without a course file: their own problems are told too
        if _translation_key(source.path) not in known:
            diags += parse_translation(source, renderer)[1]
    return institutions, courses, diags


def translations_by_course(found: Discovery) -> dict[tuple[str, str], list[SourceFile]]:
    """Each course's translation files (by folder and slug), in the order of their names."""
    beside: dict[tuple[str, str], list[SourceFile]] = defaultdict(list)
    for source in found.translations:
        beside[_translation_key(source.path)].append(source)
    return beside


def _course_key(path: Path) -> tuple[str, str]:
    return path.parent.name, path.stem


def _translation_key(path: Path) -> tuple[str, str]:
    return path.parent.name, (translation_of(path.name) or (path.stem, ""))[0]


def file_bytes(path: Path) -> bytes:
    """A course file's bytes for its cache key (what cannot be read is reported by parsing, not here)."""
    try:
        return read_limited(path) or b""
    except OSError:
        return b""


PARALLEL_FROM = 200  # below this, starting worker processes costs more than it saves


def _parse_courses(jobs: list[tuple[SourceFile, str, tuple[SourceFile, ...]]]
                   ) -> list[tuple[Course | None, list[Diagnostic]]]:
    """Parse courses, across processes for large catalogues (Markdown rendering is CPU-bound pure Python)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return _parse_chunk(jobs)
    if can_fork():
        # a build: forked copies of this process share the work with it (see parallel.py)
        renderer = MarkdownRenderer()
        return run_all([functools.partial(parse_course, source, renderer, fingerprint, translations)
                        for source, fingerprint, translations in jobs], at_least=PARALLEL_FROM)
    # the live preview's first build, with its threads running: fresh worker processes, which cannot inherit them
    size = -(-len(jobs) // (workers * 4))
    chunks = [jobs[i:i + size] for i in range(0, len(jobs), size)]
    context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return [result for chunk in pool.map(_parse_chunk, chunks) for result in chunk]


def _parse_chunk(jobs: list[tuple[SourceFile, str, tuple[SourceFile, ...]]]
                 ) -> list[tuple[Course | None, list[Diagnostic]]]:
    renderer = MarkdownRenderer()
    return [parse_course(source, renderer, fingerprint, translations) for source, fingerprint, translations in jobs]


def cross_check(found: Discovery, institutions: list[Institution], courses: list[Course],
                languages: tuple[str, ...] | None = None, reread: dict | None = None) -> list[Diagnostic]:
    """Checks that need every file: each course's institution exists, course ids are unique, each translation has
    its course file and is in one of the site's `languages` (not checked when the settings cannot be read).
    `reread`: the files that did not parse, as `attach_media` read them again (see `_read_failed`)."""
    diags = _translation_problems(found, languages)
    institution_files = {s.path.stem for s in found.institutions}
    for source in found.courses:
        institution_id = source.path.parent.name
        if institution_id not in institution_files:
            known = ", ".join(sorted(institution_files)) or "none yet"
            diags.append(Diagnostic(source.display, severity=ERROR, code="unknown-institution",
                                    message=f"the folder '{institution_id}' is not a known institution: there is no "
                                            f"content/institutions/{institution_id}.yaml",
                                    hint=f"known institutions: {known}"))
    seen: dict[str, str] = {}
    for source in found.courses:
        key = f"{source.path.parent.name}/{source.path.stem}".casefold()
        if key in seen:
            diags.append(Diagnostic(source.display, severity=ERROR, code="duplicate-id",
                                    message=f"this course has the same id as {seen[key]}",
                                    hint="give one of the files another name"))
        else:
            seen[key] = source.display
    reread = {} if reread is None else reread
    return diags + _copied_courses(courses) + _missing_link_targets(found, courses, reread) + spelling_problems(courses)


def _translation_problems(found: Discovery, languages: tuple[str, ...] | None) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    slugs: dict[str, list[str]] = defaultdict(list)
    for source in found.courses:
        slugs[source.path.parent.name].append(source.path.stem)
    for source in found.translations:
        folder, slug = _translation_key(source.path)
        language = translation_of(source.path.name)[1]  # type: ignore[index]
        if slug not in slugs[folder]:
            close = difflib.get_close_matches(slug, slugs[folder], n=1)
            hint = (f"did you mean {close[0]}.{language}.md?"
                    if close else "add the course file first, or name the translation after it")
            diags.append(Diagnostic(source.display, severity=ERROR, code="no-course-file",
                                    message=f"there is no course file {slug}.md beside this translation", hint=hint))
        elif languages is not None and language.islower() and language_name(language) and language not in languages:
            diags.append(Diagnostic(source.display, severity=WARNING, code="site-language",
                                    message=f"this translation is in {language_name(language)}, a language the "
                                            "catalogue's pages are not made in: it is not shown",
                                    hint=f"the site's languages are {', '.join(languages)}; a language is added to "
                                         "'languages' in site.yaml"))
    return diags


def _missing_link_targets(found: Discovery, courses: list[Course], reread: dict) -> list[Diagnostic]:
    """An error for each link to a course file that does not exist, in the courses and in the course files that
    have other errors (their links are read again here, so that every problem is told at once: a failed file's
    parse result, kept in the cache, cannot depend on other files)."""
    known = sorted(f"{s.path.parent.name}/{s.path.stem}" for s in found.courses)
    exists = set(known)
    parsed = {c.source for c in courses}
    links = [(c.source, c.institution_id, c.course_links) for c in courses]
    failed = [s for s in found.courses if s.display not in parsed]
    renderer = MarkdownRenderer() if failed else None
    links += [(s.display, s.path.parent.name, _failed_file_links(s, renderer, reread)) for s in failed]
    translated = {t.source for c in courses for t in c.translations}
    links += [(t.source, c.institution_id, t.course_links) for c in courses for t in c.translations]
    failed = [s for s in found.translations if s.display not in translated]
    renderer = renderer or (MarkdownRenderer() if failed else None)
    links += [(s.display, s.path.parent.name, _failed_file_links(s, renderer, reread)) for s in failed]
    diags: list[Diagnostic] = []
    for source, institution_id, found_links in links:
        for target, href, line, col in found_links:
            if target in exists:
                continue
            close = difflib.get_close_matches(target, known, n=1)
            if close:
                inst, slug = close[0].split("/")
                hint = f"did you mean {slug}.md?" if inst == institution_id else f"did you mean ../{inst}/{slug}.md?"
            else:
                hint = "check the file name"
            diags.append(Diagnostic(source, line, col, ERROR, code="bad-link",
                                    message=f"the link '{quoted(href)}' is to content/courses/{target}.md, which "
                                            "does not exist", hint=hint))
    return diags


def _read_failed(source: SourceFile, reread: dict) -> tuple[Document | None, list[Diagnostic]]:
    """A file that did not parse, read again for what it links and shows: once for both."""
    if source.display not in reread:
        reread[source.display] = read_course(source)
    return reread[source.display]


def _failed_file_links(source: SourceFile, renderer: MarkdownRenderer, reread: dict
                       ) -> tuple[tuple[str, str, int, int], ...]:
    """The links to course files in a course file that did not parse (none when its description cannot be read)."""
    doc, problems = _read_failed(source, reread)
    if doc is None or ".md" not in doc.body.lower() or any(d.code == "body-too-complex" for d in problems):
        return ()  # (most descriptions link no course: they are not rendered again)
    return render_description(source, source.path.parent.name, doc, renderer)[1]


def _failed_file_refs(source: SourceFile, renderer: MarkdownRenderer, reread: dict) -> tuple[MediaRef, ...]:
    """The files beside it that a course file (or translation) that did not parse names."""
    doc, problems = _read_failed(source, reread)
    if doc is None:
        return ()
    image = doc.values.get("image")
    name = image.value.strip() if image is not None and isinstance(image.value, str) else ""
    refs = _image_ref(source, doc, name) if name and picture_name_problem(name) is None else ()
    if not any(marker in doc.body for marker in ("![", "](", "]:")) or \
            any(d.code == "body-too-complex" for d in problems):
        return refs  # (a description that shows no picture and links nothing is not rendered again)
    return refs + render_description(source, source.path.parent.name, doc, renderer)[2]


def attach_media(found: Discovery, courses: list[Course], cache: ParseCache | None = None, reread: dict | None = None
                 ) -> tuple[list[Course], list[Diagnostic]]:
    """Check the pictures and documents beside course files that the courses name, and give each course those it
    shows (their hashes joined to its digest: its pages change with them). The course files (and translations)
    that did not parse are read again for the files they name, so that every problem is told at once; a picture
    or a document that no course names gets a warning."""
    checker = media.MediaChecker(cache)
    folders = {s.display: s.path.parent for s in (*found.courses, *found.translations)}
    named: set[tuple[str, str]] = set()
    diags: list[Diagnostic] = []
    done = []
    for course in courses:
        refs = course.media_refs + tuple(ref for t in course.translations for ref in t.media_refs)
        named.update((course.institution_id, ref.name) for ref in refs)
        if not refs:
            done.append(course)
            continue
        pictures, documents, problems = checker.check(folders[course.source], refs)
        diags += problems
        digest = made_from(course.digest, *(p.digest for p in pictures), *(d.digest for d in documents)) \
            if course.digest else ""
        done.append(dataclasses.replace(course, pictures=pictures, documents=documents, digest=digest))
    parsed = {c.source for c in courses} | {t.source for c in courses for t in c.translations}
    failed = [s for s in (*found.courses, *found.translations) if s.display not in parsed]
    renderer = MarkdownRenderer() if failed else None
    for source in failed:
        refs = _failed_file_refs(source, renderer, {} if reread is None else reread)  # type: ignore[arg-type]
        named.update((source.path.parent.name, ref.name) for ref in refs)
        diags += checker.check(source.path.parent, refs)[2]
    for source in found.media:
        if (source.path.parent.name, source.path.name) not in named:
            diags.append(_unused(source))
    return done, diags


def _unused(source: SourceFile) -> Diagnostic:
    name = source.path.name
    if name.lower().endswith(media.DOCUMENT_SUFFIXES):
        return Diagnostic(source.display, severity=WARNING, code="unused-file",
                          message="this document is not linked from any course's description: it is not published",
                          hint=f"link it from a description, like [Syllabus]({name}), or delete the file")
    return Diagnostic(source.display, severity=WARNING, code="unused-file",
                      message="this picture is not shown by any course: no course file names it",
                      hint=f"write 'image: {name}' in a course file, or ![what it shows]({name}) in a description, "
                           "or delete the file")


def _copied_courses(courses: list[Course]) -> list[Diagnostic]:
    """A warning on each course with the same title, start date, language and mode as another of its
    institution's: most likely a copy whose fields were not changed yet (courses are added by copying one). Each
    of them is told, as which one is the copy is not known (a pull request shows the warning on the file it adds)."""
    groups: dict[tuple[object, ...], list[Course]] = defaultdict(list)
    for course in courses:
        groups[(course.institution_id, " ".join(course.title.split()).casefold(), course.start_date, course.language,
                course.mode)].append(course)
    diags: list[Diagnostic] = []
    for group in groups.values():
        for course in group if len(group) > 1 else ():
            others = ", ".join(other.source for other in group if other is not course)
            diags.append(Diagnostic(course.source, course.title_line, 1, WARNING, code="copied-course",
                                    message=f"this course has the same title, start date, language and mode as "
                                            f"{others}",
                                    hint="if one was copied from the other, change its title and the other fields; "
                                         "if it is another run of the same course, give it its own start_date"))
    return diags


def _in_languages(course: Course, languages: tuple[str, ...]) -> Course:
    kept = tuple(t for t in course.translations if t.language in languages)
    return course if kept == course.translations else dataclasses.replace(course, translations=kept)


def listing_key(course: Course) -> tuple:
    """Courses one can still apply to first, soonest start first (undated last), then closed ones; then by title."""
    return (course.status in ("closed", "archived"), course.start_date is None, course.start_date or 0,
            course.title.casefold(), course.id)


def index(config: Config, institutions: list[Institution], courses: list[Course],
          today: dt.date | None = None, pages: list[ContentPage] | tuple[ContentPage, ...] = ()) -> Catalogue:
    """Arrange checked records for the pages (with the translations into languages the site has), each course as
    it stands on `today` (see timeline.py; as its file says without one)."""
    courses = [_in_languages(c, config.languages) for c in courses]
    if today is not None:
        courses = [timeline.on(c, today) for c in courses]
    ordered = tuple(sorted(courses, key=listing_key))
    listed = tuple(c for c in ordered if c.listed)
    by_institution: dict[str, list[Course]] = defaultdict(list)
    for course in listed:
        by_institution[course.institution_id].append(course)
    return Catalogue(
        config=config,
        institutions=tuple(sorted(institutions, key=lambda i: (i.name.casefold(), i.id))),
        courses=ordered,
        listed=listed,
        by_institution={i.id: tuple(by_institution.get(i.id, ())) for i in institutions},
        institutions_by_id={i.id: i for i in institutions},
        facets=build_facets(listed, {i.id: i for i in institutions}),
        today=today,
        pages=tuple(sorted(pages, key=lambda p: p.slug)),
    )
