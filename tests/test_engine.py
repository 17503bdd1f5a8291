"""The practice engine on a real database (a SQLite file, then PostgreSQL), the real grader and a
controlled clock."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.engine import ASKED, FEEDBACK, HINT_COST, Action, Button, PracticeEngine, Reply, ReplyKind
from bot.storage import Store
from grading.grader import Grader
from questions.bank import Bank
from questions.taxonomy import Taxonomy

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
USER = "term:tester"
DROPOUT = "000-93d25c"


@pytest.fixture()
def store(database_url: str) -> Store:
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture()
def engine(store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> PracticeEngine:
    return PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(3))


def _ask(engine: PracticeEngine, question_id: str, now: datetime = T0) -> None:
    """Put a chosen question in front of the user (what next_question does after choosing)."""
    engine._ask(USER, engine.bank.get(question_id), now=now)  # noqa: SLF001


def test_answer_without_open_question_gets_a_helpful_reply(engine: PracticeEngine) -> None:
    (reply,) = engine.submit(USER, "随便说点什么", now=T0)
    assert reply.kind is ReplyKind.INFO and "/question" in reply.text


def test_question_answer_feedback_and_buttons(engine: PracticeEngine, bank: Bank) -> None:
    first = engine.next_question(USER, now=T0)
    assert first.kind is ReplyKind.QUESTION and first.question_id in bank.by_id
    assert {b.action for b in first.buttons} == {Action.HINT, Action.ANSWER, Action.SKIP}
    _ask(engine, DROPOUT)
    (feedback,) = engine.submit(USER, "训练时神经元以概率p保留，保留的输出除以p。", now=T0)
    assert feedback.kind is ReplyKind.FEEDBACK and feedback.grade is not None
    assert "✓" in feedback.text and "✗" in feedback.text
    actions = {b.action for b in feedback.buttons}
    assert {Action.NEXT, Action.FOLLOWUP, Action.ANSWER, Action.RATE_HARD, Action.RATE_EASY} <= actions
    assert engine.store.chat_state(USER).state == FEEDBACK
    attempt = engine.store.last_attempt(USER)
    assert attempt.question_id == DROPOUT and attempt.covered and attempt.missed


def test_empty_answer_loses_nothing(engine: PracticeEngine) -> None:
    _ask(engine, DROPOUT)
    (reply,) = engine.submit(USER, "   \n ", now=T0)
    assert reply.kind is ReplyKind.ERROR
    state = engine.store.chat_state(USER)
    assert state.state == ASKED and state.question_id == DROPOUT
    assert engine.store.attempts(USER) == []


def test_hint_reveals_a_key_points_gist_and_costs_points(engine: PracticeEngine, bank: Bank) -> None:
    answer = "训练时神经元以概率p保留，否则输出0；训练时输出除以p；测试时什么都不用做。"
    _ask(engine, DROPOUT)
    (plain,) = engine.submit(USER, answer, now=T0)
    _ask(engine, DROPOUT, now=T0 + timedelta(minutes=1))
    hint = engine.hint(USER)
    first = bank.get(DROPOUT).key_points[0]
    assert first.gist and first.gist != first.text
    assert hint.kind is ReplyKind.HINT and first.gist in hint.text
    assert first.text not in hint.text  # the gist, never the point or the reference itself
    (hinted,) = engine.submit(USER, answer, now=T0 + timedelta(minutes=1))
    expected = max(0.0, plain.grade.score - HINT_COST)
    assert engine.store.last_attempt(USER).score == pytest.approx(expected, abs=0.2)


def test_followup_targets_the_most_important_missed_point(engine: PracticeEngine, bank: Bank) -> None:
    _ask(engine, DROPOUT)
    engine.submit(USER, "训练时神经元以概率p保留，其余输出0。", now=T0)
    missed = engine.store.last_attempt(USER).missed
    follow = engine.followup(USER, now=T0)
    assert follow.kind is ReplyKind.QUESTION and "追问" in follow.text
    assert engine.store.chat_state(USER).followup_point == min(missed)
    (feedback,) = engine.submit(USER, "现在的做法是训练时把保留下来的输出除以p。", now=T0)
    assert len(feedback.grade.points) == 1  # graded against that one point
    assert engine.store.last_attempt(USER).is_followup
    assert engine.followup(USER, now=T0).kind is ReplyKind.INFO  # one follow-up per answer


def test_restart_resumes_the_open_question(store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy, database_url: str) -> None:
    first = PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(1))
    asked = first.next_question(USER, now=T0)
    store.close()
    reopened = Store.open(database_url)
    try:
        again = PracticeEngine(reopened, bank, grader, taxonomy, rng=random.Random(2))
        resumed = again.resume(USER)
        assert resumed is not None and resumed.question_id == asked.question_id
        assert "继续" in resumed.text
    finally:
        reopened.close()


def test_failed_question_comes_back_before_a_passed_one(engine: PracticeEngine) -> None:
    failed, passed = "000-3e6fd4", DROPOUT
    _ask(engine, failed)
    engine.submit(USER, "完全不记得了，大概和天气有关吧。", now=T0)
    _ask(engine, passed)
    engine.submit(USER, "\n".join(engine.bank.get(passed).point_texts), now=T0)
    reviews = {r.question_id: r for r in engine.store.reviews(USER)}
    assert reviews[failed].due < reviews[passed].due
    when = reviews[failed].due + timedelta(seconds=1)
    assert when < reviews[passed].due
    assert engine.next_question(USER, now=when).question_id == failed


def test_rerating_easy_moves_the_review_later(engine: PracticeEngine) -> None:
    _ask(engine, DROPOUT)
    engine.submit(USER, "\n".join(engine.bank.get(DROPOUT).point_texts), now=T0)
    good_due = engine.store.review(USER, DROPOUT).due
    reply = engine.press(USER, Action.RATE_EASY, now=T0)[0]
    assert "太简单" in reply.text
    assert engine.store.review(USER, DROPOUT).due > good_due
    engine.press(USER, Action.RATE_AGAIN, now=T0)
    assert engine.store.review(USER, DROPOUT).due < good_due


def test_showing_the_answer_first_counts_as_not_answered(engine: PracticeEngine) -> None:
    _ask(engine, DROPOUT)
    reply = engine.show_answer(USER, now=T0)
    assert reply.kind is ReplyKind.REFERENCE and "参考答案" in reply.text
    attempt = engine.store.last_attempt(USER)
    assert attempt.score == 0 and attempt.rating == 1


def test_a_looked_up_question_cannot_be_re_rated(engine: PracticeEngine) -> None:
    _ask(engine, DROPOUT)
    engine.press(USER, Action.ANSWER, now=T0)
    again_due = engine.store.review(USER, DROPOUT).due
    for action in (Action.RATE_EASY, Action.RATE_GOOD, Action.RATE_HARD):
        (reply,) = engine.press(USER, action, now=T0)
        assert "不能重新评级" in reply.text and "没记住" in reply.text and DROPOUT in reply.text
    review = engine.store.review(USER, DROPOUT)
    assert review.due == again_due and review.last_rating == 1  # still Again: it comes back soon
    assert engine.store.last_attempt(USER).rating == 1
    engine.set_language(USER, "en")
    (reply,) = engine.press(USER, Action.RATE_EASY, now=T0)
    assert "cannot be re-rated" in reply.text


def test_skip_asks_another_question(engine: PracticeEngine) -> None:
    _ask(engine, DROPOUT)
    replies = engine.skip(USER, now=T0)
    assert replies[-1].kind is ReplyKind.QUESTION and replies[-1].question_id != DROPOUT
    assert engine.store.attempts(USER) == []


def test_topic_choice_and_unknown_topic(engine: PracticeEngine, bank: Bank) -> None:
    reply = engine.next_question(USER, "Python", now=T0)
    assert bank.get(reply.question_id).topic == "python"
    assert engine.next_question(USER, "astrology", now=T0).kind is ReplyKind.ERROR
    engine.set_topics(USER, ["cnn-vision"])
    assert bank.get(engine.next_question(USER, now=T0).question_id).topic == "cnn-vision"


def test_language_and_daily_subscription(engine: PracticeEngine) -> None:
    assert "English" in engine.set_language(USER, "en").text
    assert engine.submit(USER, "hello", now=T0)[0].text.startswith("There is no open question")
    assert engine.subscribe(USER, "25:99").kind is ReplyKind.ERROR
    assert engine.subscribe(USER, "08:30", "Mars/Olympus").kind is ReplyKind.ERROR
    assert engine.subscribe(USER, "8:30", "Europe/Berlin").kind is ReplyKind.INFO
    user = engine.store.user(USER)
    assert (user.daily_time, user.timezone) == ("08:30", "Europe/Berlin")
    engine.unsubscribe(USER)
    assert engine.store.user(USER).daily_time is None


def test_stats_numbers_and_chart(engine: PracticeEngine) -> None:
    assert engine.stats(USER, now=T0).text == "还没有练习记录。"
    _ask(engine, DROPOUT)
    engine.submit(USER, "训练时以概率p保留神经元", now=T0)
    reply = engine.stats(USER, now=T0)
    assert reply.kind is ReplyKind.STATS and "共练习 1 次" in reply.text
    assert reply.image and reply.image.startswith(b"\x89PNG")


def test_engine_imports_no_telegram() -> None:
    code = "import sys, bot.engine, bot.terminal; print('telegram' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    engine_dir = Path(__file__).resolve().parents[1] / "bot" / "engine"
    for path in engine_dir.glob("*.py"):
        assert "telegram" not in path.read_text(encoding="utf-8").replace("Telegram", ""), path


def test_grading_flood_protection_keeps_the_question(store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> None:
    engine = PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(3), answers_per_minute=2)
    for second in range(2):
        _ask(engine, DROPOUT, now=T0 + timedelta(seconds=second))
        assert engine.submit(USER, "训练时以概率p保留神经元", now=T0 + timedelta(seconds=second))[0].kind is ReplyKind.FEEDBACK
    _ask(engine, DROPOUT, now=T0 + timedelta(seconds=2))
    (reply,) = engine.submit(USER, "训练时以概率p保留神经元", now=T0 + timedelta(seconds=2))
    assert reply.kind is ReplyKind.ERROR and "58 秒" in reply.text
    assert engine.store.chat_state(USER).state == ASKED  # nothing lost: the question is still open
    assert engine.submit(USER, "训练时以概率p保留神经元", now=T0 + timedelta(seconds=61))[0].kind is ReplyKind.FEEDBACK


def test_answers_not_stored_when_privacy_says_so_and_forget(store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> None:
    engine = PracticeEngine(store, bank, grader, taxonomy, store_answers=False)
    _ask(engine, DROPOUT)
    engine.submit(USER, "训练时以概率p保留神经元", now=T0)
    attempt = engine.store.last_attempt(USER)
    assert attempt.answer == "" and attempt.score > 0 and attempt.covered
    engine.subscribe(USER, "08:00")
    assert "已删除" in engine.forget(USER).text
    assert engine.store.attempts(USER) == [] and engine.store.reviews(USER) == []
    assert engine.store.user(USER).daily_time is None


def test_open_questions_are_served_and_never_graded(engine: PracticeEngine, bank: Bank) -> None:
    open_ids = {q.id for q in bank.questions if not q.answered}
    served = set()
    now = T0
    for _ in range(60):
        reply = engine.next_question(USER, now=now)
        if reply.question_id in open_ids:
            served.add(reply.question_id)
            assert "开放题" in reply.text
            (answered,) = engine.submit(USER, "我的思路是……", now=now)
            assert "不评分" in answered.text and answered.grade is None
        else:
            engine.skip(USER, now=now)
        now += timedelta(seconds=1)
    assert served  # open practice questions do come up
    assert engine.store.attempts(USER) == []  # and are never graded
    assert {r.question_id for r in engine.store.reviews(USER)} == served  # but they are spaced


def test_an_answer_to_a_stale_or_unknown_question_is_not_graded(engine: PracticeEngine, store: Store) -> None:
    other = next(q.id for q in engine.bank.questions if q.answered and q.id != DROPOUT)
    _ask(engine, DROPOUT)
    answer = "训练时随机丢弃神经元，推理时不丢弃并缩放"
    (stale,) = engine.submit(USER, answer, now=T0, replying_to=other)
    assert stale.kind is ReplyKind.ERROR and other in stale.text and DROPOUT in stale.text
    (unknown,) = engine.submit(USER, answer, now=T0, replying_to="999-000000")
    assert unknown.kind is ReplyKind.ERROR and "999-000000" in unknown.text
    assert store.attempts(USER) == [] and store.chat_state(USER).question_id == DROPOUT  # nothing lost
    graded = engine.submit(USER, answer, now=T0, replying_to=DROPOUT)  # a reply to the open question
    assert graded[0].kind is ReplyKind.FEEDBACK and len(store.attempts(USER)) == 1
    (closed,) = engine.submit(USER, answer, now=T0, replying_to=DROPOUT)  # answered already
    assert closed.kind is ReplyKind.ERROR and "/question" in closed.text


def test_answer_texts_past_the_retention_period_are_blanked(store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> None:
    engine = PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(3), answer_retention_days=30)
    for day, text in ((0, "很久以前的回答：训练时随机丢弃一部分神经元，测试时不丢弃"), (40, "最近的回答")):
        _ask(engine, DROPOUT, now=T0 + timedelta(days=day))
        engine.submit(USER, text, now=T0 + timedelta(days=day))
    assert engine.apply_retention(now=T0 + timedelta(days=45)) == 1
    old, recent = store.attempts(USER)
    assert (old.answer, recent.answer) == ("", "最近的回答") and old.score > 0  # the score stays
    assert engine.apply_retention(now=T0 + timedelta(days=45)) == 0
    unlimited = PracticeEngine(store, bank, grader, taxonomy)
    assert unlimited.apply_retention(now=T0 + timedelta(days=400)) == 0
    assert store.attempts(USER)[1].answer == "最近的回答"


def test_a_huge_answer_is_graded_on_a_bounded_prefix_and_the_user_is_told(engine: PracticeEngine, store: Store) -> None:
    _ask(engine, DROPOUT)
    huge = "训练时随机丢弃神经元，推理时不丢弃并按比例缩放。" * 600  # about 14,000 characters
    replies = engine.submit(USER, huge, now=T0)
    assert replies[0].kind is ReplyKind.FEEDBACK and "只评了前 2000 个字符" in replies[0].text
    (attempt,) = store.attempts(USER)
    assert attempt.answer == huge and attempt.score > 0  # kept whole; graded on its start


def test_a_reference_that_is_only_an_image_shows_its_key_points_and_the_image(engine: PracticeEngine, bank: Bank) -> None:
    question = next(q for q in bank.questions if q.answer_kind.value == "image" and q.gradable)
    _ask(engine, question.id)
    reply = engine.show_answer(USER, now=T0)
    assert reply.images and all(url.startswith("https://") for url in reply.images)
    assert "<img" not in reply.text and all(p.text in reply.text for p in question.key_points)
    assert not any(url in reply.text for url in reply.images)  # shown once, by the front-end


def test_an_open_question_offers_nothing_it_cannot_give(engine: PracticeEngine, bank: Bank) -> None:
    question = next(q for q in bank.questions if not q.answered)
    _ask(engine, question.id)
    asked = engine.resume(USER)
    assert asked is not None and {b.action for b in asked.buttons} == {Action.SKIP}
    (reply,) = engine.submit(USER, "我会从背景讲起。", now=T0)
    assert {b.action for b in reply.buttons} == {Action.NEXT}


def test_the_daily_push_never_serves_a_review_early(engine: PracticeEngine, bank: Bank) -> None:
    engine.set_topics(USER, ["pytorch"])
    for number, question in enumerate(q for q in bank.questions if q.topic == "pytorch"):
        _ask(engine, question.id, T0 + timedelta(minutes=number))
        engine.submit(USER, "\n".join(question.point_texts), now=T0 + timedelta(minutes=number))
    later = T0 + timedelta(hours=1)
    reply = engine.next_questions([USER], now=later)[USER]
    assert reply.kind is ReplyKind.INFO and reply.question_id is None
    assert "PyTorch" in reply.text and "/topics" in reply.text  # Telegram's command, where to go next
    assert engine.store.chat_state(USER).state == FEEDBACK  # nothing was asked


def test_question_numbers_count_open_questions_too(engine: PracticeEngine, bank: Bank) -> None:
    graded = next(q for q in bank.questions if q.gradable)
    open_one = next(q for q in bank.questions if not q.answered)
    _ask(engine, graded.id)
    _ask(engine, open_one.id)
    _ask(engine, graded.id)
    reply = engine.resume(USER)
    assert reply is not None and "第 3 题" in reply.text
    state = engine.store.chat_state(USER)
    assert (state.asked_count, state.open_asked_count) == (3, 2)


def test_after_hints_the_verdict_and_the_schedule_follow_the_score_shown(engine: PracticeEngine, bank: Bank) -> None:
    question = bank.get(DROPOUT)
    _ask(engine, DROPOUT)
    for _ in range(4):
        engine.hint(USER, now=T0)
    (reply,) = engine.submit(USER, "\n".join(question.point_texts), now=T0)
    first = reply.text.splitlines()[0]
    score = int(first.split("/100")[0].split()[-1])
    attempt = engine.store.last_attempt(USER)
    assert score == round(attempt.score) and score < 60
    assert "优秀" not in first and "良好" not in first  # not a pass once the hints are paid for
    assert attempt.verdict == int(engine.grader.verdict(attempt.score, "zh")) and attempt.rating == 1  # Again


def test_a_skipped_due_review_does_not_come_straight_back(engine: PracticeEngine, bank: Bank) -> None:
    engine.set_topics(USER, ["python"])
    _ask(engine, "000-3e6fd4")
    engine.submit(USER, "不知道", now=T0)  # failed: due again in 10 minutes
    _ask(engine, "000-776873", T0 + timedelta(minutes=1))
    engine.submit(USER, "不知道", now=T0 + timedelta(minutes=1))
    later = T0 + timedelta(minutes=30)
    asked = engine.next_question(USER, now=later)
    assert asked.question_id == "000-3e6fd4"  # the due review comes first
    for step in range(6):
        replies = engine.skip(USER, now=later + timedelta(minutes=step))
        assert replies[-1].question_id != "000-3e6fd4"
    record = engine.store.review(USER, "000-3e6fd4")
    assert record.due >= later + timedelta(minutes=59)


def test_the_session_summary_counts_looked_up_answers_apart(engine: PracticeEngine, bank: Bank) -> None:
    _ask(engine, DROPOUT)
    engine.submit(USER, "\n".join(bank.get(DROPOUT).point_texts), now=T0)
    _ask(engine, "000-3e6fd4", T0 + timedelta(minutes=1))
    engine.show_answer(USER, now=T0 + timedelta(minutes=1))
    summary = engine.session_summary(USER, T0 - timedelta(minutes=1), now=T0 + timedelta(minutes=2))
    assert "答了 1 题" in summary.text and "另有 1 题看了答案" in summary.text


def test_a_looked_up_reference_is_no_answer_in_the_welcome_the_summary_or_stats(engine: PracticeEngine, bank: Bank) -> None:
    _ask(engine, "000-3e6fd4")  # lists and tuples (Python)
    (feedback,) = engine.submit(USER, "\n".join(bank.get("000-3e6fd4").point_texts), now=T0)
    score = feedback.grade.score
    _ask(engine, "000-d8ce0f", T0 + timedelta(minutes=1))  # also Python: the reference is looked up
    engine.show_answer(USER, now=T0 + timedelta(minutes=1))
    later = T0 + timedelta(minutes=2)
    summary = engine.session_summary(USER, T0 - timedelta(minutes=1), now=later).text
    assert "答了 1 题" in summary and "另有 1 题看了答案" in summary
    assert "已经答了 1 次" in engine.greeting(USER, now=later)[0].text
    stats = engine.stats(USER, now=later).text
    assert "共练习 1 次" in stats and "今天 1 次" in stats
    python = next(line for line in stats.splitlines() if line.startswith("Python"))
    assert f"1 次，平均 {score:.0f}" in python  # not halved by a 0 for the looked-up one
    looked_up = engine.store.attempts(USER)[-1]
    assert looked_up.looked_up and not looked_up.answered and looked_up.rating == 1  # still rated Again
    assert engine.store.review(USER, "000-d8ce0f").last_rating == 1


def test_a_graded_reply_of_zero_is_an_answer_even_when_its_text_is_not_kept(
    store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    engine = PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(3), store_answers=False)
    _ask(engine, DROPOUT)
    (feedback,) = engine.submit(USER, "我觉得这题主要和天气有关，今天下雨了。", now=T0)
    assert feedback.grade.score == 0 and engine.store.attempts(USER)[0].answer == ""
    summary = engine.session_summary(USER, T0 - timedelta(minutes=1), now=T0).text
    assert "答了 1 题" in summary and "看了答案" not in summary


def test_english_feedback_quotes_the_english_wording_of_the_key_points(engine: PracticeEngine, bank: Bank) -> None:
    engine.set_language(USER, "en")
    _ask(engine, "000-d8ce0f")
    (reply,) = engine.submit(USER, "The empty list is bigger: a list can grow, so it keeps extra fields.", now=T0)
    assert "An empty list takes more memory than an empty tuple" in reply.text
    assert "空列表" not in reply.text and "Score" in reply.text


OTHER = "000-3e6fd4"  # a second question with a reference (lists and tuples)


def _named(reply: Reply, action: Action) -> Button:
    """The button of `action` under a reply (it names the reply's question)."""
    return next(b for b in reply.buttons if b.action is action)


def _press(engine: PracticeEngine, button: Button, now: datetime = T0) -> list[Reply]:
    """What pressing `button` does (as the Telegram front-end passes it on)."""
    return engine.press(USER, button.action, question_id=button.question_id, step=button.step, now=now)


def test_a_button_acts_on_the_question_it_names_not_on_the_open_one(engine: PracticeEngine, bank: Bank) -> None:
    a = engine._ask(USER, bank.get(DROPOUT), now=T0)  # noqa: SLF001
    b = engine._ask(USER, bank.get(OTHER), now=T0)  # noqa: SLF001 - B, asked before A was answered
    assert {x.question_id for x in a.buttons} == {DROPOUT} and _named(a, Action.HINT).step == 0
    (reference,) = _press(engine, _named(a, Action.ANSWER))
    assert reference.question_id == DROPOUT and bank.get(DROPOUT).answer[:20] in reference.text
    assert f"[{OTHER}]" in reference.text and not reference.buttons  # B is named as open; no 下一题 over it
    for action in (Action.HINT, Action.SKIP):
        (closed,) = _press(engine, _named(a, action))
        assert f"[{DROPOUT}]" in closed.text and "已经结束" in closed.text and f"[{OTHER}]" in closed.text
    state = engine.store.chat_state(USER)
    assert (state.state, state.question_id, state.hints_used) == (ASKED, OTHER, 0)  # B untouched
    assert engine.store.attempts(USER) == [] and engine.store.reviews(USER) == []  # nothing rated
    (hint,) = engine.press(USER, Action.HINT, now=T0)  # no question named (a command, an old button): the open one
    assert bank.get(OTHER).key_points[0].gist in hint.text and engine.store.chat_state(USER).hints_used == 1
    (feedback,) = engine.submit(USER, "列表可以修改，元组不能修改。", now=T0)
    (closed,) = _press(engine, _named(b, Action.SKIP))  # B is answered: its 跳过 is closed
    assert "已经结束" in closed.text and "/question" in closed.text
    (rerated,) = _press(engine, _named(feedback, Action.RATE_EASY))
    assert "太简单" in rerated.text and engine.store.last_attempt(USER).rating == 4  # Easy, on B's answer
    engine._ask(USER, bank.get(DROPOUT), now=T0)  # noqa: SLF001
    (closed,) = _press(engine, _named(feedback, Action.NEXT))  # A is open again: B's 下一题 does not replace it
    assert f"[{DROPOUT}]" in closed.text and engine.store.chat_state(USER).question_id == DROPOUT


def test_a_second_tap_of_a_button_does_not_act_twice(engine: PracticeEngine, bank: Bank) -> None:
    asked = engine._ask(USER, bank.get(DROPOUT), now=T0)  # noqa: SLF001
    gists = [p.gist for p in bank.get(DROPOUT).key_points]
    hint_button = _named(asked, Action.HINT)
    (first,) = _press(engine, hint_button)
    (second,) = _press(engine, hint_button)  # the same step: shown again, free
    assert gists[0] in first.text and "扣 10 分" in first.text
    assert gists[0] in second.text and "不再扣分" in second.text and gists[1] not in second.text
    assert engine.store.chat_state(USER).hints_used == 1
    (next_hint,) = _press(engine, _named(first, Action.HINT))  # the hint's own 提示: the next step
    assert gists[1] in next_hint.text and engine.store.chat_state(USER).hints_used == 2

    answer_button = _named(asked, Action.ANSWER)
    (reference,) = _press(engine, answer_button)
    (again,) = _press(engine, answer_button)
    assert "参考答案" in reference.text and "参考答案" in again.text and bank.get(DROPOUT).answer[:20] not in again.text
    (gave_up,) = engine.store.attempts(USER)  # recorded once: score 0, rated Again
    assert (gave_up.score, gave_up.rating) == (0.0, 1)

    asked = engine.next_question(USER, now=T0)
    skip_button = _named(asked, Action.SKIP)
    skipped = _press(engine, skip_button)
    after = engine.store.chat_state(USER)
    (closed,) = _press(engine, skip_button)
    assert "已跳过" in skipped[0].text and "已经结束" in closed.text and f"[{after.question_id}]" in closed.text
    assert engine.store.chat_state(USER) == after  # the question asked by the first tap stays open
