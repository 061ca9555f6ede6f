"""The theme: its templates, its static files under content-hashed names, its translations (see `text`), and
the helpers templates see."""
from __future__ import annotations

import gettext
import hashlib
import html
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from markupsafe import Markup

from generator import __version__
from generator.content import markup
from generator.content.media import beside_name
from generator.content.config import PACKAGE_THEMES, Config
from generator.content.model import ContentPage
from generator.fingerprint import fingerprint
from generator.content import facets
from generator.site import media, minify, text, words
from generator.site.structured import json_ld_script, open_graph
from generator.site.words import Words

DEFAULT_THEME = PACKAGE_THEMES / "default"
PREVIEW_IMAGE = "preview.png"  # in a theme's static/: the picture of a shared link, 1200 × 630 pixels


@dataclass(frozen=True)
class Theme:
    """A theme's templates and its static files, with content-hashed output names."""

    dir: Path
    env: jinja2.Environment
    assets: dict[str, str]         # name in static/ → path in the site
    static: dict[str, bytes]       # path in the site → bytes
    digest: str                    # hash of every template and static file: any change re-renders every page
    # the interface words in the site's language (`site.language`), from the theme's catalogues
    translations: gettext.NullTranslations = field(default_factory=gettext.NullTranslations)
    words: Words = words.ENGLISH  # the catalogue's words (credits, fees, dates...) in that language
    language: str = "en"          # the interface language of the pages made with it
    prefix: str = ""              # where they are under the base URL: '' for the default language, else 'cs/'


def load_themes(config: Config, compiled: Any = None, pages: tuple[ContentPage, ...] = ()) -> dict[str, Theme]:
    """The theme in each of the site's interface languages, the default one first (their files read once), with
    the site's content `pages` in every page's footer."""
    files = _static_files(config)
    digest = theme_digest(config)
    if len(config.languages) == 1:
        return {config.language: load_theme(config, compiled, config.language, files, digest, pages)}
    shared = _SharedCompiled(compiled)
    themes = {language: load_theme(config, shared, language, files, digest, pages) for language in config.languages}
    for theme in themes.values():  # loaded here, before the pages are shared out between processes
        for name in theme.env.list_templates():
            try:
                theme.env.get_template(name)
            except jinja2.TemplateError:  # (reported where a page uses it, at its line)
                pass
    return themes


class _SharedCompiled(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the languages of one build, in front of the cache kept between
    builds (`cache.compiled_templates`), if any: a template is compiled or read once, not once a language
    (compiled code does not depend on the language)."""

    def __init__(self, kept: jinja2.BytecodeCache | None) -> None:
        self.kept = kept
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key not in self.code and self.kept is not None:
            self.kept.load_bytecode(bucket)
            if bucket.code is not None:
                self.code[bucket.key] = bucket.bytecode_to_string()
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()
        if self.kept is not None:
            self.kept.dump_bytecode(bucket)


def load_theme(config: Config, compiled: Any = None, language: str | None = None,
               files: tuple[dict[str, str], dict[str, bytes]] | None = None, digest: str | None = None,
               pages: tuple[ContentPage, ...] = ()) -> Theme:
    """The theme in one interface language (the default one unless given): its static files and its Jinja
    environment (strict: a typo fails the build).

    A site's own theme only needs the templates and files it changes: the rest come from the default theme.
    `compiled` is a Jinja bytecode cache to keep compiled templates in (see `cache.compiled_templates`).
    Every word templates show goes through `_()`/`ngettext()` or `{% trans %}` (Jinja's i18n extension), with
    the theme's translations into the language; so do the `words` filters.
    """
    layers = theme_layers(config)
    assets, static = files or _static_files(config)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(layer / "templates") for layer in layers]),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=compiled,
        extensions=["jinja2.ext.i18n"],
    )
    language = language or config.language
    prefix = config.language_prefix(language)
    translations = text.translations(layers, language)
    env.install_gettext_translations(translations, newstyle=True)
    env.globals.update(_template_gettext(translations))
    topics = config.topic_names(language)
    speak = Words(translations, language, topics)
    env.filters.update(speak.filters())
    # a field of education's name (ISCED-F's, in English), marked as English on another language's page
    env.filters["isced_name"] = lambda code: speak.isced(code) if language == "en" else Markup(
        '<span lang="en">%s</span>') % speak.isced(code)
    env.filters["facet_value"] = lambda option, key: facets.option_label(key, option, speak)
    # a subject tag the settings do not name in this language is shown as written: in the default language
    as_written = config.language if language != config.language else ""
    env.filters["facet_lang"] = lambda option, key: as_written if key == "topic" and option.value not in topics \
        else ""
    env.filters["topics"] = lambda tags: Markup(", ").join(
        speak.topic(tag) if tag in topics or not as_written else Markup('<span lang="%s">%s</span>') % (as_written, tag)
        for tag in tags)
    env.filters["json"] = _json_for_html
    env.filters["without_heading"] = markup.without_heading
    env.filters["with_media"] = _with_media
    base = config.base_path

    def asset(name: str) -> str:
        if name not in assets:
            raise KeyError(f"the theme has no static file '{name}'")
        return base + assets[name]

    site_lang = Markup(f' lang="{config.language}"') if language != config.language else ""
    title_given, description_given = config.translated(language)
    env.globals.update(
        site=config.in_language(language),
        language=language,
        # words written in the site's default language (an institution's description, say) say so
        site_lang=site_lang,
        # and so do the site's title and description (site.yaml's), where they are not translated into the language
        site_title_lang=site_lang if not title_given else "",
        site_description_lang=site_lang if not description_given else "",
        # the site's languages, each as its code, its name in itself and where its pages are
        languages=[(code, words.own_name(code), config.language_prefix(code)) for code in config.languages],
        url=lambda path="": base + prefix + path,            # a page in this language
        root_url=lambda path="": base + path,                # a file every language shares (data, logos, feeds)
        absolute_url=lambda path="": config.base_url + prefix + path,
        absolute_root_url=lambda path="": config.base_url + path,
        asset=asset,
        site_logo=asset(site_logo_name(config)),
        logo_of=lambda institution: base + _logo_path(institution) if institution.logo else None,
        # the picture a shared link shows (Open Graph's og:image), when the theme has one
        preview_image=base + assets[PREVIEW_IMAGE] if PREVIEW_IMAGE in assets else None,
        picture_sources=lambda picture: media.sources(picture, base),
        generator_version=__version__,
        json_ld_script=json_ld_script,
        open_graph=lambda site, title, description, path, *more: open_graph(site, title, description, prefix + path,
                                                                             *more, speak=speak),
        plural_samples=text.script_plurals(translations, language),  # see the `plural_forms` macro
        # the content pages every page's footer links to, each as (address, title, language of the title), and
        # the names of them all (the headers file gives their addresses their own rules)
        footer_pages=footer_of(pages, language),
        page_names=tuple(p.slug for p in pages),
    )
    # every page shows the footer: its links are part of what each page is made from
    digest = fingerprint(digest or theme_digest(config), language, repr(footer_of(pages, language)),
                         repr(env.globals["page_names"]))
    return Theme(config.theme_dir, env, assets, static, digest, translations, speak, language, prefix)


def footer_of(pages: tuple[ContentPage, ...], language: str = "") -> tuple[tuple[str, str, str], ...]:
    """The footer's links to content pages in `language`: (address, title, language of the title), by their
    `order`, then those without one by title."""
    shown = sorted((p for p in pages if p.footer),
                   key=lambda p: (p.order is None, p.order or 0, p.title.casefold(), p.slug))
    return tuple((p.url, *_title(p, language)) for p in shown)


def _title(page: ContentPage, language: str) -> tuple[str, str]:
    text = page.text(language)
    return text.title, text.lang


def _static_files(config: Config) -> tuple[dict[str, str], dict[str, bytes]]:
    """The theme's static files: each name's path in the site, and each path's bytes. CSS and JavaScript are
    minified, each with its source map beside it; a stylesheet's `url()`s of other static files name their
    hashed names (so the fonts and pictures it uses are cached for good too)."""
    sources: dict[str, bytes] = {}
    for layer in reversed(theme_layers(config)):
        static_dir = layer / "static"
        if not static_dir.is_dir():
            continue
        for path in sorted(p for p in static_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            sources[path.relative_to(static_dir).as_posix()] = path.read_bytes()
    if config.logo:  # the site's own logo, in site.yaml
        sources[site_logo_name(config)] = (config.source / config.logo).read_bytes()
    assets, static = {}, {}
    # stylesheets last: they name the others
    for name in sorted(sources, key=lambda n: (n.endswith(".css"), n)):
        data = sources[name]
        if name.endswith(".css"):
            data = _hashed_urls(name, data, assets)
        made = minify.minify(name, data) if minify.minifiable(name) else None
        if made is None:
            assets[name] = _hashed_name(name, data)
            static[assets[name]] = data
            continue
        assets[name] = _hashed_name(name, made.code)
        map_name = assets[name].rpartition("/")[2] + ".map"
        comment = f"/*# sourceMappingURL={map_name} */" if name.endswith(".css") else f"//# sourceMappingURL={map_name}"
        static[assets[name]] = made.code + b"\n" + comment.encode() + b"\n"
        static[assets[name] + ".map"] = made.source_map
    return assets, static


def _hashed_urls(name: str, css: bytes, assets: dict[str, str]) -> bytes:
    """A stylesheet with its `url(...)`s of the theme's other static files turned into their hashed names."""
    folder = posixpath.dirname(name)

    def hashed(match: re.Match[bytes]) -> bytes:
        target = match.group(2).decode()
        wanted = posixpath.normpath(posixpath.join(folder, target))
        if "://" in target or target.startswith(("/", "data:")) or wanted not in assets:
            return match.group(0)
        here = posixpath.dirname(assets[name] if name in assets else _hashed_name(name, b""))
        return b"url(" + posixpath.relpath(assets[wanted], here).encode() + b")"
    return re.sub(rb"""url\((["']?)([^"')]+)\1\)""", hashed, css)


def site_logo_name(config: Config) -> str:
    """The name of the logo the header shows among the static files: the site's own, or the theme's mark."""
    return f"site-logo{Path(config.logo).suffix.lower()}" if config.logo else "logo.svg"


def theme_layers(config: Config) -> list[Path]:
    """The theme's folder, then the default theme's for what it does not provide."""
    return [config.theme_dir] + ([DEFAULT_THEME] if config.theme_dir != DEFAULT_THEME else [])


def theme_digest(config: Config) -> str:
    """A hash of every file of the theme (its layers): if it is unchanged, so is every template."""
    parts: list[bytes | str] = [config.base_url, minify.minifier_version()]
    for layer in theme_layers(config):
        for path in sorted(p for p in layer.rglob("*") if p.is_file()):
            parts += [path.relative_to(layer).as_posix(), path.read_bytes()]
    if config.logo:
        parts += [config.logo, (config.source / config.logo).read_bytes()]
    return fingerprint(*parts)


def _template_gettext(translations: gettext.NullTranslations) -> dict[str, Any]:
    """`_`, `gettext` and `ngettext` for templates, as the i18n extension's newstyle ones do them (the words
    marked safe where autoescaping, every value given escaped and put in, `%%` for a percent sign, `num` the
    count) but a third of the cost: those call each other through the template context, three calls a word,
    which made pages three times as slow to render."""

    safe: dict[str, tuple[Markup, bool]] = {}  # message id → its words, and whether they have a placeholder

    @jinja2.pass_eval_context
    def template_gettext(eval_ctx: Any, __string: str, **variables: Any) -> str:
        if not eval_ctx.autoescape:
            return translations.gettext(__string) % variables
        known = safe.get(__string)
        if known is None:
            words = translations.gettext(__string)
            known = safe[__string] = (Markup(words), "%" in words)
        return known[0] % variables if known[1] else known[0]

    @jinja2.pass_eval_context
    def template_ngettext(eval_ctx: Any, __singular: str, __plural: str, __num: int, **variables: Any) -> str:
        variables.setdefault("num", __num)
        rv = translations.ngettext(__singular, __plural, __num)
        return (Markup(rv) if eval_ctx.autoescape else rv) % variables

    return {"_": template_gettext, "gettext": template_gettext, "ngettext": template_ngettext}


_IMG_RE = re.compile(r"<img\b[^>]*>")
_ATTRIBUTE_RE = re.compile(r'(\w+)="([^"]*)"')


@jinja2.pass_environment
def _with_media(env: jinja2.Environment, body_html: str, course: Any) -> str:
    """A course's rendered description with its pictures shown from the files made of them (the theme's `picture`
    macro, in _macros.html) and its links to documents made links to their copies beside the course's page, each
    with the theme's `file_note` (the type and size of the file)."""
    if not course.pictures and not course.documents:
        return body_html
    macros = env.get_template("_macros.html").module
    pictures = {p.name: p for p in course.pictures}

    def picture(match: re.Match[str]) -> str:
        attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE_RE.findall(match.group(0))}
        shown = pictures.get(beside_name(attributes.get("src", "")))
        return str(macros.picture(shown, attributes.get("alt", ""), "description")) if shown else ""

    body_html = _IMG_RE.sub(picture, body_html) if pictures else body_html
    for document in course.documents:
        address = html.escape(env.globals["root_url"](course.url + document.published))
        body_html = re.sub(f'(<a\\s[^>]*?href=")({re.escape(html.escape(document.published))})([#"][^>]*>)(.*?)(</a>)',
                           lambda m, a=address, d=document: m.group(1) + a + m.group(3) + m.group(4)
                           + str(macros.file_note(d)) + m.group(5), body_html, flags=re.DOTALL)
    return Markup(body_html)


def _hashed_name(name: str, data: bytes) -> str:
    """`css/site.css` → `assets/css/site.<hash>.css`: a new name whenever the bytes change, so it can be cached forever."""
    digest = hashlib.sha256(data).hexdigest()[:10]
    folder, _, filename = name.rpartition("/")
    stem, dot, suffix = filename.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot else f"{filename}.{digest}"
    return "assets/" + (f"{folder}/" if folder else "") + hashed


def _logo_path(institution: Any) -> str:
    from generator.site.pages import logo_path  # (pages are made with the theme)
    return logo_path(institution) or ""


def _json_for_html(value: Any) -> str:
    """JSON that is safe inside a <script> element or an attribute."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
