"""The question bank's data model: one `Question` per interview question, one `BankFile` per YAML file.

The models are strict (unknown keys are errors) so that a typo in a hand edit is reported,
not silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .keypoints import analyse_answer
from .kinds import AnswerKind

__all__ = ["AnswerKind", "Fingerprint", "Question", "BankFile", "digest", "fingerprint_of", "ID_PATTERN"]

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,63}$"


def digest(value: Any) -> str:
    """A short, stable digest of a JSON-able value."""
    blob = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()[:10]


class Fingerprint(BaseModel):
    """Digests of what the importer last wrote, so a re-import can tell hand edits from stale data."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str
    answer: str
    key_points: str


def fingerprint_of(topic: str, answer: str, key_points: list[str]) -> Fingerprint:
    return Fingerprint(topic=digest(topic), answer=digest(answer), key_points=digest(key_points))


class Question(BaseModel):
    """One interview question with its reference answer and the key points that make the answer.

    Attributes:
        id: stable identifier; survives re-imports and reordering of the source.
        topic: a topic id from the shared taxonomy (`questions/topics.yaml`).
        section: the source's own heading the question stood under, if any.
        source: the seed file name the question was imported from (None for hand-written ones).
        line: 1-based line of the question in `source`.
        number: the question's own number in the source, if it had one.
        question: the question text.
        images: image URLs that belong to the question itself ("look at the figure below").
        answer: the reference answer as Markdown (code blocks, images and links preserved).
        answer_kind: what the answer is made of.
        key_points: short statements that together make the answer; edit freely.
        keywords: optional, by key point number (1-based): the words a reply must use for that
            point, replacing the automatic ones (aliases from the glossary still count).
        imported: digests of the imported values, used to keep hand edits on re-import.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN)
    topic: str
    section: str | None = None
    source: str | None = None
    line: int | None = Field(default=None, ge=1)
    number: int | None = None
    question: str
    images: list[str] = Field(default_factory=list)
    answer: str = ""
    answer_kind: AnswerKind = AnswerKind.NONE
    key_points: list[str] = Field(default_factory=list)
    keywords: dict[int, list[str]] = Field(default_factory=dict)
    imported: Fingerprint | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_for_filled_in_answers(cls, data: Any) -> Any:
        """A hand-filled answer needs no more than `answer:`; its kind and key points follow from it."""
        if not isinstance(data, dict):
            return data
        answer = data.get("answer")
        if not isinstance(answer, str) or not answer.strip():
            return data
        kind = data.get("answer_kind")
        points = data.get("key_points")
        if kind in (None, AnswerKind.NONE, AnswerKind.NONE.value) or (kind == AnswerKind.TEXT.value and not points):
            facts = analyse_answer(answer)
            data = {**data, "answer_kind": facts.kind.value if kind in (None, "none", AnswerKind.NONE) else kind}
            if not points:
                data["key_points"] = facts.key_points
        return data

    @field_validator("question")
    @classmethod
    def _question_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question text is empty")
        return value

    @field_validator("key_points")
    @classmethod
    def _key_points_not_blank(cls, value: list[str]) -> list[str]:
        for i, point in enumerate(value):
            if not point.strip():
                raise ValueError(f"key point {i + 1} is empty")
        return value

    @model_validator(mode="after")
    def _kind_matches_answer(self) -> Question:
        has_answer = bool(self.answer.strip())
        if self.answer_kind is not AnswerKind.NONE and not has_answer:
            raise ValueError(f"answer_kind is '{self.answer_kind.value}' but the answer is empty")
        if self.answer_kind is AnswerKind.NONE and self.key_points:
            raise ValueError("key points given for a question without an answer")
        if self.answer_kind is AnswerKind.TEXT and not self.key_points:
            raise ValueError("a text answer needs at least one key point")
        for number, words in self.keywords.items():
            if not 1 <= number <= len(self.key_points):
                raise ValueError(f"keywords: there is no key point {number} (it has {len(self.key_points)})")
            if not any(w.strip() for w in words):
                raise ValueError(f"keywords: key point {number} has an empty keyword list")
        return self

    @property
    def answered(self) -> bool:
        return self.answer_kind is not AnswerKind.NONE

    def current_fingerprint(self) -> Fingerprint:
        return fingerprint_of(self.topic, self.answer, self.key_points)


class BankFile(BaseModel):
    """One YAML file of the bank: the questions of one seed document, or hand-written ones."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = None
    format: str | None = None
    title: str | None = None
    questions: list[Question] = Field(default_factory=list)
