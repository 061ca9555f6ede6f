"""Makes the default theme's web font from Adobe's Source Sans 3 (SIL Open Font License): its variable upright
font cut to the weights the theme uses and to the characters of the twelve interface languages, as WOFF2.

    npm pack source-sans@3.52.0 && tar xzf source-sans-3.52.0.tgz
    .venv/bin/python tools/subset_font.py package/VF/SourceSans3VF-Upright.ttf

writes themes/default/static/fonts/catalogue-sans.woff2 and its licence beside it. The subset is a Modified
Version in the licence's words: it must not carry the Reserved Font Name "Source", so it is renamed.
Needs fontTools and Brotli (`pip install -e '.[test]'`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.varLib import instancer

THEME_FONTS = Path(__file__).resolve().parent.parent / "themes" / "default" / "static" / "fonts"
FAMILY = "Catalogue Sans"
WEIGHTS = (400, 700)  # regular text to bold headings: the weights the theme's CSS asks for
# Latin with the Central-European letters (Latin-1, Latin Extended-A, Romanian's comma-below Ș ș Ț ț), Cyrillic
# for Bulgarian, and the punctuation, spaces and signs that CLDR's dates, numbers and fees use
UNICODES = [
    *range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x100, 0x180), *range(0x218, 0x21C), *range(0x400, 0x460),
    *range(0x2009, 0x200C), *range(0x2010, 0x2028), 0x202F, 0x2030, 0x2032, 0x2033, 0x2039, 0x203A, 0x2060,
    0x20AC, 0x2116, 0x2122, *range(0x2190, 0x2194), 0x2212,
]


def make(source: Path, out_dir: Path = THEME_FONTS) -> Path:
    """The subset font, written as WOFF2 into `out_dir`, with the licence."""
    font = TTFont(source, recalcTimestamp=False)  # the same bytes from the same source
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["kern", "liga", "calt", "locl", "mark", "mkmk", "ccmp", "tnum", "lnum", "case"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    font = instancer.instantiateVariableFont(font, {"wght": WEIGHTS})
    _rename(font)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "catalogue-sans.woff2"
    font.flavor = "woff2"
    font.save(target, reorderTables=True)
    licence = (source.parent.parent / "LICENSE.md").read_text(encoding="utf-8")
    (out_dir / "LICENSE.txt").write_text(
        f"{FAMILY} is a subset of Source Sans 3 (npm package source-sans 3.52.0), renamed as the licence asks of\n"
        "a Modified Version, made by tools/subset_font.py.\n\n" + licence, encoding="utf-8")
    return target


def _rename(font: TTFont) -> None:
    """Names without the Reserved Font Name: family, full and PostScript names."""
    postscript = FAMILY.replace(" ", "")
    for record in font["name"].names:
        if record.nameID in (1, 4, 16, 21):
            record.string = FAMILY
        elif record.nameID in (3, 6):
            record.string = postscript
        elif record.nameID in (2, 17, 22):
            record.string = "Regular"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="SourceSans3VF-Upright.ttf from the source-sans npm package")
    written = make(parser.parse_args().source)
    print(f"{written}: {written.stat().st_size:,} bytes")
