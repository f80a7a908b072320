"""Progress of a run on the terminal: domain k of T, step, loss and the time left (tqdm)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from avalanche.core import SupervisedPlugin
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from lifelong_pose.training.strategy import LifelongStrategy

# Reading the loss syncs a GPU; show it every few steps only.
_LOSS_EVERY = 20


class ProgressPlugin(SupervisedPlugin):
    """One bar over every training step of the run, so its ETA is the run's time left.

    Args:
        total_steps: training batches of all domains still to run.
        num_domains: T + 1, for the "domain k/T+1" label.
        enabled: False draws nothing (``--quiet``, tests).
    """

    def __init__(self, total_steps: int, num_domains: int, *, enabled: bool = True) -> None:
        super().__init__()
        self.num_domains = num_domains
        self.bar = tqdm(
            total=total_steps, unit="step", disable=None if enabled else True, dynamic_ncols=True, leave=False
        )
        self._step = 0

    def before_training_exp(self, strategy: LifelongStrategy, *args: Any, **kwargs: Any) -> None:
        domain = strategy.domain
        cached = " (source from cache)" if strategy.source_from_cache else ""
        self.bar.set_description(f"domain {domain.index + 1}/{self.num_domains} {domain.name}{cached}")

    def after_training_iteration(self, strategy: LifelongStrategy, *args: Any, **kwargs: Any) -> None:
        self._step += 1
        self.bar.update(1)
        if self._step % _LOSS_EVERY == 0:
            self.bar.set_postfix(
                step=f"{strategy.domain_step}/{strategy.domain_steps}", loss=f"{strategy.loss.item():.4f}"
            )

    def close(self) -> None:
        self.bar.close()
