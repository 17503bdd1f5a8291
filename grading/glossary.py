"""The glossary: aliases of ML terms (BN = BatchNorm = 批归一化 …), negation words and antonym pairs.

`Glossary.canonical(text)` rewrites every alias to its group's first entry, so that keyword
matching sees one spelling per concept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from questions.yamlio import YamlError, load_yaml

from .text import content_words, normalize, register_terms, tokens

__all__ = ["Glossary", "load_glossary", "DEFAULT_GLOSSARY_PATH"]

DEFAULT_GLOSSARY_PATH = Path(__file__).with_name("glossary.yaml")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEGATION_PREFIXES = ("不", "没", "无", "非")


def _trie_pattern(words: list[str]) -> str:
    """One regex for many literal words, as a character trie: re tries alternatives one by one,
    so "bn|batchnorm|batch norm|…" is slow, while "b(?:n|atch(?:norm| norm))" is fast. Longer
    words win over their prefixes ("批量归一化" before "归一化" at the same position)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = True

    def build(node: dict) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


@dataclass(frozen=True)
class Glossary:
    groups: tuple[tuple[str, ...], ...]
    negations: tuple[str, ...] = ()
    antonyms: tuple[tuple[str, str], ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()  # everyday words a claim says either way (之后/后面)
    _canonical_of: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for group in self.groups:
            for alias in group:
                self._canonical_of.setdefault(normalize(alias), normalize(group[0]))
        terms = {a for a in self._canonical_of} | set(self._canonical_of.values())
        # Terms that start with a negation (不可修改) stay split, so the negation is seen as one.
        register_terms(sorted((t for t in terms if not t.startswith(_NEGATION_PREFIXES)), key=len))

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self._canonical_of:
            return None
        cjk = [a for a in self._canonical_of if _CJK.search(a)]
        latin = [a for a in self._canonical_of if not _CJK.search(a)]
        parts = []
        if latin:  # whole words only: "bn" must not match inside "bnn", "min" inside "x_min"
            parts.append(rf"(?<![a-z0-9_]){_trie_pattern(latin)}(?![a-z0-9_])")
        if cjk:
            parts.append(_trie_pattern(cjk))
        return re.compile("|".join(parts))

    @cached_property
    def canonical_antonyms(self) -> tuple[tuple[str, str], ...]:
        """Antonym pairs in canonical spelling ("训练时/测试时" and "训练/测试" become one pair)."""
        pairs: dict[tuple[str, ...], tuple[str, str]] = {}
        for a, b in self.antonyms:
            ca, cb = _as_token(self.canonical(a)), _as_token(self.canonical(b))
            if ca != cb:
                pairs.setdefault(tuple(sorted((ca, cb))), (ca, cb))
        return tuple(pairs.values())

    @cached_property
    def opposites(self) -> dict[str, frozenset[str]]:
        """Each antonym-pair member to the words on the other side: {"训练": {"测试"}, …}."""
        table: dict[str, set[str]] = {}
        for a, b in self.canonical_antonyms:
            table.setdefault(a, set()).add(b)
            table.setdefault(b, set()).add(a)
        return {word: frozenset(others) for word, others in table.items()}

    @cached_property
    def negation_words(self) -> frozenset[str]:
        """The negations, an English one also as replies' tokens spell it ("nothing" -> "noth")."""
        return frozenset(self.negations) | frozenset(_as_token(n) for n in self.negations)

    def canonical(self, text: str) -> str:
        """Normalised text with every alias replaced by its canonical term.

        >>> g = Glossary(groups=(("bn", "batch normalization", "批归一化"),))
        >>> g.canonical("Batch Normalization 即 批归一化")
        'bn 即 bn'
        """
        text = normalize(text)
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._canonical_of[m.group()], text)

    def terms_in(self, text: str) -> list[str]:
        """Canonical glossary terms mentioned in `text`, in order of first mention."""
        if self._pattern is None:
            return []
        found = [self._canonical_of[m.group()] for m in self._pattern.finditer(normalize(text))]
        # A Chinese term counts as a word of the text, not as a piece of another: 键 is not in 关键
        # (terms that start with a negation are never whole words: they stay split).
        words = set(tokens(self.canonical(text)))
        kept = (t for t in found if not _CJK.search(t) or t in words or t.startswith(_NEGATION_PREFIXES))
        return list(dict.fromkeys(kept))

    @cached_property
    def term_words(self) -> frozenset[str]:
        """The content words of every alias of every group (a field's vocabulary, see `Grader`)."""
        return frozenset(w for group in self.groups for term in group for w in content_words(term))

    @cached_property
    def synonym_of(self) -> dict[str, str]:
        """Each everyday word of a `synonyms` group -> the group's first word, as claims read it
        ("卷积后面接BN" says what "卷积之后加BN" says); keywords do not use it."""
        return {normalize(w): normalize(group[0]) for group in self.synonyms for w in group[1:]}

    def is_term(self, word: str) -> bool:
        return normalize(word) in self._canonical_of


def _as_token(word: str) -> str:
    """A glossary word as replies' tokens spell it: an English word stemmed as `tokens` stems it
    ("increase" -> "increas", so "increases" and "increased" match too); anything else as it is."""
    if word.isascii() and len(stemmed := tokens(word)) == 1:
        return stemmed[0]
    return word


def load_glossary(path: Path = DEFAULT_GLOSSARY_PATH) -> Glossary:
    """Read the glossary file; raise `YamlError` naming the file and line on problems."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise YamlError(path, 1, "expected a mapping with 'aliases', 'negations', 'antonyms' and 'synonyms'")
    groups = data.get("aliases") or []
    for index, group in enumerate(groups):
        if not isinstance(group, list) or not group or not all(isinstance(a, (str, int)) for a in group):
            raise YamlError(path, groups.item_lines[index], "each alias group must be a non-empty list of terms")
    antonyms = data.get("antonyms") or []
    for index, pair in enumerate(antonyms):
        if not isinstance(pair, list) or len(pair) != 2:
            raise YamlError(path, antonyms.item_lines[index], "each antonym entry must be a pair [a, b]")
    synonyms = data.get("synonyms") or []
    for index, group in enumerate(synonyms):
        if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) for w in group):
            raise YamlError(path, synonyms.item_lines[index], "each synonym group must be a list of two or more words")
    negations = data.get("negations") or []
    return Glossary(
        groups=tuple(tuple(str(a) for a in group) for group in groups),
        negations=tuple(normalize(str(n)) for n in negations),
        antonyms=tuple((normalize(str(a)), normalize(str(b))) for a, b in antonyms),
        synonyms=tuple(tuple(group) for group in synonyms),
    )
