"""Several bot processes on one database: each chat's updates one at a time, deferred work as claimed rows.

A single process keeps its timers in PTB's JobQueue and a chat's order in an asyncio lock. When
worker processes share one PostgreSQL database (`build_application(..., shared=True)`), any worker
may receive any update and any worker may run any timer, so both move into the database:

* `chat_lock(key)`: the chat's lock in this process (asyncio, first come first served) and then
  across processes (`Store.try_lock_chat`, a PostgreSQL advisory lock that goes with its
  connection if the process dies). The task that holds it may take it again (a job that grades
  held messages from inside an update).
* Jobs: deferred work is a row (`Store.schedule_job`: a name, a kind, a due time, a payload). Each
  worker polls every `POLL_EVERY` seconds and claims the due rows (`FOR UPDATE SKIP LOCKED`, for
  `JOB_LEASE`); the worker that scheduled a job also sets a timer of its own for the due time,
  so a job runs on time without waiting for a poll. A claim of a worker that died on this host is
  taken over at once, any other when its lease runs out. A job is deleted once its run is done
  (`Store.finish_job`), unless it was scheduled again meanwhile; a recurring job (a daily push)
  schedules its next run itself.
* A clean stop hands the worker's claimed, unfinished jobs back at once (`Store.release_jobs`).

Handlers of a kind get the claimed rows of that kind together (`Coordination.on`): a daily push
job claims two thousand rows at 08:00 and queues them in one go.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from telegram.ext import Application, ContextTypes

from ..storage import JobRecord, Store
from ..storage.rounds import claim_owner

__all__ = ["Coordination", "coordination_of", "install", "POLL_EVERY", "JOB_LEASE", "LOCK_RETRY", "CHAT_LOCKS",
           "CLAIM_BATCH", "THREADS"]

logger = logging.getLogger(__name__)

POLL_EVERY = 1.0  # seconds between a worker's looks for due jobs (its own timers are on time)
# How long a claimed job is kept from other workers: far longer than a run takes (a round's step
# waits for the group's message slots; a daily batch only queues rows and reschedules).
JOB_LEASE = timedelta(minutes=5)
LOCK_RETRY = (0.01, 0.25)  # seconds between tries for a chat's lock another process holds: first, at most
# Chats locked (or waiting for another process's lock) at once by this worker: each lock holds a
# connection of the store's lock pool (`Store.try_lock_chat`: 32, and as many more under load),
# and a batch of jobs may want hundreds of chats at once.
CHAT_LOCKS = 48
CLAIM_BATCH = 500  # jobs claimed by one poll
THREADS = 32  # the worker's default thread pool (asyncio's default on 2 cores is 6)
_KEY = "coordination"
_TIMER = "job:"

JobHandler = Callable[[Application, list[JobRecord]], Awaitable[None]]


@dataclass(eq=False)
class _ChatMutex:
    """A chat's lock in this process, with the task holding it (so that task may take it again)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holder: asyncio.Task[Any] | None = None


class Coordination:
    """Chat locks and jobs shared through the database (see the module's docstring)."""

    def __init__(self, application: Application, store: Store) -> None:
        self.application = application
        self.store = store
        self.owner = claim_owner()
        self._handlers: dict[str, JobHandler] = {}
        self._mutexes: weakref.WeakValueDictionary[str, _ChatMutex] = weakref.WeakValueDictionary()
        self._running: set[asyncio.Task[None]] = set()
        self._lock_slots = asyncio.Semaphore(CHAT_LOCKS)
        self._poller: asyncio.Task[None] | None = None
        # Updates whose handler failed for a reason that passes (the database busy or away): the
        # error handler notes them, and `ordering.SharedChatOrder` leaves them unconfirmed.
        self.unconfirmed: set[int] = set()

    # ------------------------------------------------------------------ chat locks

    @contextlib.asynccontextmanager
    async def chat_lock(self, key: str) -> AsyncIterator[None]:
        """Hold chat `key` against every other task of this process and every other process."""
        task = asyncio.current_task()
        mutex = self._mutexes.get(key)
        if mutex is None:
            mutex = self._mutexes[key] = _ChatMutex()
        if task is not None and mutex.holder is task:
            yield  # taken again by its holder
            return
        async with mutex.lock, self._lock_slots:
            handle = await asyncio.to_thread(self.store.try_lock_chat, key)
            pause = LOCK_RETRY[0]
            while handle is None:  # another process has the chat: it lets go within one update
                await asyncio.sleep(pause)
                pause = min(pause * 2, LOCK_RETRY[1])  # many waiting chats must not flood the threads
                handle = await asyncio.to_thread(self.store.try_lock_chat, key)
            mutex.holder = task
            try:
                yield
            finally:
                mutex.holder = None
                await asyncio.to_thread(handle.release)

    # ------------------------------------------------------------------ jobs

    def on(self, kind: str, handler: JobHandler) -> None:
        """Run `handler(application, jobs)` for the claimed due jobs of `kind`."""
        self._handlers[kind] = handler

    async def schedule(
        self, name: str, kind: str, due: datetime, payload: Mapping[str, Any] | None = None
    ) -> JobRecord:
        """Store the job (replacing one of the same name) and set this worker's timer for it."""
        job = await asyncio.to_thread(self.store.schedule_job, name, kind, due, payload)
        self._set_timer(name, due)
        return job

    async def cancel(self, name: str) -> None:
        """Delete the job, wherever it was scheduled."""
        await asyncio.to_thread(self.store.cancel_job, name)
        self._drop_timer(name)

    async def job(self, name: str) -> JobRecord | None:
        """The stored job `name`, or None."""
        return await asyncio.to_thread(self.store.job, name)

    def _set_timer(self, name: str, due: datetime) -> None:
        self._drop_timer(name)
        delay = max(0.0, (due - datetime.now(timezone.utc)).total_seconds())
        self.application.job_queue.run_once(self._on_timer, delay, name=_TIMER + name, data=name)  # type: ignore[union-attr]

    def _drop_timer(self, name: str) -> None:
        for timer in self.application.job_queue.get_jobs_by_name(_TIMER + name):  # type: ignore[union-attr]
            timer.schedule_removal()

    async def _on_timer(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.run_due(names=[context.job.data])  # type: ignore[union-attr,list-item]

    async def _poll(self) -> None:
        """Look for due jobs every `POLL_EVERY` seconds (a slow look delays the next, never doubles it)."""
        while True:
            try:
                await self.run_due()
            except Exception:  # the database is away for a moment: the next look tries again
                logger.exception("looking for due jobs failed")
            await asyncio.sleep(POLL_EVERY)

    async def run_due(self, *, names: Sequence[str] | None = None, now: datetime | None = None) -> int:
        """Claim the due jobs (only `names`, if given) and start their handlers; returns how many.

        The handlers run as tasks of their own, a kind's jobs together, so a poll never waits
        for a run (a round's step may wait seconds for the group's message slot)."""
        when = now or datetime.now(timezone.utc)
        jobs = await asyncio.to_thread(
            self.store.claim_due_jobs, self.owner, when, JOB_LEASE, limit=CLAIM_BATCH, names=names
        )
        by_kind: dict[str, list[JobRecord]] = {}
        for job in jobs:
            by_kind.setdefault(job.kind, []).append(job)
        for kind, batch in by_kind.items():
            task = asyncio.create_task(self._run(kind, batch), name=f"jobs:{kind}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(jobs)

    async def _run(self, kind: str, jobs: list[JobRecord]) -> None:
        handler = self._handlers.get(kind)
        if handler is None:
            logger.error("no handler for job kind %r: %d job(s) left for a worker that has one", kind, len(jobs))
            return
        try:
            await handler(self.application, jobs)
        except Exception:  # the claims stay: another worker tries once the lease runs out
            logger.exception("job(s) of kind %r failed: %s", kind, ", ".join(job.name for job in jobs[:5]))
            return
        await asyncio.to_thread(self._finish, jobs)

    def _finish(self, jobs: list[JobRecord]) -> None:
        for job in jobs:
            self.store.finish_job(job, self.owner)

    async def start(self) -> None:
        """Poll for due jobs from now on (the first poll at once: what is overdue runs now). The
        default thread pool grows to `THREADS`: every database call of the handlers, the chat
        locks and the jobs is a thread hop, mostly waiting on the network, not the CPU."""
        loop = asyncio.get_running_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(THREADS, thread_name_prefix="mockbot"))
        self._poller = asyncio.create_task(self._poll(), name="jobs:poll")

    async def stop(self) -> None:
        """Stop polling, let the runs in progress end, then hand what this worker still claims to
        the others."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._running:
            await asyncio.wait(set(self._running), timeout=JOB_LEASE.total_seconds())
        released = await asyncio.to_thread(self.store.release_jobs, self.owner)
        if released:
            logger.info("released %d claimed job(s) for the other workers", released)


def coordination_of(application: Application) -> Coordination | None:
    """The application's shared coordination, or None for a single process (timers in its JobQueue)."""
    return application.bot_data.get(_KEY)


def install(application: Application, store: Store) -> Coordination:
    """Make `application` one of several workers sharing `store` (see the module's docstring)."""
    coordination = Coordination(application, store)
    application.bot_data[_KEY] = coordination
    return coordination
