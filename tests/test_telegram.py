"""The Telegram front-end end to end: the real PTB Application over real HTTP against the local fake
Bot API server, the real engine, grader and database (a SQLite file, then PostgreSQL)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.engine import PracticeEngine
from bot.storage import Store
from bot.telegram import daily
from bot.telegram.app import build_application
from bot.telegram.render import split_text, visible_length
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall
from questions.bank import Bank
from questions.taxonomy import Taxonomy

CHAT = 4242  # a private chat: chat id == user id
DROPOUT = "000-93d25c"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture()
def db(database_url: str) -> str:
    return database_url


def _engine(db: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> PracticeEngine:
    return PracticeEngine(Store.open(db), bank, grader, taxonomy, rng=random.Random(5))


@pytest.fixture()
def engine(db: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    built = _engine(db, bank, grader, taxonomy)
    yield built
    built.store.close()


ANSWER_WINDOW = 0.2  # seconds: these tests send one message per answer, so joining them is not waited for


def _bot(fake: FakeBotApi, engine: PracticeEngine) -> ApplicationThread:
    return ApplicationThread(build_application(engine, fake.token, base_url=fake.base_url, answer_window=ANSWER_WINDOW))


def _to_chat(text: str | None = None) -> object:
    return lambda call: call.chat_id == CHAT and call.method in ("sendMessage", "sendPhoto", "editMessageText") and (
        text is None or (call.text or "").find(text) >= 0
    )


def _next(fake: FakeBotApi, since: int, text: str | None = None, timeout: float = 20.0) -> SentCall:
    return fake.wait_for(_to_chat(text), timeout, since=since)


def _question_message(fake: FakeBotApi, since: int) -> SentCall:
    return fake.wait_for(lambda c: c.chat_id == CHAT and "[0" in (c.text or "") and c.buttons, 20.0, since=since)


def test_commands_menu_is_registered(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        call = fake.wait_for(lambda c: c.method == "setMyCommands", 10.0)
    assert "question" in str(call.params.get("commands"))


def test_onboarding_language_topics_zone_and_daily_time(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine) as running:
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/start")
        choose = _next(fake, mark, "Choose your language")
        assert ("中文", "lang:zh") in choose.buttons
        for data, expect in (("lang:zh", "想练哪些主题"), ("topic:python", "✅ Python"), ("topic:done", "时区"), ("tz:Europe/Berlin", "几点")):
            mark = len(fake.calls)
            fake.press_button(CHAT, CHAT, choose.message_id, data)
            edited = fake.wait_for(lambda c: c.method.startswith("editMessage") and c.chat_id == CHAT, 10.0, since=mark)
            shown = (edited.text or "") + " ".join(label for label, _ in edited.buttons)
            assert expect in shown, shown
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, choose.message_id, "at:08:00")
        _next(fake, mark, "每天 08:00（Europe/Berlin）")
        question = _question_message(fake, mark)
        user = engine.store.user(f"tg:{CHAT}")
        assert (user.language, user.topics, user.timezone, user.daily_time) == ("zh", ("python",), "Europe/Berlin", "08:00")
        assert engine.bank.get(question.text.split("[")[1].split("]")[0]).topic == "python"
        jobs = running.application.job_queue.get_jobs_by_name(f"daily:tg:{CHAT}")
        assert len(jobs) == 1


def test_question_answer_feedback_and_every_button(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/question 深度学习基础")
        question = _question_message(fake, mark)
        asked = question.text.split("[")[1].split("]")[0]
        assert [data for _, data in question.buttons] == [f"hint|{asked}|0", f"answer|{asked}", f"skip|{asked}"]
        engine._ask(f"tg:{CHAT}", engine.bank.get(DROPOUT), now=datetime.now(timezone.utc))  # a known question

        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, question.message_id, "hint")  # no question named: the open one
        assert "提示" in _next(fake, mark).text

        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "训练时神经元以概率p保留，其余输出0。")
        feedback = _next(fake, mark, "/100")
        assert "✓" in feedback.text and "✗" in feedback.text  # names the missed points
        data_of = {data.split("|")[0]: data for _, data in feedback.buttons}
        assert {"next", "followup", "answer", "rate:hard", "rate:easy"} <= set(data_of)
        assert all(data.endswith(f"|{DROPOUT}") for data in data_of.values())

        for action, expect in (("rate:hard", "有点难"), ("rate:easy", "太简单"), ("answer", "参考答案"), ("followup", "追问")):
            mark = len(fake.calls)
            fake.press_button(CHAT, CHAT, feedback.message_id, data_of[action])
            assert expect in _next(fake, mark).text
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "训练时把保留下来的输出除以p，这样测试时就不用缩放。")
        assert "/100" in _next(fake, mark, "/100").text  # the follow-up answer is graded

        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, feedback.message_id, data_of["next"])
        nxt = _question_message(fake, mark)
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, nxt.message_id, nxt.buttons[-1][1])  # 跳过
        assert "已跳过" in _next(fake, mark).text
        _question_message(fake, mark)

        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/stats")
        photo = fake.wait_for(lambda c: c.method == "sendPhoto" and c.chat_id == CHAT, 20.0, since=mark)
        assert photo.photo and photo.photo.startswith(b"\x89PNG")


def test_non_text_edited_unknown_and_stray_answers(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "这是一个没有题目时的回答")
        assert "/question" in _next(fake, mark).text
        for send in (fake.send_sticker, fake.send_photo, fake.send_voice, fake.send_document):
            mark = len(fake.calls)
            send(CHAT, CHAT)
            assert "文字" in _next(fake, mark).text
        mark = len(fake.calls)
        message_id = fake.send_text(CHAT, CHAT, "/nosuchcommand")
        assert "/help" in _next(fake, mark).text
        mark = len(fake.calls)
        fake.edit_text(CHAT, CHAT, message_id, "改过的内容")
        assert "修改过的消息" in _next(fake, mark).text


def test_flood_control_retry_after_is_honoured(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        fake.fail_next("sendMessage", times=1, retry_after=1)
        start = time.monotonic()
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/help")
        reply = _next(fake, mark, "/question")
        assert time.monotonic() - start >= 1.0  # waited as told
        assert [r.method for r in fake.rejected] == ["sendMessage"]
        assert len([c for c in fake.sent if c.chat_id == CHAT]) == 1  # delivered once, not twice
        assert reply.text


def test_daily_push_fires_once_a_day_and_survives_a_restart(
    fake: FakeBotApi, db: str, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    first = _engine(db, bank, grader, taxonomy)
    key = f"tg:{CHAT}"
    now = datetime.now(timezone.utc)
    slot = (now - timedelta(minutes=5)).astimezone(timezone.utc)
    first.subscribe(key, slot.strftime("%H:%M"), "UTC")  # today's push time has just passed
    with _bot(fake, first):  # start-up: the missed push of today is sent
        pushed = _question_message(fake, 0)
        assert pushed.chat_id == CHAT
    first.store.close()
    count = len([c for c in fake.sent if c.chat_id == CHAT])

    second = _engine(db, bank, grader, taxonomy)
    try:
        with _bot(fake, second) as running:  # a restart the same day: nothing sent twice
            time.sleep(1.0)
            assert len([c for c in fake.sent if c.chat_id == CHAT]) == count
            job = running.application.job_queue.get_jobs_by_name(f"daily:{key}")[0]
            running.run(job.run(running.application))  # the job fires again today: still one push
            time.sleep(0.5)
            assert len([c for c in fake.sent if c.chat_id == CHAT]) == count
        tomorrow = now + timedelta(days=1)
        with _bot(fake, second) as running:
            running.run(daily._queue_and_deliver(running.application, key, now=tomorrow))  # noqa: SLF001
            assert len([c for c in fake.sent if c.chat_id == CHAT]) == count + 1  # next day's push
    finally:
        second.store.close()


def test_long_messages_are_split_under_the_limit() -> None:
    text = "\n".join("第%d行 &amp; 一些文字" % i for i in range(600))
    pieces = split_text(text, 4096)
    assert len(pieces) > 1 and all(visible_length(p) <= 4096 for p in pieces) and "".join(pieces).count("第") == 600
    assert all(p.count("&") == p.count("&amp;") for p in pieces)  # no entity cut in two


GROUP = -1001234
MEMBERS = {1001: "Ann", 1002: "Ben", 1003: "Cai"}


def _round_with_message(engine: PracticeEngine, message_id: int, timeout: float = 10.0):  # noqa: ANN202
    """The running round once the bot has stored the id of the question message it just sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        (record,) = engine.store.active_rounds(f"tg:{GROUP}")
        if record.message_id == message_id:
            return record
        time.sleep(0.05)
    raise AssertionError(f"the round never recorded message {message_id}")


def _said_in_group(call: SentCall) -> bool:
    return call.chat_id == GROUP and call.method == "sendMessage"


def _fire(running: ApplicationThread, name: str) -> None:
    job = running.application.job_queue.get_jobs_by_name(name)[0]
    running.run(job.run(running.application))


def test_group_round_with_three_members_and_leaderboard(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine) as running:
        mark = len(fake.calls)
        fake.send_text(GROUP, 1001, "/mock 2 python 60", first_name="Ann")
        first = fake.wait_for(lambda c: c.chat_id == GROUP and "模拟面试 第 1/2 题" in (c.text or ""), 20.0, since=mark)
        record = _round_with_message(engine, first.message_id)
        for number in range(2):
            question = engine.bank.get(record.question_ids[number])
            answers = {1001: "\n".join(question.point_texts), 1002: question.point_texts[0], 1003: "不太清楚，跳过"}
            message_id = first.message_id if number == 0 else record.message_id
            for user, text in answers.items():
                mark = len(fake.calls)
                fake.send_text(GROUP, user, text, first_name=MEMBERS[user], reply_to_message_id=message_id)
                assert MEMBERS[user] in fake.wait_for(lambda c: c.chat_id == GROUP, 20.0, since=mark).text
            mark = len(fake.calls)
            fake.send_text(GROUP, 1001, "第二次回答", first_name="Ann", reply_to_message_id=message_id)
            assert "第一次为准" in fake.wait_for(lambda c: c.chat_id == GROUP, 20.0, since=mark).text
            mark = len(fake.calls)
            _fire(running, f"round:{record.id}")
            results = fake.wait_for(lambda c: c.chat_id == GROUP and "谁答到了哪些要点" in (c.text or ""), 20.0, since=mark)
            assert "Ann" in results.text
            if number == 0:
                nxt = fake.wait_for(lambda c: c.chat_id == GROUP and "第 2/2 题" in (c.text or ""), 20.0, since=mark)
                record = _round_with_message(engine, nxt.message_id)
        board = fake.wait_for(lambda c: c.chat_id == GROUP and "排行榜" in (c.text or ""), 20.0, since=mark)
        lines = board.text.splitlines()
        assert lines[1].startswith("🥇 Ann") and "Ben" in lines[2] and "Cai" in lines[3]
        assert engine.store.active_rounds(f"tg:{GROUP}") == []


def test_group_round_stop_rules_bad_arguments_and_restart(
    fake: FakeBotApi, db: str, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    fake.admins[GROUP] = {1003}
    first = _engine(db, bank, grader, taxonomy)
    with _bot(fake, first):
        mark = len(fake.calls)
        fake.send_text(GROUP, 1001, "/mock -3")
        assert "用法" in fake.wait_for(lambda c: c.chat_id == GROUP, 20.0, since=mark).text
        mark = len(fake.calls)
        fake.send_text(GROUP, 1001, "/mock 1 120", first_name="Ann")
        fake.wait_for(lambda c: c.chat_id == GROUP and "模拟面试" in (c.text or ""), 20.0, since=mark)
    first.store.close()
    second = _engine(db, bank, grader, taxonomy)
    try:
        with _bot(fake, second) as running:  # restart: the round and its timer are back
            (record,) = second.store.active_rounds(f"tg:{GROUP}")
            assert running.application.job_queue.get_jobs_by_name(f"round:{record.id}")
            mark = len(fake.calls)
            fake.send_text(GROUP, 1002, "/mock_stop", first_name="Ben")  # neither starter nor admin
            assert "只有发起人或群管理员" in fake.wait_for(_said_in_group, 20.0, since=mark).text
            mark = len(fake.calls)
            fake.send_text(GROUP, 1003, "/mock_stop", first_name="Cai")  # an admin
            assert "提前结束" in fake.wait_for(_said_in_group, 20.0, since=mark).text
            assert second.store.active_rounds(f"tg:{GROUP}") == []
    finally:
        second.store.close()


def test_group_answer_with_a_long_name_and_nul_characters_is_stored(fake: FakeBotApi, engine: PracticeEngine) -> None:
    """Telegram full names can be longer than the stored 128 characters, and texts may hold NUL
    characters, which PostgreSQL refuses: the name is cut, the NULs are dropped."""
    long_name = "名" * 129
    with _bot(fake, engine):
        mark = len(fake.calls)
        fake.send_text(GROUP, 1001, "/mock 1 python 60", first_name="Ann")
        first = fake.wait_for(lambda c: c.chat_id == GROUP and "模拟面试 第 1/1 题" in (c.text or ""), 20.0, since=mark)
        record = _round_with_message(engine, first.message_id)
        mark = len(fake.calls)
        fake.send_text(GROUP, 1002, "bias\x00 and variance", first_name=long_name, reply_to_message_id=first.message_id)
        assert "收到" in fake.wait_for(_said_in_group, 20.0, since=mark).text
        (answer,) = engine.store.round_answers(record.id)
        assert answer.display_name == long_name[:128] and answer.answer == "bias and variance"
        mark = len(fake.calls)
        fake.send_text(GROUP, 1001, "/mock_stop", first_name="Ann")
        assert "提前结束" in fake.wait_for(_said_in_group, 20.0, since=mark).text


def test_network_errors_are_retried_without_losing_or_doubling(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        fake.fail_next("sendMessage", times=2, status=502)
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/question")
        _question_message(fake, mark)
        assert [r.method for r in fake.rejected].count("sendMessage") == 2
        assert len([c for c in fake.sent if c.chat_id == CHAT]) == 1


def test_daily_command_sets_replaces_and_removes_the_job(fake: FakeBotApi, engine: PracticeEngine) -> None:
    name = f"daily:tg:{CHAT}"
    with _bot(fake, engine) as running:
        for command, expect, jobs in (
            ("/daily 25:99", "时间格式不对", 0),
            ("/daily 07:15 Mars/Olympus", "不认识的时区", 0),
            ("/daily 07:15 Asia/Tokyo", "07:15（Asia/Tokyo）", 1),
            ("/daily 21:00", "21:00（Asia/Tokyo）", 1),
            ("/daily off", "已取消", 0),
        ):
            mark = len(fake.calls)
            fake.send_text(CHAT, CHAT, command)
            assert expect in _next(fake, mark).text
            scheduled = running.application.job_queue.get_jobs_by_name(name)
            assert len([j for j in scheduled if not j.removed]) == jobs, command


def test_token_is_checked_and_never_logged(tmp_path: Path) -> None:
    import logging
    import os
    import subprocess
    import sys

    from bot.telegram.token import RedactingFilter, TokenError, read_token

    secret = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
    assert read_token({"MOCKBOT_TELEGRAM_TOKEN": secret}) == secret
    for bad in ("", "not-a-token", "123:short"):
        with pytest.raises(TokenError) as info:
            read_token({"MOCKBOT_TELEGRAM_TOKEN": bad})
        assert "\n" not in str(info.value) and (not bad or bad not in str(info.value))
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "GET https://api/bot%s/getMe failed", (secret,), None)
    RedactingFilter().filter(record)
    assert secret not in record.getMessage() and "<token>" in record.getMessage()
    mockbot = Path(sys.executable).parent / "mockbot"
    env = dict(os.environ, MOCKBOT_TELEGRAM_TOKEN="oops")
    out = subprocess.run([str(mockbot), "run"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_duplicated_update_is_handled_once_and_forget_deletes(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        mark = len(fake.calls)
        raw = {"message": {
            "message_id": 900, "date": int(time.time()), "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            "chat": {"id": CHAT, "type": "private", "first_name": "Alice"},
            "from": {"id": CHAT, "is_bot": False, "first_name": "Alice"},
        }}  # fmt: skip
        update_id = fake.push_update(raw)
        fake.push_update(raw, update_id=update_id)  # the same update delivered again
        _next(fake, mark, "/question")
        time.sleep(1.0)
        assert len([c for c in fake.sent if c.chat_id == CHAT and "/question" in (c.text or "")]) == 1

        engine.subscribe(f"tg:{CHAT}", "08:00")
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/forget")
        confirm = _next(fake, mark, "确定删除")
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, confirm.message_id, "forget:yes")
        assert "已删除" in fake.wait_for(lambda c: c.method == "editMessageText" and c.chat_id == CHAT, 20.0, since=mark).text
        assert engine.store.user(f"tg:{CHAT}").daily_time is None


def test_webhook_mode_receives_updates_over_http(fake: FakeBotApi, engine: PracticeEngine) -> None:
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    application = build_application(engine, fake.token, base_url=fake.base_url)
    with ApplicationThread(application, webhook=(port, "telegram")):
        registered = fake.wait_for(lambda c: c.method == "setWebhook", 10.0)
        assert registered.params.get("url") == f"http://127.0.0.1:{port}/telegram"
        mark = len(fake.calls)
        update = {
            "update_id": 77,
            "message": {
                "message_id": 5, "date": int(time.time()), "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                "chat": {"id": CHAT, "type": "private", "first_name": "Alice"},
                "from": {"id": CHAT, "is_bot": False, "first_name": "Alice"},
            },
        }  # fmt: skip
        response = httpx.post(f"http://127.0.0.1:{port}/telegram", json=update, timeout=10)
        assert response.status_code == 200
        assert "/question" in _next(fake, mark).text


def test_a_reply_to_an_earlier_question_is_not_graded_against_the_open_one(
    fake: FakeBotApi, engine: PracticeEngine
) -> None:
    with _bot(fake, engine):
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/question")
        first = _question_message(fake, mark)
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "/skip")
        second = _question_message(fake, mark)
        open_id = engine.store.chat_state(f"tg:{CHAT}").question_id
        assert open_id and open_id in second.text and open_id not in first.text
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "我的回答", reply_to_message_id=first.message_id)
        assert "之前的题目" in _next(fake, mark).text
        assert engine.store.attempts(f"tg:{CHAT}") == [] and engine.store.chat_state(f"tg:{CHAT}").question_id == open_id
        mark = len(fake.calls)
        fake.send_text(CHAT, CHAT, "我的回答", reply_to_message_id=second.message_id)  # the open one: graded
        fake.wait_for(lambda c: c.chat_id == CHAT and "分" in (c.text or ""), 20.0, since=mark)
        assert len(engine.store.attempts(f"tg:{CHAT}")) == 1
