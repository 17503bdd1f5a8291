"""The practice engine: one conversation per chat, whatever the front-end.

idle → question asked → answered (feedback) → next question (or a follow-up on a missed point).
Every step is stored at once, so a restart in the middle of a question resumes it. The engine
knows nothing of Telegram or terminals: it takes calls and returns `Reply` objects.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import fsrs

from grading.feedback import feedback_for, render_text
from grading.grader import Reference
from grading.result import NotGradable, PointStatus
from questions.model import Question

from ..grading_app import point_ref, reference_for
from ..scheduling import choose_next, next_due, open_question_allowed, rating_for
from .core import ASKED, FEEDBACK, HINT_COST, IDLE, as_utc, review_state
from .library import QuestionPool
from .decks import Decks
from .presses import Presses
from .replies import Action, Button, Reply, ReplyKind
from .reveals import in_language
from .settings import Settings
from .texts import LANGUAGES, join_list, plural, t

__all__ = ["PracticeEngine", "IDLE", "ASKED", "FEEDBACK", "HINT_COST"]

OPEN_EVERY = 7  # at most one question in this many is an open one (no reference answer, never graded)
SKIP_POSTPONE = timedelta(hours=1)  # a due review that is skipped waits this long before it comes again


class _Scheduled:
    """A question as scheduling sees it: `answered` means it has something to grade against."""

    __slots__ = ("id", "topic", "answered")

    def __init__(self, question: Question) -> None:
        self.id, self.topic, self.answered = question.id, question.topic, question.gradable


class PracticeEngine(Presses, Settings, Decks):
    """Drives practice for any number of chats; state lives in the `Store`.

    The conversation is here (greeting, asking, grading, skipping, what a button does); the parts
    it builds on hold the rest: `core` (shared state and messages), `reveals` (hints, the
    reference, follow-ups), `presses` (buttons of closed questions, re-rating) and `settings`
    (topics, language, the daily question, progress).
    """

    # ------------------------------------------------------------------ conversation

    def start(self, user_key: str, *, now: datetime | None = None) -> list[Reply]:
        """Greet the user (a new one at length, a returning one with where they stand, and the
        topics they chose); resume an open question, or ask the next one."""
        return [*self.greeting(user_key, now=now), self.resume(user_key) or self.next_question(user_key, now=now)]

    def greeting(self, user_key: str, *, now: datetime | None = None) -> list[Reply]:
        """The welcome for a new user; for a returning one, their count, what is due and their topics."""
        now = as_utc(now)
        language = self.language(user_key)
        attempts = [a for a in self.store.attempts(user_key) if a.answered]  # as the summary and :stats count
        if not attempts and self.store.chat_state(user_key).asked_count == 0:
            replies = [self._info(user_key, "welcome")]
        else:
            library = self.library(user_key)
            due = sum(1 for r in self.store.reviews(user_key) if r.due <= now and library.get(r.question_id))
            answers = plural("answers", language, len(attempts))
            if attempts:
                replies = [self._info(user_key, "welcome_back", answers=answers, due=due)]
            else:
                replies = [self._info(user_key, "welcome_back_new", answers=answers, due=due)]
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
        library = self.library(user_key)
        question = library.get(state.question_id)
        if question is None:  # removed from the bank (or its deck deleted) meanwhile
            self.store.save_chat_state(user_key, state=IDLE, question_id=None)
            return None
        language = self.language(user_key)
        if state.followup_point is not None:
            return self._followup_reply(user_key, question, state.followup_point, prefix=t("resume", language))
        return self._question_message(
            question, language, state.asked_count, prefix=t("resume", language), hints=state.hints_used,
            deck=library.deck_name(question.id),
        )  # fmt: skip

    def next_question(self, user_key: str, topic: str | None = None, *, now: datetime | None = None) -> Reply:
        """Ask the next question of the user's topics (or of `topic`, this once): due reviews
        first, then new ones, weak topics more often. When none is new or due, say so, with when
        the next review falls due and which other topics have questions."""
        now = as_utc(now)
        user = self.store.user(user_key)
        once: list[str] | None = None
        if topic:
            found = self.taxonomy.resolve(topic)
            if found is None:
                names = ", ".join(f"{x.id} ({x.name(self.language(user_key))})" for x in self.taxonomy.topics)
                return self._info(user_key, "unknown_topic", ReplyKind.ERROR, topic=topic, topics=names)
            once = [found.id]
        library = self.library(user_key)
        attempts = self.store.attempts(user_key)
        reviews = self.store.reviews(user_key)
        state = self.store.chat_state(user_key)
        question_id = self._pick(library.practised(user, once), attempts, reviews, state, now, library=library)
        if question_id is None:
            return self._nothing_to_ask(user_key, user, library, once, attempts, reviews, state, now)
        question = library.get(question_id)
        return self._ask(user_key, question, now=now, deck=library.deck_name(question_id))  # type: ignore[arg-type]

    def _ask(self, user_key: str, question: Question, *, now: datetime, prefix: str = "", deck: str | None = None) -> Reply:
        before = self.store.chat_state(user_key)
        count = before.asked_count + 1
        state = self.store.save_chat_state(
            user_key, state=ASKED, question_id=question.id, followup_point=None, hints_used=0, asked_at=now,
            asked_count=count, open_asked_count=before.open_asked_count if question.gradable else count,
        )  # fmt: skip
        return self._question_message(question, self.language(user_key), state.asked_count, prefix=prefix, deck=deck)

    def _nothing_to_ask(self, user_key: str, user, library, once, attempts, reviews, state, now: datetime) -> Reply:  # noqa: ANN001
        """Why no question comes: the topics have none, or none is new or due (and when one is).
        `once` is the topic asked for this time (None: the user's choice of sources and topics)."""
        language = self.language(user_key)
        topics = list(user.topics if once is None else once)
        in_scope = {q.id for q in library.practised(user, once)}
        if not in_scope:
            if topics:
                names = join_list((self._topic_name(x, language) for x in topics), language)
                return self._info(user_key, "no_topic_questions", ReplyKind.ERROR, topic=names)
            return self._info(user_key, "bank_empty", ReplyKind.ERROR)
        cards = [c for c in (review_state(r) for r in reviews) if c is not None]
        due = next_due(cards, in_scope)
        when = self.t("caught_up_when", language, due=self.format_time(user_key, due)) if due else ""
        others = []
        for topic in self.taxonomy.topics:
            if topic.id in topics or not topics:
                continue
            candidates = library.practised(user, [topic.id])
            ready = self._pick(candidates, attempts, reviews, state, now, library=library, rng=random.Random(0))
            if ready is not None:
                seen = {a.question_id for a in attempts} | {c.question_id for c in cards}
                fresh = sum(1 for q in candidates if q.gradable and q.id not in seen)
                others.append(t("topic_ready", language, id=topic.id, name=topic.name(language),
                                new=plural("new_questions", language, fresh)))  # fmt: skip
        names = join_list((self._topic_name(x, language) for x in topics), language) if topics else t("everything", language)
        if others:
            tail = self.t("caught_up_others", language, topics=join_list(others, language))
        else:
            tail = "" if topics else t("caught_up_all", language)
        return self._info(user_key, "caught_up", topics=names, when=when, others=tail)

    def _pick(
        self, questions: Sequence[Question], attempts, reviews, state, now: datetime, *, library: QuestionPool,  # noqa: ANN001 - store records
        rng: random.Random | None = None,
    ) -> str | None:
        """The next question's id for one user, among `questions` (see `scheduling.choose_next`),
        None if none is new or due."""
        cards = [review_state(r) for r in reviews]
        last = (state.last_question_id or state.question_id) if state is not None else None
        last_question = library.get(last) if last else None
        asked = state.asked_count if state is not None else 0
        open_asked = state.open_asked_count if state is not None else None
        open_allowed = open_question_allowed(asked, open_asked, every=OPEN_EVERY) and (
            last_question is None or last_question.gradable
        )
        return choose_next(
            questions=[_Scheduled(q) for q in questions],
            due=[r for r in cards if r is not None],
            seen={a.question_id for a in attempts} | {r.question_id for r in cards if r},
            attempts=attempts,
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
        now = as_utc(now)
        snapshots = self.store.practice_snapshots(user_keys)
        replies: dict[str, Reply] = {}
        asked: dict[str, tuple[str, bool]] = {}
        for key, snap in snapshots.items():
            language = snap.user.language if snap.user.language in LANGUAGES else self.default_language
            library = self.deck_cache.pool(self.store, self.bank, snap.decks)
            questions = library.practised(snap.user)
            question_id = self._pick(questions, snap.attempts, snap.reviews, snap.state, now, library=library)
            question = library.get(question_id) if question_id else None
            if question is None:
                replies[key] = self._nothing_to_ask(key, snap.user, library, None, snap.attempts, snap.reviews, snap.state, now)
                continue
            asked[key] = (question.id, not question.gradable)
            count = (snap.state.asked_count if snap.state is not None else 0) + 1
            replies[key] = self._question_message(question, language, count, deck=library.deck_name(question.id))
        self.store.ask_many(asked, now)
        return replies

    def apply_retention(self, *, now: datetime | None = None) -> int:
        """Blank answer texts older than the retention period (if one is set); returns how many."""
        if self.answer_retention_days is None:
            return 0
        return self.store.blank_answers_before(as_utc(now) - timedelta(days=self.answer_retention_days))

    def submit(
        self, user_key: str, text: str, *, now: datetime | None = None, replying_to: str | None = None
    ) -> list[Reply]:
        """Grade an answer to the open question and give feedback (or explain why not).

        `replying_to` is the id of the question the user's message replies to (in chats where
        one can reply to an earlier message): an answer to another question than the open one is
        not graded against the wrong reference; the user is told which question is open.
        """
        now = as_utc(now)
        state = self.store.chat_state(user_key)
        language = self.language(user_key)
        library = self.library(user_key)
        question = library.get(state.question_id) if state.question_id else None
        if replying_to is not None and (state.state != ASKED or replying_to != state.question_id):
            if library.get(replying_to) is None:
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
        lines = [render_text(feedback_for(in_language(shown, question, language, followup), language))]
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

    def skip(self, user_key: str, *, now: datetime | None = None) -> list[Reply]:
        """Leave the open question unanswered (no attempt) and ask another one. A review that was
        due waits `SKIP_POSTPONE` before it is served again, instead of coming straight back."""
        now = as_utc(now)
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
