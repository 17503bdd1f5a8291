"""`mockbot grade` and `mockbot grading calibrate|evaluate`: grading replies and measuring the grader."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

import click
import yaml

from grading import calibrate as cal
from grading.embeddings import ModelUnavailable
from grading.feedback import feedback_for, render_text
from grading.i18n import LANGUAGES
from grading.grader import Grader, Reference
from grading.result import GradeResult, NotGradable, Verdict
from grading.settings import LanguageParams
from questions.model import Question

from ..engine.reveals import in_language
from ..grading_app import build_grader, english_reference, reference_for
from .common import (
    DEFAULT_DEVSET, DEFAULT_HOLDOUT, DEFAULT_MOHLER, DEFAULT_SAS, ExitStatus, Report, _App, _fail, pass_app, progress_bar, tidy,
)

__all__ = ["grade", "grading", "result_json"]

JSONL_BATCH = 64  # replies encoded together when grading a stream


# ---------------------------------------------------------------- output helpers

# Stable codes of the verdicts for programs; `verdict` is the word in the reply's language.
VERDICT_CODES = {Verdict.EXCELLENT: "excellent", Verdict.GOOD: "good", Verdict.PARTIAL: "partial", Verdict.MISSED: "missed"}

# Decimals in text output: scores and errors in points of 100 get 1, correlations and shares 3.
_ONE_DECIMAL = ("mae", "median_score", "median_gold")


def _readable(value: Any, digits: int = 3) -> Any:
    """A report rounded for reading: 1 decimal for scores and errors, 3 for r and shares."""
    if isinstance(value, dict):
        return {key: _readable(item, 1 if key in _ONE_DECIMAL else digits) for key, item in value.items()}
    return tidy(value, digits)


@contextmanager
def _counting(grader: Grader, on_batch: Callable[[int], None]) -> Iterator[None]:
    """Call `on_batch(n)` each time `grader` has analysed and encoded a batch of n replies.

    Calibration and evaluation loop inside grading/; the replies they encode are the progress
    that can be seen from here."""
    encode = grader.analyse_and_encode

    def counted(items: Sequence[Any]) -> Any:
        result = encode(items)
        on_batch(len(items))
        return result

    grader.analyse_and_encode = counted  # type: ignore[method-assign]
    try:
        yield
    finally:
        del grader.analyse_and_encode  # the class's method again


def _grader(app: _App) -> Grader:
    return build_grader(app.settings.grading, app.bank())


# ---------------------------------------------------------------- grade


def result_json(result: GradeResult, language: str | None = None) -> dict[str, Any]:
    """The JSON line of one graded reply (`mockbot grade --jsonl`); the verdict and the feedback in
    `language` ("zh" or "en"), by default the question's."""
    return tidy({
        "score": result.score,
        "verdict": result.verdict.label(language or result.language),
        "verdict_code": VERDICT_CODES[result.verdict],
        "passed": result.verdict >= Verdict.GOOD,  # the pass line practice and its FSRS rating use
        "key_points": [
            {"text": p.text, "covered": p.covered, "score": p.score, "status": p.status.name.lower()}
            for p in result.points
        ],
        "missed": result.missed,
        "misconceptions": [{"claim": m.claim, "correction": m.correction} for m in result.misconceptions],
        "feedback": render_text(feedback_for(result, language)),
    })  # fmt: skip


def _reference_from(entry: Any, app: _App) -> tuple[Reference, str, Question | None]:
    """The reference, the answer and the bank question (if it names one) of one JSONL input
    object; ValueError with a clear reason."""
    if not isinstance(entry, dict):
        raise ValueError("each line must be a JSON object")
    answer = entry.get("answer")
    if not isinstance(answer, str):
        raise ValueError('"answer" is missing or not a string')
    if "question_id" in entry:
        question = app.bank().get(str(entry["question_id"]))
        if question is None:
            raise ValueError(f"no question with id {entry['question_id']!r} in the bank")
        return reference_for(question), answer, question
    question_text, reference = entry.get("question"), entry.get("reference")
    if not isinstance(question_text, str) or not isinstance(reference, str):
        raise ValueError('give "question" and "reference" (strings), or "question_id"')
    key_points = entry.get("key_points") or []
    if not isinstance(key_points, list) or not all(isinstance(p, str) for p in key_points):
        raise ValueError('"key_points" must be a list of strings')
    if not reference.strip() and not any(p.strip() for p in key_points):
        raise ValueError('"reference" is empty: give the reference answer (or "key_points") to grade against')
    return Reference(question_text, reference, tuple(key_points)), answer, None


def _echo_of(undecodable: str) -> dict[str, Any]:
    """The `id` of a line that is not UTF-8, when the rest of it still reads as JSON (the bad bytes
    are usually in the answer), so that its error line can be matched to its input."""
    try:
        entry = json.loads(undecodable.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return {}
    return {"id": entry["id"]} if isinstance(entry, dict) and "id" in entry else {}


def _prepare_line(app: _App, grader: Grader, number: int, line: str) -> tuple[Any, dict[str, Any]]:
    """(what to grade, or None) and the fields every output line of this input carries: its
    `id` if it gave one; an `error` and the `line` number when it cannot be graded."""
    if not line.strip():
        return None, {"error": "blank line: nothing to grade", "line": number}
    line = line.rstrip("\r\n")
    undecodable = next((i for i, char in enumerate(line) if "\udc80" <= char <= "\udcff"), None)
    if undecodable is not None:  # stdin reads bytes that are not UTF-8 as surrogates
        byte = ord(line[undecodable]) - 0xDC00
        error = f"not UTF-8 (byte 0x{byte:02x} at column {undecodable + 1}): save the input as UTF-8"
        return None, {**_echo_of(line), "error": error, "line": number}
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(line.rstrip()):  # nothing wrong until the line ran out: something left open
            return None, {"error": "not JSON (the line ends before the JSON does: an unclosed {, [ or string?)", "line": number}
        where = "column" if exc.msg.endswith(" at") else "at column"  # "Unterminated string starting at"
        return None, {"error": f"not JSON ({exc.msg} {where} {exc.colno})", "line": number}
    echo = {"id": entry["id"]} if isinstance(entry, dict) and "id" in entry else {}
    try:
        reference, answer, question = _reference_from(entry, app)
        return (grader.prepare(reference), answer, question), echo
    except (ValueError, NotGradable) as exc:
        return None, {**echo, "error": str(exc), "line": number}


def _grade_stream(app: _App, grader: Grader, lines: TextIO, out: TextIO, language: str | None = None) -> int:
    """Grade every input line in order, one output line each; returns how many were not graded."""
    pending: list[tuple[Any, dict[str, Any]]] = []
    failed = 0

    def flush() -> None:
        todo = [(prepared, answer) for prepared, answer, _ in (item for item, _ in pending if item is not None)]
        results = iter(grader.grade_many(todo)) if todo else iter(())
        for item, fields in pending:
            if item is not None:
                result, question = next(results), item[2]
                if question is not None and language is not None:
                    result = in_language(result, question, language)  # the bank's English wordings
                fields = {**fields, **result_json(result, language)}
            out.write(json.dumps(fields, ensure_ascii=False) + "\n")
        out.flush()
        pending.clear()

    for number, line in enumerate(lines, start=1):
        item, fields = _prepare_line(app, grader, number, line)
        failed += 1 if item is None else 0
        pending.append((item, fields))
        if len(pending) >= JSONL_BATCH:
            flush()
    flush()
    return failed


@click.command()
@click.argument("question_id", required=False)
@click.argument("answer", required=False)
@click.option("--jsonl", is_flag=True, help="Read JSON objects from stdin, one per line; write one result line each.")
@click.option("--lang", type=click.Choice(list(LANGUAGES)), default=None, help="Language of the verdict and feedback (default: the question's).")
@pass_app
def grade(app: _App, question_id: str | None, answer: str | None, jsonl: bool, lang: str | None) -> None:
    """Grade an answer to a bank question, or a stream of answers (--jsonl).

    \b
    mockbot grade 000-93d25c "训练时以概率p丢弃，测试时不丢弃"
    echo '{"id": 1, "question_id": "000-93d25c", "answer": "…"}' | mockbot grade --jsonl
    Input lines: {"question", "reference", "answer"[, "key_points"]} or {"question_id", "answer"},
    each with an optional "id" that is copied to its output line. Every input line gets one
    output line, in order; one that cannot be graded gets {"error", "line"} (exit status 1).
    """
    try:
        grader = _grader(app)
        if jsonl:
            if question_id or answer:
                _fail("give either --jsonl or QUESTION_ID ANSWER, not both", ExitStatus.USAGE)
            failed = _grade_stream(app, grader, sys.stdin, sys.stdout, lang)
            if failed:
                _fail(f"{failed} input line(s) could not be graded (see their \"error\")")
            return
        if not question_id or answer is None:
            _fail('usage: mockbot grade QUESTION_ID "ANSWER"  (or --jsonl)', ExitStatus.USAGE)
        question = app.bank().get(question_id)  # type: ignore[arg-type]
        if question is None:
            _fail(f"no question with id {question_id!r} (see `mockbot bank list`)", ExitStatus.USAGE)
        if not answer.strip():  # as `practice` does: an empty answer is a slip, not a reply worth 0
            _fail(f'the answer is empty: give it in quotes after the question id (mockbot grade {question_id} "…")', ExitStatus.USAGE)
        try:
            result = grader.grade(reference_for(question), answer)  # type: ignore[arg-type]
        except NotGradable as exc:
            _fail(f"{question_id}: {exc}", ExitStatus.USAGE)
        click.echo(render_text(feedback_for(in_language(result, question, lang) if lang else result, lang)))
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)


@click.group()
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


def _english_sets(app: _App, devset: Path, holdout: Path) -> tuple[list, list]:
    """The dev and held-out sets' English replies, graded against the bank's English wordings
    (`english_reference`): English replies scored on the fair scale."""
    bank = app.bank()
    english = {q.id: ref for q in bank.questions if q.gradable and (ref := english_reference(q)) is not None}

    def pick(replies: list) -> list:
        return [replace(r, reference=english[r.question_id]) for r in replies if r.kind == "english" and r.question_id in english]

    dev, held = _sets(app, devset, holdout)
    return pick(dev), pick(held)


def _mohler_grader(grader: Grader, mohler: Path) -> tuple[Grader, list]:
    """The English grader with Mohler's keyword weights, and Mohler's rows."""
    if not mohler.is_file():
        _fail(f"{mohler}: Mohler dataset not found (give --mohler PATH)", ExitStatus.USAGE)
    rows = cal.load_mohler(mohler)
    return Grader(grader.settings, glossary=grader.glossary, idf=cal.mohler_idf(rows, grader.glossary)), rows


@contextmanager
def _tracking(grader: Grader, report: Report, description: str, total: int) -> Iterator[None]:
    """Report the replies `grader` encodes inside the block, out of `total`."""
    done = 0
    report(description, 0, total)

    def advance(count: int) -> None:
        nonlocal done
        done = min(total, done + count)
        report(description, done, total)

    with _counting(grader, advance):
        yield


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
    fitted: dict[str, LanguageParams] = {}
    try:
        with progress_bar(enabled=not as_json) as report:
            for language in languages:
                if language == "zh":
                    dev, held = _sets(app, devset, holdout)
                    with _tracking(grader, report, "zh: calibrating on the dev and held-out sets", len(dev) + len(held)):
                        params, fit = cal.calibrate_zh(grader, dev, holdout=held)
                else:
                    english, rows = _mohler_grader(grader, mohler)
                    fair, fair_held = _english_sets(app, devset, holdout)
                    with (
                        _tracking(grader, report, "en: the dev set's English replies", len(fair) + len(fair_held)),
                        _tracking(english, report, "en: calibrating on Mohler", len(rows)),
                    ):
                        params, fit = cal.calibrate_en(english, rows, fair=fair, fair_holdout=fair_held, fair_grader=grader)
                output[language] = {"report": fit, "params": params.model_dump(mode="json")}
                fitted[language] = params
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    if as_json:
        click.echo(json.dumps(tidy(output), ensure_ascii=False, indent=2))
        return
    for language, params in fitted.items():
        click.echo(f"== {language} ({params.model})")
        click.echo(yaml.safe_dump(_readable(output[language]["report"]), allow_unicode=True, sort_keys=False))
        click.echo("# for config.yaml, under grading:")
        click.echo(_snippet(language, params))


def _evaluate_zh(app: _App, grader: Grader, devset: Path, holdout: Path, sas: Path, report: Report) -> dict[str, Any]:
    dev, held = _sets(app, devset, holdout)
    sets = {"dev (fitted on)": dev, **({"holdout": held} if held else {})}
    sets |= {f"sas-zh {name}": cal.load_sas(sas, name) for name in ("ASAG", "LE") if (sas / name).is_dir()}
    out: dict[str, Any] = {}
    for name, replies in sets.items():
        with _tracking(grader, report, f"zh: {name}", len(replies)):
            out[name] = cal.evaluate(grader, replies, "zh")
    return out


def _evaluate_en(app: _App, grader: Grader, devset: Path, holdout: Path, mohler: Path, report: Report) -> dict[str, Any]:
    english, rows = _mohler_grader(grader, mohler)
    out: dict[str, Any] = {}
    with _tracking(english, report, "en: Mohler", len(rows)):
        out["Mohler"] = cal.evaluate(english, rows, "en")
    fair, fair_held = _english_sets(app, devset, holdout)
    for name, replies in (("dev English, fair scale (fitted on)", fair), ("holdout English, fair scale", fair_held)):
        if replies:
            with _tracking(grader, report, f"en: {name}", len(replies)):
                out[name] = cal.evaluate(grader, replies, "en")
    return out


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
        with progress_bar(enabled=not as_json) as report:
            for language in languages:
                if language == "zh":
                    output["zh"] = _evaluate_zh(app, grader, devset, holdout, sas, report)
                else:
                    output["en"] = _evaluate_en(app, grader, devset, holdout, mohler, report)
    except ModelUnavailable as exc:
        _fail(str(exc), ExitStatus.USAGE)
    if as_json:
        click.echo(json.dumps(tidy(output), ensure_ascii=False, indent=2))
    else:
        click.echo(yaml.safe_dump(_readable(output), allow_unicode=True, sort_keys=False))
