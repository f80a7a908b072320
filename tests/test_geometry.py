from __future__ import annotations

import math

import pytest
import torch

from lifelong_pose.geometry import (
    COMMON16,
    H36M17,
    bone_lengths,
    camera_to_world,
    image_coordinates,
    kcs,
    look_at,
    normalize_intrinsics,
    normalize_screen_coordinates,
    project_to_2d,
    world_to_camera,
)


def test_layouts() -> None:
    assert H36M17.num_joints == 17 and COMMON16.num_joints == 16
    assert "Neck/Nose" not in COMMON16.joint_names
    assert COMMON16.parents[COMMON16.index("Head")] == COMMON16.index("Thorax")
    assert H36M17.parents[H36M17.index("Head")] == H36M17.index("Neck/Nose")
    perm = H36M17.mirror_permutation
    assert perm[H36M17.index("LWrist")] == H36M17.index("RWrist") and perm[0] == 0
    assert len(H36M17.bones) == 16
    assert sorted(b for part in H36M17.parts.values() for b in part) == list(range(16))
    assert len(H36M17.parts["left_arm"]) == 2 and len(H36M17.parts["torso"]) == 8


def test_normalisation_hand_values_and_round_trip() -> None:
    pixels = torch.tensor([[0.0, 0.0], [1000.0, 500.0], [500.0, 250.0]])
    normalised = normalize_screen_coordinates(pixels, w=1000, h=500)
    assert torch.allclose(normalised, torch.tensor([[-1.0, -0.5], [1.0, 0.5], [0.0, 0.0]]))
    assert torch.allclose(image_coordinates(normalised, 1000, 500), pixels)


def test_normalisation_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        normalize_screen_coordinates(torch.zeros(3, 3), 100, 100)
    with pytest.raises(ValueError, match="positive"):
        normalize_screen_coordinates(torch.zeros(3, 2), 0, 100)


def test_pinhole_projection_hand_value() -> None:
    X = torch.tensor([[1.0, 2.0, 4.0]])
    intrinsics = torch.tensor([100.0, 200.0, 10.0, 20.0, 0, 0, 0, 0, 0])
    assert torch.allclose(project_to_2d(X, intrinsics), torch.tensor([[35.0, 120.0]]))


def test_radial_distortion_hand_value() -> None:
    X = torch.tensor([[1.0, 0.0, 2.0]])  # x/z = 0.5, r^2 = 0.25
    intrinsics = torch.tensor([1.0, 1.0, 0, 0, 0.4, 0, 0, 0, 0])
    assert torch.allclose(project_to_2d(X, intrinsics), torch.tensor([[0.5 * (1 + 0.4 * 0.25), 0.0]]))
    assert torch.allclose(project_to_2d(X, intrinsics, distort=False), torch.tensor([[0.5, 0.0]]))


def test_normalised_intrinsics_project_to_normalised_coordinates() -> None:
    torch.manual_seed(0)
    X = torch.randn(5, 17, 3) * 0.3 + torch.tensor([0.0, 0.0, 5.0])
    pixels_k = torch.tensor([1145.0, 1143.0, 512.0, 515.0, -0.2, 0.24, -0.002, -0.001, 0.002])
    in_pixels = project_to_2d(X, pixels_k)
    direct = project_to_2d(X, normalize_intrinsics(pixels_k, 1000, 1002))
    assert torch.allclose(normalize_screen_coordinates(in_pixels, 1000, 1002), direct, atol=1e-5)


def test_world_camera_round_trip_and_look_at() -> None:
    eye = torch.tensor([[4.0, -3.0, 1.5]], dtype=torch.float64)
    target = torch.tensor([[0.0, 0.0, 1.0]], dtype=torch.float64)
    R = look_at(eye, target)
    assert torch.allclose(R @ R.transpose(-1, -2), torch.eye(3, dtype=torch.float64).expand(1, 3, 3))
    assert torch.allclose(torch.linalg.det(R), torch.ones(1, dtype=torch.float64))
    in_camera = world_to_camera(target[:, None], R, eye)
    assert torch.allclose(in_camera[0, 0, :2], torch.zeros(2, dtype=torch.float64), atol=1e-12)  # on the optical axis
    assert math.isclose(float(in_camera[0, 0, 2]), float((target - eye).norm()))
    # world up points to image up (camera y is down)
    up = world_to_camera((target + torch.tensor([0, 0, 0.5]))[:, None], R, eye)
    assert float(up[0, 0, 1]) < 0
    points = torch.randn(1, 17, 3, dtype=torch.float64)
    assert torch.allclose(camera_to_world(world_to_camera(points, R, eye), R, eye), points)


def test_projection_batches_over_leading_dims() -> None:
    X = torch.rand(2, 3, 17, 3) + torch.tensor([0, 0, 3.0])
    K = torch.rand(2, 3, 9)
    out = project_to_2d(X, K)
    assert out.shape == (2, 3, 17, 2)
    assert torch.allclose(out[1, 2], project_to_2d(X[1, 2], K[1, 2]))


def test_kcs_diagonal_is_squared_bone_lengths() -> None:
    X = torch.randn(4, 16, 3)
    matrix = kcs(X, COMMON16)
    assert matrix.shape == (4, 15, 15)
    assert torch.allclose(torch.diagonal(matrix, dim1=-2, dim2=-1), bone_lengths(X, COMMON16) ** 2, atol=1e-5)
    arm = kcs(X, COMMON16, COMMON16.parts["left_arm"])
    assert arm.shape == (4, 2, 2)


def test_bone_helpers_reject_wrong_joint_count() -> None:
    with pytest.raises(ValueError, match="16, D"):
        bone_lengths(torch.zeros(2, 17, 3), COMMON16)


def test_per_frame_image_sizes_match_per_frame_calls() -> None:
    from lifelong_pose.geometry.camera import image_intrinsics

    pixels = torch.rand(3, 5, 2, dtype=torch.float64) * 1000
    sizes = torch.tensor([[2048, 2048], [1920, 1080], [1000, 1002]])
    batched = normalize_screen_coordinates(pixels, sizes[:, 0:1], sizes[:, 1:2])
    for row, (w, h) in enumerate(sizes.tolist()):
        assert torch.equal(batched[row], normalize_screen_coordinates(pixels[row], w, h))
    assert torch.allclose(image_coordinates(batched, sizes[:, 0:1], sizes[:, 1:2]), pixels)
    K = torch.tensor([[1500.0, 1501.0, 1017.0, 1043.0, 0.1, 0, 0, 0, 0]] * 3, dtype=torch.float64)
    normalised = normalize_intrinsics(K, sizes[:, 0], sizes[:, 1])
    assert torch.equal(normalised[1], normalize_intrinsics(K[1], 1920, 1080))
    assert torch.allclose(image_intrinsics(normalised, sizes[:, 0], sizes[:, 1]), K)
    with pytest.raises(ValueError, match="positive"):
        normalize_screen_coordinates(pixels, torch.tensor([[100], [0], [100]]), sizes[:, 1:2])
