"""Search: the Pagefind index of the course pages, built into the staged site before it is published.

One `add_directory` call indexes every written page: the Python wrapper waits 0.1 s for each reply of the
Pagefind service, so one call per page would cost minutes on a large catalogue.

Pagefind only finds and ranks: the pages carry no Pagefind filters, sort keys or metadata. Filtering,
counting and sorting the found courses is done in the browser with the browse table (search/browse.json),
which halves the time of a search whose words match thousands of pages (measured: 200 ms to 90 ms at
4,000 courses) and answers every facet's counts from one search. PAGES, written into the index's folder,
links the two: the path of the page behind each id Pagefind returns.
"""
from __future__ import annotations

import asyncio
import gzip
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .config import Config
from .diagnostics import ContentError, Diagnostic

log = logging.getLogger(__name__)

UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")
INDEXED_PAGES = "courses/**/index.html"  # listing and institution pages are not indexed; archived courses opt out
PAGES = "catalogue-pages.json"  # Pagefind's page ids -> the pages' paths, for the browse table


def build_index(site: Path, config: Config, folder: str = "pagefind") -> int:
    """Index the course pages of a written site into site/<folder>/; returns the number of pages indexed."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        runner = asyncio.run
    else:  # called from inside an event loop (a server, a test browser): run ours on its own thread
        def runner(coroutine):  # noqa: ANN001, ANN202
            with ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(asyncio.run, coroutine).result()
    try:
        return runner(_build_index(site, config, folder))
    except Exception as exc:  # noqa: BLE001 — the service's failures reach us in many shapes
        raise ContentError([Diagnostic("pagefind", message=f"the search index could not be built: {exc}",
                                       code="search")]) from exc


async def _build_index(site: Path, config: Config, folder: str) -> int:
    from pagefind.index import PagefindIndex  # imported late: check never needs it

    # One language for the whole index: a Czech course must be found from the English search box.
    options = {"force_language": config.language, "output_path": str(site / folder)}
    async with PagefindIndex(config=options) as index:
        result = await index.add_directory(str(site), glob=INDEXED_PAGES)
        count = int(result.get("page_count", 0))
    # leaving the context wrote the index; the catalogue uses its own interface, not Pagefind's bundled UIs
    for name in UNUSED:
        (site / folder / name).unlink(missing_ok=True)
    pages = json.dumps(page_paths(site / folder), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    (site / folder / PAGES).write_text(pages, encoding="utf-8")
    return count


def page_paths(index: Path) -> dict[str, str]:
    """Each indexed page's Pagefind id and its path in the site (as in search/browse.json: no leading slash).

    Pagefind names each page's fragment file by the page's id; the fragment gives the page's URL.
    """
    paths: dict[str, str] = {}
    for fragment in (index / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        paths[fragment.stem] = json.loads(data[data.index(b"{"):])["url"].lstrip("/")
    return paths
