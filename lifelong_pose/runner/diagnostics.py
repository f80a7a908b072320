"""What a strategy changed in the lifter on one target, measured, for the run's record.

A row of the result matrix says how good the lifter is after a domain; it does not say how it
got there. These figures do, per target domain ``j`` (the source gets none: it is trained from
scratch):

- ``weight_change``: ``||theta_after - theta_before|| / ||theta_before||`` over the lifter's
  trainable parameters (BatchNorm statistics are buffers, not counted);
- ``prediction_change_mm``: the mean per-joint distance between the lifter's predictions on
  domain ``j``'s test 2D before and after the domain (mm; no label is used);
- ``statistics_shift``: how far the BatchNorm running statistics moved
  (:func:`lifelong_pose.training.normalisation.statistics_shift`), or None without BatchNorm;
- ``swap``: domain ``j``'s test error of two lifters made of halves, which split the change into
  what the weights learned and what the statistics moved (None without BatchNorm):
  ``weights_only_mm`` (the adapted weights with the statistics the lifter entered with put back)
  and ``statistics_only_mm`` (the entering weights with the adapted statistics);
- ``method``: the strategy's own figures at the domain's start and end
  (:meth:`lifelong_pose.training.LifelongStrategy.adaptation_diagnostics`).

Every figure is taken in evaluation mode without gradients, and the lifter is put back exactly
as it was, so a run's matrices do not depend on its diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.training.normalisation import statistics_keys, statistics_shift

MM = 1000.0


@dataclass
class LifterSnapshot:
    """The lifter as it entered a domain: its whole state, and its predictions on the domain's test split."""

    state: dict[str, torch.Tensor]
    predictions: torch.Tensor  # (N, J, 3) metres
    truth: torch.Tensor  # (N, J, 3) metres


def take_snapshot(strategy: Any, test_data: Any) -> LifterSnapshot:
    """The lifter of ``strategy`` now, and its predictions on ``test_data`` (a test split)."""
    state = {key: value.detach().clone() for key, value in strategy.model.state_dict().items()}
    predictions, truth = strategy.test_predictions(test_data)
    return LifterSnapshot(state, predictions, truth)


def _error_mm(predictions: torch.Tensor, truth: torch.Tensor) -> float:
    return float(mpjpe(predictions, truth).mean()) * MM


def learning_diagnostics(strategy: Any, test_data: Any, before: LifterSnapshot) -> dict[str, Any]:
    """The figures of the module docstring for the domain ``strategy`` has just finished.

    Args:
        strategy: the strategy after the domain (training, plugins' end-of-domain work done).
        test_data: the domain's test split.
        before: :func:`take_snapshot` taken before the domain started.
    """
    model = strategy.model
    after = {key: value.detach().clone() for key, value in model.state_dict().items()}
    keys = statistics_keys(model)
    statistics = set(keys)
    names = [name for name, parameter in model.named_parameters() if parameter.requires_grad]
    moved = sum(float((after[name] - before.state[name]).double().pow(2).sum()) for name in names) ** 0.5
    size = sum(float(before.state[name].double().pow(2).sum()) for name in names) ** 0.5
    unchanged = all(torch.equal(after[key], before.state[key]) for key in after)
    if unchanged:  # nothing changed (source_only): no pass over the data is needed
        predictions = before.predictions
    else:
        predictions, _ = strategy.test_predictions(test_data)
    figures: dict[str, Any] = {
        "weight_change": moved / max(size, 1e-12),
        "prediction_change_mm": float((predictions - before.predictions).norm(dim=-1).mean()) * MM,
        "statistics_shift": statistics_shift(_statistics(before.state, keys), _statistics(after, keys)),
        "swap": None,
    }
    if statistics:
        if unchanged:
            same = _error_mm(before.predictions, before.truth)
            figures["swap"] = {"weights_only_mm": same, "statistics_only_mm": same}
        else:
            figures["swap"] = {
                "weights_only_mm": _swapped_error(strategy, test_data, after, before.state, statistics),
                "statistics_only_mm": _swapped_error(strategy, test_data, before.state, after, statistics),
            }
            model.load_state_dict(after)  # put back exactly
    figures["method"] = strategy.domain_diagnostics()
    return figures


def _statistics(state: dict[str, torch.Tensor], keys: list[str]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(running_mean, running_var)`` per layer, from ``state``, for :func:`statistics_keys` ``keys``."""
    return [(state[keys[i]], state[keys[i + 1]]) for i in range(0, len(keys), 2)]


def _swapped_error(
    strategy: Any,
    test_data: Any,
    weights: dict[str, torch.Tensor],
    statistics_from: dict[str, torch.Tensor],
    statistics: set[str],
) -> float:
    """The test error (mm) of ``weights`` with the BatchNorm statistics of ``statistics_from``."""
    mixed = {key: (statistics_from[key] if key in statistics else value) for key, value in weights.items()}
    strategy.model.load_state_dict(mixed)
    predictions, truth = strategy.test_predictions(test_data)
    return _error_mm(predictions, truth)
