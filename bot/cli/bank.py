"""`mockbot bank import|export|stats|list|show|validate`: the question bank."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import click
from rapidfuzz import process

from questions.anki_export import ExportDeck, write_apkg, write_csv
from questions.bank import BankInvalid, BankProblem, bank_files, load_bank, read_bank_file
from questions.importer import SeedResult, import_seeds
from questions.importers import SeedFormatError, SeedNotFound, read_seed_text
from questions.importers import anki as anki_format
from questions.importers import notes as notes_format
from questions.importers import post as post_format
from questions.lint import split_findings
from questions.model import Question
from questions.preview import answered_counts, preview_of, render_preview
from questions.stats import bank_stats
from questions.taxonomy import Taxonomy, Topic

from ..config import database_path
from ..export import NEW, STRONG, WEAK, bank_order, cards_for_user, user_key
from ..storage import StorageError, Store
from .common import ExitStatus, _App, _fail, pass_app

__all__ = ["bank"]


@click.group()
def bank() -> None:
    """Import, inspect and validate the question bank."""


def _echo_preview(result: SeedResult) -> None:
    lines = read_seed_text(result.seed).split("\n")
    preview = preview_of(result, lines)
    cards = None
    if result.format == anki_format.FORMAT:
        cards = _cards_line(result)
        preview.structure = ""  # said by the cards line instead
    rendered = render_preview(preview)
    for position, line in enumerate(rendered):
        click.echo(line)
        if position == 0 and cards:
            click.echo(cards)


def _id_clash(results: list[SeedResult], bank_dir: Path) -> str | None:
    """Why the import would give two questions of the bank one id (ids start with the file's name,
    so two decks named alike that share a question would make the bank unloadable), or None."""
    targets = {result.bank_path.resolve() for result in results}
    owners: dict[str, str] = {}
    for path in bank_files(bank_dir) if bank_dir.is_dir() else []:
        if path.resolve() in targets:
            continue
        bank_file, _ = read_bank_file(path)
        for question in bank_file.questions if bank_file else []:
            owners[question.id] = path.name
    for result in results:
        taken = sorted(q.id for q in result.merged if q.id in owners)
        if taken:
            where = owners[taken[0]]
            return (
                f"{result.seed.name}: its question id(s) {', '.join(taken[:3])}{' …' if len(taken) > 3 else ''} are "
                f"already used in {where} (ids start with the file's name); give {result.seed.name} a name that starts "
                "with another word and import again"
            )
        for question in result.merged:
            owners[question.id] = result.bank_path.name
    return None


def _cards_line(result: SeedResult) -> str:
    """How a deck was read (for `bank import` of an Anki export or a CSV)."""
    parsed = result.parsed
    structure = getattr(parsed, "structure", "")
    count = getattr(parsed, "cards", 0)
    return f"  cards: {count}, {structure}; fronts are the questions, backs the answers"


@bank.command("import")
@click.argument("seeds", type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if the bank is not up to date with the seeds.")
@click.option("--strict", is_flag=True, help="Exit 1 if any seed line is neither a question, an answer nor known boilerplate.")
@click.option(
    "--preview", is_flag=True, help="Write nothing; show the questions and answers found and the lines skipped, and why."
)
@click.option("-v", "--verbose", is_flag=True, help="Name each question whose hand edits were kept (by default, how many).")
@pass_app
def bank_import(app: _App, seeds: Path, check: bool, strict: bool, preview: bool, verbose: bool) -> None:
    """Import seed documents or notes (a folder of .txt/.md files, or one file) into the bank.

    Notes in any common shape are understood: questions as headings, numbered or bulleted items,
    bold lines or Q:/问： lines, answers as the content under them. A deck of cards too: Anki's
    Notes in Plain Text export, or a .csv of fronts and backs."""
    try:
        results = import_seeds(seeds, app.settings.bank.dir, app.taxonomy, write=False)
    except SeedNotFound as exc:  # a mistyped path: a bad argument, not a problem found in the seeds
        _fail(str(exc), ExitStatus.USAGE)
    except (SeedFormatError, BankInvalid) as exc:
        _fail(str(exc))
    if not (check or preview):
        clash = _id_clash(results, app.settings.bank.dir)  # type: ignore[possibly-undefined]
        if clash:
            _fail(clash)
        for result in results:  # type: ignore[possibly-undefined]
            result.write()
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
        if not result.changed:
            state = "unchanged"
        elif check:
            state = "would be written" if result.new_file else "would change"
        else:
            state = "written (a new file)" if result.new_file else "updated"
        unanswered = result.questions - result.answered
        counts = answered_counts(result.answered, result.link_only, unanswered)
        click.echo(f"{result.seed.name} ({result.format}) -> {result.bank_path}: {result.questions} questions, {counts}; {state}")
        report = result.merge
        for label, items in (
            ("added", report.added),
            ("removed (gone from the seed)", report.removed),
            ("kept hand edits", report.kept_edits),
            ("kept id of reworded question", report.reidentified),
        ):
            if label == "kept hand edits" and items and not verbose:  # routine once a bank is curated: a count
                click.echo(f"  kept hand edits on {len(items)} question{'s' if len(items) != 1 else ''} (-v names them)")
            elif items and (label != "added" or len(items) < result.questions):
                click.echo(f"  {label}: {', '.join(items)}")
        for warning in report.warnings:
            click.echo(f"  warning: {warning}")
        if result.format in (notes_format.FORMAT, post_format.FORMAT) and result.parsed is not None:
            click.echo(
                f"  questions: {result.parsed.structure}; {len(result.parsed.skipped)} line(s) skipped as "
                "boilerplate (`--preview` lists them and why)"
            )
        if result.format == anki_format.FORMAT and result.parsed is not None:
            click.echo(_cards_line(result))
            for note in getattr(result.parsed, "notes", []):
                click.echo(f"  note: {note}")
        for line, text in result.unaccounted:
            click.echo(f"  warning: {result.seed.name}:{line}: line not imported: {text.strip()[:80]}")
        unaccounted_total += len(result.unaccounted)
        if result.changed:
            stale.append(result.bank_path.name)
    if check and stale:
        _fail(f"the bank is not up to date with the seeds: {', '.join(stale)} (run without --check)")
    if strict and unaccounted_total:
        _fail(f"{unaccounted_total} seed line(s) were not imported (see the warnings above)")


def _bank_file_questions(app: _App, name: str) -> tuple[list[Question], str, Path]:
    """The questions of one bank file (a path, or a file name in the bank folder with or without
    `.yaml`), the deck name it gives and the file's folder."""
    bank_dir = app.settings.bank.dir
    given = Path(name)
    candidates = [given, bank_dir / name, bank_dir / f"{name}.yaml"]
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        known = ", ".join(p.name for p in bank_files(bank_dir)) if bank_dir.is_dir() else "none"
        _fail(f"no bank file {name!r} (bank files in {bank_dir}: {known})", ExitStatus.USAGE)
    bank_file, problems = read_bank_file(path, app.taxonomy)  # type: ignore[arg-type]
    if bank_file is None:
        _fail_with_problems(problems)
    title = bank_file.title or (Path(bank_file.source).stem if bank_file.source else path.stem)  # type: ignore[union-attr, arg-type]
    return list(bank_file.questions), f"mockbot::{title}", path.parent  # type: ignore[union-attr]


def _practice_store(app: _App, name: str) -> Store:
    """The database holding `name`'s practice, opened; a clear message when it has no such user."""
    database = database_path(app.settings)
    if database is not None and not database.exists():
        _fail(f"no practice records yet: {database} does not exist (practise with `mockbot practice --user {name}`)", ExitStatus.USAGE)
    try:
        store = Store.open(app.settings.storage.url)
    except StorageError as exc:
        _fail(f"storage.url: {exc}", ExitStatus.USAGE)
    users = store.user_keys()  # type: ignore[possibly-undefined]
    if user_key(name) not in users:
        store.close()  # type: ignore[possibly-undefined]
        names = ", ".join(key.removeprefix("term:") for key in users) or "none yet"
        _fail(f"no practice records for {name!r} in {store.location} (users: {names})", ExitStatus.USAGE)  # type: ignore[possibly-undefined]
    return store  # type: ignore[possibly-undefined]


@bank.command("export")
@click.option("--file", "bank_file", default=None, help="Only this bank file (a path, or its name in the bank folder).")
@click.option("--topic", "topic_name", default=None, help="Only this topic (id, Chinese or English name).")
@click.option("--user", "user_name", default=None, help="Order by this practice user's record, weakest first, with the key points they missed (as `mockbot practice --user NAME`; a Telegram chat as tg:ID).")
@click.option("--format", "fmt", type=click.Choice(["apkg", "csv"]), default=None, help="apkg (an Anki package) or csv; default: from the output's suffix.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The file to write.")
@pass_app
def bank_export(
    app: _App, bank_file: str | None, topic_name: str | None, user_name: str | None, fmt: str | None, output: Path
) -> None:
    """Export a deck for Anki (.apkg) or as CSV: the whole bank, one bank file or one topic.

    Cards: the question on the front; the reference answer and its key points on the back. With
    --user, that user's weakest questions come first (then those never practised, then the strong
    ones) and each card lists the key points they missed last time."""
    fmt = fmt or output.suffix.lower().lstrip(".")
    if fmt not in ("apkg", "csv"):
        _fail(f"--format: apkg or csv (the output {output.name} does not say which)", ExitStatus.USAGE)
    if bank_file and topic_name:
        _fail("--file or --topic, not both", ExitStatus.USAGE)
    folder = app.settings.bank.dir  # where a relative image path is looked up first
    if bank_file:
        questions, name, folder = _bank_file_questions(app, bank_file)
    else:
        questions, name = list(app.bank().questions), "mockbot"
    if topic_name:
        topic = _topic(app, topic_name)
        questions = [q for q in questions if q.topic == topic.id]
        name = f"mockbot::{topic.zh}"
    if not questions:
        _fail("no questions to export", ExitStatus.USAGE)
    if user_name:
        store = _practice_store(app, user_name)
        try:
            cards = cards_for_user(store, user_key(user_name), questions, now=datetime.now(timezone.utc))
        except StorageError as exc:
            _fail(f"storage: {exc}")
        finally:
            store.close()
    else:
        cards = bank_order(questions)
    topics = {t.id: t.zh for t in app.taxonomy.topics}
    image_dirs = tuple(dict.fromkeys((folder, app.settings.bank.dir, Path.cwd())))
    deck = ExportDeck(name, cards, topics, image_dirs=image_dirs, with_user=user_name is not None)  # type: ignore[arg-type]
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        report = (write_apkg if fmt == "apkg" else write_csv)(deck, output)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    answered = sum(1 for q in questions if q.answered)
    line = f"wrote {output}: deck {name!r}, {report.cards} cards ({answered} answered, {report.cards - answered} open)"  # type: ignore[possibly-undefined]
    if user_name:
        counts = Counter(card.standing for card in cards)  # type: ignore[possibly-undefined]
        line += f"; {user_name}'s weakest first: {counts[WEAK]} weak, {counts[NEW]} never practised, {counts[STRONG]} strong"
    else:
        line += "; in bank order"
    click.echo(line)
    if report.embedded or report.linked:  # type: ignore[possibly-undefined]
        click.echo(f"  images: {report.embedded} embedded from local files, {report.linked} left as references")  # type: ignore[possibly-undefined]


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


def _topic(app: _App, name: str) -> Topic:
    """The taxonomy's topic named `name` (id, Chinese or English name); exits with the known ones if none."""
    topic = app.taxonomy.resolve(name)
    if topic is None:
        known = ", ".join(f"{t.id} ({t.zh})" for t in app.taxonomy.topics)
        _fail(f"unknown topic {name!r}; topics: {known}", ExitStatus.USAGE)
    return topic  # type: ignore[return-value]


@bank.command("list")
@click.option("--topic", "topic_name", default=None, help="Only this topic (id, Chinese or English name).")
@pass_app
def bank_list(app: _App, topic_name: str | None) -> None:
    """List questions: id, topic, answer kind and question text.

    \b
    Answer kinds: text (prose or bullets) and code (with a code block), graded by their key
    points; image and link (only pictures or links), graded only when their key points were
    written by hand; none (no reference answer): an open question, practised, never graded."""
    questions = app.bank().questions
    if topic_name:
        topic = _topic(app, topic_name)
        questions = [q for q in questions if q.topic == topic.id]
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
    (headings, fragments, duplicates, counts, gists, misconceptions). Lists all problems; findings
    on key points an import extracted and nobody edited yet are warnings, not failures."""
    try:
        current = load_bank(app.bank_dir(), app.taxonomy)
    except BankInvalid as exc:
        _fail_with_problems(exc.problems)
    problems: list[BankProblem] = []
    advisories: list[BankProblem] = []
    for path, bank_file in current.files.items():  # type: ignore[possibly-undefined]
        errors, notes = split_findings(path, bank_file)
        problems += errors
        advisories += notes
    for note in advisories:
        click.echo(f"warning: {note}", err=True)
    if problems:
        _fail_with_problems(problems)
    count = len(current.questions)
    line = f"ok: {count} questions in {len(current.files)} files under {app.settings.bank.dir}"
    if advisories:
        line += (
            f"; {len(advisories)} note(s) on key points extracted by an import (a starting point: curate them"
            " with level, gist and en, or edit them, and they count as errors from then on)"
        )
    click.echo(line)

