"""Forward kinematics with scaled bones: the same joint angles on a new body."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from lifelong_pose.motion.clip import MotionClip, Skeleton


def leg_length(skeleton: Skeleton, bone_scale: np.ndarray | None = None) -> float:
    """Hip-to-foot length of the right leg (metres), used to scale the root trajectory."""
    scale = np.ones(skeleton.num_joints) if bone_scale is None else bone_scale
    names = skeleton.joint_names
    hip, foot = (names.index(skeleton.h36m_joints[i]) for i in (1, 3))
    total, joint = 0.0, foot
    while joint != hip and joint > 0:
        total += float(np.linalg.norm(skeleton.offsets[joint]) * scale[joint])
        joint = skeleton.parents[joint]
    return total


def forward_kinematics(clip: MotionClip, bone_scale: np.ndarray | None = None) -> np.ndarray:
    """World positions of every joint of the clip's skeleton.

    Each offset j is multiplied by ``bone_scale[j]``; the root trajectory is scaled by the ratio
    of the new leg length to the old one, so that feet keep touching the floor and strides grow
    with the legs (the motion stays physical for the new body).

    Args:
        bone_scale: (J,) scale of each joint's offset from its parent; ones when None.
    Returns:
        (F, J, 3) world positions, metres, z up.
    """
    skeleton = clip.skeleton
    scale = np.ones(skeleton.num_joints) if bone_scale is None else np.asarray(bone_scale, dtype=float)
    if scale.shape != (skeleton.num_joints,):
        raise ValueError(f"bone_scale must have shape ({skeleton.num_joints},), got {scale.shape}")
    if (scale <= 0).any():
        raise ValueError("bone_scale must be positive")
    frames, joints = clip.num_frames, skeleton.num_joints
    local = Rotation.from_quat(clip.rotations.reshape(-1, 4)).as_matrix().reshape(frames, joints, 3, 3)
    offsets = skeleton.offsets * scale[:, None]
    root_scale = leg_length(skeleton, scale) / leg_length(skeleton)
    positions = np.empty((frames, joints, 3))
    global_rot = np.empty_like(local)
    positions[:, 0] = clip.root_position * root_scale
    global_rot[:, 0] = local[:, 0]
    for joint in range(1, joints):  # a loop over the tree, vectorised over frames
        parent = skeleton.parents[joint]
        positions[:, joint] = positions[:, parent] + global_rot[:, parent] @ offsets[joint]
        global_rot[:, joint] = global_rot[:, parent] @ local[:, joint]
    return positions


def h36m_positions(clip: MotionClip, bone_scale: np.ndarray | None = None) -> np.ndarray:
    """(F, 17, 3) the 17 H3.6M joints of the clip on the body given by ``bone_scale``."""
    return forward_kinematics(clip, bone_scale)[:, clip.skeleton.h36m_indices]
