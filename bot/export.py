"""Which cards `mockbot bank export` writes and in which order: the bank's order, or a practice
user's weakest questions first, each card carrying the key points that user missed.

The order for a user (`weakest_first`), from their graded answers and their FSRS cards:

1. **weak**: practised, and the latest graded answer scored under the pass line (60, what FSRS
   rates *Again*), was given up (the answer looked up before answering scores 0), or was re-rated
   *Again*. The lowest latest score comes first, then the one with more key points missed, then
   the one FSRS deems likelier forgotten (lower retrievability now).
2. **new**: never practised (no graded answer, no FSRS card), in bank order.
3. **strong**: passed last time, or an open question already seen. The one likeliest forgotten
   (lowest FSRS retrievability now) comes first, then the lower latest score.

Ties keep the bank order. Follow-up answers are left out (they grade one key point, not the question).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import fsrs

from questions.anki_export import ExportCard
from questions.model import Question

from .scheduling import DEFAULT_SCHEDULER, PASS_SCORE
from .storage import AttemptRecord, ReviewRecord, Store

__all__ = ["WEAK", "NEW", "STRONG", "STANDINGS", "user_key", "bank_order", "weakest_first", "cards_for_user"]

WEAK, NEW, STRONG = "weak", "new", "strong"
STANDINGS = (WEAK, NEW, STRONG)
_FRONT_ENDS = ("term:", "tg:")


def user_key(name: str) -> str:
    """The stored key of a practice user: `mockbot practice --user NAME` practises as "term:NAME";
    a key given whole ("tg:12345", a Telegram chat) is taken as it is."""
    return name if name.startswith(_FRONT_ENDS) else f"term:{name}"


def bank_order(questions: Sequence[Question]) -> list[ExportCard]:
    return [ExportCard(q) for q in questions]


def _retrievability(review: ReviewRecord, now: datetime) -> float:
    """How likely FSRS deems the answer still remembered at `now` (0-1)."""
    try:
        return float(DEFAULT_SCHEDULER.get_card_retrievability(fsrs.Card.from_dict(review.card), now))  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return 0.0


def _missed(question: Question, attempt: AttemptRecord | None) -> tuple[str, ...]:
    """The key points the attempt missed or got partly (and, marked ⚠, those it said the wrong way
    round), in the question's order."""
    if attempt is None:
        return ()
    points = question.key_points
    wrong = set(attempt.contradicted)
    indexes = sorted({i for i in (*attempt.missed, *attempt.contradicted) if 0 <= i < len(points)})
    return tuple(f"⚠ {points[i].text}" if i in wrong else points[i].text for i in indexes)


def weakest_first(
    questions: Sequence[Question],
    attempts: Sequence[AttemptRecord],
    reviews: Sequence[ReviewRecord],
    *,
    now: datetime,
    pass_score: float = PASS_SCORE,
) -> list[ExportCard]:
    """The questions as cards, the user's weakest first (see the module's docstring for the order)."""
    latest: dict[str, AttemptRecord] = {}
    for attempt in sorted(attempts, key=lambda a: (a.created_at, a.id)):
        if not attempt.is_followup:
            latest[attempt.question_id] = attempt
    by_question = {r.question_id: r for r in reviews}
    ranked: list[tuple[tuple, ExportCard]] = []
    for position, question in enumerate(questions):
        attempt = latest.get(question.id)
        review = by_question.get(question.id)
        missed = _missed(question, attempt)
        if attempt is None and review is None:
            ranked.append(((1, position), ExportCard(question, (), NEW)))
            continue
        recall = _retrievability(review, now) if review is not None else 0.0
        score = attempt.score if attempt is not None else 100.0
        again = review is not None and review.last_rating == int(fsrs.Rating.Again)
        if (attempt is not None and attempt.score < pass_score) or again:
            key: tuple = (0, score, -len(missed), recall, position)
            ranked.append((key, ExportCard(question, missed, WEAK)))
        else:
            ranked.append(((2, recall, score, position), ExportCard(question, missed, STRONG)))
    ranked.sort(key=lambda pair: pair[0])
    return [card for _, card in ranked]


def cards_for_user(store: Store, key: str, questions: Sequence[Question], *, now: datetime) -> list[ExportCard]:
    """The questions as cards for the user with this stored key, weakest first."""
    return weakest_first(questions, store.attempts(key), store.reviews(key), now=now)
