"""Skeleton layouts, bones and KCS, and camera geometry.

The layouts load eagerly (pure Python); the torch functions load on first use, so that code
which only needs joint names (the registry listing, stream definitions) never imports torch.
"""

from __future__ import annotations

from lifelong_pose.geometry.skeleton import COMMON16, FROM_H36M, H36M17, LAYOUTS, JointLayout, get_layout
from lifelong_pose.lazy import lazy_exports

_LAZY = {
    "global_position_alignment": "alignment",
    "bone_lengths": "bones",
    "bone_vectors": "bones",
    "kcs": "bones",
    "INTRINSICS_SIZE": "camera",
    "camera_to_world": "camera",
    "image_coordinates": "camera",
    "image_intrinsics": "camera",
    "look_at": "camera",
    "normalize_intrinsics": "camera",
    "normalize_screen_coordinates": "camera",
    "project_to_2d": "camera",
    "world_to_camera": "camera",
    "ancestor_matrix": "transforms",
    "axis_angle_to_matrix": "transforms",
    "bone_directions_and_lengths": "transforms",
    "change_bone_angles": "transforms",
    "change_bone_lengths": "transforms",
    "flip_horizontally": "transforms",
    "joints_from_bones": "transforms",
    "mirror_bone_permutation": "transforms",
    "rotate_about_root": "transforms",
}


__getattr__ = lazy_exports("lifelong_pose.geometry", _LAZY)


__all__ = ["COMMON16", "FROM_H36M", "H36M17", "LAYOUTS", "JointLayout", "get_layout", *_LAZY]
