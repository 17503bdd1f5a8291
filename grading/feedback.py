"""Feedback on a graded reply: covered ✓ and missed ✗ key points in the reference's words, one tip.

`feedback_for` gives plain data for front-ends to render; `render_text` is the plain-text rendering.
Labels and tips are in the user's language when given, else the question's (zh or en); key points
stay in the reference's words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .result import GradeResult, PointStatus

__all__ = ["Feedback", "feedback_for", "render_text"]

_TEXTS = {
    "zh": {
        "score": "得分 {score:.0f}/100 · {verdict}",
        "covered": "✓ 答到的要点",
        "partly": "～ 只答到一部分",
        "missed": "✗ 没答到的要点",
        "contradicted": "⚠ 说反了",
        "misconceptions": "⚠ 常见误区",
        "correction": "正确的说法：{correction}",
        "tip_contradicted": "注意：「{point}」这一点，你的说法和参考答案相反。",
        "tip_misconception": "注意：「{claim}」是常见误区。",
        "tip_missed": "建议补充：{point}",
        "tip_details": "核心要点都答到了，还可以补充：{point}",
        "tip_all": "要点都答到了，继续保持！",
        "tip_nothing": "这次没有答到要点，可以先看看参考答案再试一次。",
        "truncated": "回答太长，只评了前 {chars} 个字符。",
    },
    "en": {
        "score": "Score {score:.0f}/100 · {verdict}",
        "covered": "✓ Key points you made",
        "partly": "~ Only partly made",
        "missed": "✗ Key points you missed",
        "contradicted": "⚠ Stated the opposite",
        "misconceptions": "⚠ A common misconception",
        "correction": "In fact: {correction}",
        "tip_contradicted": "Careful: on “{point}” you said the opposite of the reference answer.",
        "tip_misconception": "Careful: “{claim}” is a common misconception.",
        "tip_missed": "Add next time: {point}",
        "tip_details": "Every core point made; you could add: {point}",
        "tip_all": "Every key point made. Keep it up!",
        "tip_nothing": "No key point made this time: read the reference answer and try again.",
        "truncated": "Your answer was long: only its first {chars} characters were graded.",
    },
}


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
    language = language if language in _TEXTS else "zh"
    texts = _TEXTS[language]
    by_status: dict[PointStatus, list[str]] = {status: [] for status in PointStatus}
    for point in result.points:
        by_status[point.status].append(point.text)
    missing = [p for p in result.points if p.status in (PointStatus.MISSED, PointStatus.PARTLY)]
    if result.misconceptions:
        tip = texts["tip_misconception"].format(claim=result.misconceptions[0].claim)
    elif by_status[PointStatus.CONTRADICTED]:
        tip = texts["tip_contradicted"].format(point=by_status[PointStatus.CONTRADICTED][0])
    elif not by_status[PointStatus.COVERED] and not by_status[PointStatus.PARTLY]:
        tip = texts["tip_nothing"]
    elif any(p.core for p in missing):
        # the reference lists the most important first
        tip = texts["tip_missed"].format(point=next(p.text for p in missing if p.core))
    elif missing:
        tip = texts["tip_details"].format(point=missing[0].text)
    else:
        tip = texts["tip_all"]
    notes = []
    for note in result.notes:
        if note.startswith("truncated:"):
            notes.append(texts["truncated"].format(chars=note.split(":", 1)[1]))
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
    texts = _TEXTS[feedback.language]
    lines = [texts["score"].format(score=feedback.score, verdict=feedback.verdict)]
    for key, points in (
        ("covered", feedback.covered),
        ("partly", feedback.partly),
        ("missed", feedback.missed),
        ("contradicted", feedback.contradicted),
    ):
        if points:
            lines.append(texts[key])
            lines.extend(f"  · {point}" for point in points)
    if feedback.misconceptions:
        lines.append(texts["misconceptions"])
        for claim, correction in feedback.misconceptions:
            lines.append(f"  · {claim}")
            if correction:
                lines.append("    " + texts["correction"].format(correction=correction))
    lines.append(feedback.tip)
    lines.extend(feedback.notes)
    return "\n".join(lines)
