"""Group mock-interview rounds survive a crash: `mockbot run` as a real process, killed with
SIGKILL at chosen points (the fake Bot API holds the send the crash interrupts), then started
again. Every question and every question's results are posted exactly once, answers given before
the crash count, and the leaderboard comes once at the end. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from bot_process import TOKEN, BotProcess, until  # tests/ is on sys.path

from bot.engine.rounds import MIN_SECONDS
from bot.storage import RoundRecord, Store
from mockbot_testing.fake_api import FakeBotApi, SentCall
from questions.bank import Bank

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

GROUP = -1009876
CHAT_KEY = f"tg:{GROUP}"
ANN, BEN, CAI = 2001, 2002, 2003
NAMES = {ANN: "Ann", BEN: "Ben", CAI: "Cai"}
SECONDS = MIN_SECONDS  # per question: the shortest a round allows
WAIT = 30.0  # seconds to wait for one message (start-up, grading, a question's time)
QUESTION = re.compile(r"模拟面试 第 (\d+)/(\d+) 题")
RESULTS = re.compile(r"第 (\d+) 题结束")


@pytest.fixture()
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi(token=TOKEN) as server:
        yield server


@pytest.fixture()
def bot(tmp_path: Path, fake: FakeBotApi, database_url: str) -> Iterator[BotProcess]:
    with BotProcess(tmp_path, fake, database_url) as process:
        yield process


@pytest.fixture()
def store(bot: BotProcess, database_url: str) -> Iterator[Store]:
    """The bot's database, seen from the test (opened after the bot's first start migrated it)."""
    bot.start()
    opened = Store.open(database_url)
    yield opened
    opened.close()


# ---------------------------------------------------------------- what the group saw


def _said(fake: FakeBotApi) -> list[SentCall]:
    """The bot's messages to the group, in order."""
    return [c for c in fake.messages_to(GROUP) if c.method == "sendMessage"]


def _kind(call: SentCall) -> str:
    """A message's kind: "q1" (question 1 posted), "r1" (question 1's results), "board", "ack Ann"…"""
    text = call.text or ""
    if found := QUESTION.search(text):
        return f"q{found.group(1)}"
    if found := RESULTS.search(text):
        return f"r{found.group(1)}"
    if "排行榜" in text:
        return "board"
    if found := re.search(r"收到 (\w+) 的回答", text):
        return f"ack {found.group(1)}"
    return f"other: {text[:60]}"


def _kinds(fake: FakeBotApi) -> list[str]:
    return [_kind(call) for call in _said(fake)]


def _one(fake: FakeBotApi, kind: str) -> SentCall:
    """The only message of `kind` the group got (fails on none or several)."""
    found = [call for call in _said(fake) if _kind(call) == kind]
    assert len(found) == 1, f"{kind!r} posted {len(found)} times: {_kinds(fake)}"
    return found[0]


def _wait_said(fake: FakeBotApi, kind: str, timeout: float = WAIT) -> SentCall:
    fake.wait_for(lambda c: c.chat_id == GROUP and c.method == "sendMessage" and _kind(c) == kind, timeout)
    return _one(fake, kind)


# ---------------------------------------------------------------- acting in the group


def _round(store: Store) -> RoundRecord:
    (record,) = store.active_rounds(CHAT_KEY)
    return record


def _answer(fake: FakeBotApi, bank: Bank, record: RoundRecord, index: int, user: int, question: SentCall) -> None:
    """A member replies to the posted question (Ann: every key point, the others: the first one)
    and gets the bot's acknowledgement."""
    points = bank.get(record.question_ids[index]).point_texts  # type: ignore[union-attr]
    text = "\n".join(points) if user == ANN else points[0]
    fake.send_text(GROUP, user, text, first_name=NAMES[user], reply_to_message_id=question.message_id)
    _wait_said(fake, f"ack {NAMES[user]}")


def _crash_at_next_send(bot: BotProcess, fake: FakeBotApi, timeout: float) -> None:
    """Once the bot's next sendMessage is held (`fake.hold` before), SIGKILL the bot while it
    waits for it and let the held call go: its client is gone, so it never takes effect (a
    message that never reached Telegram). The kill waits for the bot to confirm the updates it got,
    so that none comes again after the restart (which would only add a harmless reply)."""
    until(lambda: fake.held >= 1, timeout, "the bot's next sendMessage")
    until(lambda: fake.pending_updates == 0, 10.0, "the bot to confirm the updates it got")
    bot.kill()
    fake.release()
    until(lambda: "sendMessage" in fake.dropped, 10.0, "the held sendMessage to be dropped")


def _finished(store: Store) -> None:
    """The round has ended and every message of it was marked sent (the mark follows the send)."""
    assert store.active_rounds(CHAT_KEY) == []
    until(lambda: _pending_texts(store) == [], 10.0, "the round's messages to be marked sent")


def _pending_texts(store: Store) -> list[str]:
    now = datetime.now(timezone.utc) + timedelta(seconds=1)
    return [str(item.payload["text"]) for item in store.pending(now, kind="group", user_key=CHAT_KEY)]


# ---------------------------------------------------------------- the scenarios


def test_crash_between_closing_a_question_and_sending_its_results(
    bot: BotProcess, fake: FakeBotApi, store: Store, bank: Bank
) -> None:
    fake.send_text(GROUP, ANN, f"/mock 2 python {SECONDS}", first_name="Ann")
    first = _wait_said(fake, "q1")
    record = _round(store)
    _answer(fake, bank, record, 0, ANN, first)
    _answer(fake, bank, record, 0, BEN, first)

    fake.hold("sendMessage")  # question 1's results, when its time is up
    _crash_at_next_send(bot, fake, SECONDS + WAIT)
    assert _kinds(fake) == ["q1", "ack Ann", "ack Ben"]
    moved = _round(store)  # the crash came after the commit: round moved on, results queued
    assert (moved.current_index, moved.message_id, moved.deadline_at) == (1, None, None)
    (queued,) = _pending_texts(store)
    assert RESULTS.search(queued).group(1) == "1"  # type: ignore[union-attr]

    bot.start()  # the results go out, then question 2 is posted (before updates are handled)
    assert _kinds(fake) == ["q1", "ack Ann", "ack Ben", "r1", "q2"]
    results = _one(fake, "r1").text or ""
    assert "Ann" in results and "Ben" in results  # the answers given before the crash count
    second = _one(fake, "q2")
    reopened = _round(store)
    assert reopened.current_index == 1 and reopened.message_id == second.message_id
    assert reopened.deadline_at is not None and reopened.deadline_at > datetime.now(timezone.utc) + timedelta(seconds=SECONDS - 5)

    _answer(fake, bank, reopened, 1, CAI, second)
    _wait_said(fake, "board", SECONDS + WAIT)
    assert _kinds(fake) == ["q1", "ack Ann", "ack Ben", "r1", "q2", "ack Cai", "r2", "board"]
    board = _one(fake, "board").text or ""
    assert all(name in board for name in NAMES.values())
    assert "Cai" in (_one(fake, "r2").text or "")
    _finished(store)


def test_crash_between_starting_a_round_and_posting_its_first_question(
    bot: BotProcess, fake: FakeBotApi, store: Store, bank: Bank
) -> None:
    fake.hold("sendMessage")  # the first question
    fake.send_text(GROUP, ANN, f"/mock 1 python {SECONDS}", first_name="Ann")
    _crash_at_next_send(bot, fake, WAIT)
    assert _kinds(fake) == []
    record = _round(store)
    assert (record.current_index, record.message_id, record.deadline_at) == (0, None, None)

    started = datetime.now(timezone.utc)
    bot.start()  # the question is posted now, open for its full time
    assert _kinds(fake) == ["q1"]
    first = _one(fake, "q1")
    record = _round(store)
    assert record.message_id == first.message_id
    assert record.deadline_at is not None and record.deadline_at >= started + timedelta(seconds=SECONDS)

    _answer(fake, bank, record, 0, ANN, first)
    _wait_said(fake, "board", SECONDS + WAIT)
    assert _kinds(fake) == ["q1", "ack Ann", "r1", "board"]
    assert "Ann" in (_one(fake, "r1").text or "") and "Ann" in (_one(fake, "board").text or "")
    _finished(store)


def test_crash_while_a_question_is_open(bot: BotProcess, fake: FakeBotApi, store: Store, bank: Bank) -> None:
    fake.send_text(GROUP, ANN, f"/mock 1 python {SECONDS}", first_name="Ann")
    first = _wait_said(fake, "q1")
    record = _round(store)
    _answer(fake, bank, record, 0, ANN, first)
    _answer(fake, bank, record, 0, BEN, first)
    deadline = _round(store).deadline_at

    until(lambda: fake.pending_updates == 0, 10.0, "the bot to confirm the updates it got")
    bot.kill()  # idle, mid-question
    bot.start()  # the timer is rebuilt: the question closes at its old deadline
    assert _kinds(fake) == ["q1", "ack Ann", "ack Ben"]
    assert _round(store).deadline_at == deadline

    _wait_said(fake, "board", SECONDS + WAIT)
    assert _kinds(fake) == ["q1", "ack Ann", "ack Ben", "r1", "board"]
    results = _one(fake, "r1").text or ""
    assert "Ann" in results and "Ben" in results
    _finished(store)


def test_a_question_is_closed_once_with_its_messages_in_order(database_url: str) -> None:
    """The store side of closing: the round moves on and its messages are queued in one
    transaction, in order; closing the same question again (a second timer, a repeated step)
    changes and queues nothing, and neither does anything after the round has ended."""
    now = datetime.now(timezone.utc)
    with Store.open(database_url) as store:
        record = store.create_round(CHAT_KEY, "tg:1", ["q-a", "q-b"], seconds=SECONDS, message_id=7, now=now)
        moved = store.advance_round(record.id, ["results 1"], now=now, expected_index=0, current_index=1, message_id=None)
        assert moved is not None and (moved.current_index, moved.message_id) == (1, None)
        assert store.advance_round(record.id, ["results 1 again"], now=now, expected_index=0, current_index=1) is None
        ended = store.advance_round(record.id, ["results 2", "board"], now=now, expected_index=1, state=1)
        assert ended is not None and ended.state == 1
        assert store.advance_round(record.id, ["late"], now=now, state=2) is None
        queued = store.pending(now + timedelta(seconds=1), kind="group", user_key=CHAT_KEY)
        assert [item.payload["text"] for item in queued] == ["results 1", "results 2", "board"]
        assert len({item.due_at for item in queued}) == 3
        with pytest.raises(KeyError):
            store.advance_round(record.id + 1, ["x"], now=now)
