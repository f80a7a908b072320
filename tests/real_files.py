"""Tiny files in the exact layouts of the field's preprocessed datasets, written by the tests.

Poses are a standing template that turns and walks a little from frame to frame; 2D is the true
projection (with the dataset's distortion), so readers can be checked against known answers.
Joint-order conversions here are written from the format descriptions, independently of the
readers' tables.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lifelong_pose.datasets.h36m_cameras import CAMERA_IDS, EXTRINSICS, INTRINSICS
from lifelong_pose.geometry.camera import project_to_2d

# A standing person in H3.6M's 17-joint order, world frame (z up), metres.
TEMPLATE = np.array(
    [
        [0.0, 0.0, 0.92], [-0.13, 0.0, 0.92], [-0.13, 0.03, 0.50], [-0.13, 0.0, 0.08],
        [0.13, 0.0, 0.92], [0.13, 0.03, 0.50], [0.13, 0.0, 0.08], [0.0, 0.0, 1.15],
        [0.0, 0.0, 1.40], [0.0, -0.06, 1.52], [0.0, 0.0, 1.64], [0.17, 0.0, 1.38],
        [0.20, 0.02, 1.10], [0.22, -0.05, 0.86], [-0.17, 0.0, 1.38], [-0.20, 0.02, 1.10],
        [-0.22, -0.05, 0.86],
    ]
)  # fmt: skip
# 3DHP's 17 joints in its own order, named by the H3.6M joint each one becomes.
HP3D_NAMES = (
    "Head", "Thorax", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "RHip", "RKnee", "RFoot",
    "LHip", "LKnee", "LFoot", "Hip", "Spine", "Neck/Nose",
)  # fmt: skip
H36M_NAMES = (
    "Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax", "Neck/Nose", "Head",
    "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist",
)  # fmt: skip
WITHOUT_NOSE = [i for i, name in enumerate(H36M_NAMES) if name != "Neck/Nose"]
KEPT_32 = [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]
TS_STUDIO = np.array([1500.172, 1500.837, 1017.387, 1043.032, 0, 0, 0, 0, 0])
TS_OUTDOOR = np.array(
    [
        *(1683.98345952, 1672.59370772, 939.85754016, 560.140743168),  # fx, fy, cx, cy
        *(-0.276859611, 0.131125256, -0.049318332, -0.000360494, -0.001149441),  # k1-k3, p1, p2
    ]
)


def world_motion(frames: int, seed: int) -> np.ndarray:
    """(frames, 17, 3) world poses: the template turning about z and stepping along x."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(0, 2 * np.pi) + 0.05 * np.arange(frames)
    c, s = np.cos(angles), np.sin(angles)
    rotation = np.stack(
        [np.stack([c, -s, 0 * c], -1), np.stack([s, c, 0 * c], -1), np.stack([0 * c, 0 * c, 1 + 0 * c], -1)], 1
    )
    poses = TEMPLATE @ rotation.transpose(0, 2, 1)
    poses[..., 0] += 0.01 * np.arange(frames)[:, None] + rng.uniform(-0.3, 0.3)
    return poses


def camera_frame_motion(frames: int, seed: int, depth: float = 4.0) -> np.ndarray:
    """(frames, 17, 3) poses in a camera frame (x right, y down, z forward), ``depth`` metres away."""
    world = world_motion(frames, seed)
    return np.stack([world[..., 0], -(world[..., 2] - 0.9), world[..., 1] + depth], axis=-1)


def project(X: np.ndarray, K_px: np.ndarray) -> np.ndarray:
    """Pixel projection with distortion (the suite's projection, in pixel units)."""
    return project_to_2d(torch.as_tensor(X), torch.as_tensor(K_px, dtype=torch.float64)).numpy()


def quaternion_rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """VideoPose3D's ``qrot``: v + 2 (w (u x v) + u x (u x v)) with q = (w, u)."""
    w, u = q[0], np.broadcast_to(q[1:], v.shape)
    uv = np.cross(u, v)
    return v + 2 * (w * uv + np.cross(u, uv))


def h36m_world_to_camera(X: np.ndarray, subject: str, camera_index: int) -> np.ndarray:
    """VideoPose3D's ``world_to_camera``: qrot(qinverse(q), X - t), t in metres."""
    q, t = (np.asarray(v, float) for v in EXTRINSICS[subject][camera_index])
    inverse = q * np.array([1.0, -1.0, -1.0, -1.0])
    return quaternion_rotate(inverse, X - t / 1000.0)


def write_h36m(
    root: Path,
    subjects: tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8", "S9", "S11"),
    actions: tuple[str, ...] = ("Walking", "Walking 1", "Eating", "Eating 1", "Phoning"),
    frames: int = 30,
    extra_2d_frames: int = 2,
    keypoints: str = "gt",
) -> dict[str, dict[str, np.ndarray]]:
    """``data_3d_h36m.npz`` and the 2D file; returns the 17-joint world poses written."""
    positions_3d, positions_2d, written = {}, {}, {}
    for s_index, subject in enumerate(subjects):
        positions_3d[subject], positions_2d[subject], written[subject] = {}, {}, {}
        for a_index, action in enumerate(actions):
            world = world_motion(frames + extra_2d_frames, 100 * s_index + a_index)
            joints32 = np.repeat(world[:, :1], 32, axis=1)
            joints32[:, KEPT_32] = world
            positions_3d[subject][action] = joints32[:frames].astype(np.float32)
            written[subject][action] = world[:frames]
            views = []
            for c_index, camera in enumerate(CAMERA_IDS):
                X_cam = h36m_world_to_camera(world, subject, c_index)
                views.append(project(X_cam, np.asarray(INTRINSICS[camera])).astype(np.float32))
            positions_2d[subject][action] = views
    metadata = {
        "layout_name": "h36m",
        "num_joints": 17,
        "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]],
    }
    np.savez_compressed(root / "data_3d_h36m.npz", positions_3d=positions_3d)
    name = {"gt": "data_2d_h36m_gt.npz", "cpn_ft_h36m_dbb": "data_2d_h36m_cpn_ft_h36m_dbb.npz"}[keypoints]
    np.savez_compressed(root / name, positions_2d=positions_2d, metadata=metadata)
    return written


def to_hp3d_order(X: np.ndarray) -> np.ndarray:
    return X[:, [H36M_NAMES.index(name) for name in HP3D_NAMES]]


def hp3d_test_sequence(name: str, frames: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame H3.6M-order poses (metres) of a 3DHP test sequence and their pixel 2D."""
    X = camera_frame_motion(frames, seed)
    K = TS_OUTDOOR if name in ("TS5", "TS6") else TS_STUDIO
    return X, project(X, K)


def write_hp3d_pstmo_test(root: Path, frames: int = 12) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``data_test_3dhp.npz`` (P-STMO): 3DHP joint order, pixels, millimetres, ``valid``."""
    data, written = {}, {}
    for index, name in enumerate(("TS1", "TS2", "TS3", "TS4", "TS5", "TS6")):
        X, x = hp3d_test_sequence(name, frames, 10 + index)
        valid = np.ones(frames)
        valid[3] = 0  # one invalid frame in the middle of every sequence
        data[name] = {"data_2d": to_hp3d_order(x), "data_3d": to_hp3d_order(X) * 1000.0, "valid": valid}
        written[name] = (X, x, valid)
    np.savez_compressed(root / "data_test_3dhp.npz", data=data)
    return written


def write_hp3d_adaptpose_test(root: Path, frames: int = 110) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``data_3dhp_gt_test.npz`` (AdaptPose): H3.6M 16-joint order, pixels, millimetres."""
    positions_2d, positions_3d, written = {}, {}, {}
    for index, name in enumerate(("TS1", "TS3", "TS5")):
        X, x = hp3d_test_sequence(name, frames, 20 + index)
        positions_2d[name], positions_3d[name] = x[:, WITHOUT_NOSE], X[:, WITHOUT_NOSE] * 1000.0
        written[name] = (X[:, WITHOUT_NOSE], x[:, WITHOUT_NOSE])
    np.savez_compressed(root / "data_3dhp_gt_test.npz", positions_2d=positions_2d, positions_3d=positions_3d)
    return written


def write_hp3d_poseaug_test(root: Path, studio: int = 6, outdoor: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``test_3dhp.npz`` (PoseAug): pelvis-relative metres, normalised 2D, 16 joints.

    ``studio`` frames come first (TS1-4 camera, 2048x2048), then ``outdoor`` ones (TS5-6 camera,
    1920x1080, distorted), as in the real file; give 2207 studio frames for the real boundary.
    Returns the camera-frame 3D and pixel 2D of all frames.
    """
    X_studio, x_studio = hp3d_test_sequence("TS1", studio, 30)
    X_out, x_out = hp3d_test_sequence("TS5", outdoor, 31)
    X, x = np.concatenate([X_studio, X_out]), np.concatenate([x_studio, x_out])
    pose2d = np.concatenate([x_studio / 2048 * 2 - 1, x_out / 1920 * 2 - np.array([1.0, 1080 / 1920])])
    np.savez_compressed(root / "test_3dhp.npz", pose3d=(X - X[:, :1])[:, WITHOUT_NOSE], pose2d=pose2d[:, WITHOUT_NOSE])
    return X[:, WITHOUT_NOSE], x[:, WITHOUT_NOSE]


def write_hp3d_pstmo_train(root: Path, frames: int = 10) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """``data_train_3dhp.npz`` (P-STMO): ``{"S1 Seq1": [{camera: {data_2d, data_3d}}, fps]}``."""
    K = np.array([1497.7, 1497.2, 1024.1, 1030.5, 0, 0, 0, 0, 0])
    data, written = {}, {}
    for index, key in enumerate(("S1 Seq1", "S2 Seq1")):
        cameras = {}
        for camera in ("0", "2"):
            X = camera_frame_motion(frames, 40 + index + int(camera), depth=3.5 + int(camera) * 0.5)
            x = project(X, K)
            cameras[camera] = {"data_2d": to_hp3d_order(x), "data_3d": to_hp3d_order(X) * 1000.0}
            written[(key, camera)] = (X, x)
        data[key] = [cameras, 25 if index == 0 else 50]
    np.savez_compressed(root / "data_train_3dhp.npz", data=data)
    return written


def write_pw3d(root: Path, frames: int = 8) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``data_3dpw_gt_{train,test}.npz`` (AdaptPose): flat (N, 16, ·), normalised 2D, metres; the
    test file's legs are in the other order (left leg first), as AdaptPose's loader expects."""
    K = np.array([1961.0, 1961.0, 540.0, 960.0, 0, 0, 0, 0, 0])
    written = {}
    for index, part in enumerate(("train", "test")):
        X = camera_frame_motion(frames, 50 + index, depth=5.0)
        x = project(X, K)
        X16, x16 = X[:, WITHOUT_NOSE], x[:, WITHOUT_NOSE]
        written[part] = (X16, x16)
        x_n = x16 / 1080 * 2 - np.array([1.0, 1920 / 1080])
        X_file = X16 - X16[:, :1]  # root-relative, as AdaptPose's files are read
        if part == "test":
            swap = [0, 4, 5, 6, 1, 2, 3, *range(7, 16)]
            X_file, x_n = X_file[:, swap], x_n[:, swap]
        np.savez(root / f"data_3dpw_gt_{part}.npz", positions_2d=x_n, positions_3d=X_file)
    return written


def write_complete_folder(root: Path) -> Path:
    """Every file the real scenarios read (3DHP in P-STMO's layout, test and train)."""
    root.mkdir(parents=True, exist_ok=True)
    write_h36m(root)
    write_hp3d_pstmo_test(root)
    write_hp3d_pstmo_train(root)
    write_pw3d(root)
    return root


def write_hp3d_adaptpose_train(root: Path, frames: int = 6) -> np.ndarray:
    """``data_3dhp_gt_train.npz`` (AdaptPose): 2D only, ``{subject: {sequence: {camera: (T, 16, 2)}}}``,
    left limbs before right ones (the order AdaptPose's loader undoes). Returns the H3.6M-order 2D."""
    x = project(camera_frame_motion(frames, 60), TS_STUDIO)[:, WITHOUT_NOSE]
    left_first = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 13, 14, 15, 10, 11, 12]  # its own inverse
    positions_2d = {"S1": {"Seq1": {0: x[:, left_first], 1: x[:, left_first]}}}
    np.savez_compressed(root / "data_3dhp_gt_train.npz", positions_2d=positions_2d)
    return x
