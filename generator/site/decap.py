"""The web editor's configuration (Decap CMS's `config.yml`), derived from `schema.COURSE_FIELDS` as the validator,
the docs and the JSON Schema are: one collection per institution folder, each course field with the widget that
takes what the field takes (its allowed values and their labels, its limits), required fields required, and
the words of `catalogue new` as each field's hint. A test compares the two field by field.

The form can hold only what the course format allows, so what it saves passes `catalogue check` (rules between
fields, like an end date before the start date, are still `check`'s: the preview's local backend refuses a file
with errors, and a pull request's check annotates it).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import pycountry
import yaml

from generator.content.catalogue import Catalogue
from generator.content.checks import _EMAIL_RE
from generator.content.config import Config
from generator.content.schema import COURSE_FIELDS, MAX_LIST, MAX_TEXT, FieldSpec, isced_fields
from generator.content.scaffold import BODY_HINT, field_words

# Decap's own interface languages (decap-cms-locales 3.x) among the catalogue's; the others get English
LOCALES = ("bg", "cs", "de", "en", "es", "fr", "hr", "hu", "it", "lt", "nl", "pl", "pt", "ro", "sk", "sl", "sv")
LOCAL_API = "/_catalogue/api/v1"  # the preview's local backend (generator/serve/backend.py)
IMAGE_KINDS = ("image", "file")   # a file beside the course: the image widget, stored beside the entry
LABELS = {"eqf_level": "EQF level", "isced_f": "Field of education (ISCED-F)", "enrol_url": "Enrolment address",
          "europass": "Europass digital credential"}
DATE_FORMAT = "YYYY-MM-DD"
EMAIL_PATTERN = _EMAIL_RE.pattern


def _length(spec: FieldSpec) -> dict[str, Any]:
    """A text's length limit, as Decap's pattern check (its string and text widgets have no maxlength)."""
    limit = spec.max_length or MAX_TEXT
    return {"pattern": [f"^[\\s\\S]{{0,{limit}}}$", f"at most {limit} characters"]}


def _choices(spec: FieldSpec) -> list[dict[str, Any]]:
    return [{"label": f"{c.label} ({c.value})" if str(c.value) not in c.label else c.label, "value": c.value}
            for c in spec.choices]


def _number(spec: FieldSpec, value_type: str, step: float | None = None) -> dict[str, Any]:
    widget: dict[str, Any] = {"widget": "number", "value_type": value_type}
    if spec.minimum is not None:
        widget["min"] = spec.minimum
    if spec.maximum is not None:
        widget["max"] = spec.maximum
    widget["step"] = spec.step or step or 1
    return widget


def _select(options: list[dict[str, Any]], multiple: bool = False) -> dict[str, Any]:
    return {"widget": "select", "options": options, **({"multiple": True} if multiple else {})}


@functools.lru_cache(maxsize=1)
def language_options() -> list[dict[str, Any]]:
    """Every ISO 639-1 language, as the check knows them."""
    found = sorted((lang.alpha_2, lang.name) for lang in pycountry.languages if hasattr(lang, "alpha_2"))
    return [{"label": f"{name} ({code})", "value": code} for code, name in found]


@functools.lru_cache(maxsize=1)
def currency_options() -> list[dict[str, Any]]:
    """Every ISO 4217 currency."""
    return [{"label": f"{c.alpha_3}: {c.name}", "value": c.alpha_3}
            for c in sorted(pycountry.currencies, key=lambda c: c.alpha_3)]


@functools.lru_cache(maxsize=1)
def country_options() -> list[dict[str, Any]]:
    """Every ISO 3166-1 country."""
    return [{"label": f"{c.name} ({c.alpha_2})", "value": c.alpha_2}
            for c in sorted(pycountry.countries, key=lambda c: c.alpha_2)]


@functools.lru_cache(maxsize=1)
def isced_options() -> list[dict[str, Any]]:
    """Every ISCED-F 2013 field, with its code."""
    return [{"label": f"{code} {name}", "value": code} for code, name in isced_fields().items()]


# Each kind of course field and the Decap widget that takes exactly its values
WIDGETS: dict[str, Callable[[FieldSpec], dict[str, Any]]] = {
    "plain_text": lambda spec: {"widget": "string", **_length(spec)},
    "text": lambda spec: {"widget": "text", **_length(spec)},
    "credits": lambda spec: _number(spec, "float"),
    "integer": lambda spec: _select(_choices(spec)) if spec.choices else _number(spec, "int"),
    "money": lambda spec: _number(spec, "float", step=0.01),  # the check takes two decimal places
    "date": lambda spec: {"widget": "datetime", "format": DATE_FORMAT, "date_format": DATE_FORMAT,
                          "time_format": False, "picker_utc": True},
    "url": lambda spec: {"widget": "string", "pattern": ["^https://[^\\s/]+\\.[^\\s]+$",
                                                        "a web address starting with https://"]},
    "email": lambda spec: {"widget": "string", "pattern": [EMAIL_PATTERN, "an e-mail address, like name@example.org"]},
    "bool": lambda spec: {"widget": "boolean"},
    "enum": lambda spec: _select(_choices(spec)),
    "enum_list": lambda spec: _select(_choices(spec), multiple=True),
    "text_list": lambda spec: {"widget": "list", "field": {"name": "item", "label": "Item", "widget": "string",
                                                           **_length(spec)}},
    "languages": lambda spec: _select(language_options(), multiple=True),
    "country": lambda spec: _select(country_options()),
    "currency": lambda spec: _select(currency_options()),
    "isced": lambda spec: _select(isced_options()),
    **{kind: (lambda spec: {"widget": "image", "choose_url": False}) for kind in IMAGE_KINDS},
}


def label(spec: FieldSpec) -> str:
    """A field's label in the form: its name in words (errors name the field, so the two must be easy to match)."""
    return LABELS.get(spec.name) or spec.name.replace("_", " ").capitalize()


def field_config(spec: FieldSpec) -> dict[str, Any]:
    """One course field as a Decap field."""
    field: dict[str, Any] = {"name": spec.name, "label": label(spec), **WIDGETS[spec.kind](spec),
                             "required": spec.required, "hint": field_words(spec, in_yaml=False)}
    if spec.kind in ("enum_list", "text_list", "languages"):
        if spec.required:
            field["min"] = 1
        field["max"] = MAX_LIST
    if spec.name == "status" and spec.default is not None:
        field["default"] = spec.default  # (no other default: Decap would write it into every file)
    return field


def course_fields() -> list[dict[str, Any]]:
    """The form of a course: every field of the format in its order, then the description."""
    return [*(field_config(spec) for spec in COURSE_FIELDS),
            {"name": "body", "label": "Description", "widget": "markdown", "hint": BODY_HINT,
             # no code blocks: their editor loads language modes from other files, which the page does not serve
             "editor_components": ["image"], "required": True}]


def locale(config: Config) -> str:
    """Decap's interface language: the site's default language where Decap has it, else English."""
    return config.language if config.language in LOCALES else "en"


def backend(config: Config, local: bool) -> dict[str, Any]:
    """Where the editor reads and writes: the preview's local backend, or GitHub through pull requests."""
    if local:
        return {"name": "proxy", "proxy_url": LOCAL_API, "branch": "main"}
    editor = config.editor
    assert editor is not None  # (the route makes no editor without it)
    found: dict[str, Any] = {"name": "github", "repo": editor.repo, "branch": editor.branch, "open_authoring": True}
    if editor.auth_url:
        found["base_url"] = editor.auth_url
    if editor.auth_endpoint:
        found["auth_endpoint"] = editor.auth_endpoint
    return found


def decap_config(catalogue: Catalogue, local: bool = False) -> dict[str, Any]:
    """Decap CMS's configuration for the catalogue: one collection of courses per institution."""
    config = catalogue.config
    fields = course_fields()  # one list for every collection: written once, then referred to (YAML aliases)
    settings: dict[str, Any] = {"backend": backend(config, local)}
    if not local:
        settings["publish_mode"] = "editorial_workflow"
    settings.update({
        "locale": locale(config),
        "media_folder": "content/courses",  # (required by Decap; each collection keeps pictures beside its courses)
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
    })
    if config.absolute:
        settings["site_url"] = settings["display_url"] = config.base_url
    settings["collections"] = [{
        "name": institution.id,
        "label": institution.name,
        "label_singular": "course",
        "description": f"Courses of {institution.name}: content/courses/{institution.id}/",
        "folder": f"content/courses/{institution.id}",
        "create": True,
        "extension": "md",
        "format": "frontmatter",
        "slug": "{{slug}}",
        "identifier_field": "title",
        "summary": "{{title}}",
        "media_folder": "",   # pictures beside the course file, named in the field by their file name
        "public_folder": "",
        "editor": {"preview": False},  # the preview is the catalogue itself (`catalogue serve`)
        "fields": fields,
    } for institution in catalogue.institutions]
    return settings


def config_yaml(catalogue: Catalogue, local: bool = False) -> bytes:
    """config.yml, the same bytes for the same catalogue."""
    head = ("# The web editor's configuration, generated from the course format (generator/site/decap.py): "
            "do not edit.\n")
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's: a tenth of the time, the same text
    return (head + yaml.dump(decap_config(catalogue, local), Dumper=dumper, sort_keys=False, allow_unicode=True,
                             width=120)).encode("utf-8")
