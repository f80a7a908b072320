"""Skeleton layouts, bones and KCS, and camera geometry."""

from lifelong_pose.geometry.bones import bone_lengths, bone_vectors, kcs
from lifelong_pose.geometry.camera import (
    INTRINSICS_SIZE,
    camera_to_world,
    image_coordinates,
    look_at,
    normalize_intrinsics,
    normalize_screen_coordinates,
    project_to_2d,
    world_to_camera,
)
from lifelong_pose.geometry.skeleton import (
    COMMON16,
    FROM_H36M,
    H36M17,
    LAYOUTS,
    JointLayout,
    get_layout,
)

__all__ = [
    "COMMON16",
    "FROM_H36M",
    "H36M17",
    "INTRINSICS_SIZE",
    "LAYOUTS",
    "JointLayout",
    "bone_lengths",
    "bone_vectors",
    "camera_to_world",
    "get_layout",
    "image_coordinates",
    "kcs",
    "look_at",
    "normalize_intrinsics",
    "normalize_screen_coordinates",
    "project_to_2d",
    "world_to_camera",
]
