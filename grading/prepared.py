"""What grading works on: a reference prepared once per question (its points' keywords, polarity
and vectors, its misconceptions), a reply analysed once, and the features drawn from the two."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as _field
from functools import cached_property

import numpy as np

from .contradiction import Polarity
from .fuzzy import ReplyIndex
from .text import ends_sentence

__all__ = [
    "KeywordSet",
    "PreparedPoint",
    "PreparedMisconception",
    "PreparedReference",
    "ReplyAnalysis",
    "PointFeatures",
    "ReplyFeatures",
]


@dataclass(frozen=True)
class KeywordSet:
    """The keywords of one wording of a point, with their IDF weights."""

    words: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class PreparedPoint:
    text: str
    core: bool
    variants: tuple[str, ...]  # the text, its aliases and its English wording
    keyword_sets: tuple[KeywordSet, ...]  # one per variant
    polarities: tuple[Polarity, ...]  # one per variant: content words, and which are negated
    word_weights: dict[str, float]  # IDF of each content word: rare words decide what a clause is about
    claims: tuple[Polarity, ...] = ()  # the point's sub-claims (its text and aliases cut into clauses)
    claim_groups: tuple[tuple[int, ...], ...] = ()  # for its text and each alias, the indices of its sub-claims
    gist: int | None = None  # the variant that is the point's gist, weighed for short replies only
    # The words a negated condition opening the point denies ("不归一化时……走之字形": 归一化): its
    # claims hold in that case only.
    condition: frozenset[str] = frozenset()

    @property
    def full_keyword_sets(self) -> tuple[KeywordSet, ...]:
        """The keyword sets of the point's full wordings: all but its gist's."""
        return tuple(k for i, k in enumerate(self.keyword_sets) if i != self.gist)

    @property
    def keywords(self) -> tuple[str, ...]:
        """The keywords of the point's own text."""
        return self.keyword_sets[0].words

    @property
    def weights(self) -> tuple[float, ...]:
        return self.keyword_sets[0].weights

    @property
    def polarity(self) -> Polarity:
        return self.polarities[0]


@dataclass(frozen=True)
class PreparedMisconception:
    claim: str
    correction: str
    word_weights: dict[str, float]  # IDF of the words of the claim and the correction
    parts: tuple[Polarity, ...] = ()  # the claim's clauses ("元组可以修改", "列表定义后不能修改")
    part_vectors: np.ndarray | None = None  # one row per part
    correction_vectors: np.ndarray | None = None  # one row per clause of the correction
    correction_parts: tuple[Polarity, ...] = ()  # the correction's clauses
    wrong_alone: tuple[bool, ...] = ()  # per part: wrong on its own (no key point or correction says it)
    cruxes: tuple[frozenset[str], ...] = ()  # per part: its words no right statement uses ("只能", "类别")
    dependent: tuple[bool, ...] = ()  # per part: goes on about the part before ("……，也是在约束权重的大小")
    whole: Polarity | None = None  # the claim read as one statement, when it has several parts
    reversed_point: int = 0  # the key point a reply stating it turns around (claims.reversed_point)
    turned_points: tuple[int, ...] = ()  # ... and any other its parts turn around word for word
    # (claims.parts_turn_around: both points of a swap)
    excludes: tuple[frozenset[str], ...] = ()  # per part saying "only": terms a clause stating it must not name
    # (claims.only_excludes)
    others: tuple[frozenset[str], ...] = ()  # per part: the words the claim's other parts say and it does not


@dataclass(frozen=True)
class PreparedReference:
    question: str
    language: str
    points: tuple[PreparedPoint, ...]
    variant_vectors: np.ndarray  # one row per variant of every point, in order
    variant_point: np.ndarray  # the point each row of variant_vectors belongs to
    reference_vector: np.ndarray
    demoted_reference_vector: np.ndarray | None
    demote: frozenset[str]  # the question's own words
    misconceptions: tuple[PreparedMisconception, ...] = ()
    vocabulary: frozenset[str] = frozenset()  # content words of the question and the key points
    subject: frozenset[str] = frozenset()  # ... and of the reference answer
    field: frozenset[str] = frozenset()  # the subject's and the keyword corpus's (the bank's answers, the glossary)
    question_vector: np.ndarray | None = None
    claim_vectors: np.ndarray | None = None  # one row per misconception
    subclaim_vectors: np.ndarray | None = None  # one row per sub-claim of every point, in order
    subclaim_point: np.ndarray | None = None  # the point each sub-claim belongs to
    subclaims: tuple[Polarity, ...] = ()  # every point's sub-claims, in subclaim_vectors' row order
    # for each sub-claim: does it say something of its own (3 words or more, not only the question's)?
    subclaim_standing: np.ndarray | None = None
    translated_claim_vectors: np.ndarray | None = None  # one row per misconception: its English wording
    translated: np.ndarray | None = None  # per row of variant_vectors: is it a point's wording in the other
    # language (`Point.en` of a Chinese question)?
    english: PreparedReference | None = None  # the points and misconceptions in their English wordings,
    # with this reference's model: which wrong claims an English reply states (`Reference.english`)
    english_misconceptions: tuple[int, ...] = ()  # for each of `english`'s misconceptions, its index here
    variant_gist: np.ndarray | None = None  # per row of variant_vectors: is it a point's gist?
    # The things a comparing question sets against each other ("MSE和交叉熵区别": 均方误差 <-> 交叉熵),
    # as the key points speak of them one at a time: a clause that says of one what a point says of
    # the other turns the point around. Antonyms of the glossary (BN/LN, 训练/测试) are not repeated.
    rivals: dict[str, frozenset[str]] = _field(default_factory=dict)
    compared: frozenset[str] = frozenset()  # the rivals, and the question's words whose antonym it says

    def variant_point_sims(self, vector: np.ndarray) -> np.ndarray:
        """Each point's best cosine with `vector` over its wordings (its gist aside)."""
        sims = self.variant_vectors @ vector
        full = self.variant_gist is None or ~self.variant_gist
        return np.array([sims[(self.variant_point == i) & full].max() for i in range(len(self.points))])

    # Row indices by point, found once per question for every reply graded against it.
    @cached_property
    def point_rows(self) -> tuple[np.ndarray, ...]:
        """For each point, the rows of `variant_vectors` of its wordings."""
        return tuple(np.flatnonzero(self.variant_point == i) for i in range(len(self.points)))

    @cached_property
    def full_point_rows(self) -> tuple[np.ndarray, ...]:
        """For each point, the rows of its full wordings among the full wordings (`variant_gist` aside)."""
        point = self.variant_point if self.variant_gist is None else self.variant_point[~self.variant_gist]
        return tuple(np.flatnonzero(point == i) for i in range(len(self.points)))

    @cached_property
    def subclaim_rows(self) -> tuple[np.ndarray, ...] | None:
        """For each point, the rows of `subclaim_vectors` of its sub-claims."""
        if self.subclaim_point is None:
            return None
        return tuple(np.flatnonzero(self.subclaim_point == i) for i in range(len(self.points)))

    @cached_property
    def standing_subclaim_rows(self) -> tuple[np.ndarray, ...] | None:
        """For each point, the rows of its sub-claims that say something of their own (`subclaim_standing`)."""
        if self.subclaim_point is None or self.subclaim_standing is None:
            return None
        return tuple(np.flatnonzero((self.subclaim_point == i) & self.subclaim_standing) for i in range(len(self.points)))

    @property
    def point_vectors(self) -> np.ndarray:
        """The vector of each point's own text."""
        first = [int(np.flatnonzero(self.variant_point == i)[0]) for i in range(len(self.points))]
        return self.variant_vectors[first]


@dataclass(frozen=True)
class ReplyAnalysis:
    text: str  # the graded text (a long reply is cut to a prefix)
    truncated: bool
    index: ReplyIndex
    clauses: tuple[Polarity, ...]  # polarity of each clause
    hypothetical: frozenset[int]  # clauses that state a condition or what happens otherwise
    units: tuple[str, ...]  # texts to encode: each clause, each pair of neighbours, the whole reply
    unit_clauses: tuple[tuple[int, ...], ...]  # the clauses each unit is made of
    structure: float  # 0-1: how much the reply reads as statements rather than a list of keywords
    content_words: int
    nothing: bool  # empty, emoji only, or "不知道"
    # clauses that go on under a condition ("如果没有激活函数，……，拟合不了非线性的函数"): what they
    # say holds in that case only, so they state a point but never turn one around
    conditional: frozenset[int] = frozenset()
    # clauses read through their 、 items ("MLP难训、数据和算力都不够"): the items state what they
    # say; the clause as a whole would join one item's subject to another's predicate
    listed: frozenset[int] = frozenset()
    # the sides of a "both" clause, each a clause of its own ("列表和元组都可变" -> "元组可变"): the
    # reply names the subject of what it says
    sides: frozenset[int] = frozenset()

    def continues_sentence(self, clause: int) -> bool:
        """Is clause `clause` of the same sentence as the clause before it (no 。！？； between)?"""
        return clause > 0 and not ends_sentence(self.units[clause - 1])


@dataclass(frozen=True)
class PointFeatures:
    keyword_coverage: float
    similarity: float
    contradicted: bool  # the clause aligned with the point states its opposite
    core: bool = True
    keywords: int = 2  # how many keywords the point's text has (0: all its words are the question's)


@dataclass(frozen=True)
class ReplyFeatures:
    points: tuple[PointFeatures, ...]
    recall: float
    cosine: float
    demoted_cosine: float
    shortness: float
    contradiction: float  # share of core points contradicted
    conflict: float = 0.0
    misconceptions: tuple[int, ...] = ()  # indices of the misconceptions the reply states
    reversed_points: tuple[int, ...] = ()  # the key points the stated misconceptions turn around
    lean: float = 0.0  # reply vs the closest wrong claim minus vs the closest key point wording
    lean_units: float = 0.0  # the same over the reply's clauses
    relevance: float = 0.0  # the best similarity of any key point with the reply
    overlap: bool = False  # the reply shares a content word with the question or a key point
    question_relevance: float = 0.0  # the best similarity of the question with the reply
    precision: float = 0.0  # share of the reply's words the field knows that are the subject's
    # (`PreparedReference.subject`): a terse reply on the subject says little else
    foreign: bool = False  # the reply is written in another language than the reference (English to 中文)
    known: bool = True  # the reply uses a word of the field (see `PreparedReference.field`), or code, or no
    # content word at all
