"""The `mockbot` command line: a thin layer over the package APIs.

Each subcommand is a small function; problems become one clear message and an exit status here,
in one place.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path

import click
from rapidfuzz import process
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from questions.bank import Bank, BankInvalid, BankProblem, load_bank
from questions.importer import import_seeds
from questions.importers import SeedFormatError
from questions.lint import lint_bank_file
from questions.model import Question
from questions.stats import bank_stats
from questions.taxonomy import Taxonomy, load_taxonomy
from questions.yamlio import YamlError

from .config import ConfigError, Settings, database_path, legacy_databases, load_settings, local_timezone

__all__ = ["main", "cli", "ExitStatus", "Report", "silent"]

# How long commands tell what they are doing: report(what, done so far, total or None if unknown).
Report = Callable[[str, int, int | None], None]


def silent(description: str, done: int, total: int | None = None) -> None:
    """A `Report` that shows nothing."""


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1  # the command ran and found problems (invalid bank, unaccounted lines, input lines not graded)
    USAGE = 2  # bad arguments (an unknown option, question id or topic) or configuration


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

    def bank(self) -> Bank:
        if self._bank is None:
            try:
                self._bank = load_bank(self.settings.bank.dir, self.taxonomy)
            except BankInvalid as exc:
                _fail(f"the question bank is invalid:\n{exc}\n(run `mockbot bank validate` after fixing)")
        return self._bank  # type: ignore[return-value]


def _fail(message: str, status: ExitStatus = ExitStatus.FAILED) -> None:
    click.echo(f"mockbot: {message}", err=True)
    sys.exit(status)


pass_app = click.make_pass_decorator(_App)


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


@cli.group()
def bank() -> None:
    """Import, inspect and validate the question bank."""


@bank.command("import")
@click.argument("seeds", type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if the bank is not up to date with the seeds.")
@click.option("--strict", is_flag=True, help="Exit 1 if any seed line is neither a question, an answer nor known boilerplate.")
@pass_app
def bank_import(app: _App, seeds: Path, check: bool, strict: bool) -> None:
    """Import seed documents (a folder of .txt/.md files, or one file) into the bank."""
    try:
        results = import_seeds(seeds, app.settings.bank.dir, app.taxonomy, write=not check)
    except (SeedFormatError, BankInvalid) as exc:
        _fail(str(exc))
    stale = []
    unaccounted_total = 0
    for result in results:
        state = ("would change" if check else "updated") if result.changed else "unchanged"
        unanswered = result.questions - result.answered
        click.echo(
            f"{result.seed.name} ({result.format}) -> {result.bank_path}: {result.questions} questions, "
            f"{result.answered} answered, {unanswered} unanswered; {state}"
        )
        report = result.merge
        for label, items in (
            ("added", report.added),
            ("removed (gone from the seed)", report.removed),
            ("kept hand edits", report.kept_edits),
            ("kept id of reworded question", report.reidentified),
        ):
            if items and (label != "added" or len(items) < result.questions):
                click.echo(f"  {label}: {', '.join(items)}")
        for warning in report.warnings:
            click.echo(f"  warning: {warning}")
        for line, text in result.unaccounted:
            click.echo(f"  warning: {result.seed.name}:{line}: line not imported: {text.strip()[:80]}")
        unaccounted_total += len(result.unaccounted)
        if result.changed:
            stale.append(result.bank_path.name)
    if check and stale:
        _fail(f"the bank is not up to date with the seeds: {', '.join(stale)} (run without --check)")
    if strict and unaccounted_total:
        _fail(f"{unaccounted_total} seed line(s) were not imported (see the warnings above)")


@bank.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@pass_app
def bank_stats_command(app: _App, as_json: bool) -> None:
    """Count questions: total, answered/unanswered, per source, topic and answer kind."""
    stats = bank_stats(app.bank().questions, app.taxonomy)
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    click.echo(f"{stats['total']} questions: {stats['answered']} answered, {stats['unanswered']} unanswered")
    click.echo("\nBy source:")
    for source, row in stats["by_source"].items():
        click.echo(f"  {source:<28} {row['total']:>4}  answered {row['answered']:>4}  unanswered {row['unanswered']:>4}")
    click.echo("\nBy topic:")
    for topic_id, row in stats["by_topic"].items():
        click.echo(f"  {topic_id:<16} {row['total']:>4}  answered {row['answered']:>4}  {row['zh']} / {row['en']}")
    click.echo("\nBy answer kind:")
    for kind, count in stats["by_kind"].items():
        click.echo(f"  {kind:<6} {count:>4}")


@bank.command("list")
@click.option("--topic", "topic_name", default=None, help="Only this topic (id, Chinese or English name).")
@pass_app
def bank_list(app: _App, topic_name: str | None) -> None:
    """List questions: id, topic, answer kind and question text."""
    questions = app.bank().questions
    if topic_name:
        topic = app.taxonomy.resolve(topic_name)
        if topic is None:
            known = ", ".join(f"{t.id} ({t.zh})" for t in app.taxonomy.topics)
            _fail(f"unknown topic {topic_name!r}; topics: {known}", ExitStatus.USAGE)
        questions = [q for q in questions if q.topic == topic.id]  # type: ignore[union-attr]
    for q in questions:
        click.echo(f"{q.id:<14} {q.topic:<16} {q.answer_kind.value:<6} {q.question}")
    click.echo(f"({len(questions)} questions)", err=True)


def _render(question: Question, taxonomy: Taxonomy) -> str:
    topic = taxonomy.by_id.get(question.topic)
    where = f"{question.source}:{question.line}" if question.source else "written by hand"
    lines = [
        f"{question.id}  [{topic.zh if topic else question.topic}]  {where}",
        *( [f"section: {question.section}"] if question.section else [] ),
        "",
        f"Q: {question.question}",
        *(f"   figure: {url}" for url in question.images),
        "",
    ]
    if question.answered:
        lines += [f"Answer ({question.answer_kind.value}):", question.answer, "", "Key points:"]
        lines += [
            f"  {i}. {point.text}{'' if point.core else ' (detail)'}"
            for i, point in enumerate(question.key_points, start=1)
        ] or ["  (none)"]
    else:
        lines.append("No reference answer: an open practice question (never graded).")
    if question.misconceptions:
        lines += ["", "Misconceptions:"]
        lines += [f"  - {m.claim} → {m.correction}" for m in question.misconceptions]
    return "\n".join(lines)


@bank.command("show")
@click.argument("question_id")
@pass_app
def bank_show(app: _App, question_id: str) -> None:
    """Show one question with its answer and key points."""
    current = app.bank()
    question = current.get(question_id)
    if question is None:
        ids = [q.id for q in current.questions]
        close = [match for match, score, _ in process.extract(question_id, ids, limit=3) if score >= 60]
        hint = f"; did you mean {', '.join(close)}?" if close else " (see `mockbot bank list`)"
        _fail(f"no question with id {question_id!r}{hint}", ExitStatus.USAGE)
    click.echo(_render(question, app.taxonomy))  # type: ignore[arg-type]


def _fail_with_problems(problems: list[BankProblem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    _fail(f"{len(problems)} problem(s) in the question bank")


@bank.command("validate")
@pass_app
def bank_validate(app: _App) -> None:
    """Check every bank file: YAML syntax, schema, topics, duplicate ids, then lint the key points
    (headings, fragments, duplicates, counts, gists, misconceptions). Lists all problems."""
    try:
        current = load_bank(app.settings.bank.dir, app.taxonomy)
    except BankInvalid as exc:
        _fail_with_problems(exc.problems)
    problems = [
        problem
        for path, bank_file in current.files.items()  # type: ignore[possibly-undefined]
        for problem in lint_bank_file(path, bank_file)
    ]
    if problems:
        _fail_with_problems(problems)
    count = len(current.questions)
    click.echo(f"ok: {count} questions in {len(current.files)} files under {app.settings.bank.dir}")


@cli.group()
def bench() -> None:
    """Speed and memory figures (numbers and ratios, never pass/fail)."""


@cli.command()
@pass_app
def where(app: _App) -> None:
    """Show what is in use: config file, data folder, database, bank, models and time zone."""
    settings = app.settings
    rows = [
        ("config file", str(settings.source) if settings.source else "built-in defaults (no config file found)"),
        ("data folder", str(settings.data_dir)),
        ("database", _database_line(settings)),
        ("bank", _bank_line(app)),
        ("topics", str(settings.bank.topics)),
        *((f"model ({language})", settings.grading.for_language(language).model) for language in ("zh", "en")),
        ("time zone", _zone_line(settings)),
    ]
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        click.echo(f"{label + ':':<{width}} {value}")
    target = database_path(settings) or settings.data_dir
    for legacy in legacy_databases(settings):
        click.echo(
            f"\nan older database was found: {legacy}\n"
            f"  to keep using it, set storage.url: sqlite:///{legacy} in the config file, or move it to {target}"
        )


cli.add_command(click.Command("doctor", callback=where.callback, help="The same as `mockbot where`."))


def _masked(url: str) -> str:
    """A database URL with its password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _database_line(settings: Settings) -> str:
    path = database_path(settings)
    if path is None:
        return _masked(settings.storage.url)
    state = f"{path.stat().st_size / 1e6:.1f} MB" if path.is_file() else "not created yet"
    return f"{_masked(settings.storage.url)} ({state})"


def _bank_line(app: _App) -> str:
    folder = app.settings.bank.dir
    try:
        count = len(load_bank(folder, app.taxonomy).questions)
    except BankInvalid as exc:
        return f"{folder} (invalid: {len(exc.problems)} problem(s); run `mockbot bank validate`)"
    return f"{folder} ({count} questions)"


def _zone_line(settings: Settings) -> str:
    if settings.timezone:
        return f"{settings.timezone} (from the config file)"
    return f"{local_timezone(settings)} (this machine's; set `timezone` in the config file to change it)"


from . import cli_bench, cli_grading, cli_practice, cli_run  # noqa: E402,F401 - register the other commands


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status instead of raising SystemExit (handy in tests)."""
    try:
        cli.main(args=argv, prog_name="mockbot", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else ExitStatus.FAILED
    return ExitStatus.OK
