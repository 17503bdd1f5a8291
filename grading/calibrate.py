"""Calibrating and evaluating the grader on labelled data (no per-question training).

- Chinese: the hand-written dev set `tests/data/zh_devset.yaml` (replies labelled excellent /
  partial / wrong / off_topic / contradiction, with the key points each states or contradicts).
- English: the Mohler et al. (2011) short-answer set (gold scores 0-5).

`fit_*` choose the point parameters and the score weights; `evaluate_*` measure the grader as
configured. One set of weights per language serves every question.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .features import PointFeatures, ReplyFeatures, combine, reply_features
from .glossary import Glossary
from .grader import Grader, Reference
from .keywords import Idf
from .result import PointStatus
from .settings import LanguageParams, PointParams, ScoreWeights, VerdictThresholds

__all__ = [
    "DevReply",
    "load_devset",
    "load_mohler",
    "features_for",
    "fit_point_params",
    "fit_score_weights",
    "ordering_accuracy",
    "point_agreement",
    "pearson",
    "grouped_cv_pearson",
    "LABEL_TARGETS",
    "FEATURES",
    "calibrate_zh",
    "calibrate_en",
    "evaluate_zh",
    "evaluate_en",
    "mohler_idf",
]

# The score each kind of reply should get, for fitting the weights (0-1).
LABEL_TARGETS = {"excellent": 0.95, "partial": 0.55, "contradiction": 0.45, "wrong": 0.05, "off_topic": 0.0}
FEATURES = ("points", "covered", "recall", "cosine", "demoted_cosine", "shortness", "contradiction", "conflict")
_ORDER = {"excellent": 3, "partial": 2, "wrong": 1, "off_topic": 1}  # contradiction sits outside the order


@dataclass(frozen=True)
class DevReply:
    question_id: str
    reference: Reference
    label: str
    text: str
    covers: frozenset[int]  # 1-based key points stated correctly
    contradicts: frozenset[int] = field(default_factory=frozenset)
    target: float = 0.0  # 0-1 score the reply should get


def load_devset(path: Path, questions: dict[str, Reference]) -> list[DevReply]:
    """Read a dev-set YAML file; every question id must exist in `questions`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    replies = []
    for entry in data:
        reference = questions[entry["question_id"]]
        for reply in entry["replies"]:
            replies.append(
                DevReply(
                    question_id=entry["question_id"],
                    reference=reference,
                    label=reply["label"],
                    text=reply["text"],
                    covers=frozenset(reply.get("covers") or ()),
                    contradicts=frozenset(reply.get("contradicts") or ()),
                    target=LABEL_TARGETS[reply["label"]],
                )
            )
    return replies


def load_mohler(path: Path) -> list[DevReply]:
    """The Mohler answers with a usable text (spreadsheet debris such as '#NAME?' skipped)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            answer = row["student_answer"].strip()
            if not answer or answer.startswith("#NAME"):
                continue
            reference = Reference(row["question"], row["desired_answer"])
            rows.append(DevReply(row["id"], reference, "", answer, frozenset(), target=float(row["score_avg"]) / 5.0))
    return rows


def features_for(grader: Grader, replies: Sequence[DevReply], *, batch: int = 64) -> list[ReplyFeatures]:
    """Each reply's features, independent of the weights being fitted."""
    out: list[ReplyFeatures] = []
    for start in range(0, len(replies), batch):
        chunk = replies[start : start + batch]
        prepared = [grader.prepare(r.reference) for r in chunk]
        analyses, vectors = grader.analyse_and_encode([(p, r.text) for p, r in zip(prepared, chunk)])
        for p, a, (vector, demoted) in zip(prepared, analyses, vectors):
            if vector is None:  # nothing to grade: every feature is zero
                nothing = tuple(PointFeatures(0.0, 0.0, False, False) for _ in p.points)
                out.append(ReplyFeatures(nothing, 0.0, 0.0, 0.0, 0.0, 0.0))
                continue
            params = grader.params(p.language)
            words = grader.settings.short_answer_words
            out.append(reply_features(p, a, vector, demoted, grader.glossary, params, short_answer_words=words))
    return out


def _matrix(features: Sequence[ReplyFeatures], params: LanguageParams) -> np.ndarray:
    rows = []
    for f in features:
        _, statuses = combine(f, params)
        mean_points = sum(v for _, v in statuses) / len(statuses) if statuses else 0.0
        covered = sum(s is PointStatus.COVERED for s, _ in statuses) / len(statuses) if statuses else 0.0
        rows.append([mean_points, covered, f.recall, f.cosine, f.demoted_cosine, f.shortness, -f.contradiction, -f.conflict])
    return np.array(rows, dtype=np.float64)


def fit_point_params(
    features: Sequence[ReplyFeatures], replies: Sequence[DevReply], base: PointParams
) -> tuple[PointParams, float]:
    """Grid-search the point parameters that best reproduce the labelled covered points."""
    labels, pairs = [], []
    for f, r in zip(features, replies):
        for number, point in enumerate(f.points, start=1):
            if number in r.contradicts:
                continue
            labels.append(number in r.covers)
            pairs.append((point.keyword_coverage, point.similarity, point.contradicted))
    y = np.array(labels)
    kw = np.array([p[0] for p in pairs])
    sim = np.array([p[1] for p in pairs])
    contra = np.array([p[2] for p in pairs])
    best = (base, -1.0)
    for k_weight, floor, ceiling in itertools.product(
        np.arange(0.2, 0.85, 0.05), np.arange(0.0, 0.45, 0.05), np.arange(0.5, 0.95, 0.05)
    ):
        if ceiling <= floor + 0.15:
            continue
        score = k_weight * kw + (1 - k_weight) * np.clip((sim - floor) / (ceiling - floor), 0, 1)
        score[contra] = 0.0
        for threshold in np.arange(0.2, 0.8, 0.02):
            accuracy = float(np.mean((score >= threshold) == y))
            if accuracy > best[1]:
                best = (
                    base.model_copy(
                        update={
                            "keyword": round(float(k_weight), 2),
                            "sim_floor": round(float(floor), 2),
                            "sim_ceiling": round(float(ceiling), 2),
                            "covered": round(float(threshold), 2),
                            "partly": round(float(threshold) * 0.6, 2),
                        }
                    ),
                    accuracy,
                )
    return best


def fit_score_weights(
    features: Sequence[ReplyFeatures],
    targets: Sequence[float],
    params: LanguageParams,
    *,
    use: Sequence[str] = FEATURES,
) -> ScoreWeights:
    """Least squares on the targets, keeping every weight non-negative (features only ever help,
    contradictions only ever hurt), so padding or noise cannot raise a score."""
    x = _matrix(features, params)
    y = np.asarray(targets, dtype=np.float64)
    active = [i for i, name in enumerate(FEATURES) if name in use]
    while True:
        design = np.c_[x[:, active], np.ones(len(y))]
        solution, *_ = np.linalg.lstsq(design, y, rcond=None)
        negative = [a for a, w in zip(active, solution[:-1]) if w < 0]
        if not negative:
            break
        active = [a for a in active if a not in negative]
    weights = dict.fromkeys(FEATURES, 0.0)
    for index, value in zip(active, solution[:-1]):
        weights[FEATURES[index]] = round(float(value), 4)
    return ScoreWeights(intercept=round(float(solution[-1]), 4), **weights)


def _ordered_pairs(replies: Sequence[DevReply]) -> list[tuple[int, int]]:
    """(better, worse) index pairs of replies to the same question, by label."""
    pairs = []
    for i, j in itertools.combinations(range(len(replies)), 2):
        a, b = replies[i], replies[j]
        if a.question_id != b.question_id or a.label not in _ORDER or b.label not in _ORDER:
            continue
        if _ORDER[a.label] > _ORDER[b.label]:
            pairs.append((i, j))
        elif _ORDER[b.label] > _ORDER[a.label]:
            pairs.append((j, i))
    return pairs


def fit_ranking_weights(
    features: Sequence[ReplyFeatures],
    replies: Sequence[DevReply],
    params: LanguageParams,
    *,
    use: Sequence[str] = FEATURES,
    steps: int = 4000,
    l2: float = 1e-3,
) -> ScoreWeights:
    """Weights that order same-question replies right (logistic loss on ordered pairs, non-negative),
    then scaled by least squares onto the label targets so the 0-100 scale and verdicts mean something."""
    x = _matrix(features, params)
    mask = np.array([name in use for name in FEATURES], dtype=float)
    pairs = _ordered_pairs(replies)
    better = x[[i for i, _ in pairs]]
    worse = x[[j for _, j in pairs]]
    diff = (better - worse) * mask
    w = mask.copy()
    rate = 0.5
    for _ in range(steps):
        margin = diff @ w
        grad = -(diff * (1.0 / (1.0 + np.exp(margin)))[:, None]).mean(axis=0) + l2 * w
        w = np.maximum(0.0, w - rate * grad) * mask  # features only help, contradictions only hurt
    raw = x @ w
    targets = np.array([r.target for r in replies])
    scale, offset = np.polyfit(raw, targets, 1) if raw.std() > 0 else (1.0, 0.0)
    scale = max(scale, 1e-6)
    weights = {name: round(float(v * scale), 4) for name, v in zip(FEATURES, w)}
    return ScoreWeights(intercept=round(float(offset), 4), **weights)


def scores(features: Sequence[ReplyFeatures], params: LanguageParams) -> np.ndarray:
    return np.array([combine(f, params)[0] for f in features])


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.corrcoef(np.asarray(a, dtype=float), np.asarray(b, dtype=float))[0, 1])


def grouped_cv_pearson(
    features: Sequence[ReplyFeatures],
    replies: Sequence[DevReply],
    params: LanguageParams,
    *,
    folds: int = 5,
    use: Sequence[str] = FEATURES,
    seed: int = 0,
) -> float:
    """Pearson r of scores predicted with weights fitted on the other folds' questions."""
    groups = sorted({r.question_id for r in replies})
    np.random.default_rng(seed).shuffle(groups)
    fold_of = {g: i % folds for i, g in enumerate(groups)}
    predicted = np.zeros(len(replies))
    for fold in range(folds):
        train = [i for i, r in enumerate(replies) if fold_of[r.question_id] != fold]
        test = [i for i, r in enumerate(replies) if fold_of[r.question_id] == fold]
        weights = fit_score_weights([features[i] for i in train], [replies[i].target for i in train], params, use=use)
        fitted = params.model_copy(update={"score": weights})
        predicted[test] = scores([features[i] for i in test], fitted)
    return pearson(predicted, [r.target for r in replies])


def ordering_accuracy(replies: Sequence[DevReply], values: Sequence[float]) -> tuple[float, list[str]]:
    """Share of same-question pairs ordered right: excellent > partial > wrong and off-topic."""
    right, total, wrong = 0, 0, []
    by_question: dict[str, list[tuple[DevReply, float]]] = {}
    for reply, value in zip(replies, values):
        by_question.setdefault(reply.question_id, []).append((reply, value))
    for question, items in by_question.items():
        for (a, va), (b, vb) in itertools.combinations(items, 2):
            if a.label not in _ORDER or b.label not in _ORDER or _ORDER[a.label] == _ORDER[b.label]:
                continue
            total += 1
            high, low = ((a, va), (b, vb)) if _ORDER[a.label] > _ORDER[b.label] else ((b, vb), (a, va))
            if high[1] > low[1]:
                right += 1
            else:
                wrong.append(f"{question}: {high[0].label} {high[1]:.1f} <= {low[0].label} {low[1]:.1f}")
    return (right / total if total else 0.0), wrong


def point_agreement(
    replies: Sequence[DevReply], features: Sequence[ReplyFeatures], params: LanguageParams
) -> dict[str, float]:
    """How well covered/missed and contradicted points agree with the labels."""
    agree = total = exact = 0
    found_contra = labelled_contra = false_contra = 0
    for reply, f in zip(replies, features):
        _, statuses = combine(f, params)
        predicted = {n for n, (s, _) in enumerate(statuses, start=1) if s is PointStatus.COVERED}
        numbers = set(range(1, len(statuses) + 1))
        agree += sum((n in predicted) == (n in reply.covers) for n in numbers)
        total += len(numbers)
        exact += predicted == set(reply.covers)
        contradicted = {n for n, (s, _) in enumerate(statuses, start=1) if s is PointStatus.CONTRADICTED}
        labelled_contra += len(reply.contradicts)
        found_contra += len(contradicted & reply.contradicts)
        false_contra += len(contradicted & reply.covers)
    return {
        "point_accuracy": agree / total if total else 0.0,
        "exact_missed_lists": exact / len(replies) if replies else 0.0,
        "contradictions_found": found_contra / labelled_contra if labelled_contra else 0.0,
        "covered_points_called_contradicted": false_contra,
    }


# The features each language's score uses. Chinese: point evidence and contradictions (the dev set
# orders best with these); English: the Mohler recipe (cosines, demoted cosine, recall, shortness).
ZH_FEATURES = ("points", "covered", "recall", "contradiction")
EN_FEATURES = ("points", "recall", "cosine", "demoted_cosine", "shortness")


def _verdicts(replies: Sequence[DevReply], values: Sequence[float]) -> VerdictThresholds:
    """Thresholds between the label groups' medians: partial answers land in 部分正确, and so on."""
    median = {
        label: float(np.median([v for r, v in zip(replies, values) if r.label == label]))
        for label in ("excellent", "partial", "wrong", "off_topic")
    }
    wrong = max(median["wrong"], median["off_topic"])
    return VerdictThresholds(
        excellent=round(median["excellent"], 1),
        good=round((median["excellent"] + median["partial"]) / 2, 1),
        partial=round((median["partial"] + wrong) / 2, 1),
    )


def _verdicts_by_grade(rows: Sequence[DevReply], values: Sequence[float]) -> VerdictThresholds:
    """Thresholds between the median predicted scores of gold-grade bands (5; 4-4.5; 2.5-3.5; below)."""
    bands = {"excellent": (0.95, 1.01), "good": (0.75, 0.95), "partial": (0.45, 0.75), "missed": (0.0, 0.45)}
    median = {
        name: float(np.median([v for r, v in zip(rows, values) if low <= r.target < high] or [0.0]))
        for name, (low, high) in bands.items()
    }
    return VerdictThresholds(
        excellent=round((median["excellent"] + median["good"]) / 2, 1),
        good=round((median["good"] + median["partial"]) / 2, 1),
        partial=round((median["partial"] + median["missed"]) / 2, 1),
    )


def calibrate_zh(grader: Grader, replies: Sequence[DevReply]) -> tuple[LanguageParams, dict[str, object]]:
    """Fit the Chinese point parameters, score weights and verdicts on the dev set; report figures."""
    params = grader.params("zh")
    features = features_for(grader, replies)
    point, point_accuracy = fit_point_params(features, replies, params.point)
    params = params.model_copy(update={"point": point})
    weights = fit_ranking_weights(features, replies, params, use=ZH_FEATURES)
    params = params.model_copy(update={"score": weights})
    values = scores(features, params)
    params = params.model_copy(update={"verdicts": _verdicts(replies, values)})
    report = evaluate_zh(replies, features, params)
    report["leave_one_question_out_ordering"] = _loqo_ordering(features, replies, params)
    report["point_fit_accuracy"] = round(point_accuracy, 4)
    return params, report


def evaluate_zh(replies: Sequence[DevReply], features: Sequence[ReplyFeatures], params: LanguageParams) -> dict[str, object]:
    values = scores(features, params)
    accuracy, misordered = ordering_accuracy(replies, values)
    by_label = {
        label: [round(float(v), 1) for r, v in zip(replies, values) if r.label == label]
        for label in ("excellent", "partial", "contradiction", "wrong", "off_topic")
    }
    return {
        "replies": len(replies),
        "questions": len({r.question_id for r in replies}),
        "ordering_accuracy": round(accuracy, 4),
        "misordered": misordered,
        "median_score": {label: float(np.median(v)) if v else None for label, v in by_label.items()},
        **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in point_agreement(replies, features, params).items()},
    }


def _loqo_ordering(features: Sequence[ReplyFeatures], replies: Sequence[DevReply], params: LanguageParams) -> float:
    """Ordering accuracy when each question is scored with weights fitted on the other questions."""
    predicted: dict[int, float] = {}
    for question in sorted({r.question_id for r in replies}):
        train = [i for i, r in enumerate(replies) if r.question_id != question]
        test = [i for i, r in enumerate(replies) if r.question_id == question]
        weights = fit_ranking_weights([features[i] for i in train], [replies[i] for i in train], params, use=ZH_FEATURES)
        fitted = params.model_copy(update={"score": weights})
        predicted.update(zip(test, scores([features[i] for i in test], fitted)))
    return round(ordering_accuracy(replies, [predicted[i] for i in range(len(replies))])[0], 4)


def calibrate_en(grader: Grader, rows: Sequence[DevReply]) -> tuple[LanguageParams, dict[str, object]]:
    """Fit the English score weights on Mohler (one global least-squares fit); report Pearson r."""
    params = grader.params("en")
    if not params.score.demoted_cosine:  # the demoted cosine must be computed to be weighed
        grader.settings = grader.settings.model_copy(
            update={"en": params.model_copy(update={"score": params.score.model_copy(update={"demoted_cosine": 1.0})})}
        )
    features = features_for(grader, rows)
    targets = [r.target for r in rows]
    weights = fit_score_weights(features, targets, params, use=EN_FEATURES)
    params = params.model_copy(update={"score": weights})
    params = params.model_copy(update={"verdicts": _verdicts_by_grade(rows, scores(features, params))})
    report = evaluate_en(rows, features, params)
    report["grouped_5fold_cv_pearson_r"] = round(grouped_cv_pearson(features, rows, params, use=EN_FEATURES), 4)
    return params, report


def evaluate_en(rows: Sequence[DevReply], features: Sequence[ReplyFeatures], params: LanguageParams) -> dict[str, object]:
    values = scores(features, params)
    return {"answers": len(rows), "questions": len({r.question_id for r in rows}), "pearson_r": round(pearson(values, [r.target for r in rows]), 4)}


def mohler_idf(rows: Sequence[DevReply], glossary: Glossary) -> Idf:
    """Keyword weights for Mohler: IDF over its 80 reference answers (its "bank")."""
    return Idf.from_texts(sorted({r.reference.answer for r in rows}), glossary)
