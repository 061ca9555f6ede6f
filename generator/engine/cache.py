"""Cache: parsed courses (and courses' pieces of the data files) kept between builds, keyed by everything
that could change them (the file's bytes, its path and the generator's code), so a stale entry is never used.

All entries live in one pack file, written to a temporary name and renamed into place. A pack is pickled, so
it is signed with a key of this machine's user, kept outside the source folder: a pack that came with a pull
request is never unpickled.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import marshal
import os
import pickle
import secrets
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

from generator.diagnostics import display_path
from generator.fingerprint import code_version, fingerprint

log = logging.getLogger(__name__)

CACHE_DIR = ".catalogue-cache"


def usable(folder: Path) -> bool:
    """Whether the cache folder can be written (made if missing); if not, one warning says the build goes on
    without it (a read-only checkout still builds)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return True
        reason = "permission denied"
    except OSError as exc:
        reason = "a file is in its place" if isinstance(exc, FileExistsError) else (exc.strerror or str(exc)).lower()
    log.warning("the build cache %s cannot be written (%s): going on without it",
                display_path(folder), reason)
    return False


PACK_MAGIC = b"catalogue-cache-pack 1\n"  # then the HMAC-SHA256 of the pickle, then the pickle
PLAIN_MAGIC = b"catalogue-cache-plain 1\n"  # then the HMAC-SHA256 of the rest, then (length, marshalled entry)s


def user_cache() -> Path:
    """This machine's user's folder for the generator (XDG cache folder): what only the user can write."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "microcredentials-catalogue"


def compiled_templates() -> Any:
    """Jinja's cache of compiled templates, in the user's folder (None where it cannot be made safely).

    Compiled templates are code: kept beside the signing key, never in the source folder, one folder per
    version of the generator (Jinja checks a template's source, not the filters it was compiled with).
    """
    top = user_cache() / "templates"
    folder = top / code_version()
    try:
        if not folder.is_dir():
            for other in top.iterdir() if top.is_dir() else ():
                shutil.rmtree(other, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for place in (top, folder):
            if place.stat().st_uid != os.getuid() or place.stat().st_mode & 0o022:
                return None  # (someone else could write to it)
    except (OSError, AttributeError):  # AttributeError: no getuid (not a Unix)
        return None
    return _template_cache()(str(folder))


class CompiledTranslations(NamedTuple):
    """A catalogue's compiled form (.mo bytes) as kept, or None, and how to keep it once compiled."""

    found: bytes | None
    keep: Callable[[bytes], None]


def compiled_translations(po: bytes, language: str) -> CompiledTranslations:
    """The compiled form of a .po file's text, kept in the user's folder by the text's hash (with the
    generator's version: Babel compiles it), so twelve catalogues are not parsed again at every build."""
    folder = user_cache() / "translations"
    path = folder / f"{language}-{fingerprint(code_version(), language, po)}.mo"

    def keep(compiled: bytes) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            for older in folder.glob(f"{language}-*.mo"):  # (earlier versions of the catalogue)
                older.unlink(missing_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(compiled)
            os.replace(tmp, path)
        except OSError:  # (not kept: compiled again next time)
            pass
    try:
        if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o022:
            return CompiledTranslations(None, lambda compiled: None)  # (someone else could write to it)
        return CompiledTranslations(path.read_bytes(), keep)
    except (OSError, AttributeError):  # AttributeError: no getuid (not a Unix)
        return CompiledTranslations(None, keep)


@lru_cache(maxsize=1)
def _template_cache() -> type:
    import jinja2

    class TemplateCache(jinja2.FileSystemBytecodeCache):
        """Jinja's cache of compiled templates, which never fails a build: a template it cannot keep (a full
        disk, or its folder removed by a build of another version of the generator) is compiled again."""

        def dump_bytecode(self, bucket: Any) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass
    return TemplateCache


@lru_cache(maxsize=1)
def signing_key() -> bytes | None:
    """The key this machine's user signs cache packs with, made on first use; None where it cannot be kept
    (then no pack is written or trusted: builds still work, without the cache of parsed courses)."""
    path = user_cache() / "cache-key"
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = secrets.token_bytes(32)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # (mode 0600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        os.replace(tmp, path)
        return key
    except OSError as exc:
        log.warning("no key to sign the build cache with (%s): building without it", exc)
        return None


class _Signing:
    """A file to pickle into that signs what goes through it (the pickle is never held whole in memory)."""

    def __init__(self, file: Any, key: bytes) -> None:
        self.file, self.mac = file, hmac.new(key, digestmod=hashlib.sha256)

    def write(self, data: bytes) -> int:
        self.mac.update(data)
        return self.file.write(data)


def write_pack(file: Any, entries: dict[str, Any], key: bytes, plain: bool = False) -> None:
    """Write a pack into a seekable binary file: a header, the signature of the pickled entries, the pickle.
    `plain` entries (strings, numbers, lists and dictionaries of them) are marshalled instead, several times
    faster, each on its own after its length: the whole pack is never one string in memory."""
    magic = PLAIN_MAGIC if plain else PACK_MAGIC
    file.write(magic + bytes(32))
    signing = _Signing(file, key)
    if plain:
        for item in entries.items():
            data = marshal.dumps(item)
            signing.write(len(data).to_bytes(8, "little"))
            signing.write(data)
    else:
        pickle.dump(entries, signing, protocol=pickle.HIGHEST_PROTOCOL)
    file.seek(len(magic))
    file.write(signing.mac.digest())


def read_pack(file: Any, key: bytes | None, plain: bool = False) -> dict[str, Any] | None:
    """The entries of a pack signed with `key` (`plain`: written so), read from a seekable binary file; None for
    any other pack, of which nothing is loaded (the signature is checked on a first pass over the file)."""
    magic = PLAIN_MAGIC if plain else PACK_MAGIC
    head = file.read(len(magic) + 32)
    if not key or len(head) != len(magic) + 32 or not head.startswith(magic):
        return None
    mac = hmac.new(key, digestmod=hashlib.sha256)
    while chunk := file.read(1 << 20):
        mac.update(chunk)
    if not hmac.compare_digest(head[len(magic):], mac.digest()):
        return None
    file.seek(len(head))
    if not plain:
        entries = pickle.load(file)
        return entries if isinstance(entries, dict) else None
    entries = {}
    while size := file.read(8):
        name, value = marshal.loads(file.read(int.from_bytes(size, "little")))
        entries[name] = value
    return entries


class ParseCache:
    """Parsed course files (or other per-course results), in SOURCE/.catalogue-cache/<name>.pack.

    With no folder it keeps nothing: every lookup misses.
    """

    def __init__(self, folder: Path | None, name: str = "parsed") -> None:
        self.path = folder / f"{name}.pack" if folder else None
        self._entries: dict[str, bytes] | None = None  # read on first use
        self._changed = False
        self.hits = 0
        self.used: set[str] = set()

    def lookup(self, sources: Sequence[Any], read: Callable[[Path], bytes]
               ) -> tuple[str, tuple[bytes | str, ...] | None, Any | None]:
        """The key of what is parsed from some files (a course file, then its translations), their names and
        bytes (None when not read) and its cached parse result, if any."""
        parts = tuple(part for source in sources for part in (source.display, read(source.path)))
        key = self.key(*parts)
        return key, parts, self.get(key)

    def key(self, *parts: bytes | str) -> str:
        return fingerprint(code_version(), *parts)

    def get(self, key: str) -> Any | None:
        if not self.path:
            return None
        self.used.add(key)
        blob = self._load().get(key)
        if blob is None:
            return None
        try:
            value = pickle.loads(blob)
        except Exception:  # noqa: BLE001 — a damaged entry is rebuilt, never trusted
            return None
        self.hits += 1
        return value

    @property
    def keeps(self) -> bool:
        """Whether it keeps anything (it has a folder)."""
        return self.path is not None

    def keep(self, key: str) -> None:
        """Keep an entry this build did not need to read (see `prune`)."""
        self.used.add(key)

    def put(self, key: str, value: Any) -> None:
        if not self.path:
            return
        self.used.add(key)
        self._load()[key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self._changed = True

    def prune(self) -> None:
        """Keep only the entries this build used (not old versions of edited courses), write the pack if it
        changed, and let go of it in memory."""
        if not self.path or self._entries is None:
            return
        kept = {key: blob for key, blob in self._entries.items() if key in self.used}
        key = signing_key()
        if key and (self._changed or len(kept) != len(self._entries)):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
                with os.fdopen(fd, "wb") as f:
                    write_pack(f, kept, key)
                os.replace(tmp, self.path)
            except OSError as exc:  # a read-only checkout still builds, just without the cache
                log.warning("could not keep the cache %s: %s", self.path.name, exc)
        self._entries, self._changed = None, False
        shutil.rmtree(self.path.with_suffix(""), ignore_errors=True)  # the one-file-per-entry cache of earlier versions

    def _load(self) -> dict[str, bytes]:
        if self._entries is None:
            self._entries = {}
            try:
                with open(self.path, "rb") as f:  # type: ignore[arg-type]
                    entries = read_pack(f, signing_key())
                if entries is None:
                    log.info("cache %s was not written by this machine's builds: not read", self.path)
                else:
                    self._entries = entries
            except FileNotFoundError:
                pass
            except Exception:  # noqa: BLE001 — a damaged pack is rebuilt, never trusted
                log.debug("cache %s unreadable: starting afresh", self.path)
        return self._entries


class MemoryStore(ParseCache):
    """A cache kept in memory only, for as long as the process lives (the live preview's)."""

    def __init__(self) -> None:
        super().__init__(None)
        self._entries = {}

    def get(self, key: str) -> Any | None:
        return self._entries.get(key)

    @property
    def keeps(self) -> bool:
        return True

    def put(self, key: str, value: Any) -> None:
        self._entries[key] = value

    def prune(self) -> None:
        pass


class RememberingCache(ParseCache):
    """The parse cache of a process that loads the same site again and again (the live preview): a file whose
    size and modification time are unchanged is not even read again."""

    def __init__(self, folder: Path | None) -> None:
        super().__init__(folder)
        self._seen: dict[Path, tuple[tuple, str, Any]] = {}
        self._pending: dict[str, tuple[Path, tuple]] = {}

    def lookup(self, sources: Sequence[Any], read: Callable[[Path], bytes]
               ) -> tuple[str, tuple[bytes | str, ...] | None, Any | None]:
        signature = tuple(_stat(source.path) for source in sources)  # (a translation added or removed counts)
        path = sources[0].path
        seen = self._seen.get(path)
        if seen and seen[0] == signature:
            return seen[1], None, seen[2]
        key, parts, result = super().lookup(sources, read)
        if result is not None:
            self._seen[path] = (signature, key, result)
        else:
            self._pending[key] = (path, signature)
        return key, parts, result

    def put(self, key: str, value: Any) -> None:
        super().put(key, value)
        if key in self._pending:
            path, signature = self._pending.pop(key)
            self._seen[path] = (signature, key, value)


def _stat(path: Path) -> tuple[Path, int, int]:
    try:
        st = path.stat()
        return path, st.st_mtime_ns, st.st_size
    except OSError:
        return path, 0, 0
