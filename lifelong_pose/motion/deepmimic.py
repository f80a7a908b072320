"""The DeepMimic humanoid motion-capture clips shipped inside the ``pybullet`` wheel.

Files ``pybullet_data/data/motions/humanoid3d_*.txt`` are JSON: ``{"Loop": ..., "Frames": [...]}``
with 44 numbers a frame: duration, root position (3), root rotation (wxyz), chest, neck,
right hip (wxyz), right knee angle, right ankle, right shoulder (wxyz), right elbow angle, then the
same for the left side. Bone offsets come from ``pybullet_data/humanoid/humanoid.urdf``, used at
``globalScaling=0.25`` as in pybullet's DeepMimic environment (metres after scaling). The files
are read as data: the physics engine is never imported.
"""

from __future__ import annotations

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from lifelong_pose.motion.clip import MotionClip, MotionError, Skeleton
from lifelong_pose.motion.frames import points_y_up_to_z_up, quaternions_y_up_to_z_up
from lifelong_pose.motion.resample import resample_clip

URDF_SCALE = 0.25
# (joint, parent, kind) in file order; "spherical" joints carry a quaternion, "revolute" an angle.
_FILE_JOINTS: tuple[tuple[str, str | None, str], ...] = (
    ("root", None, "root"),
    ("chest", "root", "spherical"),
    ("neck", "chest", "spherical"),
    ("right_hip", "root", "spherical"),
    ("right_knee", "right_hip", "revolute"),
    ("right_ankle", "right_knee", "spherical"),
    ("right_shoulder", "chest", "spherical"),
    ("right_elbow", "right_shoulder", "revolute"),
    ("left_hip", "root", "spherical"),
    ("left_knee", "left_hip", "revolute"),
    ("left_ankle", "left_knee", "spherical"),
    ("left_shoulder", "chest", "spherical"),
    ("left_elbow", "left_shoulder", "revolute"),
)
_FRAME_SIZE = 1 + 3 + sum(4 if kind in ("root", "spherical") else 1 for _, _, kind in _FILE_JOINTS)
# Rigid points with no rotation of their own: (name, parent, offset in the parent frame, y-up, m).
# The wrists are fixed joints of the URDF; the nose and head top sit on the head sphere (centre
# 0.175 m above the neck joint, radius 0.1025 m): our choice, the clips define no face points.
_MARKERS: tuple[tuple[str, str, tuple[float, float, float] | None], ...] = (
    ("right_wrist", "right_elbow", None),
    ("left_wrist", "left_elbow", None),
    ("nose", "neck", (0.08, 0.15, 0.0)),
    ("head_top", "neck", (0.02, 0.27, 0.0)),
)
_H36M_JOINTS = (
    "root", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "chest",
    "neck", "nose", "head_top", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder",
    "right_elbow", "right_wrist",
)  # fmt: skip
_REVOLUTE_AXIS = np.array([0.0, 0.0, 1.0])  # knee and elbow axis in the URDF (y-up frame)


def pybullet_data_path() -> Path:
    """The installed ``pybullet_data`` folder, found without importing pybullet."""
    spec = importlib.util.find_spec("pybullet_data")
    if spec is None or not spec.submodule_search_locations:
        raise MotionError("pybullet_data is not installed; `pip install pybullet` ships the DeepMimic clips")
    return Path(next(iter(spec.submodule_search_locations)))


def humanoid_skeleton(urdf_path: Path | None = None) -> Skeleton:
    """The DeepMimic humanoid as a :class:`Skeleton` in the z-up world, metres."""
    urdf_path = urdf_path or pybullet_data_path() / "humanoid" / "humanoid.urdf"
    try:
        # the shipped file ends in a NUL byte, which XML parsers reject
        root = ET.fromstring(urdf_path.read_bytes().rstrip(b"\0\r\n "))
    except (OSError, ET.ParseError) as error:
        raise MotionError(f"Cannot read humanoid URDF {urdf_path}: {error}") from error
    origins: dict[str, np.ndarray] = {}
    for joint in root.iter("joint"):
        origin = joint.find("origin")
        xyz = origin.get("xyz", "0 0 0") if origin is not None else "0 0 0"
        origins[joint.get("name", "")] = np.array([float(v) for v in xyz.split()]) * URDF_SCALE
    names = [name for name, _, _ in _FILE_JOINTS] + [name for name, _, _ in _MARKERS]
    parents_by_name = {name: parent for name, parent, _ in _FILE_JOINTS} | {n: p for n, p, _ in _MARKERS}
    offsets_y_up = []
    for name in names:
        marker = next((offset for n, _, offset in _MARKERS if n == name), None)
        if marker is not None:
            offsets_y_up.append(np.array(marker))
        elif name in origins:
            offsets_y_up.append(origins[name])
        else:
            raise MotionError(f"Humanoid URDF {urdf_path} has no joint {name!r}")
    parents = tuple(-1 if parents_by_name[n] is None else names.index(parents_by_name[n]) for n in names)
    return Skeleton(
        joint_names=tuple(names),
        parents=parents,
        offsets=points_y_up_to_z_up(np.stack(offsets_y_up)),
        h36m_joints=_H36M_JOINTS,
    )


def _action_of(stem: str) -> str:
    """``humanoid3d_getup_facedown`` -> ``getup``; ``humanoid3d_dance_a`` -> ``dance``."""
    words = stem.removeprefix("humanoid3d_").split("_")
    return words[0]


def read_deepmimic_clip(
    path: Path, skeleton: Skeleton | None = None, *, name: str | None = None, action: str | None = None
) -> MotionClip:
    """Read one DeepMimic humanoid clip into a uniformly timed :class:`MotionClip`.

    ``"Loop": "wrap"`` marks a cycle (``MotionClip.loop``). ``name`` and ``action`` default to
    ``deepmimic/<stem>`` and the stem's first word.

    Raises:
        MotionError: the file is not DeepMimic JSON, a frame has the wrong size, or values are NaN.
    """
    skeleton = skeleton or humanoid_skeleton()
    try:
        content = json.loads(Path(path).read_text())
        frames = np.asarray(content["Frames"], dtype=np.float64)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise MotionError(f"{path}: not a DeepMimic motion file ({error})") from error
    if frames.ndim != 2 or frames.shape[1] != _FRAME_SIZE or frames.shape[0] < 2:
        raise MotionError(f"{path}: expected at least 2 frames of {_FRAME_SIZE} numbers, got shape {frames.shape}")
    if not np.isfinite(frames).all():
        raise MotionError(f"{path}: contains NaN or infinite values")
    durations = frames[:-1, 0]
    if (durations <= 0).any():
        raise MotionError(f"{path}: frame durations must be positive")
    times = np.concatenate([[0.0], np.cumsum(durations)])
    rotations = np.zeros((frames.shape[0], skeleton.num_joints, 4))
    rotations[..., 3] = 1.0
    column = 4
    for index, (_, _, kind) in enumerate(_FILE_JOINTS):
        if kind == "revolute":
            half = frames[:, column] / 2
            rotations[:, index, :3] = np.sin(half)[:, None] * _REVOLUTE_AXIS
            rotations[:, index, 3] = np.cos(half)
            column += 1
        else:
            wxyz = frames[:, column : column + 4]
            rotations[:, index] = np.concatenate([wxyz[:, 1:], wxyz[:, :1]], axis=1)
            column += 4
    rotations /= np.linalg.norm(rotations, axis=-1, keepdims=True)
    fps = 1.0 / float(np.median(durations))
    clip = MotionClip(
        name=name or f"deepmimic/{path.stem.removeprefix('humanoid3d_')}",
        action=action or _action_of(path.stem),
        fps=fps,
        root_position=points_y_up_to_z_up(frames[:, 1:4]),
        rotations=quaternions_y_up_to_z_up(rotations),
        skeleton=skeleton,
        loop=isinstance(content, dict) and content.get("Loop") == "wrap",
    )
    if not np.allclose(durations, durations[0], rtol=1e-3):
        clip = resample_clip(clip, fps=fps, times=times)
    return clip


def load_deepmimic_clips(directory: Path | None = None) -> list[MotionClip]:
    """All ``humanoid3d_*.txt`` clips of ``directory`` (default: the pybullet wheel's), by name."""
    directory = directory or pybullet_data_path() / "data" / "motions"
    paths = sorted(Path(directory).glob("humanoid3d_*.txt"))
    if not paths:
        raise MotionError(f"No humanoid3d_*.txt clips in {directory}")
    skeleton = humanoid_skeleton()
    return [read_deepmimic_clip(path, skeleton) for path in paths]


# The walker set beside the humanoid clips: the same humanoid walking forward and turning.
_WALKER_ACTIONS = {"0walk_forward": ("walk_forward", "walk")}


def load_walker_clips(directory: Path | None = None) -> list[MotionClip]:
    """The five clips of ``motions/walker/`` (walking forward, turning left and right twice each).

    Named ``deepmimic/walker_<what>`` with actions ``walk`` and ``turn``.
    """
    directory = directory or pybullet_data_path() / "data" / "motions" / "walker"
    paths = sorted(Path(directory).glob("*.txt"))
    if not paths:
        raise MotionError(f"No walker clips (*.txt) in {directory}")
    skeleton = humanoid_skeleton()
    clips = []
    for path in paths:
        what, action = _WALKER_ACTIONS.get(path.stem, (path.stem, path.stem.split("_")[0]))
        clips.append(read_deepmimic_clip(path, skeleton, name=f"deepmimic/walker_{what}", action=action))
    return clips
