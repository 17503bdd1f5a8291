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
  questions are rebuilt (an overdue one closes `CLOSE_GRACE` seconds after the start, so the
  replies Telegram kept meanwhile are handled first). Answers are rows of their own, stored before
  they are acknowledged, so answers given before a crash count.

What can still repeat is a message Telegram accepted in the instant before the crash, before that
was recorded: a results message between its send and its "sent" mark, or a question between its
send and the write of its message id (then it is posted again after the restart, and only the
second copy takes answers). Telegram has no idempotency key that would close these windows; each
is kept to the single database write right after the send returns.

Busy groups. A reply counts if it was *sent* before the question's deadline (the message's date,
to the second Telegram gives), however late the bot gets to it: the question closes `CLOSE_GRACE`
seconds after its deadline, and only once the replies being graded at that moment are stored. A
reply that reaches the bot after the question closed gets a short note instead. Acknowledgements
never hold up the handling of updates: what a topic's replies get (received, already answered,
closed) is gathered for `NOTICE_GATHER` seconds and sent in the background as one message
(「收到 A、B、C 的回答。」; a single one quotes the reply), which also keeps the group under
Telegram's 20 messages a minute; the answers to /mock and /mock_stop go out in the background as
well. Other chats are served meanwhile (`ordering`). Notices live in memory: a crash loses the
ones not sent yet, never an answer.

Forum topics. A round belongs to the topic (`message_thread_id`) it was started in: its question,
notices, results and leaderboard go there, `/mock_stop` there ends it, and every topic may run a
round of its own. Outside forums (and in a forum's General topic) the topic is 0.

Players. A member who speaks as a chat (`sender_chat`: a channel, or the group itself for an
anonymous admin) plays as that chat and is named by its title; an anonymous admin is an admin.

Upgrades. A group upgraded to a supergroup gets a new chat id. On the service message
(`migrate_to_chat_id` in the old chat, `migrate_from_chat_id` in the new), or when a send answers
`ChatMigrated`, everything of the chat moves to the new id (`Store.move_chat`: rounds, pending
messages, settings) and the round carries on there; an open question is posted again in the
supergroup (a reply can only quote a message of its own chat), its deadline unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from ..engine import rounds
from ..engine.texts import LANGUAGES, t, wording
from ..storage import RoundRecord, RoundState
from . import daily, send
from .outbox import GROUP, MAX_ATTEMPTS, chat_id_of, deliver_chat
from .render import keyboard, to_html

__all__ = [
    "mock", "mock_stop", "group_reply", "chat_migrated", "migrate_chat", "restore_rounds", "schedule_deadline",
    "player_of", "thread_of", "notice_text", "RETRY_SECONDS", "CLOSE_GRACE", "NOTICE_GATHER",
]

logger = logging.getLogger(__name__)

JOB_PREFIX = "round:"
DELIVERY_PREFIX = "round-delivery:"
RETRY_SECONDS = 30.0  # a question or results message that could not be sent is tried again this much later
CLOSE_GRACE = 2.0  # seconds a question stays open past its deadline for replies sent in time that are on their way
NOTICE_GATHER = 1.0  # seconds a topic's acknowledgements are gathered into one message
_LOCKS = "round_delivery_locks"
_NOTICES = "round_notices"  # (chat id, topic) -> notices waiting to be sent
_NOTIFYING = "round_notifying"  # (chat id, topic) pairs a task is sending notices for
_GRADING = "round_grading"  # round id -> the update tasks grading a reply to it
_CLOSING = "round_closing"  # ids of rounds whose open question is being closed
_MOVING = "chat_move_lock"
_CLOSED = {
    "zh": "这道题已经结束，这条回答不再计分。",
    "en": "This question has closed; this answer does not count.",
}
# Notices of several replies in one message (one reply's use the engine's texts, or _CLOSED).
_MANY = {
    "received": {"zh": "收到 {names} 的回答。", "en": "Got answers from {names}."},
    "already": {
        "zh": "{names} 已经答过这题了，以第一次为准。",
        "en": "{names} already answered; the first answers count.",
    },
    "closed": {
        "zh": "这道题已经结束，{names} 的回答不再计分。",
        "en": "This question has closed; not counted: {names}.",
    },
}
_NAME_SEPARATOR = {"zh": "、", "en": ", "}


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
        return _chat_key(sender.id), (name or sender.effective_name or "?")[: rounds.MAX_NAME]
    user = message.from_user
    if user is None:
        return "tg:0", "?"
    return _chat_key(user.id), user.full_name[: rounds.MAX_NAME]


def schedule_deadline(application: Application, round_id: int, chat_id: int, when: datetime) -> None:
    """(Re)place the round's timer: at `when` it closes the open question (or, if the current
    question was never posted, posts it)."""
    queue = application.job_queue
    for job in queue.get_jobs_by_name(f"{JOB_PREFIX}{round_id}"):
        job.schedule_removal()
    delay = max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    queue.run_once(_deadline, delay, name=f"{JOB_PREFIX}{round_id}", data=round_id, chat_id=chat_id)


def _schedule_close(application: Application, record: RoundRecord, *, not_before: datetime | None = None) -> None:
    """Close the open question `CLOSE_GRACE` seconds after its deadline (or after `not_before`,
    if that is later: at start-up, an overdue question)."""
    when = record.deadline_at or datetime.now(timezone.utc)
    if not_before is not None:
        when = max(when, not_before)
    schedule_deadline(application, record.id, chat_id_of(record.chat_key), when + timedelta(seconds=CLOSE_GRACE))


# ---------------------------------------------------------------- sending to a group


async def _send_group(
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


async def _deliver(application: Application, chat_key: str) -> None:
    """Send the group's pending round messages (results, leaderboards) in order.

    One delivery per chat at a time (a lock), so no row is sent twice; if some are still pending
    afterwards (Telegram refused or could not be reached), another try is scheduled. A group
    found upgraded to a supergroup is moved, then its messages go to the supergroup."""
    locks: dict[str, asyncio.Lock] = application.bot_data.setdefault(_LOCKS, {})
    store = application.bot_data["engine"].store
    moved: dict[str, int] = {}
    async with locks.setdefault(chat_key, asyncio.Lock()):
        await deliver_chat(application, chat_key, moved=moved)
        left = await asyncio.to_thread(
            store.pending, datetime.now(timezone.utc), user_key=chat_key, kind=GROUP, max_attempts=MAX_ATTEMPTS
        )
    if chat_key in moved:
        await migrate_chat(application, chat_id_of(chat_key), moved[chat_key])
        await _deliver(application, _chat_key(moved[chat_key]))
        return
    if left:
        name = f"{DELIVERY_PREFIX}{chat_key}"
        if not application.job_queue.get_jobs_by_name(name):
            logger.warning("%d round message(s) to %s not delivered; trying again in %.0f s", len(left), chat_key, RETRY_SECONDS)
            application.job_queue.run_once(_redeliver, RETRY_SECONDS, name=name, data=chat_key)


async def _redeliver(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _deliver(context.application, context.job.data)  # type: ignore[union-attr,arg-type]


async def _post_question(application: Application, record: RoundRecord) -> list[Message]:
    """Send the round's current question to its chat and topic; a long one is split, and members
    reply to its first piece, which has the header."""
    reply = rounds.question_reply(application.bot_data["engine"], record, _language(application))
    return await _send_group(
        application, chat_id_of(record.chat_key), record.thread_id, to_html(reply), html=True, reply_markup=keyboard(reply)
    )


async def _open_question(application: Application, record: RoundRecord) -> None:
    """Post the round's current question and store its message at once: members answer by
    replying to it, and it is open for the round's time from now."""
    engine = application.bot_data["engine"]
    current = await asyncio.to_thread(engine.store.round, record.id)
    if current is None or current.state != RoundState.RUNNING or current.message_id is not None:
        return  # stopped meanwhile, or already posted
    record = current
    try:
        messages = await _post_question(application, record)
    except (Forbidden, BadRequest) as exc:  # the bot left the group, the chat is gone: the round cannot go on
        logger.warning("round %d in %s stopped: its question cannot be posted (%s)", record.id, record.chat_key, exc)
        await asyncio.to_thread(engine.store.update_round, record.id, state=RoundState.STOPPED.value, deadline_at=None)
        return
    except TelegramError as exc:  # flood control, network: the timer posts it later
        logger.warning("round %d: question not posted (%s); trying again in %.0f s", record.id, exc, RETRY_SECONDS)
        chat_id = chat_id_of(record.chat_key)
        schedule_deadline(application, record.id, chat_id, datetime.now(timezone.utc) + timedelta(seconds=RETRY_SECONDS))
        return
    record = await asyncio.to_thread(rounds.question_posted, engine, record, messages[0].message_id)
    _schedule_close(application, record)


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
    closing: set[int] = application.bot_data.setdefault(_CLOSING, set())
    closing.add(round_id)  # replies handled from now on are too late for this question's results
    try:
        await _replies_graded(application, round_id)
        going_on = await asyncio.to_thread(rounds.close_question, engine, round_id, language=_language(application))
    finally:
        closing.discard(round_id)
    latest = await asyncio.to_thread(engine.store.round, round_id)  # the chat may have moved meanwhile
    await _deliver(application, (latest or record).chat_key)
    if going_on is not None:
        await _open_question(application, going_on)


async def _deadline(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _step(context.application, context.job.data)  # type: ignore[union-attr,arg-type]


# ---------------------------------------------------------------- commands and replies


async def mock(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mock [N] [topic] [seconds]: start a round of N questions in this group (or forum topic)."""
    message: Message = update.effective_message  # type: ignore[assignment]
    language = _language(context.application)
    rules = rounds.parse_mock_args(context.args or [])
    if isinstance(rules, str):
        _answer_soon(context.application, message, t(rules, language))
        return
    engine = context.application.bot_data["engine"]
    starter, _ = player_of(message)
    record, reply = await asyncio.to_thread(
        rounds.start_round, engine, _chat_key(message.chat_id), starter, rules, language=language,
        thread_id=thread_of(message),
    )
    if record is None:
        _answer_soon(context.application, message, reply.text)
        return
    await _deliver(context.application, record.chat_key)  # what an earlier round left pending goes first
    await _open_question(context.application, record)


async def _is_admin(context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
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
    is_admin = await _is_admin(context, message)
    engine = context.application.bot_data["engine"]
    reply = await asyncio.to_thread(
        rounds.stop_round, engine, _chat_key(message.chat_id), player, is_admin=is_admin,
        language=_language(context.application), thread_id=thread_of(message),
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
    running = await asyncio.to_thread(engine.store.active_rounds, _chat_key(message.chat_id))
    target = message.reply_to_message.message_id if message.reply_to_message else None
    record = next((r for r in running if r.message_id is not None and r.message_id == target), None)
    text = message.text or ""
    player, name = player_of(message)
    if record is None or record.id in application.bot_data.get(_CLOSING, ()):
        if is_round_question(message.reply_to_message, context.bot.id) and text.strip():
            _notify(application, message, _Notice("closed", name, message.message_id))
        return
    async with _grading(application, record.id):
        answered = await asyncio.to_thread(
            rounds.round_answer, engine, record.id, player, name, text, message_id=target, sent_at=message.date,
        )
    if answered is not None:
        _notify(application, message, _Notice(answered.value, name, message.message_id))
    elif text.strip():  # sent after its time ran out
        _notify(application, message, _Notice("closed", name, message.message_id))


# ---------------------------------------------------------------- acknowledgements


@dataclass(frozen=True, slots=True)
class _Notice:
    """What one reply gets: "received", "already" (answered before) or "closed"."""

    kind: str
    name: str
    message_id: int


def notice_text(notices: Sequence[_Notice], language: str) -> str:
    """One message for a topic's notices: a single one as the engine says it, several as one
    line per kind, with the names.

    >>> notice_text([_Notice("received", "Ann", 5)], "zh")
    '收到 Ann 的回答。'
    >>> three = [_Notice("received", "Ann", 5), _Notice("received", "Ben", 6), _Notice("already", "Ann", 7)]
    >>> print(notice_text(three, "zh"))
    收到 Ann、Ben 的回答。
    Ann 已经答过这题了，以第一次为准。
    """
    if len(notices) == 1:
        one = notices[0]
        return wording(_CLOSED, language) if one.kind == "closed" else t(f"mock_{one.kind}", language, name=one.name)
    separator = wording(_NAME_SEPARATOR, language)
    lines = []
    for kind, texts in _MANY.items():
        names = list(dict.fromkeys(notice.name for notice in notices if notice.kind == kind))
        if names:
            lines.append(wording(texts, language).format(names=separator.join(names)))
    return "\n".join(lines)


def _notify(application: Application, message: Message, notice: _Notice) -> None:
    """Queue what a reply gets for its topic's next notice message (see the module's docstring)."""
    key = (message.chat_id, thread_of(message))
    application.bot_data.setdefault(_NOTICES, {}).setdefault(key, []).append(notice)
    sending: set[tuple[int, int]] = application.bot_data.setdefault(_NOTIFYING, set())
    if key not in sending:
        sending.add(key)
        application.create_task(_send_notices(application, key), name=f"round-notices:{key[0]}:{key[1]}")


async def _send_notices(application: Application, key: tuple[int, int]) -> None:
    """Gather a topic's notices for `NOTICE_GATHER` seconds, send them as one message, and go on
    while more came in during the send (which waits for the group's slot)."""
    waiting: dict[tuple[int, int], list[_Notice]] = application.bot_data[_NOTICES]
    try:
        await asyncio.sleep(NOTICE_GATHER)
        while batch := waiting.pop(key, None):
            chat_id, thread_id = key
            text = notice_text(batch, _language(application))
            quoting = batch[0].message_id if len(batch) == 1 else None
            try:
                await _send_group(application, chat_id, thread_id, text, reply_to=quoting)
            except TelegramError as exc:  # a courtesy: the answers are stored either way
                logger.warning("notice to %s not sent: %s", chat_id, exc)
    finally:
        application.bot_data[_NOTIFYING].discard(key)


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
    """Move everything of group `old_id` to its supergroup `new_id` (see the module's docstring);
    a chat already moved is left as it is."""
    engine = application.bot_data["engine"]
    old_key, new_key = _chat_key(old_id), _chat_key(new_id)
    async with application.bot_data.setdefault(_MOVING, asyncio.Lock()):
        moved = await asyncio.to_thread(engine.store.move_chat, old_key, new_key)
    if not moved.anything:
        return
    logger.info("group %d is now supergroup %d: moved %d running round(s), %d pending message(s)%s",
                old_id, new_id, len(moved.rounds), moved.pushes, " and its settings" if moved.settings else "")
    if moved.settings:
        daily.unschedule(application, old_key)
        daily.schedule_user(application, new_key)
    for record in moved.rounds:
        if record.message_id is not None:
            application.create_task(_repost_question(application, record), name=f"round-repost:{record.id}")
    if moved.pushes:
        application.create_task(_deliver(application, new_key), name=f"round-delivery:{new_key}")


async def _repost_question(application: Application, record: RoundRecord) -> None:
    """Post a moved round's open question in the supergroup and take replies to that copy; its
    deadline stays (a question that closed meanwhile keeps its results)."""
    engine = application.bot_data["engine"]
    try:
        messages = await _post_question(application, record)
    except TelegramError as exc:
        logger.warning("round %d: question not posted again in %s (%s)", record.id, record.chat_key, exc)
        return
    await asyncio.to_thread(
        engine.store.advance_round, record.id, [], expected_index=record.current_index, message_id=messages[0].message_id
    )


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
            _schedule_close(application, record, not_before=now)
