"""Build a simulated domain: bodies x clip segments x takes, seen by every camera of the rig.

Everything is seeded from ``(seed, domain.world_key)``, so a domain is the same wherever it
appears in a stream and across processes, and another seed gives another world.
"""

from __future__ import annotations

import numpy as np
import torch

from lifelong_pose.data.domain import DomainData
from lifelong_pose.geometry.camera import (
    normalize_intrinsics,
    normalize_screen_coordinates,
    project_to_2d,
    world_to_camera,
)
from lifelong_pose.geometry.skeleton import FROM_H36M, H36M17
from lifelong_pose.motion.clip import MotionClip
from lifelong_pose.motion.kinematics import h36m_positions
from lifelong_pose.motion.resample import resample_clip
from lifelong_pose.seeding import world_seed
from lifelong_pose.world.bodies import Body, sample_bodies
from lifelong_pose.world.cameras import SampledCamera, camera_poses, sample_cameras
from lifelong_pose.world.factors import DomainSpec, KeypointConvention
from lifelong_pose.world.observation import observe
from lifelong_pose.world.split import split_clip

_J = {name: i for i, name in enumerate(H36M17.joint_names)}
MIN_DEPTH_M = 0.2


def select_clips(clips: list[MotionClip], actions: tuple[str, ...], domain: str) -> list[MotionClip]:
    """Clips whose action is in ``actions`` (all when empty); an unknown action is an error."""
    if not actions:
        return list(clips)
    known = sorted({c.action for c in clips})
    unknown = [a for a in actions if a not in known]
    if unknown:
        raise ValueError(f"Domain {domain!r}: unknown actions {unknown}; the motion library has {known}")
    return [c for c in clips if c.action in actions]


def apply_convention(X: np.ndarray, convention: KeypointConvention) -> np.ndarray:
    """Move H3.6M joints of (..., 17, 3) to another dataset's keypoint convention."""
    X = X.copy()
    hip, thorax = X[..., _J["Hip"], :], X[..., _J["Thorax"], :]
    for name in ("RHip", "LHip"):
        X[..., _J[name], :] = hip + convention.hip_width * (X[..., _J[name], :] - hip)
    for name in ("RShoulder", "LShoulder"):
        X[..., _J[name], :] = thorax + convention.shoulder_width * (X[..., _J[name], :] - thorax)
    if convention.head_shift_m:
        direction = X[..., _J["Head"], :] - X[..., _J["Neck/Nose"], :]
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True).clip(1e-9)
        X[..., _J["Head"], :] += convention.head_shift_m * direction
    if convention.spine_position is not None:
        X[..., _J["Spine"], :] = hip + convention.spine_position * (thorax - hip)
    return X


def place_take(X: np.ndarray, heading: float, mirror: bool) -> np.ndarray:
    """Centre a take's root trajectory on the origin, turn it by ``heading``, maybe mirror it.

    Mirroring negates the lateral axis and swaps left and right joints, which is again a
    physically valid motion.
    """
    X = X - np.array([*X[:, 0, :2].mean(axis=0), 0.0])
    c, s = np.cos(heading), np.sin(heading)
    X = X @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T
    if mirror:
        X = X * np.array([1.0, -1.0, 1.0])
        X = X[:, list(H36M17.mirror_permutation)]
    return X


def generate_domain(domain: DomainSpec, clips: list[MotionClip], seed: int) -> dict[str, DomainData]:
    """Both splits of a simulated domain.

    Returns:
        ``{"train": DomainData, "test": DomainData}``, both with 3D (the scenario strips the
        3D from targets' train split).
    """
    selected = select_clips(clips, domain.motion.actions, domain.name)
    actions = tuple(sorted({c.action for c in selected}))
    bodies = sample_bodies(domain.bodies, np.random.default_rng(world_seed(seed, "bodies", domain.body_key)))
    cameras = sample_cameras(domain.cameras, np.random.default_rng(world_seed(seed, "cameras", domain.camera_key)))
    # the held-out segment of a clip depends on the seed only, so every domain of a stream
    # tests on the same instants of motion and trains on the rest
    pieces: dict[str, list[MotionClip]] = {"train": [], "test": []}
    for clip in selected:
        train, test = split_clip(
            clip, domain.test_fraction, np.random.default_rng(world_seed(seed, "split", clip.name))
        )
        pieces["train"] += train
        pieces["test"] += test
    rngs = {split: np.random.default_rng(world_seed(seed, "takes", domain.world_key, split)) for split in pieces}
    return {
        split: _render_split(domain, split, pieces[split], bodies, cameras, actions, rngs[split])
        for split in ("train", "test")
    }


def _render_split(
    domain: DomainSpec,
    split: str,
    pieces: list[MotionClip],
    bodies: list[Body],
    cameras: list[SampledCamera],
    actions: tuple[str, ...],
    rng: np.random.Generator,
) -> DomainData:
    motion, rig = domain.motion, domain.cameras
    world_takes: list[tuple[np.ndarray, int, int]] = []
    for body_id, body in enumerate(bodies):
        for piece in pieces:
            scale = body.bone_scale(piece.skeleton)
            for _ in range(motion.takes):
                speed = rng.uniform(*motion.speed)
                heading = rng.uniform(0, 2 * np.pi)
                mirror = bool(rng.random() < motion.mirror_prob)
                resampled = resample_clip(piece, motion.fps, speed)
                if resampled.num_frames < 2:
                    continue
                X = place_take(h36m_positions(resampled, scale), heading, mirror)
                world_takes.append((apply_convention(X, domain.convention), body_id, actions.index(piece.action)))
    if not world_takes:
        raise ValueError(f"Domain {domain.name!r}: the {split} split is empty; add clips or lower the fps")

    X_world, rotation, centre, intrinsics, bookkeeping = [], [], [], [], []
    for take_id, (X, body_id, action_id) in enumerate(world_takes):
        for camera_id, camera in enumerate(cameras):
            R, C = camera_poses(camera, rig, X[:, 0], motion.fps)
            frames = X.shape[0]
            X_world.append(torch.as_tensor(X))
            rotation.append(R)
            centre.append(C)
            intrinsics.append(torch.as_tensor(camera.intrinsics_px).expand(frames, 9))
            bookkeeping.append((frames, take_id * len(cameras) + camera_id, camera_id, body_id, action_id))
    X_cam = world_to_camera(torch.cat(X_world), torch.cat(rotation), torch.cat(centre))
    if (X_cam[..., 2] < MIN_DEPTH_M).any():
        raise ValueError(f"Domain {domain.name!r}: a joint came within {MIN_DEPTH_M} m of a camera; move the rig back")
    intrinsics_px = torch.cat(intrinsics)
    x_px = project_to_2d(X_cam, intrinsics_px)

    lengths = np.array([b[0] for b in bookkeeping])
    height_px = (x_px[..., 1].amax(dim=-1) - x_px[..., 1].amin(dim=-1)).numpy()
    observed, visible = observe(x_px.numpy(), lengths, height_px, domain.observation, rng)

    w, h = rig.image_size
    keep = list(FROM_H36M[domain.layout])
    x2d = normalize_screen_coordinates(torch.as_tensor(observed), w, h)[:, keep]
    visible_t = torch.as_tensor(visible)[:, keep]
    x2d = torch.where(visible_t[..., None], x2d, torch.zeros_like(x2d))
    X_cam = X_cam[:, keep]

    def per_frame(column: int) -> torch.Tensor:
        return torch.as_tensor(np.repeat([b[column] for b in bookkeeping], lengths), dtype=torch.int64)

    return DomainData(
        x2d=x2d.float(),
        visible=visible_t,
        X3d=(X_cam - X_cam[:, :1]).float(),
        root=X_cam[:, 0].float(),
        intrinsics=normalize_intrinsics(intrinsics_px, w, h).float(),
        image_size=torch.tensor([w, h], dtype=torch.int64).expand(len(x2d), 2).clone(),
        sequence_id=per_frame(1),
        frame_index=torch.as_tensor(np.concatenate([np.arange(n) for n in lengths]), dtype=torch.int64),
        camera_id=per_frame(2),
        body_id=per_frame(3),
        action_id=per_frame(4),
        name=domain.name,
        layout_name=domain.layout,
        fps=motion.fps,
        labelled=domain.labelled,
        actions=actions,
        split=split,
    )
