"""`mockbot bank validate` and `load_bank` on bad input.

Every case builds a small bank folder under `tmp_path` (a copy of a real bank file, corrupted, or a
few hand-written questions), points the CLI at it with a config file, and checks that validation
fails and that each problem is reported as `file:line: message` with the line computed from the
text the test wrote. Each case is checked through both the API (`load_bank` raising `BankInvalid`)
and the command (`mockbot bank validate`, exit status 1, one stderr line per problem).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from questions.bank import BankInvalid, load_bank
from questions.model import AnswerKind
from questions.taxonomy import Taxonomy

REPO = Path(__file__).resolve().parents[1]
REPO_CONFIG = REPO / "config.yaml"
REAL_BANK = REPO / "questions" / "bank"
SAMPLE = REAL_BANK / "003_00467d147e3054d0.yaml"

# (file, 1-based line, a fragment the message must contain)
Expected = tuple[Path, int | None, str]


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bank"
    folder.mkdir()
    return folder


def line_no(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based number of the `occurrence`-th line of `text` that contains `needle`."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} time(s) in the test text"
    return hits[occurrence - 1]


def write(path: Path, text: str) -> str:
    text = textwrap.dedent(text).lstrip("\n")
    path.write_text(text, encoding="utf-8")
    return text


def write_config(tmp_path: Path, bank: Path) -> Path:
    config = tmp_path / "config.yaml"
    # A JSON string is a valid double-quoted YAML scalar, whatever characters the path has.
    config.write_text(f"bank:\n  dir: {json.dumps(str(bank))}\n", encoding="utf-8")
    return config


def run_validate(tmp_path: Path, bank: Path) -> Result:
    return CliRunner().invoke(cli, ["--config", str(write_config(tmp_path, bank)), "bank", "validate"])


def problem_lines(result: Result) -> list[str]:
    """The stderr lines that report a problem (all but the closing `mockbot: N problem(s)` line)."""
    return [line for line in result.stderr.splitlines() if line and not line.startswith("mockbot: ")]


def assert_reported(tmp_path: Path, bank: Path, taxonomy: Taxonomy, expected: list[Expected]) -> None:
    """Both `load_bank` and `mockbot bank validate` report exactly `expected`, in any order."""
    with pytest.raises(BankInvalid) as info:
        load_bank(bank, taxonomy)
    got = sorted((p.path, p.line or 0) for p in info.value.problems)
    assert got == sorted((str(path), line or 0) for path, line, _ in expected), info.value.problems
    for path, line, fragment in expected:
        assert any(
            p.path == str(path) and p.line == line and fragment in p.message for p in info.value.problems
        ), f"no problem {path}:{line} mentioning {fragment!r} in {info.value.problems}"

    result = run_validate(tmp_path, bank)
    assert result.exit_code == 1, result.output
    lines = problem_lines(result)
    assert len(lines) == len(expected), result.stderr
    for path, line, fragment in expected:
        prefix = f"{path}:{line}: " if line else f"{path}: "
        assert any(l.startswith(prefix) and fragment in l for l in lines), f"{prefix}...{fragment!r} not in:\n{result.stderr}"
    assert f"mockbot: {len(expected)} problem(s) in the question bank" in result.stderr
    assert result.stdout == ""


HAND_WRITTEN = textwrap.dedent(
    """
    # hand-written questions
    questions:
    - id: q-alpha
      topic: python
      question: What does a generator do?
      answer: It yields values lazily.
      answer_kind: text
      key_points:
      - yields values lazily
    - id: q-beta
      topic: pytorch
      question: What is autograd?
      answer: ''
      answer_kind: none
    """
).lstrip("\n")


def test_hand_written_baseline_is_valid(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    """The small file the other cases corrupt is itself valid, so each case fails for its own reason."""
    write(bank_dir / "hand.yaml", HAND_WRITTEN)
    assert [q.id for q in load_bank(bank_dir, taxonomy).questions] == ["q-alpha", "q-beta"]
    result = run_validate(tmp_path, bank_dir)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 2 questions in 1 files")


# --- broken YAML -----------------------------------------------------------------------------------


def test_bad_indentation_in_a_real_bank_file_names_the_line(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    target = bank_dir / SAMPLE.name
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    bad = line_no("".join(lines), "question: ", occurrence=3)
    lines[bad - 1] = " " + lines[bad - 1]  # one space too many: no longer a key of the mapping
    target.write_text("".join(lines), encoding="utf-8")
    assert_reported(tmp_path, bank_dir, taxonomy, [(target, bad, "broken YAML")])


def test_unclosed_quote_names_the_line_where_the_quote_opens(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / "hand.yaml"
    text = write(
        path,
        """
        questions:
        - id: q-alpha
          topic: python
          answer: ''
          answer_kind: none
          question: "What does a generator do?
        """,
    )
    opened = line_no(text, 'question: "')
    assert_reported(tmp_path, bank_dir, taxonomy, [(path, opened, "broken YAML")])


def test_file_that_is_not_a_mapping_is_reported(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / "hand.yaml"
    write(path, "- just\n- a list\n")
    assert_reported(tmp_path, bank_dir, taxonomy, [(path, 1, "expected a mapping with a 'questions' list")])


# --- duplicate ids -------------------------------------------------------------------------------


def test_duplicate_id_within_one_file_names_both_lines(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("id: q-beta", "id: q-alpha"))
    first, second = line_no(text, "id: q-alpha", 1), line_no(text, "id: q-alpha", 2)
    assert_reported(
        tmp_path, bank_dir, taxonomy, [(path, second, f"duplicate id 'q-alpha' (first at {path}:{first})")]
    )


def test_duplicate_id_across_two_files_names_both_places(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    first_path = bank_dir / f"a_{SAMPLE.name}"  # sorted first, so it is the "first" occurrence
    shutil.copy(SAMPLE, first_path)
    sample_text = SAMPLE.read_text(encoding="utf-8")
    taken = next(l.split("id: ", 1)[1].strip() for l in sample_text.splitlines() if l.startswith("- id: "))
    second_path = bank_dir / "b_hand.yaml"
    text = write(second_path, HAND_WRITTEN.replace("id: q-beta", f"id: {taken}"))
    first_line = line_no(sample_text, f"- id: {taken}")
    second_line = line_no(text, f"- id: {taken}")
    assert_reported(
        tmp_path,
        bank_dir,
        taxonomy,
        [(second_path, second_line, f"duplicate id '{taken}' (first at {first_path}:{first_line})")],
    )


# --- one bad field --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["''", "'   '", "\"\\t \""], ids=["empty", "spaces", "tab-and-space"])
def test_empty_question_text_is_reported(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy, value: str) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("question: What is autograd?", f"question: {value}"))
    assert_reported(tmp_path, bank_dir, taxonomy, [(path, line_no(text, f"question: {value}"), "question text is empty")])


def test_unknown_topic_is_reported_with_the_known_ones(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("topic: pytorch", "topic: quantum-computing"))
    line = line_no(text, "topic: quantum-computing")
    assert_reported(tmp_path, bank_dir, taxonomy, [(path, line, "unknown topic 'quantum-computing'")])
    result = run_validate(tmp_path, bank_dir)
    for topic in taxonomy.topics:
        assert topic.id in result.stderr


def test_kind_none_with_key_points_is_reported(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("  answer_kind: none", "  answer_kind: none\n  key_points:\n  - autograd"))
    line = line_no(text, "- id: q-beta")  # a whole-question problem points at the question's first line
    assert_reported(tmp_path, bank_dir, taxonomy, [(path, line, "key points given for a question without an answer")])


def test_kind_none_with_a_filled_in_answer_takes_the_kind_from_the_answer(
    bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    """A hand-filled answer on an open question is accepted: kind and key points follow from it."""
    write(bank_dir / "hand.yaml", HAND_WRITTEN.replace("answer: ''", "answer: Autograd records operations to compute gradients."))
    question = load_bank(bank_dir, taxonomy).get("q-beta")
    assert question is not None
    assert question.answer_kind is AnswerKind.TEXT
    assert question.point_texts
    assert run_validate(tmp_path, bank_dir).exit_code == 0


def test_kind_text_with_an_empty_answer_is_reported(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("answer: It yields values lazily.", "answer: ''"))
    line = line_no(text, "- id: q-alpha")
    assert_reported(tmp_path, bank_dir, taxonomy, [(path, line, "answer_kind is 'text' but the answer is empty")])


def test_misspelt_key_is_reported_at_its_line(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("question: What is autograd?", "questoin: What is autograd?"))
    line = line_no(text, "questoin:")
    # The typo leaves the real key missing too; both problems are on the misspelt question.
    expected: list[Expected] = [(path, line, 'unknown key "questoin" (did you mean "question"?)')]
    expected.append((path, line_no(text, "- id: q-beta"), "question: required but missing"))
    assert_reported(tmp_path, bank_dir, taxonomy, expected)


def test_misspelt_key_with_a_list_value_is_reported_at_the_key_line(
    bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("key_points:", "key_pointz:"))
    line = line_no(text, "key_pointz:")
    expected: list[Expected] = [(path, line, 'unknown key "key_pointz" (did you mean "key_points"?)')]
    assert_reported(tmp_path, bank_dir, taxonomy, expected)


@pytest.mark.parametrize("bad_id", ["Q-Alpha", "q alpha", "x", "-leading-dash"])
def test_bad_id_is_reported(bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy, bad_id: str) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, HAND_WRITTEN.replace("id: q-alpha", f"id: {json.dumps(bad_id)}"))
    line = line_no(text, f"id: {json.dumps(bad_id)}")
    assert_reported(tmp_path, bank_dir, taxonomy, [(path, line, "id must be 2-64 lowercase letters")])


# --- many problems, missing folder ---------------------------------------------------------------

SEVERAL_PROBLEMS = """
    questions:
    - id: q-one
      topic: python
      question: '  '
      answer: ''
      answer_kind: none
    - id: Q Two
      topic: python
      question: What is a list?
      answer: ''
      answer_kind: none
    - id: q-three
      topic: python
      question: What is a tuple?
      answr: An immutable sequence.
      answer: ''
      answer_kind: none
    - id: q-four
      topic: python
      question: What is a dict?
      answer: ''
      answer_kind: link
    """


def test_several_problems_in_one_file_are_all_reported_at_once(
    bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    path = bank_dir / "hand.yaml"
    text = write(path, SEVERAL_PROBLEMS)
    expected: list[Expected] = [
        (path, line_no(text, "question: '  '"), "question text is empty"),
        (path, line_no(text, "id: Q Two"), "id must be 2-64 lowercase letters"),
        (path, line_no(text, "answr:"), 'unknown key "answr" (did you mean "answer"?)'),
        (path, line_no(text, "- id: q-four"), "answer_kind is 'link' but the answer is empty"),
    ]
    assert len(expected) == 4
    assert_reported(tmp_path, bank_dir, taxonomy, expected)


def test_problems_in_several_files_are_all_reported_at_once(
    bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    broken = bank_dir / "a.yaml"
    broken_text = write(broken, HAND_WRITTEN.replace("  answer_kind: none", "   answer_kind: none"))
    wrong = bank_dir / "b.yaml"
    wrong_text = write(wrong, HAND_WRITTEN.replace("topic: python", "topic: nope"))
    expected: list[Expected] = [
        (broken, line_no(broken_text, "   answer_kind: none"), "broken YAML"),
        (wrong, line_no(wrong_text, "topic: nope"), "unknown topic 'nope'"),
    ]
    assert_reported(tmp_path, bank_dir, taxonomy, expected)


def test_unknown_topic_is_reported_alongside_schema_problems_in_the_same_file(
    bank_dir: Path, tmp_path: Path, taxonomy: Taxonomy
) -> None:
    path = bank_dir / "hand.yaml"
    text = write(
        path,
        HAND_WRITTEN.replace("question: What is autograd?", "question: ''").replace("topic: python", "topic: nope"),
    )
    expected: list[Expected] = [
        (path, line_no(text, "topic: nope"), "unknown topic 'nope'"),
        (path, line_no(text, "question: ''"), "question text is empty"),
    ]
    assert_reported(tmp_path, bank_dir, taxonomy, expected)


def test_missing_bank_folder_is_reported(tmp_path: Path, taxonomy: Taxonomy) -> None:
    missing = tmp_path / "no-such-bank"
    with pytest.raises(BankInvalid) as info:
        load_bank(missing, taxonomy)
    assert [(p.path, p.line, p.message) for p in info.value.problems] == [(str(missing), None, "bank folder not found")]
    # To the command a folder that is not there is a mistake in the configuration, not in the bank: exit 2.
    result = run_validate(tmp_path, missing)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"mockbot: bank.dir: the bank folder {missing} does not exist (set in {tmp_path / 'config.yaml'})\n"


# --- the real bank ------------------------------------------------------------------------------


def test_real_bank_validates_and_prints_the_question_count() -> None:
    runner = CliRunner()
    stats = runner.invoke(cli, ["--config", str(REPO_CONFIG), "bank", "stats", "--json"])
    assert stats.exit_code == 0, stats.output
    total = json.loads(stats.stdout)["total"]
    assert total > 0

    result = runner.invoke(cli, ["--config", str(REPO_CONFIG), "bank", "validate"])
    assert result.exit_code == 0, result.output
    files = len(list(REAL_BANK.glob("*.yaml")))
    assert result.stdout.startswith(f"ok: {total} questions in {files} files under ")
    assert str(REAL_BANK) in result.stdout
    assert result.stderr == ""
