"""What the engine sees of target 3D reaching a training step, whatever a strategy declares.

A strategy runs in the same process as the test splits, so it can reach the targets' 3D labels
(``gc`` finds any tensor) and train on them while declaring ``reads_target_3d = False``. The
runner cannot see every read, but it sees every labelled batch that reaches the engine's loss
(:meth:`lifelong_pose.training.LifelongStrategy.batch_loss`): :class:`TargetLabels` hashes every
pose of every target's test 3D once, and each labelled batch trained on a target is looked up in
it (vectorised: one hash per row, one sorted search). A batch row equal, bit for bit, to a target
label is counted; the record then says ``reads_target_3d: true`` and ``comparable: false``, with
the count (``target_3d_seen``).

What it does not see, by design: labels changed before use (noise, a rotation) or used outside
the engine's loss (a strategy that overrides ``criterion``). ``check strategy``'s
``never_reads_target_3d`` runs a strategy with and without the targets' 3D reachable and compares
what it learns, which catches those too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

_MULTIPLIERS_SEED = 20261207


def _row_hashes(values: np.ndarray, multipliers: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of ``values`` (rows of float32 bit patterns), wrapping arithmetic."""
    words = values.view(np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        return (words * multipliers[None, :]).sum(axis=1, dtype=np.uint64)


class TargetLabels:
    """Hashes of every target pose; :meth:`count` says how many rows of a batch are among them.

    Args:
        labels: each target's test 3D, ``(N, J, 3)`` (or any shape whose last two axes are one pose).

    Raises:
        ValueError: labels of different pose shapes.
    """

    def __init__(self, labels: Sequence[torch.Tensor]) -> None:
        shapes = {tuple(label.shape[-2:]) for label in labels}
        if len(shapes) > 1:
            raise ValueError(f"target labels of different pose shapes: {sorted(shapes)}")
        self.pose_shape: tuple[int, ...] | None = shapes.pop() if shapes else None
        width = int(np.prod(self.pose_shape)) if self.pose_shape else 0
        generator = np.random.default_rng(_MULTIPLIERS_SEED)
        self._multipliers = generator.integers(1, 2**63, size=width, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        hashes = [self._hashes(label) for label in labels if label.numel()]
        self._hashes_sorted = np.unique(np.concatenate(hashes)) if hashes else np.empty(0, dtype=np.uint64)

    def _hashes(self, poses: torch.Tensor) -> np.ndarray:
        rows = poses.detach().to("cpu", torch.float32).contiguous().reshape(-1, self._multipliers.size).numpy()
        return _row_hashes(rows, self._multipliers)

    def __len__(self) -> int:
        return int(self._hashes_sorted.size)

    def count(self, X3d: torch.Tensor) -> int:
        """How many poses of ``X3d`` (``(..., J, 3)``) equal a target label bit for bit; 0 for other shapes."""
        if not len(self) or tuple(X3d.shape[-2:]) != self.pose_shape or not X3d.numel():
            return 0
        found = np.isin(self._hashes(X3d), self._hashes_sorted, assume_unique=False)
        return int(found.sum())
