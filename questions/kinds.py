"""What a reference answer is made of."""

from __future__ import annotations

from enum import Enum

__all__ = ["AnswerKind"]


class AnswerKind(str, Enum):
    """What the reference answer is made of; decides whether a reply can be graded against it."""

    TEXT = "text"  # prose or bullet points: gradable by key points
    CODE = "code"  # contains a code block (possibly with prose around it)
    IMAGE = "image"  # only images (formula screenshots, diagrams)
    LINK = "link"  # only links to external write-ups
    NONE = "none"  # no answer in the source: an open practice question, never graded

    @property
    def gradable(self) -> bool:
        return self in (AnswerKind.TEXT, AnswerKind.CODE)
