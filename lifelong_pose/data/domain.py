"""A domain split as whole tensors: the fast path strategies use instead of per-sample loading.

Frames of all sequences are concatenated; temporal windows are index arrays into them, cut once
per receptive field by :meth:`DomainData.window_indices` (edge frames repeat, as VideoPose3D pads
its sequences) and shared by every reader: batches, pools, memories and evaluation.

Both data backends produce it: the simulated world (:mod:`lifelong_pose.world`) and the real
datasets' readers (:mod:`lifelong_pose.datasets`); neither depends on the other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields, replace
from typing import Any

import torch

from lifelong_pose.geometry.skeleton import JointLayout, get_layout


@dataclass(frozen=True)
class DomainData:
    """One split of one domain.

    Attributes:
        x2d: (N, J, 2) observed 2D joints, normalised screen coordinates (0 where missing).
        visible: (N, J) False where the observation model dropped a joint.
        X3d: (N, J, 3) 3D joints, camera frame, root-relative (root joint at 0), metres; None
            for the train split of an unlabelled target, which no strategy may read.
        root: (N, 3) camera-frame position of the root joint, metres; None where X3d is None.
        intrinsics: (N, 9) normalised ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` of the frame's camera.
        image_size: (N, 2) width and height in pixels of the frame's camera.
        sequence_id, frame_index, camera_id, body_id, action_id: (N,) int64 bookkeeping.
        name, layout_name, fps, labelled, actions: domain metadata.
    """

    x2d: torch.Tensor
    visible: torch.Tensor
    X3d: torch.Tensor | None
    root: torch.Tensor | None
    intrinsics: torch.Tensor
    image_size: torch.Tensor
    sequence_id: torch.Tensor
    frame_index: torch.Tensor
    camera_id: torch.Tensor
    body_id: torch.Tensor
    action_id: torch.Tensor
    name: str
    layout_name: str
    fps: float
    labelled: bool
    actions: tuple[str, ...]
    split: str

    def __post_init__(self) -> None:
        n, j = self.x2d.shape[0], self.layout.num_joints
        if self.x2d.shape != (n, j, 2):
            raise ValueError(f"{self.name}: x2d must be (N, {j}, 2), got {tuple(self.x2d.shape)}")
        if self.X3d is not None and self.X3d.shape != (n, j, 3):
            raise ValueError(f"{self.name}: X3d must be (N, {j}, 3), got {tuple(self.X3d.shape)}")
        for name in ("visible", "intrinsics", "image_size", "sequence_id", "frame_index", "camera_id"):
            if getattr(self, name).shape[0] != n:
                raise ValueError(f"{self.name}: {name} has {getattr(self, name).shape[0]} rows, x2d has {n}")
        object.__setattr__(self, "_windows", {})  # receptive field -> window indices, cut once

    @property
    def layout(self) -> JointLayout:
        return get_layout(self.layout_name)

    @property
    def has_3d(self) -> bool:
        return self.X3d is not None

    def __len__(self) -> int:
        return self.x2d.shape[0]

    @property
    def num_sequences(self) -> int:
        return int(self.sequence_id.max().item()) + 1 if len(self) else 0

    def without_3d(self) -> DomainData:
        """The same frames with the 3D removed (what a target's train split exposes)."""
        return replace(self, X3d=None, root=None)

    def to(self, device: torch.device | str) -> DomainData:
        """All tensors moved to ``device`` (kept whole: strategies draw index batches on it)."""
        moved: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            moved[f.name] = value.to(device) if isinstance(value, torch.Tensor) else value
        return replace(self, **moved)

    def window_indices(self, receptive_field: int) -> torch.Tensor:
        """(N, receptive_field) frame indices centred on each frame, clamped within its sequence.

        Cut on the first call for a receptive field and kept: callers must not write into it.

        Raises:
            ValueError: for an even or non-positive receptive field.
        """
        if receptive_field < 1 or receptive_field % 2 == 0:
            raise ValueError(f"receptive_field must be odd and >= 1, got {receptive_field}")
        cached: dict[int, torch.Tensor] = self._windows  # type: ignore[attr-defined]
        if receptive_field not in cached:
            cached[receptive_field] = self._cut_windows(receptive_field)
        return cached[receptive_field]

    def _cut_windows(self, receptive_field: int) -> torch.Tensor:
        n = len(self)
        index = torch.arange(n, device=self.x2d.device)
        # frames of a sequence are contiguous; its first frame sits at index - frame_index
        start = index - self.frame_index
        lengths = torch.bincount(self.sequence_id, minlength=self.num_sequences)
        end = start + lengths[self.sequence_id] - 1
        half = receptive_field // 2
        offsets = torch.arange(-half, half + 1, device=self.x2d.device)
        return torch.minimum(torch.maximum(index[:, None] + offsets, start[:, None]), end[:, None])

    def fingerprint(self) -> str:
        """SHA-256 over the tensors: records which data made a result."""
        digest = hashlib.sha256()
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor):
                digest.update(value.detach().cpu().contiguous().numpy().tobytes())
            else:
                digest.update(repr(value).encode())
        return digest.hexdigest()
