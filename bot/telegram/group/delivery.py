"""Sending to a group: texts to a group's topic, a round's question, the round messages the outbox
holds (results, leaderboards) in order; and moving everything of a group upgraded to a supergroup
to its new id, whether the service message or a send (`ChatMigrated`) reports the upgrade."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import ChatMigrated, TelegramError
from telegram.ext import Application, ContextTypes

from ...engine import rounds
from ...storage import JobRecord, RoundRecord
from .. import daily, send
from ..coordination import coordination_of
from ..outbox import GROUP, MAX_ATTEMPTS, deliver_chat
from ..render import keyboard, to_html
from ..send import chat_id_of, chat_key

__all__ = ["language_of", "send_group", "deliver", "post_question", "chat_migrated", "migrate_chat", "redeliver_jobs",
           "RETRY_SECONDS", "DELIVERY_KIND"]

logger = logging.getLogger(__name__)

DELIVERY_PREFIX = "round-delivery:"
DELIVERY_KIND = "round-delivery"  # kind of the retries' job rows of workers sharing a database
RETRY_SECONDS = 30.0  # a question or results message that could not be sent is tried again this much later
_LOCKS = "round_delivery_locks"
_MOVING = "chat_move_lock"


def language_of(application: Application) -> str:
    """The language of group rounds: the engine's default (a group has many users)."""
    return application.bot_data["engine"].default_language


async def send_group(
    application: Application, chat_id: int, thread_id: int, text: str, *, html: bool = False,
    reply_markup: InlineKeyboardMarkup | None = None, reply_to: int | None = None,
) -> list[Message]:
    """Send a text to a group's topic (0: none) under the send policy. A group found upgraded to
    a supergroup is moved (`migrate_chat`) and the text goes to the supergroup, quoting nothing
    (message ids are the old chat's)."""
    topic = {"message_thread_id": thread_id} if thread_id else {}
    try:
        return await send.send_text(
            application.bot, chat_id, text, html=html, reply_markup=reply_markup, reply_to=reply_to, **topic
        )
    except ChatMigrated as exc:
        await migrate_chat(application, chat_id, exc.new_chat_id)
        return await send.send_text(application.bot, exc.new_chat_id, text, html=html, reply_markup=reply_markup, **topic)


async def deliver(application: Application, key: str) -> None:
    """Send the group's pending round messages (results, leaderboards) in order.

    One delivery per chat at a time (a lock), so no row is sent twice; if some are still pending
    afterwards (Telegram refused or could not be reached), another try is scheduled. A group
    found upgraded to a supergroup is moved, then its messages go to the supergroup."""
    locks: dict[str, asyncio.Lock] = application.bot_data.setdefault(_LOCKS, {})
    store = application.bot_data["engine"].store
    moved: dict[str, int] = {}
    async with locks.setdefault(key, asyncio.Lock()):
        await deliver_chat(application, key, moved=moved)
        left = await asyncio.to_thread(
            store.pending, datetime.now(timezone.utc), user_key=key, kind=GROUP, max_attempts=MAX_ATTEMPTS
        )
    if key in moved:
        await migrate_chat(application, chat_id_of(key), moved[key])
        await deliver(application, chat_key(moved[key]))
        return
    if left:
        name = f"{DELIVERY_PREFIX}{key}"
        coordination = coordination_of(application)
        if coordination is not None:  # workers sharing a database: a job row any of them may run
            if await coordination.job(name) is None:
                logger.warning("%d round message(s) to %s not delivered; trying again in %.0f s", len(left), key, RETRY_SECONDS)
                await coordination.schedule(name, DELIVERY_KIND, datetime.now(timezone.utc) + timedelta(seconds=RETRY_SECONDS), {"key": key})
        elif not application.job_queue.get_jobs_by_name(name):
            logger.warning("%d round message(s) to %s not delivered; trying again in %.0f s", len(left), key, RETRY_SECONDS)
            application.job_queue.run_once(_redeliver, RETRY_SECONDS, name=name, data=key)


async def _redeliver(context: ContextTypes.DEFAULT_TYPE) -> None:
    await deliver(context.application, context.job.data)  # type: ignore[union-attr,arg-type]


async def redeliver_jobs(application: Application, jobs: list[JobRecord]) -> None:
    """Claimed delivery retries (workers sharing a database): each chat's pending round messages."""
    await asyncio.gather(*(deliver(application, str(job.payload["key"])) for job in jobs))


async def post_question(application: Application, record: RoundRecord) -> list[Message]:
    """Send the round's current question to its chat and topic; a long one is split, and members
    reply to its first piece, which has the header."""
    reply = rounds.question_reply(application.bot_data["engine"], record, language_of(application))
    return await send_group(
        application, chat_id_of(record.chat_key), record.thread_id, to_html(reply), html=True, reply_markup=keyboard(reply)
    )


# ---------------------------------------------------------------- upgrades to supergroups


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The service message of a group upgraded to a supergroup: `migrate_to_chat_id` in the old
    chat, `migrate_from_chat_id` in the new one (either moves it; the second finds it moved)."""
    message: Message = update.effective_message  # type: ignore[assignment]
    if message.migrate_to_chat_id:
        await migrate_chat(context.application, message.chat_id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id:
        await migrate_chat(context.application, message.migrate_from_chat_id, message.chat_id)


async def migrate_chat(application: Application, old_id: int, new_id: int) -> None:
    """Move everything of group `old_id` to its supergroup `new_id` (rounds, pending messages,
    settings; see the package's docstring); a chat already moved is left as it is."""
    engine = application.bot_data["engine"]
    old_key, new_key = chat_key(old_id), chat_key(new_id)
    async with application.bot_data.setdefault(_MOVING, asyncio.Lock()):
        moved = await asyncio.to_thread(engine.store.move_chat, old_key, new_key)
    if not moved.anything:
        return
    logger.info("group %d is now supergroup %d: moved %d running round(s), %d pending message(s)%s",
                old_id, new_id, len(moved.rounds), moved.pushes, " and its settings" if moved.settings else "")
    if moved.settings:
        await daily.reschedule(application, old_key)  # the old chat has no subscription left: its push goes
        await daily.reschedule(application, new_key)
    for record in moved.rounds:
        if record.message_id is not None:
            application.create_task(_repost_question(application, record), name=f"round-repost:{record.id}")
    if moved.pushes:
        application.create_task(deliver(application, new_key), name=f"round-delivery:{new_key}")


async def _repost_question(application: Application, record: RoundRecord) -> None:
    """Post a moved round's open question in the supergroup and take replies to that copy; its
    deadline stays (a question that closed meanwhile keeps its results)."""
    engine = application.bot_data["engine"]
    try:
        messages = await post_question(application, record)
    except TelegramError as exc:
        logger.warning("round %d: question not posted again in %s (%s)", record.id, record.chat_key, exc)
        return
    await asyncio.to_thread(
        engine.store.advance_round, record.id, [], expected_index=record.current_index, message_id=messages[0].message_id
    )
