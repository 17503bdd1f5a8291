"""Each seed format's parser on small inline documents, plus format detection."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from questions.importers import SeedFormatError, detect_format, parse_seed
from questions.importers import bullets, chapters, details, headings, hexo

DETAILS = dedent(
    """\
    > 1、Python 列表和元组的区别？
    <details>
      <summary>答案</summary>
      列表的值可以修改，元组不可修改。
      元组可以作为字典的键。
      </details>

    > 2、Python迭代器和生成器的区别？
    <details>
      <summary>答案</summary>
      相同：
      1、生成器是一种特殊的迭代器
    　2、迭代器可以通过 iter() 创建
        3、更深的子要点
      </details>

    > 3、没有答案的问题？
    """
)

HEXO = dedent(
    """\
    ---
    title: "面试笔记"
    tags: [a, b]
    ---

    <meta name="referrer" content="no-referrer" />

    {% note info %}
    一些笔记
    {% endnote %}

    <!--more-->

    ## 计算机视觉

    1. 计算IOU
       1. <img src="https://example.com/a.png" width="600">
       2. 代码
       ```python
          def iou(a, b):
              return 0.5
          ```
    2. 非极大值抑制
       1. 主要用于消除冗余预测框
          1. 选出得分最高的框

    ## 卷积模型

    1. 1*1卷积的作用是什么？
       1. 实现信息的跨通道交互与整合
    """
)

BULLETS = (
    "- 1、BN训练和测试时的参数是一样的嘛？\n"
    "    - 训练时用每一批数据的均值和方差。\n"
    "    - 测试时用移动平均得到的全量均值和方差。\n"
    "    \n"
    "- 2、BN和LN的区别\n"
    "\n"
    "- 3、过拟合\n"
    "\t- Dropout：随机将部分神经元的输出置零。\n"
    "- 4、LM和MLM区别"
)

HEADINGS = dedent(
    """\
    # 面试题

    ## 为什么numpy 比 list快

    > list 不是连续内存
    >
    > numpy有几个优势：
    >
    > \t1.底层实现为C
    >
    > \t2.同类型集中存储

    ## 请回答下图和注意力机制有什么区别？

    ![fig](https://example.com/fig.png)

    > 这是group block，用于做软聚类

    ## batchnorm 的作用

    为什么要做数据归一化？

    >保证所有特征在同一刻度下比较

    ![later](https://example.com/later.png)
    """
)

CHAPTERS = dedent(
    """\
    28 批量归一化BN
        1. BN能用在MLP中吗？
            可以的, 但是如果网络不深的话其实作用不大
            一般都是网络较深的时候才会有用
        2.BN是不是和权重衰退的作用类似？
            权重衰退限制权重的变化范围
                1. 子要点一
            但是BN不会太多影响前一层的权重

    40. 狗的种类识别
        1. 图像增广是对变换后的图片进行训练吗?
            是的
    """
)


def _parse(tmp_path: Path, text: str, name: str = "seed.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_seed(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(DETAILS, details.FORMAT), (HEXO, hexo.FORMAT), (BULLETS, bullets.FORMAT), (HEADINGS, headings.FORMAT), (CHAPTERS, chapters.FORMAT)],
)
def test_each_format_is_detected(text: str, expected: str) -> None:
    assert detect_format(text) == expected


def test_unknown_format_is_refused_with_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(SeedFormatError, match=r"notes\.txt: unknown seed format"):
        _parse(tmp_path, "just some prose\nwith no questions\n", "notes.txt")


def test_details_questions_answers_and_missing_answer(tmp_path: Path) -> None:
    seed = _parse(tmp_path, DETAILS)
    assert [(i.number, i.question, i.line) for i in seed.items] == [
        (1, "Python 列表和元组的区别？", 1),
        (2, "Python迭代器和生成器的区别？", 8),
        (3, "没有答案的问题？", 17),
    ]
    assert seed.items[0].answer == "列表的值可以修改，元组不可修改。\n\n元组可以作为字典的键。"
    # An ideographic space is two columns wide: that line is a sibling, the 4-space one a sub-point.
    assert seed.items[1].answer == "相同：\n\n1、生成器是一种特殊的迭代器\n\n2、迭代器可以通过 iter() 创建\n\n- 3、更深的子要点"
    assert seed.items[2].answer == ""
    assert seed.unaccounted(DETAILS.splitlines()) == []


def test_details_unclosed_block_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SeedFormatError, match="never closed"):
        _parse(tmp_path, "> 1、问题？\n<details>\n  <summary>答案</summary>\n  半个答案\n")


def test_hexo_sections_code_blocks_and_boilerplate(tmp_path: Path) -> None:
    seed = _parse(tmp_path, HEXO)
    assert seed.title == "面试笔记"
    assert [(i.section, i.number, i.question) for i in seed.items] == [
        ("计算机视觉", 1, "计算IOU"),
        ("计算机视觉", 2, "非极大值抑制"),
        ("卷积模型", 1, "1*1卷积的作用是什么？"),
    ]
    iou = seed.items[0].answer
    assert '<img src="https://example.com/a.png" width="600">' in iou
    assert "```python\n   def iou(a, b):\n       return 0.5\n   ```" in iou
    assert seed.items[1].answer == "1. 主要用于消除冗余预测框\n   1. 选出得分最高的框"
    reasons = set(seed.skipped.values())
    assert "front matter" in reasons and "page boilerplate" in reasons
    assert any("note" in reason for reason in reasons)
    assert seed.unaccounted(HEXO.splitlines()) == []


def test_hexo_stray_paragraph_is_reported_not_dropped(tmp_path: Path) -> None:
    text = HEXO + "\n这段话不属于任何问题。\n"
    seed = _parse(tmp_path, text)
    assert seed.unaccounted(text.splitlines()) == [(len(text.splitlines()), "这段话不属于任何问题。")]


def test_bullets_with_spaces_tabs_and_no_answers(tmp_path: Path) -> None:
    seed = _parse(tmp_path, BULLETS)
    assert [(i.number, i.question) for i in seed.items] == [
        (1, "BN训练和测试时的参数是一样的嘛？"),
        (2, "BN和LN的区别"),
        (3, "过拟合"),
        (4, "LM和MLM区别"),
    ]
    assert seed.items[0].answer == "- 训练时用每一批数据的均值和方差。\n- 测试时用移动平均得到的全量均值和方差。"
    assert seed.items[1].answer == ""
    assert seed.items[2].answer == "- Dropout：随机将部分神经元的输出置零。"
    assert seed.items[3].answer == ""
    assert seed.unaccounted(BULLETS.splitlines()) == []


def test_headings_quotes_labels_and_question_figures(tmp_path: Path) -> None:
    seed = _parse(tmp_path, HEADINGS)
    assert seed.title == "面试题"
    numpy, figure, norm = seed.items
    assert numpy.answer == "list 不是连续内存\n\nnumpy有几个优势：\n\n1.底层实现为C\n\n2.同类型集中存储"
    # The figure before the answer belongs to a question that points at it...
    assert figure.images == ("https://example.com/fig.png",)
    assert "fig.png" not in figure.answer
    # ...while a figure inside an answer stays in the answer; plain lines become bold labels.
    assert norm.images == ()
    assert norm.answer == "**为什么要做数据归一化？**\n\n保证所有特征在同一刻度下比较\n\n![later](https://example.com/later.png)"
    assert seed.unaccounted(HEADINGS.splitlines()) == []


def test_chapters_numbering_without_space_and_nested_points(tmp_path: Path) -> None:
    seed = _parse(tmp_path, CHAPTERS)
    assert [(i.section, i.number, i.question, i.line) for i in seed.items] == [
        ("28 批量归一化BN", 1, "BN能用在MLP中吗？", 2),
        ("28 批量归一化BN", 2, "BN是不是和权重衰退的作用类似？", 5),
        ("40. 狗的种类识别", 1, "图像增广是对变换后的图片进行训练吗?", 11),
    ]
    assert seed.items[0].answer == "可以的, 但是如果网络不深的话其实作用不大\n\n一般都是网络较深的时候才会有用"
    assert seed.items[1].answer == "权重衰退限制权重的变化范围\n\n- 1. 子要点一\n\n但是BN不会太多影响前一层的权重"
    assert seed.unaccounted(CHAPTERS.splitlines()) == []


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "win.txt"
    path.write_bytes(("\ufeff" + BULLETS).replace("\n", "\r\n").encode("utf-8"))
    assert [i.question for i in parse_seed(path).items][0] == "BN训练和测试时的参数是一样的嘛？"
