"""Turning engine replies into Telegram messages: HTML-escaped, split under the size limit, buttons."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..engine import Reply, ReplyKind

__all__ = ["MAX_MESSAGE", "split_text", "to_html", "keyboard"]

MAX_MESSAGE = 4096  # Telegram's limit for one message, in characters
_BUTTONS_PER_ROW = 3


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends where possible.

    >>> [len(p) for p in split_text("a" * 5000, 4096)]
    [4096, 904]
    >>> split_text("line one\\nline two", 12)
    ['line one', 'line two']
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = limit
            entity = rest.rfind("&", max(0, cut - 8), cut)  # never cut an HTML entity (&amp;) in two
            if entity != -1 and ";" not in rest[entity:cut]:
                cut = entity
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def to_html(reply: Reply) -> str:
    """The reply's text escaped for HTML parse mode, with the question or score line in bold."""
    escaped = html.escape(reply.text)
    first, _, rest = escaped.partition("\n")
    if reply.kind in (ReplyKind.QUESTION, ReplyKind.FEEDBACK) and len(first) < 300:  # tags stay on one line
        escaped = f"<b>{first}</b>" + (f"\n{rest}" if rest else "")
    if reply.images:
        escaped += "\n" + "\n".join(f'<a href="{html.escape(url, quote=True)}">🖼 {html.escape(url)}</a>' for url in reply.images)
    return escaped


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (callback data = the engine action)."""
    if not reply.buttons:
        return None
    buttons = [InlineKeyboardButton(b.label, callback_data=b.action.value) for b in reply.buttons]
    rows = [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)
