"""A practice session in the terminal as a candidate lives it, through a pty: which questions come,
what the counters say, how input is read, in which zone and language times and labels are shown.

Real models, the shipped bank, a real SQLite file; `mockbot practice` runs as its own process.
"""

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

QUESTION = re.compile(r"(?:第 (\d+) 题|Question (\d+)) · [^\[\n]*\[(\d{3}-[0-9a-f]{6})\]")
PROMPT = r"\r\n(?:> |… )"
TIMEOUT = 90  # the first reply loads the model
OPEN_EVERY = 7  # the README's promise: at most one open question in seven


class Terminal:
    """`mockbot practice` in a pty; `send` types a line and returns what the screen shows until
    the next prompt (or the end)."""

    def __init__(self, practice_config: Path, *args: str, tz: str = "UTC") -> None:
        mockbot = shutil.which("mockbot", path=str(Path(sys.executable).parent))
        assert mockbot, "the mockbot console script is not installed in this environment"
        env = dict(os.environ, NO_COLOR="1", COLUMNS="160", LINES="50", TERM="xterm", TZ=tz)
        self.child = pexpect.spawn(
            mockbot, ["--config", str(practice_config), "practice", "--user", "alice", "--seed", "7", *args],
            env=env, encoding="utf-8", codec_errors="replace", timeout=TIMEOUT, dimensions=(50, 160),
        )  # fmt: skip
        self.opening = self._screen()

    def _screen(self) -> str:
        self.child.expect([PROMPT, pexpect.EOF])
        return self.child.before.replace("\r\n", "\n")

    def send(self, line: str) -> str:
        self.child.sendline(line)
        return self._screen()

    def answer(self, text: str) -> str:
        for line in text.split("\n"):
            self.child.sendline(line)
            self.child.expect(PROMPT)
        return self.send("")

    def interrupt(self) -> str:
        self.child.sendintr()
        return self._screen()

    def close(self) -> str:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return (self.child.before or "").replace("\r\n", "\n")


def questions_on(screen: str) -> list[tuple[int, str]]:
    """(session number, question id) of every question box on a screen."""
    return [(int(a or b), qid) for a, b, qid in QUESTION.findall(screen)]


def stored(practice_config: Path):  # noqa: ANN201 - a Store, closed by the caller
    return Store.open(f"sqlite:///{practice_config.parent / 'practice.sqlite3'}")


def stored_answers(practice_config: Path, user_key: str = "term:alice") -> list[str]:
    """The answers the practice database holds for the user, oldest first."""
    store = stored(practice_config)
    try:
        return [a.answer for a in store.attempts(user_key)]
    finally:
        store.close()


# ---------------------------------------------------------------- which questions come


def test_twenty_questions_keep_to_the_chosen_topics_with_few_open_ones_and_true_counters(
    practice_config: Path, bank: Bank
) -> None:
    topics = {"transformer-nlp", "optimization"}
    term = Terminal(practice_config, "--topic", "transformer-nlp", "--topic", "optimization", "--goal", "15")
    shown = questions_on(term.opening)
    answered = 0
    summaries = 0
    screen = term.opening
    while len(shown) < 20:
        number, question_id = shown[-1]
        question = bank.get(question_id)
        assert question is not None and question.topic in topics, question_id
        if question.gradable:
            screen = term.answer("我觉得主要是为了让训练更稳定，收敛更快。")
            answered += 1
            label = f"本次练习 {answered}/15 题" if answered < 15 else f"本次练习 {answered} 题（目标 15 题 ✓）"
            assert label in screen
            summaries += screen.count("本次练习小结")
            screen = term.send("")  # Enter: the next question
        else:
            assert ":answer" not in screen.split(question_id)[-1]  # nothing to show for an open question
            screen = term.answer("我会先想清楚问题的背景，再讲讲自己的理解。")
            assert "开放题" in screen
            screen = term.send("")
        found = questions_on(screen)
        assert len(found) == 1, screen
        assert found[0][0] == number + 1  # 第 N 题 counts every question of the session, open ones too
        shown += found
    ids = [qid for _, qid in shown]
    assert len(set(ids)) == 20
    opened = [i for i, qid in enumerate(ids) if not bank.get(qid).gradable]  # type: ignore[union-attr]
    assert 1 <= len(opened) <= 20 // OPEN_EVERY
    assert all(b - a >= OPEN_EVERY for a, b in zip(opened, opened[1:]))
    assert opened[0] >= OPEN_EVERY - 1  # never among the first questions
    assert summaries == 1  # once, when the goal was reached
    end = term.send(":quit") + term.close()
    assert "本次练习小结：答了 {} 题".format(answered) in end and "再见" in end
    store = stored(practice_config)
    try:
        assert len(store.attempts("term:alice")) == answered
    finally:
        store.close()


def test_a_topic_stays_chosen_through_skips_and_restarts(practice_config: Path, bank: Bank) -> None:
    term = Terminal(practice_config, "--topic", "python")
    shown = questions_on(term.opening)
    for _ in range(6):
        shown += questions_on(term.send(":skip"))
    assert len(shown) == 7 and {bank.get(q).topic for _, q in shown} == {"python"}  # type: ignore[union-attr]
    screen = term.send(":topic pytorch")
    assert "PyTorch" in screen and "已跳过这题" in screen  # the open Python question is set aside, and told
    shown = questions_on(screen)
    for _ in range(4):
        shown += questions_on(term.send(":skip"))
    assert len(shown) == 5 and {bank.get(q).topic for _, q in shown} == {"pytorch"}  # type: ignore[union-attr]
    term.send(":quit")
    term.close()
    again = Terminal(practice_config)  # no --topic: the choice is remembered
    assert "只练这些主题：PyTorch" in again.opening
    assert questions_on(again.opening)[0][0] == 1  # numbered from 1 in every session
    assert bank.get(questions_on(again.opening)[0][1]).topic == "pytorch"  # type: ignore[union-attr]
    assert "欢迎使用" not in again.opening  # the long welcome is for the first visit only
    again.send(":quit")
    again.close()


def test_when_a_topic_is_done_it_says_so_and_serves_nothing_early(practice_config: Path, bank: Bank) -> None:
    pytorch = [q for q in bank.questions if q.topic == "pytorch"]
    term = Terminal(practice_config, "--topic", "pytorch", "--goal", str(len(pytorch)))
    screen = term.opening
    done = []
    for _ in pytorch:
        (_, question_id), = questions_on(screen)
        question = bank.get(question_id)
        assert question is not None
        term.answer("\n".join(question.point_texts))  # a full answer: due again in days
        done.append(question_id)
        screen = term.send("")
    assert sorted(done) == sorted(q.id for q in pytorch)
    assert not questions_on(screen)
    flat = screen.replace("\n", "")
    assert "「PyTorch」的题暂时练完了" in flat and "下一道复习：" in flat
    assert "python（Python，7 道新题）" in flat  # where there is something to practise
    assert not questions_on(term.send(":next"))  # asking again does not serve a review early
    term.send(":quit")
    term.close()


# ---------------------------------------------------------------- input


def test_ctrl_c_and_commands_on_a_continuation_line_never_submit_the_draft(practice_config: Path) -> None:
    term = Terminal(practice_config)
    (_, first), = questions_on(term.opening)
    term.child.sendline("dropout在训练的时候随机丢弃神经元")
    term.child.expect(PROMPT)
    screen = term.interrupt()
    assert "正在输入的内容已丢弃" in screen and "得分" not in screen
    term.child.send("还没按回车的第一行")  # Ctrl-C before Enter: that line is dropped, the session goes on
    term.child.expect("还没按回车的第一行")  # echoed: the line editor has it
    screen = term.interrupt()
    assert "正在输入的内容已丢弃" in screen and "再见" not in screen
    screen = term.send("")  # an empty answer: asked for one, the question stays open
    assert "回答是空的" in screen and "继续上次" not in screen and not questions_on(screen)
    term.child.sendline("第一行回答")
    term.child.expect(PROMPT)
    screen = term.send(":hint")  # looks something up, the answer goes on
    assert "提示" in screen and "继续输入你的回答" in screen
    term.child.sendline("第二行")
    term.child.expect(PROMPT)
    screen = term.send("：quit")  # on a continuation line, with a Chinese input method's colon: a command
    screen += term.close()
    assert "没有提交的回答已丢弃" in screen and "再见" in screen
    store = stored(practice_config)
    try:
        assert store.attempts("term:alice") == []
        assert store.chat_state("term:alice").question_id == first  # still open for next time
    finally:
        store.close()


PASTE = (
    "从后往前推，RF_{l} = RF_{l-1} + (k_l - 1) * 前面所有层stride的乘积\n\n"
    "比如两层3x3卷积stride=1，感受野是5x5，三层就是7x7\n\n"
)


def test_a_pasted_answer_with_blank_lines_is_graded_whole(practice_config: Path) -> None:
    term = Terminal(practice_config)
    (_, first), = questions_on(term.opening)
    term.child.send(PASTE)  # one write, as a terminal delivers a paste
    term.child.expect("得分")
    screen = term._screen()
    (_, second), = questions_on(term.send(""))  # Enter: the next question
    term.child.send("第一段\n\n第二段没有换行")  # a paste that ends inside a line
    term.child.expect("第二段没有换行")
    term.child.sendline("")  # Enter ends that line; the empty line then sends the answer
    term.child.expect(PROMPT)
    screen += term.send("")
    assert "得分" in screen and "现在没有待回答的题目" not in screen and "没有提交的回答已丢弃" not in screen
    term.send(":quit")
    term.close()
    store = stored(practice_config)
    try:
        attempts = store.attempts("term:alice")
        assert [(a.question_id, a.answer) for a in attempts] == [
            (first, PASTE.strip("\n")), (second, "第一段\n\n第二段没有换行"),
        ]  # fmt: skip
    finally:
        store.close()


def test_a_command_after_a_pasted_answer_comes_after_its_grading(practice_config: Path) -> None:
    term = Terminal(practice_config)
    term.child.send("训练时随机丢弃神经元\n\n测试时不丢弃\n\n:quit\n")
    end = term.close()
    assert "得分" in end and "没有提交的回答已丢弃" not in end and "再见" in end
    assert stored_answers(practice_config) == ["训练时随机丢弃神经元\n\n测试时不丢弃"]


def test_text_sent_when_no_question_is_open_is_not_dropped_unseen(practice_config: Path) -> None:
    term = Terminal(practice_config)
    term.answer("训练时随机丢弃神经元")
    screen = term.answer("还想补充一句：测试时不丢弃")  # after the feedback, before the next question
    assert "这段文字没有评分" in screen and "现在没有待回答的题目" in screen and "按回车" in screen and "得分" not in screen
    term.send(":quit")
    term.close()
    assert stored_answers(practice_config) == ["训练时随机丢弃神经元"]


def test_ctrl_d_ends_the_session_on_an_empty_line_only(practice_config: Path) -> None:
    term = Terminal(practice_config)
    term.child.send("写了半行")
    term.child.expect("写了半行")
    term.child.sendeof()  # Ctrl-D with text on the line: nothing happens (readline)
    assert term.child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=2) == 1 and term.child.isalive()
    term.child.sendline("")  # Enter: the line goes into the answer
    term.child.expect(PROMPT)
    term.child.sendeof()  # on an empty line: the session ends, the draft is dropped
    end = term.close()
    assert "没有提交的回答已丢弃" in end and "再见" in end
    store = stored(practice_config)
    try:
        assert store.attempts("term:alice") == []
    finally:
        store.close()


def test_a_mistyped_command_inside_an_answer_is_named_and_not_graded(practice_config: Path) -> None:
    term = Terminal(practice_config)
    (_, first), = questions_on(term.opening)
    term.child.sendline("dropout训练时随机丢弃神经元")
    term.child.expect(PROMPT)
    screen = term.send(":tpoic python")
    assert "不认识的命令 :tpoic" in screen and "继续输入你的回答" in screen
    term.child.sendline("测试时不丢弃")
    term.child.expect(PROMPT)
    screen = term.send("")
    assert "得分" in screen
    term.send(":quit")
    term.close()
    store = stored(practice_config)
    try:
        (attempt,) = store.attempts("term:alice")
        assert attempt.question_id == first and attempt.answer == "dropout训练时随机丢弃神经元\n测试时不丢弃"
    finally:
        store.close()


def test_no_flood_limit_at_the_keyboard(practice_config: Path) -> None:
    term = Terminal(practice_config, "--goal", "14")
    graded = 0
    for _ in range(15):  # Telegram allows 12 graded answers a minute
        screen = term.answer("不知道")
        assert "太快" not in screen and "too fast" not in screen.lower()
        graded += "得分" in screen
        term.send(":next")
    assert graded >= 13
    term.send(":quit")
    term.close()


# ---------------------------------------------------------------- time zones, languages, help


def test_due_dates_are_in_the_machines_zone_or_the_one_asked_for(practice_config: Path) -> None:
    term = Terminal(practice_config, tz="America/New_York")
    screen = term.answer("不知道")
    assert re.search(r"下次复习：\d{4}-\d\d-\d\d \d\d:\d\d（America/New_York）", screen)
    term.send(":quit")
    term.close()
    term = Terminal(practice_config, "--tz", "Asia/Tokyo", tz="America/New_York")
    term.send("")
    screen = term.answer("不知道")
    assert "（Asia/Tokyo）" in screen
    term.send(":quit")
    term.close()
    bad = Terminal(practice_config, "--tz", "Mars/Olympus")
    assert "unknown time zone 'Mars/Olympus'" in bad.opening + bad.close()
    assert bad.child.exitstatus == 2


def test_english_screens_have_no_chinese_labels(practice_config: Path) -> None:
    term = Terminal(practice_config, "--lang", "en")
    screen = term.answer("Dropout randomly drops units while training.")
    assert "Score" in screen and "得分" not in screen and "下次复习" not in screen and "Next review" in screen
    assert "This session: 1/5" in screen
    screen = term.send(":stats")
    assert re.search(r"\b1 answer,", screen) and "1 answers" not in screen and "、" not in screen
    screen = term.send(":topic python pytorch")
    assert "Python and PyTorch" in screen
    screen = term.answer("word " * 450)  # past grading.max_answer_chars (2000)
    assert "only its first 2000 characters were graded" in screen and "回答太长" not in screen
    term.send(":quit")
    term.close()


def test_help_lists_every_command_and_texts_fit_the_terminal(practice_config: Path) -> None:
    term = Terminal(practice_config, "--goal", "1")
    screen = term.send(":help")
    for command in (":hint", ":answer", ":skip", ":next", ":followup", ":stats", ":again", ":hard", ":good",
                    ":easy", ":topic", ":lang", ":help", ":quit"):  # fmt: skip
        assert command in screen, command
    screen = term.send(":followup")
    assert "先回答当前这道题" in screen and "/question" not in screen
    screen = term.answer("不知道")
    assert "本次练习小结：答了 1 题" in screen and "完成了本次的 1 题目标" in screen
    assert "追问" in term.send(":followup")
    screen = term.answer("还是不知道")  # a follow-up counts neither here nor in :stats
    assert "本次练习 1 题（目标 1 题 ✓）" in screen and "本次练习小结" not in screen
    assert "共练习 1 次" in term.send(":stats")
    term.send(":quit")
    term.close()
    bad = Terminal(practice_config, "--goal", "-3")
    text = bad.opening + bad.close()
    assert "--goal" in text and bad.child.exitstatus == 2


def test_long_pasted_lines_and_other_encodings_are_read_whole(practice_config: Path) -> None:
    term = Terminal(practice_config)
    term.send("：hint")  # a full-width colon is a command, not an answer
    long_line = "训练时随机丢弃神经元，测试时不丢弃。" * 300  # 5,400 characters, 16,200 bytes on one line
    screen = term.answer(long_line)
    assert "只评了前 2000 个字符" in screen  # read whole, then cut where the grader says, and told
    term.send(":next")
    os.write(term.child.child_fd, "列表可变，元组不可变".encode("gbk") + b"\r")  # a terminal set to GBK
    term.child.expect(PROMPT)
    screen = term.send("")
    assert "得分" in screen  # read as well as it can be, graded, the session goes on
    term.child.sendline("这题我打了一半")
    term.child.expect(PROMPT)
    term.child.sendeof()  # Ctrl-D in the middle of an answer: dropped, not graded
    end = term.close()
    assert "没有提交的回答已丢弃" in end and "再见" in end
    store = stored(practice_config)
    try:
        texts = [a.answer for a in store.attempts("term:alice")]
        assert len(texts) == 2 and len(texts[0]) == len(long_line)
        assert not any(t.startswith(":") for t in texts)
    finally:
        store.close()


def test_gbk_bytes_from_a_pipe_are_read_as_chinese(practice_config: Path) -> None:
    import subprocess

    mockbot = shutil.which("mockbot", path=str(Path(sys.executable).parent))
    assert mockbot
    typed = "列表可变，元组不可变\n\n:quit\n".encode("gbk")
    done = subprocess.run(
        [mockbot, "practice", "--config", str(practice_config), "--user", "alice", "--seed", "7"],
        input=typed, capture_output=True, timeout=TIMEOUT, env=dict(os.environ, NO_COLOR="1", TZ="UTC"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    assert stored_answers(practice_config) == ["列表可变，元组不可变"]


def test_ctrl_c_drops_the_draft_even_when_started_with_ctrl_c_ignored(practice_config: Path) -> None:
    mockbot = shutil.which("mockbot", path=str(Path(sys.executable).parent))
    assert mockbot
    env = dict(os.environ, NO_COLOR="1", COLUMNS="160", TERM="xterm", TZ="UTC")
    command = f"trap '' INT; exec {mockbot} practice --config {practice_config} --user alice"  # as under nohup
    child = pexpect.spawn("/bin/sh", ["-c", command], env=env, encoding="utf-8", timeout=TIMEOUT, dimensions=(50, 160))
    child.expect(PROMPT)
    child.sendline("随便写一点")
    child.expect(PROMPT)
    child.sendintr()
    child.expect("正在输入的内容已丢弃")
    child.expect(PROMPT)
    child.sendline("")  # the draft is gone: an empty answer
    child.expect("回答是空的")
    child.sendline(":quit")
    child.expect(pexpect.EOF)


def test_a_key_point_wrapped_at_80_columns_goes_on_under_its_own_text() -> None:
    from io import StringIO

    from rich.console import Console

    from bot.terminal import TerminalPractice

    point = "训练时每个神经元以概率p保留、以1-p的概率输出0，保留下来的输出除以p，这样测试阶段不用做任何操作，输出的期望和训练时一致"
    english = "the kept outputs are divided by p during training so that nothing needs to be done at test time at all"
    screen = StringIO()
    console = Console(file=screen, width=80, color_system=None)
    console.print(TerminalPractice._feedback(f"得分 38/100 · 部分正确\n✗ 没答到的要点\n  · {point}\n  · {english}\n建议补充：{point}"))
    lines = screen.getvalue().splitlines()
    assert lines[2].startswith("  · ") and lines[3].startswith("    ") and lines[3].strip()  # wrapped, indented
    assert "".join(line.strip(" ·") for line in lines[2:4]) == point  # nothing cut or lost
    assert lines[4].startswith("  · ") and lines[5].startswith("    ") and " ".join(x.strip(" ·") for x in lines[4:6]) == english
    assert not lines[7].startswith(" ")  # the tip is not a point: it wraps to the margin


def test_a_paste_delivered_in_two_pieces_at_a_blank_line_is_graded_whole(practice_config: Path) -> None:
    import time

    term = Terminal(practice_config)
    term.child.send("训练时随机丢弃神经元\n\n")
    time.sleep(0.1)  # the rest of the paste comes later, as over a laggy SSH link
    term.child.send("测试时不丢弃，输出乘以保留概率\n\n")
    term.child.expect("得分")
    screen = term._screen()
    term.send(":quit")
    end = term.close()
    assert "这段文字没有评分" not in screen + end
    assert stored_answers(practice_config) == ["训练时随机丢弃神经元\n\n测试时不丢弃，输出乘以保留概率"]


def test_a_pasted_paragraph_starting_with_a_colon_is_part_of_the_answer(practice_config: Path) -> None:
    term = Terminal(practice_config)
    term.child.send("训练时随机丢弃神经元\n\n:param p 说明：保留概率，测试时不丢弃\n\n")  # one paste
    term.child.expect("得分")
    screen = term._screen()
    assert "不认识的命令" not in screen
    assert not questions_on(screen + term.send(":quit") + term.close())  # the paste's last blank line asked for none
    assert stored_answers(practice_config) == ["训练时随机丢弃神经元\n\n:param p 说明：保留概率，测试时不丢弃"]
