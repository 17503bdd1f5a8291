"""The questions one user may be asked: the shared bank and the user's own decks, never anyone
else's.

A deck's question ids start with the deck's id (`deck_12-3f9c1a`): an underscore never appears in
the ids the importer gives the shared bank's questions, so they never collide with those, nor with
another deck's. A deck's content (its bank file, YAML) is parsed once per version and kept in a
small cache shared by every user's calls.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

import yaml

from questions.bank import Bank
from questions.model import BankFile, Question

from ..storage import DeckRecord, Store, UserRecord

__all__ = ["DeckLimits", "DECK_PREFIX", "deck_prefix", "deck_of", "QuestionPool", "DeckCache", "parse_deck"]

DECK_PREFIX = "deck_"
_DECK_ID = re.compile(r"^deck_(\d+)-")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class DeckLimits:
    """How much a user may import (`decks` in config.yaml).

    Attributes:
        max_file_bytes: the largest notes file read.
        max_decks: decks per user.
        max_questions: questions per deck.
        preview_minutes: how long a preview's Import button works.
    """

    max_file_bytes: int = 1_000_000
    max_decks: int = 20
    max_questions: int = 500
    preview_minutes: int = 60

    @property
    def preview_ttl(self) -> timedelta:
        return timedelta(minutes=self.preview_minutes)


def deck_prefix(deck_id: int) -> str:
    """The id prefix of a deck's questions.

    >>> deck_prefix(12)
    'deck_12'
    """
    return f"{DECK_PREFIX}{deck_id}"


def deck_of(question_id: str) -> int | None:
    """The id of the deck a question id belongs to; None for a question of the shared bank.

    >>> deck_of("deck_12-3f9c1a"), deck_of("000-93d25c")
    (12, None)
    """
    found = _DECK_ID.match(question_id)
    return int(found.group(1)) if found else None


def parse_deck(content: str) -> tuple[Question, ...]:
    """The questions of a deck's stored bank file."""
    return tuple(BankFile.model_validate(yaml.load(content, Loader=_Loader) or {}).questions)


@dataclass(frozen=True)
class QuestionPool:
    """What one user's calls look questions up in: the shared bank and the user's decks (each
    with its questions). Lookups by id find only these."""

    bank: Bank
    decks: Sequence[tuple[DeckRecord, Sequence[Question]]] = ()

    @cached_property
    def _deck_questions(self) -> dict[str, tuple[Question, str]]:
        return {q.id: (q, deck.name) for deck, questions in self.decks for q in questions}

    @cached_property
    def questions(self) -> list[Question]:
        """Every question the user may look up: the shared bank's, then the decks'."""
        return [*self.bank.questions, *(q for _, questions in self.decks for q in questions)]

    def get(self, question_id: str) -> Question | None:
        if deck_of(question_id) is not None and question_id in self._deck_questions:
            return self._deck_questions[question_id][0]
        return self.bank.get(question_id)

    def deck_name(self, question_id: str) -> str | None:
        """The name of the user's deck the question belongs to (None: the shared bank)."""
        found = self._deck_questions.get(question_id) if deck_of(question_id) is not None else None
        return found[1] if found else None

    def practised(self, user: UserRecord, topics: Iterable[str] | None = None) -> list[Question]:
        """The questions /question and /daily draw from: the shared bank if the user practises
        it (only the user's `topics` of it, when chosen), then every deck the user practises,
        whole. With `topics` given (a topic asked for this once), every source keeps to them."""
        wanted = set(user.topics if topics is None else topics)
        bank = [q for q in self.bank.questions if not wanted or q.topic in wanted] if user.shared_bank else []
        own = [q for deck, questions in self.decks if deck.practised for q in questions]
        if topics is not None and wanted:
            own = [q for q in own if q.topic in wanted]
        return bank + own


class DeckCache:
    """Parsed decks by (id, version); a deck changed by another process has a new version."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, object], tuple[Question, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def questions(self, store: Store, deck: DeckRecord) -> tuple[Question, ...]:
        """The questions of `deck` (read from the store unless cached)."""
        key = (deck.id, deck.updated_at)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        content = store.deck_content(deck.id)
        questions = parse_deck(content) if content else ()
        with self._lock:
            self._items[key] = questions
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return questions

    def put(self, deck: DeckRecord, questions: tuple[Question, ...]) -> None:
        """Keep the questions just written as this version of `deck`."""
        with self._lock:
            self._items[(deck.id, deck.updated_at)] = questions
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def pool(self, store: Store, bank: Bank, decks: Iterable[DeckRecord]) -> QuestionPool:
        """A user's pool: the shared bank and these decks of the user's."""
        return QuestionPool(bank, tuple((deck, self.questions(store, deck)) for deck in decks))
