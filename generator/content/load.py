"""Loading a site: config → discover → parse → media (the files beside courses) → validate → index. `check` is this
line and nothing more, so the pull-request check and the build can never disagree."""
from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from generator.content.catalogue import Catalogue, attach_media, cross_check, index, parse_all
from generator.content.config import load_config, unused_topic_names
from generator.content.files import discover
from generator.content.pages import parse_pages
from generator.content.timeline import build_date, date_warnings
from generator.diagnostics import ContentError, Diagnostic, has_errors
from generator.engine.cache import ParseCache


@dataclass
class Timings:
    """Seconds spent in each stage, in order."""

    stages: dict[str, float] = field(default_factory=dict)
    on_stage: Callable[[str], None] | None = None  # told as each stage starts (the terminal's progress line)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.on_stage:
            self.on_stage(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = time.perf_counter() - start

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.stages.items())


def load(source: Path, base_url: str | None = None, timings: Timings | None = None,
         cache: ParseCache | None = None, today: dt.date | None = None) -> tuple[Catalogue, list[Diagnostic]]:
    """Every stage up to rendering; the catalogue, its courses as they stand on `today` (the build date: see
    `timeline.build_date`), and its warnings. Raises ContentError with every diagnostic when any of them is
    an error."""
    timings = timings or Timings()
    today = build_date(today)
    with timings.stage("config"):
        config, diags = load_config(source, base_url)
    with timings.stage("discover"):
        found = discover(source)
    with timings.stage("parse"):
        institutions, courses, problems = parse_all(found, cache)
        pages, page_problems = parse_pages(found, config.languages if config else None)
    with timings.stage("media"):
        reread: dict = {}  # the course files that did not parse, read again once for the checks below
        courses, media_problems = attach_media(found, courses, cache, reread)
        problems += media_problems
    with timings.stage("validate"):
        diags += problems + page_problems + cross_check(found, institutions, courses,
                                                        config.languages if config else None, reread)
        diags += date_warnings(courses, today)
        if config is not None and config.translations:
            diags += unused_topic_names(config, {topic for course in courses for topic in course.topics})
    if config is None or has_errors(diags):
        raise ContentError(diags)
    with timings.stage("index"):
        catalogue = index(config, institutions, courses, today, pages)
    return catalogue, sorted(diags)


def check(source: Path, base_url: str | None = None, today: dt.date | None = None) -> list[Diagnostic]:
    """Every problem in the site's content (on the build date), without rendering anything."""
    try:
        return load(source, base_url, today=today)[1]
    except ContentError as exc:
        return exc.diagnostics
