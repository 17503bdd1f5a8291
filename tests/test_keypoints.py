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


def test_literal_asterisks_survive_and_bold_markers_do_not() -> None:
    points = analyse_answer("softmax(q*k/(dk)^0.5)里的q*k方差为dk\n\n适合一次性搬进**缓存**").key_points
    assert points == ["softmax(q*k/(dk)^0.5)里的q*k方差为dk", "适合一次性搬进缓存"]


def test_references_urls_and_figure_remarks_are_dropped() -> None:
    answer = "计算详情参考：https://x.org/a\n\n引申：为什么其他场景不需要缩放\n\n(如图，像峡谷)\n\n方差为1"
    assert analyse_answer(answer).key_points == ["方差为1"]


def test_numbers_at_line_start_are_not_taken_for_enumerators() -> None:
    assert analyse_answer("0.01, 0.001 都是常用的权重衰减值").key_points == ["0.01, 0.001 都是常用的权重衰减值"]
