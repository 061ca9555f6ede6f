"""Makes the sample catalogue's pictures and syllabus: abstract pictures drawn with Pillow and a one-page PDF.

They were made for the sample catalogue and are dedicated to the public domain (CC0 1.0): anyone may use them for
anything. Run it from the repository's top to make them again: `.venv/bin/python content/sample-media.py`.
"""
from __future__ import annotations

import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

COURSES = Path(__file__).resolve().parent / "courses"


def particles(path: Path) -> None:
    """Cryo-EM: pale particles in thin grey ice, as on a micrograph."""
    rng = random.Random(7)
    image = Image.new("L", (1600, 1000), 118)
    draw = ImageDraw.Draw(image)
    for _ in range(260):
        x, y, r = rng.uniform(0, 1600), rng.uniform(0, 1000), rng.uniform(14, 30)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(150, 190))
    image = image.filter(ImageFilter.GaussianBlur(6))
    toned = Image.merge("RGB", (image, image.point(lambda v: v + 6), image.point(lambda v: v + 18)))
    toned.save(path, "JPEG", quality=70, optimize=True, progressive=True)


def fluorescence(path: Path) -> None:
    """Light microscopy: neurons in green and nuclei in magenta on black, softly out of focus."""
    rng = random.Random(11)
    image = Image.new("RGB", (1600, 1000), (4, 6, 10))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.uniform(0, 1600), rng.uniform(0, 1000)
        for _ in range(5):  # dendrites
            angle, length = rng.uniform(0, 2 * math.pi), rng.uniform(80, 260)
            draw.line((x, y, x + length * math.cos(angle), y + length * math.sin(angle)), fill=(40, 200, 90), width=5)
        draw.ellipse((x - 16, y - 16, x + 16, y + 16), fill=(210, 60, 200))
    image = image.filter(ImageFilter.GaussianBlur(4))
    image.save(path, "JPEG", quality=70, optimize=True, progressive=True)


def strands(path: Path) -> None:
    """Genome editing: two strands of a double helix in colour, on a light ground."""
    image = Image.new("RGB", (1600, 900), (244, 246, 250))
    draw = ImageDraw.Draw(image)
    for x in range(0, 1600, 4):
        phase = x / 1600 * 6 * math.pi
        a, b = 450 + 220 * math.sin(phase), 450 + 220 * math.sin(phase + math.pi)
        if x % 48 == 0:
            draw.line((x, a, x, b), fill=(150, 160, 180), width=6)
        draw.ellipse((x - 9, a - 9, x + 9, a + 9), fill=(11, 79, 138))
        draw.ellipse((x - 9, b - 9, x + 9, b + 9), fill=(194, 65, 12))
    image.filter(ImageFilter.GaussianBlur(1)).save(path, "JPEG", quality=72, optimize=True, progressive=True)


def workflow(path: Path) -> None:
    """A diagram with see-through background: three steps of an editing experiment as coloured boxes."""
    image = Image.new("RGBA", (900, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=34)
    steps = ((11, 79, 138), "Design"), ((26, 127, 100), "Deliver"), ((194, 65, 12), "Analyse")
    for i, (colour, word) in enumerate(steps):
        left = 30 + i * 300
        draw.rounded_rectangle((left, 50, left + 240, 190), radius=24, fill=(*colour, 255))
        draw.text((left + 120, 120), word, fill=(255, 255, 255, 255), font=font, anchor="mm")
        if i < 2:
            draw.polygon(((left + 250, 100), (left + 290, 120), (left + 250, 140)), fill=(90, 100, 115, 255))
    image.save(path, "PNG", optimize=True)


def syllabus(path: Path) -> None:
    """A one-page PDF with the course's schedule in text (written out: no library needed for so little)."""
    lines = ["Cryo-EM Single-Particle Analysis: From Grid to Atomic Model", "Syllabus (sample)", "",
             "Week 1: vitrification, grid screening, automated data collection",
             "Week 2: motion correction, 2D and 3D classification, refinement, model building",
             "Assessment: a processed EMPIAR data set presented in 20 minutes"]
    text = "BT /F1 12 Tf 72 760 Td 16 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
               "/Contents 5 0 R >>",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Length {len(text)} >>\nstream\n{text}\nendstream"]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    start = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
    path.write_bytes(out)


if __name__ == "__main__":
    particles(COURSES / "ceitec-muni" / "cryo-em-micrograph.jpg")
    syllabus(COURSES / "ceitec-muni" / "cryo-em-syllabus.pdf")
    fluorescence(COURSES / "nencki-institute" / "neurons-in-fluorescence.jpg")
    strands(COURSES / "vilnius-university-lsc" / "double-helix.jpg")
    workflow(COURSES / "vilnius-university-lsc" / "editing-workflow.png")
