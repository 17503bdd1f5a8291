"""What the `mockbot` commands share: the `_App` context and `pass_app`, exit statuses and
`_fail`, progress reports (`Report`, `silent`, `progress_bar`), `tidy` for printed figures, the
default labelled data, and `build_engine`.

Every command module imports this one and no other command module; `bot/cli/__init__.py` builds
the group from them, so imports point one way.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from questions.bank import Bank, BankInvalid, load_bank
from questions.taxonomy import Taxonomy, load_taxonomy
from questions.yamlio import YamlError

from ..config import ConfigError, Settings, load_settings
from ..engine import PracticeEngine
from ..engine.library import DeckLimits
from ..engine.texts import TERMINAL_COMMANDS
from ..grading_app import build_grader
from ..storage import Store

__all__ = [
    "Report", "silent", "ExitStatus", "pass_app", "progress_bar", "tidy", "build_engine",
    "DEFAULT_DEVSET", "DEFAULT_HOLDOUT", "DEFAULT_MOHLER", "DEFAULT_SAS",
]  # fmt: skip

JSON_DIGITS = 4  # decimals of the floats in --json output
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEVSET = REPO_ROOT / "tests" / "data" / "grading" / "dev.yaml"
DEFAULT_HOLDOUT = REPO_ROOT / "tests" / "data" / "grading" / "holdout.yaml"
DEFAULT_MOHLER = REPO_ROOT.parent / "shared" / "benchmarks" / "mohler" / "mohler_dataset_edited.csv"
DEFAULT_SAS = REPO_ROOT.parent / "shared" / "benchmarks" / "sas-zh"

# How long commands tell what they are doing: report(what, done so far, total or None if unknown).
Report = Callable[[str, int, int | None], None]


def silent(description: str, done: int, total: int | None = None) -> None:
    """A `Report` that shows nothing."""


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1  # the command ran and found problems (invalid bank, unaccounted lines, input lines not graded)
    USAGE = 2  # bad arguments (an unknown option, question id or topic, a path that does not exist) or configuration (a bank that is missing or does not load)


class _App:
    """What the subcommands share: settings, taxonomy and bank, each loaded once on first use."""

    def __init__(self, config: Path | None) -> None:
        self._config = config
        self._settings: Settings | None = None
        self._taxonomy: Taxonomy | None = None
        self._bank: Bank | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self._config)
            except ConfigError as exc:
                _fail(str(exc), ExitStatus.USAGE)
        return self._settings  # type: ignore[return-value]

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            try:
                self._taxonomy = load_taxonomy(self.settings.bank.topics)
            except YamlError as exc:
                _fail(str(exc), ExitStatus.USAGE)
        return self._taxonomy  # type: ignore[return-value]

    def bank_dir(self) -> Path:
        """The configured bank folder; a configuration error (exit 2) when it is not there."""
        folder = self.settings.bank.dir
        if not folder.is_dir():
            where = f" (set in {self.settings.source})" if self.settings.source else ""
            _fail(f"bank.dir: the bank folder {folder} does not exist{where}", ExitStatus.USAGE)
        return folder

    def bank(self) -> Bank:
        """The question bank, loaded once; one that does not load is a configuration error (exit 2):
        the command cannot run on it. (`bank validate` reports its problems with exit 1.)"""
        if self._bank is None:
            try:
                self._bank = load_bank(self.bank_dir(), self.taxonomy)
            except BankInvalid as exc:
                _fail(f"the question bank is invalid:\n{exc}\n(run `mockbot bank validate` after fixing)", ExitStatus.USAGE)
        return self._bank  # type: ignore[return-value]


def _fail(message: str, status: ExitStatus = ExitStatus.FAILED) -> None:
    click.echo(f"mockbot: {message}", err=True)
    sys.exit(status)


pass_app = click.make_pass_decorator(_App)


def tidy(value: Any, digits: int = JSON_DIGITS) -> Any:
    """`value` with every float in it rounded to `digits` decimals: no float noise such as
    75.05000000000001 in the output."""
    if isinstance(value, float):
        return round(float(value), digits)
    if isinstance(value, dict):
        return {key: tidy(item, digits) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [tidy(item, digits) for item in value]
    return value


@contextmanager
def progress_bar(*, enabled: bool = True) -> Iterator[Report]:
    """A `Report` drawing one progress bar on stderr, so stdout stays parseable; silent when
    stderr is not a terminal (a pipe, a file, the tests) or when `enabled` is false (--json)."""
    if not enabled or not sys.stderr.isatty():
        yield silent
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # stdout is left alone (not redirected above the bar): it is the command's output.
    with Progress(
        *columns, console=Console(file=sys.stderr), transient=True, redirect_stdout=False, redirect_stderr=False
    ) as bar:
        task = bar.add_task("", total=None)

        def report(description: str, done: int, total: int | None = None) -> None:
            bar.update(task, description=description, completed=done, total=total)

        yield report


def build_engine(app: _App, store: Store, *, seed: int | None = None, terminal: bool = False) -> PracticeEngine:
    """The practice engine for the bot (`terminal=False`: flood limit on, Telegram's command
    names) or for the terminal (no flood limit: one person at one keyboard)."""
    bank = app.bank()
    grader = build_grader(app.settings.grading, bank)
    rng = random.Random(seed)
    privacy = app.settings.privacy
    return PracticeEngine(
        store, bank, grader, app.taxonomy, default_language=app.settings.language, rng=rng,
        answers_per_minute=None if terminal else privacy.answers_per_minute, store_answers=privacy.store_answers,
        answer_retention_days=privacy.answer_retention_days, commands=TERMINAL_COMMANDS if terminal else None,
        deck_limits=DeckLimits(**app.settings.decks.model_dump()),
    )  # fmt: skip
