"""Reference: keep the field tables in the docs generated from the schema (`python -m generator.content.reference`).

Each table sits between `<!-- generated: NAME -->` and `<!-- end: NAME -->` in a Markdown file; the test
suite fails when a table is out of date, so the guide and the validator never disagree.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from generator.content import schema
from generator.content.scaffold import course_template

TABLES = {
    "course-fields": lambda: schema.reference_table(schema.COURSE_FIELDS),
    "course-values": lambda: schema.choices_table(schema.COURSE_FIELDS),
    "translation-fields": lambda: schema.reference_table(schema.TRANSLATION_FIELDS),
    "institution-fields": lambda: schema.reference_table(schema.INSTITUTION_FIELDS),
    "site-fields": lambda: schema.reference_table(schema.SITE_FIELDS),
    "page-fields": lambda: schema.reference_table(schema.PAGE_FIELDS),
    "page-translation-fields": lambda: schema.reference_table(schema.PAGE_TRANSLATION_FIELDS),
    "course-template": lambda: f"```markdown\n{course_template('Your course title')}```\n",
}
ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"(<!-- generated: (?P<name>[\w-]+) -->\n).*?(<!-- end: (?P=name) -->)", re.S)


def refresh(text: str) -> str:
    """The text with every generated block replaced by its current table."""
    return _BLOCK.sub(lambda m: m.group(1) + TABLES[m.group("name")]() + m.group(3), text)


def documents() -> list[Path]:
    """Every Markdown file with generated parts: the docs and the partners' guide."""
    return sorted(DOCS.glob("*.md")) + [ROOT / "CONTRIBUTING.md"]


def main() -> int:
    """Rewrite the generated parts of the docs."""
    for path in documents():
        text = path.read_text(encoding="utf-8")
        new = refresh(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path.name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
