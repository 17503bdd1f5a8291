"""The user's settings and progress: topics, language, the daily question's time and zone,
forgetting everything, the summary of a session and the statistics with their chart."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..progress import chart_png, progress
from ..scheduling import next_due
from .core import EngineCore, as_utc, review_state
from .replies import Reply, ReplyKind
from .texts import LANGUAGES, join_list, language_list, plural, t

__all__ = ["Settings"]

_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")  # 「08：30」: the colon of Chinese keyboards too


class Settings(EngineCore):
    """Settings and progress."""

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

    def set_language(self, user_key: str, language: str) -> Reply:
        if language not in LANGUAGES:
            return self._info(user_key, "unknown_language", ReplyKind.ERROR, languages=language_list(self.language(user_key)))
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

    def unsubscribe(self, user_key: str) -> Reply:
        self.store.update_user(user_key, daily_time=None)
        return self._info(user_key, "unsubscribed")

    def forget(self, user_key: str) -> Reply:
        """Delete everything stored about this user (answers, progress, settings)."""
        language = self.language(user_key)
        self.store.delete_user_data(user_key)
        return Reply(ReplyKind.INFO, t("forgotten", language))

    def session_summary(self, user_key: str, since: datetime, *, now: datetime | None = None) -> Reply:
        """What the user did since `since`: answers (follow-ups aside), average, best and weakest
        topic, and when the next review falls due."""
        now = as_utc(now)
        language = self.language(user_key)
        tried = [a for a in self.store.attempts(user_key, since=as_utc(since)) if not a.is_followup]
        attempts = [a for a in tried if a.answered]
        cards = [c for c in (review_state(r) for r in self.store.reviews(user_key)) if c is not None]
        library = self.library(user_key)
        cards = [c for c in cards if library.get(c.question_id)]
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
            question = library.get(attempt.question_id)
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
        """Numbers per topic and overall, with a chart image: answers only (`AttemptRecord.answered`),
        a looked-up reference is no answer and no score of 0."""
        now = as_utc(now)
        language = self.language(user_key)
        user = self.store.user(user_key)
        attempts = [a for a in self.store.attempts(user_key) if a.answered]
        reviews = [review_state(r) for r in self.store.reviews(user_key)]
        questions = {q.id: q for q in self.library(user_key).questions}
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
