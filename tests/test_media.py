"""Pictures and documents beside course files: what is checked, what is made of them and where it shows."""
from __future__ import annotations

import io
import json
import re
import time
from html import unescape
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from generator.content.load import check, load
from generator.content.media import MAX_PICTURE_BYTES
from generator.engine.build import build
from generator.site import media

from .conftest import COURSE, without_the_web_font
from .safety import assert_safe_site

FOLDER = "content/courses/test-institute/"
PAGE = "courses/test-institute/test-course/"
GPS = {1: "N", 2: (49.0, 12.0, 30.5), 3: "E", 4: (16.0, 36.0, 10.0), 18: "WGS-84 at the lab"}
SECRETS = (b"Exif", b"WGS-84 at the lab", b"Nikon Secret Maker", b"field notes, do not publish", b"xmpmeta", b"ICC_PROFILE",
           b"Jane Doe")


def photo(size: tuple[int, int] = (1000, 600), orientation: int = 1, metadata: bool = True) -> bytes:
    """A JPEG whose left half is red and right half blue, carrying GPS and camera EXIF, XMP, a comment and an ICC
    profile (all of which the made files must lose), and an EXIF orientation."""
    from PIL import ImageCms
    image = Image.new("RGB", size, (20, 40, 200))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1]), fill=(220, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Nikon Secret Maker"
    exif[0x8825] = GPS
    out = io.BytesIO()
    extra = {"exif": exif.tobytes(), "comment": b"field notes, do not publish",
             "icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
             "xmp": b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Jane Doe</dc:creator></x:xmpmeta>'}
    image.save(out, "JPEG", quality=90, **(extra if metadata else {}))
    return out.getvalue()


def pictured(image: str = "lab.jpg", body: str = "The course body.\n", alt: str = "A laboratory bench") -> str:
    return COURSE.replace("mode: online", f"mode: online\nimage: {image}\nimage_alt: {alt}").replace(
        "The course body.\n", body)


@pytest.fixture
def site(make_site):
    """A site whose course has a picture (a JPEG with GPS data), a picture in its description and a syllabus."""
    return make_site({
        FOLDER + "test-course.md": pictured(body="The course body.\n\n![Three steps](steps.png)\n\n"
                                                 "The [syllabus](syllabus.pdf), see [page 2](syllabus.pdf#page=2).\n"),
        FOLDER + "lab.jpg": photo(),
        FOLDER + "steps.png": _png_with_alpha(),
        FOLDER + "syllabus.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n" + b" " * 3000,
        "site.yaml": "languages: [en, cs]\n",
    })


def _png_with_alpha() -> bytes:
    image = Image.new("RGBA", (700, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((50, 50, 650, 150), fill=(11, 79, 138, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def made(out: Path) -> dict[str, bytes]:
    return {rel: data for rel, data in tree(out).items() if rel.startswith("media/")}


# --- checking ----------------------------------------------------------------------------------------------------

def test_the_photo_the_tests_use_carries_what_must_be_stripped():
    data = photo()
    assert all(secret in data for secret in SECRETS)
    with Image.open(io.BytesIO(data)) as image:
        assert image.getexif().get_ifd(0x8825)[2] == (49.0, 12.0, 30.5)


def test_a_checked_picture_is_known_by_its_size_upright_and_its_content(site):
    catalogue, diagnostics = load(site)
    assert diagnostics == []
    (course,) = catalogue.courses
    assert [(p.name, p.width, p.height, p.alpha) for p in course.pictures] == [
        ("lab.jpg", 1000, 600, False), ("steps.png", 700, 200, True)]
    assert course.picture.name == "lab.jpg"
    size = (site / FOLDER / "syllabus.pdf").stat().st_size
    assert [(d.name, d.published, d.size) for d in course.documents] == [("syllabus.pdf", "syllabus.pdf", size)]


def test_a_picture_over_ten_megabytes_is_refused_before_it_is_read(make_site):
    site = make_site({FOLDER + "test-course.md": pictured(), FOLDER + "lab.jpg": photo() + b"\0" * MAX_PICTURE_BYTES})
    (problem,) = check(site)
    assert problem.text().endswith("error: the picture 'lab.jpg' is too large: 10.0 MB, at most 10 MB (save it "
                                   "smaller: 2,000 pixels wide is plenty for the catalogue)")
    assert (problem.line, problem.col) == (9, 8)


@pytest.mark.parametrize("content, said", [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "is an SVG drawing, whatever"),
    (b'\xef\xbb\xbf<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg onload="alert(1)"/>', "is an SVG drawing, whatever"),
    (b"GIF89a" + b"\0" * 40, "is not a picture"),  # a GIF header with nothing after it
    (b"not a picture at all", "is not a picture: it holds text"),
    (b"%PDF-1.7\n", "is a PDF document, whatever its name says"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "is a HEIC photo, whatever its name says"),
    (photo()[:2000], "cannot be read: the file is damaged or cut short"),
], ids=["svg", "svg-with-bom", "empty-gif", "text", "pdf", "heic", "cut-short"])
def test_a_picture_is_judged_by_what_it_holds_not_by_its_name(make_site, content, said):
    site = make_site({FOLDER + "test-course.md": pictured(), FOLDER + "lab.jpg": content})
    (problem,) = check(site)
    assert problem.is_error and f"the picture 'lab.jpg' {said}" in problem.message, problem.text()


def test_a_hostile_svg_named_as_a_photo_never_reaches_the_site(make_site, tmp_path):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
    site = make_site({FOLDER + "test-course.md": pictured(), FOLDER + "lab.jpg": svg})
    with pytest.raises(Exception) as refused:
        build(site, tmp_path / "out")
    assert "SVG drawings are not allowed" in str(refused.value.diagnostics)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_what_is_known_of_a_picture_is_kept_by_the_hash_of_its_bytes(site, monkeypatch):
    from generator.content import media as checks
    looked = []
    original = checks.look_at_picture
    monkeypatch.setattr(checks, "look_at_picture", lambda data: looked.append(len(data)) or original(data))
    monkeypatch.setattr(checks, "_SEEN", type(checks._SEEN)())  # (what this process has seen: forgotten)
    build(site, site.parent / "out")
    assert len(looked) == 2  # the course's picture and the one in its description
    checks._SEEN.clear()
    course = site / FOLDER / "test-course.md"
    course.write_text(course.read_text().replace("The course body.", "The course's body."))
    build(site, site.parent / "out")
    assert len(looked) == 2  # read again and hashed, but known by its hash in the cache: not decoded again


# --- the files made ----------------------------------------------------------------------------------------------

def test_every_size_is_made_once_for_every_language_without_metadata(site, monkeypatch, tmp_path):
    calls = []
    original = media.make_variant
    monkeypatch.setattr(media, "make_variant", lambda *a: calls.append(a[2].path) or original(*a))
    build(site, tmp_path / "out")
    files = made(tmp_path / "out")
    assert sorted(calls) == sorted(files)  # once each, though the course has a page in two languages
    assert len(calls) == len(set(calls))
    kinds = {re.sub(r"^media/(\w+)-[0-9a-f]{16}-(\d+)\.(\w+)$", r"\1 \2 \3", rel) for rel in files}
    assert kinds == {"lab 480 webp", "lab 800 webp", "lab 1000 webp", "lab 480 jpg", "lab 800 jpg", "lab 1000 jpg",
                     "steps 480 webp", "steps 700 webp", "steps 480 png", "steps 700 png"}
    for rel, data in files.items():
        assert not [secret for secret in SECRETS if secret in data], rel
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif() and not {"exif", "icc_profile", "xmp", "comment", "XML:com.adobe.xmp"} \
                & set(image.info), (rel, image.info.keys())
            width = int(rel.rsplit("-", 1)[1].split(".")[0])
            assert image.size == (width, round(width * (600 / 1000 if "lab" in rel else 200 / 700))), rel
            assert image.format == {"webp": "WEBP", "jpg": "JPEG", "png": "PNG"}[rel.rsplit(".", 1)[1]]
    with Image.open(io.BytesIO(files[next(r for r in files if r.endswith("-700.png"))])) as image:
        assert image.mode == "RGBA" and image.getpixel((5, 5))[3] == 0  # see-through parts stay so


@pytest.mark.parametrize("width, widths", [(300, [300]), (480, [480]), (481, [480, 481]), (1600, [480, 800, 1200, 1600]),
                                          (4000, [480, 800, 1200, 1600])])
def test_a_picture_is_made_in_the_widths_it_has(width, widths):
    from generator.content.model import Picture
    made = media.variants(Picture("a.jpg", "x", "0" * 32, width, width // 2))
    assert [v.width for v in made if v.kind == "webp"] == [v.width for v in made if v.kind == "jpg"] == widths
    assert len({v.path for v in made}) == len(made)


def test_a_picture_is_turned_upright_before_its_metadata_goes(make_site, tmp_path):
    site = make_site({FOLDER + "test-course.md": pictured(), FOLDER + "lab.jpg": photo(orientation=6)})
    catalogue, _ = load(site)
    assert (catalogue.courses[0].picture.width, catalogue.courses[0].picture.height) == (600, 1000)
    build(site, tmp_path / "out")
    largest = next(data for rel, data in made(tmp_path / "out").items() if rel.endswith("-600.jpg"))
    with Image.open(io.BytesIO(largest)) as image:
        assert image.size == (600, 1000) and not image.getexif()
        top, bottom = image.getpixel((300, 100)), image.getpixel((300, 900))
    assert top[0] > 180 and top[2] < 80 and bottom[2] > 160 and bottom[0] < 80  # red on top: turned a quarter right


@pytest.mark.slow
def test_the_same_picture_makes_the_same_bytes_in_every_build(site, tmp_path):
    build(site, tmp_path / "one", use_cache=False)
    build(site, tmp_path / "two", use_cache=False)
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert made(tmp_path / "one") and one == two


@pytest.mark.slow
def test_an_unchanged_picture_is_not_made_again_and_a_changed_one_only_touches_its_course(site, make_site, tmp_path,
                                                                                          monkeypatch):
    other = site / FOLDER / "other-course.md"
    other.write_text(COURSE.replace("A Test Course", "Another Course"))
    out = tmp_path / "out"
    build(site, out)
    calls = []
    original = media.make_variant
    monkeypatch.setattr(media, "make_variant", lambda *a: calls.append(a[2].path) or original(*a))
    course = site / FOLDER / "test-course.md"
    course.write_text(course.read_text().replace("The course body.", "The course's body."))
    build(site, out)
    assert calls == []  # the page changed, its pictures did not: their files are reused as they are
    before = tree(out)
    (site / FOLDER / "lab.jpg").write_bytes(photo(size=(900, 600)))
    result = build(site, out)
    after = tree(out)
    changed = {rel for rel in after if before.get(rel) != after[rel]} | (before.keys() - after.keys())
    assert calls and all(re.match(r"media/lab-", rel) for rel in calls)  # only the changed picture's files
    assert {rel for rel in changed if rel.startswith("media/")} == {r for r in before if r.startswith("media/lab-")} \
        | {r for r in after if r.startswith("media/lab-")}
    others = {rel for rel in changed if "other-course" in rel or rel.startswith(("institutions/index", "404"))}
    assert others == set(), others
    assert f"{PAGE}index.html" in changed and f"cs/{PAGE}index.html" in changed and "search/cards.json" in changed
    assert not result.up_to_date
    cold = tmp_path / "cold"
    build(site, cold, use_cache=False)
    assert tree(cold) == after


def test_a_document_is_copied_beside_the_course_page_and_linked_from_every_language(site, tmp_path):
    out = tmp_path / "out"
    build(site, out, base_url="/cat/")
    assert (out / PAGE / "syllabus.pdf").read_bytes() == (site / FOLDER / "syllabus.pdf").read_bytes()
    assert not (out / "cs" / PAGE / "syllabus.pdf").exists()
    for prefix, note in (("", "(PDF, 3 kB)"), ("cs/", "(PDF, 3 kB)")):
        html = (out / prefix / PAGE / "index.html").read_text()
        links = re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)<span class="file-note"> ([^<]*)</span></a>', html)
        assert links == [(f"/cat/{PAGE}syllabus.pdf", "syllabus", note),
                         (f"/cat/{PAGE}syllabus.pdf#page=2", "page 2", note)], prefix


@pytest.mark.slow
def test_a_document_with_a_name_an_address_cannot_hold_is_published_under_one_made_of_it(make_site, tmp_path):
    site = make_site({FOLDER + "test-course.md": COURSE.replace("The course body.",
                                                                "The [plan](<Study plan (2027).pdf>)."),
                      FOLDER + "Study plan (2027).pdf": b"%PDF-1.4\n"})
    build(site, tmp_path / "out")
    assert (tmp_path / "out" / PAGE / "study-plan-2027.pdf").read_bytes() == b"%PDF-1.4\n"
    assert f'href="/{PAGE}study-plan-2027.pdf"' in (tmp_path / "out" / PAGE / "index.html").read_text()


# --- where the pictures show -------------------------------------------------------------------------------------

def card_of(out: Path, url: str) -> dict:
    """The course's result card, from search/cards.json (every listed course's card)."""
    return next(c for c in json.loads((out / "search/cards.json").read_bytes()) if c["url"] == url)


def pictures_in(html: str) -> list[dict[str, str]]:
    """Each <picture>'s <source> and <img> attributes, as one dict (the source's prefixed with source_)."""
    found = []
    for block in re.findall(r"<picture[^>]*>(.*?)</picture>", html, re.S):
        source = dict(re.findall(r'(\w+)="([^"]*)"', re.search(r"<source [^>]*>", block).group(0)))
        img = dict(re.findall(r'([\w-]+)(?:="([^"]*)")?', re.search(r"<img [^>]*>", block).group(0)[5:]))
        found.append({**{f"source_{k}": v for k, v in source.items()}, **img})
    return found


def test_the_course_page_shows_its_picture_with_every_size_and_its_shape(site, tmp_path):
    out = tmp_path / "out"
    build(site, out)
    hero, steps = pictures_in((out / PAGE / "index.html").read_text())
    assert hero["source_type"] == "image/webp" and hero["alt"] == "A laboratory bench" and hero["lang"] == "en"
    assert (hero["width"], hero["height"]) == ("1000", "600")
    assert "loading" not in hero  # at the top of the page: loaded at once
    for picture in (hero, steps):
        for attribute in ("source_srcset", "srcset"):
            files = [part.split() for part in picture[attribute].split(", ")]
            assert all((out / path.lstrip("/")).is_file() and re.fullmatch(r"\d+w", width) for path, width in files)
        assert picture["sizes"] == picture["source_sizes"]
        assert (out / picture["src"].lstrip("/")).is_file()
    assert hero["sizes"] == "(min-width: 42rem) 40rem, 100vw" and steps["sizes"] == "(min-width: 50rem) 48rem, 100vw"
    assert steps["alt"] == "Three steps" and steps["loading"] == "lazy" and steps["src"].endswith("-700.png")
    assert (steps["width"], steps["height"]) == ("700", "200")


@pytest.mark.slow
def test_a_picture_is_found_however_its_address_is_written(make_site, tmp_path):
    body = "The body.\n\n![One](./lab%20one.jpg) ![Two](<lab one.jpg>) ![Three](lab%20one.jpg?x#y)\n"
    site = make_site({FOLDER + "test-course.md": COURSE.replace("The course body.\n", body),
                      FOLDER + "lab one.jpg": photo(size=(300, 200))})
    build(site, tmp_path / "out")
    shown = pictures_in((tmp_path / "out" / PAGE / "index.html").read_text())
    assert [p["alt"] for p in shown] == ["One", "Two", "Three"]
    assert len({p["src"] for p in shown}) == 1 and re.fullmatch(r"/media/lab-one-[0-9a-f]{16}-300\.jpg", shown[0]["src"])


def test_cards_show_the_picture_lazily_below_the_first_row(make_site, tmp_path):
    files = {FOLDER + f"course-{i}.md": pictured(alt=f"Bench {i}").replace("A Test Course", f"Course {i}")
             for i in range(5)}
    site = make_site({**files, FOLDER + "lab.jpg": photo()})
    (site / FOLDER / "test-course.md").unlink()
    out = tmp_path / "out"
    build(site, out)
    cards = pictures_in((out / "index.html").read_text())
    assert [c["alt"] for c in cards] == [f"Bench {i}" for i in range(5)]
    assert ["loading" in c for c in cards] == [False, False, False, True, True]
    assert all(c["sizes"] == c["source_sizes"] and c["sizes"].startswith("(min-width: 72rem)") for c in cards)
    card = card_of(out, "courses/test-institute/course-0/")
    assert card["image"]["alt"] == "Bench 0" and (card["image"]["w"], card["image"]["h"]) == (1000, 600)
    assert [width for _, width in card["image"]["webp"]] == [480, 800, 1000]
    assert all((out / path).is_file() for path, _ in card["image"]["webp"] + card["image"]["img"])


@pytest.mark.slow
def test_a_translation_gives_the_pictures_description_in_its_language(site, tmp_path):
    (site / FOLDER / "test-course.cs.md").write_text("---\ntitle: Zkušební kurz\nsummary: Kurz pro testy.\n"
                                                      "image_alt: Laboratorní stůl\n---\n")
    out = tmp_path / "out"
    build(site, out)
    hero = pictures_in((out / "cs" / PAGE / "index.html").read_text())[0]
    assert (hero["alt"], hero["lang"]) == ("Laboratorní stůl", "cs")
    card = card_of(out, PAGE)
    assert card["translations"]["cs"]["image_alt"] == "Laboratorní stůl" and card["image"]["alt"] == "A laboratory bench"


@pytest.mark.slow
def test_link_previews_and_open_data_give_the_pictures_full_address(site, tmp_path):
    out = tmp_path / "out"
    build(site, out, base_url="https://courses.example.org/cat/")
    html = (out / PAGE / "index.html").read_text()
    meta = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)"', html))
    assert re.fullmatch(r"https://courses\.example\.org/cat/media/lab-[0-9a-f]{16}-1000\.jpg", meta["og:image"])
    assert (out / meta["og:image"].removeprefix("https://courses.example.org/cat/")).is_file()
    assert (meta["og:image:width"], meta["og:image:height"], meta["og:image:alt"]) == ("1000", "600",
                                                                                         "A laboratory bench")
    assert meta["twitter:card"] == "summary_large_image"
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1))
    assert data["image"] == meta["og:image"]
    record = json.loads((out / "courses.json").read_text())["courses"][0]
    assert (record["image"], record["image_alt"]) == (meta["og:image"], "A laboratory bench")
    build(site, tmp_path / "local")  # without a host, no preview can use an address: none is given
    assert "og:image" not in (tmp_path / "local" / PAGE / "index.html").read_text()


def test_hostile_descriptions_of_pictures_stay_text_and_every_file_is_safe(make_site, tmp_path):
    hostile = '"\\"><script>alert(1)</script><img src=x onerror=alert(2)>"'
    body = ('The body.\n\n![" onerror="alert(3)](lab.jpg)\n\n![<script>alert(4)</script>](lab.jpg)\n\n'
            '![](lab.jpg "decorative")\n')
    site = make_site({FOLDER + "test-course.md": pictured(alt=hostile, body=body), FOLDER + "lab.jpg": photo()})
    out = tmp_path / "out"
    build(site, out)
    html = (out / PAGE / "index.html").read_text()
    assert [unescape(p["alt"]) for p in pictures_in(html)] == [
        hostile.strip('"').replace('\\"', '"'), '" onerror="alert(3)', "<script>alert(4)</script>", ""]  # "": decorative
    assert "<script>alert" not in html
    assert assert_safe_site(out) > 5  # (no element has an on… attribute: the quotes stayed inside the descriptions)


@pytest.mark.slow
def test_the_sample_catalogue_shows_pictures_and_a_syllabus(sample_build):
    out, result = sample_build
    pictured_courses = [c for c in result.catalogue.courses if c.picture]
    assert len(pictured_courses) >= 3 and any(c.documents for c in result.catalogue.courses)
    assert any(not p.alpha for c in pictured_courses for p in c.pictures)
    assert any(p.alpha for c in result.catalogue.courses for p in c.pictures)  # a diagram with see-through parts
    for picture in {p for c in result.catalogue.courses for p in c.pictures}:
        assert all((out / v.path).is_file() for v in media.variants(picture))
    assert assert_safe_site(out) > 100


# --- in the browser ------------------------------------------------------------------------------------------------

PICTURED = "courses/vilnius-university-lsc/crispr-genome-editing-workshop/"  # a picture on top and one in the text
ALL_LOADED = """() => { const images = [...document.images];
    return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0); }"""


@pytest.mark.browser
@pytest.mark.parametrize("path", [PICTURED, "pl/courses/nencki-institute/advanced-light-microscopy/",
                                  "cs/courses/ceitec-muni/cryo-em-single-particle-analysis/", ""])
def test_pages_with_pictures_pass_axe(sample_build, serve, page, path):
    from .test_browser import axe_violations
    out, _ = sample_build
    page.goto(serve(out) + path)
    assert page.locator("picture").count() >= 1
    assert axe_violations(page) == [], path
    assert page.external_requests == []


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 375, "height": 740}],
                         ids=["desktop", "phone"])
def test_a_course_page_does_not_move_when_its_pictures_arrive(sample_build, serve, page, viewport):
    out, _ = sample_build
    page.set_viewport_size(viewport)
    without_the_web_font(page)

    def slowly(route) -> None:  # the pictures come well after the page is laid out, as on a slow connection
        time.sleep(0.4)
        route.continue_()
    page.route("**/media/**", slowly)
    page.add_init_script("""window.__shifts = [];
        new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.__shifts.push(entry.value); })
            .observe({type: "layout-shift", buffered: true});""")
    page.goto(serve(out) + PICTURED)
    # down past every picture (the one in the description loads only when it comes near), to the footer's logo
    for image in page.locator("img").all():
        image.scroll_into_view_if_needed()
    page.wait_for_function(ALL_LOADED, timeout=30_000)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__shifts") == []
    hero = page.locator(".course__picture img")
    assert hero.evaluate("img => img.currentSrc").endswith(".webp")  # the browser took the WebP files
    box = hero.bounding_box()
    assert box["width"] > 300 and box["height"] > 150


@pytest.mark.browser
def test_search_results_show_their_pictures_lazily(sample_build, serve, page):
    out, result = sample_build
    page.goto(serve(out) + "?q=microscopy")
    page.wait_for_selector("[data-catalogue][data-ready]")
    results = page.locator("[data-results] .card")
    assert results.count() >= 1
    pictures = page.locator("[data-results] .card__picture img")
    assert pictures.count() >= 1
    first = pictures.first
    assert first.get_attribute("loading") == "lazy" and first.get_attribute("alt")
    assert first.get_attribute("width") and first.get_attribute("height")
    assert re.fullmatch(r"(/media/[a-z0-9-]+-[0-9a-f]{16}-\d+\.(jpg|png) \d+w(, )?)+", first.get_attribute("srcset"))
    first.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first.element_handle())
    static = pictures_in((out / "index.html").read_text())
    alts = {p["alt"] for p in static}
    assert first.get_attribute("alt") in alts  # the same words as the static listing's card
    assert page.external_requests == [] and page.console_errors == []


@pytest.mark.parametrize("size", [0, 400, 999, 1000, 240_000, 999_499, 999_500, 1_250_000, 12_000_000, 20_971_520])
def test_a_files_size_in_english_is_written_as_cldr_writes_it(size):
    from generator.site.words import Words
    english = Words()
    cldr = Words(None, "en")
    cldr.locale = "en_GB"  # (English's formats through ICU, as the other languages get theirs)
    assert english.file_size(size) == cldr.file_size(size)
    assert Words(None, "cs").file_size(1_250_000) == "1,2 MB" and english.file_size(240_000) == "240 kB"
