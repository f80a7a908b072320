"""Bone vectors, bone lengths and the Kinematic Chain Space (KCS), batched in torch.

KCS (Wandt and Rosenhahn, RepNet, CVPR 2019): with the bone matrix B = C X (C the bone-joint
incidence matrix), the KCS matrix is B B^T, whose diagonal holds squared bone lengths and whose
off-diagonal entries hold the angles between bones. PoseDA's anchor discriminator reads it per
body part.
"""

from __future__ import annotations

import torch

from lifelong_pose.geometry.skeleton import JointLayout


def _check_joints(X: torch.Tensor, layout: JointLayout, name: str = "X") -> None:
    if X.ndim < 2 or X.shape[-2] != layout.num_joints:
        raise ValueError(
            f"{name} must have shape (..., {layout.num_joints}, D) for layout {layout.name}, got {tuple(X.shape)}"
        )


def bone_vectors(X: torch.Tensor, layout: JointLayout) -> torch.Tensor:
    """Child minus parent for every bone.

    Args:
        X: (..., J, D) joint positions (D = 2 or 3).
    Returns:
        (..., B, D) with B = J - 1, bones in ``layout.bones`` order.
    """
    _check_joints(X, layout)
    parents = torch.tensor([p for p, _ in layout.bones], device=X.device)
    children = torch.tensor([c for _, c in layout.bones], device=X.device)
    return X[..., children, :] - X[..., parents, :]


def bone_lengths(X: torch.Tensor, layout: JointLayout) -> torch.Tensor:
    """(..., B) Euclidean length of each bone, in the units of ``X``."""
    return bone_vectors(X, layout).norm(dim=-1)


def kcs(X: torch.Tensor, layout: JointLayout, bones: tuple[int, ...] | None = None) -> torch.Tensor:
    """Kinematic Chain Space matrix B B^T of the chosen bones.

    Args:
        X: (..., J, D) joint positions.
        bones: bone indices to keep (e.g. ``layout.parts["left_arm"]``); all bones when None.
    Returns:
        (..., b, b) symmetric matrix; its diagonal is the squared bone lengths.
    """
    B = bone_vectors(X, layout)
    if bones is not None:
        B = B[..., list(bones), :]
    return B @ B.transpose(-1, -2)
