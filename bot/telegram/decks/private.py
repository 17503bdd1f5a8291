"""Decks in a private chat: a notes file sent to the bot is previewed with Import and Cancel
buttons; /decks lists the user's sources with buttons to switch each on or off and to delete a
deck; `/decks rename OLD NEW` and `/decks delete NAME`.

Every button names what it acts on (`deck:import:<preview id>`, `deck:use:<deck id>` …) and the
engine looks it up among the presser's own decks and previews only: a button, or crafted callback
data, naming someone else's is refused like one that is gone.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from grading.i18n import _

from ...engine import PracticeEngine
from ...engine.decks import DECK_SUFFIXES, DeckNotice, DeckOverview
from ...storage import ImportStatus
from .. import send
from ..send import user_key
from .texts import import_text, notice_text, overview_text, preview_text

__all__ = ["upload", "decks_command", "deck_button", "PREFIX"]

logger = logging.getLogger(__name__)

PREFIX = "deck:"  # callback data of every deck button


def _engine(context: ContextTypes.DEFAULT_TYPE) -> PracticeEngine:
    return context.application.bot_data["engine"]


async def _language(context: ContextTypes.DEFAULT_TYPE, key: str) -> str:
    return await asyncio.to_thread(_engine(context).language, key)


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await send.reply_text(update.effective_message, text, reply_markup=markup)  # type: ignore[arg-type]


def _buttons(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows])


# ---------------------------------------------------------------- a file sent to the bot


async def _download(context: ContextTypes.DEFAULT_TYPE, file_id: str) -> bytes | None:
    """The file's bytes (getFile, then the download), or None if Telegram would not give them."""
    try:
        file = await send.call(context.bot.get_file, file_id)
        return bytes(await send.call(file.download_as_bytearray))  # type: ignore[union-attr]
    except TelegramError as exc:
        logger.info("document %s not downloaded: %s", file_id, exc)
        return None


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document in a private chat: preview it as a deck, with Import and Cancel buttons."""
    document = update.effective_message.document  # type: ignore[union-attr]
    key = user_key(update)
    engine = _engine(context)
    language = await _language(context, key)
    name = document.file_name or "notes.txt"  # type: ignore[union-attr]
    limit = engine.deck_limits.max_file_bytes
    if Path(name).suffix.lower() not in DECK_SUFFIXES:  # said before anything is downloaded
        await _say(update, notice_text(DeckNotice("wrong_type", {"suffix": Path(name).suffix or name}), language))
        return
    if document.file_size and document.file_size > limit:  # type: ignore[union-attr]
        await _say(update, notice_text(DeckNotice("too_large", {"size": document.file_size, "limit": limit}), language))  # type: ignore[union-attr]
        return
    data = await _download(context, document.file_id)  # type: ignore[union-attr]
    if data is None:
        await _say(update, notice_text(DeckNotice("download_failed"), language))
        return
    result = await asyncio.to_thread(engine.preview_file, key, name, data)
    if isinstance(result, DeckNotice):
        await _say(update, notice_text(result, language))
        return
    minutes = engine.deck_limits.preview_minutes
    topics = engine.taxonomy.by_id
    text = preview_text(
        result, language, topic_name=lambda t: topics[t].name(language) if t in topics else t, minutes=minutes
    )
    markup = _buttons([(_("decks.button_import", language), f"{PREFIX}import:{result.upload_id}"),
                       (_("decks.button_cancel", language), f"{PREFIX}cancel:{result.upload_id}")])  # fmt: skip
    await _say(update, text, markup)


# ---------------------------------------------------------------- /decks


def _overview_markup(overview: DeckOverview, language: str) -> InlineKeyboardMarkup:
    mark = {True: "✅ ", False: "▫️ "}
    rows = [[(mark[overview.shared_bank] + _("decks.shared_bank", language) + f" ({overview.bank_questions})", f"{PREFIX}use:bank")]]
    for deck in overview.decks:
        rows.append([(f"{mark[deck.practised]}{deck.name} ({deck.questions})", f"{PREFIX}use:{deck.id}"), ("🗑", f"{PREFIX}del:{deck.id}")])
    return _buttons(*rows)


async def _overview(context: ContextTypes.DEFAULT_TYPE, key: str, language: str) -> tuple[str, InlineKeyboardMarkup]:
    engine = _engine(context)
    overview = await asyncio.to_thread(engine.deck_overview, key)
    limits = engine.deck_limits
    text = overview_text(overview, language, decks=limits.max_decks, questions=limits.max_questions, size=limits.max_file_bytes)
    return text, _overview_markup(overview, language)


def _names(args: list[str], text: str) -> list[str]:
    """The names after `/decks rename` or `/decks delete`: quoted, or split at an arrow, or words."""
    rest = text.split(maxsplit=2)[2] if len(text.split(maxsplit=2)) > 2 else ""
    for arrow in ("->", "→", "=>"):
        if arrow in rest:
            return [part.strip() for part in rest.split(arrow, 1)]
    try:
        return shlex.split(rest)
    except ValueError:  # an unclosed quote
        return args[1:]


async def decks_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/decks: the user's sources with buttons; /decks rename OLD NEW; /decks delete NAME."""
    key = user_key(update)
    language = await _language(context, key)
    args = context.args or []
    engine = _engine(context)
    action = args[0].lower() if args else ""
    names = _names(args, update.effective_message.text or "") if args else []  # type: ignore[union-attr]
    if not args:
        await _say(update, *(await _overview(context, key, language)))
    elif action == "rename" and len(names) == 2:
        notice = await asyncio.to_thread(engine.rename_deck, key, names[0], names[1])
        await _say(update, notice_text(notice, language))
    elif action == "rename":
        await _say(update, _("decks.rename_usage", language))
    elif action == "delete" and names:
        deck = await asyncio.to_thread(engine.store.deck_named, key, " ".join(names))
        if deck is None:
            await _say(update, _("decks.no_deck", language, name=" ".join(names)))
        else:
            await _say(update, _("decks.delete_confirm", language, name=deck.name, count=deck.questions), _delete_markup(deck.id, language))
    else:
        await _say(update, _("decks.decks_usage", language))


def _delete_markup(deck_id: int, language: str) -> InlineKeyboardMarkup:
    return _buttons([(_("decks.button_delete", language), f"{PREFIX}delyes:{deck_id}"), (_("decks.button_keep", language), f"{PREFIX}keep:{deck_id}")])


# ---------------------------------------------------------------- buttons


async def _import(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, upload_id: int, language: str) -> None:
    engine = _engine(context)
    outcome = await asyncio.to_thread(engine.import_deck, key, upload_id)
    deck = outcome.deck
    limits = engine.deck_limits
    text = import_text(outcome.status, language, name=deck.name if deck else None, count=deck.questions if deck else None,
                       minutes=limits.preview_minutes, limit=limits.max_decks)  # fmt: skip
    if outcome.status in (ImportStatus.IMPORTED, ImportStatus.REPLACED):
        await send.call(update.callback_query.edit_message_reply_markup, None)  # type: ignore[union-attr]
    await _say(update, text)


async def _use(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, value: str, language: str) -> None:
    engine = _engine(context)
    notice = await asyncio.to_thread(engine.toggle_source, key, None if value == "bank" else int(value))
    await send.answer_query(update.callback_query, notice_text(notice, language))
    text, markup = await _overview(context, key, language)
    await send.call(update.callback_query.edit_message_text, text, reply_markup=markup)  # type: ignore[union-attr]


async def deck_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A deck button: deck:import|cancel:<preview>, deck:use:bank|<deck>, deck:del|delyes|keep:<deck>."""
    query = update.callback_query
    key = user_key(update)
    language = await _language(context, key)
    parts = (query.data or "").split(":", 2)  # type: ignore[union-attr]
    action, value = (parts[1], parts[2]) if len(parts) == 3 else ("", "")
    engine = _engine(context)
    if action == "use" and (value == "bank" or value.isdigit()):
        await _use(update, context, key, value, language)
        return
    await send.answer_query(query)
    if not value.isdigit():
        return  # not data this bot makes
    number = int(value)
    if action == "import":
        await _import(update, context, key, number, language)
    elif action == "cancel":
        notice = await asyncio.to_thread(engine.cancel_upload, key, number)
        if notice.code == "cancelled":
            await send.call(query.edit_message_reply_markup, None)  # type: ignore[union-attr]
        await _say(update, notice_text(notice, language))
    elif action == "del":
        deck = await asyncio.to_thread(engine.store.deck, number, key)
        if deck is None:
            await _say(update, _("decks.no_deck_id", language))
        else:
            await _say(update, _("decks.delete_confirm", language, name=deck.name, count=deck.questions), _delete_markup(deck.id, language))
    elif action == "delyes":
        notice = await asyncio.to_thread(engine.delete_deck, key, number)
        await send.call(query.edit_message_text, notice_text(notice, language))  # type: ignore[union-attr]
    elif action == "keep":
        await send.call(query.edit_message_text, _("decks.kept", language))  # type: ignore[union-attr]

