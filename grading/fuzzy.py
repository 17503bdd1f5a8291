"""Fuzzy, alias-aware keyword matching in a reply: typos count, words inside longer words do not.

A reply is indexed once (`ReplyIndex`); each keyword is then looked up in it. Matching works on
word tokens, never on raw substrings, so "bn" does not match inside "bnn" and "训练" does not match
inside "训练集" unless the segmenter split it there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process

__all__ = ["ReplyIndex", "keyword_score", "LATIN_MIN_RATIO", "CJK_MIN_RATIO"]

LATIN_MIN_RATIO = 85.0  # "dorpout" ~ "dropout" (85.7); "batch" !~ "match" (80)
CJK_MIN_RATIO = 75.0  # for Chinese words of 4+ characters: one wrong character in four
_CJK = re.compile(r"[\u4e00-\u9fff]")
_MAX_SPAN = 3  # a keyword may be split by the segmenter into up to three tokens


@lru_cache(maxsize=8192)
def _pinyin(word: str) -> str:
    return " ".join(lazy_pinyin(word))


@dataclass
class ReplyIndex:
    """A reply's tokens, prepared for fast keyword look-ups."""

    tokens: list[str]
    exact: set[str] = field(init=False)
    spans: set[str] = field(init=False)
    latin: list[str] = field(init=False)
    cjk: list[str] = field(init=False)
    pinyin: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.exact = set(self.tokens)
        joined = set()
        for size in range(2, _MAX_SPAN + 1):
            for i in range(len(self.tokens) - size + 1):
                window = self.tokens[i : i + size]
                if all(_CJK.search(t) for t in window):
                    joined.add("".join(window))
        self.spans = joined
        self.latin = sorted(t for t in self.exact if not _CJK.search(t) and len(t) >= 3)
        self.cjk = sorted(t for t in self.exact | self.spans if _CJK.search(t))
        self.pinyin = {}
        for word in self.cjk:
            self.pinyin.setdefault(_pinyin(word), word)


def keyword_score(keyword: str, reply: ReplyIndex) -> float:
    """1.0 for an exact (or alias-normalised) hit, a bit less for a typo, 0.0 for none."""
    if keyword in reply.exact or keyword in reply.spans:
        return 1.0
    if _CJK.search(keyword):
        if len(keyword) >= 2 and _pinyin(keyword) in reply.pinyin:
            return 0.9  # a homophone typo from a pinyin keyboard: 归一话 for 归一化
        if len(keyword) >= 4 and reply.cjk:
            candidates = [w for w in reply.cjk if abs(len(w) - len(keyword)) <= 1]
            best = process.extractOne(keyword, candidates, scorer=fuzz.ratio, score_cutoff=CJK_MIN_RATIO)
            if best:
                return 0.8
        return 0.0
    if len(keyword) >= 4 and reply.latin:
        candidates = [w for w in reply.latin if abs(len(w) - len(keyword)) <= 2]
        best = process.extractOne(keyword, candidates, scorer=fuzz.ratio, score_cutoff=LATIN_MIN_RATIO)
        if best:
            return 0.9
    return 0.0
