"""Config and bank mistakes reported in plain words, at the line a user would point at.

Each case breaks a copy of a real file (the repository's config.yaml, a real bank file) on a
known line and runs the command through its entry point.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import CONFIG_ENV

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "questions" / "bank" / "003_00467d147e3054d0.yaml"


@pytest.fixture(autouse=True)
def no_env_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)


def line_no(text: str, needle: str) -> int:
    """The 1-based number of the first line of `text` that contains `needle`."""
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def broken_config(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of the repository's config.yaml with the first `old` replaced; (file, that line)."""
    text = (REPO / "config.yaml").read_text(encoding="utf-8")
    line = line_no(text, old)
    path = tmp_path / "config.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path, line


def stderr_of(capsys: pytest.CaptureFixture[str], *argv: str, status: int) -> str:
    assert main(list(argv)) == status
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("verdicts: {excellent: 85.0, good: 60.0, partial: 25.0}", "verdicts: {excellent: 85.0, good: 60.0",
         'a "{" opened on this line is not closed'),
        ("curve: [", "curve: [[",  # whatever the calibrated values: one "[" too many
         'a "[" opened on this line is not closed'),
        ("language: zh", "language zh", 'a line that is not "key: value"'),
        ("  topics: questions/topics.yaml", "   topics: questions/topics.yaml",
         "the indentation of this line does not match"),
        ("  max_answer_chars: 2000", " max_answer_chars: 2000", "the indentation of this line does not match"),
    ],
    ids=["unclosed brace", "unclosed bracket", "missing colon", "indented too far", "indented too little"],
)
def test_broken_config_yaml_names_the_line_of_the_mistake(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str, new: str, words: str
) -> None:
    path, line = broken_config(tmp_path, old, new)
    err = stderr_of(capsys, "bank", "stats", "--config", str(path), status=2)
    assert err.startswith(f"mockbot: {path}:{line}: broken YAML: {words}"), err


def test_an_unknown_setting_deep_in_the_config_gets_a_suggestion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, line = broken_config(tmp_path, "    point: {keyword: 0.8,", "    point: {keywrod: 0.8,")
    err = stderr_of(capsys, "where", "--config", str(path), status=2)
    assert err.strip() == f'mockbot: {path}:{line}: unknown setting "grading.zh.point.keywrod" (did you mean "grading.zh.point.keyword"?)'


def test_wrong_values_are_explained_without_pydantic_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "privacy:\n  store_answers: maybe\n  answers_per_minute: many\n  answer_retention_days: 0\nbank: questions\n",
        encoding="utf-8",
    )
    lines = stderr_of(capsys, "where", "--config", str(path), status=2).removeprefix("mockbot: ").splitlines()
    assert sorted(lines) == sorted([
        f"{path}:2: privacy.store_answers: must be true or false (got 'maybe')",
        f"{path}:3: privacy.answers_per_minute: must be a whole number (got 'many')",
        f"{path}:4: privacy.answer_retention_days: must be at least 1 (got 0)",
        f"{path}:5: bank: must be a mapping (indented key: value lines) (got 'questions')",
    ])  # fmt: skip


# ---------------------------------------------------------------- bank files


@pytest.fixture
def bank_copy(tmp_path: Path) -> tuple[Path, Path]:
    """(a config pointing at a bank folder with a copy of one real bank file, that copy)."""
    bank = tmp_path / "bank"
    bank.mkdir()
    copy = bank / SAMPLE.name
    shutil.copyfile(SAMPLE, copy)
    config = tmp_path / "config.yaml"
    config.write_text(f"bank:\n  dir: {json.dumps(str(bank))}\n", encoding="utf-8")
    return config, copy


def break_line(path: Path, needle: str, change: Callable[[str], str], occurrence: int = 1) -> int:
    """Apply `change` to the `occurrence`-th line containing `needle`; return its 1-based number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if needle in line]
    index = hits[occurrence - 1]
    lines[index] = change(lines[index])
    path.write_text("".join(lines), encoding="utf-8")
    return index + 1


@pytest.mark.parametrize(
    ("needle", "change", "words"),
    [
        ("imported: {", lambda line: line.rstrip().rstrip("}") + "\n", 'a "{" opened on this line is not closed'),
        ("question: ", lambda line: " " + line, 'a ":" where none can be'),
        ("gist: ", lambda line: line.replace("gist: ", "gist "), 'a line that is not "key: value"'),
    ],
    ids=["unclosed bracket", "indented too far", "missing colon"],
)
def test_broken_bank_yaml_names_the_line_of_the_mistake(
    bank_copy: tuple[Path, Path], capsys: pytest.CaptureFixture[str], needle: str, change: Callable[[str], str],
    words: str,
) -> None:
    config, copy = bank_copy
    line = break_line(copy, needle, change, occurrence=2)
    err = stderr_of(capsys, "bank", "validate", "--config", str(config), status=1)
    assert err.splitlines()[0].startswith(f"{copy}:{line}: broken YAML: {words}"), err


def test_an_unknown_bank_key_gets_a_suggestion(bank_copy: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    config, copy = bank_copy
    line = break_line(copy, "  topic: ", lambda text: text.replace("topic:", "tpoic:"), occurrence=3)
    err = stderr_of(capsys, "bank", "validate", "--config", str(config), status=1)
    assert f'{copy}:{line}: unknown key "tpoic" (did you mean "topic"?)' in err.splitlines(), err


# ---------------------------------------------------------------- exit statuses: bad arguments or configuration


def test_a_seed_path_that_does_not_exist_is_a_bad_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for missing in (tmp_path / "no-such-seeds", tmp_path / "nope.md"):  # a folder or a single seed file
        for extra in ((), ("--check",), ("--preview",)):
            err = stderr_of(capsys, "bank", "import", str(missing), *extra, status=2)
            assert err == f"mockbot: {missing}: seed file or folder not found\n"


@pytest.mark.parametrize("command", [("bank", "list"), ("bank", "validate"), ("grade", "000-93d25c", "测试时不丢弃"), ("practice",)])
def test_a_configured_bank_folder_that_does_not_exist_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    config = tmp_path / "config.yaml"
    missing = tmp_path / "no-such-bank"
    config.write_text(
        f"bank:\n  dir: {json.dumps(str(missing))}\nstorage:\n  url: sqlite:///{tmp_path / 'practice.sqlite3'}\n",
        encoding="utf-8",
    )
    err = stderr_of(capsys, *command, "--config", str(config), status=2)
    assert err == f"mockbot: bank.dir: the bank folder {missing} does not exist (set in {config})\n"


def test_practice_on_a_bank_that_does_not_load_is_a_configuration_error(
    bank_copy: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, copy = bank_copy
    config.write_text(config.read_text(encoding="utf-8") + f"storage:\n  url: sqlite:///{copy.parent / 'p.sqlite3'}\n", encoding="utf-8")
    line = break_line(copy, "question: ", lambda text: " " + text, occurrence=2)
    err = stderr_of(capsys, "practice", "--config", str(config), status=2)
    assert err.startswith("mockbot: the question bank is invalid:\n") and f"{copy}:{line}: broken YAML" in err
    assert stderr_of(capsys, "bank", "validate", "--config", str(config), status=1)  # validate found problems: 1
