"""The question bank's data model: one `Question` per interview question, one `BankFile` per YAML file.

The models are strict (unknown keys are errors) so that a typo in a hand edit is reported,
not silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator, model_validator

from .keypoints import analyse_answer
from .kinds import AnswerKind

__all__ = [
    "AnswerKind",
    "Fingerprint",
    "KeyPoint",
    "Misconception",
    "Question",
    "BankFile",
    "digest",
    "fingerprint_of",
    "points_data",
    "ID_PATTERN",
]

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


class KeyPoint(BaseModel):
    """One claim of the reference answer that a reply should make.

    In YAML a point is either a plain string (as the importer writes it: a core point with nothing
    else) or a mapping with `text` and any of the other fields.

    Attributes:
        text: a self-contained claim in plain words.
        level: `core` (needed for a pass) or `detail` (an extra; missing details never fail a reply).
        gist: a few words naming the point, shown as a hint (never the whole reference).
        gist_en: the gist in English, for English screens (hints and follow-ups).
        en: the point in English, for English screens and replies.
        aliases: other ways candidates say the same claim; each counts like the text.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    level: Literal["core", "detail"] = "core"
    gist: str | None = None
    gist_en: str | None = None
    en: str | None = None
    aliases: list[str] = Field(default_factory=list)

    @property
    def core(self) -> bool:
        return self.level == "core"

    @property
    def plain(self) -> bool:
        """Nothing but the text: written as a plain string."""
        return self.level == "core" and not self.gist and not self.gist_en and not self.en and not self.aliases

    def data(self) -> str | dict[str, Any]:
        """The YAML form: a plain string, or a mapping without empty fields."""
        if self.plain:
            return self.text
        out: dict[str, Any] = {"text": self.text, "level": self.level}
        for key in ("gist", "gist_en", "en"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.aliases:
            out["aliases"] = list(self.aliases)
        return out

    def __str__(self) -> str:
        return self.text


class Misconception(BaseModel):
    """A wrong claim candidates commonly make, and the right statement (shown in feedback).

    Attributes:
        claim: the wrong claim, as candidates put it.
        claim_en: the claim in English, for English screens.
        correction: the right statement.
        correction_en: the correction in English, for English screens.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: str
    claim_en: str | None = None
    correction: str
    correction_en: str | None = None

    @field_validator("claim", "correction")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("claim_en", "correction_en")
    @classmethod
    def _english_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty (leave it out instead)")
        return value


def points_data(points: list[KeyPoint] | list[str]) -> list[str | dict[str, Any]]:
    """Key points in their YAML form (what digests are taken of)."""
    return [p if isinstance(p, str) else p.data() for p in points]


def fingerprint_of(topic: str, answer: str, key_points: list[KeyPoint] | list[str]) -> Fingerprint:
    return Fingerprint(topic=digest(topic), answer=digest(answer), key_points=digest(points_data(key_points)))


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
        key_points: the claims that together make the answer (`KeyPoint`); edit freely.
        misconceptions: wrong claims candidates commonly make about this question (hand-written).
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
    key_points: list[KeyPoint] = Field(default_factory=list)
    misconceptions: list[Misconception] = Field(default_factory=list)
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

    @field_validator("key_points", mode="before")
    @classmethod
    def _plain_points(cls, value: Any) -> Any:
        """A plain string is a core point with nothing else."""
        if isinstance(value, list):
            return [{"text": p} if isinstance(p, str) else p for p in value]
        return value

    @field_validator("key_points")
    @classmethod
    def _key_points_not_blank(cls, value: list[KeyPoint]) -> list[KeyPoint]:
        for i, point in enumerate(value):
            if not point.text.strip():
                raise ValueError(f"key point {i + 1} is empty")
        return value

    @field_serializer("key_points")
    def _dump_points(self, value: list[KeyPoint]) -> list[str | dict[str, Any]]:
        return points_data(value)

    @field_serializer("misconceptions")
    def _dump_misconceptions(self, value: list[Misconception]) -> list[dict[str, Any]]:
        return [m.model_dump(exclude_none=True) for m in value]

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

    @property
    def gradable(self) -> bool:
        """Has key points to grade a reply against (text or code answers, or curated points for an
        answer that is only an image or a link)."""
        return self.answered and bool(self.key_points) and (self.answer_kind.gradable or self.curated)

    @property
    def curated(self) -> bool:
        """Its key points were written by hand (a level, gist or aliases), not extracted."""
        return any(not p.plain for p in self.key_points)

    @property
    def point_texts(self) -> list[str]:
        return [p.text for p in self.key_points]

    def current_fingerprint(self) -> Fingerprint:
        return fingerprint_of(self.topic, self.answer, self.key_points)


class BankFile(BaseModel):
    """One YAML file of the bank: the questions of one seed document, or hand-written ones."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = None
    format: str | None = None
    title: str | None = None
    questions: list[Question] = Field(default_factory=list)
