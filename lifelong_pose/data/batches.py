"""Index batches over whole-domain tensors: the fast path that replaces Avalanche's DataLoader.

A pose frame is 34 numbers; collating them one by one through a per-sample ``DataLoader`` costs
far more than the lifter's forward pass. Here a domain split lives on the device as tensors and a
batch is one gather with an index tensor.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from lifelong_pose.data.batch import PoseBatch
from lifelong_pose.data.domain import DomainData
from lifelong_pose.data.passes import batches_per_epoch


class TensorBatches:
    """Mini-batches of a :class:`DomainData` split as :class:`PoseBatch` es (``X3d`` None where the split has none).

    The Avalanche datasets of :mod:`lifelong_pose.data.avalanche` hold the same frames item by
    item (Avalanche's slow path, which training does not use).

    Args:
        data: the split, already on the device where batches are wanted.
        receptive_field: odd window length centred on each frame (edge frames repeat).
        batch_size: frames per batch; the last batch may be smaller.
        shuffle: draw a new permutation with ``generator`` at every pass over the frames; a
            last batch of a single frame is then dropped (batch norm cannot train on one frame,
            and the next permutation puts that frame elsewhere).
        generator: CPU generator for the permutation (seeded by the strategy).
        steps: yield exactly this many batches, pass after pass (a training budget in optimizer
            steps); None yields one pass.
    """

    def __init__(
        self,
        data: DomainData,
        *,
        receptive_field: int = 1,
        batch_size: int = 256,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        steps: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if steps is not None and steps < 0:
            raise ValueError(f"steps must be >= 0, got {steps}")
        if len(data) == 0:
            raise ValueError(f"Domain split {data.name!r} ({data.split}) has no frames")
        self.data = data
        self.receptive_field = receptive_field
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.steps = steps
        self.windows = data.window_indices(receptive_field)

    @property
    def batches_per_pass(self) -> int:
        return batches_per_epoch(len(self.data), self.batch_size, self.shuffle)

    def __len__(self) -> int:
        return self.batches_per_pass if self.steps is None else self.steps

    def __iter__(self) -> Iterator[PoseBatch]:
        if self.steps is None:
            yield from self._one_pass()
            return
        drawn = 0
        while drawn < self.steps:
            for batch in self._one_pass():
                yield batch
                drawn += 1
                if drawn == self.steps:
                    return

    def _one_pass(self) -> Iterator[PoseBatch]:
        n, device = len(self.data), self.data.x2d.device
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(device)
        else:
            order = torch.arange(n, device=device)
        stop = min(n, self.batches_per_pass * self.batch_size)
        for start in range(0, stop, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.batch(index)

    def batch(self, index: torch.Tensor) -> PoseBatch:
        """The batch of frames ``index`` (a 1-D index tensor on the data's device)."""
        X3d = None if self.data.X3d is None else self.data.X3d[index]
        return PoseBatch(self.data.x2d[self.windows[index]], self.data.intrinsics[index], X3d, ids=index)


class MemoryBatches:
    """Batches of a domain with frames from a memory appended to every unlabelled batch.

    How replay plugins reach the training step: the strategy draws batches from tensors, not from
    an Avalanche dataset, so a plugin extends the batches rather than ``adapted_dataset``. Labelled
    batches pass unchanged (a memory of 2D poses has no 3D to label them with).

    Args:
        batches: the domain's batches (usually :class:`TensorBatches`).
        x2d: (M, T, J, 2) remembered 2D windows, T the strategy's receptive field.
        intrinsics: (M, 9) their cameras.
        per_batch: remembered frames appended to each batch (drawn with replacement).
        generator: CPU generator for the draws.
    """

    def __init__(
        self,
        batches: Iterable[PoseBatch],
        x2d: torch.Tensor,
        intrinsics: torch.Tensor,
        *,
        per_batch: int,
        generator: torch.Generator | None = None,
    ) -> None:
        if x2d.shape[0] == 0 or x2d.shape[0] != intrinsics.shape[0]:
            raise ValueError(
                f"MemoryBatches needs a non-empty memory; got x2d {tuple(x2d.shape)}, intrinsics "
                f"{tuple(intrinsics.shape)}"
            )
        if per_batch < 1:
            raise ValueError(f"per_batch must be >= 1, got {per_batch}")
        self.batches = batches
        self.x2d, self.intrinsics = x2d, intrinsics
        self.per_batch = per_batch
        self.generator = generator
        self.mixed = 0
        self.passed = 0

    def __len__(self) -> int:
        return len(self.batches)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[PoseBatch]:
        for batch in self.batches:
            if batch.labelled:
                self.passed += 1
                yield batch
                continue
            if batch.x2d.shape[1:] != self.x2d.shape[1:]:
                raise ValueError(
                    f"Remembered 2D windows {tuple(self.x2d.shape[1:])} do not match "
                    f"the batch's {tuple(batch.x2d.shape[1:])}"
                )
            index = torch.randint(self.x2d.shape[0], (self.per_batch,), generator=self.generator).to(batch.x2d.device)
            self.mixed += 1
            yield batch.cat(PoseBatch(self.x2d[index], self.intrinsics[index]))
