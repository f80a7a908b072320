"""Online EWC (Kirkpatrick et al. 2017; Schwarz et al. 2018): keep important weights near their old values.

At the end of each domain, a weight's importance is the mean squared gradient of the strategy's
*own* training loss on that domain (:meth:`LifelongStrategy.training_loss`: the supervised loss on
the source, the adaptation loss on targets), which is the diagonal empirical Fisher. Importances
accumulate over domains (``decay`` discounts older ones, online EWC) around one anchor, the weights
after the latest domain. While adapting, the loss gets ``strength / 2 * mean_i F_i (w_i - w*_i)^2``.

Two normalisations keep ``strength`` meaningful across lifters and strategies: importances are
divided by their mean (pose losses in metres give tiny squared gradients whose scale changes with
the strategy), and the penalty is a mean over weights, not a sum (a sum grows with the lifter's
size; with Adam every weight moves by about the learning rate per step, so a summed penalty
drowned the pose loss at any useful strength).
"""

from __future__ import annotations

import itertools
from typing import Any

import torch

from lifelong_pose.training.plugin import LifelongPlugin


class EWCPlugin(LifelongPlugin):
    """Elastic weight consolidation on the lifter, with importances from the strategy's own loss.

    Args:
        strength: weight of the penalty (importances have mean 1).
        decay: factor on the accumulated importance before a new domain's is added (1: plain sum).
        batches: training batches used to estimate each domain's importance.
    """

    name = "ewc"

    def __init__(self, strength: float = 1000.0, decay: float = 1.0, batches: int = 16) -> None:
        super().__init__()
        if strength < 0:
            raise ValueError(f"ewc: strength must be >= 0, got {strength}")
        if not 0 <= decay <= 1:
            raise ValueError(f"ewc: decay must be in [0, 1], got {decay}")
        if batches < 1:
            raise ValueError(f"ewc: batches must be >= 1, got {batches}")
        self.strength, self.decay, self.batches = strength, decay, batches
        self.importance: dict[str, torch.Tensor] = {}
        self.anchor: dict[str, torch.Tensor] = {}

    def changes_source_training(self) -> bool:
        return False  # no penalty before a domain has been learnt

    @property
    def count(self) -> int:
        """Weights under the penalty."""
        return sum(value.numel() for value in self.importance.values())

    def before_backward(self, strategy: Any, **kwargs: Any) -> None:
        if not self.importance or self.strength == 0:
            return
        total = sum(
            (self.importance[name] * (parameter - self.anchor[name]) ** 2).sum()
            for name, parameter in strategy.model.named_parameters()
        )
        strategy.loss = strategy.loss + 0.5 * self.strength * total / self.count

    def after_training_exp(self, strategy: Any, **kwargs: Any) -> None:
        strategy = self.check_strategy(strategy)
        if strategy.train_epochs == 0:
            return  # the lifter did not change: nothing new to protect
        fisher = self.fisher(strategy)
        mean = torch.cat([f.flatten() for f in fisher.values()]).mean().clamp_min(1e-20)
        for name, value in fisher.items():
            previous = self.importance.get(name)
            scaled = value / mean
            self.importance[name] = scaled if previous is None else self.decay * previous + scaled
        self.anchor = {name: p.detach().clone() for name, p in strategy.model.named_parameters()}

    def fisher(self, strategy: Any) -> dict[str, torch.Tensor]:
        """Mean squared gradient of ``strategy.training_loss`` over up to ``batches`` training batches.

        The lifter is put in eval mode for it (no dropout, batch norm statistics untouched) and back.
        """
        model = strategy.model
        sums = {name: torch.zeros_like(p) for name, p in model.named_parameters()}
        was_training = model.training
        model.eval()
        count = 0
        try:
            for batch in itertools.islice(strategy.dataloader, self.batches):
                model.zero_grad(set_to_none=True)
                strategy.training_loss(batch).backward()
                for name, parameter in model.named_parameters():
                    if parameter.grad is not None:
                        sums[name] += parameter.grad.detach() ** 2
                count += 1
        finally:
            model.zero_grad(set_to_none=True)
            model.train(was_training)
        return {name: value / max(count, 1) for name, value in sums.items()}

    def state_dict(self) -> dict[str, Any]:
        return {"importance": dict(self.importance), "anchor": dict(self.anchor)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.importance = dict(state["importance"])
        self.anchor = dict(state["anchor"])
