"""The course format's checks: each field's value validated by its kind, and the rules between fields, with
every problem collected and placed (file, line, column) and a hint where one helps."""
from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any, Callable
from urllib.parse import urlsplit

import pycountry

from generator.content.files import UNREADABLE, Document, Value
from generator.content.schema import (_num, ALIASES, CHOICE_ALIASES, FieldSpec, MAX_LIST, MAX_TEXT, country_name, is_currency, isced_fields, language_name)
from generator.diagnostics import ERROR, WARNING, Diagnostic, shortened


_EMAIL_RE = re.compile(r"^[A-Za-z0-9!$'*+\-_.~^{|}]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
# The part before the @ allows no ? & # % / = : those would turn a mailto: link into one that copies others in.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class Checker:
    """Validates one document against a list of field specs, collecting every problem."""

    def __init__(self, doc: Document, fields: tuple[FieldSpec, ...], what: str) -> None:
        self.doc = doc
        self.fields = {f.name: f for f in fields}
        self.order = fields
        self.what = what
        self.diagnostics: list[Diagnostic] = []

    def problem(self, at: Value | None, message: str, hint: str = "", severity: str = ERROR,
                code: str = "", place: tuple[int, int] | None = None) -> None:
        """Record a problem at a value (or at the top of the file when there is none)."""
        if place is None:
            place = (at.line, at.col) if at else (1, 1)
        self.diagnostics.append(Diagnostic(self.doc.source.display, place[0], place[1], severity, message,
                                           hint, code))

    def check(self) -> dict[str, Any]:
        """Every field's clean value (absent optional fields get their default)."""
        clean: dict[str, Any] = {}
        guessed = {self.unknown(value) for key, value in self.doc.values.items()
                   if key not in self.fields and value.value is not UNREADABLE}
        for spec in self.order:
            value = self.doc.values.get(spec.name)
            if value is not None and value.value is UNREADABLE:  # its problem is told where it was read
                clean[spec.name] = spec.default
                continue
            if _absent(self.doc.values, spec.name):
                # `credit: 2` already says "did you mean 'credits'?": a second error for the same line is noise
                if spec.required and not (value is None and spec.name in guessed):
                    self.missing(spec, value)
                clean[spec.name] = spec.default
                continue
            clean[spec.name] = CHECKS[spec.kind](self, spec, value)
        return clean

    def unknown(self, value: Value) -> str | None:
        """Report a field the format does not have; returns the field it probably means."""
        name = value.key
        guess = ALIASES.get(name.lower()) if ALIASES.get(name.lower()) in self.fields else None
        if guess is None:
            close = difflib.get_close_matches(name.lower(), list(self.fields), n=1, cutoff=0.6)
            guess = close[0] if close else None
        hint = f"did you mean '{guess}'?" if guess else f"the {self.what} fields are: {', '.join(self.fields)}"
        self.problem(value, f"unknown field '{name}'", hint, code="unknown-field",
                     place=(value.key_line, value.key_col))
        return guess

    def missing(self, spec: FieldSpec, value: Value | None) -> None:
        if value is not None:
            self.problem(value, f"'{spec.name}' is empty", f"write {_wanted(spec)} after '{spec.name}:'",
                         code="empty-field", place=(value.key_line, value.key_col))
        else:
            self.problem(None, f"the required field '{spec.name}' is missing",
                         f"add a line '{spec.name}: …' with {_wanted(spec)}", code="missing-field", place=(1, 1))


def _wanted(spec: FieldSpec) -> str:
    """What to write in a field, in words: "one of: a, b" for a choice."""
    if not spec.choices:
        return spec.allowed()
    return ("one or more of: " if spec.kind == "enum_list" else "one of: ") + spec.allowed()


def _type_name(value: Any, raw: str | None = None) -> str:
    """What a value is, in words; `raw` is how a plain value was written in the file."""
    if isinstance(value, bool):
        # people write no, yes, on, off; YAML turns them into true/false, which they never wrote
        return f"'{raw}', which YAML reads as a yes/no value" if raw else "a yes/no value"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    if isinstance(value, str):
        return f"'{_short(value)}'"
    return "something else"


def _short(text: str, limit: int = 40) -> str:
    return shortened(" ".join(text.split()), limit)


def _wrong_type(c: Checker, spec: FieldSpec, v: Value, expected: str) -> None:
    hint = ""
    if isinstance(v.value, (bool, int, float, dt.date)) and expected.startswith("text"):
        hint = "put the value in quotes"
    elif isinstance(v.value, bool):
        hint = "put the value in quotes"
    c.problem(v, f"'{spec.name}' must be {expected}, but it is {_type_name(v.value, v.raw)}", hint,
              code="wrong-type")


def _text(c: Checker, spec: FieldSpec, v: Value, value: Any = None, place: tuple[int, int] | None = None,
          one_line: bool = False) -> str | None:
    value = v.value if value is None else value
    if not isinstance(value, str):
        if place is None:
            _wrong_type(c, spec, v, "text")
        else:
            c.problem(v, f"each item of '{spec.name}' must be text, but one is {_type_name(value)}",
                      "put the item in quotes" if isinstance(value, (bool, int, float, dt.date)) else "",
                      code="wrong-type", place=place)
        return None
    text = value.strip()
    if not text:
        if place is None:
            c.problem(v, f"'{spec.name}' is empty", f"write {_wanted(spec)} after '{spec.name}:'", code="empty-field")
        else:
            c.problem(v, f"an item of '{spec.name}' is empty", "write the item, or delete its line",
                      code="empty-field", place=place)
        return None
    limit = spec.max_length or MAX_TEXT
    if len(text) > limit:
        c.problem(v, f"'{spec.name}' is too long: {len(text)} characters, at most {limit} are allowed",
                  "shorten it", code="too-long", place=place)
        return None
    bad = _CONTROL_RE.search(text)
    if bad:
        c.problem(v, f"'{spec.name}' contains an invisible control character (U+{ord(bad.group()):04X})",
                  "delete it and retype the text around it", code="control-character", place=place)
        return None
    if one_line:
        text = " ".join(text.split())
    return text


def check_plain_text(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    return _text(c, spec, v, one_line=True)


def check_text(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    return _text(c, spec, v)


def _number(c: Checker, spec: FieldSpec, v: Value, whole: bool) -> float | int | None:
    value = v.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        hint = _number_hint(spec, value, quoted=v.raw is None) if isinstance(value, str) else ""
        c.problem(v, f"'{spec.name}' must be {'a whole number' if whole else 'a number'}, but it is "
                     f"{_type_name(value, v.raw)}", hint, code="wrong-type")
        return None
    if whole and isinstance(value, float):
        if not value.is_integer():
            rng = f" from {_num(spec.minimum)} to {_num(spec.maximum)}" if spec.maximum is not None else ""
            c.problem(v, f"'{spec.name}' must be a whole number, but it is {value}", f"write a whole number{rng}",
                      code="not-whole")
            return None
        value = int(value)
    if value != value or value in (float("inf"), float("-inf")):
        c.problem(v, f"'{spec.name}' must be a number", code="wrong-type")
        return None
    if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
        rng = (f"from {_num(spec.minimum)} to {_num(spec.maximum)}" if spec.maximum is not None
               else f"{_num(spec.minimum)} or more")
        c.problem(v, f"'{spec.name}' is {_num(value)}, but it must be {rng}", code="out-of-range")
        return None
    return value


def _number_hint(spec: FieldSpec, text: str, quoted: bool) -> str:
    """How to write a number given as text: "2,5" → 2.5, "2 ECTS" → 2. Thousands like "1,000" are ambiguous."""
    text = text.strip()
    number = re.fullmatch(r"(-?\d+)(?:[.,](\d{1,2}))?", text)
    if number:
        cleaned = number.group(1) + (f".{number.group(2)}" if number.group(2) else "")
        how = " and ".join((["without quotes"] if quoted else []) + (["with a decimal point"] if "," in text else []))
        return f"write it {how}: {spec.name}: {cleaned}" if how else f"write {spec.name}: {cleaned}"
    leading = re.match(r"(\d+(?:[.,]\d{1,2})?)\s*[^\d\s.,]", text)
    if leading:
        return f"write only the number, without units or words: {spec.name}: {leading.group(1).replace(',', '.')}"
    return "write only the number, without units or words"



def check_credits(c: Checker, spec: FieldSpec, v: Value) -> float | None:
    value = _number(c, spec, v, whole=False)
    if value is None:
        return None
    if spec.step and not float(value / spec.step).is_integer():
        c.problem(v, f"'{spec.name}' is {value}, but credits go in steps of {spec.step} (like 2 or 2.5)",
                  code="bad-step")
        return None
    return float(value)


def check_integer(c: Checker, spec: FieldSpec, v: Value) -> int | None:
    value = _number(c, spec, v, whole=True)
    return None if value is None else int(value)


def check_money(c: Checker, spec: FieldSpec, v: Value) -> float | None:
    value = _number(c, spec, v, whole=False)
    if value is None:
        return None
    if round(value, 2) != value:
        c.problem(v, f"'{spec.name}' has more than two decimal places", code="bad-money")
        return None
    return float(value)


def check_date(c: Checker, spec: FieldSpec, v: Value) -> dt.date | None:
    value = v.value
    if isinstance(value, dt.datetime):
        c.problem(v, f"'{spec.name}' must be a date without a time", f"write it as {value.date().isoformat()}",
                  code="bad-date")
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            c.problem(v, f"'{spec.name}' is {value.strip()}, but this date does not exist",
                      "check the day and the month", code="bad-date")
            return None
    day_first = re.fullmatch(r"(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})", value.strip()) if isinstance(value, str) else None
    hint = (f"write it as YYYY-MM-DD: {spec.name}: {day_first[3]}-{int(day_first[2]):02}-{int(day_first[1]):02}"
            if day_first else "write it as YYYY-MM-DD, like 2027-03-15")
    c.problem(v, f"'{spec.name}' must be a date, but it is {_type_name(value, v.raw)}", hint, code="bad-date")
    return None


def check_url(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    value = v.value
    if not isinstance(value, str):
        _wrong_type(c, spec, v, "a web address")
        return None
    url = value.strip()
    parts = _split_url(url)
    if parts is None or parts.scheme.lower() not in ("https", "http") or not parts.hostname or "." not in parts.hostname:
        hint = "write the full address, starting with https://"
        if url.lower().startswith(("http://", "https://")):
            hint = "check the address, or copy it from the browser's address bar"
        elif parts is not None and not parts.scheme and "." in url.split("/")[0]:
            hint = f"write the full address, starting with https://, like https://{_short(url)}"
        c.problem(v, f"'{spec.name}' is '{_short(url)}', which is not a web address", hint, code="bad-url")
        return None
    if parts.scheme.lower() != "https":
        c.problem(v, f"'{spec.name}' must be a secure address starting with https://",
                  f"write https://{_short(url.split('://', 1)[1])}, if the site has a secure address",
                  code="insecure-url")
        return None
    return url


def _split_url(url: str) -> Any:
    """The parts of a web address, or None when it cannot be one (spaces, or a stray [ that urlsplit refuses)."""
    if any(ch.isspace() for ch in url):
        return None
    try:
        return urlsplit(url)
    except ValueError:
        return None


def check_email(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    value = v.value
    if not isinstance(value, str):
        _wrong_type(c, spec, v, "an e-mail address")
        return None
    address = value.strip().removeprefix("mailto:")
    if len(address) > 254 or not _EMAIL_RE.match(address):
        c.problem(v, f"'{spec.name}' is '{_short(address)}', which is not an e-mail address",
                  "write one address, like name@example.org", code="bad-email")
        return None
    return address


def check_bool(c: Checker, spec: FieldSpec, v: Value) -> bool | None:
    if isinstance(v.value, bool):
        return v.value
    c.problem(v, f"'{spec.name}' must be true or false, but it is {_type_name(v.value)}",
              "write true or false, without quotes", code="wrong-type")
    return None


def _choice(c: Checker, spec: FieldSpec, v: Value, value: Any, place: tuple[int, int] | None = None) -> Any:
    allowed = [ch.value for ch in spec.choices]
    if isinstance(value, str):
        value = value.strip()
    if value in allowed and not isinstance(value, bool):
        return value
    text = value if isinstance(value, str) else str(value)
    word = text.lower().replace("_", "-").replace(" ", "-")
    close = [CHOICE_ALIASES[spec.name][word]] if word in CHOICE_ALIASES.get(spec.name, {}) else \
        difflib.get_close_matches(word, [str(a) for a in allowed], n=1, cutoff=0.6)
    hint = (f"did you mean '{close[0]}'? " if close else "") + f"allowed values: {', '.join(map(str, allowed))}"
    parts = [part.strip() for part in text.split(",")]
    if spec.kind == "enum_list" and len(parts) > 1 and all(part in allowed for part in parts):
        hint = f"write a list: {spec.name}: [{', '.join(parts)}]"
    shown = f"'{_short(text)}'" if isinstance(value, str) else _type_name(value, v.raw if place is None else None)
    c.problem(v, f"'{spec.name}' cannot be {shown}", hint, code="not-allowed", place=place)
    return None


def check_enum(c: Checker, spec: FieldSpec, v: Value) -> Any:
    if isinstance(v.value, (list, dict)):
        _wrong_type(c, spec, v, f"one of: {spec.allowed()}")
        return None
    return _choice(c, spec, v, v.value)


def _items(c: Checker, spec: FieldSpec, v: Value, allow_single: bool) -> list[tuple[Any, tuple[int, int]]] | None:
    value = v.value
    if isinstance(value, list):
        if not value:
            c.problem(v, f"'{spec.name}' is an empty list", "give at least one item", code="empty-field")
            return None
        if len(value) > MAX_LIST:
            c.problem(v, f"'{spec.name}' has {len(value)} items, at most {MAX_LIST} are allowed", code="too-long")
            return None
        return list(zip(value, v.items))
    if allow_single and not isinstance(value, dict):
        return [(value, (v.line, v.col))]
    c.problem(v, f"'{spec.name}' must be a list, but it is {_type_name(value)}",
              "write each item on its own line, starting with '- '", code="wrong-type")
    return None


def check_enum_list(c: Checker, spec: FieldSpec, v: Value) -> tuple[str, ...] | None:
    items = _items(c, spec, v, allow_single=True)
    if items is None:
        return None
    chosen = [_choice(c, spec, v, item, place) for item, place in items]
    if any(x is None for x in chosen):
        return None
    return _unique(c, spec, v, chosen)


def _unique(c: Checker, spec: FieldSpec, v: Value, values: list[Any]) -> tuple[Any, ...]:
    seen: list[Any] = []
    for x in values:
        if x in seen:
            c.problem(v, f"'{spec.name}' lists '{x}' twice", "keep it once", WARNING, "duplicate-item")
        else:
            seen.append(x)
    return tuple(seen)


def check_text_list(c: Checker, spec: FieldSpec, v: Value) -> tuple[str, ...] | None:
    items = _items(c, spec, v, allow_single=False)
    if items is None:
        return None
    texts = [_text(c, spec, v, item, place, one_line=True) for item, place in items]
    if any(t is None for t in texts):
        return None
    return _unique(c, spec, v, texts)


def check_languages(c: Checker, spec: FieldSpec, v: Value) -> tuple[str, ...] | None:
    items = _items(c, spec, v, allow_single=True)
    if items is None:
        return None
    codes: list[str] = []
    for item, place in items:
        if isinstance(item, bool):
            raw = v.raw if place == (v.line, v.col) else None
            c.problem(v, f"'{spec.name}' cannot be {_type_name(item, raw)}",
                      f"put the code in quotes: \"{raw}\"" if raw else "put the code in quotes, like \"no\"",
                      code="wrong-type", place=place)
            continue
        code = item.strip() if isinstance(item, str) else None
        if code and code.lower() != code and language_name(code.lower()):
            c.problem(v, f"'{spec.name}' codes are written in lower case", f"write {code.lower()}",
                      code="not-allowed", place=place)
            continue
        if not code or len(code) != 2 or not language_name(code):
            shown = f"'{_short(code)}'" if code else _type_name(item)
            hint = "use the two-letter ISO 639-1 code, like en, cs, pl, hu"
            by_name = _language_by_name(code or "")
            if by_name:
                hint = f"did you mean '{by_name}'? " + hint
            parts = [part.strip() for part in (code or "").split(",")]
            if len(parts) > 1 and all(len(part) == 2 and language_name(part) for part in parts):
                hint = f"write a list: {spec.name}: [{', '.join(parts)}]"
            c.problem(v, f"'{spec.name}' cannot be {shown}: it is not an ISO 639-1 language code", hint,
                      code="not-allowed", place=place)
            continue
        codes.append(code)
    if len(codes) != len(items):
        return None
    return _unique(c, spec, v, codes)


# Codes used in EU documents that are not the ISO ones.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}


def _lookup(database: Any, name: str, attribute: str) -> str | None:
    """A code from an English name ("Poland" → PL, "euro" → EUR), or None."""
    try:
        return getattr(database.lookup(name), attribute, None)
    except LookupError:
        return None


def _language_by_name(name: str) -> str | None:
    try:
        lang = pycountry.languages.lookup(name)
    except LookupError:
        return None
    return getattr(lang, "alpha_2", None)


def check_country(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    value = v.value
    if isinstance(value, bool):
        c.problem(v, f"'{spec.name}' cannot be {_type_name(value)}",
                  "YAML reads NO (Norway) as no: put the code in quotes, like \"NO\"", code="wrong-type")
        return None
    code = value.strip() if isinstance(value, str) else ""
    if len(code) == 2 and country_name(code.upper()):
        if code != code.upper():
            c.problem(v, f"'{spec.name}' codes are written in capitals", f"write {code.upper()}", code="not-allowed")
            return None
        return code
    guess = _lookup(pycountry.countries, code, "alpha_2") if len(code) > 2 else COUNTRY_ALIASES.get(code.upper())
    c.problem(v, f"'{spec.name}' cannot be {_type_name(value, v.raw)}: it is not an ISO 3166-1 country code",
              (f"did you mean '{guess}'? " if guess else "") + "use the two-letter code, like CZ, PL, HU",
              code="not-allowed")
    return None


def check_currency(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    code = v.value.strip() if isinstance(v.value, str) else ""
    if len(code) == 3 and code.isalpha() and is_currency(code.upper()):
        if code != code.upper():
            c.problem(v, f"'{spec.name}' codes are written in capitals", f"write {code.upper()}", code="not-allowed")
            return None
        return code
    guess = _lookup(pycountry.currencies, code, "alpha_3") if len(code) > 3 else None
    c.problem(v, f"'{spec.name}' cannot be {_type_name(v.value, v.raw)}: it is not an ISO 4217 currency code",
              (f"did you mean '{guess}'? " if guess else "") + "use the three-letter code, like EUR, CZK, PLN, HUF",
              code="not-allowed")
    return None


def check_isced(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    value = v.value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads 0511 as an octal number: take the digits as written.
        value = v.raw if v.raw and v.raw.isdigit() else str(value)
    code = value.strip() if isinstance(value, str) else ""
    if re.fullmatch(r"\d{2,4}", code) and code in isced_fields():
        return code
    by_name = next((k for k, name in isced_fields().items() if name.casefold() == code.casefold()), None)
    hint = (f"did you mean \"{by_name}\"? " if by_name else "") + \
        "use a code from the ISCED-F 2013 list, like \"0511\" for biology, in quotes"
    c.problem(v, f"'{spec.name}' cannot be {_type_name(value, v.raw)}: it is not an ISCED-F 2013 field code", hint,
              code="not-allowed")
    return None


def check_file(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    value = v.value
    if not isinstance(value, str) or not value.strip():
        _wrong_type(c, spec, v, "a file name")
        return None
    name = value.strip()
    if "/" in name or "\\" in name or name.startswith("."):
        c.problem(v, f"'{spec.name}' must be the name of a file beside this one, without folders",
                  code="bad-file")
        return None
    return name


def check_image(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    """A picture's file name: beside the course file, of a kind the catalogue makes pictures from. Whether the
    file is there and really is such a picture is checked once every course is read (content/media.py)."""
    value = v.value
    if not isinstance(value, str) or not value.strip():
        _wrong_type(c, spec, v, "a file name")
        return None
    name = value.strip()
    problem = picture_name_problem(name)
    if problem:
        what, hint = problem
        c.problem(v, f"'{spec.name}' is '{_short(name, 60)}', which {what}", hint, code="picture")
        return None
    return name


PICTURE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
PICTURE_HINT = "save it as a JPEG for a photo, or as a PNG for a drawing or a diagram"
SVG_WHY = "SVG drawings are not allowed, because an SVG file can carry scripts that would run on the catalogue's pages"
BESIDE_HINT = "save the picture beside the course file and write its file name, like photo.jpg"


def picture_name_problem(name: str) -> tuple[str, str] | None:
    """(what is wrong, said of the picture: "is …"; how to fix it) with a picture's name, or None."""
    if name.lower().startswith(("http:", "https:", "//")):
        return "is on another site: the catalogue loads nothing from other hosts", BESIDE_HINT
    if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", name):
        return "is not the name of a picture file", BESIDE_HINT
    if "/" in name or "\\" in name:
        return ("is in another folder: a picture must be beside the course file",
                "move the picture into the course file's folder and write only its file name")
    suffix = "." + name.rsplit(".", 1)[1].lower() if "." in name else ""
    if suffix == ".svg":
        return f"is an SVG drawing: {SVG_WHY}", "export it as a PNG"
    if suffix not in PICTURE_SUFFIXES:
        return "is not a JPEG (.jpg), PNG (.png) or WebP (.webp) file", PICTURE_HINT
    return None


def check_translations(c: Checker, spec: FieldSpec, v: Value) -> dict | None:
    """A mapping of language codes to fields, each language's checked where they are read (config.py)."""
    if isinstance(v.value, dict) and all(isinstance(fields, dict) for fields in v.value.values()):
        return v.value
    c.problem(v, f"'{spec.name}' must give, under each language's code, its fields", "write `cs:` on a line of "
              "its own, then each field indented below it, like `  title: …`", code="wrong-type")
    return None


def check_names(c: Checker, spec: FieldSpec, v: Value) -> tuple[tuple[str, str], ...] | None:
    """Texts as the courses write them, each with its name in a language: (text, name) pairs, in file order."""
    if not isinstance(v.value, dict) or not v.value:
        c.problem(v, f"'{spec.name}' must give, on a line each, a text as the courses write it, a colon and its "
                  "name", "write it like `  Bioinformatics: Bioinformatika`, indented below it", code="wrong-type")
        return None
    pairs = []
    for (text, name), place in zip(v.value.items(), v.items or [(v.line, v.col)] * len(v.value)):
        if not isinstance(text, str):
            c.problem(v, f"each tag under '{spec.name}' must be text, but one is {_type_name(text)}",
                      "put it in quotes, as the courses write it", code="wrong-type", place=place)
            continue
        said = _text(c, spec, v, name, place, one_line=True)
        if said is not None:
            pairs.append((" ".join(text.split()), said))
    return tuple(pairs) if len(pairs) == len(v.value) else None


CHECKS: dict[str, Callable[[Checker, FieldSpec, Value], Any]] = {
    "text": check_text, "plain_text": check_plain_text, "credits": check_credits, "integer": check_integer,
    "money": check_money, "date": check_date, "url": check_url, "email": check_email, "bool": check_bool,
    "enum": check_enum, "enum_list": check_enum_list, "text_list": check_text_list,
    "languages": check_languages, "country": check_country, "currency": check_currency, "isced": check_isced,
    "file": check_file, "image": check_image, "translations": check_translations,
    "names": check_names,
}


def check_course_rules(c: Checker, clean: dict[str, Any]) -> None:
    """Rules between fields of one course."""
    values = c.doc.values
    for spec in c.order:
        # nobody can apply to an archived course: its missing enrol_url is no problem
        if spec.warn_if_missing and _absent(values, spec.name) and clean.get("status") != "archived":
            c.problem(None, f"'{spec.name}' is missing", spec.warn_if_missing, WARNING, "missing-field", place=(1, 1))
    credits, hours = clean.get("credits"), clean.get("workload_hours")
    if credits and hours and not (credits * 25 <= hours <= credits * 30):
        amount = "1 credit is" if credits == 1 else f"{_num(credits)} credits are"
        c.problem(values["workload_hours"],
                  f"'workload_hours' is {hours}, but {amount} {_num(credits * 25)} to {_num(credits * 30)} hours "
                  "of work", "check the credits and the hours", WARNING, "workload")
    start, end, deadline = clean.get("start_date"), clean.get("end_date"), clean.get("application_deadline")
    if start and end and end < start:
        c.problem(values["end_date"], f"'end_date' ({end.isoformat()}) is before 'start_date' "
                                      f"({start.isoformat()})", code="date-order")
    if start and deadline and deadline > start:
        c.problem(values["application_deadline"], f"'application_deadline' ({deadline.isoformat()}) is after "
                                                  f"'start_date' ({start.isoformat()})", code="date-order")
    if end and not start and _absent(values, "start_date"):  # (a start date given but wrong has its own error)
        c.problem(values["end_date"], "'end_date' is given without 'start_date'", "add the start date",
                  WARNING, "date-order")
    if clean.get("stackable_towards") and clean.get("stackability") != "stackable" and (
            clean.get("stackability") is not None or _absent(values, "stackability")):
        c.problem(values["stackable_towards"], "'stackable_towards' is given, but 'stackability' is not "
                                               "'stackable'",
                  "add 'stackability: stackable'" if _absent(values, "stackability")
                  else "change 'stackability' to stackable, or remove 'stackable_towards'", WARNING, "stackability")
    if clean.get("image") and _absent(values, "image_alt"):
        c.problem(values["image"], "'image' is given without 'image_alt', the description of the picture for people "
                                   "who cannot see it",
                  "add a line 'image_alt: …' saying in a few words what the picture shows", code="image-alt")
    if clean.get("image_alt") and _absent(values, "image"):
        c.problem(values["image_alt"], "'image_alt' is given without 'image': it describes no picture",
                  "add 'image: …' with the picture's file name, or remove 'image_alt'", WARNING, "image-alt")
    if "currency" in values and _absent(values, "fee") and values["currency"].value is not None:
        c.problem(values["currency"], "'currency' is given without a 'fee'", "add the fee, or 0 if it is free",
                  WARNING, "currency")


def _absent(values: dict[str, Value], name: str) -> bool:
    """True when a field is left out or left empty (not when it is given with a wrong value: that is its own error)."""
    return values.get(name) is None or values[name].value is None


def check_base_url(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    """A site's base URL: an absolute http(s) URL or a path, always ending with a slash."""
    value = v.value
    if not isinstance(value, str) or not value.strip():
        _wrong_type(c, spec, v, "a web address or a path")
        return None
    return normalise_base_url(value.strip(), lambda message: c.problem(v, message, code="bad-url"))


def normalise_base_url(url: str, fail: Callable[[str], None]) -> str | None:
    """`https://host/sub` → `https://host/sub/`; a bare path must start with /."""
    parts = _split_url(url)
    if parts is None:
        fail(f"the base URL '{url}' must be like https://example.org/catalogue/")
        return None
    if parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            fail(f"the base URL '{url}' must be like https://example.org/catalogue/")
            return None
    elif not url.startswith("/") or parts.query or parts.fragment:
        fail(f"the base URL '{url}' must be a full address like https://example.org/catalogue/, or a path "
             "starting with /")
        return None
    return url if url.endswith("/") else url + "/"


CHECKS["base_url"] = check_base_url

_GITHUB_REPO_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


def check_github_repo(c: Checker, spec: FieldSpec, v: Value) -> str | None:
    """A GitHub repository as owner/name (github.com/owner/name and .git are taken off)."""
    value = v.value
    if not isinstance(value, str) or not value.strip():
        _wrong_type(c, spec, v, "a GitHub repository like owner/name")
        return None
    repo = re.sub(r"^(https://)?github\.com/", "", value.strip()).removesuffix(".git").strip("/")
    if not _GITHUB_REPO_RE.match(repo) or repo.split("/")[1] in (".", ".."):
        c.problem(v, f"'{spec.name}' is '{_short(value)}', which is not a GitHub repository",
                  "write the owner and the repository's name, like alliance/catalogue", code="bad-repo")
        return None
    return repo


CHECKS["github_repo"] = check_github_repo

