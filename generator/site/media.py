"""Media: the files the site makes of the pictures and documents beside course files.

A picture is published in a few widths, each as WebP and as a JPEG (a PNG for one with see-through parts),
under names made of its content's hash (`media/lab-<hash>-800.webp`), so they can be cached for good and each
is made once for every language and every course that shows it. Each is made upright (as the EXIF orientation
says) and in sRGB, then written with no metadata of the original: no EXIF, GPS, XMP, comments or profile. An
unchanged picture keeps its names, so its files are reused from the last build, never encoded again (their
artifacts' keys are their names). A document is copied beside the course's page, under its name.
"""
from __future__ import annotations

import functools
import hashlib
import io
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

from generator.content.catalogue import Catalogue
from generator.content.config import Config
from generator.content.media import (MAX_DOCUMENT_BYTES, MAX_PICTURE_BYTES, PICTURE_FORMATS, picture_digest,
                                     read_at_most)
from generator.content.model import Course, Document, Picture
from generator.content.scaffold import slugify
from generator.diagnostics import ContentError, Diagnostic
from generator.engine.artifact import Artifact
from generator.fingerprint import fingerprint

if TYPE_CHECKING:
    from generator.site.theme import Theme

MEDIA_FOLDER = "media/"
WIDTHS = (480, 800, 1200, 1600)  # cards are about 300-400 CSS pixels wide, the course page's column 768
OPEN_GRAPH_WIDTH = 1200  # link previews (Open Graph) ask for 1200 pixels
WEBP = {"quality": 80, "method": 4}
JPEG = {"quality": 82, "optimize": True, "progressive": True}
PNG = {"optimize": True}
TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}


class Variant(NamedTuple):
    """One file made of a picture: where it is in the site, its size and its kind (webp, jpg or png)."""

    path: str
    width: int
    height: int
    kind: str


class Sources(NamedTuple):
    """A picture as an <img> and its <source> give it: the WebP files and the fallback's, as `srcset` values
    (addresses under the site's base path), the fallback's largest file, its size and its type."""

    webp: str
    fallback: str
    src: str
    width: int
    height: int
    type: str


@functools.lru_cache(maxsize=8192)
def variants(picture: Picture) -> tuple[Variant, ...]:
    """Every file made of a picture: its widths (never wider than it is) as WebP, then as the fallback."""
    widest = min(picture.width, WIDTHS[-1])
    widths = tuple(w for w in WIDTHS if w < widest) + (widest,)
    stem = slugify(picture.name.rsplit(".", 1)[0])[:40].strip("-") or "picture"
    fallback = "png" if picture.alpha else "jpg"
    return tuple(Variant(f"{MEDIA_FOLDER}{stem}-{picture.digest[:16]}-{w}.{kind}", w,
                         max(1, round(w * picture.height / picture.width)), kind)
                 for kind in ("webp", fallback) for w in widths)


def sources(picture: Picture, base: str) -> Sources:
    """What the theme's `picture` macro writes for a picture, with addresses under `base` (the site's path)."""
    made = variants(picture)
    webp = [v for v in made if v.kind == "webp"]
    fallback = [v for v in made if v.kind != "webp"]
    return Sources(", ".join(f"{base}{v.path} {v.width}w" for v in webp),
                   ", ".join(f"{base}{v.path} {v.width}w" for v in fallback),
                   base + fallback[-1].path, fallback[-1].width, fallback[-1].height, TYPES[fallback[-1].kind])


def preview_image(picture: Picture) -> Variant:
    """The file link previews show: the fallback (JPEG or PNG, which every reader of Open Graph takes) closest to
    1200 pixels wide."""
    fallback = [v for v in variants(picture) if v.kind != "webp"]
    return max((v for v in fallback if v.width <= OPEN_GRAPH_WIDTH), key=lambda v: v.width, default=fallback[0])


def picture_url(course: Course, config: Config) -> str | None:
    """The address of a course's picture (its link preview's file), for the open data; None without one."""
    picture = course.picture
    return config.base_url + preview_image(picture).path if picture else None


def card_image(picture: Picture) -> dict[str, Any]:
    """A picture as a result card gives it to the home page's script: each file's path and width, by kind."""
    made = variants(picture)
    largest = [v for v in made if v.kind != "webp"][-1]
    return {"w": largest.width, "h": largest.height, "src": largest.path,
            "webp": [[v.path, v.width] for v in made if v.kind == "webp"],
            "img": [[v.path, v.width] for v in made if v.kind != "webp"]}


def picture_files(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """Every file made of the courses' pictures, each once however many courses show it. Its key is its name,
    which says all it is made from (the picture's bytes, the recipe, its size and kind)."""
    folder = Path(catalogue.config.source) / "content" / "courses"
    seen: set[str] = set()
    for course in catalogue.courses:
        for picture in course.pictures:
            source = folder / picture.folder / picture.name
            for variant in variants(picture):
                if variant.path not in seen:
                    seen.add(variant.path)
                    yield Artifact(variant.path, functools.partial(make_variant, source, picture, variant),
                                   fingerprint("picture", variant.path))


def document_files(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """Each course's documents, copied beside its page."""
    folder = Path(catalogue.config.source) / "content" / "courses"
    for course in catalogue.courses:
        for document in course.documents:
            yield Artifact(course.url + document.published,
                           functools.partial(copy_document, folder / document.folder / document.name, document),
                           fingerprint("document", document.digest))


def copy_document(path: Path, document: Document) -> bytes:
    """A document's bytes, as they were checked."""
    data = _read(path, MAX_DOCUMENT_BYTES)
    if fingerprint("document", hashlib.sha256(data).hexdigest()) != document.digest:
        raise _changed(path)
    return data


def make_variant(path: Path, picture: Picture, variant: Variant) -> bytes:
    """One file of a picture: upright, in sRGB, resized, and encoded without any of the original's metadata."""
    try:
        return _encoded(path, picture, variant)
    except ContentError:
        raise
    except Exception as exc:  # noqa: BLE001 — a picture that decoded when checked but cannot be made: told, no crash
        from generator.diagnostics import display_path
        raise ContentError([Diagnostic(display_path(path), code="picture",
                                       message=f"the picture cannot be made into the site's sizes ({exc})",
                                       hint="export it again as a JPEG or a PNG")]) from None


def _encoded(path: Path, picture: Picture, variant: Variant) -> bytes:
    from PIL import Image
    image = _upright(path, picture)
    if image.size != (variant.width, variant.height):
        image = image.resize((variant.width, variant.height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    if variant.kind == "webp":
        image.save(out, "WEBP", **WEBP)
    elif variant.kind == "png":
        image.save(out, "PNG", **PNG)
    else:
        image.save(out, "JPEG", **JPEG)
    return out.getvalue()


@functools.lru_cache(maxsize=1)  # a picture's files are made one after the other: it is decoded once for them
def _upright(path: Path, picture: Picture) -> Any:
    """A picture decoded (no larger than its largest file needs), turned upright, in sRGB, without metadata."""
    from PIL import Image, ImageOps
    data = _read(path, MAX_PICTURE_BYTES)
    if picture_digest(hashlib.sha256(data).hexdigest()) != picture.digest:
        raise _changed(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # (its size was checked: content/media.py)
        image = Image.open(io.BytesIO(data), formats=PICTURE_FORMATS)
        largest = max(v.width for v in variants(picture))
        wanted = (largest, round(largest * picture.height / picture.width))
        turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
        image.draft(image.mode if image.mode in ("RGB", "L", "CMYK") else "RGB",
                    wanted[::-1] if turned else wanted)  # a JPEG is decoded at 1/2, 1/4 or 1/8 when that is enough
        image.load()
    image = ImageOps.exif_transpose(image)
    image = _in_srgb(image, "RGBA" if picture.alpha else "RGB")
    image.info.clear()  # no metadata of the original goes into the files made of it
    return image


def _in_srgb(image: Any, mode: str) -> Any:
    """The picture's colours in sRGB, as browsers show pictures without a profile (the profile is not kept)."""
    profile = image.info.get("icc_profile")
    if profile:
        from PIL import ImageCms
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            start = image if image.mode in ("RGB", "RGBA", "CMYK", "L") else image.convert(mode)
            return ImageCms.profileToProfile(start, source, ImageCms.createProfile("sRGB"), outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a profile littleCMS cannot apply: the colours as they are
    return image.convert(mode)


def _read(path: Path, limit: int) -> bytes:
    try:
        return read_at_most(path, limit)
    except OSError:
        raise _changed(path) from None


def _changed(path: Path) -> ContentError:
    """A file beside a course that changed (or went away) after it was checked: the build is made again."""
    from generator.diagnostics import display_path
    return ContentError([Diagnostic(display_path(path), code="changed",
                                    message="the file changed while the catalogue was built",
                                    hint="build again")])
