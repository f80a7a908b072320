"""Camera quantities some files leave out, recovered from their own 2D-3D pairs by least squares.

PoseDA's GPA needs each target frame's intrinsics, and the suite's sources carry the camera-frame
root position; several community files keep only root-relative 3D (PoseAug's 3DHP test set,
AdaptPose's 3DPW) or no intrinsics (P-STMO's 3DHP training set). For a pinhole camera both
unknowns enter linearly once the other is fixed, so they are solved exactly rather than guessed.
"""

from __future__ import annotations

import numpy as np


def fit_root(X_rel: np.ndarray, x2d: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Camera-frame root position of each frame that makes ``X_rel + root`` project onto ``x2d``.

    With ``u = x - cx``: ``fx (X + tx) = u (Z + tz)`` and the same in y are linear in the root
    ``t``; the normal equations of all joints of a frame are solved at once (batched 3x3).
    Distortion is ignored: the root is the pinhole one that best explains the 2D.

    Args:
        X_rel: (N, J, 3) root-relative joints, metres.
        x2d: (N, J, 2) 2D joints in the units of the intrinsics.
        intrinsics: (N, >=4) ``[fx, fy, cx, cy, ...]`` per frame.
    Returns:
        (N, 3) root positions, metres.
    """
    f, c = intrinsics[:, None, 0:2], intrinsics[:, None, 2:4]
    u = x2d - c  # (N, J, 2)
    zeros = np.zeros_like(u[..., 0])
    rows_x = np.stack([np.broadcast_to(f[..., 0], zeros.shape), zeros, -u[..., 0]], axis=-1)
    rows_y = np.stack([zeros, np.broadcast_to(f[..., 1], zeros.shape), -u[..., 1]], axis=-1)
    A = np.concatenate([rows_x, rows_y], axis=1)  # (N, 2J, 3)
    b = np.concatenate(
        [u[..., 0] * X_rel[..., 2] - f[..., 0] * X_rel[..., 0], u[..., 1] * X_rel[..., 2] - f[..., 1] * X_rel[..., 1]],
        axis=1,
    )
    AtA = A.transpose(0, 2, 1) @ A
    Atb = (A.transpose(0, 2, 1) @ b[..., None])[..., 0]
    return np.linalg.solve(AtA, Atb[..., None])[..., 0]


def fit_intrinsics(X_abs: np.ndarray, x_px: np.ndarray) -> tuple[np.ndarray, float]:
    """Pinhole ``[fx, fy, cx, cy, 0, 0, 0, 0, 0]`` of one camera view from its 2D-3D pairs.

    ``x = fx X / Z + cx`` is a line in ``X / Z``; fitted over every joint of every frame.

    Args:
        X_abs: (T, J, 3) camera-frame joints (any length unit), in front of the camera.
        x_px: (T, J, 2) their 2D in pixels.
    Returns:
        The 9 intrinsics and the root-mean-square reprojection residual in pixels.

    Raises:
        ValueError: points behind the camera, or too few distinct rays to fit.
    """
    Z = X_abs[..., 2].reshape(-1)
    if (Z <= 0).any():
        raise ValueError("cannot fit intrinsics: some 3D points are not in front of the camera")
    K = np.zeros(9)
    residuals = []
    for axis in (0, 1):
        ray = X_abs[..., axis].reshape(-1) / Z
        design = np.stack([ray, np.ones_like(ray)], axis=-1)
        if np.ptp(ray) < 1e-6:
            raise ValueError("cannot fit intrinsics: all points lie on one ray")
        (focal, centre), *_ = np.linalg.lstsq(design, x_px[..., axis].reshape(-1), rcond=None)
        K[axis], K[2 + axis] = focal, centre
        residuals.append(design @ np.array([focal, centre]) - x_px[..., axis].reshape(-1))
    return K, float(np.sqrt(np.mean(np.square(residuals))))
