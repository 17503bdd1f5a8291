"""What grading returns: plain data that front-ends render."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from .i18n import DEFAULT_LANGUAGE, N_, gettext

__all__ = ["Verdict", "PointStatus", "PointResult", "MisconceptionResult", "GradeResult", "NotGradable"]


class NotGradable(ValueError):
    """The question has no reference answer to grade against (an open practice question)."""


class Verdict(IntEnum):
    MISSED = 0  # 未答到要点
    PARTIAL = 1  # 部分正确
    GOOD = 2  # 良好
    EXCELLENT = 3  # 优秀

    def label(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The verdict's word in `language` (the default language when unknown).

        >>> Verdict.GOOD.label("zh"), Verdict.GOOD.label("en")
        ('良好', 'good')
        """
        return gettext(_VERDICT_IDS[self], language)


_VERDICT_IDS = {  # the catalog's message of each verdict
    Verdict.MISSED: N_("verdict.missed"),
    Verdict.PARTIAL: N_("verdict.partial"),
    Verdict.GOOD: N_("verdict.good"),
    Verdict.EXCELLENT: N_("verdict.excellent"),
}


class PointStatus(IntEnum):
    MISSED = 0
    PARTLY = 1
    COVERED = 2
    CONTRADICTED = 3  # the reply states the opposite


@dataclass(frozen=True)
class PointResult:
    text: str
    status: PointStatus
    score: float  # 0-1
    keyword_coverage: float  # 0-1
    similarity: float  # best cosine with a clause of the reply (or neighbouring clauses, or the whole)
    core: bool = True  # a core point (needed for a pass) or a detail

    @property
    def covered(self) -> bool:
        return self.status is PointStatus.COVERED


@dataclass(frozen=True)
class MisconceptionResult:
    """A curated wrong claim the reply states, with the right statement."""

    claim: str
    correction: str


@dataclass(frozen=True)
class GradeResult:
    score: float  # 0-100 in whole points (the figure shown; the verdict is read from it)
    verdict: Verdict
    points: list[PointResult]
    language: str  # of the question (feedback labels default to it)
    notes: list[str] = field(default_factory=list)  # e.g. the reply was cut to its first N characters
    misconceptions: list[MisconceptionResult] = field(default_factory=list)

    @property
    def missed(self) -> list[str]:
        """Every key point the reply did not get: missed, only partly covered, or contradicted."""
        return [p.text for p in self.points if p.status is not PointStatus.COVERED]

    @property
    def covered(self) -> list[str]:
        return [p.text for p in self.points if p.status is PointStatus.COVERED]

    @property
    def contradicted(self) -> list[str]:
        return [p.text for p in self.points if p.status is PointStatus.CONTRADICTED]
