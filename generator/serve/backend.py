"""The web editor's local backend in the live preview: the API that Decap CMS's proxy backend speaks (the one
decap-server answers in its file-system mode), reading the site's `content/` folder and writing course files and
the pictures and documents beside them, nothing else.

Every path comes from the browser, so none is trusted: absolute paths, `..`, links (to anywhere), hidden names,
other folders and other kinds of file are refused, and so are requests over the size limits. A course file is
checked as `catalogue check` checks it before it is written, and written whole or not at all: the editor then
shows the problems and keeps what was typed. The preview answers only on this machine (see server.py).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable

from generator.content.catalogue import parse_course
from generator.content.files import MAX_FILE_BYTES, ID_RE, SourceFile
from generator.content.markup import MarkdownRenderer
from generator.diagnostics import Diagnostic, display_path

log = logging.getLogger(__name__)

MAX_REQUEST = 48 * 1024 * 1024  # one request: a course file and its pictures, base64 (4/3 of their size)
MAX_MEDIA = 20 * 1024 * 1024    # one picture or document (a PDF may be up to 20 MB, a picture up to 10 MB)
MAX_PATH = 300
MAX_LISTED = 5000               # files listed at once: a folder of courses is far smaller
MEDIA_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".pdf")  # what may sit beside a course file
ENTRY_SUFFIX = ".md"


class Refused(Exception):
    """A request the backend will not carry out; its message is shown in the editor."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


class LocalBackend:
    """Decap's proxy API over one site folder."""

    def __init__(self, source: Path) -> None:
        self.source = source.resolve()
        self.content = self.source / "content"
        self.renderer = MarkdownRenderer()

    # --- the API ------------------------------------------------------------------------------------------

    def handle(self, body: bytes) -> tuple[int, Any]:
        """Answer one request (a JSON body with `action` and `params`): an HTTP status and a JSON value."""
        if len(body) > MAX_REQUEST:
            return 413, {"error": f"the request is too large (over {MAX_REQUEST // 1024 // 1024} MB)"}
        try:
            request = json.loads(body)
            if not isinstance(request, dict) or not isinstance(request.get("action"), str):
                raise Refused("the request must be a JSON object with an 'action'", 400)
            params = request.get("params") or {}
            if not isinstance(params, dict):
                raise Refused("the request's 'params' must be an object", 400)
            action = ACTIONS.get(request["action"])
            if action is None:
                raise Refused(f"unknown action {request['action'][:40]!r}", 422)
            return 200, action(self, params)
        except Refused as exc:
            return exc.status, {"error": str(exc)}
        except (ValueError, UnicodeDecodeError):
            return 400, {"error": "the request is not JSON"}
        except OSError as exc:
            log.warning("the editor's request could not be carried out: %s", exc)
            return 500, {"error": f"the file could not be read or written: {exc.strerror or exc}"}

    def info(self, params: dict) -> dict:
        return {"repo": self.source.name, "publish_modes": ["simple"], "type": "local_fs"}

    def entries_by_folder(self, params: dict) -> list:
        folder = self.place(_text(params, "folder"), folder=True)
        extension = _text(params, "extension").lstrip(".")
        depth = params.get("depth", 1)
        if not isinstance(depth, int) or not 1 <= depth <= 4:
            raise Refused("'depth' must be a whole number from 1 to 4")
        return [self.entry(path) for path in self.listing(folder, "." + extension, depth)]

    def entries_by_files(self, params: dict) -> list:
        files = params.get("files")
        if not isinstance(files, list) or len(files) > MAX_LISTED:
            raise Refused("'files' must be a list of files")
        found = []
        for item in files:
            entry = self.entry(self.place(_text(item if isinstance(item, dict) else {}, "path")))
            found.append({**entry, "file": {**entry["file"], "label": item.get("label")}})
        return found

    def get_entry(self, params: dict) -> dict:
        return self.entry(self.place(_text(params, "path")))

    def persist_entry(self, params: dict) -> dict:
        files = params.get("dataFiles") or ([params["entry"]] if isinstance(params.get("entry"), dict) else [])
        assets = params.get("assets") or []
        if not isinstance(files, list) or not files or not isinstance(assets, list) or len(files) > 1:
            raise Refused("a course is saved as one file, with its pictures and documents")
        file = files[0] if isinstance(files[0], dict) else {}
        target = self.writable(_text(file, "newPath") if file.get("newPath") else _text(file, "path"), ENTRY_SUFFIX)
        raw = _text(file, "raw").encode("utf-8")
        if len(raw) > MAX_FILE_BYTES:
            raise Refused(f"the course file would be too large ({len(raw) // 1024} KiB; the limit is "
                          f"{MAX_FILE_BYTES // 1024} KiB)")
        media = [(self.writable(_text(a, "path"), MEDIA_SUFFIXES), _decoded(a)) for a in assets if isinstance(a, dict)]
        if len(media) != len(assets):
            raise Refused("each picture or document must be an object with a path and its content")
        new = [path for path, _ in media if not path.exists()]
        for path, data in media:  # first: the course file may name them, and is checked with them in place
            self.write(path, data)
        problems = [d for d in self.check(target, raw) if d.is_error]
        if problems:
            for path in new:  # (pictures it brought go with it; they come again with the next save)
                path.unlink(missing_ok=True)
            raise Refused("the course was not saved, because catalogue check finds problems in it: "
                          + "; ".join(f"line {d.line}: {d.message}" + (f" ({d.hint})" if d.hint else "")
                                      for d in problems[:10]))
        self.write(target, raw)
        if file.get("newPath") and file.get("path") != file.get("newPath"):
            old = self.writable(_text(file, "path"), ENTRY_SUFFIX)
            if old.is_file():
                old.unlink()
        return {"message": "entry persisted"}

    def get_media(self, params: dict) -> list:
        folder = self.place(_text(params, "mediaFolder"), folder=True)
        return [self.media(path) for path in self.listing(folder, MEDIA_SUFFIXES, 1)]

    def get_media_file(self, params: dict) -> dict:
        path = self.place(_text(params, "path"))
        if not path.name.lower().endswith(MEDIA_SUFFIXES):
            raise Refused("only pictures and documents beside a course can be opened as media")
        return self.media(path)

    def persist_media(self, params: dict) -> dict:
        asset = params.get("asset") if isinstance(params.get("asset"), dict) else {}
        path = self.writable(_text(asset, "path"), MEDIA_SUFFIXES)
        self.write(path, _decoded(asset))
        return self.media(path)

    def delete_file(self, params: dict) -> dict:
        self.delete(self.deletable(_text(params, "path")))
        return {"message": "deleted the file"}

    def delete_files(self, params: dict) -> dict:
        paths = params.get("paths")
        if not isinstance(paths, list) or not 1 <= len(paths) <= MAX_LISTED:
            raise Refused("'paths' must be a list of files")
        for path in [self.deletable(p if isinstance(p, str) else "") for p in paths]:  # all checked before any goes
            self.delete(path)
        return {"message": f"deleted {len(paths)} files"}

    def deploy_preview(self, params: dict) -> None:
        return None

    # --- paths ----------------------------------------------------------------------------------------------

    def place(self, rel: str, folder: bool = False) -> Path:
        """The file (or folder) under content/ that a path from the browser names; Refused for anything else:
        an absolute path, `..`, a hidden name, a link anywhere on the way, or a place outside content/."""
        if not rel or len(rel) > MAX_PATH or any(ch in rel for ch in "\\\x00") or any(ord(ch) < 32 for ch in rel):
            raise Refused(f"{_shown(rel)} is not a path the editor may use")
        if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
            raise Refused(f"{_shown(rel)} is an absolute path: the editor works only in the site's content/ folder")
        parts = rel.rstrip("/").split("/") if folder else rel.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise Refused(f"{_shown(rel)} leaves its folder: the editor works only in the site's content/ folder")
        if parts[0] != "content":
            raise Refused(f"{_shown(rel)} is outside the site's content/ folder, the only one the editor may use")
        if any(part.startswith(".") for part in parts):
            raise Refused(f"{_shown(rel)} has a hidden name")
        path = self.source
        for part in parts:
            path = path / part
            if path.is_symlink():
                raise Refused(f"{_shown(rel)} goes through a link ({display_path(path)}): the editor follows none")
        try:
            path.resolve().relative_to(self.content.resolve())
        except (ValueError, OSError, RuntimeError):
            raise Refused(f"{_shown(rel)} is outside the site's content/ folder") from None
        return path

    def writable(self, rel: str, suffixes: str | tuple[str, ...]) -> Path:
        """A file the editor may write: a course file, or a picture or document, in an institution's folder of
        courses (content/courses/<institution>/<name>), that institution existing."""
        path = self.place(rel)
        parts = rel.split("/")
        if len(parts) != 4 or parts[1] != "courses":
            raise Refused(f"{_shown(rel)} is not in an institution's folder of courses (content/courses/<institution>/): "
                          "the editor writes nowhere else")
        if not ID_RE.match(parts[2]) or not (self.content / "institutions" / f"{parts[2]}.yaml").is_file():
            raise Refused(f"there is no institution '{parts[2][:60]}' (content/institutions/{parts[2][:60]}.yaml)")
        if not path.name.lower().endswith(suffixes):
            wanted = "a course file (.md)" if suffixes == ENTRY_SUFFIX else "a picture (.jpg, .png, .webp) or a PDF"
            raise Refused(f"{_shown(rel)} is not {wanted}: the editor writes no other kind of file")
        if path.exists() and not path.is_file():
            raise Refused(f"{_shown(rel)} is not a regular file")
        return path

    def listing(self, folder: Path, suffixes: str | tuple[str, ...], depth: int) -> list[Path]:
        """The regular files (no links, no hidden names) with one of the suffixes, `depth` levels down."""
        found: list[Path] = []
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except (FileNotFoundError, NotADirectoryError):
            return []
        for entry in entries:
            if entry.name.startswith(".") or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if depth > 1:
                    found += self.listing(Path(entry.path), suffixes, depth - 1)
            elif entry.is_file(follow_symlinks=False) and entry.name.lower().endswith(suffixes):
                found.append(Path(entry.path))
            if len(found) > MAX_LISTED:
                raise Refused(f"{display_path(folder)} has too many files to list")
        return found

    def relative(self, path: Path) -> str:
        return path.relative_to(self.source).as_posix()

    # --- files ----------------------------------------------------------------------------------------------

    def read(self, path: Path, limit: int) -> bytes:
        """A regular file's bytes, opened without following a link; Refused past the limit."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise Refused(f"{display_path(path)} is not a regular file")
            data = f.read(limit + 1)
        if len(data) > limit:
            raise Refused(f"{display_path(path)} is too large to open in the editor")
        return data

    def entry(self, path: Path) -> dict:
        """A course file as Decap lists it: its text and an id that changes with its bytes (None: unreadable)."""
        try:
            data = self.read(path, MAX_FILE_BYTES)
            return {"data": data.decode("utf-8"), "file": {"path": self.relative(path), "id": _sha256(data)}}
        except (OSError, UnicodeDecodeError, Refused):
            return {"data": None, "file": {"path": self.relative(path), "id": None}}

    def media(self, path: Path) -> dict:
        data = self.read(path, MAX_MEDIA)
        return {"id": _sha256(data), "content": base64.b64encode(data).decode(), "encoding": "base64",
                "path": self.relative(path), "name": path.name}

    def write(self, path: Path, data: bytes) -> None:
        """Write a file whole (a temporary file renamed over it: the preview never reads half a file), making
        its institution's folder if it has none yet."""
        path.parent.mkdir(exist_ok=True)
        if path.parent.is_symlink() or not path.parent.is_dir():
            raise Refused(f"{display_path(path.parent)} is not a folder the editor may write into")
        fd, temporary = tempfile.mkstemp(prefix=".editor-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)  # (replaces a link itself, never what it points to)
        except BaseException:
            os.unlink(temporary)
            raise
        log.info("the editor saved %s", display_path(path))

    def deletable(self, rel: str) -> Path:
        """A file the editor may delete: one it may write (`writable`)."""
        return self.writable(rel, ENTRY_SUFFIX if rel.lower().endswith(ENTRY_SUFFIX) else MEDIA_SUFFIXES)

    def delete(self, path: Path) -> None:
        if path.is_file():
            path.unlink()
            log.info("the editor deleted %s", display_path(path))

    def check(self, path: Path, data: bytes) -> list[Diagnostic]:
        """What `catalogue check` says of a course file with these bytes in this place (the checks of one file:
        those across files, like links to other courses, come with the preview's rebuild)."""
        return parse_course(SourceFile(path, display_path(path)), self.renderer, data=data)[1]


ACTIONS: dict[str, Callable[[LocalBackend, dict], Any]] = {
    "info": LocalBackend.info,
    "entriesByFolder": LocalBackend.entries_by_folder,
    "entriesByFiles": LocalBackend.entries_by_files,
    "getEntry": LocalBackend.get_entry,
    "persistEntry": LocalBackend.persist_entry,
    "getMedia": LocalBackend.get_media,
    "getMediaFile": LocalBackend.get_media_file,
    "persistMedia": LocalBackend.persist_media,
    "deleteFile": LocalBackend.delete_file,
    "deleteFiles": LocalBackend.delete_files,
    "getDeployPreview": LocalBackend.deploy_preview,
}


def _text(params: dict, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str):
        raise Refused(f"'{name}' must be text")
    return value


def _decoded(asset: dict) -> bytes:
    """A picture's or document's bytes, from base64, within the size limit."""
    if asset.get("encoding") != "base64":
        raise Refused("a picture or document must come base64-encoded")
    content = _text(asset, "content")
    if len(content) > MAX_MEDIA * 4 // 3 + 4:
        raise Refused(f"{_shown(asset.get('path'))} is too large (the limit is {MAX_MEDIA // 1024 // 1024} MB)")
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise Refused(f"{_shown(asset.get('path'))} is not base64-encoded") from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shown(rel: object) -> str:
    text = rel if isinstance(rel, str) else ""
    return repr(text[:80] + ("…" if len(text) > 80 else ""))
