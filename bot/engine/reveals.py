"""What the engine reveals about a question: hints (the gist of the next key point, at a cost),
the reference answer (in words where it is only images or links), follow-ups on a missed point,
and the grading result in the user's language."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import fsrs

from grading.result import GradeResult
from questions.model import Question

from ..grading_app import reference_for
from ..scheduling import choose_followup_point
from .core import ASKED, FEEDBACK, HINT_COST, EngineCore, as_utc
from .replies import Action, Button, Reply, ReplyKind
from .texts import t

__all__ = ["Reveals", "in_language"]

_IMAGE = re.compile(r"""<img\s[^>]*?src=["']([^"']+)["'][^>]*>""", re.IGNORECASE)
_LINK = re.compile(r"<(https?://[^>\s]+)>|(?<![\w(\"'=])(https?://\S+)")


def in_language(result: GradeResult, question: Question, language: str, followup: int | None = None) -> GradeResult:
    """The result with its key points and misconceptions in `language` where the bank words them
    so (else as the bank words them); `followup`: the point a follow-up answer was graded on."""
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


class Reveals(EngineCore):
    """Hints, the reference answer and follow-ups."""

    def hint(self, user_key: str, *, step: int | None = None, now: datetime | None = None) -> Reply:
        """Reveal the gist of the next key point of the open question, at a cost of HINT_COST points.

        `step` is the number of hints shown when the pressed button was made: a hint already
        shown by then (a double tap, an older hint button) is shown again, free, and none is taken.
        """
        state = self.store.chat_state(user_key)
        question = self.library(user_key).get(state.question_id) if state.question_id else None
        if state.state != ASKED or question is None:
            return self._info(user_key, "no_question")
        if not question.key_points or state.followup_point is not None:
            return self._info(user_key, "hint_open") if not question.key_points else self._info(user_key, "no_hint")
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
        now = as_utc(now)
        state = self.store.chat_state(user_key)
        question_id = state.question_id or state.last_question_id
        question = self.library(user_key).get(question_id) if question_id else None
        language = self.language(user_key)
        if question is None:
            return self._info(user_key, "no_question")
        text, images = self._reference(question, language)
        if state.state == ASKED and question.gradable and state.followup_point is None:
            self.store.add_attempt(
                user_key, question_id=question.id, answer="", score=0.0, verdict=0, covered=[],
                missed=list(range(len(question.key_points))), contradicted=[], hints_used=state.hints_used,
                is_followup=False, rating=int(fsrs.Rating.Again), looked_up=True, now=now,
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

    def _gist(self, question: Question, point: int, language: str = "zh") -> str:
        """A few words naming a key point, never the point itself: its curated gist (in English on
        an English screen, where the bank has one), else its first keywords."""
        key_point = question.key_points[point]
        gist = (language == "en" and key_point.gist_en) or key_point.gist
        if gist:
            return gist
        prepared = self.grader.prepare(reference_for(question))
        keywords = prepared.points[point].keywords[:2] if point < len(prepared.points) else ()
        return t("list_separator", language).join(keywords) if keywords else key_point.text[:8]

    def _followup_text(self, question: Question, point: int, language: str) -> str:
        return t("followup", language, question=question.question, hint=self._gist(question, point, language))

    def _followup_reply(self, user_key: str, question: Question, point: int, *, prefix: str = "") -> Reply:
        language = self.language(user_key)
        text = "\n".join(x for x in (prefix, self._followup_text(question, point, language)) if x)
        skip = Button(t("button_skip", language), Action.SKIP, question.id)
        return Reply(ReplyKind.QUESTION, text, (skip,), question_id=question.id)

    def followup(self, user_key: str, *, now: datetime | None = None) -> Reply:
        """Ask about the most important key point the last answer missed, like an interviewer would."""
        now = as_utc(now)
        state = self.store.chat_state(user_key)
        attempt = self.store.last_attempt(user_key)
        question = self.library(user_key).get(attempt.question_id) if attempt else None
        if state.state == ASKED:
            return self._info(user_key, "followup_after_answer")
        if state.state != FEEDBACK or attempt is None or question is None or attempt.is_followup:
            return self._info(user_key, "no_followup") if attempt else self._info(user_key, "no_question")
        point = choose_followup_point(list(attempt.missed) + list(attempt.contradicted))
        if point is None:
            return self._info(user_key, "no_followup")
        self.store.save_chat_state(
            user_key, state=ASKED, question_id=question.id, followup_point=point, hints_used=0, asked_at=now
        )
        return self._followup_reply(user_key, question, point)
