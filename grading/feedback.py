"""Feedback on a graded reply: covered ✓ and missed ✗ key points in the reference's words, one tip.

`feedback_for` gives plain data for front-ends to render; `render_text` is the plain-text rendering.
Labels and tips are in the user's language when given, else the question's (zh or en), from the
message catalog (`grading.i18n`); key points stay in the reference's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .i18n import DEFAULT_LANGUAGE, LANGUAGES, _
from .result import GradeResult, PointStatus, Verdict

__all__ = ["Feedback", "feedback_for", "render_text"]

@dataclass(frozen=True)
class Feedback:
    language: str
    score: float
    verdict: str
    covered: list[str]
    partly: list[str]
    missed: list[str]
    contradicted: list[str]
    tip: str
    notes: list[str] = field(default_factory=list)
    misconceptions: list[tuple[str, str]] = field(default_factory=list)  # (wrong claim, right statement)


def feedback_for(result: GradeResult, language: str | None = None) -> Feedback:
    """Sort the key points by outcome (keeping the reference's order) and pick the one-line tip.

    `language` ("zh" or "en") is the language of the labels, the verdict and the tip: the user's
    (None: the question's). The key points themselves are quoted as the reference words them.
    """
    language = language or result.language
    language = language if language in LANGUAGES else DEFAULT_LANGUAGE
    by_status: dict[PointStatus, list[str]] = {status: [] for status in PointStatus}
    for point in result.points:
        by_status[point.status].append(point.text)
    missing = [p for p in result.points if p.status in (PointStatus.MISSED, PointStatus.PARTLY)]
    if result.misconceptions:
        tip = _("feedback.tip_misconception", language, claim=result.misconceptions[0].claim)
    elif len(by_status[PointStatus.CONTRADICTED]) > 1:
        # each is listed under ⚠ already: naming the first alone would pass over the others
        tip = _("feedback.tip_contradicted_several", language, count=len(by_status[PointStatus.CONTRADICTED]))
    elif by_status[PointStatus.CONTRADICTED]:
        tip = _("feedback.tip_contradicted", language, point=by_status[PointStatus.CONTRADICTED][0])
    elif not by_status[PointStatus.COVERED] and not by_status[PointStatus.PARTLY]:
        tip = _("feedback.tip_nothing", language)
    elif any(p.core for p in missing):
        # the reference lists the most important first
        tip = _("feedback.tip_missed", language, point=next(p.text for p in missing if p.core))
    elif result.verdict < Verdict.GOOD and missing:
        # Every core point made, yet not a pass: the answer is thin. Name what would round it out
        # (never "要点都答到了" under a partial score, nor ask again for a point shown as made).
        tip = _("feedback.tip_thin", language, point=missing[0].text)
    elif result.verdict < Verdict.GOOD:
        # Every point made, yet not a pass: they are not said clearly enough. Name the weakest.
        weakest = min([p for p in result.points if p.core] or result.points, key=lambda p: p.score)
        tip = _("feedback.tip_unclear", language, point=weakest.text)
    elif missing:
        tip = _("feedback.tip_details", language, point=missing[0].text)
    else:
        tip = _("feedback.tip_all", language)
    notes = []
    for note in result.notes:
        if note.startswith("truncated:"):
            notes.append(_("feedback.truncated", language, chars=note.split(":", 1)[1]))
    return Feedback(
        language=language,
        score=result.score,
        verdict=result.verdict.label(language),
        covered=by_status[PointStatus.COVERED],
        partly=by_status[PointStatus.PARTLY],
        missed=by_status[PointStatus.MISSED],
        contradicted=by_status[PointStatus.CONTRADICTED],
        tip=tip,
        notes=notes,
        misconceptions=[(m.claim, m.correction) for m in result.misconceptions],
    )


def render_text(feedback: Feedback) -> str:
    """Plain text, one key point per line.

    >>> from grading.result import GradeResult, PointResult, PointStatus, Verdict
    >>> r = GradeResult(40.0, Verdict.PARTIAL, [PointResult("训练时丢弃", PointStatus.COVERED, 0.9, 1.0, 0.7),
    ...                 PointResult("测试时不丢弃", PointStatus.MISSED, 0.1, 0.0, 0.2)], "zh")
    >>> print(render_text(feedback_for(r)))
    得分 40/100 · 部分正确
    ✓ 答到的要点
      · 训练时丢弃
    ✗ 没答到的要点
      · 测试时不丢弃
    建议补充：测试时不丢弃
    """
    language = feedback.language
    lines = [_("feedback.score", language, score=feedback.score, verdict=feedback.verdict)]
    for heading, points in (
        (_("feedback.covered", language), feedback.covered),
        (_("feedback.partly", language), feedback.partly),
        (_("feedback.missed", language), feedback.missed),
        (_("feedback.contradicted", language), feedback.contradicted),
    ):
        if points:
            lines.append(heading)
            lines.extend(f"  · {point}" for point in points)
    if feedback.misconceptions:
        lines.append(_("feedback.misconceptions", language))
        for claim, correction in feedback.misconceptions:
            lines.append(f"  · {claim}")
            if correction:
                lines.append("    " + _("feedback.correction", language, correction=correction))
    lines.append(feedback.tip)
    lines.extend(feedback.notes)
    return "\n".join(lines)
