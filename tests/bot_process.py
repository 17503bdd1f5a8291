"""`mockbot run` as a real process against the fake Bot API server, for crash (SIGKILL) tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from mockbot_testing.fake_api import FakeBotApi

REPO = Path(__file__).resolve().parent.parent
MOCKBOT = Path(sys.executable).parent / "mockbot"
# `mockbot run` checks the token's shape, so the fake server needs one that looks real.
TOKEN = "123456789:AAHfakeTokenForLocalTests-0123456789"


class BotProcess:
    """One bot process at a time: `start()`, `kill()` (SIGKILL), `start()` again, `stop()`.

    `fake` must use `TOKEN` (FakeBotApi(token=TOKEN)). The config is written to `folder`: the repository's bank, `database_url`, the fake server as
    the Bot API, and whatever `config` adds (merged over those).
    """

    def __init__(self, folder: Path, fake: FakeBotApi, database_url: str, config: dict[str, Any] | None = None) -> None:
        self.folder = folder
        self.fake = fake
        self.config_path = folder / "config.yaml"
        self.log_path = folder / "bot.log"
        settings: dict[str, Any] = {
            "bank": {"dir": str(REPO / "questions" / "bank"), "topics": str(REPO / "questions" / "topics.yaml")},
            "grading": {"cache": str(folder / "embeddings.sqlite3")},
            "storage": {"url": database_url},
            "telegram": {"base_url": fake.base_url},
        }
        for key, value in (config or {}).items():
            settings[key] = {**settings.get(key, {}), **value} if isinstance(value, dict) else value
        self.config_path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 90.0, *, wait: bool = True) -> None:
        """Start the bot and (with `wait`) wait until it polls for updates (start-up is done)."""
        assert self.process is None, "already running"
        polls = self.fake.poll_count
        env = dict(os.environ, MOCKBOT_TELEGRAM_TOKEN=self.fake.token)
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1}\n".encode())
            self.process = subprocess.Popen(
                [str(MOCKBOT), "--config", str(self.config_path), "run"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.folder,
            )
        self.starts += 1
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while self.fake.poll_count <= polls:
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not start polling within {timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as in a crash or an OOM kill."""
        assert self.process is not None, "not running"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        """Stop cleanly (SIGTERM), if running."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> BotProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def until(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Wait (polling every 50 ms) until `condition()` is true; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
