"""Build benchmark: cold, warm and one-edit builds, peak memory and scaling, on a generated catalogue.

    python benchmarks/build.py [--n 4000] [--scale 20000] [--compare]

Prints figures only. Each build runs `catalogue build` in its own process, timed from outside, with its
peak memory (largest process). With --compare (and ../shared/bench/compare.py present), also runs the
shared comparison with Hugo, Eleventy, Pelican and Pagefind on the shared corpus.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import corpus  # noqa: E402


BEFORE_EVERY_DATE = "2026-06-01"  # the corpus's courses all start in 2027: on this day, all are listed


def run_build(site: Path, out: Path, *extra: str, today: str = BEFORE_EVERY_DATE) -> tuple[float, float, str]:
    """Seconds, peak memory in MiB of the largest process, and the build's stage line (a build for `today`, so
    that the figures do not change as the corpus's dates go by)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "generator", "build", "--source", str(site), "--out", str(out),
                           "--today", today, *extra], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(done.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stages = next((line for line in done.stderr.splitlines() if line.startswith("Stages:")), "")
    return seconds, peak, stages


def measure(n: int, tmp: Path) -> dict[str, float]:
    site, out = tmp / f"site-{n}", tmp / f"out-{n}"
    corpus.write(site, n)
    figures = {}
    seconds, peak, stages = run_build(site, out, "--no-cache")
    print(f"{n} courses, cold (no cache):   {seconds:6.2f} s, peak {peak:5.0f} MiB  [{stages}]")
    figures["cold"] = seconds
    shutil.rmtree(out)
    seconds, _, _ = run_build(site, out)          # fills the cache
    seconds, _, stages = run_build(site, out)
    print(f"{n} courses, warm, no change: {seconds:6.2f} s  [{stages}]")
    figures["warm"] = seconds
    course = sorted((site / "content/courses").glob("*/*.md"))[n // 2]
    course.write_text(re.sub(r"^title: .*$", 'title: "An edited title"', course.read_text(), count=1, flags=re.M))
    seconds, _, stages = run_build(site, out)
    print(f"{n} courses, one course edited: {seconds:6.2f} s  [{stages}]")
    figures["edit"] = seconds
    # a build every day: the first day after many deadlines and runs ended, then the next day (the deadlines and
    # runs of that one day), then the same day again (nothing to do)
    run_build(site, out, today="2027-03-10")
    seconds, _, stages = run_build(site, out, today="2027-03-11")
    print(f"{n} courses, the next day:      {seconds:6.2f} s  [{stages}]")
    figures["day"] = seconds
    seconds, _, stages = run_build(site, out, today="2027-03-11")
    print(f"{n} courses, the same day again: {seconds:6.2f} s  [{stages}]")
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--scale", type=int, default=0, help="also build this many courses, for the scaling ratio")
    ap.add_argument("--compare", action="store_true", help="also run ../shared/bench/compare.py")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {os.uname().machine}")
    with tempfile.TemporaryDirectory() as tmp:
        base = measure(args.n, Path(tmp))
        if args.scale:
            big = measure(args.scale, Path(tmp))
            print(f"scaling: {args.scale} courses take {big['cold'] / base['cold']:.2f} x the time of {args.n} "
                  f"(linear would be {args.scale / args.n:.1f} x)")
    compare = ROOT.parent / "shared/bench/compare.py"
    if args.compare and compare.exists():
        subprocess.run([sys.executable, str(compare), "--n", str(args.n), "--project",
                        f"{sys.executable} -m generator build --source {{src}} --out {{out}}"], cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
