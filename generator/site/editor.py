"""The web editor at /admin/: Decap CMS, served by the site itself, with its configuration made from the course
format (`decap.py`). Decap's script comes from npm, pinned in `editor/package.json` and its lock file, and is
installed into `editor/dist/` by `make editor` (`python -m generator.site.editor`), never committed; a build
without it leaves /admin/ out and says so in one line.

The script tag carries the file's hash (Subresource Integrity), so a changed file on the host is refused.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from generator.content.catalogue import Catalogue
from generator.engine.artifact import Artifact
from generator.fingerprint import fingerprint
from generator.site.pages import render_page
from generator.site.theme import Theme

log = logging.getLogger(__name__)

EDITOR_DIR = Path(__file__).resolve().parents[2] / "editor"   # package.json, its lock file, and dist/
PACKAGE = "decap-cms"
FILES = {"package/dist/decap-cms.js": "decap-cms.js",           # from the package, into editor/dist/
         "package/dist/decap-cms.js.LICENSE.txt": "decap-cms.js.LICENSE.txt"}
INSTALLED = "installed.json"  # what `make editor` installed: the version and the package's integrity
ADMIN = "admin/"
LICENCE = ADMIN + "decap-cms.js.LICENSE.txt"  # beside the script, as the script's first line says


class NotInstalled(Exception):
    """The editor's bundle is missing or not the pinned one; the message says how to install it."""


@dataclass(frozen=True)
class Pin:
    """The pinned version of decap-cms and its package's integrity, from the lock file."""

    version: str
    integrity: str


@dataclass(frozen=True)
class Bundle:
    """The installed Decap CMS script: where it is, its SRI hash and the name it is published under."""

    path: Path
    version: str
    integrity: str  # sha384-…, for the script tag
    site_path: str  # admin/decap-cms.<hash>.js

    @property
    def key(self) -> str:
        return fingerprint("decap bundle", self.version, self.integrity)


def pin(folder: Path | None = None) -> Pin:
    """The version `package.json` pins (exactly) and its integrity in `package-lock.json`."""
    folder = folder or EDITOR_DIR
    files = (folder / "package.json", folder / "package-lock.json")
    return _pin(folder, *((st.st_size, st.st_mtime_ns) for st in map(os.stat, files)))


@functools.lru_cache(maxsize=4)
def _pin(folder: Path, *stats: tuple[int, int]) -> Pin:
    """`pin`, read once while the files are unchanged (the lock file is large; the preview plans on every save)."""
    wanted = json.loads((folder / "package.json").read_text(encoding="utf-8"))["dependencies"][PACKAGE]
    locked = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))["packages"][f"node_modules/{PACKAGE}"]
    if locked["version"] != wanted:
        raise NotInstalled(f"editor/package-lock.json has {PACKAGE} {locked['version']}, editor/package.json pins "
                           f"{wanted}: run npm install --package-lock-only in editor/")
    return Pin(wanted, locked["integrity"])


def installed_bundle(folder: Path | None = None) -> Bundle:
    """The installed bundle, if it is the pinned one; else NotInstalled, saying how to install it."""
    folder = folder or EDITOR_DIR
    dist = folder / "dist"
    try:
        wanted = pin(folder)
        installed = json.loads((dist / INSTALLED).read_text(encoding="utf-8"))
        script = dist / FILES["package/dist/decap-cms.js"]
        st = script.stat()
    except (OSError, ValueError, KeyError):
        raise NotInstalled("its Decap CMS script is not installed: run make editor") from None
    if installed != {"version": wanted.version, "integrity": wanted.integrity}:
        raise NotInstalled(f"the Decap CMS installed ({installed.get('version')}) is not the pinned one "
                           f"({wanted.version}): run make editor")
    return _bundle(script, wanted.version, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _bundle(script: Path, version: str, size: int, mtime_ns: int) -> Bundle:
    """The bundle's hashes, worked out once a process (5 MB; size and time say when the file changed)."""
    digest = hashlib.sha384(script.read_bytes()).digest()
    return Bundle(script, version, "sha384-" + base64.b64encode(digest).decode(),
                  f"{ADMIN}decap-cms.{digest.hex()[:10]}.js")


def state() -> str:
    """What the installed editor is, cheaply (no hashing): a build whose inputs are otherwise unchanged is made
    again when it changes (`make editor` after a build without it)."""
    dist = EDITOR_DIR / "dist"
    try:
        st = (dist / FILES["package/dist/decap-cms.js"]).stat()
        return f"{(dist / INSTALLED).read_text(encoding='utf-8')}{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return ""


_told: set[str] = set()


def _tell_once(message: str) -> None:
    """A line for the terminal, once a process (the preview plans the site again after every save)."""
    if message not in _told:
        _told.add(message)
        log.info("%s", message)


def admin_files(catalogue: Catalogue, theme: Theme, base_key: str, local: bool = False) -> Iterator[Artifact]:
    """/admin/: the editor's page, its configuration, Decap's script and its licence. `local`: the preview's,
    which writes into the site folder through the preview's local backend instead of opening pull requests."""
    if not local and catalogue.config.editor is None:
        _tell_once("No web editor (/admin/): set editor_repo in site.yaml to build it (see docs/configuration.md)")
        return
    try:
        bundle = installed_bundle()
    except NotInstalled as exc:
        _tell_once(f"The web editor (/admin/) was left out: {exc}")
        return
    institutions = [f"{i.id}\0{i.name}" for i in catalogue.institutions]
    yield Artifact(ADMIN + "index.html", functools.partial(
        render_page, theme, "admin.html", {"script": theme.env.globals["root_url"](bundle.site_path),
                                           "integrity": bundle.integrity, "licence": LICENCE, "version": bundle.version},
        ADMIN), fingerprint(base_key, "admin page", bundle.key, str(local)))
    yield Artifact(ADMIN + "config.yml", functools.partial(_config_yaml, catalogue, local),
                   fingerprint(base_key, "decap config", str(local), *institutions))
    yield Artifact(bundle.site_path, bundle.path.read_bytes, bundle.key)
    yield Artifact(LICENCE, functools.partial(licence, bundle), fingerprint("decap licence", bundle.key))


def _config_yaml(catalogue: Catalogue, local: bool) -> bytes:
    from generator.site import decap  # (only when made: a command that makes no editor never loads it)
    return decap.config_yaml(catalogue, local)


def local_admin_files(catalogue: Catalogue, theme: Theme, base_key: str) -> Iterator[Artifact]:
    """The preview's /admin/ (see `admin_files`)."""
    return admin_files(catalogue, theme, base_key, local=True)


def licence(bundle: Bundle) -> bytes:
    """Decap CMS's licence (MIT), then the notices of the libraries bundled in its script."""
    ours = (EDITOR_DIR / "LICENSE-decap-cms.txt").read_bytes()
    bundled = (bundle.path.parent / FILES["package/dist/decap-cms.js.LICENSE.txt"]).read_bytes()
    return (ours + f"\n\nThe web editor at /admin/ is Decap CMS {bundle.version} (https://decapcms.org), under the MIT "
            "licence above. Its script bundles these libraries, each under the licence its notice names:\n\n"
            .encode() + bundled)


# --- installing: `make editor` ------------------------------------------------------------------------------


def install(folder: Path | None = None) -> Bundle:
    """Fetch the pinned decap-cms package with npm, check it against the lock file's integrity, and put its script
    and licence notices into editor/dist/ (replaced whole, so a failed install leaves the last one)."""
    import shutil, subprocess, tarfile, tempfile  # noqa: E401 — only `make editor` needs them
    folder = folder or EDITOR_DIR
    wanted = pin(folder)
    npm = shutil.which("npm")
    if npm is None:
        raise NotInstalled("npm is needed to install the web editor: install Node.js and npm (Debian: apt-get "
                           "install npm), then run make editor")
    with tempfile.TemporaryDirectory(prefix="decap-", dir=folder) as work:
        done = subprocess.run([npm, "pack", f"{PACKAGE}@{wanted.version}", "--pack-destination", work, "--json",
                               "--ignore-scripts", "--silent"], cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            raise NotInstalled(f"npm could not fetch {PACKAGE} {wanted.version}: "
                               f"{(done.stderr or done.stdout).strip().splitlines()[-1:] or ['no reason given']}")
        tarball = Path(work) / json.loads(done.stdout)[0]["filename"]
        algorithm, _, expected = wanted.integrity.partition("-")
        got = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
        if got != expected:
            raise NotInstalled(f"the {PACKAGE} package npm fetched is not the one in editor/package-lock.json "
                               f"({algorithm} {got} instead of {expected}): nothing was installed")
        staged = Path(work) / "dist"
        staged.mkdir()
        with tarfile.open(tarball) as archive:
            for member, name in FILES.items():
                source = archive.extractfile(member)
                if source is None:
                    raise NotInstalled(f"the {PACKAGE} package has no {member}")
                (staged / name).write_bytes(source.read())
        (staged / INSTALLED).write_text(json.dumps({"version": wanted.version, "integrity": wanted.integrity}) + "\n")
        dist = folder / "dist"
        old = Path(work) / "old"
        if dist.exists():
            os.rename(dist, old)
        os.rename(staged, dist)
    return installed_bundle(folder)


def main() -> int:
    """`python -m generator.site.editor`: install the pinned Decap CMS (see `install`)."""
    try:
        bundle = install()
    except NotInstalled as exc:
        print(f"make editor: {exc}", file=sys.stderr)
        return 1
    print(f"Installed Decap CMS {bundle.version} (MIT licence) into {bundle.path.parent}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
