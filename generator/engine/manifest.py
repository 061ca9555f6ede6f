"""Manifest: what the last build wrote, so the next one re-renders, rewrites and re-indexes only what changed.

One per output folder, in the site's cache, naming the output by the token in its marker file (another
token: the next build starts from nothing). Kept in three files: the head (`Head`: enough to see that
nothing changed), the published files' names, and the body (their hashes, keys, sizes and times: a pack
signed like the cache's others, of marshalled values, which read and write several times faster than JSON).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from generator.fingerprint import fingerprint
from generator.engine.cache import read_pack, signing_key, write_pack
from generator.engine.output import unchanged
from generator.fast.files import marker_token, stat_lines

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Manifest:
    """One build's inputs fingerprint, its files' content hashes, its keyed pages' keys, its indexed pages."""

    fingerprint: str
    files: dict[str, str]
    keys: dict[str, str]
    indexed: list[str]
    stats: dict[str, list[int]]  # size and modification time of each file as published, to notice tampering
    inputs: str = ""             # the input files' signature (see build.input_signature): equal, nothing to do
    warnings: list[dict] = field(default_factory=list)   # the build's warnings, said again by a build it spares
    summary: dict[str, int] = field(default_factory=dict)  # how many courses, listed courses, institutions
    spare: str = ""              # the token on the spare kept beside the output for the next build ("" if none)
    # the days (ISO dates, "" for no bound) from the first to the day before the second of which the courses stand
    # as on the build's date (content/timeline.py); [] when not known
    steady: list[str] = field(default_factory=list)

    def steady_on(self, today: dt.date) -> bool:
        """True when a build for `today` from the same files would make this same site."""
        if len(self.steady) != 2:
            return False
        since, until = self.steady
        day = today.isoformat()
        return (not since or since <= day) and (not until or day < until)

    def intact(self, out: Path | str, rel: str) -> bool:
        """True when the published file is still the one this build wrote (a symbolic link never is)."""
        return unchanged(os.fspath(out), rel, self.stats)

    def all_intact(self, out: Path) -> bool:
        root = os.fspath(out)
        return all(self.intact(root, rel) for rel in self.files)

    @functools.cached_property
    def token(self) -> str:
        """Names the published output by its content alone, so the same input gives the same marker file."""
        h = hashlib.sha256(self.fingerprint.encode())
        keys = self.keys
        for rel in sorted(self.files):  # (a line at a time: the site's whole list is never one string)
            h.update(f"{rel}\0{self.files[rel]}\0{keys.get(rel, '')}\n".encode())
        h.update("\n".join(self.indexed).encode())
        return h.hexdigest()[:32]


BODY = ("files", "keys", "indexed", "stats")  # the fields kept in the body


@dataclass(frozen=True)
class Head:
    """What a build needs to see that it has nothing to do: the last build's inputs, warnings and counts, and
    a fingerprint of its published files' sizes and times (`intact`), with the file listing their names."""

    token: str
    inputs: str
    warnings: list[dict]
    summary: dict[str, int]
    steady: list[str]
    files: int            # how many files the site has
    checked: str          # the fingerprint of their kinds, sizes and modification times, in the listing's order
    listing: Path

    steady_on = Manifest.steady_on

    def intact(self, out: Path) -> bool:
        """True when every published file is still a file of the size and modification time it was left with."""
        try:
            names = self.listing.read_text(encoding="utf-8").split("\n") if self.files else []
        except OSError:
            return False
        if len(names) != self.files:
            return False
        lines = stat_lines(os.fspath(out), names)
        return lines is not None and hashlib.sha256(lines.encode()).hexdigest()[:32] == self.checked


def _checked(manifest: Manifest) -> str:
    """The fingerprint `Head.intact` compares with: each published file's kind (a regular file), size and time."""
    h, stats = hashlib.sha256(), manifest.stats
    for rel in manifest.files:
        size, mtime = stats[rel]
        h.update(f"{0o100000 >> 12}:{size}:{mtime}\n".encode())
    return h.hexdigest()[:32]


def _path(cache_dir: Path, out: Path) -> Path:
    return cache_dir / f"manifest-{fingerprint(str(out.resolve()))[:16]}.json"


def _part(head: Path, token: str, what: str) -> Path:
    """The file of a manifest's part (`what`: body or listing), named by the manifest's token."""
    return head.with_name(f"{head.stem}.{token}.{what}")


def file_stats(out: Path, files: dict[str, str], known: dict[str, list[int]] | None = None,
               linked: set[str] = frozenset()) -> dict[str, list[int]]:
    """Size and modification time of each published file; those `linked` from the last build keep its `known` ones
    (a hard link is the same file)."""
    root, known = os.fspath(out), known or {}
    stats = {}
    for rel in files:
        if rel in linked and rel in known:
            stats[rel] = known[rel]
        else:
            st = os.lstat(f"{root}/{rel}")
            stats[rel] = [st.st_size, st.st_mtime_ns]
    return stats


def read_head(cache_dir: Path | None, out: Path) -> Head | None:
    """The head of the manifest of the build now in `out`, or None when there is none that can be trusted."""
    if cache_dir is None:
        return None
    path = _path(cache_dir, out)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        head = Head(data["token"], data["inputs"], data["warnings"], data["summary"], data["steady"],
                    data["files"], data["checked"], _part(path, data["token"], "listing"))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return head if isinstance(head.token, str) and marker_token(out) == head.token else None


def read_manifest(cache_dir: Path | None, out: Path, head: Head | None = None) -> Manifest | None:
    """The manifest of the build now in `out` (whose `head` may have been read already), or None when there is
    none that can be trusted."""
    head = head or read_head(cache_dir, out)
    if cache_dir is None or head is None:
        return None
    try:
        with open(_part(_path(cache_dir, out), head.token, "body"), "rb") as f:
            body = read_pack(f, signing_key(), plain=True)
        if body is None:
            return None
        manifest = Manifest(body["fingerprint"], *(body[name] for name in BODY[:2]), body["indexed"], body["stats"],
                            head.inputs, head.warnings, head.summary, body["spare"], head.steady)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, EOFError):
        return None
    manifest.__dict__["token"] = head.token  # (as written with it: working it out again reads every entry)
    return manifest


def write_manifest(cache_dir: Path | None, out: Path, manifest: Manifest) -> None:
    """Keep the manifest for the next build: its body and listing first, its head last (atomically: a killed
    build leaves the old manifest or the new one), then the parts of older ones are removed."""
    if cache_dir is None:
        return
    key = signing_key()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        head, token = _path(cache_dir, out), manifest.token
        body = {name: getattr(manifest, name) for name in ("fingerprint", "spare", *BODY)}
        if key is not None:  # (with no key to sign it, no body: a build with nothing to do still sees so)
            _write(_part(head, token, "body"), lambda f: write_pack(f, body, key, plain=True), binary=True)
        _write(_part(head, token, "listing"), lambda f: f.write("\n".join(manifest.files)))
        data = {"token": token, "inputs": manifest.inputs, "warnings": manifest.warnings, "summary": manifest.summary,
                "steady": manifest.steady, "files": len(manifest.files), "checked": _checked(manifest)}
        _write(head, lambda f: f.write(json.dumps(data)))
        for older in cache_dir.glob(f"{head.stem}.*.*"):  # (parts of earlier manifests: not the head)
            if older.name.split(".")[1] != token:
                older.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not keep the build manifest: %s", exc)


def _write(path: Path, write: Callable[[Any], Any], binary: bool = False) -> None:
    """Write a file of the cache folder atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")) as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

