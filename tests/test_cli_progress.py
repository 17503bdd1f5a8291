"""Long commands show a progress bar on a terminal's stderr, never in their output; their figures
are rounded (no float noise) in text and JSON alike.

The commands run as real processes of the installed script on a few questions of the dev set:
once with stderr on a pseudo-terminal, once with both streams piped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from bot.cli.common import progress_bar, silent, tidy
from bot.cli.grade import _readable

REPO = Path(__file__).resolve().parents[1]
DEVSET = REPO / "tests" / "data" / "grading" / "dev.yaml"
MOCKBOT = shutil.which("mockbot", path=str(Path(sys.executable).parent))
BAR = re.compile(r"━{5,}")  # rich's bar


def small_devset(folder: Path, questions: int) -> Path:
    """The dev set's first `questions` questions (six or seven replies each)."""
    head, *entries = DEVSET.read_text(encoding="utf-8").split("\n- question_id:")
    path = folder / "dev.yaml"
    path.write_text(head + "".join("\n- question_id:" + entry for entry in entries[:questions]) + "\n", encoding="utf-8")
    return path


def reply_count(devset: Path) -> int:
    return sum(len(entry["replies"]) for entry in yaml.safe_load(devset.read_text(encoding="utf-8")))


def command(tmp_path: Path, *args: str, questions: int) -> list[str]:
    assert MOCKBOT, "the mockbot console script is not installed next to this Python"
    return [MOCKBOT, "--config", str(REPO / "config.yaml"), "grading", *args, "--lang", "zh",
            "--devset", str(small_devset(tmp_path, questions)), "--holdout", str(tmp_path / "none.yaml")]  # fmt: skip


def floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for item in value.values() for f in floats(item)]
    if isinstance(value, list):
        return [f for item in value for f in floats(item)]
    return []


def decimals(number: float) -> int:
    text = repr(number)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def test_calibrate_on_a_terminal_shows_a_bar_on_stderr_and_rounded_text_on_stdout(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    argv = " ".join(f"'{part}'" for part in command(tmp_path, "calibrate", questions=5))
    env = dict(os.environ, TERM="xterm", COLUMNS="100")
    child = pexpect.spawn("bash", ["-c", f"{argv} > '{out}'"], env=env, encoding="utf-8", timeout=180, dimensions=(40, 100))
    child.expect(pexpect.EOF)
    child.close()
    terminal = child.before
    assert child.exitstatus == 0, terminal
    assert "zh: calibrating on the dev and held-out sets" in terminal and BAR.search(terminal)
    replies = reply_count(tmp_path / "dev.yaml")
    assert replies >= 30 and f"{replies}/{replies}" in terminal  # every reply of the 5 questions counted
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "━" not in text  # the bar stayed on stderr
    report = yaml.safe_load(text.split("# for config.yaml")[0].split("\n", 1)[1])["cross_validated"]
    assert report["replies"] == replies
    assert decimals(report["pearson_r"]) <= 3 and decimals(report["pass_fail_agreement"]) <= 3
    assert decimals(report["mae"]) <= 1
    assert all(decimals(value) <= 1 for value in report["median_score"].values())
    assert "zh:\n  model: usem3" in text  # the snippet for config.yaml follows


def test_evaluate_piped_shows_no_bar_and_prints_json_without_float_noise(tmp_path: Path) -> None:
    completed = subprocess.run(
        [*command(tmp_path, "evaluate", questions=2), "--sas", str(tmp_path / "no-sas"), "--json"],
        capture_output=True, text=True, encoding="utf-8", timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert not BAR.search(completed.stderr) and "dev (fitted on)" not in completed.stderr
    output = json.loads(completed.stdout)
    assert output["zh"]["dev (fitted on)"]["replies"] == reply_count(tmp_path / "dev.yaml") >= 12
    assert floats(output) and all(decimals(value) <= 4 for value in floats(output))


def test_tidy_rounds_every_float_and_keeps_the_rest() -> None:
    noisy = {"score": 75.05000000000001, "points": [0.1 + 0.2, 1, True], "id": "q", "n": None}
    assert tidy(noisy) == {"score": 75.05, "points": [0.3, 1, True], "id": "q", "n": None}
    assert repr(tidy(0.1 + 0.2)) == "0.3"


def test_readable_reports_round_scores_to_1_and_correlations_to_3_decimals() -> None:
    report = {"pearson_r": 0.81966, "mae": 15.2861, "ordering": 0.88512,
              "median_score": {"good": 61.5432}, "replies": 450}  # fmt: skip
    assert _readable(report) == {"pearson_r": 0.82, "mae": 15.3, "ordering": 0.885,
                                 "median_score": {"good": 61.5}, "replies": 450}  # fmt: skip


def test_progress_bar_is_silent_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar() as report:
        report("working", 1, 2)
    assert report is silent
    assert capsys.readouterr() == ("", "")


def test_grade_jsonl_piped_writes_nothing_to_stderr_for_an_english_question() -> None:
    """Loading the English model (sentence-transformers) shows no "Loading weights" bar either."""
    line = {"question": "What is overfitting?", "reference": "The model fits the noise of its training data.",
            "answer": "It memorises the training data and does badly on new data."}  # fmt: skip
    completed = subprocess.run(
        [MOCKBOT, "grade", "--jsonl"], input=json.dumps(line) + "\n",
        capture_output=True, text=True, encoding="utf-8", timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert json.loads(completed.stdout)["score"] > 50
