"""Importing notes of any common shape: the structure is inferred, nothing is lost, and a preview
shows what would be written.

The fixtures under tests/data/notes/ are written in the shapes of public interview notes: details
blocks under numbered headings, bold bullets, a hexo post, English **Q:** lines, chapter-numbered
headings, anchor labels with a table of contents, plain-text numbered questions and a 问：/答：
interview log. Each comes with the usual mess (titles, tables of contents, introductions, rules,
reference sections, questions without an answer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from questions.bank import load_bank, read_bank_file
from questions.build import notes_prefix
from questions.importer import import_seed, import_seeds, seed_paths
from questions.importers import SeedFormatError, detect_format, parse_seed, read_seed_text
from questions.importers.notes import NotesSeed
from questions.importers.notes.cues import strip_citations
from questions.model import AnswerKind
from questions.taxonomy import Taxonomy

NOTES = Path(__file__).parent / "data" / "notes"

# file -> (how the questions were recognised, questions, answered, the open questions)
EXPECTED: dict[str, tuple[str, int, int, list[str]]] = {
    "details_headings.md": ("level-3 headings (### …)", 12, 11, ["Adam 优化器的原理是什么？"]),
    "bold_bullets.md": (
        "top-level bulleted list items in bold",
        14,
        11,
        ["池化层的作用是什么？", "Seq2Seq 中的 Attention 解决了什么问题？", "混合精度训练是怎么做的？"],
    ),
    "hexo_post.md": ("level-2 headings (## …)", 9, 8, ["Dropout和BN一起用会有什么问题"]),
    "qa_english.md": (
        "lines starting with Q: or 问：",
        12,
        11,
        ["What is the difference between batch, mini-batch and stochastic gradient descent?"],
    ),
    "numbered_sections.md": ("level-3 headings (### …)", 11, 10, ["交叉熵损失和 softmax 一起使用有什么好处？"]),
    "anchor_toc.md": ("level-3 headings (### …)", 9, 8, ["朴素贝叶斯的“朴素”指什么？"]),
    "plain_numbered.txt": ("top-level numbered list items", 11, 10, ["什么是早停（Early Stopping）？"]),
    "qa_prefix.txt": (
        "lines starting with Q: or 问：",
        10,
        8,
        ["了解 Transformer 里的 KV Cache 吗？", "模型上线后效果变差，你会怎么排查？"],
    ),
    # 《深度学习》整理 style: a TOC, then `#` headings that are the questions though most do not ask.
    "dl_book_toc.md": ("level-1 headings (# …)", 12, 12, []),
    # 面经: numbered (then bulleted) questions per round, sub-bullets full of 作用/区别 as the answers.
    "interview_log.md": ("top-level numbered list items", 11, 11, []),
    # Topic headings (## 卷积神经网络) holding ### questions, next to ## questions of their own.
    "topic_headings.md": (
        "headings of several levels (topic headings hold the question headings)",
        10,
        9,
        ["Dropout 在训练和推理时有何不同？"],
    ),
    # `#### 1) What …? [[src](url)]`: citations after the question mark, one question left open.
    "cited_headings.md": ("level-4 headings (#### …)", 5, 4, ["How does k-means choose its clusters?"]),
    # 面经 rounds: numbered questions, a Q：/A： scenario round, and notes that are not questions.
    "interview_rounds.md": (
        "top-level numbered list items",
        8,
        2,
        ["介绍一下 BatchNorm", "Dropout 在推理时怎么处理？", "Adam 和 SGD 的区别", "梯度裁剪", "你的项目里最难的部分是什么？", "模型上线后怎么监控效果？"],
    ),
    # "**3)** **Topic:** …, **Level:** …" metadata lines, tables, formulas, trailing open questions.
    "topic_levels.md": (
        "bold lines (**…**)",
        8,
        5,
        [
            "How does label smoothing affect calibration?",
            "What is the difference between bagging and boosting?",
            "When would you prefer L1 regularization over L2?",
        ],
    ),
}

# What each fixture's mess is skipped as.
SKIP_REASONS: dict[str, set[str]] = {
    "details_headings.md": {
        "document title", "badges", "introduction (before the first question)", "table of contents",
        "horizontal rule", "section introduction (before its first question)", "references",
    },
    "bold_bullets.md": {"document title", "introduction (before the first question)", "table of contents", "references"},
    "hexo_post.md": {
        "front matter", "introduction (before the first question)", "excerpt marker <!--more-->",
        "hexo tag {% note %}", "text of the {% note %} box", "hexo tag {% endnote %}", "references",
    },
    "qa_english.md": {
        "document title", "introduction (before the first question)", "table of contents", "horizontal rule", "references",
    },
    "numbered_sections.md": {"table of contents", "document title", "references"},
    "anchor_toc.md": {
        "page header", "introduction (before the first question)", "horizontal rule", "table of contents",
        "question label (the question follows it)",
    },
    "plain_numbered.txt": {"document title", "introduction (before the first question)", "end mark"},
    "qa_prefix.txt": {"document title", "introduction (before the first question)", "placeholder, no answer yet"},
    "dl_book_toc.md": {"document title", "horizontal rule", "table of contents"},
    "interview_log.md": {"document title", "introduction (before the first question)"},
    "topic_headings.md": {"document title", "table of contents"},
    "topic_levels.md": {"document title", "introduction (before the first question)", "question metadata (topic, level, tags)"},
    "cited_headings.md": {"document title", "introduction (before the first question)"},
    "interview_rounds.md": {"document title", "section introduction (before its first question)"},
}  # fmt: skip

# Lines the structure leaves unplaced (reported by the importer), per fixture.
UNPLACED = {
    "qa_prefix.txt": [(49, "总结：整体难度中等，八股比较基础，项目问得很细。")],
    # Numbered statements in a section where nothing asks are notes, not questions.
    "interview_rounds.md": [
        (31, "### 面后感想"),
        (33, "1.  二面面试官更关注工程落地，基础题问得少。"),
        (34, "2.  下次要准备一个完整的系统设计案例"),
    ],
}

_MARKERS = re.compile(
    r"^(?:#{1,6}\s+|>\s?|[-*+•]\s+|\d{1,3}(?:\.\d{1,3})*[.、．)]?\s+|\d{1,3}[、.．]|（\d+）)+"
)
_PREFIXES = re.compile(r"^(?:\*\*)?(?:Q|A|Answer|问|答)\s*[:：](?:\*\*)?\s*")
_TAGS = re.compile(r"</?details[^>]*>|<summary>.*?</summary>", re.I)


def _visible(raw: str) -> str:
    """A line's content without Markdown markers, emphasis, Q:/答： prefixes, wrapper tags or the
    citations after a question ("[[src](…)]")."""
    text = strip_citations(_TAGS.sub("", raw).strip())
    text = _MARKERS.sub("", text).strip()
    text = text.replace("**", "").rstrip("*")  # trailing stars rate a question's importance
    text = _PREFIXES.sub("", text).strip()
    return text


def _parse(name: str) -> tuple[NotesSeed, list[str]]:
    path = NOTES / name
    seed = parse_seed(path)
    assert isinstance(seed, NotesSeed), f"{name} was read as {seed.format}"
    return seed, read_seed_text(path).split("\n")


def _config(tmp_path: Path, bank_dir: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"bank:\n  dir: {json.dumps(str(bank_dir))}\n", encoding="utf-8")
    return config


def _mockbot(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def test_the_fixtures_are_all_here() -> None:
    assert sorted(p.name for p in seed_paths(NOTES)) == sorted(EXPECTED)


# --- each fixture: structure, counts, nothing lost ----------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_style_imports_with_the_expected_counts(name: str) -> None:
    structure, total, answered, open_questions = EXPECTED[name]
    seed, _ = _parse(name)
    assert detect_format(read_seed_text(NOTES / name)) == "notes"
    assert seed.structure == structure
    assert len(seed.items) == total
    assert sum(1 for item in seed.items if item.answer) == answered
    assert [item.question for item in seed.items if not item.answer] == open_questions
    assert all(item.question and "**" not in item.question for item in seed.items)
    assert seed.notes == []  # no competing question pattern in any of them


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_nothing_is_lost(name: str) -> None:
    """Every non-blank line is in a question, in its answer, a section heading, skipped with a
    reason, or reported as not placed; and what a question's lines say is in its text or answer."""
    seed, lines = _parse(name)
    unplaced = seed.unaccounted(lines)
    assert unplaced == UNPLACED.get(name, [])
    assert {reason for reason in seed.skipped.values()} == SKIP_REASONS[name]
    assert not seed.claimed & set(seed.skipped)
    sections = {item.section for item in seed.items if item.section}
    in_items = set()
    for item, (first, last) in zip(seed.items, seed.spans):
        assert first == item.line
        whole = f"{item.question}\n{item.answer}".replace("**", "")
        for number in range(first, last + 1):
            if number in seed.skipped or not lines[number - 1].strip():
                continue
            in_items.add(number)
            assert number in seed.claimed, (name, number)
            for part in re.split(r"答[:：]", _visible(lines[number - 1])):
                assert part.strip() in whole, (name, number, part)
    for number in sorted(seed.claimed - in_items):  # section headings (a round holds the sections)
        if lines[number - 1].strip() and not lines[number - 1].startswith("# "):
            assert any(_visible(lines[number - 1]) in section for section in sections), (name, number)


# --- what the answers keep and drop ------------------------------------------------------------------


def _item(seed: NotesSeed, start: str):  # noqa: ANN202 - RawItem
    return next(item for item in seed.items if item.question.startswith(start))


def test_details_answers_lose_only_their_wrapping() -> None:
    seed, _ = _parse("details_headings.md")
    answers = [item.answer for item in seed.items]
    assert not any("<details" in a or "summary" in a or "点击查看答案" in a for a in answers)
    assert not any("花书" in a or "d2l" in a for a in answers)  # the reference section is not an answer
    assert [item.number for item in seed.items] == list(range(1, 13))
    assert [item.section for item in seed.items][:5] == ["一、机器学习基础"] * 4 + ["二、深度学习基础"]
    bn = _item(seed, "Batch Normalization")
    assert "```python\nimport torch.nn as nn\n\nbn = nn.BatchNorm2d(64)" in bn.answer and bn.answer.count("```") == 2
    assert "![L1与L2的约束区域](https://example.com/img/l1_l2.png)" in _item(seed, "L1").answer
    assert "[Dropout 论文](https://jmlr.org/papers/v15/srivastava14a.html)" in _item(seed, "Dropout").answer
    attention = _item(seed, "Self-Attention")
    assert attention.answer.startswith("$$\n\\mathrm{Attention}")
    assert _item(seed, "BERT").answer.startswith("> BERT 是双向的编码器")  # a quote inside an answer stays one
    overfitting = seed.items[0].answer
    assert overfitting.startswith("过拟合是指") and "\n\n常用的防止方法：\n\n- 增加训练数据" in overfitting


def test_bold_bullets_keep_nested_points_images_and_code() -> None:
    seed, _ = _parse("bold_bullets.md")
    resnet = _item(seed, "ResNet")
    assert resnet.answer.splitlines()[-1] == "  * 即使中间层的梯度很小，总梯度里也有一项恒为 1"
    field = _item(seed, "什么是感受野")
    assert "`r_l = r_{l-1} + (k_l - 1) * j_{l-1}`" in field.answer
    assert "* ![感受野示意图](https://example.com/img/receptive_field.png)" in field.answer
    assert {item.section for item in seed.items} == {"CNN", "RNN", "训练技巧"}
    assert seed.title == "深度学习面试题汇总"


def test_hexo_post_front_matter_boxes_and_formulas() -> None:
    seed, _ = _parse("hexo_post.md")
    assert seed.title == "深度学习面试之归一化与正则化"
    bn = seed.items[0]
    assert bn.question == "什么是batch normalization"
    assert "$$\n\\hat{x} = \\frac{x - \\mu_B}" in bn.answer
    assert not any("持续更新" in item.answer or "more" in item.answer for item in seed.items)
    assert "optimizer = torch.optim.AdamW" in _item(seed, "权重衰减").answer


def test_english_q_lines_take_the_paragraph_under_them() -> None:
    seed, _ = _parse("qa_english.md")
    first = seed.items[0]
    assert first.question == "What is the bias-variance tradeoff?"
    assert first.answer.startswith("Bias is the error") and "\n" not in first.answer
    assert _item(seed, "What is the difference between L1").answer.startswith("- **L1** adds the sum")
    assert "```python\nscheduler = " in _item(seed, "What does a learning rate").answer
    assert "![Residual block]" in _item(seed, "Why do residual").answer
    heads = _item(seed, "How does multi-head")
    assert heads.answer.endswith("See [The Illustrated Transformer](https://jalammar.github.io/illustrated-transformer/) for diagrams.")
    assert not any("Goodfellow" in item.answer for item in seed.items)
    assert [item.section for item in seed.items] == ["Fundamentals"] * 4 + ["Optimization"] * 4 + ["Architectures"] * 4


def test_chapter_numbered_headings_keep_tables_and_formulas() -> None:
    seed, _ = _parse("numbered_sections.md")
    assert seed.title == "第三章 深度学习基础"
    assert seed.items[0].question == "神经网络的组成是什么？" and seed.items[0].section == "3.1 基本概念"
    assert "| 卷积网络（CNN） | 局部连接、权值共享 | 图像 |" in seed.items[1].answer
    assert _item(seed, "常见的激活函数").answer.count("$$") == 4
    assert "def softmax(x):" in _item(seed, "Softmax").answer
    assert not any("邱锡鹏" in item.answer for item in seed.items)


def test_anchor_labels_are_skipped_and_answer_subsections_kept() -> None:
    seed, _ = _parse("anchor_toc.md")
    assert seed.title == "🤖 机器学习面试题 🤖"
    assert all(item.section is None for item in seed.items)  # "## #3" labels are not sections
    metrics = seed.items[0].answer
    assert metrics.startswith("#### 基于混淆矩阵的指标")
    assert '<img src="images/confusion_matrix.png" width="60%">' in metrics
    assert metrics.endswith("##### References\n\n- [分类评价指标详解](https://example.com/metrics)")
    assert seed.items[-1].answer.endswith("- [ROC 与 AUC](https://example.com/roc-auc)")


def test_plain_text_numbering_restarting_inside_an_answer_is_the_answer() -> None:
    seed, _ = _parse("plain_numbered.txt")
    assert [item.number for item in seed.items] == list(range(1, 12))
    structures = _item(seed, "介绍几种常见的神经网络结构")
    assert structures.answer == "1. 多层感知机（MLP）\n2. 卷积神经网络（CNN）\n3. 循环神经网络（RNN）\n4. Transformer"
    assert [item.section for item in seed.items] == ["第一部分：基础知识"] * 4 + ["第二部分：模型训练"] * 4 + ["第三部分：实战经验"] * 3
    assert seed.items[-1].answer.endswith("详见：https://example.com/inference-optimization")  # not "（完）"


def test_question_and_answer_prefixes() -> None:
    seed, _ = _parse("qa_prefix.txt")
    bn = _item(seed, "BN 在推理时怎么做")
    assert bn.answer == "用训练时滑动平均得到的均值和方差，不再使用当前 batch 的统计量。"  # on the question's line
    assert _item(seed, "讲一下 XGBoost").answer.startswith("1. 损失函数做了二阶泰勒展开")
    softmax = _item(seed, "手写 softmax")
    assert softmax.answer.startswith("```\ndef softmax(x):\n    m = max(x)") and softmax.answer.endswith("```")
    assert seed.skipped[28] == "placeholder, no answer yet"
    assert [item.section for item in seed.items][::3] == ["一、项目相关", "二、基础知识", "二、基础知识", "三、代码题"]


# --- other shapes, ambiguity, and files that are not notes ------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


AMBIGUOUS = """\
# 笔记

## 优化

### 1. SGD 和 Adam 的区别？

Adam 自适应学习率，SGD 所有参数共用一个学习率。

### 2. 什么是学习率衰减？

训练后期减小学习率，让模型收敛到更好的点。

## 杂记

这些内容还没整理成问题。
Transformer 的复杂度和序列长度的平方成正比。

## 损失函数

你知道 Focal Loss 吗？

### 3. 交叉熵和 MSE 的区别？

交叉熵适合分类，MSE 适合回归。
"""


def test_lines_it_cannot_place_are_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "ambiguous.md", AMBIGUOUS)
    seed = parse_seed(path)
    assert [item.question for item in seed.items] == ["SGD 和 Adam 的区别？", "什么是学习率衰减？", "交叉熵和 MSE 的区别？"]
    assert seed.unaccounted(AMBIGUOUS.split("\n")) == [
        (13, "## 杂记"),
        (15, "这些内容还没整理成问题。"),
        (16, "Transformer 的复杂度和序列长度的平方成正比。"),
        (20, "你知道 Focal Loss 吗？"),  # reads as a question, but is not one of the document's
    ]
    config = _config(tmp_path, tmp_path / "bank")
    result = _mockbot(config, "bank", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "warning: ambiguous.md:15: line not imported: 这些内容还没整理成问题。" in result.output
    strict = _mockbot(config, "bank", "import", str(path), "--strict", "--check")
    assert strict.exit_code == 1 and "4 seed line(s) were not imported" in strict.stderr


def test_competing_question_patterns_are_noted(tmp_path: Path) -> None:
    """Two questions as headings, three Q: lines under the second: the outer pattern wins (the inner
    one does not have clearly more questions), and the preview says what else read as questions."""
    text = "## 什么是 SGD？\n\n随机梯度下降。\n\n## 优化器有哪些？\n\n" + "".join(
        f"**问题{i}：优化器{i}是什么？**\n\n答案{i}。\n\n" for i in range(1, 4)
    )
    seed = parse_seed(_write(tmp_path, "mixed.md", text))
    assert seed.structure == "level-2 headings (## …)"
    assert [item.question for item in seed.items] == ["什么是 SGD？", "优化器有哪些？"]
    assert seed.notes == ["3 lines starting with Q: or 问： also read as questions; they were kept inside the answers"]
    seed = parse_seed(_write(tmp_path, "mixed.md", text + "**问题4：优化器4是什么？**\n\n答案4。\n"))
    assert seed.structure == "lines starting with Q: or 问："  # four: clearly more than the headings' two
    assert [item.section for item in seed.items] == ["优化器有哪些？"] * 4


def test_english_question_labels_and_placeholders(tmp_path: Path) -> None:
    text = (
        "# Deep Learning Interview Questions\n\n"
        "## Question 1\n\n**What is an artificial neural network?**\n\n**Answer:** Layers of units that each apply a"
        " non-linear activation to a weighted sum of their inputs.\n\n---\n\n"
        "## Question 2\n\n**What is the vanishing gradient problem?**\n\n**Answer:** _[To be filled]_\n\n---\n\n"
        "## Question 3\n\n**Why is ReLU preferred over sigmoid?**\n\n**Answer:**\n- It does not saturate for positive"
        " inputs.\n- It is cheap to compute.\n"
    )
    seed = parse_seed(_write(tmp_path, "theory.md", text))
    assert [(i.question, i.answer) for i in seed.items] == [
        ("What is an artificial neural network?", "Layers of units that each apply a non-linear activation to a weighted sum of their inputs."),
        ("What is the vanishing gradient problem?", ""),
        ("Why is ReLU preferred over sigmoid?", "- It does not saturate for positive inputs.\n- It is cheap to compute."),
    ]
    assert seed.skipped[15] == "placeholder, no answer yet"
    assert seed.unaccounted(text.split("\n")) == []


def test_questions_in_details_summaries(tmp_path: Path) -> None:
    text = (
        "# Python 面试\n\n<details>\n<summary>列表和元组的区别？</summary>\n\n- 列表可变，元组不可变\n- 元组可以作为字典的键\n"
        "</details>\n\n<details>\n<summary>GIL 是什么？</summary>\n</details>\n"
    )
    seed = parse_seed(_write(tmp_path, "summaries.md", text))
    assert seed.structure == "<details> summaries"
    assert [(i.question, i.answer) for i in seed.items] == [
        ("列表和元组的区别？", "- 列表可变，元组不可变\n- 元组可以作为字典的键"),
        ("GIL 是什么？", ""),
    ]
    assert seed.unaccounted(text.split("\n")) == []


def test_markdown_auto_numbering_and_bare_question_lines(tmp_path: Path) -> None:
    auto = "## 机器学习\n\n1. 什么是过拟合？\n   - 训练误差小，测试误差大\n1. 什么是欠拟合？\n1. 正则化的作用？\n   - 限制模型复杂度\n"
    seed = parse_seed(_write(tmp_path, "auto.md", auto))
    assert [(i.question, i.answer) for i in seed.items] == [
        ("什么是过拟合？", "- 训练误差小，测试误差大"),
        ("什么是欠拟合？", ""),
        ("正则化的作用？", "- 限制模型复杂度"),
    ]
    bare = "什么是过拟合？\n- 训练集上好，测试集上差\n\n为什么要归一化？\n- 加快收敛\n- 让各特征尺度一致\n"
    seed = parse_seed(_write(tmp_path, "bare.txt", bare))
    assert seed.structure == "lines ending with a question mark"
    assert [i.answer for i in seed.items] == ["- 训练集上好，测试集上差", "- 加快收敛\n- 让各特征尺度一致"]


def test_notes_saved_as_gbk_are_read(tmp_path: Path) -> None:
    path = tmp_path / "gbk.md"
    path.write_bytes("# 面试题\n\n## 什么是过拟合？\n\n训练集上好，测试集上差。\n".encode("gbk"))
    assert [(i.question, i.answer) for i in parse_seed(path).items] == [("什么是过拟合？", "训练集上好，测试集上差。")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("train.py", b"import torch\n", "train.py: Python source code, not notes"),
        ("scores.csv", b"epoch,loss\n1,0.52\n2,0.41\n", "scores.csv: a table of numbers, not cards"),
        ("empty.md", b"\n  \n", "empty.md: the file is empty, nothing to import"),
        ("image.md", b"\x89PNG\r\n\x1a\n\x00\x00", "image.md: a binary file, not notes"),
        ("script.txt", b"import os\n\ndef main():\n    print(os.getcwd())\n\nmain()\n", "script.txt: Python source code, not notes"),
        ("table.txt", "问题,答案\n什么是BN？,批归一化\n什么是LN？,层归一化\n".encode(), "table.txt: a table of comma-separated values (CSV)"),
        ("data.md", b'{"questions": []}\n', "data.md: JSON data, not notes"),
        ("prose.md", "今天天气不错。\n\n我们去公园散步。\n".encode(), "prose.md: unknown seed format: no questions found"),
    ],
)
def test_a_file_that_is_not_notes_gets_a_clear_message(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SeedFormatError, match=re.escape(message)):
        parse_seed(path)
    result = _mockbot(_config(tmp_path, tmp_path / "bank"), "bank", "import", str(path), "--preview")
    assert result.exit_code == 1
    assert result.stderr.startswith("mockbot: ") and message in result.stderr
    assert not (tmp_path / "bank").exists()


# --- preview and import through the command line --------------------------------------------------


def test_preview_shows_counts_first_questions_and_skipped_lines(tmp_path: Path) -> None:
    bank_dir = tmp_path / "bank"
    result = _mockbot(_config(tmp_path, bank_dir), "bank", "import", str(NOTES / "details_headings.md"), "--preview")
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0] == (
        f"details_headings.md (notes) -> {bank_dir / 'details_headings.yaml'}: 12 questions, 11 answered, "
        "1 unanswered; a new file, nothing written (preview)"
    )
    assert out[1] == "  questions: level-3 headings (### …); answers: the content under each question"
    assert out[2].startswith("  topics: ") and out[3].startswith("  answers: text ")
    assert out[4] == "  the first 5:"
    assert out[5] == "    1. [dl-basics] 什么是过拟合？如何防止？  (line 18)"
    assert out[6] == "       answer (text): 过拟合是指模型在训练集上表现很好，但在验证集和测试集上表现明显变差，即泛化能力差。  (+6 more lines)"
    assert out[7].startswith("       key points (6): 过拟合是指模型在训练集上表现很好")
    assert "    … and 7 more" in out
    skipped = out[out.index("  skipped 16 line(s), not questions or answers:") + 1 :]
    assert skipped == [
        "    1        document title: # 机器学习 & 深度学习面试题（附答案）",
        "    3        badges: ![stars](https://img.shields.io/github/stars/so…",
        "    5        introduction (before the first question): 整理了秋招过程中被问到的高频八股题，答案默认折叠，先自己想一想再点开。欢迎 PR 补充。",
        "    7-12     table of contents: ## 目录",
        "    14       horizontal rule: ---",
        "    64       horizontal rule: ---",
        "    68       section introduction (before its first question): 这一部分主要是神经网络训练相关的问题。",
        "    124      horizontal rule: ---",
        "    159-163  references: ## 参考资料",
    ]
    assert not bank_dir.exists()  # nothing written


def test_preview_of_an_open_question_and_unplaced_lines(tmp_path: Path) -> None:
    config = _config(tmp_path, tmp_path / "bank")
    result = _mockbot(config, "bank", "import", str(NOTES / "qa_prefix.txt"), "--preview")
    assert result.exit_code == 0, result.output
    assert "  not placed: 1 line(s) that are neither a question nor an answer:" in result.output
    assert "    49: 总结：整体难度中等，八股比较基础，项目问得很细。" in result.output
    assert "    28  placeholder, no answer yet: 答：待补充" in result.output
    strict = _mockbot(config, "bank", "import", str(NOTES / "qa_prefix.txt"), "--preview", "--strict")
    assert strict.exit_code == 1 and "1 line(s) were not placed" in strict.stderr
    open_question = _mockbot(config, "bank", "import", str(NOTES / "bold_bullets.md"), "--preview")
    assert "    4. [cnn-vision] 池化层的作用是什么？  (line 21)\n       no answer: kept as an open question" in open_question.output


def test_import_writes_bank_files_that_load_and_validate(tmp_path: Path, taxonomy: Taxonomy) -> None:
    bank_dir = tmp_path / "bank"
    config = _config(tmp_path, bank_dir)
    result = _mockbot(config, "bank", "import", str(NOTES))
    assert result.exit_code == 0, result.output
    assert "qa_english.md (notes) -> " in result.output
    assert "12 questions, 11 answered, 1 unanswered; written (a new file)" in result.output
    again = _mockbot(config, "bank", "import", str(NOTES / "qa_english.md"))
    assert again.exit_code == 0 and "1 unanswered; unchanged\n" in again.output, again.output
    assert sorted(p.name for p in bank_dir.iterdir()) == sorted(f"{Path(n).stem}.yaml" for n in EXPECTED)
    bank = load_bank(bank_dir, taxonomy)  # the loader finds them; the schema holds
    assert len(bank.questions) == sum(total for _, total, _, _ in EXPECTED.values())
    for path, bank_file in bank.files.items():
        name = bank_file.source
        assert bank_file.format == "notes" and path.stem == Path(name).stem
        assert path.read_text(encoding="utf-8").startswith(f"# Question bank: imported from the notes file {name}.")
        assert all(q.id.startswith(notes_prefix(name) + "-") for q in bank_file.questions)
        assert all(q.topic in taxonomy.by_id for q in bank_file.questions)
        assert sum(q.answered for q in bank_file.questions) == EXPECTED[name][2]
        for q in bank_file.questions:
            assert (q.answer_kind is AnswerKind.NONE) == (not q.answer)
            assert q.answer_kind is not AnswerKind.TEXT or q.key_points
    kinds = {q.answer_kind for q in bank.questions}
    assert {AnswerKind.TEXT, AnswerKind.CODE, AnswerKind.NONE} <= kinds
    # `bank validate`: no schema problem; what it lists are extracted key points to curate, as
    # warnings: a fresh import validates.
    validate = _mockbot(config, "bank", "validate")
    assert validate.exit_code == 0, validate.output
    warnings = validate.stderr.splitlines()
    assert warnings and validate.stdout.startswith(f"ok: {len(bank.questions)} questions in {len(EXPECTED)} files")
    for line in warnings:
        assert re.match(r"warning: .*\.yaml:\d+: [a-z0-9-]+: (key point \d+|\d+ key points)", line), line
    assert f"; {len(warnings)} note(s) on key points extracted by an import" in validate.stdout
    assert _mockbot(config, "bank", "list").stdout.count("\n") == len(bank.questions)
    # Importing again changes nothing; `--check` agrees.
    again = _mockbot(config, "bank", "import", str(NOTES), "--check")
    assert again.exit_code == 0 and again.output.count("; unchanged") == len(EXPECTED)


def test_a_hand_edit_survives_reimporting_notes(tmp_path: Path, taxonomy: Taxonomy) -> None:
    notes = _write(tmp_path, "ml_notes.md", "## 什么是过拟合？\n\n训练集上好，测试集上差。\n\n## 什么是欠拟合？\n")
    bank_dir = tmp_path / "bank"
    first = import_seed(notes, bank_dir, taxonomy)
    assert first.new_file and first.bank_path == bank_dir / "ml_notes.yaml"
    text = first.bank_path.read_text(encoding="utf-8").replace("answer: ''", "answer: 训练集和测试集上都差。", 1)
    first.bank_path.write_text(text, encoding="utf-8")
    notes.write_text(notes.read_text(encoding="utf-8") + "\n## 什么是正则化？\n\n限制模型复杂度。\n", encoding="utf-8")
    second = import_seed(notes, bank_dir, taxonomy)
    bank_file, problems = read_bank_file(second.bank_path, taxonomy)
    assert problems == [] and bank_file is not None
    assert [(q.question, q.answer) for q in bank_file.questions] == [
        ("什么是过拟合？", "训练集上好，测试集上差。"),
        ("什么是欠拟合？", "训练集和测试集上都差。"),
        ("什么是正则化？", "限制模型复杂度。"),
    ]
    assert second.merge.kept_edits and len(second.merge.added) == 1


def test_a_bank_file_of_another_source_is_never_overwritten(tmp_path: Path, taxonomy: Taxonomy) -> None:
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    admin = bank_dir / "admin.yaml"
    admin.write_text("questions:\n- id: admin-1a2b3c\n  topic: ml\n  question: 什么是SVM？\n", encoding="utf-8")
    notes = _write(tmp_path, "admin.md", "## 什么是过拟合？\n\n训练集上好，测试集上差。\n")
    with pytest.raises(SeedFormatError, match="admin.yaml already holds questions written by hand; rename admin.md"):
        import_seed(notes, bank_dir, taxonomy)
    assert "admin-1a2b3c" in admin.read_text(encoding="utf-8")


# --- the seeds --------------------------------------------------------------------------------------


def test_seeds_keep_their_formats_and_the_bank_stays_as_it_is(seeds_dir: Path) -> None:
    """`mockbot bank import ../shared/seeds --check` on the repository's own bank: nothing to change."""
    formats = [parse_seed(path).format for path in seed_paths(seeds_dir)]
    assert formats == ["details", "hexo", "bullets", "headings", "chapters"]
    repo_config = Path(__file__).resolve().parents[1] / "config.yaml"
    result = CliRunner().invoke(cli, ["--config", str(repo_config), "bank", "import", str(seeds_dir), "--check"])
    assert result.exit_code == 0, result.output
    assert result.output.count("; unchanged") == 5 and "notes" not in result.output


def test_the_general_reader_finds_the_seeds_questions_too(seeds_dir: Path) -> None:
    """Four of the five seed shapes are cases of the general reader (the chapter file's numbered
    chapter lines are read as questions there, so it keeps its own format)."""
    for path in seed_paths(seeds_dir)[:4]:
        explicit, general = parse_seed(path), parse_seed(path, "notes")
        assert [(i.question, i.number, i.line) for i in general.items] == [
            (i.question, i.number, i.line) for i in explicit.items
        ], path.name
        assert [bool(i.answer) for i in general.items] == [bool(i.answer) for i in explicit.items]
        assert general.unaccounted(read_seed_text(path).split("\n")) == []


def test_a_bold_term_opening_an_answer_keeps_its_bold(tmp_path: Path) -> None:
    text = (
        "# ML questions\n\n"
        "1. **What is cross-validation?**\n"
        "   - **Answer**: **Cross-validation** splits the data into k folds and validates on each in turn.\n"
        "2. **What is regularization?**\n"
        "   - **Answer:** **Regularization** adds a penalty on the weights to the loss.\n"
        "3. **什么是BN？**\n"
        "   - 答：**BN** 对一个batch内同一特征做归一化。\n"
    )
    seed = parse_seed(_write(tmp_path, "bold_terms.md", text))
    assert [item.answer for item in seed.items] == [
        "**Cross-validation** splits the data into k folds and validates on each in turn.",
        "**Regularization** adds a penalty on the weights to the loss.",
        "**BN** 对一个batch内同一特征做归一化。",
    ]


def test_headings_that_mostly_do_not_read_as_questions_are_named_in_the_refusal(tmp_path: Path) -> None:
    text = "# 笔记\n\n## 梯度爆炸的解决办法\n\n梯度裁剪。\n\n## 稀疏表示\n\n稀疏。\n\n## 如何初始化？\n\nXavier。\n\n## 正则化方法\n\nL2。\n"
    with pytest.raises(SeedFormatError) as refused:
        parse_seed(_write(tmp_path, "topics.md", text))
    message = str(refused.value)
    assert "no questions found: 4 level-2 headings (## …), 1 of which read as questions, and at least half must" in message


# --- shapes of public notes that used to break the reader ---------------------------------------------


def test_headings_most_of_which_do_not_ask_are_read_with_their_table_of_contents() -> None:
    """《深度学习》整理 style: a third of the `#` headings ask; the TOC lists them all. Each `#`
    heading is a question, its `##` sub-headings (some of which ask) are its answer's parts."""
    seed, _ = _parse("dl_book_toc.md")
    assert [item.line for item in seed.items] == [28, 35, 43, 50, 60, 68, 81, 84, 91, 102, 113, 124]
    l1 = _item(seed, "为什么 L1 正则化产生稀疏解")
    assert l1.answer.startswith("## L1 的稀疏性从哪里来？") and "## L2 为什么只让权重变小？" in l1.answer
    assert _item(seed, "池化层与平移不变性").answer.count("# Keras") == 1  # a code comment, not a heading
    assert _item(seed, "Jacobian").answer == "《深度学习》 4.3.1 梯度之上：Jacobian 和 Hessian 矩阵"  # a quote alone loses its >


def test_topic_headings_hold_question_headings_next_to_questions_of_their_own() -> None:
    seed, _ = _parse("topic_headings.md")
    assert [(item.question, item.section) for item in seed.items][:5] == [
        ("卷积层为什么能减少参数？", "卷积神经网络"),
        ("1x1 卷积", "卷积神经网络"),
        ("感受野怎么计算？", "卷积神经网络"),
        ("什么是过拟合？", None),
        ("SGD 和 Adam 有什么区别？", "优化方法"),
    ]
    assert not any("###" in item.answer for item in seed.items)


def test_an_interview_log_takes_sub_bullets_as_answers() -> None:
    """面经: sub-bullets that mention 作用/区别/原理 are answers, not questions; a round written as
    bullets counts like the numbered ones; an answer ends at the next, shallower item."""
    seed, _ = _parse("interview_log.md")
    assert [item.number for item in seed.items] == [1, 2, 3, 4, 5, None, None, None, None, 1, 2]
    bn = _item(seed, "BN 和 LN 有什么区别")
    assert bn.answer.splitlines() == [
        "- 区别在于归一化的维度不同",
        "- BN 的作用是在 batch 维度上对同一特征做归一化",
        "- LN 在单个样本的特征维度上计算均值和方差",
        "- 所以 Transformer 一般用 LN",
    ]
    assert _item(seed, "推荐系统里的冷启动").answer.startswith("- 新用户：")
    assert _item(seed, "AUC").answer == "- 含义：随机取一个正样本和一个负样本，正样本得分更高的概率"


def test_question_metadata_lines_are_topic_hints_not_answers(tmp_path: Path, taxonomy: Taxonomy) -> None:
    seed, lines = _parse("topic_levels.md")
    metadata = [n for n, reason in seed.skipped.items() if reason.startswith("question metadata")]
    assert [lines[n - 1] for n in metadata][1] == "**2)** **Topic:** Optimization, **Level:** Medium"
    assert not any("Topic" in item.answer or "Level" in item.answer for item in seed.items)
    assert [item.section for item in seed.items][:5] == ["Fundamentals", "Optimization", "Evaluation", "Deep Learning", "Classical ML"]
    result = import_seed(NOTES / "topic_levels.md", tmp_path / "bank", taxonomy, write=False)
    assert [q.topic for q in result.merged] == ["ml", "optimization", "ml", "dl-basics", "ml", "ml", "ml", "dl-basics"]
    assert not any("Topic" in p.text or "Level" in p.text for q in result.merged for p in q.key_points)


def test_trailing_questions_without_answers_are_open_questions() -> None:
    seed, lines = _parse("topic_levels.md")
    assert [(item.number, item.answer) for item in seed.items[-3:]] == [(6, ""), (7, ""), (8, "")]
    assert seed.unaccounted(lines) == []
    text = (
        "## 什么是过拟合？\n\n训练集上好，测试集上差。\n\n## 什么是欠拟合？\n\n训练集上也差。\n\n"
        "## 待整理\n\n- 什么是 KV Cache？\n- LayerNorm 和 RMSNorm 的区别\n"
    )
    parsed = parse_seed(_write_tmp("todo.md", text))
    assert parsed.unaccounted(text.split("\n")) == []
    assert [(i.question, i.answer, i.section) for i in parsed.items][2:] == [
        ("什么是 KV Cache？", "", "待整理"),
        ("LayerNorm 和 RMSNorm 的区别", "", "待整理"),
    ]


def _write_tmp(name: str, text: str) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    return _write(folder, name, text)


def test_key_points_leave_out_tables_formulas_reading_lists_and_stray_words(tmp_path: Path, taxonomy: Taxonomy) -> None:
    result = import_seed(NOTES / "topic_levels.md", tmp_path / "bank", taxonomy, write=False)
    points = [p.text for q in result.merged for p in q.key_points]
    assert points and not any("|" in p or "$$" in p or "\\frac" in p for p in points)
    assert not any("reading" in p.lower() or p in ("Dropout", "LayerNorm") or p.startswith("Related") for p in points)
    assert all(" " in p or not p.isascii() for p in points)  # no one-word fragment
    f1 = next(q for q in result.merged if q.question.startswith("How are precision"))
    # The sentence stays whole (an English sentence is cut as rarely as a Chinese one of the same
    # content), so the table's two rows, more than the text's one point, carry the definitions.
    assert [p.text for p in f1.key_points] == [
        "F1 is the harmonic mean of precision and recall, so it is low when either of them is low",
        "Precision: TP / (TP + FP)",
        "Recall: TP / (TP + FN)",
    ]
    from questions.keypoints import extract_key_points

    assert extract_key_points("| 结构 | 特点 |\n|---|---|\n| CNN | 局部连接 |\n") == ["CNN：局部连接"]  # a table alone
    assert extract_key_points("Use L2, e.g. Weight decay in AdamW. Done") == ["Use L2, e.g", "Weight decay in AdamW"]


def test_english_ml_questions_get_an_ml_topic_not_pytorch(taxonomy: Taxonomy) -> None:
    answer = "Rescale the gradients after `loss.backward()` with `torch.nn.utils.clip_grad_norm_`."
    assert taxonomy.classify("What is gradient clipping and when do you need it?", None, answer) == "optimization"
    assert taxonomy.classify("How do you handle an imbalanced dataset?", "Evaluation") == "ml"
    assert taxonomy.classify("Why do transformers use layer normalization?", None) == "transformer-nlp"
    assert taxonomy.classify("Why does it help?", "Optimization") == "optimization"  # a topic's own name


def test_the_structure_is_inferred_once_for_detection_and_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    from questions.importers import notes
    from questions.importers.notes import structure as structure_module

    calls = []
    original = structure_module.read_structure
    monkeypatch.setattr(notes, "read_structure", lambda *args: calls.append(1) or original(*args))
    monkeypatch.setattr(notes, "_last", None)
    seed = parse_seed(NOTES / "dl_book_toc.md")
    assert seed.format == "notes" and len(seed.items) == 12 and len(calls) == 1
    assert len(parse_seed(NOTES / "dl_book_toc.md").items) == 12 and len(calls) == 1  # parsing again is safe


# --- a trial on public notes files: what it found ---------------------------------------------------


def test_citations_after_a_question_do_not_hide_it() -> None:
    seed, _ = _parse("cited_headings.md")
    assert [item.number for item in seed.items] == [1, 2, 3, 4, 5]
    assert seed.items[0].question == "What is the difference between L1 and L2 regularization?"
    assert seed.items[2].question == "Explain precision and recall"  # "[1]" goes too
    assert seed.items[0].answer.endswith("[[src]](https://example.com/more)")  # the answer keeps its links


def test_paired_q_and_a_lines_in_an_interview_log_are_questions(tmp_path: Path, taxonomy: Taxonomy) -> None:
    seed, lines = _parse("interview_rounds.md")
    assert seed.title == "公司B" and seed.skipped[1] == "document title"  # "# 公司B" right above "# 一面"
    scenario = [item for item in seed.items if item.section == "场景题"]
    assert [(item.question, item.answer) for item in scenario] == [
        ("知识库检索出的内容太长，放不进上下文怎么办？", "先按相关度排序截断，再对长段落做摘要，只把最相关的片段放进 prompt。"),
        ("多轮对话里用户指代不清时怎么处理？", "把最近几轮对话一起改写成一个完整的问题，再去检索。"),
    ]
    assert seed.skipped[14] == "section introduction (before its first question)"  # **背景**：…
    assert not any("面试官" in item.question for item in seed.items)


def test_two_notes_files_with_one_name_get_bank_files_of_their_own(tmp_path: Path, taxonomy: Taxonomy) -> None:
    """README.md from two folders: each bank file is named after its folder, and neither replaces
    the other; re-importing one keeps its hand edits."""
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob").mkdir()
    first = _write(tmp_path / "alice", "README.md", "## 什么是过拟合？\n\n训练集上好。\n\n## 什么是欠拟合？\n\n都差。\n\n## 什么是正则化？\n\n限制复杂度。\n")
    second = _write(tmp_path / "bob", "README.md", "## 什么是 BN？\n\n批归一化。\n")
    bank_dir = tmp_path / "bank"
    a = import_seed(first, bank_dir, taxonomy)
    b = import_seed(second, bank_dir, taxonomy)
    assert (a.bank_path.name, b.bank_path.name) == ("alice.yaml", "bob.yaml")
    alice, _ = read_bank_file(a.bank_path, taxonomy)
    assert alice is not None and alice.source == "alice/README.md" and len(alice.questions) == 3
    assert all(q.id.startswith("alice-") for q in alice.questions)
    edited = a.bank_path.read_text(encoding="utf-8").replace("topic: dl-basics", "topic: ml", 1)
    a.bank_path.write_text(edited, encoding="utf-8")
    again = import_seed(first, bank_dir, taxonomy)
    assert not again.changed and again.merge.kept_edits and a.bank_path.read_text(encoding="utf-8") == edited
    # Another folder of the same name whose README holds other questions: refused, nothing lost.
    other = tmp_path / "elsewhere" / "alice"
    other.mkdir(parents=True)
    text = "".join(f"## 问题{i}是什么？\n\n答案{i}。\n\n" for i in range(1, 4))
    with pytest.raises(SeedFormatError, match="it looks like another file with the same name, so alice.yaml is not overwritten"):
        import_seed(_write(other, "README.md", text), bank_dir, taxonomy)
    assert a.bank_path.read_text(encoding="utf-8") == edited


def test_two_files_of_a_folder_that_would_share_a_bank_file_are_refused(tmp_path: Path, taxonomy: Taxonomy) -> None:
    _write(tmp_path, "ml.md", "## 什么是过拟合？\n\n训练集上好。\n")
    _write(tmp_path, "ml.txt", "1. 什么是欠拟合？\n")
    with pytest.raises(SeedFormatError, match="ml.md and ml.txt would both be imported into ml.yaml"):
        import_seeds(tmp_path, tmp_path / "bank", taxonomy, write=False)


POST = """\
---
title: 深度学习问答
author: someone
tags: deep-learning
---

这篇整理了几道常见的面试题。

<!--more-->

1. 为什么在很多文字和语音的任务上卷积网络也能取得不错的效果，而不只是在图
   像任务上？

   - 文字和语音都有局部相关性。卷积网络擅长提取局部的特征，再把它们组合成更高层的特
     征，所以同样适用。

1. 范数有哪些，各自用在哪里？

   请参考[读书笔记：范数](./2018-06-02-notes.html#范数)。

## 《Deep Learning》

1. pooling 的做法的意义

   请参考[读书笔记：池化](./2018-06-02-notes.html#pooling)
   和[读书笔记：卷积](./2018-06-02-notes.html#卷积)。

1. 说明如何用核方法理解神经网络
"""


def test_a_front_matter_post_without_hexos_marks(tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = _write(tmp_path, "2019-03-02-dl-qa.md", POST)
    seed = parse_seed(path)
    assert seed.format == "post" and seed.structure.startswith("top-level numbered list items")
    assert [item.number for item in seed.items] == [None] * 4  # "1." on every item numbers nothing
    assert seed.items[0].question == "为什么在很多文字和语音的任务上卷积网络也能取得不错的效果，而不只是在图像任务上？"
    assert seed.skipped[7] == "introduction (before the first question)"
    assert seed.unaccounted(POST.split("\n")) == []
    result = import_seed(path, tmp_path / "bank", taxonomy, write=False)
    assert result.bank_path.name == "2019-03-02-dl-qa.yaml"
    assert all(q.id.startswith("dl-qa-") for q in result.merged)
    assert [q.answer_kind.value for q in result.merged] == ["text", "link", "link", "none"]
    assert result.merged[0].point_texts == [
        "文字和语音都有局部相关性",
        "卷积网络擅长提取局部的特征，再把它们组合成更高层的特征，所以同样适用",
    ]
    assert [q.key_points for q in result.merged[1:3]] == [[], []]
    assert result.merged[2].topic == "cnn-vision"  # its own word (pooling), not the book's title
    preview = _mockbot(_config(tmp_path, tmp_path / "bank"), "bank", "import", str(path), "--preview")
    assert "4 questions, 1 answered, 2 only a link (not graded), 1 unanswered" in preview.output
    assert "  questions: top-level numbered list items under ## sections (a blog post with front matter)" in preview.output


def test_ids_start_with_a_readable_slug_of_the_name() -> None:
    assert notes_prefix("2018-05-26-deep-learning-qa.md") == "deep-learning-qa"  # the date goes
    assert notes_prefix("krishna/README.md") == "krishna"  # a generic name: its folder's
    assert notes_prefix("ML interview notes.md") == "ml-interview-notes"
    for name in ("企业A.md", "分布式训练题目.md"):  # fewer than three Latin letters: a digest
        assert re.fullmatch(r"notes-[0-9a-f]{4}", notes_prefix(name)), name


def test_a_chapter_before_the_questions_is_not_placed_but_the_text_before_the_first_heading_is_an_introduction(
    tmp_path: Path,
) -> None:
    text = (
        "# RNN 的问题\n\n这一章讲循环网络的问题。\n\n## 梯度消失\n\n长序列上梯度按时间步连乘，越来越小。\n\n"
        "## 面试题\n\n**Q1: 为什么 LSTM 能缓解梯度消失？**\n\n细胞状态的加法更新让梯度可以直接流过。\n\n"
        "**Q2: GRU 和 LSTM 有什么区别？**\n\nGRU 只有两个门，参数更少。\n\n## 小结\n\n以上。\n"
    )
    seed = parse_seed(_write(tmp_path, "rnn.md", text))
    assert [item.question for item in seed.items] == ["为什么 LSTM 能缓解梯度消失？", "GRU 和 LSTM 有什么区别？"]
    assert seed.skipped[3] == "introduction (before the first question)"
    assert seed.unaccounted(text.split("\n")) == [(5, "## 梯度消失"), (7, "长序列上梯度按时间步连乘，越来越小。")]
    assert seed.skipped[19] == "closing remarks"


SUMMARIES = (
    "<details>\n<summary>\n\n卷积层\n\n</summary>\n\n- 局部连接\n</details>\n\n"
    "<details>\n<summary>\n\n池化\n\n</summary>\n\n- 降采样\n</details>\n\n"
    "<details>\n<summary>\n\n为什么要用 BN？\n\n</summary>\n\n- 稳定训练\n</details>\n"
)


def test_summaries_over_several_lines_are_read_and_named_in_a_refusal(tmp_path: Path) -> None:
    with pytest.raises(SeedFormatError, match=r"no questions found: 3 <details> summaries, 1 of which read as questions"):
        parse_seed(_write(tmp_path, "topics.md", SUMMARIES))
    asking = SUMMARIES.replace("卷积层", "卷积层的作用是什么？").replace("池化", "池化有什么用？")
    seed = parse_seed(_write(tmp_path, "asking.md", asking))
    assert [(item.question, item.answer) for item in seed.items] == [
        ("卷积层的作用是什么？", "- 局部连接"),
        ("池化有什么用？", "- 降采样"),
        ("为什么要用 BN？", "- 稳定训练"),
    ]
    assert seed.unaccounted(asking.split("\n")) == []
