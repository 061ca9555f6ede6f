"""Scaffold: a new course file with every field of the format, each explained, for `catalogue new`.

The file is generated from `schema.COURSE_FIELDS`, so a field added to the format appears in new files with
its meaning and allowed values. Required fields other than the title are left empty: `check` reports each
of them at its line until the partner fills it in. Optional fields are left empty too, which the validator
accepts.
"""
from __future__ import annotations

import difflib
import json
import logging
import re
import textwrap
import unicodedata
from pathlib import Path

from generator.content.files import ID_RE
from generator.diagnostics import UsageError, display_path
from generator.content.schema import COURSE_FIELDS, FieldSpec, value_words

log = logging.getLogger(__name__)

MAX_SLUG = 80  # file names become addresses; past this they are hard to read and to type
COMMENT_WIDTH = 100

# Letters NFKD does not split into a base letter and an accent, in the partners' languages, and Bulgarian
# Cyrillic (its official transliteration, 2009). A slug library would be a dependency for these few lines.
TRANSLITERATION = str.maketrans({
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe",
    "Œ": "OE", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D", "ı": "i",
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya",
})
# Capital Cyrillic letters are looked up as small ones, so the table above stays one case.
_LOWER_CYRILLIC = {code: chr(code).lower() for code in range(0x410, 0x430)}

# How to write values whose YAML form is not obvious to people who never wrote YAML.
HOW_TO_WRITE = {
    "text_list": "one item per line, each starting with two spaces and '- '",
    "enum_list": "a list in brackets, like [a, b], or one item per line starting with '- '",
    "languages": "for several, a list in brackets, like [en, cs]",
    "date": "without quotes",
}

# What the description below the fields says (the web editor's hint for it, too)
BODY_HINT = ("The course description: who the course is for, what learners do in it and why it is worth taking; "
             "its sessions or modules, schedule and assessment; who teaches it.")
# Starts each paragraph of the description's skeleton: `check` warns where one is left (catalogue.py)
PLACEHOLDER = "Replace this paragraph"
BODY = f"""\
{PLACEHOLDER}: who the course is for, what learners do in it and why it is worth taking.

## Structure

{PLACEHOLDER}: the sessions or modules, the schedule, and how learners are assessed.

## Lecturers

{PLACEHOLDER}: who teaches the course.
"""


def slugify(title: str) -> str:
    """A course id from a title: ASCII letters and digits, lowercase, single hyphens ("Cryo-EM: X" → cryo-em-x)."""
    plain = unicodedata.normalize("NFKD", title.translate(_LOWER_CYRILLIC).translate(TRANSLITERATION))
    ascii_ = plain.encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG + 1].rsplit("-", 1)[0] if "-" in slug[:MAX_SLUG + 1] else slug[:MAX_SLUG]
    return slug


def field_words(spec: FieldSpec, in_yaml: bool = True) -> str:
    """Whether a field is required, what it means and what it takes, in words: the comment above the field in a
    new course file, and (without how to write it in YAML) the hint under it in the web editor's form."""
    if spec.required:
        need = "Required"
    elif spec.warn_if_missing:
        need = "Recommended (a warning when empty)"
    else:
        need = "Optional"
    words = f"{need}. {spec.meaning}. Value: {value_words(spec)}"
    if in_yaml and spec.kind in HOW_TO_WRITE:
        words += f" ({HOW_TO_WRITE[spec.kind]})"
    words += "."
    if in_yaml and spec.example:
        words += f" Example: {spec.name}: {spec.example}"
    return words


def field_comment(spec: FieldSpec) -> list[str]:
    """The comment lines above a field in a new course file (`field_words`, wrapped)."""
    return textwrap.wrap(field_words(spec), COMMENT_WIDTH - 2, initial_indent="# ", subsequent_indent="#   ",
                         break_on_hyphens=False, break_long_words=False)


def course_template(title: str) -> str:
    """A whole course file: every field, required ones first, each under its comment; then a body skeleton."""
    lines = ["---",
             "# Fill in every field marked Required. Leave an optional field empty when it does not apply.",
             "# Put a text in double quotes when it contains a colon and a space (: ) or starts with a sign",
             "# like [ { * & ! # ' \" or @. Every field and allowed value is explained in docs/course-format.md.",
             ""]
    ordered = sorted(COURSE_FIELDS, key=lambda spec: not spec.required)  # stable: the schema's order otherwise
    for spec in ordered:
        lines += field_comment(spec)
        lines.append(f"{spec.name}: {quote(title)}" if spec.name == "title" else f"{spec.name}:")
        lines.append("")
    lines[-1] = "---"
    return "\n".join(lines) + "\n\n" + BODY


def quote(text: str) -> str:
    """Text as a YAML double-quoted scalar: a JSON string is one, whatever colons, quotes or # it holds."""
    return json.dumps(text, ensure_ascii=False)


def known_institutions(source: Path) -> list[str]:
    """The ids of the institutions in content/institutions/, sorted."""
    folder = source / "content" / "institutions"
    if not (source / "content").is_dir():
        raise UsageError(f"no content/ folder in {display_path(source)}: is --source the site folder?")
    return sorted(p.stem for p in folder.glob("*.yaml") if ID_RE.match(p.stem)) if folder.is_dir() else []


def course_path(source: Path, institution_id: str, title: str) -> Path:
    """Where the new course goes; raises UsageError for an unknown institution, a bad title or a taken id."""
    known = known_institutions(source)
    if institution_id not in known:
        close = difflib.get_close_matches(institution_id, known, n=1)
        guess = f" Did you mean '{close[0]}'?" if close else ""
        raise UsageError(f"there is no institution '{institution_id}': content/institutions/{institution_id}.yaml "
                         f"does not exist.{guess} Known institutions: {', '.join(known) or 'none yet'}")
    spec = next(s for s in COURSE_FIELDS if s.name == "title")
    if spec.max_length and len(title) > spec.max_length:
        raise UsageError(f"the title is {len(title)} characters long; at most {spec.max_length} are allowed")
    slug = slugify(title)
    if not slug:
        raise UsageError(f"the title '{title}' has no letters or digits to make a file name from: "
                         "write a title with letters (a-z) or digits")
    path = source / "content" / "courses" / institution_id / f"{slug}.md"
    taken = {p.stem.casefold(): p for p in path.parent.glob("*.md")} if path.parent.is_dir() else {}
    if slug in taken:
        raise UsageError(f"{display_path(taken[slug])} already exists: edit that file, or choose another title")
    return path


def create_course(source: Path, institution_id: str, title: str) -> Path:
    """Write a new course file for the institution from the template; returns its path."""
    title = " ".join(title.split())
    path = course_path(source, institution_id, title)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as f:  # "x": never overwrite a course
            f.write(course_template(title))
    except FileExistsError:
        raise UsageError(f"{display_path(path)} already exists: edit that file, or choose another title") from None
    log.debug("wrote %s", path)
    return path
