"""The grader: prepares a question's reference side once, then grades replies against it.

    grader = Grader(settings)
    result = grader.grade(Reference(question, answer, key_points), "我的回答……")
    result.score, result.verdict, result.missed

Reference-side embeddings are cached on disk; grading a reply encodes only the reply.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .claims import cruxes, only_excludes, other_parts_words, parts_turn_around, reversed_point, right_statements, wrong_alone
from .contradiction import MODAL, Polarity, polarity
from .embeddings import Embedder, EmbeddingCache, make_embedder
from .features import analyse_reply, demoted_text, is_hypothetical, reply_features
from .glossary import DEFAULT_GLOSSARY_PATH, Glossary, load_glossary
from .keywords import Idf, extract_keywords
from .prepared import KeywordSet, PreparedMisconception, PreparedPoint, PreparedReference, ReplyAnalysis
from .reference import Misconception, Point, Reference
from .result import GradeResult, MisconceptionResult, NotGradable, PointResult, PointStatus, Verdict
from .score import combine
from .settings import GradingSettings, LanguageParams
from .text import STOP_WORDS, content_words, normalize, polarity_tokens, reply_clauses, tokens

__all__ = ["Reference", "Point", "Misconception", "Grader"]

_PREPARED_KEEP = 512  # prepared questions kept in memory


def _spread_shared_keywords(points: list[PreparedPoint]) -> list[PreparedPoint]:
    """A keyword several key points of the question share (均值, 方差 in every BN point) says little
    about which point a reply makes: its weight is divided by the number of points that have it."""
    owners: dict[str, int] = {}
    for point in points:
        for word in {w for k in point.full_keyword_sets for w in k.words}:
            owners[word] = owners.get(word, 0) + 1
    if not any(count > 1 for count in owners.values()):
        return points
    out = []
    for point in points:
        sets = tuple(
            KeywordSet(k.words, tuple(w / owners.get(word, 1) for word, w in zip(k.words, k.weights)))
            for k in point.keyword_sets
        )
        out.append(replace(point, keyword_sets=sets))
    return out


def _clauses(text: str) -> list[str]:
    return reply_clauses(text) or [text]


def _subclaims(point: Point) -> list[str]:
    """The clauses of a point's text and aliases: each is checked for contradictions on its own."""
    return list(dict.fromkeys(c for group in _subclaim_groups(point) for c in group))


def _subclaim_groups(point: Point) -> list[list[str]]:
    """The sub-claims of each of a point's text and aliases, in order. A condition and the clause
    that follows it ("若不缩放，softmax会饱和") are not claims alone."""
    out = []
    for variant in (point.text, *point.aliases):
        clauses = _clauses(variant)
        kept = [c for i, c in enumerate(clauses) if not is_hypothetical(c) and not (i and is_hypothetical(clauses[i - 1]))]
        # "再慢慢调大直到训练有进展": what comes after 直到 is when to stop, not a claim ("训练没进展就往上调"
        # says the same).
        out.append([head if (head := c.partition("直到")[0]).strip() else c for c in kept])
    return out


# Conjunctions that may open a statement before its subject, and words that open a clause going
# on about the subject of the clause before.
_LEADS = frozenset("只要 只有 如果 因为 由于 虽然 即使 就算 一旦 当 对于 关于 所以 因此 其实 本质 主要".split())
_GOES_ON = frozenset("也 还 更 并且 而且 它 它们 其 他 这 那 同时 却".split())
# A question that sets things against each other: "区别", "A还是B", "为什么用A而不用B", "A相比B".
_COMPARING = re.compile(r"区别|对比|还是|而不|相比|异同|优缺点|差异|更合适|更好|\bvs\b|differ|compar", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[？?。！!]")
# What stands between the things compared: "A和B", "A、B", "A还是B", "用A而不用B", "A相比B", "A比B更……", "A, B".
_GLOSS = re.compile(r"[（(][^（）()]*[）)]")
_SIDES = re.compile(r"[，,、/；;]|比(?=[^，,]*更)|和|与|跟|还是|而不是|而不用|相比|对比|\bvs\.?|\bor\b|\band\b", re.IGNORECASE)

# A point that opens on a negated condition ("不归一化时", "不随机取会", "没有激活函数时") says what
# holds in that case only.
_NEGATED_CONDITION = re.compile(r"^(?:不|没有|没)[^，,。；;]{1,8}?(?:时|的时候|的话|会)")


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
        # The words of the field (see `PreparedReference.field`): the keyword corpus and the glossary's terms.
        self._corpus = frozenset(self.idf.weights) | self.glossary.term_words
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
        key = (reference.question, points, tuple(sorted(reference.keywords.items())), reference.misconceptions, language)
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]
        prepared = self._build(reference, points, language)
        with self._lock:
            self._prepared[key] = prepared
            while len(self._prepared) > _PREPARED_KEEP:
                self._prepared.popitem(last=False)
        return prepared

    def _build(self, reference: Reference, points: tuple[Point, ...], language: str) -> PreparedReference:
        """`prepare` without the cache, weighed with the model and parameters of `language`."""
        demote = frozenset(content_words(self.glossary.canonical(reference.question)))
        prepared_points = _spread_shared_keywords(
            [self._prepare_point(number, point, reference, demote) for number, point in enumerate(points, 1)]
        )
        misconceptions = tuple(self._prepare_misconception(m) for m in reference.misconceptions)
        params = self.params(language)
        joined = ("。" if language == "zh" else ". ").join(p.text for p in points)
        subclaims = [c for p in points for c in _subclaims(p)]
        batch: list[str] = []  # every reference-side text, encoded (or read from the cache) at once

        def add(texts: Sequence[str]) -> slice:
            batch.extend(texts)
            return slice(len(batch) - len(texts), len(batch))

        at_variants = add([v for p in prepared_points for v in p.variants])
        at_reference = add([joined])
        at_question = add([reference.question or joined])
        at_subclaims = add(subclaims)
        at_claims = add([m.claim for m in misconceptions])
        english = language == "zh" and any(m.en for m in reference.misconceptions)
        at_claims_en = add([m.en or m.claim for m in reference.misconceptions]) if english else None
        at_parts = [(add(_clauses(m.claim)), add(_clauses(m.correction or m.claim))) for m in misconceptions]
        at_demoted = add([demoted_text(joined, demote, self.glossary)]) if params.score.demoted_cosine else None
        vectors = self._cache.encode(self.embedder(language), batch)
        prepared = PreparedReference(
            question=reference.question,
            language=language,
            points=tuple(prepared_points),
            variant_vectors=vectors[at_variants],
            variant_point=np.array([i for i, p in enumerate(prepared_points) for _ in p.variants], dtype=np.int32),
            translated=np.array(
                [language == "zh" and v == q.en != q.text for q, p in zip(points, prepared_points) for v in p.variants],
                dtype=bool,
            ),
            variant_gist=np.array([i == p.gist for p in prepared_points for i in range(len(p.variants))], dtype=bool),
            reference_vector=vectors[at_reference][0],
            demoted_reference_vector=vectors[at_demoted][0] if at_demoted else None,
            question_vector=vectors[at_question][0],
            demote=demote,
            misconceptions=tuple(
                self._place_misconception(m, vectors[parts], vectors[fixes], prepared_points, vectors[at_subclaims])
                for m, (parts, fixes) in zip(misconceptions, at_parts)
            ),
            # (a claim's quantifier, "all", is no word of the subject: "my cat sleeps all day")
            vocabulary=(
                vocabulary := demote
                | frozenset(w for p in prepared_points for pol in p.polarities for w in pol.words if w not in STOP_WORDS)
            ),
            subject=(subject := vocabulary | frozenset(content_words(self.glossary.canonical(reference.answer)))),
            field=subject | self._corpus,
            claim_vectors=vectors[at_claims] if misconceptions else None,
            translated_claim_vectors=vectors[at_claims_en] if at_claims_en else None,
            subclaim_vectors=vectors[at_subclaims] if subclaims else None,
            subclaim_point=np.array([i for i, p in enumerate(prepared_points) for _ in p.claims], dtype=np.int32)
            if subclaims
            else None,
            subclaims=(every := tuple(c for p in prepared_points for c in p.claims)),
            subclaim_standing=np.array([len(c.words - {MODAL}) >= 3 and bool(c.words - demote) for c in every], dtype=bool),
            rivals=(rivals := self._rivals(reference.question, prepared_points)),
            compared=frozenset(rivals) | {w for w in demote if self.glossary.opposites.get(w, frozenset()) & demote},
        )
        # Which point each misconception turns around depends on the question alone: found once here.
        marked = (
            replace(
                m,
                reversed_point=reversed_point(prepared, i),
                turned_points=parts_turn_around(prepared, i, self.glossary),
                excludes=only_excludes(m.parts, demote, self.glossary),
            )
            for i, m in enumerate(prepared.misconceptions)
        )
        prepared = replace(prepared, misconceptions=tuple(marked))
        twin = reference.english() if english else None
        if twin is not None:
            # An English reply states a wrong claim in English words: read against the English
            # wordings, with the same model (the reply's vectors are this language's); held inside
            # this reference, not cached on its own.
            index = tuple(i for i, m in enumerate(reference.misconceptions) if m.en)
            in_english = self._build(twin, twin.points(), language)
            # A part is wrong on its own only when the Chinese wording says so too: the English points
            # are terser and may leave the claim's true half unsaid ("Adam adapts the learning rate").
            alone = [
                tuple(a and b for a, b in zip(m.wrong_alone, prepared.misconceptions[i].wrong_alone))
                if len(m.parts) == len(prepared.misconceptions[i].parts)
                else (False,) * len(m.parts)
                for m, i in zip(in_english.misconceptions, index)
            ]
            marked = (replace(m, wrong_alone=a) for m, a in zip(in_english.misconceptions, alone))
            in_english = replace(in_english, misconceptions=tuple(marked))
            prepared = replace(prepared, english=in_english, english_misconceptions=index)
        return prepared

    def _rivals(self, question: str, points: Sequence[PreparedPoint]) -> dict[str, frozenset[str]]:
        """What a comparing question sets against each other: the terms on the two sides of its "和",
        "还是", "而不是" …, when each is spoken of by some key point without the other."""
        text = _SENTENCE_END.split(self.glossary.canonical(question))[0]  # "……的区别？是否会影响计算图" compares two
        text = _GLOSS.sub("", text)  # "梯度下降（一阶求导算法），而不用牛顿法": a gloss restates its term

        def terms(segment: str) -> list[str]:
            return [w for w in content_words(segment) if self.glossary.is_term(w) or (w.isascii() and len(w) > 1)]

        sides = [t for t in (terms(s) for s in _SIDES.split(text)) if t]
        # "归一化与标准化": a question that only names them compares them too
        if not _COMPARING.search(text) and set(content_words(text)) != {w for side in sides for w in side}:
            return {}
        said = [p.polarity.words for p in points]
        rivals: dict[str, set[str]] = {}
        for left, right in zip(sides, sides[1:]):
            a, b = left[-1], right[0]  # the terms next to the "和"
            if a in right or b in left or b in self.glossary.opposites.get(a, ()):  # 训练和测试: antonyms already
                continue
            if any(a in w and b not in w for w in said) and any(b in w and a not in w for w in said):
                rivals.setdefault(a, set()).add(b)
                rivals.setdefault(b, set()).add(a)
        return {a: frozenset(b) for a, b in rivals.items()}

    def _polarity(self, text: str) -> Polarity:
        return polarity(polarity_tokens(self.glossary.canonical(text)), self.glossary.negation_words, self.glossary.synonym_of)

    def _prepare_point(self, number: int, point: Point, reference: Reference, demote: frozenset[str]) -> PreparedPoint:
        sets = []
        override = reference.keywords.get(number)
        for index, variant in enumerate(point.variants):
            if index == 0 and override:
                words = tuple(dict.fromkeys(self._canonical_keyword(k) for k in override if k.strip()))
            else:
                words = extract_keywords(variant, self.glossary, self.idf, demote=tuple(demote))
            sets.append(KeywordSet(words, tuple(self.idf(k) for k in words)))
        polarities = tuple(self._polarity(v) for v in point.variants)
        texts = _subclaims(point)
        claims = tuple(self._polarity(c) for c in texts)
        words = frozenset().union(*(p.words for p in polarities + claims))
        return PreparedPoint(
            text=point.text,
            core=point.core,
            variants=point.variants,
            keyword_sets=tuple(sets),
            polarities=polarities,
            word_weights={w: self.idf(w) for w in words},
            claims=claims,
            claim_groups=tuple(tuple(dict.fromkeys(texts.index(c) for c in g)) for g in _subclaim_groups(point) if g),
            gist=point.gist_variant,
            condition=self._polarity(opening.group(0)).negated if (opening := _NEGATED_CONDITION.match(point.text)) else frozenset(),
        )

    def _prepare_misconception(self, misconception: Misconception) -> PreparedMisconception:
        texts = _clauses(misconception.claim)
        parts = tuple(self._polarity(c) for c in texts)
        words = self._polarity(misconception.claim).words | self._polarity(misconception.correction).words
        return PreparedMisconception(
            claim=misconception.claim,
            correction=misconception.correction,
            word_weights={w: self.idf(w) for w in words},
            parts=parts,
            correction_parts=tuple(self._polarity(c) for c in _clauses(misconception.correction or misconception.claim)),
            dependent=tuple(number > 0 and self._goes_on(text, part) for number, (text, part) in enumerate(zip(texts, parts))),
            whole=self._polarity(misconception.claim) if len(parts) > 1 else None,
            others=other_parts_words(parts),
        )

    def _goes_on(self, text: str, part: Polarity) -> bool:
        """Does a later clause of a statement go on about the first clause's subject instead of naming
        its own ("……，也是在约束权重的大小", "是因为它的理论……")?"""
        toks = tokens(self.glossary.canonical(text))
        head = next((t for t in toks if t in part.words and t not in _LEADS), "")
        before = toks[: toks.index(head)] if head else toks
        return bool(_GOES_ON.intersection(before)) or not head

    def _place_misconception(
        self,
        m: PreparedMisconception,
        part_vectors: np.ndarray,
        correction_vectors: np.ndarray,
        points: Sequence[PreparedPoint],
        subclaim_vectors: np.ndarray,
    ) -> PreparedMisconception:
        """The misconception with its vectors, and which of its parts are wrong on their own."""
        rights = right_statements(points, m)
        right_vectors = np.vstack([subclaim_vectors, correction_vectors]) if len(subclaim_vectors) else correction_vectors
        alone = wrong_alone(m.parts, part_vectors, rights, right_vectors, m.word_weights, self.glossary)
        crux = cruxes(m.parts, [r for r, _ in rights], m.correction_parts, self.glossary)
        return replace(m, part_vectors=part_vectors, correction_vectors=correction_vectors, wrong_alone=alone, cruxes=crux)

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

    def analyse(self, prepared: PreparedReference, answer: str) -> ReplyAnalysis:
        """The reply indexed once (clauses, polarity, units), read against its question."""
        return analyse_reply(answer or "", self.glossary, max_chars=self.settings.max_answer_chars, question=prepared.question)

    def reply_texts(self, prepared: PreparedReference, reply: ReplyAnalysis) -> list[str]:
        """What a reply is encoded as: its units, then, while the demoted cosine is weighed, the
        reply without the question's words."""
        texts = list(reply.units)
        if self.params(prepared.language).score.demoted_cosine:
            texts.append(demoted_text(reply.text, prepared.demote, self.glossary))
        return texts

    def analyse_and_encode(
        self, items: Sequence[tuple[PreparedReference, str]]
    ) -> tuple[list[ReplyAnalysis], list[tuple[np.ndarray | None, np.ndarray | None]]]:
        """Analyse replies and encode their texts (`reply_texts`) in one batch per language; no
        vectors for an empty reply."""
        analyses = [self.analyse(p, answer) for p, answer in items]
        vectors: list[tuple[np.ndarray | None, np.ndarray | None]] = [(None, None)] * len(items)
        for language in sorted({p.language for p, _ in items}):
            todo = [i for i, (p, _) in enumerate(items) if p.language == language and not analyses[i].nothing]
            if not todo:
                continue
            per_reply = [self.reply_texts(items[i][0], analyses[i]) for i in todo]
            encoded = self.embedder(language).encode([text for texts in per_reply for text in texts])
            start = 0
            for i, texts in zip(todo, per_reply):
                count = len(analyses[i].units)
                demoted = encoded[start + count] if len(texts) > count else None
                vectors[i] = (encoded[start : start + count], demoted)
                start += len(texts)
        return analyses, vectors

    def _result(
        self, prepared: PreparedReference, reply: ReplyAnalysis, vectors: tuple[np.ndarray | None, np.ndarray | None]
    ) -> GradeResult:
        notes = []
        if reply.truncated:
            notes.append(f"truncated:{self.settings.max_answer_chars}")
        unit_vectors, demoted_vector = vectors
        if reply.nothing or unit_vectors is None:
            points = [PointResult(p.text, PointStatus.MISSED, 0.0, 0.0, 0.0, p.core) for p in prepared.points]
            return GradeResult(0.0, Verdict.MISSED, points, prepared.language, notes)
        params = self.params(prepared.language)
        features = reply_features(
            prepared,
            reply,
            unit_vectors,
            demoted_vector,
            self.glossary,
            params,
            short_answer_words=self.settings.short_answer_words,
        )
        score, statuses = combine(features, params)
        points = [
            PointResult(p.text, status, round(value, 4), round(f.keyword_coverage, 4), round(f.similarity, 4), p.core)
            for p, f, (status, value) in zip(prepared.points, features.points, statuses)
        ]
        wrong = [
            MisconceptionResult(prepared.misconceptions[i].claim, prepared.misconceptions[i].correction)
            for i in features.misconceptions
        ]
        score = float(round(score))  # whole points, as shown: the verdict and the pass line agree with the figure
        verdict = self.verdict(score, prepared.language)
        return GradeResult(score, verdict, points, prepared.language, notes, wrong)

    def verdict(self, score: float, language: str) -> Verdict:
        thresholds = self.params(language).verdicts
        if score >= thresholds.excellent:
            return Verdict.EXCELLENT
        if score >= thresholds.good:
            return Verdict.GOOD
        if score >= thresholds.partial:
            return Verdict.PARTIAL
        return Verdict.MISSED
