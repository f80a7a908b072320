"""Pose metrics, SumCount and the continual-learning figures, against hand-computed values."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest
import torch

from lifelong_pose.metrics import (
    AUC_THRESHOLDS,
    FIGURES,
    PCK_THRESHOLD,
    SumCount,
    adaptation_gain,
    auc,
    average_over_time,
    backward_transfer,
    check_matrix,
    figure_lower_is_better,
    final_average,
    forgetting,
    format_mean_std,
    forward_transfer,
    mean_std,
    mpjpe,
    n_mpjpe,
    pa_mpjpe,
    pck,
    summarize,
)

POSE_METRICS = {"mpjpe": mpjpe, "pa_mpjpe": pa_mpjpe, "pck": pck, "auc": auc}
# the evaluated metrics and the diagnostic one share the shape checks and batching
SHAPE_CHECKED = {**POSE_METRICS, "n_mpjpe": n_mpjpe}
DTYPES = [torch.float32, torch.float64]


def _hand_pair(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """2 poses of 3 joints, metres; target at the origin, so pred holds the error vectors."""
    pred = torch.tensor(
        [
            [[0.3, 0.4, 0.0], [0.0, 0.0, 0.0], [0.0, 0.06, 0.08]],  # errors 0.5 (3-4-5), 0, 0.1 (6-8-10)
            [[0.03, 0.0, 0.04], [0.0, 0.0, 0.15], [0.12, 0.0, 0.16]],  # errors 0.05, 0.15 (exact), 0.2
        ],
        dtype=dtype,
    )
    return pred, torch.zeros_like(pred)


def _random_pose(*batch: int, joints: int = 17, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return 0.3 * torch.randn(*batch, joints, 3, generator=g, dtype=torch.float64)


def _random_rotation(seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=torch.float64))
    if torch.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _videopose3d_p_mpjpe(predicted: np.ndarray, target: np.ndarray) -> np.ndarray:
    """VideoPose3D ``common/loss.py`` ``p_mpjpe``, kept per pose instead of averaged: a reference."""
    mu_x = np.mean(target, axis=1, keepdims=True)
    mu_y = np.mean(predicted, axis=1, keepdims=True)
    x0 = target - mu_x
    y0 = predicted - mu_y
    norm_x = np.sqrt(np.sum(x0**2, axis=(1, 2), keepdims=True))
    norm_y = np.sqrt(np.sum(y0**2, axis=(1, 2), keepdims=True))
    x0 /= norm_x
    y0 /= norm_y
    u, s, vt = np.linalg.svd(np.matmul(x0.transpose(0, 2, 1), y0))
    v = vt.transpose(0, 2, 1)
    r = np.matmul(v, u.transpose(0, 2, 1))
    sign_det_r = np.sign(np.expand_dims(np.linalg.det(r), axis=1))
    v[:, :, -1] *= sign_det_r
    s[:, -1] *= sign_det_r.flatten()
    r = np.matmul(v, u.transpose(0, 2, 1))
    tr = np.expand_dims(np.sum(s, axis=1, keepdims=True), axis=2)
    a = tr * norm_x / norm_y
    t = mu_x - a * np.matmul(mu_y, r)
    aligned = a * np.matmul(predicted, r) + t
    return np.mean(np.linalg.norm(aligned - target, axis=-1), axis=-1)


# --- pose metrics: hand-computed cases ------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_mpjpe_hand_values(dtype: torch.dtype) -> None:
    pred, target = _hand_pair(dtype)
    out = mpjpe(pred, target)
    # pose 0: (0.5 + 0 + 0.1) / 3 = 0.2; pose 1: (0.05 + 0.15 + 0.2) / 3 = 0.4 / 3
    expected = torch.tensor([0.2, 0.4 / 3], dtype=dtype)
    assert out.shape == (2,) and out.dtype == dtype
    torch.testing.assert_close(out, expected)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_pck_hand_values_threshold_inclusive(dtype: torch.dtype) -> None:
    pred, target = _hand_pair(dtype)
    assert PCK_THRESHOLD == 0.150
    # pose 0: 0.5 > 0.15 no, 0 yes, 0.1 yes -> 2/3; pose 1: 0.05 yes, 0.15 yes (<=, at the threshold), 0.2 no -> 2/3
    torch.testing.assert_close(pck(pred, target), torch.tensor([2 / 3, 2 / 3], dtype=dtype))
    # threshold 0.149 drops the joint at exactly 0.15: pose 1 -> 1/3
    torch.testing.assert_close(pck(pred, target, threshold=0.149), torch.tensor([2 / 3, 1 / 3], dtype=dtype))
    # threshold 0.5: pose 0's 3-4-5 joint is at most one rounding step from 0.5, so test a clear margin
    torch.testing.assert_close(pck(pred, target, threshold=0.51), torch.tensor([1.0, 1.0], dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_auc_hand_values(dtype: torch.dtype) -> None:
    assert AUC_THRESHOLDS.shape == (31,)
    torch.testing.assert_close(AUC_THRESHOLDS, torch.linspace(0, 0.150, 31, dtype=torch.float64))
    target = torch.zeros(3, 4, 3, dtype=dtype)
    pred = torch.zeros_like(target)
    # pose 0: every joint off by exactly 0.075 m along x. Thresholds 0, 0.005, ..., 0.150; the joint
    # counts at 0.075, 0.080, ..., 0.150: (0.150 - 0.075) / 0.005 + 1 = 16 of 31 -> AUC = 16/31.
    pred[0, :, 0] = 0.075
    # pose 1: errors 0, 0.1, 0.2, 0 -> counts 31 (all), 11 (0.100..0.150), 0, 31 -> (31 + 11 + 0 + 31) / (4 * 31)
    pred[1, :, 1] = torch.tensor([0.0, 0.1, 0.2, 0.0], dtype=dtype)
    # pose 2: all errors 0.151 -> above every threshold -> 0
    pred[2, :, 2] = 0.151
    expected = torch.tensor([16 / 31, 73 / 124, 0.0], dtype=dtype)
    torch.testing.assert_close(auc(pred, target), expected)


def test_auc_is_mean_pck_over_thresholds_and_custom_thresholds() -> None:
    pred, target = _random_pose(64, seed=1) * 0.3, torch.zeros(64, 17, 3, dtype=torch.float64)
    by_definition = torch.stack([pck(pred, target, threshold=float(t)) for t in AUC_THRESHOLDS]).mean(dim=0)
    torch.testing.assert_close(auc(pred, target), by_definition)
    # unsorted custom thresholds: one pose, errors 0.1 (x3 joints); thresholds {0.2, 0.05, 0.1} -> 2 of 3 count
    errors = torch.zeros(1, 3, 3, dtype=torch.float64)
    errors[..., 0] = 0.1
    out = auc(errors, torch.zeros_like(errors), thresholds=torch.tensor([0.2, 0.05, 0.1]))
    torch.testing.assert_close(out, torch.tensor([2 / 3], dtype=torch.float64))


def test_pa_mpjpe_zero_for_similarity_copy() -> None:
    target = _random_pose(8, seed=2)
    pred = 1.7 * target @ _random_rotation(3) + torch.tensor([0.5, -1.0, 4.0], dtype=torch.float64)
    torch.testing.assert_close(pa_mpjpe(pred, target), torch.zeros(8, dtype=torch.float64), atol=1e-12, rtol=0)
    assert (mpjpe(pred, target) > 0.1).all()
    out32 = pa_mpjpe(pred.float(), target.float())
    assert out32.dtype == torch.float32
    torch.testing.assert_close(out32, torch.zeros(8), atol=1e-5, rtol=0)


def test_pa_mpjpe_matches_videopose3d_and_is_at_most_mpjpe() -> None:
    pred, target = _random_pose(256, seed=4), _random_pose(256, seed=5)
    out = pa_mpjpe(pred, target)
    reference = _videopose3d_p_mpjpe(pred.numpy().copy(), target.numpy().copy())
    np.testing.assert_allclose(out.numpy(), reference, rtol=1e-10, atol=1e-12)
    # identity is one of the candidate transforms, so the optimum can only be lower
    assert (out <= mpjpe(pred, target) + 1e-12).all()


def test_pa_mpjpe_reflection_is_not_aligned_away() -> None:
    # Labelled non-coplanar joints: a proper rotation taking them onto their mirror image would, combined
    # with the mirror, be an improper transform fixing 3 independent vectors, which cannot exist.
    target = torch.tensor([[[1.0, 1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]]]) * 0.1
    mirrored = target * torch.tensor([-1.0, 1.0, 1.0])
    assert pa_mpjpe(mirrored, target).item() > 0.05
    assert pa_mpjpe(target, target).item() < 1e-6


def test_pa_mpjpe_degenerate_pose_is_finite() -> None:
    target = torch.tensor([[[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]])
    point = torch.full_like(target, 0.3)  # all joints at one point
    # a point has no rotation or scale: it aligns to the target's centroid (0, 0, 0); distances 1, 1, 0 -> 2/3
    torch.testing.assert_close(pa_mpjpe(point, target), torch.tensor([2 / 3]))
    torch.testing.assert_close(pa_mpjpe(target, point), torch.tensor([0.0]), atol=1e-7, rtol=0)
    zeros = torch.zeros(2, 17, 3)
    assert torch.equal(pa_mpjpe(zeros, zeros), torch.zeros(2))


@pytest.mark.parametrize("name", list(SHAPE_CHECKED))
def test_batched_shapes_match_flat(name: str) -> None:
    metric = SHAPE_CHECKED[name]
    pred, target = _random_pose(4, 5, seed=6), _random_pose(4, 5, seed=7)
    out = metric(pred, target)
    assert out.shape == (4, 5) and out.dtype == torch.float64
    flat = metric(pred.reshape(20, 17, 3), target.reshape(20, 17, 3))
    torch.testing.assert_close(out, flat.reshape(4, 5))
    single = metric(pred[2, 3], target[2, 3])
    assert single.shape == ()
    torch.testing.assert_close(single, out[2, 3])


@pytest.mark.parametrize("name", list(SHAPE_CHECKED))
def test_bad_inputs_raise(name: str) -> None:
    metric = SHAPE_CHECKED[name]
    ok = torch.zeros(2, 17, 3)
    with pytest.raises(ValueError, match=r"same shape.*\(2, 17, 3\).*\(2, 16, 3\)"):
        metric(ok, torch.zeros(2, 16, 3))
    with pytest.raises(ValueError, match=r"\(\.\.\., J, 3\).*\(2, 17, 2\)"):
        metric(torch.zeros(2, 17, 2), torch.zeros(2, 17, 2))
    with pytest.raises(ValueError, match=r"at least 2 dims.*\(3,\)"):
        metric(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match=r"at least one joint"):
        metric(torch.zeros(2, 0, 3), torch.zeros(2, 0, 3))
    with pytest.raises(ValueError, match=r"floating-point.*torch.int64"):
        metric(ok.long(), ok.long())
    with pytest.raises(TypeError, match=r"torch tensors.*ndarray"):
        metric(np.zeros((2, 17, 3)), ok)


def test_n_mpjpe_hand_computed() -> None:
    # s = <pred, target> / <pred, pred> = 2 / 5; s * pred = (0.8, 0, 0), (0, 0.4, 0): errors 0.2 and 0.4
    target = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]], dtype=torch.float64)
    pred = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=torch.float64)
    torch.testing.assert_close(n_mpjpe(pred, target), torch.tensor([0.3], dtype=torch.float64))
    # a prediction of the right pose at the wrong size costs nothing; MPJPE charges it in full
    torch.testing.assert_close(n_mpjpe(1.4 * target, target), torch.tensor([0.0], dtype=torch.float64))
    torch.testing.assert_close(mpjpe(1.4 * target, target), torch.tensor([0.2], dtype=torch.float64))
    # an all-zero prediction: s = 0, the error is the target's mean distance from the origin, not NaN
    torch.testing.assert_close(n_mpjpe(torch.zeros_like(target), target), torch.tensor([0.5], dtype=torch.float64))


def test_n_mpjpe_ignores_the_predicted_size_only() -> None:
    pred, target = _random_pose(64, seed=11), _random_pose(64, seed=12)
    # any size of the same prediction fits to the same pose
    torch.testing.assert_close(n_mpjpe(3.0 * pred, target), n_mpjpe(pred, target))
    # a prediction already at its best size is charged what MPJPE charges it
    best = pred * (pred * target).sum(dim=(-2, -1), keepdim=True) / pred.pow(2).sum(dim=(-2, -1), keepdim=True)
    torch.testing.assert_close(n_mpjpe(best, target), mpjpe(best, target))
    # a rotation is not fitted: a turned copy keeps an error
    turned = target[..., [1, 0, 2]] * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    assert bool((n_mpjpe(turned, target) > 1e-3).all())


def test_auc_bad_thresholds_raise() -> None:
    x = torch.zeros(2, 17, 3)
    with pytest.raises(ValueError, match=r"non-empty 1-D.*\(0,\)"):
        auc(x, x, thresholds=torch.tensor([]))
    with pytest.raises(ValueError, match=r"non-empty 1-D.*\(2, 2\)"):
        auc(x, x, thresholds=torch.zeros(2, 2))


# --- SumCount ----------------------------------------------------------------------------------------


def test_sum_count_is_not_mean_of_means() -> None:
    acc = SumCount()
    assert acc.count == 0 and np.isnan(acc.result())
    batches = [torch.tensor([1.0, 2.0, 3.0]), torch.tensor([10.0]), torch.tensor([[4.0, 5.0], [6.0, 7.0]])]
    for batch in batches:
        acc.update(batch)
    acc.update(torch.tensor([]))  # an empty batch changes nothing
    # sum = 1 + 2 + 3 + 10 + 4 + 5 + 6 + 7 = 38 over count = 3 + 1 + 4 = 8 -> 4.75
    assert acc.count == 8
    assert acc.result() == pytest.approx(38 / 8)
    # the mean of batch means, (2 + 10 + 5.5) / 3 = 5.833..., is the wrong answer
    mean_of_means = sum(b.mean().item() for b in batches) / len(batches)
    assert mean_of_means == pytest.approx(17.5 / 3) and mean_of_means != pytest.approx(acc.result())
    acc.reset()
    assert acc.count == 0 and np.isnan(acc.result())
    acc.update(torch.tensor([2.0, 4.0]))
    assert acc.result() == 3.0


def test_sum_count_sums_in_float64() -> None:
    acc = SumCount()
    values = torch.full((1_000_000,), 0.1)
    for chunk in values.split(1000):
        acc.update(chunk)
    # float32 sums of a million 0.1s drift visibly; the float64 sum gives float32(0.1) back
    assert acc.result() == pytest.approx(float(torch.tensor(0.1)), rel=1e-12)
    with pytest.raises(TypeError, match="torch tensor"):
        acc.update([1.0, 2.0])  # type: ignore[arg-type]


# --- matrix figures ------------------------------------------------------------------------------------

# Errors (mm, lower is better), T = 2; rows: after source, after domain 1, after domain 2.
R_ERR = np.array(
    [
        [50.0, 80.0, 90.0],
        [45.0, 60.0, 85.0],
        [58.0, 70.0, 65.0],
    ]
)
# Scores (PCK %, higher is better), T = 2.
R_SCORE = np.array(
    [
        [90.0, 60.0, 50.0],
        [92.0, 85.0, 55.0],
        [80.0, 75.0, 88.0],
    ]
)


def test_figures_hand_matrix_errors() -> None:
    # A_T = (58 + 70 + 65) / 3 = 193 / 3
    assert final_average(R_ERR) == pytest.approx(193 / 3)
    # A = (50 + (45 + 60) / 2 + 193 / 3) / 3 = (300 + 315 + 386) / 18 = 1001 / 18
    assert average_over_time(R_ERR) == pytest.approx(1001 / 18)
    # BWT = ((R00 - R20) + (R11 - R21)) / 2 = ((50 - 58) + (60 - 70)) / 2 = -9
    assert backward_transfer(R_ERR) == pytest.approx(-9.0)
    # F = ((R20 - min(R00, R10)) + (R21 - R11)) / 2 = ((58 - 45) + (70 - 60)) / 2 = 11.5
    assert forgetting(R_ERR) == pytest.approx(11.5)
    # FWT = ((R01 - R01) + (R02 - R12)) / 2 = (0 + (90 - 85)) / 2 = 2.5
    assert forward_transfer(R_ERR) == pytest.approx(2.5)
    # G = ((R01 - R11) + (R02 - R22)) / 2 = ((80 - 60) + (90 - 65)) / 2 = 22.5
    assert adaptation_gain(R_ERR) == pytest.approx(22.5)


def test_figures_hand_matrix_scores() -> None:
    kw = {"lower_is_better": False}
    # A_T = (80 + 75 + 88) / 3 = 81; A = (90 + (92 + 85) / 2 + 81) / 3 = 259.5 / 3 = 86.5
    assert final_average(R_SCORE, **kw) == pytest.approx(81.0)
    assert average_over_time(R_SCORE, **kw) == pytest.approx(86.5)
    # BWT = ((R20 - R00) + (R21 - R11)) / 2 = ((80 - 90) + (75 - 85)) / 2 = -10
    assert backward_transfer(R_SCORE, **kw) == pytest.approx(-10.0)
    # F = ((max(R00, R10) - R20) + (R11 - R21)) / 2 = ((92 - 80) + (85 - 75)) / 2 = 11
    assert forgetting(R_SCORE, **kw) == pytest.approx(11.0)
    # FWT = ((R01 - R01) + (R12 - R02)) / 2 = (0 + (55 - 50)) / 2 = 2.5
    assert forward_transfer(R_SCORE, **kw) == pytest.approx(2.5)
    # G = ((R11 - R01) + (R22 - R02)) / 2 = ((85 - 60) + (88 - 50)) / 2 = 31.5
    assert adaptation_gain(R_SCORE, **kw) == pytest.approx(31.5)


TRANSFER_FIGURES = [backward_transfer, forgetting, forward_transfer, adaptation_gain]


@pytest.mark.parametrize("fn", TRANSFER_FIGURES, ids=lambda f: f.__name__)
def test_score_sense_is_error_sense_of_negated_matrix(fn: Callable[..., float | None]) -> None:
    assert fn(R_SCORE, lower_is_better=False) == pytest.approx(fn(-R_SCORE, lower_is_better=True))


def test_one_by_one_matrix() -> None:
    R = [[52.0]]
    assert final_average(R) == 52.0 and average_over_time(R) == 52.0
    for fn in TRANSFER_FIGURES:
        assert fn(R) is None and fn(R, lower_is_better=False) is None
    summary = summarize(R)
    assert summary["bwt"] is None and summary["final_avg"] == 52.0


def test_summarize_keys_and_flags() -> None:
    errors = summarize(R_ERR)
    assert list(errors) == [*FIGURES, "lower_is_better"]
    assert errors["forgetting"] == pytest.approx(11.5) and isinstance(errors["avg"], float)
    assert errors["lower_is_better"] == {
        "final_avg": True,
        "avg": True,
        "bwt": False,
        "forgetting": True,
        "fwt": False,
        "adaptation_gain": False,
    }
    scores = summarize(R_SCORE, lower_is_better=False)
    assert scores["adaptation_gain"] == pytest.approx(31.5)
    assert scores["lower_is_better"] == {**errors["lower_is_better"], "final_avg": False, "avg": False}
    with pytest.raises(ValueError, match=r"Unknown figure 'bwt2'.*final_avg"):
        figure_lower_is_better("bwt2")


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        ([1.0, 2.0], r"2-D.*\(2,\)"),
        (np.zeros((2, 2, 2)), r"2-D.*\(2, 2, 2\)"),
        (np.zeros((2, 3)), r"square.*\(2, 3\)"),
        (np.zeros((0, 0)), r"at least 1x1"),
        ([[1.0, np.nan], [2.0, 3.0]], r"non-finite.*\(0, 1\)"),
        ([[1.0, 2.0], [np.inf, 3.0]], r"non-finite.*\(1, 0\)"),
        ([[1.0, 2.0], [3.0]], r"numeric"),
        ([["a", "b"], ["c", "d"]], r"numeric"),
    ],
    ids=["1d", "3d", "not_square", "empty", "nan", "inf", "ragged", "strings"],
)
def test_check_matrix_rejects(bad: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_matrix(bad)
    with pytest.raises(ValueError, match=match):
        summarize(bad)


def test_check_matrix_returns_float64() -> None:
    out = check_matrix([[1, 2], [3, 4]])
    assert out.dtype == np.float64 and out.shape == (2, 2)


# --- over seeds -------------------------------------------------------------------------------------------


def test_mean_std() -> None:
    # mean (1 + 2 + 3) / 3 = 2; sample variance ((1-2)^2 + 0 + (3-2)^2) / (3 - 1) = 1 -> std 1
    assert mean_std([1.0, None, 2.0, 3.0]) == (pytest.approx(2.0), pytest.approx(1.0), 3)
    assert mean_std([5.0]) == (5.0, 0.0, 1)
    assert mean_std([None, None]) == (None, None, 0)
    assert mean_std([]) == (None, None, 0)


def test_format_mean_std() -> None:
    assert format_mean_std(52.34, 1.23) == "52.3 ± 1.2"
    assert format_mean_std(52.34, 1.234, digits=2) == "52.34 ± 1.23"
    assert format_mean_std(52.34, 0.0) == "52.3 ± 0.0"
    assert format_mean_std(52.34, 0.0, n=1) == "52.3"
    assert format_mean_std(52.34, None) == "52.3"
    assert format_mean_std(None, None) == "n/a"
    m, s, n = mean_std([50.0, 52.0])
    assert format_mean_std(m, s, n=n) == "51.0 ± 1.4"
    with pytest.raises(ValueError, match="non-negative int"):
        format_mean_std(1.0, 0.1, digits=-1)


def test_matrix_module_does_not_import_torch() -> None:
    code = "import sys, lifelong_pose.metrics.matrix; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_metric_table_lists_each_pose_metric_with_its_sense_and_scale() -> None:
    """The table (not the functions) decides units and sense; the scales turn metres and fractions into them."""
    from lifelong_pose.metrics import METRIC_TABLE

    assert {metric.key for metric in METRIC_TABLE} == set(POSE_METRICS)
    by_key = {metric.key: metric for metric in METRIC_TABLE}
    for key in ("mpjpe", "pa_mpjpe"):
        assert (by_key[key].unit, by_key[key].scale, by_key[key].lower_is_better) == ("mm", 1000.0, True)
    for key in ("pck", "auc"):
        assert (by_key[key].unit, by_key[key].scale, by_key[key].lower_is_better) == ("%", 100.0, False)
    # a noisier prediction raises an error metric and lowers a score: the recorded sense is the functions' own
    target = _random_pose(64, seed=1)
    noise = _random_pose(64, seed=2)
    good, bad = target + 0.1 * noise, target + 0.5 * noise
    for key, function in POSE_METRICS.items():
        good_value, bad_value = float(function(good, target).mean()), float(function(bad, target).mean())
        assert good_value != bad_value
        assert (bad_value > good_value) is by_key[key].lower_is_better, key
