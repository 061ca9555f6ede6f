"""Text: the interface words of the site in the visitor's language, from the theme's gettext catalogues.

Every word a visitor reads (not the courses' own) has an English message id where it is used (`_()`,
`ngettext()`, `{% trans %}`, a `words.Words`'s `gettext`; `N_()` for ids translated where shown), which
`pybabel extract` finds, and each language's catalogue translates:
`themes/<name>/locales/<language>/LC_MESSAGES/messages.po`. A site's own theme may translate some words and
leave the rest to the default theme's; a language without a catalogue shows the English ids.
"""
from __future__ import annotations

import gettext as _gettext
from functools import lru_cache
from pathlib import Path
from typing import Iterable

DOMAIN = "messages"
PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")  # CLDR's, in its order

ENGLISH = _gettext.NullTranslations()  # the message ids as they are


def N_(message: str) -> str:
    """Marks a message id for extraction without translating it (it is translated where it is shown)."""
    return message


def gettext(message: str) -> str:
    """The English words (the default lookup of Python code; a theme's `Words` has its language's)."""
    return ENGLISH.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The English singular or plural (see `gettext`)."""
    return ENGLISH.ngettext(singular, plural, n)


_ = gettext


def translations(layers: Iterable[Path], language: str) -> _gettext.NullTranslations:
    """The theme's translations into `language`: each layer's catalogue (a site's theme, then the default
    theme), each falling back to the next for the words it lacks, and finally to the message ids (English)."""
    found: _gettext.NullTranslations | None = None
    for layer in layers:
        catalogue = _layer_catalogue(Path(layer) / "locales", language)
        if catalogue is None:
            continue
        if found is None:
            found = catalogue
        else:
            found.add_fallback(catalogue)
    return found if found is not None else _gettext.NullTranslations()


def _layer_catalogue(locales: Path, language: str) -> _gettext.NullTranslations | None:
    """A layer's catalogue for the language ('pt-BR' is looked for as pt-BR, pt_BR, then pt), or None."""
    if not locales.is_dir():
        return None
    base = language.replace("-", "_").split("_")[0]
    for code in dict.fromkeys((language, language.replace("-", "_"), base)):
        folder = locales / code / "LC_MESSAGES"
        po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
        if po.is_file():  # what translators edit: a .mo beside it may be older
            return _read_po(po, code)
        if mo.is_file():
            with mo.open("rb") as f:
                return _babel_translations(f)
    return None


def _read_po(path: Path, code: str) -> _gettext.NullTranslations:
    """A .po file's translations (fuzzy ones left out, as msgfmt does), compiled once for each version of the
    file and kept in the user's cache folder (see `engine.cache.compiled_translations`)."""
    import io

    from generator.engine.cache import compiled_translations

    source = path.read_bytes()
    kept = compiled_translations(source, code)
    if kept.found is not None:
        return _babel_translations(io.BytesIO(kept.found))
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(source), locale=_babel_locale(code), domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    kept.keep(compiled.getvalue())
    compiled.seek(0)
    return _babel_translations(compiled)


def _babel_translations(fileobj) -> _gettext.NullTranslations:
    from babel.support import Translations
    return Translations(fileobj, domain=DOMAIN)


def _babel_locale(code: str):
    from babel import Locale, UnknownLocaleError
    try:
        return Locale.parse(code)
    except (ValueError, UnknownLocaleError):
        return None


def script_plurals(translations: _gettext.NullTranslations, language: str) -> tuple[tuple[str, int], ...]:
    """The plural categories the page gives its script (see `plural_samples`): the language's, or English's
    two where there is no catalogue to give the other forms (CLDR's data is not loaded for nothing)."""
    if type(translations) is _gettext.NullTranslations:
        return ENGLISH_PLURALS
    return plural_samples(language)


ENGLISH_PLURALS = (("one", 1), ("other", 0))
PLURAL_SEARCH = 200  # CLDR's rules for whole numbers look at the last two digits: each category has one below 200


@lru_cache(maxsize=64)
def plural_samples(language: str) -> tuple[tuple[str, int], ...]:
    """A whole number of each CLDR plural category the language has, e.g. English (('one', 1), ('other', 0)),
    Czech (('one', 1), ('few', 2), ('other', 0)).

    The page gives its script each plural message once per category (`ngettext` with that number), and the
    script picks one with `Intl.PluralRules`, which uses the same CLDR rules. Only whole numbers are counted.
    """
    rule = None
    locale = _babel_locale(language.replace("-", "_")) if language else None
    if locale is not None:
        rule = locale.plural_form
    if rule is None:
        def rule(n: int) -> str:
            return "one" if n == 1 else "other"
    first: dict[str, int] = {}
    for n in range(0, PLURAL_SEARCH):
        first.setdefault(rule(n), n)
    return tuple((category, first[category]) for category in PLURAL_CATEGORIES if category in first)


def plural_count(x: float | int) -> int:
    """The number gettext chooses a plural form by: a whole number as it is; a fraction, which gettext cannot
    count, as 5 (hours of work, whole in practice; credits with a fraction have words of their own: see
    `Words.credits_amount`)."""
    return int(x) if float(x).is_integer() else 5
