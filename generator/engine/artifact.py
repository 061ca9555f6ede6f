"""Artifacts: every file of the site as data (where it goes, what it is made from, how to make it), and the
engine's `make`, which makes those whose key changed and reuses the rest, for builds and the preview alike."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Protocol, Sequence

from generator.diagnostics import ContentError, Diagnostic
from generator.fast.parallel import PARALLEL_FROM, run_all

Content = bytes | Sequence[bytes]  # a file's bytes, or pieces written one after the other (never joined)


class Artifact(NamedTuple):
    """One file of the site.

    `key` fingerprints everything the file is made from ("" when it is never reused: it is made every time
    and its bytes compared); `needs` is work to do once, in this process, before any artifact that names it
    is made (per-course pieces of a catalogue-wide file); `indexed` marks the pages the search index holds.
    (A named tuple: a large site plans tens of thousands of them on every build and every preview refresh.)
    """

    path: str
    make: Callable[[], Content]
    key: str | Callable[[], str] = ""
    needs: Callable[[], Any] | None = None
    indexed: bool = False

    def made_from(self) -> str:
        return self.key() if callable(self.key) else self.key


class Sink(Protocol):
    """Where made files go: `put` stores one and says (its content hash, whether it was linked unchanged)."""

    shared: bool  # True when it writes to the file system, so that forked processes may put files into it

    def put(self, path: str, data: Content) -> tuple[str, bool]: ...


@dataclass(frozen=True)
class Made:
    """What `make` did: each file made (its hash, and whether the sink linked it), the keys of the keyed
    artifacts, and the artifacts not made because their key was unchanged."""

    put: dict[str, tuple[str, bool]]
    keys: dict[str, str]
    reused: frozenset[str]

    @property
    def hashes(self) -> dict[str, str]:
        return {path: result[0] for path, result in self.put.items()}

    @property
    def linked(self) -> set[str]:
        return {path for path, (_, was_linked) in self.put.items() if was_linked}

    def joined(self, other: Made) -> Made:
        return Made({**self.put, **other.put}, {**self.keys, **other.keys}, self.reused | other.reused)


@dataclass(frozen=True)
class _Failed:
    """A job whose file could not be made for reasons the site's author can fix (a template error, say)."""

    diagnostics: tuple[Diagnostic, ...] = field(default=())


class Work(NamedTuple):
    """What `make` has to do: the artifacts to make (key changed, or none), the keyed artifacts' keys, and the
    artifacts not made again."""

    todo: list[Artifact]
    keys: dict[str, str]
    reused: frozenset[str]

    def split(self, first: Callable[[Artifact], bool]) -> tuple[Work, Work]:
        """The artifacts to make for which `first` holds, and the rest of the work."""
        return (Work([a for a in self.todo if first(a)], {}, frozenset()),
                Work([a for a in self.todo if not first(a)], self.keys, self.reused))


def to_make(artifacts: Iterable[Artifact], previous: Mapping[str, str]) -> Work:
    """The artifacts whose key is not the one in `previous` (or that have none), for `make_work`."""
    keys: dict[str, str] = {}
    reused: set[str] = set()
    todo: list[Artifact] = []
    for artifact in artifacts:
        key = artifact.made_from()
        if key:
            keys[artifact.path] = key
            if previous.get(artifact.path) == key:
                reused.add(artifact.path)
                continue
        todo.append(artifact)
    return Work(todo, keys, frozenset(reused))


def make(artifacts: Iterable[Artifact], previous: Mapping[str, str], sink: Sink) -> Made:
    """Make every artifact whose key is not the one in `previous` into `sink`; many at once are shared out
    between processes. Raises ContentError with every problem of every file that could not be made."""
    return make_work(to_make(artifacts, previous), sink)


def make_work(work: Work, sink: Sink) -> Made:
    """`make`, once what to make is known (`to_make`)."""
    todo = work.todo
    for needed in dict.fromkeys(a.needs for a in todo if a.needs):  # once each, in order, before any forking
        needed()
    jobs = [functools.partial(_make_one, artifact, sink) for artifact in todo]
    results = run_all(jobs) if sink.shared and len(jobs) >= PARALLEL_FROM else [job() for job in jobs]
    problems: dict[tuple, Diagnostic] = {}
    put: dict[str, tuple[str, bool]] = {}
    for artifact, result in zip(todo, results):
        if isinstance(result, _Failed):
            problems.update(((d.path, d.line, d.message), d) for d in result.diagnostics)
        else:
            put[artifact.path] = result
    if problems:
        raise ContentError(problems.values())
    return Made(put, work.keys, work.reused)


def _make_one(artifact: Artifact, sink: Sink) -> tuple[str, bool] | _Failed:
    try:
        data = artifact.make()
    except ContentError as exc:
        return _Failed(tuple(exc.diagnostics))
    return sink.put(artifact.path, data)
