"""Merging a fresh import into the bank already on disk, keeping hand edits.

Each imported question remembers digests of the topic, answer and key points the importer wrote
(`imported`). On re-import a field whose current value no longer matches its digest was edited by
hand and is kept; every other field takes the fresh value from the seed. A question whose text was
reworded in the seed keeps its id when the new text is close to the old one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from .build import question_key
from .keypoints import SEED_RULES, Rules, analyse_answer
from .model import Fingerprint, Question, digest, points_data

__all__ = ["MergeReport", "merge_questions", "REIDENTIFY_MIN_SIMILARITY"]

REIDENTIFY_MIN_SIMILARITY = 88.0  # rapidfuzz ratio of two question texts that are "the same question"


@dataclass
class MergeReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept_edits: list[str] = field(default_factory=list)  # "id: field, field"
    reidentified: list[str] = field(default_factory=list)  # "id: old text -> new text"
    warnings: list[str] = field(default_factory=list)


def _edited_fields(question: Question) -> set[str]:
    base = question.imported
    if base is None:  # written by hand: every field is the author's
        return {"topic", "answer", "key_points"}
    edited = set()
    if digest(question.topic) != base.topic:
        edited.add("topic")
    if digest(question.answer) != base.answer:
        edited.add("answer")
    if digest(points_data(question.key_points)) != base.key_points:
        edited.add("key_points")
    return edited


def _merge_one(old: Question, fresh: Question, report: MergeReport, rules: Rules) -> Question:
    edited = _edited_fields(old)
    base = old.imported
    topic = old.topic if "topic" in edited else fresh.topic
    answer = old.answer if "answer" in edited else fresh.answer
    facts = analyse_answer(answer, rules)
    if "key_points" in edited:
        key_points = old.key_points
    else:
        key_points = facts.key_points
    if edited:
        report.kept_edits.append(f"{old.id}: {', '.join(sorted(edited))}")
    if base is not None:
        if "answer" in edited and digest(fresh.answer) != base.answer:
            report.warnings.append(f"{old.id}: the seed's answer changed too; your edited answer was kept")
        if "key_points" in edited and digest(facts.key_points) != base.key_points:
            report.warnings.append(f"{old.id}: the answer's key points changed; review your edited key points")
    merged = fresh.model_copy(
        update={
            "id": old.id,
            "topic": topic,
            "answer": answer,
            "answer_kind": facts.kind,
            "key_points": key_points,
            "keywords": old.keywords,  # only ever written by hand
            "misconceptions": old.misconceptions,  # only ever written by hand
            "imported": Fingerprint(
                topic=digest(fresh.topic), answer=digest(fresh.answer), key_points=digest(facts.key_points)
            ),
        }
    )
    # Revalidate: a hand edit may now contradict the answer kind.
    merged = Question.model_validate(merged.model_dump())
    if merged != old:
        report.updated.append(old.id)
    return merged


def merge_questions(
    fresh: list[Question], existing: list[Question], rules: Rules = SEED_RULES
) -> tuple[list[Question], MergeReport]:
    """Merge freshly imported questions with the ones on disk (key points extracted by `rules`, as
    `fresh` was); returns the new list and a report."""
    report = MergeReport()
    by_id = {q.id: q for q in existing}
    matched: dict[str, Question] = {}  # fresh id -> existing question
    for q in fresh:
        if q.id in by_id:
            matched[q.id] = by_id[q.id]
    free = [q for q in existing if q.imported is not None and q.id not in matched]
    for q in fresh:
        if q.id in matched or not free:
            continue
        key = question_key(q.question)
        score, best = max(((fuzz.ratio(key, question_key(o.question)), o) for o in free), key=lambda p: p[0])
        if score >= REIDENTIFY_MIN_SIMILARITY:
            matched[q.id] = best
            free.remove(best)
            report.reidentified.append(f"{best.id}: {best.question!r} -> {q.question!r}")

    merged: list[Question] = []
    used_old: set[str] = set()
    for q in fresh:
        old = matched.get(q.id)
        if old is None:
            merged.append(q)
            report.added.append(q.id)
        else:
            merged.append(_merge_one(old, q, report, rules))
            used_old.add(old.id)
    for old in existing:
        if old.id in used_old:
            continue
        edited = _edited_fields(old)
        if edited:
            merged.append(old)
            what = "written by hand" if old.imported is None else f"edited by hand ({', '.join(sorted(edited))})"
            report.warnings.append(f"{old.id}: not in the seed but {what}; kept (delete it by hand if intended)")
        else:
            report.removed.append(old.id)
    return merged, report
