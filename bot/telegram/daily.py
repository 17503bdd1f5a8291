"""Daily pushes: one question a day at each subscriber's local time, delivered through the outbox.

Each day's push is one outbox row (user, "daily", the slot's UTC time): queuing the same slot twice
is impossible, so a restart never sends a day twice, and a push that failed (flood control, network)
stays pending and is retried (see `outbox`). At start-up the jobs are rebuilt from the database (PTB does not keep
jobs), and a push missed while the bot was down is sent if it is still the same local day. When a
delivery pass finds a chat gone, it ends the subscription and hands the chat to `schedule_user`
(the outbox's `ON_CHAT_GONE`, set by `app`), which drops its job.

Workers sharing a database (`coordination`) keep each subscriber's next push as a job row
("daily:<key>", due at the next slot) instead: whichever worker claims it queues that day's push
and schedules the next day's. `reschedule` places a subscriber's job in either mode.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from telegram.ext import Application, ContextTypes

from ..storage import JobRecord
from .coordination import coordination_of
from .outbox import DAILY, deliver_pending
from .send import KEY_PREFIX, chat_id_of

__all__ = ["schedule_user", "reschedule", "chat_gone", "unschedule", "restore", "slot_today", "next_slot",
           "deliver_pending", "RETRY_EVERY", "JOB_KIND"]

logger = logging.getLogger(__name__)
JOB_PREFIX = "daily:"
RETRY_EVERY = 30.0  # seconds between passes over pending pushes
JOB_KIND = "daily"  # kind of the job rows of workers sharing a database


def slot_today(daily_time: str, zone: str, now: datetime) -> datetime:
    """Today's push time (in the user's zone) as a UTC datetime.

    >>> slot_today("08:30", "Asia/Shanghai", datetime(2026, 1, 2, 1, 0, tzinfo=timezone.utc)).isoformat()
    '2026-01-02T00:30:00+00:00'
    """
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    hour, minute = (int(x) for x in daily_time.split(":"))
    return datetime.combine(local.date(), time(hour, minute), tzinfo=tz).astimezone(timezone.utc)


def next_slot(daily_time: str, zone: str, now: datetime) -> datetime:
    """The first push time (UTC) after `now`: today's, or tomorrow's if today's has come.

    >>> next_slot("08:30", "Asia/Shanghai", datetime(2026, 1, 2, 1, 0, tzinfo=timezone.utc)).isoformat()
    '2026-01-03T00:30:00+00:00'
    """
    today = slot_today(daily_time, zone, now)
    if today > now:
        return today
    local = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    hour, minute = (int(x) for x in daily_time.split(":"))
    return datetime.combine(local, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(timezone.utc)


def unschedule(application: Application, key: str) -> None:
    """Drop the daily job of one user or chat, if it has one (the stored subscription stays)."""
    for job in application.job_queue.get_jobs_by_name(JOB_PREFIX + key):
        job.schedule_removal()


def schedule_user(application: Application, key: str) -> None:
    """(Re)place the daily job of one user from the stored subscription."""
    queue = application.job_queue
    unschedule(application, key)
    user = application.bot_data["engine"].store.users_by_key([key]).get(key)  # (never creates a user)
    if user is None or not user.daily_time:
        return
    hour, minute = (int(x) for x in user.daily_time.split(":"))
    at = time(hour, minute, tzinfo=ZoneInfo(user.timezone))
    queue.run_daily(_push, at, name=JOB_PREFIX + key, data=key, chat_id=chat_id_of(key))


async def reschedule(application: Application, key: str) -> None:
    """(Re)place the daily push of one user or chat from the stored subscription (the job row of
    workers sharing a database, or this process's job); none if it is not subscribed."""
    coordination = coordination_of(application)
    if coordination is None:
        schedule_user(application, key)
        return
    users = await asyncio.to_thread(application.bot_data["engine"].store.users_by_key, [key])
    user = users.get(key)
    if user is None or not user.daily_time:
        await coordination.cancel(JOB_PREFIX + key)
        return
    due = next_slot(user.daily_time, user.timezone, datetime.now(timezone.utc))
    await coordination.schedule(JOB_PREFIX + key, JOB_KIND, due, {"key": key})


def chat_gone(application: Application, key: str) -> None:
    """The outbox found the chat gone (its subscription ended): drop its daily push."""
    if coordination_of(application) is None:
        schedule_user(application, key)
    else:
        application.create_task(reschedule(application, key), name=f"daily:gone:{key}")


async def _run_jobs(application: Application, jobs: list[JobRecord]) -> None:
    """Claimed daily jobs (workers sharing a database): queue each subscriber's push of today if
    its time has come, schedule the next one, then deliver (in the background: the claims end now)."""
    store = application.bot_data["engine"].store
    now = datetime.now(timezone.utc)

    def work() -> None:
        users = store.users_by_key(str(job.payload.get("key", "")) for job in jobs)
        for job in jobs:
            user = users.get(str(job.payload.get("key", "")))
            if user is None or not user.daily_time:
                continue  # unsubscribed or forgotten: finishing the run deletes the job
            slot = slot_today(user.daily_time, user.timezone, now)
            if slot <= now:
                day = slot.astimezone(ZoneInfo(user.timezone)).date().isoformat()
                store.enqueue(user.key, DAILY, {"day": day}, slot)  # None: that day is already queued
            store.schedule_job(job.name, JOB_KIND, next_slot(user.daily_time, user.timezone, now), job.payload)

    await asyncio.to_thread(work)
    application.create_task(deliver_pending(application, now=now), name="daily:deliver")


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
    """At start-up: rebuild every subscriber's job, send today's pushes that were missed, start retries.

    Workers sharing a database keep their jobs as rows: a subscriber without one (first start in
    that mode) gets one due at today's slot, so a push missed today is sent now."""
    engine = application.bot_data["engine"]
    coordination = coordination_of(application)
    if coordination is not None:
        coordination.on(JOB_KIND, _run_jobs)
        await asyncio.to_thread(_add_missing_jobs, engine.store, now)
    else:
        for user in await asyncio.to_thread(engine.store.subscribers):
            if not user.key.startswith(KEY_PREFIX):
                continue
            schedule_user(application, user.key)
            if slot_today(user.daily_time, user.timezone, now) <= now:  # missed while down, still today
                await _queue(application, user.key, now=now)
    # Delivery (also of what a crash left pending) runs as a job, so updates are served meanwhile.
    application.job_queue.run_once(_retry, 0, name="daily:restore")
    application.job_queue.run_repeating(_retry, interval=RETRY_EVERY, first=RETRY_EVERY, name="daily:retry")


def _add_missing_jobs(store, now: datetime) -> None:  # noqa: ANN001 - the Store
    """Give every subscriber without a daily job row one, due at today's slot (existing rows stay)."""
    store.add_jobs([
        (JOB_PREFIX + user.key, JOB_KIND, slot_today(user.daily_time, user.timezone, now), {"key": user.key})
        for user in store.subscribers() if user.key.startswith(KEY_PREFIX)
    ])  # fmt: skip
