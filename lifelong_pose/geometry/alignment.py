"""Global position alignment (GPA, PoseDA: Chai et al., ICCV 2023, section 3.2, equations 4-9).

A root-relative source 3D pose is placed in front of a *target* camera so that its projection has
the 2D box size and root position of a target 2D pose. Pairing source poses with random target
2D poses moves the source's 2D position and scale distribution onto the target's without any
learned parameter: the lifter then trains on 2D inputs that look like the target's, with 3D it
knows.
"""

from __future__ import annotations

import torch

from lifelong_pose.geometry.camera import INTRINSICS_SIZE

# A box this small (normalised units) has no usable size: the pose is one point or all missing.
_MIN_BOX = 1e-6


def box_extent(x2d: torch.Tensor, visible: torch.Tensor | None = None) -> torch.Tensor:
    """(..., J, 2) -> (...,) width + height of the 2D box over the visible joints."""
    if visible is None:
        low, high = x2d.amin(dim=-2), x2d.amax(dim=-2)
    else:
        mask = visible.unsqueeze(-1)
        low = torch.where(mask, x2d, torch.full_like(x2d, torch.inf)).amin(dim=-2)
        high = torch.where(mask, x2d, torch.full_like(x2d, -torch.inf)).amax(dim=-2)
    return (high - low).sum(dim=-1)


def normalised_2d(x2d: torch.Tensor, visible: torch.Tensor | None = None) -> torch.Tensor:
    """(..., J, 2) poses moved to put the root at 0 and scaled to a box of size 1 (width + height).

    Compares poses by their shape whatever their position and size: diffusion_replay's hybrid 2D
    loss, and the distance between generated and target 2D poses in a run's diagnostics.
    """
    return (x2d - x2d[..., :1, :]) / box_extent(x2d, visible).clamp_min(1e-6)[..., None, None]


def usable_rows(visible: torch.Tensor) -> torch.Tensor:
    """(B, J) observed joints -> (B,) row indices where a pose with fewer than two observed joints
    (no box to align to) is replaced by the best-observed pose of the batch."""
    counts = visible.sum(dim=-1)
    rows = torch.arange(len(counts), device=visible.device)
    return torch.where(counts >= 2, rows, counts.argmax())


def global_position_alignment(
    X3d_source: torch.Tensor,
    x2d_target: torch.Tensor,
    intrinsics_target: torch.Tensor,
    visible_target: torch.Tensor | None = None,
) -> torch.Tensor:
    """The camera-frame root position that puts each source pose where its target 2D pose is.

    Under the weak-perspective approximation ``Z_i + Z_r ~ Z_r`` (eq. 5), matching the box sizes
    ``dx + dy`` (eq. 6) gives the depth (eq. 7)::

        Z_r = (f_x dX_src + f_y dY_src) / (dx_tar + dy_tar)

    and matching the root joints (eq. 8) the rest (eq. 9)::

        X_r = Z_r (x_r_tar - c_x) / f_x,    Y_r = Z_r (y_r_tar - c_y) / f_y

    ``dX_src, dY_src`` are the source pose's 3D extents along the camera axes. The target's box
    uses its visible joints only (a missing joint is stored at 0 and would inflate the box); the
    paper's release uses all joints of ground-truth 2D, where the two agree.

    Args:
        X3d_source: (..., J, 3) root-relative source poses, metres (root joint at the origin).
        x2d_target: (..., J, 2) target 2D poses, normalised screen coordinates.
        intrinsics_target: (..., 9) the target frames' normalised ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]``;
            distortion is ignored, as in the paper.
        visible_target: (..., J) which target joints were observed (all when None).

    Returns:
        (..., 3) root positions in the target camera's frame, metres: ``X3d_source + root[..., None, :]``
        projects onto the target's box and root.

    Raises:
        ValueError: mismatched shapes, a target with no visible extent, or a non-positive depth.
    """
    if X3d_source.shape[-1] != 3 or x2d_target.shape[-1] != 2 or intrinsics_target.shape[-1] != INTRINSICS_SIZE:
        raise ValueError(
            "global_position_alignment expects X3d_source (..., J, 3), x2d_target (..., J, 2), intrinsics (..., 9); "
            f"got {tuple(X3d_source.shape)}, {tuple(x2d_target.shape)}, {tuple(intrinsics_target.shape)}"
        )
    if X3d_source.shape[:-1] != x2d_target.shape[:-1] or intrinsics_target.shape[:-1] != X3d_source.shape[:-2]:
        raise ValueError(
            "global_position_alignment: source and target must pair up one to one; got "
            f"{tuple(X3d_source.shape)}, {tuple(x2d_target.shape)}, {tuple(intrinsics_target.shape)}"
        )
    if visible_target is not None and visible_target.shape != x2d_target.shape[:-1]:
        raise ValueError(f"visible_target must be {tuple(x2d_target.shape[:-1])}, got {tuple(visible_target.shape)}")
    fx, fy, cx, cy = intrinsics_target.unbind(-1)[:4]
    extent_x = X3d_source[..., 0].amax(dim=-1) - X3d_source[..., 0].amin(dim=-1)
    extent_y = X3d_source[..., 1].amax(dim=-1) - X3d_source[..., 1].amin(dim=-1)
    box = box_extent(x2d_target, visible_target)
    if not bool((box > _MIN_BOX).all()):
        raise ValueError("global_position_alignment: a target 2D pose has no extent (all joints missing or equal)")
    depth = (fx * extent_x + fy * extent_y) / box
    if not bool((depth > 0).all()):
        raise ValueError("global_position_alignment: a source pose has no extent, so no depth can be solved")
    root_2d = x2d_target[..., 0, :]
    return torch.stack([depth * (root_2d[..., 0] - cx) / fx, depth * (root_2d[..., 1] - cy) / fy, depth], dim=-1)
