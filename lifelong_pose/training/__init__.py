"""The training engine: the strategy base on Avalanche, seeding and evaluation (batches: :mod:`lifelong_pose.data`).

Imports torch and avalanche; nothing on the CLI's listing path imports this package.
"""

from __future__ import annotations

from lifelong_pose.training.evaluation import METRICS, PosePluginMetric, make_evaluator, metric_key
from lifelong_pose.training.params import AdaptationParams, LifterParams
from lifelong_pose.training.plugin import LifelongPlugin
from lifelong_pose.training.seeding import derive_seed, seed_everything
from lifelong_pose.training.strategy import LifelongStrategy, RunContext

__all__ = [
    "METRICS",
    "AdaptationParams",
    "LifelongPlugin",
    "LifelongStrategy",
    "LifterParams",
    "PosePluginMetric",
    "RunContext",
    "derive_seed",
    "make_evaluator",
    "metric_key",
    "seed_everything",
]
