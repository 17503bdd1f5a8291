"""A round in a group: /mock starts it, replies to its question message are answers, the timer of
each question closes it (once the replies being graded are stored) and posts the next, /mock_stop
ends it; at start-up the rounds that were running go on (see the package's docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from ...engine import rounds
from ...engine.texts import t
from ...storage import JobRecord, RoundRecord, RoundState
from .. import send
from ..coordination import coordination_of
from ..outbox import GROUP, MAX_ATTEMPTS
from ..send import chat_id_of, chat_key
from .delivery import DELIVERY_KIND, RETRY_SECONDS, deliver, language_of, post_question, redeliver_jobs
from .notices import Notice, notify
from .players import is_round_question, player_of, thread_of

__all__ = [
    "mock", "mock_stop", "group_reply", "restore_rounds", "schedule_deadline", "open_question", "is_admin", "CLOSE_GRACE",
]

logger = logging.getLogger(__name__)

JOB_PREFIX = "round:"
JOB_KIND = "round"  # kind of the timers' job rows of workers sharing a database
SWEEP_EVERY = 30.0  # seconds between looks for round messages left pending (workers sharing a database)
CLOSE_GRACE = 2.0  # seconds a question stays open past its deadline for replies sent in time that are on their way
_GRADING = "round_grading"  # round id -> the update tasks grading a reply to it
_CLOSING = "round_closing"  # ids of rounds whose open question is being closed


def _chat_lock(application: Application, key: str) -> contextlib.AbstractAsyncContextManager[None]:
    """The chat's lock across the workers sharing a database; nothing for a single process (its
    timers and the chat's updates take turns on its event loop, see `ordering`)."""
    coordination = coordination_of(application)
    return coordination.chat_lock(key) if coordination is not None else contextlib.nullcontext()


async def schedule_deadline(application: Application, round_id: int, chat_id: int, when: datetime) -> None:
    """(Re)place the round's timer: at `when` it closes the open question (or, if the current
    question was never posted, posts it). Workers sharing a database keep it as a job row."""
    coordination = coordination_of(application)
    if coordination is not None:
        await coordination.schedule(f"{JOB_PREFIX}{round_id}", JOB_KIND, when, {"round_id": round_id})
        return
    queue = application.job_queue
    for job in queue.get_jobs_by_name(f"{JOB_PREFIX}{round_id}"):
        job.schedule_removal()
    delay = max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    queue.run_once(_deadline, delay, name=f"{JOB_PREFIX}{round_id}", data=round_id, chat_id=chat_id)


async def _schedule_close(application: Application, record: RoundRecord, *, not_before: datetime | None = None) -> None:
    """Close the open question `CLOSE_GRACE` seconds after its deadline (or after `not_before`,
    if that is later: at start-up, an overdue question)."""
    when = record.deadline_at or datetime.now(timezone.utc)
    if not_before is not None:
        when = max(when, not_before)
    await schedule_deadline(application, record.id, chat_id_of(record.chat_key), when + timedelta(seconds=CLOSE_GRACE))


async def open_question(application: Application, record: RoundRecord) -> None:
    """Post the round's current question and store its message at once: members answer by
    replying to it, and it is open for the round's time from now."""
    engine = application.bot_data["engine"]
    async with _chat_lock(application, record.chat_key):  # another worker may be posting it too
        current = await asyncio.to_thread(engine.store.round, record.id)
        if current is None or current.state != RoundState.RUNNING or current.message_id is not None:
            return  # stopped meanwhile, or already posted
        record = current
        try:
            messages = await post_question(application, record)
        except (Forbidden, BadRequest) as exc:  # the bot left the group, the chat is gone: the round cannot go on
            logger.warning("round %d in %s stopped: its question cannot be posted (%s)", record.id, record.chat_key, exc)
            await asyncio.to_thread(engine.store.update_round, record.id, state=RoundState.STOPPED.value, deadline_at=None)
            return
        except TelegramError as exc:  # flood control, network: the timer posts it later
            logger.warning("round %d: question not posted (%s); trying again in %.0f s", record.id, exc, RETRY_SECONDS)
            chat_id = chat_id_of(record.chat_key)
            await schedule_deadline(application, record.id, chat_id, datetime.now(timezone.utc) + timedelta(seconds=RETRY_SECONDS))
            return
        record = await asyncio.to_thread(rounds.question_posted, engine, record, messages[0].message_id)
        await _schedule_close(application, record)


# ---------------------------------------------------------------- closing a question


@contextlib.asynccontextmanager
async def _grading(application: Application, round_id: int) -> AsyncIterator[None]:
    """Mark the current update as grading a reply to the round: closing waits for it."""
    grading: dict[int, set[asyncio.Task[object]]] = application.bot_data.setdefault(_GRADING, {})
    task = asyncio.current_task()
    tasks = grading.setdefault(round_id, set())
    if task is not None:
        tasks.add(task)
    try:
        yield
    finally:
        tasks.discard(task)  # type: ignore[arg-type]
        if not tasks:
            grading.pop(round_id, None)


async def _replies_graded(application: Application, round_id: int) -> None:
    """Wait until the replies to the round that are being graded right now are stored."""
    tasks = application.bot_data.get(_GRADING, {}).get(round_id)
    if tasks:
        await asyncio.wait(set(tasks))


async def _step(application: Application, round_id: int) -> None:
    """The round's timer: close the open question (its results are delivered), then post the next
    one; or post the current question if it was never posted."""
    engine = application.bot_data["engine"]
    record = await asyncio.to_thread(engine.store.round, round_id)
    if record is None or record.state != RoundState.RUNNING:
        return
    shared = coordination_of(application) is not None
    if shared and record.deadline_at is not None and record.deadline_at > datetime.now(timezone.utc):
        return  # a late run of a question's timer (its lease ran out): the open question has its own
    closing: set[int] = application.bot_data.setdefault(_CLOSING, set())
    closing.add(round_id)  # replies handled from now on are too late for this question's results
    try:
        async with _chat_lock(application, record.chat_key):  # replies being graded by other workers
            await _replies_graded(application, round_id)
            going_on = await asyncio.to_thread(rounds.close_question, engine, round_id, language=language_of(application))
    finally:
        closing.discard(round_id)
    latest = await asyncio.to_thread(engine.store.round, round_id)  # the chat may have moved meanwhile
    await deliver(application, (latest or record).chat_key)
    if going_on is not None:
        await open_question(application, going_on)


async def _deadline(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _step(context.application, context.job.data)  # type: ignore[union-attr,arg-type]


async def _run_jobs(application: Application, jobs: list[JobRecord]) -> None:
    """Claimed round timers (workers sharing a database): each round's step, rounds at once."""
    await asyncio.gather(*(_step(application, int(job.payload["round_id"])) for job in jobs))


# ---------------------------------------------------------------- commands and replies


async def mock(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock [N] [topic] [seconds]: start a round of N questions in this group (or forum topic)."""
    message: Message = update.effective_message  # type: ignore[assignment]
    language = language_of(context.application)
    rules = rounds.parse_mock_args(context.args or [])
    if isinstance(rules, str):
        _answer_soon(context.application, message, t(rules, language))
        return
    engine = context.application.bot_data["engine"]
    starter, _ = player_of(message)
    record, reply = await asyncio.to_thread(
        rounds.start_round, engine, chat_key(message.chat_id), starter, rules, language=language,
        thread_id=thread_of(message),
    )
    if record is None:
        _answer_soon(context.application, message, reply.text)
        return
    await deliver(context.application, record.chat_key)  # what an earlier round left pending goes first
    await open_question(context.application, record)


async def is_admin(context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
    """Whether the author of `message` is a chat admin: an anonymous admin (speaking as the group
    itself) is; a channel never is; a user is if Telegram says so."""
    if message.sender_chat is not None:
        return message.sender_chat.id == message.chat_id
    if message.from_user is None:
        return False
    try:
        member = await send.call(context.bot.get_chat_member, message.chat_id, message.from_user.id)
    except TelegramError:
        return False
    return member is not None and member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def mock_stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock_stop: the starter or a chat admin ends the round of this group or forum topic (its
    timer then finds it ended)."""
    message: Message = update.effective_message  # type: ignore[assignment]
    player, _ = player_of(message)
    admin = await is_admin(context, message)
    engine = context.application.bot_data["engine"]
    reply = await asyncio.to_thread(
        rounds.stop_round, engine, chat_key(message.chat_id), player, is_admin=admin,
        language=language_of(context.application), thread_id=thread_of(message),
    )
    _answer_soon(context.application, message, reply.text)


def _answer_soon(application: Application, message: Message, text: str) -> None:
    """Answer a command in the background: the group's next slot may be seconds away, and the
    group's next updates (replies to a question about to close) must not wait for it."""

    async def answer() -> None:
        try:
            await send.reply_text(message, text)
        except TelegramError as exc:
            logger.warning("answer in %s not sent: %s", message.chat_id, exc)

    application.create_task(answer(), name=f"round-answer:{message.chat_id}")


async def group_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A reply in a group: an answer if it replies to the open question of a running round and
    was sent in time; a reply to a round's question that has closed gets a short note saying so."""
    application = context.application
    message: Message = update.effective_message  # type: ignore[assignment]
    engine = application.bot_data["engine"]
    running = await asyncio.to_thread(engine.store.active_rounds, chat_key(message.chat_id))
    target = message.reply_to_message.message_id if message.reply_to_message else None
    record = next((r for r in running if r.message_id is not None and r.message_id == target), None)
    text = message.text or ""
    player, name = player_of(message)
    if record is None or record.id in application.bot_data.get(_CLOSING, ()):
        if is_round_question(message.reply_to_message, context.bot.id) and text.strip():
            notify(application, message, Notice("closed", name, message.message_id))
        return
    async with _grading(application, record.id):
        answered = await asyncio.to_thread(
            rounds.round_answer, engine, record.id, player, name, text, message_id=target, sent_at=message.date,
        )
    if answered is not None:
        notify(application, message, Notice(answered.value, name, message.message_id))
    elif text.strip():  # sent after its time ran out
        notify(application, message, Notice("closed", name, message.message_id))


async def _deliver_pending(application: Application, now: datetime) -> None:
    """Send every group's pending round messages (each group's delivery claims its rows)."""
    store = application.bot_data["engine"].store
    pending = await asyncio.to_thread(store.pending, now, kind=GROUP, max_attempts=MAX_ATTEMPTS)
    for key in dict.fromkeys(item.user_key for item in pending):
        await deliver(application, key)


async def _sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Workers sharing a database: round messages a worker claimed and died before sending are
    sent by another (a restart is what sends them for a single process)."""
    await _deliver_pending(context.application, datetime.now(timezone.utc) - timedelta(seconds=SWEEP_EVERY))


async def restore_rounds(application: Application) -> None:
    """At start-up, before updates are handled: send the round messages a crash left pending, post
    the questions that were never posted, and rebuild the timers of the posted ones."""
    engine = application.bot_data["engine"]
    now = datetime.now(timezone.utc)
    coordination = coordination_of(application)
    if coordination is not None:  # the timers are rows: only rounds without one (none yet) get one
        coordination.on(JOB_KIND, _run_jobs)
        coordination.on(DELIVERY_KIND, redeliver_jobs)
        application.job_queue.run_repeating(_sweep, interval=SWEEP_EVERY, first=SWEEP_EVERY, name="round:sweep")
    await _deliver_pending(application, now)
    for record in await asyncio.to_thread(engine.store.active_rounds):
        if record.message_id is None:
            await open_question(application, record)
        elif coordination is None or await coordination.job(f"{JOB_PREFIX}{record.id}") is None:
            await _schedule_close(application, record, not_before=now)
