"""Spaced repetition and question choice: real fsrs, a controlled clock, seeded randomness."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import fsrs
import pytest
from stand_ins import A, Q

from bot.scheduling import (
    DEFAULT_SCHEDULER,
    NEUTRAL_WEIGHT,
    PASS_SCORE,
    ReviewState,
    choose_followup_point,
    choose_next,
    next_due,
    open_question_allowed,
    rating_for,
    rerate,
    review,
    topic_weakness,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def answer(question_id: str, score: float, at: datetime, previous: ReviewState | None = None) -> ReviewState:
    return review(previous, question_id, rating_for(score), now=at)


def pick(**overrides) -> str | None:  # noqa: ANN003
    args = dict(questions=[], due=[], seen=set(), attempts=[], last_question_id=None, now=T0, rng=random.Random(0))
    args.update(overrides)
    return choose_next(**args)


# ---------------------------------------------------------------- ratings and reviews


def test_rating_for_splits_at_the_pass_score() -> None:
    assert PASS_SCORE == 60.0
    assert rating_for(30) is fsrs.Rating.Again
    assert rating_for(59.9) is fsrs.Rating.Again
    assert rating_for(60) is fsrs.Rating.Good
    assert rating_for(90) is fsrs.Rating.Good
    assert rating_for(70, pass_score=80) is fsrs.Rating.Again


def test_default_scheduler_is_not_fuzzed() -> None:
    assert DEFAULT_SCHEDULER.enable_fuzzing is False
    assert answer("q", 90, T0) == answer("q", 90, T0)


def test_a_failed_question_comes_back_before_a_passed_one() -> None:
    failed = answer("failed", 30, T0)
    passed = answer("passed", 90, T0)
    assert failed.last_rating == fsrs.Rating.Again and passed.last_rating == fsrs.Rating.Good
    assert T0 < failed.due < passed.due

    between = failed.due + (passed.due - failed.due) / 2
    assert failed.due <= between < passed.due
    questions = [Q("failed", "ml"), Q("passed", "ml"), Q("other", "ml")]
    chosen = pick(questions=questions, due=[passed, failed], seen={"failed", "passed", "other"}, now=between)
    assert chosen == "failed"
    # Before the failed one is due, a new question is asked instead.
    assert pick(questions=questions, due=[passed, failed], seen={"failed", "passed"}, now=T0 + timedelta(minutes=1)) == "other"


def test_review_state_is_plain_data_and_round_trips_through_fsrs() -> None:
    state = answer("q1", 90, T0)
    card = fsrs.Card.from_dict(state.card)
    assert card.due == state.due
    assert card.last_review == T0
    assert state.due.tzinfo is not None and state.due.utcoffset() == timedelta(0)


def test_review_returns_a_new_state_and_leaves_the_old_one_alone() -> None:
    first = answer("q1", 90, T0)
    snapshot = dict(first.card)
    second = answer("q1", 30, first.due, previous=first)
    assert first.card == snapshot
    assert second is not first and second.card["last_review"] == first.due.isoformat()
    assert second.due == first.due + timedelta(minutes=10)  # a lapse: relearn in 10 minutes


def test_review_rejects_another_questions_state() -> None:
    with pytest.raises(ValueError, match="q1"):
        review(answer("q1", 90, T0), "q2", fsrs.Rating.Good, now=T0)


def test_review_accepts_any_aware_zone_and_stores_utc() -> None:
    shanghai = T0.astimezone(ZoneInfo("Asia/Shanghai"))
    assert review(None, "q", fsrs.Rating.Good, now=shanghai) == answer("q", 90, T0)


def test_rerating_easy_instead_of_good_pushes_the_due_date_later() -> None:
    before = answer("q1", 90, T0)  # an earlier answer
    at = before.due  # the answer being re-rated
    good = review(before, "q1", fsrs.Rating.Good, now=at)
    easy = rerate(before, "q1", fsrs.Rating.Easy, now=at)
    hard = rerate(before, "q1", fsrs.Rating.Hard, now=at)
    assert hard.due < good.due < easy.due
    assert easy.last_rating == fsrs.Rating.Easy
    # On a first answer too: the re-rating replays from "never seen".
    assert rerate(None, "q2", fsrs.Rating.Easy, now=T0).due > answer("q2", 90, T0).due


def test_rerate_ignores_the_first_rating() -> None:
    before = answer("q1", 90, T0)
    at = before.due
    assert rerate(before, "q1", fsrs.Rating.Easy, now=at) == review(before, "q1", fsrs.Rating.Easy, now=at)


# ---------------------------------------------------------------- topic weakness


def test_topic_weakness_grows_as_the_recent_average_falls() -> None:
    questions = {q.id: q for q in [Q("w", "weak"), Q("s", "strong"), Q("n", "new")]}
    attempts = [A("w", 30, T0), A("s", 90, T0), A("s", 100, T0 + timedelta(hours=1))]
    weights = topic_weakness(attempts, questions)
    assert weights == pytest.approx({"weak": 1 + 70 / 50, "strong": 1 + 5 / 50, "new": NEUTRAL_WEIGHT})
    assert all(w >= 1 for w in weights.values())


def test_topic_weakness_looks_at_the_last_ten_attempts() -> None:
    questions = {"q": Q("q", "ml")}
    old_failures = [A("q", 0, T0 + timedelta(minutes=i)) for i in range(5)]
    recent_passes = [A("q", 100, T0 + timedelta(hours=1, minutes=i)) for i in range(10)]
    assert topic_weakness(recent_passes + old_failures, questions) == {"ml": 1.0}
    assert topic_weakness([A("unknown", 0, T0)], questions) == {"ml": NEUTRAL_WEIGHT}


def test_weak_topics_are_picked_more_often_than_strong_ones() -> None:
    questions = [Q(f"{topic}-{i}", topic) for topic in ("weak", "strong") for i in range(6)]
    attempts = [A("weak-0", 30, T0), A("strong-0", 90, T0)]  # weights 2.4 and 1.2
    rng = random.Random(1234)
    counts = {"weak": 0, "strong": 0}
    for _ in range(2000):
        chosen = pick(questions=questions, seen={"weak-0", "strong-0"}, attempts=attempts, rng=rng)
        counts[chosen.split("-")[0]] += 1
    assert counts["weak"] > 1.6 * counts["strong"]
    assert counts["weak"] / 2000 == pytest.approx(2 / 3, abs=0.04)


# ---------------------------------------------------------------- choose_next


def test_due_reviews_come_first_earliest_first() -> None:
    questions = [Q("a", "ml"), Q("b", "ml"), Q("new", "ml")]
    a, b = answer("a", 30, T0), answer("b", 30, T0 + timedelta(minutes=2))
    later = T0 + timedelta(hours=1)
    assert pick(questions=questions, due=[b, a], seen={"a", "b"}, now=later) == "a"
    assert pick(questions=questions, due=[b, a], seen={"a", "b"}, last_question_id="a", now=later) == "b"


def test_never_the_same_question_twice_in_a_row() -> None:
    questions = [Q("q1", "ml"), Q("q2", "ml")]
    rng = random.Random(5)
    for step in range(200):
        now = T0 + timedelta(days=30, minutes=step)
        last = "q1" if step % 2 else "q2"
        other = "q2" if last == "q1" else "q1"
        due_last = answer(last, 30, T0)  # due long ago
        due_other = answer(other, 100, T0 + timedelta(minutes=1))  # due later than the last, still due
        chosen = pick(questions=questions, due=[due_last, due_other], seen={"q1", "q2"},
                      last_question_id=last, now=now, rng=rng)
        assert chosen == other
        # Also when both are new.
        assert pick(questions=questions, last_question_id=last, now=now, rng=rng) == other


def test_the_last_question_is_repeated_only_when_no_other_is_new_or_due() -> None:
    assert pick(questions=[Q("only", "ml")], last_question_id="only") == "only"
    assert pick(questions=[Q("only", "ml"), Q("open", "ml", answered=False)], last_question_id="only") == "only"
    due_last = answer("a", 30, T0)
    not_due_other = answer("b", 100, T0 + timedelta(days=1))
    later = T0 + timedelta(days=1, hours=1)
    assert pick(questions=[Q("a", "ml"), Q("b", "ml")], due=[due_last, not_due_other], seen={"a", "b"},
                last_question_id="a", now=later) == "a"
    assert pick(questions=[]) is None
    assert pick(questions=[Q("open", "ml", answered=False)]) is None


def test_reviews_are_never_served_before_they_are_due() -> None:
    questions = [Q("a", "ml"), Q("b", "ml"), Q("c", "ml")]
    soon, later = answer("a", 30, T0), answer("b", 90, T0)
    seen = {"a", "b", "c"}
    assert pick(questions=questions, due=[later, soon], seen=seen, now=T0 + timedelta(minutes=1)) is None
    assert pick(questions=questions, due=[later, soon], seen=seen, now=soon.due) == "a"
    assert next_due([later, soon], {"a", "b"}) == soon.due
    assert next_due([later, soon], {"b"}) == later.due
    assert next_due([later, soon], {"c"}) is None


def test_seen_questions_without_a_review_state_are_not_served_again() -> None:
    questions = [Q("a", "ml"), Q("b", "ml")]
    attempts = [A("a", 50, T0), A("b", 50, T0 - timedelta(days=1))]
    assert pick(questions=questions, seen={"a", "b"}, attempts=attempts) is None


def test_open_questions_come_only_when_allowed_and_never_first() -> None:
    questions = [Q("graded", "ml"), Q("open", "ml", answered=False)]
    for seed in range(20):
        assert pick(questions=questions, rng=random.Random(seed)) == "graded"
    picks = {pick(questions=questions, rng=random.Random(seed), open_allowed=True) for seed in range(20)}
    assert picks == {"graded", "open"}
    assert pick(questions=[Q("open", "ml", answered=False)], open_allowed=True) == "open"


def test_an_open_question_is_allowed_once_in_every_seven_and_never_twice_in_a_row() -> None:
    asked, last_open, opens = 0, None, []
    for _ in range(40):
        if open_question_allowed(asked, last_open, every=7):
            asked += 1
            last_open = asked
            opens.append(asked)
        else:
            asked += 1
    assert opens == [7, 14, 21, 28, 35]
    assert not open_question_allowed(7, 7, every=7)  # the one just asked was open


def test_new_questions_are_answered_ones_and_not_seen() -> None:
    questions = [Q("seen", "ml"), Q("open", "ml", answered=False), Q("fresh", "ml")]
    for seed in range(20):
        assert pick(questions=questions, seen={"seen"}, rng=random.Random(seed)) == "fresh"


def test_the_topics_filter_is_respected() -> None:
    questions = [Q("ml-1", "ml"), Q("ml-2", "ml"), Q("cnn-1", "cnn-vision"), Q("py-1", "python")]
    due_elsewhere = answer("cnn-1", 30, T0)
    later = T0 + timedelta(hours=1)
    for seed in range(30):
        chosen = pick(questions=questions, due=[due_elsewhere], seen={"cnn-1"}, topics=["ml"],
                      now=later, rng=random.Random(seed))
        assert chosen in {"ml-1", "ml-2"}
    assert pick(questions=questions, due=[due_elsewhere], topics=["cnn-vision", "python"], now=later) == "cnn-1"
    assert pick(questions=questions, topics=["dl-basics"]) is None
    assert pick(questions=questions, topics=["python"], last_question_id="py-1") == "py-1"
    assert pick(questions=questions, topics=["python"], seen={"py-1"}, last_question_id="py-1") is None


def test_choice_is_reproducible_with_a_seeded_rng() -> None:
    questions = [Q(f"q{i}", "ml") for i in range(20)]
    first = [pick(questions=questions, rng=random.Random(42)) for _ in range(3)]
    assert len(set(first)) == 1
    assert pick(questions=list(reversed(questions)), rng=random.Random(42)) == first[0]


# ---------------------------------------------------------------- naive datetimes


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 3, 2, 9, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        review(None, "q", fsrs.Rating.Good, now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        rerate(None, "q", fsrs.Rating.Easy, now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        pick(questions=[Q("q", "ml")], now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        topic_weakness([A("q", 50, naive)], {"q": Q("q", "ml")})
    with pytest.raises(ValueError, match="timezone-aware"):
        ReviewState("q", {}, naive, None)


# ---------------------------------------------------------------- follow-ups


def test_the_followup_is_the_most_important_missed_point() -> None:
    assert choose_followup_point([3, 1, 4]) == 1
    assert choose_followup_point([0]) == 0
    assert choose_followup_point([]) is None
