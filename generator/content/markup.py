"""Markup: turn a course's Markdown body into safe HTML.

Course files come from twelve institutions and are untrusted. Python-Markdown passes raw HTML through, so
its output always goes through nh3 (an allow-list sanitiser) before it reaches a page.
"""
from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as etree
from typing import Callable, NamedTuple

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER, INLINE_PLACEHOLDER, AtomicString

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang", "dir"},
}
URL_SCHEMES = {"http", "https", "mailto"}

log = logging.getLogger(__name__)

# Python-Markdown is recursive and, on some inputs, quadratic: a paragraph of 20,000 unclosed [ takes over
# a minute, and 500 nested list items or 500 definitions in a row exceed Python's recursion limit. No real
# course description comes near these limits; `body_problems` refuses what is past them before rendering.
MAX_BODY_CHARS = 50_000
MAX_BLOCK_CHARS = 20_000      # one paragraph, list or table: text between blank lines
MAX_BLOCK_LINES = 400
MAX_INDENT = 64               # columns of leading white space: 16 levels of nested lists
MAX_QUOTE_DEPTH = 16
MAX_DEFINITIONS = 100         # `: definition` lines in one block (each nests one level deeper)
MAX_ABBREVIATIONS = 100
MAX_BRACKET_WORK = 100_000    # characters Python-Markdown scans to match [ and ( (it scans for each one)
_QUOTE_RE = re.compile(r"[ \t]*((?:>[ \t]*)+)")
_DEFINITION_RE = re.compile(r"^[ ]{0,3}:[ \t]")
_ABBREVIATION_RE = re.compile(r"^[ ]{0,3}\*\[[^\]]*\]:", re.MULTILINE)
IMAGE_RE = re.compile(r"<img\b", re.IGNORECASE)  # a picture written in HTML (Markdown's ![…](…) is fine)
_REMOTE_SRC_RE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:|//)""", re.IGNORECASE)
_ANY_PICTURE_RE = re.compile(r"!\[[^\]]*\]\s*[\(\[]|<img\b", re.IGNORECASE)
DECORATIVE = "decorative"  # the title that marks a picture as decoration: ![](divider.png "decorative")
FENCE_RE = re.compile(r"^\s*(```|~~~)")


class _ShiftHeadings(Treeprocessor):
    """A course's description sits under the page's "About the course" <h2>: its headings start at <h3> (a
    content page's at <h2>, under its <h1>: `top`), keeping their order."""

    def __init__(self, md: markdown.Markdown, top: int = 3) -> None:
        super().__init__(md)
        self.top = top

    def run(self, root: etree.Element) -> None:
        headings = [el for el in root.iter() if re.fullmatch(r"h[1-6]", str(el.tag))]
        if not headings:
            return
        shift = max(0, self.top - min(int(el.tag[1]) for el in headings))
        for el in headings:
            el.tag = f"h{min(int(el.tag[1]) + shift, 6)}"


_ITEM_RE = re.compile(r" {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_FIRST_ITEM_RE = re.compile(r" {0,3}(?:[-*+]|1[.)])[ \t]+\S")  # (an ordered list under text starts at 1)
_NOT_TEXT_RE = re.compile(r"[ \t]|#|>|\||:[ \t]")  # lines that are not a paragraph's own text


class _ListsUnderText(Preprocessor):
    """A list may start on the line right under a paragraph, as on GitHub (CommonMark), where partners write and
    preview their files; Python-Markdown needs a blank line between the two, and without one showed the items as
    a run of text ("Participants learn: - one - two"). The blank line is put in, outside lists (a line under an
    item is still part of it) and after fenced code and HTML blocks have been set aside."""

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        in_list = False
        for line in lines:
            if not line.strip():
                in_list = False
            elif _ITEM_RE.match(line):
                if not in_list and out and out[-1].strip() and not _NOT_TEXT_RE.match(out[-1]) \
                        and _FIRST_ITEM_RE.match(line):
                    out.append("")
                in_list = True
            out.append(line)
        return out


_RAW_HTML_RE = re.compile(re.escape(HTML_PLACEHOLDER).replace("%s", r"(\d+)"))
_INLINE_PLACEHOLDER_RE = re.compile(re.escape(INLINE_PLACEHOLDER).replace("%s", r"(\d+)"))


class _BareAddress(InlineProcessor):
    """A web address written out in the text is a link, as on GitHub: a full stop, comma or other sign after it
    belongs to the sentence, and so does a closing parenthesis the address does not open. Not inside a link
    (ANCESTOR_EXCLUDES); after raw HTML (stashed first), before entities and emphasis (a_b_c stays as written)."""

    ANCESTOR_EXCLUDES = ("a",)
    PRIORITY = 85

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element | None, int | None, int | None]:  # noqa: N802
        if self._in_raw_link(data[:m.start(0)]):
            return None, None, None
        url = m.group(0)
        while url[-1] in ".,:;!?'\"*_~" or url.endswith(")") and url.count(")") > url.count("("):
            url = url[:-1]
        link = etree.Element("a", {"href": url})
        link.text = AtomicString(url)
        return link, m.start(0), m.start(0) + len(url)

    def _in_raw_link(self, before: str) -> bool:
        """True inside a link written in HTML (<a href="...">https://...</a>): its tags were set aside as raw HTML,
        each behind a placeholder of the inline stage, itself standing for a placeholder of the HTML stash."""
        stashed = self.md.treeprocessors["inline"].stashed_nodes
        inside = False
        for node in _INLINE_PLACEHOLDER_RE.findall(before):
            for index in _RAW_HTML_RE.findall(value if isinstance(value := stashed.get(node), str) else ""):
                raw = self.md.htmlStash.rawHtmlBlocks[int(index)]
                if isinstance(raw, str) and re.match(r"<a[\s>]", raw, re.IGNORECASE):
                    inside = True
                elif isinstance(raw, str) and re.match(r"</a\s*>", raw, re.IGNORECASE):
                    inside = False
        return inside


class Image(NamedTuple):
    """A picture a description shows, as written: `![alt](src "title")`."""

    src: str
    alt: str
    title: str


class _Images(Treeprocessor):
    """Notes the pictures a description's Markdown shows (pictures written in HTML are stashed as raw HTML, so
    never seen here), and leaves each as the page needs it: its address and its description (an empty one for
    a picture marked as decoration), its title dropped."""

    def run(self, root: etree.Element) -> None:
        found: list[Image] = []
        for el in root.iter("img"):
            image = Image(el.get("src", ""), el.get("alt", ""), el.get("title", ""))
            found.append(image)
            el.attrib.pop("title", None)
            if image.title.strip().lower() == DECORATIVE:
                el.set("alt", "")
        self.md.found_images = found  # type: ignore[attr-defined]


class _ShiftHeadingsExtension(Extension):
    def __init__(self, top: int = 3) -> None:
        super().__init__()
        self.top = top

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_ShiftHeadings(md, self.top), "shift_headings", 5)
        md.treeprocessors.register(_Images(md), "images", 4)  # after the inline patterns have made them
        md.preprocessors.register(_ListsUnderText(md), "lists_under_text", 15)  # after fenced code and HTML blocks
        md.inlinePatterns.register(_BareAddress(r"https?://[^\s<>\"'`\[\]]*[^\s<>\"'`\[\].,:;!?*_~]", md),
                                   "bare_address", _BareAddress.PRIORITY)


# Python-Markdown tries each of its inline patterns on every piece of text of a document, most of them in vain:
# a pattern that needs a character the document does not have cannot match. Each document is rendered by a
# Markdown without those patterns (with them, rendering took a third longer), which gives the same HTML.
# The characters are looked for in the document as Python-Markdown sees it after its first step, which turns
# tabs into spaces and ends lines with "\n" (a line break is two spaces before a line's end).
_INLINE_NEEDS = {
    "backtick": ("`",), "escape": ("\\",),
    "reference": ("[",), "link": ("[",), "short_reference": ("[",),
    "image_link": ("![",), "image_reference": ("![",), "short_image_ref": ("![",),
    "autolink": ("<",), "automail": ("<",), "html": ("<",), "entity": ("&",),
    "linebreak": (" \n", " \r", "\t"), "bare_address": ("://",),
}


def new_markdown(top: int = 3) -> markdown.Markdown:
    """A Python-Markdown with the syntax course descriptions may use, all its inline patterns included; the
    document's first heading level becomes `top`."""
    return markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "def_list", "abbr", _ShiftHeadingsExtension(top)],
        output_format="html",
    )


class Rendered(NamedTuple):
    """A description as sanitised HTML, and the pictures its Markdown shows."""

    html: str
    images: tuple[Image, ...] = ()


class MarkdownRenderer:
    """Renders bodies with reusable Python-Markdown instances (building one is the slow part): one for each set of
    inline patterns the documents need."""

    def __init__(self, top: int = 3) -> None:
        self._md: dict[frozenset[str], markdown.Markdown] = {}
        self.top = top  # the level of the documents' first headings: 3 under a course page's h2, 2 under an h1

    def _markdown(self, text: str) -> markdown.Markdown:
        unused = frozenset(name for name, needs in _INLINE_NEEDS.items() if not any(n in text for n in needs))
        md = self._md.get(unused)
        if md is None:
            md = self._md[unused] = new_markdown(self.top)
            for name in unused:
                md.inlinePatterns.deregister(name, strict=False)
        return md

    def render(self, text: str) -> str:
        """Markdown text to sanitised HTML."""
        return self.rendered(text).html

    def rendered(self, text: str) -> Rendered:
        """Markdown text to sanitised HTML, with the pictures it shows."""
        md = self._markdown(text)
        md.found_images = []  # type: ignore[attr-defined]
        try:
            converted = md.reset().convert(text)
        except RecursionError:
            # `body_problems` keeps known cases away from here; an unknown one shows as plain text, not a crash
            log.warning("a course description is nested too deeply for Markdown: it is shown as plain text")
            md.reset()
            md.found_images = []  # type: ignore[attr-defined]
            converted = "".join(f"<p>{html.escape(part)}</p>" for part in re.split(r"\n\s*\n", text) if part.strip())
        return Rendered(sanitise(converted), tuple(md.found_images))  # type: ignore[attr-defined]


def sanitise(html: str) -> str:
    """Keep safe formatting, tables and links; drop scripts, styles, frames, forms, handlers and bad URLs. A
    picture keeps its description and an address only when it names a file beside the course file (the page
    shows it from the files made of it: see generator/site/pictures.py)."""
    if "<img" not in html:  # (most descriptions: no filter called for every attribute)
        return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                         link_rel="noopener noreferrer", strip_comments=True)
    return nh3.clean(html, tags=ALLOWED_TAGS | {"img"}, attributes={**ALLOWED_ATTRIBUTES, "img": {"src", "alt"}},
                     attribute_filter=_local_pictures, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer",
                     strip_comments=True)


def _local_pictures(element: str, attribute: str, value: str) -> str | None:
    """A picture's address only when it is a file's name, never another site's or a path from the site's top."""
    if element == "img" and attribute == "src" and (has_scheme(value) or value.startswith(("/", "\\"))):
        return None
    return value


_LEADING_HEADING_RE = re.compile(r"\s*<h([1-6])(?:\s[^>]*)?>(.*?)</h\1>\s*", re.DOTALL)
_TAG_RE = re.compile(r"<[^>]*>")


def without_heading(body_html: str, label: str) -> str:
    """A rendered description without its first heading when that heading only repeats `label`, the heading the
    page already shows above it ("## About the course" at the top of a description would show it twice)."""
    match = _LEADING_HEADING_RE.match(body_html)
    if match is None or _heading_words(html.unescape(_TAG_RE.sub("", match.group(2)))) != _heading_words(label):
        return body_html
    return body_html[match.end():]


def _heading_words(text: str) -> str:
    return " ".join(text.split()).rstrip(":.").strip().casefold()


_HREF_RE = re.compile(r'(<a\s[^>]*?href=")([^"]*)(")')
_SCHEME_RE = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


def rewrite_links(body_html: str, rewrite: Callable[[str], str | None]) -> str:
    """The sanitised HTML with each link's address given to `rewrite` (unescaped): its new address, or None to keep it."""
    def one(match: re.Match[str]) -> str:
        new = rewrite(html.unescape(match.group(2)))
        return match.group(0) if new is None else match.group(1) + html.escape(new) + match.group(3)
    return _HREF_RE.sub(one, body_html)


_CODE_RE = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL)
_UNDEFINED_REFERENCE_RE = re.compile(r"\[([^\]\n<>]+)\]\[([^\]\n<>]*)\]")
_SPACED_LINK_RE = re.compile(r"\[([^\]\n<>]+)\][ \t]+\(((?:https?://|mailto:)[^)\s<>]*)\)")


def links_shown_as_text(body_html: str) -> list[tuple[str, str | None]]:
    """Links Python-Markdown left as text, as (the text shown, the reference): a reference whose address is given
    nowhere ([text][ref], [text][]), and, with None, a space between ] and ( ([text] (https://...)). Code is left
    alone."""
    if "[" not in body_html and "&" not in body_html:  # (no bracket, written or as an entity: most descriptions)
        return []
    text = html.unescape(_TAG_RE.sub("", _CODE_RE.sub("", body_html)))
    found: list[tuple[str, str | None]] = [(m.group(0), m.group(2) or m.group(1))
                                           for m in _UNDEFINED_REFERENCE_RE.finditer(text)]
    return found + [(m.group(0), None) for m in _SPACED_LINK_RE.finditer(text)]


def has_scheme(href: str) -> bool:
    """True for an address with a scheme (https:, mailto:): it goes where it says, not into the catalogue."""
    return _SCHEME_RE.match(href) is not None


def body_problems(text: str) -> list[tuple[int, str, str]]:
    """(0-based line, message, hint) for a body too large or too deeply nested to render in reasonable time."""
    if len(text) > MAX_BODY_CHARS:
        return [(0, f"the course description is too long: {len(text):,} characters, at most {MAX_BODY_CHARS:,} "
                    "are allowed", "shorten it, and link to a full syllabus on the institution's site")]
    problems: list[tuple[int, str, str]] = []
    lines = text.split("\n")
    for number, line in enumerate(lines):
        problem = _line_problem(line)
        if problem:
            problems.append((number, *problem))
    abbreviations = len(_ABBREVIATION_RE.findall(text))
    if abbreviations > MAX_ABBREVIATIONS:
        problems.append((0, f"the description defines {abbreviations} abbreviations (*[…]: lines), at most "
                            f"{MAX_ABBREVIATIONS} are allowed", "keep the abbreviations the text really uses"))
    work = 0
    for start, block in _blocks(lines):
        problem = _block_problem(block)
        if problem:
            problems.append((start, *problem))
            continue
        joined = "\n".join(block)
        work += _bracket_work(joined, "[", "]") + _bracket_work(joined, "(", ")")
        if work > MAX_BRACKET_WORK:
            problems.append((start, "the description has too many [ or ( brackets that are not closed, or brackets "
                                    "nested too deeply", "close each [ with ] and each ( with ); write a lone "
                                    "bracket as \\[ or \\("))
            break
    return problems[:20]  # the first few say what is wrong; hundreds of lines of the same would be noise


def _line_problem(line: str) -> tuple[str, str] | None:
    indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
    if indent > MAX_INDENT and line.strip():
        return (f"this line is indented by {indent} spaces, more than {MAX_INDENT}: lists or code are nested too "
                "deeply", "indent nested list items by 4 spaces for each level, at most 16 levels")
    quotes = _QUOTE_RE.match(line)
    depth = quotes.group(1).count(">") if quotes else 0
    if depth > MAX_QUOTE_DEPTH:
        return (f"this line has {depth} quotation levels (>), more than {MAX_QUOTE_DEPTH}",
                "a line starting with > is a quotation; remove the extra > characters")
    return None


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines with the number of their first line; fenced code is left out (it is not parsed)."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start, fenced = 0, False
    for number, line in enumerate(lines + [""]):
        if FENCE_RE.match(line):
            fenced = not fenced
        if fenced or not line.strip():
            if current:
                blocks.append((start, current))
            current = []
            continue
        if not current:
            start = number
        current.append(line)
    return blocks


def _block_problem(block: list[str]) -> tuple[str, str] | None:
    text = "\n".join(block)
    if len(text) > MAX_BLOCK_CHARS:
        return (f"this paragraph is too long: {len(text):,} characters without a blank line, at most "
                f"{MAX_BLOCK_CHARS:,}", "separate paragraphs with blank lines")
    if len(block) > MAX_BLOCK_LINES:
        return (f"this paragraph has {len(block)} lines without a blank line, at most {MAX_BLOCK_LINES}",
                "separate paragraphs, lists and tables with blank lines")
    definitions = sum(1 for line in block if _DEFINITION_RE.match(line))
    if definitions > MAX_DEFINITIONS:
        return (f"this paragraph has {definitions} definition lines (starting with :), at most {MAX_DEFINITIONS}",
                "put a blank line between definitions, or write them as a list")
    return None


def _bracket_work(text: str, opening: str, closing: str) -> int:
    """How many characters Python-Markdown scans to match brackets: to each one's partner, or to the end."""
    work, stack = 0, []
    for match in re.finditer(re.escape(opening) + "|" + re.escape(closing), text):
        if match.group() == opening:
            stack.append(match.start())
        elif stack:
            work += match.start() - stack.pop()
    return work + sum(len(text) - position for position in stack)


def picture_lines(text: str) -> list[int]:
    """0-based lines of the body that show a picture, in Markdown or in HTML (outside code blocks)."""
    found: list[int] = []
    fenced = False
    for number, line in enumerate(text.split("\n")):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    ") and _ANY_PICTURE_RE.search(line):
            found.append(number)
    return found


def image_lines(text: str) -> list[tuple[int, bool]]:
    """0-based lines of the body that show a picture written in HTML (<img>, outside code blocks), each with
    whether the picture is on another site."""
    found: list[tuple[int, bool]] = []
    fenced = False
    for number, line in enumerate(text.split("\n")):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    ") and IMAGE_RE.search(line):
            found.append((number, _REMOTE_SRC_RE.search(line) is not None))
    return found
