"""The evidence a reply gives for each key point, and the 0-100 score made from it (pure functions).

Alignment grading: a reply is cut into clauses, and each key point is judged on the reply's
best-matching clause (or that clause with its neighbour), never on the reply as a whole, so a long
correct answer is not diluted and a wrong claim is checked where it is made:

- similarity: the best cosine between any wording of the point (text, aliases, English) and any
  clause, pair of adjacent clauses, or the whole reply;
- keywords: the share of the point's keywords (any wording's) found in the reply, alias- and
  typo-aware;
- contradiction cues (negation, antonym swaps) on the aligned clause only;
- misconceptions: a clause that states a curated wrong claim (with its polarity and the words that
  make it wrong, matching it clearly better than any right statement it agrees with).

Preparation of the reference side (keywords, polarity, embeddings) happens once per question; a
reply is analysed once; `reply_features` then needs only the vectors of the reply's units.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .contradiction import MODAL, Polarity, flips, polarity
from .fuzzy import ReplyIndex, keyword_score
from .glossary import Glossary
from .result import PointStatus
from .settings import LanguageParams, PointParams
from .text import STOP_WORDS, normalize, polarity_tokens, reply_clauses, tokens

__all__ = [
    "KeywordSet",
    "PreparedPoint",
    "PreparedMisconception",
    "PreparedReference",
    "ReplyAnalysis",
    "PointFeatures",
    "ReplyFeatures",
    "analyse_reply",
    "reply_features",
    "point_score",
    "combine",
    "demoted_text",
    "wrong_alone",
    "cruxes",
    "right_statements",
    "is_hypothetical",
]

_QUESTION_END = re.compile(r"[吗嘛么呢？?。\s]+$")
_DONT_KNOW = re.compile(
    r"^(不知道|不清楚|不太清楚|不会|不懂|忘了|忘记了|没学过|不记得了?|跳过|pass|idk|i ?don'?t know|no idea|dunno)"
    r"[啊呀哦吧呢了。.!！~～…\s]*$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A clause that says what would happen otherwise ("不然网络只能表示线性函数", "如果不加……") or under a
# condition is not a claim of the reply: contradiction cues skip it.
_HYPOTHETICAL = re.compile(r"^(不然|否则|要不然|要不|如果|假如|假设|若|万一|otherwise|if|without|unless)|的话|\bif\b|\bwithout\b", re.I)
# A bare yes or no ("能用啊", "不能。", "对的") answers the question itself.
_BARE_ANSWER = re.compile(
    r"^(不能用?|不可以|不行|不是|不会|不对|没有|不一定|能用?|可以用?|能的|可以的|是的?|对的?|会的?|行|有的?|yes|no|sure|of course|not really)"
    r"[啊呀吧的呢哦嗯了,，.。!！\s]*$",
    re.I,
)
_NEGATIVE_ANSWER = re.compile(r"^(不|没|no\b|not\b)", re.I)
# "列表和元组都可以当字典的key" says it of each: read as "列表可以……" and "元组可以……" as well, so
# that a claim true of one side only is judged on that side.
_BOTH = re.compile(
    r"^(?P<a>[A-Za-z0-9\u4e00-\u9fff]{1,10}?)(?:和|与|跟|以及|及|、)(?P<b>[A-Za-z0-9\u4e00-\u9fff]{1,10}?)"
    r"(?:也都|都|均)(?P<rest>[^，。；,;]{2,})$"
)


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
    question_vector: np.ndarray | None = None
    claim_vectors: np.ndarray | None = None  # one row per misconception
    subclaim_vectors: np.ndarray | None = None  # one row per sub-claim of every point, in order
    subclaim_point: np.ndarray | None = None  # the point each sub-claim belongs to
    subclaims: tuple[Polarity, ...] = ()  # every point's sub-claims, in subclaim_vectors' row order

    def variant_point_sims(self, vector: np.ndarray) -> np.ndarray:
        """Each point's best cosine with `vector` over its wordings."""
        sims = self.variant_vectors @ vector
        return np.array([sims[self.variant_point == i].max() for i in range(len(self.points))])

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
    reversed_points: tuple[int, ...] = ()  # for each stated misconception, the key point it turns around
    lean: float = 0.0  # reply vs the closest wrong claim minus vs the closest key point wording
    lean_units: float = 0.0  # the same over the reply's clauses
    relevance: float = 0.0  # the best similarity of any key point with the reply
    overlap: bool = False  # the reply shares a content word with the question or a key point
    question_relevance: float = 0.0  # the best similarity of the question with the reply
    foreign: bool = False  # the reply is written in another language than the reference (English to 中文)


def demoted_text(text: str, demote: frozenset[str], glossary: Glossary) -> str:
    """The text without the question's own words (Mohler's "question demoting")."""
    kept = [t for t in tokens(glossary.canonical(text)) if t not in demote]
    joiner = "" if _CJK.search(text) else " "
    return joiner.join(kept) or text


def analyse_reply(
    text: str, glossary: Glossary, *, max_chars: int, max_clauses: int = 40, question: str = ""
) -> ReplyAnalysis:
    """Index a reply once: tokens, clauses with their polarity, the units to encode, structure, size.

    A bare yes or no ("能用啊", "不能。") is read together with the question it answers.
    """
    truncated = len(text) > max_chars
    text = text[:max_chars]
    clauses = reply_clauses(text, limit=max_clauses)
    if question and clauses and _BARE_ANSWER.match(normalize(clauses[0])):
        stem = _QUESTION_END.sub("", question.strip())
        # A "no" goes before what it denies ("No：通道数增加说明信息被放大了"), a "yes" after.
        negative = _NEGATIVE_ANSWER.match(normalize(clauses[0]))
        clauses[0] = f"{clauses[0].strip(' ,，.。!！')}：{stem}" if negative else f"{stem}：{clauses[0]}"
    canonical = [glossary.canonical(c) for c in clauses]
    by_clause = [tokens(c) for c in canonical]
    words = [token for clause in by_clause for token in clause]
    both = [m for c in clauses if (m := _BOTH.match(c.strip().rstrip("，。；,;.!！?？ ")))]
    derived = [f"{m['a']}{m['rest']}" for m in both] + [f"{m['b']}{m['rest']}" for m in both]
    said = [polarity_tokens(c) if "比" in c else toks for c, toks in zip(canonical, by_clause)]
    said += [polarity_tokens(glossary.canonical(c)) for c in derived]
    polarities = tuple(polarity(toks, glossary.negation_words) for toks in said)
    content = [w for w in words if w not in STOP_WORDS]
    # A bare list of keywords is not an answer ("神经元 概率 丢弃 保留 输出 测试"); terse technical
    # clauses are ("用0填充或者复制边缘像素", "列表可变，元组不可变").
    weights = [len(c) for c in by_clause]
    shares = [_statement_share(raw, toks) for raw, toks in zip(clauses, by_clause)]
    structure = sum(w * s for w, s in zip(weights, shares)) / sum(weights) if weights and sum(weights) else 1.0
    nothing = not content or bool(_DONT_KNOW.match(normalize(text)))
    units: list[str] = [*clauses, *derived]  # a side of a "both" clause is a clause of its own
    spans: list[tuple[int, ...]] = [(i,) for i in range(len(units))]
    joiner = "" if _CJK.search(text) else " "
    for i in range(len(clauses) - 1):
        units.append(joiner.join(clauses[i : i + 2]))
        spans.append((i, i + 1))
    if len(clauses) > 2 or not clauses:
        units.append(text.strip())
        spans.append(tuple(range(len(clauses))))
    hypothetical = frozenset(i for i, c in enumerate((*clauses, *derived)) if is_hypothetical(c))
    return ReplyAnalysis(
        text, truncated, ReplyIndex(words), polarities, hypothetical, tuple(units), tuple(spans), structure,
        len(content), nothing,
    )


def is_hypothetical(clause: str) -> bool:
    """Does the clause say what would happen otherwise or under a condition (如果…, 不然…, …的话)?"""
    return bool(_HYPOTHETICAL.search(normalize(clause)))


_SPACED_CJK = re.compile(r"[\u4e00-\u9fff]\s+(?=[\u4e00-\u9fffA-Za-z0-9])")


def _statement_share(raw: str, tokens_: list[str]) -> float:
    """1.0 for a clause that reads as a statement; less for a run of bare keywords. Chinese is
    written without spaces, so Chinese words set apart by spaces are a keyword list; English
    statements have function words (the/is/of)."""
    if len(tokens_) < 6:
        return 1.0
    if _CJK.search(raw):
        return 1.0 if len(_SPACED_CJK.findall(raw)) < 3 else 0.0
    return min(1.0, sum(t in STOP_WORDS for t in tokens_) / len(tokens_) / 0.08)


def _coverage(keywords: KeywordSet, reply: ReplyAnalysis, flipped: set[int]) -> float:
    """IDF-weighted share of the keywords in the reply; a keyword said only in clauses that turn
    the point around earns nothing."""
    if not keywords.words:
        return 0.0
    total = sum(keywords.weights)
    hit = 0.0
    for keyword, weight in zip(keywords.words, keywords.weights):
        found = keyword_score(keyword, reply.index)
        if found and flipped:
            homes = [i for i, clause in enumerate(reply.clauses) if keyword in clause.words]
            if homes and all(i in flipped for i in homes):
                found = 0.0
        hit += weight * found
    return hit / total if total else 0.0


def _about(
    words: frozenset[str], weights: dict[str, float], clause: Polarity, glossary: Glossary, *, opposites: bool = True
) -> float:
    """Share (IDF-weighted) of a statement's words that a clause talks about; with `opposites`, the
    other side of an antonym pair counts ("测试时……" is about the same thing as "训练时……")."""
    words = words - {MODAL}
    total = sum(weights.get(w, 1.0) for w in words)
    if not total:
        return 0.0
    about = set(words & clause.words)
    for word in clause.words - words if opposites else ():
        about.update(words & glossary.opposites.get(word, frozenset()))
    return sum(weights.get(w, 1.0) for w in about) / total


def reply_features(
    prepared: PreparedReference,
    reply: ReplyAnalysis,
    unit_vectors: np.ndarray,
    demoted_reply_vector: np.ndarray | None,
    glossary: Glossary,
    params: LanguageParams,
    *,
    short_answer_words: int,
) -> ReplyFeatures:
    """The features of one reply. `unit_vectors` has one row per `reply.units`, the last row being
    the whole reply when the reply has more than two clauses."""
    sims = prepared.variant_vectors @ unit_vectors.T  # variants x units
    n_points = len(prepared.points)
    # Contradiction cues look at single clauses that state something (not 如果…/不然…).
    claims = [u for u, span in enumerate(reply.unit_clauses) if len(span) == 1 and span[0] not in reply.hypothetical]
    claim_sims = (
        prepared.subclaim_vectors @ unit_vectors[claims].T if prepared.subclaim_vectors is not None and claims else None
    )  # sub-claims x those clauses
    points = []
    for number, point in enumerate(prepared.points):
        rows = np.flatnonzero(prepared.variant_point == number)
        block = sims[rows]
        similarity = float(block.max()) if block.size else 0.0
        flipped = _contradicting_clauses(prepared, number, reply, claims, claim_sims, glossary, params)
        contradicted = bool(flipped)
        coverage = max(_coverage(k, reply, flipped) for k in point.keyword_sets) * reply.structure
        points.append(PointFeatures(coverage, similarity, contradicted, point.core, len(point.keywords)))
    misconceptions = _misconceptions(prepared, reply, claims, unit_vectors, claim_sims, glossary, params)
    weights = [w for p in prepared.points for w in p.weights]
    hits = [
        w * keyword_score(k, reply.index) * (0.0 if f.contradicted else 1.0)
        for p, f in zip(prepared.points, points)
        for k, w in zip(p.keywords, p.weights)
    ]
    recall = (sum(hits) / sum(weights)) if weights else 0.0
    demoted = (
        float(prepared.demoted_reference_vector @ demoted_reply_vector)
        if prepared.demoted_reference_vector is not None and demoted_reply_vector is not None
        else 0.0
    )
    core = [p for p in points if p.core] or points
    whole = unit_vectors[-1]
    lean = lean_units = 0.0
    if prepared.claim_vectors is not None and len(prepared.misconceptions):
        # A reply closer to a known wrong claim than to any wording of a key point leans wrong
        # (a weak cue on its own: embeddings hardly see negation; the score weighs it).
        lean = float((prepared.claim_vectors @ whole).max() - (prepared.variant_vectors @ whole).max())
        lean_units = float((prepared.claim_vectors @ unit_vectors.T).max() - sims.max())
    return ReplyFeatures(
        points=tuple(points),
        recall=recall,
        cosine=float(prepared.reference_vector @ whole),
        demoted_cosine=demoted,
        shortness=min(reply.content_words, short_answer_words) / short_answer_words,
        contradiction=sum(p.contradicted for p in core) / len(core) if n_points else 0.0,
        conflict=sum(p.contradicted for p in points) / n_points if n_points else 0.0,
        misconceptions=misconceptions,
        reversed_points=tuple(
            int(np.argmax(prepared.variant_point_sims(prepared.claim_vectors[i]))) for i in misconceptions
        ) if prepared.claim_vectors is not None else (),
        lean=lean,
        lean_units=lean_units,
        relevance=float(sims.max()) if sims.size else 0.0,
        overlap=bool(reply.index.exact & prepared.vocabulary),
        question_relevance=float((unit_vectors @ prepared.question_vector).max()) if prepared.question_vector is not None else 0.0,
        foreign=prepared.language == "zh" and len(_CJK.findall(reply.text)) < 0.2 * len(reply.text.strip() or "x"),
    )


def _negates(p: Polarity) -> bool:
    return bool(p.negated or p.mixed)


def _contradicting_clauses(
    prepared: PreparedReference,
    number: int,
    reply: ReplyAnalysis,
    claims: list[int],
    claim_sims: np.ndarray | None,
    glossary: Glossary,
    params: LanguageParams,
) -> set[int]:
    """The clauses that turn a sub-claim of the point around, each judged on the reply's clauses
    (`claims`, units of one clause each) most similar to that sub-claim."""
    point = prepared.points[number]
    if claim_sims is None or prepared.subclaim_point is None or not point.claims:
        return set()
    rows = np.flatnonzero(prepared.subclaim_point == number)
    relevance = params.point.relevance
    every_claim = prepared.subclaims
    flipped: set[int] = set()
    for claim, row in zip(point.claims, rows):
        if len(point.claims) > 1 and len(claim.words - {MODAL}) < 3:
            continue  # "列表不可以" leans on the clause before it: not checked alone
        agree, against, where = 0.0, 0.0, -1
        for best in np.argsort(-claim_sims[row])[:4]:
            similarity = float(claim_sims[row, best])
            if similarity < params.point.contradiction_floor:
                break
            clause = reply.clauses[reply.unit_clauses[claims[best]][0]]
            # About the sub-claim by its own words, not only through an antonym ("测试阶段不用做任何
            # 操作" is not about "把缩放放到训练阶段").
            if _about(claim.words, point.word_weights, clause, glossary, opposites=False) < relevance:
                continue
            if flips(claim, clause, glossary) % 2:
                # A clause that states another sub-claim (of any point), matching it at least as
                # well or saying nothing but its words, says that one: "NumPy数组……，不支持GPU加速"
                # does not turn "张量支持GPU加速" around, nor "训练不缩放" (AlexNet's way, a point
                # of its own) "现在训练时做缩放".
                elsewhere = any(
                    other != row
                    and (claim_sims[other, best] >= similarity or clause.words <= every_claim[other].words)
                    and _agrees(every_claim[other], clause, glossary)
                    for other in range(len(every_claim))
                )
                if similarity > against and not elsewhere:
                    against, where = similarity, reply.unit_clauses[claims[best]][0]
            else:
                agree = max(agree, similarity)
        # A clause that turns the sub-claim around counts only when no clause states it as well.
        if where >= 0 and against > agree + params.point.contradiction_margin:
            flipped.add(where)
    return flipped


def _misconceptions(
    prepared: PreparedReference,
    reply: ReplyAnalysis,
    claims: list[int],
    unit_vectors: np.ndarray,
    claim_sims: np.ndarray | None,
    glossary: Glossary,
    params: LanguageParams,
) -> tuple[int, ...]:
    """The curated wrong claims the reply states. A clause states a part of a claim when it is about
    the part's words, with its polarity, and matches it better (cosine + word share) than any right
    statement it agrees with (a key point's sub-claim, a clause of the correction). Judged clause by
    clause, so that "列表可以修改，元组定义后不能修改" does not state "元组可以修改，列表定义后不能修改"
    (the same words, the sides swapped)."""
    if not prepared.misconceptions or not claims:
        return ()
    clause_vectors = unit_vectors[claims]
    said = [reply.clauses[reply.unit_clauses[u][0]] for u in claims]
    point_sims = claim_sims if claim_sims is not None else np.zeros((0, len(claims)))  # key points' sub-claims
    found = []
    for index, m in enumerate(prepared.misconceptions):
        if m.part_vectors is None or m.correction_vectors is None:
            continue
        rights = right_statements(prepared.points, m)
        right_sims = np.vstack([point_sims, m.correction_vectors @ clause_vectors.T])
        part_sims = m.part_vectors @ clause_vectors.T  # parts x clauses
        # A part must match the claim clearly better (the margin) than what it agrees with, unless
        # it is right on its own and said word for word.
        stated = [
            _states_part(part, crux, sims, m.word_weights, said, rights, right_sims, glossary, params.point, strict=wrong)
            for part, crux, sims, wrong in zip(m.parts, m.cruxes, part_sims, m.wrong_alone)
        ]
        # The claim's first part, when wrong on its own, is enough ("BN本质上就是一种权重衰减，……");
        # otherwise every part is needed: "训练时不缩放，测试时也不用做任何缩放" is wrong as a whole
        # while each half is right. A part that goes on about the one before it, or has a single
        # word ("牛顿法不用"), is not judged alone.
        alone = [i for i, part in enumerate(m.parts) if not m.dependent[i] and len(part.words - {MODAL}) >= 2]
        alone = alone or list(range(len(m.parts)))  # no part stands alone: the claim as a whole
        if alone and (stated[alone[0]] and m.wrong_alone[alone[0]] or all(stated[i] for i in alone)):
            found.append(index)
    return tuple(found)


def _agrees(statement: Polarity, clause: Polarity, glossary: Glossary) -> bool:
    """The clause says the statement's words the same way round (no negation or antonym flip)."""
    return flips(statement, clause, glossary) % 2 == 0 and _negates(clause) == _negates(statement)


def _states_part(
    part: Polarity,
    crux: frozenset[str],
    sims: np.ndarray,
    weights: dict[str, float],
    said: list[Polarity],
    rights: list[tuple[Polarity, dict[str, float]]],
    right_sims: np.ndarray,
    glossary: Glossary,
    p: PointParams,
    *,
    strict: bool = True,
) -> bool:
    for best in np.argsort(-sims)[:3]:
        similarity = float(sims[best])
        if similarity < p.misconception_floor:
            break
        clause = said[best]
        words = _about(part.words, weights, clause, glossary, opposites=False)
        if words < p.misconception_words or not _agrees(part, clause, glossary):
            continue
        # What makes the claim wrong must be said: "线性回归的输出是类别" needs 类别.
        if crux and not crux & clause.words:
            continue
        if not (part.negated - {MODAL}) <= clause.words:  # "非结构化数据" does not say "……用不了"
            continue
        # "1x1卷积不看空间邻域" agrees with no part of "1x1卷积能提取空间邻域的特征"; a clause of
        # the right statement ("除以d_k会让方差变成1/d_k") may repeat the wrong one's words.
        rival = max(
            (
                float(right_sims[r, best]) + _about(right.words, right_weights, clause, glossary, opposites=False)
                for r, (right, right_weights) in enumerate(rights)
                if _agrees(right, clause, glossary)
            ),
            default=0.0,
        )
        margin = 0.0 if not strict and words >= 0.999 else p.misconception_margin
        if similarity + words - rival >= margin:
            return True
    return False


def right_statements(
    points: Sequence[PreparedPoint], m: PreparedMisconception
) -> list[tuple[Polarity, dict[str, float]]]:
    """What a misconception is weighed against, with the IDF of their words: every sub-claim of a
    key point, in order, then the clauses of its correction."""
    return [(c, p.word_weights) for p in points for c in p.claims] + [(c, m.word_weights) for c in m.correction_parts]


def cruxes(parts: Sequence[Polarity], rights: Sequence[Polarity]) -> tuple[frozenset[str], ...]:
    """Each part's words that no right statement uses: what a clause must say to state the part."""
    used = frozenset().union(*(r.words for r in rights))
    return tuple(frozenset(part.words - used - {MODAL}) for part in parts)


def wrong_alone(
    parts: Sequence[Polarity],
    part_vectors: np.ndarray,
    rights: Sequence[tuple[Polarity, dict[str, float]]],
    right_vectors: np.ndarray,
    weights: dict[str, float],
    glossary: Glossary,
    *,
    similar: float = 0.55,
    share: float = 0.8,
) -> tuple[bool, ...]:
    """For each part of a wrong claim: True unless a right statement (a key point's sub-claim or a
    clause of the correction) says the same, the same way round ("训练时不缩放" is AlexNet's way)."""
    sims = part_vectors @ right_vectors.T if len(rights) else np.zeros((len(parts), 0))

    def says(i: int, r: int) -> bool:
        part, right = parts[i], rights[r][0]
        words = _about(part.words, weights, right, glossary, opposites=False)
        # Every word of the part, the same way round, or most of them and close in meaning; and
        # not the other side of a word besides ("高宽减半时通道数加倍" is not "……通道数也减半").
        other_side = any(glossary.opposites.get(w, frozenset()) & (right.words - part.words) for w in part.words)
        close = words >= 0.999 or (words >= share and sims[i, r] >= similar)
        return close and not other_side and _agrees(part, right, glossary)

    return tuple(not any(says(i, r) for r in range(len(rights))) for i in range(len(parts)))


def point_score(features: PointFeatures, params: LanguageParams) -> float:
    """0-1 evidence that the point is stated: keywords say what, similarity says it is addressed."""
    if features.contradicted:
        return 0.0
    p = params.point
    span = max(p.sim_ceiling - p.sim_floor, 1e-6)
    similarity = min(1.0, max(0.0, (features.similarity - p.sim_floor) / span))
    # A point whose every word is the question's own is judged by similarity alone; one with a
    # single keyword leans on it half as much (one word choice should not decide the point).
    keyword = p.keyword * min(1.0, features.keywords / 2)
    return keyword * features.keyword_coverage + (1.0 - keyword) * similarity


def feature_vector(features: ReplyFeatures, params: LanguageParams) -> tuple[dict[str, float], list[tuple[PointStatus, float]]]:
    """The named features the score weighs, and each point's status and score."""
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
    core = [(s, v) for (s, v), f in zip(statuses, features.points) if f.core] or statuses
    detail = [(s, v) for (s, v), f in zip(statuses, features.points) if not f.core] or core
    mean = lambda items: sum(v for _, v in items) / len(items) if items else 0.0  # noqa: E731
    share = lambda items: sum(s is PointStatus.COVERED for s, _ in items) / len(items) if items else 0.0  # noqa: E731
    named = {
        "points": mean(statuses),
        "core": mean(core),
        "detail": mean(detail),
        "covered": share(core),
        "recall": features.recall,
        "cosine": features.cosine,
        "demoted_cosine": features.demoted_cosine,
        "shortness": features.shortness,
        "contradiction": features.contradiction,
        "conflict": features.conflict,
        "misconception": min(1.0, float(len(features.misconceptions))),
        "lean": features.lean,
        "lean_units": features.lean_units,
        # Keywords and cosines run lower across languages: the core points' evidence, again, for a
        # reply in the other language.
        "foreign": mean(core) if features.foreign else 0.0,
    }
    return named, statuses


def combine(features: ReplyFeatures, params: LanguageParams) -> tuple[float, list[tuple[PointStatus, float]]]:
    """The 0-100 score and each point's status and score: the weighted features through the score
    curve, then the scale's rules (every core point made: a pass; fewer than half: not; a reversed
    core point or a stated misconception: capped)."""
    named, statuses = feature_vector(features, params)
    w = params.score
    raw = w.intercept + sum(getattr(w, name) * value * (-1.0 if name in _PENALTIES else 1.0) for name, value in named.items())
    score = apply_curve(float(np.clip(raw * 100.0 * relevance_gate(features, params), 0.0, 100.0)), w.curve)
    # Every core point clearly made is a pass, details missing or not; every point, excellent.
    sure = [value >= params.point.sure and status is not PointStatus.CONTRADICTED for status, value in statuses]
    core_sure = [ok for ok, f in zip(sure, features.points) if f.core]
    if core_sure and all(core_sure):
        score = max(score, params.verdicts.good)
        if all(sure):
            score = max(score, params.verdicts.excellent)
    if w.pass_core_share and all(status in (PointStatus.MISSED, PointStatus.CONTRADICTED) for status, _ in statuses):
        score = min(score, params.verdicts.partial - 1.0)  # no key point made at all: 未答到要点, as the tip says
    core_covered = [status is PointStatus.COVERED for (status, _), f in zip(statuses, features.points) if f.core]
    if core_covered and sum(core_covered) < w.pass_core_share * len(core_covered):
        score = min(score, params.verdicts.good - 1.0)  # most core points missing: not a pass
    if any(f.contradicted and f.core for f in features.points):
        score = min(score, w.contradiction_cap)  # a core point turned around: not a pass
    if features.misconceptions:
        # A known wrong claim, stated: whatever else the reply gets right, it is not a pass.
        score = min(score, w.misconception_cap)
        statuses = _mark_reversed(features, statuses)
    return score, statuses


def apply_curve(raw: float, curve: Sequence[float]) -> float:
    """Map a raw 0-100 score through the calibrated monotone curve (values at evenly spaced raw scores).

    A least-squares fit pulls every score towards the mean; the curve, fitted on the dev set's fair
    scores, stretches them back onto that scale (an excellent reply near 90, not 75)."""
    if not curve:
        return raw
    knots = np.linspace(0.0, 100.0, len(curve))
    return float(np.interp(raw, knots, curve))


def _mark_reversed(features: ReplyFeatures, statuses: list[tuple[PointStatus, float]]) -> list[tuple[PointStatus, float]]:
    """The key point each stated misconception turns around is contradicted, not covered."""
    out = list(statuses)
    for point in features.reversed_points:
        if 0 <= point < len(out):
            out[point] = (PointStatus.CONTRADICTED, 0.0)
    return out


def relevance_gate(features: ReplyFeatures, params: LanguageParams) -> float:
    """0-1: a reply that addresses no key point at all is off the subject, whatever the intercept
    says ("banana" to a question about compilers scores near 0)."""
    p = params.point
    if p.gate_span <= 0:
        return 1.0
    relevance = max(features.relevance, features.question_relevance if p.gate_overlap else 0.0)
    if p.gate_overlap and features.overlap:
        return 1.0
    gate = min(1.0, max(0.0, (relevance - p.gate_floor) / p.gate_span))
    if p.gate_recall > 0:
        gate = max(gate, min(1.0, features.recall / p.gate_recall))
    return gate


_PENALTIES = frozenset({"contradiction", "conflict", "misconception", "lean", "lean_units"})
