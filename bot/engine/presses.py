"""What a button of a question does when that question is not the open one (a button under an old
message, the second tap of a double tap), and re-rating the last graded answer.

A button names its question; `PracticeEngine.press` asks `_press_named` first, and acts as usual
only when the button's question is the one it would act on.
"""

from __future__ import annotations

from datetime import datetime

import fsrs

from grading.i18n import N_

from ..scheduling import rerate
from .core import ASKED, FEEDBACK, review_state
from .replies import Action, Reply, ReplyKind
from .reveals import Reveals
from .texts import t

__all__ = ["Presses"]

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
_RATING_NAMES = {  # the catalog's name of each FSRS rating
    fsrs.Rating.Again: N_("rating_again"),
    fsrs.Rating.Hard: N_("rating_hard"),
    fsrs.Rating.Good: N_("rating_good"),
    fsrs.Rating.Easy: N_("rating_easy"),
}
_RATINGS = {
    Action.RATE_AGAIN: fsrs.Rating.Again,
    Action.RATE_HARD: fsrs.Rating.Hard,
    Action.RATE_GOOD: fsrs.Rating.Good,
    Action.RATE_EASY: fsrs.Rating.Easy,
}


class Presses(Reveals):
    """Buttons of closed questions, and re-rating."""

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
        open_now = self._open_now(user_key, state, language)
        return self._info(user_key, "button_closed", button=label, id=question_id, now=open_now)

    def _given_up_last(self, user_key: str, question_id: str, state) -> bool:  # noqa: ANN001 - a ChatStateRecord
        """Whether the chat's latest attempt gave `question_id` up (its reference was shown then):
        an attempt that is not the last graded answer, which `last_attempt_id` names."""
        attempt = self.store.last_attempt(user_key)
        return attempt is not None and attempt.question_id == question_id and attempt.id != state.last_attempt_id

    def _open_id(self, user_key: str, state) -> str | None:  # noqa: ANN001 - a ChatStateRecord
        """The open question's id; None when none is open (or it has left the bank or its deck)."""
        if state.state == ASKED and state.question_id and self.library(user_key).get(state.question_id) is not None:
            return state.question_id
        return None

    def _open_now(self, user_key: str, state, language: str) -> str:  # noqa: ANN001 - a ChatStateRecord
        """「当前的题目是 [B]…」, or how to get a question when none is open."""
        open_id = self._open_id(user_key, state)
        return self.t("closed_open", language, open=open_id) if open_id else self.t("closed_none", language)

    def _closed_reference(self, user_key: str, question_id: str, state) -> Reply:  # noqa: ANN001 - a ChatStateRecord
        """看答案 under a question that is not the open one: its reference, read only. Nothing is
        recorded: the question is closed (it was answered, given up, skipped or replaced by
        another), and a question open now is not touched. Right after a give-up (a double tap)
        the reference is not sent a second time."""
        language = self.language(user_key)
        question = self.library(user_key).get(question_id)
        if question is None:  # it has left the bank, or is no question of this user's: nothing to show
            return self._closed(user_key, Action.ANSWER, question_id, state)
        last = state.state == FEEDBACK and state.last_question_id == question_id  # its result is the latest
        next_button = (self._next_button(language, question_id),)
        if last and self._given_up_last(user_key, question_id, state):
            return Reply(ReplyKind.INFO, t("reference_sent", language), next_button, question_id=question_id)
        text, images = self._reference(question, language)
        if open_id := self._open_id(user_key, state):  # no 下一题 under it: that question waits
            note = t("reference_closed_open", language, id=question_id, open=open_id)
            return Reply(ReplyKind.REFERENCE, f"{text}\n{note}", question_id=question_id, images=images)
        if not last:
            text += "\n" + t("reference_closed", language, id=question_id)
        return Reply(ReplyKind.REFERENCE, text, next_button, question_id=question_id, images=images)

    def rerate(self, user_key: str, action: Action, *, now: datetime | None = None) -> Reply:
        """Reschedule the last graded answer as Again/Hard/Good/Easy instead of what its score gave;
        refused when the last rated attempt is a looked-up reference."""
        attempt = self._last_rated(user_key)
        language = self.language(user_key)
        if attempt is None or action not in _RATINGS:
            return self._info(user_key, "nothing_to_rate")
        if attempt.looked_up:  # the reference was read, not recalled: it stays Again and comes back soon
            return self._info(user_key, "rerate_looked_up", id=attempt.question_id)
        rating = _RATINGS[action]
        record = self.store.review(user_key, attempt.question_id)
        before = review_state(self.store.review_before(user_key, attempt.question_id))
        after = rerate(before, attempt.question_id, rating, now=attempt.created_at)
        self.store.save_review(
            user_key, attempt.question_id, card=after.card, due=after.due, last_rating=int(rating),
            now=record.updated_at if record else attempt.created_at, keep_previous=True,
        )  # fmt: skip
        self.store.set_attempt_rating(attempt.id, int(rating))
        name = t(_RATING_NAMES[rating], language)
        return self._info(user_key, "rerated", rating=name, due=self.format_time(user_key, after.due))

    def _last_rated(self, user_key: str):  # noqa: ANN202 - a storage AttemptRecord or None
        """The last attempt that set a rating (the one re-rating acts on)."""
        return next((a for a in reversed(self.store.attempts(user_key)) if a.rating is not None), None)
