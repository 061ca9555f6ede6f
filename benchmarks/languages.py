"""Languages benchmark: the same catalogue built with one interface language and with twelve, side by side.

    python benchmarks/languages.py [--n 4000] [--rounds 2]

Prints figures only: for each round, alternately, a cold build (no cache), a warm build (no change), a build
after one course was edited right after those (the first build's image of the site still being made beside it:
see docs/performance.md, "The spare site"), and three more edits, each once the last build's work beside the
output is done (as edits a while apart are), with the peak memory of the cold build, and the ratios of the
medians.
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run_build(site: Path, out: Path, *extra: str) -> tuple[float, float]:
    """Seconds, and the peak memory in MiB of the build's largest process (this build's alone)."""
    import os
    import subprocess
    import time
    with tempfile.TemporaryFile() as said:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "generator", "build", "--source", str(site), "--out",
                                    str(out), *extra], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=said)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            said.seek(0)
            raise SystemExit(said.read().decode())
    return seconds, usage.ru_maxrss / 1024

TWELVE = "languages: [en, cs, pl, hu, sl, et, lt, lv, sk, hr, bg, ro]\n"


def one_round(site: Path, out: Path, round_: int) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(site / ".catalogue-cache", ignore_errors=True)
    figures: dict[str, float] = {}
    figures["cold"], figures["memory"] = run_build(site, out, "--no-cache", "--quiet")
    run_build(site, out, "--quiet")  # fills the cache
    figures["warm"], _ = run_build(site, out, "--quiet")
    courses = sorted((site / "content/courses").glob("*/*.md"))
    edits = []
    for n in range(4):
        course = courses[(n + 3) * 7 + round_]
        course.write_text(re.sub(r"^title: .*$", f'title: "Edited title {round_}.{n}"', course.read_text(), count=1,
                                 flags=re.M))
        if n:
            settle(out)
        edits.append(run_build(site, out, "--quiet")[0])
    figures["first edit"], figures["edit"] = edits[0], statistics.median(edits[1:])
    return figures


def settle(out: Path, limit: float = 180.0) -> None:
    """Wait until nothing the last build started is still at work beside `out` (making the site's image,
    removing what the build replaced), then a second more."""
    import time
    started = time.monotonic()
    while time.monotonic() < started + limit and any(
            not path.name.endswith(".spare") for path in out.parent.glob(f".{out.name}.*")):
        time.sleep(0.1)
    time.sleep(1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    results: dict[str, list[dict[str, float]]] = {"one": [], "twelve": []}
    with tempfile.TemporaryDirectory() as tmp:
        sites = {}
        for name in results:
            site = sites[name] = Path(tmp) / name
            corpus.write(site, args.n)
            if name == "twelve":
                config = site / "site.yaml"
                config.write_text((config.read_text() if config.exists() else "") + TWELVE)
        for round_ in range(args.rounds):
            for name in results:
                figures = one_round(sites[name], Path(tmp) / f"out-{name}", round_)
                results[name].append(figures)
                print(f"round {round_ + 1}, {name:>6} language(s): cold {figures['cold']:6.2f} s (peak "
                      f"{figures['memory']:4.0f} MiB), warm {figures['warm']:5.2f} s, first edit "
                      f"{figures['first edit']:5.2f} s, one edit {figures['edit']:5.2f} s", flush=True)
    print(f"\n{args.n} courses, medians of {args.rounds} rounds | one language | twelve | ratio")
    for key, unit in (("cold", "s"), ("warm", "s"), ("edit", "s"), ("first edit", "s"), ("memory", "MiB")):
        one = statistics.median(f[key] for f in results["one"])
        twelve = statistics.median(f[key] for f in results["twelve"])
        print(f"{key:>10} | {one:8.2f} {unit} | {twelve:8.2f} {unit} | {twelve / one:4.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
