"""The shared topic taxonomy and the rules that put a question under a topic."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .yamlio import YamlError, load_yaml

__all__ = ["Topic", "Taxonomy", "load_taxonomy", "visible_words", "DEFAULT_TAXONOMY_PATH"]

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("topics.yaml")

_CHAPTER_NUMBER = re.compile(r"^\s*\d+\s*[.、]?\s*")
# What a reader does not see as words: images (a path such as ../images/cnn.png), link targets,
# bare URLs, HTML tags and pandoc attributes. A link keeps its text.
_HIDDEN = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), " "),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r" \1 "),
    (re.compile(r"<https?://[^>]*>|https?://\S+|www\.\S+"), " "),
    (re.compile(r"<[^>]+>"), " "),
    (re.compile(r"\{[#.][^{}]*\}"), " "),
)
_BOOK_TITLE = re.compile(r"^《[^》]+》$")  # a section named after a book says where, not what


def visible_words(text: str) -> str:
    """The words of a Markdown text as a reader sees them: no image paths, URLs or tags."""
    for pattern, replacement in _HIDDEN:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Topic:
    id: str
    zh: str
    en: str
    keywords: tuple[str, ...]

    def name(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    escaped = re.escape(keyword.lower())
    if keyword.isascii():
        # Whole-word for Latin terms, plurals included ("transformers"); CJK characters count as
        # boundaries ("LM和MLM" has "LM").
        plural = "(?:s|es)?" if keyword[-1:].isalpha() else ""
        return re.compile(rf"(?<![a-z0-9]){escaped}{plural}(?![a-z0-9])")
    return re.compile(escaped)


def heading_key(heading: str) -> str:
    """A source heading without its chapter number: "28 批量归一化BN" -> "批量归一化BN"."""
    return _CHAPTER_NUMBER.sub("", heading).strip()


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    headings: dict[str, str]
    default: str
    masks: tuple[str, ...] = ()  # longer words that hold a keyword without meaning it (三元组 holds 元组)
    broad: tuple[str, ...] = ()  # keywords of a whole field: a heading named so yields to the question's words

    @cached_property
    def by_id(self) -> dict[str, Topic]:
        return {topic.id: topic for topic in self.topics}

    @cached_property
    def _patterns(self) -> list[tuple[Topic, list[re.Pattern[str]]]]:
        return [(topic, [_keyword_pattern(k) for k in topic.keywords]) for topic in self.topics]

    def resolve(self, name: str) -> Topic | None:
        """Find a topic by id or by its Chinese or English name, ignoring case, or by the start of
        its id or names when only one topic starts so ("cnn" is cnn-vision, "transformer" is
        transformer-nlp)."""
        wanted = name.strip().lower()
        if not wanted:
            return None
        for topic in self.topics:
            if wanted in (topic.id, topic.zh.lower(), topic.en.lower()):
                return topic
        starts = [t for t in self.topics if any(n.startswith(wanted) for n in (t.id, t.zh.lower(), t.en.lower()))]
        return starts[0] if len(starts) == 1 else None

    def match_words(self, text: str) -> str | None:
        """The topic whose keywords occur most often in `text`'s visible words (no URLs or image
        paths; a masked longer word such as 三元组 is not its keyword 元组); the earlier topic wins a tie."""
        folded = unicodedata.normalize("NFKC", visible_words(text)).lower()
        for mask in self.masks:
            folded = folded.replace(mask.lower(), " ")
        found = [
            (match.start(), match.end(), index, topic.id)
            for index, (topic, patterns) in enumerate(self._patterns)
            for pattern in patterns
            for match in [pattern.search(folded)]
            if match
        ]
        # A keyword inside a longer one that matched is not counted: 张量并行 is not 张量.
        kept = [m for m in found if not any(o[0] <= m[0] and m[1] <= o[1] and o[1] - o[0] > m[1] - m[0] for o in found)]
        hits: dict[str, int] = {}
        order: dict[str, int] = {}
        for _, _, index, topic_id in kept:
            hits[topic_id] = hits.get(topic_id, 0) + 1
            order[topic_id] = index
        if not hits:
            return None
        return max(hits, key=lambda topic_id: (hits[topic_id], -order[topic_id]))

    def classify(self, question: str, heading: str | None = None, answer: str = "") -> str:
        """Pick the topic: from the heading if it has one, else from the question, else the answer."""
        if heading:
            key = heading_key(heading)
            if key in self.headings:
                return self.headings[key]
            named = next((t for t in self.topics if key.lower() in (t.id, t.zh.lower(), t.en.lower())), None)
            if named is not None:
                return named.id  # a section or topic label that is the topic's own name
            topic = None if _BOOK_TITLE.match(key) else self.match_words(key)
            if topic and self._broad(key):
                topic = self.match_words(question) or topic  # the question's own words say more
            if topic:
                return topic
        return self.match_words(question) or self.match_words(answer) or self.default

    def _broad(self, heading: str) -> bool:
        """Whether the heading names a whole field ("Deep Learning", "机器学习基础"), nothing narrower."""
        folded = unicodedata.normalize("NFKC", heading).lower()
        for word in self.broad:
            folded = folded.replace(word.lower(), " ")
        return folded != unicodedata.normalize("NFKC", heading).lower() and self.match_words(folded) is None


def load_taxonomy(path: Path = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
    """Read and check the taxonomy file; raise `YamlError` naming the file and line on problems."""
    data = load_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
        raise YamlError(path, getattr(data, "line", 1), "expected a mapping with a 'topics' list")
    topics: list[Topic] = []
    for raw in data["topics"]:
        line = getattr(raw, "line", None)
        if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) for k in ("id", "zh", "en")):
            raise YamlError(path, line, "each topic needs string 'id', 'zh' and 'en'")
        keywords = raw.get("keywords") or []
        if not isinstance(keywords, list) or not all(isinstance(k, (str, int)) for k in keywords):
            raise YamlError(path, line, f"topic {raw['id']}: 'keywords' must be a list of words")
        topics.append(Topic(raw["id"], raw["zh"], raw["en"], tuple(str(k) for k in keywords)))
    ids = {t.id for t in topics}
    if len(ids) != len(topics):
        raise YamlError(path, data["topics"].line, "topic ids must be unique")
    headings = data.get("headings") or {}
    for heading, topic_id in headings.items():
        if topic_id not in ids:
            line = headings.key_lines.get(heading) if hasattr(headings, "key_lines") else None
            raise YamlError(path, line, f"heading {heading!r} maps to unknown topic {topic_id!r}")
    default = data.get("default", topics[0].id if topics else "")
    if default not in ids:
        raise YamlError(path, data.key_lines.get("default"), f"default topic {default!r} is not defined")
    lists = {}
    for key in ("masks", "broad"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise YamlError(path, data.key_lines.get(key) if hasattr(data, "key_lines") else None, f"'{key}' must be a list of words")
        lists[key] = tuple(value)
    return Taxonomy(
        tuple(topics), {str(k): str(v) for k, v in headings.items()}, default, lists["masks"], lists["broad"]
    )
