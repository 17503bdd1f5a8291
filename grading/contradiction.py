"""Does a reply clause state the opposite of a key point?

Embeddings cannot tell "元组不可修改" from "元组可以随便修改"; these explicit cues can. A clause
that is about the same thing as the point (shares its words) flips it when it negates a shared word
the point does not negate (or the other way round), or says the other side of an antonym pair
(训练/测试, 增大/减小, 可变/不可变 …). Two flips cancel: "测试时不丢弃" agrees with "训练时丢弃"'s
logic rather than contradicting it, so only an odd number of flips is a contradiction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .glossary import Glossary
from .text import STOP_WORDS

__all__ = ["Polarity", "polarity", "flips", "antonym_swaps", "NEGATION_WINDOW", "MODAL", "MUST", "NOT_NEGATING"]

NEGATION_WINDOW = 1  # a negation applies to the next content word: 不可|修改, 没有|激活函数


@dataclass(frozen=True)
class Polarity:
    """The content words of a clause and which of them are negated."""

    words: frozenset[str]
    negated: frozenset[str]
    mixed: frozenset[str] = frozenset()  # said both ways in the same clause: no polarity to compare
    # A comparison "X比Y……": the words before 比 and after it (empty when the clause compares nothing).
    before_than: frozenset[str] = frozenset()
    after_than: frozenset[str] = frozenset()
    habitual: bool = False  # said of what is usually done ("一般……", "通常……"), not of what can be


# Words that deny what the clause talks about: "Adam跟动量没关系" says nothing of Adam is momentum.
# Without a "with" before it, "没关系" says a thing is fine ("batch小一点没关系"), as "没问题" does.
_NO_MATTER = frozenset({"没关系", "没什么关系", "没啥关系", "没有关系"})
_WITH = frozenset({"跟", "和", "与", "同"})
_FINE = "问题"  # read as 没问题
_DISMISSALS = frozenset({"没关系", "无关", "不相关", "没什么关系", "没啥关系", "没有关系", "没用", "没什么用", "无用", "解耦"})
# "不受batch size影响" (not affected by) dismisses as "与batch size无关" does.
_UNDERGOES = "受"
_EFFECTED = frozenset({"影响", "限制", "干扰"})
# A relation denied dismisses as those words do: "没有什么关系", and "不会随batch size变大变小" (a
# negated "varies with") says what "与批量大小无关" says.
_RELATIONS = frozenset({"关系", "随", "随着"})
_THEN = "而"
# A negation before "随着X而Y" or "因为X就Y" denies Y, not the relation or the reason: it waits past
# these words for the ones after which Y comes.
_DEFERRED_TO = {
    "随": frozenset({_THEN}),
    "随着": frozenset({_THEN}),
    "因为": frozenset({"就", "而", "才"}),
    "由于": frozenset({"就", "而", "才"}),
}
# "缺乏先验" is "没有先验" and also a thing said of 先验 ("理论说不太清" is "缺乏理论"): the word after
# it is read both ways, so that neither reading turns the other around.
_LACKS = frozenset({"缺乏", "缺少"})
# "防止看到未来的词" says what "为了不看到未来的词" says, and also names the thing prevented
# ("防止过拟合" is a claim about 过拟合 that "过拟合减少" agrees with): read both ways, like 缺乏;
# so is "省掉额外计算" (no extra computation).
_PREVENTS = frozenset({"防止", "避免", "阻止", "以免", "以防", "防范", "省掉", "省去", "省下", "免去"})
# "Rarely" before a verb says as much as "hardly ever" ("卷积层很少加dropout"); after a noun it says
# "few" ("参数很少") and denies nothing.
_RARELY = frozenset({"很少", "极少", "较少", "鲜少"})
# Negations that follow their verb: "处理不了", "做不到", "做不好" (before a verb, 不好 is "hard to": `_HARD_TO`).
_AFTER_VERB = frozenset({"不了", "不到", "不出", "不动", "不好", "不住", "不成"})
_PREFIXES = ("不", "没", "无", "非")
# Words that start like a negation but do not negate: 不如 (worse than), 无论 (no matter), 非常 (very).
NOT_NEGATING = frozenset(
    "不如 不断 不仅 不过 不管 不论 无论 非常 不少 不久 没错 不错 无非 不妨 不止 不但 无比 无数 不然".split()
)


# Adverbs (degree, hedges, 再/还), prepositions, the copula and the causatives a negation reads past to
# the word it denies ("不会太大", "并不直接约束", "不是以0为中心", "没必要再缩放"); no content of their
# own. A causative (让/使) is read past too, to the end of what it causes (`_CAUSATIVES`).
_TRANSPARENT = frozenset(
    "太 很 直接 并 一定 完全 总是 总 真的 特别 十分 一直 经常 全 全部 根本 过于 太过 特意 马上 立刻 明显 显著 "
    "那么 这么 那样 这样 是 以 在 对 把 被 从 向 给 为 本身 其实 主要 一般 通常 基本 基本上 往往 大多 常常 确实 本来 "
    "再 还 继续 另外 单独 让 使 使得 这个 那个 这些 那些 此 已经 早就 早已 "
    # English copulas, auxiliaries, "have" and articles, as tokens spell them ("does" -> "doe"):
    # "nothing is dropped" denies the dropping, "does not have a return type" the return type (没有返回类型).
    "is are was were be been get got do doe did have has had a an the".split()
)
# Determiners with content of their own: "不依赖当前batch" denies the current batch, so the negation
# covers the word after them too.
_DETERMINERS = frozenset("当前 整个 每个 所有 单个 某个 各个".split())
# Need and must, and the light verbs: "不需要额外操作" denies the extra work, not the needing, and
# "不做增广" the augmentation, so a negation reads past them to the word it denies, as "不用额外处理"
# does; "没必要" is such a negation.
_NEEDS = frozenset("需要 需 要 必要 必 做 进行 加以 加".split())
_USE = "用"  # the glossary's word for 使用, 采用, 利用 …
# "all" says what 所有 says ("acts on all input channels" is the wrong half of a claim): a claim's word.
_QUANTIFIERS = frozenset({"all"})
_ANY = "任何"  # "不需要任何额外操作": the negation covers the phrase that follows, two words
_WHAT = frozenset({"什么", "啥", _ANY})  # "没啥共性" says "没什么共性"


_SYMBOL = re.compile(r"^([0-9.]+|[a-z])$")
_THAN = "比"
# "不让X太大", "不会使X变成Y": the negation denies what is caused, the complement's last word, and
# says its subject (X) neither way.
_CAUSATIVES = frozenset({"让", "使", "使得", "令"})
_COMPLEMENTS = frozenset("到了出动住完成懂会见")  # what follows 不 in "得不到", "用不了", "学不会"
_HABITUAL = frozenset({"一般", "通常", "往往", "大多", "大多数", "多数", "一般来说", "通常来说", "基本", "基本上", "很少"})
_COORDINATORS = frozenset("或者 或 和 与 及 以及 或是 跟 or and nor".split())


# "可以/能" and "不能/无法" carry the claim's polarity: "不同层可以用不同学习率" vs "不能用不同学习率".
# Both sides are recorded as the one word MODAL, so the two can be compared.
MODAL = "能"
_MODALS = frozenset({"可以", "能", "能够", "可", "允许", "can", "could"})
_NEGATED_MODALS = frozenset({"不能", "不可以", "不可", "无法", "没法", "不行", "不允许", "不能够", "cannot", "can't"})
# "必须" and "一定要" make a claim about necessity: "转置卷积必须用双线性插值初始化" is not "可以用……".
# Recorded as the one word MUST, negated by "不一定要"; "不能不"/"不得不" are a must.
MUST = "必须"
_MUSTS = frozenset({MUST, "必需", "务必", "非得", "非要", "不能不", "不得不"})
_MUST_AFTER = {"一定": frozenset({"要", "得"})}  # "一定要": a must; "一定" alone: surely
_NEED_PREFIX = frozenset("要得")
_SHORT_VERBS = frozenset("加 接 用 做 放 有".split())


@lru_cache(maxsize=8)
def _prefixes(negations: frozenset[str]) -> tuple[str, ...]:
    """Negations that can start a merged token, longest first: 不可|修改 before 不|可修改."""
    chinese = {n for n in negations if not n.isascii()} | set(_PREFIXES)
    return tuple(sorted(chinese, key=len, reverse=True))


def polarity(tokens: Sequence[str], negations: frozenset[str], same: Mapping[str, str] | None = None) -> Polarity:
    """Content words of a clause's tokens, and which of them a negation applies to. `same` maps an
    everyday word to the one claims read for it (the glossary's `synonyms`: 后面 -> 之后).

    >>> p = polarity(["元组", "不可", "修改"], frozenset({"不可"}))
    >>> sorted(p.words), sorted(p.negated)
    (['修改', '元组', '能'], ['修改', '能'])
    """
    words: set[str] = set()
    negated: set[str] = set()
    plain: set[str] = set()
    pending = 0  # negations whose window is still open
    window = 0
    previous: str | None = None
    carried = 0  # the negations that applied to the previous word: "不会太大或者太小" denies both
    dismissed = False
    lacking = False  # the next content word follows 缺乏
    than: set[str] | None = None  # the words after 比, once it is met
    # A negation with no word after it denies what came before: "什么额外操作都不用做" the extra work
    # (the words since 什么/任何), "测试时dropout不用" dropout.
    topic: list[str] | None = None  # content words since 什么/任何, outside a negation
    denied: list[str] | None = None  # what a negation denies if nothing follows it
    verb: str | None = None  # the last need or light verb a negation read past
    caused = 0  # the negations before a causative ("不让……")
    related = False  # a "with" (跟/和/与) met: "没关系" then denies a relation ("Adam跟动量没关系")
    complement: list[str] | None = None  # the content words after it
    habitual = False
    deferred = 0  # negations held past "随着X"/"因为X" (`_DEFERRED_TO`) for the predicate after 而/就
    resume: frozenset[str] = frozenset()  # ... the words after which they apply again
    premise: frozenset[str] | None = None  # the words before them, once they apply again
    predicate: set[str] = set()  # ... and the words after
    normalized = _normalized(tokens)
    for at, token in enumerate(normalized):
        habitual = habitual or token in _HABITUAL
        after = _DEFERRED_TO.get(token)
        if after and pending and window and after.intersection(normalized[at + 1 :]):
            # "不会随着batch翻倍而继续明显增加" denies the increase, "数值不会因为样本多就变得很大"
            # 变得很大; with nothing after ("不会随batch size变大变小") it is still a dismissal
            deferred, pending, window, resume = pending, 0, 0, after
            continue
        if token in resume and deferred:
            pending, window, deferred = deferred, NEGATION_WINDOW, 0
            premise = frozenset(words)
            continue
        if token in _WHAT and not pending:
            topic = []
        if token == _THAN and than is None:
            than, before = set(), set(words)
            continue
        if token in _WITH:
            related = True
        if token in _COORDINATORS:
            if carried:
                pending, window = carried, NEGATION_WINDOW
            continue
        if token in _NO_MATTER and not related:  # "batch小一点没关系": it is fine, as "没问题" says
            words.add(_FINE)
            negated.add(_FINE)
            continue
        if token in _DISMISSALS:
            dismissed = True
            continue
        if token == _UNDERGOES and pending % 2 and window and _EFFECTED.intersection(normalized[at + 1 :]):
            dismissed = True
            continue
        if token in _LACKS or token in _PREVENTS:
            lacking = True
            continue
        if token in _AFTER_VERB:
            if previous is not None:
                negated ^= {previous}
                plain.discard(previous)
            continue
        if token in _NEGATED_MODALS:
            words.add(MODAL)
            (plain if pending % 2 else negated).add(MODAL)
        elif token in _MODALS or token in _MUSTS:  # the marker takes the open negation: "不一定要"
            marker = MUST if token in _MUSTS else MODAL
            words.add(marker)
            (negated if pending % 2 else plain).add(marker)
            if pending:
                window, pending, denied = 0, 0, []
            continue
        if token in negations or token in _NEGATED_MODALS or token in _RARELY:
            if token in _RARELY:  # "卷积层很少加dropout" denies the adding; "参数很少" (few) denies nothing
                denied = []
            elif token not in _NEGATED_MODALS:  # "不能" carries its own polarity
                denied = _denied_before(topic, previous)
            pending += 1
            window = NEGATION_WINDOW
            continue
        prefix = None
        if token[:1] in _PREFIXES and token not in NOT_NEGATING:
            prefix = next((n for n in _prefixes(negations) if token.startswith(n) and len(token) > len(n)), None)
        base = token[len(prefix) :] if prefix else token
        base = same.get(base, base) if same else base  # "后面" is read as "之后"
        if prefix and base in _CAUSATIVES:  # "不让", "不使" cut whole
            caused, complement, pending, window = pending + 1, [], 0, 0
            continue
        if prefix and (base in STOP_WORDS or base in _NEEDS):  # "不想", "不要", "没必要": denies what follows
            denied = _denied_before(topic, previous)
            pending += 1
            window = NEGATION_WINDOW
            continue
        if pending and window and base in _CAUSATIVES:
            # "不让权重的取值范围太大" denies what comes last, 太大, as "取值范围不要太大" does
            caused, complement, pending, window = pending, [], 0, 0
            continue
        # "不再用batch的统计量", "不使用X" deny what is used, as "不用X" does (不用 is one negation)
        if base in _TRANSPARENT or base in _NEEDS or (base == _USE and pending and window):  # "不是以0为中心", "并不直接约束": read past
            if pending and (base in _NEEDS or base == _USE):
                verb = base
            continue
        if base in _WHAT and pending:  # "不需要任何额外操作", "没有什么共性": the phrase after it
            window = max(window, 2)
            continue
        if base in STOP_WORDS and base not in _QUANTIFIERS:  # "不想让……": the negation ends with the verb it denies
            if window:
                window -= 1
                pending = pending if window else 0
            continue
        words.add(base)
        if premise is not None:
            predicate.add(base)
        if complement is not None:
            complement.append(base)
        if than is not None:
            than.add(base)
        if pending and window:
            denied = []  # the negation found its word
        elif topic is not None:
            topic.append(base)
        carried = pending if window else 0
        if lacking:
            negated.add(base)
            plain.add(base)
            lacking = False
        elif (pending + (1 if prefix else 0)) % 2:
            negated.add(base)
        else:
            plain.add(base)
        previous = base
        if window and base not in _DETERMINERS:
            window -= 1
            if not window:
                pending = 0
    if pending and not denied and verb:  # "测试时什么都不做": the verb itself is what is denied
        denied = [verb]
        words.add(verb)
    if complement and caused % 2:
        negated.update(complement[:-1])
        plain.update(complement[:-1])
        negated.add(complement[-1])
        plain.discard(complement[-1])
    for word in denied if pending and denied else ():  # a negation still open at the end
        if word not in negated:
            negated.add(word)
            plain.discard(word)
    if dismissed or not _RELATIONS.isdisjoint(negated):
        return Polarity(frozenset(words), frozenset(words), habitual=habitual)
    mixed = negated & plain
    if premise is not None:
        # "梯度不会因为batch size变大而变得很大" denies that the gradient grows because the batch size
        # does: the words before 而/就 are neither said nor denied by it (not "the gradient is not
        # …", nor "the batch size does not grow"), only what follows is denied.
        mixed |= premise - predicate
    compared = (frozenset(before), frozenset(than)) if than and before else (frozenset(), frozenset())
    return Polarity(frozenset(words), frozenset(negated - mixed), frozenset(mixed), *compared, habitual=habitual)


# What "不行" after it judges bad, as "不好" does: "效果不行就换别的" ("在MLP里不行" is a "can't").
_RESULTS = frozenset({"效果", "结果", "性能", "表现", "精度", "准确率"})
# jieba keeps "没法用" whole, and cuts "没办法" as 没|办法: both are "无法" (cannot).
_CANNOT = {("没", "办法"): "没法", ("没有", "办法"): "没法"}
# "小batch" reads 小批次, an alias the segmenter keeps whole, while "大batch" is cut 大|批次: the size
# is a word of its own, so that "小batch的梯度噪声大" agrees with "batch越小梯度噪声越大".
_SIZED = {"小批次": ("小", "批次")}
# ... and it glues a verb to the size it sets ("乘大一点的系数", "调小"): 大/小 stay words of their own
# (放大, to amplify, stays a word).
_SETS_SIZE = frozenset("乘 调 设 取 开 给 加 除")


def _modal_split(token: str) -> tuple[str, ...]:
    """A glued "没法用" as 没法|用, so that the modal carries the negation and the verb stays a word."""
    for modal in ("没法", "无法", "不能"):
        if token not in _MUSTS and token.startswith(modal) and len(token) > len(modal) and not token.isascii():
            return modal, token[len(modal) :]
    return (token,)


def _sized(token: str) -> tuple[str, ...]:
    """A token with its size cut off ("小批次", "乘大"), or as `_modal_split` cuts it."""
    if len(token) < 2 or token.isascii():
        return (token,)  # every cut below is of a Chinese word of two characters or more
    if token in _SIZED:
        return _SIZED[token]
    if len(token) == 2 and token[0] in _SETS_SIZE and token[1] in "大小":
        return token[0], token[1]
    if len(token) == 3 and token[-1] == "时" and token[1] in "大小" and token[0] in _DEGREE_PREFIXES:
        return token[:2], token[2]  # "过大时": 过大|时
    if len(token) == 3 and token[1] == "不" and token[0] != token[2] and token[2] in _COMPLEMENTS and token not in NOT_NEGATING:
        # "得不到", "学不会", "用不了": cannot get, learn, use (不|得到, 不|用)
        return "不", token[0] + (token[2] if token[2] != "了" else "")
    if len(token) == 2 and token[1] == "不" and token not in _GLUED_NOT_KEPT:
        return token[0], token[1]  # "训不|出来": the segmenter glues a negation to the verb before it
    if len(token) == 2 and token[1] == "非" and token[0] in _PREPOSITIONS:
        return token[0], token[1]  # "对非|连续": 对 + 非连续 (not 是非, right and wrong)
    if len(token) > 1 and token.endswith(_THEN) and token not in _ENDS_IN_THEN:
        return token[:-1], _THEN  # "变大而": the segmenter glues 而 to the word before it
    return _modal_split(token)


def _normalized(tokens: Sequence[str]) -> list[str]:
    """The tokens as the polarity reading needs them: without the "not A" of an A-not-A question
    ("顺序对不对", "是不是", "要不要": it asks, it does not deny), "一定要" as one must, "并不相同"
    as "不相同", "不可|导" as "不|可导", "没法用"/"没办法用" as 没法|用, "效果不行" as "效果不好",
    "小批次" as 小|批次 and "乘大" as 乘|大, "不好调" as 不|调 and "难|确定" as 很难|确定, and a
    negation before a phrase of time after it."""
    # jieba keeps "要加", "要接", "得加" whole: 要/得 + the verb, so that "一定要加" is a must.
    tokens = _unhedged([piece for t in tokens for piece in ((t[0], t[1]) if t[:1] in _NEED_PREFIX and t[1:] in _SHORT_VERBS else _sized(t))])
    out: list[str] = []
    skip = 0
    lessened = -1  # where a quality a lessening verb governs stands
    for i, token in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        # "降低卷积对位置的敏感性" is "卷积对位置不敏感", said softly, as "没那么敏感" is.
        if token in _LESSENING and (at := _lessened_quality(tokens, i)) >= 0:
            lessened = at
            continue
        if i == lessened:
            out.extend(("不", _QUALITIES[token]))
            continue
        if token == "算" and _LAYERS.fullmatch(following):  # "激活函数也算一层" counts it, "算一遍" computes
            out.append("算作")
            continue
        if token in _ABANDONS:  # "放弃了引用计数" no longer uses it: "不用引用计数"
            out.append("不用")
            skip = int(following == "了")
            continue
        if token == "被弃" and following == "用":  # "引用计数被弃用了", as the segmenter cuts it
            out.append("不用")
            skip = 1 + (tokens[i + 2 : i + 3] == ["了"])
            continue
        if token in _PREFIXES and 0 < i and tokens[i - 1] == following:
            skip = 1
            continue
        if i and token[:1] in _PREFIXES and token[1:] == tokens[i - 1]:  # "用不用", "能不能"
            continue
        # Before a verb, "不好" and "难" say "hard to" ("学习率不好调", "很|难|确定" as 很难确定): they deny
        # the verb, not the word before them as "做不好" does.
        if token in _HARD_TO and following and following not in STOP_WORDS and not _SYMBOL.match(following):
            out.append(_HARD_TO[token])
            continue
        if token in ("小时", "大时") and out and out[-1] in _DEGREE_PREFIXES:  # "过|小时" is 过小|时, not an hour
            out[-1] += token[0]
            out.append("时")
            continue
        if token == "不行" and out and out[-1] in _RESULTS:  # "效果不行" is "效果不好", not "不能"
            out.append("不好")
            continue
        if (token, following) in _CANNOT:
            out.append(_CANNOT[token, following])
            skip = 1
            continue
        if following in _MUST_AFTER.get(token, ()):
            out.append(MUST)
            skip = 1
            continue
        if token == "不" and _differs_in(tokens[i + 1 : i + 4]):  # "不同在于……" names the difference
            out.append(_DIFFERENCE)
            skip = 1
            continue
        if token == "不可" and following in _ABLE:  # "不可|导" as "不|可导", the word "处处可导" says
            out.extend(("不", token[1] + following))
            skip = 1
            continue
        if token[:1] == "并" and token[1:2] in _PREFIXES and len(token) > 2:
            token = token[1:]
        if token[2:] in _SMALL and token[:2] in _EFFECTS:  # "关系不大", kept whole by the segmenter, is "关系|不大"
            out.extend(("不", token[:2]))
            continue
        if token in _SMALL:
            at = len(out) - 1
            while at > 0 and out[at] in _SMALL_ADVERBS:
                at -= 1
            if at >= 0 and out[at] in _EFFECTS:
                out.insert(at, "不")  # "影响不大" is "不影响", said softly, as "不太影响" is
                continue
        out.append(token)
    return _past_when(out)


# A verb that lessens a quality denies it: "降低对初始化的依赖" = "不依赖初始化" (the quality the
# verb's object ends in, a few words on).
_LESSENING = frozenset({"降低", "减轻", "缓解", "减弱", "削弱", "减少", "减小", "弱化", "淡化"})
_QUALITIES = {"敏感": "敏感", "敏感性": "敏感", "敏感度": "敏感", "依赖": "依赖", "依赖性": "依赖", "依赖度": "依赖"}
_LESSENED_SPAN = 8
_LAYERS = re.compile(r"[一二两三四五六七八九十几多0-9]*层")
_MORE_OR_LESS = frozenset("更 越 很 太 非常 比较 过于 更加 越来越".split())  # a degree starts a predicate of its own
# Not 舍弃/抛弃/淘汰: what dropout does to a neuron, NMS to a box ("被舍弃（输出置0）").
_ABANDONS = frozenset({"放弃", "摒弃", "弃用", "废弃"})


def _lessened_quality(tokens: Sequence[str], at: int) -> int:
    """Where the quality the lessening verb at `at` governs stands, or -1: its object says it
    directly ("降低敏感性") or through 对 ("降低(模型)对位置的敏感性"), with no degree word between
    ("降低鲁棒性，对异常值更敏感" says 更敏感)."""
    start = at + 1 + (tokens[at + 1 : at + 2] == ["了"])
    for j in range(start, min(len(tokens), start + _LESSENED_SPAN)):
        if tokens[j] in _QUALITIES:
            return j if j == start or "对" in tokens[start : start + 2] else -1
        if tokens[j] in _MORE_OR_LESS:
            return -1
    return -1


# "不同在于Xavier只是初始化", "不一样的是……", "不同之处", "不同点" (read 不|相同…) name the difference,
# as "区别在于" does: they deny no sameness.
_DIFFERENCE = "区别"


def _differs_in(after: Sequence[str]) -> bool:
    """Do the tokens after a 不 make "不同在于", "不同的是" or "不同之处"/"不同点" (the noun)?"""
    if not after:
        return False
    if after[0] in ("相同之处", "相同点"):
        return True
    return after[0] == "相同" and (after[1:2] == ["在于"] or list(after[1:3]) in (["的", "是"], ["的", "在于"]))


# "不会在前向时自动算" denies the computing, not the forward pass: a negation before a phrase of
# time (在……时, 在……中) is read after it, as "在前向时不会自动算".
_WHEN_NEGATIONS = frozenset({"不", "不会", "没", "没有", "不是", "不能", "不要", "不用", "无法", "并不"})
_WHEN_CLOSERS = frozenset({"时", "时候", "的时候", "期间", "阶段", "中", "过程中", "里"})
_WHEN_SPAN = 6  # tokens a phrase of time may take
# Phases the glossary reads without their 时 ("训练时" is 训练): "不会在训练时丢弃" is "在训练时不会丢弃".
_PHASES = frozenset({"训练", "测试", "推理", "预测", "验证", "前向", "反向", "前向传播", "反向传播"})


def _past_when(tokens: list[str]) -> list[str]:
    out = list(tokens)
    for i in range(len(out) - 2):
        if out[i] in _WHEN_NEGATIONS and out[i + 1] in ("在", "于"):
            end = next((j for j in range(i + 2, min(len(out), i + 2 + _WHEN_SPAN)) if out[j] in _WHEN_CLOSERS), None)
            if end is None and out[i + 2] in _PHASES:
                end = i + 2
            if end is not None and end + 1 < len(out):
                out[i : end + 1] = [*out[i + 1 : end + 1], out[i]]
    return out


# 可 + one of these is an adjective (可导, 可逆, 可行), which the segmenter keeps whole unless 不 comes first.
_ABLE = frozenset("导 逆 微 分 靠 信 行 控 解 见 知".split())


# An effect said to be small is denied: "影响不大", "作用不大", "差别不大", "提升不明显" (each effect
# two characters: "关系不大" is cut as 关系 + 不大).
_EFFECTS = frozenset({"影响", "作用", "差别", "区别", "差异", "变化", "帮助", "提升", "效果", "意义", "用处", "关系", "关联", "联系"})
_SMALL = frozenset({"不大", "不多", "不明显", "有限", "很小", "较小", "甚微"})
_PREPOSITIONS = frozenset("对在于用把从向给将")
_ENDS_IN_THEN = frozenset({"然而", "因而", "从而", "进而", "反而", "继而"})  # words of their own
_GLUED_NOT_KEPT = frozenset({"要不", "并不", "若不", "倘不", "毫不", "绝不", "决不", "永不"})  # words ending in 不 ("otherwise", "never")
_HARD_TO = {"不好": "不", "难": "很难"}
_DEGREE_PREFIXES = frozenset("太过偏更较很变越")  # 太小, 过大, 变小 … say a side of 大/小, which the segmenter may keep whole
_SMALL_ADVERBS = frozenset({"本来", "就", "其实", "也", "都", "还", "比较", "很", "非常", "相对", "一般", "实际上"})
# Degree words after a negation: "不太适用" is "不适用", said softly.
_DEGREES = ("怎么", "那么", "太", "很")
_DEGREE_WORDS = frozenset({*_DEGREES, "太多", "太多地", "过多", "过多地", "特别", "多少"})
_MORE = frozenset({"多", "多地"})


def _unhedged(tokens: list[str]) -> list[str]:
    """The tokens with a negation's degree word dropped, whether jieba glued them ("不太会" -> "不会",
    "不太" -> "不") or split them ("不" | "太行" -> "不行": a no said softly, not the mountains)."""
    out: list[str] = []
    hedged = False  # the last token was a degree word dropped after a negation
    for i, token in enumerate(tokens):
        if out and out[-1][:1] in "不没" and token in _DEGREE_WORDS and i + 1 < len(tokens):
            hedged = True
            continue  # "并不会太多地影响权重": "不会影响", said softly (a last "不会太多" stays a claim on 太多)
        if hedged and token in _MORE and i + 1 < len(tokens):
            hedged = False
            continue  # ... and cut as 太|多: "不会太多影响前一层的权重"
        hedged = False
        if out and out[-1] == "不" and token.startswith(_DEGREES):
            token = out.pop() + token
        degree = next((d for d in _DEGREES if token.startswith(d, 1)), None) if token[:1] == "不" else None
        out.append(token[0] + token[1 + len(degree) :] if degree else token)
    return out


def _denied_before(topic: list[str] | None, previous: str | None) -> list[str]:
    if topic is not None:
        return list(topic)
    return [previous] if previous else []


def flips(point: Polarity, clause: Polarity, glossary: Glossary) -> int:
    """How many ways `clause` turns `point` around (negation of a shared word, antonym swaps)."""
    count = 0
    shared = (point.words & clause.words) - point.mixed - clause.mixed
    # "可以不用" and "可以用" are both possible: with "can" said plainly on both sides, a negation
    # after it turns nothing around.
    possible = MODAL in shared and MODAL not in point.negated | clause.negated
    # ... nor is "用了BN就一般不加dropout" (a habit) against "用了BN仍可以加dropout" (a possibility).
    possible = possible or _can_and_usually(point, clause) or _can_and_usually(clause, point)
    # A number or a one-letter symbol is rarely what a negation denies ("不是以0为中心" vs "输出在0到1").
    differs = {w for w in shared if (w in point.negated) != (w in clause.negated) and not _SYMBOL.match(w)}
    possible = possible or _independent(point, clause) or _independent(clause, point)
    if not possible and differs and not _denied_elsewhere(point, clause, differs, glossary) and not _denied_elsewhere(clause, point, differs, glossary):
        count += 1
    # "空元组比空列表大" swaps the sides of "空列表比空元组大".
    if (point.before_than - clause.before_than) & clause.after_than and (
        clause.before_than - point.before_than
    ) & point.after_than:
        count += 1
    return count + antonym_swaps(point, clause, glossary)


# Independence said two ways: a dismissal denies every word it names (「LN跟batch size无关」), a
# denied dependence only the verb (「LN不受batch size影响」, 「LN不依赖batch size」). They agree.
_DEPENDS = frozenset({"依赖", "受", "影响", "取决于", "决定", "相关", "有关", "关系", "depend", "affect"})


def _independent(a: Polarity, b: Polarity) -> bool:
    """Is `a` a dismissal and `b` a denied dependence (the same claim, read two ways)?"""
    denied = b.negated - {MODAL}
    return bool(a.words) and a.negated == a.words and bool(denied) and denied <= _DEPENDS


def _can_and_usually(a: Polarity, b: Polarity) -> bool:
    """Does `a` say what can be, and `b`, without a "can", what is usually done?"""
    return MODAL in a.words - a.negated and MODAL not in b.words and b.habitual


def _denied_elsewhere(a: Polarity, b: Polarity, differs: set[str], glossary: Glossary) -> bool:
    """Does `b` deny, one for one, through words `a` does not have, what `a` denies of the shared
    words `differs` ("……而不是权重本身" and "不怎么影响权重": a negation on the verb, not on its
    object)? Not when a word `b` denies is a term of the field, a thing set against another ("对batch
    归一化而不是对特征" denies 特征, not 批次)."""
    moved = b.negated - a.words - {MODAL}
    return (
        differs <= a.negated and len(moved) == len(differs) and not b.negated & a.words
        and not any(glossary.is_term(w) for w in moved)
    )


def antonym_swaps(point: Polarity, clause: Polarity, glossary: Glossary) -> int:
    """How many words of `point` the clause says the other side of instead (训练 -> 测试). A word of
    degree the segmenter keeps whole in the point (很多, 太小) says its side (多, 小): "超参数很多"
    is swapped by "超参数也少" (in a clause, "batch太小" may say the batch's size or the noise's)."""
    said = _sides(clause.words)
    others = {a: _other_sides(a, glossary.opposites) for a in point.words}

    # A point that says both sides of a pair relates them ("batch越小梯度噪音越大"), and so does a
    # clause that says both ("batch太大噪声太小"): words alone cannot tell the direction of either,
    # so neither side is swapped. A clause with one side is read as before ("小batch的梯度噪声小"
    # swaps 越大).
    def relates(a: str) -> bool:
        related = others[a] & point.words
        same_side = {a}.union(*(others[o] for o in related))
        return bool(related) and bool(others[a] & said) and bool(same_side & said)

    # the point says a, the clause says b: not when b is negated where a is not ("不收敛" says "发散")
    return sum(
        b in clause.words and b not in point.words and (b in clause.negated) == (a in point.negated)
        for a in point.words - clause.words
        if not relates(a)
        for b in others[a]
    )


def _side(word: str) -> str | None:
    """The side a word of degree says (太小 -> 小, 很多 -> 多); None for any other word."""
    return word[1:] if len(word) == 2 and word[0] in _DEGREE_PREFIXES else None


def _sides(words: frozenset[str] | set[str]) -> set[str]:
    """The words, and the side of each word of degree (`_side`)."""
    return set(words) | {side for w in words if (side := _side(w))}


def _other_sides(word: str, opposites: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The other sides of the word and of its side (很多 -> 多 -> 少)."""
    found = opposites.get(word, frozenset())
    side = _side(word)
    return found | opposites.get(side, frozenset()) if side else found

