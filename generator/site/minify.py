"""The theme's CSS and JavaScript, minified by esbuild with a source map each: once per theme file and esbuild
version, kept in the user's cache folder between builds (the same bytes from the same input).

esbuild comes from npm (`tools/package.json`, installed by `make build`); `CATALOGUE_ESBUILD` names another.
Without it the files are published as they are, and the build says so once.
"""
from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import NamedTuple

from generator.engine.cache import user_cache
from generator.fingerprint import fingerprint

log = logging.getLogger(__name__)

TOOLS = Path(__file__).resolve().parent.parent.parent / "tools"
LOADERS = {".css": "css", ".js": "js"}
TARGET = "es2020,chrome90,firefox90,safari14"  # what the theme's script and CSS are written for


class Minified(NamedTuple):
    """A minified file without its source-map comment, and its source map (JSON)."""

    code: bytes
    source_map: bytes


def minifiable(name: str) -> bool:
    return Path(name).suffix in LOADERS


@functools.lru_cache(maxsize=1)
def esbuild() -> tuple[str, str] | None:
    """esbuild's program and version, or None where it is not installed."""
    for candidate in (os.environ.get("CATALOGUE_ESBUILD"), str(TOOLS / "node_modules" / ".bin" / "esbuild"),
                      shutil.which("esbuild")):
        if candidate and Path(candidate).is_file():
            try:
                version = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=30,
                                         check=True).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                continue
            return candidate, version
    log.warning("esbuild is not installed (make build installs it): the theme's CSS and JavaScript are "
                "published unminified")
    return None


def minifier_version() -> str:
    """What the theme's published files depend on besides its own: esbuild's version, or that there is none."""
    found = esbuild()
    return f"esbuild {found[1]}" if found else "unminified"


def minify(name: str, data: bytes) -> Minified | None:
    """`data` of the theme's file `name` (`css/site.css`) minified, with a map whose source is `name` (its text
    inside); None without esbuild."""
    found = esbuild()
    if found is None:
        return None
    key = fingerprint(found[1], name, data)
    kept = _kept(key)
    if kept is not None:
        return kept
    made = _run(found[0], name, data)
    _keep(key, made)
    return made


def _run(program: str, name: str, data: bytes) -> Minified:
    with tempfile.TemporaryDirectory(prefix="catalogue-minify-") as work:
        source, out = Path(work) / "src" / name, Path(work) / "out" / Path(name).name
        source.parent.mkdir(parents=True)
        source.write_bytes(data)
        subprocess.run([program, str(source), f"--outfile={out}", "--minify", "--sourcemap=external",
                        "--sources-content=true", "--legal-comments=none", "--charset=utf8", f"--target={TARGET}",
                        f"--loader:{Path(name).suffix}={LOADERS[Path(name).suffix]}", "--log-level=error"],
                       check=True, capture_output=True, timeout=120)
        source_map = json.loads(Path(f"{out}.map").read_text(encoding="utf-8"))
        code = out.read_bytes()
    source_map["sources"] = [Path(name).name]   # beside it, as the theme names it; its text is in sourcesContent
    code = code.rstrip()
    comment = code.rfind(b"\n")
    if b"sourceMappingURL=" in code[comment + 1:]:
        code = code[:comment + 1]          # esbuild's own comment names the unhashed file: the theme adds its own
    return Minified(code, json.dumps(source_map, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _folder() -> Path | None:
    folder = user_cache() / "minified"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o022:
            return None  # someone else could write what the site would publish
    except (OSError, AttributeError):
        return None
    return folder


def _kept(key: str) -> Minified | None:
    folder = _folder()
    try:
        return Minified((folder / f"{key}.min").read_bytes(), (folder / f"{key}.map").read_bytes()) if folder else None
    except OSError:
        return None


def _keep(key: str, made: Minified) -> None:
    folder = _folder()
    if folder is None:
        return
    try:
        for suffix, data in ((".map", made.source_map), (".min", made.code)):  # .min last: it marks the pair kept
            with tempfile.NamedTemporaryFile(dir=folder, delete=False) as part:
                part.write(data)
            os.replace(part.name, folder / f"{key}{suffix}")
    except OSError:
        pass  # (made again next time)
