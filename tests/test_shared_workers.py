"""Two bot applications sharing one PostgreSQL database (`build_application(..., shared=True)`), each
serving a webhook, with the fake Bot API spreading updates over both as a load balancer would:
one chat's messages joined into one answer whichever worker got each, an update delivered twice
handled once, daily pushes and round timers as job rows that either worker runs, and a round that
goes on when the worker that started it stops."""

from __future__ import annotations

import random
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from bot.engine import PracticeEngine
from bot.engine.rounds import MIN_SECONDS
from bot.storage import Store
from bot.telegram import coordination
from bot.telegram.app import build_application
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall
from questions.bank import Bank
from questions.taxonomy import Taxonomy

# Several bot workers under load: never at the same time as the other module doing so (pytest -n).
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.xdist_group("workers")]

CHAT = 5151
GROUP = -100777
WINDOW = 1.5  # seconds: the answer window, long enough for a message to reach the other worker
WAIT = 30.0
T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Workers:
    """Two applications on one database, each with its own Store and webhook port."""

    def __init__(self, fake: FakeBotApi, url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> None:
        self.fake = fake
        self.stack = ExitStack()
        self.threads: list[ApplicationThread] = []
        self.stores: list[Store] = []
        targets = []
        for number in range(2):
            store = self.stack.enter_context(Store.open(url))
            engine = PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(number))
            application = build_application(engine, fake.token, base_url=fake.base_url, answer_window=WINDOW, shared=True)
            port = _free_port()
            thread = ApplicationThread(application, webhook=(port, "hook"))
            thread.start()
            self.stack.callback(thread.stop)
            self.threads.append(thread)
            self.stores.append(store)
            targets.append(f"http://127.0.0.1:{port}/hook")
        fake.deliver_by_webhook(targets, retry_delay=0.1)

    @property
    def store(self) -> Store:
        return self.stores[0]

    def close(self) -> None:
        self.fake.stop_webhook_delivery()
        self.stack.close()


@pytest.fixture()
def workers(bank: Bank, grader: Grader, taxonomy: Taxonomy, postgres_database_url: str) -> Iterator[Workers]:
    with FakeBotApi() as fake:
        running = Workers(fake, postgres_database_url, bank, grader, taxonomy)
        try:
            yield running
        finally:
            running.close()


def _to(chat: int, text: str) -> object:
    return lambda c: c.chat_id == chat and c.method == "sendMessage" and text in (c.text or "")


def _question(fake: FakeBotApi, since: int) -> SentCall:
    return fake.wait_for(lambda c: c.chat_id == CHAT and "[0" in (c.text or "") and bool(c.buttons), WAIT, since=since)


def test_each_worker_coordinates_through_the_database(workers: Workers) -> None:
    for thread in workers.threads:
        assert coordination.coordination_of(thread.application) is not None
    owners = {coordination.coordination_of(t.application).owner for t in workers.threads}  # type: ignore[union-attr]
    assert len(owners) == 2


def test_messages_of_one_answer_are_joined_across_workers(workers: Workers, bank: Bank) -> None:
    fake = workers.fake
    mark = len(fake.calls)
    fake.send_text(CHAT, CHAT, "/question")
    asked = _question(fake, mark)
    question_id = re.search(r"\[([0-9a-f-]+)\]", asked.text or "").group(1)  # type: ignore[union-attr]
    points = bank.get(question_id).point_texts  # type: ignore[union-attr]
    mark = len(fake.calls)
    fake.send_text(CHAT, CHAT, points[0])
    fake.send_text(CHAT, CHAT, "\n".join(points[1:]) or "还有别的吗")
    feedback = fake.wait_for(_to(CHAT, "合并"), WAIT, since=mark)
    assert "2" in (feedback.text or "")
    fake.wait_for_webhook_idle(WAIT)
    attempts = workers.store.attempts(f"tg:{CHAT}")
    assert len(attempts) == 1 and attempts[0].question_id == question_id
    assert _eventually(lambda: workers.store.jobs("answer:") == [] or None) is True  # graded and gone


def test_an_update_delivered_again_to_the_other_worker_is_handled_once(workers: Workers) -> None:
    fake = workers.fake
    mark = len(fake.calls)
    raw = {"message": {
        "message_id": 900, "date": int(time.time()), "text": "/help",
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        "chat": {"id": CHAT, "type": "private", "first_name": "Alice"},
        "from": {"id": CHAT, "is_bot": False, "first_name": "Alice"},
    }}  # fmt: skip
    update_id = fake.push_update(raw)
    fake.wait_for_webhook_idle(WAIT)
    fake.push_update(raw, update_id=update_id)  # Telegram sends it again: round robin, the other worker
    fake.wait_for_webhook_idle(WAIT)
    fake.send_text(CHAT, CHAT, "/lang en")  # a later update of the chat: handled after the repeat
    fake.wait_for(lambda c: c.chat_id == CHAT and c.method == "sendMessage" and "English" in (c.text or ""), WAIT, since=mark)
    helps = [c for c in fake.calls[mark:] if c.method == "sendMessage" and c.chat_id == CHAT and "/question" in (c.text or "") and "/lang" in (c.text or "")]
    assert len(helps) == 1, [c.summary() for c in fake.calls[mark:]]
    assert workers.store.update_seen(update_id)


def _zone_past(daily_time: str = "00:30") -> str:
    """A time zone where `daily_time` has passed today and today lasts another hour at least."""
    for zone in ("UTC", "Asia/Shanghai", "America/New_York", "Asia/Tokyo", "Europe/Berlin"):
        if "01:00" <= datetime.now(ZoneInfo(zone)).strftime("%H:%M") <= "22:59":
            return zone
    raise AssertionError("no zone found")


def test_daily_pushes_are_job_rows_any_worker_runs(workers: Workers) -> None:
    fake = workers.fake
    zone = _zone_past()
    mark = len(fake.calls)
    fake.send_text(CHAT, CHAT, f"/daily 00:30 {zone}")
    fake.wait_for(_to(CHAT, "00:30"), WAIT, since=mark)
    key = f"tg:{CHAT}"
    job = workers.store.job(f"daily:{key}")
    assert job is not None and job.kind == "daily" and job.payload == {"key": key}
    local = job.due_at.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 30)  # tomorrow's: today's has passed
    assert timedelta(0) < job.due_at - datetime.now(timezone.utc) <= timedelta(hours=24)
    for thread in workers.threads:  # the timers are rows, not PTB jobs
        assert not thread.application.job_queue.get_jobs_by_name(f"daily:{key}")

    mark = len(fake.calls)  # as if the bot had been down at today's slot: the job is overdue
    workers.store.schedule_job(job.name, "daily", datetime.now(timezone.utc) - timedelta(hours=1), job.payload)
    fake.wait_for(lambda c: c.chat_id == CHAT and "[0" in (c.text or "") and bool(c.buttons), WAIT, since=mark)
    deadline = time.monotonic() + 5
    again = workers.store.job(job.name)
    while time.monotonic() < deadline and (again is None or again.claimed_by is not None):
        time.sleep(0.1)  # the run ends: the job is left for tomorrow's slot, unclaimed
        again = workers.store.job(job.name)
    assert again is not None and again.claimed_by is None and again.due_at == job.due_at
    time.sleep(2.5)  # two polls of each worker: nothing more is sent
    pushes = [c for c in fake.calls[mark:] if c.method == "sendMessage" and c.chat_id == CHAT and "[0" in (c.text or "")]
    assert len(pushes) == 1
    assert workers.store.pending(datetime.now(timezone.utc) + timedelta(days=2), user_key=key) == []  # marked sent


def _eventually(look: Callable[[], T | None], timeout: float = 5.0) -> T | None:
    """What `look` returns once it is not None (None if it stays so for `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while (found := look()) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _said(fake: FakeBotApi) -> list[str]:
    kinds = []
    for call in fake.sent:
        if call.chat_id != GROUP or call.method != "sendMessage":
            continue
        text = call.text or ""
        if found := re.search(r"模拟面试 第 (\d+)/(\d+) 题", text):
            kinds.append(f"q{found.group(1)}")
        elif found := re.search(r"第 (\d+) 题结束", text):
            kinds.append(f"r{found.group(1)}")
        elif "排行榜" in text:
            kinds.append("board")
    return kinds


def test_a_round_goes_on_when_the_worker_running_its_timer_stops(workers: Workers, bank: Bank) -> None:
    fake = workers.fake
    fake.send_text(GROUP, 1, f"/mock 2 python {MIN_SECONDS}", first_name="Ann", chat_type="supergroup")
    fake.wait_for(lambda c: c.chat_id == GROUP and "第 1/2 题" in (c.text or ""), WAIT)
    (record,) = workers.store.active_rounds(f"tg:{GROUP}")
    job = _eventually(lambda: workers.store.job(f"round:{record.id}"))  # stored right after the post
    assert job is not None and job.kind == "round" and job.payload == {"round_id": record.id}
    workers.threads[0].stop()  # a clean stop: whatever it claimed goes back at once
    question = next(c for c in fake.sent if c.chat_id == GROUP and "第 1/2 题" in (c.text or ""))
    points = bank.get(record.question_ids[0]).point_texts  # type: ignore[union-attr]
    fake.send_text(GROUP, 2, "\n".join(points), first_name="Ben", chat_type="supergroup",
                   reply_to_message_id=question.message_id)
    fake.wait_for(lambda c: c.chat_id == GROUP and "排行榜" in (c.text or ""), 2 * MIN_SECONDS + WAIT)
    time.sleep(1.5)
    assert _said(fake) == ["q1", "r1", "q2", "r2", "board"]
    results = next(c for c in fake.sent if c.chat_id == GROUP and "第 1 题结束" in (c.text or ""))
    assert "Ben" in (results.text or "")
    assert workers.store.active_rounds(f"tg:{GROUP}") == []
    assert workers.store.jobs("round:") == []

