"""Media: the pictures and PDF documents beside course files, checked by what they hold, not by their names.

A course file names them (`image: lab.jpg`, `![…](lab.jpg)`, `[Syllabus](syllabus.pdf)`); once every course is
read, each file named is read and looked at: a picture is decoded with Pillow (a file that only claims to be
one, like an SVG drawing renamed .jpg, is refused), a PDF must start as PDF files do, and both have size limits.
What is found about a file is kept in the parse cache by the hash of its bytes, so an unchanged picture is not
decoded again; the live preview remembers it by the file's signature and does not even read it again.
"""
from __future__ import annotations

import difflib
import hashlib
import io
import os
import posixpath
import re
import stat
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from generator.content.model import Document, MediaRef, Picture
from generator.diagnostics import ERROR, Diagnostic, shortened
from generator.engine.cache import ParseCache
from generator.fingerprint import fingerprint

MAX_PICTURE_BYTES = 10 * 1024 * 1024
MAX_PICTURE_PIXELS = 40_000_000
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
PICTURE_FORMATS = ("JPEG", "PNG", "WEBP")  # what Pillow may decode a picture as
PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
DOCUMENT_SUFFIXES = (".pdf",)
# The way pictures are made from a file (generator/site/media.py): a change to it gives every picture new names.
PICTURE_RECIPE = "pictures 1"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SVG = re.compile(rb"<svg[\s>]|<!DOCTYPE\s+svg", re.IGNORECASE)


class Verdict(NamedTuple):
    """What a file beside a course holds: a usable picture (its size upright, whether it has see-through parts),
    a usable document, or a problem (a code, and what was found: a format's name, a size)."""

    problem: str = ""
    found: str = ""
    width: int = 0
    height: int = 0
    alpha: bool = False


class Examined(NamedTuple):
    """A file read and looked at: the hash of its bytes, its size and the verdict."""

    content: str
    size: int
    verdict: Verdict


def beside_name(address: str) -> str:
    """The file name an address in a description gives (`./lab%20one.jpg` → `lab one.jpg`; with folders, if any)."""
    path = urlsplit(address).path
    return posixpath.normpath(unquote(path)) if path else ""


def nowhere(href: str) -> str:
    """The message for a link in a description that would lead nowhere on the catalogue."""
    return f"the link '{shortened(' '.join(href.split()), 60)}' goes nowhere on the catalogue: a link in a " \
           "description needs a full address"


NOWHERE_HINT = "start it with https://, or link another course by its file name, like other-course.md"


def document_name(name: str) -> str:
    """A document's file name in the site: its own when an address can hold it as it is, else one made of it."""
    if _SAFE_NAME.match(name):
        return name
    from generator.content.scaffold import slugify  # the scaffold's slugs know the partners' alphabets
    return (slugify(name.rsplit(".", 1)[0]) or "document") + ".pdf"


def picture_digest(content: str) -> str:
    """A picture's digest: its bytes' hash and the recipe of its sizes (the Pillow that makes them included)."""
    import PIL
    return fingerprint(PICTURE_RECIPE, PIL.__version__, content)


class MediaChecker:
    """Checks the files course files name, each file once, with what is known of it kept in `cache`."""

    def __init__(self, cache: ParseCache | None = None) -> None:
        self.cache = cache or ParseCache(None)

    def check(self, folder: Path, refs: tuple[MediaRef, ...]
              ) -> tuple[tuple[Picture, ...], tuple[Document, ...], list[Diagnostic]]:
        """The pictures and documents a course's references name (in `folder`), or the problems with them."""
        pictures: dict[str, Picture] = {}
        documents: dict[str, Document] = {}
        diags: list[Diagnostic] = []
        for ref in refs:
            if ref.kind == "document" and ref.name in documents:
                continue
            if ref.kind in ("image", "picture") and ref.name in pictures:
                continue
            made, problem = self._one(folder, ref)
            if problem:
                diags.append(problem)
            elif isinstance(made, Picture):
                pictures[ref.name] = made
            elif isinstance(made, Document):
                clash = next((d for d in documents.values() if d.published == made.published), None)
                if clash:
                    diags.append(_problem(ref, f"the documents '{clash.name}' and '{ref.name}' would have the same "
                                               f"address, {made.published}", "rename one of them"))
                else:
                    documents[ref.name] = made
        return tuple(pictures.values()), tuple(documents.values()), diags

    def _one(self, folder: Path, ref: MediaRef) -> tuple[Picture | Document | None, Diagnostic | None]:
        path = folder / ref.name
        shown = f"content/courses/{folder.name}/"
        what = "document" if ref.kind == "document" else "picture"
        try:
            st = os.lstat(path)
        except OSError:
            st = None
        if ref.kind == "file":  # a link to a file that is neither a course nor a PDF
            if st is None:
                return None, _problem(ref, nowhere(ref.written or ref.name), NOWHERE_HINT)
            hint = (f"to show the picture, write ![what it shows]({ref.name})"
                    if ref.name.lower().endswith(PICTURE_SUFFIXES) else
                    "save it as a PDF, or put it on a website and link it by its full address")
            shown = shortened(" ".join((ref.written or ref.name).split()), 60)
            return None, _problem(ref, f"the link '{shown}' is to a file the catalogue does not publish: a "
                                       "description may link PDF documents (.pdf) beside the course file, other "
                                       "courses (.md) and full addresses (https://…)", hint)
        if st is None:
            close = _close_name(folder, ref.name)
            hint = (f"did you mean '{close}'? Names must be written exactly, capitals too" if close else
                    f"put the {what} beside the course file, or check the spelling: capitals count")
            return None, _problem(ref, f"the {what} '{ref.name}' is not in {shown}", hint)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
            return None, _problem(ref, f"the {what} '{ref.name}' is not a file but a link or a folder",
                                  f"copy the {what} itself into {shown}")
        limit = MAX_DOCUMENT_BYTES if ref.kind == "document" else MAX_PICTURE_BYTES
        if st.st_size > limit:
            return None, _problem(ref, f"the {what} '{ref.name}' is too large: {_megabytes(st.st_size)}, at most "
                                       f"{limit // (1024 * 1024)} MB", SMALLER[what])
        try:
            examined = self._examine(path, st, "document" if ref.kind == "document" else "picture")
        except OSError as exc:
            return None, _problem(ref, f"the {what} '{ref.name}' cannot be read: {(exc.strerror or str(exc)).lower()}",
                                  "")
        verdict = examined.verdict
        if verdict.problem:
            return None, _problem(ref, f"the {what} '{ref.name}' {_said(verdict)}", HINTS[verdict.problem])
        if ref.kind == "document":
            return Document(ref.name, folder.name, ref.published or document_name(ref.name),
                            fingerprint("document", examined.content), examined.size), None
        return Picture(ref.name, folder.name, picture_digest(examined.content), verdict.width, verdict.height,
                       verdict.alpha), None

    def _examine(self, path: Path, st: os.stat_result, kind: str) -> Examined:
        signature = (str(path), kind, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        known = _SEEN.get(signature)
        if known is not None:
            return known
        data = read_at_most(path, MAX_DOCUMENT_BYTES if kind == "document" else MAX_PICTURE_BYTES)
        content = hashlib.sha256(data).hexdigest()
        key = self.cache.key("media", kind, content)
        verdict = self.cache.get(key)
        if not isinstance(verdict, Verdict):
            verdict = look_at_document(data) if kind == "document" else look_at_picture(data)
            self.cache.put(key, verdict)
        examined = _SEEN[signature] = Examined(content, len(data), verdict)
        while len(_SEEN) > 4096:
            _SEEN.popitem(last=False)
        return examined


# What is known of the files read so far, by their signature (path, size, times, inode): the live preview loads
# the site again on every save, and reads again only the files that changed.
_SEEN: OrderedDict[tuple, Examined] = OrderedDict()


def read_at_most(path: Path, limit: int) -> bytes:
    """A regular file's bytes (at most `limit`), opened without following a link or blocking on a pipe."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(0, "it is not a regular file", str(path))
        return f.read(limit)


def look_at_picture(data: bytes) -> Verdict:
    """Whether bytes are a JPEG, PNG or WebP picture of at most MAX_PICTURE_PIXELS, decoded to be sure."""
    if _SVG.search(data[:4096]):
        return Verdict("svg")
    from PIL import Image, UnidentifiedImageError
    with warnings.catch_warnings():  # Pillow warns of big pictures: the limit is ours, and checked before decoding
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=PICTURE_FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PICTURE_PIXELS:
                    return Verdict("pixels", f"{width} × {height} pixels", width, height)
                image.load()
                if image.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # turned a quarter: upright, it is the other way
                    width, height = height, width
                return Verdict(width=width, height=height, alpha=_has_alpha(image))
        except Image.DecompressionBombError:  # (past twice Pillow's own limit: its size was not even read)
            return Verdict("pixels")
        except UnidentifiedImageError:
            return Verdict("format", _format_of(data))
        except Exception:  # noqa: BLE001 — whatever a damaged file makes a decoder raise, it is told, never a crash
            return Verdict("damaged")


def _has_alpha(image: object) -> bool:
    """Whether a decoded picture has see-through parts (not merely an alpha channel that is opaque everywhere)."""
    mode = image.mode  # type: ignore[attr-defined]
    if mode not in ("RGBA", "LA", "PA", "RGBa", "La") and "transparency" not in image.info:  # type: ignore[attr-defined]
        return False
    alpha = image.convert("RGBA").getchannel("A")  # type: ignore[attr-defined]
    return alpha.getextrema()[0] < 255


def _format_of(data: bytes) -> str:
    """What a file that is not a JPEG, PNG or WebP picture holds, in words ("" when unknown)."""
    head = data[:64]
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "a HEIC photo"
    if head[4:12] == b"ftypavif":
        return "an AVIF picture"
    if b"%PDF-" in data[:1024]:
        return "a PDF document"
    from PIL import Image
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:  # (only its header is read)
                return f"a {image.format} picture" if image.format else ""
    except Exception:  # noqa: BLE001 — anything Pillow cannot name is told as unknown
        pass
    try:
        text = data[:4096].decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data[:exc.start].decode("utf-8") if exc.start > 4000 else None
    return "text" if text is not None and "\x00" not in text else ""


def look_at_document(data: bytes) -> Verdict:
    """Whether bytes are a PDF document (readers accept its header anywhere in the first kilobyte)."""
    if b"%PDF-" in data[:1024]:
        return Verdict()
    return Verdict("not-pdf", _format_of(data) if not data.startswith(b"PK") else
                   "an Office document or a ZIP archive")


def _said(verdict: Verdict) -> str:
    """What is wrong with a file, said of it ("is …")."""
    found = verdict.found
    if verdict.problem == "svg":
        return ("is an SVG drawing, whatever its name says: SVG drawings are not allowed, because an SVG file can "
                "carry scripts that would run on the catalogue's pages")
    if verdict.problem == "pixels":
        size = f" ({found}, {verdict.width * verdict.height / 1e6:.0f} megapixels)" if found else ""
        return f"is too large{size}: at most {MAX_PICTURE_PIXELS // 1_000_000} megapixels"
    if verdict.problem == "format":
        if found == "text":
            return "is not a picture: it holds text, not a JPEG, PNG or WebP image"
        if found:
            return f"is {found}, whatever its name says: only JPEG, PNG and WebP pictures are shown"
        return "is not a picture: it does not hold a JPEG, PNG or WebP image"
    if verdict.problem == "not-pdf":
        return f"is not a PDF document: it holds {found}" if found else \
            "is not a PDF document: it does not start as a PDF file does"
    return "cannot be read: the file is damaged or cut short"


SMALLER = {"picture": "save it smaller: 2,000 pixels wide is plenty for the catalogue",
           "document": "make the PDF smaller (export it with compressed pictures), or put it on a website and link "
                       "it by its full address"}
HINTS = {"svg": "export it as a PNG", "pixels": SMALLER["picture"],
         "format": "save it as a JPEG for a photo, or as a PNG for a drawing or a diagram",
         "damaged": "export or download it again", "not-pdf": "export or save it as a PDF again"}


def _problem(ref: MediaRef, message: str, hint: str) -> Diagnostic:
    code = {"document": "document", "file": "bad-link"}.get(ref.kind, "picture")
    return Diagnostic(ref.source, ref.line, ref.col, ERROR, message, hint, code)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _close_name(folder: Path, name: str) -> str | None:
    """The file beside the course that `name` most likely means (a difference of capitals, or a typo)."""
    try:
        names = sorted(n for n in os.listdir(folder) if not n.startswith(".") and not n.endswith(".md"))
    except OSError:
        return None
    same = [other for other in names if other.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, names, n=1, cutoff=0.8)
    return close[0] if close else None
