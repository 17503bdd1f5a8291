"""Wiring the grader to the question bank: references from bank questions, IDF from bank answers."""

from __future__ import annotations

from grading.glossary import DEFAULT_GLOSSARY_PATH, load_glossary
from grading.grader import Grader
from grading.reference import Misconception, Point, Reference
from grading.keywords import Idf
from grading.settings import GradingSettings
from questions.bank import Bank
from questions.model import KeyPoint, Question

__all__ = ["build_grader", "reference_for", "english_reference", "point_ref", "warm_up"]


def point_ref(point: KeyPoint) -> Point:
    """A bank key point as the grader sees it."""
    return Point(point.text, core=point.core, aliases=tuple(point.aliases), en=point.en or "", gist=point.gist or "")


def reference_for(question: Question) -> Reference:
    """The grading reference of a bank question (its key points, keyword overrides, misconceptions)."""
    keywords = {number: tuple(words) for number, words in question.keywords.items()}
    misconceptions = tuple(
        Misconception(m.claim, m.correction, m.claim_en or "", m.correction_en or "") for m in question.misconceptions
    )
    points = tuple(point_ref(p) for p in question.key_points)
    return Reference(question.question, question.answer, points, keywords, misconceptions)


def english_reference(question: Question) -> Reference | None:
    """A Chinese bank question as an English question would be graded (`Reference.english`): None
    when a key point has no English wording."""
    return reference_for(question).english() if question.key_points else None


def build_grader(settings: GradingSettings, bank: Bank | None = None) -> Grader:
    """A grader whose keyword weights come from the bank's reference answers."""
    glossary = load_glossary(settings.glossary or DEFAULT_GLOSSARY_PATH)
    answers = [q.answer for q in bank.questions if q.answered] if bank else []
    return Grader(settings, glossary=glossary, idf=Idf.from_texts(answers, glossary))


def warm_up(grader: Grader, bank: Bank) -> None:
    """Load the embedding models now (the first reply would wait for them otherwise).

    Raises:
        ModelUnavailable: a configured model cannot be loaded (the message names its config key).
    """
    question = next((q for q in bank.questions if q.gradable), None)
    if question is not None:
        grader.grade(reference_for(question), "预热 warm-up")
