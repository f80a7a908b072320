"""Distillation (LwF-style, on predicted 3D): the lifter before a domain teaches the one adapting to it.

While adapting to domain i, the lifter as it was at the start of domain i predicts the current
batch's 2D poses; the adapting lifter pays the MPJPE to those predictions, weighted by ``weight``.
The 2D poses are the batch as drawn from the domain (``strategy.domain_batch``), also when the
strategy trains on synthetic pairs (PoseDA): the teacher guards the lifter's answers on the data
it will be tested on, not on the strategy's own constructions.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.training.plugin import LifelongPlugin


class DistillPlugin(LifelongPlugin):
    """Add ``weight * MPJPE(lifter(x), teacher(x))`` to every adaptation step's loss.

    Args:
        weight: weight of the distillation term against the strategy's loss.
        from_domain: first domain distilled (1: the source trains normally).
    """

    name = "distill"

    def __init__(self, weight: float = 1.0, from_domain: int = 1) -> None:
        super().__init__()
        if weight < 0:
            raise ValueError(f"distill: weight must be >= 0, got {weight}")
        if from_domain < 0:
            raise ValueError(f"distill: from_domain must be >= 0, got {from_domain}")
        self.weight, self.from_domain = weight, from_domain
        self.teacher: torch.nn.Module | None = None

    def changes_source_training(self) -> bool:
        return self.from_domain == 0

    def before_training_exp(self, strategy: Any, **kwargs: Any) -> None:
        strategy = self.check_strategy(strategy)
        self.teacher = None
        if strategy.domain.index >= self.from_domain and strategy.train_epochs > 0:
            self.teacher = copy.deepcopy(strategy.model).eval().requires_grad_(False)

    def before_backward(self, strategy: Any, **kwargs: Any) -> None:
        if self.teacher is None or strategy.domain_batch is None:
            return
        x2d = strategy.domain_batch.x2d
        with torch.no_grad():
            soft = self.teacher(x2d)
        # reuse the step's prediction when the strategy trained on the drawn batch itself
        predicted = strategy.mb_output if strategy.mbatch is strategy.domain_batch else strategy.model(x2d)
        strategy.loss = strategy.loss + self.weight * mpjpe(predicted, soft).mean()

    def after_training_exp(self, strategy: Any, **kwargs: Any) -> None:
        self.teacher = None
