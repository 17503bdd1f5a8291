"""Loading, validating and writing the question bank (the YAML files under `questions/bank/`).

Validation reports every problem at once, each as `file:line: message`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from .model import BankFile, Question
from .taxonomy import Taxonomy
from .yamlio import YamlError, dump_yaml, flow, line_of, load_yaml, plain_error

__all__ = [
    "DEFAULT_BANK_DIR",
    "BankProblem",
    "BankInvalid",
    "Bank",
    "bank_files",
    "read_bank_file",
    "load_bank",
    "render_bank_file",
]

DEFAULT_BANK_DIR = Path(__file__).with_name("bank")

_HEADER = """\
# Question bank: {what}.
# Edit freely: `topic`, `answer`, `key_points` and `misconceptions` edited here are kept when `mockbot bank import`
# runs again (the `imported` digests tell it what it wrote). Check with `mockbot bank validate`.
"""


@dataclass(frozen=True)
class BankProblem:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


class BankInvalid(Exception):
    def __init__(self, problems: list[BankProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Bank:
    """A loaded, validated bank; it does not change once loaded, so its views are built once."""

    files: dict[Path, BankFile] = field(default_factory=dict)

    @cached_property
    def questions(self) -> list[Question]:
        return [q for bank_file in self.files.values() for q in bank_file.questions]

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def get(self, question_id: str) -> Question | None:
        return self.by_id.get(question_id)


def bank_files(bank_dir: Path) -> list[Path]:
    return sorted(p for p in bank_dir.glob("*.yaml") if p.is_file()) + sorted(
        p for p in bank_dir.glob("*.yml") if p.is_file()
    )


def _describe(error: ErrorDetails) -> str:
    if error["type"] == "string_pattern_mismatch" and error["loc"][-1] == "id":
        return f"id must be 2-64 lowercase letters, digits, '-' or '_' (got {error['input']!r})"
    return plain_error(error, BankFile, noun="key", dotted=False)


def read_bank_file(path: Path, taxonomy: Taxonomy | None = None) -> tuple[BankFile | None, list[BankProblem]]:
    """Read one bank file; return it (or None) and every problem found in it."""
    bank_file, _, problems = _read(path, taxonomy)
    return bank_file, problems


def _raw_questions(data: Any) -> list[tuple[int, dict[str, Any]]]:
    questions = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(questions, list):
        return []
    return [(index, entry) for index, entry in enumerate(questions) if isinstance(entry, dict)]


def _read(
    path: Path, taxonomy: Taxonomy | None
) -> tuple[BankFile | None, list[tuple[str, int | None]], list[BankProblem]]:
    """Parse and check one file: the model (if valid), its ids with their lines, and all problems.

    Topics and ids are checked on the raw data, so they are reported even when the schema is not met.
    """
    shown = str(path)
    try:
        data = load_yaml(path)
    except YamlError as exc:
        return None, [], [BankProblem(shown, exc.line, exc.message)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [], [BankProblem(shown, getattr(data, "line", 1), "expected a mapping with a 'questions' list")]
    problems: list[BankProblem] = []
    ids: list[tuple[str, int | None]] = []
    for index, entry in _raw_questions(data):
        if isinstance(entry.get("id"), str):
            ids.append((entry["id"], line_of(data, ("questions", index, "id"))))
        topic = entry.get("topic")
        if taxonomy is not None and isinstance(topic, str) and topic not in taxonomy.by_id:
            known = ", ".join(taxonomy.by_id)
            line = line_of(data, ("questions", index, "topic"))
            problems.append(BankProblem(shown, line, f"questions.topic: unknown topic {topic!r} (known: {known})"))
    bank_file: BankFile | None = None
    try:
        bank_file = BankFile.model_validate(data)
    except ValidationError as exc:
        problems += [BankProblem(shown, line_of(data, tuple(e["loc"])), _describe(e)) for e in exc.errors()]
    problems.sort(key=lambda p: p.line or 0)
    return (None if problems else bank_file), ids, problems


def load_bank(bank_dir: Path, taxonomy: Taxonomy | None = None) -> Bank:
    """Load and validate every file of the bank; raise `BankInvalid` listing all problems."""
    if not bank_dir.is_dir():
        raise BankInvalid([BankProblem(str(bank_dir), None, "bank folder not found")])
    files: dict[Path, BankFile] = {}
    problems: list[BankProblem] = []
    seen: dict[str, tuple[Path, int | None]] = {}
    for path in bank_files(bank_dir):
        bank_file, ids, file_problems = _read(path, taxonomy)
        problems += file_problems
        for question_id, line in ids:
            if question_id in seen:
                first_path, first_line = seen[question_id]
                problems.append(
                    BankProblem(str(path), line, f"duplicate id {question_id!r} (first at {first_path}:{first_line})")
                )
            else:
                seen[question_id] = (path, line)
        if bank_file is not None:
            files[path] = bank_file
    if problems:
        raise BankInvalid(problems)
    return Bank(files)


def _question_data(question: Question) -> dict[str, Any]:
    data = question.model_dump(mode="json", exclude_defaults=False)
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or (value in ([], {}) and key in ("images", "keywords", "misconceptions")):
            continue
        if key == "imported":
            value = flow(value)
        out[key] = value
    return out


def render_bank_file(bank_file: BankFile) -> str:
    """The YAML text of a bank file; the same input always gives the same bytes."""
    what = f"imported from the seed {bank_file.source}" if bank_file.source else "written by hand"
    if bank_file.source and bank_file.format == "notes":
        what = f"imported from the notes file {bank_file.source}"
    elif bank_file.source and bank_file.format == "anki":
        what = f"imported from the Anki deck {bank_file.source}"
    data: dict[str, Any] = {}
    for key in ("source", "format", "title"):
        value = getattr(bank_file, key)
        if value is not None:
            data[key] = value
    data["questions"] = [_question_data(q) for q in bank_file.questions]
    return dump_yaml(data, header=_HEADER.format(what=what))
