"""Motion clips as rotations on a kinematic tree, so that new bodies can be made by forward
kinematics with scaled bones (the motion stays physical: joint angles are kept, lengths change).

World frame: z up, metres. Quaternions are scalar-last ``(x, y, z, w)``, scipy's order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lifelong_pose.geometry.skeleton import H36M_JOINT_NAMES

# Body segments that a body shape scales; each H3.6M joint names the segment of the bone that
# ends at it. Source joints inherit the segment of the first H3.6M-mapped joint at or below them.
SEGMENT_OF_H36M_JOINT: dict[str, str] = {
    "Hip": "root", "RHip": "pelvis", "LHip": "pelvis", "RKnee": "thigh", "LKnee": "thigh",
    "RFoot": "shin", "LFoot": "shin", "Spine": "spine", "Thorax": "spine", "Neck/Nose": "head",
    "Head": "head", "LShoulder": "shoulders", "RShoulder": "shoulders", "LElbow": "upper_arm",
    "RElbow": "upper_arm", "LWrist": "forearm", "RWrist": "forearm",
}  # fmt: skip
SEGMENTS: tuple[str, ...] = ("pelvis", "thigh", "shin", "spine", "head", "shoulders", "upper_arm", "forearm")


class MotionError(ValueError):
    """A motion file or clip that cannot be used (parse error, NaN, bad skeleton)."""


@dataclass(frozen=True)
class Skeleton:
    """A source skeleton: joints with rest offsets, and where the 17 H3.6M joints sit on it.

    Attributes:
        joint_names: names of all joints, including rigid markers (end sites, nose, head top).
        parents: parent index per joint (-1 for the root; parents precede children).
        offsets: (J, 3) offset of each joint from its parent in the parent's frame, metres.
        h36m_joints: for each of the 17 H3.6M joints, the name of the source joint it is.
    """

    joint_names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    h36m_joints: tuple[str, ...]
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.joint_names)
        if len(self.parents) != n or self.offsets.shape != (n, 3):
            raise MotionError(f"Skeleton: {n} joints, {len(self.parents)} parents, offsets {self.offsets.shape}")
        if self.parents[0] != -1 or any(not 0 <= p < i for i, p in enumerate(self.parents) if i):
            raise MotionError("Skeleton: parents must list the root first and each parent before its child")
        if not np.isfinite(self.offsets).all():
            raise MotionError("Skeleton: offsets contain NaN or infinity")
        if len(self.h36m_joints) != len(H36M_JOINT_NAMES):
            raise MotionError(f"Skeleton: need 17 H3.6M joint names, got {len(self.h36m_joints)}")
        missing = [name for name in self.h36m_joints if name not in self.joint_names]
        if missing:
            raise MotionError(f"Skeleton: H3.6M mapping names unknown joints {missing}")
        object.__setattr__(self, "segments", self._assign_segments())

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def h36m_indices(self) -> np.ndarray:
        return np.array([self.joint_names.index(name) for name in self.h36m_joints])

    def _assign_segments(self) -> tuple[str, ...]:
        mapped = {
            src: SEGMENT_OF_H36M_JOINT[h36m] for h36m, src in zip(H36M_JOINT_NAMES, self.h36m_joints, strict=True)
        }
        children: dict[int, list[int]] = {i: [] for i in range(self.num_joints)}
        for i, p in enumerate(self.parents):
            if p >= 0:
                children[p].append(i)

        def segment(i: int) -> str:
            name = self.joint_names[i]
            if name in mapped:
                return mapped[name]
            stack = list(children[i])
            while stack:  # first mapped joint below, breadth first
                j = stack.pop(0)
                if self.joint_names[j] in mapped:
                    return mapped[self.joint_names[j]]
                stack.extend(children[j])
            # a leaf below no mapped joint (fingers, toes) follows its parent's segment
            return segment(self.parents[i]) if self.parents[i] >= 0 else "root"

        return tuple(segment(i) for i in range(self.num_joints))

    def bone_scale(self, segment_scales: dict[str, float]) -> np.ndarray:
        """(J,) scale per joint offset from per-segment scales (missing segments: 1)."""
        unknown = set(segment_scales) - set(SEGMENTS)
        if unknown:
            raise ValueError(f"Unknown body segments {sorted(unknown)}; known: {', '.join(SEGMENTS)}")
        return np.array([segment_scales.get(s, 1.0) for s in self.segments])


@dataclass(frozen=True)
class MotionClip:
    """A clip of local joint rotations and a root trajectory.

    Attributes:
        name: unique clip name (``deepmimic/walk``).
        action: action label used by domain action sets (``walk``).
        fps: frames per second of the arrays.
        root_position: (F, 3) root joint position, world, metres, z up.
        rotations: (F, J, 4) local rotation of each joint relative to its parent (root: global),
            scalar-last quaternions; identity for rigid markers.
        skeleton: the kinematic tree the rotations act on.
        loop: the last frame flows into the first (a cycle, such as a walk step), so the clip
            can be repeated seamlessly once its root is carried along; the world's takes
            repeat looping clips as cycles and chain the others with a blend.
    """

    name: str
    action: str
    fps: float
    root_position: np.ndarray
    rotations: np.ndarray
    skeleton: Skeleton
    loop: bool = False

    def __post_init__(self) -> None:
        frames = self.root_position.shape[0]
        if self.root_position.shape != (frames, 3):
            raise MotionError(f"Clip {self.name!r}: root_position must be (F, 3), got {self.root_position.shape}")
        if self.rotations.shape != (frames, self.skeleton.num_joints, 4):
            raise MotionError(
                f"Clip {self.name!r}: rotations must be (F, {self.skeleton.num_joints}, 4), got {self.rotations.shape}"
            )
        if frames < 2:
            raise MotionError(f"Clip {self.name!r}: needs at least 2 frames, got {frames}")
        if not (np.isfinite(self.root_position).all() and np.isfinite(self.rotations).all()):
            raise MotionError(f"Clip {self.name!r}: contains NaN or infinite values")
        if not self.fps > 0:
            raise MotionError(f"Clip {self.name!r}: fps must be positive, got {self.fps}")
        norms = np.linalg.norm(self.rotations, axis=-1)
        if (norms < 1e-6).any():
            raise MotionError(f"Clip {self.name!r}: contains zero quaternions")

    @property
    def num_frames(self) -> int:
        return self.root_position.shape[0]

    @property
    def duration(self) -> float:
        """Seconds from the first to the last frame."""
        return (self.num_frames - 1) / self.fps
