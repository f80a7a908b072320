"""Cameras: world-to-camera transforms, projection and screen-coordinate normalisation (torch).

Conventions (as VideoPose3D): camera frame is OpenCV's (x right, y down, z forward), metres;
intrinsics are the 9-vector ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` (focal and centre first,
then radial and tangential distortion); normalised screen coordinates map the image width to
[-1, 1] and keep the aspect ratio: ``x_n = x / w * 2 - [1, h / w]``. Intrinsics normalised the
same way project camera-frame points straight to normalised coordinates.
"""

from __future__ import annotations

import torch

INTRINSICS_SIZE = 9


def _check_last(X: torch.Tensor, size: int, name: str, shape: str) -> None:
    if X.shape[-1] != size:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(X.shape)}")


def _screen_scale(
    X: torch.Tensor, w: float | torch.Tensor, h: float | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The width (..., 1) and the offset ``[1, h / w]`` (..., 2) that map ``X``'s pixels, in ``X``'s dtype.

    ``w`` and ``h`` are numbers, or tensors of ``X``'s leading shape (one image size per frame, so
    that a domain may mix resolutions); the ratio is formed in float64 before the cast.

    Raises:
        ValueError: a non-positive width or height.
    """
    width = torch.as_tensor(w, dtype=torch.float64, device=X.device)
    height = torch.as_tensor(h, dtype=torch.float64, device=X.device)
    if bool((width <= 0).any()) or bool((height <= 0).any()):
        raise ValueError(f"Image size must be positive, got w={w}, h={h}")
    ratio = height / width
    offset = torch.stack([torch.ones_like(ratio), ratio], dim=-1)
    return width.unsqueeze(-1).to(X.dtype), offset.to(X.dtype)


def normalize_screen_coordinates(X: torch.Tensor, w: float | torch.Tensor, h: float | torch.Tensor) -> torch.Tensor:
    """Pixels to normalised screen coordinates.

    Args:
        X: (..., 2) pixel coordinates.
        w, h: image width and height in pixels: numbers, or tensors of ``X``'s leading shape
            (``(N, 1)`` for ``(N, J, 2)``) when frames have their own image sizes.
    Returns:
        (..., 2) with x in [-1, 1] and y in [-h/w, h/w].
    """
    _check_last(X, 2, "X", "(..., 2)")
    width, offset = _screen_scale(X, w, h)
    return X / width * 2 - offset


def image_coordinates(X: torch.Tensor, w: float | torch.Tensor, h: float | torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_screen_coordinates`: (..., 2) normalised to pixels."""
    _check_last(X, 2, "X", "(..., 2)")
    width, offset = _screen_scale(X, w, h)
    return (X + offset) * width / 2


def normalize_intrinsics(intrinsics: torch.Tensor, w: float | torch.Tensor, h: float | torch.Tensor) -> torch.Tensor:
    """Pixel intrinsics ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` to normalised ones.

    Focal lengths scale by 2 / w; the centre moves like any image point; distortion
    coefficients act on normalised camera rays and are unchanged. ``w``, ``h``: numbers, or
    tensors of the intrinsics' leading shape (one image size per row).
    """
    _check_last(intrinsics, INTRINSICS_SIZE, "intrinsics", "(..., 9)")
    width, _ = _screen_scale(intrinsics[..., 2:4], w, h)
    focal = intrinsics[..., 0:2] / width * 2
    centre = normalize_screen_coordinates(intrinsics[..., 2:4], w, h)
    return torch.cat([focal, centre, intrinsics[..., 4:]], dim=-1)


def image_intrinsics(intrinsics: torch.Tensor, w: float | torch.Tensor, h: float | torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`normalize_intrinsics`: normalised intrinsics back to pixels."""
    _check_last(intrinsics, INTRINSICS_SIZE, "intrinsics", "(..., 9)")
    width, _ = _screen_scale(intrinsics[..., 2:4], w, h)
    focal = intrinsics[..., 0:2] * width / 2
    centre = image_coordinates(intrinsics[..., 2:4], w, h)
    return torch.cat([focal, centre, intrinsics[..., 4:]], dim=-1)


def project_to_2d(X: torch.Tensor, intrinsics: torch.Tensor, distort: bool = True) -> torch.Tensor:
    """Pinhole projection with optional Brown-Conrady distortion (VideoPose3D ``project_to_2d``).

    Args:
        X: (..., J, 3) camera-frame points, z > 0.
        intrinsics: (..., 9) broadcastable to X's leading dims (one camera per leading index).
        distort: apply k1..k3 radial and p1, p2 tangential distortion.
    Returns:
        (..., J, 2) in the units of the intrinsics (pixels, or normalised coordinates).
    """
    _check_last(X, 3, "X", "(..., J, 3)")
    _check_last(intrinsics, INTRINSICS_SIZE, "intrinsics", "(..., 9)")
    params = intrinsics.unsqueeze(-2)  # (..., 1, 9): one camera for all joints
    f, c = params[..., 0:2], params[..., 2:4]
    xy = X[..., :2] / X[..., 2:3]
    if distort:
        k, p = params[..., 4:7], params[..., 7:9]
        r2 = (xy**2).sum(dim=-1, keepdim=True)
        radial = 1 + (k * torch.cat([r2, r2**2, r2**3], dim=-1)).sum(dim=-1, keepdim=True)
        tangential = (p * xy).sum(dim=-1, keepdim=True)
        xy = xy * (radial + tangential) + p.flip(-1) * r2
    return f * xy + c


def world_to_camera(X: torch.Tensor, rotation: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """World points to the camera frame: ``R (X - C)``.

    Args:
        X: (..., J, 3) world points, metres.
        rotation: (..., 3, 3) world-to-camera rotation (rows are the camera axes in world).
        centre: (..., 3) camera centre in world coordinates.
    Returns:
        (..., J, 3) camera-frame points.
    """
    _check_last(X, 3, "X", "(..., J, 3)")
    if rotation.shape[-2:] != (3, 3):
        raise ValueError(f"rotation must have shape (..., 3, 3), got {tuple(rotation.shape)}")
    return (X - centre.unsqueeze(-2)) @ rotation.transpose(-1, -2)


def camera_to_world(X: torch.Tensor, rotation: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`world_to_camera`: ``R^T X + C``."""
    _check_last(X, 3, "X", "(..., J, 3)")
    return X @ rotation + centre.unsqueeze(-2)


def look_at(eye: torch.Tensor, target: torch.Tensor, up: torch.Tensor | None = None) -> torch.Tensor:
    """World-to-camera rotation of a camera at ``eye`` looking at ``target`` (OpenCV axes).

    Args:
        eye, target: (..., 3) world points; ``up`` defaults to world +z.
    Returns:
        (..., 3, 3) rotation whose rows are camera x (right), y (down), z (forward) in world.
    """
    forward = target - eye
    forward = forward / forward.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    if up is None:
        up = torch.zeros_like(forward)
        up[..., 2] = 1.0
    right = torch.linalg.cross(forward, up.expand_as(forward))
    right = right / right.norm(dim=-1, keepdim=True).clamp_min(1e-9)
    down = torch.linalg.cross(forward, right)
    return torch.stack([right, down, forward], dim=-2)
