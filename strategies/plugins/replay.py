"""Replay: a bounded memory of earlier domains' 2D poses, mixed into every adaptation batch.

After each domain, ``size`` samples are shared equally among the domains seen so far (each
domain's share is a seeded random subset of its train split, shrunk as new domains arrive, so the
memory never exceeds ``size``). Only 2D windows and camera intrinsics are kept, never 3D: what a
strategy makes of them is its own adaptation loss (PoseDA aligns its source poses to them as to
the current target's). The kept bytes appear in the run record's ``resources``.
"""

from __future__ import annotations

from typing import Any

import torch

from lifelong_pose.data.batches import MemoryBatches
from lifelong_pose.training.plugin import LifelongPlugin
from lifelong_pose.training.seeding import derive_seed


class ReplayPlugin(LifelongPlugin):
    """Append ``round(ratio * batch_size)`` remembered 2D poses to every unlabelled training batch.

    Args:
        size: memory capacity, in samples (2D windows), over all earlier domains.
        ratio: remembered samples per batch, as a fraction of the batch size.
    """

    name = "replay"

    def __init__(self, size: int = 2048, ratio: float = 0.5) -> None:
        super().__init__()
        if size < 1:
            raise ValueError(f"replay: size must be >= 1 sample, got {size}")
        if not ratio > 0:
            raise ValueError(f"replay: ratio must be > 0, got {ratio}")
        self.size, self.ratio = size, ratio
        self.memory: dict[int, dict[str, torch.Tensor]] = {}  # domain index -> x2d windows, intrinsics

    def changes_source_training(self) -> bool:
        return False  # the memory mixes into targets' batches only

    # -- memory -------------------------------------------------------------------------------
    def quotas(self, domains: int) -> list[int]:
        """Samples per domain when ``domains`` share the memory (the first ones take the remainder)."""
        share, extra = divmod(self.size, domains)
        return [share + (1 if i < extra else 0) for i in range(domains)]

    def remembered(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """All remembered (x2d windows, intrinsics), or None while the memory is empty."""
        kept = [entry for entry in self.memory.values() if entry["x2d"].shape[0]]
        if not kept:
            return None
        return torch.cat([e["x2d"] for e in kept]), torch.cat([e["intrinsics"] for e in kept])

    def after_training_exp(self, strategy: Any, **kwargs: Any) -> None:
        strategy = self.check_strategy(strategy)
        data = strategy.domain_data
        generator = torch.Generator().manual_seed(derive_seed(strategy.context.seed, "replay", strategy.domain.index))
        order = torch.randperm(len(data), generator=generator).to(data.x2d.device)
        windows = data.window_indices(strategy.params.receptive_field)
        self.memory[strategy.domain.index] = {"x2d": data.x2d[windows[order]], "intrinsics": data.intrinsics[order]}
        # each domain keeps a prefix of its own random order: shrinking keeps a random subset
        for (index, entry), quota in zip(sorted(self.memory.items()), self.quotas(len(self.memory)), strict=True):
            self.memory[index] = {key: value[:quota] for key, value in entry.items()}

    # -- mixing -------------------------------------------------------------------------------
    def before_training_exp(self, strategy: Any, **kwargs: Any) -> None:
        strategy = self.check_strategy(strategy)
        memory = self.remembered()
        if memory is None or strategy.train_epochs == 0:
            return
        per_batch = max(1, round(self.ratio * strategy.train_mb_size))
        strategy.dataloader = MemoryBatches(
            strategy.dataloader, *memory, per_batch=per_batch, generator=strategy._generator
        )

    # -- what crosses domains -----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {str(index): dict(entry) for index, entry in self.memory.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.memory = {int(index): dict(entry) for index, entry in state.items()}
