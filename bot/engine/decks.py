"""Decks: a user's own questions, from a notes file sent in a chat.

A file is read and previewed (`preview_file`: the importer's counts, first questions and skipped
lines) and kept as a preview until the user presses Import (`import_deck`), which stores the
questions as the user's deck of that name, once, however often it is pressed. The user chooses
which decks, and whether the shared bank, /question and /daily draw from (`toggle_source`), renames
and deletes decks; a group's admin attaches one of their decks to the group for /mock.

Transport-free like the rest of the engine: outcomes are data (`DeckNotice` codes with values, a
`DeckPreview`, a `DeckOverview`); the front-end words them.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from questions.bank import render_bank_file
from questions.build import make_id
from questions.importer import SeedResult, import_seed
from questions.importers import SeedFormatError
from questions.importers import notes as notes_format
from questions.importers.notes.patterns import Pattern
from questions.model import BankFile, Question
from questions.preview import LineRun, preview_of

from ..storage import DeckRecord, ImportOutcome, ImportStatus, UploadState
from ..storage.decks import MAX_DECK_NAME
from .core import EngineCore, as_utc
from .library import deck_prefix

__all__ = ["Decks", "DeckNotice", "DeckPreview", "DeckOverview", "DECK_SUFFIXES", "deck_name_for"]

logger = logging.getLogger(__name__)

DECK_SUFFIXES = (".md", ".markdown", ".txt")  # what a notes file sent in a chat may be called
_SNIFF_BYTES = 8192
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class DeckNotice:
    """An outcome for the front-end to word: `code` names the text, `values` fill it in."""

    code: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class DeckPreview:
    """What importing a file would make, kept as preview `upload_id` until Import is pressed."""

    upload_id: int
    name: str  # the deck's name (from the file's name)
    file_name: str
    format: str
    structure: str  # how the questions were recognised ("" for the seed formats)
    questions: tuple[Question, ...]
    topics: tuple[tuple[str, int], ...]  # topic id and count, most first
    skipped: tuple[LineRun, ...]
    unplaced: int  # lines neither a question nor an answer
    replaces: int | None  # questions of the user's deck of that name, which importing replaces
    pattern: Pattern | None = None  # `structure` as data, when it is a notes pattern

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.answered)

    @property
    def skipped_lines(self) -> int:
        return sum(run.count for run in self.skipped)


@dataclass(frozen=True)
class DeckOverview:
    """A user's sources: the shared bank (practised or not) and their decks."""

    shared_bank: bool
    bank_questions: int
    decks: tuple[DeckRecord, ...]


def deck_name_for(file_name: str) -> str:
    """A deck's name from its file's name: the name without its suffix, tidied.

    >>> deck_name_for("ML 面试/笔记 v2.md")
    '笔记 v2'
    """
    stem = Path(file_name.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem.strip(".") else stem
    name = " ".join(_UNSAFE.sub(" ", stem).split())
    return name[:MAX_DECK_NAME].strip() or "notes"


def _file_name(file_name: str) -> str:
    """The file's name, safe to create in a folder (the suffix kept)."""
    name = Path(file_name.replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    stem = _UNSAFE.sub("_", name[: len(name) - len(suffix)]).strip(" .")[:80] or "notes"
    return stem + suffix


def _decode(data: bytes) -> str | DeckNotice:
    """The file's text (UTF-8, or GB18030 as Chinese Windows editors save it), or why not."""
    if not data.strip():
        return DeckNotice("empty")
    if b"\x00" in data[:_SNIFF_BYTES]:
        return DeckNotice("binary")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding).replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            continue
    return DeckNotice("not_text")


def _never(deck_id: int) -> tuple[str, int]:
    raise AssertionError(f"a preview that is not waiting was imported into deck {deck_id}")


class Decks(EngineCore):
    """Importing, choosing, renaming and deleting decks, and attaching one to a group."""

    # ------------------------------------------------------------------ reading a file

    def _parse(self, file_name: str, text: str) -> SeedResult | DeckNotice:
        """The importer's result for this text as file `file_name` (nothing written), or why not."""
        with tempfile.TemporaryDirectory(prefix="mockbot-deck-") as folder:
            path = Path(folder) / _file_name(file_name)
            path.write_text(text, encoding="utf-8")
            try:
                return import_seed(path, Path(folder) / "bank", self.taxonomy, write=False)
            except SeedFormatError as exc:
                what = notes_format.content_reason(text)
                if what:
                    return DeckNotice("not_notes", {"what": what})
                logger.info("notes file %s not read: %s", path.name, str(exc).replace(str(path), path.name))
                return DeckNotice("no_questions", {"detail": notes_format.near_miss(text)})

    def preview_file(self, user_key: str, file_name: str, data: bytes, *, now: datetime | None = None) -> DeckPreview | DeckNotice:
        """Read a notes file sent by the user and keep its preview for the Import button; or say
        why it cannot be a deck (type, size, not text, not notes, too many questions or decks)."""
        now = as_utc(now)
        limits = self.deck_limits
        suffix = Path(file_name).suffix.lower()
        if suffix not in DECK_SUFFIXES:
            return DeckNotice("wrong_type", {"suffix": suffix or file_name})
        if len(data) > limits.max_file_bytes:
            return DeckNotice("too_large", {"size": len(data), "limit": limits.max_file_bytes})
        text = _decode(data)
        if isinstance(text, DeckNotice):
            return text
        result = self._parse(file_name, text)
        if isinstance(result, DeckNotice):
            return result
        questions = tuple(result.merged)
        if not questions:
            return DeckNotice("no_questions", {"detail": ""})
        if len(questions) > limits.max_questions:
            return DeckNotice("too_many_questions", {"count": len(questions), "limit": limits.max_questions})
        name = deck_name_for(file_name)
        existing = self.store.deck_named(user_key, name)
        if existing is not None:
            name = existing.name
        elif len(self.store.decks(user_key)) >= limits.max_decks:
            return DeckNotice("too_many_decks", {"limit": limits.max_decks})
        preview = preview_of(result, text.split("\n"))
        upload = self.store.add_upload(user_key, name=name, file_name=Path(file_name).name, text=text, now=now)
        return DeckPreview(
            upload_id=upload.id, name=name, file_name=upload.file_name, format=preview.format,
            structure=preview.structure, questions=questions,
            topics=tuple(Counter(q.topic for q in questions).most_common()), skipped=tuple(preview.skipped),
            unplaced=len(preview.unplaced), replaces=existing.questions if existing is not None else None,
            pattern=preview.pattern,
        )  # fmt: skip

    # ------------------------------------------------------------------ importing

    def import_deck(self, user_key: str, upload_id: int, *, now: datetime | None = None) -> ImportOutcome:
        """Import preview `upload_id` of this user's as their deck, once (see `Store.import_upload`)."""
        now = as_utc(now)
        upload = self.store.upload(user_key, upload_id)
        if upload is None:
            return ImportOutcome(ImportStatus.GONE)
        if upload.state != UploadState.WAITING.value:  # the store says what became of it
            return self.store.import_upload(user_key, upload_id, _never, max_decks=0, now=now)
        result = self._parse(upload.file_name, upload.text)
        if isinstance(result, DeckNotice):  # it was read when previewed: only a changed importer refuses it now
            return ImportOutcome(ImportStatus.GONE)
        questions: list[Question] = list(result.merged)[: self.deck_limits.max_questions]
        built: dict[int, list[Question]] = {}

        def build(deck_id: int) -> tuple[str, int]:
            taken: set[str] = set()
            renamed = []
            for question in questions:
                question_id = make_id(deck_prefix(deck_id), question.question, taken)
                taken.add(question_id)
                renamed.append(question.model_copy(update={"id": question_id}))
            built[deck_id] = renamed
            bank_file = BankFile(source=upload.file_name, format=result.format, title=result.parsed.title if result.parsed else None,
                                 questions=renamed)  # fmt: skip
            return render_bank_file(bank_file), len(renamed)

        outcome = self.store.import_upload(
            user_key, upload_id, build, max_decks=self.deck_limits.max_decks,
            not_before=now - self.deck_limits.preview_ttl, now=now,
        )  # fmt: skip
        if outcome.deck is not None and outcome.deck.id in built:
            self.deck_cache.put(outcome.deck, tuple(built[outcome.deck.id]))
        return outcome

    def cancel_upload(self, user_key: str, upload_id: int) -> DeckNotice:
        """The Cancel button of a preview: nothing is imported (a preview imported already stays so)."""
        upload = self.store.cancel_upload(user_key, upload_id)
        if upload is None:
            return DeckNotice("preview_gone")
        return DeckNotice("cancelled" if upload.deck_id is None else "already_imported", {"name": upload.name})

    # ------------------------------------------------------------------ choosing, renaming, deleting

    def deck_overview(self, user_key: str) -> DeckOverview:
        """The user's sources and which of them /question and /daily draw from."""
        user = self.store.user(user_key)
        return DeckOverview(user.shared_bank, len(self.bank.questions), tuple(self.store.decks(user_key)))

    def toggle_source(self, user_key: str, deck_id: int | None) -> DeckNotice:
        """Practise a deck (`deck_id`; None: the shared bank) or stop practising it; the last
        source practised stays on."""
        overview = self.deck_overview(user_key)
        on = [d.id for d in overview.decks if d.practised] + ([None] if overview.shared_bank else [])
        if deck_id is None:
            if overview.shared_bank and on == [None]:
                return DeckNotice("last_source")
            self.store.update_user(user_key, shared_bank=not overview.shared_bank)
            return DeckNotice("bank_on" if not overview.shared_bank else "bank_off")
        deck = next((d for d in overview.decks if d.id == deck_id), None)
        if deck is None:
            return DeckNotice("no_deck_id")
        if deck.practised and on == [deck.id]:
            return DeckNotice("last_source")
        self.store.set_practised(user_key, deck.id, not deck.practised)
        return DeckNotice("deck_off" if deck.practised else "deck_on", {"name": deck.name})

    def rename_deck(self, user_key: str, old: str, new: str, *, now: datetime | None = None) -> DeckNotice:
        """/decks rename OLD NEW."""
        deck = self.store.deck_named(user_key, old)
        new = " ".join(new.split())
        if deck is None:
            return DeckNotice("no_deck", {"name": old})
        if not new or len(new) > MAX_DECK_NAME:
            return DeckNotice("bad_name", {"limit": MAX_DECK_NAME})
        try:
            self.store.rename_deck(user_key, deck.id, new, now=as_utc(now))
        except ValueError:
            return DeckNotice("name_taken", {"name": new})
        return DeckNotice("renamed", {"old": deck.name, "name": new})

    def delete_deck(self, user_key: str, deck_id: int) -> DeckNotice:
        """Delete a deck of the user's (its progress stays with the ids, unused); if it was the
        only source practised, the shared bank is practised again."""
        deck = self.store.deck(deck_id, user_key)
        if deck is None or not self.store.delete_deck(user_key, deck_id):
            return DeckNotice("no_deck_id")
        overview = self.deck_overview(user_key)
        if not overview.shared_bank and not any(d.practised for d in overview.decks):
            self.store.update_user(user_key, shared_bank=True)
            return DeckNotice("deleted_bank_on", {"name": deck.name})
        return DeckNotice("deleted", {"name": deck.name})

    # ------------------------------------------------------------------ groups

    def attach_deck(self, chat_key: str, by_key: str, name: str, *, now: datetime | None = None) -> DeckNotice:
        """A group's admin attaches one of their own decks to the group for /mock."""
        deck = self.store.deck_named(by_key, name)
        if deck is None:
            return DeckNotice("no_deck", {"name": name})
        gradable = sum(1 for q in self.deck_cache.questions(self.store, deck) if q.gradable)
        if not gradable:
            return DeckNotice("no_gradable", {"name": deck.name})
        self.store.attach_deck(chat_key, deck.id, by_key, now=as_utc(now))
        return DeckNotice("attached", {"name": deck.name, "count": gradable})

    def detach_deck(self, chat_key: str) -> DeckNotice:
        """The group's /mock rounds draw from the shared bank again."""
        return DeckNotice("detached" if self.store.detach_deck(chat_key) else "none_attached")

    def group_deck_notice(self, chat_key: str) -> DeckNotice:
        """Which deck the group's /mock rounds draw from."""
        deck = self.store.group_deck(chat_key)
        if deck is None:
            return DeckNotice("group_uses_bank")
        return DeckNotice("group_uses_deck", {"name": deck.name, "count": deck.questions})
