"""The message catalog: every text a user sees, per language, and `_()` to look one up.

The texts live in gettext catalogs, one `.po` file a language
(`grading/locale/<language>/LC_MESSAGES/mockbot.po`), read with Babel at first use and kept.
A message id is symbolic (`welcome_back`, `terminal.help`, `feedback.tip_all`): the engine's
texts have bare ids, every other front-end's carry its prefix (`terminal.`, `telegram.`,
`command.`, `admin.`, `group.`, `decks.`, `practice.`, `chart.`, `feedback.`, `verdict.`). A plural's
id is its noun (`answers`), with the language's gettext plural forms. Placeholders are `str.format`
fields (`{name}`, `{average:.0f}`), filled in by the code.

The catalog lives in `grading`, the lowest package that shows text to a user (the feedback and
its verdicts): `bot` imports `grading` already and `grading` imports nothing of `bot`, so both use
this one lookup without an import going the wrong way. It is one catalog rather than a domain
per package, so a language is one file and any wording is found in one place.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "LANGUAGES", "DEFAULT_LANGUAGE", "LOCALE_DIR", "DOMAIN",
    "_", "N_", "gettext", "ngettext", "in_every_language", "locale", "catalog", "po_path",
]

LANGUAGES = ("zh", "en")  # a catalog each; the first is the default (the config and the store check against it)
DEFAULT_LANGUAGE = LANGUAGES[0]
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "mockbot"


def po_path(language: str) -> Path:
    """The `.po` file of `language`."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalog(language: str) -> Catalog:
    """The catalog of `language` as Babel reads it (fuzzy entries included, as written)."""
    with po_path(language).open("rb") as file:
        return read_po(file, domain=DOMAIN)


@dataclass(frozen=True)
class _Compiled:
    ids: frozenset[str]
    translations: _gettext.GNUTranslations  # gettext's own lookup, plural forms included
    locale: Locale


@functools.cache
def _compiled(language: str) -> _Compiled:
    """`language`'s catalog compiled in memory, as gettext reads a `.mo` file."""
    messages = catalog(language)
    buffer = io.BytesIO()
    write_mo(buffer, messages, use_fuzzy=True)
    buffer.seek(0)
    ids = frozenset(m.id if isinstance(m.id, str) else m.id[0] for m in messages if m.id)
    return _Compiled(ids, _gettext.GNUTranslations(buffer), messages.locale or Locale.parse(language))


def _entry(msgid: str, language: str) -> _Compiled:
    """The compiled catalog that has `msgid`: `language`'s, else the default language's."""
    for name in (language, DEFAULT_LANGUAGE) if language in LANGUAGES else (DEFAULT_LANGUAGE,):
        compiled = _compiled(name)
        if msgid in compiled.ids:
            return compiled
    raise KeyError(f"no message {msgid!r} in the catalog")


def gettext(msgid: str, language: str) -> str:
    """The text `msgid` in `language` (the default language when unknown), placeholders unfilled.

    >>> gettext("verdict.good", "en"), gettext("verdict.good", "fr")
    ('good', '良好')
    """
    return _entry(msgid, language).translations.gettext(msgid)


def ngettext(singular: str, plural: str, n: int, language: str) -> str:
    """The plural form of `singular` for `n` in `language` (gettext's `Plural-Forms` rule).

    >>> ngettext("days", "days", 1, "en"), ngettext("days", "days", 2, "en"), ngettext("days", "days", 2, "zh")
    ('{n} day', '{n} days', '{n} 天')
    """
    return _entry(singular, language).translations.ngettext(singular, plural, n)


def _(msgid: str, language: str, /, **values: object) -> str:
    """The text `msgid` in `language` with `values` filled in.

    >>> _("feedback.tip_missed", "en", point="dropout")
    'Add next time: dropout'
    """
    return gettext(msgid, language).format(**values)


def N_(msgid: str) -> str:  # noqa: N802 - gettext's name
    """Mark `msgid` for `pybabel extract` where it is looked up later: returns it unchanged."""
    return msgid


def in_every_language(msgid: str, separator: str = " / ") -> str:
    """The text in every language at once, for a user whose language is not known yet.

    >>> in_every_language("admin.admins_only")
    '仅管理员可用 / Admins only.'
    """
    return separator.join(gettext(msgid, language) for language in LANGUAGES)


def locale(language: str) -> Locale:
    """The CLDR locale of `language`'s catalog (its `Language` header), for list joins and numbers."""
    return _compiled(language if language in LANGUAGES else DEFAULT_LANGUAGE).locale
