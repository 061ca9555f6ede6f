"""Parsing and rendering across forked processes give the same bytes as doing it here, and report errors the same way."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import ROOT, copy_site
from .test_build import tree

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one processor: nothing is shared out")

# Built in a fresh interpreter: forking is only used when no other thread runs, which a test process with a
# browser open cannot promise. Every batch is shared out, however small.
BUILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import generator.content.catalogue as catalogue, generator.fast.parallel as parallel, generator.engine.artifact as artifact
    catalogue.PARALLEL_FROM = parallel.PARALLEL_FROM = artifact.PARALLEL_FROM = 1
    from generator.engine.build import build
    from generator.diagnostics import ContentError
    try:
        build(Path(sys.argv[1]), Path(sys.argv[2]), use_cache=False)
        problems = []
    except ContentError as exc:
        problems = [d.text() for d in exc.diagnostics]
    print(json.dumps({"forked": parallel.forked, "problems": problems}))
""")


def build_forked(site: Path, out: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", BUILD, str(site), str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_pages_and_data_rendered_across_processes_are_byte_identical(sample_build, tmp_path):
    out, _ = sample_build
    report = build_forked(ROOT, tmp_path / "out")
    assert report == {"forked": 4, "problems": []}  # the course files, the pages, the courses' open-data pieces, the open data
    assert tree(tmp_path / "out") == tree(out)


def test_a_template_error_in_a_forked_process_is_reported_at_its_line(tmp_path):
    site = copy_site("basic", tmp_path / "site")
    theme = site / "themes/default/templates"
    theme.mkdir(parents=True)
    course = (ROOT / "themes/default/templates/course.html").read_text(encoding="utf-8")
    lines = course.splitlines()
    at = next(i for i, line in enumerate(lines) if "{% block main %}" in line) + 1
    lines.insert(at, "{{ course.title | no_such_filter }}")
    (theme / "course.html").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = build_forked(site, tmp_path / "out")
    assert report["problems"] and all("themes/default/templates/course.html" in p for p in report["problems"])
    assert any("no_such_filter" in p for p in report["problems"])
    assert not (tmp_path / "out").exists()


def test_shares_come_back_in_order_and_a_failed_or_lost_share_is_run_again_here():
    script = textwrap.dedent("""
        import functools, os
        import generator.fast.parallel as parallel
        parallel.PARALLEL_FROM = 1
        jobs = [functools.partial(pow, i, 2) for i in range(1001)]
        assert parallel.run_all(jobs) == [i * i for i in range(1001)], "order"
        here = os.getpid()
        def where():
            if os.getpid() != here:
                raise ValueError("only in a forked process")
            return "here"
        jobs[1] = where  # the second job goes to the first forked process
        results = parallel.run_all(jobs)
        assert results[1] == "here" and results[2] == 4 and results[1000] == 1000 * 1000, results[:3]
        def dies():
            if os.getpid() != here:
                os._exit(9)  # as if killed
            return "here"
        jobs[1] = dies
        results = parallel.run_all(jobs)
        assert results[1] == "here" and results[3] == 9, results[:4]
        print(parallel.forked)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"


JOB = textwrap.dedent("""
    import os, time
    from generator.fast.parallel import forked_job
    here = os.getpid()
    print(forked_job(lambda: os.getpid()).result() != here)               # worked out in a copy of the process
    print(forked_job(lambda: 1 // (os.getpid() == here)).result())         # the copy fails: worked out here
    print(forked_job(lambda: "big" * 100_000).result() == "big" * 100_000)  # more than a pipe holds at once
    job = forked_job(lambda: time.sleep(60))
    started = time.monotonic()
    job.cancel()                                                            # a copy not needed is stopped
    print(time.monotonic() - started < 5)
""")


def test_a_job_forked_ahead_gives_its_result_or_is_worked_out_here():
    done = subprocess.run([sys.executable, "-c", JOB], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "1", "True", "True"]
