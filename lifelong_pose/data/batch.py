"""One mini-batch of poses, as it travels from a domain's tensors to a strategy's loss.

Before this type, batches were tuples whose length said whether they were labelled
(``(x2d, X3d, intrinsics, task)`` or ``(x2d, intrinsics, task)``), and every reader had to know
the rule. A :class:`PoseBatch` names its parts; ``X3d is None`` is the one way to say unlabelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from functools import cached_property

import torch


@dataclass(frozen=True)
class PoseBatch:
    """B frames, each with the window of 2D poses around it.

    Attributes:
        x2d: (B, T, J, 2) normalised screen coordinates of each frame's window (0 where a joint
            is missing); T is the lifter's receptive field.
        intrinsics: (B, 9) normalised ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` of each frame's camera.
        X3d: (B, J, 3) root-relative 3D of the centre frame, metres; None for an unlabelled batch
            (a target's train split never has it).
        ids: (B,) int64 index of each frame in its domain split; -1 for rows that come from
            elsewhere (a replay memory, a strategy's generated pairs).
    """

    x2d: torch.Tensor
    intrinsics: torch.Tensor
    X3d: torch.Tensor | None = None
    ids: torch.Tensor | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.x2d.dim() != 4 or self.x2d.shape[-1] != 2:
            raise ValueError(f"PoseBatch: x2d must be (B, T, J, 2), got {tuple(self.x2d.shape)}")
        size = self.x2d.shape[0]
        if self.intrinsics.shape != (size, 9):
            raise ValueError(f"PoseBatch: intrinsics must be ({size}, 9), got {tuple(self.intrinsics.shape)}")
        if self.X3d is not None and self.X3d.shape != (size, self.x2d.shape[2], 3):
            raise ValueError(
                f"PoseBatch: X3d must be ({size}, {self.x2d.shape[2]}, 3) like x2d's frames, "
                f"got {tuple(self.X3d.shape)}"
            )
        if self.ids is None:
            object.__setattr__(self, "ids", torch.full((size,), -1, dtype=torch.long, device=self.x2d.device))
        elif self.ids.shape != (size,):
            raise ValueError(f"PoseBatch: ids must be ({size},), got {tuple(self.ids.shape)}")

    def __len__(self) -> int:
        return self.x2d.shape[0]

    @property
    def labelled(self) -> bool:
        """The batch carries 3D (the source's train split, a test split, or pairs a strategy made)."""
        return self.X3d is not None

    @cached_property
    def visible(self) -> torch.Tensor:
        """(B, T, J) True where a joint was observed (missing joints are stored as 0, 0)."""
        return (self.x2d != 0).any(dim=-1)

    @property
    def task(self) -> torch.Tensor:
        """(B,) Avalanche's task label: always 0, a stream of domains is one task."""
        return torch.zeros(len(self), dtype=torch.long, device=self.x2d.device)

    def to(self, device: torch.device | str) -> PoseBatch:
        """The batch on ``device``: itself when it is there already (every step on the CPU)."""
        if self.x2d.device == torch.device(device) and all(
            v is None or v.device == self.x2d.device for v in (self.intrinsics, self.X3d, self.ids)
        ):
            return self
        moved = {f.name: None if (v := getattr(self, f.name)) is None else v.to(device) for f in fields(self)}
        return PoseBatch(**moved)

    def with_labels(
        self, X3d: torch.Tensor, *, x2d: torch.Tensor | None = None, intrinsics: torch.Tensor | None = None
    ) -> PoseBatch:
        """A labelled batch of the same size: ``X3d`` for the centre frames, optionally new 2D and cameras.

        How a strategy that trains on pairs it makes (PoseDA, diffusion_replay) turns a target
        batch into its training batch; the made rows are not frames of the domain (ids -1).
        """
        return replace(
            self,
            x2d=self.x2d if x2d is None else x2d,
            intrinsics=self.intrinsics if intrinsics is None else intrinsics,
            X3d=X3d,
            ids=torch.full((len(self),), -1, dtype=torch.long, device=self.x2d.device),
        )

    def cat(self, other: PoseBatch) -> PoseBatch:
        """This batch's rows followed by ``other``'s (both labelled or both not).

        Raises:
            ValueError: one batch is labelled and the other is not, or their windows differ.
        """
        if self.labelled != other.labelled:
            raise ValueError("PoseBatch.cat: cannot join a labelled batch and an unlabelled one")
        if self.x2d.shape[1:] != other.x2d.shape[1:]:
            raise ValueError(
                f"PoseBatch.cat: windows {tuple(other.x2d.shape[1:])} do not match {tuple(self.x2d.shape[1:])}"
            )
        assert self.ids is not None and other.ids is not None
        return PoseBatch(
            x2d=torch.cat([self.x2d, other.x2d]),
            intrinsics=torch.cat([self.intrinsics, other.intrinsics]),
            X3d=None if self.X3d is None or other.X3d is None else torch.cat([self.X3d, other.X3d]),
            ids=torch.cat([self.ids, other.ids]),
        )
