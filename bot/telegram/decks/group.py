"""/mock_deck in a group: an admin of the group attaches one of their own decks for the group's
/mock rounds (`/mock_deck NAME`), or goes back to the shared bank (`/mock_deck off`); without an
argument it says which the group uses. Anyone else is refused and nothing changes."""

from __future__ import annotations

import asyncio

from telegram import Message, Update
from telegram.ext import ContextTypes

from grading.i18n import _

from ...engine import PracticeEngine
from .. import send
from ..group.delivery import language_of
from ..group.round import is_admin
from ..send import chat_key
from .texts import notice_text, off_words

__all__ = ["mock_deck"]


async def mock_deck(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock_deck [NAME | off]: choose the deck of this group's /mock rounds (admins only)."""
    message: Message = update.effective_message  # type: ignore[assignment]
    engine: PracticeEngine = context.application.bot_data["engine"]
    language = language_of(context.application)
    group = chat_key(message.chat_id)
    name = " ".join(context.args or []).strip()
    if not name:
        notice = await asyncio.to_thread(engine.group_deck_notice, group)
        await send.reply_text(message, notice_text(notice, language) + "\n" + _("decks.mock_deck_usage", language))
        return
    if not await is_admin(context, message):
        await send.reply_text(message, _("decks.not_admin", language))
        return
    if name.lower() in off_words():
        notice = await asyncio.to_thread(engine.detach_deck, group)
    elif message.sender_chat is not None or message.from_user is None:  # an anonymous admin owns no deck
        await send.reply_text(message, _("decks.anonymous_admin", language))
        return
    else:
        notice = await asyncio.to_thread(engine.attach_deck, group, chat_key(message.from_user.id), name)
    await send.reply_text(message, notice_text(notice, language))
