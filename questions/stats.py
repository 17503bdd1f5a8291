"""Counting the bank: totals, answered/unanswered, per source, per topic, per answer kind."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .model import AnswerKind, Question
from .taxonomy import Taxonomy

__all__ = ["HAND_WRITTEN", "bank_stats"]

HAND_WRITTEN = "(hand-written)"  # the source key of questions that come from no seed


def _split(questions: list[Question]) -> dict[str, int]:
    answered = sum(1 for q in questions if q.answered)
    return {"total": len(questions), "answered": answered, "unanswered": len(questions) - answered}


def bank_stats(questions: list[Question], taxonomy: Taxonomy) -> dict[str, Any]:
    """All counts as one JSON-able object (the shape of `mockbot bank stats --json`)."""
    by_source: dict[str, list[Question]] = {}
    for q in questions:
        by_source.setdefault(q.source or HAND_WRITTEN, []).append(q)
    by_topic: dict[str, Any] = {}
    for topic in taxonomy.topics:
        members = [q for q in questions if q.topic == topic.id]
        by_topic[topic.id] = {"zh": topic.zh, "en": topic.en, **_split(members)}
    kinds = Counter(q.answer_kind for q in questions)
    return {
        **_split(questions),
        "by_source": {source: _split(members) for source, members in sorted(by_source.items())},
        "by_topic": by_topic,
        "by_kind": {kind.value: kinds.get(kind, 0) for kind in AnswerKind},
    }
