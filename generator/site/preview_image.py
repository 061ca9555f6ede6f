"""Draws the default theme's link-preview picture (themes/default/static/preview.png, Open Graph's og:image) from
the theme's mark, the one of its favicon.svg: run by hand when the mark changes, with Pillow (the tests' extra).

    .venv/bin/python -m generator.site.preview_image
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from generator.site.theme import DEFAULT_THEME, PREVIEW_IMAGE

SIZE = (1200, 630)  # Open Graph's recommended size: large previews on every network, 1.91:1
MARK_SCALE = 14     # the favicon's 32-unit grid, in pixels per unit


def mark(svg: str) -> tuple[str, str, list[tuple[float, float]], float]:
    """The favicon's background colour, stroke colour, the points of its path and its stroke width."""
    background = re.search(r'<rect[^>]*fill="(#[0-9a-fA-F]{6})"', svg).group(1)  # type: ignore[union-attr]
    path = re.search(r'<path d="([^"]+)"[^>]*stroke="(#[0-9a-fA-F]{3,6})"[^>]*stroke-width="([\d.]+)"', svg)
    assert path, "the favicon's mark is one stroked path"
    points: list[tuple[float, float]] = []
    x = y = 0.0
    for command, numbers in re.findall(r"([MLVHlvh])([^MLVHlvh]*)", path.group(1)):
        values = [float(n) for n in re.findall(r"-?[\d.]+", numbers)]
        if command in "ML":
            for i in range(0, len(values), 2):
                x, y = values[i], values[i + 1]
                points.append((x, y))
        elif command == "l":
            for i in range(0, len(values), 2):
                x, y = x + values[i], y + values[i + 1]
                points.append((x, y))
        elif command in "Vv":
            for value in values:
                y = value if command == "V" else y + value
                points.append((x, y))
        elif command in "Hh":
            for value in values:
                x = value if command == "H" else x + value
                points.append((x, y))
    return background, path.group(2), points, float(path.group(3))


def draw(svg: str) -> bytes:
    """The picture: the mark, large, in the middle of its background colour."""
    from PIL import Image, ImageDraw
    background, stroke, points, width = mark(svg)
    image = Image.new("RGB", SIZE, background)
    left, top = (SIZE[0] - 32 * MARK_SCALE) / 2, (SIZE[1] - 32 * MARK_SCALE) / 2
    scaled = [(left + x * MARK_SCALE, top + y * MARK_SCALE) for x, y in points]
    ImageDraw.Draw(image).line(scaled, fill=stroke,
                               width=round(width * MARK_SCALE), joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def main() -> None:
    static = DEFAULT_THEME / "static"
    target: Path = static / PREVIEW_IMAGE
    target.write_bytes(draw((static / "favicon.svg").read_text(encoding="utf-8")))
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
