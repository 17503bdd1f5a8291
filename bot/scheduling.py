"""Which question comes next: spaced repetition (FSRS) per question, weighted by weak topics.

Everything here is pure: plain data in, plain data out. The caller passes the clock (`now`, a
timezone-aware datetime) and the randomness (`rng`), and stores what comes back.

The flow of one answer:

1. the grader gives a 0-100 score; `rating_for(score)` turns it into an FSRS rating
   (under `PASS_SCORE` is a lapse, `Again`; otherwise `Good`);
2. `review(previous_state, question_id, rating, now=...)` returns the question's new
   `ReviewState` (a failed question is due again within the session, a passed one in days);
3. if the user re-rates the answer (Hard/Easy) from the feedback, `rerate(previous_state, ...)`
   replays that same answer from the state *before* it, with the new rating;
4. `choose_next(...)` picks the next question: due reviews first, else a new question from a
   topic drawn in proportion to how weak it is (`topic_weakness`), never the same question twice
   in a row, never a review before it is due (None then: the caller says when `next_due` is).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

import fsrs

__all__ = [
    "PASS_SCORE",
    "RECENT_ATTEMPTS",
    "NEUTRAL_WEIGHT",
    "DEFAULT_SCHEDULER",
    "AttemptLike",
    "QuestionLike",
    "ReviewState",
    "rating_for",
    "review",
    "rerate",
    "topic_weakness",
    "choose_next",
    "next_due",
    "open_question_allowed",
    "choose_followup_point",
]

PASS_SCORE = 60.0
"""A reply scoring under this is a lapse (`Rating.Again`): the 良好 (good) threshold of the grader's
fair scale (`grading.settings.VerdictThresholds.good`), so a 良好 is always a pass."""

RECENT_ATTEMPTS = 10
"""How many of a topic's latest attempts its weakness is computed from."""

NEUTRAL_WEIGHT = 1.5
"""The weakness of a topic never tried: that of a 75-point average, so new material still comes."""

DEFAULT_SCHEDULER = fsrs.Scheduler(
    learning_steps=(timedelta(minutes=10),),
    relearning_steps=(timedelta(minutes=10),),
    enable_fuzzing=False,
)
"""FSRS with one 10-minute (re)learning step and no fuzzing, so intervals are deterministic.

A failed question comes back about 10 minutes later (later in the same session); a passed one
graduates at once and comes back in days (FSRS's default parameters: Good ~2 days, Easy ~8).
"""


class AttemptLike(Protocol):
    """One graded reply, as the caller stores it."""

    @property
    def question_id(self) -> str: ...

    @property
    def score(self) -> float: ...  # 0-100

    @property
    def created_at(self) -> datetime: ...  # timezone-aware


class QuestionLike(Protocol):
    """What scheduling needs of a question (`questions.model.Question` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def topic(self) -> str: ...

    @property
    def answered(self) -> bool: ...


def _utc(value: datetime, name: str = "now") -> datetime:
    """`value` in UTC; raise ValueError if it is naive."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class ReviewState:
    """The spaced-repetition state of one question for one user.

    Attributes:
        question_id: the question's id.
        card: `fsrs.Card.to_dict()` (JSON-able; rebuild with `fsrs.Card.from_dict`).
        due: when the question is due again (UTC-aware; the same instant as `card["due"]`).
        last_rating: the `fsrs.Rating` value of the last review, or None.
    """

    question_id: str
    card: dict
    due: datetime
    last_rating: int | None

    def __post_init__(self) -> None:
        _utc(self.due, "due")


def rating_for(score: float, *, pass_score: float = PASS_SCORE) -> fsrs.Rating:
    """The FSRS rating of a 0-100 score: under `pass_score` is `Again`, otherwise `Good`.

    >>> rating_for(30).name, rating_for(60).name
    ('Again', 'Good')
    """
    return fsrs.Rating.Again if score < pass_score else fsrs.Rating.Good


def review(
    previous: ReviewState | None,
    question_id: str,
    rating: fsrs.Rating,
    *,
    now: datetime,
    scheduler: fsrs.Scheduler | None = None,
) -> ReviewState:
    """Review a question with `rating` at `now` and return its new state.

    Args:
        previous: the question's state before this answer, or None for a question never reviewed.
        question_id: the question's id (must match `previous.question_id`).
        rating: the answer's rating, usually `rating_for(score)`.
        now: when the answer was given (timezone-aware; converted to UTC).
        scheduler: an `fsrs.Scheduler`; `DEFAULT_SCHEDULER` when None.

    Returns:
        A new `ReviewState`; `previous` is left as it was.

    Raises:
        ValueError: `now` is naive, or `previous` belongs to another question.
    """
    when = _utc(now)
    if previous is not None and previous.question_id != question_id:
        raise ValueError(f"review state of {previous.question_id!r} given for {question_id!r}")
    if previous is None:
        # An explicit id and due keep fsrs away from the wall clock (and its 1 ms sleep).
        card = fsrs.Card(card_id=int(when.timestamp() * 1000), due=when)
    else:
        card = fsrs.Card.from_dict(previous.card)  # type: ignore[arg-type]
    rated = fsrs.Rating(rating)
    new_card, _log = (scheduler or DEFAULT_SCHEDULER).review_card(card, rated, review_datetime=when)
    return ReviewState(question_id, dict(new_card.to_dict()), _utc(new_card.due, "due"), int(rated))


def rerate(
    before: ReviewState | None,
    question_id: str,
    rating: fsrs.Rating,
    *,
    now: datetime,
    scheduler: fsrs.Scheduler | None = None,
) -> ReviewState:
    """Re-apply a different rating to the same answer (the user picked Hard/Easy in the feedback).

    The answer is replayed from `before`, the state *before* that answer, so the first rating
    leaves no trace. Pass the answer's own time as `now` (the rated card's `last_review`), so
    that re-rating a minute later gives the same schedule as rating it right away.

    Returns:
        The state the question would have had if the answer had been rated `rating`.
    """
    return review(before, question_id, rating, now=now, scheduler=scheduler)


def topic_weakness(attempts: Sequence[AttemptLike], questions: Mapping[str, QuestionLike]) -> dict[str, float]:
    """How much each topic should be practised: a weight of at least 1, higher for weaker topics.

    A tried topic weighs `1 + (100 - avg) / 50`, where `avg` is the average score of its latest
    `RECENT_ATTEMPTS` attempts (so 1.0 at 100 points, 2.0 at 50, 3.0 at 0). A topic of `questions`
    never tried weighs `NEUTRAL_WEIGHT` (1.5, as a 75 average). Attempts at questions missing
    from `questions` are ignored.

    Raises:
        ValueError: an attempt's `created_at` is naive.
    """
    by_topic: dict[str, list[AttemptLike]] = {q.topic: [] for q in questions.values()}
    for attempt in attempts:
        question = questions.get(attempt.question_id)
        if question is not None:
            _utc(attempt.created_at, "created_at")
            by_topic[question.topic].append(attempt)
    weights: dict[str, float] = {}
    for topic, items in by_topic.items():
        if not items:
            weights[topic] = NEUTRAL_WEIGHT
            continue
        recent = sorted(items, key=lambda a: _utc(a.created_at))[-RECENT_ATTEMPTS:]
        average = sum(min(max(a.score, 0.0), 100.0) for a in recent) / len(recent)
        weights[topic] = 1.0 + (100.0 - average) / 50.0
    return weights


def choose_next(
    *,
    questions: Sequence[QuestionLike],
    due: Sequence[ReviewState],
    seen: set[str],
    attempts: Sequence[AttemptLike],
    topics: Sequence[str] = (),
    last_question_id: str | None,
    now: datetime,
    rng: random.Random,
    open_allowed: bool = False,
) -> str | None:
    """Pick the id of the next question to ask, or None when nothing is new or due.

    Answered questions of the chosen `topics` (all topics when empty) are candidates, and, when
    `open_allowed`, questions without an answer too (open practice questions; the caller decides
    how often they may come, see `open_question_allowed`), in this order:

    1. a review that is due (`due <= now`), the earliest due first;
    2. a new question (not in `seen` and without a review state): an open one with even odds
       when both kinds are left, else an answered one drawn at random with probability
       proportional to its topic's `topic_weakness`.

    Reviews that are not due yet are never served early: a good schedule is not reset by an
    answer given before its time. `last_question_id` is never returned while any other
    candidate exists.

    Args:
        questions: the bank.
        due: the user's review states (any due date; only those due by `now` are served).
        seen: ids of questions the user was already asked.
        attempts: the user's graded replies (for topic weakness).
        topics: topic ids to practise; empty for all.
        last_question_id: the question asked just before, if any.
        now: the current time (timezone-aware).
        rng: the source of randomness (seed it for reproducible picks).
        open_allowed: whether an open question may come now.

    Returns:
        A question id, or None: the chosen topics have no question at all, or none is new or due
        (see `next_due` for when one will be).

    Raises:
        ValueError: `now` (or an attempt's `created_at`) is naive.
    """
    when = _utc(now)
    wanted = set(topics)
    in_scope = {
        q.id: q for q in questions if (q.answered or open_allowed) and (not wanted or q.topic in wanted)
    }
    known = set(seen) | {r.question_id for r in due}

    def servable(pool: Mapping[str, QuestionLike]) -> str | None:
        reviews = sorted((r for r in due if r.question_id in pool), key=lambda r: (_utc(r.due, "due"), r.question_id))
        for state in reviews:
            if state.due <= when:
                return state.question_id
        fresh = sorted(qid for qid in pool if qid not in known and pool[qid].answered)
        fresh_open = sorted(qid for qid in pool if qid not in known and not pool[qid].answered)
        if fresh_open and (not fresh or rng.random() < 0.5):
            return rng.choice(fresh_open)
        if fresh:
            weights = topic_weakness(attempts, {q.id: q for q in questions})
            return rng.choices(fresh, weights=[weights.get(pool[qid].topic, NEUTRAL_WEIGHT) for qid in fresh])[0]
        return None

    others = {qid: q for qid, q in in_scope.items() if qid != last_question_id}
    chosen = servable(others)
    if chosen is None and last_question_id in in_scope:
        chosen = servable({last_question_id: in_scope[last_question_id]})  # the only one left
    return chosen


def next_due(due: Sequence[ReviewState], question_ids: set[str]) -> datetime | None:
    """When the first review among `question_ids` falls due (UTC), or None if none has a state."""
    times = [_utc(r.due, "due") for r in due if r.question_id in question_ids]
    return min(times) if times else None


def open_question_allowed(asked_count: int, open_asked_count: int | None, *, every: int) -> bool:
    """Whether the next question may be an open one: at most one in every `every` questions, so
    never among a chat's first `every - 1` questions and never two in a row.

    `asked_count` is how many questions the chat was asked so far; `open_asked_count` is the
    ordinal of the last open one (the `asked_count` right after asking it), None if none was.

    >>> open_question_allowed(5, None, every=7), open_question_allowed(6, None, every=7)
    (False, True)
    >>> open_question_allowed(12, 7, every=7), open_question_allowed(13, 7, every=7)
    (False, True)
    """
    last = open_asked_count if open_asked_count is not None else 0
    return asked_count + 1 >= last + every


def choose_followup_point(missed: Sequence[int]) -> int | None:
    """The key point to ask a follow-up about: the most important missed one, or None.

    Key points are ordered by importance, so that is the lowest index.

    >>> choose_followup_point([3, 1, 4]), choose_followup_point([])
    (1, None)
    """
    return min(missed) if missed else None
