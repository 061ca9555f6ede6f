"""ELM data extraction: copy what the ELM export needs from the standard's files into generator/data/, once.

    python -m generator.site.elm_extract [path/to/shared/standards/elm]

It writes `elm-context.json` (the JSON-LD context terms the export uses) and `elm-vocabularies.json` (the
code lists' concept URIs and English labels), which are committed: the build never reads the standard's files
nor the network, and `tests/test_elm.py` fails when the two no longer match the standard's files.
"""
from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data"
DEFAULT_SOURCE = Path(__file__).resolve().parents[3] / "shared" / "standards" / "elm"
CONTEXT_FILE = "edc-ap-context.jsonld"
CODE_LISTS = ("eqf.xsd", "europass-modes.xsd", "europass-target-groups.xsd", "credit-points.xsd",
              "europass-learning-opportunity-types.xsd", "europass-learning-schedule-types.xsd", "isced-f.xsd")
PREFIXES = ("dc", "elm", "foaf", "rdf", "rov", "skos", "xsd")
# The W3C credentials context, which every ELM document also uses, gives these two aliases.
ALIASES = {"id": "@id", "type": "@type"}
_XS = "{http://www.w3.org/2001/XMLSchema}"


def context(source: Path, terms: tuple[str, ...]) -> dict[str, Any]:
    """The official context's entries for `terms` and the prefixes they use."""
    official = json.loads((source / CONTEXT_FILE).read_text(encoding="utf-8"))["@context"]
    missing = [t for t in PREFIXES + terms if t not in official]
    if missing:
        raise KeyError(f"the official context has no {', '.join(missing)}")
    return {**ALIASES, **{t: official[t] for t in PREFIXES + terms}}


def code_list(path: Path) -> dict[str, Any]:
    """One code list: its concept scheme and each concept's URI and English label."""
    root = ET.parse(path).getroot()
    concepts = {}
    for item in root.iter(f"{_XS}enumeration"):
        doc = item.find(f"{_XS}annotation/{_XS}documentation")
        concepts[item.get("value")] = re.sub(r"\s+", " ", doc.text if doc is not None and doc.text else "").strip()
    return {"scheme": root.get("targetNamespace"), "concepts": concepts}


def vocabularies(source: Path) -> dict[str, Any]:
    """Every code list, keyed by its concept scheme URI."""
    lists = [code_list(source / name) for name in CODE_LISTS]
    return {cl["scheme"]: cl["concepts"] for cl in lists}


def extracted(source: Path) -> dict[str, str]:
    """The data files' text, as this module writes them."""
    from generator.site.elm import CONTEXT_TERMS  # the export decides which terms it needs
    return {"elm-context.json": dump({"@context": context(source, CONTEXT_TERMS)}),
            "elm-vocabularies.json": dump(vocabularies(source))}


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """Write generator/data/elm-*.json from the standard's files."""
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    if not (source / CONTEXT_FILE).is_file():
        print(f"no {CONTEXT_FILE} in {source}", file=sys.stderr)
        return 2
    for name, text in extracted(source).items():
        (DATA / name).write_text(text, encoding="utf-8")
        print(f"wrote generator/data/{name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
