"""What every part of the practice engine shares: its state (the store, the bank, the grader, the
taxonomy, the user settings it applies) and the replies they all build (a question message and its
buttons, an info text in the user's language, a time in the user's zone), and one review step.

The parts (`reveals`, `presses`, `settings`) and the `PracticeEngine` facade build on `EngineCore`.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import fsrs

from grading.grader import Grader
from questions.bank import Bank
from questions.model import Question
from questions.taxonomy import Taxonomy

from ..scheduling import ReviewState, review
from ..storage import Store
from .library import DeckCache, DeckLimits, QuestionPool
from .replies import Action, Button, Reply, ReplyKind
from .texts import LANGUAGES, TELEGRAM_COMMANDS, t

__all__ = ["EngineCore", "IDLE", "ASKED", "FEEDBACK", "HINT_COST", "as_utc", "review_state"]

IDLE, ASKED, FEEDBACK = 0, 1, 2  # chat states, stored as their value
HINT_COST = 10.0  # points off the score for each hint taken before answering


def as_utc(now: datetime | None) -> datetime:
    """`now` (default: this moment) in UTC; a naive datetime is refused."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return now.astimezone(timezone.utc)


def review_state(record) -> ReviewState | None:  # noqa: ANN001 - a storage ReviewRecord
    """A stored review as scheduling sees it (None for no review)."""
    if record is None:
        return None
    return ReviewState(record.question_id, record.card, record.due, record.last_rating)


class EngineCore:
    """The state of the engine and the replies every part of it builds; state lives in the `Store`."""

    def __init__(
        self,
        store: Store,
        bank: Bank,
        grader: Grader,
        taxonomy: Taxonomy,
        *,
        default_language: str = "zh",
        rng: random.Random | None = None,
        answers_per_minute: int | None = 12,
        store_answers: bool = True,
        answer_retention_days: int | None = None,
        commands: dict[str, str] | None = None,
        deck_limits: DeckLimits | None = None,
    ) -> None:
        self.store = store
        self.bank = bank
        self.grader = grader
        self.taxonomy = taxonomy
        self.default_language = default_language
        self.rng = rng or random.Random()
        self.answers_per_minute = answers_per_minute  # flood protection on grading, per user (None: off)
        self.commands = commands or TELEGRAM_COMMANDS  # how the front-end spells its commands
        self.store_answers = store_answers  # False: attempts keep scores and key points, not the text
        self.answer_retention_days = answer_retention_days  # None: answer texts kept until /forget
        self.deck_limits = deck_limits or DeckLimits()  # what users may import as decks of their own
        self.deck_cache = DeckCache()  # parsed decks, shared by every user's calls

    def replace_bank(self, bank: Bank) -> None:
        """Serve questions from `bank` from now on (the bank files were edited and loaded again).

        One assignment: a call that starts afterwards sees only the new bank. Open questions whose
        id is gone are dropped when next looked up, as after a restart.
        """
        self.bank = bank

    # ------------------------------------------------------------------ helpers

    def library(self, user_key: str) -> QuestionPool:
        """The questions this user may be asked or look up: the shared bank and the user's own
        decks (never another user's)."""
        return self.deck_cache.pool(self.store, self.bank, self.store.decks(user_key))

    def language(self, user_key: str) -> str:
        user = self.store.user(user_key)
        return user.language if user.language in LANGUAGES else self.default_language

    def _topic_name(self, topic_id: str, language: str) -> str:
        topic = self.taxonomy.by_id.get(topic_id)
        return topic.name(language) if topic else topic_id

    def t(self, key: str, language: str, **values: object) -> str:
        """The text `key` with this front-end's command names filled in."""
        return t(key, language, **{**self.commands, **values})

    def format_time(self, user_key: str, when: datetime) -> str:
        """`when` in the user's time zone, with the zone named: "2026-11-30 11:56 (Asia/Shanghai)"."""
        name = self.store.user(user_key).timezone
        local = when.astimezone(ZoneInfo(name)).strftime("%Y-%m-%d %H:%M")
        return t("time_in_zone", self.language(user_key), time=local, zone=name)

    def _info(self, user_key: str, key: str, kind: ReplyKind = ReplyKind.INFO, **values: object) -> Reply:
        return Reply(kind, self.t(key, self.language(user_key), **values))

    def question_title(self, question: Question, language: str, number: int, deck: str | None = None) -> str:
        """"第 3 题 · CNN与视觉  [004-…]": the first line of a question message; a question of the
        user's own deck names the deck after the topic."""
        topic = self._topic_name(question.topic, language) + (f" · {deck}" if deck else "")
        header = t("question", language, n=number, topic=topic)
        return f"{header}  [{question.id}]"

    def _question_message(
        self, question: Question, language: str, count: int, *, prefix: str = "", hints: int = 0, deck: str | None = None
    ) -> Reply:
        lines = [prefix, self.question_title(question, language, max(count, 1), deck), "", question.question]
        if not question.gradable:
            lines += ["", self.t("open_question", language)]
        text = "\n".join(line for line in lines if line is not None).lstrip("\n")
        return Reply(ReplyKind.QUESTION, text, self._open_buttons(question, language, hints), question_id=question.id,
                     images=tuple(question.images))  # fmt: skip

    def _open_buttons(self, question: Question, language: str, hints: int) -> tuple[Button, ...]:
        """The buttons under an open question (and under its hints): a hint while one is left
        (`hints` shown so far), the answer, skip. An open question has nothing to hint at or show."""
        skip = Button(t("button_skip", language), Action.SKIP, question.id)
        if not question.gradable:
            return (skip,)
        hint = (Button(t("button_hint", language), Action.HINT, question.id, hints),) if hints < len(question.key_points) else ()
        return (*hint, Button(t("button_answer", language), Action.ANSWER, question.id), skip)

    def _next_button(self, language: str, question_id: str | None) -> Button:
        return Button(t("button_next", language), Action.NEXT, question_id)

    def _review(
        self, user_key: str, question_id: str, rating: fsrs.Rating, *, now: datetime, record_rating: bool = True
    ) -> ReviewState:
        """Apply a review to the user's card of this question and store the new card."""
        before = review_state(self.store.review(user_key, question_id))
        after = review(before, question_id, rating, now=now)
        self.store.save_review(
            user_key, question_id, card=after.card, due=after.due,
            last_rating=int(rating) if record_rating else None, now=now,
        )  # fmt: skip
        return after
