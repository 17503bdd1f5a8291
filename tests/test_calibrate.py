"""Pieces of the score that calibration relies on: the curve fitted by `mockbot grading calibrate`
(monotone, on the 0-100 scale, through the mean fair score at each raw score), the relevance gate,
the lower similarity floors of a reply in the other language, and the English scale (fair replies
set it, Mohler's order is kept)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from grading import calibrate as cal
from grading.calibrate import ZH_CURVE, DevReply, fit_curve
from grading.prepared import PointFeatures, ReplyFeatures
from grading.reference import Reference
from grading.score import apply_curve, combine, point_score, relevance_gate
from grading.settings import CALIBRATED_EN, CALIBRATED_ZH, LanguageParams, ScoreWeights


def test_curve_is_monotone_on_the_scale_even_when_the_targets_are_not() -> None:
    rng = np.random.default_rng(7)
    raw = rng.uniform(0.0, 1.0, 400)
    target = np.clip(raw + rng.normal(0.0, 0.25, 400), 0.0, 1.0)
    curve = fit_curve(raw, target)
    assert len(curve) == 6  # one value every 20 raw points: a smooth map
    assert len(fit_curve(raw, target, **ZH_CURVE)) == 11
    assert all(0.0 <= v <= 100.0 for v in curve)
    assert all(a <= b for a, b in zip(curve, curve[1:]))
    assert apply_curve(0.0, curve) == curve[0] and apply_curve(100.0, curve) == curve[-1]


def test_curve_stretches_scores_back_onto_the_fair_scale() -> None:
    # A least-squares fit squeezes the scores: raw 40 and 60 are fair 10 and 90.
    raw = np.array([0.4] * 10 + [0.6] * 10)
    target = np.array([0.1] * 10 + [0.9] * 10)
    curve = fit_curve(raw, target)
    assert apply_curve(40.0, curve) == 10.0
    assert apply_curve(60.0, curve) == 90.0


def test_curve_follows_the_median_not_a_few_replies_far_off() -> None:
    # Nine replies at raw 70 are fair 80, one is fair 0: the median curve says 80 there (the mean
    # says 72 and misses all ten), so the error users see is the smallest it can be.
    raw = np.array([0.3] * 10 + [0.7] * 10)
    target = np.array([0.2] * 10 + [0.8] * 9 + [0.0])
    curve = fit_curve(raw, target, **ZH_CURVE)
    assert apply_curve(70.0, curve) == 80.0 and apply_curve(30.0, curve) == 20.0
    assert apply_curve(70.0, fit_curve(raw, target, knots=11)) == 72.0  # the mean


def test_curve_pools_a_dip_instead_of_going_down() -> None:
    raw = np.array([0.2, 0.4, 0.6, 0.8])
    target = np.array([0.2, 0.7, 0.5, 0.9])  # 70 then 50: not monotone
    curve = fit_curve(raw, target)
    assert all(a <= b for a, b in zip(curve, curve[1:]))
    # 70 and 50 are pooled into one block (median 60 at raw 50): raw 40 gets less than its 70,
    # raw 60 more than its 50.
    assert apply_curve(40.0, curve) < 60.0 < apply_curve(60.0, curve) < 90.0


def _features(relevance: float, recall: float) -> ReplyFeatures:
    point = PointFeatures(keyword_coverage=recall, similarity=relevance, contradicted=False)
    return ReplyFeatures((point,), recall, cosine=relevance, demoted_cosine=0.0, shortness=1.0, contradiction=0.0, relevance=relevance)


def test_the_relevance_gate_opens_for_similarity_or_for_the_references_words() -> None:
    params = CALIBRATED_ZH.model_copy(update={"point": CALIBRATED_ZH.point.model_copy(update={"gate_recall": 0.3})})
    floor, span = params.point.gate_floor, params.point.gate_span
    assert relevance_gate(_features(floor, 0.0), params) == 0.0  # off the subject: scored 0
    assert relevance_gate(_features(floor + span, 0.0), params) == pytest.approx(1.0)
    assert relevance_gate(_features(floor, 0.3), params) == 1.0  # the reference's words, said
    assert relevance_gate(_features(floor, 0.15), params) == 0.5
    without = params.model_copy(update={"point": params.point.model_copy(update={"gate_recall": 0.0})})
    assert relevance_gate(_features(floor, 0.3), without) == 0.0


def test_the_relevance_gate_opens_for_a_reply_whose_known_words_are_the_subjects() -> None:
    # A terse reply on the subject ("可以并行") is as far from the points as another question's answer.
    assert CALIBRATED_ZH.point.gate_precision is not None
    low, full = CALIBRATED_ZH.point.gate_precision
    off_the_subject = _features(CALIBRATED_ZH.point.gate_floor, 0.0)

    def gate(precision: float, params: LanguageParams = CALIBRATED_ZH) -> float:
        return relevance_gate(replace(off_the_subject, precision=precision), params)

    assert gate(0.0) == 0.0 and gate(low) == 0.0
    assert gate((low + full) / 2) == pytest.approx(0.5)
    assert gate(full) == gate(1.0) == 1.0
    unused = CALIBRATED_ZH.model_copy(update={"point": CALIBRATED_ZH.point.model_copy(update={"gate_precision": None})})
    assert gate(1.0, unused) == 0.0


def test_a_reply_in_the_other_language_meets_similarity_floors_lowered_by_the_foreign_shift() -> None:
    params = CALIBRATED_ZH
    shift = params.point.foreign_shift
    assert shift > 0
    point = PointFeatures(keyword_coverage=0.0, similarity=params.point.sim_floor + 0.05, contradicted=False, keywords=0)
    native, foreign = point_score(point, params), point_score(point, params, foreign=True)
    span = params.point.sim_ceiling - params.point.sim_floor
    assert native == pytest.approx(0.05 / span) and foreign == pytest.approx((0.05 + shift) / span)
    at_floor = ReplyFeatures((point,), 0.0, 0.0, 0.0, 1.0, 0.0, relevance=params.point.gate_floor)
    assert relevance_gate(at_floor, params) == 0.0
    assert relevance_gate(replace(at_floor, foreign=True), params) == pytest.approx(shift / params.point.gate_span)
    unshifted = params.model_copy(update={"point": params.point.model_copy(update={"foreign_shift": 0.0})})
    assert point_score(point, unshifted, foreign=True) == native


def _rows(targets: np.ndarray, prefix: str) -> list[DevReply]:
    reference = Reference("q", "a")
    return [DevReply(f"{prefix}{i % 20}", reference, "", "", float(t)) for i, t in enumerate(targets)]


def _english(cosines: np.ndarray) -> list[ReplyFeatures]:
    return [replace(_features(float(c), float(c)), overlap=True) for c in cosines]


def test_the_english_scale_comes_from_the_fair_replies_while_mohlers_order_is_kept() -> None:
    rng = np.random.default_rng(3)
    # Mohler's graders: half marks for an answer on the subject however wrong; a fair interviewer
    # gives it nothing. Both order the replies by the same evidence.
    mohler_cos, fair_cos = rng.uniform(0.2, 0.9, 600), rng.uniform(0.2, 0.9, 200)
    mohler = np.clip(0.5 + 0.6 * (mohler_cos - 0.2) + rng.normal(0.0, 0.12, 600), 0.0, 1.0)
    fair = np.clip(2.2 * (fair_cos - 0.45) + rng.normal(0.0, 0.08, 200), 0.0, 1.0)
    rows, fair_rows = _rows(mohler, "m"), _rows(fair, "f")
    features, fair_features = _english(mohler_cos), _english(fair_cos)
    unrelated = [ReplyFeatures((PointFeatures(0.0, 0.0, False),), 0.0, 0.0, 0.0, 0.0, 0.0)]
    params = CALIBRATED_EN.model_copy(update={"score": ScoreWeights(intercept=0.5, cosine=0.5, pass_core_share=0.0)})
    mohler_only = params.model_copy(update={"score": cal._fit(cal._matrix(features, params), mohler, cal.EN_FEATURES)})

    fitted, r, scale = cal._fit_fair_scale(features, rows, fair_features, fair_rows, unrelated, params, 0.7)

    def mae(p: LanguageParams) -> float:
        return float(np.mean([abs(combine(f, p)[0] / 100.0 - t) for f, t in zip(fair_features, fair)]))

    assert r >= cal.MOHLER_FLOOR and scale["curve_blend"] > 0.0 and fitted.score.curve
    assert scale["cross_validated"]["mae"] < 100.0 * mae(mohler_only) - 10.0  # the wrong ones no longer get half marks
    assert combine(_english(np.array([0.3]))[0], fitted)[0] < combine(_english(np.array([0.3]))[0], mohler_only)[0] - 20.0
    assert combine(unrelated[0], fitted)[0] < cal.UNRELATED_MAX


def test_without_a_pair_that_keeps_mohlers_order_the_english_scale_stays_mohlers() -> None:
    rng = np.random.default_rng(4)
    mohler_cos, fair_cos = rng.uniform(0.2, 0.9, 300), rng.uniform(0.2, 0.9, 100)
    noise = rng.uniform(0.0, 1.0, 300)  # Mohler's scores unrelated to the evidence: no r reaches the floor
    rows, fair_rows = _rows(noise, "m"), _rows(np.clip(2.0 * (fair_cos - 0.4), 0.0, 1.0), "f")
    params = CALIBRATED_EN
    fitted, r, scale = cal._fit_fair_scale(_english(mohler_cos), rows, _english(fair_cos), fair_rows, [], params, 0.123)
    assert (fitted, r, scale) == (params, 0.123, {})
