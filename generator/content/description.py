"""A course's description: rendered from its Markdown, its links, pictures and documents checked, and the
placeholder text of a new course's template found."""
from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

from generator.content import media
from generator.content.checks import BESIDE_HINT, picture_name_problem
from generator.content.files import Document, SourceFile, place_of
from generator.content.markup import (DECORATIVE, Image, MarkdownRenderer, Rendered, has_scheme, image_lines,
                                      links_shown_as_text, rewrite_links)
from generator.content.model import MediaRef
from generator.diagnostics import ERROR, WARNING, Diagnostic, shortened


def render_description(source: SourceFile, institution_id: str, doc: Document, renderer: MarkdownRenderer
                 ) -> tuple[str | None, tuple[tuple[str, str, int, int], ...], tuple[MediaRef, ...], list[Diagnostic]]:
    """A course's description rendered, its links and pictures checked (see `_links`); no HTML when it cannot be
    rendered."""
    try:
        rendered = renderer.rendered(doc.body)
    except Exception as exc:  # noqa: BLE001 — Python-Markdown can fail on pathological input: report, never crash
        return None, (), (), [Diagnostic(source.display, doc.body_line, 1, ERROR, code="body-too-complex",
                                         message=f"the course description cannot be rendered ({type(exc).__name__})",
                                         hint="simplify its structure: fewer nested lists and quotes")]
    return _links(source, institution_id, doc.body, doc.body_line, rendered)


def _links(source: SourceFile, institution_id: str, body: str, body_line: int, rendered: Rendered
           ) -> tuple[str, tuple[tuple[str, str, int, int], ...], tuple[MediaRef, ...], list[Diagnostic]]:
    """A description's links and pictures checked: full addresses (https:, mailto:) and the page's own sections
    (#...) go where they say; a link to another course's file (other-course.md, ../other-institution/course.md)
    becomes a link to that course's page; a link to a PDF beside the course file is to its copy beside the
    course's page; any other address would go nowhere on the catalogue (a file of the repository, a path of the
    institution's own site): an error. A picture is a JPEG, PNG or WebP file beside the course file, with a
    description. Returns the HTML with course links made page links, the course links (course id, address, line,
    column: whether each course exists is checked once every file is read), the files beside the course it names
    (checked then too), and the errors."""
    found: list[tuple[str, str, int, int]] = []
    refs: list[MediaRef] = []
    diags: list[Diagnostic] = []
    body_html = rendered.html
    searched: dict[str, int] = {}  # where the next picture of each address is looked for in the text
    for image in rendered.images:
        ref, problem = _picture_ref(source, body, body_line, image, searched)
        if ref:
            refs.append(ref)
        if problem:
            diags.append(problem)

    def rewrite(href: str) -> str | None:
        if not href or href.startswith("#") or has_scheme(href):
            return None
        line, col = _place_in_body(body, href, body_line)
        if href.startswith("//"):
            diags.append(Diagnostic(source.display, line, col, ERROR, code="bad-link",
                                    message=f"the link '{quoted(href)}' has no https: at its start",
                                    hint=f"write it as https:{quoted(href)}"))
            return None
        target = course_file(href, institution_id)
        if target is None:
            return _file_link(href, line, col)
        if not target:
            diags.append(Diagnostic(source.display, line, col, ERROR, code="bad-link",
                                    message=f"the link '{quoted(href)}' is to a file that is not a course",
                                    hint="link another course by its file name: other-course.md for one of your "
                                         "institution's, ../institution-id/course.md for another institution's"))
            return None
        found.append((target, href, line, col))
        fragment = urlsplit(href).fragment
        return f"../../{target}/" + (f"#{fragment}" if fragment else "")

    def _file_link(href: str, line: int, col: int) -> str | None:
        """A link to a file beside the course file: a PDF (copied beside the page) or a file of another kind
        (checked once every file is read: told as such when it is there); any other address goes nowhere."""
        name = media.beside_name(href)
        beside = bool(name) and "/" not in name and not name.startswith(".") and "." in name
        if name.lower().endswith(".pdf"):
            if not beside:
                diags.append(Diagnostic(source.display, line, col, ERROR, code="document",
                                        message=f"the document '{quoted(href)}' is not beside the course file",
                                        hint=f"move it into content/courses/{institution_id}/ and link it by its "
                                             f"file name, like [Syllabus]({posixpath.basename(name)})"))
                return None
            published = media.document_name(name)
            refs.append(MediaRef("document", name, source.display, line, col, published))
            fragment = urlsplit(href).fragment
            return published + (f"#{fragment}" if fragment else "")
        if beside:
            refs.append(MediaRef("file", name, source.display, line, col, written=href))
            return None
        diags.append(Diagnostic(source.display, line, col, ERROR, code="bad-link", message=media.nowhere(href),
                                hint=media.NOWHERE_HINT))
        return None

    body_html = rewrite_links(body_html, rewrite)
    for shown, reference in links_shown_as_text(body_html):
        line, col = _place_in_body(body, shown, body_line)
        if reference is None:
            why, hint = "a space between ] and ( makes it text", "remove the space"
        else:
            why = f"no line gives the address of [{quoted(reference)}]"
            hint = f"add a line like [{quoted(reference)}]: https://… below the paragraph, or write the link as " \
                   "[text](https://…)"
        diags.append(Diagnostic(source.display, line, col, WARNING, code="link-as-text",
                                message=f"'{quoted(shown)}' is shown as text, not as a link: {why}", hint=hint))
    return body_html, tuple(found), tuple(refs), diags


def _picture_ref(source: SourceFile, body: str, body_line: int, image: Image,
                 searched: dict[str, int]) -> tuple[MediaRef | None, Diagnostic | None]:
    """A picture of a description (![what it shows](file.jpg)): the file it names, and why it cannot be shown.
    `searched` says, for each address, where the text of the next picture with it is looked for."""
    written = image.src or "!["
    at = body.find(written, searched.get(written, 0))
    at = at if at >= 0 else body.find(written)
    searched[written] = at + 1
    line, col = _place_at(body, at, body_line)

    def problem(message: str, hint: str, ref: MediaRef | None = None) -> tuple[MediaRef | None, Diagnostic]:
        return ref, Diagnostic(source.display, line, col, ERROR, message, hint, "picture")
    if not image.src.strip():
        return problem("a picture without a file name", "write the picture's file name between the parentheses: "
                                                        "![what it shows](photo.jpg)")
    shown = quoted(image.src)
    name = image.src if has_scheme(image.src) or image.src.startswith("//") else media.beside_name(image.src)
    wrong = picture_name_problem(name)
    if wrong:
        what, hint = wrong
        return problem(f"the picture '{shown}' {what}", hint.replace(BESIDE_HINT.split(" and ")[1],
                                                                    "write ![what it shows](photo.jpg)"))
    ref = MediaRef("picture", name, source.display, line, col)
    if not image.alt.strip() and image.title.strip().lower() != DECORATIVE:
        return problem(f"the picture '{shown}' has no description: write what it shows between the brackets, like "
                       f"![Students at a microscope]({shown})",
                       f'if it is only decoration, say so: ![]({shown} "{DECORATIVE}")', ref)
    return ref, None


def course_file(href: str, institution_id: str) -> str | None:
    """The course id a link to a course file names ('' when it names a file that cannot be one), or None when the
    link is not to a Markdown file."""
    path = unquote(urlsplit(href).path)
    if not path.lower().endswith(".md"):
        return None
    if "content/courses/" in path:  # written from the repository's top (as GitHub shows paths)
        rel = path.split("content/courses/", 1)[1]
    elif path.startswith("/"):
        return ""
    else:
        rel = posixpath.normpath(posixpath.join(institution_id, path))
    parts = rel.split("/")
    if len(parts) != 2 or parts[0] in ("", ".", "..") or not parts[1][:-3]:
        return ""
    return f"{parts[0]}/{parts[1][:-3]}"


def quoted(text: str) -> str:
    """An address quoted in a message, on one line (an address in <...> may go over several)."""
    return shortened(" ".join(text.split()), 60)  # (addresses: longer than the values quoted elsewhere)


def _place_in_body(body: str, text: str, body_line: int) -> tuple[int, int]:
    """The file line and column where `text` first appears in the description (its first line if nowhere)."""
    return _place_at(body, body.find(text), body_line)


def _place_at(body: str, at: int, body_line: int) -> tuple[int, int]:
    """The file line and column of a position in the description (its first line for -1)."""
    if at < 0:
        return body_line, 1
    line, col = place_of(body, at)
    return body_line + line - 1, col


def body_problems(source: SourceFile, body: str, body_line: int) -> list[Diagnostic]:
    if not body.strip():
        return [Diagnostic(source.display, max(body_line - 1, 1), 1, ERROR, code="empty-body",
                           message="the course description is missing: write it below the closing --- line",
                           hint="describe the course structure, schedule and lecturers in a few paragraphs")]
    return [Diagnostic(source.display, body_line + line, 1, ERROR, code="image",
                       message="a picture written in HTML (<img>) from another site: the catalogue loads nothing "
                               "from other hosts" if remote else "a picture written in HTML (<img>): pictures are "
                               "written in Markdown",
                       hint="save the picture beside the course file and write ![what it shows](photo.jpg)")
            for line, remote in image_lines(body)]


def placeholder_warnings(source: SourceFile, body: str, body_line: int) -> list[Diagnostic]:
    """A warning at each of `catalogue new`'s placeholder paragraphs left in a description."""
    from generator.content.scaffold import PLACEHOLDER
    if PLACEHOLDER not in body:
        return []
    diags = []
    for number, line in enumerate(body.split("\n")):
        at = line.find(PLACEHOLDER)
        if at >= 0:
            diags.append(Diagnostic(source.display, body_line + number, at + 1, WARNING, code="placeholder",
                                    message=f"this is the template's placeholder text ('{quoted(line[at:])}'), "
                                            "which would be published as it is",
                                    hint="write the course's own text in its place"))
    return diags
