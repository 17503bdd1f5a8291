"""Buttons in real chats: a button acts on the question it was sent with, a press Telegram calls
"too old" still acts, a double tap acts once, and buttons sent before they named their question
act on the open one. The real PTB Application over HTTP against the fake Bot API server; storage
on SQLite and PostgreSQL."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode

from bot.engine import ASKED, FEEDBACK, PracticeEngine
from bot.storage import Store
from bot.telegram.app import build_application
from bot.telegram.render import MAX_CALLBACK_DATA
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall
from questions.bank import Bank, load_bank
from questions.taxonomy import Taxonomy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CHAT = 6161  # a private chat: chat id == user id
KEY = f"tg:{CHAT}"
AGAIN = 1  # fsrs.Rating.Again, as stored
_ID = re.compile(r"\[([a-z0-9_-]+)\]")


@pytest.fixture()
def engine(database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    built = PracticeEngine(Store.open(database_url), bank, grader, taxonomy, rng=random.Random(11))
    yield built
    built.store.close()


def _bot(fake: FakeBotApi, engine: PracticeEngine) -> ApplicationThread:
    return ApplicationThread(build_application(engine, fake.token, base_url=fake.base_url, answer_window=0.2))


def _to_chat(call: SentCall) -> bool:
    return call.chat_id == CHAT and call.method in ("sendMessage", "sendPhoto", "editMessageText")


def _shown(call: SentCall) -> str:
    """What the user sees of a message (the fake answers with the parsed text)."""
    return str(call.result["text"]) if isinstance(call.result, dict) and "text" in call.result else ""


def _reply(fake: FakeBotApi, since: int, text: str) -> SentCall:
    return fake.wait_for(lambda c: _to_chat(c) and text in _shown(c), 20.0, since=since)


def _sent(fake: FakeBotApi, since: int, until: SentCall | None = None) -> list[SentCall]:
    """The messages to the chat from `since` on (up to and with `until`)."""
    calls = [c for c in fake.calls[since:] if _to_chat(c)]
    return calls[: calls.index(until) + 1] if until is not None else calls


def _is_question(call: SentCall) -> bool:
    return _to_chat(call) and bool(call.buttons) and bool(_ID.search(_shown(call).split("\n", 1)[0]))


def _ask(fake: FakeBotApi) -> SentCall:
    """Send /question; the question message."""
    mark = len(fake.calls)
    fake.send_text(CHAT, CHAT, "/question")
    return fake.wait_for(_is_question, 20.0, since=mark)


def _id(question: SentCall) -> str:
    return _ID.search(_shown(question).split("\n", 1)[0]).group(1)  # type: ignore[union-attr]


def _data(message: SentCall, action: str) -> str:
    """The callback data of the message's button for `action`."""
    return next(data for _, data in message.buttons if data and data.split("|")[0] == action)


def test_answer_under_an_old_question_shows_that_reference_and_leaves_the_open_one_alone(
    fake: FakeBotApi, engine: PracticeEngine
) -> None:
    with _bot(fake, engine):
        a, b = _ask(fake), _ask(fake)  # B asked before A was answered
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, a.message_id, _data(a, "answer"))
        note = _reply(fake, mark, "不受影响")
        shown = "\n".join(_shown(c) for c in _sent(fake, mark, note))
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, a.message_id, _data(a, "hint"))
        closed = _reply(fake, mark, "已经结束")
    first, second = _id(a), _id(b)
    assert all(data and first in data for _, data in a.buttons)  # every button names its question
    reference_a = engine._reference(engine.bank.get(first), "zh")[0].splitlines()  # noqa: SLF001
    reference_b = engine._reference(engine.bank.get(second), "zh")[0].splitlines()  # noqa: SLF001
    assert reference_a[1] in shown and reference_b[1] not in shown  # A's reference, not B's
    assert f"[{first}]" in _shown(note) and f"[{second}]" in _shown(note) and not note.buttons
    assert f"[{first}]" in _shown(closed) and f"当前的题目是 [{second}]" in _shown(closed)
    state = engine.store.chat_state(KEY)
    assert (state.state, state.question_id, state.hints_used) == (ASKED, second, 0)  # B still open, no hint taken
    assert engine.store.attempts(KEY) == [] and engine.store.reviews(KEY) == []  # neither given up nor rated


def test_a_press_telegram_calls_too_old_still_acts(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        question = _ask(fake)
    query = fake.press_button(CHAT, CHAT, question.message_id, _data(question, "answer"), too_old=True)  # the bot is down
    mark = len(fake.calls)
    with _bot(fake, engine):
        reference = _reply(fake, mark, "参考答案")
    refused = [c for c in fake.rejected if c.method == "answerCallbackQuery"]
    assert [(c.status, c.params.get("callback_query_id")) for c in refused] == [(400, query)]
    assert "query is too old" in (refused[0].error or "")
    assert reference.method == "sendMessage"  # the result as a message of its own
    (attempt,) = engine.store.attempts(KEY)  # given up, as the button says
    assert (attempt.question_id, attempt.score, attempt.rating) == (_id(question), 0.0, AGAIN)
    assert engine.store.chat_state(KEY).state == FEEDBACK


def test_a_double_tap_on_hint_reveals_one_point_and_costs_once(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        question = _ask(fake)
        gists = [p.gist for p in engine.bank.get(_id(question)).key_points]
        mark = len(fake.calls)
        for _ in range(2):  # both taps are on their way before the first is handled
            fake.press_button(CHAT, CHAT, question.message_id, _data(question, "hint"))
        again = _reply(fake, mark, "不再扣分")
        hints = [c for c in _sent(fake, mark, again) if "提示（扣" in _shown(c)]
        assert engine.store.chat_state(KEY).hints_used == 1  # one hint taken: 10 points, not 20
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, hints[0].message_id, _data(hints[0], "hint"))  # the hint's own 提示: the next point
        following = _reply(fake, mark, "提示（扣")
    assert len(hints) == 1 and gists[0] in _shown(hints[0]) and gists[0] in _shown(again)
    assert gists[1] not in _shown(again) and gists[1] in _shown(following)
    assert engine.store.chat_state(KEY).hints_used == 2


def test_a_double_tap_on_answer_or_skip_acts_once(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        question = _ask(fake)
        mark = len(fake.calls)
        for _ in range(2):
            fake.press_button(CHAT, CHAT, question.message_id, _data(question, "answer"))
        sent_note = _reply(fake, mark, "已经发过")
        header = ("参考答案：", "参考答案是")  # how a reference's first piece begins
        references = [c for c in _sent(fake, mark, sent_note) if _shown(c).startswith(header)]
        given_up = engine.store.attempts(KEY)

        skipped = _ask(fake)
        mark = len(fake.calls)
        for _ in range(2):
            fake.press_button(CHAT, CHAT, skipped.message_id, _data(skipped, "skip"))
        closed = _reply(fake, mark, "已经结束")
        sent = _sent(fake, mark, closed)
    assert len(references) == 1 and len(given_up) == 1  # one reference, one give-up (score 0, Again)
    assert (given_up[0].question_id, given_up[0].score, given_up[0].rating) == (_id(question), 0.0, AGAIN)
    assert len([c for c in sent if "已跳过" in _shown(c)]) == 1
    (asked,) = [c for c in sent if _is_question(c)]  # one question asked in its place, not two
    state = engine.store.chat_state(KEY)
    assert (state.state, state.question_id) == (ASKED, _id(asked))
    assert f"当前的题目是 [{_id(asked)}]" in _shown(closed)
    assert engine.store.attempts(KEY) == given_up  # skipping records nothing


def test_buttons_sent_before_they_named_their_question_act_on_the_open_one(
    fake: FakeBotApi, engine: PracticeEngine
) -> None:
    with _bot(fake, engine) as running:
        question = _ask(fake)
        old_buttons = (("提示", "hint"), ("看答案", "answer"), ("跳过", "skip"))  # plain actions, as sent before
        old_keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in old_buttons]])
        old = running.run(running.application.bot.send_message(  # the question as the bot sent it before
            CHAT, question.text, parse_mode=ParseMode.HTML, reply_markup=old_keyboard))
        gist = engine.bank.get(_id(question)).key_points[0].gist
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, old.message_id, "hint")
        hint = _reply(fake, mark, "提示（扣")
        hints = engine.store.chat_state(KEY).hints_used
        mark = len(fake.calls)
        fake.press_button(CHAT, CHAT, old.message_id, "skip")
        _reply(fake, mark, "已跳过")
        asked = fake.wait_for(_is_question, 20.0, since=mark)
    assert gist in _shown(hint) and hints == 1  # the open question's hint
    state = engine.store.chat_state(KEY)
    assert (state.state, state.question_id, state.last_question_id) == (ASKED, _id(asked), _id(question))


def test_a_question_id_too_long_for_callback_data_is_named_by_its_digest(
    fake: FakeBotApi, database_url: str, grader: Grader, taxonomy: Taxonomy, tmp_path: Path
) -> None:
    long_id = "custom-" + "x" * 57  # the longest id a bank allows: 64 characters
    entry = {"id": long_id, "topic": "ml", "question": "过拟合怎么办？", "answer": "- 增加数据\n- 正则化"}
    (tmp_path / "custom.yaml").write_text(yaml.safe_dump({"questions": [entry]}, allow_unicode=True), encoding="utf-8")
    engine = PracticeEngine(Store.open(database_url), load_bank(tmp_path, taxonomy), grader, taxonomy)
    try:
        with _bot(fake, engine):
            question = _ask(fake)
            mark = len(fake.calls)
            fake.press_button(CHAT, CHAT, question.message_id, _data(question, "answer"))
            _reply(fake, mark, "增加数据")
        (attempt,) = engine.store.attempts(KEY)
    finally:
        engine.store.close()
    assert all(len(data.encode()) <= MAX_CALLBACK_DATA and long_id not in data for _, data in question.buttons if data)
    assert not fake.rejected  # Telegram took every keyboard
    assert (attempt.question_id, attempt.rating) == (long_id, AGAIN)
