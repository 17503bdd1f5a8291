"""Keywords per key point are automatic, or set by hand in the bank (`keywords: {N: [...]}`)."""

from __future__ import annotations

from pathlib import Path

from bot.grading_app import reference_for
from grading.grader import Grader, Reference
from questions.bank import BankInvalid, load_bank
from questions.taxonomy import Taxonomy

import pytest

BANK_FILE = """\
questions:
- id: custom-dropout
  topic: dl-basics
  question: dropout训练和测试有什么不同？
  answer: |-
    - 训练时以概率p随机丢弃神经元
    - 测试时不丢弃，所有神经元都参与
  answer_kind: text
  key_points:
  - 训练时以概率p随机丢弃神经元
  - 测试时不丢弃，所有神经元都参与
  keywords:
    1: [随机失活, 概率p]
"""


def test_automatic_keywords_leave_out_the_question_words(grader: Grader) -> None:
    prepared = grader.prepare(Reference("dropout训练和测试有什么不同？", "", ("训练时以概率p随机丢弃神经元",)))
    keywords = prepared.points[0].keywords
    assert "丢弃" in keywords and "神经元" in keywords
    assert "训练" not in keywords and "dropout" not in keywords  # the question's own words


def test_bank_keywords_replace_the_automatic_ones(tmp_path: Path, taxonomy: Taxonomy, grader: Grader) -> None:
    (tmp_path / "custom.yaml").write_text(BANK_FILE, encoding="utf-8")
    question = load_bank(tmp_path, taxonomy).get("custom-dropout")
    assert question is not None and question.keywords == {1: ["随机失活", "概率p"]}
    prepared = grader.prepare(reference_for(question))
    # Aliases are canonical: 随机失活 is the glossary's "dropout".
    assert prepared.points[0].keywords == ("dropout", "概率p")
    assert prepared.points[1].keywords != ()  # point 2 keeps its automatic keywords


def test_keywords_for_a_missing_key_point_are_an_error(tmp_path: Path, taxonomy: Taxonomy) -> None:
    text = BANK_FILE.replace("    1: [随机失活, 概率p]", "    3: [随机失活]")
    (tmp_path / "custom.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(BankInvalid, match=r"custom\.yaml:\d+: .*there is no key point 3"):
        load_bank(tmp_path, taxonomy)
