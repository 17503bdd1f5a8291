"""The `mockbot` command line: a thin layer over the package APIs.

This module builds the root group and adds the commands, one module per command group:
`bank`, `grade` (`grade`, `grading`), `practice`, `run`, `bench` and `where` (`where`, `doctor`).
What they share (the `_App` context, exit statuses, `_fail`, progress reports) lives in `common`;
problems become one clear message and an exit status there, in one place. Nothing imports this
module back.
"""

from __future__ import annotations

from pathlib import Path

import click

from .bank import bank
from .bench import bench
from .common import ExitStatus, _App
from .grade import grade, grading
from .practice import practice
from .run import run
from .where import doctor, where

__all__ = ["main", "cli"]


class _ConfigAnywhere(click.Group):
    """The root group; `--config PATH` may stand anywhere on the command line, before or after
    the subcommand, and means the same everywhere."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _lift_config(ctx, args))


def _lift_config(ctx: click.Context, args: list[str]) -> list[str]:
    """`args` with every `--config VALUE` and `--config=VALUE` moved to the front, where the root
    group reads it (the last one wins); nothing after a `--` is touched."""
    lifted: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(args):
        arg = args[position]
        if arg == "--":
            rest += args[position:]
            break
        if arg == "--config":
            if position + 1 == len(args):
                raise click.UsageError("--config needs the path of a settings file", ctx)
            lifted += args[position : position + 2]
            position += 2
            continue
        (lifted if arg.startswith("--config=") else rest).append(arg)
        position += 1
    return lifted + rest


@click.group(cls=_ConfigAnywhere, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Settings file (default: $MOCKBOT_CONFIG, else ./config.yaml, else built-in defaults); "
    "it may also follow the subcommand.",
)
@click.version_option(package_name="mockbot")
@click.pass_context
def cli(ctx: click.Context, config: Path | None) -> None:
    """mockbot: mock-interview coach for machine-learning interviews."""
    ctx.obj = _App(config)


cli.add_command(bank)
cli.add_command(grade)
cli.add_command(grading)
cli.add_command(practice)
cli.add_command(run)
cli.add_command(bench)
cli.add_command(where)
cli.add_command(doctor)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status instead of raising SystemExit (handy in tests)."""
    try:
        cli.main(args=argv, prog_name="mockbot", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else ExitStatus.FAILED
    return ExitStatus.OK
