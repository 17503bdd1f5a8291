"""The engine's helpers over the message catalog (`grading.i18n`): texts, plurals, list joins.

The wordings are in the catalog's `.po` files, not here. Texts that name a command use
`{cmd_next}`, `{cmd_skip}`, `{cmd_topics}`, `{cmd_followup}`: each front-end fills in its own
spelling (`TELEGRAM_COMMANDS`, `TERMINAL_COMMANDS`). Plurals follow the catalog's gettext plural
forms, list joins the language's CLDR rules (Babel).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from babel.lists import format_list

from grading.i18n import LANGUAGES, gettext, locale, ngettext

__all__ = ["t", "wording", "plural", "join_list", "language_list", "LANGUAGES", "TELEGRAM_COMMANDS", "TERMINAL_COMMANDS"]

TELEGRAM_COMMANDS = {"cmd_next": "/question", "cmd_skip": "/skip", "cmd_topics": "/topics", "cmd_followup": "/followup"}
TERMINAL_COMMANDS = {"cmd_next": ":next", "cmd_skip": ":skip", "cmd_topics": ":topic", "cmd_followup": ":followup"}

def t(key: str, language: str, **values: object) -> str:
    """The text `key` in `language` (zh when unknown), with `values` filled in.

    Command names not given in `values` are Telegram's (`TELEGRAM_COMMANDS`).
    """
    return gettext(key, language).format(**{**TELEGRAM_COMMANDS, **values})


def wording(entry: str | Mapping[str, str], language: str) -> str:
    """A wording in `language`, placeholders unfilled: of the catalog's message `entry`, or, for
    data that comes in its own languages, of a mapping from "zh"/"en" to it (Chinese when it has none).

    >>> wording("button_next", "en"), wording({"zh": "中文"}, "en")
    ('Next', '中文')
    """
    if isinstance(entry, str):
        return gettext(entry, language)
    return entry.get(language, entry["zh"])


def plural(key: str, language: str, n: int) -> str:
    """`n` with its noun in the right plural form, e.g. plural("answers", "en", 1) == "1 answer".

    >>> plural("answers", "en", 1), plural("answers", "en", 3), plural("answers", "zh", 3)
    ('1 answer', '3 answers', '3 次')
    """
    return ngettext(key, key, n, language).format(n=n)


def join_list(items: Iterable[str], language: str) -> str:
    """Items joined as the language lists them: "A, B and C" / "A、B和C".

    >>> join_list(["Machine learning", "PyTorch"], "en"), join_list(["机器学习", "PyTorch"], "zh")
    ('Machine learning and PyTorch', '机器学习和PyTorch')
    """
    return format_list(list(items), locale=locale(language))


def language_list(language: str) -> str:
    """Every language of the catalog, by its code and its own name, listed in `language`.

    >>> language_list("en")
    'zh (中文) and en (English)'
    """
    return join_list((t("language_option", language, code=code, name=gettext("language_name", code)) for code in LANGUAGES), language)
