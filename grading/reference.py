"""What a reply is graded against: the question, its reference answer, key points and misconceptions.

Plain data with no dependency on the question bank; `bot.grading_app.reference_for` builds one from
a bank question.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from questions.keypoints import extract_key_points

from .text import language_of

__all__ = ["Point", "Misconception", "Reference"]


@dataclass(frozen=True)
class Point:
    """A key point: a claim the reply should make.

    `core` points decide a pass; `aliases` (other wordings, e.g. colloquial ones) and `en` (the
    point in English) count like the text: a reply is compared with the closest of them. `gist`, the
    point in a few words (「局部连接」), is how a terse reply says it: a wording for short replies only.
    """

    text: str
    core: bool = True
    aliases: tuple[str, ...] = ()
    en: str = ""
    gist: str = ""

    @property
    def variants(self) -> tuple[str, ...]:
        """The text and every other wording of it, without repeats; the gist last, when it is another."""
        return self._wordings + ((self.gist,) if self.gist_variant is not None else ())

    @property
    def gist_variant(self) -> int | None:
        """The index of the gist in `variants`, or None when it is no wording of its own."""
        wordings = self._wordings
        return len(wordings) if self.gist.strip() and self.gist not in wordings else None

    @property
    def _wordings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for v in (self.text, *self.aliases, self.en) if v and v.strip()))


@dataclass(frozen=True)
class Misconception:
    """A wrong claim candidates commonly make, and the right statement."""

    claim: str
    correction: str = ""
    en: str = ""  # the claim in English, for weighing an English reply to a Chinese question
    correction_en: str = ""  # the right statement in English


@dataclass(frozen=True)
class Reference:
    """What a reply is graded against. Key points default to those extracted from the answer."""

    question: str
    answer: str = ""
    key_points: tuple[str | Point, ...] = ()
    keywords: dict[int, tuple[str, ...]] = field(default_factory=dict)  # 1-based point -> keywords
    misconceptions: tuple[Misconception, ...] = ()

    def points(self) -> tuple[Point, ...]:
        if self.key_points:
            return tuple(p if isinstance(p, Point) else Point(p) for p in self.key_points if str(_text(p)).strip())
        return tuple(Point(p) for p in extract_key_points(self.answer)) if self.answer.strip() else ()

    def english(self) -> Reference | None:
        """The same question in its points' and misconceptions' English wordings (each point its
        level; no question text, as the bank has none in English), or None when a key point has no
        English wording. What an English reply's wrong claims are read against, and what English
        replies are calibrated on (`mockbot grading calibrate --lang en`)."""
        points = self.points()
        if not points or not all(p.en for p in points):
            return None
        english = tuple(Point(p.en, core=p.core) for p in points)
        misconceptions = tuple(Misconception(m.en, m.correction_en) for m in self.misconceptions if m.en)
        return Reference("", "\n".join(p.text for p in english), english, {}, misconceptions)

    @property
    def language(self) -> str:
        texts = " ".join(_text(p) for p in self.key_points) or self.answer[:300]
        return language_of(f"{self.question} {texts}")


def _text(point: str | Point) -> str:
    return point.text if isinstance(point, Point) else point
