"""Keywords of a key point and how much each weighs (IDF over a corpus of reference answers)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .glossary import Glossary
from .text import STOP_WORDS, content_words, normalize

__all__ = ["Idf", "extract_keywords", "MAX_KEYWORDS"]

MAX_KEYWORDS = 6
_EVERYDAY_IDF = 5.2  # jieba IDF below which a Chinese word is too common to be a keyword
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOT_KEYWORDS = frozenset(
    "时 中 上 下 里 后 前 个 点 种 些 者 性 化 做 用 有 是 让 要 能 会 来 去 说 看 讲 值 法 "
    "做法 额外 目的 方法 作用 问题 情况 方式 时候 过程 结果 原因 部分 一般 主要 通常 现在 之前 任何 本身 相当于 "
    "比如 例如 这种 那种 其实 就是 一定 可能 需要 导致 使得 进行 实现 具有 对于 关于 以及 还有 而是 不是 "
    "常见 最常见 常用 一种 另一种 第一 第二 第三 首先 其次 最后 再 也".split()
)


@dataclass(frozen=True)
class Idf:
    """Inverse document frequencies of words over a corpus (e.g. the bank's reference answers)."""

    weights: dict[str, float]
    default: float

    @classmethod
    def from_texts(cls, texts: Iterable[str], glossary: Glossary) -> Idf:
        documents = [set(content_words(glossary.canonical(t))) for t in texts]
        count = Counter(word for doc in documents for word in doc)
        n = len(documents)
        weights = {word: math.log((n + 1) / (df + 1)) + 1.0 for word, df in count.items()}
        return cls(weights, math.log(n + 1) + 1.0)

    def __call__(self, word: str) -> float:
        return self.weights.get(word, self.default) * _generality(word)


def _general_idf() -> tuple[dict[str, float], float]:
    """jieba's IDF table of general Chinese text: common words (保证, 完成) there say little here."""
    import jieba.analyse

    table = jieba.analyse.default_tfidf
    return table.idf_freq, table.median_idf


@lru_cache(maxsize=65536)
def _generality(word: str) -> float:
    """Down-weight everyday Chinese words, up-weight words the general corpus does not know (terms)."""
    if not _CJK.search(word):
        return 1.0
    freq, median = _general_idf()
    general = freq.get(word)
    if general is None:
        return 1.2
    return min(1.4, max(0.4, general / (median * 0.75)))


def is_everyday_word(word: str) -> bool:
    """A Chinese word so common in general text that it cannot show knowledge (增加, 数据, 完成)."""
    if not _CJK.search(word):
        return False
    freq, _ = _general_idf()
    return freq.get(word, 99.0) < _EVERYDAY_IDF


def extract_keywords(
    point: str,
    glossary: Glossary,
    idf: Idf,
    *,
    demote: Sequence[str] = (),
    limit: int = MAX_KEYWORDS,
) -> tuple[str, ...]:
    """The words a reply must use to state `point`: glossary terms first, then content words ranked
    by TF-IDF (IDF over the bank's answers times jieba's general-text IDF).

    Function words, everyday words (增加, 数据) and the question's own words (`demote`) are left out:
    repeating the question proves nothing.
    """
    canonical = glossary.canonical(point)
    demoted = set(demote)
    terms = [t for t in glossary.terms_in(point) if t not in demoted]
    words = []
    for word in dict.fromkeys(content_words(canonical)):
        if word in demoted or word in _NOT_KEYWORDS or word in STOP_WORDS or word in terms:
            continue
        if (len(word) == 1 and word.isdigit()) or (is_everyday_word(word) and not glossary.is_term(word)):
            continue
        if word in glossary.negation_words:  # polarity is checked separately, not as a keyword
            continue
        words.append(word)
    words.sort(key=lambda w: -idf(w))
    chosen = list(dict.fromkeys(terms + words))[:limit]
    return tuple(normalize(w) for w in chosen)
