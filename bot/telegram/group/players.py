"""Who and where in a group round: the key and name a message's author plays under, the forum
topic a message is in, and whether a message is one of the round questions the bot posted."""

from __future__ import annotations

import re

from telegram import Message

from ...engine import rounds
from ...engine.texts import LANGUAGES, t
from ..send import chat_key

__all__ = ["is_round_question", "thread_of", "player_of"]


def _question_header(language: str) -> re.Pattern[str]:
    """The first line of a round's question message (「模拟面试 第 2/3 题（…）」), as a pattern."""
    sample = t("mock_question", language, n="{N}", total="{T}", seconds="{S}")
    pattern = re.escape(sample)
    for field in ("N", "T", "S"):
        pattern = pattern.replace(re.escape(f"{{{field}}}"), r"\d+")
    return re.compile(pattern)


_HEADERS = tuple(_question_header(language) for language in LANGUAGES)


def is_round_question(message: Message | None, bot_id: int) -> bool:
    """Whether `message` is a question the bot posted in a round (open or closed)."""
    if message is None or message.from_user is None or message.from_user.id != bot_id:
        return False
    first = (message.text or message.caption or "").partition("\n")[0]
    return any(header.match(first) for header in _HEADERS)


def thread_of(message: Message) -> int:
    """The forum topic a message is in; 0 outside forums and in a forum's General topic (a reply
    in a plain group has a `message_thread_id` too, but is no topic message)."""
    return (message.message_thread_id or 0) if message.is_topic_message else 0


def player_of(message: Message) -> tuple[str, str]:
    """The key and name the author of `message` plays under in a round: the chat it speaks as
    (`sender_chat`: a channel, or the group itself for an anonymous admin, then named by the
    admin's title if it has one), else the user."""
    sender = message.sender_chat
    if sender is not None:
        name = message.author_signature if sender.id == message.chat_id and message.author_signature else None
        return chat_key(sender.id), (name or sender.effective_name or "?")[: rounds.MAX_NAME]
    user = message.from_user
    if user is None:
        return chat_key(0), "?"
    return chat_key(user.id), user.full_name[: rounds.MAX_NAME]
