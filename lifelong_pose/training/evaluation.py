"""Pose metrics as Avalanche plugin metrics, and the evaluator every run uses.

Avalanche's default evaluator computes an argmax "accuracy" that is meaningless on poses, so a
strategy is always built with :func:`make_evaluator`. Each metric keeps a sum and a count over
the frames of one test experience (never an average of per-batch averages) and emits one value
per experience under the name given by :func:`metric_key`, which is how the runner finds it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from avalanche.evaluation.metric_definitions import PluginMetric
from avalanche.evaluation.metric_results import MetricValue
from avalanche.training.plugins import EvaluationPlugin

from lifelong_pose.metrics.accumulate import SumCount
from lifelong_pose.metrics.pose import auc, mpjpe, pa_mpjpe, pck
from lifelong_pose.metrics.table import METRIC_TABLE, MetricSpec

if TYPE_CHECKING:
    from avalanche.training.templates import SupervisedTemplate


# Key -> per-pose function; the rest of each metric (label, unit, scale, sense) is the metric table's.
METRIC_FUNCTIONS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mpjpe": mpjpe,
    "pa_mpjpe": pa_mpjpe,
    "pck": pck,
    "auc": auc,
}


@dataclass(frozen=True)
class MetricInfo:
    """A metric of the table with the torch function that computes it per pose.

    The table entry (:class:`~lifelong_pose.metrics.table.MetricSpec`) stays torch-free so that
    records and reports can read it without torch; this pairs it with its function for the evaluator.
    """

    spec: MetricSpec
    function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def scale(self) -> float:
        return self.spec.scale

    @property
    def unit(self) -> str:
        return self.spec.unit

    @property
    def lower_is_better(self) -> bool:
        return self.spec.lower_is_better


def _metric_infos() -> tuple[MetricInfo, ...]:
    missing = [spec.key for spec in METRIC_TABLE if spec.key not in METRIC_FUNCTIONS]
    if missing:
        raise ImportError(f"the metric table lists {missing} but METRIC_FUNCTIONS has no function for them")
    return tuple(MetricInfo(spec, METRIC_FUNCTIONS[spec.key]) for spec in METRIC_TABLE)


METRICS: tuple[MetricInfo, ...] = _metric_infos()
"""Every metric of :data:`~lifelong_pose.metrics.table.METRIC_TABLE`, in its order, with its function."""


def metric_key(key: str, experience: int, stream: str = "test_stream") -> str:
    """The name under which ``key``'s value on test experience ``experience`` is emitted."""
    return f"{key}/eval_phase/{stream}/Exp{experience:03d}"


class PosePluginMetric(PluginMetric[float]):
    """One pose metric over each evaluated experience, from strategy ``mb_output`` and ``mb_y``.

    ``mb_output`` and ``mb_y`` are (B, J, 3) root-relative poses in metres; frames without 3D
    (an unlabelled batch) are an error, because test splits always carry their 3D.
    """

    def __init__(self, info: MetricInfo) -> None:
        super().__init__()
        self.info = info
        self._total = SumCount()

    def reset(self) -> None:
        self._total.reset()

    def result(self) -> float:
        return self._total.result() * self.info.scale

    def update(self, predicted: torch.Tensor, target: torch.Tensor) -> None:
        self._total.update(self.info.function(predicted.detach(), target))

    def before_eval_exp(self, strategy: SupervisedTemplate) -> None:
        self.reset()

    def after_eval_iteration(self, strategy: SupervisedTemplate) -> None:
        target = strategy.mb_y
        if target is None:
            raise ValueError(f"{self.info.label}: evaluated a batch without 3D ground truth")
        self.update(strategy.mb_output, target)

    def after_eval_exp(self, strategy: SupervisedTemplate) -> list[MetricValue]:
        assert strategy.experience is not None
        name = metric_key(self.info.key, strategy.experience.current_experience)
        return [MetricValue(self, name, self.result(), strategy.clock.train_iterations)]

    def __str__(self) -> str:
        return self.info.label


def make_evaluator() -> EvaluationPlugin:
    """The evaluator of every run: the metric table's pose metrics, no loggers (the runner prints)."""
    with warnings.catch_warnings():  # "no loggers": deliberate, the runner reports
        warnings.simplefilter("ignore", UserWarning)
        return EvaluationPlugin(*(PosePluginMetric(info) for info in METRICS), loggers=[])
