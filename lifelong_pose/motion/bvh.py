"""BVH files as a second motion source (a folder of ``*.bvh``, e.g. CMU or Bandai-Namco mocap).

Rotation channels are intrinsic Euler angles in channel order (``Zrotation Xrotation Yrotation``
means R = Rz Rx Ry), the BVH convention; position channels are read on the root only. The 17
H3.6M joints are found by name (CMU, Mixamo and common spellings), or from ``joint_map``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from lifelong_pose.geometry.skeleton import H36M_JOINT_NAMES
from lifelong_pose.motion.clip import MotionClip, MotionError, Skeleton
from lifelong_pose.motion.frames import points_y_up_to_z_up, quaternions_y_up_to_z_up
from lifelong_pose.motion.kinematics import leg_length

# Candidate source names per H3.6M joint, compared lower-case with ':' prefixes and '_' removed;
# the first candidate not already used wins.
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "Hip": ("hips", "hip", "pelvis", "root"),
    "RHip": ("rightupleg", "rthigh", "rightthigh", "rhip", "rightupperleg"),
    "RKnee": ("rightleg", "rshin", "rightshin", "rknee", "rightknee", "rightlowerleg"),
    "RFoot": ("rightfoot", "rfoot", "rankle", "rightankle"),
    "LHip": ("leftupleg", "lthigh", "leftthigh", "lhip", "leftupperleg"),
    "LKnee": ("leftleg", "lshin", "leftshin", "lknee", "leftknee", "leftlowerleg"),
    "LFoot": ("leftfoot", "lfoot", "lankle", "leftankle"),
    "Spine": ("spine", "spine1", "lowerback", "abdomen", "chest"),
    "Thorax": ("neck", "thorax", "spine2", "chest2", "upperchest", "spine1"),
    "Neck/Nose": ("nose", "neck1", "head"),
    "Head": ("headend", "headtop", "headtopend", "head"),
    "LShoulder": ("leftarm", "lupperarm", "leftupperarm", "lshoulder", "leftshoulder"),
    "LElbow": ("leftforearm", "lforearm", "leftlowerarm", "lelbow", "leftelbow"),
    "LWrist": ("lefthand", "lhand", "lwrist", "leftwrist"),
    "RShoulder": ("rightarm", "rupperarm", "rightupperarm", "rshoulder", "rightshoulder"),
    "RElbow": ("rightforearm", "rforearm", "rightlowerarm", "relbow", "rightelbow"),
    "RWrist": ("righthand", "rhand", "rwrist", "rightwrist"),
}


def _key(name: str) -> str:
    return name.rsplit(":", 1)[-1].replace("_", "").lower()


def _guess_h36m_joints(names: list[str], path: Path) -> tuple[str, ...]:
    by_key = {_key(n): n for n in names}
    chosen: list[str] = []
    missing = []
    for h36m in H36M_JOINT_NAMES:
        pick = next((by_key[c] for c in _CANDIDATES[h36m] if c in by_key and by_key[c] not in chosen), None)
        if pick is None:
            missing.append(h36m)
        else:
            chosen.append(pick)
    if missing:
        raise MotionError(
            f"{path}: cannot find H3.6M joints {missing} by name among {names}; pass joint_map={{h36m: bvh_name}}"
        )
    return tuple(chosen)


def read_bvh(
    path: str | Path,
    action: str | None = None,
    joint_map: dict[str, str] | None = None,
    unit_scale: float | None = None,
    up_axis: str = "y",
) -> MotionClip:
    """Read a BVH file into a :class:`MotionClip` in the z-up world, metres.

    Args:
        action: action label; defaults to the file stem before the first ``_``.
        joint_map: H3.6M joint name -> BVH joint name, for skeletons the name guess misses.
        unit_scale: metres per file unit; guessed from the leg length when None (cm if > 3 units).
        up_axis: ``y`` (the BVH habit) or ``z``.

    Raises:
        MotionError: naming the file and what is wrong with it.
    """
    path = Path(path)
    if up_axis not in ("y", "z"):
        raise ValueError(f"up_axis must be 'y' or 'z', got {up_axis!r}")
    try:
        tokens = path.read_text().split()
    except (OSError, UnicodeDecodeError) as error:
        raise MotionError(f"{path}: cannot read BVH file ({error})") from error
    try:
        names, parents, offsets, channels, cursor = _parse_hierarchy(tokens)
        fps, motion = _parse_motion(tokens, cursor, sum(len(c) for c in channels))
    except (IndexError, ValueError) as error:
        raise MotionError(f"{path}: malformed BVH ({error})") from error
    if not np.isfinite(motion).all():
        raise MotionError(f"{path}: motion contains NaN or infinite values")

    frames = motion.shape[0]
    rotations = np.zeros((frames, len(names), 4))
    rotations[..., 3] = 1.0
    root_position = np.zeros((frames, 3))
    column = 0
    for joint, joint_channels in enumerate(channels):
        axes = "".join(c[0].upper() for c in joint_channels if c.lower().endswith("rotation"))
        rot_columns = [column + i for i, c in enumerate(joint_channels) if c.lower().endswith("rotation")]
        pos_columns = [column + i for i, c in enumerate(joint_channels) if c.lower().endswith("position")]
        if axes:
            rotations[:, joint] = Rotation.from_euler(axes, motion[:, rot_columns], degrees=True).as_quat()
        if joint == 0 and len(pos_columns) == 3:
            order = ["xyz".index(joint_channels[i - column][0].lower()) for i in pos_columns]
            root_position[:, order] = motion[:, pos_columns]
        column += len(joint_channels)
    if sum(c.lower().endswith("position") for c in channels[0]) != 3:
        root_position += np.asarray(offsets[0])  # a root without position channels stays put

    offsets = np.array(offsets, dtype=float)
    if up_axis == "y":
        offsets = points_y_up_to_z_up(offsets)
        root_position = points_y_up_to_z_up(root_position)
        rotations = quaternions_y_up_to_z_up(rotations)
    h36m = tuple(joint_map[j] for j in H36M_JOINT_NAMES) if joint_map else _guess_h36m_joints(names, path)
    skeleton = Skeleton(tuple(names), tuple(parents), offsets, h36m)
    if unit_scale is None:
        unit_scale = 0.01 if leg_length(skeleton) > 3.0 else 1.0
    skeleton = Skeleton(tuple(names), tuple(parents), offsets * unit_scale, h36m)
    return MotionClip(
        name=f"bvh/{path.stem}",
        action=action or path.stem.split("_")[0].lower(),
        fps=fps,
        root_position=root_position * unit_scale,
        rotations=rotations,
        skeleton=skeleton,
        loop=is_cycle(rotations, root_position * unit_scale),
    )


# A clip whose last pose is its first again (every joint within this angle, the root within
# this height) is a cycle: takes repeat it seamlessly.
_CYCLE_ANGLE_RAD = 0.15
_CYCLE_HEIGHT_M = 0.05


def is_cycle(rotations: np.ndarray, root_position: np.ndarray) -> bool:
    """Whether a clip's last frame can be followed by its first (BVH files do not say).

    Compares the local rotations of every non-root joint (mean angle) and the root height.
    """
    if rotations.shape[0] < 3:
        return False
    dot = np.abs((rotations[0, 1:] * rotations[-1, 1:]).sum(axis=-1)).clip(max=1.0)
    angle = 2 * np.arccos(dot)
    return bool(angle.mean() < _CYCLE_ANGLE_RAD and abs(root_position[0, 2] - root_position[-1, 2]) < _CYCLE_HEIGHT_M)


def _parse_hierarchy(tokens: list[str]) -> tuple[list[str], list[int], list[list[float]], list[list[str]], int]:
    if not tokens or tokens[0].upper() != "HIERARCHY":
        raise ValueError("file does not start with HIERARCHY")
    names: list[str] = []
    parents: list[int] = []
    offsets: list[list[float]] = []
    channels: list[list[str]] = []
    stack: list[int] = []
    i = 1
    while tokens[i].upper() != "MOTION":
        word = tokens[i].upper()
        if word in ("ROOT", "JOINT"):
            if word == "ROOT" and names:
                raise ValueError("more than one ROOT")
            names.append(tokens[i + 1])
            parents.append(stack[-1] if stack else -1)
            offsets.append([0.0, 0.0, 0.0])
            channels.append([])
            i += 2
        elif word == "END":  # End Site: a rigid marker named after its parent
            names.append(f"{names[stack[-1]]}_End")
            parents.append(stack[-1])
            offsets.append([0.0, 0.0, 0.0])
            channels.append([])
            i += 2
        elif word == "{":
            stack.append(len(names) - 1)
            i += 1
        elif word == "}":
            stack.pop()
            i += 1
        elif word == "OFFSET":
            offsets[-1 if not stack else stack[-1]] = [float(t) for t in tokens[i + 1 : i + 4]]
            i += 4
        elif word == "CHANNELS":
            count = int(tokens[i + 1])
            channels[stack[-1]] = tokens[i + 2 : i + 2 + count]
            i += 2 + count
        else:
            raise ValueError(f"unexpected token {tokens[i]!r} in HIERARCHY")
    if stack:
        raise ValueError("unbalanced braces in HIERARCHY")
    if not names:
        raise ValueError("no ROOT joint")
    return names, parents, offsets, channels, i + 1


def _parse_motion(tokens: list[str], cursor: int, channel_count: int) -> tuple[float, np.ndarray]:
    if tokens[cursor].rstrip(":").upper() != "FRAMES":
        raise ValueError("expected 'Frames:' after MOTION")
    frames = int(tokens[cursor + 1])
    if tokens[cursor + 2].upper() != "FRAME" or tokens[cursor + 3].rstrip(":").upper() != "TIME":
        raise ValueError("expected 'Frame Time:'")
    frame_time = float(tokens[cursor + 4])
    if frame_time <= 0:
        raise ValueError(f"Frame Time must be positive, got {frame_time}")
    values = np.array([float(t) for t in tokens[cursor + 5 :]])
    if values.size != frames * channel_count:
        raise ValueError(f"expected {frames} frames of {channel_count} values, got {values.size} values")
    return 1.0 / frame_time, values.reshape(frames, channel_count)


def load_bvh_folder(folder: str | Path, **kwargs: object) -> list[MotionClip]:
    """Every ``*.bvh`` file in ``folder`` (sorted), read with :func:`read_bvh`."""
    folder = Path(folder)
    paths = sorted(folder.glob("*.bvh"))
    if not paths:
        raise MotionError(f"No .bvh files in {folder}")
    return [read_bvh(p, **kwargs) for p in paths]  # type: ignore[arg-type]
