"""Group mock interviews in Telegram: /mock starts a round, replies to the question message are
answers, a JobQueue timer closes each question, /mock_stop ends it.

Rounds live in the database, and every step is committed before its message is sent, so a crash
(even SIGKILL) at any point resumes after a restart without a gap:

* A question's results, and the leaderboard after the last question, are outbox rows written in
  the same transaction that moves the round on (`rounds.close_question`). They are sent by
  `outbox.deliver_chat`, in order, each marked sent as soon as Telegram has accepted it; rows left
  pending by a crash or a failed send go out at start-up or on the chat's next delivery.
* A round whose current question has no `message_id` has not posted it yet (the round was just
  started, or just moved on). `_open_question` posts it, stores the message id at once, and opens
  the question for the round's full time from then.
* At start-up (`restore_rounds`, before any update is handled) each group's pending messages go
  out first, then every running round's unposted question is posted, and the timers of posted
  questions are rebuilt (an overdue one closes at once). Answers are rows of their own, stored
  before they are acknowledged, so answers given before a crash count.

What can still repeat is a message Telegram accepted in the instant before the crash, before that
was recorded: a results message between its send and its "sent" mark, or a question between its
send and the write of its message id (then it is posted again after the restart, and only the
second copy takes answers). Telegram has no idempotency key that would close these windows; each
is kept to the single database write right after the send returns.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta, timezone

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from ..engine import rounds
from ..engine.texts import LANGUAGES, t
from ..storage import RoundRecord, RoundState
from . import send
from .outbox import GROUP, MAX_ATTEMPTS, chat_id_of, deliver_chat
from .render import keyboard, to_html

__all__ = ["mock", "mock_stop", "group_reply", "restore_rounds", "schedule_deadline", "RETRY_SECONDS"]

logger = logging.getLogger(__name__)

JOB_PREFIX = "round:"
DELIVERY_PREFIX = "round-delivery:"
RETRY_SECONDS = 30.0  # a question or results message that could not be sent is tried again this much later
_LOCKS = "round_delivery_locks"
_CLOSED = {
    "zh": "这道题已经结束，这条回答不再计分。",
    "en": "This question has closed; this answer does not count.",
}


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


def _chat_key(chat_id: int) -> str:
    return f"tg:{chat_id}"


def _language(application: Application) -> str:
    return application.bot_data["engine"].default_language


def schedule_deadline(application: Application, round_id: int, chat_id: int, when: datetime) -> None:
    """(Re)place the round's timer: at `when` it closes the open question (or, if the current
    question was never posted, posts it)."""
    queue = application.job_queue
    for job in queue.get_jobs_by_name(f"{JOB_PREFIX}{round_id}"):
        job.schedule_removal()
    delay = max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    queue.run_once(_deadline, delay, name=f"{JOB_PREFIX}{round_id}", data=round_id, chat_id=chat_id)


async def _deliver(application: Application, chat_key: str) -> None:
    """Send the group's pending round messages (results, leaderboards) in order.

    One delivery per chat at a time (a lock), so no row is sent twice; if some are still pending
    afterwards (Telegram refused or could not be reached), another try is scheduled."""
    locks: dict[str, asyncio.Lock] = application.bot_data.setdefault(_LOCKS, {})
    store = application.bot_data["engine"].store
    async with locks.setdefault(chat_key, asyncio.Lock()):
        await deliver_chat(application, chat_key)
        left = await asyncio.to_thread(
            store.pending, datetime.now(timezone.utc), user_key=chat_key, kind=GROUP, max_attempts=MAX_ATTEMPTS
        )
    if left:
        name = f"{DELIVERY_PREFIX}{chat_key}"
        if not application.job_queue.get_jobs_by_name(name):
            logger.warning("%d round message(s) to %s not delivered; trying again in %.0f s", len(left), chat_key, RETRY_SECONDS)
            application.job_queue.run_once(_redeliver, RETRY_SECONDS, name=name, data=chat_key)


async def _redeliver(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _deliver(context.application, context.job.data)  # type: ignore[union-attr,arg-type]


async def _open_question(application: Application, record: RoundRecord) -> None:
    """Post the round's current question and store its message at once: members answer by
    replying to it, and it is open for the round's time from now."""
    engine = application.bot_data["engine"]
    current = await asyncio.to_thread(engine.store.round, record.id)
    if current is None or current.state != RoundState.RUNNING or current.message_id is not None:
        return  # stopped meanwhile, or already posted
    record = current
    chat_id = chat_id_of(record.chat_key)
    reply = rounds.question_reply(engine, record, _language(application))
    try:  # a long question is split: members reply to its first piece, which has the header
        messages = await send.send_text(application.bot, chat_id, to_html(reply), html=True, reply_markup=keyboard(reply))
    except (Forbidden, BadRequest) as exc:  # the bot left the group, the chat is gone: the round cannot go on
        logger.warning("round %d in %s stopped: its question cannot be posted (%s)", record.id, record.chat_key, exc)
        await asyncio.to_thread(engine.store.update_round, record.id, state=RoundState.STOPPED.value, deadline_at=None)
        return
    except TelegramError as exc:  # flood control, network: the timer posts it later
        logger.warning("round %d: question not posted (%s); trying again in %.0f s", record.id, exc, RETRY_SECONDS)
        schedule_deadline(application, record.id, chat_id, datetime.now(timezone.utc) + timedelta(seconds=RETRY_SECONDS))
        return
    record = await asyncio.to_thread(rounds.question_posted, engine, record, messages[0].message_id)
    schedule_deadline(application, record.id, chat_id, record.deadline_at)  # type: ignore[arg-type]


async def _step(application: Application, round_id: int) -> None:
    """The round's timer: close the open question (its results are delivered), then post the next
    one; or post the current question if it was never posted."""
    engine = application.bot_data["engine"]
    record = await asyncio.to_thread(engine.store.round, round_id)
    if record is None or record.state != RoundState.RUNNING:
        return
    going_on = await asyncio.to_thread(rounds.close_question, engine, round_id, language=_language(application))
    await _deliver(application, record.chat_key)
    if going_on is not None:
        await _open_question(application, going_on)


async def _deadline(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _step(context.application, context.job.data)  # type: ignore[union-attr,arg-type]


async def mock(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock [N] [topic] [seconds]: start a round of N questions in this group."""
    language = _language(context.application)
    rules = rounds.parse_mock_args(context.args or [])
    if isinstance(rules, str):
        await send.reply_text(update.effective_message, t(rules, language))  # type: ignore[arg-type]
        return
    engine = context.application.bot_data["engine"]
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    starter = f"tg:{update.effective_user.id}"  # type: ignore[union-attr]
    record, reply = await asyncio.to_thread(
        rounds.start_round, engine, _chat_key(chat_id), starter, rules, language=language
    )
    if record is None:
        await send.reply_text(update.effective_message, reply.text)  # type: ignore[arg-type]
        return
    await _deliver(context.application, record.chat_key)  # what an earlier round left pending goes first
    await _open_question(context.application, record)


async def mock_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock_stop: the starter or a chat admin ends the round (its timer then finds it ended)."""
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    user_id = update.effective_user.id  # type: ignore[union-attr]
    try:
        member = await send.call(context.bot.get_chat_member, chat_id, user_id)
        is_admin = member is not None and member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
    except TelegramError:
        is_admin = False
    engine = context.application.bot_data["engine"]
    reply = await asyncio.to_thread(
        rounds.stop_round, engine, _chat_key(chat_id), f"tg:{user_id}", is_admin=is_admin,
        language=_language(context.application),
    )
    await send.reply_text(update.effective_message, reply.text)  # type: ignore[arg-type]


async def group_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply in a group: an answer if it replies to the open question of a running round; a
    reply to a round's question that has closed gets a short note saying so."""
    message = update.effective_message
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    engine = context.application.bot_data["engine"]
    running = await asyncio.to_thread(engine.store.active_rounds, _chat_key(chat_id))
    target = message.reply_to_message.message_id if message and message.reply_to_message else None  # type: ignore[union-attr]
    record = next((r for r in running if r.message_id is not None and r.message_id == target), None)
    if record is None:
        if is_round_question(message.reply_to_message, context.bot.id) and (message.text or "").strip():  # type: ignore[union-attr]
            await _closed_note(context.application, message)  # type: ignore[arg-type]
        return
    user = update.effective_user
    name = (user.full_name if user else "?")[: rounds.MAX_NAME]  # type: ignore[union-attr]
    reply = await asyncio.to_thread(
        rounds.round_answer, engine, record.id, f"tg:{user.id}", name, message.text or "",  # type: ignore[union-attr]
        language=_language(context.application), message_id=target,
    )
    if reply is not None:
        await send.reply_text(message, reply.text)  # type: ignore[arg-type]
    elif (message.text or "").strip():  # type: ignore[union-attr]
        await _closed_note(context.application, message)  # type: ignore[arg-type]  # its time ran out


async def _closed_note(application: Application, message: Message) -> None:
    """Tell a member their reply came after the question closed."""
    language = _language(application)
    await send.reply_text(message, _CLOSED.get(language, _CLOSED["zh"]))


async def restore_rounds(application: Application) -> None:
    """At start-up, before updates are handled: send the round messages a crash left pending, post
    the questions that were never posted, and rebuild the timers of the posted ones."""
    engine = application.bot_data["engine"]
    now = datetime.now(timezone.utc)
    pending = await asyncio.to_thread(engine.store.pending, now, kind=GROUP, max_attempts=MAX_ATTEMPTS)
    for chat_key in dict.fromkeys(item.user_key for item in pending):
        await _deliver(application, chat_key)
    for record in await asyncio.to_thread(engine.store.active_rounds):
        if record.message_id is None:
            await _open_question(application, record)
        else:
            schedule_deadline(application, record.id, chat_id_of(record.chat_key), record.deadline_at or now)
