"""The labelled source data a strategy keeps while it adapts (PoseDA trains on it at every target).

Keeping the source is a resource, and the run record says so: the pool's tensors travel in the
strategy's checkpoint state, so ``resources.kept`` in ``result.json`` counts their bytes, and a run
resumed after the source still has them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lifelong_pose.data.domain import DomainData

_FIELDS = ("x2d", "X3d", "root", "intrinsics", "windows")


@dataclass(frozen=True)
class SourceBatch:
    """Source frames drawn at random.

    Attributes:
        x2d: (B, T, J, 2) observed 2D windows; X3d: (B, T, J, 3) root-relative 3D of the same
        frames; root: (B, T, 3) camera-frame root positions; intrinsics: (B, 9).
    """

    x2d: torch.Tensor
    X3d: torch.Tensor
    root: torch.Tensor
    intrinsics: torch.Tensor


class SourcePool:
    """A labelled domain's train split as tensors, with temporal windows, for random draws.

    Args:
        x2d (N, J, 2), X3d (N, J, 3), root (N, 3), intrinsics (N, 9): the frames.
        windows: (N, T) frame indices of each frame's window (``DomainData.window_indices``).
    """

    def __init__(
        self, x2d: torch.Tensor, X3d: torch.Tensor, root: torch.Tensor, intrinsics: torch.Tensor, windows: torch.Tensor
    ) -> None:
        n = x2d.shape[0]
        for name, tensor in zip(_FIELDS, (x2d, X3d, root, intrinsics, windows), strict=True):
            if tensor.shape[0] != n:
                raise ValueError(f"SourcePool: {name} has {tensor.shape[0]} rows, x2d has {n}")
        if n == 0:
            raise ValueError("SourcePool: the source split has no frames")
        self.x2d, self.X3d, self.root, self.intrinsics, self.windows = x2d, X3d, root, intrinsics, windows

    @classmethod
    def from_domain(cls, data: DomainData, receptive_field: int) -> SourcePool:
        """Keep ``data`` (a labelled split).

        Raises:
            ValueError: ``data`` has no 3D (a target's train split).
        """
        if data.X3d is None or data.root is None:
            raise ValueError(f"SourcePool needs a labelled split; {data.name!r} ({data.split}) has no 3D")
        return cls(data.x2d, data.X3d, data.root, data.intrinsics, data.window_indices(receptive_field))

    def __len__(self) -> int:
        return self.x2d.shape[0]

    def sample(self, size: int, generator: torch.Generator) -> SourceBatch:
        """``size`` frames drawn uniformly with replacement (``generator`` is a CPU generator)."""
        index = torch.randint(len(self), (size,), generator=generator).to(self.x2d.device)
        frames = self.windows[index]  # (B, T)
        return SourceBatch(self.x2d[frames], self.X3d[frames], self.root[frames], self.intrinsics[index])

    def state_dict(self) -> dict[str, torch.Tensor]:
        return dict(zip(_FIELDS, (self.x2d, self.X3d, self.root, self.intrinsics, self.windows), strict=True))

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor], device: torch.device | str) -> SourcePool:
        return cls(*(state[name].to(device) for name in _FIELDS))


def require_source(pool: SourcePool | None, why: str) -> SourcePool:
    """``pool``, or a clear error before the source was trained on (``why`` says who needed it).

    Raises:
        RuntimeError: ``"{why}; it must train on the source domain first"`` when ``pool`` is None.
    """
    if pool is None:
        raise RuntimeError(f"{why}; it must train on the source domain first")
    return pool
