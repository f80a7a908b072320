"""Joint layouts: names, parents, left/right pairs, bones and body parts, in one place.

The 17-joint Human3.6M layout of VideoPose3D is canonical; the 16-joint common layout drops
Neck/Nose (as PoseAug does) so that H3.6M, MPI-INF-3DHP and 3DPW share joints.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

H36M_JOINT_NAMES: tuple[str, ...] = (
    "Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax",
    "Neck/Nose", "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist",
)  # fmt: skip
H36M_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)


@dataclass(frozen=True)
class JointLayout:
    """A tree of named joints with its root at index 0.

    Attributes:
        name: registry-style name (``h36m17``, ``common16``).
        joint_names: one name per joint, in array order.
        parents: parent index per joint, -1 for the root.
    """

    name: str
    joint_names: tuple[str, ...]
    parents: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.joint_names) != len(self.parents):
            raise ValueError(f"{self.name}: {len(self.joint_names)} names but {len(self.parents)} parents")
        if self.parents[0] != -1 or any(p >= i or p < 0 for i, p in enumerate(self.parents) if i):
            raise ValueError(f"{self.name}: parents must list the root first and each parent before its child")

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def index(self, joint_name: str) -> int:
        try:
            return self.joint_names.index(joint_name)
        except ValueError:
            raise KeyError(f"{self.name} has no joint {joint_name!r}; joints: {', '.join(self.joint_names)}") from None

    @cached_property
    def left_joints(self) -> tuple[int, ...]:
        return tuple(i for i, n in enumerate(self.joint_names) if n.startswith("L"))

    @cached_property
    def right_joints(self) -> tuple[int, ...]:
        return tuple(self.index("R" + self.joint_names[i][1:]) for i in self.left_joints)

    @cached_property
    def mirror_permutation(self) -> tuple[int, ...]:
        """Index array that swaps every left joint with its right twin (for flipping poses)."""
        perm = list(range(self.num_joints))
        for left, right in zip(self.left_joints, self.right_joints, strict=True):
            perm[left], perm[right] = right, left
        return tuple(perm)

    @cached_property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """(parent, child) for every non-root joint, in child order."""
        return tuple((p, c) for c, p in enumerate(self.parents) if p >= 0)

    @cached_property
    def bone_names(self) -> tuple[str, ...]:
        return tuple(f"{self.joint_names[p]}->{self.joint_names[c]}" for p, c in self.bones)

    @cached_property
    def parts(self) -> dict[str, tuple[int, ...]]:
        """Bone indices of the five body parts used by KCS discriminators (PoseDA section 3.4).

        Torso holds the bones among hips, spine, thorax, neck and head; each limb holds the bones
        below its hip or shoulder.
        """
        part_of_joint = {}
        for i, name in enumerate(self.joint_names):
            if name in ("LKnee", "LFoot"):
                part_of_joint[i] = "left_leg"
            elif name in ("RKnee", "RFoot"):
                part_of_joint[i] = "right_leg"
            elif name in ("LElbow", "LWrist"):
                part_of_joint[i] = "left_arm"
            elif name in ("RElbow", "RWrist"):
                part_of_joint[i] = "right_arm"
            else:
                part_of_joint[i] = "torso"
        parts: dict[str, list[int]] = {k: [] for k in ("torso", "left_arm", "right_arm", "left_leg", "right_leg")}
        for bone_index, (_, child) in enumerate(self.bones):
            parts[part_of_joint[child]].append(bone_index)
        return {k: tuple(v) for k, v in parts.items()}

    def subset(self, name: str, joint_names: tuple[str, ...]) -> tuple[JointLayout, tuple[int, ...]]:
        """A layout keeping ``joint_names`` (each reattached to its nearest kept ancestor).

        Returns:
            The new layout and the indices of the kept joints in this layout.
        """
        keep = tuple(self.index(n) for n in joint_names)
        new_index = {old: new for new, old in enumerate(keep)}
        parents = []
        for old in keep:
            parent = self.parents[old]
            while parent >= 0 and parent not in new_index:
                parent = self.parents[parent]
            parents.append(new_index[parent] if parent >= 0 else -1)
        return JointLayout(name, joint_names, tuple(parents)), keep


H36M17 = JointLayout("h36m17", H36M_JOINT_NAMES, H36M_PARENTS)
COMMON16, COMMON16_FROM_H36M = H36M17.subset("common16", tuple(n for n in H36M_JOINT_NAMES if n != "Neck/Nose"))
LAYOUTS: dict[str, JointLayout] = {H36M17.name: H36M17, COMMON16.name: COMMON16}
# How each layout is cut from the canonical 17 joints.
FROM_H36M: dict[str, tuple[int, ...]] = {H36M17.name: tuple(range(17)), COMMON16.name: COMMON16_FROM_H36M}


def get_layout(name: str) -> JointLayout:
    """The layout registered as ``name`` (``h36m17`` or ``common16``)."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f"Unknown joint layout {name!r}; known: {', '.join(LAYOUTS)}") from None
