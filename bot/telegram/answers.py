"""Answers typed as several quick messages: joined and graded as one answer.

While a question is open, a text message in a private chat is held for `ANSWER_WINDOW` seconds;
each further message of that chat within the window of the one before joins it (and the window
starts again). When the window ends with no new message, the joined text (one message a line) is
graded once, and the feedback says how many messages it joined. Anything else from the chat (a
command, a button, a sticker) first grades what is held, so it always acts after the answer.

A message that replies to another question than the open one, or arrives while no question is
open, is handled at once as before. Held messages live in memory: a crash within the window
loses them (a clean stop grades them first: PTB waits for the task that holds them).

Workers sharing a database hold a chat's messages in a job row instead ("answer:<key>", due when
the window ends, `coordination`), so the next message joins them whichever worker receives it,
and a worker that dies within the window leaves them to be graded by another.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field, replace

from datetime import datetime, timedelta, timezone

from telegram import Update
from telegram.ext import Application, ContextTypes

from grading.i18n import _

from ..engine import ASKED, PracticeEngine, Reply
from ..storage import ChatStateRecord, JobRecord
from . import send
from .coordination import Coordination, coordination_of

__all__ = ["ANSWER_WINDOW", "answer", "flush_before_update", "joined_note", "JOB_KIND"]

logger = logging.getLogger(__name__)

ANSWER_WINDOW = 1.0  # seconds: messages of one chat closer together than this are one answer (a long
# paste that Telegram splits, quick fragments); longer would delay every reply by as much
WINDOW_KEY = "answer_window"  # bot_data: the window this application uses
_HELD = "held_answers"
_LOCKS = "answer_locks"
JOB_KIND = "answer"  # kind of the job rows holding messages, for workers sharing a database
_JOB_PREFIX = "answer:"


@dataclass
class _Held:
    """Messages of one chat waiting to be graded together."""

    chat_id: int
    question_id: str
    texts: list[str] = field(default_factory=list)
    last: float = 0.0  # event-loop time of the latest message


def joined_note(count: int, language: str) -> str:
    """The line that tells the feedback joined `count` messages.

    >>> joined_note(3, "en")
    '(Your 3 messages in a row were joined and graded as one answer.)'
    """
    return _("telegram.joined_answers", language, n=count)


def _lock(application: Application, key: str) -> asyncio.Lock:
    """The chat's lock; kept only while in use (weakly held), so chats that come and go cost nothing."""
    locks: weakref.WeakValueDictionary[str, asyncio.Lock] = application.bot_data.setdefault(_LOCKS, weakref.WeakValueDictionary())
    lock = locks.get(key)
    if lock is None:
        lock = locks[key] = asyncio.Lock()
    return lock


def _held(application: Application) -> dict[str, _Held]:
    return application.bot_data.setdefault(_HELD, {})


def _engine(application: Application) -> PracticeEngine:
    return application.bot_data["engine"]


async def answer(
    application: Application, key: str, chat_id: int, text: str, replying_to: str | None, *, update: object = None
) -> None:
    """Handle a text message of a private chat: hold it (see the module's docstring) or grade it now.
    `update` is the message's update, for the error handlers should grading it later fail."""
    window = float(application.bot_data.get(WINDOW_KEY, ANSWER_WINDOW))
    coordination = coordination_of(application)
    if coordination is not None:
        await _answer_shared(coordination, key, chat_id, text, replying_to, window, getattr(update, "update_id", None))
        return
    loop = asyncio.get_running_loop()
    async with _lock(application, key):
        held = _held(application).get(key)
        if held is not None and replying_to in (None, held.question_id):
            held.texts.append(text)
            held.last = loop.time()
            return
        if held is not None:  # it replies to another question: what is held goes first
            await _grade(application, key, _held(application).pop(key))
        state = await _to_hold(application, key, chat_id, text, replying_to, window)
        if state is None:
            return
        held = _Held(chat_id, state.question_id, [text], loop.time())  # type: ignore[arg-type]
        _held(application)[key] = held
    application.create_task(_grade_when_quiet(application, key, held, window), update=update, name=f"answer:{key}")


async def _to_hold(
    application: Application, key: str, chat_id: int, text: str, replying_to: str | None, window: float
) -> ChatStateRecord | None:
    """The chat's state if `text` is to be held (a question is open and the message replies to no
    other); else it is handled at once (graded, or told why not) and None is returned."""
    engine = _engine(application)
    state = await asyncio.to_thread(engine.store.chat_state, key)
    if window > 0 and state.state == ASKED and state.question_id and replying_to in (None, state.question_id):
        return state
    replies = await asyncio.to_thread(engine.submit, key, text, replying_to=replying_to)
    await send.send_replies(application.bot, chat_id, replies)
    return None


async def _grade_when_quiet(application: Application, key: str, held: _Held, window: float) -> None:
    """Wait until `window` seconds pass without a new message, then grade what is held."""
    loop = asyncio.get_running_loop()
    while _held(application).get(key) is held:
        wait = held.last + window - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
            continue
        async with _lock(application, key):
            if _held(application).get(key) is not held or held.last + window > loop.time():
                continue  # graded meanwhile, or a message came in while waiting for the lock
            del _held(application)[key]
            await _grade(application, key, held)
        return


async def _grade(application: Application, key: str, held: _Held) -> None:
    """Grade the held messages as one answer to the question they were held for."""
    engine = _engine(application)

    def grade() -> tuple[list[Reply], str]:
        replies = engine.submit(key, "\n".join(held.texts), replying_to=held.question_id)
        return replies, engine.language(key)

    replies, language = await asyncio.to_thread(grade)
    if len(held.texts) > 1 and replies:
        first = replies[0]
        replies = [replace(first, text=f"{first.text}\n{joined_note(len(held.texts), language)}"), *replies[1:]]
    await send.send_replies(application.bot, held.chat_id, replies)


async def flush(application: Application, key: str) -> None:
    """Grade at once what is held for this chat, if anything."""
    coordination = coordination_of(application)
    if coordination is not None:
        held_job = await coordination.job(_JOB_PREFIX + key)
        if held_job is not None:
            await _grade_job(coordination, held_job)
        return
    if key not in _held(application):
        return
    async with _lock(application, key):
        held = _held(application).pop(key, None)
        if held is not None:
            await _grade(application, key, held)


async def flush_before_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Before any update of a private chat other than a new text: grade what the chat has held,
    so a command or button acts after the answer it follows."""
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    message = update.message
    if message is not None and message.text and not message.text.startswith("/"):
        return  # a new text: held with the others (see `answer`)
    await flush(context.application, send.chat_key(chat.id))


# ---------------------------------------------------------------- workers sharing a database


async def _answer_shared(
    coordination: Coordination, key: str, chat_id: int, text: str, replying_to: str | None, window: float,
    update_id: int | None,
) -> None:
    """`answer` with the held messages in a job row (the update holds the chat's lock). The row
    keeps the ids of the updates it holds, so a message delivered again (its worker died before
    confirming it) is not held twice."""
    application = coordination.application
    name = _JOB_PREFIX + key
    now = datetime.now(timezone.utc)
    held = await coordination.job(name)
    if held is not None and replying_to in (None, held.payload.get("question_id")):
        if update_id is not None and update_id in held.payload.get("updates", []):
            return
        payload = {**held.payload, "texts": [*held.payload.get("texts", []), text],
                   "updates": [*held.payload.get("updates", []), update_id]}
        await coordination.schedule(name, JOB_KIND, now + timedelta(seconds=window), payload)
        return
    if held is not None:  # it replies to another question: what is held goes first
        await _grade_job(coordination, held)
    state = await _to_hold(application, key, chat_id, text, replying_to, window)
    if state is None:
        return
    payload = {"key": key, "chat_id": chat_id, "question_id": state.question_id, "texts": [text],
               "updates": [update_id], "after_attempt": state.last_attempt_id}
    await coordination.schedule(name, JOB_KIND, now + timedelta(seconds=window), payload)


async def _grade_job(coordination: Coordination, job: JobRecord) -> None:
    """Grade the messages a job row holds as one answer, send the feedback, delete the row.

    A worker that died after grading leaves the row: whoever takes it finds the chat moved on
    (an attempt stored since the row was made, or another question open) and only deletes it, so
    an answer is never graded twice (the feedback of that one answer may be lost)."""
    application = coordination.application
    engine = _engine(application)
    payload = job.payload
    key = str(payload["key"])
    texts = [str(text) for text in payload.get("texts", [])]

    def grade() -> tuple[list[Reply], str] | None:
        state = engine.store.chat_state(key)
        if state.state != ASKED or state.question_id != payload["question_id"] or (
            state.last_attempt_id != payload.get("after_attempt")
        ):
            engine.store.cancel_job(job.name)
            return None
        return engine.submit(key, "\n".join(texts), replying_to=str(payload["question_id"])), engine.language(key)

    graded = await asyncio.to_thread(grade)
    if graded is None:
        return
    replies, language = graded
    if len(texts) > 1 and replies:
        first = replies[0]
        replies = [replace(first, text=f"{first.text}\n{joined_note(len(texts), language)}"), *replies[1:]]
    try:
        await send.send_replies(application.bot, int(payload["chat_id"]), replies)
    finally:
        await asyncio.to_thread(engine.store.cancel_job, job.name)


async def run_jobs(application: Application, jobs: list[JobRecord]) -> None:
    """Claimed held-message rows whose window ended: each graded under its chat's lock, unless a
    message came meanwhile (the row is due later then) or it was graded already."""
    coordination = coordination_of(application)
    assert coordination is not None

    async def one(job: JobRecord) -> None:
        key = str(job.payload.get("key", ""))
        async with coordination.chat_lock(key):
            current = await coordination.job(job.name)
            if current is not None and current.due_at <= datetime.now(timezone.utc):
                await _grade_job(coordination, current)

    await asyncio.gather(*(one(job) for job in jobs))
