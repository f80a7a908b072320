"""EMA: the lifter that leaves a domain is an exponential moving average of the one that adapted.

The lifelong diffusion-replay paper (arXiv 2512.23860) credits EMA with eta = 0.99 for most of its
resistance to forgetting. Its equation ``P_{j+1} = eta P_j + (1 - eta) P^_j`` can be read three ways:

- ``update="step"`` (the default): a mean-teacher average updated after every step, which is what
  "smooths parameter updates" describes; the average is the lifter tested and carried on;
- ``update="domain"``: the formula once per domain, literally: the blend of the lifter that
  entered the domain and the one that adapted is tested and carried on;
- ``update="carry"``: the adapted lifter ``P^_j`` is what is tested on domain ``j`` (the paper's
  per-domain results are the adapted model's), and the blend ``P_{j+1}`` is only the lifter the
  next domain starts from.

Averaging uses PyTorch's ``AveragedModel`` with ``get_ema_multi_avg_fn`` (parameters and
batch-norm statistics alike).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from lifelong_pose.training.plugin import LifelongPlugin


class EMAPlugin(LifelongPlugin):
    """Replace the lifter by its exponential moving average at the end of every adapted domain.

    Args:
        eta: weight of the average (0.99: each step moves it 1 % towards the live lifter).
        update: ``step`` (average after every training step), ``domain`` (blend once per domain)
            or ``carry`` (blend once per domain, for the next domain's start only).
        from_domain: first domain averaged (1: the source is trained normally).

    With ``step`` and ``domain`` nothing is kept between domains: at the end of each the lifter
    *is* the average, and the next average starts from it. The swap happens after the domain's
    last epoch, before any plugin's ``after_training_exp``, so plugins that read the final lifter
    (EWC's anchor, replay) see the average whatever their order. With ``carry`` the blend is kept
    (and checkpointed) until the next domain starts, where it replaces the tested lifter before
    anything else sees that domain (:meth:`lifter_entering`).
    """

    name = "ema"
    UPDATES = ("step", "domain", "carry")

    def __init__(
        self, eta: float = 0.99, update: Literal["step", "domain", "carry"] = "step", from_domain: int = 1
    ) -> None:
        super().__init__()
        if not 0 <= eta < 1:
            raise ValueError(f"ema: eta must be in [0, 1), got {eta}")
        if update not in self.UPDATES:
            raise ValueError(f"ema: update must be one of {', '.join(map(repr, self.UPDATES))}, got {update!r}")
        if from_domain < 0:
            raise ValueError(f"ema: from_domain must be >= 0, got {from_domain}")
        self.eta, self.update, self.from_domain = eta, update, from_domain
        self.average: AveragedModel | None = None
        self.epochs_done = 0
        self.carried: dict[str, torch.Tensor] | None = None  # update="carry": the next domain's start

    def lifter_entering(self, strategy: Any) -> None:
        """``carry``: the next domain starts from the blend kept at the end of the last one."""
        if self.carried is not None:
            strategy.model.load_state_dict(self.carried)
            self.carried = None

    def state_dict(self) -> dict[str, Any]:
        """What crosses a domain boundary: the carried blend (``carry`` only; empty otherwise)."""
        return {"carried": self.carried} if self.carried is not None else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.carried = state.get("carried")

    def changes_source_training(self) -> bool:
        return self.from_domain == 0

    def _active(self, strategy: Any) -> bool:
        return strategy.domain.index >= self.from_domain and strategy.train_epochs > 0

    def before_training_exp(self, strategy: Any, **kwargs: Any) -> None:
        strategy = self.check_strategy(strategy)
        self.average = None
        self.epochs_done = 0
        if self._active(strategy):
            self.average = AveragedModel(strategy.model, multi_avg_fn=get_ema_multi_avg_fn(self.eta), use_buffers=True)
            self.average.update_parameters(strategy.model)  # the first update copies: start from the lifter

    def after_training_iteration(self, strategy: Any, **kwargs: Any) -> None:
        if self.average is not None and self.update == "step":
            self.average.update_parameters(strategy.model)

    def after_training_epoch(self, strategy: Any, **kwargs: Any) -> None:
        self.epochs_done += 1
        if self.average is None or self.epochs_done < strategy.train_epochs:
            return
        if self.update == "carry":
            entering, adapted = self.average.module.state_dict(), strategy.model.state_dict()
            self.carried = {key: _blend(entering[key], value, self.eta) for key, value in adapted.items()}
            self.average = None
            return
        if self.update == "domain":
            self.average.update_parameters(strategy.model)
        with torch.no_grad():
            strategy.model.load_state_dict(self.average.module.state_dict())
        self.average = None


def _blend(entering: torch.Tensor, adapted: torch.Tensor, eta: float) -> torch.Tensor:
    """``eta * entering + (1 - eta) * adapted`` for floating tensors; a count (BatchNorm's) is the adapted one."""
    if not adapted.is_floating_point():
        return adapted.detach().clone()
    return torch.lerp(adapted.detach(), entering.detach().to(adapted.dtype), eta)
