"""The grader: prepares a question's reference side once, then grades replies against it.

    grader = Grader(settings)
    result = grader.grade(Reference(question, answer, key_points), "我的回答……")
    result.score, result.verdict, result.missed

Reference-side embeddings are cached on disk; grading a reply encodes only the reply.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from questions.keypoints import extract_key_points

from .embeddings import Embedder, EmbeddingCache, make_embedder
from .features import (
    PreparedPoint,
    PreparedReference,
    ReplyAnalysis,
    analyse_reply,
    combine,
    demoted_text,
    reply_features,
)
from .contradiction import polarity
from .glossary import DEFAULT_GLOSSARY_PATH, Glossary, load_glossary
from .keywords import Idf, extract_keywords
from .result import GradeResult, NotGradable, PointResult, PointStatus, Verdict
from .settings import GradingSettings, LanguageParams
from .text import content_words, language_of, normalize, tokens

__all__ = ["Reference", "Grader"]

_PREPARED_KEEP = 512  # prepared questions kept in memory


@dataclass(frozen=True)
class Reference:
    """What a reply is graded against. Key points default to those extracted from the answer."""

    question: str
    answer: str = ""
    key_points: tuple[str, ...] = ()
    keywords: dict[int, tuple[str, ...]] = field(default_factory=dict)  # 1-based point -> keywords

    def points(self) -> tuple[str, ...]:
        if self.key_points:
            return tuple(p for p in self.key_points if p.strip())
        return tuple(extract_key_points(self.answer)) if self.answer.strip() else ()

    @property
    def language(self) -> str:
        return language_of(f"{self.question} {' '.join(self.key_points) or self.answer[:300]}")


class Grader:
    """Grades replies; holds the models (loaded lazily, per language) and the embedding cache."""

    def __init__(
        self,
        settings: GradingSettings | None = None,
        *,
        glossary: Glossary | None = None,
        idf: Idf | None = None,
        embedders: dict[str, Embedder] | None = None,
    ) -> None:
        self.settings = settings or GradingSettings()
        self.glossary = glossary or load_glossary(self.settings.glossary or DEFAULT_GLOSSARY_PATH)
        self.idf = idf or Idf.from_texts([], self.glossary)
        self._embedders: dict[str, Embedder] = dict(embedders or {})
        self._cache = EmbeddingCache(self.settings.cache)
        self._prepared: OrderedDict[tuple, PreparedReference] = OrderedDict()
        self._lock = threading.Lock()

    def params(self, language: str) -> LanguageParams:
        return self.settings.for_language(language)

    def embedder(self, language: str) -> Embedder:
        """The embedding model for a language, created on first use."""
        with self._lock:
            if language not in self._embedders:
                config_key = f"grading.{'zh' if language == 'zh' else 'en'}.model"
                self._embedders[language] = make_embedder(self.params(language).model, config_key=config_key)
            return self._embedders[language]

    def prepare(self, reference: Reference) -> PreparedReference:
        """Keywords, polarity and embeddings of the reference side (cached)."""
        points = reference.points()
        if not reference.answer.strip() and not reference.key_points:
            raise NotGradable("this question has no reference answer: practise it as an open question")
        if not points:
            raise NotGradable("the reference answer has no statements to grade against (only images, links or code)")
        language = reference.language
        key = (reference.question, points, tuple(sorted(reference.keywords.items())), language)
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]
        demote = frozenset(content_words(self.glossary.canonical(reference.question)))
        prepared_points = []
        for number, text in enumerate(points, start=1):
            override = reference.keywords.get(number)
            if override:
                keywords = tuple(dict.fromkeys(self._canonical_keyword(k) for k in override if k.strip()))
            else:
                keywords = extract_keywords(text, self.glossary, self.idf, demote=tuple(demote))
            point_polarity = polarity(tokens(self.glossary.canonical(text)), self.glossary.negation_words)
            prepared_points.append(
                PreparedPoint(
                    text=text,
                    keywords=keywords,
                    weights=tuple(self.idf(k) for k in keywords),
                    polarity=point_polarity,
                    word_weights={w: self.idf(w) for w in point_polarity.words},
                )
            )
        params = self.params(language)
        joined = ("。" if language == "zh" else ". ").join(points)
        texts = list(points) + [joined]
        if params.score.demoted_cosine:
            texts.append(demoted_text(joined, demote, self.glossary))
        vectors = self._cache.encode(self.embedder(language), texts)
        prepared = PreparedReference(
            question=reference.question,
            language=language,
            points=tuple(prepared_points),
            point_vectors=vectors[: len(points)],
            reference_vector=vectors[len(points)],
            demoted_reference_vector=vectors[len(points) + 1] if params.score.demoted_cosine else None,
            demote=demote,
        )
        with self._lock:
            self._prepared[key] = prepared
            while len(self._prepared) > _PREPARED_KEEP:
                self._prepared.popitem(last=False)
        return prepared

    def _canonical_keyword(self, keyword: str) -> str:
        """A hand-written keyword in the form replies are matched in: canonical tokens, joined."""
        return "".join(tokens(self.glossary.canonical(keyword))) or normalize(keyword)

    def grade(self, reference: Reference | PreparedReference, answer: str) -> GradeResult:
        """Grade one reply. Raises `NotGradable` for a question without a reference answer."""
        return self.grade_many([(reference, answer)])[0]

    def grade_many(self, items: Sequence[tuple[Reference | PreparedReference, str]]) -> list[GradeResult]:
        """Grade several replies, encoding them in one batch per language."""
        prepared = [r if isinstance(r, PreparedReference) else self.prepare(r) for r, _ in items]
        analyses, vectors = self.analyse_and_encode([(p, answer) for p, (_, answer) in zip(prepared, items)])
        return [self._result(p, a, v) for p, a, v in zip(prepared, analyses, vectors)]

    def analyse_and_encode(
        self, items: Sequence[tuple[PreparedReference, str]]
    ) -> tuple[list[ReplyAnalysis], list[tuple[np.ndarray | None, np.ndarray | None]]]:
        """Analyse replies and encode them (one batch per language); no vector for an empty reply."""
        analyses = [
            analyse_reply(answer or "", self.glossary, max_chars=self.settings.max_answer_chars) for _, answer in items
        ]
        vectors: list[tuple[np.ndarray | None, np.ndarray | None]] = [(None, None)] * len(items)
        for language in sorted({p.language for p, _ in items}):
            demote = bool(self.params(language).score.demoted_cosine)
            todo = [i for i, (p, _) in enumerate(items) if p.language == language and not analyses[i].nothing]
            if not todo:
                continue
            texts = [analyses[i].text for i in todo]
            if demote:
                texts += [demoted_text(analyses[i].text, items[i][0].demote, self.glossary) for i in todo]
            encoded = self.embedder(language).encode(texts)
            for n, i in enumerate(todo):
                vectors[i] = (encoded[n], encoded[len(todo) + n] if demote else None)
        return analyses, vectors

    def _result(
        self, prepared: PreparedReference, reply: ReplyAnalysis, vectors: tuple[np.ndarray | None, np.ndarray | None]
    ) -> GradeResult:
        notes = []
        if reply.truncated:
            notes.append(f"truncated:{self.settings.max_answer_chars}")
        reply_vector, demoted_vector = vectors
        if reply.nothing or reply_vector is None:
            points = [PointResult(p.text, PointStatus.MISSED, 0.0, 0.0, 0.0) for p in prepared.points]
            return GradeResult(0.0, Verdict.MISSED, points, prepared.language, notes)
        params = self.params(prepared.language)
        features = reply_features(
            prepared,
            reply,
            reply_vector,
            demoted_vector,
            self.glossary,
            params,
            short_answer_words=self.settings.short_answer_words,
        )
        score, statuses = combine(features, params)
        points = [
            PointResult(p.text, status, round(value, 4), round(f.keyword_coverage, 4), round(f.similarity, 4))
            for p, f, (status, value) in zip(prepared.points, features.points, statuses)
        ]
        return GradeResult(round(score, 1), self.verdict(score, prepared.language), points, prepared.language, notes)

    def verdict(self, score: float, language: str) -> Verdict:
        thresholds = self.params(language).verdicts
        if score >= thresholds.excellent:
            return Verdict.EXCELLENT
        if score >= thresholds.good:
            return Verdict.GOOD
        if score >= thresholds.partial:
            return Verdict.PARTIAL
        return Verdict.MISSED
