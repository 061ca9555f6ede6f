"""The preview's web server: the built files of this machine's preview only, with the live-reload script added
to pages, and the events (reload, problems) that open pages listen to."""
from __future__ import annotations

import hashlib
import http.server
import ipaddress
import json
import queue
import re
import socketserver
import threading
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from generator.serve.backend import LocalBackend
    from generator.serve.preview import Preview

LIVE_PREFIX = "/_catalogue/"
API_PATH = LIVE_PREFIX + "api/v1"  # the web editor's local backend (backend.py), as decap.LOCAL_API says
EDITOR_PREFIX = "/admin/"  # the web editor: no reload script (a save would reload it), the host's headers
HASHED_SCRIPT = re.compile(r"/admin/decap-cms\.[0-9a-f]{10}\.js")  # named by its content: kept by the browser
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


def handler_for(root: Path, preview: "Preview", hub: Hub, stopping: threading.Event,
                backend: "LocalBackend | None" = None) -> type:
    """The request handler: files of the built site only, with the live-reload script added to pages; and the
    web editor's local backend, when there is one (only on this machine)."""
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
            if path.startswith(EDITOR_PREFIX):  # with the policy the host will send (_headers): tried here first
                return self._send(200, kind, data, head, cache=bool(HASHED_SCRIPT.fullmatch(path)),
                                  extra=editor_headers(root, path))
            if kind.startswith("text/html"):
                data = _inject(data, generation)
            # the theme's files have their content's hash in their names: a reload need not fetch them again
            self._send(200, kind, data, head, cache=path.startswith("/assets/"))
            return None

        def do_POST(self) -> None:  # noqa: N802 — http.server's naming
            if unquote(urlsplit(self.path).path) != API_PATH:
                return self._json(404, {"error": "nothing to post to here"})
            refused = self._not_for_the_editor()
            if refused:
                return self._json(403, {"error": refused})
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self._json(411, {"error": "the request has no length"})
            from generator.serve.backend import MAX_REQUEST
            if not 0 <= length <= MAX_REQUEST:
                self.close_connection = True
                return self._json(413, {"error": f"the request is too large (over {MAX_REQUEST // 1024 // 1024} MB)"})
            status, answer = backend.handle(self.rfile.read(length))
            return self._json(status, answer)

        def _not_for_the_editor(self) -> str:
            """Why a request may not use the local backend ("" when it may): only a page of this preview, on
            this machine, may (not another site open in the same browser, nor one that renamed itself
            127.0.0.1 through the DNS)."""
            if backend is None:
                return "the editor's local backend answers only when the preview listens on 127.0.0.1 (this machine)"
            if not _loopback(self.client_address[0]):
                return "the editor's local backend answers only this machine"
            host = self.headers.get("Host", "")
            if not _loopback_host(host):
                return "the editor's local backend answers only pages at 127.0.0.1 or localhost"
            if self.headers.get("Origin") != f"http://{host}":
                return "the editor's local backend answers only the preview's own pages"
            if self.headers.get_content_type() != "application/json":
                return "the editor's local backend takes JSON only"
            return ""

        def _json(self, status: int, value: object) -> None:
            self._send(status, "application/json; charset=utf-8", json.dumps(value, ensure_ascii=False).encode())

        def _not_found(self, head: bool) -> None:
            page = root / "404.html"
            data = _inject(page.read_bytes() if page.is_file() else preview.problem_page(), hub.generation)
            self._send(404, "text/html; charset=utf-8", data, head)

        def _send(self, status: int, kind: str, data: bytes, head: bool = False, cache: bool = False,
                  extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "max-age=31536000, immutable" if cache else "no-store")
            for name, value in (extra or {}).items():
                if name.lower() not in ("cache-control", "content-type", "content-length"):
                    self.send_header(name, value)
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


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _loopback_host(host: str) -> bool:
    """Whether a Host header names this machine: localhost, 127.x.x.x or [::1], with a port or without."""
    if _loopback(host.strip("[]")):  # (an address without a port: ::1 would lose its last part below)
        return True
    name = re.sub(r":\d+$", "", host)
    return name == "localhost" or _loopback(name.strip("[]"))


def editor_headers(root: Path, path: str) -> dict[str, str]:
    """The headers the built site's `_headers` file gives an address, as a host that reads it would send them
    (for the editor's pages: the preview tries their policy out before a host does)."""
    try:
        text = (root / "_headers").read_text(encoding="utf-8")
    except OSError:
        return {}
    found: dict[str, str] = {}
    pattern = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            pattern = _rule(line.strip())
        elif pattern is not None and pattern.match(path):
            name, _, value = line.strip().partition(":")
            found[name.strip()] = f"{found[name.strip()]}, {value.strip()}" if name.strip() in found else value.strip()
    return found


def _rule(pattern: str) -> re.Pattern[str]:
    """A `_headers` path pattern as a regular expression: `*` matches anything, `:name` one part of a path."""
    parts = ["([^/]+)" if p.startswith(":") else "?(.*)" if p == "*" else re.escape(p)
             for p in pattern.split("/") if p]
    return re.compile("^/" + "/".join(parts) + "/?$")


_TYPES = {".html": "text/html; charset=utf-8", ".yml": "text/yaml; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
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
