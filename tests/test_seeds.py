"""The five real seed documents: every question imported, spot checks, and the committed bank current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from questions.bank import load_bank
from questions.importer import import_seeds, seed_paths
from questions.importers import parse_seed
from questions.model import AnswerKind, Question
from questions.stats import bank_stats
from questions.taxonomy import Taxonomy

# Questions per seed, in file order. 004 has 66 numbered questions: line 94 ("    8.为什么使用同样
# 模型结构和训练数据……") has no space after "8." but is a question with an answer like the others.
EXPECTED_PER_FILE = [16, 24, 25, 7, 66]


@pytest.fixture(scope="module")
def imported(seeds_dir: Path, taxonomy: Taxonomy, tmp_path_factory: pytest.TempPathFactory) -> list[Question]:
    bank_dir = tmp_path_factory.mktemp("bank")
    import_seeds(seeds_dir, bank_dir, taxonomy)
    return load_bank(bank_dir, taxonomy).questions


def _by_source(questions: list[Question], prefix: str) -> list[Question]:
    return [q for q in questions if q.source and q.source.startswith(prefix)]


def test_every_seed_question_is_in_the_bank(imported: list[Question], taxonomy: Taxonomy, seeds_dir: Path) -> None:
    stats = bank_stats(imported, taxonomy)
    names = [p.name for p in seed_paths(seeds_dir)]
    assert list(stats["by_source"]) == names
    assert [stats["by_source"][n]["total"] for n in names] == EXPECTED_PER_FILE
    assert stats["total"] == sum(EXPECTED_PER_FILE)


def test_answered_split_matches_the_documents(imported: list[Question], taxonomy: Taxonomy, seeds_dir: Path) -> None:
    stats = bank_stats(imported, taxonomy)["by_source"]
    unanswered = [stats[p.name]["unanswered"] for p in seed_paths(seeds_dir)]
    assert unanswered == [0, 0, 16, 0, 0]  # the "- N、" file leaves 16 questions unanswered
    for q in imported:
        assert (q.answer_kind is AnswerKind.NONE) == (q.answer == "")
        if not q.answered:
            assert q.point_texts == []


def test_no_seed_line_is_left_out(seeds_dir: Path) -> None:
    for path in seed_paths(seeds_dir):
        seed = parse_seed(path)
        assert seed.unaccounted(path.read_text(encoding="utf-8").splitlines()) == [], path.name


def test_dropout_train_vs_test_keeps_both_paragraphs(imported: list[Question], seeds_dir: Path) -> None:
    question = next(q for q in _by_source(imported, "000") if q.number == 13)
    assert "dropout训练和测试的差别" in question.question
    lines = (seeds_dir / question.source).read_text(encoding="utf-8").splitlines()  # type: ignore[operator]
    start = question.line  # type: ignore[assignment]
    paragraphs = [l.strip() for l in lines[start : start + 6] if l.strip() and "<" not in l]
    assert len(paragraphs) == 2
    assert question.answer == "\n\n".join(paragraphs)
    # Each paragraph contributes key points.
    assert any(point in paragraphs[0] for point in question.point_texts)
    assert any(point in paragraphs[1] for point in question.point_texts)


def test_iou_keeps_its_python_code_block(imported: list[Question], seeds_dir: Path) -> None:
    question = next(q for q in _by_source(imported, "001") if q.question == "计算IOU")
    assert question.answer_kind is AnswerKind.CODE
    source = (seeds_dir / question.source).read_text(encoding="utf-8")  # type: ignore[operator]
    block = re.search(r"^   ```python\n.*?def box_iou_xyxy.*?^\s*```$", source, re.S | re.M)
    assert block is not None
    expected = "\n".join(line[3:] for line in block.group().splitlines())  # the item's 3-column indent
    assert expected in question.answer
    assert "return iou" in question.answer and question.answer.count("```") == 2


def test_numpy_vs_list_reasons_are_separate_key_points(imported: list[Question]) -> None:
    question = next(q for q in _by_source(imported, "003") if "numpy" in q.question)
    starts = ["底层实现为C", "为同类型集中存储", "向量化操作"]
    matching = [next((p for p in question.point_texts if p.startswith(s)), None) for s in starts]
    assert all(matching), question.point_texts
    assert len(set(matching)) == 3


def test_chapter_28_questions_carry_its_topic(imported: list[Question], taxonomy: Taxonomy) -> None:
    chapter = [q for q in _by_source(imported, "004") if q.section == "28 批量归一化BN"]
    assert len(chapter) == 4
    assert {q.topic for q in chapter} == {taxonomy.headings["批量归一化BN"]} == {"dl-basics"}


def test_sections_map_to_the_shared_taxonomy(imported: list[Question], taxonomy: Taxonomy) -> None:
    topics = {q.topic for q in imported}
    assert topics <= set(taxonomy.by_id)
    hexo = {q.section: q.topic for q in _by_source(imported, "001")}
    assert hexo == {"深度学习基础": "dl-basics", "卷积模型": "cnn-vision", "预训练相关": "transformer-nlp", "计算机视觉": "cnn-vision"}


def test_answers_keep_images_and_links(imported: list[Question]) -> None:
    kinds = {q.answer_kind for q in imported}
    assert {AnswerKind.TEXT, AnswerKind.CODE, AnswerKind.IMAGE, AnswerKind.LINK, AnswerKind.NONE} <= kinds
    receptive = next(q for q in imported if q.question == "如何计算感受野？")
    assert "<https://www.cnblogs.com/shine-lee/p/12069176.html>" in receptive.answer
    assert receptive.answer.count("<img src=") == 2
    figure = next(q for q in imported if q.question.startswith("请回答下图"))
    assert figure.images == ["https://typorasyt.oss-cn-nanjing.aliyuncs.com/202410262136006.png"]


def test_ids_are_unique_and_stable_across_imports(seeds_dir: Path, taxonomy: Taxonomy, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    import_seeds(seeds_dir, first, taxonomy)
    import_seeds(seeds_dir, second, taxonomy)
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes()
    ids = [q.id for q in load_bank(first, taxonomy).questions]
    assert len(ids) == len(set(ids))


def test_reimport_changes_nothing(seeds_dir: Path, taxonomy: Taxonomy, tmp_path: Path) -> None:
    import_seeds(seeds_dir, tmp_path, taxonomy)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    results = import_seeds(seeds_dir, tmp_path, taxonomy)
    assert not any(r.changed for r in results)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_committed_bank_is_up_to_date_with_the_seeds(seeds_dir: Path, taxonomy: Taxonomy, repo_bank_dir: Path) -> None:
    results = import_seeds(seeds_dir, repo_bank_dir, taxonomy, write=False)
    assert [r.bank_path.name for r in results if r.changed] == []
