"""Daily pushes under faults: a SIGKILL in the middle of a push run, and a 429 storm.

Every subscriber must get today's question exactly once: no gap, no duplicate.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bot_process import TOKEN, BotProcess

from bot.engine import PracticeEngine
from bot.storage import Store
from bot.telegram import outbox
from bot.telegram.app import build_application
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi
from questions.bank import Bank
from questions.taxonomy import Taxonomy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

FIRST_CHAT = 7_000_001


def _zone_past_its_slot(daily_time: str = "00:30") -> str:
    """A time zone where `daily_time` has passed today and today lasts another hour at least."""
    for zone in ("UTC", "Asia/Shanghai", "America/New_York", "Asia/Tokyo", "Europe/Berlin"):
        local = datetime.now(ZoneInfo(zone))
        if "01:00" <= local.strftime("%H:%M") <= "22:59":
            return zone
    raise AssertionError("no zone found")  # impossible: these zones span more than 2 hours


def _subscribe(database_url: str, count: int) -> list[int]:
    zone = _zone_past_its_slot()
    chats = [FIRST_CHAT + number for number in range(count)]
    with Store.open(database_url) as store:
        for chat in chats:
            store.update_user(f"tg:{chat}", daily_time="00:30", timezone=zone)
    return chats


def _pushes(fake: FakeBotApi, chats: list[int]) -> Counter[int]:
    wanted = set(chats)
    return Counter(c.chat_id for c in fake.sent if c.method == "sendMessage" and c.chat_id in wanted)


def _refused(fake: FakeBotApi) -> int:
    return sum(1 for call in fake.rejected if call.status == 429)


def _wait(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_sigkill_mid_push_run_resumes_without_gaps_or_duplicates(tmp_path: Path, database_url: str) -> None:
    chats = _subscribe(database_url, 40)
    delivered_before_crash = 10
    with FakeBotApi(token=TOKEN) as fake, BotProcess(tmp_path, fake, database_url) as bot:
        # The bot starts, finds today's pushes missed and sends them; after 10 the network stalls
        # with one send in flight per sender, and the process is killed right there: the held
        # sends never reach the server, so after a restart they must be sent, and only they.
        fake.hold("sendMessage", after=delivered_before_crash)
        bot.start(wait=False)
        senders = outbox.PACED_CONCURRENCY  # `mockbot run` paces its requests
        _wait(lambda: fake.held == senders, 90, f"{senders} held sends")
        with Store.open(database_url) as store:  # the accepted ones are recorded within milliseconds
            _wait(lambda: len(store.pending(datetime.now(timezone.utc))) == len(chats) - delivered_before_crash,
                  10, "the delivered pushes to be marked sent")
        bot.kill()
        fake.release()
        _wait(lambda: len(fake.dropped) == senders, 10, "the killed bot's sends to be dropped")
        assert sum(_pushes(fake, chats).values()) == delivered_before_crash

        bot.start()
        _wait(lambda: len(_pushes(fake, chats)) == len(chats), 60, f"every subscriber's push\n{bot.log()}")
        time.sleep(1.0)  # anything sent twice would arrive by now
        counts = _pushes(fake, chats)
        assert sorted(counts) == chats and set(counts.values()) == {1}, counts
    with Store.open(database_url) as store:
        assert store.pending(datetime.now(timezone.utc)) == []


@contextmanager
def _engine(database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    store = Store.open(database_url)
    try:
        yield PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(3))
    finally:
        store.close()


def test_a_429_storm_delays_pushes_but_loses_or_doubles_none(
    database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    chats = _subscribe(database_url, 40)
    with _engine(database_url, bank, grader, taxonomy) as engine, FakeBotApi(seed=11) as fake:
        fake.flood_rate = 0.6  # most sends are refused at first
        fake.fail_next("sendMessage", times=3, status=502)
        with ApplicationThread(build_application(engine, fake.token, base_url=fake.base_url)) as running:
            _wait(lambda: _refused(fake) >= 20, 60, "20 sends refused with 429")
            fake.flood_rate = 0.0  # the storm is over: retries finish the job
            for _ in range(20):
                running.run(outbox.deliver_pending(running.application))
                if not engine.store.pending(datetime.now(timezone.utc)):
                    break
                running.run(asyncio.sleep(1.0))
            counts = _pushes(fake, chats)
            assert sorted(counts) == chats and set(counts.values()) == {1}, counts
        assert engine.store.pending(datetime.now(timezone.utc)) == []


def test_a_user_who_blocked_the_bot_is_given_up_on_and_the_others_get_their_push(
    database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    chats = _subscribe(database_url, 5)
    with _engine(database_url, bank, grader, taxonomy) as engine, FakeBotApi() as fake:
        fake.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
        with ApplicationThread(build_application(engine, fake.token, base_url=fake.base_url)):
            _wait(lambda: len(_pushes(fake, chats)) == len(chats) - 1, 30, "the other pushes")
            _wait(lambda: not engine.store.pending(datetime.now(timezone.utc)), 10, "the blocked push to be closed")
        assert set(_pushes(fake, chats).values()) == {1}
        assert [c.status for c in fake.rejected if c.method == "sendMessage"] == [403]  # tried once only
