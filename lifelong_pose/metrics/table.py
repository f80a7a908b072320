"""The metric table: every per-pose metric a run reports, listed once (no torch, no numpy).

The evaluator (:mod:`lifelong_pose.training.evaluation`), the record schema, the runner and the
report all read this table, so adding or renaming a metric is one edit here (plus its function in
:mod:`lifelong_pose.metrics.pose` and the evaluator's key -> function map, which a test checks).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    """How one per-pose metric is reported.

    Attributes:
        key: its name in records (the matrix and unit keys) and in the evaluator's emitted values.
        label: its short display name (``MPJPE``), also the literature's name.
        unit: the unit its reported values are in (``mm``, ``%``).
        scale: the factor from the metric function's value (metres, fractions) to ``unit``.
        lower_is_better: True for errors, False for scores; decides the sign of transfer figures.
        protocol: where its definition comes from, for tables and docs.
    """

    key: str
    label: str
    unit: str
    scale: float
    lower_is_better: bool
    protocol: str

    @property
    def display(self) -> str:
        """``"MPJPE (mm)"``: what axes and table headers show."""
        return f"{self.label} ({self.unit})"


# Errors in millimetres, PCK and AUC in percent, in report order.
METRIC_TABLE: tuple[MetricSpec, ...] = (
    MetricSpec("mpjpe", "MPJPE", "mm", 1000.0, True, 'Human3.6M "Protocol #1"'),
    MetricSpec("pa_mpjpe", "PA-MPJPE", "mm", 1000.0, True, 'Human3.6M "Protocol #2" (Procrustes-aligned)'),
    MetricSpec("pck", "PCK@150mm", "%", 100.0, False, "MPI-INF-3DHP, 150 mm threshold"),
    MetricSpec("auc", "AUC", "%", 100.0, False, "MPI-INF-3DHP, 0-150 mm in 5 mm steps"),
)

METRIC_KEYS: tuple[str, ...] = tuple(spec.key for spec in METRIC_TABLE)
"""Every metric's record key, in report order."""

HEADLINE_METRIC = "mpjpe"
"""The metric a record's ``summary`` and one-line headlines are about."""

_BY_KEY = {spec.key: spec for spec in METRIC_TABLE}


def metric_spec(key: str) -> MetricSpec:
    """The table's entry for ``key``.

    Raises:
        KeyError: an unknown key, with the closest known one and the full list.
    """
    try:
        return _BY_KEY[key]
    except KeyError:
        close = difflib.get_close_matches(key, METRIC_KEYS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"Unknown metric {key!r}.{hint} Known metrics: {', '.join(METRIC_KEYS)}") from None


def metric_display(key: str) -> str:
    """``"MPJPE (mm)"`` for a known key; the key itself for one the table does not list (an old record)."""
    spec = _BY_KEY.get(key)
    return spec.display if spec is not None else key


__all__ = ["HEADLINE_METRIC", "METRIC_KEYS", "METRIC_TABLE", "MetricSpec", "metric_display", "metric_spec"]
