"""Coordinate-frame conversions shared by the motion readers."""

from __future__ import annotations

import numpy as np

# Y-up (x forward, y up, z right for the DeepMimic humanoid; BVH's usual axes) to the suite's
# z-up world: (x, y, z) -> (x, -z, y). A proper rotation, so rotations convert by conjugation.
Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def points_y_up_to_z_up(points: np.ndarray) -> np.ndarray:
    """(..., 3) points or offsets from a y-up frame to the z-up world."""
    return points @ Y_UP_TO_Z_UP.T


def quaternions_y_up_to_z_up(quaternions: np.ndarray) -> np.ndarray:
    """(..., 4) scalar-last quaternions: conjugation by the frame change rotates the axis part."""
    out = quaternions.copy()
    out[..., :3] = quaternions[..., :3] @ Y_UP_TO_Z_UP.T
    return out
