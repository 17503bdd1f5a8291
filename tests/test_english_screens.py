"""English screens: the bank's English wordings of gists and misconceptions, and where they show.

The shipped bank words every gist and every misconception (claim and correction) in English as
well; an English screen shows those wordings in hints, follow-ups and the ⚠ misconception block
with its tip, a Chinese screen is as it always was, and a bank without English falls back to its
Chinese. Engine tests use the session's bank and grader on a SQLite file; one terminal session
checks the same through `mockbot practice --lang en`.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path

import pexpect
import pytest

from bot.engine import PracticeEngine, ReplyKind
from bot.storage import Store
from grading.grader import Grader
from questions.bank import Bank
from questions.model import BankFile, KeyPoint, Misconception, Question
from questions.taxonomy import Taxonomy

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
USER = "term:english"
DROPOUT = "000-93d25c"  # dropout in training and testing: 6 gists, 3 misconceptions
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")
QUOTED = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")  # a Chinese term may stay, quoted


def _chinese_outside_quotes(text: str) -> list[str]:
    return CJK.findall(QUOTED.sub("", text))


# ---------------------------------------------------------------- the shipped bank's English


def test_every_gist_and_misconception_of_the_shipped_bank_has_its_english(bank: Bank) -> None:
    missing, untranslated = [], []
    gists = wrongs = 0
    for question in bank.questions:
        pairs = [(f"{question.id} gist {i + 1}", p.gist, p.gist_en) for i, p in enumerate(question.key_points) if p.gist]
        gists += len(pairs)
        for i, m in enumerate(question.misconceptions):
            pairs += [(f"{question.id} misconception {i + 1} claim", m.claim, m.claim_en),
                      (f"{question.id} misconception {i + 1} correction", m.correction, m.correction_en)]  # fmt: skip
            wrongs += 1
        for where, chinese, english in pairs:
            if not english or not english.strip():
                missing.append(where)
            elif english.strip() == chinese.strip() or _chinese_outside_quotes(english):
                untranslated.append(f"{where}: {english!r}")
    assert gists >= 400 and wrongs >= 250  # the whole curated bank, not a part of it
    assert missing == [], "without English: " + ", ".join(missing)
    assert untranslated == [], "not translated:\n" + "\n".join(untranslated)


def test_english_gists_name_the_point_without_stating_it(bank: Bank) -> None:
    points = [p for q in bank.questions for p in q.key_points if p.gist_en]
    assert points and all(p.en and p.gist_en.lower() not in (p.en.lower(), p.text.lower()) for p in points)
    assert all(len(p.gist_en) < len(p.en) for p in points)  # shorter than the point's English wording


# ---------------------------------------------------------------- the model


def test_english_fields_sit_right_after_what_they_translate() -> None:
    point = KeyPoint(text="测试时不丢弃任何神经元", gist="测试时不丢弃", gist_en="nothing dropped at test", en="At test time nothing is dropped")
    assert list(point.data()) == ["text", "level", "gist", "gist_en", "en"]
    assert not KeyPoint(text="只有英文提示", gist_en="an English gist").plain
    wrong = Misconception(claim="测试时也丢弃", claim_en="Dropout also drops at test time", correction="测试时不丢弃",
                          correction_en="Nothing is dropped at test time")  # fmt: skip
    assert list(wrong.model_dump(exclude_none=True)) == ["claim", "claim_en", "correction", "correction_en"]
    assert list(Misconception(claim="测试时也丢弃", correction="测试时不丢弃").model_dump(exclude_none=True)) == ["claim", "correction"]


def test_a_misconception_takes_only_its_named_english_fields() -> None:
    with pytest.raises(ValueError, match="en"):
        Misconception.model_validate({"claim": "测试时也丢弃", "correction": "测试时不丢弃", "en": "one text for both"})
    with pytest.raises(ValueError, match="must not be empty"):
        Misconception(claim="测试时也丢弃", claim_en="  ", correction="测试时不丢弃")


# ---------------------------------------------------------------- the engine


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'mockbot.sqlite3'}")
    yield opened
    opened.close()


def _engine(store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy, language: str) -> PracticeEngine:
    engine = PracticeEngine(store, bank, grader, taxonomy, rng=random.Random(3))
    engine.set_language(USER, language)
    return engine


def _ask(engine: PracticeEngine, question_id: str) -> Question:
    question = engine.bank.get(question_id)
    engine._ask(USER, question, now=T0)  # noqa: SLF001 - a chosen question, as next_question asks one
    return question


def _stating_the_first_misconception(engine: PracticeEngine) -> tuple[Question, str]:
    """Ask DROPOUT and answer with its first misconception, as candidates say it."""
    question = _ask(engine, DROPOUT)
    (feedback,) = engine.submit(USER, question.misconceptions[0].claim, now=T0)
    assert feedback.kind is ReplyKind.FEEDBACK and feedback.grade.misconceptions, feedback.text
    return question, feedback.text


def test_english_screen_shows_the_misconception_and_its_tip_in_english(
    store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    question, text = _stating_the_first_misconception(_engine(store, bank, grader, taxonomy, "en"))
    wrong = question.misconceptions[0]
    block = f"⚠ A common misconception\n  · {wrong.claim_en}\n    In fact: {wrong.correction_en}"
    assert block in text
    assert f"Careful: “{wrong.claim_en}” is a common misconception." in text
    assert wrong.claim not in text and wrong.correction not in text
    assert _chinese_outside_quotes(text) == []  # the whole feedback is English


def test_chinese_screen_shows_the_misconception_as_before(store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> None:
    question, text = _stating_the_first_misconception(_engine(store, bank, grader, taxonomy, "zh"))
    wrong = question.misconceptions[0]
    assert f"⚠ 常见误区\n  · {wrong.claim}\n    正确的说法：{wrong.correction}" in text
    assert f"注意：「{wrong.claim}」是常见误区。" in text
    assert wrong.claim_en not in text and wrong.correction_en not in text and "Careful" not in text


def test_english_hints_give_the_english_gist_and_chinese_hints_the_chinese_one(
    store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    engine = _engine(store, bank, grader, taxonomy, "en")
    first, second = _ask(engine, DROPOUT).key_points[:2]
    hint = engine.hint(USER)
    assert hint.kind is ReplyKind.HINT and hint.text == f"Hint (costs 10 points): {first.gist_en}"
    assert engine.hint(USER).text.endswith(second.gist_en)
    again = engine.hint(USER, step=0)  # the first hint's button pressed again: the same hint, free
    assert again.text == f"You already had this hint (no extra cost): {first.gist_en}"
    engine.set_language(USER, "zh")
    assert engine.hint(USER, step=0).text == f"这条提示前面已经给过了（不再扣分）：{first.gist}"


def test_english_followup_names_the_point_by_its_english_gist(
    store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    engine = _engine(store, bank, grader, taxonomy, "en")
    question = _ask(engine, DROPOUT)
    engine.submit(USER, "训练时神经元以概率p保留，其余输出0。", now=T0)
    follow = engine.followup(USER, now=T0)
    point = question.key_points[engine.store.chat_state(USER).followup_point]
    assert follow.kind is ReplyKind.QUESTION
    assert follow.text == f"Follow-up: on “{question.question}” you left out a key point. Can you explain the part about “{point.gist_en}”?"
    resumed = engine.resume(USER)  # the open follow-up after a restart
    assert resumed is not None and f"“{point.gist_en}”" in resumed.text and point.gist not in resumed.text


def test_a_followup_reply_scores_the_same_on_either_screen(bank: Bank, grader: Grader, taxonomy: Taxonomy, tmp_path: Path) -> None:
    """The follow-up is graded against the bank's wording, whatever language the screen shows."""
    replies = {}
    for language in ("zh", "en"):
        store = Store.open(f"sqlite:///{tmp_path / f'{language}.sqlite3'}")
        try:
            engine = _engine(store, bank, grader, taxonomy, language)
            question = _ask(engine, DROPOUT)
            engine.submit(USER, "训练时神经元以概率p保留，其余输出0。", now=T0)
            follow = engine.followup(USER, now=T0)
            point = question.key_points[engine.store.chat_state(USER).followup_point]
            assert (point.gist if language == "zh" else point.gist_en) in follow.text
            (replies[language],) = engine.submit(USER, "测试时不丢弃任何神经元，用完整的网络。", now=T0)
        finally:
            store.close()
    zh, en = replies["zh"].grade, replies["en"].grade
    assert zh.language == en.language == "zh"
    assert en.score == zh.score and [p.status for p in en.points] == [p.status for p in zh.points]


def _without_english(question: Question) -> Question:
    points = [p.model_copy(update={"gist_en": None}) for p in question.key_points]
    wrongs = [m.model_copy(update={"claim_en": None, "correction_en": None}) for m in question.misconceptions]
    return question.model_copy(update={"key_points": points, "misconceptions": wrongs})


def test_without_english_an_english_screen_falls_back_to_the_chinese(
    store: Store, bank: Bank, grader: Grader, taxonomy: Taxonomy
) -> None:
    chinese_only = Bank({Path("hand.yaml"): BankFile(questions=[_without_english(bank.get(DROPOUT))])})
    engine = _engine(store, chinese_only, grader, taxonomy, "en")
    question, text = _stating_the_first_misconception(engine)
    wrong = question.misconceptions[0]
    assert f"  · {wrong.claim}\n    In fact: {wrong.correction}" in text
    assert f"Careful: “{wrong.claim}” is a common misconception." in text
    _ask(engine, DROPOUT)
    assert engine.hint(USER).text == f"Hint (costs 10 points): {question.key_points[0].gist}"


# ---------------------------------------------------------------- the terminal


def _plain(screen: str) -> str:
    """A screen's words on one line: without styles, box borders, line breaks or no-break spaces."""
    return " ".join(re.sub(r"\x1b\[[0-9;]*m", "", screen).replace("│", " ").split())


def test_practice_in_english_shows_english_hints_misconceptions_and_followups(practice_config: Path, bank: Bank) -> None:
    mockbot = shutil.which("mockbot", path=str(Path(sys.executable).parent))
    assert mockbot, "the mockbot console script is not installed in this environment"
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200", LINES="50", TERM="xterm", TZ="UTC")
    args = ["--config", str(practice_config), "practice", "--user", "eve", "--seed", "7", "--lang", "en", "--topic", "python"]
    child = pexpect.spawn(mockbot, args, env=env, encoding="utf-8", timeout=90, dimensions=(50, 200))
    prompt = r"\r\n(?:> |… )"
    try:
        child.expect(r"Question 1 · [^\[\n]*\[(\d{3}-[0-9a-f]{6})\]")
        question = bank.get(child.match.group(1))
        child.expect(prompt)
        child.sendline(":hint")
        child.expect(prompt)
        assert f"Hint (costs 10 points): {question.key_points[0].gist_en}" in _plain(child.before)
        wrong = question.misconceptions[0]
        child.sendline(wrong.claim)  # said in Chinese, read on an English screen
        child.expect(prompt)
        child.sendline("")  # the answer ends: its feedback
        child.expect(prompt)
        feedback = _plain(child.before)
        child.sendline(":followup")
        child.expect(prompt)
        followup = _plain(child.before)
        child.sendline(":quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert "A common misconception" in feedback and wrong.claim_en in feedback and wrong.correction_en in feedback
    assert f"Careful: “{wrong.claim_en}” is a common misconception." in feedback and wrong.claim not in feedback
    gists = [p.gist_en for p in question.key_points]
    assert "Follow-up:" in followup and any(f"“{g}”" in followup for g in gists), followup
