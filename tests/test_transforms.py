"""Local pose transformations and the LPA networks: each change keeps what it must keep."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from lifelong_pose.strategies.shared.lpa import AnchorDiscriminator, AugmentationGenerator, ResidualMLP
from scipy.spatial.transform import Rotation

from lifelong_pose.geometry import H36M17, bone_lengths, bone_vectors
from lifelong_pose.geometry.transforms import (
    ancestor_matrix,
    axis_angle_to_matrix,
    bone_directions_and_lengths,
    change_bone_angles,
    change_bone_lengths,
    joints_from_bones,
    mirror_bone_permutation,
    rotate_about_root,
)

LAYOUT = H36M17


def _poses(n: int = 6, seed: int = 0) -> torch.Tensor:
    """Random root-relative poses with bones of 10-50 cm."""
    generator = torch.Generator().manual_seed(seed)
    bones = torch.randn(n, len(LAYOUT.bones), 3, generator=generator)
    bones = (
        bones
        / bones.norm(dim=-1, keepdim=True)
        * (0.1 + 0.4 * torch.rand(n, len(LAYOUT.bones), 1, generator=generator))
    )
    return joints_from_bones(bones, LAYOUT)


def _pairwise(X: torch.Tensor) -> torch.Tensor:
    return torch.cdist(X, X)


def test_forward_kinematics_inverts_bone_vectors() -> None:
    X = _poses()
    assert torch.allclose(joints_from_bones(bone_vectors(X, LAYOUT), LAYOUT), X, atol=1e-6)
    assert torch.all(X[:, 0] == 0)
    A = ancestor_matrix(LAYOUT)
    # the right foot (3) hangs from hip -> right hip -> right knee -> right foot: three bones
    assert A[3].sum() == 3 and A[0].sum() == 0


def test_bone_angle_change_keeps_every_bone_length() -> None:
    X = _poses()
    offsets = 0.5 * torch.randn(X.shape[0], len(LAYOUT.bones), 3, generator=torch.Generator().manual_seed(1))
    Y = change_bone_angles(X, offsets, LAYOUT)
    assert torch.allclose(bone_lengths(Y, LAYOUT), bone_lengths(X, LAYOUT), atol=1e-5)
    assert not torch.allclose(Y, X, atol=1e-3)
    assert torch.allclose(change_bone_angles(X, torch.zeros_like(offsets), LAYOUT), X, atol=1e-6)


def test_bone_length_change_keeps_every_bone_direction() -> None:
    X = _poses()
    ratios = 0.3 * (2 * torch.rand(X.shape[0], len(LAYOUT.bones), generator=torch.Generator().manual_seed(2)) - 1)
    Y = change_bone_lengths(X, ratios, LAYOUT)
    before, lengths = bone_directions_and_lengths(X, LAYOUT)
    after, new_lengths = bone_directions_and_lengths(Y, LAYOUT)
    assert torch.allclose(after, before, atol=1e-5)
    assert torch.allclose(new_lengths, lengths * (1 + ratios), atol=1e-6)
    with pytest.raises(ValueError, match="must be > -1"):
        change_bone_lengths(X, torch.full_like(ratios, -1.0), LAYOUT)


def test_rotation_keeps_the_pose_rigid() -> None:
    X = _poses()
    axis_angle = torch.randn(X.shape[0], 3, generator=torch.Generator().manual_seed(3))
    Y = rotate_about_root(X, axis_angle)
    assert torch.allclose(_pairwise(Y), _pairwise(X), atol=1e-5)
    assert torch.all(Y[:, 0].abs() < 1e-7)  # turns about the root
    assert not torch.allclose(Y, X, atol=1e-3)


def test_axis_angle_matches_scipy_and_has_gradients_at_zero() -> None:
    rotvec = np.array([[0.3, -1.2, 0.5], [0.0, 0.0, math.pi / 2], [1e-5, 0.0, 0.0]])
    ours = axis_angle_to_matrix(torch.tensor(rotvec, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ours, Rotation.from_rotvec(rotvec).as_matrix(), atol=1e-10)
    # a quarter turn about z takes x to y, by hand
    np.testing.assert_allclose(ours[1] @ np.array([1.0, 0, 0]), [0, 1, 0], atol=1e-12)
    zero = torch.zeros(3, requires_grad=True)
    axis_angle_to_matrix(zero).sum().backward()
    assert torch.isfinite(zero.grad).all()


def test_bone_twins_pair_left_and_right() -> None:
    twin = mirror_bone_permutation(LAYOUT)
    assert all(twin[twin[b]] == b for b in range(len(twin)))
    names = LAYOUT.bone_names
    left_forearm = names.index("LElbow->LWrist")
    assert names[twin[left_forearm]] == "RElbow->RWrist"
    spine = names.index("Hip->Spine")
    assert twin[spine] == spine


def test_generator_stages_keep_their_invariants_and_limits() -> None:
    torch.manual_seed(0)
    generator = AugmentationGenerator(
        LAYOUT, noise_dim=8, width=32, angle_limit=0.4, length_limit=0.25, rotation_limit=0.3
    )
    X = _poses(16)
    out = generator(X, torch.Generator().manual_seed(0))
    assert torch.allclose(bone_lengths(out.after_angle, LAYOUT), bone_lengths(X, LAYOUT), atol=1e-5)
    angle_dirs, _ = bone_directions_and_lengths(out.after_angle, LAYOUT)
    length_dirs, _ = bone_directions_and_lengths(out.after_length, LAYOUT)
    assert torch.allclose(length_dirs, angle_dirs, atol=1e-5)
    assert torch.allclose(_pairwise(out.pose), _pairwise(out.after_length), atol=1e-5)
    assert out.direction_offsets.abs().max() <= 0.4 and out.length_ratios.abs().max() <= 0.25
    assert out.axis_angle.abs().max() <= 0.3
    twin = list(mirror_bone_permutation(LAYOUT))
    assert torch.allclose(out.length_ratios, out.length_ratios[:, twin])  # symmetric bone lengths
    # the same parameters applied to a window change every frame alike
    windows = torch.stack([X, X], dim=1)
    assert torch.allclose(generator.apply(windows, out), torch.stack([out.pose, out.pose], dim=1), atol=1e-6)


def test_generator_noise_is_reproducible() -> None:
    torch.manual_seed(0)
    generator = AugmentationGenerator(LAYOUT, noise_dim=8, width=32)
    X = _poses(4)
    first = generator(X, torch.Generator().manual_seed(5)).pose
    assert torch.equal(first, generator(X, torch.Generator().manual_seed(5)).pose)
    assert not torch.equal(first, generator(X, torch.Generator().manual_seed(6)).pose)


def test_anchor_critic_scores_five_parts_and_ignores_rotation() -> None:
    torch.manual_seed(0)
    critic = AnchorDiscriminator(LAYOUT, width=16)
    X = _poses(5)
    scores = critic(X)
    assert scores.shape == (5, 5)
    turned = rotate_about_root(X, torch.tensor([0.3, 1.0, -0.4]).expand(5, 3))
    assert torch.allclose(critic(turned), scores, atol=1e-5)
    critic.clip_weights(0.01)
    assert max(p.abs().max().item() for p in critic.parameters()) <= 0.01


def test_residual_mlp_needs_two_layers() -> None:
    assert ResidualMLP(4, 2, 8, layers=4)(torch.zeros(3, 4)).shape == (3, 2)
    with pytest.raises(ValueError, match="at least 2 layers"):
        ResidualMLP(4, 2, 8, layers=1)
    with pytest.raises(ValueError, match="length_limit"):
        AugmentationGenerator(LAYOUT, length_limit=1.0)
