"""Serve: a live preview that rebuilds what a saved file touched, reloads open pages and shows problems in them.

A rebuild re-reads only the files that changed, re-renders the pages that can show them (the course's own
page, the listing pages it is or was on, its institution's page, the data files) and writes only files
whose bytes changed. The search index is refreshed afterwards in the background: it never delays a reload.
Bad content never stops the server: the last good pages stay served and the problems show over them.
"""
from __future__ import annotations

import errno
import hashlib
import http.server
import json
import os
import logging
import queue
import shutil
import signal
import socketserver
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

from generator.engine.cache import CACHE_DIR, ParseCache
from generator.content.catalogue import Catalogue, cross_check, file_bytes, index, parse_course, parse_institutions
from generator.engine.cache import digest as hash_parts
from generator.content.config import PACKAGE_THEMES, load_config
from generator.content.files import discover
from generator.diagnostics import ContentError, Diagnostic, UsageError, display_path, has_errors
from generator.content.markup import MarkdownRenderer
from generator.content.model import Course
from generator.engine.output import content_hash
from generator.site.render import Page, listing_path, render, render_data
from generator.site.theme import load_theme, theme_digest
from generator.fast.pagefind import Previous, build_index

log = logging.getLogger(__name__)

LIVE_PREFIX = "/_catalogue/"
DEFERRED_TEMPLATES = frozenset({"sitemap.xml"})  # pages no visitor views: made in the background
LIVE_JS = resources.files("generator").joinpath("data/live.js").read_bytes()
# versioned by its content, so browsers may keep it; the page says which rebuild it was served at
LIVE_SCRIPT = (f'<script type="module" src="/_catalogue/live.js?v={hashlib.sha256(LIVE_JS).hexdigest()[:10]}" '
               'data-since="{}"></script>')


@dataclass
class Outcome:
    """What one rebuild did."""

    ok: bool
    seconds: float
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    reindex: bool = False


class Preview:
    """The previewed site: its last good catalogue and the files it serves, updated file by file."""

    def __init__(self, source: Path, out: Path) -> None:
        self.source = source
        self.out = out
        self.cache = ParseCache(source / CACHE_DIR)
        self.renderer = MarkdownRenderer()
        self.parsed: dict[Path, tuple[tuple[int, int], str, tuple[Course | None, list[Diagnostic]]]] = {}
        self.catalogue: Catalogue | None = None
        self.basis = ""                      # hash of config, theme and institutions: if it changes, render all
        self.keys: dict[str, str] = {}       # keys of the keyed pages now served
        self.hashes: dict[str, str] = {}     # every served page and its content hash
        self.data_keys: dict[str, str] = {}  # the same for the open-data files, made in the background
        self.data_hashes: dict[str, str] = {}
        self.theme = None
        self.problems: list[Diagnostic] = []
        self.lock = threading.Lock()         # the background thread writes data files too
        self.closed = False                  # set when the preview stops: nothing is written after that

    def refresh(self) -> Outcome:
        """Bring the served files up to date with the site folder."""
        started = time.perf_counter()
        try:
            outcome = self._refresh()
        except ContentError as exc:
            self.problems = [d for d in exc.diagnostics]
            return Outcome(False, time.perf_counter() - started, diagnostics=self.problems)
        self.problems = []
        outcome.seconds = time.perf_counter() - started
        return outcome

    def _refresh(self) -> Outcome:
        config, diags = load_config(self.source, "/")
        found = discover(self.source)
        institutions, problems = parse_institutions(found.institutions)
        diags += list(found.diagnostics) + problems
        courses, changed = [], set()
        parsed = {}
        for source in found.courses:
            result, fresh = self._parse(source)
            parsed[source.path] = result
            course, problems = result[2]
            diags += problems
            if course:
                courses.append(course)
                if fresh:
                    changed.add(course.id)
        diags += cross_check(found, institutions, courses)
        if config is None or has_errors(diags):
            raise ContentError(diags)
        theme = self.theme if self.theme and self.theme.digest == theme_digest(config) else load_theme(config)
        catalogue = index(config, institutions, courses)
        basis = hash_parts(theme.digest, repr(config.__dict__), *(i.digest for i in catalogue.institutions))
        old = self.catalogue
        removed_ids = set()
        if old is not None:
            removed_ids = {c.id for c in old.courses} - {c.id for c in catalogue.courses}
        only = None if (old is None or basis != self.basis) else self._touched(old, catalogue, changed | removed_ids)
        # the catalogue-wide data files (sitemap, courses.json, the search table) follow in the background
        rendered = render(catalogue, theme, self.keys, only, site_data=only is None)
        outcome = Outcome(True, 0.0)
        with self.lock:
            outcome.written = _write_changed(self.out, rendered.files, self.hashes)
        keep = set(rendered.files) | set(rendered.reused)
        listed_ids = {c.id for c in catalogue.listed}
        stale = ({rel for rel in self.hashes if rel not in keep} if only is None
                 else {rel for rel in self.hashes if _owner(rel) in removed_ids
                       or (rel.endswith("/card.json") and _owner(rel) not in listed_ids)}
                 | self._dropped_listings(old, catalogue))
        with self.lock:
            # a deleted course's open-data files go now too, not with the next background refresh
            stale |= {rel for rel in self.data_hashes if _owner(rel) in removed_ids}
            for rel in sorted(stale):
                (self.out / rel).unlink(missing_ok=True)
                self.hashes.pop(rel, None)
                self.data_hashes.pop(rel, None)
                outcome.removed.append(rel)
        self.keys = {**{k: v for k, v in self.keys.items() if k not in stale}, **rendered.keys}
        self.parsed, self.catalogue, self.basis, self.theme = parsed, catalogue, basis, theme
        indexed = {c.url + "index.html" for c in catalogue.listed}
        outcome.reindex = bool(indexed & (set(outcome.written) | set(outcome.removed))) or \
            (old is not None and {c.url for c in old.listed} != {c.url for c in catalogue.listed})
        outcome.diagnostics = sorted(diags)
        return outcome

    def refresh_data(self) -> list[str]:
        """Bring the files no page shows up to date with the last good catalogue: the catalogue-wide data
        (sitemap, courses.json, the search table) and the open data (ELM, feeds, calendars, CSV).
        Returns the paths written."""
        catalogue, theme, keys = self.catalogue, self.theme, self.keys
        if catalogue is None or theme is None:
            return []
        site = render(catalogue, theme, keys, lambda page: page.template in DEFERRED_TEMPLATES)
        rendered = render_data(catalogue, theme, self.data_keys)
        with self.lock:
            if catalogue is not self.catalogue or self.closed:
                return []  # a newer rebuild came meanwhile (the next run makes its files), or the preview stopped
            written = _write_changed(self.out, site.files, self.hashes)
            written += _write_changed(self.out, rendered.files, self.data_hashes)
            for rel in set(self.data_hashes) - set(rendered.files) - set(rendered.reused):
                (self.out / rel).unlink(missing_ok=True)
                self.data_hashes.pop(rel)
                written.append(rel)
            self.data_keys = rendered.keys
        return written

    def close(self) -> None:
        """Stop writing files (the preview is stopping and its folder is about to go)."""
        locked = self.lock.acquire(timeout=5)
        self.closed = True
        if locked:
            self.lock.release()

    def _parse(self, source) -> tuple[tuple, bool]:  # noqa: ANN001
        """A course file's parse result, reusing the last one when the file has not changed."""
        try:
            stat = source.path.stat()
            signature = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            signature = (0, 0)
        previous = self.parsed.get(source.path)
        if previous and previous[0] == signature:
            return previous, False
        data = file_bytes(source.path)
        key = self.cache.key(source.display, data)
        result = self.cache.get(key)
        if result is None:
            result = parse_course(source, self.renderer, hash_parts(data))
            self.cache.put(key, result)
        fresh = previous is None or previous[1] != key
        return (signature, key, result), fresh

    def _touched(self, old: Catalogue, new: Catalogue, ids: set[str]) -> Callable[[Page], bool]:
        """Which pages a change to these courses can show up on (course pages are skipped by their keys)."""
        before, after = _listings(old), _listings(new)
        institutions = {i.split("/")[0] for i in ids}

        def touched(page: Page) -> bool:
            if page.template in DEFERRED_TEMPLATES:
                return False
            if page.template == "index.html":
                return page.path == "index.html" or before.get(page.path) != after.get(page.path) \
                    or bool(ids & set(after.get(page.path, ())))
            if page.template == "institution.html":
                return page.values["institution"].id in institutions
            return True
        return touched

    def _dropped_listings(self, old: Catalogue | None, new: Catalogue) -> set[str]:
        if old is None:
            return set()
        return set(_listings(old)) - set(_listings(new))


def _listings(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    size = catalogue.config.page_size
    listed = catalogue.listed
    count = max(1, -(-len(listed) // size))
    return {listing_path(n): tuple(c.id for c in listed[(n - 1) * size: n * size]) for n in range(1, count + 1)}


def _owner(rel: str) -> str | None:
    """The course id a file belongs to (its page or card), if any."""
    parts = rel.split("/")
    return f"{parts[1]}/{parts[2]}" if len(parts) == 4 and parts[0] == "courses" else None


def _write_changed(out: Path, files: dict[str, bytes], hashes: dict[str, str]) -> list[str]:
    """Write the files whose bytes differ from what is served; returns their paths."""
    written = []
    for rel, data in sorted(files.items()):
        digest = content_hash(data)
        if hashes.get(rel) != digest:
            _write(out / rel, data)
            hashes[rel] = digest
            written.append(rel)
    return written


def _write(path: Path, data: bytes) -> None:
    """Replace one served file whole, so a request never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


class Hub:
    """Open pages listening for reloads and problems (Server-Sent Events)."""

    def __init__(self) -> None:
        self.clients: list[queue.Queue] = []
        self.lock = threading.Lock()
        self.generation = 0  # how many rebuilds have been announced: a page knows the one it was served at

    def subscribe(self, since: int | None = None) -> queue.Queue:
        """Listen for events; a page served before the latest rebuild is told to reload at once, so a
        rebuild that lands between serving the page and its connection is never missed."""
        q: queue.Queue = queue.Queue()
        with self.lock:
            self.clients.append(q)
            if since is not None and since != self.generation:
                q.put(self._message("reload", ""))
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self.lock:
            if q in self.clients:
                self.clients.remove(q)

    @staticmethod
    def _message(event: str, data: object) -> bytes:
        return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode("utf-8")

    def send(self, event: str, data: object = "") -> None:
        message = self._message(event, data)
        with self.lock:
            if event == "reload":
                self.generation += 1
            for q in self.clients:
                q.put(message)

    def close(self) -> None:
        # a Ctrl-C can land while another thread holds the lock: never wait for it for long
        locked = self.lock.acquire(timeout=1)
        try:
            for q in list(self.clients):
                q.put(None)
        finally:
            if locked:
                self.lock.release()


def handler_for(root: Path, preview: Preview, hub: Hub, stopping: threading.Event) -> type:
    """The request handler: files of the built site only, with the live-reload script added to pages."""
    root = root.resolve()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:  # noqa: N802 — http.server's naming
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:  # noqa: N802
            path = unquote(urlsplit(self.path).path)
            if path == LIVE_PREFIX + "events":
                return self._events()
            generation = hub.generation  # read before the file: a page is never newer than it claims
            if path == LIVE_PREFIX + "live.js":
                return self._send(200, "text/javascript; charset=utf-8", LIVE_JS, head, cache=True)
            target = _resolve(root, path)
            if target is None:
                return self._not_found(head)
            if target.is_dir():
                if not path.endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", path + "/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                target = target / "index.html"
                if not target.is_file():
                    return self._not_found(head)
            try:
                data = target.read_bytes()
            except OSError:
                return self._not_found(head)
            kind = _content_type(target.name)
            if kind.startswith("text/html"):
                data = _inject(data, generation)
            # the theme's files have their content's hash in their names: a reload need not fetch them again
            self._send(200, kind, data, head, cache=path.startswith("/assets/"))
            return None

        def _not_found(self, head: bool) -> None:
            page = root / "404.html"
            data = _inject(page.read_bytes() if page.is_file() else _problem_page(preview.problems), hub.generation)
            self._send(404, "text/html; charset=utf-8", data, head)

        def _send(self, status: int, kind: str, data: bytes, head: bool = False, cache: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "max-age=31536000, immutable" if cache else "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            since = parse_qs(urlsplit(self.path).query).get("since", [""])[0]
            q = hub.subscribe(int(since) if since.isdigit() else None)
            try:
                problems = [d.text() for d in preview.problems if d.is_error]
                self.wfile.write(b": connected\n\n" + (
                    f"event: problems\ndata: {json.dumps(problems, ensure_ascii=False)}\n\n".encode() if problems
                    else b""))
                self.wfile.flush()
                while not stopping.is_set():
                    try:
                        message = q.get(timeout=15)
                    except queue.Empty:
                        message = b": keep-alive\n\n"
                    if message is None:
                        break
                    self.wfile.write(message)
                    self.wfile.flush()
            except OSError:
                pass
            finally:
                hub.unsubscribe(q)

    return Handler


def _resolve(root: Path, path: str) -> Path | None:
    """The file of the built site a URL path names, or None: nothing outside the site is ever served."""
    parts = [p for p in path.split("/") if p]
    if any(p in (".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    target = root.joinpath(*parts)
    try:
        resolved = target.resolve()
    except OSError:
        return None
    if resolved != root and root not in resolved.parents:
        return None
    if any(p.startswith(".") for p in parts) or not resolved.exists():
        return None
    return resolved


_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".json": "application/json", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8",
          ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
          ".webp": "image/webp", ".wasm": "application/wasm", ".jsonld": "application/ld+json",
          ".ics": "text/calendar; charset=utf-8", ".csv": "text/csv; charset=utf-8"}


def _content_type(name: str) -> str:
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _TYPES.get(suffix, "application/octet-stream")


def _inject(html: bytes, generation: int = 0) -> bytes:
    """Add the live-reload script to a page (only when serving: built files never contain it)."""
    script = LIVE_SCRIPT.format(generation).encode()
    at = html.find(b"</head>")
    return html[:at] + script + html[at:] if at >= 0 else script + html


def _problem_page(problems: list[Diagnostic]) -> bytes:
    """What is served before the first good build: the problems, and the live script to reload when fixed."""
    from html import escape
    items = "".join(f"<li>{escape(d.text())}</li>" for d in problems) or "<li>The site has not been built yet.</li>"
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Problems</title></head><body>"
            f"<h1>The catalogue could not be built</h1><ul>{items}</ul></body></html>").encode("utf-8")


def describe(outcome: Outcome, changes: list[str]) -> str:
    """The terminal line of one rebuild."""
    what = ", ".join(changes[:3]) + (f" and {len(changes) - 3} more" if len(changes) > 3 else "") if changes else "start"
    if not outcome.ok:
        errors = sum(d.is_error for d in outcome.diagnostics)
        return f"{time.strftime('%H:%M:%S')} {what}: {errors} {'problem' if errors == 1 else 'problems'}; still serving the last good pages"
    files = len(outcome.written) + len(outcome.removed)
    return (f"{time.strftime('%H:%M:%S')} {what}: {files} {'file' if files == 1 else 'files'} written in "
            f"{outcome.seconds * 1000:.0f} ms" + (" (search index refreshing)" if outcome.reindex else ""))


class Background:
    """After a reload: the files no page shows (sitemap, courses.json, the search table, the open data), then,
    when an indexed page changed, the search index. It starts a moment after the reload, so the open pages
    reload first instead of sharing the processor with this work.

    One run at a time; requests made meanwhile are folded into the next run.
    """

    SETTLE = 0.3  # seconds

    def __init__(self, preview: Preview, announce: Callable[[str], None] = lambda line: None) -> None:
        self.preview = preview
        self.announce = announce
        self.wanted = threading.Event()
        self.reindex = False
        self.changed: set[str] = set()  # pages written since the index was last made: their shards are made anew
        self.indexed: list[str] | None = None  # the pages of the index being served
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def request(self, reindex: bool, changed: Iterable[str] = ()) -> None:
        self.changed.update(changed)
        self.reindex = self.reindex or reindex
        self.wanted.set()

    def stop(self, timeout: float) -> None:
        """Let the current run finish (it writes nothing more once the preview is closed), up to a timeout."""
        self.preview.close()
        self.wanted.set()
        self.thread.join(timeout)

    def _run(self) -> None:
        # Lower this thread's priority, and so that of the Pagefind process it starts (Linux gives each thread
        # its own nice value and children inherit it): a save made meanwhile is rebuilt and reloaded first.
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):
            pass
        while True:
            self.wanted.wait()
            time.sleep(self.SETTLE)
            if self.preview.closed:
                return
            self.wanted.clear()
            reindex, self.reindex = self.reindex, False
            changed, self.changed = self.changed, set()
            started = time.perf_counter()
            try:
                written = self.preview.refresh_data()
            except Exception as exc:  # noqa: BLE001 — the preview goes on without fresh data files
                log.warning("open-data files not refreshed: %s", exc)
            else:
                if written:
                    self.announce(f"  data files: {len(written)} written in "
                                  f"{(time.perf_counter() - started) * 1000:.0f} ms")
            if reindex and not self.preview.closed:
                started = time.perf_counter()
                count = self._index(changed)
                if count is None:
                    self.changed |= changed  # not indexed: those pages' shards are still to be made
                else:
                    self.announce(f"  search index: {count} pages indexed in {time.perf_counter() - started:.1f} s")

    def _index(self, changed: set[str]) -> int | None:
        catalogue, out = self.preview.catalogue, self.preview.out
        if catalogue is None:
            return None
        pages = sorted(c.url + "index.html" for c in catalogue.listed)
        last = Previous(out / "pagefind", self.indexed, frozenset(changed)) if self.indexed is not None else None
        shutil.rmtree(out / ".pagefind-new", ignore_errors=True)
        try:
            count = build_index(out, catalogue.config, pages, folder=".pagefind-new", previous=last,
                                rows=[c.url for c in catalogue.listed]).pages
            if self.preview.closed:
                shutil.rmtree(out / ".pagefind-new", ignore_errors=True)
                return None
            old = out / ".pagefind-old"
            shutil.rmtree(old, ignore_errors=True)
            if (out / "pagefind").exists():
                (out / "pagefind").rename(old)
            (out / ".pagefind-new").rename(out / "pagefind")
            shutil.rmtree(old, ignore_errors=True)
            self.indexed = pages
            return count
        except Exception as exc:  # noqa: BLE001 — the preview goes on without a fresh index
            log.warning("search index not refreshed: %s", exc)
            shutil.rmtree(out / ".pagefind-new", ignore_errors=True)
            return None


class Watcher:
    """Watches content/, the themes and the site config with watchdog, calling on_change(path) for each change."""

    def __init__(self, source: Path, on_change: Callable[[str], None]) -> None:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        ignored = (str((source / "output").resolve()), str((source / CACHE_DIR).resolve()))

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event) -> None:  # noqa: ANN001
                if event.event_type in ("opened", "closed_no_write"):
                    return
                for path in (event.src_path, getattr(event, "dest_path", "")):
                    if path and not str(path).startswith(ignored) and not Path(path).name.startswith("."):
                        on_change(str(path))

        self.source = source
        self.handler = Handler()
        self.observer = Observer()
        self.watched: set[Path] = set()
        self.observer.schedule(self.handler, str(source), recursive=False)  # site.yaml, and a new themes/
        self.update()
        # daemon threads: a Ctrl-C that lands while watchdog is still starting must not keep the process alive
        self.observer.daemon = True
        for emitter in self.observer.emitters:
            emitter.daemon = True
        self.observer.start()

    def update(self) -> None:
        """Start watching folders that have appeared since (a site's own themes/, say)."""
        package_themes = PACKAGE_THEMES
        for folder in (self.source / "content", self.source / "themes", package_themes):
            if folder.is_dir() and folder not in self.watched:
                self.observer.schedule(self.handler, str(folder), recursive=True)
                self.watched.add(folder)

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=2)


def serve(source: Path, host: str = "127.0.0.1", port: int = 8000, announce: Callable[[str], None] = print) -> None:
    """Build, serve and keep rebuilding until interrupted."""
    if not (source / "content").is_dir():
        raise UsageError(f"no content/ folder in {display_path(source)}: is --source the site folder?")
    out = Path(tempfile.mkdtemp(prefix="catalogue-serve-"))
    preview = Preview(source, out)
    hub = Hub()
    stopping = threading.Event()
    try:
        server = _Server((host, port), handler_for(out, preview, hub, stopping))
    except OSError as exc:
        shutil.rmtree(out, ignore_errors=True)
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is already in use: stop the other server or choose "
                             f"another port with --port") from exc
        raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from exc
    background = Background(preview, announce)
    changes: list[str] = []
    pending = threading.Event()
    lock = threading.Lock()

    def on_change(path: str) -> None:
        with lock:
            changes.append(path)
        pending.set()

    def rebuild(names: list[str]) -> None:
        outcome = preview.refresh()
        announce(describe(outcome, names))
        if outcome.ok:
            for d in outcome.diagnostics:
                announce("  " + d.text())
            hub.send("reload")
            background.request(reindex=outcome.reindex or not (out / "pagefind").exists(),
                               changed=[*outcome.written, *outcome.removed])
        else:
            for d in outcome.diagnostics:
                announce("  " + d.text())
            hub.send("problems", [d.text() for d in outcome.diagnostics if d.is_error])

    def on_signal(signum: int, frame: object) -> None:  # Ctrl-C (or a TERM): finish the current step, then stop
        stopping.set()
        pending.set()

    previous_handlers = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    # A parent may have started us with these signals blocked (a test runner's thread, some IDEs): unblock them.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    watcher = thread = None
    try:
        rebuild([])
        watcher = Watcher(source, on_change)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        if not stopping.is_set():
            announce(f"Serving the catalogue at http://{host}:{server.server_address[1]}/ (Ctrl-C to stop; "
                     f"built files in {out})")
        while not stopping.is_set():
            pending.wait()
            if stopping.is_set():
                break
            time.sleep(0.03)  # let an editor's burst of events (write, rename, chmod) arrive
            pending.clear()
            with lock:
                names = sorted({display_path(Path(p)) for p in changes if _relevant(Path(p))})
                changes.clear()
            watcher.update()
            rebuild(names)
        announce("Stopped.")
    finally:
        # If a worker thread holds things up (a Pagefind run, a half-started watcher), leave all the same.
        deadline = threading.Timer(10, lambda: (shutil.rmtree(out, ignore_errors=True), os._exit(0)))
        deadline.daemon = True
        deadline.start()
        stopping.set()
        hub.close()
        if watcher:
            watcher.stop()
        background.stop(timeout=5)
        if thread:
            server.shutdown()
        server.server_close()
        shutil.rmtree(out, ignore_errors=True)
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)


WATCHED_SUFFIXES = (".md", ".yaml", ".yml", ".html", ".xml", ".txt", ".css", ".js", ".svg", ".png", ".jpg",
                   ".jpeg", ".webp", ".json")


def _relevant(path: Path) -> bool:
    """A change worth naming: a file of a kind the site is made from (not a folder or an editor's temp file)."""
    return path.name == "_headers" or (path.suffix.lower() in WATCHED_SUFFIXES and not path.is_dir())


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer would look its own name up in the DNS, which can hang on a machine without network
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
