"""Fingerprints: the one way to say what something is made from, so that unchanged inputs mean unchanged output."""
from __future__ import annotations

import dataclasses
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any


def fingerprint(*parts: bytes | str) -> str:
    """A short, stable hash of some bytes and strings (each part length-prefixed, so parts never run together)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the generator's own code and data: a new version of any of it invalidates every cache."""
    from generator import __version__
    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".json", ".js") and p.is_file()):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def basis(config: Any, theme_digest: str) -> str:
    """What every file of a site is made from besides its content: the code, the theme and the settings."""
    return fingerprint(code_version(), theme_digest, repr(dataclasses.replace(config, source=Path("."))))
