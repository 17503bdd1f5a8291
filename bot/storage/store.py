"""`Store`: everything mockbot remembers; this module adds attempts, reviews and forgetting a user.

Every method runs in its own short transaction and returns frozen records (see `records`), never
ORM objects. Datetimes are UTC-aware in and out; methods where time matters take `now`.

    >>> store = Store.open("sqlite://")
    >>> store.user("term:alice").language
    'zh'
    >>> store.close()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.storage.base import column_values, utc_now
from bot.storage.models import Attempt, ChatState, Review, RoundAnswer, User
from bot.storage.records import AttemptRecord, ReviewRecord, to_record
from bot.storage.coordination import CoordinationStore
from bot.storage.decks import DecksStore
from bot.storage.rounds import RoundsOutboxStore
from bot.storage.snapshots import SnapshotsStore

__all__ = ["Store"]

REVIEW_FIELDS = frozenset({"card", "due", "last_rating"})


class Store(DecksStore, RoundsOutboxStore, SnapshotsStore, CoordinationStore):
    """The database behind the practice engine: `Store.open(url)`, use it, `close()`.

    Args:
        url: any SQLAlchemy URL; for a SQLite file the folder is created if missing.
        busy_timeout_ms: how long SQLite itself waits for a lock before reporting it.
        retries: tries of a transaction that keeps finding the database locked.
        retry_delay: seconds before the second try; the wait doubles after each try.

    Raises:
        StorageError: the database cannot be created, opened, migrated, or stays locked.
    """

    @classmethod
    def open(cls, url: str, **options: Any) -> Store:
        """Connect to `url` and migrate it to the newest schema."""
        store = cls(url, **options)
        try:
            store.upgrade()
        except BaseException:
            store.close()
            raise
        return store

    # ------------------------------------------------------------------ attempts

    def add_attempt(
        self,
        user_key: str,
        *,
        question_id: str,
        answer: str,
        score: float,
        verdict: int,
        covered: Sequence[int] = (),
        missed: Sequence[int] = (),
        contradicted: Sequence[int] = (),
        hints_used: int = 0,
        is_followup: bool = False,
        rating: int | None = None,
        looked_up: bool = False,
        now: datetime | None = None,
    ) -> AttemptRecord:
        """Record one graded answer at `now` (key points as 0-based indexes); `looked_up`: the
        reference was shown instead of an answer."""
        stamp = utc_now(now)
        values = column_values(
            dict(question_id=question_id, answer=answer, score=float(score), verdict=verdict,
                 covered=covered, missed=missed, contradicted=contradicted, hints_used=hints_used,
                 is_followup=bool(is_followup), rating=rating, looked_up=bool(looked_up)),
            Attempt.__table__.columns.keys(), what="attempt",
        )

        def work(session: Session) -> AttemptRecord:
            row = Attempt(user_id=self._user_row(session, user_key, stamp).id, created_at=stamp, **values)
            session.add(row)
            session.flush()
            return to_record(AttemptRecord, row)

        return self._run(work)

    def attempts(
        self, user_key: str, *, since: datetime | None = None, limit: int | None = None
    ) -> list[AttemptRecord]:
        """This user's attempts, oldest first: those at or after `since`; with `limit`, the latest N."""
        since = None if since is None else utc_now(since, "since")
        if limit is not None and limit < 0:
            raise ValueError("limit must not be negative")

        def work(session: Session) -> list[AttemptRecord]:
            query = select(Attempt).join(User).where(User.key == user_key)
            if since is not None:
                query = query.where(Attempt.created_at >= since)
            query = query.order_by(Attempt.created_at.desc(), Attempt.id.desc())
            if limit is not None:
                query = query.limit(limit)
            return [to_record(AttemptRecord, row) for row in reversed(session.scalars(query).all())]

        return self._run(work, write=False)

    def last_attempt(self, user_key: str) -> AttemptRecord | None:
        """This user's latest attempt, if any."""
        found = self.attempts(user_key, limit=1)
        return found[0] if found else None

    def set_attempt_rating(self, attempt_id: int, rating: int | None) -> None:
        """Note the FSRS rating applied because of this attempt.

        Raises:
            KeyError: no attempt has this id.
        """

        def work(session: Session) -> None:
            row = session.get(Attempt, attempt_id)
            if row is None:
                raise KeyError(f"no attempt {attempt_id}")
            row.rating = column_values({"rating": rating}, {"rating"}, what="attempt")["rating"]

        self._run(work)

    # ------------------------------------------------------------------ reviews

    def review(self, user_key: str, question_id: str) -> ReviewRecord | None:
        """This user's review card for the question, if it was ever reviewed."""

        def work(session: Session) -> ReviewRecord | None:
            query = select(Review).join(User).where(User.key == user_key, Review.question_id == question_id)
            row = session.scalar(query)
            return None if row is None else to_record(ReviewRecord, row)

        return self._run(work, write=False)

    def save_review(
        self, user_key: str, question_id: str, *, card: dict[str, Any], due: datetime,
        last_rating: int | None, now: datetime, keep_previous: bool = False,
    ) -> ReviewRecord:
        """Store the card after a review (insert or replace) and count the review (`reps` + 1).

        The card it replaces is kept as `previous_*`, so the review can be re-rated; a re-rating
        passes `keep_previous=True` (same review, other rating: nothing shifts, `reps` unchanged).
        """
        values = column_values(
            dict(card=dict(card), due=due, last_rating=last_rating), REVIEW_FIELDS, what="review"
        )
        stamp = utc_now(now)

        def work(session: Session) -> ReviewRecord:
            user_id = self._user_row(session, user_key, stamp).id
            row = session.get(Review, (user_id, question_id))
            if row is None:
                row = Review(user_id=user_id, question_id=question_id, reps=0)
                session.add(row)
            elif not keep_previous:
                row.previous_card, row.previous_due, row.previous_rating = row.card, row.due, row.last_rating
            for name, value in values.items():
                setattr(row, name, value)
            if not keep_previous:
                row.reps += 1
            row.updated_at = stamp
            session.flush()
            return to_record(ReviewRecord, row)

        return self._run(work)

    def review_before(self, user_key: str, question_id: str) -> ReviewRecord | None:
        """The card as it was before its latest review (None for a card reviewed once)."""
        current = self.review(user_key, question_id)
        if current is None or current.previous_card is None or current.previous_due is None:
            return None
        return replace(
            current, card=current.previous_card, due=current.previous_due, last_rating=current.previous_rating,
            reps=current.reps - 1, previous_card=None, previous_due=None, previous_rating=None,
        )  # fmt: skip

    def reviews(self, user_key: str) -> list[ReviewRecord]:
        """All of this user's review cards, earliest due first."""
        return self._reviews(user_key, None)

    def due_reviews(self, user_key: str, now: datetime) -> list[ReviewRecord]:
        """This user's cards due at `now` or earlier, earliest due first."""
        return self._reviews(user_key, utc_now(now))

    def _reviews(self, user_key: str, now: datetime | None) -> list[ReviewRecord]:
        def work(session: Session) -> list[ReviewRecord]:
            query = select(Review).join(User).where(User.key == user_key)
            if now is not None:
                query = query.where(Review.due <= now)
            rows = session.scalars(query.order_by(Review.due, Review.question_id))
            return [to_record(ReviewRecord, row) for row in rows]

        return self._run(work, write=False)

    # ------------------------------------------------------------------ forgetting

    def blank_answers_before(self, cutoff: datetime) -> int:
        """Blank the text of every answer (practice and group rounds) given before `cutoff`;
        scores and key points stay. Returns how many answers were blanked."""
        stamp = utc_now(cutoff, "cutoff")

        def work(session: Session) -> int:
            blanked = 0
            for model in (Attempt, RoundAnswer):
                statement = update(model).where(model.created_at < stamp, model.answer != "").values(answer="")
                blanked += session.execute(statement).rowcount
            return blanked

        return self._run(work)

    def delete_user_data(self, user_key: str) -> int:
        """Forget a user: profile, chat state, attempts, reviews, decks (and their group
        attachments), previews of notes files, round answers, queued pushes.

        Rounds held in the user's own chat go too; in group rounds they started, the starter is
        blanked. Returns how many rows were deleted.
        """

        def work(session: Session) -> int:
            removed = self._forget_in_groups(session, user_key)
            user_id = self._user_id(session, user_key)
            if user_id is not None:
                removed += self._forget_decks(session, user_id)
                for model in (ChatState, Attempt, Review):
                    removed += session.execute(delete(model).where(model.user_id == user_id)).rowcount
                removed += session.execute(delete(User).where(User.id == user_id)).rowcount
            return removed

        return self._run(work)
