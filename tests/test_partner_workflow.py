"""The partners' path: the pull-request workflow runs the annotated check, and the guide explains real messages."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

from generator.engine.build import check

from .conftest import COURSE, INSTITUTION, ROOT, write_files

WORKFLOW = ROOT / ".github/workflows/pull-request.yml"
GUIDE = ROOT / "CONTRIBUTING.md"


def steps() -> list[dict]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    (job,) = workflow["jobs"].values()
    return job["steps"]


def test_the_workflow_checks_with_annotations_then_builds_then_tests():
    runs = [step.get("run", "") for step in steps()]
    setup = next(step for step in steps() if step.get("uses", "").startswith("actions/setup-python"))
    assert str(setup["with"]["python-version"]) == "3.11"
    order = [next(i for i, run in enumerate(runs) if needle in run)
             for needle in ("catalogue check --format github", "catalogue build", "make test")]
    assert order == sorted(order)


def test_the_workflow_installs_with_a_make_target_that_exists():
    install = next(step["run"] for step in steps() if step.get("run", "").startswith("make .venv/"))
    target = install.split()[1]
    done = subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def step(name: str) -> dict:
    return next(s for s in steps() if s.get("name") == name)


CLASSIFIER = ROOT / ".github/scripts/touches-more-than-content"


def touches_more_than_content(*paths: str) -> str:
    done = subprocess.run([str(CLASSIFIER)], input="".join(p + "\n" for p in paths), capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_a_change_to_content_only_is_checked_and_built_without_the_test_suite():
    assert touches_more_than_content("content/courses/ceitec-muni/new.md") == "false"
    assert touches_more_than_content("content/courses/a/b.md", "content/institutions/a.yaml") == "false"
    for other in ("generator/cli.py", "themes/default/templates/base.html", "tests/test_build.py",
                  "site.yaml", "Makefile", ".github/workflows/pull-request.yml", "contents/x.md"):
        assert touches_more_than_content("content/courses/a/b.md", other) == "true", other
    # the workflow feeds it the pull request's changed files (old and new names of a rename) and runs the
    # suite only when it says so; a push to main always runs it
    changes = step("See what the change touches")
    assert "git diff --name-only --no-renames" in changes["run"] and CLASSIFIER.name in changes["run"]
    assert "code=true" in changes["run"].split("else", 1)[1]
    tests = next(s for s in steps() if "make test" in s.get("run", ""))
    assert tests["if"] == f"steps.{changes['id']}.outputs.code == 'true'"
    for name in ("Check the courses", "Build the site", "Install the catalogue generator"):
        assert "if" not in step(name), name


def test_the_build_cache_is_kept_between_runs_where_the_generator_keeps_it():
    from generator.engine.cache import CACHE_DIR, user_cache

    all_steps = steps()
    cache = next(s for s in all_steps if s.get("uses", "").startswith("actions/cache@"))
    # a runner has no XDG_CACHE_HOME: the signing key is in ~/.cache (see user_cache)
    assert cache["with"]["path"].split() == [CACHE_DIR, "output", f"~/.cache/{user_cache().name}"]
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"])  # the newest earlier one is restored
    build = next(s for s in all_steps if s.get("run", "").startswith(".venv/bin/catalogue build"))
    assert all_steps.index(cache) < all_steps.index(build)


NETLIFY_PLUGIN = ROOT / "netlify/plugins/keep-build-cache"


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_netlify_keeps_the_same_folders_between_deploys(tmp_path):
    from generator.engine.cache import CACHE_DIR

    netlify = tomllib.loads((ROOT / "netlify.toml").read_text(encoding="utf-8"))
    assert {"package": "/" + NETLIFY_PLUGIN.relative_to(ROOT).as_posix()} in netlify["plugins"]
    assert yaml.safe_load((NETLIFY_PLUGIN / "manifest.yml").read_text())["name"] == NETLIFY_PLUGIN.name
    # the plugin's hooks, run by Node with Netlify's cache utilities stood in for
    script = """
    const plugin = require(process.argv[1]); const calls = [];
    const utils = {cache: {restore: async f => { calls.push(['restore', f]); return false },
                           save: async f => { calls.push(['save', f]); return true }}};
    (async () => { await plugin.onPreBuild({utils}); await plugin.onPostBuild({utils});
                   console.log(JSON.stringify(calls)) })();
    """
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    done = subprocess.run(["node", "-e", script, str(NETLIFY_PLUGIN / "index.js")], capture_output=True,
                          text=True, env=env, check=True)
    calls = json.loads(done.stdout.strip().splitlines()[-1])
    kept = [CACHE_DIR, "output", str(tmp_path / "xdg" / "microcredentials-catalogue")]
    assert calls == [["restore", f] for f in kept] + [["save", f] for f in kept]
    patch = pytest.MonkeyPatch()
    patch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    try:
        from generator.engine.cache import user_cache
        assert str(user_cache()) == kept[2]
    finally:
        patch.undo()


def broken(old: str, new: str) -> str:
    assert old in COURSE
    return COURSE.replace(old, new)


# One file for each kind of problem the guide explains; the folder's own course stays valid.
BROKEN_FILES: dict[str, str | bytes] = {
    "unknown-field.md": broken("credits: 2", "credit: 2"),
    "missing.md": broken("summary: A course used in the tests.\n", ""),
    "empty.md": broken("summary: A course used in the tests.", "summary:"),
    "not-allowed.md": broken("mode: online", "mode: onsite"),
    "not-a-number.md": broken("credits: 2", "credits: 2 ECTS"),
    "out-of-range.md": broken("credits: 2", "credits: 61"),
    "not-a-date.md": broken("mode: online", "mode: online\nstart_date: next spring"),
    "no-such-date.md": broken("mode: online", "mode: online\nstart_date: 2027-02-30"),
    "language.md": broken("language: en", "language: english"),
    "not-a-list.md": broken("learning_outcomes:\n  - Do a thing well.", "learning_outcomes: Do a thing well."),
    "not-a-url.md": broken("https://test.example.org/apply", "www.example.org/apply"),
    "insecure-url.md": broken("https://test.example.org/apply", "http://test.example.org/apply"),
    "email.md": broken("mode: online", "mode: online\ncontact: someone at example.org"),
    "isced.md": broken("mode: online", "mode: online\nisced_f: Biology"),
    "yaml-colon.md": broken("title: A Test Course", "title: A Test Course: Basics"),
    "twice.md": broken("credits: 2", "credits: 2\ncredits: 3"),
    "alias.md": broken("assessment: A written test.", "assessment: &a A written test.\nprerequisites: *a"),
    "no-fence.md": COURSE.removeprefix("---\n"),
    "unclosed.md": COURSE.replace("\n---\n", "\n", 1).replace("enrol_url: https://test.example.org/apply\n---",
                                                              "enrol_url: https://test.example.org/apply"),
    "not-utf8.md": broken("A Test Course", "A Test Caf\u00e9").encode("latin-1"),
    "Bad Name.md": COURSE,
    "award.md": broken("title: A Test Course", "title: An Award Course\nstackability: stackable\n"
                                                "stackable_towards: Certificate in Clinical Research"),
    "award-spelled-otherwise.md": broken("title: A Test Course", "title: Another Award Course\nstackability: stackable"
                                                                 "\nstackable_towards: Certificate of Clinical Research"),
    "award-again.md": broken("title: A Test Course", "title: A Third Award Course\nstackability: stackable\n"
                                                      "stackable_towards: Certificate in Clinical Research"),
    "no-body.md": COURSE.replace("The course body.\n", ""),
    "image.md": COURSE + "\n![a photo](https://example.org/photo.jpg)\n",
    "no-alt.md": broken("mode: online", "mode: online\nimage: missing.jpg") + "\n![](lab.png)\n",
    "html-picture.md": COURSE + "\n<img src=lab.png alt=lab>\n",
    "svg.md": broken("mode: online", "mode: online\nimage: drawing.jpg\nimage_alt: A drawing"),
    "drawing.jpg": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "text.md": COURSE + "\n![A plan](plan.png)\n",
    "plan.png": "not a picture at all\n",
    "documents.md": COURSE + "\n[Syllabus](syllabus.pdf) and [data](data.xlsx)\n",
    "data.xlsx": b"PK\x03\x04 a spreadsheet",
    "unused.webp": b"RIFF",
    "unused.pdf": b"%PDF-1.4",
    "no-enrol-url.md": broken("enrol_url: https://test.example.org/apply\n", ""),
    "workload.md": broken("credits: 2", "credits: 1\nworkload_hours: 40"),
    # (the tests check as on 2026-06-01: conftest.PINNED_DAY)
    "ended.md": broken("mode: online", "mode: online\nstart_date: 2026-01-12"),
    "deadline.md": broken("mode: online", "mode: online\napplication_deadline: 2026-05-01\nstart_date: 2026-09-01"),
    "placeholder.md": COURSE.replace("The course body.", "Replace this paragraph: who teaches the course."),
}


@pytest.fixture(scope="module")
def real_messages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every line the checker prints for a site holding each kind of problem."""
    files: dict[str, str | bytes] = {"content/institutions/test-institute.yaml": INSTITUTION,
                                     "content/courses/nowhere/unknown-institution.md": COURSE,
                                     "content/courses/misplaced.md": COURSE,
                                     "content/courses/test-institute/translated.md": COURSE,
                                     "content/courses/test-institute/translated.cs.md":
                                         "---\ntitle: Kurz\nsummary: Kurz.\ncredits: 2\n---\n",
                                     "content/courses/test-institute/untranslated.cs.md":
                                         "---\ntitle: Kurz\nsummary: Kurz.\n---\n"}
    files.update({f"content/courses/test-institute/{name}": text for name, text in BROKEN_FILES.items()})
    site = write_files(tmp_path_factory.mktemp("partners") / "site", files)
    return [d.text() for d in check(site)]


def guide_messages() -> list[str]:
    """The messages quoted in the headings of the guide's section on error messages."""
    section = GUIDE.read_text(encoding="utf-8").split("## What the error messages mean", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^### (.+)$", section, re.M)
    return [quoted for heading in headings for quoted in re.findall(r"`([^`]+)`", heading)]


def test_the_guide_explains_messages_the_checker_really_prints(real_messages):
    quoted = guide_messages()
    assert len(quoted) >= 25
    for message in quoted:
        pattern = ".*?".join(re.escape(part) for part in message.split("…"))
        assert any(re.search(pattern, line) for line in real_messages), \
            f"the guide quotes {message!r}, which check never prints:\n" + "\n".join(real_messages)


def test_the_guide_covers_the_partners_path():
    guide = GUIDE.read_text(encoding="utf-8")
    for words in ("**Add file** > **Create new file**", "Create a new branch for this commit", "Create pull request",
                  "deploy preview", "make serve-output", "catalogue new", "status: archived", "do not delete or rename",
                  "](docs/course-format.md)", "Files changed"):
        assert words in guide, words
    assert "| `credits` |" not in guide, "the field table lives in docs/course-format.md only"
