"""`mockbot bench push`: the push path's figures (`mockbot bench grading` lives with grading)."""

from __future__ import annotations

import json

import click

from grading.embeddings import ModelUnavailable

from .cli import ExitStatus, _App, _fail, bench, pass_app, silent

__all__ = ["bench_push"]


@bench.command("push")
@click.option("--subscribers", default=10_000, show_default=True, help="Daily subscribers to push to.")
@click.option("--flood", "flood_rate", default=0.05, show_default=True,
              help="Share of sendMessage calls the fake server answers with 429.")
@click.option("--no-limited", "skip_limited", is_flag=True,
              help="Skip the run with the rate limiter on (it takes subscribers/30 seconds).")
@click.option("--database", default=None, help="SQLAlchemy URL of an empty database (default: a temporary SQLite file).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the figures.")
@pass_app
def bench_push(app: _App, subscribers: int, flood_rate: float, skip_limited: bool, database: str | None, as_json: bool) -> None:
    """Push a daily question to N subscribers through the fake Bot API server: speed, losses, duplicates."""
    from .bench_push import run_push_bench
    from .cli_grading import progress_bar, tidy  # here: importing cli_grading first would be circular

    if subscribers < 1 or not 0 <= flood_rate < 1:
        _fail("--subscribers must be at least 1 and --flood in [0, 1)", ExitStatus.USAGE)
    try:
        with progress_bar(enabled=not as_json) as report:
            shown = None if report is silent else report  # None: the fake server is never asked
            figures = run_push_bench(app, subscribers=subscribers, flood_rate=flood_rate, limited=not skip_limited,
                                     database=database, progress=shown)
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    if as_json:
        click.echo(json.dumps(tidy(figures), indent=2))
        return
    lines = [
        f"subscribers: {figures['subscribers']} ({figures['flood_rate']:.0%} of sendMessage calls answered 429)",
        f"push path, rate limiter off: {figures['push_msgs_per_s']:.0f} messages/s "
        f"({figures['unlimited_wall_s']:.1f} s wall, incl. waiting out retry_after)",
    ]
    if "limited_total_s" in figures:
        lines.append(
            f"rate limiter on: {figures['limited_total_s']:.1f} s vs the 30 msg/s floor {figures['floor_s']:.1f} s "
            f"= {figures['limited_ratio']:.3f}x"
        )
    lines.append(f"sent {figures['sent']}, lost {figures['lost']}, duplicated {figures['duplicated']}")
    lines.append(f"bot RSS with the model loaded: {figures['rss_mb']:.0f} MB (peak {figures['peak_rss_mb']:.0f} MB)")
    click.echo("\n".join(lines))
