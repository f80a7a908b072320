"""The data layer: one domain split as tensors, windows cut once, pose batches and the Avalanche glue.

- :class:`~lifelong_pose.data.domain.DomainData`: one split of one domain, whole tensors, made
  by either backend (the simulated world, or the real datasets' readers);
- :class:`~lifelong_pose.data.batch.PoseBatch`: one mini-batch, labelled or not, as every
  strategy, plugin and the engine see it;
- :mod:`~lifelong_pose.data.batches`: index batches over a split (the fast path) and a replay
  memory mixed into them;
- :mod:`~lifelong_pose.data.windows`: windows of sequence tensors;
- :mod:`~lifelong_pose.data.avalanche`: the Avalanche datasets and ``CLScenario``.

The exports load lazily (torch on first use), so that option checks can count passes
(:mod:`~lifelong_pose.data.passes`) without torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifelong_pose.lazy import lazy_exports

if TYPE_CHECKING:
    from lifelong_pose.data.batch import PoseBatch
    from lifelong_pose.data.batches import MemoryBatches, TensorBatches
    from lifelong_pose.data.domain import DomainData

__all__ = ["DomainData", "MemoryBatches", "PoseBatch", "TensorBatches"]
__getattr__ = lazy_exports(
    __name__,
    {"DomainData": "domain", "MemoryBatches": "batches", "PoseBatch": "batch", "TensorBatches": "batches"},
)
