"""2D observation models: clean projections, or detector-like noise, outliers and missing joints."""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from lifelong_pose.geometry.skeleton import H36M_JOINT_NAMES
from lifelong_pose.world.factors import ObservationModel

# Detectors err most at the extremities (2D detector benchmarks report the largest errors at
# wrists and ankles); relative noise per H3.6M joint.
JOINT_NOISE_WEIGHT: dict[str, float] = {
    "LWrist": 2.0, "RWrist": 2.0, "LFoot": 1.8, "RFoot": 1.8, "LElbow": 1.4, "RElbow": 1.4,
    "LKnee": 1.3, "RKnee": 1.3, "Head": 1.2, "Neck/Nose": 1.1,
}  # fmt: skip


def observe(
    x2d_px: np.ndarray,
    sequence_lengths: np.ndarray,
    person_height_px: np.ndarray,
    model: ObservationModel,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply an observation model to exact projections of the 17 H3.6M joints.

    Args:
        x2d_px: (N, 17, 2) projected joints in pixels, sequences concatenated.
        sequence_lengths: (S,) frames of each sequence, summing to N (noise is AR(1) within one).
        person_height_px: (N,) 2D height of the person, the unit of the noise.
    Returns:
        The observed (N, 17, 2) pixels and the (N, 17) visibility mask.
    """
    frames = x2d_px.shape[0]
    visible = np.ones(x2d_px.shape[:2], dtype=bool)
    if model.kind == "clean":
        return x2d_px, visible
    weight = np.array([JOINT_NOISE_WEIGHT.get(n, 1.0) for n in H36M_JOINT_NAMES])
    noise = rng.normal(size=x2d_px.shape)
    rho = model.temporal_correlation
    if rho > 0:
        filtered = np.empty_like(noise)
        start = 0
        for length in sequence_lengths:  # one AR(1) filter per sequence, vectorised over joints
            chunk = noise[start : start + length]
            gain = np.sqrt(1 - rho**2)
            # initial state chosen so that the first frame equals its draw: unit variance throughout
            initial = chunk[:1] * (1 - gain)
            filtered[start : start + length] = lfilter([gain], [1, -rho], chunk, axis=0, zi=initial)[0]
            start += length
        noise = filtered
    scale = (model.noise * person_height_px)[:, None, None] * weight[None, :, None]
    observed = x2d_px + noise * scale
    outliers = rng.random(x2d_px.shape[:2]) < model.outlier_prob
    observed = (
        observed
        + outliers[..., None] * rng.normal(size=x2d_px.shape) * (model.outlier_scale * person_height_px)[:, None, None]
    )
    visible = rng.random((frames, x2d_px.shape[1])) >= model.missing_prob
    return observed, visible
