"""Diagnostics: every problem the catalogue finds, with the place it was found, and the writers that report them."""
from __future__ import annotations

import errno
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol, TextIO

log = logging.getLogger(__name__)

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem at one place: a file, a 1-based line and column (0 when unknown)."""

    path: str
    line: int = 0
    col: int = 0
    severity: str = ERROR
    message: str = ""
    hint: str = ""
    code: str = field(default="", compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def location(self) -> str:
        """`path:line:col`, leaving out the parts that are unknown."""
        parts = [self.path]
        if self.line:
            parts.append(str(self.line))
            if self.col:
                parts.append(str(self.col))
        return ":".join(parts)

    def text(self) -> str:
        """The one-line human form: `path:line:col: error: message (hint)`."""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.location()}: {self.severity}: {self.message}{hint}"


class ContentError(Exception):
    """Raised by a stage when the content has errors; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        super().__init__(f"{sum(d.is_error for d in self.diagnostics)} error(s)")


class UsageError(Exception):
    """A problem with how the command was called (exit code 2), not with the content."""


def system_problem(exc: OSError) -> str:
    """What the machine refused (a full disk, a file gone, a folder not writable) and what to do, in one line."""
    where = display_path(Path(exc.filename)) if exc.filename else "a file"
    code = exc.errno
    if code == errno.ENOSPC:
        return f"the disk is full: {where} could not be written; free some space and build again"
    if code == getattr(errno, "EDQUOT", None):
        return f"the disk quota is used up: {where} could not be written; free some space and build again"
    if code == errno.ENOENT:
        return f"a file went away while the catalogue was read or written: {where}; build again"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied: {where}; check who may write there, or choose another folder"
    if code == errno.EROFS:
        return f"the file system is read-only: {where} could not be written; choose another folder"
    if code in (errno.EMFILE, errno.ENFILE):
        return "too many files are open: close some programs (or raise the limit, ulimit -n) and build again"
    return f"{(exc.strerror or str(exc)).lower()}: {where}"


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """True when any diagnostic is an error."""
    return any(d.is_error for d in diagnostics)


def shortened(text: str, limit: int = 40) -> str:
    """A text quoted in a message, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as partners see it: relative to the working directory when inside it, with forward slashes."""
    path = Path(path)
    for base in (Path.cwd(), root):
        if base is None:
            continue
        try:
            return path.resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


class Reporter(Protocol):
    """Where diagnostics go: the terminal, GitHub annotations, JSON, or a list in tests."""

    def report(self, diagnostics: Iterable[Diagnostic]) -> None: ...


class TextReporter:
    """Plain lines for a terminal, followed by a one-line count."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def report(self, diagnostics: Iterable[Diagnostic]) -> None:
        diagnostics = sorted(diagnostics)
        for d in diagnostics:
            print(d.text(), file=self.stream)
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        if diagnostics:
            print(f"{_count(errors, 'error')}, {_count(warnings, 'warning')}", file=self.stream)


class GithubReporter:
    """GitHub Actions workflow commands, so each problem shows on the pull request's diff at its line."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def report(self, diagnostics: Iterable[Diagnostic]) -> None:
        for d in sorted(diagnostics):
            props = [f"file={_gh_prop(d.path)}"]
            if d.line:
                props.append(f"line={d.line}")
            if d.col:
                props.append(f"col={d.col}")
            props.append(f"title={_gh_prop(d.code or 'catalogue check')}")
            message = d.message + (f" ({d.hint})" if d.hint else "")
            print(f"::{d.severity} {','.join(props)}::{_gh_data(message)}", file=self.stream)


class JsonReporter:
    """A JSON list of diagnostics, for tools."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def report(self, diagnostics: Iterable[Diagnostic]) -> None:
        rows = [
            {"path": d.path, "line": d.line, "column": d.col, "severity": d.severity,
             "message": d.message, "hint": d.hint, "code": d.code}
            for d in sorted(diagnostics)
        ]
        json.dump(rows, self.stream, ensure_ascii=False, indent=2)
        print(file=self.stream)


class RecordingReporter:
    """Keeps what it is given, for tests."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def report(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics.extend(sorted(diagnostics))


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(s: str) -> str:
    return _gh_data(s).replace(":", "%3A").replace(",", "%2C")
