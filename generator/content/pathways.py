"""Pathways: stackable courses grouped by the award they stack towards, and the check that finds two spellings
of one award.

A course with `stackability: stackable` and `stackable_towards` belongs to the pathway of that award. Partners
write the award by hand, so it is compared in a normal form (`award_key`): letters without accents, case,
spaces and punctuation do not count. Two forms that still look alike ("…Drug Discovery and Development" and
"…Drug Discovery & Development Certificate") are most likely one award: `check` warns, with a did-you-mean.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from generator.content.model import Course
from generator.content.scaffold import _LOWER_CYRILLIC, MAX_SLUG, TRANSLITERATION
from generator.diagnostics import WARNING, Diagnostic, shortened

SIMILAR = 0.9  # difflib's ratio from which two award keys look like one award
# words that do not tell awards apart ("Certificate in X" and "Certificate of X"), in the languages partners
# write their awards in most
SMALL_WORDS = frozenset("a an and at for in of on the to".split())
COMMON = 50  # a word in more award keys than this is not used to find look-alikes (it would pair them all)


@dataclass(frozen=True)
class Pathway:
    """The listed courses that stack towards one award, in order of their start dates (undated last)."""

    slug: str
    award: str                    # the spelling most of its courses use
    lang: str                     # the language of that spelling (its first course's)
    courses: tuple[Course, ...]

    @property
    def url(self) -> str:
        return f"pathways/{self.slug}/"

    @property
    def credits(self) -> float:
        return sum(course.credits for course in self.courses)

    @property
    def span(self) -> tuple[dt.date | None, dt.date | None]:
        """From the first start date to the last day of its dated courses (None, None without dates)."""
        dated = [c for c in self.courses if c.start_date]
        if not dated:
            return None, None
        return dated[0].start_date, max(c.end_date or c.start_date for c in dated)  # type: ignore[type-var]


def award_key(text: str) -> str:
    """An award as compared: ASCII letters and digits, lowercase, words joined by hyphens (an award in a script
    with no such letters: its words, casefolded, with a hash of them)."""
    plain = unicodedata.normalize("NFKD", text.translate(_LOWER_CYRILLIC).translate(TRANSLITERATION))
    key = re.sub(r"[^a-z0-9]+", "-", plain.encode("ascii", "ignore").decode().lower()).strip("-")
    if key:
        return key
    words = " ".join(text.casefold().split())
    return "award-" + hashlib.blake2b(words.encode(), digest_size=4).hexdigest() if words else ""


def pathway_slug(text: str) -> str:
    """Where an award's pathway page is (`pathways/<slug>/`): its key, shortened with a hash past MAX_SLUG
    characters, so that the address depends on the award alone."""
    key = award_key(text) or "award"
    if len(key) <= MAX_SLUG:
        return key
    digest = hashlib.blake2b(key.encode(), digest_size=4).hexdigest()
    return key[:MAX_SLUG - 9].rstrip("-") + "-" + digest


def stacks(course: Course) -> bool:
    """Whether a course belongs to a pathway."""
    return course.stackability == "stackable" and bool(course.stackable_towards) and course.listed


def pathway_of(course: Course) -> str | None:
    """The slug of a course's pathway, or None (from the course alone: its page can link it)."""
    return pathway_slug(course.stackable_towards or "") if stacks(course) else None


def pathways(courses: Iterable[Course]) -> tuple[Pathway, ...]:
    """Every pathway of the listed stackable courses, by slug."""
    groups: dict[str, list[Course]] = defaultdict(list)
    for course in courses:
        slug = pathway_of(course)
        if slug:
            groups[slug].append(course)
    found = []
    for slug, members in sorted(groups.items()):
        spellings: dict[str, list[Course]] = defaultdict(list)
        for course in members:
            spellings[" ".join((course.stackable_towards or "").split())].append(course)
        award, users = min(spellings.items(), key=lambda item: (-len(item[1]), item[0]))
        ordered = tuple(sorted(members, key=lambda c: (c.start_date is None, c.start_date or 0, c.id)))
        found.append(Pathway(slug, award, min(users, key=lambda c: c.id).body_lang, ordered))
    return tuple(found)


def spelling_problems(courses: Sequence[Course]) -> list[Diagnostic]:
    """A warning on each course whose award looks like another spelling of an award that as many courses or more
    name: it is told once, with the most used look-alike as its did-you-mean (both are told when as many courses
    use each)."""
    groups: dict[str, list[Course]] = defaultdict(list)
    for course in courses:
        if course.stackability == "stackable" and course.stackable_towards:
            groups[award_key(course.stackable_towards)].append(course)
    alike: dict[str, list[str]] = defaultdict(list)
    for key, other in _look_alikes(sorted(groups)):
        if len(groups[other]) >= len(groups[key]):
            alike[key].append(other)
    diags: list[Diagnostic] = []
    for key, others in sorted(alike.items()):
        best = min(others, key=lambda other: (-len(groups[other]), other))
        theirs = groups[best]
        example = min(theirs, key=lambda c: c.source)
        said = shortened(" ".join((example.stackable_towards or "").split()), 80)
        count = f"{len(theirs)} other course stacks" if len(theirs) == 1 else f"{len(theirs)} other courses stack"
        for course in groups[key]:
            line, col = dict((name, (line, col)) for name, line, col in course.places).get("stackable_towards", (0, 0))
            diags.append(Diagnostic(
                course.source, line, col, WARNING, code="award-spelling",
                message=f"'stackable_towards' looks like another spelling of '{said}', the award {count} towards "
                        f"(as in {example.source})",
                hint="did you mean that? Courses form one pathway only when they name their award the same way; "
                     "if it is another award, ignore this"))
    return diags


def _look_alikes(keys: list[str]) -> Iterable[tuple[str, str]]:
    """Each (key, other) of two award keys that look like one award, both ways round."""
    words = {key: frozenset(key.split("-")) - SMALL_WORDS for key in keys}
    having: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        for word in words[key]:
            having[word].append(key)
    for key in keys:
        # only keys that share a word that is not in every award are compared (keeps a large catalogue quick)
        candidates = sorted({other for word in words[key] if len(having[word]) <= COMMON
                             for other in having[word] if other != key})
        for other in candidates:
            if words[key] == words[other] or difflib.SequenceMatcher(None, key, other).ratio() >= SIMILAR:
                yield key, other
