"""Sum-and-count accumulation of per-pose metric values.

"Accumulate, don't average averages": a domain's MPJPE is the mean over its poses, which the mean
of per-batch means only equals when every batch has the same size. Keeping the sum and the count
gives the exact pose-weighted mean whatever the batching (Avalanche's RMSE wart, avoided).
"""

from __future__ import annotations

import torch


class SumCount:
    """Running sum and count of metric values, e.g. per-pose MPJPE from :func:`~lifelong_pose.metrics.mpjpe`.

    The sum stays a tensor on the values' device, so :meth:`update` never synchronises with the
    host; only :meth:`result` does. It is kept in float64 (float32 on Apple ``mps``, which has no
    float64) so that millions of float32 values add up without visible rounding.

    Example:
        >>> acc = SumCount()
        >>> for pred, target in batches:  # doctest: +SKIP
        ...     acc.update(mpjpe(pred, target))
        >>> acc.result()  # doctest: +SKIP
    """

    def __init__(self) -> None:
        self._sum: torch.Tensor | None = None
        self._count: int = 0

    def update(self, values: torch.Tensor) -> None:
        """Add every element of ``values`` (any shape, e.g. (N,) or (N, T) per-pose values)."""
        if not isinstance(values, torch.Tensor):
            raise TypeError(f"values must be a torch tensor, got {type(values).__name__}")
        if values.numel() == 0:
            return
        dtype = torch.float32 if values.device.type == "mps" else torch.float64
        total = values.detach().sum(dtype=dtype)
        self._sum = total if self._sum is None else self._sum + total.to(self._sum.device)
        self._count += values.numel()

    def result(self) -> float:
        """Sum / count over everything seen since the last reset; ``nan`` when nothing was seen."""
        if self._sum is None or self._count == 0:
            return float("nan")
        return float(self._sum.item()) / self._count

    def reset(self) -> None:
        """Forget everything seen (start of a new evaluation pass)."""
        self._sum = None
        self._count = 0

    @property
    def count(self) -> int:
        """How many values have been added since the last reset."""
        return self._count

    def __repr__(self) -> str:
        return f"SumCount(count={self._count}, result={self.result():.6g})"


__all__ = ["SumCount"]
