"""Draws the default theme's link-preview picture (themes/default/static/preview.png, Open Graph's og:image) from
the theme's mark, the one of its favicon.svg: run by hand when the mark changes, with Pillow (the tests' extra).

    .venv/bin/python -m generator.site.preview_image

The mark is drawn from the few SVG shapes it is made of (a rounded square, filled circles, stroked lines and
cubic curves), not by a general SVG renderer: none is on PyPI without a system library, and the picture must be
the same bytes wherever it is drawn.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from generator.site.theme import DEFAULT_THEME, PREVIEW_IMAGE

SIZE = (1200, 630)  # Open Graph's recommended size: large previews on every network, 1.91:1
MARK_PIXELS = 448   # the mark's side in the picture
SUPERSAMPLE = 4     # drawn this much larger, then scaled down: smooth edges
CURVE_STEPS = 24    # straight pieces a cubic curve is drawn with
SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Stroke:
    """A stroked path: its pieces (each a list of points), colour, width and opacity."""

    lines: tuple[tuple[tuple[float, float], ...], ...]
    colour: str
    width: float
    opacity: float


@dataclass(frozen=True)
class Mark:
    """The favicon's shapes, in its own units."""

    side: float
    background: str
    dots: tuple[tuple[float, float, float, str], ...]  # (x, y, radius, colour)
    strokes: tuple[Stroke, ...]


def mark(svg: str) -> Mark:
    """The favicon's background colour, its filled circles and its stroked paths."""
    root = ET.fromstring(svg)
    side = float(root.get("viewBox", "0 0 32 32").split()[2])
    background = root.find(f"{SVG}rect").get("fill")  # type: ignore[union-attr]
    dots: list[tuple[float, float, float, str]] = []
    strokes: list[Stroke] = []

    def walk(element: ET.Element, inherited: dict[str, str]) -> None:
        style = {**inherited, **element.attrib}
        if element.tag == f"{SVG}circle":
            dots.append((float(style["cx"]), float(style["cy"]), float(style["r"]), style["fill"]))
        elif element.tag == f"{SVG}path" and style.get("stroke", "none") != "none":
            strokes.append(Stroke(path_points(style["d"]), style["stroke"], float(style.get("stroke-width", "1")),
                                  float(style.get("stroke-opacity", "1"))))
        for child in element:
            walk(child, {k: v for k, v in style.items() if k in ("fill", "stroke", "stroke-width", "stroke-opacity")})
    walk(root, {})
    assert background and strokes, "the favicon's mark is a filled square with stroked paths on it"
    return Mark(side, background, tuple(dots), tuple(strokes))


def path_points(d: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    """A path's pieces as points (M, L, H, V, C and S, absolute or relative; curves cut into straight lines)."""
    pieces: list[list[tuple[float, float]]] = []
    x = y = 0.0
    control: tuple[float, float] | None = None  # the last curve's second control point (for S)
    for command, numbers in re.findall(r"([MLHVCSmlhvcs])([^MLHVCSmlhvcs]*)", d):
        values = [float(n) for n in re.findall(r"-?(?:\d+\.?\d*|\.\d+)", numbers)]
        relative = command.islower()
        kind = command.upper()
        size = {"M": 2, "L": 2, "H": 1, "V": 1, "C": 6, "S": 4}[kind]
        for i in range(0, len(values), size):
            v = values[i:i + size]
            dx, dy = (x, y) if relative else (0.0, 0.0)
            if kind == "M" and i == 0:
                x, y = v[0] + dx, v[1] + dy
                pieces.append([(x, y)])
                control = None
                continue
            if kind in "ML":
                x, y = v[0] + dx, v[1] + dy
            elif kind == "H":
                x = v[0] + (x if relative else 0.0)
            elif kind == "V":
                y = v[0] + (y if relative else 0.0)
            if kind in "MLHV":
                pieces[-1].append((x, y))
                control = None
                continue
            if kind == "C":
                c1, c2, end = (v[0] + dx, v[1] + dy), (v[2] + dx, v[3] + dy), (v[4] + dx, v[5] + dy)
            else:  # S: the first control point mirrors the last curve's second
                c1 = (2 * x - control[0], 2 * y - control[1]) if control else (x, y)
                c2, end = (v[0] + dx, v[1] + dy), (v[2] + dx, v[3] + dy)
            start = (x, y)
            for step in range(1, CURVE_STEPS + 1):
                t = step / CURVE_STEPS
                pieces[-1].append(tuple(  # type: ignore[arg-type]
                    (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * e
                    for a, b, c, e in zip(start, c1, c2, end)))
            x, y = end
            control = c2
    return tuple(tuple(piece) for piece in pieces)


def draw(svg: str) -> bytes:
    """The picture: the mark, large, in the middle of its background colour."""
    from PIL import Image, ImageColor, ImageDraw
    shapes = mark(svg)
    image = Image.new("RGB", SIZE, shapes.background)
    big = MARK_PIXELS * SUPERSAMPLE
    scale = big / shapes.side
    layer = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    for cx, cy, r, colour in shapes.dots:
        ImageDraw.Draw(layer).ellipse([(cx - r) * scale, (cy - r) * scale, (cx + r) * scale, (cy + r) * scale],
                                      fill=colour)
    for stroke in shapes.strokes:
        # each stroke on its own mask, so its own overlaps are not drawn twice at its opacity
        mask = Image.new("L", (big, big), 0)
        pen = ImageDraw.Draw(mask)
        width = stroke.width * scale
        for line in stroke.lines:
            points = [(px * scale, py * scale) for px, py in line]
            pen.line(points, fill=255, width=round(width), joint="curve")
            for px, py in (points[0], points[-1]):  # round ends (stroke-linecap: round)
                pen.ellipse([px - width / 2, py - width / 2, px + width / 2, py + width / 2], fill=255)
        paint = Image.new("RGBA", (big, big), ImageColor.getrgb(stroke.colour))
        paint.putalpha(mask.point(lambda value, o=stroke.opacity: round(value * o)))
        layer = Image.alpha_composite(layer, paint)
    layer = layer.resize((MARK_PIXELS, MARK_PIXELS), Image.Resampling.LANCZOS)
    image.paste(layer, ((SIZE[0] - MARK_PIXELS) // 2, (SIZE[1] - MARK_PIXELS) // 2), layer)
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
