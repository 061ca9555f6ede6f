"""JSON Schema of a course's front matter, derived from `schema.COURSE_FIELDS`, for editors and other tools.

Editors with a YAML language server use it to complete field names and allowed values and to underline
mistakes while a partner types. It says what the validator says where JSON Schema can (types, allowed
values, ranges, lengths, patterns); rules between fields and checks against lists of real codes (languages,
currencies, ISCED-F fields) stay with `catalogue check`, which remains the authority.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import yaml

from generator.content.schema import COURSE_FIELDS, MAX_LIST, MAX_TEXT, FieldSpec
from generator.content.schema import value_words

DRAFT = "https://json-schema.org/draft/2020-12/schema"
NON_BLANK = r"\S"  # the validator strips text: a value of only spaces is empty


def _text(spec: FieldSpec) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": spec.max_length or MAX_TEXT, "pattern": NON_BLANK}


def _number(spec: FieldSpec, kind: str = "number") -> dict[str, Any]:
    out: dict[str, Any] = {"type": kind}
    if spec.minimum is not None:
        out["minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum
    if spec.step:
        out["multipleOf"] = spec.step
    if spec.choices:
        out["enum"] = [c.value for c in spec.choices]
    return out


def _choice(spec: FieldSpec) -> dict[str, Any]:
    values = [c.value for c in spec.choices]
    return {"type": "integer" if all(isinstance(v, int) for v in values) else "string", "enum": values}


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_LIST, "uniqueItems": True}


def _one_or_list(item: dict[str, Any]) -> dict[str, Any]:
    """One value, or a list of them: the validator takes `language: en` and `language: [en, cs]` alike."""
    return {"anyOf": [item, _list(item)]}


def _code(pattern: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern}


LANGUAGE = _code("^[a-z]{2}$")

KINDS: dict[str, Callable[[FieldSpec], dict[str, Any]]] = {
    "text": _text,
    "plain_text": _text,
    "credits": _number,
    "integer": lambda spec: _number(spec, "integer"),
    "money": _number,  # no multipleOf 0.01: binary fractions make validators reject 19.99
    "date": lambda spec: {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
    "url": lambda spec: {"type": "string", "format": "uri", "pattern": "^https://"},
    "email": lambda spec: {"type": "string", "format": "email", "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$"},
    "bool": lambda spec: {"type": "boolean"},
    "enum": _choice,
    "enum_list": lambda spec: _one_or_list(_choice(spec)),
    "text_list": lambda spec: _list(_text(spec)),
    "languages": lambda spec: _one_or_list(LANGUAGE),
    "country": lambda spec: _code("^[A-Z]{2}$"),
    "currency": lambda spec: _code("^[A-Z]{3}$"),
    "isced": lambda spec: _code("^[0-9]{2,4}$"),
    "file": lambda spec: {"type": "string", "pattern": r"^[^/\\.][^/\\]*$"},
    # a file beside the course file (no folder, no address) ending .jpg, .jpeg, .png or .webp, in any case
    "image": lambda spec: {"type": "string",
                           "pattern": r"^[^/\\.:][^/\\:]*\.([jJ][pP][eE]?[gG]|[pP][nN][gG]|[wW][eE][bB][pP])$"},
    "base_url": lambda spec: {"type": "string"},
    "github_repo": lambda spec: _code(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$"),
}


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, also allowing null: an optional field left empty (`fee:`) is accepted by the validator."""
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def describe(spec: FieldSpec) -> str:
    """A field's description for editors: its meaning, what it takes and what each allowed value means."""
    lines = [f"{spec.meaning}. Value: {value_words(spec)}."]
    lines += [f"{c.value}: {c.label}" + (f" ({c.meaning})" if c.meaning else "") for c in spec.choices]
    return "\n".join(lines)


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The JSON Schema of one field."""
    schema = KINDS[spec.kind](spec)
    if not spec.required:
        schema = _or_null(schema)
    schema = {"title": spec.meaning, "description": describe(spec), **schema}
    if spec.default is not None and not isinstance(spec.default, tuple):
        schema["default"] = spec.default
    if spec.example:
        schema["examples"] = [yaml.safe_load(spec.example)]
    return schema


def course_json_schema(schema_id: str | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a course file's front matter; `schema_id` is its published address."""
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "title": "Micro-credential course",
        "description": "The front matter of a course file, content/courses/<institution-id>/<course-id>.md, "
                       "in the micro-credentials catalogue. Every field is described in docs/course-format.md.",
        "type": "object",
        "properties": {spec.name: field_schema(spec) for spec in COURSE_FIELDS},
        "required": [spec.name for spec in COURSE_FIELDS if spec.required],
        "additionalProperties": False,
    }
    if schema_id:
        schema["$id"] = schema_id
    return schema


def write_json_schema_bytes(schema_id: str | None = None) -> bytes:
    """The course JSON Schema as UTF-8 bytes, the same for the same schema: sorted keys, indent 2, final newline."""
    text = json.dumps(course_json_schema(schema_id), sort_keys=True, indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
