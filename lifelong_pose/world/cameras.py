"""Sampling camera rigs and their poses over time (static rigs and hand-held moving cameras)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lifelong_pose.geometry.camera import look_at
from lifelong_pose.world.factors import CameraRig


@dataclass(frozen=True)
class SampledCamera:
    """One camera of a rig: pixel intrinsics and placement around the subject."""

    intrinsics_px: np.ndarray  # (9,) [fx, fy, cx, cy, k1, k2, k3, p1, p2]
    azimuth: float  # radians
    distance: float  # metres, horizontal
    height: float  # metres
    shake_phase: np.ndarray  # (6, 3) random phases of the hand-held wander


_SHAKE_FREQUENCIES_HZ = np.array([0.15, 0.4, 0.9])


def sample_cameras(rig: CameraRig, rng: np.random.Generator) -> list[SampledCamera]:
    """The ``rig.count`` cameras of a rig, azimuths spread evenly around the subject."""
    w, h = rig.image_size
    cameras = []
    start = rng.uniform(0, 2 * np.pi)
    for index in range(rig.count):
        focal = max(rng.normal(*rig.focal_px), 1.0)
        centre = np.array([w / 2, h / 2]) + rng.normal(0, rig.principal_jitter_px, size=2)
        k1 = rng.normal(*rig.distortion_k1) if rig.distortion_k1 != (0.0, 0.0) else 0.0
        intrinsics = np.array([focal, focal, centre[0], centre[1], k1, 0.0, 0.0, 0.0, 0.0])
        azimuth = start + 2 * np.pi * index / rig.count + np.deg2rad(rng.uniform(-1, 1) * rig.azimuth_jitter_deg)
        cameras.append(
            SampledCamera(
                intrinsics_px=intrinsics,
                azimuth=float(azimuth),
                distance=float(rng.uniform(*rig.distance_m)),
                height=float(rng.uniform(*rig.height_m)),
                shake_phase=rng.uniform(0, 2 * np.pi, size=(6, 3)),
            )
        )
    return cameras


def camera_poses(
    camera: SampledCamera, rig: CameraRig, root_world: np.ndarray, fps: float, hold_edges: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """World-to-camera rotation and centre for every frame of a take.

    A static camera stands at its placement around the world origin (takes are centred there)
    and aims at ``look_height_m`` above it. A moving camera keeps its placement relative to the
    subject's smoothed root and wanders by a sum of slow sinusoids (smooth, bounded shake).

    Args:
        root_world: (F, 3) root trajectory of the take.
        hold_edges: smooth the followed root with its edge values repeated beyond the take (the v2
            world). The v0/v1 world pads with zeros, which pulls a moving camera towards the world
            origin in a take's first and last half second; kept there so those streams do not change.
    Returns:
        rotation (F, 3, 3) and centre (F, 3), float64 tensors.
    """
    frames = root_world.shape[0]
    offset = np.array(
        [np.cos(camera.azimuth) * camera.distance, np.sin(camera.azimuth) * camera.distance, camera.height]
    )
    aim = np.array([0.0, 0.0, rig.look_height_m])
    if rig.moving:
        width = min(frames, int(fps))
        kernel = np.ones(width) / width
        if hold_edges:
            padded = np.pad(root_world[:, :2], ((width // 2, width - 1 - width // 2), (0, 0)), mode="edge")
            follow = np.stack([np.convolve(padded[:, a], kernel, mode="valid") for a in range(2)], axis=1)
        else:
            follow = np.stack([np.convolve(root_world[:, a], kernel, mode="same") for a in range(2)], axis=1)
        follow = np.concatenate([follow, np.zeros((frames, 1))], axis=1)
        t = np.arange(frames)[:, None] / fps

        def wave(phase: np.ndarray) -> np.ndarray:
            waves = [np.sin(2 * np.pi * f * t + phase[k]) for k, f in enumerate(_SHAKE_FREQUENCIES_HZ)]
            return sum(waves) / len(waves)

        centre = follow + offset + rig.shake_m * wave(camera.shake_phase[:3])
        aim_shake = camera.distance * np.tan(np.deg2rad(rig.shake_deg)) * wave(camera.shake_phase[3:])
        target = follow + aim + aim_shake
    else:
        centre = np.broadcast_to(offset, (frames, 3))
        target = np.broadcast_to(aim, (frames, 3))
    centre_t = torch.as_tensor(np.ascontiguousarray(centre), dtype=torch.float64)
    rotation = look_at(centre_t, torch.as_tensor(np.ascontiguousarray(target), dtype=torch.float64))
    return rotation, centre_t
