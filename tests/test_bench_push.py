"""`mockbot bench push` end to end: the real CLI, fake Bot API server in its own process."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
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


def test_bench_push_with_two_workers_on_postgresql_delivers_every_push_once_within_the_floor(
    postgres_database_url: str,
) -> None:
    from bot.bench.push import run_push_bench
    from bot.cli.common import _App

    figures = run_push_bench(_App(REPO / "config.yaml"), subscribers=150, flood_rate=0.05,
                             database=postgres_database_url, workers=2)
    # Four runs of 150 (one process and two workers, each with the rate limiter off and on), each
    # subscriber exactly one push per run.
    assert (figures["sent"], figures["lost"], figures["duplicated"]) == (600, 0, 0), figures
    assert figures["workers"] == 2 and figures["database"] == "postgresql+psycopg", figures
    for run in ("workers_unlimited", "workers_limited"):
        assert figures[f"{run}_429s"] > 0, figures  # the server did refuse, and the refused pushes came later
        assert len(figures[f"{run}_sent_by_worker"]) == 2 and sum(figures[f"{run}_sent_by_worker"]) == 150, figures
    # One 30 msg/s budget for both workers: 150 messages take at least 149 slots of 1/30 s.
    assert figures["floor_s"] == 5.0
    assert figures["workers_limited_ratio"] >= 0.97, figures
    assert figures["workers_limited_ratio"] == pytest.approx(figures["workers_limited_total_s"] / 5.0, abs=0.002), figures
    for key in ("workers_msgs_per_s", "workers_ratio", "workers_unlimited_wall_s", "workers_unlimited_busy_s",
                "workers_limited_total_s", "workers_load_s", "worker_peak_rss_mb", "push_msgs_per_s"):
        assert isinstance(figures[key], float) and figures[key] > 0, (key, figures)
    assert figures["workers_ratio"] == pytest.approx(figures["workers_msgs_per_s"] / figures["push_msgs_per_s"], abs=0.005), figures
    # Busy time is the part of the wall time in which some worker was delivering.
    assert figures["workers_unlimited_busy_s"] <= figures["workers_unlimited_wall_s"], figures


@pytest.mark.parametrize("database", [None, "sqlite:///{folder}/push.sqlite3"])
def test_bench_push_with_workers_needs_a_postgresql_database(database: str | None, tmp_path: Path) -> None:
    command = [str(MOCKBOT), "--config", str(REPO / "config.yaml"), "bench", "push", "--workers", "2",
               "--subscribers", "10", "--json"]
    if database:
        command += ["--database", database.format(folder=tmp_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "--workers 2 needs --database with the URL of an empty PostgreSQL database" in result.stderr, result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "push.sqlite3").exists()  # stopped before anything started


def test_run_push_bench_refuses_workers_without_postgresql_before_starting_anything(tmp_path: Path) -> None:
    from bot.bench.push import run_push_bench
    from bot.cli.common import _App

    url = f"sqlite:///{tmp_path / 'push.sqlite3'}"
    with pytest.raises(ValueError, match="PostgreSQL"):
        run_push_bench(_App(REPO / "config.yaml"), subscribers=10, database=url, workers=2)
    with pytest.raises(ValueError, match="at least 1"):
        run_push_bench(_App(REPO / "config.yaml"), subscribers=10, workers=0)
    assert not (tmp_path / "push.sqlite3").exists()
