"""How many batches one pass over a split makes (torch-free: option validation counts steps with it)."""

from __future__ import annotations


def batches_per_epoch(frames: int, batch_size: int, shuffle: bool) -> int:
    """Batches in one pass over ``frames`` frames (a training pass drops a last batch of one frame)."""
    if shuffle and frames > 1 and frames % batch_size == 1:
        frames -= 1
    return -(-frames // batch_size)
