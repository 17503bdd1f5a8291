"""`mockbot bench push` end to end: the real CLI, fake Bot API server in its own process."""

from __future__ import annotations

import json
import subprocess

from bot_process import MOCKBOT, REPO


def test_bench_push_delivers_every_push_once_under_429s_and_reports_its_figures(database_url: str) -> None:
    command = [str(MOCKBOT), "--config", str(REPO / "config.yaml"), "bench", "push", "--subscribers", "60",
               "--flood", "0.1", "--database", database_url, "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(result.stdout)
    assert (figures["sent"], figures["lost"], figures["duplicated"]) == (120, 0, 0), figures  # two runs of 60
    assert figures["unlimited_429s"] > 0 and figures["limited_429s"] > 0, figures  # the server did refuse
    assert figures["floor_s"] == 2.0
    # The limiter really paces: 60 messages at 30/s cannot take less than 59/30 s.
    assert figures["limited_total_s"] >= 59 / 30, figures
    for key in ("push_msgs_per_s", "bare_msgs_per_s", "push_ratio", "rss_mb", "peak_rss_mb", "model_load_s"):
        assert isinstance(figures[key], float) and figures[key] > 0, (key, figures)
    # The push path is reported against the bare send loop of the same run (its messages are not counted).
    assert figures["push_ratio"] == round(figures["push_msgs_per_s"] / figures["bare_msgs_per_s"], 3), figures
    assert "password" not in result.stdout and "postgresql+psycopg://" not in result.stdout  # no URL echoed
