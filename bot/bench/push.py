"""`mockbot bench push`: the daily push path against the fake Bot API server, at scale.

The bot side is the real one: the engine (with the grading model loaded, as `mockbot run` has it),
the database outbox, `outbox.deliver_pending` and python-telegram-bot over HTTP. The fake server
runs in its own process (as Telegram is not in ours) and answers a share of sendMessage calls with
429 Too Many Requests. Two runs over the same subscribers, one day apart:

* unlimited: rate limiter off, so the figure is what the push path itself can do (messages/s over
  the time spent delivering; the `retry_after` waits between passes are counted apart);
* limited: the bot's rate limiter on (30 messages/s), total wall time versus the 30 msg/s floor.

Right before the unlimited run, a bare send loop (`Bot.send_message` to the same chats with the same
number of senders, nothing else to do; a 429 puts the message back in the queue at once) measures
what python-telegram-bot and the fake server alone reach (`bare_msgs_per_s`): absolute rates on a
shared 2-core machine swing from run to run, the push path's ratio to it (`push_ratio`) does not.

With `workers` > 1 (a PostgreSQL database), the same subscribers then get two more days' pushes from
that many worker processes sharing the database (`push_workers.PushTeam`), all released together:

* rate limiter off: `workers_msgs_per_s` (messages over the seconds in which some worker was
  delivering, the `retry_after` waits counted apart as above; `workers_unlimited_wall_s` has them)
  and `workers_ratio`, its ratio to `push_msgs_per_s` of the same run;
* rate limiter on (one 30 msg/s budget for all workers): `workers_limited_total_s` until every
  subscriber has the push, against the floor (`workers_limited_ratio`).

Every subscriber must get exactly one push per run: `lost` and `duplicated` count the misses.

The fake server is test support, not part of the bot: it lives in the repository's
`mockbot_testing` package, imported only when the bench runs (`FakeApiMissing` if it cannot be).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import resource
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from multiprocessing.connection import Connection
from pathlib import Path
from types import ModuleType
from typing import Any

from ..cli.common import Report, _App

__all__ = ["run_push_bench", "FLOOR_RATE", "FakeApiMissing", "DAY0"]

FLOOR_RATE = 30.0  # messages per second Telegram allows a bot overall
ZONE = "Asia/Shanghai"
DAILY_AT = "08:00"
BARE_TEXT = "今日一题：什么是dropout？训练和测试时有什么不同？"  # about as long as a pushed question
POLL_S = 0.5  # how often the fake server is asked how many messages arrived, for the progress bar
DAY0 = datetime(2026, 1, 5, 0, 30, tzinfo=timezone.utc)  # 08:30 in Shanghai (after the slot); run i: day i
_FAKE_API = "mockbot_testing.fake_api"


class FakeApiMissing(RuntimeError):
    """The fake Bot API server (the repository's `mockbot_testing` package) cannot be imported."""


def _fake_api() -> ModuleType:
    """The fake Bot API server's package; `FakeApiMissing` if this installation has none."""
    try:
        import mockbot_testing.fake_api as fake_api
    except ModuleNotFoundError as exc:
        if exc.name not in (_FAKE_API, _FAKE_API.partition(".")[0]):
            raise  # something the package itself needs: not this installation's doing
        raise FakeApiMissing(
            f"`mockbot bench push` needs the fake Bot API server ({_FAKE_API}), which this installation "
            "does not have: install mockbot from its repository (pip install -e .)"
        ) from exc
    return fake_api


def _serve(connection: Connection, flood_rate: float, seed: int) -> None:
    """The fake Bot API server's process: serve, then answer "counts" and "stop" requests."""
    fake = _fake_api().FakeBotApi(seed=seed)
    fake.flood_rate = flood_rate
    fake.start()
    connection.send(fake.port)
    while True:
        command = connection.recv()
        if command == "stop":
            fake.stop()
            connection.send(None)
            return
        if command == "arrived":  # successful sendMessage calls so far (for the progress bar)
            with fake._lock:  # noqa: SLF001 - the recording lock
                connection.send(sum(1 for call in fake.sent if call.method == "sendMessage"))
        if command == "counts":  # successful sendMessage calls per chat, then forget them
            with fake._lock:  # noqa: SLF001 - the recording lock
                counts = Counter(call.chat_id for call in fake.sent if call.method == "sendMessage")
                rejected = sum(1 for call in fake.rejected if call.status == 429)
            fake.clear()
            connection.send((dict(counts), rejected))


@dataclass
class _Server:
    process: multiprocessing.process.BaseProcess
    connection: Connection
    port: int

    def counts(self) -> tuple[dict[int, int], int]:
        self.connection.send("counts")
        return self.connection.recv()

    def arrived(self) -> int:
        self.connection.send("arrived")
        return self.connection.recv()

    def stop(self) -> None:
        self.connection.send("stop")
        self.connection.recv()
        self.process.join(10)


def _start_server(flood_rate: float, seed: int) -> _Server:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs, flood_rate, seed), daemon=True)
    process.start()
    return _Server(process, ours, ours.recv())


def _keys(subscribers: int) -> list[str]:
    """The subscribers' user keys (private chats, so the chat id is the number)."""
    return [f"tg:{1_000_000 + number}" for number in range(subscribers)]


def _enqueue_day(store: Any, keys: list[str], now: datetime) -> float:
    """Queue `now`'s local day's push for every key, due at the top of the hour; returns seconds taken."""
    slot = now.replace(minute=0)
    day = (now + timedelta(hours=8)).date().isoformat()  # the day in ZONE (UTC+8)
    began = time.perf_counter()
    for key in keys:
        store.enqueue(key, "daily", {"day": day}, slot)
    return time.perf_counter() - began


def _tally(server: _Server, keys: list[str]) -> tuple[int, int, int]:
    """(lost, duplicated, 429s) of the run the fake server has just seen; its record is then cleared."""
    counts, rejected = server.counts()
    lost = sum(1 for key in keys if counts.get(int(key[3:]), 0) == 0)
    duplicated = sum(max(0, n - 1) for n in counts.values())
    return lost, duplicated, rejected


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    with open("/proc/self/status", encoding="ascii") as status:
        current = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
    return current / 1024.0, peak


async def _deliver_all(application: Any, now: datetime, retry_wait: float) -> tuple[int, float, float]:
    """Pass over the outbox until nothing is pending; returns (sent, busy seconds, wall seconds)."""
    from ..telegram.outbox import deliver_pending

    store = application.bot_data["engine"].store
    sent, busy, start = 0, 0.0, time.perf_counter()
    for _ in range(50):
        began = time.perf_counter()
        sent += await deliver_pending(application, now=now)
        busy += time.perf_counter() - began
        if not await asyncio.to_thread(store.pending, now):
            break
        await asyncio.sleep(retry_wait)  # flood control said: retry after this long
    return sent, busy, time.perf_counter() - start


async def _bare_sends(application: Any, chat_ids: list[int], senders: int) -> tuple[int, float]:
    """Send one plain message to each chat with `senders` at once; returns (sent, seconds)."""
    from telegram.error import RetryAfter

    queue: asyncio.Queue[int] = asyncio.Queue()
    for chat_id in chat_ids:
        queue.put_nowait(chat_id)
    sent = 0

    async def sender() -> None:
        nonlocal sent
        while not queue.empty():
            chat_id = queue.get_nowait()
            try:
                await application.bot.send_message(chat_id, BARE_TEXT)
            except RetryAfter:
                queue.put_nowait(chat_id)  # flood control: again later, without waiting it out
                continue
            sent += 1

    began = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        for _ in range(senders):
            tasks.create_task(sender())
    return sent, time.perf_counter() - began


async def _watch(server: _Server, description: str, total: int, progress: Report, stop: asyncio.Event) -> None:
    """Report the messages the fake server has received until `stop` is set, then once more."""
    while True:
        stopping = stop.is_set()
        progress(description, min(total, await asyncio.to_thread(server.arrived)), total)
        if stopping:
            return
        try:
            await asyncio.wait_for(stop.wait(), POLL_S)
        except TimeoutError:
            pass


async def _deliver_watched(
    application: Any, server: _Server, now: datetime, retry_wait: float, description: str, total: int,
    progress: Report | None,
) -> tuple[int, float, float]:
    """`_deliver_all`, with the arrivals reported while it runs (when there is a `progress`)."""
    if progress is None:
        return await _deliver_all(application, now, retry_wait)
    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch(server, description, total, progress, stop))
    try:
        return await _deliver_all(application, now, retry_wait)
    finally:
        stop.set()
        await watcher  # let its question to the server finish: the pipe is used next


async def _run(
    engine: Any, server: _Server, subscribers: int, limited: bool, retry_wait: float, progress: Report | None = None
) -> dict[str, Any]:
    from ..telegram.app import build_application

    token = _fake_api().DEFAULT_TOKEN

    store = engine.store
    keys = _keys(subscribers)
    if progress:
        progress("setting up the subscribers", 0, None)
    started = time.perf_counter()
    for key in keys:
        store.update_user(key, daily_time=DAILY_AT, timezone=ZONE)
    setup_s = time.perf_counter() - started

    figures: dict[str, Any] = {"subscribers": subscribers, "setup_s": round(setup_s, 2)}
    runs = [("unlimited", False, DAY0)] + ([("limited", True, DAY0 + timedelta(days=1))] if limited else [])
    lost = duplicated = 0
    sent_total = 0
    for name, rate_limit, now in runs:
        application = build_application(engine, token, base_url=f"http://127.0.0.1:{server.port}/bot",
                                        rate_limit=rate_limit)
        await application.initialize()
        try:
            if not rate_limit:
                from ..telegram.outbox import senders_for

                bare_sent, bare_s = await _bare_sends(application, [int(key[3:]) for key in keys],
                                                      senders_for(application))
                server.counts()  # forget them: the push run is counted on its own
                figures["bare_msgs_per_s"] = round(bare_sent / bare_s, 1) if bare_s else 0.0
            enqueue_s = _enqueue_day(store, keys, now)
            label = "push, rate limiter on" if rate_limit else "push, rate limiter off"
            sent, busy, wall = await _deliver_watched(application, server, now, retry_wait, label, subscribers, progress)
        finally:
            await application.shutdown()
        run_lost, run_duplicated, rejected = _tally(server, keys)
        lost, duplicated, sent_total = lost + run_lost, duplicated + run_duplicated, sent_total + sent
        figures[f"{name}_enqueue_s"] = round(enqueue_s, 2)
        figures[f"{name}_429s"] = rejected
        if name == "unlimited":
            figures["push_msgs_per_s"] = round(sent / busy, 1) if busy else 0.0
            bare = figures["bare_msgs_per_s"]
            figures["push_ratio"] = round(figures["push_msgs_per_s"] / bare, 3) if bare else 0.0
            figures["unlimited_wall_s"] = round(wall, 2)
        else:
            figures["limited_total_s"] = round(wall, 2)
            figures["floor_s"] = round(subscribers / FLOOR_RATE, 2)
            figures["limited_ratio"] = round(wall / figures["floor_s"], 3)
    figures.update(sent=sent_total, lost=lost, duplicated=duplicated)
    return figures


def run_push_bench(
    app: _App, *, subscribers: int, flood_rate: float = 0.05, limited: bool = True, database: str | None = None,
    seed: int = 7, progress: Report | None = None, workers: int = 1,
) -> dict[str, Any]:
    """Run the bench (see the module's docstring) and return its figures.

    With `progress`, the messages that have arrived are reported twice a second during each run
    (None: the fake server is not asked, so nothing but the push path runs). `workers` > 1 adds the
    runs of that many worker processes (`push_workers.PushTeam`; `database` must then be an
    empty PostgreSQL database). Raises `FakeApiMissing` if the fake server cannot be imported,
    `ValueError` if `workers` and `database` do not fit (`push_workers.workers_problem`), and
    `push_workers.WorkerFailed` if a worker process fails."""
    from ..cli.common import build_engine
    from ..storage import Store
    from .push_workers import workers_problem

    problem = workers_problem(workers, database)
    if problem:
        raise ValueError(problem)
    _fake_api()  # here, before its process starts, so that a missing server is said plainly

    # Every injected 429 would log a line; the figures say how many there were.
    for name in ("bot.telegram.outbox", "bot.telegram.ratelimit"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if progress:
        progress("starting the fake Bot API server, loading the model", 0, None)
    server = _start_server(flood_rate, seed)
    try:
        with tempfile.TemporaryDirectory(prefix="mockbot-bench-") as folder:
            url = database or f"sqlite:///{Path(folder) / 'push.sqlite3'}"
            with Store.open(url) as store:
                started = time.perf_counter()
                engine = build_engine(app, store, seed=seed)
                engine.grader.grade(_any_reference(engine), "预热")  # load the model, as a running bot has it
                load_s = time.perf_counter() - started
                figures = asyncio.run(_run(engine, server, subscribers, limited, retry_wait=1.0, progress=progress))
                current, peak = _rss_mb()
                if workers > 1:
                    _worker_runs(app, url, store, server, figures, workers, limited, seed, progress)
    finally:
        server.stop()
    figures.update(
        flood_rate=flood_rate, model_load_s=round(load_s, 2), rss_mb=round(current, 1), peak_rss_mb=round(peak, 1),
        database="sqlite" if database is None else database.split(":", 1)[0], cores=os.cpu_count(), workers=workers,
    )
    return figures


def _worker_runs(
    app: _App, url: str, store: Any, server: _Server, figures: dict[str, Any], workers: int, limited: bool, seed: int,
    progress: Report | None,
) -> None:
    """The runs of `workers` worker processes (days 2 and 3), their figures added to `figures`."""
    from .push_workers import PushTeam

    keys = _keys(figures["subscribers"])
    runs = [("workers_unlimited", False, DAY0 + timedelta(days=2))]
    runs += [("workers_limited", True, DAY0 + timedelta(days=3))] if limited else []
    if progress:
        progress(f"starting {workers} workers", 0, None)
    base_url = f"http://127.0.0.1:{server.port}/bot"
    with PushTeam(app, url, workers=workers, base_url=base_url, token=_fake_api().DEFAULT_TOKEN,
                  runs=[(rate_limit, now) for _, rate_limit, now in runs], seed=seed) as team:
        figures["workers_load_s"] = round(team.load_s, 2)
        for name, rate_limit, now in runs:
            figures[f"{name}_enqueue_s"] = round(_enqueue_day(store, keys, now), 2)
            label = f"{workers} workers, rate limiter {'on' if rate_limit else 'off'}"
            show = None if progress is None else functools.partial(_show_arrived, server, label, len(keys), progress)
            run = team.run(show)
            lost, duplicated, rejected = _tally(server, keys)
            figures.update(sent=figures["sent"] + run.sent, lost=figures["lost"] + lost,
                           duplicated=figures["duplicated"] + duplicated)
            figures[f"{name}_429s"] = rejected
            figures[f"{name}_sent_by_worker"] = run.sent_by_worker
            if rate_limit:
                floor = len(keys) / FLOOR_RATE
                figures.update(workers_limited_total_s=round(run.wall_s, 2), floor_s=round(floor, 2),
                               workers_limited_ratio=round(run.wall_s / floor, 3))
            else:
                rate = round(run.sent / run.busy_s, 1) if run.busy_s else 0.0
                one = figures["push_msgs_per_s"]
                figures.update(workers_msgs_per_s=rate, workers_ratio=round(rate / one, 3) if one else 0.0,
                               workers_unlimited_busy_s=round(run.busy_s, 2),
                               workers_unlimited_wall_s=round(run.wall_s, 2))
    figures["worker_peak_rss_mb"] = round(team.peak_rss_mb or 0.0, 1)


def _show_arrived(server: _Server, description: str, total: int, progress: Report) -> None:
    progress(description, min(total, server.arrived()), total)


def _any_reference(engine: Any) -> Any:
    from ..grading_app import reference_for

    return reference_for(next(q for q in engine.bank.questions if q.answered))
