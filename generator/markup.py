"""Markup: turn a course's Markdown body into safe HTML.

Course files come from twelve institutions and are untrusted. Python-Markdown passes raw HTML through, so
its output always goes through nh3 (an allow-list sanitiser) before it reaches a page.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

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
IMAGE_RE = re.compile(r"!\[[^\]]*\]\s*[\(\[]|<img\b", re.IGNORECASE)
FENCE_RE = re.compile(r"^\s*(```|~~~)")


class _ShiftHeadings(Treeprocessor):
    """The body sits under the page's "About the course" <h2>: its headings start at <h3>, keeping their order."""

    TOP = 3

    def run(self, root: etree.Element) -> None:
        headings = [el for el in root.iter() if re.fullmatch(r"h[1-6]", str(el.tag))]
        if not headings:
            return
        shift = max(0, self.TOP - min(int(el.tag[1]) for el in headings))
        for el in headings:
            el.tag = f"h{min(int(el.tag[1]) + shift, 6)}"


class _ShiftHeadingsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_ShiftHeadings(md), "shift_headings", 5)


class MarkdownRenderer:
    """Renders bodies with one reusable Python-Markdown instance (building one is the slow part)."""

    def __init__(self) -> None:
        self._md = markdown.Markdown(
            extensions=["tables", "fenced_code", "sane_lists", "def_list", "abbr", _ShiftHeadingsExtension()],
            output_format="html",
        )

    def render(self, text: str) -> str:
        """Markdown text to sanitised HTML."""
        html = self._md.reset().convert(text)
        return sanitise(html)


def sanitise(html: str) -> str:
    """Keep safe formatting, tables and links; drop scripts, styles, frames, forms, handlers and bad URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def image_lines(text: str) -> list[int]:
    """0-based lines of the body that show an image (outside code blocks): the catalogue shows none."""
    found: list[int] = []
    fenced = False
    for number, line in enumerate(text.split("\n")):
        if FENCE_RE.match(line):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    ") and IMAGE_RE.search(line):
            found.append(number)
    return found
