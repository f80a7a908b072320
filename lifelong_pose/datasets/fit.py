"""Camera quantities some files leave out, recovered from their own 2D-3D pairs by least squares.

PoseDA's GPA needs each target frame's intrinsics, and the suite's sources carry the camera-frame
root position; several community files keep only root-relative 3D (PoseAug's 3DHP test set,
AdaptPose's 3DPW) or no intrinsics (P-STMO's 3DHP training set). For a pinhole camera both
unknowns enter linearly once the other is fixed, so they are solved exactly rather than guessed;
lens distortion is removed from the 2D first, so distorted cameras (3DHP's TS5-TS6) fit too.
"""

from __future__ import annotations

import numpy as np

UNDISTORT_ITERATIONS = 20


def undistorted_rays(x_px: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """Pixels -> undistorted normalised camera rays ``(X / Z, Y / Z)``.

    Inverts the Brown-Conrady model of :func:`lifelong_pose.geometry.camera.project_to_2d`
    (``k1..k3`` radial, ``p1, p2`` tangential, VideoPose3D's form) by fixed-point iteration,
    which converges for the mild distortion of these datasets (|k1| < 0.3 over the image).

    Args:
        x_px: (N, J, 2) pixels.
        intrinsics: (N, 9) ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` per frame.
    """
    K = intrinsics[:, None, :]
    distorted = (x_px - K[..., 2:4]) / K[..., 0:2]
    k, p = K[..., 4:7], K[..., 7:9]
    if not np.any(k) and not np.any(p):
        return distorted
    rays = distorted.copy()
    for _ in range(UNDISTORT_ITERATIONS):
        r2 = (rays**2).sum(-1, keepdims=True)
        radial = 1 + (k * np.concatenate([r2, r2**2, r2**3], axis=-1)).sum(-1, keepdims=True)
        tangential = (p * rays).sum(-1, keepdims=True)
        rays = (distorted - p[..., ::-1] * r2) / (radial + tangential)
    return rays


def fit_root(
    X_rel: np.ndarray, x_px: np.ndarray, intrinsics: np.ndarray, visible: np.ndarray | None = None
) -> np.ndarray:
    """Camera-frame root position of each frame that makes ``X_rel + root`` project onto ``x_px``.

    With undistorted rays ``u``: ``X + tx = u (Z + tz)`` (and the same in y) is linear in the
    root ``t``; the normal equations of a frame's visible joints are solved at once (batched 3x3).

    Args:
        X_rel: (N, J, 3) root-relative joints, metres.
        x_px: (N, J, 2) 2D joints, pixels.
        intrinsics: (N, 9) pixel intrinsics per frame.
        visible: (N, J) joints to use; unobserved ones (stored as 0) would pull the root away.
    Returns:
        (N, 3) root positions, metres.

    Raises:
        ValueError: a frame with fewer than two visible joints, or a root behind the camera.
    """
    u = undistorted_rays(x_px, intrinsics)
    weight = np.ones(X_rel.shape[:2]) if visible is None else visible.astype(float)
    if (weight.sum(axis=1) < 2).any():
        raise ValueError("cannot solve a root from fewer than two visible joints")
    w = weight[..., None]
    ones, zeros = np.ones_like(u[..., 0]), np.zeros_like(u[..., 0])
    rows_x = np.stack([ones, zeros, -u[..., 0]], axis=-1) * w
    rows_y = np.stack([zeros, ones, -u[..., 1]], axis=-1) * w
    A = np.concatenate([rows_x, rows_y], axis=1)  # (N, 2J, 3)
    b = np.concatenate([u[..., 0] * X_rel[..., 2] - X_rel[..., 0], u[..., 1] * X_rel[..., 2] - X_rel[..., 1]], axis=1)
    b = b * np.concatenate([weight, weight], axis=1)
    At = A.transpose(0, 2, 1)
    root = np.linalg.solve(At @ A, (At @ b[..., None]))[..., 0]
    if (root[:, 2] <= 0).any():
        raise ValueError(f"the root solved from the 2D lies behind the camera in {int((root[:, 2] <= 0).sum())} frames")
    return root


def reprojection_error_px(X: np.ndarray, x_px: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """(N,) median pixel distance per frame between ``x_px`` and the pinhole projection of ``X``
    (the 2D undistorted, so distortion does not count as error)."""
    rays = undistorted_rays(x_px, intrinsics)
    predicted = X[..., :2] / X[..., 2:3]
    return np.median(np.linalg.norm((predicted - rays) * intrinsics[:, None, 0:2], axis=-1), axis=1)


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


ROOT_RELATIVE_M = 0.1
ROOT_REFIT_PX = 10.0


def consistent_root(
    X: np.ndarray, x_px: np.ndarray, intrinsics: np.ndarray, visible: np.ndarray | None = None
) -> np.ndarray:
    """``X`` placed so that it projects onto ``x_px`` through ``intrinsics``.

    Files that keep root-relative 3D (root within 10 cm of the camera centre), or whose 3D was
    made for another camera than the one a reader must assume (median reprojection error above
    10 px), get their root solved from the 2D (:func:`fit_root`); the pose itself is unchanged.
    Otherwise ``X`` is returned as it is.

    Args:
        X: (N, J, 3) joints, metres; intrinsics: (N, 9) pixels; visible: (N, J) or None.
    """
    K = np.broadcast_to(intrinsics, (X.shape[0], 9))
    X_rel = X - X[:, :1]
    needs = np.linalg.norm(X[:, 0], axis=-1) < ROOT_RELATIVE_M
    placed = ~needs
    if placed.any():
        needs[placed] = reprojection_error_px(X[placed], x_px[placed], K[placed]) > ROOT_REFIT_PX
    if not needs.any():
        return X
    X = X.copy()
    seen = None if visible is None else visible[needs]
    X[needs] = X_rel[needs] + fit_root(X_rel[needs], x_px[needs], K[needs], seen)[:, None]
    return X
