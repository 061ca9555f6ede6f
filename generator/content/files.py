"""Content: find the site's files, read them safely, and split a course file into front matter and body.

The front matter is composed into YAML nodes first so that every value keeps its line and column in the
file; values are then built one field at a time, so one bad value never hides the others.
"""
from __future__ import annotations

import logging
import functools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import ERROR, WARNING, Diagnostic, UsageError, display_path, shortened
from generator.content.markup import body_problems

log = logging.getLogger(__name__)

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ten times faster when present

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 16
MAX_NODES = 2_000
TOO_MANY_VALUES = f"the front matter has too many values (more than {MAX_NODES:,})"
COUNT_FROM = 20_000  # characters of YAML from which values are counted as they are read (see _CountingLoader)
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TRANSLATION_RE = re.compile(r"^(?P<slug>.+)\.(?P<language>[A-Za-z]{2})\.md$")  # course.cs.md: a translation
FENCE_RE = re.compile(r"^(---|\.\.\.)[ \t]*$")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".svg")
MEDIA_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".pdf")  # beside course files: pictures and documents
MARKDOWN_SUFFIXES = (".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn", ".txt", ".text", "")  # maybe a course file
MAX_NAME = 100      # characters of a file or folder name: it becomes part of the page's address
MAX_KEY = 100       # characters of a field name
# Invisible characters that have no place in a course file: C0 and C1 controls (tab and line ends aside),
# bidirectional overrides (they make text display differently from what it says), Unicode line separators
# (YAML reads them as line ends) and non-characters. Surrogates stand for bytes of a file name that are not UTF-8.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029"
                        "\ufffe\uffff\ud800-\udfff]")
NAME_CONTROL_RE = re.compile(f"[\\t\\n]|{CONTROL_RE.pattern}")  # in a name, tabs and line ends are out too


@dataclass(frozen=True)
class SourceFile:
    """A file of the site: where it is on disk and how it is shown to people."""

    path: Path
    display: str


@dataclass(frozen=True)
class Discovery:
    """Every course, translation, institution and page file found under content/."""

    courses: tuple[SourceFile, ...]
    institutions: tuple[SourceFile, ...]
    diagnostics: tuple[Diagnostic, ...]
    translations: tuple[SourceFile, ...] = ()  # course.cs.md beside course.md
    pages: tuple[SourceFile, ...] = ()  # content/pages/about.md: the site's own pages (About, Contact...)
    page_translations: tuple[SourceFile, ...] = ()  # about.cs.md beside about.md
    media: tuple[SourceFile, ...] = ()  # pictures and PDF documents beside course files


def translation_of(name: str) -> tuple[str, str] | None:
    """(course slug, language code) of a translation's file name (`course.cs.md`), None for any other name."""
    match = TRANSLATION_RE.match(name)
    return (match["slug"], match["language"]) if match else None


UNREADABLE = object()  # the value of a field that cannot be read: reported once, and left alone by the checks


@dataclass(frozen=True)
class Value:
    """One front matter value with its place: `line`/`col` of the value, `key_line`/`key_col` of its key."""

    key: str
    value: Any
    line: int
    col: int
    key_line: int
    key_col: int
    raw: str | None = None
    items: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Document:
    """A read file: its front matter values in file order, and (for courses) the Markdown body."""

    source: SourceFile
    values: dict[str, Value]
    body: str
    body_line: int


def check_source(source: Path) -> None:
    """Refuse a --source that is not a site folder (one that holds content/)."""
    if not source.is_dir():
        state = "is a file, not a folder" if source.exists() else "does not exist"
        raise UsageError(f"the site folder {display_path(source)} {state}")
    if not (source / "content").is_dir():
        raise UsageError(f"no content/ folder in {display_path(source)}: is --source the site folder?")


def discover(source: Path) -> Discovery:
    """List course and institution files, reporting misplaced and misnamed ones."""
    check_source(source)
    content = source / "content"
    diags: list[Diagnostic] = []
    if not _inside(content, source.resolve()):
        diags.append(Diagnostic(display_path(content), severity=ERROR, code="symlink",
                                message="the content folder is a link to a folder outside the site folder",
                                hint="put the content folder itself in the site folder"))
        return Discovery((), (), tuple(diags))
    media: list[SourceFile] = []
    found = _find(content, content / "courses", 2, ".md", diags, beside=media)
    institutions = _find(content, content / "institutions", 1, ".yaml", diags, extra=IMAGE_SUFFIXES)
    pages = _find(content, content / "pages", 1, ".md", diags)
    courses = tuple(f for f in found if translation_of(f.path.name) is None)
    translations = tuple(f for f in found if translation_of(f.path.name) is not None)
    return Discovery(courses, tuple(institutions), tuple(diags), translations,
                     tuple(f for f in pages if translation_of(f.path.name) is None),
                     tuple(f for f in pages if translation_of(f.path.name) is not None), tuple(media))


PLACES = {"courses": "content/courses/<institution-id>/<course-id>.md",
          "institutions": "content/institutions/<institution-id>.yaml", "pages": "content/pages/<page-name>.md"}


def _find(content: Path, top: Path, depth: int, suffix: str, diags: list[Diagnostic],
          extra: tuple[str, ...] = (), beside: list[SourceFile] | None = None) -> list[SourceFile]:
    """The files ending in `suffix` `depth` folders below `top`; files ending in one of `extra` are passed over,
    and pictures and documents at that depth are put in `beside` when it is given (course folders)."""
    found: list[SourceFile] = []
    if not top.is_dir():
        return found
    root = content.resolve()
    shown_top = display_path(top)
    if top.is_symlink() or not _inside(top, root):
        diags.append(Diagnostic(shown_top, severity=ERROR, code="symlink",
                                message="this folder is a link to another folder: links to folders are not followed",
                                hint="put the folder itself here instead of a link to it"))
        return found
    _walk(top, shown_top, 1, depth, suffix, extra, root, found, diags, PLACES[top.name], beside)
    return found


def _walk(here: Path, shown_here: str, level: int, depth: int, suffix: str, extra: tuple[str, ...], root: Path,
          found: list[SourceFile], diags: list[Diagnostic], where: str,
          beside: list[SourceFile] | None = None) -> None:
    """One folder's files in name order, then its folders (as os.walk, but with one system call per folder:
    the directory entries say what is a link, a folder or a regular file)."""
    try:
        with os.scandir(here) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            is_folder = entry.is_dir()
        except OSError:
            is_folder = False
        if is_folder:
            folders.append(name)
            continue
        shown = f"{shown_here}/{name}"  # display_path per file is slow at scale
        problem = _name_problem(name)
        if problem is None and (entry.is_symlink() or not entry.is_file(follow_symlinks=False)):
            problem = _file_problem(here / name, root)
        if problem:
            message, hint = problem
            diags.append(Diagnostic(printable(shown), severity=ERROR, code=_problem_code(message),
                                    message=message, hint=hint))
            continue
        lowered = name.lower()
        if lowered.endswith(extra):
            continue
        if beside is not None and lowered.endswith(MEDIA_SUFFIXES):
            if level == depth:
                beside.append(_source_file(here, name, shown))
            else:
                diags.append(Diagnostic(shown, severity=WARNING, code="ignored-file",
                                        message="this file is ignored: pictures and documents go beside the course "
                                                "file that shows them, in content/courses/<institution-id>/",
                                        hint="move it there"))
            continue
        if not name.endswith(suffix):
            diags.append(_ignored(here / name, shown, suffix, beside is not None))
            continue
        if level != depth:
            diags.append(Diagnostic(shown, severity=ERROR, code="misplaced-file",
                                    message=f"this file is in the wrong folder: it belongs in {where}"))
            continue
        found.append(_source_file(here, name, shown))
    for name in _folders(here, folders, shown_here, diags):
        _walk(here / name, f"{shown_here}/{name}", level + 1, depth, suffix, extra, root, found, diags, where, beside)


def _ignored(path: Path, shown: str, suffix: str, courses: bool) -> Diagnostic:
    """The warning for a file that is not read: renaming it helps only when it looks like the files read here."""
    name = path.name
    stem, dot, ending = name.rpartition(".")
    stem = stem if dot else name
    kinds = ("course files (.md), pictures (.jpg, .png, .webp) and PDF documents (.pdf)" if courses
             else f"{suffix} files")
    if _looks_like(path, "." + ending.lower() if dot else "", suffix):
        return Diagnostic(shown, severity=WARNING, code="ignored-file",
                          message=f"this file is ignored: only {kinds} are read here",
                          hint=f"rename it to {stem}{suffix} if it is meant to be read")
    return Diagnostic(shown, severity=WARNING, code="ignored-file",
                      message=f"this file is ignored: only {kinds} are read here")


def _looks_like(path: Path, ending: str, suffix: str) -> bool:
    """Whether a file is probably meant to be read (a course file saved as .markdown or .txt, say): it has a
    Markdown-like name ending, or starts as a course file does (---) or, for YAML, a `name:` line."""
    if suffix == ".md" and ending in (".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn"):
        return True
    if suffix == ".yaml" and ending == ".yml":
        return True
    if ending not in MARKDOWN_SUFFIXES:
        return False
    try:
        with open(path, "rb") as f:  # (a regular file: links and devices were reported before)
            start = f.read(64).lstrip(b"\xef\xbb\xbf")
    except OSError:
        return False
    return start.startswith(b"---") if suffix == ".md" else re.match(rb"[A-Za-z_]+:", start) is not None


@functools.lru_cache(maxsize=1 << 17)  # the live preview lists every file again on each save: paths are slow to make
def _source_file(folder: Path, name: str, shown: str) -> SourceFile:
    return SourceFile(folder / name, shown)


def _folders(here: Path, names: list[str], shown: str, diags: list[Diagnostic]) -> list[str]:
    """The folders to walk into; links to folders and folders with unusable names are reported instead."""
    kept = []
    for name in names:
        problem = _name_problem(name)
        if problem is None and (here / name).is_symlink():
            problem = ("this folder is a link to another folder: links to folders are not followed",
                       "put the folder itself here instead of a link to it")
        if problem:
            message, hint = problem
            diags.append(Diagnostic(printable(f"{shown}/{name}"), severity=ERROR, code=_problem_code(message),
                                    message=message, hint=hint))
        else:
            kept.append(name)
    return kept


def _name_problem(name: str) -> tuple[str, str] | None:
    """Why a file or folder name cannot be used: it is shown in messages and becomes part of an address."""
    if NAME_CONTROL_RE.search(name):
        return ("the name contains an invisible control character, or bytes that are not UTF-8 text",
                "rename it with lowercase letters a-z, digits and hyphens only")
    if len(name) > MAX_NAME:
        return (f"the name is too long: {len(name)} characters, at most {MAX_NAME} are allowed",
                "rename it with a shorter name")
    return None


def _file_problem(path: Path, root: Path) -> tuple[str, str] | None:
    """Why a file cannot be read as content: a link leading out of the content folder, or not a regular file."""
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # RuntimeError: a loop of links, before Python 3.13
            return ("this is a link that leads nowhere (to a missing file, or in a loop)",
                    "copy the file in instead of linking to it")
        if not target.is_relative_to(root):
            return ("this is a link to a file outside the content folder", "copy the file in instead of linking to it")
    if not path.is_file():
        return ("this is not a regular file (it is a pipe, a socket or a device)", "delete it")
    return None


def _problem_code(message: str) -> str:
    if "link" in message:
        return "symlink"
    return "bad-name" if message.startswith("the name") else "not-a-file"


def printable(text: str) -> str:
    """Text with its invisible characters written as escapes (\\x1b), so that a name cannot garble a terminal."""
    return NAME_CONTROL_RE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode hands it over
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}"


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a loop of links, before Python 3.13
        return False


def read_text(source: SourceFile, data: bytes | None = None) -> tuple[str | None, list[Diagnostic]]:
    """The file's text with a BOM removed and line endings normalised, or diagnostics saying why not; `data`: the
    bytes it is about to have (the web editor's file, checked before it is written), instead of reading it."""
    if data is not None:
        return decode_text(source, data)
    try:
        data = read_limited(source.path)
    except FileNotFoundError:  # found a moment ago: deleted or renamed while the site was read
        return None, [Diagnostic(source.display, severity=ERROR, code="went-away",
                                 message="the file went away while the catalogue was read",
                                 hint="if it was moved or deleted on purpose, run the command again")]
    except OSError as exc:
        return None, [Diagnostic(source.display, severity=ERROR, code="unreadable",
                                 message=f"the file cannot be read: {exc.strerror or exc}")]
    if data is None:
        return None, [Diagnostic(source.display, severity=ERROR, code="not-a-file",
                                 message="this is not a regular file (it is a pipe, a socket or a device)",
                                 hint="delete it")]
    return decode_text(source, data)


def decode_text(source: SourceFile, data: bytes) -> tuple[str | None, list[Diagnostic]]:
    """A file's bytes as text (see `read_text`)."""
    if len(data) > MAX_FILE_BYTES:
        size = max(len(data), source.path.stat().st_size if source.path.exists() else 0)
        return None, [Diagnostic(source.display, 1, 1, ERROR, code="too-large",
                                 message=f"the file is too large ({-(-size // 1024)} KiB; the limit is "
                                         f"{MAX_FILE_BYTES // 1024} KiB)")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = place_of(data, exc.start)
        return None, [Diagnostic(source.display, line, col, ERROR, code="not-utf8",
                                 message=f"the file is not UTF-8 text: byte 0x{data[exc.start]:02X} here "
                                         "cannot be read",
                                 hint="save the file with the UTF-8 encoding")]
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return None, [Diagnostic(source.display, line, 1, ERROR, code="not-text",
                                 message="the file contains a NUL byte: it is not a text file")]
    controls = _control_characters(source, text)
    if controls:
        return None, controls
    return text, []


def place_of(text: str | bytes, at: int) -> tuple[int, int]:
    """The 1-based line and column of a position in a text (or in its bytes)."""
    newline = b"\n" if isinstance(text, bytes) else "\n"
    return text.count(newline, 0, at) + 1, at - (text.rfind(newline, 0, at) + 1) + 1  # type: ignore[arg-type]


def read_limited(path: Path) -> bytes | None:
    """At most one byte more than the size limit of a regular file; None for a pipe, socket or device.

    Opened without blocking and checked after opening: reading a pipe would wait forever, and a file
    replaced between a check and the read must not slip through.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        return f.read(MAX_FILE_BYTES + 1)


def _control_characters(source: SourceFile, text: str) -> list[Diagnostic]:
    """One diagnostic for each line with an invisible control character (the first 20 such lines)."""
    diags: list[Diagnostic] = []
    line, searched = 1, 0
    match = CONTROL_RE.search(text)
    while match and len(diags) < 20:
        at = match.start()
        line += text.count("\n", searched, at)
        line_start = text.rfind("\n", 0, at) + 1
        diags.append(Diagnostic(source.display, line, at - line_start + 1, ERROR, code="control-character",
                                message=f"the file contains an invisible control character "
                                        f"(U+{ord(match.group()):04X}) here",
                                hint="delete it and retype the text around it"))
        searched = text.find("\n", at)  # the next line's problems, if any
        if searched < 0:
            break
        match = CONTROL_RE.search(text, searched)
    return diags


def read_course(source: SourceFile, data: bytes | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Split a course file (or the bytes it is about to have) into front matter values and Markdown body."""
    text, diags = read_text(source, data)
    if text is None:
        return None, diags
    lines = text.split("\n")
    if not lines or not FENCE_RE.match(lines[0]) or lines[0].startswith("..."):
        return None, [Diagnostic(source.display, 1, 1, ERROR, code="no-front-matter",
                                 message="the file must start with a line of three dashes (---) that opens "
                                         "the front matter",
                                 hint="put the course fields between two --- lines at the top of the file")]
    end = next((i for i in range(1, len(lines)) if FENCE_RE.match(lines[i])), None)
    if end is None:
        return None, [Diagnostic(source.display, 1, 1, ERROR, code="unclosed-front-matter",
                                 message="the front matter opened on line 1 is never closed",
                                 hint="add a line of three dashes, ---, after the last field")]
    yaml_text = "\n".join(lines[1:end]) + "\n"
    values, diags = parse_mapping(source, yaml_text, line_offset=1)
    if values is None:
        return None, diags  # the fields cannot be read: checking them would only add noise
    body = "\n".join(lines[end + 1:])
    diags += [Diagnostic(source.display, end + 2 + line, 1, ERROR, message, hint, "body-too-complex")
              for line, message, hint in body_problems(body)]
    return Document(source, values, body, end + 2), diags


def read_yaml_file(source: SourceFile) -> tuple[Document | None, list[Diagnostic]]:
    """Read a whole YAML file (an institution or the site config) as a mapping of values."""
    text, diags = read_text(source)
    if text is None:
        return None, diags
    values, diags = parse_mapping(source, text, line_offset=0)
    if values is None:
        return None, diags
    return Document(source, values, "", 0), diags


class _TooManyValues(Exception):
    """Raised by _CountingLoader at the first value past MAX_NODES."""

    def __init__(self, mark: Any) -> None:
        super().__init__("too many values")
        self.mark = mark


class _CountingLoader(yaml.composer.Composer, Loader):  # type: ignore[misc, valid-type]
    """The loader, composing nodes in Python and counting them: a long list of hundreds of thousands of values
    stops at MAX_NODES instead of being read whole. Slower than the C composer, so only for long texts."""

    def __init__(self, text: str) -> None:
        Loader.__init__(self, text)
        yaml.composer.Composer.__init__(self)
        self.count = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooManyValues(self.peek_event().start_mark)
        return super().compose_node(parent, index)


def parse_mapping(source: SourceFile, text: str, line_offset: int) -> tuple[dict[str, Value] | None, list[Diagnostic]]:
    """Parse YAML text that must be a mapping; `line_offset` is the file line before the text's first line."""
    diags: list[Diagnostic] = []
    loader = (_CountingLoader if len(text) >= COUNT_FROM else Loader)(text)
    try:
        try:
            node = loader.get_single_node()
        except _TooManyValues as exc:
            return None, [Diagnostic(source.display, exc.mark.line + 1 + line_offset, exc.mark.column + 1, ERROR,
                                     code="yaml-shape", message=TOO_MANY_VALUES)]
        except yaml.MarkedYAMLError as exc:
            return None, [_yaml_error(source, exc, text, line_offset)]
        except RecursionError:  # the pure-Python parser recurses for each level of nesting
            return None, [Diagnostic(source.display, line_offset + 1, 1, ERROR, code="yaml-shape",
                                     message=f"the values are nested too deeply (more than {MAX_DEPTH} levels)")]
        except yaml.reader.ReaderError as exc:  # a character YAML refuses that read_text let through
            line, col = place_of(text, exc.position)
            line += line_offset
            code = exc.character if isinstance(exc.character, int) else ord(exc.character or "?")
            return None, [Diagnostic(source.display, line, col, ERROR, code="control-character",
                                     message=f"the file contains a character that YAML does not allow "
                                             f"(U+{code:04X}) here", hint="delete it and retype the text around it")]
        except yaml.YAMLError as exc:
            return None, [Diagnostic(source.display, line_offset + 1, 1, ERROR, code="yaml",
                                     message=f"the fields cannot be read: {' '.join(str(exc).split())}")]
        if node is None:
            return {}, []
        if not isinstance(node, yaml.MappingNode):
            line, col = _place(node, line_offset)
            return None, [Diagnostic(source.display, line, col, ERROR, code="not-mapping",
                                     message="the fields must be written as `name: value` lines")]
        problem = _check_shape(node)
        if problem:
            bad, message = problem
            line, col = _place(bad, line_offset)
            return None, [Diagnostic(source.display, line, col, ERROR, code="yaml-shape", message=message)]
        values: dict[str, Value] = {}
        for key_node, value_node in node.value:
            kline, kcol = _place(key_node, line_offset)
            if not isinstance(key_node, yaml.ScalarNode):
                diags.append(Diagnostic(source.display, kline, kcol, ERROR, code="bad-key",
                                        message="a field name must be a plain word"))
                continue
            key = key_node.value
            if NAME_CONTROL_RE.search(key):
                diags.append(Diagnostic(source.display, kline, kcol, ERROR, code="bad-key",
                                        message="a field name must be a plain word, without tabs, line breaks "
                                                "or control characters"))
                continue
            if len(key) > MAX_KEY:
                diags.append(Diagnostic(source.display, kline, kcol, ERROR, code="bad-key",
                                        message=f"a field name is too long ({len(key):,} characters)",
                                        hint="check that the line is a `name: value` line"))
                continue
            if key in values:
                first = values[key].key_line
                diags.append(Diagnostic(source.display, kline, kcol, ERROR, code="duplicate-key",
                                        message=f"'{key}' is given twice (first on line {first})",
                                        hint="keep only one of them"))
                continue
            vline, vcol = _place(value_node, line_offset)
            if value_node.tag == "tag:yaml.org,2002:null" and value_node.start_mark.index == value_node.end_mark.index:
                vline, vcol = kline, kcol  # an empty value has no place of its own: point at its key
            try:
                value = loader.construct_object(value_node, deep=True)
            # PyYAML's constructors fail on a wrongly tagged value (!!bool maybe, !!int '', !!timestamp x) with
            # KeyError, IndexError or AttributeError too
            except (yaml.YAMLError, ValueError, TypeError, OverflowError, LookupError, AttributeError) as exc:
                message, hint = _construct_problem(key, value_node, exc, _tagged(loader, value_node))
                diags.append(Diagnostic(source.display, vline, vcol, ERROR, message, hint, "bad-value"))
                values[key] = Value(key, UNREADABLE, vline, vcol, kline, kcol)  # not "missing" as well
                continue
            bad = _control_character(value)
            if bad:  # written as an escape in quotes ("\x1b"): read_text saw only the escape
                diags.append(Diagnostic(source.display, vline, vcol, ERROR, code="control-character",
                                        message=f"'{key}' contains an invisible control character (U+{ord(bad):04X})",
                                        hint="delete it and retype the text around it"))
                value = _escaped(value)  # other checks still see the value, and print it harmlessly
            raw = value_node.value if isinstance(value_node, yaml.ScalarNode) and not value_node.style else None
            items = tuple(_place(n, line_offset) for n in value_node.value) if isinstance(value_node, yaml.SequenceNode) else ()
            values[key] = Value(key, value, vline, vcol, kline, kcol, raw, items)
        return values, diags
    finally:
        loader.dispose()


def _control_character(value: Any) -> str | None:
    """The first invisible control character in a value, its items or its keys (line ends and tabs are text)."""
    if isinstance(value, str):
        match = CONTROL_RE.search(value)
        return match.group() if match else None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set)):
        return next((bad for item in value if (bad := _control_character(item))), None)
    return None


def _escaped(value: Any) -> Any:
    """A value with its control characters written as escapes."""
    if isinstance(value, str):
        return CONTROL_RE.sub(_escape, value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escaped(item) for item in value)
    return value


def _place(node: yaml.Node, line_offset: int) -> tuple[int, int]:
    return node.start_mark.line + 1 + line_offset, node.start_mark.column + 1


def _check_shape(root: yaml.Node) -> tuple[yaml.Node, str] | None:
    """Refuse aliases, deep nesting and huge documents before building any value (YAML bombs)."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return node, "anchors and aliases (& and *) are not allowed: write each value out in full"
        seen.add(id(node))
        count += 1
        if depth > MAX_DEPTH:
            return node, f"the values are nested too deeply (more than {MAX_DEPTH} levels)"
        if count > MAX_NODES:
            return node, TOO_MANY_VALUES
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
    return None


def _yaml_error(source: SourceFile, exc: yaml.MarkedYAMLError, text: str, line_offset: int) -> Diagnostic:
    """A YAML syntax error in plain words, at the place a person would fix it."""
    mark, what, fix = _explain_yaml_error(exc, text.split("\n"))
    line = (mark[0] + 1 + line_offset) if mark else line_offset + 1
    col = (mark[1] + 1) if mark else 1
    return Diagnostic(source.display, line, col, ERROR, code="yaml-syntax",
                      message=f"the fields cannot be read (YAML syntax error): {what}", hint=fix)


# PyYAML's C parser (used when available) and its pure-Python one word their errors differently, so
# problems are recognised by what both say and by the character at the error: the diagnostics must not
# depend on how PyYAML was installed.
_CHECK_LINE = "check quotes, colons and indentation on this line and the one above"


def _explain_yaml_error(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[tuple[int, int] | None, str, str]:
    """((line, column) counted from 0, what is wrong, how to fix it) for a YAML syntax error."""
    problem, context = (exc.problem or "").strip(), (exc.context or "").strip()
    at, opened = _spot(exc.problem_mark or exc.context_mark), _spot(exc.context_mark or exc.problem_mark)
    if at is None:
        return None, problem or "unknown problem", _CHECK_LINE
    char = _char_at(lines, at)
    if "nesting depth" in problem:  # the C parser stops at 1,000 levels of brackets
        return at, "the values are nested too deeply", "write lists as [a, b] or one item per line, not lists of lists"
    if char == "\t" or "tab" in problem:
        return at, "a tab character", "indent with spaces only"
    if context == "while scanning a quoted scalar":
        return opened, "a quote that is opened here is never closed", "add the closing quote at the end of the value"
    if context in ("while scanning an alias", "while scanning an anchor") or "undefined alias" in problem:
        return opened, "a value that starts with * or &", "put the whole value in quotes"
    if "cannot start any token" in problem and char and char in "@`%":
        return at, f"a value that starts with {char}", "put the whole value in quotes"
    if problem.startswith("mapping values are not allowed"):
        return _stray_colon(lines, at)
    if problem.startswith("could not find expected ':'") and context == "while scanning a simple key":
        return opened, "this line is not a `name: value` line", \
            "write a colon after the field name; a value that goes on over several lines must be indented"
    if context.startswith("while parsing a flow"):
        brackets = "[ ]" if "sequence" in context else "{ }"
        return opened, f"the {brackets} brackets that open here are not closed properly", \
            f"write a list on one line, like [a, b]; a text that starts with {brackets[0]} must be in quotes"
    if problem.startswith(("did not find expected key", "did not find expected '-'", "expected <block end>")):
        before = lines[at[0]][:at[1]].rstrip() if at[0] < len(lines) else ""
        if char == "-":
            return at, "a list item whose indentation does not match the lines above", \
                "indent every item of a list by the same number of spaces, under its field name"
        if before.endswith(('"', "'", "]", "}")):
            return at, "text after a closing quote or bracket", "put the whole value in quotes"
        return at, "the indentation of this line does not match the lines above", \
            "start each field name at the beginning of the line"
    return at, problem or "unknown problem", _CHECK_LINE


def _stray_colon(lines: list[str], at: tuple[int, int]) -> tuple[tuple[int, int], str, str]:
    """A colon and a space where a value was expected: inside a value, or on a line indented by mistake."""
    line = lines[at[0]] if at[0] < len(lines) else ""
    field = re.match(r"\s*(?:-\s+)?([^\s:#'\"][^:]*?):\s+(.*)$", line)
    if field is None or field.end(1) >= at[1]:
        indent = len(line) - len(line.lstrip())  # point at the field name, not at its colon
        return (at[0], indent), "this line is indented, so it is read as part of the value above", \
            "start the field name at the beginning of the line"
    name, value = field.group(1), field.group(2).strip()
    suggestion = f', like {name}: "{value}"' if '"' not in value and len(value) <= 80 else ""
    return at, f"the value of '{name}' contains a colon followed by a space", \
        f"put the whole value in quotes{suggestion}"


def _spot(mark: Any) -> tuple[int, int] | None:
    return (mark.line, mark.column) if mark is not None else None


def _char_at(lines: list[str], at: tuple[int, int] | None) -> str:
    if at is None or at[0] >= len(lines) or at[1] >= len(lines[at[0]]):
        return ""
    return lines[at[0]][at[1]]


_TAG_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number", "timestamp": "a date"}


def _tagged(loader: Any, node: yaml.Node) -> bool:
    """True for a value given its type in the file (!!int 2), not by how it is written."""
    return not isinstance(node, yaml.ScalarNode) or bool(node.style) or \
        loader.resolve(yaml.ScalarNode, node.value, (True, False)) != node.tag


def _construct_problem(key: str, node: yaml.Node, exc: Exception, tagged: bool) -> tuple[str, str]:
    """(message, hint) for a value that is written correctly but cannot be built, like 2027-02-30 or !!int ''."""
    text = str(exc).split("\n")[0]
    tag = node.tag.removeprefix("tag:yaml.org,2002:")
    if tag == "timestamp" and isinstance(node, yaml.ScalarNode) and \
            yaml.constructor.SafeConstructor.timestamp_regexp.match(node.value):
        return f"'{key}' is {node.value}, but this date does not exist", "check the day and the month"
    if tagged and tag in _TAG_WORDS and isinstance(node, yaml.ScalarNode):
        shown = shortened(" ".join(node.value.split()), 40)
        return f"'{key}' is marked !!{tag}, but '{shown}' is not {_TAG_WORDS[tag]}", f"remove the !!{tag} before it"
    return f"'{key}' cannot be read: {text}", ""
