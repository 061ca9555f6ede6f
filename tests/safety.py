"""Checks that built HTML runs no script from content: whole pages (only the theme's own scripts), rendered
descriptions, and every file of a built site. Used by test_hardening and test_fuzz."""
from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

# Browsers ignore tabs, line ends and other controls inside a scheme: "java\tscript:" runs too
BAD_URL = re.compile(r"^(javascript|data|vbscript):", re.IGNORECASE)
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite",
                  "srcset", "ping", "manifest"}
THEME_SCRIPT = re.compile(r"^(/[^/].*)?/?assets/js/[\w-]+\.[0-9a-f]{10}\.js$")  # the theme's own, hashed
THEME_NOSCRIPT = re.compile(r'<noscript><link rel="stylesheet" href="(/[^"<>]*)?/?assets/css/[\w-]+\.[0-9a-f]{10}\.css">'
                            r"</noscript>")
NEVER = ("iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "svg", "math", "portal",
         "template", "noscript")
# the theme's own pictures: the catalogue's logo, institutions' logos (on their pages and the cards)
THEME_IMAGES = ("institution__logo", "brand__logo", "site-footer__logo", "mark")
NOT_IN_A_DESCRIPTION = ("script", "form", "input", "button", "textarea", "select", "meta", "link", "picture",
                        "source")
# a course's picture: the files made of it (generator/site/media.py), under the site's path, named by their content
MEDIA_FILE = re.compile(r"^(/[^/\s]+)*/media/[a-z0-9-]+-[0-9a-f]{16}-\d+\.(webp|jpg|png)$")
PICTURE_ATTRIBUTES = {"src", "srcset", "sizes", "width", "height", "alt", "lang", "loading", "decoding"}


def _media_files(attrs: dict[str, str | None]) -> bool:
    """Whether an <img> or <source> shows only the site's own picture files."""
    files = [part.strip().split(" ")[0] for part in (attrs.get("srcset") or "").split(",") if part.strip()]
    files += [attrs["src"] or ""] if "src" in attrs else []
    return bool(files) and all(MEDIA_FILE.match(f) for f in files)


class Elements(HTMLParser):
    """Every element with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def bad_url(value: str | None) -> bool:
    """True for an address that runs script or shows a document of its own (javascript:, data:, vbscript:)."""
    return BAD_URL.match(_IGNORED_IN_URLS.sub("", value or "")) is not None


def assert_safe(html: str, description: bool = False) -> None:
    """No element or attribute that runs script, other than the theme's own scripts (none in a `description`,
    the sanitised HTML of a course's Markdown)."""
    parser = Elements()
    head = html.split("</head>", 1)[0]
    if THEME_NOSCRIPT.search(head):  # the theme's one <noscript>: its own stylesheet for browsers without script
        html = THEME_NOSCRIPT.sub("", html, count=1)
    parser.feed(html)
    parser.close()
    scripts = [attrs for tag, attrs in parser.elements if tag == "script"]
    # what a browser would see as a script, counted without a parser: none may hide from the one above
    assert len(re.findall(r"<script", html, re.IGNORECASE)) == len(scripts), "a <script> the parser did not see"
    for tag, attrs in parser.elements:
        assert tag not in NEVER and not (description and tag in NOT_IN_A_DESCRIPTION), (tag, attrs)
        if tag == "img" and description:  # a picture of a description, before the page shows it from its files
            assert set(attrs) <= {"src", "alt"} and not re.match(r"[a-z][a-z0-9+.-]*:|/", attrs.get("src") or "",
                                                                 re.IGNORECASE), (tag, attrs)
        elif tag == "img":
            assert attrs.get("class") in THEME_IMAGES or (set(attrs) <= PICTURE_ATTRIBUTES
                                                          and _media_files(attrs)), (tag, attrs)
        if tag == "source":
            assert set(attrs) == {"type", "srcset", "sizes"} and attrs["type"] == "image/webp" and \
                _media_files(attrs), (tag, attrs)
        assert not [name for name in attrs if name.startswith("on") or name in ("style", "srcdoc", "http-equiv")], \
            (tag, attrs)
        assert not [name for name, value in attrs.items() if name in URL_ATTRIBUTES and bad_url(value)], (tag, attrs)
        if tag == "a" and (attrs.get("href") or "").startswith("http"):
            assert set((attrs.get("rel") or "").split()) >= {"noopener", "noreferrer"}, attrs
    for attrs, text in zip(scripts, parser.scripts):
        if attrs.get("type") == "application/ld+json":
            assert set(attrs) == {"type"} and "</" not in text, attrs
            json.loads(text)  # a value that closed the <script> early would break this
        else:
            assert set(attrs) == {"type", "src"} and attrs["type"] == "module", attrs
            assert THEME_SCRIPT.match(attrs["src"] or "") and not text.strip(), attrs


def assert_safe_site(out: Path) -> int:
    """Every page of a built site safe, and its data files well-formed (so no value broke out of its place);
    returns how many files were checked."""
    checked = 0
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith(("pagefind/", "assets/")):
            continue  # Pagefind's own files, and the theme's
        checked += 1
        data = path.read_bytes()
        if rel.endswith(".html"):
            text = data.decode("utf-8")
            try:
                assert_safe(text)
            except AssertionError as exc:
                raise AssertionError(f"{rel}: {exc}") from None
            assert "<script>alert" not in text, rel
        elif rel.endswith((".json", ".jsonld")):
            json.loads(data)
        elif rel.endswith((".xml", ".atom", ".rss")):
            ET.fromstring(data)
        elif rel.endswith(".csv"):
            for row in csv.reader(data.decode("utf-8").splitlines()):
                assert not [cell for cell in row if cell[:1] in ("=", "+", "@")], (rel, row)
    return checked
