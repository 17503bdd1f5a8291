"""Daily pushes: one question a day at each subscriber's local time, delivered through the outbox.

Each day's push is one outbox row (user, "daily", the slot's UTC time): queuing the same slot twice
is impossible, so a restart never sends a day twice, and a push that failed (flood control, network)
stays pending and is retried (see `outbox`). At start-up the jobs are rebuilt from the database (PTB does not keep
jobs), and a push missed while the bot was down is sent if it is still the same local day. When a
delivery pass finds a chat gone, it ends the subscription and hands the chat to `schedule_user`
(the outbox's `ON_CHAT_GONE`, set by `app`), which drops its job.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from telegram.ext import Application, ContextTypes

from .outbox import DAILY, deliver_pending
from .send import KEY_PREFIX, chat_id_of

__all__ = ["schedule_user", "unschedule", "restore", "slot_today", "deliver_pending", "RETRY_EVERY"]

logger = logging.getLogger(__name__)
JOB_PREFIX = "daily:"
RETRY_EVERY = 30.0  # seconds between passes over pending pushes


def slot_today(daily_time: str, zone: str, now: datetime) -> datetime:
    """Today's push time (in the user's zone) as a UTC datetime.

    >>> slot_today("08:30", "Asia/Shanghai", datetime(2026, 1, 2, 1, 0, tzinfo=timezone.utc)).isoformat()
    '2026-01-02T00:30:00+00:00'
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    hour, minute = (int(x) for x in daily_time.split(":"))
    return datetime.combine(local.date(), time(hour, minute), tzinfo=tz).astimezone(timezone.utc)


def unschedule(application: Application, key: str) -> None:
    """Drop the daily job of one user or chat, if it has one (the stored subscription stays)."""
    for job in application.job_queue.get_jobs_by_name(JOB_PREFIX + key):
        job.schedule_removal()


def schedule_user(application: Application, key: str) -> None:
    """(Re)place the daily job of one user from the stored subscription."""
    queue = application.job_queue
    unschedule(application, key)
    user = application.bot_data["engine"].store.user(key)
    if not user.daily_time:
        return
    hour, minute = (int(x) for x in user.daily_time.split(":"))
    at = time(hour, minute, tzinfo=ZoneInfo(user.timezone))
    queue.run_daily(_push, at, name=JOB_PREFIX + key, data=key, chat_id=chat_id_of(key))


async def _push(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily job: queue today's push for this user and deliver it."""
    key = context.job.data  # type: ignore[union-attr]
    await _queue_and_deliver(context.application, key, now=datetime.now(timezone.utc))


async def _queue_and_deliver(application: Application, key: str, *, now: datetime) -> None:
    await _queue(application, key, now=now)
    await deliver_pending(application, now=now)


async def _queue(application: Application, key: str, *, now: datetime) -> None:
    """Put today's push of this subscriber in the outbox (a no-op if it is already there)."""
    store = application.bot_data["engine"].store
    user = await asyncio.to_thread(store.user, key)
    if not user.daily_time:
        return
    slot = slot_today(user.daily_time, user.timezone, now)
    day = slot.astimezone(ZoneInfo(user.timezone)).date().isoformat()
    await asyncio.to_thread(store.enqueue, key, DAILY, {"day": day}, slot)  # None: that day is already queued


async def _retry(context: ContextTypes.DEFAULT_TYPE) -> None:
    await deliver_pending(context.application, now=datetime.now(timezone.utc))


async def restore(application: Application, *, now: datetime) -> None:
    """At start-up: rebuild every subscriber's job, send today's pushes that were missed, start retries."""
    engine = application.bot_data["engine"]
    for user in await asyncio.to_thread(engine.store.subscribers):
        if not user.key.startswith(KEY_PREFIX):
            continue
        schedule_user(application, user.key)
        if slot_today(user.daily_time, user.timezone, now) <= now:  # missed while down, still today
            await _queue(application, user.key, now=now)
    # Delivery (also of what a crash left pending) runs as a job, so updates are served meanwhile.
    application.job_queue.run_once(_retry, 0, name="daily:restore")
    application.job_queue.run_repeating(_retry, interval=RETRY_EVERY, first=RETRY_EVERY, name="daily:retry")
