"""The docs speak of the format the validator enforces: their tables are generated from the schema."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.content import reference
from generator.content import schema

DOCS = reference.documents()


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_generated_tables_are_current(path: Path):
    text = path.read_text(encoding="utf-8")
    assert reference.refresh(text) == text, f"run `python -m generator.content.reference` to update {path.name}"


def test_the_guide_documents_every_field_and_value():
    guide = (reference.DOCS / "course-format.md").read_text(encoding="utf-8")
    for spec in schema.COURSE_FIELDS + schema.INSTITUTION_FIELDS:
        assert f"| `{spec.name}` | {'yes' if spec.required else 'no'}" in guide, spec.name
        for choice in spec.choices:
            assert f"- `{choice.value}`: {choice.label}" in guide, (spec.name, choice.value)


def test_readme_gives_the_two_commands_ci_runs():
    root = reference.DOCS.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "make build" in readme and "make test" in readme
    assert "make test" in (root / ".ci/run").read_text()
    assert "make build" in (root / "netlify.toml").read_text()
