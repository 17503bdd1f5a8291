"""Line breaking in the terminal: Chinese mixed with English, at every width a terminal may have.

The texts are the ones a user saw broken badly (「平均 50」 / 「分」, 「（如56层不如20层」 / 「）」,
「content/query」 / 「stream」, 「ResNet中Residual」 / 「block」); each is wrapped, and rendered the
way the terminal renders feedback and boxes, at widths from 16 to 100 columns.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.panel import Panel

from bot.terminal import TerminalPractice
from bot.wrapping import WrappedText, wrap

TEXTS = [
    "共练习 16 次，平均 50 分，连续 3 天，今天 4 次。",
    "Transformer与NLP：掌握 40%，5 次，平均 47 分，待复习 2",
    "ResNet解决的是深层网络的退化问题（如56层不如20层），而不是梯度消失",
    "XLNet用两路注意力：content/query stream，query stream看不到当前词本身",
    "追问：关于「ResNet中Residual block的作用」，你还没讲到一个要点。能具体说说和「恒等映射」有关的部分吗？",
    "从后往前推，RF_{l} = RF_{l-1} + (k_l - 1) * 前面所有层stride的乘积",
    "the kept outputs are divided by p during training so that nothing needs to be done at test time",
]
WIDTHS = range(16, 101)
CLOSING = "）」』】，。、；：！？)]}.,;:!?"
OPENING = "（「『【([{"
WORD = re.compile(r"[A-Za-z0-9_]")


def breaks(text: str, lines: list[str]) -> list[int]:
    """Where in `text` each line after the first starts (its spaces at the break dropped)."""
    offsets, position = [], 0
    for number, line in enumerate(lines):
        found = text.index(line.lstrip(" ") if number else line, position)
        assert not text[position:found].strip(), f"text lost between lines: {text[position:found]!r}"
        if number:
            offsets.append(found)
        position = found + len(line.lstrip(" ") if number else line)
    assert not text[position:].strip(), "the end of the text is lost"
    return offsets


@pytest.mark.parametrize("text", TEXTS)
def test_lines_fit_lose_nothing_and_never_break_inside_a_word_or_at_punctuation(text: str) -> None:
    for width in WIDTHS:
        lines = wrap(text, width)
        assert all(cell_len(line) <= width for line in lines), (width, lines)
        assert all(line == line.rstrip() for line in lines), (width, lines)  # no trailing spaces
        for at in breaks(text, lines):
            before = text[:at].rstrip(" ")[-1]
            after = text[at]
            context = (width, text[max(0, at - 8) : at], text[at : at + 8])
            assert not (WORD.match(before) and WORD.match(after) and text[at - 1] != " "), context  # inside a word
            assert after not in CLOSING and before not in OPENING, context
            assert not (before.isdigit() and text[at] in "次分天题"), context  # a number and its unit
    assert len(wrap(text, 200)) == 1


def test_an_english_phrase_in_chinese_text_moves_whole_when_it_fits_on_a_line() -> None:
    assert wrap("追问：关于「ResNet中Residual block的作用」", 30) == ["追问：关于「ResNet中", "Residual block的作用」"]
    assert wrap("两路注意力：content/query stream，query", 30) == ["两路注意力：", "content/query stream，query"]


def test_a_run_longer_than_a_line_is_cut_at_the_width_rather_than_lost() -> None:
    url = "https://example.com/" + "a" * 50
    lines = wrap(f"参考：{url}", 24)
    assert "".join(lines) == f"参考：{url}" and all(cell_len(line) <= 24 for line in lines)


def _rendered(renderable: object, width: int) -> list[str]:
    screen = StringIO()
    Console(file=screen, width=width, color_system=None).print(renderable)
    return screen.getvalue().splitlines()


def test_feedback_points_wrap_under_their_own_text_without_trailing_spaces() -> None:
    feedback = "得分 47/100 · 部分正确\n✗ 没答到的要点\n" + "".join(f"  · {text}\n" for text in TEXTS) + f"建议补充：{TEXTS[2]}"
    for width in WIDTHS:
        lines = _rendered(TerminalPractice._feedback(feedback), width)
        assert all(line == line.rstrip() and cell_len(line) <= width for line in lines), (width, lines)
        points: list[list[str]] = []
        for line in lines[2:]:
            if line.startswith("  · "):
                points.append([line[4:]])
            elif points and line.startswith("    "):
                points[-1].append(line[4:])
        assert len(points) == len(TEXTS)
        for text, point in zip(TEXTS, points):
            breaks(text, point)  # every point whole, in order
            assert not any(line[:1] in CLOSING for line in point[1:]), (width, point)


def test_boxes_are_as_narrow_as_their_text_and_break_it_the_same_way() -> None:
    text = "\n".join(TEXTS[:3])
    for width in (30, 44, 60):
        inner = [line[2:-2].rstrip() for line in _rendered(Panel(WrappedText(text), expand=False), width)[1:-1]]
        assert inner == [line for part in TEXTS[:3] for line in wrap(part, width - 4)]
    assert len(_rendered(Panel(WrappedText("短"), expand=False), 80)[0]) == 6  # measured, not stretched


def _session_screen(replies: list, width: int) -> list[str]:  # noqa: ANN001 - Reply objects
    """The lines a terminal session prints for `replies`, rendered by a real Rich console."""
    from bot.terminal import TerminalPractice

    console = Console(file=StringIO(), width=width, color_system=None, record=True)
    session = TerminalPractice(None, "term:tester", console=console, chart_dir=None)  # type: ignore[arg-type]
    session.show(replies)
    return console.export_text().splitlines()


def test_text_printed_outside_a_box_breaks_as_inside_one(tmp_path, bank, taxonomy) -> None:  # noqa: ANN001 - fixtures
    import random
    from datetime import datetime, timezone

    from bot.engine import Action, PracticeEngine, Reply, ReplyKind
    from bot.storage import Store
    from grading.i18n import _

    now = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
    store = Store.open(f"sqlite:///{tmp_path / 'wrap.sqlite3'}")
    try:
        engine = PracticeEngine(store, bank, None, taxonomy, rng=random.Random(3))  # type: ignore[arg-type]
        welcome = engine.start("term:tester", now=now)[:-1]
        # :answer on BERT/GPT/ELMo (an image answer, told in words: 「下游任务用fine-tuning」) and on the
        # longest text answer of the bank.
        longest = max((q for q in bank.questions if q.gradable and q.answer_kind.value == "text"), key=lambda q: len(q.answer))
        reference = []
        for question in (bank.get("001-945b5b"), longest):
            engine._ask("term:tester", question, now=now)  # noqa: SLF001
            reference += engine.press("term:tester", Action.ANSWER, now=now)
    finally:
        store.close()
    chart = Reply(ReplyKind.INFO, _("terminal.chart", "zh", path="/home/ann/.local/share/mockbot/charts/progress-term-ann.png"))
    messages = [*welcome, Reply(ReplyKind.INFO, _("terminal.help", "zh")), *reference, chart]
    source = "\n".join(reply.text for reply in messages)
    for width in (60, 80):
        lines = _session_screen(messages, width)
        assert all(line == line.rstrip() and cell_len(line) <= width for line in lines), (width, lines)
        assert not [line for line in lines if line[:1] in "）」』】，。、；：！？"], width  # (":hint" starts a line)
        for above, below in zip(lines, lines[1:]):
            tail, head = re.search(r"[A-Za-z0-9_-]*$", above).group(0), re.match(r"[A-Za-z0-9_-]*", below).group(0)
            assert not (tail and head and tail + head in source), (width, above, below)  # broken inside a word
        assert any(line.endswith("/home/ann/.local/share/mockbot/charts/progress-term-ann.png") for line in lines)  # whole
