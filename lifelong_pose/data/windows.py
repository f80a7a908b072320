"""Windows of a batch of sequences: the one place a sequence tensor is cut into per-frame windows.

A domain's frames are windowed by index (:meth:`lifelong_pose.data.domain.DomainData.window_indices`);
a tensor that already holds sequences (a lifter's ``forward_sequence`` input, a batch's window
whose every frame a teacher predicts) is windowed here.
"""

from __future__ import annotations

import torch


def sliding_windows(x: torch.Tensor, length: int, *, pad_edges: bool = False) -> torch.Tensor:
    """(B, N, ...) sequences -> (B, N', length, ...) the window of ``length`` frames around each frame.

    Args:
        x: (B, N, ...) sequences, frames on dimension 1.
        length: odd window length.
        pad_edges: repeat the first and last frame ``length // 2`` times, so that every frame gets a
            window (N' = N, as VideoPose3D pads); without, only frames with a full window do
            (N' = N - length + 1, index k centred on frame k + length // 2).

    Raises:
        ValueError: an even or non-positive length, or fewer than ``length`` frames without padding.
    """
    if length < 1 or length % 2 == 0:
        raise ValueError(f"window length must be odd and >= 1, got {length}")
    if pad_edges and length > 1:
        half = length // 2
        first, last = x[:, :1], x[:, -1:]
        x = torch.cat([first.expand(-1, half, *x.shape[2:]), x, last.expand(-1, half, *x.shape[2:])], dim=1)
    if x.shape[1] < length:
        raise ValueError(f"sliding_windows needs at least {length} frames, got {x.shape[1]}")
    dims = list(range(x.dim()))  # unfold puts the window last: move it behind the frame axis
    return x.unfold(1, length, 1).permute(0, 1, x.dim(), *dims[2:])
