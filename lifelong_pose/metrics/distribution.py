"""How far two sets of poses are apart, and how well a critic tells them apart (numpy, scipy).

A run's diagnostics use them to show what an adversarial adaptation pushes against: a critic
that cannot separate real target 2D from generated 2D (accuracy 0.5) gives its generators no
direction, and generated poses already as close to the target's as the target's own halves are
leave nothing to learn.

- :func:`sliced_wasserstein`: the sliced 1-Wasserstein distance between two point clouds: the
  mean, over random unit directions, of the exact 1-D Wasserstein distance between the clouds'
  projections (Rabin et al. 2011; Bonneel et al. 2015). Each 1-D distance is scipy's.
- :func:`critic_accuracy`: the probability that a critic scores a random real sample above a
  random generated one (ties count half): the area under its ROC curve, read off scipy's
  Mann-Whitney U. Threshold-free, so it suits a Wasserstein critic whose scores have no fixed zero.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import mannwhitneyu, wasserstein_distance

DEFAULT_PROJECTIONS = 128


def _as_cloud(points: np.ndarray, name: str) -> np.ndarray:
    cloud = np.asarray(points, dtype=float)
    if cloud.ndim != 2 or len(cloud) == 0:
        raise ValueError(f"{name} must be a non-empty (N, D) array of points, got shape {cloud.shape}")
    if not np.isfinite(cloud).all():
        raise ValueError(f"{name} holds non-finite values")
    return cloud


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, *, projections: int = DEFAULT_PROJECTIONS, seed: int = 0) -> float:
    """Sliced 1-Wasserstein distance between point clouds ``a`` (N, D) and ``b`` (M, D), in their units.

    Args:
        a, b: the clouds (any sizes N, M >= 1, same dimension D).
        projections: random unit directions averaged over (128: the estimate's own spread is a
            few per cent of the distance for pose clouds).
        seed: the directions' seed, so a distance is a pure function of its inputs.

    Raises:
        ValueError: clouds that are empty, not 2-D, of different dimensions or not finite, or
            ``projections`` below 1.
    """
    a, b = _as_cloud(a, "a"), _as_cloud(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"clouds of dimension {a.shape[1]} and {b.shape[1]} cannot be compared")
    if projections < 1:
        raise ValueError(f"projections must be >= 1, got {projections}")
    directions = np.random.default_rng(seed).normal(size=(projections, a.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    along_a, along_b = a @ directions.T, b @ directions.T
    return float(np.mean([wasserstein_distance(along_a[:, k], along_b[:, k]) for k in range(projections)]))


def critic_accuracy(real_scores: np.ndarray, generated_scores: np.ndarray) -> float:
    """P(score of a real sample > score of a generated one), ties counting half: 0.5 is chance, 1 a perfect critic.

    Raises:
        ValueError: an empty or non-finite set of scores.
    """
    real = np.asarray(real_scores, dtype=float).ravel()
    generated = np.asarray(generated_scores, dtype=float).ravel()
    for name, scores in (("real_scores", real), ("generated_scores", generated)):
        if len(scores) == 0 or not np.isfinite(scores).all():
            raise ValueError(f"{name} must be a non-empty set of finite scores")
    statistic = mannwhitneyu(real, generated, alternative="two-sided").statistic
    return float(statistic / (len(real) * len(generated)))
