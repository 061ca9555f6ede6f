"""The screenshots of the web editor in CONTRIBUTING.md (docs/editor-*.png), taken in Chromium from the preview of a
copy of the sample catalogue: `.venv/bin/python -m tests.editor_screenshots` (after make editor)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from .conftest import CHROMIUM, CHROMIUM_ARGS, ROOT
from .test_serve import Server

DOCS = ROOT / "docs"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder) / "site"
        site.mkdir()
        shutil.copytree(ROOT / "content", site / "content")
        shutil.copy(ROOT / "site.yaml", site / "site.yaml")
        server = Server(site)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1200, "height": 760})
                page.goto(server.url + "admin/", timeout=30_000)
                page.get_by_role("button", name="Login").click()
                page.get_by_role("link", name="Semmelweis University").click()
                page.get_by_role("heading", name="Semmelweis University").wait_for()
                page.screenshot(path=DOCS / "editor-1-courses.png")
                page.goto(server.url + "admin/#/collections/semmelweis-university/new")
                page.get_by_label("Title", exact=True).fill("Clinical Research Ethics in Practice")
                page.get_by_label("Summary", exact=True).fill(
                    "Ethics committees, consent and data protection, worked through real study protocols.")
                page.get_by_label("Credits", exact=True).fill("3")
                box = page.get_by_label("EQF level", exact=True)
                box.click()
                page.get_by_role("option", name="EQF level 7 (master's level)").click()
                page.get_by_label("Audience", exact=True).click()
                page.screenshot(path=DOCS / "editor-2-form.png")
                page.keyboard.press("Escape")
                page.get_by_role("button", name="Publish").click()
                page.screenshot(path=DOCS / "editor-3-publish.png")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
