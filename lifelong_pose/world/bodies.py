"""Sampling body shapes: per-segment bone scales on top of an overall height scale."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lifelong_pose.motion.clip import SEGMENTS, Skeleton
from lifelong_pose.world.factors import BodyFactor


@dataclass(frozen=True)
class Body:
    """One subject: overall scale and per-segment scales (left and right share a segment)."""

    height: float
    segments: dict[str, float]

    def bone_scale(self, skeleton: Skeleton) -> np.ndarray:
        """(J,) scale of each joint offset of ``skeleton`` for this body."""
        return skeleton.bone_scale(self.segments) * self.height


def sample_bodies(factor: BodyFactor, rng: np.random.Generator) -> list[Body]:
    """``factor.count`` bodies; scales are clipped to [0.6, 1.5] so no bone collapses."""
    bodies = []
    for _ in range(factor.count):
        height = float(np.clip(rng.normal(factor.height_mean, factor.height_std), 0.6, 1.5))
        noise = rng.normal(0.0, factor.segment_std, size=len(SEGMENTS))
        segments = {
            name: float(np.clip(factor.segment_mean.get(name, 1.0) + eps, 0.6, 1.5))
            for name, eps in zip(SEGMENTS, noise, strict=True)
        }
        bodies.append(Body(height, segments))
    return bodies
