"""Delivering queued pushes (daily questions, admin broadcasts) from the database outbox.

Every push is an outbox row before anything is sent, and a row is marked sent only after Telegram
accepted the message, so nothing is lost: a push that hit flood control, a network error or a
crash stays pending and a later pass sends it. One pass runs at a time (a second caller only asks
the running pass to look again), so two passes never send the same row; and a pass claims its rows
in the database before it prepares them (`Store.claim_pushes`, for `CLAIM_LEASE`), so two
processes sharing the database never send the same row either. A claim of a process that died on
this host is taken over at once; any other claim only once its lease has run out.

Errors follow the send policy (`send`): transient ones are retried there, then the push stays
pending; a 400 is final (the row is closed with the reason); a chat that is gone (403, "chat not
found") closes the row and ends the chat's daily subscription, logged once; the pass then hands
the chat to the application's `ON_CHAT_GONE` (the daily scheduler, which drops its job). A group
upgraded to a supergroup (`ChatMigrated`) stops `deliver_chat` with its rows untouched and the new
chat id reported, for the caller to move the chat and deliver there; a group round's rows carry
their forum topic (`thread_id`).

Speed: a pass works in chunks. For each chunk the questions are chosen at once (two transactions
for the whole chunk, on the event loop: see CHUNK), while a few senders share the Bot. A sender's "sent" mark
is committed (in a group commit with the other senders' marks, on the event loop: a tiny UPDATE
costs less than a thread hop) while its next message goes out, and awaited before the one after.
So at most two messages per sender are accepted-but-not-yet-recorded at any moment, for a few
milliseconds: a crash can only repeat a message Telegram accepted in those last milliseconds
(Telegram has no idempotency key that would let anyone do better).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, RetryAfter, TelegramError
from telegram.ext import Application
from telegram.warnings import PTBUserWarning

from ..engine import PracticeEngine, Reply, ReplyKind
from ..engine.replies import Button
from ..storage import OutboxRecord, StorageError, Store
from ..storage.rounds import claim_owner
from . import send
from .ratelimit import retry_seconds
from .render import keyboard, split_text, to_html

__all__ = ["deliver_pending", "deliver_chat", "pass_running", "senders_for", "PACED_CONCURRENCY", "DAILY", "BROADCAST", "GROUP", "CHUNK",
           "CONCURRENCY", "MAX_ATTEMPTS", "CLAIM_LEASE", "ON_CHAT_GONE"]

logger = logging.getLogger(__name__)

DAILY = "daily"  # payload {"day": "YYYY-MM-DD"}: that local day's question
BROADCAST = "broadcast"  # payload {"text": str}: an admin's message to every user
GROUP = "group"  # payload {"text": str}: a group round's message, sent by `deliver_chat` only
# Pushes prepared at once. A pass does its database work on the event loop, not in worker threads:
# at thousands of messages a second, thread hand-offs and the GIL cost more than the work (measured:
# ~650 vs ~545 messages/s). A chunk takes ~15 ms, the longest the loop is held for other updates.
CHUNK = 50
CONCURRENCY = 4  # sends in flight at once without a rate limiter (more only adds contention)
# With the rate limiter, senders mostly wait for their slot, and one that waits out a 429's
# retry_after leaves its slots to the others: 4 would leave the pace 8% short of 30 msg/s.
PACED_CONCURRENCY = 16
GATHER_MARKS = 0.002  # seconds a commit of "sent" marks waits for more marks to share it
MAX_ATTEMPTS = 50  # a push failing this often (e.g. a chat that no longer exists) is left alone
EXPIRED = "expired: the local day has passed"
# How long a claim on rows keeps other processes off them: far longer than sending a chunk takes,
# even through flood control (a process's own later passes take its rows again at any time).
CLAIM_LEASE = timedelta(minutes=10)
# bot_data: what to call, as `f(application, chat_key)`, for each chat a pass found gone (its daily
# subscription was ended): set by `app.build_application` to the daily scheduler.
ON_CHAT_GONE = "outbox_on_chat_gone"
_PASS = "outbox_pass"
_OWNER = "outbox_owner"


@dataclass
class _PassState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    again: bool = False


def pass_running(application: Application) -> bool:
    """Is a push pass of this application running (or about to look again)?"""
    state: _PassState | None = application.bot_data.get(_PASS)
    return state is not None and state.lock.locked()


def senders_for(application: Application) -> int:
    """How many senders a pass uses: more when the bot paces its requests (see PACED_CONCURRENCY)."""
    return PACED_CONCURRENCY if getattr(application.bot, "rate_limiter", None) is not None else CONCURRENCY


def _owner(application: Application) -> str:
    """The name this application's claims go by (one per application, so two in one process differ)."""
    return application.bot_data.setdefault(_OWNER, claim_owner())


async def deliver_pending(
    application: Application, *, now: datetime | None = None, concurrency: int | None = None
) -> int:
    """Send every pending push that is due at `now`; returns how many were sent.

    If a pass is already running, it is asked to look again and this call returns 0 at once.
    """
    state: _PassState = application.bot_data.setdefault(_PASS, _PassState())
    state.again = True
    if state.lock.locked():
        return 0
    sent = 0
    async with state.lock:
        while state.again:
            state.again = False
            sent += await _one_pass(application, now or datetime.now(timezone.utc), concurrency or senders_for(application))
    return sent


async def _one_pass(application: Application, now: datetime, concurrency: int) -> int:
    engine: PracticeEngine = application.bot_data["engine"]
    items = await asyncio.to_thread(engine.store.pending, now, max_attempts=MAX_ATTEMPTS)
    items = [item for item in items if item.kind in (DAILY, BROADCAST)]
    owner = _owner(application)
    gone: set[str] = set()
    # The senders never wait at a chunk's end (e.g. for one push held back by flood control): the
    # next chunk is prepared while the last half of this one is still being sent.
    queue: asyncio.Queue[_ChatBatch | None] = asyncio.Queue(maxsize=CHUNK // 2)

    async def produce() -> None:
        start = 0
        try:
            for start in range(0, len(items), CHUNK):
                chunk = _claimed(engine.store, items[start : start + CHUNK], owner, now)  # on the loop: see CHUNK
                ready = _prepare(engine, chunk, now)
                await asyncio.sleep(0)  # let waiting updates and senders in between chunks
                for batch in _by_chat(ready):
                    await queue.put(batch)
        except StorageError as exc:
            # The database stayed busy (e.g. PostgreSQL races, retried less on the event loop): what
            # is queued still goes out, and the rest stay pending, claimed by this sender, for the
            # next pass. Stopping the senders instead could cut off a message Telegram accepted.
            logger.warning("push pass stopped early, %d pushes wait for the next pass: %s", len(items) - start, exc)
        for _ in range(concurrency):
            await queue.put(None)  # one "done" per sender

    try:
        async with asyncio.TaskGroup() as tasks:  # a failure (e.g. marks cannot be stored) stops all
            tasks.create_task(produce())
            marks = _GroupCommit(engine.store, now)
            sending = tasks.create_task(_send_all(application.bot, engine.store, queue, marks, concurrency, gone))
    finally:
        _chats_gone(application, gone)
    return sending.result()


def _claimed(store: Store, items: Sequence[OutboxRecord], owner: str, now: datetime) -> list[OutboxRecord]:
    """The rows of `items` this sender could claim (another process may be sending the others)."""
    got = store.claim_pushes([item.id for item in items], owner, now, CLAIM_LEASE)
    return [item for item in items if item.id in got]


def _chats_gone(application: Application, keys: set[str]) -> None:
    """Tell `ON_CHAT_GONE` of the chats whose subscription ended because the chat is gone."""
    listener: Callable[[Application, str], None] | None = application.bot_data.get(ON_CHAT_GONE)
    if listener is None:
        return
    for key in keys:
        listener(application, key)


async def deliver_chat(
    application: Application, chat_key: str, *, kind: str = GROUP, moved: dict[str, int] | None = None
) -> int:
    """Send one chat's pending messages of `kind`, in order, each marked as soon as it is sent.

    For a group round's messages: only the round's own (sequential) code calls this for its chat,
    so a row is never sent by two callers; `deliver_pending` leaves this kind alone. Stops at the
    first message that fails (the rest keep their order for the next call); returns how many were
    sent. With `moved`, a group found upgraded to a supergroup stops the delivery with its rows
    untouched, and `moved[chat_key]` is set to the new chat id (the caller moves the chat).
    """
    store: Store = application.bot_data["engine"].store
    now = datetime.now(timezone.utc)
    items = await asyncio.to_thread(store.pending, now, user_key=chat_key, kind=kind, max_attempts=MAX_ATTEMPTS)
    items = await asyncio.to_thread(_claimed, store, items, _owner(application), now)
    queue: asyncio.Queue[_ChatBatch | None] = asyncio.Queue()
    queue.put_nowait([(item, Reply(ReplyKind.INFO, str(item.payload.get("text", "")))) for item in items])
    queue.put_nowait(None)
    return await _send_all(application.bot, store, queue, _GroupCommit(store, now), concurrency=1, moved=moved)


def _prepare(engine: PracticeEngine, items: Sequence[OutboxRecord], now: datetime) -> list[tuple[OutboxRecord, Reply]]:
    """Turn outbox rows into replies; close the rows that must not be sent any more."""
    store = engine.store
    users = store.users_by_key(item.user_key for item in items)
    ready: list[tuple[OutboxRecord, Reply]] = []
    daily: list[OutboxRecord] = []
    expired: list[int] = []
    gone: list[int] = []
    for item in items:
        user = users.get(item.user_key)
        if user is None:
            gone.append(item.id)
        elif item.kind == BROADCAST:
            ready.append((item, Reply(ReplyKind.INFO, str(item.payload.get("text", "")))))
        elif item.payload.get("day") != now.astimezone(ZoneInfo(user.timezone)).date().isoformat():
            expired.append(item.id)  # a day that has passed: not sent late
        elif not user.daily_time:
            gone.append(item.id)  # unsubscribed after it was queued
        else:
            daily.append(item)
    store.mark_sent_many(expired, now, note=EXPIRED)
    store.mark_sent_many(gone, now, note="cancelled: no such user or subscription any more")
    questions = engine.next_questions([item.user_key for item in daily], now=now)
    ready += [(item, questions[item.user_key]) for item in daily if item.user_key in questions]
    return ready


_ChatBatch = list[tuple[OutboxRecord, Reply]]  # one chat's pushes of a chunk, in order


def _by_chat(ready: list[tuple[OutboxRecord, Reply]]) -> list[_ChatBatch]:
    batches: dict[str, _ChatBatch] = {}
    for item, reply in ready:
        batches.setdefault(item.user_key, []).append((item, reply))
    return list(batches.values())


async def _send_all(
    bot, store: Store, queue: asyncio.Queue[_ChatBatch | None], marks: _GroupCommit, concurrency: int,  # noqa: ANN001
    gone: set[str] | None = None, moved: dict[str, int] | None = None,
) -> int:
    """Send what the queue holds with `concurrency` senders (each stops at a None); a chat's
    batch goes in order, by one sender. Returns how many pushes were sent; the keys of chats
    found gone (their subscription ended) are added to `gone`, those of groups found upgraded to
    supergroups to `moved` (with the new chat id) if it is given."""
    gone = set() if gone is None else gone
    sent = 0

    async def settle(mark: asyncio.Future[None] | None, item: OutboxRecord | None) -> None:
        nonlocal sent
        if mark is None or item is None:
            return
        try:
            await mark
        except StorageError as exc:  # sent but not marked: stop sending rather than repeat more
            logger.error("push %d was sent but could not be marked: %s", item.id, exc)
            raise
        sent += 1

    async def sender() -> None:
        # Each sender has at most one "sent" mark in flight: it is committed (in a group commit)
        # while the next message goes out, and awaited before the one after that.
        mark: asyncio.Future[None] | None = None
        marked: OutboxRecord | None = None
        while (batch := await queue.get()) is not None:
            for item, reply in batch:
                ok = await _send_or_keep(bot, store, item, reply, gone, moved)
                await settle(mark, marked)
                mark, marked = None, None
                if ok is None:
                    continue  # given up for good (closed): go on with the chat
                if not ok:
                    break  # the chat's later pushes wait, so its messages never arrive out of order
                mark, marked = marks.submit(item.id), item
        await settle(mark, marked)

    await asyncio.gather(*(sender() for _ in range(max(1, concurrency))))
    return sent


async def _send_push(bot, chat_id: int, reply: Reply, thread_id: int | None = None) -> None:  # noqa: ANN001
    """Send one push (in the forum topic `thread_id`, if given). A one-message push skips building
    PTB's `Message` from the answer (the push path only needs to know it was accepted): a third of
    the per-message cost."""
    pieces = split_text(to_html(reply))
    if reply.image or len(pieces) != 1:
        await send.send_replies(bot, chat_id, [reply], wait_out_flood=False, thread_id=thread_id)  # a later pass waits it out
        return
    request = {"chat_id": chat_id, "text": pieces[0], "parse_mode": ParseMode.HTML,
               "link_preview_options": {"is_disabled": True}}
    if thread_id:
        request["message_thread_id"] = thread_id
    if reply.buttons:
        request["reply_markup"] = _markup(reply.buttons)
    with warnings.catch_warnings():  # PTB suggests send_message, which is what this avoids
        warnings.simplefilter("ignore", PTBUserWarning)
        await send.call(bot.do_api_request, "sendMessage", api_kwargs=request, wait_out_flood=False)


@functools.lru_cache(maxsize=64)
def _markup(buttons: tuple[Button, ...]) -> dict[str, Any]:
    """The inline keyboard as JSON, built once per set of buttons (pushes share a handful)."""
    return keyboard(Reply(ReplyKind.QUESTION, "", buttons)).to_dict()  # type: ignore[union-attr]


async def _send_or_keep(  # noqa: ANN001
    bot, store: Store, item: OutboxRecord, reply: Reply, gone: set[str], moved: dict[str, int] | None = None
) -> bool | None:
    """Send one push: True if Telegram took it, False if it stays pending, None if given up."""
    if item.user_key in gone:  # found gone earlier in this pass
        await _closed(store, item, "chat gone")
        return None
    thread = item.payload.get("thread_id")
    try:
        await _send_push(bot, send.chat_id_of(item.user_key), reply, thread if isinstance(thread, int) else None)
    except ChatMigrated as exc:  # the group is a supergroup now: the caller moves it (untried, not failed)
        if moved is None:
            await _failed(store, item, str(exc))
        else:
            logger.info("push %d: %s is a supergroup now (%d)", item.id, item.user_key, exc.new_chat_id)
            moved[item.user_key] = exc.new_chat_id
        return False
    except RetryAfter as exc:  # flood control outlasted the rate limiter: a later pass
        await _failed(store, item, f"flood control: retry after {retry_seconds(exc):g} s")
        return False
    except TelegramError as exc:
        if send.chat_gone(exc):  # blocked, removed, no such chat: never retried
            await _chat_gone(store, item, exc, gone)
            return None
        if isinstance(exc, BadRequest):  # Telegram would refuse it again: not retried
            await _closed(store, item, f"refused: {exc}", level=logging.WARNING)
            return None
        await _failed(store, item, str(exc))  # transient (already retried by the send policy)
        return False
    return True


async def _chat_gone(store: Store, item: OutboxRecord, exc: TelegramError, gone: set[str]) -> None:
    """Close the push and end the chat's daily subscription: nothing more is sent there."""
    await asyncio.to_thread(store.mark_sent_many, [item.id], datetime.now(timezone.utc), note=f"chat gone: {exc}")
    if item.user_key in gone:
        return
    gone.add(item.user_key)
    user = (await asyncio.to_thread(store.users_by_key, [item.user_key])).get(item.user_key)
    subscribed = user is not None and bool(user.daily_time)
    if subscribed:
        await asyncio.to_thread(store.update_user, item.user_key, daily_time=None)
    logger.warning("chat %s is gone (%s): push %d given up%s", item.user_key, exc, item.id,
                   ", daily question turned off" if subscribed else "")


async def _failed(store: Store, item: OutboxRecord, error: str) -> None:
    logger.warning("push %d to %s not delivered (kept for a later pass): %s", item.id, item.user_key, error)
    await asyncio.to_thread(store.mark_failed, item.id, error)


async def _closed(store: Store, item: OutboxRecord, note: str, *, level: int = logging.INFO) -> None:
    logger.log(level, "push %d to %s given up: %s", item.id, item.user_key, note)
    await asyncio.to_thread(store.mark_sent_many, [item.id], datetime.now(timezone.utc), note=note)


class _GroupCommit:
    """Marks pushes sent; marks that arrive while a commit runs share the next transaction."""

    def __init__(self, store: Store, now: datetime) -> None:
        self._store = store
        self._now = now
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def submit(self, outbox_id: int) -> asyncio.Future[None]:
        """Queue a mark; the future is done once it is committed."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((outbox_id, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return future

    async def _flush(self) -> None:
        await asyncio.sleep(GATHER_MARKS)  # let the other senders' marks join this commit
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                self._store.mark_sent_many([i for i, _ in batch], self._now)
            except BaseException as exc:  # every waiter learns its mark failed
                for _, future in batch:
                    future.set_exception(exc if isinstance(exc, Exception) else StorageError(str(exc)))
                if not isinstance(exc, Exception):
                    raise
            else:
                for _, future in batch:
                    future.set_result(None)
