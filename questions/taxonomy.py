"""The shared topic taxonomy and the rules that put a question under a topic."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .yamlio import YamlError, load_yaml

__all__ = ["Topic", "Taxonomy", "load_taxonomy", "DEFAULT_TAXONOMY_PATH"]

DEFAULT_TAXONOMY_PATH = Path(__file__).with_name("topics.yaml")

_CHAPTER_NUMBER = re.compile(r"^\s*\d+\s*[.、]?\s*")


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
        """The topic whose keywords occur most often in `text`; the earlier topic wins a tie."""
        folded = unicodedata.normalize("NFKC", text).lower()
        best: tuple[int, str] | None = None
        for topic, patterns in self._patterns:
            hits = sum(1 for pattern in patterns if pattern.search(folded))
            if hits and (best is None or hits > best[0]):
                best = (hits, topic.id)
        return best[1] if best else None

    def classify(self, question: str, heading: str | None = None, answer: str = "") -> str:
        """Pick the topic: from the heading if it has one, else from the question, else the answer."""
        if heading:
            key = heading_key(heading)
            if key in self.headings:
                return self.headings[key]
            named = next((t for t in self.topics if key.lower() in (t.id, t.zh.lower(), t.en.lower())), None)
            if named is not None:
                return named.id  # a section or topic label that is the topic's own name
            topic = self.match_words(key)
            if topic:
                return topic
        return self.match_words(question) or self.match_words(answer) or self.default


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
    return Taxonomy(tuple(topics), {str(k): str(v) for k, v in headings.items()}, default)
