"""Write a synthetic catalogue of N courses in the course format, deterministically (for the benchmarks).

    python benchmarks/corpus.py DIR N [--seed 7]
"""
from __future__ import annotations

import argparse
import math
import random
from pathlib import Path

INSTITUTIONS = [("inst-%02d" % i, f"Institute of Life Sciences {i}", country)
                for i, country in enumerate(["CZ", "PL", "HU", "SK", "SI", "HR", "EE", "LV", "LT", "RO", "BG", "CZ"])]
TOPICS = ["Research Data Management", "Grant Writing", "Bioinformatics", "Clinical Research", "Technology Transfer",
          "Open Science", "Leadership", "Imaging", "Biostatistics", "Research Ethics", "Project Management",
          "Science Communication", "Machine Learning", "Intellectual Property", "Laboratory Practice"]
WORDS = ("analysis method protocol sample experiment laboratory workflow reproducible pipeline funding proposal "
         "evaluation impact partner consortium budget ethics consent patient cohort statistics regression model "
         "validation microscopy imaging sequencing genome protein structure career mentoring leadership team "
         "meeting report publication licence repository metadata standard quality cell tissue enzyme antibody "
         "assay vector plasmid membrane receptor ligand kinase pathway neuron synapse cortex biopsy tumour "
         "vaccine pathogen virus bacterium strain colony culture medium reagent buffer centrifuge spectrometer "
         "chromatography crystal diffraction resolution density electron photon laser fluorescence").split()
LANGS = ["en"] * 6 + ["cs", "pl", "hu", "sk", "sl", "hr", "et", "lv", "lt", "ro", "bg"]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def course(rng: random.Random, i: int) -> tuple[str, str, str]:
    inst = INSTITUTIONS[i % len(INSTITUTIONS)]
    credits = rng.choice([1, 1.5, 2, 2.5, 3, 4, 5, 6, 10, 15, 30, 60])
    topics = rng.sample(TOPICS, 2)
    month, day = rng.randint(1, 12), rng.randint(2, 28)
    front = [
        f'title: "{rng.choice(["Foundations of", "Advanced", "Applied", "Practical"])} {topics[0]} {i}"',
        f'summary: "{sentence(rng, 18)}"',
        f"credits: {credits}",
        f"workload_hours: {math.ceil(credits * rng.choice([25, 27, 30]))}",
        f"eqf_level: {rng.choice([5, 6, 7, 7, 8, 8])}",
        f"audience: [{', '.join(sorted(rng.sample(['doctoral-candidates', 'recent-graduates', 'professionals', 'research-managers'], rng.randint(1, 3))))}]",
        f"language: {rng.choice(LANGS)}",
        f"mode: {rng.choice(['online', 'on-site', 'blended'])}",
        f"admission: {rng.choice(['secondary', 'bachelor', 'master'])}",
        f"topics: [{', '.join(topics)}]",
        "learning_outcomes:", *[f'  - "{sentence(rng, 9)}"' for _ in range(rng.randint(2, 4))],
        f'assessment: "{rng.choice(["Written test", "Project report", "Oral examination"])}"',
        f'quality_assurance: "Approved by the board of {inst[1]}"',
        f"start_date: 2027-{month:02d}-{day:02d}",
        f"application_deadline: 2027-{month:02d}-{day - 1:02d}",
        f"fee: {rng.choice([0, 0, 150, 300, 900])}",
        f"enrol_url: https://example.org/{inst[0]}/apply/{i}",
    ]
    body = "\n\n".join([
        "## About the course\n\n" + " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(6)),
        "## Structure\n\n" + "\n".join(f"{k}. **{rng.choice(TOPICS)}**: {sentence(rng, 8)}" for k in range(1, 5)),
        "## Schedule\n\n| Week | Topic |\n|---|---|\n" + "\n".join(f"| {k} | {rng.choice(TOPICS)} |" for k in range(1, 4)),
        "## Lecturers\n\n" + " ".join(sentence(rng, 12) for _ in range(3)),
    ])
    return inst[0], f"course-{i:05d}", "---\n" + "\n".join(front) + "\n---\n\n" + body + "\n"


def write(folder: Path, n: int, seed: int = 7) -> None:
    """Write institutions and n courses under folder/content/."""
    rng = random.Random(seed)
    for iid, name, country in INSTITUTIONS:
        path = folder / "content/institutions" / f"{iid}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'name: "{name}"\ncountry: {country}\nwebsite: https://example.org/{iid}\n')
    for i in range(n):
        iid, slug, text = course(rng, i)
        path = folder / "content/courses" / iid / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("folder", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    write(args.folder, args.n, args.seed)
