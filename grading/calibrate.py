"""Calibrating and evaluating the grader on scored replies (no per-question training).

- Chinese: `tests/data/grading/dev.yaml`, candidate replies to bank questions, each with the score a
  fair senior interviewer gives (0-100); six kinds per question (excellent, good, partial, wrong,
  off_topic, english). Weights are fitted with cross-validation by question, so every reported
  figure comes from questions the weights never saw. `holdout.yaml` is never fitted on.
- English: the Mohler et al. (2011) short-answer set (gold 0-5, read as 0-100) for the order of
  the replies, and the dev set's English replies graded against the bank's English wordings (fair
  scores) for the meaning of the scale: Mohler's graders give about half marks to a wrong answer on
  the subject, a fair interviewer does not.
- Public Chinese sets (`sas-zh`: ASAG, LE): only measured, with the Chinese parameters as fitted.

One set of parameters per language serves every question. Verdict thresholds are not fitted: they
are the bands of the fair scale (`VerdictThresholds`), so 良好 means the same everywhere.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .features import reply_features
from .glossary import Glossary
from .grader import Grader
from .keywords import Idf
from .prepared import PointFeatures, ReplyFeatures
from .reference import Reference
from .score import PENALTIES, apply_curve, combine, feature_vector, relevance_gate
from .settings import LanguageParams, PointParams, ScoreWeights

__all__ = [
    "DevReply",
    "KINDS",
    "FEATURES",
    "ZH_FEATURES",
    "EN_FEATURES",
    "load_devset",
    "load_mohler",
    "load_sas",
    "features_for",
    "fit_score_weights",
    "fit_point_params",
    "fit_curve",
    "cross_validated",
    "pearson",
    "report",
    "calibrate_zh",
    "calibrate_en",
    "UNRELATED_EN",
    "UNRELATED_MAX",
    "FAIR_WEIGHTS",
    "CURVE_BLENDS",
    "MOHLER_FLOOR",
    "evaluate",
    "mohler_idf",
]

POINT_PARAMS_GAIN = 0.005  # Pearson r another grid point must add to replace the current point parameters
# Score rules that are policy, not fitted: kept from the parameters being calibrated.
_RULES = ("misconception_cap", "contradiction_cap", "pass_core_share")
KINDS = ("excellent", "good", "partial", "wrong", "off_topic", "english")
_ORDER = {"excellent": 3, "good": 3, "partial": 2, "wrong": 1, "off_topic": 1}  # english: any quality
FEATURES = (
    "points", "core", "detail", "covered", "recall", "cosine", "demoted_cosine", "shortness",
    "contradiction", "conflict", "misconception", "lean", "lean_units", "foreign",
)  # fmt: skip
# Chinese: point evidence, the reply's closeness to the reference, and the wrong-claim cues.
ZH_FEATURES = (
    "core", "detail", "covered", "recall", "cosine", "contradiction", "misconception", "lean", "lean_units", "foreign",
)  # fmt: skip
# English (Mohler has no curated points or misconceptions): cosines, demoted cosine, recall, shortness.
EN_FEATURES = ("points", "covered", "recall", "cosine", "demoted_cosine", "shortness")
# Replies to no question of a course: each, to every Mohler question, must score under UNRELATED_MAX
# (the scale's off-topic band). Calibration sees these; tests check others ("banana").
UNRELATED_EN = (
    "I like pizza", "The weather is nice today.", "My cat sleeps all day on the sofa.",
    "Paris is the capital of France.", "hello", "blue", "asdf", "football",
)  # fmt: skip
UNRELATED_MAX = 10.0
# English on the fair scale: the weights are fitted on Mohler and the fair English replies together
# (a fair reply weighing FAIR_WEIGHTS times a Mohler one), the score curve is the fair replies',
# blended with the identity (CURVE_BLENDS: 0 none, 1 all of it); the pair with the lowest
# cross-validated MAE on the fair replies wins among those that keep Mohler's cross-validated r at
# MOHLER_FLOOR or more (the target, 0.60, and a margin: a figure at 0.6002 fails on another
# machine's arithmetic) and unrelated replies under UNRELATED_MAX. The candidates' Mohler r lie within
# 0.02 of each other, so the floor decides between neighbours: at 0.605, a change that moved the chosen
# pair's r to 0.60495 swapped it for one with fair MAE 28.4 instead of 25.5. A lower floor keeps more
# neighbours in, but the choice still hangs on the third decimal.
FAIR_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0)
CURVE_BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)
MOHLER_FLOOR = 0.603


def _rules(params: LanguageParams) -> dict[str, float]:
    """The policy rules of `params`, to carry over onto newly fitted weights."""
    return {name: getattr(params.score, name) for name in _RULES}


@dataclass(frozen=True)
class DevReply:
    question_id: str
    reference: Reference
    kind: str  # one of KINDS, or "" for public sets
    text: str
    target: float  # 0-1: the fair score / 100


def load_devset(path: Path, questions: dict[str, Reference]) -> list[DevReply]:
    """Read a scored-replies file; every question id must exist in `questions`.

    Raises:
        KeyError: a question id that is not in the bank.
        ValueError: a reply without a kind or with a score outside 0-100.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    replies = []
    for entry in data:
        reference = questions[entry["question_id"]]
        for reply in entry["replies"]:
            score = float(reply["score"])
            if not 0 <= score <= 100 or reply.get("kind") not in KINDS:
                raise ValueError(f"{path}: {entry['question_id']}: bad reply {reply!r}")
            replies.append(DevReply(entry["question_id"], reference, reply["kind"], reply["text"], score / 100.0))
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
            rows.append(DevReply(row["id"], reference, "", answer, float(row["score_avg"]) / 5.0))
    return rows


def load_sas(folder: Path, name: str) -> list[DevReply]:
    """A public Chinese scoring set of `sas-zh` (`ASAG`: gold 0-5; `LE`: gold 0-1), as 0-1 targets."""

    def rows(file: Path) -> list[list[str]]:
        with file.open(encoding="utf-8", newline="") as handle:
            return [r for r in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if r]

    if name == "ASAG":
        questions = {r[0]: (r[1], r[2]) for r in rows(folder / "ASAG" / "qa_zh.csv")}
        out = []
        for r in rows(folder / "ASAG" / "answers_zh.csv"):
            question, answer = questions[r[0]]
            text = r[3].replace("<br>", " ").strip()
            out.append(DevReply(f"asag-{r[0]}", Reference(question, answer), "", text, float(r[1]) / 5.0))
        return out
    if name == "LE":
        questions = {r[0]: r[1] for r in rows(folder / "LE" / "qa.csv")}
        return [
            DevReply(f"le-{r[0]}", Reference(questions.get(r[0], ""), r[1]), "", r[2].strip(), float(r[3]))
            for r in rows(folder / "LE" / "answers.csv")
        ]
    raise ValueError(f"unknown set {name!r} (ASAG or LE)")


def features_for(grader: Grader, replies: Sequence[DevReply], *, batch: int = 64) -> list[ReplyFeatures]:
    """Each reply's features, independent of the weights being fitted."""
    out: list[ReplyFeatures] = []
    for start in range(0, len(replies), batch):
        chunk = replies[start : start + batch]
        prepared = [grader.prepare(r.reference) for r in chunk]
        analyses, vectors = grader.analyse_and_encode([(p, r.text) for p, r in zip(prepared, chunk)])
        for p, a, (units, demoted) in zip(prepared, analyses, vectors):
            if units is None:  # nothing to grade: every feature is zero
                nothing = tuple(PointFeatures(0.0, 0.0, False, q.core) for q in p.points)
                out.append(ReplyFeatures(nothing, 0.0, 0.0, 0.0, 0.0, 0.0))
                continue
            params = grader.params(p.language)
            words = grader.settings.short_answer_words
            out.append(reply_features(p, a, units, demoted, grader.glossary, params, short_answer_words=words))
    return out


def _matrix(features: Sequence[ReplyFeatures], params: LanguageParams) -> np.ndarray:
    """One row per reply: the gated features (penalties negated) and the gate itself, which
    carries the intercept, so that `combine`'s gate x (intercept + Σ w f) is linear in the weights."""
    rows = []
    for f in features:
        named, _ = feature_vector(f, params)
        gate = relevance_gate(f, params)
        rows.append([gate * (-named[n] if n in PENALTIES else named[n]) for n in FEATURES] + [gate])
    return np.array(rows, dtype=np.float64)


def fit_score_weights(
    features: Sequence[ReplyFeatures], targets: Sequence[float], params: LanguageParams, *, use: Sequence[str]
) -> ScoreWeights:
    """Least squares on the targets, keeping every weight non-negative (evidence only ever helps,
    contradictions and wrong claims only ever hurt), so padding or noise cannot raise a score."""
    return _fit(_matrix(features, params), np.asarray(targets, dtype=np.float64), use)


def _fit(x: np.ndarray, y: np.ndarray, use: Sequence[str]) -> ScoreWeights:
    active = [i for i, name in enumerate(FEATURES) if name in use]
    intercept = x[:, -1]
    while True:
        design = np.c_[x[:, active], intercept] if active else intercept[:, None]
        solution, *_ = np.linalg.lstsq(design, y, rcond=None)
        negative = [a for a, w in zip(active, solution[:-1]) if w < 0]
        if not negative:
            break
        active = [a for a in active if a not in negative]
    weights = dict.fromkeys(FEATURES, 0.0)
    for index, value in zip(active, solution[:-1]):
        weights[FEATURES[index]] = round(float(value), 4)
    return ScoreWeights(intercept=round(float(solution[-1]), 4), **weights)


def _predict(x: np.ndarray, weights: ScoreWeights) -> np.ndarray:
    w = np.array([getattr(weights, n) for n in FEATURES] + [weights.intercept])
    raw = np.clip(x @ w, 0.0, 1.0) * 100.0
    return np.array([apply_curve(v, weights.curve) for v in raw]) / 100.0


def fit_curve(raw: np.ndarray, target: np.ndarray, *, knots: int = 6, median: bool = False) -> tuple[float, ...]:
    """A monotone map from raw scores to the fair scale (both 0-1 in, 0-100 out): isotonic
    regression (pool adjacent violators) on the mean, or with `median` on the median, read off at
    `knots` evenly spaced raw scores (few knots: a smooth map)."""
    order = np.argsort(raw)
    x, y = raw[order] * 100.0, target[order] * 100.0
    centre = np.median if median else np.mean
    blocks: list[tuple[list[float], list[float]]] = []  # (targets, raw scores)
    for xi, yi in zip(x, y):
        blocks.append(([float(yi)], [float(xi)]))
        while len(blocks) > 1 and centre(blocks[-2][0]) > centre(blocks[-1][0]):
            targets, xs = blocks.pop()
            blocks[-1][0].extend(targets)
            blocks[-1][1].extend(xs)
    centres = np.array([np.mean(b[1]) for b in blocks])
    values = np.array([centre(b[0]) for b in blocks])
    grid = np.linspace(0.0, 100.0, knots)
    curve = np.interp(grid, centres, values)
    curve = np.maximum.accumulate(np.clip(curve, 0.0, 100.0))
    return tuple(round(float(v), 1) for v in curve)


# The Chinese curve follows the median, read every 10 raw points: the error a user sees is absolute,
# and a median is not dragged by the few replies scored far off. Measured on the dev set (CV by
# question) against the mean read every 20 points: r 0.836 -> 0.839, MAE 13.9 -> 12.8, pass/fail
# 0.861 -> 0.882; held-out r 0.855 -> 0.852, MAE 12.2 -> 12.2. English keeps the mean: Mohler's
# coarse half-point gold pools into flat steps (its r 0.616 -> 0.606, MAE 20.6 -> 28.9).
ZH_CURVE: dict[str, Any] = {"knots": 11, "median": True}


def _folds(replies: Sequence[DevReply], folds: int, seed: int) -> dict[str, int]:
    groups = sorted({r.question_id for r in replies})
    np.random.default_rng(seed).shuffle(groups)
    return {g: i % folds for i, g in enumerate(groups)}


def cross_validated(
    features: Sequence[ReplyFeatures],
    replies: Sequence[DevReply],
    params: LanguageParams,
    *,
    use: Sequence[str],
    folds: int = 5,
    seed: int = 0,
    curve: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """0-1 scores, each predicted with weights (and, given `curve`, the score curve, with those
    `fit_curve` options) fitted on the other folds' questions."""
    x = _matrix(features, params)
    y = np.array([r.target for r in replies])
    fold_of = _folds(replies, folds, seed)
    predicted = np.zeros(len(replies))
    for fold in range(folds):
        train = np.array([fold_of[r.question_id] != fold for r in replies])
        weights = _fit(x[train], y[train], use)
        if curve is not None:
            weights = weights.model_copy(update={"curve": fit_curve(_predict(x[train], weights), y[train], **curve)})
        fitted = params.model_copy(update={"score": weights.model_copy(update=_rules(params))})
        for i in np.flatnonzero(~train):
            predicted[i] = combine(features[i], fitted)[0] / 100.0
    return predicted


def fit_point_params(
    features: Sequence[ReplyFeatures], replies: Sequence[DevReply], params: LanguageParams, *, use: Sequence[str]
) -> tuple[PointParams, float]:
    """Grid-search how a point's similarity and keywords become its score, and the relevance gate,
    by the cross-validated Pearson r of the whole score. The current parameters stay unless another
    grid point beats them by `POINT_PARAMS_GAIN`: the statuses users see (✓/～/✗) should not move
    for noise."""
    y = np.array([r.target for r in replies])
    current = pearson(cross_validated(features, replies, params, use=use), y)
    best = (params.point, current + POINT_PARAMS_GAIN)
    for keyword, floor, ceiling, covered, gate_floor, gate_span in itertools.product(
        (0.5, 0.65, 0.8), (0.35, 0.45, 0.55), (0.6, 0.7, 0.8), (0.3, 0.5), (0.3, 0.4), (0.0, 0.2, 0.3)
    ):
        if ceiling <= floor + 0.1:
            continue
        point = params.point.model_copy(
            update={
                "keyword": keyword, "sim_floor": floor, "sim_ceiling": ceiling, "covered": covered,
                "partly": round(covered * 0.6, 2), "gate_floor": gate_floor, "gate_span": gate_span,
            }
        )  # fmt: skip
        trial = params.model_copy(update={"point": point})
        r = pearson(cross_validated(features, replies, trial, use=use), y)
        if r > best[1] + 1e-4:
            best = (point, r)
    return best


def pearson(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.corrcoef(np.asarray(a, dtype=float), np.asarray(b, dtype=float))[0, 1])


def _ordering(replies: Sequence[DevReply], values: Sequence[float]) -> tuple[float, list[str]]:
    """Share of same-question pairs ordered right: excellent and good > partial > wrong and off-topic."""
    right, total, wrong = 0, 0, []
    by_question: dict[str, list[tuple[DevReply, float]]] = {}
    for reply, value in zip(replies, values):
        by_question.setdefault(reply.question_id, []).append((reply, value))
    for question, items in by_question.items():
        for (a, va), (b, vb) in itertools.combinations(items, 2):
            if a.kind not in _ORDER or b.kind not in _ORDER or _ORDER[a.kind] == _ORDER[b.kind]:
                continue
            total += 1
            high, low = ((a, va), (b, vb)) if _ORDER[a.kind] > _ORDER[b.kind] else ((b, vb), (a, va))
            if high[1] > low[1]:
                right += 1
            else:
                wrong.append(f"{question}: {high[0].kind} {high[1]:.0f} <= {low[0].kind} {low[1]:.0f}")
    return (right / total if total else 0.0), wrong


def report(replies: Sequence[DevReply], predicted: Sequence[float], *, pass_line: float) -> dict[str, object]:
    """Pearson r, mean absolute error (points of 100), ordering and pass/fail agreement, medians by kind.

    `predicted` is 0-1; `pass_line` is on the 0-100 scale (the 良好 threshold).
    """
    values = np.asarray(predicted, dtype=float) * 100.0
    gold = np.array([r.target for r in replies]) * 100.0
    ordering, misordered = _ordering(replies, values)
    out: dict[str, object] = {
        "replies": len(replies),
        "questions": len({r.question_id for r in replies}),
        "pearson_r": round(pearson(values, gold), 4),
        "mae": round(float(np.mean(np.abs(values - gold))), 2),
        "pass_fail_agreement": round(float(np.mean((values >= pass_line) == (gold >= pass_line))), 4),
    }
    if any(r.kind for r in replies):
        if any(r.kind in _ORDER for r in replies):  # English replies alone have no order of kinds
            out["ordering"] = round(ordering, 4)
        out["median_score"] = {
            kind: round(float(np.median([v for r, v in zip(replies, values) if r.kind == kind])), 1)
            for kind in KINDS
            if any(r.kind == kind for r in replies)
        }
        out["median_gold"] = {
            kind: round(float(np.median([g for r, g in zip(replies, gold) if r.kind == kind])), 1)
            for kind in KINDS
            if any(r.kind == kind for r in replies)
        }
        if any(r.kind == "english" for r in replies):
            out["english_by_band"] = _english_by_band(replies, values, gold)
        out["misordered"] = misordered[:20]
    return out


def _english_by_band(replies: Sequence[DevReply], values: np.ndarray, gold: np.ndarray) -> dict[str, dict[str, float]]:
    """English replies (of any quality) by the band of their fair score: good (>= 65), partial (30-65),
    wrong or off topic (< 30), each with the mean score given and the mean fair score."""
    bands = {"good": (65.0, 101.0), "partial": (30.0, 65.0), "wrong_or_off_topic": (0.0, 30.0)}
    english = np.array([r.kind == "english" for r in replies])
    out = {}
    for band, (low, high) in bands.items():
        chosen = english & (gold >= low) & (gold < high)
        if chosen.any():
            out[band] = {
                "replies": int(chosen.sum()),
                "mean_score": round(float(values[chosen].mean()), 1),
                "mean_gold": round(float(gold[chosen].mean()), 1),
            }
    return out


def evaluate(grader: Grader, replies: Sequence[DevReply], language: str) -> dict[str, object]:
    """Figures of the grader as configured (no fitting)."""
    params = grader.params(language)
    features = features_for(grader, replies)
    values = [combine(f, params)[0] / 100.0 for f in features]
    return report(replies, values, pass_line=params.verdicts.good)


def calibrate_zh(
    grader: Grader, replies: Sequence[DevReply], *, holdout: Sequence[DevReply] = ()
) -> tuple[LanguageParams, dict[str, object]]:
    """Fit the Chinese point parameters and score weights on the dev set; report cross-validated
    figures (by question), and the held-out set's figures with the final weights."""
    params = grader.params("zh")
    features = features_for(grader, replies)
    point, _ = fit_point_params(features, replies, params, use=ZH_FEATURES)
    params = params.model_copy(update={"point": point})
    predicted = cross_validated(features, replies, params, use=ZH_FEATURES, curve=ZH_CURVE)
    y = np.array([r.target for r in replies])
    weights = fit_score_weights(features, y, params, use=ZH_FEATURES)
    curve = fit_curve(_predict(_matrix(features, params), weights), y, **ZH_CURVE)
    weights = weights.model_copy(update={"curve": curve, **_rules(params)})
    params = params.model_copy(update={"score": weights})
    out: dict[str, object] = {"cross_validated": report(replies, predicted, pass_line=params.verdicts.good)}
    if holdout:
        held = features_for(grader, holdout)
        out["holdout"] = report(holdout, [combine(f, params)[0] / 100.0 for f in held], pass_line=params.verdicts.good)
    return params, out


def calibrate_en(
    grader: Grader,
    rows: Sequence[DevReply],
    *,
    fair: Sequence[DevReply] = (),
    fair_holdout: Sequence[DevReply] = (),
    fair_grader: Grader | None = None,
) -> tuple[LanguageParams, dict[str, object]]:
    """Fit the English parameters on Mohler (`rows`; 5-fold cross-validation by question reported)
    with a relevance gate, so that an unrelated reply (`UNRELATED_EN`, to every Mohler question)
    scores under UNRELATED_MAX; then, given English replies scored on the fair scale (`fair`, graded
    by `fair_grader`, by default `grader`), the scale (see FAIR_WEIGHTS). `fair_holdout` is only
    measured."""
    params = grader.params("en")
    if not params.score.demoted_cosine:  # the demoted cosine must be computed to be weighed
        weighed = params.score.model_copy(update={"demoted_cosine": 1.0})
        grader.settings = grader.settings.model_copy(update={"en": params.model_copy(update={"score": weighed})})
        if fair_grader is not None:
            fair_grader.settings = grader.settings
    features = features_for(grader, rows)
    questions = {r.reference.question: r.reference for r in rows}
    unrelated = features_for(grader, [DevReply("", q, "", t, 0.0) for q in questions.values() for t in UNRELATED_EN])
    y = np.array([r.target for r in rows])
    best: tuple[tuple[bool, float, float], float, LanguageParams, float] | None = None
    # The gate spares any reply that shares a word with the question or the reference: Mohler's
    # graders give half marks to short, barely related answers; "banana" shares nothing, and a reply
    # whose words the field does not know at all meets a higher floor.
    unknown_floors = (None, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3)
    for gate_floor, gate_span, unknown in itertools.product((0.1, 0.15, 0.2, 0.25), (0.1, 0.2), unknown_floors):
        gate = {"gate_floor": gate_floor, "gate_span": gate_span, "gate_overlap": True, "gate_unknown_floor": unknown}
        trial = params.model_copy(update={"point": params.point.model_copy(update=gate)})
        r = pearson(cross_validated(features, rows, trial, use=EN_FEATURES), y)
        weights = fit_score_weights(features, y, trial, use=EN_FEATURES)
        trial = trial.model_copy(update={"score": weights.model_copy(update=_rules(trial))})
        worst = max(combine(f, trial)[0] for f in unrelated)
        # Within 0.001 of r, the gate that keeps unrelated replies lowest (the calibration set is small).
        key = (worst < UNRELATED_MAX, round(r, 3), -worst)
        if best is None or key > best[0]:
            best = (key, r, trial, worst)
    assert best is not None
    _, r, params, worst = best
    scale: dict[str, object] = {}
    if fair:
        fair_features = features_for(fair_grader or grader, fair)
        params, r, scale = _fit_fair_scale(features, rows, fair_features, fair, unrelated, params, r)
        worst = max(combine(f, params)[0] for f in unrelated)
        if fair_holdout:
            held = features_for(fair_grader or grader, fair_holdout)
            scale["holdout"] = report(fair_holdout, [combine(f, params)[0] / 100.0 for f in held], pass_line=params.verdicts.good)
    values = [combine(f, params)[0] / 100.0 for f in features]
    out = report(rows, values, pass_line=params.verdicts.good)
    out["grouped_5fold_cv_pearson_r"] = round(r, 4)
    out["unrelated_max"] = round(worst, 1)
    if scale:
        out["fair_scale"] = scale
    return params, out


def _fit_fair_scale(
    features: Sequence[ReplyFeatures],
    rows: Sequence[DevReply],
    fair_features: Sequence[ReplyFeatures],
    fair: Sequence[DevReply],
    unrelated: Sequence[ReplyFeatures],
    params: LanguageParams,
    mohler_r: float,
) -> tuple[LanguageParams, float, dict[str, object]]:
    """The English weights and curve on the fair scale (see FAIR_WEIGHTS): the parameters, Mohler's
    cross-validated r with them, and the fair replies' cross-validated report."""
    x, fx = _matrix(features, params), _matrix(fair_features, params)
    y, fy = np.array([r.target for r in rows]), np.array([r.target for r in fair])
    folds, fair_folds = _folds(rows, 5, 0), _folds(fair, 5, 0)
    by_fold = np.array([folds[r.question_id] for r in rows])
    fair_by_fold = np.array([fair_folds[r.question_id] for r in fair])

    def fitted(weight: float, blend: float, train: np.ndarray, fair_train: np.ndarray) -> LanguageParams:
        root = np.sqrt(weight)
        weights = _fit(np.vstack([x[train], fx[fair_train] * root]), np.r_[y[train], fy[fair_train] * root], EN_FEATURES)
        curve = fit_curve(_predict(fx[fair_train], weights), fy[fair_train]) if blend else ()
        identity = np.linspace(0.0, 100.0, len(curve))
        curve = tuple(round(float(blend * c + (1.0 - blend) * i), 1) for c, i in zip(curve, identity))
        return params.model_copy(update={"score": weights.model_copy(update={"curve": curve, **_rules(params)})})

    every, every_fair = np.ones(len(rows), bool), np.ones(len(fair), bool)
    best: tuple[float, float, LanguageParams, np.ndarray, float, float] | None = None
    for weight, blend in itertools.product(FAIR_WEIGHTS, CURVE_BLENDS):
        predicted, fair_predicted = np.zeros(len(rows)), np.zeros(len(fair))
        for fold in range(5):
            trial = fitted(weight, blend, by_fold != fold, every_fair)
            for i in np.flatnonzero(by_fold == fold):
                predicted[i] = combine(features[i], trial)[0] / 100.0
            trial = fitted(weight, blend, every, fair_by_fold != fold)
            for i in np.flatnonzero(fair_by_fold == fold):
                fair_predicted[i] = combine(fair_features[i], trial)[0] / 100.0
        r = pearson(predicted, y)
        final = fitted(weight, blend, every, every_fair)
        if r < MOHLER_FLOOR or max((combine(f, final)[0] for f in unrelated), default=0.0) >= UNRELATED_MAX:
            continue
        mae = float(np.mean(np.abs(fair_predicted - fy)))
        if best is None or mae < best[0] - 1e-9:
            best = (mae, r, final, fair_predicted, weight, blend)
    if best is None:  # no pair keeps Mohler's order: Mohler's scale, as without fair replies
        return params, mohler_r, {}
    _, r, final, fair_predicted, weight, blend = best
    scale: dict[str, object] = {
        "fair_weight": weight,
        "curve_blend": blend,
        "cross_validated": report(fair, fair_predicted, pass_line=params.verdicts.good),
    }
    return final, r, scale


def mohler_idf(rows: Sequence[DevReply], glossary: Glossary) -> Idf:
    """Keyword weights for Mohler: IDF over its 80 reference answers (its "bank")."""
    return Idf.from_texts(sorted({r.reference.answer for r in rows}), glossary)
