"""Changing the bank from code: add a question, fill in or replace an answer, reword a question.

Each change reads one bank file from disk, changes one question, checks the result with the bank's
own model and rewrites the file atomically (a temporary file in the same folder, read back and
checked, then `os.replace`) in the format `mockbot bank import` writes, so a file is never left
half-written and a broken file is never overwritten.

Hand edits survive re-imports. An answer set here no longer matches the `imported` digest of the
answer the importer wrote, so `merge_questions` keeps it as a hand edit; the key points derived from
it get their digest in `imported`, exactly as `mockbot bank import` writes it after an answer was
filled in by hand, so a re-import changes nothing (`--check` passes).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from .bank import BankProblem, bank_files, read_bank_file, render_bank_file
from .build import make_id, question_key, tidy_markdown
from .model import BankFile, Question, digest, points_data
from .taxonomy import Taxonomy

__all__ = [
    "ADMIN_FILE",
    "ADMIN_PREFIX",
    "EditError",
    "EmptyText",
    "UnknownTopic",
    "UnknownQuestion",
    "DuplicateQuestion",
    "BrokenFile",
    "InvalidEdit",
    "split_question_and_answer",
    "add_question",
    "set_answer",
    "reword_question",
    "find_question",
    "write_atomically",
    "problem_lines",
]

ADMIN_FILE = "admin.yaml"  # where questions added from the bot go, in the bank folder
ADMIN_PREFIX = "admin"  # id prefix of those questions: admin-<digest of the text>
SEPARATOR = "---"  # a line of its own between a question and its reference answer

_LOCK = threading.Lock()  # one read-modify-write of the bank at a time in this process


class EditError(Exception):
    """A change that cannot be made; nothing was written."""


class EmptyText(EditError):
    def __init__(self, what: str) -> None:
        self.what = what  # "question" or "answer"
        super().__init__(f"the {what} is empty")


class UnknownTopic(EditError):
    def __init__(self, topic: str, known: list[str]) -> None:
        self.topic = topic
        self.known = known
        super().__init__(f"unknown topic {topic!r} (known: {', '.join(known)})")


class UnknownQuestion(EditError):
    def __init__(self, question_id: str) -> None:
        self.question_id = question_id
        super().__init__(f"no question {question_id!r} in the bank")


class DuplicateQuestion(EditError):
    def __init__(self, existing_id: str) -> None:
        self.existing_id = existing_id
        super().__init__(f"the bank already has this question: {existing_id}")


class BrokenFile(EditError):
    def __init__(self, problems: list[BankProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class InvalidEdit(EditError):
    """The changed question does not pass the bank's checks (e.g. an answer with no key point)."""


def split_question_and_answer(text: str) -> tuple[str, str]:
    """Split at the first line that is only `---`: (question, answer); no such line: no answer.

    >>> split_question_and_answer("BN的作用？\\n---\\n- 加速收敛\\n- 缓解梯度消失")
    ('BN的作用？', '- 加速收敛\\n- 缓解梯度消失')
    """
    lines = text.replace("\r\n", "\n").split("\n")
    for number, line in enumerate(lines):
        if line.strip() == SEPARATOR:
            return "\n".join(lines[:number]).strip(), "\n".join(lines[number + 1 :]).strip("\n")
    return text.strip(), ""


def problem_lines(problems: list[BankProblem], bank_dir: Path) -> list[str]:
    """Problems as `file:line: message`, the file relative to the bank folder when it is inside it."""
    lines = []
    for problem in problems:
        path = Path(problem.path)
        try:
            shown = str(path.resolve().relative_to(bank_dir.resolve()))
        except ValueError:
            shown = problem.path
        lines.append(str(BankProblem(shown, problem.line, problem.message)))
    return lines


def write_atomically(path: Path, text: str, *, check: Callable[[Path], None] | None = None) -> None:
    """Replace `path` with `text` all at once: other readers see the old file or the new one.

    The text goes to a temporary file in the same folder (not named *.yaml, so the bank never
    loads it); `check(temporary path)` may raise to abandon the write.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        if check is not None:
            check(temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _read(path: Path, taxonomy: Taxonomy | None) -> BankFile:
    bank_file, problems = read_bank_file(path, taxonomy)
    if bank_file is None:
        raise BrokenFile(problems)
    return bank_file


def _save(path: Path, bank_file: BankFile, taxonomy: Taxonomy | None) -> None:
    def check(written: Path) -> None:
        _, problems = read_bank_file(written, taxonomy)
        if problems:  # never expected: the questions were validated already
            raise InvalidEdit("\n".join(str(p) for p in problems))

    write_atomically(path, render_bank_file(bank_file), check=check)


def _validated(data: dict) -> Question:
    try:
        return Question.model_validate(data)
    except ValidationError as exc:
        raise InvalidEdit("; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())) from None


def _text(value: str, what: str) -> str:
    text = tidy_markdown(value)
    if not text.strip():
        raise EmptyText(what)
    return text


def find_question(bank_dir: Path, question_id: str, taxonomy: Taxonomy | None = None) -> tuple[Path, BankFile, int]:
    """The file holding `question_id`, that file, and the question's index in it.

    Raises:
        UnknownQuestion: no valid file has it.
        BrokenFile: not found, and some files could not be read (it may be in one of them).
    """
    broken: list[BankProblem] = []
    for path in bank_files(bank_dir):
        bank_file, problems = read_bank_file(path, taxonomy)
        if bank_file is None:
            broken += problems
            continue
        for index, question in enumerate(bank_file.questions):
            if question.id == question_id:
                return path, bank_file, index
    if broken:
        raise BrokenFile(broken)
    raise UnknownQuestion(question_id)


def _replace(bank_file: BankFile, index: int, question: Question) -> BankFile:
    questions = list(bank_file.questions)
    questions[index] = question
    return bank_file.model_copy(update={"questions": questions})


def add_question(
    bank_dir: Path,
    taxonomy: Taxonomy,
    topic: str,
    question: str,
    answer: str = "",
    *,
    filename: str = ADMIN_FILE,
) -> Question:
    """Append a question (and its reference answer, Markdown, if any) to `filename` in the bank folder.

    The file is created if missing. The id is derived from the text like the importer's
    (`admin-<digest>`); the answer kind and key points follow from the answer, as for an answer
    filled in by hand. `topic` is a topic id or its Chinese or English name.

    Raises:
        UnknownTopic, EmptyText, DuplicateQuestion (the same text is in the bank already),
        BrokenFile (the target file does not validate), InvalidEdit.
    """
    found = taxonomy.resolve(topic)
    if found is None:
        raise UnknownTopic(topic.strip(), [t.id for t in taxonomy.topics])
    text = _text(question, "question")
    path = bank_dir / filename
    with _LOCK:
        target = _read(path, taxonomy) if path.exists() else BankFile()
        taken: set[str] = set()
        key = question_key(text)
        for other in bank_files(bank_dir):
            bank_file = target if other == path else read_bank_file(other, taxonomy)[0]
            for existing in bank_file.questions if bank_file else ():
                if question_key(existing.question) == key:
                    raise DuplicateQuestion(existing.id)
                taken.add(existing.id)
        data = {"id": make_id(ADMIN_PREFIX, text, taken), "topic": found.id, "question": text}
        if answer.strip():
            data["answer"] = tidy_markdown(answer)  # kind and key points are derived by the model
        added = _validated(data)
        _save(path, target.model_copy(update={"questions": [*target.questions, added]}), taxonomy)
    return added


def set_answer(bank_dir: Path, question_id: str, answer: str, taxonomy: Taxonomy | None = None) -> Question:
    """Fill in (or replace) the reference answer of any question; returns the changed question.

    The answer kind and key points are derived from the new answer; keyword overrides, which are
    numbered by key point, are dropped when the key points change. The result is what filling in
    `answer:` by hand and running `mockbot bank import` gives: the answer counts as a hand edit
    (it differs from `imported.answer`) and is kept by every later import; `imported.key_points`
    becomes the digest of the derived key points, as the importer writes it.

    Raises:
        EmptyText, UnknownQuestion, BrokenFile, InvalidEdit.
    """
    text = _text(answer, "answer")
    with _LOCK:
        path, bank_file, index = find_question(bank_dir, question_id, taxonomy)
        old = bank_file.questions[index]
        # kind and key points are derived again by the model
        changed = _validated({**old.model_dump(), "answer": text, "answer_kind": None, "key_points": [], "keywords": {}})
        if old.keywords and changed.key_points == old.key_points:
            changed = changed.model_copy(update={"keywords": old.keywords})
        if old.imported is not None:
            imported = old.imported.model_copy(update={"key_points": digest(points_data(changed.key_points))})
            changed = changed.model_copy(update={"imported": imported})
        _save(path, _replace(bank_file, index, changed), taxonomy)
    return changed


def reword_question(bank_dir: Path, question_id: str, question: str, taxonomy: Taxonomy | None = None) -> Question:
    """Replace the text of a question, keeping its id, answer and everything else.

    Raises:
        EmptyText, UnknownQuestion, BrokenFile, InvalidEdit.
    """
    text = _text(question, "question")
    with _LOCK:
        path, bank_file, index = find_question(bank_dir, question_id, taxonomy)
        changed = _validated({**bank_file.questions[index].model_dump(), "question": text})
        _save(path, _replace(bank_file, index, changed), taxonomy)
    return changed
