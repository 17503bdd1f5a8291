"""The terminal practice mode driven through a pty, as a person would use it (real models, real SQLite)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pexpect
import pytest

from bot.storage import Store
from questions.bank import Bank

QUESTION_ID = re.compile(r"\[(\d{3}-[0-9a-f]{6})\]")
TIMEOUT = 90  # the first reply loads the model


def _mockbot() -> str:
    found = shutil.which("mockbot", path=str(Path(sys.executable).parent))
    assert found, "the mockbot console script is not installed in this environment"
    return found


def _spawn(practice_config: Path, *extra: str) -> pexpect.spawn:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120", LINES="50", TERM="xterm")
    child = pexpect.spawn(
        _mockbot(), ["--config", str(practice_config), "practice", "--user", "alice", "--seed", "7", *extra],
        env=env, encoding="utf-8", timeout=TIMEOUT, dimensions=(50, 120),
    )  # fmt: skip
    return child


def _question(child: pexpect.spawn) -> str:
    child.expect(QUESTION_ID)
    return child.match.group(1)


def _answer(child: pexpect.spawn, text: str) -> tuple[int, str]:
    """Type a (multi-line) answer, end it with an empty line; return the score and the feedback shown."""
    for line in text.split("\n"):
        child.sendline(line)
    child.sendline("")
    child.expect(r"(\d+)/100")
    score = int(child.match.group(1))
    child.expect(r"(本次练习|This session)")
    return score, child.before


def test_three_answers_then_restart_finds_progress_and_reviews(practice_config: Path, bank: Bank, tmp_path: Path) -> None:
    child = _spawn(practice_config)
    asked: dict[str, str] = {}
    feedback: dict[str, str] = {}
    for kind in ("good", "partial", "wrong"):
        question_id = _question(child)
        question = bank.get(question_id)
        assert question is not None
        if kind == "good":
            text = "\n".join(question.point_texts)  # every key point, one per line
        elif kind == "partial":
            text = question.point_texts[0]
        else:
            text = "我觉得这题主要和天气有关，今天下雨了，所以要多喝热水。"
        _, feedback[kind] = _answer(child, text)
        asked[kind] = question_id
        child.sendline("")  # Enter: next question
    assert "✓" in feedback["good"] and "✗" in feedback["wrong"]
    assert "✗" in feedback["partial"] or "～" in feedback["partial"]
    child.expect(QUESTION_ID)
    child.sendline(":quit")
    child.expect(pexpect.EOF)

    # Restart: the progress is there.
    child = _spawn(practice_config)
    _question(child)
    child.sendline(":stats")
    child.expect(r"(共练习|answers)")
    child.expect(pexpect.TIMEOUT, timeout=1)
    assert "3" in child.before or "3" in child.after
    child.sendline(":quit")
    child.expect(pexpect.EOF)

    store = Store.open(f"sqlite:///{tmp_path / 'practice.sqlite3'}")
    try:
        attempts = store.attempts("term:alice")
        assert [a.question_id for a in attempts] == [asked[k] for k in ("good", "partial", "wrong")]
        good, _, wrong = attempts
        assert good.score > wrong.score
        reviews = {r.question_id: r for r in store.reviews("term:alice")}
        assert set(reviews) == {a.question_id for a in attempts}
        assert reviews[wrong.question_id].due < reviews[good.question_id].due  # the failed one comes back first
        assert all(r.due > r.updated_at for r in reviews.values())
    finally:
        store.close()


def test_restart_in_the_middle_of_a_question_resumes_it(practice_config: Path) -> None:
    child = _spawn(practice_config)
    first = _question(child)
    child.expect(r"\r\n> ")
    child.sendline(":hint")
    child.expect(r"(提示（扣|Hint \(costs)")  # the hint itself, not the 提示 button's label
    child.expect(r"\r\n> ")  # the prompt is up (line editing on): Ctrl-D now is end of input
    child.sendeof()  # the terminal closes without an answer
    child.expect(pexpect.EOF)

    child = _spawn(practice_config)
    child.expect(r"(继续上次没答完的题|Picking up)")
    assert _question(child) == first
    child.sendline(":quit")
    child.expect(pexpect.EOF)


def test_commands_answer_skip_and_english(practice_config: Path) -> None:
    child = _spawn(practice_config, "--lang", "en")
    first = _question(child)
    child.sendline(":answer")
    child.expect("Reference answer")
    child.sendline("")  # next question
    second = _question(child)
    assert second != first
    child.sendline(":skip")
    child.expect("Skipped")
    assert _question(child) != second
    child.sendline(":quit")
    child.expect("Bye")
    child.expect(pexpect.EOF)
