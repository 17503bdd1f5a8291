"""What the engine answers with: plain data that every front-end renders its own way."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from grading.result import GradeResult

__all__ = ["Action", "Button", "ReplyKind", "Reply"]


class Action(str, Enum):
    """What a button (or a terminal command) asks the engine to do; `.value` is the callback data."""

    NEXT = "next"
    HINT = "hint"
    ANSWER = "answer"
    SKIP = "skip"
    FOLLOWUP = "followup"
    STATS = "stats"
    RATE_AGAIN = "rate:again"
    RATE_HARD = "rate:hard"
    RATE_GOOD = "rate:good"
    RATE_EASY = "rate:easy"


class ReplyKind(str, Enum):
    QUESTION = "question"
    FEEDBACK = "feedback"
    HINT = "hint"
    REFERENCE = "reference"
    STATS = "stats"
    INFO = "info"
    ERROR = "error"


@dataclass(frozen=True)
class Button:
    """A quick reply. A button under a message about a question names it (`question_id`), so a
    press later on acts on that question, not on whichever is open by then; a hint button also
    names its `step`: how many hints had been shown when it was made (a second press of it shows
    that hint again instead of taking another one)."""

    label: str
    action: Action
    question_id: str | None = None
    step: int | None = None


@dataclass(frozen=True)
class Reply:
    """One message to show the user.

    Attributes:
        kind: what the message is (a question, feedback, …) so front-ends can style it.
        text: the message, plain text (front-ends escape it for their markup).
        buttons: quick replies (inline buttons in Telegram, hints in the terminal).
        image: a PNG to show with the message (the progress chart), if any.
        question_id: the question the message is about, if any.
        images: image URLs that belong to the question (figures it refers to).
        grade: the grading result behind a feedback message.
    """

    kind: ReplyKind
    text: str
    buttons: tuple[Button, ...] = ()
    image: bytes | None = None
    question_id: str | None = None
    images: tuple[str, ...] = ()
    grade: GradeResult | None = field(default=None, compare=False)
