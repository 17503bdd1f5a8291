"""`mockbot run` refuses to start on broken input with one clear message naming what to fix."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml
from bot_process import MOCKBOT, REPO, TOKEN


def _run(tmp_path: Path, settings: dict) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.yaml"
    base = {"bank": {"dir": str(REPO / "questions" / "bank"), "topics": str(REPO / "questions" / "topics.yaml")},
            "storage": {"url": f"sqlite:///{tmp_path / 'db' / 'bot.sqlite3'}"},
            "telegram": {"base_url": "http://127.0.0.1:9/bot"}}  # never reached: start-up fails first
    for key, value in settings.items():
        base[key] = {**base.get(key, {}), **value}
    config.write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    env = dict(os.environ, MOCKBOT_TELEGRAM_TOKEN=TOKEN)
    return subprocess.run([str(MOCKBOT), "--config", str(config), "run"], capture_output=True, text=True,
                          env=env, timeout=120, check=False)


def test_a_bank_file_with_broken_yaml_stops_start_up_with_file_and_line(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    shutil.copytree(REPO / "questions" / "bank", bank)
    victim = sorted(bank.glob("*.yaml"))[0]
    lines = victim.read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6] + ' : [unclosed'
    victim.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _run(tmp_path, {"bank": {"dir": str(bank)}})
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"{victim.name}:" in result.stderr and "invalid" in result.stderr, result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_a_model_path_that_does_not_exist_names_the_config_key(tmp_path: Path) -> None:
    result = _run(tmp_path, {"grading": {"zh": {"model": str(tmp_path / "no-such-model")}}})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "grading.zh.model" in result.stderr, result.stderr


def test_a_database_path_under_a_file_names_storage_url(tmp_path: Path) -> None:
    (tmp_path / "plain-file").write_text("not a folder", encoding="utf-8")
    result = _run(tmp_path, {"storage": {"url": f"sqlite:///{tmp_path / 'plain-file' / 'bot.sqlite3'}"}})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "storage.url" in result.stderr and "plain-file" in result.stderr, result.stderr


def test_an_unreachable_bot_api_is_one_line_without_the_token(tmp_path: Path) -> None:
    result = _run(tmp_path, {})  # telegram.base_url points at a closed port
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot reach the Telegram Bot API at http://127.0.0.1:9/bot" in result.stderr, result.stderr
    assert TOKEN not in result.stderr + result.stdout and TOKEN.split(":")[1] not in result.stderr


def test_a_misspelt_setting_stops_start_up_with_file_line_and_suggestion(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("language: zh\ntelegram:\n  base_url: http://127.0.0.1:9/bot\n  admnis: [1]\n", encoding="utf-8")
    env = dict(os.environ, MOCKBOT_TELEGRAM_TOKEN=TOKEN)
    result = subprocess.run([str(MOCKBOT), "run", "--config", str(config)], capture_output=True, text=True,
                            env=env, timeout=120, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f'mockbot: {config}:4: unknown setting "telegram.admnis" (did you mean "telegram.admins"?)'
