"""The preview's web server: the built files of this machine's preview only, with the live-reload script added
to pages, and the events (reload, problems) that open pages listen to."""
from __future__ import annotations

import hashlib
import http.server
import json
import queue
import socketserver
import threading
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from generator.serve.preview import Preview

LIVE_PREFIX = "/_catalogue/"
LIVE_JS = resources.files("generator").joinpath("data/live.js").read_bytes()
# versioned by its content, so browsers may keep it; the page says which rebuild it was served at
LIVE_SCRIPT = (f'<script type="module" src="/_catalogue/live.js?v={hashlib.sha256(LIVE_JS).hexdigest()[:10]}" '
               'data-since="{}"></script>')


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


def handler_for(root: Path, preview: "Preview", hub: Hub, stopping: threading.Event) -> type:
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
            data = _inject(page.read_bytes() if page.is_file() else preview.problem_page(), hub.generation)
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


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        # HTTPServer would look its own name up in the DNS, which can hang on a machine without network
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
