"""Judging what a reply's clauses claim (pure functions): whether a clause turns a key point around
(negation, antonym swaps, judged on the clauses aligned with the point's sub-claims) and whether it
states a curated misconception (its words with its polarity, matching it clearly better than any
right statement it agrees with); and, once per question, which parts of a misconception are wrong
on their own and which of their words make them wrong."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .contradiction import MODAL, Polarity, antonym_swaps, flips
from .glossary import Glossary
from .prepared import PreparedMisconception, PreparedPoint, PreparedReference, ReplyAnalysis
from .settings import LanguageParams, PointParams

__all__ = ["contradicting_clauses", "stated_misconceptions", "reversals_stated", "right_statements", "cruxes", "wrong_alone", "reversed_point",
           "parts_turn_around", "other_parts_words"]


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


# How much lower a clause that says just a sub-claim's words may match it: 「影响最大的不是学习率」 to
# 「学习率影响最大」 0.53 (0.10 missed it; 0.15 moves no grade of dev, held-out or trials 1-10).
_EXACT_FLOOR_DROP = 0.15
# A clause that names the other thing compared matches a sub-claim lower than its words would ("LN在
# batch维度上做归一化" to "BN在batch维度上……": 0.53, "而BN只在单个样本内部做" to "LN在单个样本内部……": 0.60):
# such a clause is checked from this cosine on, when it says at least this share of the sub-claim's
# other words. Both set on the held-out set's swapped comparisons against the trials' right answers.
_SWAP_FLOOR = 0.45
_SWAP_ABOUT = 0.5


def _negates(p: Polarity) -> bool:
    return bool(p.negated or p.mixed)


def contradicting_clauses(
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
    if claim_sims is None or prepared.subclaim_rows is None or not point.claims:
        return set()
    rows = prepared.subclaim_rows[number]
    relevance = params.point.relevance
    every_claim = prepared.subclaims
    # A sub-claim of two words ("list是可变的") leans on the other clauses of its wording: it counts
    # only when the reply turns each of them around ("tuple可变，list不可变"); one of a single word
    # ("列表不可以") is never judged.
    short = {i for i, c in enumerate(point.claims) if len(point.claims) > 1 and len(c.words - {MODAL}) < 3}
    flipped_by: dict[int, int] = {}  # sub-claim -> the clause that turns it around
    said = [reply.clauses[reply.unit_clauses[u][0]].words - _NOT_SAID for u in claims]  # each clause's own words
    for index, (claim, row) in enumerate(zip(point.claims, rows)):
        if index in short and len(claim.words - {MODAL}) < 2:
            continue
        named = _named(claim, point, prepared.compared)
        agree, against, where, low_agree, swapped = 0.0, 0.0, -1, 0.0, False
        order = np.argsort(-claim_sims[row])
        # A clause made of most of the sub-claim's words and nothing else is about it whatever its
        # cosine: "学习率影响不大" to "lr影响最大" (0.45; the vector reads lr and 学习率 apart). Not one
        # that draws a result ("so training converges"): its subject is the clause before.
        only = {b for b in order if _says_only(claim, said[b], point, glossary) and not _CONCLUDES.match(reply.units[claims[b]])}
        for best in [*order[:4], *(b for b in order[4:] if b in only)]:
            similarity = float(claim_sims[row, best])
            if best not in only and (
                similarity < params.point.contradiction_floor - _EXACT_FLOOR_DROP and not (prepared.compared and similarity >= _SWAP_FLOOR)
            ):
                continue
            clause = reply.clauses[reply.unit_clauses[claims[best]][0]]
            # A clause that says just the sub-claim's words is about it, though its vector may sit
            # lower ("tuple可变" to "tuple是不可变的": 0.647) or closer to another's ("tuple可以hash").
            exact = best in only or clause.words - {MODAL} == claim.words - {MODAL}
            low = best not in only and similarity < params.point.contradiction_floor - (_EXACT_FLOOR_DROP if exact else 0.0)
            # Nor does a clause that says the point's words of the other thing compared ("LN在batch
            # 维度上归一化" for "BN在batch维度上……": 0.53): the name weighs heavily in a vector. It
            # must then match better than any clause that states the sub-claim, however low.
            if low and (similarity < _SWAP_FLOOR or not _said_of_rival(named, clause, point, prepared, glossary)):
                if (
                    similarity >= _SWAP_FLOOR
                    and not _turns(named, clause, prepared.rivals, glossary)
                    and _about(named.words - prepared.compared, point.word_weights, clause, glossary, opposites=False) >= _SWAP_ABOUT
                ):
                    low_agree = max(low_agree, similarity)
                continue
            if index in short and not clause.words - {MODAL} <= claim.words:
                continue  # and only by a clause that says nothing else
            # About the sub-claim by its own words, not only through an antonym ("测试阶段不用做任何
            # 操作" is not about "把缩放放到训练阶段").
            if _about(claim.words, point.word_weights, clause, glossary, opposites=False) < relevance:
                continue
            turns = _turns(named, clause, prepared.rivals, glossary) and not _other_half(named, clause, point, glossary)
            if turns or _denies_sibling(claim, clause, point, glossary):
                if reply.unit_clauses[claims[best]][0] in reply.conditional:
                    continue  # true in the case its condition names only
                if point.condition and not _in_case(point.condition, reply, reply.unit_clauses[claims[best]][0]):
                    continue  # the point holds under its condition; the clause may speak of the other case
                # A clause that states another sub-claim (of any point), matching it at least as
                # well or saying nothing but its words, says that one: "NumPy数组……，不支持GPU加速"
                # does not turn "张量支持GPU加速" around, nor "训练不缩放" (AlexNet's way, a point
                # of its own) "现在训练时做缩放".
                # A clause that is the sub-claim with a word turned to its other side, word for word
                # ("LN是在batch维度上做归一化" for "BN是在batch维度上做归一化"), says it the other way
                # round, though it may sit closer to another ("LN在特征维度上归一化").
                mirrored = exact or _mirrors(named, clause, glossary)
                elsewhere = any(
                    other != row
                    and (not mirrored and claim_sims[other, best] >= similarity or clause.words <= every_claim[other].words)
                    and _agrees(every_claim[other], clause, glossary)
                    for other in range(len(every_claim))
                )
                if similarity > against and not elsewhere:
                    against, where, swapped = similarity, reply.unit_clauses[claims[best]][0], low
            else:
                agree = max(agree, similarity)
        # A clause that turns the sub-claim around counts only when no clause states it as well.
        if where >= 0 and against > (max(agree, low_agree) if swapped else agree) + params.point.contradiction_margin:
            flipped_by[index] = where
    # (A side of a "both" clause names the subject: 「list和tuple都是可变的」 turns 「tuple不可变」 around.)
    flipped = {where for index, where in flipped_by.items() if index not in short or where in reply.sides}
    for group in point.claim_groups:
        if len(group) > 1 and short.intersection(group) and all(i in flipped_by for i in group):
            flipped.update(flipped_by[i] for i in group)
    return flipped


_ONLY_ABOUT = 0.6  # share of a sub-claim's words a clause of nothing else says to be about it
# Words that say how, not what; and the modal marker: neither is a word a clause says of its own.
# (其实, 确实, 真的, 本来 never reach a clause's words: the negation reads past them.)
_NOT_SAID = frozenset({MODAL, "反而", "反倒", "当然", "觉得", "认为", "感觉", "几乎", "基本", "基本上", "完全", "根本"})


def _says_only(claim: Polarity, words: frozenset[str], point: PreparedPoint, glossary: Glossary) -> bool:
    """Are a clause's own `words` (`_NOT_SAID` aside) the sub-claim's words only (two or more), most
    of them by weight, its terms all named? A clause without the sub-claim's subject ("不用把图片拉平"
    for "全连接层要把图片拉平") may speak of another thing."""
    return (
        len(words) >= 2
        and words < claim.words - {MODAL}
        and not any(glossary.is_term(w) for w in claim.words - words)
        and _about(claim.words, point.word_weights, Polarity(words, frozenset()), glossary, opposites=False) >= _ONLY_ABOUT
    )


def _denies_sibling(claim: Polarity, clause: Polarity, point: PreparedPoint, glossary: Glossary) -> bool:
    """Does `clause`, about `claim`, deny only words that another sub-claim of the point asserts
    (and turn that one around)? 「两者都不会进入计算图」 turns 「两者都会对计算图产生影响」 around
    beside 「……同样会进入计算图的softmax算子」, though not in this sub-claim's words."""
    denied = clause.negated - claim.words - {MODAL}
    if not denied or any(denied & other.negated for other in point.claims):
        return False  # the point denies it somewhere too ("选得好……，虽然效果不一定好")
    return any(
        denied <= other.words - other.negated and _turns(other, clause, {}, glossary)
        for other in point.claims
        if other.words != claim.words
    )


def _other_half(claim: Polarity, clause: Polarity, point: PreparedPoint, glossary: Glossary) -> bool:
    """Does `clause` state another sub-claim of the point, one that names the other side of a word of
    `claim` ("AlexNet的做法是测试时把输出乘以p" for "AlexNet的做法是训练时不缩放", beside "测试时把输出
    乘以p")? Its only flip is that swap, and it says that sub-claim's words, the same way round."""
    swapped = {b for a in claim.words - clause.words for b in glossary.opposites.get(a, frozenset()) if b in clause.words - claim.words}
    if not swapped or flips(claim, clause, glossary) != antonym_swaps(claim, clause, glossary):
        return False
    return any(
        swapped & other.words
        and not flips(other, clause, glossary)
        and _about(other.words, point.word_weights, clause, glossary, opposites=False) >= _SIBLING_SAID
        for other in point.claims
        if other.words != claim.words
    )


_SIBLING_SAID = 0.75  # share of a sub-claim's words a clause says to state it beside its sibling


def _turns(claim: Polarity, clause: Polarity, rivals: dict[str, frozenset[str]], glossary: Glossary) -> bool:
    """Does `clause` turn `claim` around: an odd number of flips, a rival named instead counting as one?"""
    return bool((flips(claim, clause, glossary) + _rival_swaps(claim, clause, rivals)) % 2)


def _rival_swaps(claim: Polarity, clause: Polarity, rivals: dict[str, frozenset[str]]) -> int:
    """1 when `clause` says of a rival what `claim` says of one thing ("LN在batch维度上归一化"
    for "BN在batch维度上归一化"), else 0."""
    named = [w for w in claim.words if w in rivals]
    if len(named) != 1 or named[0] in clause.words:
        return 0
    return int(bool(rivals[named[0]] & clause.words) and not rivals[named[0]] & claim.words)


def _named(claim: Polarity, point: PreparedPoint, compared: frozenset[str]) -> Polarity:
    """The sub-claim with the thing compared its point speaks of, when it names none itself: an
    alias "减均值再除以标准差" of "标准化按特征列减去均值……" is said of 标准化."""
    if claim.words & compared:
        return claim
    names = point.polarity.words & compared
    return replace(claim, words=claim.words | names) if len(names) == 1 else claim


def _swaps_compared(claim: Polarity, clause: Polarity, prepared: PreparedReference, glossary: Glossary) -> str | None:
    """The word of `claim` naming one of two things the question compares, when `clause` names the
    other instead; else None."""
    for a in (claim.words - clause.words) & prepared.compared:
        others = prepared.rivals.get(a, frozenset()) | glossary.opposites.get(a, frozenset())
        if others & prepared.compared & (clause.words - claim.words):
            return a
    return None


def _said_of_rival(claim: Polarity, clause: Polarity, point: PreparedPoint, prepared: PreparedReference, glossary: Glossary) -> bool:
    """Does `clause` say the claim's words of the other thing compared ("LN在batch维度上归一化"
    for "BN在batch维度上……"), and nothing another key point says instead ("测试时用全局的均值")?"""
    name = _swaps_compared(claim, clause, prepared, glossary)
    if name is None:
        return False
    rest = claim.words - {name, MODAL}
    if _about(rest, point.word_weights, clause, glossary, opposites=False) < _SWAP_ABOUT:
        return False
    others = {w for p in prepared.points if p is not point for c in p.claims for w in c.words} - {w for c in point.claims for w in c.words}
    # (a one-character word, 里/上/中, places rather than says)
    return not {w for w in clause.words - claim.words - prepared.demote if len(w) > 1} & others


def _mirrors(claim: Polarity, clause: Polarity, glossary: Glossary) -> bool:
    """Is every word `clause` says beyond `claim` the other side of one of its words (LN for BN)?"""
    extra = clause.words - claim.words - {MODAL}
    return bool(extra) and all(glossary.opposites.get(w, frozenset()) & (claim.words - clause.words) for w in extra)


# "rarely", "seldom", "hardly" as the stemmer spells them: no negation to the polarity reading (it cannot
# tell "rarely" from "rare words"), yet they turn a clause's cosine with a claim around.
_SELDOM = frozenset({"rare", "seldom", "hard"})
_ABSOLUTES = frozenset({"绝对"})  # not 一定/必须: "一般要把所有数据读进内存" is as wrong as "必须……"
_ONLY = frozenset({"只", "仅", "仅仅", "只有", "光"})
_SAME = "相同"  # 一样, 相同, 一致 as the glossary reads them

_CONCLUDES = re.compile(r"\s*(?:所以|因此|因而|于是|故而|so\b|therefore\b|hence\b|thus\b)", re.IGNORECASE)


def _sets_the_scene(part: Polarity, crux: frozenset[str], question: frozenset[str]) -> bool:
    """Is a claim's part the question's own subject: no crux, most of its words the question's?"""
    return not crux and len(part.words & question) * 2 > len(part.words - {MODAL})


def _sentence_before(reply: ReplyAnalysis, at: int) -> Polarity:
    """What the clauses before clause `at` in its sentence say (their words, and which are negated);
    for a clause that opens its sentence, what the sentence before says ("……还可能不可逆。所以只用
    一阶梯度。" concludes from it)."""
    clauses: list[Polarity] = []
    if not reply.continues_sentence(at) and at > 0:
        at -= 1
        clauses.append(reply.clauses[at])
    while reply.continues_sentence(at):
        at -= 1
        clauses.append(reply.clauses[at])
    return Polarity(
        frozenset().union(*(c.words for c in clauses)), frozenset().union(*(c.negated for c in clauses))
    )


def _in_case(condition: frozenset[str], reply: ReplyAnalysis, at: int) -> bool:
    """Does clause `at`, or the clause before it in its sentence, deny the condition's words too
    ("不归一化的话也不会走之字形" speaks of the case "不归一化时……" names; "归一化后不走之字形" does not)?"""
    sentence = [at - 1, at] if reply.continues_sentence(at) else [at]
    return any(condition & reply.clauses[i].negated for i in sentence)


def stated_misconceptions(
    prepared: PreparedReference,
    reply: ReplyAnalysis,
    claims: list[int],
    unit_vectors: np.ndarray,
    claim_sims: np.ndarray | None,
    glossary: Glossary,
    params: LanguageParams,
    *,
    translated: bool = False,
) -> tuple[int, ...]:
    """The curated wrong claims the reply states. A clause states a part of a claim when it is about
    the part's words, with its polarity, and matches it better (cosine + word share) than any right
    statement it agrees with (a key point's sub-claim, a clause of the correction). Judged clause by
    clause, so that "列表可以修改，元组定义后不能修改" does not state "元组可以修改，列表定义后不能修改"
    (the same words, the sides swapped). `translated`: the claims are English wordings of the
    question's and the reply is in English; a clause close enough by cosine alone states a part
    (`PointParams.translated_claim`)."""
    if not prepared.misconceptions or not claims:
        return ()
    clause_vectors = unit_vectors[claims]
    at = [reply.unit_clauses[u][0] for u in claims]  # each claim's clause
    said = [reply.clauses[i] for i in at]
    # The clause before each: "During training, | dropout randomly drops neurons" is about training.
    before = [reply.clauses[i - 1] if i else None for i in at]
    # ... and whether it is of the same sentence: "dropout就是随机把权重置0，而且一旦丢掉就永久剪掉了"
    # leaves the subject of its second clause to the first.
    same_sentence = [reply.continues_sentence(i) for i in at]
    # A conclusion ("所以只用一阶梯度") is said of what its sentence has been about: the words before it.
    sentence = [_sentence_before(reply, i) if _CONCLUDES.match(reply.units[i]) else None for i in at]
    point_sims = claim_sims if claim_sims is not None else np.zeros((0, len(claims)))  # key points' sub-claims
    found = []
    for index, m in enumerate(prepared.misconceptions):
        if m.part_vectors is None or m.correction_vectors is None:
            continue
        rights = right_statements(prepared.points, m)
        right_sims = np.vstack([point_sims, m.correction_vectors @ clause_vectors.T])
        part_sims = m.part_vectors @ clause_vectors.T  # parts x clauses
        none = [frozenset()] * len(m.parts)
        # A part must match the claim clearly better (the margin) than what it agrees with, unless
        # it is right on its own and said word for word.
        stated = [
            _states_part(
                part, crux, sims, m.word_weights, said, before, rights, right_sims, glossary, params.point, strict=wrong,
                same_sentence=same_sentence, question_words=prepared.demote, sentence=sentence, rivals=prepared.rivals,
                excludes=excludes, others=others, close=params.point.translated_claim if translated else None,
            )
            for part, crux, sims, wrong, excludes, others in zip(
                m.parts, m.cruxes, part_sims, m.wrong_alone, m.excludes or none, m.others or none
            )
        ]
        # The claim's first part, when wrong on its own, is enough ("BN本质上就是一种权重衰减，……");
        # otherwise every part is needed: "训练时不缩放，测试时也不用做任何缩放" is wrong as a whole
        # while each half is right. A part that goes on about the one before it, or has a single
        # word ("牛顿法不用"), is not judged alone.
        # A part that only sets the question's scene (「验证准确率震荡大」 of 「……是因为学习率太小」, asked
        # 「验证集准确率震荡较大是哪个参数影响最大?」) says nothing against the right statements, and a
        # reply answering the question leaves it unsaid.
        alone = [
            i
            for i, part in enumerate(m.parts)
            if not m.dependent[i] and len(part.words - {MODAL}) >= 2 and not _sets_the_scene(part, m.cruxes[i], prepared.demote)
        ]
        alone = alone or list(range(len(m.parts)))  # no part stands alone: the claim as a whole
        if alone and (stated[alone[0]] and m.wrong_alone[alone[0]] or all(stated[i] for i in alone)):
            found.append(index)
        elif (
            m.whole is not None
            and prepared.claim_vectors is not None
            and _states_part(
                # The whole claim in one clause ("只要样本够多就不需要增广"): its parts' polarities cannot
                # be compared with that clause one by one.
                m.whole, frozenset().union(*m.cruxes), prepared.claim_vectors[index] @ clause_vectors.T, m.word_weights,
                said, before, rights, right_sims, glossary, params.point, rivals=prepared.rivals,
            )
            # ... unless the reply turns a part around in a clause of its own ("牛顿法没法直接用"
            # against "牛顿法总是可以用，因为Hessian矩阵一定可逆", said loosely by "牛顿法要算Hessian").
            and not any(
                # close to the part, or saying two of its words ("另外Hessian不一定正定甚至不可逆": 0.43)
                (part_sims[i, c] >= params.point.misconception_floor or len((part.words & clause.words) - {MODAL}) >= 2)
                and flips(part, clause, glossary) % 2
                and _about(part.words, m.word_weights, clause, glossary, opposites=False) >= params.point.misconception_words
                for i, part in enumerate(m.parts)
                for c, clause in enumerate(said)
            )
        ):
            found.append(index)
    return tuple(found)


def reversals_stated(
    prepared: PreparedReference, reply: ReplyAnalysis, turned: dict[int, set[int]], glossary: Glossary, params: LanguageParams
) -> tuple[int, ...]:
    """The curated wrong claims said by the clauses that turn their key point around (`turned`: point
    -> clauses): each part of two words or more agrees with one of those clauses, which says enough
    of its words (`reversal_words`). Short clauses sit too far from a claim for its cosine
    ("tuple可变，list不可变" is 0.54 to "元组可以修改"), yet turning the point around in the claim's
    words is stating it."""
    found = []
    for index, m in enumerate(prepared.misconceptions):
        clauses = [reply.clauses[i] for i in sorted(turned.get(m.reversed_point, ()))]
        parts = [part for part in m.parts if len(part.words - {MODAL}) >= 2]
        if clauses and parts and all(
            any(
                _agrees(part, clause, glossary)
                and _about(part.words, m.word_weights, clause, glossary, opposites=False) >= params.point.reversal_words
                for clause in clauses
            )
            for part in parts
        ):
            found.append(index)
    return tuple(found)


def _agrees(statement: Polarity, clause: Polarity, glossary: Glossary, rivals: dict[str, frozenset[str]] | None = None) -> bool:
    """The clause says the statement's words the same way round (no negation or antonym flip, nor,
    given the things a question compares, the other one named instead)."""
    return not _turns(statement, clause, rivals or {}, glossary) and _negates(clause) == _negates(statement)


def _states_part(
    part: Polarity,
    crux: frozenset[str],
    sims: np.ndarray,
    weights: dict[str, float],
    said: list[Polarity],
    before: list[Polarity | None],
    rights: list[tuple[Polarity, dict[str, float]]],
    right_sims: np.ndarray,
    glossary: Glossary,
    p: PointParams,
    *,
    strict: bool = True,
    same_sentence: Sequence[bool] = (),
    question_words: frozenset[str] = frozenset(),
    sentence: Sequence[Polarity | None] = (),
    rivals: dict[str, frozenset[str]] | None = None,
    excludes: frozenset[str] = frozenset(),
    others: frozenset[str] = frozenset(),
    close: tuple[float, float] | None = None,
) -> bool:
    # Two of its words at least (one if it has one): "牛顿法要算Hessian" shares only 牛顿法 with
    # "牛顿法总是可以用", a rare word that carries most of the weight.
    least = min(2, len(part.words - {MODAL}))
    # What makes the claim wrong must be said: "线性回归的输出是类别" needs 类别. Not the question's
    # words alone ("深度可分离卷积把标准卷积拆成两步" does not say its 计算量更大), nor a kind of what
    # it asks of (自注意力 of "attn": a Chinese compound ends in its head; 参数量 is no kind of 参数),
    # unless the claim only affirms the question ("通道数增加说明信息被放大了"). Question words are
    # read as claims read them (剔除 as 去掉).
    question_said = question_words | {glossary.synonym_of.get(w, w) for w in question_words}
    asked = {w for w in crux if any(w.endswith(q) for q in question_said if len(q) > 1)}
    key = (crux - asked if len(part.words - question_said - {MODAL}) > 1 else crux) or crux
    for best in np.argsort(-sims)[:3]:
        similarity = float(sims[best])
        if similarity < p.misconception_floor:
            break
        clause = said[best]
        # An English paraphrase shares few of the claim's words ("take them sequentially" for "taken
        # in order"; the stems differ): its cosine says it, if it names what makes the claim wrong.
        if (
            close is not None
            and similarity >= close[0]
            and len(part.words - {MODAL}) >= 2
            and (not crux or key & clause.words)
            and not (clause.words - part.words) & _SELDOM
            and _agrees(part, clause, glossary)
            and similarity - _best_right(clause, best, rights, right_sims, glossary, rivals) >= close[1]
        ):
            return True
        words = _about(part.words, weights, clause, glossary, opposites=False)
        # A clause that says every word of the claim but the question's leaves its subject to the
        # question: "和学习率没什么关系" to "验证集准确率震荡……哪个参数影响最大?" states "验证准确率震荡
        # 和学习率没什么关系", as "batch size影响最大", which says nothing else, states "对验证集准确率
        # 震荡影响最大的是batch size". Not for a claim wrong only as a whole (no crux), nor, for a
        # clause that repeats some of the question, a comparison ("转置卷积更好" does not say "线性插值
        # 比转置卷积更好").
        given = clause
        rest = part.words - question_words - {MODAL}
        left = part.words & (question_words - clause.words)
        if crux and rest and rest <= clause.words and left and (
            not clause.words & question_words or (clause.words - {MODAL} <= part.words and not part.before_than)
        ):
            given = replace(clause, words=clause.words | left)
            words = max(words, _about(part.words, weights, given, glossary, opposites=False))
        context = before[best]
        joined = context if same_sentence and same_sentence[best] else None  # the clause before, of this sentence
        if (crux - question_words) & clause.words and joined is not None and not clause.words & others:
            # The subject may be left to the clause before, when this one says what makes the claim
            # wrong in words of its own ("结构和数据一样" only repeats the question's premise); not
            # when it names what another part of the claim speaks of ("右下角取……较小值" after "左上角
            # 取……较大值" is about the corner the claim's second part names).
            subject = replace(clause, words=clause.words | joined.words)
            words = max(words, _about(part.words, weights, subject, glossary, opposites=False))
        if words < p.misconception_words or not _agrees(part, clause, glossary):
            continue
        if excludes & (clause.words - clause.negated):
            continue  # it names, as well, what the claim's other part denies
        if _of_the_other(part, clause, glossary):
            continue
        # "一般不需要再用dropout" is a habit, not "绝对不能再用dropout": a claim that says "absolutely"
        # is not stated by a clause that says usually.
        if part.words & _ABSOLUTES and clause.habitual and not clause.words & _ABSOLUTES:
            continue
        # "numpy数组和list一样存的是指针" is stated by a clause that says the sameness, or names both
        # things; not by one that says the predicate of list alone ("list存的是指向各个对象的指针").
        near = clause.words | (joined.words if joined is not None else frozenset())
        if _SAME in part.words - clause.words and not {w for w in part.words if glossary.is_term(w)} <= near:
            continue
        # A conclusion (所以/因此 …) that leaves the claim's subject (the question's word) unsaid goes
        # on about what its sentence has named: "……参数那么多根本算不了，所以只用一阶梯度" does not
        # say 牛顿法 only uses the first-order gradient. Nor does one drawn from the other side of a
        # word it says ("牛顿法要算二阶的Hessian，……，所以只用一阶梯度"): a reply does not deny
        # within a sentence what it has just said, so the conclusion is of something else.
        premise = sentence[best] if sentence else None
        if premise is not None:
            subject = part.words & question_words
            of_another = bool(subject) and not subject & (clause.words | premise.words) and any(
                glossary.is_term(w) for w in premise.words - part.words
            )
            other_side = any(glossary.opposites.get(w, frozenset()) & (premise.words - premise.negated) for w in part.words & clause.words)
            if of_another or other_side:
                continue
        if len((part.words & clause.words) - {MODAL}) < least:
            continue
        if crux and not key & clause.words:  # what makes the claim wrong (above)
            continue
        if not (part.negated - {MODAL}) <= given.words:  # "非结构化数据" does not say "……用不了"
            continue
        # A word of the claim left unsaid whose other side the clause before says: "During training,
        # dropout randomly drops neurons" does not say it drops them at test time.
        unsaid = part.words - clause.words
        if context is not None and any(glossary.opposites.get(w, frozenset()) & context.words for w in unsaid):
            continue
        # "1x1卷积不看空间邻域" agrees with no part of "1x1卷积能提取空间邻域的特征"; a clause of
        # the right statement ("除以d_k会让方差变成1/d_k") may repeat the wrong one's words.
        rival = _best_right(clause, best, rights, right_sims, glossary, rivals, words=True)
        margin = 0.0 if not strict and words >= 0.999 else p.misconception_margin
        if similarity + words - rival >= margin:
            return True
    return False


def _of_the_other(claim: Polarity, clause: Polarity, glossary: Glossary) -> bool:
    """Does `clause`, comparing nothing, speak of the term `claim` compares its subject with, and not
    of the subject ("绝对值损失降低了对异常值的敏感度" is no "平方损失对异常值比绝对值损失更不敏感")?"""
    if not claim.before_than or clause.before_than:
        return False
    subject = {w for w in claim.before_than - claim.after_than if glossary.is_term(w)}
    other = {w for w in claim.after_than - claim.before_than if glossary.is_term(w)}
    return bool(subject) and bool(clause.words & other) and not clause.words & subject


def _best_right(
    clause: Polarity,
    at: int,
    rights: list[tuple[Polarity, dict[str, float]]],
    right_sims: np.ndarray,
    glossary: Glossary,
    rivals: dict[str, frozenset[str]] | None,
    *,
    words: bool = False,
) -> float:
    """How well the clause (column `at` of `right_sims`) matches the right statement it agrees with
    best: cosine, plus with `words` the share of that statement's words it says; 0 for none."""
    return max(
        (
            float(right_sims[r, at]) + (_about(right.words, weights, clause, glossary, opposites=False) if words else 0.0)
            for r, (right, weights) in enumerate(rights)
            if _agrees(right, clause, glossary, rivals)
        ),
        default=0.0,
    )


def other_parts_words(parts: Sequence[Polarity]) -> tuple[frozenset[str], ...]:
    """For each part of a claim, the words its other parts say and it does not (found once per question)."""
    return tuple(
        frozenset().union(*(p.words for j, p in enumerate(parts) if j != i)) - part.words - {MODAL} for i, part in enumerate(parts)
    )


def reversed_point(prepared: PreparedReference, index: int) -> int:
    """The key point misconception `index` turns around: the one closest to the wrong claim and to its
    correction together ("线性回归用来做分类" turns "它是回归任务，预测连续值" around, not the point
    that shares its subject, "线性回归用一条直线描述……"). Needs the reference's claim vectors."""
    assert prepared.claim_vectors is not None
    closeness = prepared.variant_point_sims(prepared.claim_vectors[index])
    fixes = prepared.misconceptions[index].correction_vectors
    if fixes is not None and len(fixes):
        closeness = closeness + np.max([prepared.variant_point_sims(row) for row in fixes], axis=0)
    return int(np.argmax(closeness))


def parts_turn_around(prepared: PreparedReference, index: int, glossary: Glossary, *, share: float = 0.6) -> tuple[int, ...]:
    """The key points a part of misconception `index` denies word for word (most of each other's
    words, a negation flipped, no antonym swapped: "LN是对batch内……" says nothing against "BN是对
    batch内……"): a claim that swaps two sides ("平方损失在0点不可导，绝对值损失处处可导") denies a
    point with each half, not only its `reversed_point`."""
    m = prepared.misconceptions[index]

    def denies(claim: Polarity, part: Polarity, text: str) -> bool:
        other_side = antonym_swaps(claim, part, glossary) > 0
        # 非 makes another term (非结构化数据), not a denial of the word (结构化的网络)
        negated = {w for w in claim.words & part.words if (w in claim.negated) != (w in part.negated)}
        terms = bool(negated) and all(f"非{w}" in text for w in negated)
        return not other_side and not terms and flips(claim, part, glossary) % 2 == 1

    found = []
    for number, point in enumerate(prepared.points):
        if any(
            denies(claim, part, m.claim + point.text)
            and _about(claim.words, point.word_weights, part, glossary, opposites=False) >= share
            and _about(part.words, m.word_weights, claim, glossary, opposites=False) >= share
            for claim in point.claims
            for part in m.parts
        ):
            found.append(number)
    return tuple(found)


def right_statements(
    points: Sequence[PreparedPoint], m: PreparedMisconception
) -> list[tuple[Polarity, dict[str, float]]]:
    """What a misconception is weighed against, with the IDF of their words: every sub-claim of a
    key point, in order, then the clauses of its correction."""
    return [(c, p.word_weights) for p in points for c in p.claims] + [(c, m.word_weights) for c in m.correction_parts]


def only_excludes(parts: Sequence[Polarity], question_words: frozenset[str], glossary: Glossary) -> tuple[frozenset[str], ...]:
    """For each part that says "only" (只/仅), the terms the claim's other, negated parts name and it
    does not: "only A, not B" is not said by a clause that names B beside A ("深度可分离卷积 =
    depthwise conv + pointwise conv" against "只做逐通道卷积，不需要后面的1×1卷积"). Empty otherwise."""
    return tuple(
        frozenset(
            w
            for j, other in enumerate(parts)
            if j != i and _negates(other)
            for w in other.words - part.words
            if glossary.is_term(w) and w not in question_words
        )
        if part.words & _ONLY
        else frozenset()
        for i, part in enumerate(parts)
    )


def cruxes(
    parts: Sequence[Polarity], rights: Sequence[Polarity], corrections: Sequence[Polarity] = (), glossary: Glossary | None = None
) -> tuple[frozenset[str], ...]:
    """Each part's words that no right statement uses: what a clause must say to state the part.
    A part whose every word a right statement uses has for crux the words whose other side (an
    antonym) a clause of its correction says about the same thing (two words shared at least):
    "交集的左上角取两个框坐标的最小值" against "交集左上角取……的最大值" is wrong by 最小值, which
    "交集框左上角取两个x1里大的" does not say."""
    used = frozenset().union(*(r.words for r in rights))
    found = []
    for part in parts:
        crux = frozenset(part.words - used - {MODAL})
        if not crux and glossary is not None:
            crux = frozenset(
                w
                for c in corrections
                if len((c.words & part.words) - {MODAL}) >= 2
                for w in part.words - c.words - {MODAL}  # a correction that says both sides names neither
                if glossary.opposites.get(w, frozenset()) & (c.words - part.words)
            )
        found.append(crux)
    return tuple(found)


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
