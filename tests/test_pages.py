"""The site's own pages (content/pages/), and the markup and SEO of every page: headings, the current page in the
navigation, canonical links, sitemaps, descriptions, link previews, the course page's facts."""
from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest

from generator.cli import main
from generator.engine.build import build
from generator.engine.cache import CACHE_DIR
from generator.engine.manifest import read_manifest

from .conftest import SITES, copy_site, write_files
from .safety import assert_safe, assert_safe_site
from .test_build import tree
from .test_languages import LANGUAGES

PAGES = ("about", "contact", "legal-notice", "accessibility")  # the sample's, in their footer order


def footer_links(html: str) -> list[tuple[str, str]]:
    footer = re.search(r'<ul class="footer-links footer-links--pages">(.*?)</ul>', html, re.S)
    return re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', footer.group(1)) if footer else []


def main_of(html: str) -> str:
    return re.search(r"<main.*?</main>", html, re.S).group()


# --- the sample's pages ----------------------------------------------------------------------------------------

def test_every_page_of_every_language_links_the_content_pages_in_their_order(sample_build):
    out, result = sample_build
    assert [p.slug for p in sorted(result.catalogue.pages, key=lambda p: p.order)] == list(PAGES)
    english = [(f"/{slug}/", title) for slug, title in zip(PAGES, ("About the catalogue", "Contact", "Legal notice",
                                                                   "Accessibility statement"))]
    czech = [(f"/cs/{slug}/", title) for slug, title in zip(PAGES, ("O katalogu", "Kontakt", "Právní informace",
                                                                    "Prohlášení o přístupnosti"))]
    course = result.catalogue.listed[0].url
    for rel in ("index.html", "institutions/index.html", course + "index.html", "404.html", "about/index.html"):
        assert footer_links((out / rel).read_text()) == english, rel
        assert footer_links((out / "cs" / rel).read_text()) == czech, rel
    # the sample translates its pages into every interface language: each shows its own titles, in its language
    ordered = sorted(result.catalogue.pages, key=lambda p: p.order)
    for language in LANGUAGES[1:]:
        titles = [next(t.title for t in page.translations if t.language == language) for page in ordered]
        home = (out / language / "index.html").read_text()
        assert footer_links(home) == [(f"/{language}/{slug}/", title) for slug, title in zip(PAGES, titles)]
        assert '<ul class="footer-links footer-links--pages">\n      <li><a href="/%s/about/">' % language in home


@pytest.mark.slow
def test_a_language_without_a_pages_translation_shows_its_own_words_marked_as_such(make_site):
    site = make_site({"site.yaml": "languages: [en, cs, pl]\n",
                      "content/pages/about.md": "---\ntitle: About the catalogue\n---\n\nWho we are.\n",
                      "content/pages/about.cs.md": "---\ntitle: O katalogu\n---\n\nKdo jsme.\n"})
    build(site, site / "output")
    polish = (site / "output/pl/index.html").read_text()
    assert footer_links(polish) == [("/pl/about/", "About the catalogue")]
    assert '<a href="/pl/about/" lang="en">About the catalogue</a>' in polish
    page = (site / "output/pl/about/index.html").read_text()
    assert '<html lang="pl">' in page and '<h1 lang="en">About the catalogue</h1>' in page
    assert '<div class="prose" lang="en">' in page and "Who we are." in page
    assert '<a href="/cs/about/">O katalogu</a>' in (site / "output/cs/index.html").read_text()


def test_a_page_shows_its_translation_in_its_language_and_its_own_text_elsewhere(sample_build):
    out, _ = sample_build
    czech = (out / "cs/accessibility/index.html").read_text()
    assert '<h1 lang="cs">Prohlášení o přístupnosti</h1>' in czech and '<div class="prose" lang="cs">' in czech
    assert '<html lang="cs">' in czech and "<title>Prohlášení o přístupnosti · " in czech
    polish = (out / "pl/accessibility/index.html").read_text()
    assert '<html lang="pl">' in polish and '<h1 lang="pl">Oświadczenie w sprawie dostępności</h1>' in polish
    english = main_of((out / "accessibility/index.html").read_text())
    # the EU model statement's parts, each a section under the page's one h1
    assert re.findall(r"<h2>([^<]+)</h2>", english) == [
        "Compliance status", "Non-accessible content", "Preparation of this accessibility statement",
        "Feedback and contact information", "Enforcement procedure"]
    assert english.count("<h1") == 1
    # a link to another page by its file name goes to that page, in the same language
    assert '<a href="../contact/" rel="noopener noreferrer">Kontakt</a>' in czech
    assert (out / "cs/accessibility/../contact/index.html").resolve().is_file()
    # the aria-current of the footer names this page
    assert '<a href="/cs/accessibility/" aria-current="page">' in czech


@pytest.mark.slow
def test_a_pages_description_is_its_own_or_its_first_paragraph(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    write_files(site, {
        "content/pages/about.md": "---\ntitle: About\ndescription: Who we are.\n---\n\nWe are a team.\n",
        "content/pages/press.md": "---\ntitle: Press\nfooter: false\n---\n\n## Contacts\n\nFor **journalists**: "
                                  + "write to us. " * 20 + "\n\nMore.\n",
        "content/pages/team.md": "---\ntitle: Team\n---\n\nWe.\n",
        "content/pages/history.md": "---\ntitle: History\norder: 5\n---\n\nSince 2020.\n",
    })
    out = tmp_path / "out"
    build(site, out)
    about, press = (out / "about/index.html").read_text(), (out / "press/index.html").read_text()
    assert '<meta name="description" content="Who we are.">' in about
    description = re.search(r'<meta name="description" content="([^"]+)">', press).group(1)
    assert description.startswith("For journalists: write to us.") and description.endswith("…")
    assert len(description) <= 161
    # pages with an order first, by it; the others by title; footer: false is left out of the footer
    assert footer_links(about) == [("/history/", "History"), ("/about/", "About"), ("/team/", "Team")]
    assert "<h2>Contacts</h2>" in press  # headings start at h2, under the page's title


def test_hostile_pages_run_no_script(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    write_files(site, {"content/pages/about.md": """\
        ---
        title: "About <script>alert(1)</script>"
        description: "\\" onmouseover=\\"alert(1)"
        ---

        <script>alert(1)</script><svg onload=alert(1)></svg><b onmouseover=alert(1)>bold</b>
        <a href="javascript:alert(1)">click</a> [also](javascript:alert(1)) <iframe src="https://evil.example"></iframe>
        <style>body{display:none}</style><form action="https://evil.example"><input name=x></form>
        """})
    out = tmp_path / "out"
    build(site, out)
    html = (out / "about/index.html").read_text()
    assert_safe(html)
    assert_safe(main_of(html).split('<div class="prose"', 1)[1], description=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<b>bold</b>" in html
    assert assert_safe_site(out) > 0


@pytest.mark.slow
def test_a_page_edit_makes_that_page_again_and_a_title_edit_every_page(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    write_files(site, {"content/pages/about.md": "---\ntitle: About\n---\n\nWe are a team.\n",
                       "content/pages/contact.md": "---\ntitle: Contact\n---\n\nWrite to us.\n"})
    out = tmp_path / "out"
    build(site, out)
    keys = read_manifest(site / CACHE_DIR, out).keys
    page = site / "content/pages/about.md"
    page.write_text(page.read_text().replace("We are a team.", "We are a small team."))
    build(site, out)
    after = read_manifest(site / CACHE_DIR, out).keys
    assert {path for path in keys if keys[path] != after.get(path)} == {"about/index.html"}
    page.write_text(page.read_text().replace("title: About", "title: About us"))
    build(site, out)
    again = read_manifest(site / CACHE_DIR, out).keys
    assert {path for path in after if after[path] != again.get(path) and path.endswith(".html")} == \
        {path for path in after if path.endswith(".html")}  # every page's footer names it
    cold = tmp_path / "cold"
    build(copy_site_at(site, tmp_path / "copy"), cold, use_cache=False)
    assert tree(out) == tree(cold)


def copy_site_at(site: Path, dest: Path) -> Path:
    import shutil
    shutil.copytree(site, dest, ignore=shutil.ignore_patterns(CACHE_DIR, "output"))
    return dest


@pytest.mark.slow
def test_the_preview_makes_pages_and_follows_their_edits(tmp_path):
    from generator.serve.preview import Preview
    site = copy_site("basic", tmp_path / "site")
    write_files(site, {"content/pages/about.md": "---\ntitle: About\n---\n\nWe are a team.\n"})
    preview = Preview(site, tmp_path / "served")
    assert preview.refresh().ok
    assert "We are a team." in (tmp_path / "served/about/index.html").read_text()
    (site / "content/pages/about.md").unlink()
    outcome = preview.refresh()
    assert "about/index.html" in outcome.removed
    assert "/about/" not in (tmp_path / "served/index.html").read_text()


# --- markup and SEO --------------------------------------------------------------------------------------------

def test_card_titles_are_h3_under_the_listings_h2(sample_build):
    out, _ = sample_build
    for rel in ("index.html", "page/2/index.html", "cs/index.html", "institutions/ceitec-muni/index.html"):
        html = (out / rel).read_text()
        assert '<h3 class="card__title">' in html and '<h2 class="card__title">' not in html, rel
    script = next((out / "assets/js").glob("catalogue.*[0-9a-f].js")).read_text()  # (minified: no spaces)
    heading = lambda tag: re.search(r'\("' + tag + r'",\s*\{\s*class:\s*"card__title"', script)  # noqa: E731
    assert heading("h3") and not heading("h2")


def test_aria_current_names_only_the_page_the_link_goes_to(sample_build):
    out, result = sample_build
    current = lambda rel: re.findall(r'<ul class="site-nav">.*?</ul>', (out / rel).read_text(), re.S)[0]  # noqa: E731
    assert '<a href="/" aria-current="page">' in current("index.html")
    assert '<a href="/institutions/" aria-current="page">' in current("institutions/index.html")
    course = result.catalogue.listed[0].url
    for rel, section in (("page/2/index.html", "/"), (course + "index.html", "/"),
                         ("institutions/ceitec-muni/index.html", "/institutions/"), ("about/index.html", None)):
        nav = current(rel)
        assert "aria-current" not in nav, rel
        if section:  # the section's link is marked for the eye alone
            assert f'<a href="{section}" class="site-nav__section">' in nav, rel


@pytest.mark.slow
def test_no_sitemap_without_a_host_and_the_build_says_so_once(tmp_path, caplog):
    site = copy_site("basic", tmp_path / "site")
    (site / "site.yaml").write_text((site / "site.yaml").read_text().replace("base_url: https://courses.example.org/\n", ""))
    out = tmp_path / "out"
    with caplog.at_level("INFO"):
        assert main(["build", "--source", str(site), "--out", str(out)]) == 0
    said = [r.getMessage() for r in caplog.records]
    assert sum(line.startswith("No sitemap: it needs full addresses, and the base URL / has no host") for line in said) == 1
    assert not (out / "sitemap.xml").exists() and not (out / "sitemaps").exists()
    assert "Sitemap:" not in (out / "robots.txt").read_text()
    home = (out / "index.html").read_text()
    assert "sitemap.xml" not in home
    # canonical links from the host's root; no link previews' addresses, which must be full
    assert '<link rel="canonical" href="/">' in home and "og:url" not in home and "og:image" not in home
    assert '<link rel="canonical" href="/page/2/">' in (out / "page/2/index.html").read_text()
    # with the host, all of them, full
    caplog.clear()
    with caplog.at_level("INFO"):
        assert main(["build", "--source", str(site), "--out", str(out), "--base-url", "https://courses.example.org/"]) == 0
    assert "No sitemap" not in caplog.text
    assert "Sitemap: https://courses.example.org/sitemap.xml" in (out / "robots.txt").read_text()
    assert '<link rel="canonical" href="https://courses.example.org/">' in (out / "index.html").read_text()


def test_listing_and_institutions_pages_have_descriptions_of_their_own(sample_build):
    out, _ = sample_build
    description = lambda rel: re.search(r'<meta name="description" content="([^"]*)">', (out / rel).read_text()).group(1)  # noqa: E731
    for prefix in ("", "cs/"):  # (the site's own description is in its first language, the same in every one)
        said = [description(prefix + rel) for rel in ("index.html", "page/2/index.html", "institutions/index.html")]
        assert len(set(said)) == len(said), said
    assert description("page/2/index.html").startswith("Courses, page 2 of 2: ")
    assert description("institutions/index.html") == "12 institutions offer courses in this catalogue."
    assert description("cs/page/2/index.html").startswith("Kurzy, strana 2 z 2: ")
    assert description("cs/institutions/index.html") == "Kurzy v tomto katalogu nabízí 12 institucí."


def test_every_page_has_a_preview_image_of_1200_by_630(basic_build):
    out, _ = basic_build
    for rel in ("index.html", "courses/alpha-institute/data-stewardship/index.html", "institutions/index.html"):
        html = (out / rel).read_text()
        image = re.search(r'<meta property="og:image" content="([^"]+)">', html).group(1)
        assert re.fullmatch(r"https://courses\.example\.org/assets/preview\.[0-9a-f]{10}\.png", image), rel
        assert '<meta name="twitter:card" content="summary_large_image">' in html
    png = next((out / "assets").glob("preview.*.png")).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 630)
    from PIL import Image
    with Image.open(next((out / "assets").glob("preview.*.png"))) as image:
        assert image.size == (1200, 630) and image.getpixel((10, 10)) == (11, 74, 111)  # the theme's blue (#0b4a6f)


def test_the_preview_image_is_the_one_its_script_draws():
    from generator.site.preview_image import draw
    from generator.site.theme import DEFAULT_THEME
    static = DEFAULT_THEME / "static"
    assert draw((static / "favicon.svg").read_text()) == (static / "preview.png").read_bytes()


def test_a_course_page_says_its_credits_once(sample_build):
    out, result = sample_build
    for course in result.catalogue.listed[:5]:
        html = main_of((out / course.url / "index.html").read_text())
        assert len(re.findall(r"ECTS credits?\b", html)) == 1, course.url
        assert re.search(r"<dt[^>]*>Workload</dt><dd>[\d.,–]+ hours?</dd>", html), course.url


@pytest.mark.parametrize("name", ["courses", "cs", "page", "de"])
def test_a_page_cannot_take_an_address_the_catalogue_uses(make_site, name, chdir_to, capsys):
    site = make_site({f"content/pages/{name}.md": "---\ntitle: Taken\n---\n\nText.\n"})
    chdir_to(site)
    assert main(["check"]) == 1
    assert f"content/pages/{name}.md: error: the address /{name}/ is the catalogue's own" in capsys.readouterr().err


@pytest.mark.slow
def test_a_translation_in_the_sites_first_language_is_not_used(make_site, chdir_to, capsys):
    site = make_site({"site.yaml": "languages: [en, cs]\n",
                      "content/pages/about.md": "---\ntitle: About\n---\n\nWe.\n",
                      "content/pages/about.en.md": "---\ntitle: About us\n---\n\nUs.\n",
                      "content/pages/about.cs.md": "---\ntitle: O nás\n---\n\nMy.\n"})
    chdir_to(site)
    assert main(["check"]) == 0
    assert "content/pages/about.en.md: warning: this translation is in English, the language about.md is written " \
           "in" in capsys.readouterr().err
    result = build(Path("."), site / "output")
    assert [t.language for t in result.catalogue.pages[0].translations] == ["cs"]


def test_the_basic_sites_pages_are_unchanged_without_content_pages():
    assert not (SITES / "basic/content/pages").exists()
