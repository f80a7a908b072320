"""Per-pose 3D pose metrics, batched in torch: MPJPE, PA-MPJPE, PCK and AUC (and N-MPJPE, a diagnostic).

Every function takes ``pred, target: (..., J, 3)`` in the same units (metres in this suite) and
returns one value per pose, shape ``(...)``, never a batch mean: callers accumulate sums and
counts (:class:`lifelong_pose.metrics.accumulate.SumCount`) so that uneven batches and domains of
different sizes are weighted by pose, not by batch.

All J joints are included. Targets in this suite are root-relative, so the root joint contributes
zero error when predictions are root-relative too, exactly as VideoPose3D's evaluation does; the
mean is therefore over J joints, not J - 1.
"""

from __future__ import annotations

import torch

PCK_THRESHOLD: float = 0.150
"""PCK threshold in metres: 150 mm, as in MPI-INF-3DHP (Mehta et al., 3DV 2017)."""

# 0, 5, ..., 150 mm in metres. The 3DHP protocol's thresholds are whole millimetres; building them
# as k / 1000 (correctly rounded) rather than with linspace keeps e.g. an error of exactly 75 mm at
# the 75 mm threshold once both are in the same dtype, which linspace's accumulated steps do not.
AUC_THRESHOLDS: torch.Tensor = torch.arange(0, 155, 5, dtype=torch.float64) / 1000
"""(31,) AUC thresholds in metres: 0 to 150 mm in 5 mm steps, the 3DHP protocol."""


def _check_pair(pred: torch.Tensor, target: torch.Tensor) -> None:
    """Raise unless ``pred`` and ``target`` are floating tensors of one shape ``(..., J, 3)``, J >= 1."""
    if not isinstance(pred, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise TypeError(
            f"pred and target must be torch tensors, got {type(pred).__name__} and {type(target).__name__}; "
            "convert with torch.as_tensor(x, dtype=torch.float32)"
        )
    shapes = f"got pred {tuple(pred.shape)} and target {tuple(target.shape)}"
    if pred.shape != target.shape:
        raise ValueError(f"pred and target must have the same shape (..., J, 3), {shapes}")
    if pred.ndim < 2 or pred.shape[-1] != 3:
        raise ValueError(f"pred and target must have shape (..., J, 3) with at least 2 dims, {shapes}")
    if pred.shape[-2] == 0:
        raise ValueError(f"pred and target need at least one joint (J >= 1), {shapes}")
    if not (pred.dtype.is_floating_point and target.dtype.is_floating_point):
        raise ValueError(
            f"pred and target must be floating-point tensors, got {pred.dtype} and {target.dtype} "
            f"(shapes {tuple(pred.shape)}); cast with .float()"
        )


def _joint_errors(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(..., J) Euclidean distance per joint, in the input units."""
    return torch.linalg.vector_norm(pred - target, dim=-1)


def mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean per-joint position error, "Protocol #1" (Human3.6M; VideoPose3D ``mpjpe``).

    No alignment is applied: in this suite both poses are root-relative, so this is the usual
    root-aligned MPJPE. The root is one of the J joints averaged over (error 0 when both roots
    sit at the origin), as in VideoPose3D.

    Args:
        pred: (..., J, 3) predicted joints, metres.
        target: (..., J, 3) ground-truth joints, same units and joint order.

    Returns:
        (...) mean over joints of the Euclidean distance, in the input units (metres), dtype of
        the inputs.

    Raises:
        ValueError: on shapes that differ or are not (..., J, 3), or non-floating dtypes.
    """
    _check_pair(pred, target)
    return _joint_errors(pred, target).mean(dim=-1)


def pa_mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MPJPE after Procrustes alignment, "Protocol #2" (VideoPose3D ``p_mpjpe``).

    ``pred`` is aligned to ``target`` with the similarity transform (rotation R with det(R) = +1,
    uniform scale s, translation t) minimising the squared error: orthogonal Procrustes by the SVD
    of the 3x3 cross-covariance, with the reflection corrected (a mirrored pose must not align to
    zero error, since a mirror image is a different pose). The metric thus ignores global
    orientation, size and position and measures articulation only. Computed in float64 because the
    SVD of near-degenerate poses loses precision in float32.

    A degenerate prediction (all joints equal) has no rotation to estimate: its scale is taken as
    0, so it aligns to the target's centroid and the error is the target's mean distance from its
    centroid, never NaN.

    Args:
        pred: (..., J, 3) predicted joints, metres.
        target: (..., J, 3) ground-truth joints, same units and joint order.

    Returns:
        (...) mean over all J joints of the Euclidean distance after alignment, in the input units,
        dtype of the inputs.

    Raises:
        ValueError: on shapes that differ or are not (..., J, 3), or non-floating dtypes.
    """
    _check_pair(pred, target)
    out_dtype = torch.promote_types(pred.dtype, target.dtype)
    p = pred.to(torch.float64)
    t = target.to(torch.float64)
    mu_p = p.mean(dim=-2, keepdim=True)
    mu_t = t.mean(dim=-2, keepdim=True)
    x = p - mu_p
    y = t - mu_t
    # Maximise tr(R^T H) with H = x^T y = U S Vh: R = U D Vh, D = diag(1, 1, sign det(U Vh)).
    u, s, vh = torch.linalg.svd(x.transpose(-1, -2) @ y)
    m = u @ vh
    # det of a 3x3 as the triple product: batched LAPACK det costs about a third of the SVD here.
    det = (m[..., 0, :] * torch.linalg.cross(m[..., 1, :], m[..., 2, :])).sum(dim=-1)
    sign = torch.where(det < 0, -1.0, 1.0).to(torch.float64)
    d = torch.ones_like(s)
    d[..., -1] = sign
    rotation = (u * d.unsqueeze(-2)) @ vh
    spread = x.pow(2).sum(dim=(-2, -1))
    scale = torch.where(spread > 0, (s * d).sum(dim=-1) / spread.clamp_min(torch.finfo(torch.float64).tiny), 0.0)
    aligned = scale[..., None, None] * (x @ rotation) + mu_t
    return _joint_errors(aligned, t).mean(dim=-1).to(out_dtype)


def n_mpjpe(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MPJPE after scaling ``pred`` by the one factor that fits ``target`` best (VideoPose3D ``n_mpjpe``).

    The scale ``s = <pred, target> / <pred, pred>`` (over joints and coordinates, per pose) minimises
    the squared error of ``s * pred``; nothing is rotated or moved. Set beside MPJPE (nothing fitted)
    and PA-MPJPE (rotation, scale and position fitted), it tells how much of an error is the size of
    the predicted person alone. A degenerate prediction (all zeros) gets ``s = 0``: the error is the
    target's mean joint distance from the origin, never NaN. Not one of the evaluated matrices; the
    diagnostics read it from checkpoints.

    Args:
        pred: (..., J, 3) predicted joints, metres.
        target: (..., J, 3) ground-truth joints, same units and joint order.

    Returns:
        (...) mean over joints of the Euclidean distance after the scale fit, in the input units.

    Raises:
        ValueError: on shapes that differ or are not (..., J, 3), or non-floating dtypes.
    """
    _check_pair(pred, target)
    power = pred.pow(2).sum(dim=(-2, -1), keepdim=True)
    fit = (pred * target).sum(dim=(-2, -1), keepdim=True) / power.clamp_min(torch.finfo(pred.dtype).tiny)
    scale = torch.where(power > 0, fit, torch.zeros_like(fit))
    return _joint_errors(scale * pred, target).mean(dim=-1)


def pck(pred: torch.Tensor, target: torch.Tensor, threshold: float = PCK_THRESHOLD) -> torch.Tensor:
    """Percentage of correct keypoints, 3DPCK (MPI-INF-3DHP), as a fraction in [0, 1].

    A joint is correct when its Euclidean error is <= ``threshold`` (inclusive, as in the 3DHP
    evaluation code). No alignment beyond the root-relative frame; all J joints count, the root
    included (always correct when both roots are at the origin), as the MPJPE here does.

    Args:
        pred: (..., J, 3) predicted joints, metres.
        target: (..., J, 3) ground-truth joints, same units and joint order.
        threshold: in the input units; 0.150 m (150 mm) by default.

    Returns:
        (...) fraction of correct joints per pose, dtype of the inputs.

    Raises:
        ValueError: on shapes that differ or are not (..., J, 3), or non-floating dtypes.
    """
    _check_pair(pred, target)
    errors = _joint_errors(pred, target)
    return (errors <= threshold).to(errors.dtype).mean(dim=-1)


def auc(pred: torch.Tensor, target: torch.Tensor, thresholds: torch.Tensor | None = None) -> torch.Tensor:
    """Area under the PCK curve (MPI-INF-3DHP): mean PCK over thresholds, a fraction in [0, 1].

    With the default :data:`AUC_THRESHOLDS` (0 to 150 mm in 5 mm steps, 31 values) this is the 3DHP
    protocol's AUC. A joint with error e counts at every threshold >= e, so each joint contributes
    (number of thresholds >= e) / (number of thresholds); thresholds are compared in the errors'
    dtype. All J joints count, the root included.

    Args:
        pred: (..., J, 3) predicted joints, metres.
        target: (..., J, 3) ground-truth joints, same units and joint order.
        thresholds: (K,) thresholds in the input units, any order; :data:`AUC_THRESHOLDS` when None.

    Returns:
        (...) AUC per pose, dtype of the inputs.

    Raises:
        ValueError: on shapes that differ or are not (..., J, 3), non-floating dtypes, or
            thresholds that are not a non-empty 1-D sequence.
    """
    _check_pair(pred, target)
    errors = _joint_errors(pred, target)
    thr = AUC_THRESHOLDS if thresholds is None else torch.as_tensor(thresholds)
    if thr.ndim != 1 or thr.numel() == 0:
        raise ValueError(f"thresholds must be a non-empty 1-D tensor, got shape {tuple(thr.shape)}")
    thr = thr.to(device=errors.device, dtype=errors.dtype).sort().values
    # Index of the first threshold >= e: the rest (K - index) are the thresholds at which e counts.
    below = torch.searchsorted(thr, errors.contiguous(), side="left")
    return (thr.numel() - below).to(errors.dtype).mean(dim=-1) / thr.numel()


__all__ = ["AUC_THRESHOLDS", "PCK_THRESHOLD", "auc", "mpjpe", "pa_mpjpe", "pck"]
