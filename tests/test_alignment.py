"""Global position alignment (PoseDA eq. 4-9): projecting back lands on the target's root and box."""

from __future__ import annotations

import pytest
import torch

import lifelong_pose as lp
from lifelong_pose.geometry import global_position_alignment, project_to_2d


def _box(x2d: torch.Tensor) -> torch.Tensor:
    return (x2d.amax(dim=-2) - x2d.amin(dim=-2)).sum(dim=-1)


@pytest.fixture(scope="module")
def pairs():
    """Source 3D from the lab, target 2D and intrinsics from the hand-held outdoor camera."""
    scenario = lp.make("cross_dataset")
    source, target = scenario.train_data(0), scenario.train_data(2)
    generator = torch.Generator().manual_seed(0)
    pick_source = torch.randperm(len(source), generator=generator)[:500]
    pick_target = torch.randperm(len(target), generator=generator)[:500]
    return (
        source.X3d[pick_source],
        target.x2d[pick_target],
        target.intrinsics[pick_target],
        target.visible[pick_target],
    )


def test_the_root_projects_exactly_onto_the_target_root(pairs) -> None:
    X3d, x2d, intrinsics, visible = pairs
    root = global_position_alignment(X3d, x2d, intrinsics, visible)
    projected = project_to_2d(X3d + root[:, None], intrinsics, distort=False)
    assert torch.allclose(projected[:, 0], x2d[:, 0], atol=1e-5)


def test_the_box_size_matches_the_target_within_the_weak_perspective_error(pairs) -> None:
    X3d, x2d, intrinsics, visible = pairs
    full = visible.all(dim=-1)
    root = global_position_alignment(X3d[full], x2d[full], intrinsics[full])
    projected = project_to_2d(X3d[full] + root[:, None], intrinsics[full], distort=False)
    ratio = _box(projected) / _box(x2d[full])
    # eq. 5 drops the joints' depth offsets (|Z_i| <= ~0.4 m at Z_r ~ 2-4 m): ratio within ~15%
    assert ratio.median().item() == pytest.approx(1.0, abs=0.03)
    assert ((ratio > 0.85) & (ratio < 1.15)).float().mean().item() > 0.95


def test_a_flat_pose_matches_the_box_exactly() -> None:
    """With every joint at the root's depth, eq. 5 is exact, so the box matches exactly."""
    X3d = torch.tensor([[[0.0, 0.0, 0.0], [0.3, -0.5, 0.0], [-0.2, 0.4, 0.0]]])
    x2d = torch.tensor([[[0.1, 0.05], [0.2, -0.1], [0.0, 0.2]]])
    intrinsics = torch.tensor([[2.3, 2.3, 0.01, -0.02, 0, 0, 0, 0, 0]])
    root = global_position_alignment(X3d, x2d, intrinsics)
    # by hand: dX = 0.5, dY = 0.9; box = 0.2 + 0.3 = 0.5; Z = (2.3 * 0.5 + 2.3 * 0.9) / 0.5 = 6.44
    assert root[0, 2].item() == pytest.approx(6.44)
    assert root[0, 0].item() == pytest.approx(6.44 * (0.1 - 0.01) / 2.3)
    assert root[0, 1].item() == pytest.approx(6.44 * (0.05 + 0.02) / 2.3)
    projected = project_to_2d(X3d + root[:, None], intrinsics, distort=False)
    assert _box(projected).item() == pytest.approx(0.5)


def test_missing_target_joints_do_not_inflate_the_box() -> None:
    X3d = torch.tensor([[[0.0, 0.0, 0.0], [0.3, -0.5, 0.0], [-0.2, 0.4, 0.0]]])
    x2d = torch.tensor([[[0.5, 0.5], [0.6, 0.3], [0.0, 0.0]]])  # joint 2 missing, stored at 0
    intrinsics = torch.tensor([[2.0, 2.0, 0, 0, 0, 0, 0, 0, 0]])
    visible = torch.tensor([[True, True, False]])
    with_mask = global_position_alignment(X3d, x2d, intrinsics, visible)
    assert with_mask[0, 2].item() == pytest.approx((2.0 * 0.5 + 2.0 * 0.9) / (0.1 + 0.2))
    assert global_position_alignment(X3d, x2d, intrinsics)[0, 2] < with_mask[0, 2]


def test_batched_over_leading_dims() -> None:
    X3d = torch.randn(4, 5, 17, 3) * 0.3
    X3d = X3d - X3d[..., :1, :]
    x2d = torch.rand(4, 5, 17, 2) - 0.5
    intrinsics = torch.tensor([1.5, 1.5, 0, 0, 0, 0, 0, 0, 0]).expand(4, 5, 9)
    assert global_position_alignment(X3d, x2d, intrinsics).shape == (4, 5, 3)


def test_bad_inputs_fail_clearly() -> None:
    X3d, x2d, intrinsics = torch.zeros(2, 17, 3), torch.zeros(2, 17, 2), torch.ones(2, 9)
    with pytest.raises(ValueError, match="expects X3d_source"):
        global_position_alignment(X3d, x2d, torch.ones(2, 4))
    with pytest.raises(ValueError, match="pair up one to one"):
        global_position_alignment(X3d, torch.zeros(3, 17, 2), torch.ones(3, 9))
    with pytest.raises(ValueError, match="visible_target must be"):
        global_position_alignment(X3d, x2d, intrinsics, torch.ones(2, 16, dtype=torch.bool))
    with pytest.raises(ValueError, match="no extent"):
        global_position_alignment(torch.rand(2, 17, 3), x2d, intrinsics)
