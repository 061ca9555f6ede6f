"""The build, as a straight line of stages; `check` is the same line stopped before rendering."""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .catalogue import Catalogue, cross_check, index, parse_all
from .config import load_config
from .content import discover
from .diagnostics import ContentError, Diagnostic, has_errors
from .output import check_destination, discard, publish, stage
from .search import build_index
from .render import load_theme, render

log = logging.getLogger(__name__)


@dataclass
class Timings:
    """Seconds spent in each stage, in order."""

    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = time.perf_counter() - start

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.stages.items())


@dataclass(frozen=True)
class BuildResult:
    """What a build produced: the catalogue, its warnings, how many files, and how long each stage took."""

    catalogue: Catalogue
    diagnostics: tuple[Diagnostic, ...]
    files: int
    timings: Timings


def load(source: Path, base_url: str | None = None, timings: Timings | None = None) -> tuple[Catalogue, list[Diagnostic]]:
    """Every stage up to rendering: config, discovery, parsing, validation, cross-file checks, indexing.

    Raises ContentError with every diagnostic when any of them is an error.
    """
    timings = timings or Timings()
    with timings.stage("config"):
        config, diags = load_config(source, base_url)
    with timings.stage("discover"):
        found = discover(source)
    with timings.stage("parse"):
        institutions, courses, problems = parse_all(found)
    with timings.stage("validate"):
        diags += problems + cross_check(found, institutions, courses)
    if config is None or has_errors(diags):
        raise ContentError(diags)
    with timings.stage("index"):
        catalogue = index(config, institutions, courses)
    return catalogue, sorted(diags)


def check(source: Path, base_url: str | None = None) -> list[Diagnostic]:
    """Every problem in the site's content, without rendering anything."""
    try:
        return load(source, base_url)[1]
    except ContentError as exc:
        return exc.diagnostics


def build(source: Path, out: Path, base_url: str | None = None, strict: bool = False) -> BuildResult:
    """Check, render and write the whole site; on any error (or warning, when strict), raise before touching `out`."""
    timings = Timings()
    check_destination(out, source)
    catalogue, diags = load(source, base_url, timings)
    if strict and diags:
        raise ContentError(diags)
    with timings.stage("render"):
        files = render(catalogue, load_theme(catalogue.config))
    with timings.stage("write"):
        staging = stage(out, files)
    try:
        with timings.stage("search"):
            build_index(staging, catalogue.config)
        publish(staging, out)
    except BaseException:
        discard(staging)
        raise
    return BuildResult(catalogue, tuple(diags), len(files), timings)
