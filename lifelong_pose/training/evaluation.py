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

if TYPE_CHECKING:
    from avalanche.training.templates import SupervisedTemplate


@dataclass(frozen=True)
class MetricInfo:
    """How a per-pose metric is reported: its key in records, unit scale and sense."""

    key: str
    label: str
    function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    scale: float
    unit: str
    lower_is_better: bool


# Errors in millimetres, PCK and AUC in percent; keys are the record's matrix names.
METRICS: tuple[MetricInfo, ...] = (
    MetricInfo("mpjpe", "MPJPE", mpjpe, 1000.0, "mm", True),
    MetricInfo("pa_mpjpe", "PA-MPJPE", pa_mpjpe, 1000.0, "mm", True),
    MetricInfo("pck", "PCK@150mm", pck, 100.0, "%", False),
    MetricInfo("auc", "AUC", auc, 100.0, "%", False),
)


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
    """The evaluator of every run: the four pose metrics, no loggers (the runner prints)."""
    with warnings.catch_warnings():  # "no loggers": deliberate, the runner reports
        warnings.simplefilter("ignore", UserWarning)
        return EvaluationPlugin(*(PosePluginMetric(info) for info in METRICS), loggers=[])
