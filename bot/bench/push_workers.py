"""`mockbot bench push --workers N`: a team of N push worker processes sharing one PostgreSQL database.

The workers (multiprocessing "spawn") each open their own `Store` on the bench's database and build
their own engine, as `mockbot run` workers do. For each run, each builds `build_application(...,
shared=True)` (the rate limiter on or off: on, it is `SharedRateLimiter`, one 30 msg/s budget for
all in the database), initializes it, says it is ready and waits; once all are ready they are
released together (one `multiprocessing.Event` per run) and call `outbox.deliver_pending` passes
until nothing is pending for them (rows another worker claimed are its own: `Store.claim_pushes`),
waiting out `retry_after` between passes as `push._deliver_all` does. A run reports the pushes
each worker sent, the wall time from the release to the last worker's end, and the part of it in
which at least one worker was delivering (the `retry_after` waits that every worker sat out are
left out, as for the one-process `push_msgs_per_s`). `push.run_push_bench` queues each run's pushes
and turns the runs into figures.

Workers do not load the grading model: the push path chooses and renders questions but grades
nothing, and the grader creates its embedding model on first use (`Grader.embedder`), so a worker's
engine holds the bank and the keyword tables only (`PushTeam.peak_rss_mb` shows it). Release and
end times are `time.monotonic()`, one clock for every process of the machine.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection, wait
from multiprocessing.synchronize import Event
from typing import Any

from ..cli.common import _App

__all__ = ["PushTeam", "TeamRun", "workers_problem", "WorkerFailed", "RETRY_WAIT"]

RETRY_WAIT = 1.0  # seconds between a worker's passes while some of its pushes wait out a 429
POLL_S = 0.5  # how often a waiting bench process calls its `watch`
_QUIET = ("bot.telegram.outbox", "bot.telegram.ratelimit")  # a line per injected 429 otherwise

Spans = list[tuple[float, float]]  # (start, end) of each delivery pass, time.monotonic() seconds


class WorkerFailed(RuntimeError):
    """A worker process raised (its traceback is in the message) or ended before its run was done."""


def workers_problem(workers: int, database: str | None) -> str | None:
    """Why `workers` processes cannot run the bench on `database` (a usage error), or None.

    More than one worker needs a PostgreSQL URL (`postgresql+…://`): a SQLite file (the default
    database) is for one process."""
    if workers < 1:
        return "--workers must be at least 1"
    scheme = (database or "").partition(":")[0]
    if workers > 1 and scheme.partition("+")[0] != "postgresql":
        return (f"--workers {workers} needs --database with the URL of an empty PostgreSQL database "
                "(postgresql+psycopg://…): the workers share it, and SQLite is for one process")
    return None


@dataclass(frozen=True)
class TeamRun:
    """One run of the team: pushes each worker sent, seconds from the release to the last worker's
    end (`wall_s`) and seconds of that in which at least one worker was delivering (`busy_s`)."""

    sent_by_worker: list[int]
    wall_s: float
    busy_s: float

    @property
    def sent(self) -> int:
        return sum(self.sent_by_worker)


@dataclass
class _Worker:
    number: int
    process: multiprocessing.process.BaseProcess
    connection: Connection


class PushTeam:
    """N push worker processes on the database at `url`, for the runs `runs` (in order: with the
    rate limiter or not, the `now` its passes use), against the Bot API at `base_url`.

    `with PushTeam(...) as team:` starts them and waits until all are loaded (`load_s`); then
    `team.run()` once per run, after the run's pushes are queued; leaving the block ends them
    (`peak_rss_mb`: the largest worker's peak RSS, once all stopped cleanly). A worker that fails
    raises `WorkerFailed` and every worker is ended."""

    def __init__(
        self, app: _App, url: str, *, workers: int, base_url: str, token: str, runs: Sequence[tuple[bool, datetime]],
        seed: int = 7,
    ) -> None:
        self._args = (app, url, base_url, token, list(runs), seed)
        self._workers = workers
        self._context = multiprocessing.get_context("spawn")
        self._releases = [self._context.Event() for _ in runs]
        self._next = 0
        self._team: list[_Worker] = []
        self.load_s = 0.0
        self.peak_rss_mb: float | None = None

    def __enter__(self) -> PushTeam:
        app, url, base_url, token, runs, seed = self._args
        started = time.perf_counter()
        try:
            for number in range(self._workers):
                ours, theirs = self._context.Pipe()
                process = self._context.Process(
                    target=_worker, name=f"mockbot-bench-worker-{number}", daemon=True,
                    args=(theirs, app, url, base_url, token, runs, self._releases, seed + 1 + number),
                )
                process.start()
                theirs.close()  # the worker's end only: a worker that dies is then an EOF here
                self._team.append(_Worker(number, process, ours))
            self._gather("loaded")
        except BaseException:
            self._end()
            raise
        self.load_s = time.perf_counter() - started
        return self

    def run(self, watch: Callable[[], None] | None = None) -> TeamRun:
        """Release the workers together for the next run once all are ready; wait until each has
        nothing pending left (calling `watch` every `POLL_S` seconds meanwhile, and once at the end)."""
        release = self._releases[self._next]
        self._next += 1
        self._gather("ready")
        released = time.monotonic()
        release.set()
        done: list[tuple[int, Spans, float]] = self._gather("done", watch)
        if watch:
            watch()
        wall = max(end for _, _, end in done) - released
        busy = _busy_seconds([span for _, spans, _ in done for span in spans], released, released + wall)
        return TeamRun([sent for sent, _, _ in done], wall, busy)

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None and self._next == len(self._releases):
                self.peak_rss_mb = max(self._gather("stopped"))
        finally:
            self._end()

    def _end(self) -> None:
        for worker in self._team:
            worker.process.join(10 if self.peak_rss_mb is not None else 0)
            if worker.process.is_alive():  # failed elsewhere, stopped early, or stuck: ours to end
                worker.process.terminate()
                worker.process.join(10)
            worker.connection.close()
        self._team = []

    def _gather(self, expected: str, watch: Callable[[], None] | None = None) -> list[Any]:
        """Every worker's next message, which must be `expected`; the values in the workers' order.
        `watch` is called every `POLL_S` seconds while waiting."""
        values: dict[int, Any] = {}
        while len(values) < len(self._team):
            waiting = {worker.connection: worker for worker in self._team if worker.number not in values}
            for connection in wait(list(waiting), timeout=POLL_S):
                worker = waiting[connection]  # type: ignore[index]
                values[worker.number] = _receive(worker, expected)
            if watch and len(values) < len(self._team):
                watch()
        return [values[worker.number] for worker in self._team]


def _receive(worker: _Worker, expected: str) -> Any:
    try:
        said, value = worker.connection.recv()
    except EOFError:
        worker.process.join(5)
        raise WorkerFailed(f"bench worker {worker.number} ended (exit code {worker.process.exitcode}) "
                           f"before it was {expected}") from None
    if said == "failed":
        raise WorkerFailed(f"bench worker {worker.number} failed:\n{value}")
    if said != expected:
        raise WorkerFailed(f"bench worker {worker.number} said {said!r} where {expected!r} was due")
    return value


def _busy_seconds(spans: Spans, start: float, end: float) -> float:
    """Seconds of [start, end] in which at least one of `spans` was running."""
    total, reached = 0.0, start
    for began, ended in sorted(spans):
        began, ended = max(began, reached), min(ended, end)
        if ended > began:
            total += ended - began
            reached = ended
    return total


# ---------------------------------------------------------------------- in the worker processes


def _worker(
    connection: Connection, app: _App, url: str, base_url: str, token: str, runs: list[tuple[bool, datetime]],
    releases: list[Event], seed: int,
) -> None:
    """A worker process's main: says "loaded", then for each run "ready" and "done", then "stopped"
    (with its peak RSS in MB); "failed" with the traceback if anything raises."""
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        asyncio.run(_work(connection, app, url, base_url, token, runs, releases, seed))
    except BaseException:  # noqa: BLE001 - told to the bench process, which stops the others
        connection.send(("failed", traceback.format_exc()))
        sys.exit(1)
    connection.send(("stopped", _peak_rss_mb()))


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB: VmHWM, as `ru_maxrss` would include the memory of
    the bench process it was forked from before exec."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0) / 1024.0


async def _work(
    connection: Connection, app: _App, url: str, base_url: str, token: str, runs: list[tuple[bool, datetime]],
    releases: list[Event], seed: int,
) -> None:
    from ..cli.common import build_engine
    from ..storage import Store
    from ..telegram.app import build_application

    with Store.open(url) as store:
        engine = build_engine(app, store, seed=seed)  # the bank; no grading model (see the module's docstring)
        connection.send(("loaded", None))
        for (rate_limit, now), release in zip(runs, releases, strict=True):
            application = build_application(engine, token, base_url=base_url, rate_limit=rate_limit, shared=True)
            await application.initialize()
            try:
                connection.send(("ready", None))
                await asyncio.to_thread(release.wait)
                sent, spans = await _deliver_share(application, now)
                finished = time.monotonic()
            finally:
                await application.shutdown()
            connection.send(("done", (sent, spans, finished)))


async def _deliver_share(application: Any, now: datetime) -> tuple[int, Spans]:
    """Pass over the outbox until no pending push is left for this worker (unclaimed, claimed by
    it, or a claim run out); returns (sent, the passes' spans)."""
    from ..telegram.outbox import _owner, deliver_pending

    store = application.bot_data["engine"].store
    owner = _owner(application)  # the name this application's claims go by
    sent, spans = 0, []
    for _ in range(50):
        began = time.monotonic()
        sent += await deliver_pending(application, now=now)
        spans.append((began, time.monotonic()))
        pending = await asyncio.to_thread(store.pending, now)
        if not any(item.claimed_by in (None, owner) or item.claimed_until <= now for item in pending):
            break
        await asyncio.sleep(RETRY_WAIT)  # flood control said: retry after this long
    return sent, spans
