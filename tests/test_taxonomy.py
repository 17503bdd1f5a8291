"""Topic rules: headings first, then the question's words; Latin keywords match whole words."""

from __future__ import annotations

from pathlib import Path

import pytest

from questions.taxonomy import Taxonomy, heading_key, load_taxonomy
from questions.yamlio import YamlError


def test_heading_without_chapter_number() -> None:
    assert heading_key("28 批量归一化BN") == "批量归一化BN"
    assert heading_key("40. 狗的种类识别") == "狗的种类识别"


def test_heading_decides_over_question_words(taxonomy: Taxonomy) -> None:
    # Under the BN chapter, a question that mentions Layer Norm stays in that chapter's topic.
    assert taxonomy.classify("Layer Norm 和 BN的区别", "28 批量归一化BN") == "dl-basics"
    assert taxonomy.classify("转置卷积的含义", "47. 转置卷积") == "cnn-vision"  # by the heading's words


def test_question_words_when_there_is_no_heading(taxonomy: Taxonomy) -> None:
    assert taxonomy.classify("Python 列表和元组的区别？") == "python"
    assert taxonomy.classify("SGD，ADAM相关问题") == "optimization"
    assert taxonomy.classify("torch.nn.softmax和torch.nn.functional.softmax有什么区别？") == "pytorch"
    assert taxonomy.classify("LM和MLM区别") == "transformer-nlp"  # "LM" next to CJK text is a whole word
    assert taxonomy.classify("完全无关的问题") == taxonomy.default


def test_latin_keywords_do_not_match_inside_longer_words(taxonomy: Taxonomy) -> None:
    assert taxonomy.match_words("BNN and LNG") is None
    assert taxonomy.match_words("use BN here") == "dl-basics"


def test_resolve_by_id_or_name(taxonomy: Taxonomy) -> None:
    assert taxonomy.resolve("CNN与视觉") is taxonomy.by_id["cnn-vision"]
    assert taxonomy.resolve("optimization") is taxonomy.by_id["optimization"]
    assert taxonomy.resolve("deep learning BASICS") is taxonomy.by_id["dl-basics"]
    assert taxonomy.resolve("astrology") is None


def test_heading_mapped_to_unknown_topic_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text("topics:\n  - {id: a, zh: 甲, en: A}\nheadings:\n  某章: b\ndefault: a\n", encoding="utf-8")
    with pytest.raises(YamlError, match=r"topics\.yaml:4: heading '某章' maps to unknown topic 'b'"):
        load_taxonomy(path)


def test_broken_taxonomy_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "topics.yaml"
    path.write_text("topics:\n  - id: a\n    zh: [unclosed\n", encoding="utf-8")
    with pytest.raises(YamlError, match=r"topics\.yaml:\d+: broken YAML"):
        load_taxonomy(path)


def test_topics_come_from_visible_words_and_the_most_specific_keyword() -> None:
    taxonomy = load_taxonomy()
    figure = "- 没有一个算法在所有问题上都最好\n\n![没有免费的午餐](../images/no-free-lunch.png)"
    assert taxonomy.classify("有没有比已知算法都更好的算法？", None, figure) == "dl-basics"  # not cnn-vision from the path
    assert taxonomy.classify("为什么要做归一化？", None, "见 [这里](https://example.com/pytorch/tensor)") == "dl-basics"
    assert taxonomy.classify("你对大模型突破三元组知识表示怎么看？", None) == "dl-basics"  # 三元组 is not 元组
    assert taxonomy.classify("How would you handle an imbalanced dataset?", None) == "dl-basics"  # not pytorch
    assert taxonomy.classify("什么是张量并行？", None) == "optimization"  # the longer keyword, not 张量
    # A book-title or whole-field section yields to the question's own words.
    assert taxonomy.classify("pooling 的做法的意义", "《Deep Learning》") == "cnn-vision"
    assert taxonomy.classify("自适应学习率算法 AdaGrad 和 Adam 的做法", "Deep Learning") == "optimization"
    assert taxonomy.classify("KL 散度", "《Deep Learning》") == "dl-basics"
    assert taxonomy.classify("What is a pooling layer?", "Convolutional networks") == "cnn-vision"
