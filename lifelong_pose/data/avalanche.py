"""The Avalanche side of a scenario: per-frame datasets and the ``CLScenario``.

Avalanche 0.6 pitfalls handled here: ``benchmark_from_datasets`` (the deprecated
``dataset_benchmark`` demands class targets) needs ``AvalancheDataset``s whose task labels are a
``targets_task_labels`` attribute appended to each item (templates read the task id from the last
element of a minibatch). Items are tuples:

- labelled (source train, every test split): ``(x2d (T, J, 2), X3d (J, 3), intrinsics (9,), task)``
- unlabelled (target train): ``(x2d (T, J, 2), intrinsics (9,), task)``: the 3D is not in the
  dataset, so no strategy can read it.

``T`` is the receptive field (1 by default); every experience also carries ``domain`` (metadata)
and ``tensors`` (the whole-tensor :class:`DomainData`, the fast path for training).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch.utils.data import Dataset

from lifelong_pose.data.domain import DomainData

if TYPE_CHECKING:
    from avalanche.benchmarks import CLScenario


@dataclass(frozen=True)
class DomainInfo:
    """Metadata that travels on every experience (``domains``: how many the stream has)."""

    index: int
    name: str
    labelled: bool
    layout: str
    fps: float
    num_frames: int
    image_size: tuple[int, int]
    actions: tuple[str, ...]
    split: str
    domains: int = 0

    @property
    def last(self) -> bool:
        """The stream's last domain: nothing learnt for later domains is used after it."""
        return self.index == self.domains - 1


class PoseFrames(Dataset):
    """Per-frame view of a :class:`DomainData` for Avalanche (slow path; see ``tensors``)."""

    def __init__(self, data: DomainData, receptive_field: int = 1) -> None:
        self.data = data
        self.windows = data.window_indices(receptive_field)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        x2d = self.data.x2d[self.windows[index]]
        if self.data.X3d is None:
            return x2d, self.data.intrinsics[index]
        return x2d, self.data.X3d[index], self.data.intrinsics[index]


def avalanche_dataset(data: DomainData, receptive_field: int = 1):
    """An ``AvalancheDataset`` over ``data`` with task label 0 (domain-incremental: one task)."""
    from avalanche.benchmarks.utils import AvalancheDataset, DataAttribute

    task_labels = DataAttribute([0] * len(data), "targets_task_labels", use_in_getitem=True)
    return AvalancheDataset([PoseFrames(data, receptive_field)], data_attributes=[task_labels])


def build_benchmark(train: Sequence[DomainData], test: Sequence[DomainData], receptive_field: int = 1) -> CLScenario:
    """``benchmark_from_datasets`` with train experience i = ``train[i]`` and test experience j = ``test[j]``.

    The scenario decides what each split holds (only the source's train split has 3D, unless the
    ``oracle`` asks for the privileged stream); this only wraps them for Avalanche and attaches
    each domain's metadata and tensors to its experiences.

    Raises:
        ValueError: ``train`` and ``test`` do not hold the same number of domains.
    """
    from avalanche.benchmarks.scenarios.dataset_scenario import benchmark_from_datasets

    if len(train) != len(test):
        raise ValueError(f"build_benchmark: {len(train)} train splits but {len(test)} test splits")
    benchmark = benchmark_from_datasets(
        train=[avalanche_dataset(d, receptive_field) for d in train],
        test=[avalanche_dataset(d, receptive_field) for d in test],
    )
    for stream, datas in ((benchmark.train_stream, train), (benchmark.test_stream, test)):
        for index, (experience, data) in enumerate(zip(stream, datas, strict=True)):
            experience.domain = DomainInfo(
                index=index,
                name=data.name,
                labelled=data.has_3d,
                layout=data.layout_name,
                fps=data.fps,
                num_frames=len(data),
                image_size=tuple(int(v) for v in data.image_size[0].tolist()),
                actions=data.actions,
                split=data.split,
                domains=len(train),
            )
            experience.tensors = data
    return benchmark
