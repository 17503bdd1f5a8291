"""Telegram under the failures real bots meet: lengths in UTF-16 units, one send policy for every
call (5xx retried, 4xx never, gone chats unsubscribed), a second instance with the same token,
outbox rows claimed by one process only, and small inputs (a full-width colon, an over-long time
zone, an answer in several messages, a late reply in a group). The real PTB Application over
HTTP against the fake Bot API server; storage on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import logging
import random
import sqlite3
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from bot_process import TOKEN, BotProcess, until

from bot.engine import PracticeEngine
from bot.storage import Store
from bot.storage.rounds import claim_owner
from bot.telegram import outbox, send
from bot.telegram.app import build_application
from bot.telegram.render import MAX_MESSAGE, utf16_length, visible_length
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall
from questions.bank import Bank, load_bank
from questions.taxonomy import Taxonomy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CHAT = 5151  # a private chat: chat id == user id
KEY = f"tg:{CHAT}"
GROUP = -1005151
FAST = 0.2  # seconds: the answer window where a test sends one message per answer


def _engine(db: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> PracticeEngine:
    return PracticeEngine(Store.open(db), bank, grader, taxonomy, rng=random.Random(7))


@pytest.fixture()
def engine(database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    built = _engine(database_url, bank, grader, taxonomy)
    yield built
    built.store.close()


def _bot(fake: FakeBotApi, engine: PracticeEngine, *, window: float = FAST, paced: bool = True) -> ApplicationThread:
    application = build_application(engine, fake.token, base_url=fake.base_url, answer_window=window, rate_limit=paced)
    return ApplicationThread(application)


def _to_chat(call: SentCall) -> bool:
    return call.chat_id == CHAT and call.method in ("sendMessage", "sendPhoto", "editMessageText")


def _reply(fake: FakeBotApi, since: int, text: str = "") -> SentCall:
    return fake.wait_for(lambda c: _to_chat(c) and text in (c.text or ""), 20.0, since=since)


def _shown(call: SentCall) -> str:
    """What the user sees of a message (the fake answers with the parsed text)."""
    return str(call.result["text"])


def test_a_push_pass_that_finds_the_database_busy_stops_with_one_warning_and_the_push_goes_later(
    fake: FakeBotApi, engine: PracticeEngine, database_url: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if not database_url.startswith("sqlite:///"):
        pytest.skip("SQLite only: another connection holds the file's write lock")
    monkeypatch.setattr(send, "BACKOFF", 0.01)
    engine.subscribe(KEY, "00:30", _zone_past_its_slot())
    fake.fail_next("sendMessage", times=send.RETRIES + 1, status=502)  # the start-up pass leaves it pending
    with _bot(fake, engine) as running:
        until(lambda: any(item.attempts for item in _pending(engine)), 20.0, "the failed try to be counted")
        # The failed try is stored before the start-up pass ends; a pass asked for meanwhile would
        # only ask that one to look again, after the lock below is gone.
        until(lambda: not outbox.pass_running(running.application), 20.0, "the start-up pass to end")
        blocker = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0.1)
        blocker.execute("BEGIN IMMEDIATE")  # holds the write lock: the pass can read, not claim
        caplog.clear()  # the start-up pass's warning about the 502
        try:
            with caplog.at_level(logging.WARNING, logger="bot.telegram.outbox"):
                assert running.run(outbox.deliver_pending(running.application)) == 0  # no exception
        finally:
            blocker.rollback()
            blocker.close()
        said = [r.getMessage() for r in caplog.records if r.name == "bot.telegram.outbox"]
        assert len(said) == 1 and said[0].startswith("push pass stopped early, 1 pushes wait for the next pass"), said
        assert "database is locked" in said[0]
        assert len(_pending(engine)) == 1  # nothing lost
        running.run(outbox.deliver_pending(running.application))  # the next pass
        until(lambda: not _pending(engine), 20.0, "the push to be sent")
    assert len([c for c in fake.sent if c.chat_id == CHAT]) == 1


# ---------------------------------------------------------------- 6. lengths in UTF-16 units


def _math_bank(folder: Path, taxonomy: Taxonomy) -> tuple[Bank, list[str]]:
    """A bank of one question whose reference is 100 lines of mathematical letters: about 2,600
    characters, but 4,600 UTF-16 units (each 𝑥 and 𝜃 counts two)."""
    lines = [f"第{n}步：" + "𝑥𝜃" * 10 for n in range(1, 101)]
    entry = {"id": "custom-math", "topic": "ml", "question": "写出推导的每一步？", "answer": "\n".join(lines)}
    (folder / "custom.yaml").write_text(yaml.safe_dump({"questions": [entry]}, allow_unicode=True), encoding="utf-8")
    return load_bank(folder, taxonomy), lines


def test_a_reference_over_the_limit_in_utf16_units_arrives_complete_in_parts(
    fake: FakeBotApi, database_url: str, grader: Grader, taxonomy: Taxonomy, tmp_path: Path
) -> None:
    bank, lines = _math_bank(tmp_path, taxonomy)
    answer = "\n".join(lines)
    assert len(answer) < MAX_MESSAGE < utf16_length(answer)
    engine = _engine(database_url, bank, grader, taxonomy)
    try:
        with _bot(fake, engine):
            mark = len(fake.calls)
            fake.send_text(CHAT, CHAT, "/question")
            _reply(fake, mark, "custom-math")
            mark = len(fake.calls)
            fake.send_text(CHAT, CHAT, "/answer")
            last = fake.wait_for(lambda c: _to_chat(c) and bool(c.buttons), 20.0, since=mark)  # buttons: the last piece
            parts = [c for c in fake.calls[mark:] if _to_chat(c) and c.time <= last.time]
    finally:
        engine.store.close()
    assert len(parts) >= 2 and not fake.rejected  # nothing refused as too long
    assert all(utf16_length(_shown(c)) <= MAX_MESSAGE and visible_length(c.text or "") <= MAX_MESSAGE for c in parts)
    received = "\n".join(_shown(c) for c in parts).splitlines()
    assert [line for line in received if line.startswith("第")] == lines  # every line, whole, in order


# ---------------------------------------------------------------- 7. one send policy


def test_one_502_never_loses_a_reply_of_any_kind(
    fake: FakeBotApi, engine: PracticeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send, "BACKOFF", 0.05)  # the policy's retry, quickly
    with _bot(fake, engine):
        for trigger, expect in (
            (lambda: fake.send_text(CHAT, CHAT, "/help"), "/question"),
            (lambda: fake.send_text(CHAT, CHAT, "/topics"), "主题"),
            (lambda: fake.send_sticker(CHAT, CHAT), "文字"),
            (lambda: fake.send_text(CHAT, CHAT, "/start"), "Choose your language"),
        ):
            fake.fail_next("sendMessage", status=502)
            mark, refused = len(fake.calls), len(fake.rejected)
            trigger()
            choose = _reply(fake, mark, expect)
            assert len(fake.rejected) == refused + 1  # it failed once and was sent again
        fake.fail_next("answerCallbackQuery", status=502)
        fake.fail_next("editMessageText", status=502)
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, choose.message_id, "lang:zh")  # onboarding: an answer and an edit
        assert "想练哪些主题" in fake.wait_for(lambda c: c.method == "editMessageText", 20.0, since=mark).text
        fake.wait_for(lambda c: c.method == "answerCallbackQuery", 20.0, since=mark)
    assert Counter(c.method for c in fake.rejected) == {"sendMessage": 4, "answerCallbackQuery": 1, "editMessageText": 1}


def test_a_400_is_sent_once_not_five_times(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        fake.fail_next("sendMessage", status=400, description="Bad Request: can't parse entities")
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/help")
        fake.send_text(CHAT, CHAT, "/help")  # handled after the first one is done with
        _reply(fake, mark, "/question")
    assert [(c.method, c.status) for c in fake.rejected] == [("sendMessage", 400)]
    assert len([c for c in fake.sent if c.chat_id == CHAT]) == 1


def _zone_past_its_slot() -> str:
    """A time zone where 00:30 has passed today and today lasts another hour at least."""
    for zone in ("UTC", "Asia/Shanghai", "America/New_York", "Asia/Tokyo", "Europe/Berlin"):
        if "01:00" <= datetime.now(ZoneInfo(zone)).strftime("%H:%M") <= "22:59":
            return zone
    raise AssertionError("no zone found")


def _pending(engine: PracticeEngine) -> list[object]:
    return engine.store.pending(datetime.now(timezone.utc))


@pytest.mark.parametrize(
    ("status", "description"),
    [(403, "Forbidden: bot was blocked by the user"), (400, "Bad Request: chat not found")],
)
def test_a_daily_push_to_a_gone_chat_ends_its_subscription_without_retries(
    fake: FakeBotApi, engine: PracticeEngine, status: int, description: str
) -> None:
    engine.subscribe(KEY, "00:30", _zone_past_its_slot())  # today's push is due: sent at start-up
    fake.fail_next("sendMessage", status=status, description=description)
    with _bot(fake, engine) as running:
        until(lambda: engine.store.user(KEY).daily_time is None, 20.0, "the subscription to end")
        until(lambda: not _pending(engine), 10.0, "the push to be closed")
        running.run(outbox.deliver_pending(running.application))  # a later pass: nothing to send
        jobs = running.application.job_queue.get_jobs_by_name(f"daily:{KEY}")
        assert all(job.removed for job in jobs)
    assert [(c.method, c.status) for c in fake.rejected] == [("sendMessage", status)]  # tried once
    assert not [c for c in fake.sent if c.chat_id == CHAT]


def test_a_daily_push_that_fails_transiently_stays_pending_and_goes_later(
    fake: FakeBotApi, engine: PracticeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send, "BACKOFF", 0.01)  # the policy's retries, quickly
    engine.subscribe(KEY, "00:30", _zone_past_its_slot())
    fake.fail_next("sendMessage", times=send.RETRIES + 1, status=502)  # every try of the start-up pass
    with _bot(fake, engine) as running:
        until(lambda: any(item.attempts for item in _pending(engine)), 20.0, "the failed try to be counted")
        assert engine.store.user(KEY).daily_time == "00:30"  # still subscribed
        running.run(outbox.deliver_pending(running.application))  # a retry pass (or the running one, once more)
        until(lambda: not _pending(engine), 20.0, "the push to be sent")
    assert len([c for c in fake.sent if c.chat_id == CHAT]) == 1


# ---------------------------------------------------------------- 8. one instance, one sender per row


def test_a_second_instance_stops_at_once_with_one_line_and_sends_nothing(
    tmp_path: Path, database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    with FakeBotApi(token=TOKEN) as fake, BotProcess(tmp_path, fake, database_url) as second:
        first_engine = _engine(database_url, bank, grader, taxonomy)
        try:
            with _bot(fake, first_engine):  # the first instance polls
                first_engine.store.update_user(KEY, language="zh")
                queued = first_engine.store.enqueue(KEY, outbox.BROADCAST, {"text": "hello"}, datetime.now(timezone.utc))
                mark = len(fake.calls)
                second.start(wait=False)
                assert second.process is not None and second.process.wait(90) == 1
                log = second.log()
                assert len([line for line in log.splitlines() if "409" in line]) == 1 and "Traceback" not in log, log
                assert {c.method for c in fake.calls[mark:]} <= {"getMe"}  # no menu, no push, nothing
                assert [item.id for item in first_engine.store.pending(datetime.now(timezone.utc))] == [queued.id]
                fake.send_text(CHAT, CHAT, "/help")  # the first instance carries on
                _reply(fake, mark, "/question")
        finally:
            first_engine.store.close()


def test_two_stores_on_one_database_never_claim_the_same_row(database_url: str) -> None:
    now = datetime.now(timezone.utc)
    lease = timedelta(minutes=10)
    with Store.open(database_url) as first, Store.open(database_url) as second:
        ids = [first.enqueue(f"tg:{900 + n}", outbox.BROADCAST, {"text": "x"}, now).id for n in range(60)]
        got: dict[str, set[int]] = {}
        start = threading.Barrier(2)

        def claim(store: Store, owner: str) -> None:
            start.wait()
            got[owner] = set()
            for offset in range(0, len(ids), 5):  # small chunks, interleaved with the other's
                got[owner] |= store.claim_pushes(ids[offset : offset + 10], owner, now, lease)

        owners = [claim_owner(), claim_owner()]
        pairs = zip((first, second), owners, strict=True)
        threads = [threading.Thread(target=claim, args=pair) for pair in pairs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not got[owners[0]] & got[owners[1]] and got[owners[0]] | got[owners[1]] == set(ids)

        held = sorted(got[owners[0]])[:3]
        assert second.claim_pushes(held, owners[1], now, lease) == set()  # still held by a live owner
        assert second.claim_pushes(held, owners[1], now + lease, lease) == set(held)  # the lease ran out


def test_a_dead_processs_claims_are_taken_over_and_a_live_ones_are_not(database_url: str) -> None:
    now = datetime.now(timezone.utc)
    lease = timedelta(minutes=10)
    host = claim_owner().split(":")[0]
    dead = f"{host}:{2**22 + 12345}:00000000"  # above Linux's pid_max: no such process
    with Store.open(database_url) as store:
        ids = [store.enqueue(f"tg:{800 + n}", outbox.BROADCAST, {"text": "x"}, now).id for n in range(4)]
        alive = claim_owner()
        assert store.claim_pushes(ids[:2], dead, now, lease) == set(ids[:2])
        assert store.claim_pushes(ids[2:], alive, now, lease) == set(ids[2:])
        assert store.claim_pushes(ids, claim_owner(), now, lease) == set(ids[:2])  # the dead one's only
        store.mark_failed(ids[2], "502")  # a failed send ends its claim
        assert store.claim_pushes(ids, claim_owner(), now, lease) == {ids[2]}


def test_two_processes_sharing_a_database_send_each_push_once(
    database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    now = datetime.now(timezone.utc)
    chats = [6_000_001 + n for n in range(40)]
    first, second = _engine(database_url, bank, grader, taxonomy), _engine(database_url, bank, grader, taxonomy)
    try:
        for chat in chats:
            first.store.update_user(f"tg:{chat}", language="zh")  # a broadcast goes to known users only
            first.store.enqueue(f"tg:{chat}", outbox.BROADCAST, {"text": f"news for {chat}"}, now)
        with FakeBotApi() as one, FakeBotApi() as other:
            one.delay = other.delay = 0.05  # both are still sending when the other starts
            with _bot(one, first), _bot(other, second):  # each delivers what is pending at start-up
                until(lambda: not first.store.pending(datetime.now(timezone.utc)), 60.0, "every push to be sent")
                time.sleep(0.5)  # anything sent twice would have arrived by now
            counts = Counter(c.chat_id for fake in (one, other) for c in fake.sent if c.method == "sendMessage")
    finally:
        first.store.close()
        second.store.close()
    assert sorted(counts) == chats and set(counts.values()) == {1}, counts


# ---------------------------------------------------------------- 9. small inputs


def test_daily_takes_a_full_width_colon_and_refuses_an_overlong_zone(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        for command, expect in (
            ("/daily 08：30 Asia/Shanghai", "08:30（Asia/Shanghai）"),
            ("/daily 08:00 " + "Area/" + "x" * 251, "不认识的时区"),
            ("/daily 08:00 Mars/Olympus", "不认识的时区"),
        ):
            mark = len(fake.calls)
            fake.send_text(CHAT, CHAT, command)
            assert expect in _reply(fake, mark).text, command
    assert engine.store.user(KEY).daily_time == "08:30" and engine.store.user(KEY).timezone == "Asia/Shanghai"


def test_an_answer_in_three_quick_messages_is_graded_once_as_one(fake: FakeBotApi, engine: PracticeEngine) -> None:
    fragments = ["训练时神经元以概率p保留，其余输出0。", "测试时不丢弃任何神经元。", "训练时把输出除以p，让期望一致。"]
    with _bot(fake, engine, window=2.0):
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/question 深度学习基础")
        _reply(fake, mark, "[0")
        engine._ask(KEY, engine.bank.get("000-93d25c"), now=datetime.now(timezone.utc))  # a known question (dropout)
        mark = len(fake.calls)
        for text in fragments:
            fake.send_text(CHAT, CHAT, text)
        feedback = _reply(fake, mark, "/100")
        fake.send_text(CHAT, CHAT, "/help")  # handled after the answer: anything else would have come by now
        _reply(fake, mark, "/question")
    assert "3 条消息已合并为一个回答" in feedback.text
    said = [c.text or "" for c in fake.calls[mark:] if _to_chat(c)]
    assert len([text for text in said if "/100" in text]) == 1 and not [t for t in said if "没有待回答" in t]
    (attempt,) = engine.store.attempts(KEY)
    assert attempt.answer == "\n".join(fragments)


def _round_message(engine: PracticeEngine, message_id: int) -> int:
    """The id of the running round once it has stored `message_id` as its question's message."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        running = engine.store.active_rounds(f"tg:{GROUP}")
        if running and running[0].message_id == message_id:
            return running[0].id
        time.sleep(0.05)
    raise AssertionError(f"the round never recorded message {message_id}")


def test_a_late_reply_in_a_group_is_told_the_question_closed(fake: FakeBotApi, engine: PracticeEngine) -> None:
    in_group: Callable[[SentCall], bool] = lambda c: c.chat_id == GROUP and c.method == "sendMessage"  # noqa: E731
    with _bot(fake, engine, paced=False) as running:  # not 20 messages a minute: the test is not about pacing
        mark = len(fake.calls)
        fake.send_text(GROUP, 1001, "/mock 1 python 60", first_name="Ann")
        question = fake.wait_for(lambda c: in_group(c) and "模拟面试 第 1/1 题" in (c.text or ""), 20.0, since=mark)
        round_id = _round_message(engine, question.message_id)  # type: ignore[arg-type]
        mark = len(fake.calls)
        jobs = running.application.job_queue.get_jobs_by_name
        until(lambda: jobs(f"round:{round_id}"), 10.0, "the question's timer")
        running.run(jobs(f"round:{round_id}")[0].run(running.application))  # the question's time is up
        fake.wait_for(lambda c: in_group(c) and "模拟面试结束" in (c.text or ""), 20.0, since=mark)
        mark = len(fake.calls)
        late = fake.send_text(GROUP, 1002, "我的回答", first_name="Ben", reply_to_message_id=question.message_id)
        note = fake.wait_for(in_group, 20.0, since=mark)
    assert "已经结束" in (note.text or "") and note.params.get("reply_parameters", {}).get("message_id") == late
    assert engine.store.round_answers(round_id) == []


def test_html_pieces_stay_valid_and_complete() -> None:
    from bot.telegram.render import split_text

    text = "<b>" + "粗体𝑥" * 50 + "</b>\n" + "&lt;普通&gt; 一句话。" * 400
    pieces = split_text(text, 500)
    assert len(pieces) > 2 and all(visible_length(p) <= 500 for p in pieces)
    for piece in pieces:  # balanced tags, whole entities
        assert piece.count("<b>") == piece.count("</b>") and not re.search(r"&[a-z]*$", piece)
    shown = "".join(html.unescape(re.sub(r"<[^>]*>", "", p)) for p in pieces)
    assert shown.replace("\n", "") == html.unescape(re.sub(r"<[^>]*>", "", text)).replace("\n", "")
