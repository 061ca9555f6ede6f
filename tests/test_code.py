"""The code itself: no name used that is not defined, none imported or set and left unused (pyflakes)."""
from __future__ import annotations

from pathlib import Path

from pyflakes import api, messages
from pyflakes.reporter import Reporter

ROOT = Path(__file__).resolve().parent.parent

# in tests, a fixture imported from another test module is used by name only (pytest passes it): not flagged
FIXTURE_KINDS = (messages.UnusedImport, messages.RedefinedWhileUnused)


class Found(Reporter):
    """Keeps what pyflakes says instead of printing it."""

    def __init__(self) -> None:
        self.said: list = []

    def flake(self, message) -> None:  # noqa: ANN001
        self.said.append(message)

    def syntaxError(self, filename, msg, lineno, offset, text) -> None:  # noqa: ANN001, N802
        self.said.append(f"{filename}:{lineno}: {msg}")

    def unexpectedError(self, filename, msg) -> None:  # noqa: ANN001, N802
        self.said.append(f"{filename}: {msg}")


def flakes(folder: str) -> list:
    found = Found()
    for path in sorted((ROOT / folder).rglob("*.py")):
        api.checkPath(str(path), found)
    return found.said


def test_the_generator_has_no_undefined_or_unused_names():
    assert [str(m) for m in flakes("generator")] == []


def test_the_tests_use_no_undefined_name():
    said = [m for m in flakes("tests") if not isinstance(m, FIXTURE_KINDS)]
    assert [str(m) for m in said] == []


def test_an_undefined_name_is_found(tmp_path):
    (tmp_path / "broken.py").write_text("import os\n\ndef f():\n    return missing\n")
    found = Found()
    api.checkPath(str(tmp_path / "broken.py"), found)
    assert sorted(type(m).__name__ for m in found.said) == ["UndefinedName", "UnusedImport"]
