"""Turning engine replies into Telegram messages: HTML-escaped, split under the size limit, buttons.

Telegram counts a message's length in UTF-16 code units of the text as shown, i.e. after parsing
the HTML: tags count nothing, `&amp;` counts one, and a character outside the Basic Multilingual
Plane (𝑥, 𝜃, most emoji) counts two. `split_text` cuts by that measure, at a line end where it
can, else after a sentence, else at a space; never inside a tag or an entity, and a tag that is
open at a cut is closed at the end of the piece and opened again at the start of the next, so
every piece is valid HTML on its own.

A button's callback data names its question: `action|question id` (a hint button adds `|step`, the
hints shown when it was made), within Telegram's 64 bytes; an id too long for that is sent as `#`
and a digest of it. Data without a question (plain action values, as sent before buttons named
their question) still parses: such a press acts on the open question.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..engine import Action, Button, Reply, ReplyKind

__all__ = [
    "MAX_MESSAGE", "MAX_CALLBACK_DATA", "split_text", "to_html", "keyboard", "visible_length", "utf16_length",
    "Press", "callback_data", "parse_callback", "question_digest",
]

MAX_MESSAGE = 4096  # Telegram's limit for one message: UTF-16 code units of the parsed text
MAX_CALLBACK_DATA = 64  # Telegram's limit for a button's callback data, in bytes
_FIELD = "|"  # separates the fields of callback data (never in an action value or a question id)
_DIGEST = "#"  # marks a question named by its digest
_BUTTONS_PER_ROW = 3
_ATOM = re.compile(r"<[^<>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);|.", re.DOTALL)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)")
_SENTENCE_END = frozenset("。！？；!?;…")
_LINE, _SENTENCE, _SPACE = 3, 2, 1  # how good a place to cut is (0: anywhere else)


def utf16_length(text: str) -> int:
    """How many UTF-16 code units `text` has (Telegram's unit for lengths and offsets).

    >>> utf16_length("a𝑥"), len("a𝑥")
    (3, 2)
    """
    return len(text.encode("utf-16-le")) // 2


def visible_length(text: str) -> int:
    """The length Telegram measures for an HTML message: UTF-16 units of the text without tags,
    entities read as the characters they stand for.

    >>> visible_length("<b>1 &lt; 2</b> 𝜃")
    8
    """
    return utf16_length(html.unescape(re.sub(r"<[^<>]*>", "", text)))


@dataclass(frozen=True, slots=True)
class _Atom:
    source: str
    units: int  # UTF-16 units it shows as (0 for a tag)
    tag: str | None = None  # a tag's name
    closing: bool = False


def _atoms(text: str) -> list[_Atom]:
    """The text as tags, entities and single characters."""
    atoms: list[_Atom] = []
    for match in _ATOM.finditer(text):
        source = match.group()
        if source.startswith("<") and len(source) > 1 and (name := _TAG_NAME.match(source)):
            atoms.append(_Atom(source, 0, name.group(2).lower(), bool(name.group(1))))
        elif source.startswith("&") and len(source) > 1:
            atoms.append(_Atom(source, utf16_length(html.unescape(source))))
        else:
            atoms.append(_Atom(source, 2 if ord(source) > 0xFFFF else 1))
    return atoms


def _shown(atom: _Atom) -> str:
    return html.unescape(atom.source) if atom.tag is None else ""


def _quality(atoms: list[_Atom], index: int) -> int:
    """How good a cut right after `atoms[index]` is."""
    shown = _shown(atoms[index])
    if shown == "\n":
        return _LINE
    following = _shown(atoms[index + 1]) if index + 1 < len(atoms) else ""
    if shown in _SENTENCE_END or (shown == "." and following[:1].isspace()):
        return _SENTENCE
    return _SPACE if shown.isspace() else 0


def _joins_previous(atom: _Atom) -> bool:
    """A character that belongs to the one before it (a combining mark, a joiner, a variation selector)."""
    shown = _shown(atom)
    return len(shown) == 1 and (unicodedata.combining(shown) > 0 or shown in "\u200d\ufe0e\ufe0f")


def _cut(atoms: list[_Atom], start: int, limit: int) -> int:
    """Where the piece that begins at `start` ends (exclusive): as much as fits in `limit` units,
    cut at the best place in its second half, else the best place at all, else anywhere."""
    used = 0
    best: dict[int, tuple[int, int]] = {}  # quality -> (end, units used up to it)
    index = start
    while index < len(atoms):
        units = atoms[index].units
        if used + units > limit:
            break
        used += units
        best[_quality(atoms, index)] = (index + 1, used)
        index += 1
    if index == len(atoms):
        return index
    for quality in (_LINE, _SENTENCE, _SPACE):
        if quality in best and best[quality][1] * 2 >= limit:
            return best[quality][0]
    for quality in (_LINE, _SENTENCE, _SPACE):
        if quality in best:
            return best[quality][0]
    while index > start + 1 and _joins_previous(atoms[index]):
        index -= 1
    return max(index, start + 1)


def _open_tags(stack: list[_Atom], atoms: list[_Atom]) -> list[_Atom]:
    """The tags still open after `atoms`, given those open before them."""
    stack = list(stack)
    for atom in atoms:
        if atom.tag is None:
            continue
        if not atom.closing:
            stack.append(atom)
        elif stack and stack[-1].tag == atom.tag:
            stack.pop()
    return stack


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """HTML pieces that each show at most `limit` UTF-16 units (see the module's docstring).

    >>> [len(p) for p in split_text("a" * 5000, 4096)]
    [4096, 904]
    >>> split_text("line one\\nline two", 12)
    ['line one', 'line two']
    >>> split_text("<b>Bold words here</b>", 10)
    ['<b>Bold </b>', '<b>words here</b>']
    """
    if len(text) * 2 <= limit or visible_length(text) <= limit:  # one unit per character at most twice
        return [text]
    atoms = _atoms(text)
    pieces: list[str] = []
    stack: list[_Atom] = []
    start = 0
    while start < len(atoms):
        end = _cut(atoms, start, limit)
        body = atoms[start:end]
        after = _open_tags(stack, body)
        if body and _shown(body[-1]) == "\n":
            body = body[:-1]  # the line break is where the pieces part
        piece = "".join(a.source for a in stack) + "".join(a.source for a in body)
        piece += "".join(f"</{a.tag}>" for a in reversed(after))
        if "".join(_shown(a) for a in body).strip():
            pieces.append(piece)
        stack, start = after, end
        while start < len(atoms) and _shown(atoms[start]) == "\n":
            start += 1  # a piece does not begin with empty lines
    return pieces or [text]


def to_html(reply: Reply) -> str:
    """The reply's text escaped for HTML parse mode, with the question or score line in bold."""
    escaped = html.escape(reply.text)
    first, _, rest = escaped.partition("\n")
    if reply.kind in (ReplyKind.QUESTION, ReplyKind.FEEDBACK) and len(first) < 300:  # tags stay on one line
        escaped = f"<b>{first}</b>" + (f"\n{rest}" if rest else "")
    if reply.images:
        escaped += "\n" + "\n".join(f'<a href="{html.escape(url, quote=True)}">🖼 {html.escape(url)}</a>' for url in reply.images)
    return escaped


@dataclass(frozen=True, slots=True)
class Press:
    """What a button's callback data asks for: the action, on which question (its id, or its
    digest if `by_digest`; None: the open one), and for a hint the step it was made at."""

    action: Action
    question: str | None = None
    step: int | None = None
    by_digest: bool = False


def question_digest(question_id: str) -> str:
    """A short stand-in for a question id too long for callback data.

    >>> question_digest("000-93d25c")
    '8c5f78d801d3'
    """
    return hashlib.blake2s(question_id.encode(), digest_size=6).hexdigest()


def callback_data(button: Button) -> str:
    """The callback data of an engine button (see the module's docstring).

    >>> callback_data(Button("提示", Action.HINT, "000-93d25c", 1)), callback_data(Button("下一题", Action.NEXT))
    ('hint|000-93d25c|1', 'next')
    >>> callback_data(Button("有点难", Action.RATE_HARD, "q" * 64))
    'rate:hard|#...'
    """
    if button.question_id is None:
        return button.action.value
    step = "" if button.step is None else f"{_FIELD}{button.step}"
    data = f"{button.action.value}{_FIELD}{button.question_id}{step}"
    if len(data.encode()) > MAX_CALLBACK_DATA:
        data = f"{button.action.value}{_FIELD}{_DIGEST}{question_digest(button.question_id)}{step}"
    return data


def parse_callback(data: str) -> Press | None:
    """What callback data asks for; None if it is not an engine button's.

    >>> parse_callback("hint|000-93d25c|1")
    Press(action=<Action.HINT: 'hint'>, question='000-93d25c', step=1, by_digest=False)
    >>> parse_callback("skip|#8c5f78d801d3").question, parse_callback("rate:easy").question, parse_callback("lang:zh")
    ('8c5f78d801d3', None, None)
    """
    value, _, rest = data.partition(_FIELD)
    try:
        action = Action(value)
    except ValueError:
        return None
    question, _, step = rest.partition(_FIELD)
    by_digest = question.startswith(_DIGEST)
    return Press(action, question.removeprefix(_DIGEST) or None, int(step) if step.isdigit() else None, by_digest)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (callback data: see `callback_data`)."""
    if not reply.buttons:
        return None
    buttons = [InlineKeyboardButton(b.label, callback_data=callback_data(b)) for b in reply.buttons]
    rows = [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]
    return InlineKeyboardMarkup(rows)
