"""Output: write the site next to the old one, then swap it in, so a failed or killed build loses nothing."""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from .diagnostics import UsageError, display_path

log = logging.getLogger(__name__)

MARKER = ".catalogue-output"  # marks a folder this tool wrote, so it never replaces anything else


def check_destination(out: Path, source: Path) -> None:
    """Refuse to replace a folder that is not a previous build (or that holds the content)."""
    out = out.resolve()
    src = source.resolve()
    if out == src or src.is_relative_to(out) or (src / "content").resolve().is_relative_to(out):
        raise UsageError(f"--out {display_path(out)} would replace the site's own files; choose another folder")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise UsageError(f"{display_path(out)} exists and was not written by this tool: remove it or choose "
                         "another --out")


def recover(out: Path) -> None:
    """Finish a swap that a killed build left half done: the previous output comes back."""
    if not out.exists():
        old = sorted(out.parent.glob(f".{out.name}.old-*"))
        if old:
            os.replace(old[-1], out)
            log.info("restored the previous output after an interrupted build")
    for leftover in out.parent.glob(f".{out.name}.*-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_site(out: Path, files: dict[str, bytes]) -> int:
    """Write every file into a fresh folder beside `out`, then put it in place of `out`. Returns the count."""
    staging = stage(out, files)
    try:
        publish(staging, out)
    except BaseException:
        discard(staging)
        raise
    return len(files)


def stage(out: Path, files: dict[str, bytes]) -> Path:
    """Write every file into a new folder beside `out` (same file system, so publishing is a rename)."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for rel, data in sorted(files.items()):
            target = staging / _safe_relative(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MARKER).write_text("Written by the catalogue generator; replaced on every build.\n")
        os.chmod(staging, 0o755)
    except BaseException:
        discard(staging)
        raise
    return staging


def publish(staging: Path, out: Path) -> None:
    """Put a complete staged site in place of `out`."""
    _swap(staging, out.resolve())


def discard(staging: Path) -> None:
    """Remove a staged site that will not be published."""
    shutil.rmtree(staging, ignore_errors=True)


def _safe_relative(rel: str) -> Path:
    """A site path as a relative path that cannot leave the output folder."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"refusing to write outside the output folder: {rel!r}")
    return Path(*parts)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.replace(staging, out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(out, old)        # a build killed between these two renames is undone by recover()
    os.replace(staging, out)
    shutil.rmtree(old, ignore_errors=True)
