"""Group mock interviews in Telegram: /mock starts a round, replies to the question message are
answers, a JobQueue timer closes each question, /mock_stop ends it. Rounds live in the database and
their timers are rebuilt at start-up, so a round survives a restart."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from ..engine import Reply, ReplyKind, rounds
from ..engine.texts import t

__all__ = ["mock", "mock_stop", "group_reply", "restore_rounds", "schedule_deadline"]

JOB_PREFIX = "round:"


def _chat_key(chat_id: int) -> str:
    return f"tg:{chat_id}"


def _language(context: ContextTypes.DEFAULT_TYPE) -> str:
    return context.application.bot_data["engine"].default_language


def schedule_deadline(application: Application, round_id: int, chat_id: int, when: datetime) -> None:
    """(Re)place the timer that closes the round's open question at `when`."""
    queue = application.job_queue
    for job in queue.get_jobs_by_name(f"{JOB_PREFIX}{round_id}"):
        job.schedule_removal()
    delay = max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    queue.run_once(_deadline, delay, name=f"{JOB_PREFIX}{round_id}", data=round_id, chat_id=chat_id)


async def _open_question(application: Application, chat_id: int, round_id: int, reply: Reply) -> None:
    """Post a question and remember its message: members answer by replying to it."""
    from .render import keyboard, to_html

    engine = application.bot_data["engine"]
    message = await application.bot.send_message(chat_id, to_html(reply), parse_mode="HTML", reply_markup=keyboard(reply))
    record = await asyncio.to_thread(engine.store.update_round, round_id, message_id=message.message_id)
    schedule_deadline(application, round_id, chat_id, record.deadline_at)


async def _deadline(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A question's time is up: results, then the next question or the leaderboard."""
    round_id, chat_id = context.job.data, context.job.chat_id  # type: ignore[union-attr]
    engine = context.application.bot_data["engine"]
    replies, going_on = await asyncio.to_thread(rounds.close_question, engine, round_id, language=_language(context))
    from .app import send_replies

    questions = [r for r in replies if r.kind is ReplyKind.QUESTION]
    await send_replies(context.bot, chat_id, [r for r in replies if r.kind is not ReplyKind.QUESTION])
    if going_on is not None and questions:
        await _open_question(context.application, chat_id, round_id, questions[0])


async def mock(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock [N] [topic] [seconds]: start a round of N questions in this group."""
    language = _language(context)
    rules = rounds.parse_mock_args(context.args or [])
    if isinstance(rules, str):
        await update.effective_message.reply_text(t(rules, language))  # type: ignore[union-attr]
        return
    engine = context.application.bot_data["engine"]
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    starter = f"tg:{update.effective_user.id}"  # type: ignore[union-attr]
    record, reply = await asyncio.to_thread(
        rounds.start_round, engine, _chat_key(chat_id), starter, rules, language=language
    )
    if record is None:
        await update.effective_message.reply_text(reply.text)  # type: ignore[union-attr]
        return
    await _open_question(context.application, chat_id, record.id, reply)


async def mock_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock_stop: the starter or a chat admin ends the round."""
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    user_id = update.effective_user.id  # type: ignore[union-attr]
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
        is_admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
    except TelegramError:
        is_admin = False
    engine = context.application.bot_data["engine"]
    reply = await asyncio.to_thread(
        rounds.stop_round, engine, _chat_key(chat_id), f"tg:{user_id}", is_admin=is_admin, language=_language(context)
    )
    for record in await asyncio.to_thread(engine.store.active_rounds, _chat_key(chat_id)):
        schedule_deadline(context.application, record.id, chat_id, record.deadline_at)
    await update.effective_message.reply_text(reply.text)  # type: ignore[union-attr]


async def group_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply in a group: an answer if it replies to the open question of a running round."""
    message = update.effective_message
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    engine = context.application.bot_data["engine"]
    running = await asyncio.to_thread(engine.store.active_rounds, _chat_key(chat_id))
    target = message.reply_to_message.message_id if message and message.reply_to_message else None  # type: ignore[union-attr]
    record = next((r for r in running if r.message_id is not None and r.message_id == target), None)
    if record is None:
        return
    user = update.effective_user
    name = user.full_name if user else "?"  # type: ignore[union-attr]
    reply = await asyncio.to_thread(
        rounds.round_answer, engine, record.id, f"tg:{user.id}", name, message.text or "", language=_language(context)  # type: ignore[union-attr]
    )
    if reply is not None:
        await message.reply_text(reply.text)  # type: ignore[union-attr]


async def restore_rounds(application: Application) -> None:
    """At start-up: rebuild the timers of running rounds (an overdue one closes at once)."""
    engine = application.bot_data["engine"]
    for record in await asyncio.to_thread(engine.store.active_rounds):
        if record.deadline_at is not None:
            schedule_deadline(application, record.id, int(record.chat_key.split(":", 1)[1]), record.deadline_at)
