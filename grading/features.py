"""The evidence a reply gives for each key point, and the 0-100 score made from it (pure functions).

Preparation of the reference side (keywords, polarity, embeddings) happens once per question; a
reply is analysed once; `reply_features` then needs only the reply's own vector(s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .contradiction import Polarity, flips, polarity
from .fuzzy import ReplyIndex, keyword_score
from .glossary import Glossary
from .result import PointStatus
from .settings import LanguageParams
from .text import STOP_WORDS, clause_tokens, normalize, tokens

__all__ = [
    "PreparedPoint",
    "PreparedReference",
    "ReplyAnalysis",
    "PointFeatures",
    "ReplyFeatures",
    "analyse_reply",
    "reply_features",
    "point_score",
    "combine",
    "demoted_text",
]

_DONT_KNOW = re.compile(
    r"^(不知道|不清楚|不太清楚|不会|不懂|忘了|忘记了|没学过|不记得了?|跳过|pass|idk|i ?don'?t know|no idea|dunno)"
    r"[啊呀哦吧呢了。.!！~～…\s]*$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class PreparedPoint:
    text: str
    keywords: tuple[str, ...]
    weights: tuple[float, ...]  # IDF of each keyword
    polarity: Polarity  # its content words, and which are negated
    word_weights: dict[str, float]  # IDF of each content word: rare words decide what a clause is about


@dataclass(frozen=True)
class PreparedReference:
    question: str
    language: str
    points: tuple[PreparedPoint, ...]
    point_vectors: np.ndarray  # one row per point
    reference_vector: np.ndarray
    demoted_reference_vector: np.ndarray | None
    demote: frozenset[str]  # the question's own words


@dataclass(frozen=True)
class ReplyAnalysis:
    text: str  # the graded text (a long reply is cut to a prefix)
    truncated: bool
    index: ReplyIndex
    clauses: tuple[Polarity, ...]
    structure: float  # 0-1: how much the reply reads as statements rather than a list of keywords
    content_words: int
    nothing: bool  # empty, emoji only, or "不知道"


@dataclass(frozen=True)
class PointFeatures:
    keyword_coverage: float
    similarity: float
    contradicted: bool  # the clause most about the point states its opposite
    conflict: bool = False  # some clause about the point states its opposite


@dataclass(frozen=True)
class ReplyFeatures:
    points: tuple[PointFeatures, ...]
    recall: float
    cosine: float
    demoted_cosine: float
    shortness: float
    contradiction: float
    conflict: float = 0.0  # share of points some clause states the opposite of


def demoted_text(text: str, demote: frozenset[str], glossary: Glossary) -> str:
    """The text without the question's own words (Mohler's "question demoting")."""
    kept = [t for t in tokens(glossary.canonical(text)) if t not in demote]
    joiner = "" if _CJK.search(text) else " "
    return joiner.join(kept) or text


def analyse_reply(text: str, glossary: Glossary, *, max_chars: int) -> ReplyAnalysis:
    """Index a reply once: tokens, clauses with their polarity, structure, size."""
    truncated = len(text) > max_chars
    text = text[:max_chars]
    by_clause = clause_tokens(glossary.canonical(text))
    words = [token for clause in by_clause for token in clause]
    clauses = tuple(polarity(clause, glossary.negation_words) for clause in by_clause)
    content = [w for w in words if w not in STOP_WORDS]
    function_share = (len(words) - len(content)) / len(words) if words else 0.0
    # Real statements have function words (的/是/会/the/is); a bare list of keywords has almost none.
    structure = 1.0 if len(words) < 4 else min(1.0, function_share / 0.12)
    nothing = not content or bool(_DONT_KNOW.match(normalize(text)))
    return ReplyAnalysis(text, truncated, ReplyIndex(words), clauses, structure, len(content), nothing)


def _coverage(point: PreparedPoint, reply: ReplyAnalysis, flipped: set[int]) -> float:
    """IDF-weighted share of the point's keywords in the reply; a keyword said only in clauses that
    turn the point around earns nothing."""
    if not point.keywords:
        return 0.0
    total = sum(point.weights)
    hit = 0.0
    for keyword, weight in zip(point.keywords, point.weights):
        found = keyword_score(keyword, reply.index)
        if found and flipped:
            homes = [i for i, clause in enumerate(reply.clauses) if keyword in clause.words]
            if homes and all(i in flipped for i in homes):
                found = 0.0
        hit += weight * found
    return hit / total if total else 0.0


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice overlap of two word sets."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _owners(points: tuple[PreparedPoint, ...], reply: ReplyAnalysis) -> list[set[int]]:
    """For each clause, the point(s) it shares the most words with: a clause about tuples belongs
    to the point about tuples, not to the point about lists it would "swap"."""
    owners = []
    for clause in reply.clauses:
        overlaps = [_overlap(p.polarity.words, clause.words) for p in points]
        top = max(overlaps, default=0.0)
        owners.append({i for i, o in enumerate(overlaps) if o == top} if top > 0 else set(range(len(points))))
    return owners


def _contradicted(
    point: PreparedPoint,
    reply: ReplyAnalysis,
    glossary: Glossary,
    relevance: float,
    allowed: set[int] | None = None,
) -> tuple[bool, bool, set[int]]:
    """Whether the clause most about this point turns it around, whether any clause about it does,
    and which clauses do (by index). Only clauses in `allowed` are considered (all when None).

    A clause turns a point around with an odd number of flips; on a tie, the clause that agrees wins.
    """
    words = point.polarity.words
    total = sum(point.word_weights.get(w, 1.0) for w in words)
    if not total:
        return False, False, set()
    best: tuple[float, int] | None = None  # (relevance, -flips parity) of the best clause
    flipped: set[int] = set()
    for index, clause in enumerate(reply.clauses):
        if allowed is not None and index not in allowed:
            continue
        about = set(words & clause.words)
        # "测试时……" is about the same thing as "训练时……": the swapped word counts as shared.
        for word in clause.words - words:
            about.update(words & glossary.opposites.get(word, frozenset()))
        share = sum(point.word_weights.get(w, 1.0) for w in about) / total
        if share < relevance:
            continue
        odd = flips(point.polarity, clause, glossary) % 2
        if odd:
            flipped.add(index)
        candidate = (round(share, 6), -odd)
        if best is None or candidate > best:
            best = candidate
    return (best is not None and best[1] == -1), bool(flipped), flipped


def reply_features(
    prepared: PreparedReference,
    reply: ReplyAnalysis,
    reply_vector: np.ndarray,
    demoted_reply_vector: np.ndarray | None,
    glossary: Glossary,
    params: LanguageParams,
    *,
    short_answer_words: int,
) -> ReplyFeatures:
    similarities = prepared.point_vectors @ reply_vector
    points = []
    owners = _owners(prepared.points, reply)
    for number, (point, similarity) in enumerate(zip(prepared.points, similarities)):
        allowed = {c for c, owner in enumerate(owners) if number in owner}
        contradicted, conflict, flipped = _contradicted(point, reply, glossary, params.point.relevance, allowed)
        coverage = _coverage(point, reply, flipped) * reply.structure
        points.append(PointFeatures(coverage, float(similarity), contradicted, conflict))
    weights = [w for p in prepared.points for w in p.weights]
    hits = [
        w * keyword_score(k, reply.index) * (0.0 if f.contradicted else 1.0)
        for p, f in zip(prepared.points, points)
        for k, w in zip(p.keywords, p.weights)
    ]
    recall = (sum(hits) / sum(weights) * reply.structure) if weights else 0.0
    demoted = (
        float(prepared.demoted_reference_vector @ demoted_reply_vector)
        if prepared.demoted_reference_vector is not None and demoted_reply_vector is not None
        else 0.0
    )
    return ReplyFeatures(
        points=tuple(points),
        recall=recall,
        cosine=float(prepared.reference_vector @ reply_vector),
        demoted_cosine=demoted,
        shortness=min(reply.content_words, short_answer_words) / short_answer_words,
        contradiction=sum(p.contradicted for p in points) / len(points) if points else 0.0,
        conflict=sum(p.conflict for p in points) / len(points) if points else 0.0,
    )


def point_score(features: PointFeatures, params: LanguageParams) -> float:
    """0-1 evidence that the point is stated: keywords say what, similarity says it is addressed."""
    if features.contradicted:
        return 0.0
    p = params.point
    span = max(p.sim_ceiling - p.sim_floor, 1e-6)
    similarity = min(1.0, max(0.0, (features.similarity - p.sim_floor) / span))
    return p.keyword * features.keyword_coverage + (1.0 - p.keyword) * similarity


def combine(features: ReplyFeatures, params: LanguageParams) -> tuple[float, list[tuple[PointStatus, float]]]:
    """The 0-100 score and each point's status and score."""
    statuses = []
    for point in features.points:
        value = point_score(point, params)
        if point.contradicted:
            status = PointStatus.CONTRADICTED
        elif value >= params.point.covered:
            status = PointStatus.COVERED
        elif value >= params.point.partly:
            status = PointStatus.PARTLY
        else:
            status = PointStatus.MISSED
        statuses.append((status, value))
    mean_points = sum(v for _, v in statuses) / len(statuses) if statuses else 0.0
    covered = sum(s is PointStatus.COVERED for s, _ in statuses) / len(statuses) if statuses else 0.0
    w = params.score
    raw = (
        w.intercept
        + w.points * mean_points
        + w.covered * covered
        + w.recall * features.recall
        + w.cosine * features.cosine
        + w.demoted_cosine * features.demoted_cosine
        + w.shortness * features.shortness
        - w.contradiction * features.contradiction
        - w.conflict * features.conflict
    )
    return float(np.clip(raw * 100.0, 0.0, 100.0)), statuses
