"""Motion sources: clips of joint rotations (DeepMimic humanoid, BVH), resampling, kinematics."""

from lifelong_pose.motion.bvh import load_bvh_folder, read_bvh
from lifelong_pose.motion.clip import SEGMENTS, MotionClip, MotionError, Skeleton
from lifelong_pose.motion.deepmimic import (
    humanoid_skeleton,
    load_deepmimic_clips,
    load_walker_clips,
    read_deepmimic_clip,
)
from lifelong_pose.motion.kinematics import forward_kinematics, h36m_positions, leg_length
from lifelong_pose.motion.resample import resample_clip, slice_clip

__all__ = [
    "SEGMENTS",
    "MotionClip",
    "MotionError",
    "Skeleton",
    "forward_kinematics",
    "h36m_positions",
    "humanoid_skeleton",
    "leg_length",
    "load_bvh_folder",
    "load_deepmimic_clips",
    "load_walker_clips",
    "read_bvh",
    "read_deepmimic_clip",
    "resample_clip",
    "slice_clip",
]
