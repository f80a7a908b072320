"""Test batches of whole sequences: one dilated pass per chunk instead of one window per frame.

The window path (:class:`~lifelong_pose.data.batches.TensorBatches`) hands a temporal lifter each
frame's window of ``receptive_field`` frames separately, so neighbouring frames recompute the same
activations (VideoPose3D at receptive field 27 does twice the arithmetic per frame, and far more
small convolutions). A lifter with a sequence path (:attr:`~lifelong_pose.models.factory.Lifter.sequence_path`)
instead runs :meth:`~lifelong_pose.models.factory.Lifter.forward_sequence` over many sequences at
once: each sequence is padded by repeating its first and last frame ``receptive_field // 2``
times (the window path's clamping, :meth:`~lifelong_pose.data.domain.DomainData.window_indices`),
the padded sequences are laid back to back, and of the outputs only those centred on a real frame
are kept. Every frame therefore sees exactly the 2D its window holds on the window path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

import torch

from lifelong_pose.data.domain import DomainData


@dataclass(frozen=True)
class SequenceChunk:
    """A run of edge-padded sequences and the frames of the split they predict.

    Attributes:
        x2d: (1, L, J, 2) padded sequences back to back, for ``forward_sequence``.
        positions: (M,) index into ``forward_sequence(x2d)[0]`` of each predicted frame.
        intrinsics: (M, 9) each frame's camera.
        X3d: (M, J, 3) each frame's root-relative 3D (test splits carry it), or None.
        ids: (M,) each frame's index in its split.
    """

    x2d: torch.Tensor
    positions: torch.Tensor
    intrinsics: torch.Tensor
    X3d: torch.Tensor | None
    ids: torch.Tensor

    def __post_init__(self) -> None:
        if self.x2d.dim() != 4 or self.x2d.shape[0] != 1 or self.x2d.shape[-1] != 2:
            raise ValueError(f"SequenceChunk: x2d must be (1, L, J, 2), got {tuple(self.x2d.shape)}")
        size = self.positions.shape[0]
        if self.intrinsics.shape != (size, 9) or self.ids.shape != (size,):
            raise ValueError(
                f"SequenceChunk: {size} positions but intrinsics {tuple(self.intrinsics.shape)}, "
                f"ids {tuple(self.ids.shape)}"
            )
        if self.X3d is not None and self.X3d.shape != (size, self.x2d.shape[2], 3):
            expected = (size, self.x2d.shape[2], 3)
            raise ValueError(f"SequenceChunk: X3d must be {expected}, got {tuple(self.X3d.shape)}")

    def __len__(self) -> int:
        return self.positions.shape[0]

    @property
    def labelled(self) -> bool:
        return self.X3d is not None

    def to(self, device: torch.device | str) -> SequenceChunk:
        """The chunk on ``device`` (itself when it is there already)."""
        if self.x2d.device == torch.device(device):
            return self
        moved = {f.name: None if (v := getattr(self, f.name)) is None else v.to(device) for f in fields(self)}
        return SequenceChunk(**moved)


def padded_layout(data: DomainData, receptive_field: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each frame goes when the split's sequences are edge-padded and laid back to back.

    Returns:
        ``gather`` (P,): the split's frame index at each padded position (a sequence's first
        frame repeated ``receptive_field // 2`` times before it, its last frame as often after);
        ``centre`` (N,): the padded position of each frame's own copy. The window of padded
        positions ``centre[i] - half .. centre[i] + half`` is frame ``i``'s window on the window path.

    Frames of a sequence are contiguous and its first frame has ``frame_index`` 0 (the layout
    :meth:`DomainData.window_indices` relies on too).

    Raises:
        ValueError: an even or non-positive receptive field.
    """
    if receptive_field < 1 or receptive_field % 2 == 0:
        raise ValueError(f"receptive_field must be odd and >= 1, got {receptive_field}")
    n, half, device = len(data), receptive_field // 2, data.x2d.device
    first = data.frame_index == 0
    last = torch.ones(n, dtype=torch.bool, device=device)
    last[:-1] = first[1:]
    copies = 1 + half * first.long() + half * last.long()
    gather = torch.repeat_interleave(torch.arange(n, device=device), copies)
    centre = torch.cumsum(copies, 0) - copies + half * first.long()
    return gather, centre


class SequenceBatches:
    """The frames of a split as :class:`SequenceChunk` s of about ``frames_per_chunk`` frames each.

    A chunk holds the padded positions its frames' windows need (its frames plus ``receptive_field
    - 1`` more), so consecutive chunks overlap by that much and nothing else is computed twice.

    Args:
        data: the split, on the device where chunks are wanted.
        receptive_field: the lifter's odd window length.
        frames_per_chunk: frames predicted per chunk (memory only).

    Raises:
        ValueError: an empty split, a bad receptive field or chunk size.
    """

    def __init__(self, data: DomainData, *, receptive_field: int, frames_per_chunk: int = 4096) -> None:
        if frames_per_chunk < 1:
            raise ValueError(f"frames_per_chunk must be >= 1, got {frames_per_chunk}")
        if len(data) == 0:
            raise ValueError(f"Domain split {data.name!r} ({data.split}) has no frames")
        self.data = data
        self.receptive_field = receptive_field
        self.frames_per_chunk = frames_per_chunk
        self.gather, self.centre = padded_layout(data, receptive_field)

    def __len__(self) -> int:
        return -(-len(self.data) // self.frames_per_chunk)

    def __iter__(self) -> Iterator[SequenceChunk]:
        half, data = self.receptive_field // 2, self.data
        for start in range(0, len(data), self.frames_per_chunk):
            frames = torch.arange(start, min(start + self.frames_per_chunk, len(data)), device=data.x2d.device)
            centres = self.centre[frames]
            low, high = int(centres[0]) - half, int(centres[-1]) + half + 1
            yield SequenceChunk(
                x2d=data.x2d[self.gather[low:high]][None],
                positions=centres - int(centres[0]),
                intrinsics=data.intrinsics[frames],
                X3d=None if data.X3d is None else data.X3d[frames],
                ids=frames,
            )
