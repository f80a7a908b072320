"""Pose metrics, their accumulation, and continual-learning figures from result matrices.

- :mod:`~lifelong_pose.metrics.pose` (torch): per-pose MPJPE ("Protocol #1"), PA-MPJPE
  ("Protocol #2"), PCK@150 mm and AUC (0-150 mm, 31 thresholds), one value per pose; N-MPJPE
  (scale fitted) as a diagnostic of predicted size.
- :mod:`~lifelong_pose.metrics.accumulate` (torch): :class:`SumCount`, pose-weighted means from
  sums and counts, never averages of batch averages.
- :mod:`~lifelong_pose.metrics.matrix` (numpy): A_T, A, BWT, forgetting, FWT and adaptation gain
  from the (T+1)x(T+1) matrix R[i, j], and mean +- std over seeds.
- :mod:`~lifelong_pose.metrics.table` (plain Python): the metric table, each reported metric's key,
  label, unit, scale and sense, listed once for the evaluator, the record schema and the report.

The matrix functions and the table load eagerly; the torch ones load on first use, so that the CLI and the
leaderboard builder (which import :mod:`lifelong_pose.metrics.matrix`) never import torch.
"""

from __future__ import annotations

from lifelong_pose.lazy import lazy_exports
from lifelong_pose.metrics.matrix import (
    FIGURE_FUNCTIONS,
    FIGURES,
    adaptation_gain,
    average_over_time,
    backward_transfer,
    check_matrix,
    figure_lower_is_better,
    final_average,
    forgetting,
    format_mean_std,
    forward_transfer,
    mean_std,
    summarize,
)
from lifelong_pose.metrics.table import (
    HEADLINE_METRIC,
    METRIC_KEYS,
    METRIC_TABLE,
    MetricSpec,
    metric_display,
    metric_spec,
)

_LAZY = {
    "AUC_THRESHOLDS": "pose",
    "PCK_THRESHOLD": "pose",
    "auc": "pose",
    "mpjpe": "pose",
    "n_mpjpe": "pose",
    "pa_mpjpe": "pose",
    "pck": "pose",
    "SumCount": "accumulate",
}


__getattr__ = lazy_exports("lifelong_pose.metrics", _LAZY)


# listed statically so that linters and IDEs see the re-exports
__all__ = [
    "FIGURES",
    "FIGURE_FUNCTIONS",
    "HEADLINE_METRIC",
    "METRIC_KEYS",
    "METRIC_TABLE",
    "MetricSpec",
    "adaptation_gain",
    "average_over_time",
    "backward_transfer",
    "check_matrix",
    "figure_lower_is_better",
    "final_average",
    "forgetting",
    "format_mean_std",
    "forward_transfer",
    "mean_std",
    "metric_display",
    "metric_spec",
    "summarize",
    *_LAZY,
]
