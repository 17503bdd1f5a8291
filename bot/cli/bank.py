"""`mockbot bank import|stats|list|show|validate`: the question bank."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rapidfuzz import process

from questions.bank import BankInvalid, BankProblem, load_bank
from questions.importer import SeedResult, import_seeds
from questions.importers import SeedFormatError, read_seed_text
from questions.importers import notes as notes_format
from questions.lint import lint_bank_file
from questions.model import Question
from questions.preview import preview_of, render_preview
from questions.stats import bank_stats
from questions.taxonomy import Taxonomy

from .common import ExitStatus, _App, _fail, pass_app

__all__ = ["bank"]


@click.group()
def bank() -> None:
    """Import, inspect and validate the question bank."""


def _echo_preview(result: SeedResult) -> None:
    lines = read_seed_text(result.seed).split("\n")
    for line in render_preview(preview_of(result, lines)):
        click.echo(line)


@bank.command("import")
@click.argument("seeds", type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if the bank is not up to date with the seeds.")
@click.option("--strict", is_flag=True, help="Exit 1 if any seed line is neither a question, an answer nor known boilerplate.")
@click.option(
    "--preview", is_flag=True, help="Write nothing; show the questions and answers found and the lines skipped, and why."
)
@pass_app
def bank_import(app: _App, seeds: Path, check: bool, strict: bool, preview: bool) -> None:
    """Import seed documents or notes (a folder of .txt/.md files, or one file) into the bank.

    Notes in any common shape are understood: questions as headings, numbered or bulleted items,
    bold lines or Q:/问： lines, answers as the content under them."""
    try:
        results = import_seeds(seeds, app.settings.bank.dir, app.taxonomy, write=not (check or preview))
    except (SeedFormatError, BankInvalid) as exc:
        _fail(str(exc))
    if preview:
        for position, result in enumerate(results):  # type: ignore[possibly-undefined]
            if position:
                click.echo("")
            _echo_preview(result)
        unplaced = sum(len(r.unaccounted) for r in results)
        if strict and unplaced:
            _fail(f"{unplaced} line(s) were not placed (see above)")
        return
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
        if result.format == notes_format.FORMAT and result.parsed is not None:
            click.echo(
                f"  questions: {getattr(result.parsed, 'structure', '')}; {len(result.parsed.skipped)} line(s) skipped as "
                "boilerplate (`--preview` lists them and why)"
            )
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

