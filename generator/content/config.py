"""Config: the optional site file (site.yaml), with defaults for everything in it."""
from __future__ import annotations

import dataclasses
import difflib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from generator.content.files import Document, Loader, SourceFile, Value, read_yaml_file
from generator.diagnostics import ERROR, WARNING, Diagnostic, UsageError, display_path
from generator.content.checks import Checker, normalise_base_url
from generator.content.schema import SITE_FIELDS, SITE_TRANSLATION_FIELDS

log = logging.getLogger(__name__)

CONFIG_NAME = "site.yaml"
PACKAGE_THEMES = Path(__file__).resolve().parents[2] / "themes"


@dataclass(frozen=True)
class EditorSettings:
    """Where the web editor at /admin/ opens its pull requests, and its GitHub sign-in service."""

    repo: str
    branch: str = "main"
    auth_url: str | None = None       # an OAuth provider's address; None: Netlify's
    auth_endpoint: str | None = None  # its start page's path; None: Decap's default, auth


@dataclass(frozen=True)
class SiteTranslation:
    """The catalogue's own words in another interface language, under its code in site.yaml's `translations`."""

    language: str
    title: str | None = None
    description: str | None = None
    topics: tuple[tuple[str, str], ...] = ()  # (a subject tag as the courses write it, its name in the language)
    topic_places: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)  # their lines, columns


@dataclass(frozen=True)
class Config:
    """Settings of one site build."""

    source: Path
    title: str
    description: str
    base_url: str
    theme_dir: Path
    page_size: int
    languages: tuple[str, ...] = ("en",)  # the interface's, the first the default (see `language_prefix`)
    logo: str | None = None  # an image file beside site.yaml, shown in the header (else the theme's mark)
    editor: EditorSettings | None = None  # the web editor's (`editor_*` in site.yaml); None: no /admin/ is built
    translations: tuple[SiteTranslation, ...] = ()  # the catalogue's words in the other languages

    @property
    def language(self) -> str:
        """The default interface language, whose pages are at the base URL."""
        return self.languages[0]

    def language_prefix(self, language: str) -> str:
        """Where a language's pages are, under the base URL: '' for the default language, 'cs/' for Czech."""
        return "" if language == self.languages[0] else f"{language}/"

    def in_language(self, language: str) -> Config:
        """The settings with the title and description in `language`, where site.yaml translates them."""
        title, description = self._translation(language)
        return dataclasses.replace(self, title=title or self.title, description=description or self.description)

    def translated(self, language: str) -> tuple[bool, bool]:
        """Whether site.yaml gives the title, and the description, in `language` (the default language's: both)."""
        return (True, True) if language == self.language else tuple(bool(t) for t in self._translation(language))

    def _translation(self, language: str) -> tuple[str | None, str | None]:
        given = self._words(language)
        return (given.title, given.description) if given else (None, None)

    def topic_names(self, language: str) -> dict[str, str]:
        """The subject tags site.yaml names in `language`: {the tag as the courses write it: its name}."""
        given = self._words(language)
        return dict(given.topics) if given else {}

    def _words(self, language: str) -> SiteTranslation | None:
        return next((t for t in self.translations if t.language == language), None)

    @property
    def base_path(self) -> str:
        """The path part of the base URL, like `/catalogue/`: every link in the site starts with it."""
        return urlsplit(self.base_url).path or "/"

    @property
    def absolute(self) -> bool:
        """True when the base URL names a host, so sitemaps and canonical links can be absolute."""
        return bool(urlsplit(self.base_url).netloc)


def load_config(source: Path, base_url: str | None = None) -> tuple[Config | None, list[Diagnostic]]:
    """Read site.yaml if there is one, apply command-line overrides, and find the theme."""
    if not source.is_dir():
        raise UsageError(f"the site folder {display_path(source)} does not exist")
    values: dict = {spec.name: spec.default for spec in SITE_FIELDS}
    diags: list[Diagnostic] = []
    path = source / CONFIG_NAME
    theme_place = (CONFIG_NAME, 0, 0)
    if path.exists() and not path.is_file():
        diags.append(Diagnostic(display_path(path), code="not-a-file", message=f"{CONFIG_NAME} is a folder, "
                                "not a file: the settings cannot be read", hint=f"make {CONFIG_NAME} a YAML file, "
                                "or remove it to use the defaults"))
    elif path.is_file():
        shown = display_path(path)
        doc, diags = read_yaml_file(SourceFile(path, shown))
        if doc is not None:
            checker = Checker(doc, SITE_FIELDS, "site")
            values = checker.check()
            diags += checker.diagnostics
            if "theme" in doc.values:
                theme_place = (shown, doc.values["theme"].line, doc.values["theme"].col)
            if values.get("translations"):
                translated, problems = _translations(SourceFile(path, shown), values["translations"],
                                                     _interface_languages(values))
                values["translations"] = translated
                diags += problems
            if values.get("logo"):
                from generator.content.catalogue import logo_problems  # (it reads the catalogue's files too)
                diags += logo_problems(SourceFile(path, shown), values["logo"], doc.values["logo"].line,
                                       doc.values["logo"].col)
    if base_url is not None:
        def fail(message: str) -> None:
            raise UsageError(f"--base-url: {message}")
        values["base_url"] = normalise_base_url(base_url, fail)
    if any(d.is_error for d in diags):
        return None, diags
    theme_dir = find_theme(source, values["theme"])
    if theme_dir is None:
        diags.append(Diagnostic(theme_place[0], theme_place[1], theme_place[2], message=f"there is no theme "
                                f"'{values['theme']}'", hint="themes are folders under themes/"))
        return None, diags
    editor = EditorSettings(values["editor_repo"], values["editor_branch"], values["editor_auth_url"],
                            values["editor_auth_endpoint"]) if values["editor_repo"] else None
    return Config(source=source, title=values["title"], description=values["description"],
                  base_url=values["base_url"], theme_dir=theme_dir, page_size=values["page_size"],
                  languages=_interface_languages(values), logo=values.get("logo"), editor=editor,
                  translations=values["translations"] or ()), diags


def _interface_languages(values: dict) -> tuple[str, ...]:
    """The interface's languages as the settings give them, each once: `languages`, or the older `language: cs`."""
    languages = values["languages"]
    if values["language"] and languages == ("en",):
        languages = values["language"]
    return tuple(dict.fromkeys(languages or ()))


def _translations(source: SourceFile, given: dict, languages: tuple[str, ...]
                  ) -> tuple[tuple[SiteTranslation, ...], list[Diagnostic]]:
    """The catalogue's words under each language of `translations` (site.yaml's, as read: `given`), checked as
    the settings themselves are, each problem at its line; only the interface's other languages."""
    text = source.path.read_text(encoding="utf-8")
    loader = Loader(text)  # (the C loader where there is one, as the first read: 0.2 ms, not 5)
    try:
        root = loader.get_single_node()
        node = next(value for key, value in root.value if key.value == "translations")
        found: list[SiteTranslation] = []
        diags: list[Diagnostic] = []
        for key, fields in node.value:
            code, place = str(key.value), (key.start_mark.line + 1, key.start_mark.column + 1)
            if code not in languages[1:] or code in (f.language for f in found):
                hint = ("the title and description above are the default language's" if languages[:1] == (code,) else
                        "give each language once" if code in languages else
                        f"the interface's languages are {', '.join(languages)}: add it to `languages` or remove it")
                diags.append(Diagnostic(source.display, *place, ERROR, f"'translations' cannot have '{code}' here",
                                        hint, "not-allowed"))
                continue
            values = {str(k.value): Value(str(k.value), loader.construct_object(v, deep=True), v.start_mark.line + 1,
                                          v.start_mark.column + 1, k.start_mark.line + 1, k.start_mark.column + 1,
                                          v.value if isinstance(v, yaml.ScalarNode) and not v.style else None,
                                          _places(v))
                      for k, v in fields.value}
            checker = Checker(Document(source, values, "", 0), SITE_TRANSLATION_FIELDS, f"'{code}' translation")
            clean = checker.check()
            diags += checker.diagnostics
            found.append(SiteTranslation(code, clean["title"], clean["description"], clean["topics"] or (),
                                         values["topics"].items if clean["topics"] else ()))
        return tuple(found), diags
    finally:
        loader.dispose()


def _places(node: yaml.Node) -> tuple[tuple[int, int], ...]:
    """Where each entry of a list or a mapping is (its value's line and column; its key's, for a mapping)."""
    if isinstance(node, yaml.SequenceNode):
        return tuple((n.start_mark.line + 1, n.start_mark.column + 1) for n in node.value)
    if isinstance(node, yaml.MappingNode):
        return tuple((k.start_mark.line + 1, k.start_mark.column + 1) for k, _ in node.value)
    return ()


def unused_topic_names(config: Config, topics: set[str]) -> list[Diagnostic]:
    """A warning for each subject tag `translations` names that no course has (`topics`): a misspelling, mostly."""
    shown = display_path(config.source / CONFIG_NAME)
    return [Diagnostic(shown, line, col, WARNING, f"no course has the topic '{tag}' that the '{given.language}' "
                       "translation names", "write it as the courses' `topics` do" + (
                           f": did you mean '{close[0]}'?" if (close := difflib.get_close_matches(tag, topics, 1))
                           else ", or remove its line"), "unused-topic")
            for given in config.translations for (tag, _), (line, col) in zip(given.topics, given.topic_places)
            if tag not in topics]


def find_theme(source: Path, name: str) -> Path | None:
    """The site's own themes/<name>, else the theme shipped with the generator."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    for base in (source / "themes", PACKAGE_THEMES):
        if (base / name / "templates").is_dir():
            return (base / name).resolve()
    return None
