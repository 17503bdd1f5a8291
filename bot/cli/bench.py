"""`mockbot bench grading|push`: speed and memory figures of grading and of the push path.

The benchmarks themselves live in `bot/bench/`, imported only when a command runs."""

from __future__ import annotations

import json
from pathlib import Path

import click

from grading.embeddings import ModelUnavailable

from .common import DEFAULT_DEVSET, ExitStatus, _App, _fail, pass_app, progress_bar, silent, tidy

__all__ = ["bench"]


@click.group()
def bench() -> None:
    """Speed and memory figures (numbers and ratios, never pass/fail)."""


@bench.command("grading")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the figures.")
@click.option("--devset", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_DEVSET, show_default=True)
@click.option("--rounds", default=3, show_default=True, help="Passes over the replies for the timings.")
@pass_app
def bench_grading(app: _App, as_json: bool, devset: Path, rounds: int) -> None:
    """Time grading against the bare model.encode of the same replies, throughput, cold start, RSS."""
    from ..bench.grading import run_grading_bench

    if rounds < 1:
        _fail("--rounds must be at least 1", ExitStatus.USAGE)
    try:
        with progress_bar(enabled=not as_json) as report:
            figures = run_grading_bench(app, devset, rounds=rounds, progress=report)
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    if as_json:
        click.echo(json.dumps(tidy(figures), indent=2))
        return
    click.echo(
        f"grade one reply (warm): p50 {figures['grade_p50_ms']:.1f} ms, p95 {figures['grade_p95_ms']:.1f} ms\n"
        f"bare model.encode of the reply's clauses in one batch: p50 {figures['encode_clauses_p50_ms']:.1f} ms "
        f"({figures['units_per_reply']:.1f} texts per reply; the reply alone: {figures['encode_p50_ms']:.1f} ms)\n"
        f"ratio grade/clause encode at p50: {figures['ratio']:.2f}x\n"
        f"batch throughput: {figures['replies_per_s']:.1f} replies/s\n"
        f"cold start to first grade: {figures['cold_start_s']:.1f} s\n"
        f"peak RSS: {figures['peak_rss_mb']:.0f} MB"
    )


@bench.command("push")
@click.option("--subscribers", default=10_000, show_default=True, help="Daily subscribers to push to.")
@click.option("--flood", "flood_rate", default=0.05, show_default=True,
              help="Share of sendMessage calls the fake server answers with 429.")
@click.option("--no-limited", "skip_limited", is_flag=True,
              help="Skip the run with the rate limiter on (it takes subscribers/30 seconds).")
@click.option("--database", default=None, help="SQLAlchemy URL of an empty database (default: a temporary SQLite file).")
@click.option("--workers", default=1, show_default=True,
              help="Also push from this many worker processes sharing --database (more than 1: PostgreSQL).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the figures.")
@pass_app
def bench_push(
    app: _App, subscribers: int, flood_rate: float, skip_limited: bool, database: str | None, workers: int, as_json: bool
) -> None:
    """Push a daily question to N subscribers through the fake Bot API server: speed, losses, duplicates."""
    from ..bench.push import FakeApiMissing, run_push_bench
    from ..bench.push_workers import WorkerFailed, workers_problem

    if subscribers < 1 or not 0 <= flood_rate < 1:
        _fail("--subscribers must be at least 1 and --flood in [0, 1)", ExitStatus.USAGE)
    problem = workers_problem(workers, database)
    if problem:
        _fail(problem, ExitStatus.USAGE)
    try:
        with progress_bar(enabled=not as_json) as report:
            shown = None if report is silent else report  # None: the fake server is never asked
            figures = run_push_bench(app, subscribers=subscribers, flood_rate=flood_rate, limited=not skip_limited,
                                     database=database, progress=shown, workers=workers)
    except (ModelUnavailable, FakeApiMissing) as exc:
        _fail(str(exc), ExitStatus.USAGE)
    except WorkerFailed as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(tidy(figures), indent=2))
        return
    lines = [
        f"subscribers: {figures['subscribers']} ({figures['flood_rate']:.0%} of sendMessage calls answered 429)",
        f"push path, rate limiter off: {figures['push_msgs_per_s']:.0f} messages/s "
        f"({figures['unlimited_wall_s']:.1f} s wall, incl. waiting out retry_after)",
        f"bare send loop on the same server: {figures['bare_msgs_per_s']:.0f} messages/s; "
        f"push path / bare = {figures['push_ratio']:.2f}",
    ]
    if "limited_total_s" in figures:
        lines.append(
            f"rate limiter on: {figures['limited_total_s']:.1f} s vs the 30 msg/s floor {figures['floor_s']:.1f} s "
            f"= {figures['limited_ratio']:.3f}x"
        )
    if "workers_msgs_per_s" in figures:
        lines.append(
            f"{workers} workers, rate limiter off: {figures['workers_msgs_per_s']:.0f} messages/s "
            f"= {figures['workers_ratio']:.2f}x one worker ({figures['workers_unlimited_wall_s']:.1f} s wall, "
            f"incl. waiting out retry_after; per worker {figures['workers_unlimited_sent_by_worker']})"
        )
    if "workers_limited_total_s" in figures:
        lines.append(
            f"{workers} workers, rate limiter on: {figures['workers_limited_total_s']:.1f} s "
            f"vs the 30 msg/s floor {figures['floor_s']:.1f} s = {figures['workers_limited_ratio']:.3f}x "
            "(target: at most 1.05x)"
        )
    lines.append(f"sent {figures['sent']}, lost {figures['lost']}, duplicated {figures['duplicated']}")
    lines.append(f"bot RSS with the model loaded: {figures['rss_mb']:.0f} MB (peak {figures['peak_rss_mb']:.0f} MB)")
    if "worker_peak_rss_mb" in figures:
        lines.append(f"worker peak RSS (no model): {figures['worker_peak_rss_mb']:.0f} MB")
    click.echo("\n".join(lines))
