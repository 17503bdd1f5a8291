"""The part of `Store` about decks: a user's own questions (a notes file imported in a chat), the
previews waiting for their Import button, and the deck a group's admin attached for /mock.

Every lookup that a user makes names the user: a deck or a preview of someone else is never found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.storage.base import utc_now
from bot.storage.models import Deck, DeckUpload, GroupDeck, User
from bot.storage.records import DeckRecord, DeckUploadRecord, UploadState, to_record
from bot.storage.users import UsersStore

__all__ = ["DecksStore", "ImportStatus", "ImportOutcome", "MAX_DECK_NAME", "UPLOADS_KEPT"]

MAX_DECK_NAME = 64  # characters of a deck's name (the column's size)
UPLOADS_KEPT = timedelta(days=1)  # previews older than this are deleted when the user sends another file


class ImportStatus(str, Enum):
    """What became of an Import press."""

    IMPORTED = "imported"  # a new deck
    REPLACED = "replaced"  # the deck of that name now holds the file's questions
    ALREADY = "already"  # this preview was imported before (a second press)
    CANCELLED = "cancelled"  # its Cancel button was pressed
    GONE = "gone"  # no such preview of this user (expired and deleted, or never theirs)
    EXPIRED = "expired"  # the preview is older than the caller allows
    TOO_MANY = "too_many"  # the user has as many decks as allowed


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    status: ImportStatus
    deck: DeckRecord | None = None


def _deck_query(user_id: int):  # noqa: ANN202 - a Select
    return select(Deck).where(Deck.user_id == user_id)


def _record(row: Deck) -> DeckRecord:
    return to_record(DeckRecord, row)


class DecksStore(UsersStore):
    """Decks, previews and group attachments (see the module's docstring); `Store` mixes this in."""

    # ------------------------------------------------------------------ decks

    def decks(self, user_key: str) -> list[DeckRecord]:
        """This user's decks, oldest first (without their content)."""

        def work(session: Session) -> list[DeckRecord]:
            query = select(Deck).join(User).where(User.key == user_key).order_by(Deck.created_at, Deck.id)
            return [_record(row) for row in session.scalars(query)]

        return self._run(work, write=False)

    def deck(self, deck_id: int, user_key: str | None = None) -> DeckRecord | None:
        """The deck with this id; with `user_key`, only if it is that user's."""

        def work(session: Session) -> DeckRecord | None:
            row = session.get(Deck, deck_id)
            if row is None or (user_key is not None and row.user_id != self._user_id(session, user_key)):
                return None
            return _record(row)

        return self._run(work, write=False)

    def deck_named(self, user_key: str, name: str) -> DeckRecord | None:
        """This user's deck called `name` (exactly, else ignoring case)."""
        decks = self.decks(user_key)
        return next((d for d in decks if d.name == name), None) or next(
            (d for d in decks if d.name.casefold() == name.casefold()), None
        )

    def deck_content(self, deck_id: int) -> str | None:
        """The bank file (YAML text) a deck holds; None if there is no such deck."""
        return self._run(lambda session: session.scalar(select(Deck.content).where(Deck.id == deck_id)), write=False)

    def set_practised(self, user_key: str, deck_id: int, practised: bool) -> DeckRecord | None:
        """Practise this deck of the user's with /question and /daily, or not; None if not theirs."""

        def work(session: Session) -> DeckRecord | None:
            row = session.get(Deck, deck_id)
            if row is None or row.user_id != self._user_id(session, user_key):
                return None
            row.practised = bool(practised)
            session.flush()
            return _record(row)

        return self._run(work)

    def rename_deck(self, user_key: str, deck_id: int, name: str, *, now: datetime | None = None) -> DeckRecord | None:
        """Give this deck of the user's a new name; None if not theirs.

        Raises:
            ValueError: the name is empty, too long, or another deck of the user's has it.
        """
        name = name.strip()
        if not name or len(name) > MAX_DECK_NAME:
            raise ValueError(f"a deck's name has 1-{MAX_DECK_NAME} characters")
        stamp = utc_now(now)

        def work(session: Session) -> DeckRecord | None:
            row = session.get(Deck, deck_id)
            if row is None or row.user_id != self._user_id(session, user_key):
                return None
            clash = session.scalar(_deck_query(row.user_id).where(Deck.name == name, Deck.id != deck_id))
            if clash is not None:
                raise ValueError(f"another deck is called {name!r}")
            row.name, row.updated_at = name, stamp
            session.flush()
            return _record(row)

        return self._run(work)

    def delete_deck(self, user_key: str, deck_id: int) -> bool:
        """Delete this deck of the user's (and any group's attachment of it); False if not theirs."""

        def work(session: Session) -> bool:
            row = session.get(Deck, deck_id)
            if row is None or row.user_id != self._user_id(session, user_key):
                return False
            session.execute(delete(GroupDeck).where(GroupDeck.deck_id == deck_id))
            session.delete(row)
            return True

        return self._run(work)

    # ------------------------------------------------------------------ previews

    def add_upload(self, user_key: str, *, name: str, file_name: str, text: str, now: datetime | None = None) -> DeckUploadRecord:
        """Keep a previewed file until its Import button is pressed; the user's previews older
        than `UPLOADS_KEPT` are deleted meanwhile."""
        stamp = utc_now(now)
        text = text.replace("\x00", "")  # PostgreSQL's text columns refuse NUL characters

        def work(session: Session) -> DeckUploadRecord:
            user_id = self._user_row(session, user_key, stamp).id
            old = (DeckUpload.user_id == user_id) & (DeckUpload.created_at < stamp - UPLOADS_KEPT)
            session.execute(delete(DeckUpload).where(old))
            row = DeckUpload(user_id=user_id, name=name[:MAX_DECK_NAME], file_name=file_name[:255], text=text,
                             state=UploadState.WAITING.value, created_at=stamp)  # fmt: skip
            session.add(row)
            session.flush()
            return to_record(DeckUploadRecord, row)

        return self._run(work)

    def upload(self, user_key: str, upload_id: int) -> DeckUploadRecord | None:
        """This user's preview with this id (None: not theirs, or deleted)."""

        def work(session: Session) -> DeckUploadRecord | None:
            row = session.get(DeckUpload, upload_id)
            if row is None or row.user_id != self._user_id(session, user_key):
                return None
            return to_record(DeckUploadRecord, row)

        return self._run(work, write=False)

    def cancel_upload(self, user_key: str, upload_id: int) -> DeckUploadRecord | None:
        """Cancel a waiting preview of the user's; returns it as it is now (None: not theirs).
        A preview already imported stays imported."""

        def work(session: Session) -> DeckUploadRecord | None:
            row = session.get(DeckUpload, upload_id)
            if row is None or row.user_id != self._user_id(session, user_key):
                return None
            if row.state == UploadState.WAITING.value:
                row.state, row.text = UploadState.CANCELLED.value, ""
            session.flush()
            return to_record(DeckUploadRecord, row)

        return self._run(work)

    def import_upload(
        self, user_key: str, upload_id: int, build: Callable[[int], tuple[str, int]], *,
        max_decks: int, not_before: datetime | None = None, now: datetime | None = None,
    ) -> ImportOutcome:
        """Import a waiting preview of the user's, once: into the user's deck of its name (kept,
        with its id), else into a new deck if the user has fewer than `max_decks`.

        `build(deck_id)` returns the deck's content (YAML text) and its number of questions; it
        runs inside the transaction, so a second press, or another process, can never import the
        same preview twice. A preview created before `not_before` has expired.
        """
        stamp = utc_now(now)

        def work(session: Session) -> ImportOutcome:
            row = session.get(DeckUpload, upload_id)
            user_id = self._user_id(session, user_key)
            if row is None or row.user_id != user_id:
                return ImportOutcome(ImportStatus.GONE)
            if row.state == UploadState.IMPORTED.value:
                deck = session.get(Deck, row.deck_id) if row.deck_id is not None else None
                return ImportOutcome(ImportStatus.ALREADY, _record(deck) if deck is not None else None)
            if row.state == UploadState.CANCELLED.value:
                return ImportOutcome(ImportStatus.CANCELLED)
            if not_before is not None and row.created_at < utc_now(not_before, "not_before"):
                return ImportOutcome(ImportStatus.EXPIRED)
            deck = session.scalar(_deck_query(row.user_id).where(Deck.name == row.name))
            status = ImportStatus.REPLACED if deck is not None else ImportStatus.IMPORTED
            if deck is None:
                count = session.scalar(select(func.count()).select_from(Deck).where(Deck.user_id == row.user_id)) or 0
                if count >= max_decks:
                    return ImportOutcome(ImportStatus.TOO_MANY)
                deck = Deck(user_id=row.user_id, name=row.name, file_name=row.file_name, content="", questions=0,
                            practised=True, created_at=stamp, updated_at=stamp)  # fmt: skip
                session.add(deck)
                session.flush()
            content, questions = build(deck.id)
            deck.content, deck.questions, deck.file_name, deck.updated_at = content, questions, row.file_name, stamp
            row.state, row.deck_id, row.text = UploadState.IMPORTED.value, deck.id, ""
            session.flush()
            return ImportOutcome(status, _record(deck))

        return self._run(work)

    # ------------------------------------------------------------------ groups

    def group_deck(self, chat_key: str) -> DeckRecord | None:
        """The deck attached to this group for /mock, if any."""

        def work(session: Session) -> DeckRecord | None:
            row = session.scalar(select(Deck).join(GroupDeck, GroupDeck.deck_id == Deck.id).where(GroupDeck.chat_key == chat_key))
            return None if row is None else _record(row)

        return self._run(work, write=False)

    def attach_deck(self, chat_key: str, deck_id: int, by_key: str, *, now: datetime | None = None) -> None:
        """Make this deck the one the group's /mock rounds draw from (replacing any other)."""
        stamp = utc_now(now)

        def work(session: Session) -> None:
            row = session.get(GroupDeck, chat_key)
            if row is None:
                session.add(GroupDeck(chat_key=chat_key, deck_id=deck_id, attached_by=by_key, created_at=stamp))
            else:
                row.deck_id, row.attached_by, row.created_at = deck_id, by_key, stamp

        self._run(work)

    def detach_deck(self, chat_key: str) -> bool:
        """The group's /mock rounds draw from the shared bank again; False if no deck was attached."""
        return bool(self._run(lambda session: session.execute(delete(GroupDeck).where(GroupDeck.chat_key == chat_key)).rowcount))

    # ------------------------------------------------------------------ forgetting and moving

    @staticmethod
    def _forget_decks(session: Session, user_id: int) -> int:
        """Delete a user's decks (and their group attachments) and previews."""
        theirs = select(Deck.id).where(Deck.user_id == user_id).scalar_subquery()
        removed = session.execute(delete(GroupDeck).where(GroupDeck.deck_id.in_(theirs))).rowcount
        for model in (DeckUpload, Deck):
            removed += session.execute(delete(model).where(model.user_id == user_id)).rowcount
        return removed

    @staticmethod
    def _move_group_deck(session: Session, old_key: str, new_key: str) -> None:
        """A group upgraded to a supergroup keeps its attached deck."""
        if session.get(GroupDeck, old_key) is None:
            return
        session.execute(delete(GroupDeck).where(GroupDeck.chat_key == new_key))
        session.execute(update(GroupDeck).where(GroupDeck.chat_key == old_key).values(chat_key=new_key))
