"""Text handling for grading: normalisation, language, clauses, and word tokens (jieba + English).

Everything here is a pure function of its input (jieba's dictionary is loaded once, lazily).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

__all__ = [
    "polarity_tokens",
    "normalize",
    "is_chinese",
    "language_of",
    "split_clauses",
    "reply_clauses",
    "tokens",
    "content_words",
    "clause_tokens",
    "ends_sentence",
    "STOP_WORDS",
]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_SPACES = re.compile(r"\s+")
# 1*1, 1x1, 1×1, 1 X 1 are the same kernel size
_KERNEL = re.compile(r"(\d)\s*[*x×X✕]\s*(\d)")
# A transpose as formulas write it ("QK^T", "W^{T}x", "A^⊤"): the word, which the glossary knows
# (转置), rather than a stray "t" that no wording of a point says.
_TRANSPOSE = re.compile(r"\^\s*(?:\{\s*[t⊤]\s*\}|⊤|t(?![a-z0-9]))")
# 1比1, 一比九 and 1:1 are the same ratio
_NUMERALS = "〇一二三四五六七八九十"
_RATIO = re.compile(rf"(?<![\d.{_NUMERALS}])([\d{_NUMERALS}]+)\s*比\s*([\d{_NUMERALS}]+)(?![\d.{_NUMERALS}])")  # not 0.1比0.01
# Not after an abbreviation's dot ("the gradient w.r.t. a matrix", "e.g. BN").
_ABBREVIATION = "".join(rf"(?<!(?i:{a}))" for a in (r"w\.r\.t\.", r"\be\.g\.", r"\bi\.e\.", r"\betc\.", r"\bvs\.", r"\bcf\."))
_SENTENCE_END = re.compile(rf"(?<=[。！？；!?;\n])|(?<=[.:]){_ABBREVIATION}\s+(?=[A-Za-z0-9\u4e00-\u9fff])")
# Not 、: it joins the items of one claim (输入层、隐藏层都要算); nor a comma or colon between digits
# (a ratio 1:1, a number 10,000).
_CLAUSE_END = re.compile(r"(?<=[,:，：])(?![0-9])|(?<=(?<![0-9])[,:，：])")

# Function words of both languages: they carry no content for coverage.
STOP_WORDS = frozenset(
    """
    的 了 和 与 及 或 是 在 就 都 而 也 很 会 能 可 把 被 让 使 对 于 从 到 由 为 以 之 其 这 那 这个 那个 这样 那样 这事 那种
    可以 能够 需要 应该 要 想 可能 时 一个 一种 一些 有些 什么 怎么 如何 为什么 因为 是因为 之间 才 由于 是由于 所以 但是 但 然后 如果 那么 因此 并且 而且 还 又 再 更 最 比 不如 不过 不管 无论 不仅 非常
    我 你 他 她 它 我们 你们 他们 它们 自己 吗 呢 吧 啊 呀 嘛 哦 嗯 着 过 个 些 每 各 该 此 即 则 啥 就是 还是 也是 可以说
    a an the of to in on for and or is are was were be been being it its this that these those with as by at from into
    than then so such can could will would should may might must do does did if but which who whom what when where why
    how there their they them he she we you i me my our your his her also any all each other some more most very just
    only own same both too about via per 这类 那类 此类 该类 各类 这种
    """.split()
)
_KEEP_WHOLE = ("这类", "那类", "此类", "该类", "各类")
_WHOLE_WORDS = ("解耦",)  # everyday words the dictionary lacks: "和batch size解耦" is not 解|耦

_stemmers = threading.local()  # `_stem`: snowball stemmers are not thread-safe
_jieba_lock = threading.Lock()
_jieba_ready = False
_TERM_FREQ = 20000  # high enough that a registered term is never split


# English negations written short ("isn't", "don’t", typed "doesnt"): the word splitter would cut
# them into "isn" + "t" and the negation would go unread.
_SHORT_NOT = re.compile(
    r"\b(ca|wo|sha)n['’]t\b|n['’]t\b"
    r"|\b(do|does|did|is|are|was|were|has|have|had|could|should|would|must|need)nt\b|\b(ca|wo)nt\b"
)
_LONG_NOT = {"ca": "cannot", "wo": "will not", "sha": "shall not"}


def _long_not(match: re.Match[str]) -> str:
    head = match.group(1) or match.group(3)
    if head:
        return _LONG_NOT[head]
    return f"{match.group(2)} not" if match.group(2) else " not"


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, one spelling for kernel sizes and transposes, English
    negations spelt out, single spaces.

    >>> normalize("ＢＮ与 1*1 卷积"), normalize("It isn't, and lists can’t"), normalize("1比9还是一比一")
    ('bn与 1x1 卷积', 'it is not, and lists cannot', '1:9还是1:1')
    >>> normalize("QK^T除以根号d"), normalize("W^{T}x")
    ('qk transpose 除以根号d', 'w transpose x')
    """
    return _normalized(text)


@lru_cache(maxsize=4096)
def _normalized(text: str) -> str:
    """`normalize`, memoised: a reply's clauses are normalised again by each reading of them."""
    text = unicodedata.normalize("NFKC", text).lower()
    # (each pattern needs a character most texts lack: the search is skipped without it)
    if "x" in text or "*" in text or "×" in text or "✕" in text:
        text = _KERNEL.sub(r"\1x\2", text)
    if "^" in text:
        text = _TRANSPOSE.sub(" transpose ", text)
    if "比" in text:
        text = _RATIO.sub(_ratio, text)
    if "nt" in text or "n'" in text or "n’" in text:
        text = _SHORT_NOT.sub(_long_not, text)
    return _SPACES.sub(" ", text).strip()


def _ratio(found: re.Match[str]) -> str:
    """A ratio written with 比 ("1比9", "一比一") as "1:9", "1:1"; a Chinese numeral of one character
    only (十比一 is 10:1, 二十比一 stays)."""
    sides = [side if side.isdigit() and side.isascii() else _numeral(side) for side in found.groups()]
    return found[0] if None in sides else f"{sides[0]}:{sides[1]}"


def _numeral(word: str) -> str | None:
    return str(_NUMERALS.index(word)) if len(word) == 1 else None


def is_chinese(text: str) -> bool:
    """True when Chinese characters make up a real part of the text (not one stray character)."""
    cjk = len(_CJK.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text.lower()))
    return cjk >= 2 and cjk * 3 >= latin  # one Chinese character weighs about three Latin letters


def language_of(text: str) -> str:
    """'zh' or 'en'."""
    return "zh" if is_chinese(text) else "en"


def split_clauses(text: str, *, fine: bool = False) -> list[str]:
    """Sentences of a text; with `fine`, also cut at commas and colons (clauses).

    >>> split_clauses("训练时丢弃。测试时不丢弃，输出乘以p")
    ['训练时丢弃。', '测试时不丢弃，输出乘以p']
    >>> split_clauses("训练时丢弃。测试时不丢弃，输出乘以p", fine=True)
    ['训练时丢弃。', '测试时不丢弃，', '输出乘以p']
    """
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
    if fine:
        # a comma between brackets ("在[-r, r]上均匀采样", "N(μ, σ²)") cuts no clause
        kept = [_BRACKETED.sub(lambda m: m.group(0).translate(_HIDE_COMMAS), p) for p in parts]
        parts = [c.strip().translate(_SHOW_COMMAS) for p in kept for c in _CLAUSE_END.split(p) if c.strip()]
    return [p for p in parts if _CJK.search(p) or _LATIN_WORD.search(p.lower())]


# Brackets and quotes: a comma inside them cuts no clause ("“能算一阶导，二阶导也差不多”并不对").
_BRACKETED = re.compile(r"[\[(（][^\[\]()（）。；;]{0,40}[\])）]|[“「『][^“”「」『』。；;]{0,40}[”」』]|\"[^\"。；;]{0,40}\"")
_HIDE_COMMAS = str.maketrans({",": "\ue000", "，": "\ue001"})
_SHOW_COMMAS = str.maketrans({"\ue000": ",", "\ue001": "，"})


# Connectives that start a new claim: "……，但是测试时不丢弃", "…… so the variance stays 1".
# A reason that is denied stays with its denial: "数值不会因为样本多就变得很大" denies 变得很大.
_CONNECTIVE = re.compile(
    r"(?=(?:但是|但|不过|然而|所以|因此|因而|同时|另外|此外|而且|并且|然后|否则|反之|相反))"
    r"|(?<!不)(?<!不会)(?<!不是)(?<!不能)(?<!不要)(?<!没有)(?<!并非)(?<!是)(?=(?:因为|由于))"
    # "X是因为Y" is cut before 是, not inside 是因为 ("震荡大是 | 因为……" left "大是" a word)
    r"|(?<!不)(?<!并非)(?<!就)(?=(?:就)?是(?:因为|由于))"
    r"|(?<=\s)(?=(?:but|so|because|since|whereas|while|however|therefore|otherwise|and then)\b)",
    re.IGNORECASE,
)
_MIN_PIECE = 4  # characters: a connective never leaves a fragment shorter than this
# Two sides in one clause, the second denying the first's predicate: "list能改tuple不能改",
# "训练时丢弃测试时不丢弃", "训练时不缩放测试时缩放".
_TWO_SIDES = (
    re.compile(r"^(?P<a>.+?[A-Za-z\u4e00-\u9fff](?P<p>[A-Za-z\u4e00-\u9fff]{2,6}))(?P<b>[^不没，,]{2,12}?(?:不|没有|没)(?P=p))$"),
    re.compile(r"^(?P<a>.+?(?:不|没有|没)(?P<p>[A-Za-z\u4e00-\u9fff]{2,6}))(?P<b>[^不没，,]{2,12}?(?P=p))$"),
)


def _sides(clause: str) -> list[str]:
    """A clause cut between two sides that say the same predicate the other way round."""
    bare = clause.rstrip("，,。；;.!！?？ ")
    for pattern in _TWO_SIDES:
        found = pattern.match(bare)
        if found:
            return [found["a"], clause[found.end("a") :]]
    return [clause]


def reply_clauses(text: str, *, limit: int = 40) -> list[str]:
    """The claims of a reply: clauses cut at punctuation, then before connectives (但是, 所以,
    because …) and between two sides that say a predicate the other way round; at most `limit`
    (a longer reply keeps its first ones).

    >>> reply_clauses("训练时随机丢弃神经元，但是测试时不丢弃")
    ['训练时随机丢弃神经元，', '但是测试时不丢弃']
    >>> reply_clauses("list能改tuple不能改")
    ['list能改', 'tuple不能改']
    """
    out: list[str] = []
    for clause in split_clauses(text, fine=True):
        pieces = [p for p in _CONNECTIVE.split(clause) if p]
        merged: list[str] = []
        for piece in pieces:
            if merged and (len(piece.strip()) < _MIN_PIECE or len(merged[-1].strip()) < _MIN_PIECE):
                merged[-1] += piece
            else:
                merged.append(piece)
        out.extend(side.strip() for p in merged if p.strip() for side in _sides(p.strip()))
        if len(out) >= limit:
            break
    return out[:limit]


def _segmenter():  # noqa: ANN202 - rjieba and jieba share this much of an interface
    """jieba's dictionary and algorithm: through jieba-rs (rjieba, ~20x faster) when installed,
    else the pure-Python jieba. Both get the same user dictionary of ML terms."""
    global _jieba_ready
    with _jieba_lock:
        try:
            import rjieba

            module = rjieba
        except ImportError:
            import jieba

            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
            module = jieba
        if not _jieba_ready:
            for word in (*_KEEP_WHOLE, *_WHOLE_WORDS):  # "这类" is one function word, not 这 + 类 (a class)
                _add_word(module, word)
        _jieba_ready = True
        return module


def _add_word(segmenter, word: str) -> None:  # noqa: ANN001 - rjieba or jieba
    if segmenter.__name__ == "rjieba":
        segmenter.add_word(word, _TERM_FREQ, None)
    else:
        segmenter.add_word(word, freq=_TERM_FREQ)


def _add_words(words: Iterable[str]) -> None:
    segmenter = _segmenter()
    for word in words:
        # Latin runs are whole tokens already; adding "bn" would split "bnn" into bn|n.
        if _CJK.search(word) and " " not in word:
            _add_word(segmenter, word)


def clear_text_caches() -> None:
    """Forget memoised segmentations and normalisations (benchmarks use it so that every reply is new)."""
    _cut.cache_clear()
    _normalized.cache_clear()


def register_terms(words: Iterable[str]) -> None:
    """Teach the segmenter technical terms so they stay whole ("批归一化", "残差连接")."""
    _add_words(words)
    _cut.cache_clear()


@lru_cache(maxsize=4096)
def _cut(text: str) -> tuple[str, ...]:
    segmenter = _segmenter()
    return tuple(segmenter.cut(text) if segmenter.__name__ == "rjieba" else segmenter.lcut(text))


@lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    if not (word.isascii() and word.isalpha() and len(word) > 3):
        return word
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:  # a snowball stemmer keeps its state in itself: one per thread
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def _words(piece: str) -> list[str]:
    piece = piece.strip()
    if not piece:
        return []
    if _CJK.search(piece):
        return [piece]
    return [_stem(w) for w in _LATIN_WORD.findall(piece)]


def tokens(text: str) -> list[str]:
    """Word tokens of normalised text: jieba for Chinese, whole words for Latin terms (stemmed).

    >>> tokens("Dropout随机丢弃神经元")
    ['dropout', '随机', '丢弃', '神经元']
    """
    text = normalize(text)
    return [word for part in _THAN.split(text) for piece in _cut(part) for word in _words(piece)]


# 比 as "than": not inside 比较, 比如, 对比, 相比, 比例, 正比 …
_THAN = re.compile(r"(?<![对相无好类占正反])比(?![较如例率值特赛方重])")


def polarity_tokens(text: str) -> list[str]:
    """`tokens`, with a comparison's 比 ("than") kept as a token of its own between its two sides
    (jieba would glue it to the next word: 比空|列表).

    >>> polarity_tokens("空元组比空列表大"), polarity_tokens("比较大小")
    (['空', '元组', '比', '空', '列表', '大'], ['比较', '大小'])
    """
    text = normalize(text)
    found = _THAN.search(text)
    if found is None:
        return tokens(text)
    return [*tokens(text[: found.start()]), "比", *tokens(text[found.end() :])]


_ENDS_SENTENCE = re.compile(r"[。！？；!?;\n]\s*$")


def ends_sentence(clause: str) -> bool:
    """Does a clause (as `reply_clauses` cuts it, its punctuation kept) end its sentence?

    >>> ends_sentence("训练时随机丢弃。"), ends_sentence("训练时随机丢弃，")
    (True, False)
    """
    return bool(_ENDS_SENTENCE.search(clause))


_CLAUSE_MARK = re.compile(r"[。！？；!?;\n，,：:]|\.\s")


def clause_tokens(text: str) -> list[list[str]]:
    """Tokens of each clause (cut at sentence and clause punctuation), from one pass of the segmenter.

    >>> clause_tokens("列表可以修改，元组不可以修改")
    [['列表', '可以', '修改'], ['元组', '不', '可以', '修改']]
    """
    clauses: list[list[str]] = [[]]
    for piece in _cut(normalize(text)):
        if _CLAUSE_MARK.search(piece):
            if clauses[-1]:
                clauses.append([])
            continue
        clauses[-1].extend(_words(piece))
    return [clause for clause in clauses if clause]


def content_words(text: str) -> list[str]:
    """Tokens without function words (kept: Chinese words, terms, numbers, symbols such as p or k)."""
    return [t for t in tokens(text) if t not in STOP_WORDS]
