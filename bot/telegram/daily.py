"""Daily pushes: one question a day at each subscriber's local time, delivered through the outbox.

Each day's push is one outbox row (user, "daily", the slot's UTC time): queuing the same slot twice
is impossible, so a restart never sends a day twice, and a push that failed (flood control, network)
stays pending and is retried. At start-up the jobs are rebuilt from the database (PTB does not keep
jobs), and a push missed while the bot was down is sent if it is still the same local day.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes

__all__ = ["schedule_user", "restore", "slot_today", "deliver_pending", "RETRY_EVERY"]

logger = logging.getLogger(__name__)
JOB_PREFIX = "daily:"
RETRY_EVERY = 30.0  # seconds between passes over pending pushes
KIND = "daily"


def _chat_id(key: str) -> int:
    return int(key.split(":", 1)[1])


def slot_today(daily_time: str, zone: str, now: datetime) -> datetime:
    """Today's push time (in the user's zone) as a UTC datetime.

    >>> slot_today("08:30", "Asia/Shanghai", datetime(2026, 1, 2, 1, 0, tzinfo=timezone.utc)).isoformat()
    '2026-01-02T00:30:00+00:00'
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    hour, minute = (int(x) for x in daily_time.split(":"))
    return datetime.combine(local.date(), time(hour, minute), tzinfo=tz).astimezone(timezone.utc)


def schedule_user(application: Application, key: str) -> None:
    """(Re)place the daily job of one user from the stored subscription."""
    queue = application.job_queue
    for job in queue.get_jobs_by_name(JOB_PREFIX + key):
        job.schedule_removal()
    user = application.bot_data["engine"].store.user(key)
    if not user.daily_time:
        return
    hour, minute = (int(x) for x in user.daily_time.split(":"))
    at = time(hour, minute, tzinfo=ZoneInfo(user.timezone))
    queue.run_daily(_push, at, name=JOB_PREFIX + key, data=key, chat_id=_chat_id(key))


async def _push(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily job: queue today's push for this user and deliver it."""
    key = context.job.data  # type: ignore[union-attr]
    await _queue_and_deliver(context.application, key, now=datetime.now(timezone.utc))


async def _queue_and_deliver(application: Application, key: str, *, now: datetime) -> None:
    store = application.bot_data["engine"].store
    user = await asyncio.to_thread(store.user, key)
    if not user.daily_time:
        return
    slot = slot_today(user.daily_time, user.timezone, now)
    day = slot.astimezone(ZoneInfo(user.timezone)).date().isoformat()
    await asyncio.to_thread(store.enqueue, key, KIND, {"day": day}, slot)  # None: that day is already queued
    await deliver_pending(application, now=now)


async def deliver_pending(application: Application, *, now: datetime) -> int:
    """Send every pending push that is due; returns how many were sent."""
    from .app import send_replies

    engine = application.bot_data["engine"]
    sent = 0
    for item in await asyncio.to_thread(engine.store.pending, now):
        if item.kind != KIND:
            continue
        user = await asyncio.to_thread(engine.store.user, item.user_key)
        local_day = now.astimezone(ZoneInfo(user.timezone)).date().isoformat()
        if item.payload.get("day") != local_day:  # a day that has passed: not sent late
            await asyncio.to_thread(engine.store.mark_failed, item.id, "expired: the local day has passed")
            await asyncio.to_thread(engine.store.mark_sent, item.id, now)
            continue
        try:
            reply = await asyncio.to_thread(engine.next_question, item.user_key, now=now)
            await send_replies(application.bot, _chat_id(item.user_key), [reply])
        except RetryAfter as exc:  # the rate limiter gave up: keep it pending, retry later
            await asyncio.to_thread(engine.store.mark_failed, item.id, f"flood control: retry after {exc.retry_after}")
            continue
        except TelegramError as exc:
            await asyncio.to_thread(engine.store.mark_failed, item.id, str(exc))
            continue
        await asyncio.to_thread(engine.store.mark_sent, item.id, now)
        sent += 1
    return sent


async def _retry(context: ContextTypes.DEFAULT_TYPE) -> None:
    await deliver_pending(context.application, now=datetime.now(timezone.utc))


async def restore(application: Application, *, now: datetime) -> None:
    """At start-up: rebuild every subscriber's job, send today's push if it was missed, start retries."""
    engine = application.bot_data["engine"]
    for user in await asyncio.to_thread(engine.store.subscribers):
        if not user.key.startswith("tg:"):
            continue
        schedule_user(application, user.key)
        if slot_today(user.daily_time, user.timezone, now) <= now:  # missed while down, still today
            await _queue_and_deliver(application, user.key, now=now)
    application.job_queue.run_repeating(_retry, interval=RETRY_EVERY, first=RETRY_EVERY, name="daily:retry")
