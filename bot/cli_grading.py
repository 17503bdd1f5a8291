"""`mockbot grade`, `mockbot grading calibrate|evaluate` and `mockbot bench grading`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click
import yaml

from grading import calibrate as cal
from grading.embeddings import ModelUnavailable
from grading.feedback import feedback_for, render_text
from grading.grader import Grader, Reference
from grading.result import GradeResult, NotGradable

from .cli import ExitStatus, _App, _fail, cli, pass_app
from .grading_app import build_grader, reference_for

__all__ = ["grade", "grading", "bench"]

JSONL_BATCH = 64  # replies encoded together when grading a stream
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DEVSET = REPO_ROOT / "tests" / "data" / "grading" / "dev.yaml"
DEFAULT_HOLDOUT = REPO_ROOT / "tests" / "data" / "grading" / "holdout.yaml"
DEFAULT_MOHLER = REPO_ROOT.parent / "shared" / "benchmarks" / "mohler" / "mohler_dataset_edited.csv"
DEFAULT_SAS = REPO_ROOT.parent / "shared" / "benchmarks" / "sas-zh"


def _grader(app: _App) -> Grader:
    return build_grader(app.settings.grading, app.bank())


def result_json(result: GradeResult) -> dict[str, Any]:
    """The JSON line of one graded reply (`mockbot grade --jsonl`)."""
    return {
        "score": result.score,
        "verdict": result.verdict.label(result.language),
        "key_points": [
            {"text": p.text, "covered": p.covered, "score": round(p.score, 4), "status": p.status.name.lower()}
            for p in result.points
        ],
        "missed": result.missed,
        "feedback": render_text(feedback_for(result)),
    }


def _reference_from(entry: Any, app: _App) -> tuple[Reference, str]:
    """The reference and the answer of one JSONL input object; ValueError with a clear reason."""
    if not isinstance(entry, dict):
        raise ValueError("each line must be a JSON object")
    answer = entry.get("answer")
    if not isinstance(answer, str):
        raise ValueError('"answer" must be a string')
    if "question_id" in entry:
        question = app.bank().get(str(entry["question_id"]))
        if question is None:
            raise ValueError(f"no question with id {entry['question_id']!r} in the bank")
        return reference_for(question), answer
    question_text, reference = entry.get("question"), entry.get("reference")
    if not isinstance(question_text, str) or not isinstance(reference, str):
        raise ValueError('give "question" and "reference" (strings), or "question_id"')
    key_points = entry.get("key_points") or []
    if not isinstance(key_points, list) or not all(isinstance(p, str) for p in key_points):
        raise ValueError('"key_points" must be a list of strings')
    return Reference(question_text, reference, tuple(key_points)), answer


def _grade_stream(app: _App, grader: Grader, lines: TextIO, out: TextIO) -> None:
    pending: list[tuple[int, Any]] = []  # (position, prepared reference and answer, or an error)

    def flush() -> None:
        todo = [(i, item) for i, item in pending if not isinstance(item, dict)]
        results: dict[int, dict[str, Any]] = {i: item for i, item in pending if isinstance(item, dict)}
        if todo:
            for (i, _), result in zip(todo, grader.grade_many([item for _, item in todo])):
                results[i] = result_json(result)
        for i, _ in pending:
            out.write(json.dumps(results[i], ensure_ascii=False) + "\n")
        out.flush()
        pending.clear()

    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            reference, answer = _reference_from(json.loads(line), app)
            pending.append((number, (grader.prepare(reference), answer)))
        except json.JSONDecodeError as exc:
            pending.append((number, {"error": f"line {number + 1}: not JSON ({exc.msg})"}))
        except (ValueError, NotGradable) as exc:
            pending.append((number, {"error": f"line {number + 1}: {exc}"}))
        if len(pending) >= JSONL_BATCH:
            flush()
    flush()


@cli.command()
@click.argument("question_id", required=False)
@click.argument("answer", required=False)
@click.option("--jsonl", is_flag=True, help="Read JSON objects from stdin, one per line; write one result line each.")
@pass_app
def grade(app: _App, question_id: str | None, answer: str | None, jsonl: bool) -> None:
    """Grade an answer to a bank question, or a stream of answers (--jsonl).

    \b
    mockbot grade 000-93d25c "训练时以概率p丢弃，测试时不丢弃"
    echo '{"question_id": "000-93d25c", "answer": "…"}' | mockbot grade --jsonl
    Input lines: {"question", "reference", "answer"[, "key_points"]} or {"question_id", "answer"}.
    """
    try:
        grader = _grader(app)
        if jsonl:
            if question_id or answer:
                _fail("give either --jsonl or QUESTION_ID ANSWER, not both", ExitStatus.USAGE)
            _grade_stream(app, grader, sys.stdin, sys.stdout)
            return
        if not question_id or answer is None:
            _fail('usage: mockbot grade QUESTION_ID "ANSWER"  (or --jsonl)', ExitStatus.USAGE)
        question = app.bank().get(question_id)  # type: ignore[arg-type]
        if question is None:
            _fail(f"no question with id {question_id!r} (see `mockbot bank list`)")
        try:
            result = grader.grade(reference_for(question), answer)  # type: ignore[arg-type]
        except NotGradable as exc:
            _fail(f"{question_id}: {exc}")
        click.echo(render_text(feedback_for(result)))
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)


@cli.group()
def grading() -> None:
    """Calibrate and evaluate the grader on labelled data."""


def _bank_references(app: _App) -> dict[str, Reference]:
    return {q.id: reference_for(q) for q in app.bank().questions if q.gradable}


def _snippet(language: str, params: Any) -> str:
    data = {language: params.model_dump(mode="json")}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None)


def _sets(app: _App, devset: Path, holdout: Path) -> tuple[list, list]:
    references = _bank_references(app)
    dev = cal.load_devset(devset, references)
    held = cal.load_devset(holdout, references) if holdout.is_file() else []
    return dev, held


@grading.command("calibrate")
@click.option("--lang", "languages", multiple=True, type=click.Choice(["zh", "en"]), default=("zh", "en"))
@click.option("--devset", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_DEVSET, show_default=True)
@click.option("--holdout", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_HOLDOUT, show_default=True,
              help="Scored replies never fitted on: measured with the fitted parameters.")
@click.option("--mohler", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_MOHLER, show_default=True)
@click.option("--model", default=None, help="Try another embedding model for the language(s) given.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports and parameters as one JSON object.")
@pass_app
def grading_calibrate(
    app: _App, languages: tuple[str, ...], devset: Path, holdout: Path, mohler: Path, model: str | None, as_json: bool
) -> None:
    """Fit weights (zh: the dev set, cross-validated by question; en: Mohler) and print them for config.yaml."""
    settings = app.settings.grading
    if model:
        for language in languages:
            params = settings.for_language(language).model_copy(update={"model": model})
            settings = settings.model_copy(update={language: params})
    grader = build_grader(settings, app.bank())
    output: dict[str, Any] = {}
    try:
        for language in languages:
            if language == "zh":
                dev, held = _sets(app, devset, holdout)
                params, report = cal.calibrate_zh(grader, dev, holdout=held)
            else:
                if not mohler.is_file():
                    _fail(f"{mohler}: Mohler dataset not found (give --mohler PATH)")
                rows = cal.load_mohler(mohler)
                grader = Grader(settings, glossary=grader.glossary, idf=cal.mohler_idf(rows, grader.glossary))
                params, report = cal.calibrate_en(grader, rows)
            output[language] = {"report": report, "params": params.model_dump(mode="json")}
            if not as_json:
                click.echo(f"== {language} ({params.model})")
                click.echo(yaml.safe_dump(report, allow_unicode=True, sort_keys=False))
                click.echo("# for config.yaml, under grading:")
                click.echo(_snippet(language, params))
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    if as_json:
        click.echo(json.dumps(output, ensure_ascii=False, indent=2))


@grading.command("evaluate")
@click.option("--lang", "languages", multiple=True, type=click.Choice(["zh", "en"]), default=("zh", "en"))
@click.option("--devset", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_DEVSET, show_default=True)
@click.option("--holdout", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_HOLDOUT, show_default=True)
@click.option("--mohler", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_MOHLER, show_default=True)
@click.option("--sas", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_SAS, show_default=True,
              help="The sas-zh folder (public Chinese sets ASAG and LE); skipped when missing.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def grading_evaluate(
    app: _App, languages: tuple[str, ...], devset: Path, holdout: Path, mohler: Path, sas: Path, as_json: bool
) -> None:
    """Measure the grader as configured: zh dev set, held-out set and the public sets; en Mohler."""
    grader = _grader(app)
    output: dict[str, Any] = {}
    try:
        for language in languages:
            if language == "zh":
                dev, held = _sets(app, devset, holdout)
                output["zh"] = {"dev (fitted on)": cal.evaluate(grader, dev, "zh")}
                if held:
                    output["zh"]["holdout"] = cal.evaluate(grader, held, "zh")
                for name in ("ASAG", "LE"):
                    if (sas / name).is_dir():
                        output["zh"][f"sas-zh {name}"] = cal.evaluate(grader, cal.load_sas(sas, name), "zh")
            else:
                if not mohler.is_file():
                    _fail(f"{mohler}: Mohler dataset not found (give --mohler PATH)")
                rows = cal.load_mohler(mohler)
                english = Grader(grader.settings, glossary=grader.glossary, idf=cal.mohler_idf(rows, grader.glossary))
                output["en"] = cal.evaluate(english, rows, "en")
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    click.echo(json.dumps(output, ensure_ascii=False, indent=2) if as_json else yaml.safe_dump(output, allow_unicode=True, sort_keys=False))


@cli.group()
def bench() -> None:
    """Speed and memory figures (numbers and ratios, never pass/fail)."""


@bench.command("grading")
@click.option("--json", "as_json", is_flag=True, help="One JSON object with the figures.")
@click.option("--devset", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_DEVSET, show_default=True)
@click.option("--rounds", default=3, show_default=True, help="Passes over the replies for the timings.")
@pass_app
def bench_grading(app: _App, as_json: bool, devset: Path, rounds: int) -> None:
    """Time grading against the bare model.encode of the same replies, throughput, cold start, RSS."""
    from .bench_grading import run_grading_bench

    try:
        figures = run_grading_bench(app, devset, rounds=rounds)
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    click.echo(
        f"grade one reply (warm): p50 {figures['grade_p50_ms']:.2f} ms, p95 {figures['grade_p95_ms']:.2f} ms\n"
        f"bare model.encode of the reply's clauses in one batch: p50 {figures['encode_clauses_p50_ms']:.2f} ms "
        f"({figures['units_per_reply']:.1f} texts per reply; the reply alone: {figures['encode_p50_ms']:.2f} ms)\n"
        f"ratio grade/clause encode at p50: {figures['ratio']:.2f}x\n"
        f"batch throughput: {figures['replies_per_s']:.1f} replies/s\n"
        f"cold start to first grade: {figures['cold_start_s']:.2f} s\n"
        f"peak RSS: {figures['peak_rss_mb']:.0f} MB"
    )
