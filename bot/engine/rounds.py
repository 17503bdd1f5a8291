"""Group mock interviews: N questions, each open for a time limit, answers graded, then a leaderboard.

Transport-free like the rest of the engine: the front-end posts each question (`question_reply`)
and reports its message (`question_posted`), delivers replies to the question message here, and
calls `close_question` when a question's time is up.

A reply is judged by when it was sent (`sent_at`, the message's date), not by when it is handled:
one sent before the deadline counts however late the front-end gets to it, as long as the question
has not been closed. A round runs in one chat and, in a forum, one topic of it (`thread_id`, 0: no
topic): each topic may run a round of its own.

A round's current question is posted when its `message_id` is set: a round whose question has no
message yet (just started, or just moved on) still has to post it, also after a restart. A
question's results, and the leaderboard after the last one, are queued in the outbox in the same
transaction that moves the round on, so they are neither lost nor queued twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from grading.i18n import N_
from grading.result import PointStatus
from questions.model import Question

from ..grading_app import reference_for
from ..storage import RoundRecord, RoundState
from .core import as_utc
from .engine import PracticeEngine
from .library import deck_of
from .replies import Reply, ReplyKind
from .texts import join_list, t

__all__ = [
    "RoundRules", "Answered", "parse_mock_args", "start_round", "question_reply", "question_posted", "round_answer",
    "close_question", "stop_round", "round_question", "MAX_NAME",
]

MIN_QUESTIONS, MAX_QUESTIONS, DEFAULT_QUESTIONS = 1, 10, 3
MIN_SECONDS, MAX_SECONDS, DEFAULT_SECONDS = 15, 600, 90
MAX_NAME = 128  # characters of a display name that are stored (the column's size)


class Answered(Enum):
    """What became of a member's reply to the open question."""

    RECEIVED = "received"  # graded and counted
    ALREADY = "already"  # they had answered this question: the first answer counts


@dataclass(frozen=True)
class RoundRules:
    questions: int = DEFAULT_QUESTIONS
    topic: str | None = None
    seconds: int = DEFAULT_SECONDS


def parse_mock_args(args: list[str]) -> RoundRules | str:
    """`/mock [N] [topic] [seconds]`: numbers in order are N then seconds; anything else is the topic.
    Returns the rules, or the message id of why they are not valid."""
    numbers, words = [], []
    for arg in args:
        (numbers if arg.lstrip("-").isdigit() else words).append(arg)
    values = [int(n) for n in numbers]
    if len(values) > 2 or any(v <= 0 for v in values):
        return N_("mock_usage")
    count = values[0] if values else DEFAULT_QUESTIONS
    seconds = values[1] if len(values) > 1 else DEFAULT_SECONDS
    if not MIN_QUESTIONS <= count <= MAX_QUESTIONS or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        return N_("mock_usage")
    return RoundRules(count, " ".join(words) or None, seconds)


def round_question(engine: PracticeEngine, question_id: str) -> Question | None:
    """A question of a round: from the shared bank, or from the deck the group's admin attached
    when the round started (None if that deck has been deleted since)."""
    deck_id = deck_of(question_id)
    if deck_id is None:
        return engine.bank.get(question_id)
    deck = engine.store.deck(deck_id)
    questions = engine.deck_cache.questions(engine.store, deck) if deck is not None else ()
    return next((q for q in questions if q.id == question_id), None)


def _gone(question_id: str) -> Question:
    """A stand-in for a question whose deck was deleted during the round (nothing to grade against)."""
    return Question(id=question_id, topic="ml", question="…")


def question_reply(engine: PracticeEngine, record: RoundRecord, language: str) -> Reply:
    """The round's current question, as the message to post."""
    question_id = record.question_ids[record.current_index]
    question = round_question(engine, question_id) or _gone(question_id)
    header = t(
        "mock_question", language, n=record.current_index + 1, total=len(record.question_ids), seconds=record.seconds
    )
    return Reply(ReplyKind.QUESTION, f"{header}\n\n{question.question}", question_id=question.id, images=tuple(question.images))  # type: ignore[union-attr]


def question_posted(engine: PracticeEngine, record: RoundRecord, message_id: int, *, now: datetime | None = None) -> RoundRecord:
    """The round's current question was posted as `message_id`: answers are replies to it, and it
    is open for the round's seconds from `now` (also when it is posted late, after a restart)."""
    now = as_utc(now)
    return engine.store.update_round(record.id, message_id=message_id, deadline_at=now + timedelta(seconds=record.seconds))


def start_round(
    engine: PracticeEngine, chat_key: str, starter_key: str, rules: RoundRules, *, language: str,
    now: datetime | None = None, thread_id: int = 0,
) -> tuple[RoundRecord | None, Reply]:
    """Pick the questions and create the round in the chat's topic `thread_id` (0: no topic);
    (None, an error reply) if that is not possible, e.g. a round already runs there.

    The round's first question is not posted yet (no message, no deadline): the reply is that
    question, for the front-end to post and report with `question_posted`."""
    now = as_utc(now)
    if engine.store.active_rounds(chat_key, thread_id):
        return None, Reply(ReplyKind.ERROR, t("mock_running", language))
    topic_id = None
    if rules.topic:
        found = engine.taxonomy.resolve(rules.topic)
        if found is None:
            known = ", ".join(x.id for x in engine.taxonomy.topics)
            return None, Reply(ReplyKind.ERROR, t("unknown_topic", language, topic=rules.topic, topics=known))
        topic_id = found.id
    deck = engine.store.group_deck(chat_key)  # a deck the group's admin attached, else the shared bank
    questions = engine.deck_cache.questions(engine.store, deck) if deck is not None else engine.bank.questions
    pool = [q.id for q in questions if q.gradable and topic_id in (None, q.topic)]
    if len(pool) < rules.questions:
        return None, Reply(ReplyKind.ERROR, t("no_topic_questions", language, topic=rules.topic or "*"))
    chosen = engine.rng.sample(sorted(pool), rules.questions)
    record = engine.store.create_round(chat_key, starter_key, chosen, seconds=rules.seconds, now=now, thread_id=thread_id)
    return record, question_reply(engine, record, language)


def round_answer(
    engine: PracticeEngine, round_id: int, user_key: str, name: str, text: str, *,
    message_id: int | None = None, sent_at: datetime | None = None, now: datetime | None = None,
) -> Answered | None:
    """Grade a member's reply to the open question (the one posted as `message_id`, if given),
    sent at `sent_at` (default: `now`); None when it is not an answer to take."""
    now = as_utc(now)
    sent = as_utc(sent_at or now)
    text = text.replace("\x00", "")  # PostgreSQL's text columns refuse NUL characters
    name = name.replace("\x00", "")[:MAX_NAME]
    record = engine.store.round(round_id)
    if record is None or record.state != RoundState.RUNNING or record.deadline_at is None or sent > record.deadline_at:
        return None  # not running, not posted yet (no deadline), or sent after its time ran out
    if message_id is not None and record.message_id != message_id:
        return None  # a reply to an earlier question, which has closed meanwhile
    if not text.strip():
        return None
    question = round_question(engine, record.question_ids[record.current_index])
    if question is None or not question.gradable:
        return None  # its deck was deleted meanwhile: nothing to grade against
    result = engine.grader.grade(reference_for(question), text)
    covered = [i for i, p in enumerate(result.points) if p.status is PointStatus.COVERED]
    stored = engine.store.add_round_answer(
        round_id, record.current_index, user_key, name, text, result.score, covered, now=now
    )
    return Answered.ALREADY if stored is None else Answered.RECEIVED


def close_question(engine: PracticeEngine, round_id: int, *, language: str, now: datetime | None = None) -> RoundRecord | None:
    """Time is up: queue who covered which key points (and, after the last question, the
    leaderboard) for the chat, in the same transaction that moves the round on.

    Returns the round when a question of it is to be posted next (its `message_id` is None): the
    next one, or the current one if that was never posted (then nothing is closed). None when the
    round has ended, is not running, or another caller closed this question first."""
    now = as_utc(now)
    record = engine.store.round(round_id)
    if record is None or record.state != RoundState.RUNNING:
        return None
    if record.message_id is None:
        return record  # not posted yet: nothing to close
    question_id = record.question_ids[record.current_index]
    question = round_question(engine, question_id) or _gone(question_id)
    answers = engine.store.round_answers(round_id, record.current_index)
    lines = [t("mock_results", language, n=record.current_index + 1, question=question.question)]  # type: ignore[union-attr]
    for number, point in enumerate(question.key_points):  # type: ignore[union-attr]
        names = [a.display_name for a in answers if number in a.covered]
        lines.append(f"{number + 1}. {point}\n   ✓ {join_list(names, language) if names else '—'}")
    if answers:
        lines.append(" · ".join(f"{a.display_name} {a.score:.0f}" for a in sorted(answers, key=lambda a: -a.score)))
    else:
        lines.append(t("mock_nobody", language))
    results = "\n".join(lines)
    if record.current_index + 1 < len(record.question_ids):
        return engine.store.advance_round(
            round_id, [results], now=now, expected_index=record.current_index,
            current_index=record.current_index + 1, message_id=None, deadline_at=None,
        )
    board = _leaderboard(engine, round_id, language).text
    engine.store.advance_round(
        round_id, [results, board], now=now, expected_index=record.current_index,
        state=RoundState.FINISHED.value, deadline_at=None,
    )
    return None


def _leaderboard(engine: PracticeEngine, round_id: int, language: str) -> Reply:
    totals: dict[str, tuple[str, float, int]] = {}
    for answer in engine.store.round_answers(round_id):
        name, total, count = totals.get(answer.user_key, (answer.display_name, 0.0, 0))
        totals[answer.user_key] = (name, total + answer.score, count + 1)
    if not totals:
        return Reply(ReplyKind.INFO, t("mock_empty_board", language))
    ranked = sorted(totals.values(), key=lambda x: -x[1])
    medals = ["🥇", "🥈", "🥉"]
    lines = [t("mock_board", language)]
    for place, (name, total, count) in enumerate(ranked):
        mark = medals[place] if place < len(medals) else f"{place + 1}."
        lines.append(t("mock_board_line", language, mark=mark, name=name, total=total, count=count))
    return Reply(ReplyKind.INFO, "\n".join(lines))


def stop_round(
    engine: PracticeEngine, chat_key: str, by_key: str, *, is_admin: bool, language: str, thread_id: int = 0
) -> Reply:
    """/mock_stop: only the starter or a chat admin may end the round of this chat's topic
    `thread_id` early (the leaderboard so far)."""
    running = engine.store.active_rounds(chat_key, thread_id)
    if not running:
        return Reply(ReplyKind.ERROR, t("mock_none", language))
    record = running[0]
    if by_key != record.starter_key and not is_admin:
        return Reply(ReplyKind.ERROR, t("mock_not_allowed", language))
    if engine.store.advance_round(record.id, [], state=RoundState.STOPPED.value, deadline_at=None) is None:
        return Reply(ReplyKind.ERROR, t("mock_none", language))  # it ended meanwhile
    board = _leaderboard(engine, record.id, language)
    return Reply(ReplyKind.INFO, t("mock_stopped", language) + "\n" + board.text)
