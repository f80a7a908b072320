"""Differentiable local pose transformations: bone angle, bone length and rotation about the root.

PoseAug (Gong et al., CVPR 2021) and PoseDA's local pose augmentation (section 3.3) edit a 3D pose
in its bone representation: unit bone directions and bone lengths, rebuilt into joints by forward
kinematics from the root. Each edit changes one thing and keeps the rest, which the tests check:

- :func:`change_bone_angles` turns bones and keeps every bone length;
- :func:`change_bone_lengths` scales bones and keeps every bone direction;
- :func:`rotate_about_root` turns the whole pose rigidly (pairwise distances unchanged).

All functions are batched over any leading dimensions and differentiable (a generator is trained
through them), which is why the axis-angle conversion is written here rather than taken from
scipy's ``Rotation``: that one works on numpy arrays, outside autograd.
"""

from __future__ import annotations

import torch

from lifelong_pose.geometry.bones import bone_vectors
from lifelong_pose.geometry.skeleton import JointLayout

# Bones shorter than this (metres) have no direction worth keeping.
_EPS = 1e-8


def ancestor_matrix(layout: JointLayout, device: torch.device | str | None = None) -> torch.Tensor:
    """(J, B) matrix A with ``A[j, b] = 1`` when bone ``b`` lies on the path from the root to joint ``j``.

    Forward kinematics is then one product: ``joints = A @ bones`` (root at the origin).
    """
    child_of_bone = {child: index for index, (_, child) in enumerate(layout.bones)}
    matrix = torch.zeros(layout.num_joints, len(layout.bones), device=device)
    for joint in range(layout.num_joints):
        walk = joint
        while layout.parents[walk] >= 0:
            matrix[joint, child_of_bone[walk]] = 1.0
            walk = layout.parents[walk]
    return matrix


def joints_from_bones(bones: torch.Tensor, layout: JointLayout) -> torch.Tensor:
    """(..., B, 3) bone vectors -> (..., J, 3) root-relative joints (forward kinematics)."""
    return ancestor_matrix(layout, bones.device).to(bones.dtype) @ bones


def bone_directions_and_lengths(X: torch.Tensor, layout: JointLayout) -> tuple[torch.Tensor, torch.Tensor]:
    """(..., J, 3) joints -> unit bone directions (..., B, 3) and bone lengths (..., B)."""
    vectors = bone_vectors(X, layout)
    lengths = vectors.norm(dim=-1)
    return vectors / lengths.clamp_min(_EPS).unsqueeze(-1), lengths


def change_bone_angles(X: torch.Tensor, direction_offsets: torch.Tensor, layout: JointLayout) -> torch.Tensor:
    """Add ``direction_offsets`` (..., B, 3) to the unit bone directions, renormalise, keep the lengths.

    Returns:
        (..., J, 3) root-relative joints with the root at the origin.
    """
    directions, lengths = bone_directions_and_lengths(X, layout)
    turned = directions + direction_offsets
    turned = turned / turned.norm(dim=-1, keepdim=True).clamp_min(_EPS)
    return joints_from_bones(turned * lengths.unsqueeze(-1), layout)


def change_bone_lengths(X: torch.Tensor, length_ratios: torch.Tensor, layout: JointLayout) -> torch.Tensor:
    """Scale every bone by ``1 + length_ratios`` (..., B), keeping its direction.

    Raises:
        ValueError: a ratio at or below -1 (a bone of zero or negative length).
    """
    if bool((length_ratios <= -1).any()):
        raise ValueError("change_bone_lengths: length ratios must be > -1 (a bone cannot vanish)")
    vectors = bone_vectors(X, layout)
    return joints_from_bones(vectors * (1 + length_ratios).unsqueeze(-1), layout)


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """(..., 3) rotation vectors (axis times angle, radians) -> (..., 3, 3) rotation matrices (Rodrigues).

    Uses the Taylor expansions of ``sin(t)/t`` and ``(1 - cos(t))/t^2`` near zero, so the identity
    rotation has finite gradients.
    """
    theta2 = (axis_angle**2).sum(dim=-1, keepdim=True).unsqueeze(-1)  # (..., 1, 1)
    theta = theta2.clamp_min(1e-12).sqrt()
    small = theta2 < 1e-6
    a = torch.where(small, 1 - theta2 / 6, torch.sin(theta) / theta)
    b = torch.where(small, 0.5 - theta2 / 24, (1 - torch.cos(theta)) / theta2.clamp_min(1e-12))
    x, y, z = axis_angle.unbind(-1)
    zero = torch.zeros_like(x)
    skew = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(*axis_angle.shape[:-1], 3, 3)
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device)
    return eye + a * skew + b * (skew @ skew)


def rotate_about_root(X: torch.Tensor, axis_angle: torch.Tensor) -> torch.Tensor:
    """Rotate root-relative joints (..., J, 3) by the rotation vectors (..., 3)."""
    return X @ axis_angle_to_matrix(axis_angle).transpose(-1, -2)


def mirror_bone_permutation(layout: JointLayout) -> tuple[int, ...]:
    """For every bone, the index of its left/right twin (itself on the spine).

    Lets a bone-length change stay symmetric, as PoseAug's is: a left forearm and a right forearm
    change by the same ratio.
    """
    joint_twin = layout.mirror_permutation
    bone_of_child = {child: index for index, (_, child) in enumerate(layout.bones)}
    return tuple(bone_of_child[joint_twin[child]] for _, child in layout.bones)


def flip_horizontally(X: torch.Tensor, layout: JointLayout) -> torch.Tensor:
    """Mirror poses left-right: negate x and swap every left joint with its right twin.

    Works on (..., J, 2) normalised screen coordinates (mirrored about the image centre, as
    VideoPose3D's test-time augmentation does) and on (..., J, 3) camera-frame joints alike;
    applying it twice gives the input back.
    """
    if X.shape[-2] != layout.num_joints:
        raise ValueError(
            f"flip_horizontally: expected {layout.num_joints} joints ({layout.name}), got shape {tuple(X.shape)}"
        )
    sign = torch.ones(X.shape[-1], dtype=X.dtype, device=X.device)
    sign[0] = -1
    return (X * sign)[..., list(layout.mirror_permutation), :]
