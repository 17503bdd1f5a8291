"""Answer kinds and key-point extraction on small Markdown answers."""

from __future__ import annotations

import pytest

from questions.keypoints import MAX_POINT_CHARS, analyse_answer
from questions.model import AnswerKind


@pytest.mark.parametrize(
    ("markdown", "kind"),
    [
        ("", AnswerKind.NONE),
        ("   \n\n", AnswerKind.NONE),
        ('1. <img src="https://x.org/a.png" width="600">\n2. ![b](https://x.org/b.png)', AnswerKind.IMAGE),
        ("- https://www.zhihu.com/question/318355038", AnswerKind.LINK),
        ("1. <https://www.cnblogs.com/a.html>", AnswerKind.LINK),
        ("代码\n\n```python\nprint(1)\n```", AnswerKind.CODE),
        ("列表可以修改，元组不可修改。", AnswerKind.TEXT),
        ("相关链接：[介绍](https://x.org)\n\n牛顿法需要保存hessian矩阵", AnswerKind.TEXT),
    ],
)
def test_answer_kind(markdown: str, kind: AnswerKind) -> None:
    assert analyse_answer(markdown).kind is kind


def test_enumerators_labels_and_questions_are_not_points() -> None:
    answer = "相同：\n\n1、生成器是一种特殊的迭代器\n\n有什么联系和区别？\n\n**为什么要归一化？**\n\n2.迭代器只能前进不能后退"
    assert analyse_answer(answer).key_points == ["生成器是一种特殊的迭代器", "迭代器只能前进不能后退"]


def test_short_items_under_a_label_carry_it() -> None:
    answer = "1. 归一化类型：\n   1. min-max\n   2. zscore转到标准正态分布，和整体样本分布相关"
    assert analyse_answer(answer).key_points == ["归一化类型：min-max", "zscore转到标准正态分布，和整体样本分布相关"]


def test_sentences_split_and_long_ones_cut_at_commas_outside_brackets() -> None:
    long = "".join(f"第{i}步对形状为（batchsize， n， dim）的序列用矩阵W{i}（dim, dim）相乘得到结果{i}，" for i in range(3))
    points = analyse_answer(f"第一句话。第二句话；{long}").key_points
    assert points[:2] == ["第一句话", "第二句话"]
    rest = points[2:]
    assert len(rest) > 1
    assert all(len(p) <= MAX_POINT_CHARS + MAX_POINT_CHARS // 3 for p in rest)
    assert all(p.count("（") == p.count("）") for p in rest)  # never cut inside brackets


def test_an_english_sentence_is_cut_as_rarely_as_a_chinese_one_of_the_same_content() -> None:
    vanishing = (
        "In deep networks, gradients shrink as they are multiplied through many layers with small derivatives, "
        "so early layers learn very slowly. ReLU, residual connections and careful initialization help."
    )
    assert analyse_answer(vanishing).key_points == [
        "In deep networks, gradients shrink as they are multiplied through many layers with small derivatives, "
        "so early layers learn very slowly",
        "ReLU, residual connections and careful initialization help",
    ]
    # Much longer, it is still cut at its commas, into pieces that each say something.
    rambling = ", ".join(f"step {i} multiplies the sequence by the weight matrix W{i} of shape dim by dim" for i in range(6))
    pieces = analyse_answer(rambling + ".").key_points
    assert len(pieces) > 1 and all(len(p) > 60 for p in pieces)


def test_literal_asterisks_survive_and_bold_markers_do_not() -> None:
    points = analyse_answer("softmax(q*k/(dk)^0.5)里的q*k方差为dk\n\n适合一次性搬进**缓存**").key_points
    assert points == ["softmax(q*k/(dk)^0.5)里的q*k方差为dk", "适合一次性搬进缓存"]


def test_references_urls_and_figure_remarks_are_dropped() -> None:
    answer = "计算详情参考：https://x.org/a\n\n引申：为什么其他场景不需要缩放\n\n(如图，像峡谷)\n\n方差为1"
    assert analyse_answer(answer).key_points == ["方差为1"]


def test_numbers_at_line_start_are_not_taken_for_enumerators() -> None:
    assert analyse_answer("0.01, 0.001 都是常用的权重衰减值").key_points == ["0.01, 0.001 都是常用的权重衰减值"]


# --- the notes rules (imported notes, posts and decks) ------------------------------------------------

from questions.keypoints import MAX_EXTRACTED, NOTES_RULES, SEED_RULES  # noqa: E402


def _notes(markdown: str) -> list[str]:
    return analyse_answer(markdown, NOTES_RULES).key_points


def test_an_answer_that_only_points_elsewhere_is_a_link_answer_without_key_points() -> None:
    for markdown in (
        "请参考[文献阅读：深度学习#范数](./2018-06-02-dl.html#范数)。",
        "请参考[文献阅读：数据集扩充](./a.html#扩充)\n和[文献阅读：噪声健壮性](./a.html#噪声)。",
        "_More reading: [A guide to cross-validation](https://example.com/cv)_",
        "See [here](https://example.com/attention) and [this post](https://example.com/post).",
    ):
        facts = analyse_answer(markdown, NOTES_RULES)
        assert (facts.kind, facts.key_points) == (AnswerKind.LINK, []), markdown
    # A claim with a link in it is a text answer, and the link's text stays in the claim.
    assert _notes("最常见的方案由[Megatron-LM](https://example.com/m)提出。") == ["最常见的方案由Megatron-LM提出"]
    assert _notes("Or as [this article](https://example.com/a) puts it, models drift.") == [
        "Or as this article puts it, models drift"
    ]
    # The seeds keep the rules their bank files were written by.
    assert analyse_answer("请参考[范数](./a.html#范数)。").kind is AnswerKind.TEXT


def test_hard_wrapped_lines_are_joined_before_points_are_cut() -> None:
    wrapped = (
        "- 数据没有局部相关性。深度学习擅长的图像、语音和文字有一个共同点，就是都有局部的相\n"
        "  关性。例如像素组成物体，音素组成单词。\n"
        "- 数据量太小"
    )
    assert _notes(wrapped) == [
        "数据没有局部相关性",
        "深度学习擅长的图像、语音和文字有一个共同点，就是都有局部的相关性",
        "例如像素组成物体，音素组成单词",
        "数据量太小",
    ]
    # Short lines are separate statements, and a formula block is not joined to its text.
    assert _notes("训练时用 batch 统计量\n推理时用滑动平均") == ["训练时用 batch 统计量", "推理时用滑动平均"]
    formula = "$$\n\\sigma(x) = \\frac{1}{1+e^{-x}}, \\quad \\sigma'(x) = \\sigma(x)(1-\\sigma(x)) \\cdot 1\n$$\n\n输出在 0 到 1 之间。"
    assert _notes(formula) == ["输出在 0 到 1 之间"]


def test_junk_is_not_a_key_point() -> None:
    markdown = (
        "\u200b   梯度消失时浅层几乎学不到东西。\n\n"
        "![示意图](../images/vanish.png){#fig:vanish}\n\n"
        "$L = \\frac{1}{2}\\sum_i (y_i - \\hat{y}_i)^2$\n\n"
        "$$\n\\begin{array}{rcl}\n1 & & x > 0 \\\\\n\\end{array}\n$$\n\n"
        "其中，\n\n"
        "残差连接让梯度直接回传\\*\\*：\\*\\*缓解梯度消失。"
    )
    assert _notes(markdown) == ["梯度消失时浅层几乎学不到东西", "残差连接让梯度直接回传：缓解梯度消失"]
    english = (
        "For example, a model trained on one hospital's scans can fail on another hospital's scans because the "
        "scanners differ. Query, Key, and Value are three learned vectors of each token that the attention "
        "weights are computed from."
    )
    points = _notes(english)
    assert not any(p in ("For example", "Query, Key") for p in points) and len(points) == 2


def test_answer_label_after_a_figure_and_references_that_head_claims() -> None:
    assert _notes("![diagram](https://example.com/d.png)\n\n**Answer:** Listen first, then give feedback.") == [
        "Listen first, then give feedback"
    ]
    answer = "参考某大模型的做法\n\n- 首先，张量并行放在节点内\n- 其次，流水线并行跨节点\n\n集群越大，利用率越低。"
    assert _notes(answer) == ["首先，张量并行放在节点内", "其次，流水线并行跨节点", "集群越大，利用率越低"]
    # "See also:" still heads a list of references.
    assert _notes("Dropout drops units.\n\nSee also:\n\n- [Paper](https://example.com/p)") == ["Dropout drops units"]


def test_tables_and_labels_follow_one_rule() -> None:
    table = (
        "Gates control the cell state.\n\n"
        "| Gate | Role |\n|---|---|\n| Forget | what to drop from the cell |\n| Input | what to store |\n"
        "| Output | what to emit |\n"
    )
    assert _notes(table) == [
        "Gates control the cell state",
        "Forget: what to drop from the cell",
        "Input: what to store",
        "Output: what to emit",
    ]
    # Every item under a label is a bare term: all take the label, with an ASCII colon in English.
    assert _notes("**Applications:**\n- Artistic filters\n- Photo enhancement\n- Design tools") == [
        "Applications: Artistic filters",
        "Applications: Photo enhancement",
        "Applications: Design tools",
    ]
    # One of them says more: none takes it; an item with its own "term：fact" keeps its own label.
    assert _notes("**优点：**\n- 简单\n- 一旦没有引用，内存就直接释放了，不用等到特定时机") == [
        "简单",
        "一旦没有引用，内存就直接释放了，不用等到特定时机",
    ]
    assert _notes("**每个符号的含义：**\n- K：键矩阵\n- V：值矩阵") == ["K：键矩阵", "V：值矩阵"]


def test_a_long_answer_gives_its_first_claims_up_to_the_lints_maximum() -> None:
    markdown = "\n".join(f"- 第{i}条结论成立" for i in range(1, 13))
    assert _notes(markdown) == [f"第{i}条结论成立" for i in range(1, MAX_EXTRACTED + 1)]
    assert len(analyse_answer(markdown, SEED_RULES).key_points) == 12
