"""Text tables of run records: the matrix R and the summary figures, mean ± std over seeds.

Numpy and tabulate only (no torch), so that printing a finished run folder is quick.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from lifelong_pose.metrics.matrix import FIGURES, format_mean_std, mean_std
from lifelong_pose.metrics.table import METRIC_TABLE, metric_display

FIGURE_LABELS = {
    "final_avg": "final avg",
    "avg": "avg over time",
    "bwt": "BWT",
    "forgetting": "forgetting",
    "fwt": "FWT",
    "adaptation_gain": "adaptation gain",
}
METRIC_LABELS = {metric.key: metric.display for metric in METRIC_TABLE}
"""Metric key -> ``"MPJPE (mm)"``, in report order (from the metric table; kept for importers)."""


def mean_std_cell(values: Sequence[float | None], digits: int = 1) -> str:
    """One table cell: mean ± sample std over seeds (the mean alone for one seed, n/a for none)."""
    mean, std, n = mean_std(values)
    return format_mean_std(mean, std, digits, n=n)


def matrix_table(records: Sequence[dict[str, Any]], metric: str = "mpjpe", tablefmt: str = "simple") -> str:
    """R for ``metric``: rows "after domain i", columns the test domains; mean ± std over records.

    Rows not finished by every record are left out (a partial run shows what it has).
    """
    domains = records[0]["domains"]
    rows = min(record["completed_domains"] for record in records)
    table = []
    for i in range(rows):
        cells = [mean_std_cell([record["matrices"][metric][i][j] for record in records]) for j in range(len(domains))]
        table.append([f"after {i}: {domains[i]}", *cells])
    headers = [f"{metric_display(metric)} on →", *[f"{j}: {name}" for j, name in enumerate(domains)]]
    return tabulate(table, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def summary_table(records: Sequence[dict[str, Any]], tablefmt: str = "simple") -> str:
    """Every figure of every metric (rows) with its sense; mean ± std over complete records."""
    complete = [record for record in records if record["figures"] is not None]
    if not complete:
        return "(no complete run yet: no summary)"
    table = []
    for metric in METRIC_TABLE:
        for figure in FIGURES:
            values = [record["figures"][metric.key][figure] for record in complete]
            better = complete[0]["figures"][metric.key]["lower_is_better"][figure]
            table.append(
                [metric.display, FIGURE_LABELS[figure], mean_std_cell(values), "lower" if better else "higher"]
            )
    headers = ["metric", "figure", f"value (n={len(complete)})", "better"]
    return tabulate(table, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def headline(records: Sequence[dict[str, Any]]) -> str:
    """One line: scenario, strategy, seeds, and the MPJPE summary figures."""
    first = records[0]
    seeds = ",".join(str(record["seed"]) for record in records)
    parts = [f"{first['strategy']['id']} on {first['scenario']['id']} ({first['data']['backend']}, seeds {seeds})"]
    complete = [record for record in records if record["summary"] is not None]
    if complete:
        for key, label in (("final_avg_mpjpe", "final MPJPE"), ("bwt", "BWT"), ("forgetting", "F"), ("fwt", "FWT")):
            parts.append(f"{label} {mean_std_cell([record['summary'][key] for record in complete])}")
    if first["strategy"]["reads_target_3d"]:
        parts.append("REFERENCE (reads target 3D, not comparable)")
    return " | ".join(parts)
