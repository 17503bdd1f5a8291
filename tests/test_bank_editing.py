"""`questions.editing`: adding questions, setting answers and rewording, on a copy of the bank.

The repository's bank is never written: every test edits a copy under `tmp_path`.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest

from questions import editing
from questions.bank import BankProblem, bank_files, load_bank, read_bank_file
from questions.importer import import_seed, import_seeds
from questions.keypoints import analyse_answer
from questions.merge import merge_questions
from questions.model import AnswerKind, digest
from questions.taxonomy import Taxonomy

SEED_002 = "002_db8b47767325c17e"
MASK_ANSWER = "- attention中的mask用于屏蔽padding位置\n- decoder中的mask防止看到未来的词\n- encoder只需要padding mask"
BN_QUESTION = "BN在推理时用什么均值和方差？"
BN_ANSWER = "- 推理时使用训练阶段用移动平均累计的全局均值和方差\n- 不再使用当前batch的统计量"


@pytest.fixture()
def bank_dir(tmp_path: Path, repo_bank_dir: Path) -> Path:
    """A copy of the repository's bank to edit."""
    return Path(shutil.copytree(repo_bank_dir, tmp_path / "bank"))


def _unanswered_id(bank_dir: Path, taxonomy: Taxonomy) -> str:
    bank_file, _ = read_bank_file(bank_dir / f"{SEED_002}.yaml", taxonomy)
    assert bank_file is not None
    return next(q.id for q in bank_file.questions if q.answer_kind is AnswerKind.NONE)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_split_question_and_answer() -> None:
    assert editing.split_question_and_answer("问题？") == ("问题？", "")
    assert editing.split_question_and_answer("问题？\n---\n答案\n---\n第二段") == ("问题？", "答案\n---\n第二段")
    assert editing.split_question_and_answer("  问题？ \r\n --- \r\n- 要点\r\n") == ("问题？", "- 要点")


def test_add_question_creates_the_admin_file_in_the_bank_format(bank_dir: Path, taxonomy: Taxonomy) -> None:
    before = len(load_bank(bank_dir, taxonomy).questions)
    added = editing.add_question(bank_dir, taxonomy, "深度学习基础", BN_QUESTION, BN_ANSWER)
    assert added.id.startswith(f"{editing.ADMIN_PREFIX}-") and added.topic == "dl-basics"
    assert added.answer_kind is AnswerKind.TEXT
    assert added.point_texts == analyse_answer(BN_ANSWER).key_points == [
        "推理时使用训练阶段用移动平均累计的全局均值和方差",
        "不再使用当前batch的统计量",
    ]
    path = bank_dir / editing.ADMIN_FILE
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Question bank: written by hand.") and f"- id: {added.id}" in text
    bank = load_bank(bank_dir, taxonomy)  # `mockbot bank validate` accepts it
    assert len(bank.questions) == before + 1 and bank.get(added.id) == added

    second = editing.add_question(bank_dir, taxonomy, "python", "Python的GIL是什么？")  # no answer: an open question
    assert second.answer_kind is AnswerKind.NONE and second.point_texts == []
    bank_file, problems = read_bank_file(path, taxonomy)
    assert problems == [] and [q.id for q in bank_file.questions] == [added.id, second.id]  # appended
    assert not [p for p in bank_dir.iterdir() if p.name.endswith(".tmp")]  # no temporary file left


def test_add_question_refuses_bad_input_and_writes_nothing(bank_dir: Path, taxonomy: Taxonomy) -> None:
    before = _snapshot(bank_dir)
    with pytest.raises(editing.UnknownTopic) as unknown:
        editing.add_question(bank_dir, taxonomy, "quantum", BN_QUESTION)
    assert unknown.value.topic == "quantum" and "dl-basics" in unknown.value.known
    with pytest.raises(editing.EmptyText) as empty:
        editing.add_question(bank_dir, taxonomy, "python", "  \n ")
    assert empty.value.what == "question"
    existing = load_bank(bank_dir, taxonomy).questions[0]
    with pytest.raises(editing.DuplicateQuestion) as duplicate:
        editing.add_question(bank_dir, taxonomy, "python", existing.question + "  ")
    assert duplicate.value.existing_id == existing.id
    assert _snapshot(bank_dir) == before


def test_set_answer_fills_in_a_missing_answer(bank_dir: Path, taxonomy: Taxonomy) -> None:
    question_id = _unanswered_id(bank_dir, taxonomy)
    path = bank_dir / f"{SEED_002}.yaml"
    old_lines = path.read_text(encoding="utf-8").splitlines()
    original = load_bank(bank_dir, taxonomy).get(question_id)

    changed = editing.set_answer(bank_dir, question_id, MASK_ANSWER, taxonomy)
    assert changed.answer == MASK_ANSWER and changed.answer_kind is AnswerKind.TEXT
    assert changed.point_texts == ["attention中的mask用于屏蔽padding位置", "decoder中的mask防止看到未来的词", "encoder只需要padding mask"]
    assert changed.imported is not None and original.imported is not None
    assert changed.imported.answer == original.imported.answer  # what the importer wrote: a hand edit now
    assert changed.imported.key_points == digest(changed.point_texts)
    assert load_bank(bank_dir, taxonomy).get(question_id) == changed

    new_lines = path.read_text(encoding="utf-8").splitlines()
    gone = [line[2:] for line in difflib.ndiff(old_lines, new_lines) if line.startswith("- ")]
    digests = original.imported
    old_imported = f"{{topic: {digests.topic}, answer: {digests.answer}, key_points: {digests.key_points}}}"
    assert gone == ["  answer: ''", "  answer_kind: none", "  key_points: []", f"  imported: {old_imported}"]  # nothing else

    # A re-import from an unchanged seed (the fresh question is the original one) keeps the answer.
    bank_file, _ = read_bank_file(path, taxonomy)
    fresh = [q if q.id != question_id else original for q in bank_file.questions]
    merged, report = merge_questions(fresh, bank_file.questions)
    assert next(q for q in merged if q.id == question_id) == changed
    assert f"{question_id}: answer" in report.kept_edits and not [w for w in report.warnings if question_id in w]


def test_set_answer_is_what_a_hand_edit_and_an_import_give(
    bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy, seeds_dir: Path
) -> None:
    question_id = _unanswered_id(bank_dir, taxonomy)
    by_hand = Path(shutil.copytree(bank_dir, tmp_path / "by_hand"))
    editing.set_answer(bank_dir, question_id, MASK_ANSWER, taxonomy)

    # The README's way: write the answer into the empty slot, then `mockbot bank import`.
    path = by_hand / f"{SEED_002}.yaml"
    text = path.read_text(encoding="utf-8")
    at = text.index(f"- id: {question_id}\n")
    slot = text.index("  answer: ''\n", at)
    block = "  answer: |-\n" + "".join(f"    {line}\n" for line in MASK_ANSWER.split("\n"))
    path.write_text(text[:slot] + block + text[slot + len("  answer: ''\n") :], encoding="utf-8")
    import_seed(seeds_dir / f"{SEED_002}.txt", by_hand, taxonomy)
    assert (bank_dir / path.name).read_bytes() == path.read_bytes()

    for result in import_seeds(seeds_dir, bank_dir, taxonomy, write=False):  # `bank import --check` passes
        assert not result.changed, result.bank_path
    (result,) = [r for r in import_seeds(seeds_dir, bank_dir, taxonomy) if r.bank_path.name == path.name]
    assert f"{question_id}: answer" in result.merge.kept_edits
    assert load_bank(bank_dir, taxonomy).get(question_id).answer == MASK_ANSWER


def test_set_answer_replaces_an_answer_and_drops_stale_keyword_overrides(bank_dir: Path, taxonomy: Taxonomy) -> None:
    added = editing.add_question(bank_dir, taxonomy, "dl-basics", BN_QUESTION, BN_ANSWER)
    path = bank_dir / editing.ADMIN_FILE
    path.write_text(path.read_text(encoding="utf-8") + "  keywords: {1: [移动平均]}\n", encoding="utf-8")
    assert load_bank(bank_dir, taxonomy).get(added.id).keywords == {1: ["移动平均"]}

    code = "推理时用全局统计量：\n\n```python\nmodel.eval()\n```"
    changed = editing.set_answer(bank_dir, added.id, code, taxonomy)
    assert changed.answer_kind is AnswerKind.CODE and changed.keywords == {} and changed.imported is None
    assert load_bank(bank_dir, taxonomy).get(added.id) == changed


def test_set_answer_and_reword_refuse_unknown_ids_and_empty_text(bank_dir: Path, taxonomy: Taxonomy) -> None:
    before = _snapshot(bank_dir)
    with pytest.raises(editing.UnknownQuestion):
        editing.set_answer(bank_dir, "999-nothere", MASK_ANSWER, taxonomy)
    with pytest.raises(editing.UnknownQuestion):
        editing.reword_question(bank_dir, "999-nothere", "新的题目？", taxonomy)
    question_id = _unanswered_id(bank_dir, taxonomy)
    with pytest.raises(editing.EmptyText) as empty:
        editing.set_answer(bank_dir, question_id, " \n", taxonomy)
    assert empty.value.what == "answer"
    with pytest.raises(editing.EmptyText):
        editing.reword_question(bank_dir, question_id, "", taxonomy)
    assert _snapshot(bank_dir) == before


def test_reword_keeps_the_id_and_the_answer(bank_dir: Path, taxonomy: Taxonomy) -> None:
    original = load_bank(bank_dir, taxonomy).get("000-3e6fd4")
    changed = editing.reword_question(bank_dir, original.id, "Python 中 list 和 tuple 有什么区别？", taxonomy)
    assert changed.question == "Python 中 list 和 tuple 有什么区别？"
    assert changed.model_copy(update={"question": original.question}) == original
    assert load_bank(bank_dir, taxonomy).get(original.id) == changed


def test_a_broken_file_is_never_overwritten(bank_dir: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / f"{SEED_002}.yaml"
    question_id = _unanswered_id(bank_dir, taxonomy)
    broken = path.read_text(encoding="utf-8").replace("format: bullets\n", "format: [bullets\n", 1)
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(editing.BrokenFile) as info:  # the id may be in the broken file: not "unknown"
        editing.set_answer(bank_dir, question_id, MASK_ANSWER, taxonomy)
    assert any(p.path.endswith(path.name) for p in info.value.problems)
    assert path.read_text(encoding="utf-8") == broken

    admin = bank_dir / editing.ADMIN_FILE
    admin.write_text("questions:\n- id: x\n", encoding="utf-8")
    with pytest.raises(editing.BrokenFile):
        editing.add_question(bank_dir, taxonomy, "python", "新的题目？")
    assert admin.read_text(encoding="utf-8") == "questions:\n- id: x\n"


def test_write_atomically_keeps_the_mode_and_abandons_on_a_failed_check(tmp_path: Path) -> None:
    path = tmp_path / "file.yaml"
    path.write_text("old\n", encoding="utf-8")
    os.chmod(path, 0o640)
    editing.write_atomically(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n" and path.stat().st_mode & 0o777 == 0o640

    def refuse(written: Path) -> None:
        assert written.read_text(encoding="utf-8") == "newer\n" and written.parent == tmp_path
        assert written not in bank_files(tmp_path)  # a bank load never sees the temporary file
        raise editing.InvalidEdit("no")

    with pytest.raises(editing.InvalidEdit):
        editing.write_atomically(path, "newer\n", check=refuse)
    assert path.read_text(encoding="utf-8") == "new\n" and [p.name for p in tmp_path.iterdir()] == ["file.yaml"]


def test_problem_lines_name_files_relative_to_the_bank(tmp_path: Path) -> None:
    problems = [BankProblem(str(tmp_path / "admin.yaml"), 3, "broken YAML"), BankProblem("/elsewhere/x.yaml", None, "gone")]
    assert editing.problem_lines(problems, tmp_path) == ["admin.yaml:3: broken YAML", "/elsewhere/x.yaml: gone"]
