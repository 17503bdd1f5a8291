"""The practice engine: one conversation per chat, whatever the front-end.

idle → question asked → answered (feedback) → next question (or a follow-up on a missed point).
Every step is stored at once, so a restart in the middle of a question resumes it. The engine
knows nothing of Telegram or terminals: it takes calls and returns `Reply` objects.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import fsrs

from grading.feedback import feedback_for, render_text
from grading.grader import Grader, Reference
from grading.result import GradeResult, NotGradable, PointStatus
from questions.bank import Bank
from questions.model import Question
from questions.taxonomy import Taxonomy

from ..grading_app import point_ref, reference_for
from ..progress import chart_png, progress
from ..scheduling import (
    ReviewState,
    choose_followup_point,
    choose_next,
    next_due,
    open_question_allowed,
    rating_for,
    rerate,
    review,
)
from ..storage import Store
from .replies import Action, Button, Reply, ReplyKind
from .texts import LANGUAGES, TELEGRAM_COMMANDS, join_list, plural, t

__all__ = ["PracticeEngine", "IDLE", "ASKED", "FEEDBACK", "HINT_COST"]

IDLE, ASKED, FEEDBACK = 0, 1, 2  # chat states, stored as their value
HINT_COST = 10.0  # points off the score for each hint taken before answering
OPEN_EVERY = 7  # at most one question in this many is an open one (no reference answer, never graded)
SKIP_POSTPONE = timedelta(hours=1)  # a due review that is skipped waits this long before it comes again
_IMAGE = re.compile(r"""<img\s[^>]*?src=["']([^"']+)["'][^>]*>""", re.IGNORECASE)
_LINK = re.compile(r"<(https?://[^>\s]+)>|(?<![\w(\"'=])(https?://\S+)")
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")  # 「08：30」: the colon of Chinese keyboards too
_BUTTON_TEXTS = {  # the label of each action's button, as the user saw it
    Action.NEXT: "button_next",
    Action.HINT: "button_hint",
    Action.ANSWER: "button_answer",
    Action.SKIP: "button_skip",
    Action.FOLLOWUP: "button_followup",
    Action.RATE_HARD: "button_hard",
    Action.RATE_EASY: "button_easy",
    Action.RATE_AGAIN: "rating_again",
    Action.RATE_GOOD: "rating_good",
}
_RATINGS = {
    Action.RATE_AGAIN: fsrs.Rating.Again,
    Action.RATE_HARD: fsrs.Rating.Hard,
    Action.RATE_GOOD: fsrs.Rating.Good,
    Action.RATE_EASY: fsrs.Rating.Easy,
}


def _utc(now: datetime | None) -> datetime:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    return now.astimezone(timezone.utc)


class _Scheduled:
    """A question as scheduling sees it: `answered` means it has something to grade against."""

    __slots__ = ("id", "topic", "answered")

    def __init__(self, question: Question) -> None:
        self.id, self.topic, self.answered = question.id, question.topic, question.gradable


def _gave_up(attempt) -> bool:  # noqa: ANN001 - a storage AttemptRecord
    """An attempt recorded by looking at the reference answer before answering (no text, no point)."""
    return not attempt.answer and attempt.score == 0 and not attempt.covered and not attempt.contradicted


def _review_state(record) -> ReviewState | None:  # noqa: ANN001 - a storage ReviewRecord
    if record is None:
        return None
    return ReviewState(record.question_id, record.card, record.due, record.last_rating)


class PracticeEngine:
    """Drives practice for any number of chats; state lives in the `Store`."""

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

    def replace_bank(self, bank: Bank) -> None:
        """Serve questions from `bank` from now on (the bank files were edited and loaded again).

        One assignment: a call that starts afterwards sees only the new bank. Open questions whose
        id is gone are dropped when next looked up, as after a restart.
        """
        self.bank = bank

    # ------------------------------------------------------------------ helpers

    def language(self, user_key: str) -> str:
        user = self.store.user(user_key)
        return user.language if user.language in LANGUAGES else self.default_language

    def _topic_name(self, topic_id: str, language: str) -> str:
        topic = self.taxonomy.by_id.get(topic_id)
        return topic.name(language) if topic else topic_id

    def t(self, key: str, language: str, **values: object) -> str:
        """The text `key` with this front-end's command names filled in."""
        return t(key, language, **{**self.commands, **values})

    def _question_reply(self, user_key: str, question: Question, *, prefix: str = "") -> Reply:
        state = self.store.chat_state(user_key)
        return self._question_message(question, self.language(user_key), state.asked_count, prefix=prefix, hints=state.hints_used)

    def question_title(self, question: Question, language: str, number: int) -> str:
        """"第 3 题 · CNN与视觉  [004-…]": the first line of a question message."""
        header = t("question", language, n=number, topic=self._topic_name(question.topic, language))
        return f"{header}  [{question.id}]"

    def _question_message(
        self, question: Question, language: str, count: int, *, prefix: str = "", hints: int = 0
    ) -> Reply:
        lines = [prefix, self.question_title(question, language, max(count, 1)), "", question.question]
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

    def _info(self, user_key: str, key: str, kind: ReplyKind = ReplyKind.INFO, **values: object) -> Reply:
        return Reply(kind, self.t(key, self.language(user_key), **values))

    def format_time(self, user_key: str, when: datetime) -> str:
        """`when` in the user's time zone, with the zone named: "2026-11-30 11:56 (Asia/Shanghai)"."""
        name = self.store.user(user_key).timezone
        local = when.astimezone(ZoneInfo(name)).strftime("%Y-%m-%d %H:%M")
        return f"{local}（{name}）" if self.language(user_key) == "zh" else f"{local} ({name})"

    def _review(
        self, user_key: str, question_id: str, rating: fsrs.Rating, *, now: datetime, record_rating: bool = True
    ) -> ReviewState:
        """Apply a review to the user's card of this question and store the new card."""
        before = _review_state(self.store.review(user_key, question_id))
        after = review(before, question_id, rating, now=now)
        self.store.save_review(
            user_key, question_id, card=after.card, due=after.due,
            last_rating=int(rating) if record_rating else None, now=now,
        )  # fmt: skip
        return after

    def _ask(self, user_key: str, question: Question, *, now: datetime, prefix: str = "") -> Reply:
        before = self.store.chat_state(user_key)
        count = before.asked_count + 1
        state = self.store.save_chat_state(
            user_key, state=ASKED, question_id=question.id, followup_point=None, hints_used=0, asked_at=now,
            asked_count=count, open_asked_count=before.open_asked_count if question.gradable else count,
        )  # fmt: skip
        return self._question_message(question, self.language(user_key), state.asked_count, prefix=prefix)

    # ------------------------------------------------------------------ conversation

    def start(self, user_key: str, *, now: datetime | None = None) -> list[Reply]:
        """Greet the user (a new one at length, a returning one with where they stand, and the
        topics they chose); resume an open question, or ask the next one."""
        return [*self.greeting(user_key, now=now), self.resume(user_key) or self.next_question(user_key, now=now)]

    def greeting(self, user_key: str, *, now: datetime | None = None) -> list[Reply]:
        """The welcome for a new user; for a returning one, their count, what is due and their topics."""
        now = _utc(now)
        language = self.language(user_key)
        attempts = [a for a in self.store.attempts(user_key) if not a.is_followup]
        if not attempts and self.store.chat_state(user_key).asked_count == 0:
            replies = [self._info(user_key, "welcome")]
        else:
            due = sum(1 for r in self.store.reviews(user_key) if r.due <= now and self.bank.get(r.question_id))
            key = "welcome_back" if attempts else "welcome_back_new"
            replies = [self._info(user_key, key, answers=plural("answers", language, len(attempts)), due=due)]
        topics = self.store.user(user_key).topics
        if topics:
            names = join_list((self._topic_name(x, language) for x in topics), language)
            replies.append(self._info(user_key, "topics_now", topics=names))
        return replies

    def resume(self, user_key: str) -> Reply | None:
        """The question left open before a restart, asked again (None if there is none)."""
        state = self.store.chat_state(user_key)
        if state.state != ASKED or not state.question_id:
            return None
        question = self.bank.get(state.question_id)
        if question is None:  # removed from the bank meanwhile
            self.store.save_chat_state(user_key, state=IDLE, question_id=None)
            return None
        language = self.language(user_key)
        if state.followup_point is not None:
            return self._followup_reply(user_key, question, state.followup_point, prefix=t("resume", language))
        return self._question_reply(user_key, question, prefix=t("resume", language))

    def next_question(self, user_key: str, topic: str | None = None, *, now: datetime | None = None) -> Reply:
        """Ask the next question of the user's topics (or of `topic`, this once): due reviews
        first, then new ones, weak topics more often. When none is new or due, say so, with when
        the next review falls due and which other topics have questions."""
        now = _utc(now)
        user = self.store.user(user_key)
        topics = list(user.topics)
        if topic:
            found = self.taxonomy.resolve(topic)
            if found is None:
                names = ", ".join(f"{x.id} ({x.name(self.language(user_key))})" for x in self.taxonomy.topics)
                return self._info(user_key, "unknown_topic", ReplyKind.ERROR, topic=topic, topics=names)
            topics = [found.id]
        attempts = self.store.attempts(user_key)
        reviews = self.store.reviews(user_key)
        state = self.store.chat_state(user_key)
        question_id = self._pick(topics, attempts, reviews, state, now)
        if question_id is None:
            return self._nothing_to_ask(user_key, topics, attempts, reviews, state, now)
        return self._ask(user_key, self.bank.get(question_id), now=now)  # type: ignore[arg-type]

    def _nothing_to_ask(self, user_key: str, topics, attempts, reviews, state, now: datetime) -> Reply:  # noqa: ANN001
        """Why no question comes: the topics have none, or none is new or due (and when one is)."""
        language = self.language(user_key)
        in_scope = {q.id for q in self.bank.questions if not topics or q.topic in topics}
        if not in_scope:
            if topics:
                names = join_list((self._topic_name(x, language) for x in topics), language)
                return self._info(user_key, "no_topic_questions", ReplyKind.ERROR, topic=names)
            return self._info(user_key, "bank_empty", ReplyKind.ERROR)
        cards = [c for c in (_review_state(r) for r in reviews) if c is not None]
        due = next_due(cards, in_scope)
        when = self.t("caught_up_when", language, due=self.format_time(user_key, due)) if due else ""
        others = []
        for topic in self.taxonomy.topics:
            if topic.id in topics or not topics:
                continue
            ready = self._pick([topic.id], attempts, reviews, state, now, rng=random.Random(0))
            if ready is not None:
                seen = {a.question_id for a in attempts} | {c.question_id for c in cards}
                fresh = sum(1 for q in self.bank.questions if q.topic == topic.id and q.gradable and q.id not in seen)
                others.append(t("topic_ready", language, id=topic.id, name=topic.name(language),
                                new=plural("new_questions", language, fresh)))  # fmt: skip
        names = join_list((self._topic_name(x, language) for x in topics), language) if topics else t("everything", language)
        if others:
            tail = self.t("caught_up_others", language, topics=join_list(others, language))
        else:
            tail = "" if topics else t("caught_up_all", language)
        return self._info(user_key, "caught_up", topics=names, when=when, others=tail)

    def _pick(self, topics, attempts, reviews, state, now: datetime, *, rng: random.Random | None = None) -> str | None:  # noqa: ANN001 - store records
        """The next question's id for one user (see `scheduling.choose_next`), None if none is new or due."""
        cards = [_review_state(r) for r in reviews]
        last = (state.last_question_id or state.question_id) if state is not None else None
        last_question = self.bank.get(last) if last else None
        asked = state.asked_count if state is not None else 0
        open_asked = state.open_asked_count if state is not None else None
        open_allowed = open_question_allowed(asked, open_asked, every=OPEN_EVERY) and (
            last_question is None or last_question.gradable
        )
        return choose_next(
            questions=[_Scheduled(q) for q in self.bank.questions],
            due=[r for r in cards if r is not None],
            seen={a.question_id for a in attempts} | {r.question_id for r in cards if r},
            attempts=attempts,
            topics=topics,
            last_question_id=last,
            now=now,
            rng=rng or self.rng,
            open_allowed=open_allowed,
        )

    def next_questions(self, user_keys: Sequence[str], *, now: datetime | None = None) -> dict[str, Reply]:
        """`next_question` for many users at once (the daily push): one read, one write.

        Users unknown to the store are left out; a user with nothing new or due gets the same
        explanation `next_question` gives.
        """
        now = _utc(now)
        snapshots = self.store.practice_snapshots(user_keys)
        replies: dict[str, Reply] = {}
        asked: dict[str, tuple[str, bool]] = {}
        for key, snap in snapshots.items():
            language = snap.user.language if snap.user.language in LANGUAGES else self.default_language
            question_id = self._pick(list(snap.user.topics), snap.attempts, snap.reviews, snap.state, now)
            question = self.bank.get(question_id) if question_id else None
            if question is None:
                replies[key] = self._nothing_to_ask(key, list(snap.user.topics), snap.attempts, snap.reviews, snap.state, now)
                continue
            asked[key] = (question.id, not question.gradable)
            count = (snap.state.asked_count if snap.state is not None else 0) + 1
            replies[key] = self._question_message(question, language, count)
        self.store.ask_many(asked, now)
        return replies

    def apply_retention(self, *, now: datetime | None = None) -> int:
        """Blank answer texts older than the retention period (if one is set); returns how many."""
        if self.answer_retention_days is None:
            return 0
        return self.store.blank_answers_before(_utc(now) - timedelta(days=self.answer_retention_days))

    def submit(
        self, user_key: str, text: str, *, now: datetime | None = None, replying_to: str | None = None
    ) -> list[Reply]:
        """Grade an answer to the open question and give feedback (or explain why not).

        `replying_to` is the id of the question the user's message replies to (in chats where
        one can reply to an earlier message): an answer to another question than the open one is
        not graded against the wrong reference; the user is told which question is open.
        """
        now = _utc(now)
        state = self.store.chat_state(user_key)
        language = self.language(user_key)
        question = self.bank.get(state.question_id) if state.question_id else None
        if replying_to is not None and (state.state != ASKED or replying_to != state.question_id):
            if self.bank.get(replying_to) is None:
                return [self._info(user_key, "unknown_question", ReplyKind.ERROR, id=replying_to)]
            if state.state == ASKED and question is not None:
                return [self._info(user_key, "stale_question", ReplyKind.ERROR, id=replying_to, open=question.id)]
            return [self._info(user_key, "stale_no_question", ReplyKind.ERROR, id=replying_to)]
        if state.state != ASKED or question is None:
            return [self._info(user_key, "no_question")]
        if not text.strip():
            return [self._info(user_key, "empty_answer", ReplyKind.ERROR)]
        if self.answers_per_minute is not None:
            recent = self.store.attempts(user_key, since=now - timedelta(minutes=1))
            if len(recent) >= self.answers_per_minute:
                wait = max(1, int(60 - (now - recent[0].created_at).total_seconds()))
                return [self._info(user_key, "too_fast", ReplyKind.ERROR, seconds=wait)]
        followup = state.followup_point
        if followup is None and not question.gradable:
            # Open practice: nothing to grade against, but it is spaced like the others.
            self._review(user_key, question.id, fsrs.Rating.Good, now=now, record_rating=False)
            self.store.save_chat_state(user_key, state=FEEDBACK, last_question_id=question.id)
            next_button = (self._next_button(language, question.id),)
            return [Reply(ReplyKind.INFO, t("open_answered", language), next_button, question_id=question.id)]
        reference = reference_for(question)
        if followup is not None:
            point = question.key_points[followup]
            # The follow-up as worded in the bank's language, not the screen's: a reply is graded
            # the same (same reference language, same words given away) whichever language it is read in.
            asked = self._followup_text(question, followup, reference.language)
            reference = Reference(asked, point.text, (point_ref(point),))
        try:
            result = self.grader.grade(reference, text)
        except NotGradable:
            return [self._info(user_key, "not_gradable", ReplyKind.ERROR)]
        penalty = HINT_COST * state.hints_used
        score = max(0.0, result.score - penalty)
        # The figure shown, its verdict and the schedule all take the hints into account.
        shown = replace(result, score=score, verdict=self.grader.verdict(score, result.language))
        statuses = [p.status for p in result.points]
        pass_line = self.grader.params(result.language).verdicts.good  # 良好 and up is a pass
        rating = None if followup is not None else rating_for(score, pass_score=pass_line)
        attempt = self.store.add_attempt(
            user_key,
            question_id=question.id,
            answer=text if self.store_answers else "",
            score=score,
            verdict=int(shown.verdict),
            covered=[i for i, s in enumerate(statuses) if s is PointStatus.COVERED],
            missed=[i for i, s in enumerate(statuses) if s in (PointStatus.MISSED, PointStatus.PARTLY)],
            contradicted=[i for i, s in enumerate(statuses) if s is PointStatus.CONTRADICTED],
            hints_used=state.hints_used,
            is_followup=followup is not None,
            rating=int(rating) if rating is not None else None,
            now=now,
        )
        lines = [render_text(feedback_for(self._in_language(shown, question, followup, language), language))]
        if penalty:
            lines.append(t("hint_penalty", language, hints=plural("hints", language, state.hints_used), cost=f"{penalty:.0f}"))
        if rating is not None:
            after = self._review(user_key, question.id, rating, now=now)
            lines.append(t("next_due", language, due=self.format_time(user_key, after.due)))
        self.store.save_chat_state(
            user_key, state=FEEDBACK, last_attempt_id=attempt.id, last_question_id=question.id, followup_point=None
        )
        named = question.id
        buttons = [self._next_button(language, named)]
        if followup is None and result.missed:
            buttons.append(Button(t("button_followup", language), Action.FOLLOWUP, named))
        buttons.append(Button(t("button_answer", language), Action.ANSWER, named))
        if rating is not None:
            buttons += [
                Button(t("button_hard", language), Action.RATE_HARD, named),
                Button(t("button_easy", language), Action.RATE_EASY, named),
            ]
        return [Reply(ReplyKind.FEEDBACK, "\n".join(lines), tuple(buttons), question_id=question.id, grade=result)]

    def _next_button(self, language: str, question_id: str | None) -> Button:
        return Button(t("button_next", language), Action.NEXT, question_id)

    def hint(self, user_key: str, *, step: int | None = None, now: datetime | None = None) -> Reply:
        """Reveal the gist of the next key point of the open question, at a cost of HINT_COST points.

        `step` is the number of hints shown when the pressed button was made: a hint already
        shown by then (a double tap, an older hint button) is shown again, free, and none is taken.
        """
        state = self.store.chat_state(user_key)
        question = self.bank.get(state.question_id) if state.question_id else None
        if state.state != ASKED or question is None:
            return self._info(user_key, "no_question")
        if not question.key_points or state.followup_point is not None:
            return self._info(user_key, "hint_open" if not question.key_points else "no_hint")
        language = self.language(user_key)
        if step is not None and 0 <= step < min(state.hints_used, len(question.key_points)):
            text = self.t("hint_again", language, point=self._gist(question, step, language))  # its 提示 gives the next one
            return Reply(ReplyKind.HINT, text, self._open_buttons(question, language, state.hints_used), question_id=question.id)
        if state.hints_used >= len(question.key_points):
            return self._info(user_key, "no_hint")
        gist = self._gist(question, state.hints_used, language)
        self.store.save_chat_state(user_key, hints_used=state.hints_used + 1)
        text = self.t("hint", language, cost=f"{HINT_COST:.0f}", point=gist)
        return Reply(ReplyKind.HINT, text, self._open_buttons(question, language, state.hints_used + 1), question_id=question.id)

    def show_answer(self, user_key: str, *, now: datetime | None = None) -> Reply:
        """Show the reference answer; asked before answering, it counts as not answered."""
        now = _utc(now)
        state = self.store.chat_state(user_key)
        question_id = state.question_id or state.last_question_id
        question = self.bank.get(question_id) if question_id else None
        language = self.language(user_key)
        if question is None:
            return self._info(user_key, "no_question")
        text, images = self._reference(question, language)
        if state.state == ASKED and question.gradable and state.followup_point is None:
            self.store.add_attempt(
                user_key, question_id=question.id, answer="", score=0.0, verdict=0, covered=[],
                missed=list(range(len(question.key_points))), contradicted=[], hints_used=state.hints_used,
                is_followup=False, rating=int(fsrs.Rating.Again), now=now,
            )  # fmt: skip
            self._review(user_key, question.id, fsrs.Rating.Again, now=now)
            text += "\n" + t("gave_up", language)  # `last_attempt_id` stays: it names graded answers only
        if state.state == ASKED:
            self.store.save_chat_state(user_key, state=FEEDBACK, last_question_id=question.id, followup_point=None)
        return Reply(ReplyKind.REFERENCE, text, (self._next_button(language, question.id),), question_id=question.id, images=images)

    def _reference(self, question: Question, language: str) -> tuple[str, tuple[str, ...]]:
        """The reference answer as shown, and the image URLs that go with it."""
        if not question.answered:
            return t("not_gradable", language), ()
        if question.answer_kind.value in ("image", "link"):
            return self._media_reference(question, language)
        return t("reference", language, answer=question.answer), ()

    def _media_reference(self, question: Question, language: str) -> tuple[str, tuple[str, ...]]:
        """A reference that is only images or links: its key points in words, then each link;
        the image URLs also go to the reply's `images` for front-ends that can show them."""
        images = tuple(_IMAGE.findall(question.answer))
        links = [a or b for a, b in _LINK.findall(_IMAGE.sub("", question.answer))]
        points = "\n".join(f"· {p.text}" for p in question.key_points)
        lines = [t("reference_media", language, points=points), *(f"🔗 {url}" for url in links)]
        return "\n".join(lines), images  # front-ends show the images their own way

    def skip(self, user_key: str, *, now: datetime | None = None) -> list[Reply]:
        """Leave the open question unanswered (no attempt) and ask another one. A review that was
        due waits `SKIP_POSTPONE` before it is served again, instead of coming straight back."""
        now = _utc(now)
        state = self.store.chat_state(user_key)
        replies = []
        if state.state == ASKED:
            self.store.save_chat_state(user_key, state=IDLE, last_question_id=state.question_id, followup_point=None)
            record = self.store.review(user_key, state.question_id) if state.question_id else None
            if record is not None and record.due <= now:
                later = now + SKIP_POSTPONE
                card = {**record.card, "due": later.isoformat()}
                self.store.save_review(
                    user_key, record.question_id, card=card, due=later, last_rating=record.last_rating, now=now,
                    keep_previous=True,
                )  # fmt: skip
            replies.append(self._info(user_key, "skipped"))
        return replies + [self.next_question(user_key, now=now)]

    def _in_language(self, result: GradeResult, question: Question, followup: int | None, language: str) -> GradeResult:
        """The result with its key points and misconceptions in the user's language where the bank
        words them so (else as the bank words them)."""
        if language != "en":
            return result
        points = question.key_points if followup is None else [question.key_points[followup]]
        if len(points) == len(result.points):
            result = replace(result, points=[replace(p, text=k.en or p.text) for p, k in zip(result.points, points)])
        english = {m.claim: m for m in question.misconceptions}
        wrong = []
        for found in result.misconceptions:
            m = english.get(found.claim)
            if m is not None:
                found = replace(found, claim=m.claim_en or found.claim, correction=m.correction_en or found.correction)
            wrong.append(found)
        return replace(result, misconceptions=wrong)

    def _gist(self, question: Question, point: int, language: str = "zh") -> str:
        """A few words naming a key point, never the point itself: its curated gist (in English on
        an English screen, where the bank has one), else its first keywords."""
        key_point = question.key_points[point]
        gist = (language == "en" and key_point.gist_en) or key_point.gist
        if gist:
            return gist
        prepared = self.grader.prepare(reference_for(question))
        keywords = prepared.points[point].keywords[:2] if point < len(prepared.points) else ()
        joiner = ", " if language == "en" else "、"
        return joiner.join(keywords) if keywords else key_point.text[:8]

    def _followup_text(self, question: Question, point: int, language: str) -> str:
        return t("followup", language, question=question.question, hint=self._gist(question, point, language))

    def _followup_reply(self, user_key: str, question: Question, point: int, *, prefix: str = "") -> Reply:
        language = self.language(user_key)
        text = "\n".join(x for x in (prefix, self._followup_text(question, point, language)) if x)
        skip = Button(t("button_skip", language), Action.SKIP, question.id)
        return Reply(ReplyKind.QUESTION, text, (skip,), question_id=question.id)

    def followup(self, user_key: str, *, now: datetime | None = None) -> Reply:
        """Ask about the most important key point the last answer missed, like an interviewer would."""
        now = _utc(now)
        state = self.store.chat_state(user_key)
        attempt = self.store.last_attempt(user_key)
        question = self.bank.get(attempt.question_id) if attempt else None
        if state.state == ASKED:
            return self._info(user_key, "followup_after_answer")
        if state.state != FEEDBACK or attempt is None or question is None or attempt.is_followup:
            return self._info(user_key, "no_followup" if attempt else "no_question")
        point = choose_followup_point(list(attempt.missed) + list(attempt.contradicted))
        if point is None:
            return self._info(user_key, "no_followup")
        self.store.save_chat_state(
            user_key, state=ASKED, question_id=question.id, followup_point=point, hints_used=0, asked_at=now
        )
        return self._followup_reply(user_key, question, point)

    def rerate(self, user_key: str, action: Action, *, now: datetime | None = None) -> Reply:
        """Reschedule the last graded answer as Again/Hard/Good/Easy instead of what its score gave."""
        attempt = self._last_rated(user_key)
        language = self.language(user_key)
        if attempt is None or action not in _RATINGS:
            return self._info(user_key, "nothing_to_rate")
        rating = _RATINGS[action]
        record = self.store.review(user_key, attempt.question_id)
        before = _review_state(self.store.review_before(user_key, attempt.question_id))
        after = rerate(before, attempt.question_id, rating, now=attempt.created_at)
        self.store.save_review(
            user_key, attempt.question_id, card=after.card, due=after.due, last_rating=int(rating),
            now=record.updated_at if record else attempt.created_at, keep_previous=True,
        )  # fmt: skip
        self.store.set_attempt_rating(attempt.id, int(rating))
        name = t(f"rating_{rating.name.lower()}", language)
        return self._info(user_key, "rerated", rating=name, due=self.format_time(user_key, after.due))

    def _last_rated(self, user_key: str):  # noqa: ANN202 - a storage AttemptRecord or None
        """The last attempt that set a rating (the one re-rating acts on)."""
        return next((a for a in reversed(self.store.attempts(user_key)) if a.rating is not None), None)

    def press(
        self, user_key: str, action: Action, *, question_id: str | None = None, step: int | None = None,
        now: datetime | None = None,
    ) -> list[Reply]:
        """What a button (or a terminal command) does.

        A button names its question (`question_id`; a hint button also its `step`, see `hint`): a
        press acts on that question, or says it is closed, and never on another one that is open
        by then; so a second tap of a button (a double tap) does not act twice. Without
        `question_id` (a command, a button sent before buttons named their question) it acts on
        the open question, as it always did.
        """
        if question_id is not None:
            named = self._press_named(user_key, action, question_id)
            if named is not None:
                return named
        if action is Action.NEXT:
            return [self.next_question(user_key, now=now)]
        if action is Action.HINT:
            return [self.hint(user_key, step=step, now=now)]
        if action is Action.ANSWER:
            return [self.show_answer(user_key, now=now)]
        if action is Action.SKIP:
            return self.skip(user_key, now=now)
        if action is Action.FOLLOWUP:
            return [self.followup(user_key, now=now)]
        if action is Action.STATS:
            return [self.stats(user_key, now=now)]
        return [self.rerate(user_key, action, now=now)]

    def _press_named(self, user_key: str, action: Action, question_id: str) -> list[Reply] | None:
        """What a button of question `question_id` does when that is not what it would do to the
        open question; None when it acts as usual (see `press`)."""
        state = self.store.chat_state(user_key)
        asked = state.state == ASKED
        is_open = asked and state.question_id == question_id
        if action is Action.ANSWER and not is_open:
            return [self._closed_reference(user_key, question_id, state)]
        if action in (Action.HINT, Action.SKIP) and not is_open:
            return [self._closed(user_key, action, question_id, state)]
        if action is Action.NEXT and asked and not is_open:  # another question waits: never replaced unseen
            return [self._closed(user_key, action, question_id, state)]
        if action is Action.FOLLOWUP:
            if is_open and state.followup_point is not None:  # asked already (a double tap)
                return [self._info(user_key, "followup_asked")]
            attempt = self.store.last_attempt(user_key)
            if (asked and not is_open) or (not asked and (attempt is None or attempt.question_id != question_id)):
                return [self._closed(user_key, action, question_id, state)]
        if action in _RATINGS:
            attempt = self._last_rated(user_key)
            if attempt is not None and attempt.question_id != question_id:  # a later answer would be re-rated
                return [self._closed(user_key, action, question_id, state)]
        return None

    def _closed(self, user_key: str, action: Action, question_id: str, state) -> Reply:  # noqa: ANN001 - a ChatStateRecord
        """A button of a question that is closed: nothing was done, and what is open now."""
        language = self.language(user_key)
        label = t(_BUTTON_TEXTS.get(action, "button_next"), language)
        open_now = self._open_now(state, language)
        return self._info(user_key, "button_closed", button=label, id=question_id, now=open_now)

    def _given_up_last(self, user_key: str, question_id: str, state) -> bool:  # noqa: ANN001 - a ChatStateRecord
        """Whether the chat's latest attempt gave `question_id` up (its reference was shown then):
        an attempt that is not the last graded answer, which `last_attempt_id` names."""
        attempt = self.store.last_attempt(user_key)
        return attempt is not None and attempt.question_id == question_id and attempt.id != state.last_attempt_id

    def _open_id(self, state) -> str | None:  # noqa: ANN001 - a ChatStateRecord
        """The open question's id; None when none is open (or it has left the bank)."""
        if state.state == ASKED and state.question_id and self.bank.get(state.question_id) is not None:
            return state.question_id
        return None

    def _open_now(self, state, language: str) -> str:  # noqa: ANN001 - a ChatStateRecord
        """「当前的题目是 [B]…」, or how to get a question when none is open."""
        open_id = self._open_id(state)
        return self.t("closed_open", language, open=open_id) if open_id else self.t("closed_none", language)

    def _closed_reference(self, user_key: str, question_id: str, state) -> Reply:  # noqa: ANN001 - a ChatStateRecord
        """看答案 under a question that is not the open one: its reference, read only. Nothing is
        recorded: the question is closed (it was answered, given up, skipped or replaced by
        another), and a question open now is not touched. Right after a give-up (a double tap)
        the reference is not sent a second time."""
        language = self.language(user_key)
        question = self.bank.get(question_id)
        if question is None:  # it has left the bank: nothing to show
            return self._closed(user_key, Action.ANSWER, question_id, state)
        last = state.state == FEEDBACK and state.last_question_id == question_id  # its result is the latest
        next_button = (self._next_button(language, question_id),)
        if last and self._given_up_last(user_key, question_id, state):
            return Reply(ReplyKind.INFO, t("reference_sent", language), next_button, question_id=question_id)
        text, images = self._reference(question, language)
        if open_id := self._open_id(state):  # no 下一题 under it: that question waits
            note = t("reference_closed_open", language, id=question_id, open=open_id)
            return Reply(ReplyKind.REFERENCE, f"{text}\n{note}", question_id=question_id, images=images)
        if not last:
            text += "\n" + t("reference_closed", language, id=question_id)
        return Reply(ReplyKind.REFERENCE, text, next_button, question_id=question_id, images=images)

    # ------------------------------------------------------------------ settings and progress

    def topics(self, user_key: str) -> Reply:
        language = self.language(user_key)
        chosen = set(self.store.user(user_key).topics)
        counts = {topic.id: 0 for topic in self.taxonomy.topics}
        for question in self.bank.questions:
            counts[question.topic] = counts.get(question.topic, 0) + 1
        lines = "\n".join(
            f"{'●' if topic.id in chosen else '○'} {topic.id} · {topic.name(language)} ({counts[topic.id]})"
            for topic in self.taxonomy.topics
        )
        return self._info(user_key, "topics", lines=lines)

    def set_topics(self, user_key: str, names: list[str]) -> Reply:
        """Practise only these topics (an empty list: every topic)."""
        language = self.language(user_key)
        found = []
        for name in names:
            topic = self.taxonomy.resolve(name)
            if topic is None:
                known = ", ".join(x.id for x in self.taxonomy.topics)
                return self._info(user_key, "unknown_topic", ReplyKind.ERROR, topic=name, topics=known)
            if topic.id not in found:
                found.append(topic.id)
        self.store.update_user(user_key, topics=found)
        if not found:
            return self._info(user_key, "topics_all")
        return self._info(user_key, "topics_set", topics=join_list((self._topic_name(x, language) for x in found), language))

    def session_summary(self, user_key: str, since: datetime, *, now: datetime | None = None) -> Reply:
        """What the user did since `since`: answers (follow-ups aside), average, best and weakest
        topic, and when the next review falls due."""
        now = _utc(now)
        language = self.language(user_key)
        tried = [a for a in self.store.attempts(user_key, since=_utc(since)) if not a.is_followup]
        attempts = [a for a in tried if not _gave_up(a)]
        cards = [c for c in (_review_state(r) for r in self.store.reviews(user_key)) if c is not None]
        cards = [c for c in cards if self.bank.get(c.question_id)]
        overdue = sum(1 for c in cards if c.due <= now)
        due_at = next_due(cards, {c.question_id for c in cards})
        if overdue:
            due = t("summary_due_now", language, n=overdue)
        else:
            due = t("summary_due", language, due=self.format_time(user_key, due_at)) if due_at else ""
        if len(tried) > len(attempts):
            due = t("summary_gave_up", language, n=len(tried) - len(attempts)) + due
        if not attempts:
            return Reply(ReplyKind.INFO, t("summary_none", language, due=due).strip())
        by_topic: dict[str, list[float]] = {}
        for attempt in attempts:
            question = self.bank.get(attempt.question_id)
            if question is not None:
                by_topic.setdefault(question.topic, []).append(attempt.score)
        averages = sorted(((sum(v) / len(v), k) for k, v in by_topic.items()), key=lambda x: (-x[0], x[1]))
        topics = ""
        if len(averages) > 1:
            (best_average, best), (weak_average, weak) = averages[0], averages[-1]
            topics = t("summary_topics", language, best=self._topic_name(best, language), best_average=best_average,
                       weak=self._topic_name(weak, language), weak_average=weak_average)  # fmt: skip
        average = sum(a.score for a in attempts) / len(attempts)
        text = t("summary", language, answers=plural("questions", language, len(attempts)), average=average, topics=topics, due=due)
        return Reply(ReplyKind.INFO, text.strip())

    def stats(self, user_key: str, *, now: datetime | None = None) -> Reply:
        """Numbers per topic and overall, with a chart image."""
        now = _utc(now)
        language = self.language(user_key)
        user = self.store.user(user_key)
        attempts = [a for a in self.store.attempts(user_key) if not a.is_followup]
        reviews = [_review_state(r) for r in self.store.reviews(user_key)]
        questions = {q.id: q for q in self.bank.questions}
        summary = progress(attempts, questions, [r for r in reviews if r], now=now, timezone=user.timezone)
        image = chart_png(summary, taxonomy=self.taxonomy, language=language)
        if not summary.attempts:
            return Reply(ReplyKind.STATS, t("no_stats", language), image=image)
        tried = [x for x in summary.topics if x.attempts]
        untried = [self._topic_name(x.topic, language) for x in summary.topics if not x.attempts]
        lines = "\n".join(
            t("stats_topic", language, name=self._topic_name(x.topic, language), mastery=x.mastery,
              answers=plural("answers", language, x.attempts), average=x.average, due=x.due)
            for x in tried
        )  # fmt: skip
        if untried:
            lines += "\n" + t("stats_untried", language, topics=join_list(untried, language))
        text = t(
            "stats", language, answers=plural("answers", language, summary.attempts), average=summary.average,
            streak=plural("days", language, summary.streak_days), today=plural("answers", language, summary.practiced_today),
            lines=lines,
        )  # fmt: skip
        return Reply(ReplyKind.STATS, text, image=image)

    def set_language(self, user_key: str, language: str) -> Reply:
        if language not in LANGUAGES:
            return self._info(user_key, "unknown_language", ReplyKind.ERROR)
        self.store.update_user(user_key, language=language)
        return self._info(user_key, "language_set")

    def subscribe(self, user_key: str, at: str, zone: str | None = None) -> Reply:
        """A daily question at local time `at` (HH:MM, 「08：30」 too) in IANA time zone `zone`.

        A zone that is not a known IANA name (also one far too long to be one) gets the usual
        "unknown time zone" reply, never an exception.
        """
        match = _TIME.match(at.strip())
        if not match:
            return self._info(user_key, "bad_time", ReplyKind.ERROR, value=at)
        zone = (zone or self.store.user(user_key).timezone).strip()
        # The name's shape is checked first, so a long or odd one never reaches the file system (a
        # 256-character name raised "File name too long"); 64 characters is what is stored.
        known = len(zone) <= 64 and re.fullmatch(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", zone, re.ASCII)
        try:
            known = known and ZoneInfo(zone) is not None
        except (ZoneInfoNotFoundError, ValueError, OSError):
            known = False
        if not known:
            return self._info(user_key, "bad_timezone", ReplyKind.ERROR, value=zone if len(zone) <= 64 else zone[:64] + "…")
        time = f"{int(match.group(1)):02d}:{int(match.group(2)):02d}"  # full-width digits become ASCII
        self.store.update_user(user_key, daily_time=time, timezone=zone)
        return self._info(user_key, "subscribed", time=time, tz=zone)

    def forget(self, user_key: str) -> Reply:
        """Delete everything stored about this user (answers, progress, settings)."""
        language = self.language(user_key)
        self.store.delete_user_data(user_key)
        return Reply(ReplyKind.INFO, t("forgotten", language))

    def unsubscribe(self, user_key: str) -> Reply:
        self.store.update_user(user_key, daily_time=None)
        return self._info(user_key, "unsubscribed")
