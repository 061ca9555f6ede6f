"""Cache: parsed courses kept between builds, keyed by everything that could change them.

An entry's key is a hash of the file's bytes, its path as shown in diagnostics and the generator's own
code, so a stale entry can never be used: change any of them and the key changes. Entries are written to
a temporary name and renamed into place, so a killed build leaves whole entries or none; an entry that
cannot be read is ignored and rebuilt.
"""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CACHE_DIR = ".catalogue-cache"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the generator's own code and data: a new version of any of it invalidates every cache."""
    from . import __version__
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json") and p.is_file()):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def digest(*parts: bytes | str) -> str:
    """A short, stable hash of some bytes and strings."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


class ParseCache:
    """Parsed course files (or other per-course results) on disk, under SOURCE/.catalogue-cache/<name>/.

    With no folder it keeps nothing: every lookup misses.
    """

    def __init__(self, folder: Path | None, name: str = "parsed") -> None:
        self.folder = folder / name if folder else None
        if self.folder:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a read-only checkout still builds, just without the cache
                log.warning("cache disabled: %s", exc)
                self.folder = None
        self.hits = 0
        self.used: set[str] = set()

    def key(self, display: str, data: bytes) -> str:
        return digest(code_fingerprint(), display, data)

    def get(self, key: str) -> Any | None:
        if not self.folder:
            return None
        self.used.add(key)
        try:
            with open(self.folder / key, "rb") as f:
                value = pickle.load(f)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 — a damaged entry is rebuilt, never trusted
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if not self.folder:
            return
        self.used.add(key)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / key)
        except OSError as exc:
            log.debug("could not cache %s: %s", key, exc)

    def prune(self) -> None:
        """Forget the entries this build did not use (old versions of edited courses), so the cache stays small."""
        if not self.folder:
            return
        for path in self.folder.iterdir():
            if path.name not in self.used:
                path.unlink(missing_ok=True)
