"""Manifest: what the last build wrote, so the next one re-renders, rewrites and re-indexes only what changed.

It lives in the site's cache folder, one per output folder, and names the output by a token written into
the output's marker file: if the output was replaced, removed or half-written since, the tokens differ and
the next build starts from nothing, as a cold build would.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path

from generator.fingerprint import fingerprint
from generator.engine.output import marker_token, unchanged

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
        return fingerprint(json.dumps([self.fingerprint, self.files, self.keys, self.indexed], sort_keys=True))


def _path(cache_dir: Path, out: Path) -> Path:
    return cache_dir / f"manifest-{fingerprint(str(out.resolve()))[:16]}.json"


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


def read_manifest(cache_dir: Path | None, out: Path) -> Manifest | None:
    """The manifest of the build now in `out`, or None when there is none that can be trusted."""
    if cache_dir is None:
        return None
    try:
        data = json.loads(_path(cache_dir, out).read_text(encoding="utf-8"))
        token = data.pop("token", None)
        manifest = Manifest(**data)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if isinstance(token, str):  # as written with it (working it out again reads every entry)
        manifest.__dict__["token"] = token
    return manifest if marker_token(out) == manifest.token else None


def write_manifest(cache_dir: Path | None, out: Path, manifest: Manifest) -> None:
    """Keep the manifest for the next build (atomically: a killed build leaves the old one or the new one)."""
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".tmp-")
        # a shallow dict and one write: dataclasses.asdict deep-copies tens of thousands of entries
        text = json.dumps({"token": manifest.token, **{f.name: getattr(manifest, f.name) for f in fields(manifest)}},
                          sort_keys=True)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, _path(cache_dir, out))
    except OSError as exc:
        log.warning("could not keep the build manifest: %s", exc)
