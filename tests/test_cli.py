"""The `mockbot` command line on the repository's own bank and config.

Commands run in-process through `click.testing.CliRunner` with `--config` pointing at the
repository's `config.yaml`; one test runs the installed console script in a subprocess. Expected
numbers and ids come from the bank itself (via the package API or `bank stats --json`), never
hard-coded.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.config import load_settings
from questions.bank import Bank, load_bank
from questions.model import AnswerKind, Question
from questions.taxonomy import Taxonomy, load_taxonomy

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config.yaml"


def mockbot(*args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(CONFIG), *args])


@pytest.fixture(scope="module")
def repo_taxonomy() -> Taxonomy:
    return load_taxonomy(load_settings(CONFIG).bank.topics)


@pytest.fixture(scope="module")
def bank(repo_taxonomy: Taxonomy) -> Bank:
    return load_bank(load_settings(CONFIG).bank.dir, repo_taxonomy)


@pytest.fixture(scope="module")
def stats() -> dict[str, Any]:
    result = mockbot("bank", "stats", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- bank stats -----------------------------------------------------------------------------------


def test_stats_json_totals_match_the_bank(stats: dict[str, Any], bank: Bank) -> None:
    assert stats["total"] == len(bank.questions) > 0
    assert stats["answered"] == sum(1 for q in bank.questions if q.answer_kind is not AnswerKind.NONE)
    assert stats["unanswered"] == stats["total"] - stats["answered"]


def test_stats_json_by_source_is_keyed_by_seed_file_name_and_sums_to_totals(stats: dict[str, Any], bank: Bank) -> None:
    by_source = stats["by_source"]
    assert set(by_source) == {bank_file.source for bank_file in bank.files.values()}
    assert all(name.endswith(".txt") for name in by_source)
    for name, row in by_source.items():
        assert set(row) == {"total", "answered", "unanswered"}, name
        assert row["total"] == row["answered"] + row["unanswered"], name
    for key in ("total", "answered", "unanswered"):
        assert sum(row[key] for row in by_source.values()) == stats[key], key


def test_stats_json_by_topic_covers_every_topic_and_sums_to_total(
    stats: dict[str, Any], repo_taxonomy: Taxonomy
) -> None:
    by_topic = stats["by_topic"]
    assert list(by_topic) == [t.id for t in repo_taxonomy.topics]
    for topic in repo_taxonomy.topics:
        row = by_topic[topic.id]
        assert (row["zh"], row["en"]) == (topic.zh, topic.en)
        assert row["total"] == row["answered"] + row["unanswered"]
    for key in ("total", "answered", "unanswered"):
        assert sum(row[key] for row in by_topic.values()) == stats[key], key


def test_stats_json_by_kind_lists_every_kind_and_sums_to_total(stats: dict[str, Any]) -> None:
    by_kind = stats["by_kind"]
    assert list(by_kind) == [kind.value for kind in AnswerKind]
    assert sum(by_kind.values()) == stats["total"]
    assert by_kind["none"] == stats["unanswered"]


def test_stats_human_output_shows_totals_and_every_section(stats: dict[str, Any]) -> None:
    result = mockbot("bank", "stats")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"{stats['total']} questions: {stats['answered']} answered, {stats['unanswered']} unanswered"
    for heading in ("By source:", "By topic:", "By answer kind:"):
        assert heading in lines
    for name, row in stats["by_source"].items():
        line = next(l for l in lines if l.strip().startswith(name))
        assert line.split() == [name, str(row["total"]), "answered", str(row["answered"]), "unanswered", str(row["unanswered"])]
    for topic_id, row in stats["by_topic"].items():
        line = next(l for l in lines if l.split()[:1] == [topic_id])
        assert f"{row['zh']} / {row['en']}" in line
    for kind, count in stats["by_kind"].items():
        assert [kind, str(count)] in [line.split() for line in lines], kind


# --- bank list ------------------------------------------------------------------------------------


def test_list_prints_one_line_per_question(stats: dict[str, Any], bank: Bank) -> None:
    result = mockbot("bank", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == stats["total"]
    assert [line.split()[0] for line in lines] == [q.id for q in bank.questions]
    assert f"({stats['total']} questions)" in result.stderr


@pytest.mark.parametrize(
    "name",
    ["cnn-vision", "CNN-Vision", "CNN与视觉", "cnn与视觉", "CNNs & vision", "cnns & VISION", "  cnns & vision  "],
)
def test_list_topic_accepts_id_chinese_and_english_name(name: str, stats: dict[str, Any]) -> None:
    result = mockbot("bank", "list", "--topic", name)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    expected = stats["by_topic"]["cnn-vision"]["total"]
    assert 0 < expected < stats["total"]
    assert len(lines) == expected
    assert all(line.split()[1] == "cnn-vision" for line in lines)
    assert f"({expected} questions)" in result.stderr


def test_list_unknown_topic_exits_2_and_lists_the_topics(repo_taxonomy: Taxonomy) -> None:
    result = mockbot("bank", "list", "--topic", "quantum chemistry")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "unknown topic 'quantum chemistry'" in result.stderr
    for topic in repo_taxonomy.topics:
        assert f"{topic.id} ({topic.zh})" in result.stderr


# --- bank show ------------------------------------------------------------------------------------


def _answered_with_points(bank: Bank) -> Question:
    return next(q for q in bank.questions if q.answer_kind is AnswerKind.TEXT and len(q.key_points) >= 2 and q.source)


def test_show_prints_question_source_answer_and_numbered_key_points(bank: Bank) -> None:
    question = _answered_with_points(bank)
    result = mockbot("bank", "show", question.id)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0].startswith(question.id)
    assert f"{question.source}:{question.line}" in out.splitlines()[0]
    assert f"Q: {question.question}" in out
    assert question.answer in out
    assert "Key points:" in out
    numbered = [line for line in out.splitlines() if line.startswith("  ") and line.strip()[:1].isdigit()]
    assert numbered == [
        f"  {i}. {point.text}" + ("" if point.core else " (detail)")
        for i, point in enumerate(question.key_points, start=1)
    ]
    if question.misconceptions:
        listed = out.split("\nMisconceptions:\n", 1)[1].splitlines()
        assert listed == [f"  - {m.claim} → {m.correction}" for m in question.misconceptions]
    else:
        assert "Misconceptions:" not in out


def test_show_unanswered_question_says_it_is_open_practice(bank: Bank) -> None:
    question = next(q for q in bank.questions if q.answer_kind is AnswerKind.NONE)
    result = mockbot("bank", "show", question.id)
    assert result.exit_code == 0, result.output
    assert f"Q: {question.question}" in result.stdout
    assert "open practice question" in result.stdout
    assert "Key points:" not in result.stdout


def test_show_unknown_id_is_a_bad_argument_exit_2() -> None:
    result = mockbot("bank", "show", "zz-no-such-question-anywhere")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "no question with id 'zz-no-such-question-anywhere'" in result.stderr


def test_show_near_miss_id_suggests_the_right_one(bank: Bank) -> None:
    ids = {q.id for q in bank.questions}
    real = _answered_with_points(bank).id
    near = next(
        candidate
        for candidate in (real[:-1] + c for c in "0123456789abcdefz")
        if candidate not in ids
    )
    result = mockbot("bank", "show", near)
    assert result.exit_code == 2
    assert f"no question with id {near!r}" in result.stderr
    assert "did you mean" in result.stderr
    assert real in result.stderr


# --- configuration and the installed script --------------------------------------------------------


def test_missing_config_file_exits_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "config.yaml"
    result = CliRunner().invoke(cli, ["--config", str(missing), "bank", "stats"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert str(missing) in lines[0] and "not found" in lines[0]


def test_installed_console_script_prints_stats_json(stats: dict[str, Any]) -> None:
    script = shutil.which("mockbot", path=str(Path(sys.executable).parent))
    assert script is not None, "the mockbot console script is not installed next to this Python"
    completed = subprocess.run(
        [script, "--config", str(CONFIG), "bank", "stats", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == stats


def test_the_default_session_goal_is_stated_in_help_and_readme() -> None:
    from bot.terminal import DEFAULT_GOAL

    shown = " ".join(mockbot("practice", "--help").output.split())
    assert f"Graded answers to aim for in this session (a progress bar, then a summary). [default: {DEFAULT_GOAL};" in shown
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    options = " ".join(readme[readme.index("Options: `--topic T`") :].split("\n\n")[0].split())
    assert f"`--goal N` (graded answers to aim for in this session, 1–500, **default {DEFAULT_GOAL}**" in options
