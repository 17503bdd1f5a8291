"""Re-importing a seed keeps hand edits, follows reworded questions and never overwrites a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli
from questions.bank import BankInvalid, load_bank
from questions.importer import import_seed
from questions.model import AnswerKind
from questions.taxonomy import Taxonomy

SEED = (
    "- 1、BN训练和测试时的参数是一样的嘛？\n"
    "    - 训练时用每一批数据的均值和方差。\n"
    "    - 测试时用移动平均得到的全量均值和方差。\n"
    "- 2、BN和LN的区别\n"
    "- 3、MSE和交叉熵区别\n"
    "    - MSE关注全部类别上预测概率和真实概率的差。\n"
    "    - 交叉熵关注的是正确类别的预测概率。\n"
)


@pytest.fixture()
def setup(tmp_path: Path, taxonomy: Taxonomy) -> tuple[Path, Path, Taxonomy]:
    seed = tmp_path / "seeds" / "007_demo.txt"
    seed.parent.mkdir()
    seed.write_text(SEED, encoding="utf-8")
    bank_dir = tmp_path / "bank"
    import_seed(seed, bank_dir, taxonomy)
    return seed, bank_dir, taxonomy


def _bank_file(bank_dir: Path) -> Path:
    return bank_dir / "007_demo.yaml"


def _questions(bank_dir: Path, taxonomy: Taxonomy) -> dict[str, object]:
    return {q.question: q for q in load_bank(bank_dir, taxonomy).questions}


def test_hand_edited_key_points_survive_reimport(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    path = _bank_file(bank_dir)
    text = path.read_text(encoding="utf-8")
    edited = text.replace("  - 训练时用每一批数据的均值和方差\n", "  - 训练时用当前 batch 的均值和方差（手改）\n", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")

    result = import_seed(seed, bank_dir, taxonomy)

    bn = _questions(bank_dir, taxonomy)["BN训练和测试时的参数是一样的嘛？"]
    assert bn.point_texts[0] == "训练时用当前 batch 的均值和方差（手改）"  # type: ignore[attr-defined]
    assert any(entry.startswith(f"{bn.id}: key_points") for entry in result.merge.kept_edits)  # type: ignore[attr-defined]
    assert not result.changed  # the edit is kept as it was: nothing to rewrite
    # And it keeps surviving, even when the seed's answer for that question changes.
    seed.write_text(SEED.replace("测试时用移动平均", "测试时用滑动平均"), encoding="utf-8")
    result = import_seed(seed, bank_dir, taxonomy)
    bn = _questions(bank_dir, taxonomy)["BN训练和测试时的参数是一样的嘛？"]
    assert bn.point_texts[0] == "训练时用当前 batch 的均值和方差（手改）"  # type: ignore[attr-defined]
    assert "滑动平均" in bn.answer  # type: ignore[attr-defined]
    assert any("review your edited key points" in w for w in result.merge.warnings)


CURATED_BN = """\
  key_points:
  - text: 训练时用当前batch的均值和方差
    level: core
    gist: 训练用batch统计量
    gist_en: batch statistics in training
    en: Training uses the mean and variance of the current batch
  - text: 测试时用移动平均得到的全局均值和方差
    level: core
    gist: 测试用全局统计量
    gist_en: global statistics at test time
    en: Testing uses the global mean and variance from the moving averages
  misconceptions:
  - claim: BN测试时也用当前batch的均值和方差
    claim_en: At test time BN also uses the current batch's mean and variance
    correction: 测试时用训练中移动平均得到的全局均值和方差
    correction_en: At test time BN uses the global mean and variance from the moving averages
"""


def test_the_command_counts_kept_hand_edits_and_names_them_when_asked(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    path = _bank_file(bank_dir)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - 训练时用每一批数据的均值和方差\n", "  - 训练时用当前 batch 的均值和方差\n", 1)
                    .replace("  - 交叉熵关注的是正确类别的预测概率\n", "  - 交叉熵只看正确类别的预测概率\n", 1), encoding="utf-8")
    config = bank_dir.parent / "config.yaml"
    config.write_text(f"bank:\n  dir: {bank_dir}\n", encoding="utf-8")
    by_text = {q.question[:3]: q.id for q in load_bank(bank_dir, taxonomy).questions}
    edited = f"{by_text['BN训']}: key_points, {by_text['MSE']}: key_points"

    def run(*extra: str) -> list[str]:
        result = CliRunner().invoke(cli, ["--config", str(config), "bank", "import", str(seed), "--check", *extra])
        assert result.exit_code == 0, result.output
        return [line for line in result.output.splitlines() if "hand edits" in line]

    assert run() == ["  kept hand edits on 2 questions (-v names them)"]
    assert run("-v") == run("--verbose") == [f"  kept hand edits: {edited}"]


def test_english_wordings_of_gists_and_misconceptions_survive_reimport(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    path = _bank_file(bank_dir)
    text = path.read_text(encoding="utf-8")
    imported = "  key_points:\n  - 训练时用每一批数据的均值和方差\n  - 测试时用移动平均得到的全量均值和方差\n"
    assert text.count(imported) == 1
    edited = text.replace(imported, CURATED_BN)
    path.write_text(edited, encoding="utf-8")

    assert not import_seed(seed, bank_dir, taxonomy).changed
    assert path.read_text(encoding="utf-8") == edited  # written back byte for byte, English in place
    seed.write_text(SEED.replace("测试时用移动平均", "测试时用滑动平均"), encoding="utf-8")
    import_seed(seed, bank_dir, taxonomy)
    bn = _questions(bank_dir, taxonomy)["BN训练和测试时的参数是一样的嘛？"]
    assert [p.gist_en for p in bn.key_points] == ["batch statistics in training", "global statistics at test time"]  # type: ignore[attr-defined]
    (wrong,) = bn.misconceptions  # type: ignore[attr-defined]
    assert wrong.claim_en.startswith("At test time BN also") and wrong.correction_en.startswith("At test time BN uses")
    assert CURATED_BN in path.read_text(encoding="utf-8")


def test_untouched_questions_follow_the_seed(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    seed.write_text(SEED.replace("交叉熵关注的是正确类别的预测概率。", "交叉熵只关注正确类别的预测概率。"), encoding="utf-8")
    result = import_seed(seed, bank_dir, taxonomy)
    mse = _questions(bank_dir, taxonomy)["MSE和交叉熵区别"]
    assert "交叉熵只关注正确类别的预测概率" in mse.point_texts  # type: ignore[attr-defined]
    assert result.changed and result.merge.kept_edits == []


def test_filled_in_answer_is_kept_and_gets_key_points(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    path = _bank_file(bank_dir)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(q for q in data["questions"] if q["question"] == "BN和LN的区别")
    assert entry["answer_kind"] == "none"
    # What a person does: write the answer in the empty slot, nothing else.
    text = path.read_text(encoding="utf-8").replace(
        "  question: BN和LN的区别\n  answer: ''\n  answer_kind: none\n",
        "  question: BN和LN的区别\n  answer: |-\n    - BN对一个batch内的同一特征归一化\n    - LN对单个样本的所有特征归一化\n  answer_kind: none\n",
    )
    assert "BN对一个batch" in text
    path.write_text(text, encoding="utf-8")
    filled = _questions(bank_dir, taxonomy)["BN和LN的区别"]
    assert filled.answer_kind is AnswerKind.TEXT  # type: ignore[attr-defined]

    import_seed(seed, bank_dir, taxonomy)

    filled = _questions(bank_dir, taxonomy)["BN和LN的区别"]
    assert filled.point_texts == ["BN对一个batch内的同一特征归一化", "LN对单个样本的所有特征归一化"]  # type: ignore[attr-defined]
    again = import_seed(seed, bank_dir, taxonomy)
    assert not again.changed
    assert _questions(bank_dir, taxonomy)["BN和LN的区别"].answer.startswith("- BN对一个batch")  # type: ignore[attr-defined]


def test_reworded_question_keeps_its_id_and_edits(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    old = _questions(bank_dir, taxonomy)["MSE和交叉熵区别"]
    path = _bank_file(bank_dir)
    path.write_text(path.read_text(encoding="utf-8").replace("topic: dl-basics", "topic: ml", 1), encoding="utf-8")
    edited_topic = {q.id: q.topic for q in load_bank(bank_dir, taxonomy).questions}
    seed.write_text(SEED.replace("3、MSE和交叉熵区别", "3、MSE和交叉熵的区别"), encoding="utf-8")

    result = import_seed(seed, bank_dir, taxonomy)

    renamed = _questions(bank_dir, taxonomy)["MSE和交叉熵的区别"]
    assert renamed.id == old.id  # type: ignore[attr-defined]
    assert result.merge.reidentified and result.merge.added == []
    assert {q.id: q.topic for q in load_bank(bank_dir, taxonomy).questions} == edited_topic


def test_question_removed_from_seed_leaves_the_bank_unless_edited(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    seed.write_text(SEED.split("- 3、")[0], encoding="utf-8")
    result = import_seed(seed, bank_dir, taxonomy)
    assert len(result.merge.removed) == 1
    assert "MSE和交叉熵区别" not in _questions(bank_dir, taxonomy)


def test_hand_written_question_in_a_seed_file_is_kept(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    path = _bank_file(bank_dir)
    path.write_text(
        path.read_text(encoding="utf-8")
        + "- id: my-own-q1\n  topic: dl-basics\n  question: 手写的问题？\n  answer: 手写的答案。\n",
        encoding="utf-8",
    )
    result = import_seed(seed, bank_dir, taxonomy)
    assert "手写的问题？" in _questions(bank_dir, taxonomy)
    assert any("my-own-q1" in w and "written by hand" in w for w in result.merge.warnings)


def test_broken_bank_file_is_not_overwritten(setup: tuple[Path, Path, Taxonomy]) -> None:
    seed, bank_dir, taxonomy = setup
    path = _bank_file(bank_dir)
    broken = path.read_text(encoding="utf-8").replace("questions:\n", "questions:\n  - [unclosed\n", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(BankInvalid) as info:
        import_seed(seed, bank_dir, taxonomy)
    assert f"{path}:" in str(info.value) and "not overwritten" in str(info.value)
    assert path.read_text(encoding="utf-8") == broken
