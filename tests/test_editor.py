"""The web editor (/admin/): its configuration compared field by field with the course format, the pinned Decap
CMS and how it is installed, the built files and their headers, and the preview's local backend (what it may
read and write, and what it refuses)."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import re
import stat
import tarfile
from pathlib import Path

import pytest
import yaml

from generator.content import schema
from generator.content.checks import CHECKS
from generator.content.config import load_config
from generator.content.load import check, load
from generator.content.scaffold import field_words
from generator.content.schema import COURSE_FIELDS, MAX_LIST, FieldSpec
from generator.engine.build import build
from generator.serve.backend import MAX_MEDIA, LocalBackend
from generator.site import decap, editor

from .conftest import COURSE, ROOT, SITES, copy_site, headers_rules, rule_matches, site_headers

EDITOR_CSP = ("default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
              "img-src 'self' blob: data: https://avatars.githubusercontent.com; font-src 'self'; "
              "connect-src 'self' blob: https://api.github.com; worker-src 'none'; frame-src 'none'; manifest-src 'none'; "
              "object-src 'none'; base-uri 'self'; form-action 'none'; frame-ancestors 'none'")

# What the form must offer for each kind of field: the test's own reading of the format, not decap.py's table
EXPECTED_WIDGET = {"plain_text": "string", "text": "text", "credits": "number", "money": "number", "date": "datetime",
                   "url": "string", "email": "string", "bool": "boolean", "enum": "select", "enum_list": "select",
                   "text_list": "list", "languages": "select", "country": "select", "currency": "select",
                   "isced": "select", "image": "image", "file": "image", "integer": "number or select"}

needs_bundle = pytest.mark.skipif(
    not (editor.EDITOR_DIR / "dist" / editor.INSTALLED).is_file() and not os.environ.get("CATALOGUE_REQUIRE_BROWSER"),
    reason="Decap CMS is not installed (make editor; make test installs it)")


def editor_site(tmp_path: Path, settings: str = "editor_repo: alliance/catalogue\n") -> Path:
    """tests/sites/basic with the web editor's settings in its site.yaml."""
    site = copy_site("basic", tmp_path / "site")
    (site / "site.yaml").write_text((site / "site.yaml").read_text() + settings)
    return site


def collections(site: Path, local: bool = False) -> tuple[dict, list[dict]]:
    catalogue, _ = load(site)
    config = yaml.safe_load(decap.config_yaml(catalogue, local))
    return config, config["collections"]


# --- the configuration, field by field ---------------------------------------------------------------------


def assert_field_matches(spec: FieldSpec, field: dict) -> None:
    """One Decap field says what the course format says of the field."""
    assert field["name"] == spec.name
    assert field["required"] is spec.required, spec.name
    assert field["widget"] == ("select" if spec.kind == "integer" and spec.choices else
                               "number" if spec.kind == "integer" else EXPECTED_WIDGET[spec.kind]), spec.name
    assert field["hint"] == field_words(spec, in_yaml=False)
    assert field["label"]
    if spec.choices:
        assert [o["value"] for o in field["options"]] == [c.value for c in spec.choices], spec.name
        assert all(c.label in o["label"] for c, o in zip(spec.choices, field["options"])), spec.name
        assert field.get("multiple", False) is (spec.kind == "enum_list")
    if field["widget"] == "number":
        assert field["value_type"] == ("int" if spec.kind == "integer" else "float")
        assert (field.get("min"), field.get("max")) == (spec.minimum, spec.maximum), spec.name
        assert field["step"] == (spec.step or (0.01 if spec.kind == "money" else 1)), spec.name
    if spec.kind in ("plain_text", "text"):
        assert re.fullmatch(field["pattern"][0], "x" * (spec.max_length or schema.MAX_TEXT))
        assert not re.fullmatch(field["pattern"][0], "x" * ((spec.max_length or schema.MAX_TEXT) + 1))
    if spec.kind == "text_list":
        assert field["field"]["widget"] == "string" and field["max"] == MAX_LIST
        assert field.get("min") == (1 if spec.required else None)
        assert re.fullmatch(field["field"]["pattern"][0], "x" * spec.max_length)
        assert not re.fullmatch(field["field"]["pattern"][0], "x" * (spec.max_length + 1))
    if spec.kind == "date":
        assert field["format"] == field["date_format"] == "YYYY-MM-DD" and field["time_format"] is False
    if spec.kind == "languages":
        assert {o["value"] for o in field["options"]} >= {"en", "cs", "pl", "hu", "sl", "et", "lt", "lv", "sk", "hr",
                                                         "bg", "ro"}
        assert all(schema.language_name(o["value"]) for o in field["options"]) and field["multiple"] is True
    if spec.kind == "currency":
        assert all(schema.is_currency(o["value"]) for o in field["options"]) and "EUR" in str(field["options"])
    if spec.kind == "isced":
        assert [o["value"] for o in field["options"]] == list(schema.isced_fields())
    if spec.kind == "url":
        assert re.match(field["pattern"][0], "https://example.org/apply")
        assert not re.match(field["pattern"][0], "http://example.org/apply")
    if spec.kind == "email":
        assert re.match(field["pattern"][0], "name@example.org") and not re.match(field["pattern"][0], "name@")


@pytest.mark.parametrize("local", [False, True], ids=["built", "preview"])
def test_every_collection_has_every_course_field_as_the_format_says(tmp_path, local):
    _, found = collections(editor_site(tmp_path), local)
    catalogue, _ = load(SITES / "basic")
    assert [c["name"] for c in found] == [i.id for i in catalogue.institutions]  # one collection per institution
    for collection, institution in zip(found, catalogue.institutions):
        assert collection["label"] == institution.name
        assert collection["folder"] == f"content/courses/{institution.id}"
        assert (collection["extension"], collection["format"], collection["create"]) == ("md", "frontmatter", True)
        assert (collection["media_folder"], collection["public_folder"]) == ("", "")  # pictures beside the course
        fields = collection["fields"]
        assert [f["name"] for f in fields] == [spec.name for spec in COURSE_FIELDS] + ["body"]
        for spec, field in zip(COURSE_FIELDS, fields):
            assert_field_matches(spec, field)
        assert fields[-1]["widget"] == "markdown" and fields[-1]["required"] is True


def test_a_field_of_an_unknown_kind_is_caught():
    """The comparison above fails when the format and the form disagree: each mismatch, one at a time."""
    spec = next(s for s in COURSE_FIELDS if s.name == "credits")
    field = decap.field_config(spec)
    for broken in ({"max": 30}, {"required": False}, {"widget": "string"}, {"step": 1}, {"hint": "Credits."}):
        with pytest.raises(AssertionError):
            assert_field_matches(spec, {**field, **broken})
    audience = next(s for s in COURSE_FIELDS if s.name == "audience")
    field = decap.field_config(audience)
    with pytest.raises(AssertionError):
        assert_field_matches(audience, {**field, "options": field["options"][:-1]})


def test_every_kind_of_course_field_has_a_widget():
    kinds = {spec.kind for spec in COURSE_FIELDS} | set(decap.IMAGE_KINDS)
    assert kinds <= set(decap.WIDGETS) and kinds <= set(EXPECTED_WIDGET)
    assert set(CHECKS) - {"base_url", "github_repo", "translations", "names"} <= set(decap.WIDGETS)  # (site.yaml's own: none)


def test_a_picture_field_is_an_image_stored_beside_the_course(tmp_path):
    _, found = collections(editor_site(tmp_path))
    image = next(f for f in found[0]["fields"] if f["name"] == "image")
    assert image["widget"] == "image" and image["required"] is False and image["choose_url"] is False
    assert next(f for f in found[0]["fields"] if f["name"] == "image_alt")["widget"] == "string"
    assert (found[0]["media_folder"], found[0]["public_folder"]) == ("", "")  # the file beside the course file


@pytest.mark.parametrize("languages, locale", [("[cs, en]", "cs"), ("[bg]", "bg"), ("[et, en]", "en"),
                                               ("[lv]", "en"), ("[en, cs]", "en")])
def test_the_editor_speaks_the_site_default_language_where_decap_has_it(tmp_path, languages, locale):
    config, _ = collections(editor_site(tmp_path, f"editor_repo: a/b\nlanguages: {languages}\n"))
    assert config["locale"] == locale


def test_the_built_editor_opens_pull_requests_on_the_configured_repository(tmp_path):
    config, _ = collections(editor_site(tmp_path, "editor_repo: https://github.com/alliance/catalogue.git\n"
                                                  "editor_branch: live\n"))
    assert config["backend"] == {"name": "github", "repo": "alliance/catalogue", "branch": "live",
                                 "open_authoring": True}
    assert config["publish_mode"] == "editorial_workflow"
    assert config["site_url"] == "https://courses.example.org/"


def test_another_host_sets_its_own_sign_in_service(tmp_path):
    config, _ = collections(editor_site(tmp_path, "editor_repo: alliance/catalogue\n"
                                                  "editor_auth_url: https://auth.example.org\n"
                                                  "editor_auth_endpoint: oauth/start\n"))
    assert config["backend"]["base_url"] == "https://auth.example.org"
    assert config["backend"]["auth_endpoint"] == "oauth/start"


def test_the_preview_editor_writes_through_the_local_backend(tmp_path):
    config, _ = collections(editor_site(tmp_path, ""), local=True)
    assert config["backend"] == {"name": "proxy", "proxy_url": "/_catalogue/api/v1", "branch": "main"}
    assert "publish_mode" not in config


@pytest.mark.parametrize("value, message", [
    ("alliance", "'editor_repo' is 'alliance', which is not a GitHub repository"),
    ("alliance/cata logue", "'editor_repo' is 'alliance/cata logue', which is not a GitHub repository"),
    ("../x", "'editor_repo' is '../x', which is not a GitHub repository"),
    ("[a, b]", "'editor_repo' must be a GitHub repository like owner/name, but it is a list"),
])
def test_a_repository_that_is_not_one_is_a_diagnostic_in_site_yaml(tmp_path, value, message):
    site = editor_site(tmp_path, f"editor_repo: {value}\n")
    config, diags = load_config(site)
    assert config is None and [d.message for d in diags] == [message]
    assert diags[0].path.endswith("site.yaml") and diags[0].line == 5


def test_the_configuration_is_the_same_bytes_every_time(tmp_path):
    site = editor_site(tmp_path)
    catalogue, _ = load(site)
    assert decap.config_yaml(catalogue) == decap.config_yaml(load(site)[0])
    assert decap.config_yaml(catalogue).count(b"- name: title\n") == 1  # the form is written once, then referred to


# --- Decap CMS: pinned, locked, installed ------------------------------------------------------------------


def test_decap_is_pinned_exactly_and_locked_with_its_integrity():
    package = json.loads((ROOT / "editor/package.json").read_text())
    lock = json.loads((ROOT / "editor/package-lock.json").read_text())
    version = package["dependencies"]["decap-cms"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin an exact version, not a range"
    locked = lock["packages"]["node_modules/decap-cms"]
    assert locked["version"] == version and locked["license"] == "MIT"
    assert locked["integrity"].startswith("sha512-") and len(base64.b64decode(locked["integrity"][7:])) == 64
    assert editor.pin() == editor.Pin(version, locked["integrity"])
    assert "dist/" in (ROOT / "editor/.gitignore").read_text()  # the 5 MB bundle is installed, never committed
    assert "MIT License" in (ROOT / "editor/LICENSE-decap-cms.txt").read_text()


def fake_editor(tmp_path: Path, tarball: bytes, integrity: str | None = None) -> Path:
    """An editor/ folder whose lock file pins a package, and an `npm` on PATH that 'fetches' `tarball`."""
    folder = tmp_path / "editor"
    folder.mkdir()
    digest = integrity or "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    (folder / "package.json").write_text(json.dumps({"dependencies": {"decap-cms": "9.9.9"}}))
    (folder / "package-lock.json").write_text(json.dumps(
        {"packages": {"node_modules/decap-cms": {"version": "9.9.9", "integrity": digest}}}))
    (folder / "LICENSE-decap-cms.txt").write_text("MIT License\n")
    (tmp_path / "package.tgz").write_bytes(tarball)
    npm = tmp_path / "bin" / "npm"
    npm.parent.mkdir()
    npm.write_text(f"#!/bin/sh\n# npm pack SPEC --pack-destination DIR ...\ncp {tmp_path}/package.tgz \"$4/decap-cms-9.9.9.tgz\"\n"
                   "echo '[{\"filename\": \"decap-cms-9.9.9.tgz\"}]'\n")
    npm.chmod(0o755)
    return folder


def package_tarball(script: bytes = b"/*! For license information please see decap-cms.js.LICENSE.txt */\n") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in (("package/dist/decap-cms.js", script), ("package/dist/decap-cms.js.LICENSE.txt", b"notices\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_install_puts_the_locked_package_script_in_place(tmp_path, monkeypatch):
    folder = fake_editor(tmp_path, package_tarball(b"console.log('decap')\n"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    bundle = editor.install(folder)
    assert (folder / "dist/decap-cms.js").read_bytes() == b"console.log('decap')\n"
    assert bundle.integrity == "sha384-" + base64.b64encode(hashlib.sha384(b"console.log('decap')\n").digest()).decode()
    assert bundle.version == "9.9.9" and editor.installed_bundle(folder) == bundle


def test_install_refuses_a_package_that_is_not_the_locked_one(tmp_path, monkeypatch):
    folder = fake_editor(tmp_path, package_tarball(), integrity="sha512-" + base64.b64encode(b"x" * 64).decode())
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    with pytest.raises(editor.NotInstalled, match="is not the one in editor/package-lock.json"):
        editor.install(folder)
    assert not (folder / "dist").exists()


def test_a_bundle_of_another_version_is_not_used(tmp_path, monkeypatch):
    folder = fake_editor(tmp_path, package_tarball())
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    editor.install(folder)
    (folder / "package.json").write_text(json.dumps({"dependencies": {"decap-cms": "9.9.10"}}))
    with pytest.raises(editor.NotInstalled, match="9.9.10"):
        editor.installed_bundle(folder)


def test_a_build_without_the_bundle_leaves_admin_out_in_one_line(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(editor, "EDITOR_DIR", tmp_path / "nowhere")
    monkeypatch.setattr(editor, "_told", set())
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="generator.site.editor"):
        build(editor_site(tmp_path), out)
    assert (out / "index.html").is_file() and not (out / "admin").exists()
    assert [r.getMessage() for r in caplog.records] == [
        "The web editor (/admin/) was left out: its Decap CMS script is not installed: run make editor"]


@needs_bundle
@pytest.mark.slow  # (builds a site)
def test_installing_the_editor_after_a_build_brings_admin_with_the_next_build(tmp_path, monkeypatch):
    site, out = editor_site(tmp_path), tmp_path / "out"
    monkeypatch.setattr(editor, "EDITOR_DIR", tmp_path / "nowhere")
    build(site, out)
    assert not (out / "admin").exists()
    monkeypatch.undo()  # as `make editor` would: the same content, now with the editor installed
    result = build(site, out)
    assert not result.up_to_date and (out / "admin/index.html").is_file()
    assert build(site, out).up_to_date


@pytest.mark.slow  # (builds a site)
def test_a_site_without_a_repository_has_no_admin_and_says_how_to_get_one(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(editor, "_told", set())
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="generator.site.editor"):
        build(SITES / "basic", out)
    assert not (out / "admin").exists()
    assert [r.getMessage() for r in caplog.records] == [
        "No web editor (/admin/): set editor_repo in site.yaml to build it (see docs/configuration.md)"]


# --- the built /admin/ -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def editor_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("editor") / "out"
    if not (editor.EDITOR_DIR / "dist" / editor.INSTALLED).is_file():
        pytest.skip("Decap CMS is not installed (make editor)")
    build(editor_site(tmp_path_factory.mktemp("editor-site")), out)
    return out


@needs_bundle
@pytest.mark.slow  # (builds a site)
def test_the_admin_page_loads_decap_from_the_site_checked_by_its_hash(editor_build):
    page = (editor_build / "admin/index.html").read_text()
    src, integrity = re.search(r'<script src="([^"]+)" integrity="([^"]+)"', page).groups()
    script = (editor_build / src.lstrip("/")).read_bytes()
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(script).digest()).decode()
    assert re.fullmatch(r"/admin/decap-cms\.[0-9a-f]{10}\.js", src) and hashlib.sha384(script).hexdigest()[:10] in src
    assert script == (editor.EDITOR_DIR / "dist/decap-cms.js").read_bytes()
    assert '<link href="/admin/config.yml" type="text/yaml" rel="cms-config-url">' in page
    scripts = re.findall(r'<script src="([^"]+)"', page)  # ours after Decap's (both deferred: in this order)
    assert scripts[0] == src and re.fullmatch(r"/assets/js/admin\.[0-9a-f]{10}\.js", scripts[1])
    assert "http" not in re.sub(r"https://decapcms\.org", "", page)  # nothing from another host
    licence = (editor_build / "admin/decap-cms.js.LICENSE.txt").read_text()
    assert licence.startswith("Copyright (c) 2016 Netlify") and "MIT License" in licence
    assert "Decap CMS 3." in page and "MIT licence" in page


@needs_bundle
@pytest.mark.slow  # (builds a site)
def test_the_admin_has_its_own_policy_and_the_rest_keeps_the_site_one(editor_build):
    from .test_hardening import CSP, addresses
    rules = headers_rules((editor_build / "_headers").read_text())
    headers = site_headers(editor_build)
    seen = 0
    for address in addresses(editor_build) + ["/admin", "/admin/"]:
        names = [n for pattern, values in rules if rule_matches(pattern, address) for n in values]
        assert len(names) == len(set(names)), address
        got = headers(address)
        if address.startswith("/admin"):
            seen += 1
            assert (got["Content-Security-Policy"], got["Cross-Origin-Opener-Policy"]) == (
                EDITOR_CSP, "same-origin-allow-popups"), address
            assert got["Cache-Control"] == "public, max-age=0, must-revalidate"
        else:
            assert (got["Content-Security-Policy"], got["Cross-Origin-Opener-Policy"]) == (CSP, "same-origin"), address
    assert seen == 7  # the page (/admin/index.html, /admin/ twice, /admin), its configuration, script, licence


@needs_bundle
@pytest.mark.slow  # (builds a site)
def test_a_rebuild_reuses_the_editor_files(tmp_path):
    site = editor_site(tmp_path)
    out = tmp_path / "out"
    build(site, out)
    bundle = next((out / "admin").glob("decap-cms.*.js"))
    inode = bundle.stat().st_ino
    course = site / "content/courses/beta-centre/old-workshop.md"
    course.write_text(course.read_text() + "\nOne more sentence.\n")
    build(site, out)
    assert next((out / "admin").glob("decap-cms.*.js")).stat().st_ino == inode  # linked, not written again


# --- the preview's local backend ---------------------------------------------------------------------------


@pytest.fixture
def backend(make_site, tmp_path) -> LocalBackend:
    site = make_site({"content/institutions/other-place.yaml": "name: Other Place\ncountry: PL\n"
                                                              "website: https://other.example.org\n"})
    return LocalBackend(site)


def call(backend: LocalBackend, action: str, **params) -> tuple[int, object]:
    return backend.handle(json.dumps({"action": action, "params": {"branch": "main", **params}}).encode())


def persist(backend: LocalBackend, path: str, raw: str, assets: list | None = None) -> tuple[int, object]:
    return call(backend, "persistEntry", dataFiles=[{"slug": "x", "path": path, "raw": raw}], assets=assets or [],
                options={"commitMessage": "Create", "useWorkflow": False, "status": ""})


def test_info_says_what_the_editor_needs(backend):
    assert call(backend, "info") == (200, {"repo": "site", "publish_modes": ["simple"], "type": "local_fs"})


def test_lists_reads_and_writes_course_files(backend):
    status, entries = call(backend, "entriesByFolder", folder="content/courses/test-institute", extension="md",
                           depth=1)
    assert status == 200 and [e["file"]["path"] for e in entries] == ["content/courses/test-institute/test-course.md"]
    assert entries[0]["data"] == COURSE and entries[0]["file"]["id"] == hashlib.sha256(COURSE.encode()).hexdigest()
    new = COURSE.replace("A Test Course", "Another Course")
    assert persist(backend, "content/courses/other-place/another-course.md", new) == (200, {"message": "entry persisted"})
    written = backend.source / "content/courses/other-place/another-course.md"
    assert written.read_text() == new and stat.S_IMODE(written.stat().st_mode) == 0o644
    assert check(backend.source) == []
    assert call(backend, "getEntry", path="content/courses/other-place/another-course.md")[1]["data"] == new
    assert not [p for p in written.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_course_with_problems_is_not_written_and_the_problems_are_said(backend):
    broken = COURSE.replace("credits: 2", "credits: 70").replace("mode: online", "mode: by-pigeon")
    picture = {"path": "content/courses/test-institute/new.png", "content": base64.b64encode(b"png").decode(),
               "encoding": "base64"}
    status, answer = persist(backend, "content/courses/test-institute/broken.md", broken, [picture])
    assert status == 422 and not (backend.source / "content/courses/test-institute/broken.md").exists()
    assert not (backend.source / "content/courses/test-institute/new.png").exists()  # its picture went with it
    assert answer["error"].startswith("the course was not saved, because catalogue check finds problems in it: ")
    assert "line 4: 'credits' is 70, but it must be from 1 to 60" in answer["error"]
    assert "line 8: 'mode' cannot be 'by-pigeon'" in answer["error"]
    original = (backend.source / "content/courses/test-institute/test-course.md").read_text()
    assert persist(backend, "content/courses/test-institute/test-course.md", broken)[0] == 422
    assert (backend.source / "content/courses/test-institute/test-course.md").read_text() == original  # kept


def test_pictures_are_written_beside_the_course_and_listed_as_media(backend):
    picture = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    asset = {"path": "content/courses/test-institute/lab.png", "content": base64.b64encode(picture).decode(),
             "encoding": "base64"}
    status, media = call(backend, "persistMedia", asset=asset, options={"commitMessage": "Upload"})
    assert status == 200 and media["name"] == "lab.png" and base64.b64decode(media["content"]) == picture
    assert (backend.source / "content/courses/test-institute/lab.png").read_bytes() == picture
    status, listed = call(backend, "getMedia", mediaFolder="content/courses/test-institute")
    assert status == 200 and [m["path"] for m in listed] == ["content/courses/test-institute/lab.png"]  # no .md
    assert call(backend, "deleteFiles", paths=["content/courses/test-institute/lab.png"],
                options={"commitMessage": "Delete"})[0] == 200
    assert not (backend.source / "content/courses/test-institute/lab.png").exists()


@pytest.mark.parametrize("path, words", [
    ("content/courses/test-institute/../../../../etc/passwd.md", "leaves its folder"),
    ("content/courses/test-institute/../test-institute/x.md", "leaves its folder"),
    ("/etc/passwd", "is an absolute path"),
    ("/content/courses/test-institute/x.md", "is an absolute path"),
    ("C:/content/courses/test-institute/x.md", "is an absolute path"),
    ("content\\courses\\test-institute\\x.md", "is not a path the editor may use"),
    ("site.yaml", "is outside the site's content/ folder"),
    ("themes/default/templates/base.html", "is outside the site's content/ folder"),
    ("content/institutions/test-institute.yaml", "is not in an institution's folder of courses"),
    ("content/courses/x.md", "is not in an institution's folder of courses"),
    ("content/courses/test-institute/deeper/x.md", "is not in an institution's folder of courses"),
    ("content/courses/no-such-place/x.md", "there is no institution 'no-such-place'"),
    ("content/courses/test-institute/.hidden.md", "has a hidden name"),
    ("content/courses/test-institute/script.js", "is not a course file (.md)"),
    ("content/courses/test-institute/x.md\x00.png", "is not a path the editor may use"),
    ("content//courses/test-institute/x.md", "leaves its folder"),
    ("", "is not a path the editor may use"),
])
def test_paths_outside_the_institution_folders_are_refused(backend, path, words):
    status, answer = persist(backend, path, COURSE)
    assert status == 422 and words in answer["error"], answer
    status, answer = call(backend, "deleteFile", path=path, options={"commitMessage": "Delete"})
    assert status == 422 and words.replace("is not a course file (.md)", "is not a picture") in answer["error"]


def test_links_are_never_followed_out_of_content_nor_inside_it(backend, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    folder = backend.source / "content/courses/test-institute"
    os.symlink(outside / "secret.md", folder / "linked.md")
    os.symlink(outside, backend.source / "content/courses/other-place")  # an institution's folder, linked out
    os.symlink(folder / "test-course.md", folder / "inside.md")
    for path in ("content/courses/test-institute/linked.md", "content/courses/other-place/x.md",
                 "content/courses/test-institute/inside.md"):
        status, answer = persist(backend, path, COURSE)
        assert status == 422 and "goes through a link" in answer["error"], answer
        assert call(backend, "getEntry", path=path)[1]["error"].endswith("the editor follows none")
    assert (outside / "secret.md").read_text() == "secret" and not (outside / "x.md").exists()
    status, entries = call(backend, "entriesByFolder", folder="content/courses/test-institute", extension="md", depth=1)
    assert [e["file"]["path"] for e in entries] == ["content/courses/test-institute/test-course.md"]
    assert call(backend, "getMedia", mediaFolder="content/courses/other-place")[0] == 422


def test_a_link_swapped_in_for_the_file_is_replaced_not_followed(backend, tmp_path):
    """Written by renaming a new file over the old: a link that appears in its place is replaced, never
    written through (a check before the write could be raced)."""
    target = tmp_path / "victim.txt"
    target.write_text("untouched")
    path = backend.source / "content/courses/test-institute/race.md"
    backend.write(path, b"first")
    path.unlink()
    os.symlink(target, path)
    backend.write(path, COURSE.encode())
    assert target.read_text() == "untouched" and not path.is_symlink() and path.read_text() == COURSE


def test_sizes_are_limited(backend):
    huge = "x" * (MAX_MEDIA + 10)
    asset = {"path": "content/courses/test-institute/big.png", "content": base64.b64encode(huge.encode()).decode(),
             "encoding": "base64"}
    status, answer = call(backend, "persistMedia", asset=asset, options={"commitMessage": "Upload"})
    assert status == 422 and "is too large (the limit is 20 MB)" in answer["error"]
    status, answer = persist(backend, "content/courses/test-institute/long.md", COURSE + "x" * (1024 * 1024))
    assert status == 422 and "too large" in answer["error"]
    assert backend.handle(b" " * (48 * 1024 * 1024 + 1))[0] == 413
    assert not list((backend.source / "content/courses/test-institute").glob("big*"))


@pytest.mark.parametrize("body, status", [(b"not json", 400), (b"[1, 2]", 400), (b'{"action": "format"}', 422),
                                          (b'{"action": "info", "params": 3}', 400),
                                          (b'{"action": "getEntry", "params": {"path": 3}}', 422)])
def test_bad_requests_get_an_error_not_a_traceback(backend, body, status):
    got, answer = backend.handle(body)
    assert got == status and isinstance(answer["error"], str)
