"""The evidence a reply gives for each key point (pure functions).

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
reply is analysed once; `reply_features` then needs only the vectors of the reply's units. The data
they pass around lives in `prepared`, the judgment of what a clause claims in `claims`, and the
0-100 score made from the features in `score`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from .claims import contradicting_clauses, reversals_stated, stated_misconceptions
from .contradiction import NOT_NEGATING, polarity
from .fuzzy import ReplyIndex, keyword_score, knows_any
from .glossary import Glossary
from .prepared import KeywordSet, PointFeatures, PreparedReference, ReplyAnalysis, ReplyFeatures
from .settings import LanguageParams
from .text import STOP_WORDS, ends_sentence, normalize, polarity_tokens, reply_clauses, tokens

__all__ = ["analyse_reply", "reply_features", "demoted_text", "is_hypothetical"]

_QUESTION_END = re.compile(r"[吗嘛么呢？?。\s]+$")
# "Don't know" in so many words, maybe with a subject and an apology ("我不知道", "no idea, sorry").
_DONT_KNOW = re.compile(
    r"^(?:我|俺|i\s*)?(?:真的?|确实|实在|也|还)?"
    r"(不知道|不清楚|不太清楚|不会|不懂|忘了|忘记了|没学过|不记得了?|答不上来|跳过|pass|idk|dunno|no clue"
    r"|(?:really |just )?(?:do ?n[o']?t|do not) know|(?:have )?no idea|(?:am |'m )?not sure|no answer|not answered)"
    r"(?:[,，。.!！~～…\s]*(?:sorry|抱歉|对不起|不好意思))?[啊呀哦吧呢了。.!！~～…\s]*$"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
# A clause that says what would happen otherwise ("不然网络只能表示线性函数", "如果不加……"), under a
# condition or in a case granted for argument ("就算把要预测的位置挡住，……") is not a claim of the reply:
# contradiction cues skip it.
_CONDITIONS = "不然|否则|要不然|要不|如果|假如|假设|要是|若|万一|otherwise|if|without|unless"
# A case granted for argument ("就算把位置挡住，信息还是会泄露"): not a claim, though what follows is.
_CONCESSIONS = "就算|即使|即便|哪怕|even if"
# ... also after a short topic put first ("分类如果用mse，……": if MSE is used for classification).
_TOPIC_IF = r"[^\s，,。；;]{1,8}?(?:如果|假如|万一)"  # (not 要是: 主要是)
# (after a connective that opens the clause: "而且就算……")
_OPENING = r"(?:而且|并且|但是|但|可是|不过|而|那么|那)?"
# A belief ascribed to others as a mistake ("很多人以为……", "it's a common mistake to think …"): mentioned, not made.
_MISTAKEN = (
    r"(很多人|不少人|有人|有些人|大家|新手|初学者)?(常常|经常|往往|容易)?(误以为|以为|误认为|错误地认为)|(一个|有个)?常见(的)?(误区|误解)|(一个|有个)(误区|误解)"
    r"|(?:(?:it|that)'?s |it is |that is )?(?:an? )?(?:common |frequent |typical |classic )?(?:mistake|misconception|myth|misunderstanding)"
    r"|(many |some |most )?people (often |usually |commonly |wrongly |mistakenly )?(think|believe|assume|say)|contrary to|mistakenly (think|believe)"
)
_HYPOTHETICAL = re.compile(
    rf"^{_OPENING}({_CONDITIONS}|{_CONCESSIONS}|{_TOPIC_IF}|(并|也)?不是说|{_MISTAKEN})|的话|\bif\b|\bwithout\b", re.I
)
# A claim quoted and then dismissed or restricted ("\"能算一阶就能算二阶\"只是原理上成立") is mentioned, not made.
_QUOTED_DISMISSED = re.compile(r"[\"“「『‘][^\"”」』’]{4,}[\"”」』’]\s*(只是|并不|并非|不一定|未必|不对|是错|不成立|不代表|不等于|不是)")
_CONDITION = re.compile(rf"^{_OPENING}({_CONDITIONS}|{_TOPIC_IF})|的话", re.I)  # ... that governs the clauses after it
_CONCLUSION = re.compile(r"^\s*(所以|因此|因而|于是|但|但是|可是|然而|而|总之|so\b|but\b|hence\b|therefore\b)", re.I)
# What may trail a bare answer: particles and punctuation ("能用啊", "不能。").
_TRAILING = r"[啊呀吧的呢哦嗯了,，.。!！\s]"
# A bare yes or no ("能用啊", "不能。", "对的", hedged "不太行吧") answers the question itself.
_BARE_ANSWER = re.compile(
    r"^(不太(?:行|能用?|可以|会|对)|不能用?|不可以|不行|不是|不会|不对|没有|不一定|能用?|可以用?|能的|可以的|是的?|对的?|会的?|行|有的?"
    r"|yes|yeah|yep|no|nope|sure|of course|not really|not necessarily|not always)"
    + _TRAILING + r"*$",
    re.I,
)
_NEGATIVE_ANSWER = re.compile(r"^(不|没|no\b|nope\b|not\b)", re.I)
# An A-not-A question asks ("是不是", "能不能"); its own last negation ("是不是就不需要增广") is what a
# bare "no" takes back: "不是" to it says "就需要增广", not "不……不需要增广".
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])不\1")
# A question answered with a yes or a no: "A不A", or a final 吗.
_YES_OR_NO = re.compile(_A_NOT_A.pattern + r"|[吗么嘛][？?\s]*$")
# "不类似" / "类似" to "……是不是……类似": a no or a yes that repeats the word asked about.
_ECHO = re.compile(r"^(?P<no>不|没有?)?(?P<word>[\u4e00-\u9fffA-Za-z]{2,8}?)" + _TRAILING + r"*$")
# A "no" that repeats the question's verb: "不会" to "……会……吗".
_DENIED_VERB = re.compile(r"^(?:不|没有?)([会能是要用可])")
# A comparison puts its negation before the comparing word: "BN和权重衰退的作用不类似", not "BN不是和……".
_COMPARED = re.compile(r"^是(?P<other>(?:和|跟|与|同).+?)(?P<word>类似|相似|一样|相同|等价|差不多|一回事)的?$")
# Not a negation there: the words that only start like one (不如, 不过, 没错 …), 不同 and 不一定.
_OWN_NEGATION = re.compile(
    r"(不|没有|没)(?!{})(?=[\u4e00-\u9fff])".format(
        "|".join(sorted({w[1:] for w in NOT_NEGATING if w[0] in "不没"} | {"如", "同", "一定"}, key=len, reverse=True))
    )
)
# "列表和元组都可以当字典的key" says it of each: read as "列表可以……" and "元组可以……" as well, so
# that a claim true of one side only is judged on that side.
# Each side one thing: in "MLP难训、数据和算力都不够" the 、 joins two claims, not two subjects.
_BOTH = re.compile(
    r"^(?P<a>(?:(?!和|与|跟|及)[A-Za-z0-9\u4e00-\u9fff]){1,10}?)(?:和|与|跟|以及|及|、)"
    r"(?P<b>(?:(?!和|与|跟|及)[A-Za-z0-9\u4e00-\u9fff]){1,10}?)(?:也都|都|均)(?P<rest>[^，。；,;、]{2,})$"
)

# A question that offers a choice: "A还是B" ("……是先后训练的还是交替训练的"), "A和B谁……".
_EITHER = re.compile(r"^(?P<before>.*?)[,，\s]*还是(?P<b>[^，,；;]+)$")
_WHICH = re.compile(r"^(?P<pre>.*?)(?P<a>[^，,；;、和与跟]+)(?:和|与|跟)(?P<b>[^，,；;]+?)(?:谁|哪个|哪一个)(?P<rest>.+)$")
_PARTICLES = re.compile(_TRAILING + r"+$")
_CHOICE_REST = 6  # characters a bare choice may say besides the side it picks ("空元组占的内存更大")


def _common(a: str, b: str) -> str:
    """The longest common substring of two short texts (the first found)."""
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] not in b:
                break
            best = a[i:j]
    return best


def _chosen(said: str, stem: str) -> str | None:
    """A bare pick of one side of a choice question ("空列表大" to "空列表和空元组谁……大", "1:1吧" to
    "……是1:1还是1:9"), as the claim it makes: the question with that side alone ("空列表比空元组……大",
    "……是1:1"); None for any other reply. The side is the one the reply shares more of (a side it
    says whole first: "非结构化数据" picks 非结构化数据 over 结构化数据)."""
    said = _PARTICLES.sub("", said)
    which = _WHICH.match(stem)
    either = None if which else _EITHER.match(stem)
    if not (which or either) or not said or _OWN_NEGATION.search(said):
        return None
    if which:
        pre, sides = which["pre"], [which["a"].strip(), which["b"].strip()]
    else:  # the first side is as long as the second: "……是先后训练的还是交替训练的"
        before, other = either["before"], either["b"].strip()  # type: ignore[index]
        pre, sides = before[: -len(other)], [before[-len(other) :], other]
    shared = [_common(side, said) for side in sides]
    ranks = [(side in said, len(common)) for side, common in zip(sides, shared)]
    if ranks[0] == ranks[1]:
        return None
    pick = 0 if ranks[0] > ranks[1] else 1
    # A side is named by at least half of the shorter side (not by a word both share: "类别"); a
    # reply that names the other one too ("空元组比空列表小") makes its own claim.
    least = max(2, min(map(len, sides)) / 2)
    rest = said.replace(shared[pick], "", 1)
    if len(shared[pick]) < least or len(_common(sides[1 - pick], rest)) >= least or len(rest) > _CHOICE_REST:
        return None
    if which:
        return f"{pre}{sides[pick]}比{sides[1 - pick]}{which['rest']}"
    return f"{pre}{sides[pick]}"


def demoted_text(text: str, demote: frozenset[str], glossary: Glossary) -> str:
    """The text without the question's own words (Mohler's "question demoting")."""
    kept = [t for t in tokens(glossary.canonical(text)) if t not in demote]
    joiner = "" if _CJK.search(text) else " "
    return joiner.join(kept) or text


def _answered(first: str, question: str, canonical: Callable[[str], str] = str) -> str:
    """A reply's first clause as the claim it makes: a bare yes or no ("能用啊", "不能。", "No."), one
    that repeats the word asked about ("不类似", "类似" to "……是不是……类似") or a bare pick of a choice
    question ("空列表大", `_chosen`; a side named by its other name counts: "空list更大") is read
    together with the question it answers; any other clause as it is."""
    stem = _QUESTION_END.sub("", question.strip())
    if (choice := _chosen(canonical(normalize(first)), canonical(normalize(stem)))) is not None:
        return choice
    pair = _A_NOT_A.search(stem)
    asked = _A_NOT_A.sub(r"\1", stem)
    said = normalize(first)
    echo = _ECHO.match(said)
    if echo and pair and not _OWN_NEGATION.search(asked):
        # a no may repeat any word asked about; a yes, only the last (a bare noun of the question is no yes)
        rest = stem[pair.end() :]
        echoed = echo["word"] in rest if echo["no"] else rest.rstrip("的了").endswith(echo["word"])
    else:
        echoed = False
    if not echoed and not _BARE_ANSWER.match(said):
        return first
    # A "no" goes before what it denies ("No：通道数增加说明信息被放大了"), a "yes" after.
    negative = bool(echo and echo["no"]) if echoed else bool(_NEGATIVE_ANSWER.match(said))
    # What is asked is the question's last clause: a negation in a condition before it is not taken
    # back ("如果样本大小不是批量数的整倍数，会随机剔除……吗" + "不会": 会 is denied, not 不是).
    start = max(asked.rfind(c) for c in "，,；;") + 1
    own = list(_OWN_NEGATION.finditer(asked, start)) if negative else []
    if own:
        return asked[: own[-1].start()] + asked[own[-1].end() :]
    verb = _DENIED_VERB.match(said) if negative and not pair else None
    if verb and (at := asked.find(verb[1], start)) >= 0:
        return asked[:at] + "不" + asked[at:]  # "不会" to "……会随机剔除多余的数据吗": "……不会随机剔除……"
    if negative and pair:
        # A "no" to "A不A" denies what is asked where it is asked: "τ是不是越大越好" -> "τ不是越大越好".
        rest = stem[pair.end() :]
        compared = _COMPARED.match(pair.group(1) + rest)
        asked_no = f"{compared['other']}不{compared['word']}" if compared else f"不{pair.group(1)}{rest}"
        return stem[: pair.start()] + asked_no
    # Embedded as a plain no: "不太行吧：……" sits further from the point it denies than "不行吧：……".
    answer = re.sub(r"^不太", "不", first.strip(" ,，.。!！"))
    return f"{answer}：{stem}" if negative else f"{stem}：{first}"


_ITEM_EDGES = " ，。；：,;.:"
_NAMES_LISTED = re.compile(r"[A-Za-z0-9]、[A-Za-z0-9]")  # "取两个框x1、y1的较小值": symbols, not claims
_LISTED = range(2, 7)  # items in a 、 list read one by one: a longer list is a keyword dump


def _listed(clause: str, glossary: Glossary) -> list[str]:
    """The items of a list of claims joined by 、, each a clause of its own to weigh against the
    points ("底层C实现、内存连续、能向量化": three points in one clause sit far from each one). Not
    items of under three characters (a list of words or numbers), nor an item that is one term
    alone ("局部连接" matches every point that names it)."""
    items = [item.strip(_ITEM_EDGES) for item in clause.split("、")]
    if len(items) not in _LISTED or any(len(item) < 3 for item in items):
        return []
    return [item for item in items if not glossary.is_term(glossary.canonical(item))]


def analyse_reply(
    text: str, glossary: Glossary, *, max_chars: int, max_clauses: int = 40, question: str = ""
) -> ReplyAnalysis:
    """Index a reply once: tokens, clauses with their polarity, the units to encode, structure, size.

    A bare yes or no ("能用啊", "不能。") is read together with the question it answers.
    """
    truncated = len(text) > max_chars
    text = text[:max_chars]
    clauses = reply_clauses(text, limit=max_clauses)
    said_first = clauses[0] if clauses else ""
    if question and clauses:
        clauses[0] = _answered(clauses[0], question, glossary.canonical)
    # The whole reply is what the candidate wrote: a bare "不是" read as the question it denies makes
    # a point, not a reply close to the reference (alone: 59 -> 45).
    answered = bool(clauses) and clauses[0] != said_first
    canonical = [glossary.canonical(c) for c in clauses]
    by_clause = [tokens(c) for c in canonical]
    words = [token for clause in by_clause for token in clause]
    both = [m for c in clauses if (m := _BOTH.match(c.strip().rstrip("，。；,;.!！?？ ")))]
    derived = [f"{m['a']}{m['rest']}" for m in both] + [f"{m['b']}{m['rest']}" for m in both]
    listed: list[int] = []
    for i, clause in enumerate(clauses):
        items = _listed(clause, glossary)
        derived += items
        if items and len(items) == clause.count("、") + 1 and not _NAMES_LISTED.search(clause):
            listed.append(i)  # every item a claim of its own
    said = [polarity_tokens(c) if "比" in c else toks for c, toks in zip(canonical, by_clause)]
    said += [polarity_tokens(glossary.canonical(c)) for c in derived]
    polarities = tuple(polarity(toks, glossary.negation_words, glossary.synonym_of) for toks in said)
    content = [w for w in words if w not in STOP_WORDS]
    # A bare list of keywords is not an answer ("神经元 概率 丢弃 保留 输出 测试"); terse technical
    # clauses are ("用0填充或者复制边缘像素", "列表可变，元组不可变").
    weights = [len(c) for c in by_clause]
    shares = [_statement_share(raw, toks) for raw, toks in zip(clauses, by_clause)]
    structure = sum(w * s for w, s in zip(weights, shares)) / sum(weights) if weights and sum(weights) else 1.0
    # "不会" is "I can't say", except as the answer to a yes-or-no question ("……会随机剔除吗?").
    dont_know = bool(_DONT_KNOW.match(normalize(text))) and not (answered and _YES_OR_NO.search(question))
    nothing = not content or dont_know
    units: list[str] = [*clauses, *derived]  # a side of a "both" clause is a clause of its own
    spans: list[tuple[int, ...]] = [(i,) for i in range(len(units))]
    joiner = "" if _CJK.search(text) else " "
    for i in range(len(clauses) - 1):
        units.append(joiner.join(clauses[i : i + 2]))
        spans.append((i, i + 1))
    if answered:  # as written, no clause of it: its first clause above is read as the question it answers
        units.append(text.strip())
        spans.append(())
    elif len(clauses) > 2 or not clauses:
        units.append(text.strip())
        spans.append(tuple(range(len(clauses))))
    hypothetical = frozenset(i for i, c in enumerate((*clauses, *derived)) if is_hypothetical(c))
    # A condition governs the rest of its sentence ("如果没有激活函数，……，拟合不了非线性的函数。"),
    # up to a conclusion drawn from it ("……，所以一般用ReLU").
    conditional = set()
    for i in [i for i in sorted(hypothetical) if i < len(clauses) and _CONDITION.search(normalize(clauses[i]))]:
        while not ends_sentence(clauses[i]) and i + 1 < len(clauses) and not _CONCLUSION.match(clauses[i + 1]):
            i += 1
            conditional.add(i)
    return ReplyAnalysis(
        text, truncated, ReplyIndex(words), polarities, hypothetical, tuple(units), tuple(spans), structure,
        len(content), nothing, frozenset(conditional - hypothetical), frozenset(listed),
        frozenset(range(len(clauses), len(clauses) + 2 * len(both))),
    )


def is_hypothetical(clause: str) -> bool:
    """Does the clause say what would happen otherwise or under a condition (如果…, 不然…, …的话), or
    deny a claim as a whole (不是说…)? Either way it states nothing to weigh on its own."""
    return bool(_HYPOTHETICAL.search(normalize(clause)) or _QUOTED_DISMISSED.search(clause))


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


def _lean_sides(
    prepared: PreparedReference, sims: np.ndarray, foreign: bool, translated: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """What a reply's lean is measured between: rows of `sims` (the points' wordings x the reply's
    units; `translated` marks those in the other language) and the wrong claims' vectors. A reply in
    the other language is weighed in one language: the English wordings of both where the bank has
    them, else the Chinese ones of both (a cosine across languages runs lower, so mixing them tilts
    the lean)."""
    if foreign and translated is not None and translated.any():
        if prepared.translated_claim_vectors is not None:
            return sims[translated], prepared.translated_claim_vectors
        if not translated.all():
            return sims[~translated], prepared.claim_vectors
    return sims, prepared.claim_vectors  # type: ignore[return-value]


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
    the whole reply (as written) when the reply has more than two clauses or opens with a bare answer."""
    # A point's gist (「局部连接」) is a wording for a terse reply only.
    terse = 0 < params.point.gist_words and reply.content_words <= params.point.gist_words
    wordings = slice(None) if terse or prepared.variant_gist is None else ~prepared.variant_gist
    sims = prepared.variant_vectors[wordings] @ unit_vectors.T  # variants x units
    point_rows = prepared.point_rows if terse or prepared.variant_gist is None else prepared.full_point_rows
    translated = prepared.translated[wordings] if prepared.translated is not None else None
    n_points = len(prepared.points)
    foreign = prepared.language == "zh" and len(_CJK.findall(reply.text)) < 0.2 * len(reply.text.strip() or "x")
    # Contradiction cues look at single clauses that state something (not 如果…/不然…).
    claims = [
        u for u, span in enumerate(reply.unit_clauses) if len(span) == 1 and span[0] not in reply.hypothetical and span[0] not in reply.listed
    ]
    clause_sims = prepared.subclaim_vectors @ unit_vectors.T if prepared.subclaim_vectors is not None else None
    claim_sims = clause_sims[:, claims] if clause_sims is not None and claims else None  # sub-claims x those clauses
    points = []
    turned: dict[int, set[int]] = {}  # point -> the clauses that turn it around
    for number, point in enumerate(prepared.points):
        # A wording as a whole, or one of its clauses that says something of its own: "不一定会随机
        # 剔除" says the first clause of "不一定随机剔除，最后不足一个批量的数据有几种处理方式" (0.38
        # with the whole point); "对时序数据" and "list不能hash" are no claims alone.
        blocks = [sims[point_rows[number]]]
        if clause_sims is not None and prepared.standing_subclaim_rows is not None:
            blocks.append(clause_sims[prepared.standing_subclaim_rows[number]])
        similarity = max((float(block.max()) for block in blocks if block.size), default=0.0)
        flipped = turned[number] = contradicting_clauses(prepared, number, reply, claims, claim_sims, glossary, params)
        contradicted = bool(flipped)
        sets = point.keyword_sets if terse else point.full_keyword_sets
        coverage = max(_coverage(k, reply, flipped) for k in sets) * reply.structure
        points.append(PointFeatures(coverage, similarity, contradicted, point.core, len(point.keywords)))
    misconceptions = stated_misconceptions(prepared, reply, claims, unit_vectors, claim_sims, glossary, params)
    misconceptions = tuple(sorted({*misconceptions, *reversals_stated(prepared, reply, turned, glossary, params)}))
    english = prepared.english
    if foreign and english is not None and claims:
        # An English reply to a Chinese question states a wrong claim in English words: it is read
        # against the misconceptions' English wordings as well.
        english_sims = _subclaim_sims(english, unit_vectors, claims)
        stated = stated_misconceptions(english, reply, claims, unit_vectors, english_sims, glossary, params, translated=True)
        misconceptions = tuple(sorted({*misconceptions, *(prepared.english_misconceptions[i] for i in stated)}))
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
        rows, wrong = _lean_sides(prepared, sims, foreign, translated)
        lean = float((wrong @ whole).max() - rows[:, -1].max())
        lean_units = float((wrong @ unit_vectors.T).max() - rows.max())
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
            sorted({n for i in misconceptions for n in (prepared.misconceptions[i].reversed_point, *prepared.misconceptions[i].turned_points)})
        ),
        lean=lean,
        lean_units=lean_units,
        relevance=float(sims.max()) if sims.size else 0.0,
        overlap=(overlap := bool(reply.index.exact & prepared.vocabulary)),
        precision=_precision(reply, prepared),
        question_relevance=float((unit_vectors @ prepared.question_vector).max()) if prepared.question_vector is not None else 0.0,
        foreign=foreign,
        known=overlap or _known(reply, prepared.field),
    )


def _subclaim_sims(prepared: PreparedReference, unit_vectors: np.ndarray, claims: list[int]) -> np.ndarray | None:
    """Cosines of the reference's sub-claims (rows) with the reply units `claims` (columns)."""
    if prepared.subclaim_vectors is None or not claims:
        return None
    return prepared.subclaim_vectors @ unit_vectors[claims].T


def _precision(reply: ReplyAnalysis, prepared: PreparedReference) -> float:
    """Of the reply's words the field knows (`PreparedReference.field`; two characters or more: one
    is too ambiguous), the share that are the subject's; 0 for a reply without any. Everyday words
    ("太大", "存不下") count neither way."""
    known = [w for w in reply.index.tokens if len(w) > 1 and w not in STOP_WORDS and w in prepared.field]
    return sum(w in prepared.subject for w in known) / len(known) if known else 0.0


# Code or a formula ("a[i] = *(a+i)", "O(log n)"): the embeddings judge it, the vocabulary cannot.
_CODE = re.compile(r"[\[\](){}*&+=<>/^%|]|\d")


def _known(reply: ReplyAnalysis, field: frozenset[str]) -> bool:
    """Does the reply use a word of the field (`PreparedReference.field`), or code, or no content word?"""
    words = [w for w in reply.index.tokens if w not in STOP_WORDS]
    return not words or bool(_CODE.search(reply.text)) or knows_any(words, field)
