"""`--config PATH` is read wherever it stands on the command line, through the real entry point.

Each case points `--config` at a settings file whose bank holds two hand-written questions (the
repository's bank has many more), so the count printed tells which settings were used.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import CONFIG_ENV

REPO = Path(__file__).resolve().parents[1]

TWO_QUESTIONS = textwrap.dedent(
    """
    questions:
    - id: q-alpha
      topic: python
      question: What does a generator do?
      answer: It yields values lazily.
    - id: q-beta
      topic: pytorch
      question: What is autograd?
    """
).lstrip("\n")


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A config file whose bank has two questions; the working directory has no config.yaml."""
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "hand.yaml").write_text(TWO_QUESTIONS, encoding="utf-8")
    path = tmp_path / "settings" / "mockbot.yaml"
    path.parent.mkdir()
    path.write_text(f"bank:\n  dir: {json.dumps(str(bank))}\n", encoding="utf-8")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    "where",
    ["before the subcommand", "between group and command", "after the command", "after its options", "with ="],
)
def test_config_is_read_wherever_it_stands(config: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
    argv = {
        "before the subcommand": ["--config", str(config), "bank", "stats", "--json"],
        "between group and command": ["bank", "--config", str(config), "stats", "--json"],
        "after the command": ["bank", "stats", "--config", str(config), "--json"],
        "after its options": ["bank", "stats", "--json", "--config", str(config)],
        "with =": ["bank", "stats", f"--config={config}", "--json"],
    }[where]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert json.loads(out)["total"] == 2


def test_the_last_config_given_wins(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("bank:\n  dir: nowhere\n", encoding="utf-8")
    status, out, err = run(capsys, "--config", str(other), "bank", "stats", "--json", "--config", str(config))
    assert status == 0, err
    assert json.loads(out)["total"] == 2


@pytest.mark.parametrize("command", [["practice"], ["grading", "calibrate"], ["bank", "validate"], ["where"]])
def test_a_bad_config_after_any_command_is_reported_not_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    """The file is read (its typo is reported, exit 2) rather than "No such option: --config"."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("langauge: en\n", encoding="utf-8")
    status, out, err = run(capsys, *command, "--config", str(bad))
    assert status == 2
    assert out == ""
    assert err.strip() == f'mockbot: {bad}:1: unknown setting "langauge" (did you mean "language"?)'


def test_config_without_a_path_is_a_usage_error(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "bank", "stats", "--config")
    assert status == 2
    assert "--config needs the path of a settings file" in err
    assert out == ""


def test_arguments_after_a_double_dash_are_left_alone(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--config", str(config), "bank", "show", "--", "--config")
    assert status == 2
    assert "no question with id '--config'" in err


def test_installed_script_reads_config_after_the_subcommand(config: Path) -> None:
    script = shutil.which("mockbot", path=str(Path(sys.executable).parent))
    assert script is not None, "the mockbot console script is not installed next to this Python"
    completed = subprocess.run(
        [script, "bank", "stats", "--json", "--config", str(config)],
        capture_output=True, text=True, encoding="utf-8", timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["total"] == 2
