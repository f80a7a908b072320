"""Text tables of run records: the matrix R and the summary figures, mean ± std over seeds.

Numpy and tabulate only (no torch), so that printing a finished run folder is quick.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def against_not_adapting(records: Sequence[dict[str, Any]], metric: str = "mpjpe", tablefmt: str = "simple") -> str:
    """The run beside the lifter it started from, per domain: what not adapting would have given.

    Row 0 of the matrix is the lifter after the source, tested on every domain: exactly what
    ``source_only`` reports for the same stream, seed and source training (a method that trains
    the source its own way, DAK-Pose, compares with its own source lifter). So each domain's
    "not adapting" error costs nothing, and a reader sees at once whether adapting helped. Mean ±
    std over complete records; "" when none is complete or the run never changed its lifter.
    """
    import numpy as np

    complete = [record for record in records if record["figures"] is not None]
    if not complete:
        return ""
    matrices = [np.asarray(record["matrices"][metric], dtype=float) for record in complete]
    if all(np.array_equal(matrix, np.broadcast_to(matrix[0], matrix.shape)) for matrix in matrices):
        return ""  # every row is row 0: the run is its own "not adapting"
    domains = complete[0]["domains"]
    lower = complete[0]["figures"][metric]["lower_is_better"]["final_avg"]

    def cell(values: Sequence[float]) -> str:
        return mean_std_cell(list(values))

    def change(before: Sequence[float], after: Sequence[float]) -> str:
        differences = [b - a for a, b in zip(before, after, strict=True)]
        mean = sum(differences) / len(differences)
        better = (mean < 0) == lower
        return f"{mean:+.1f} ({'better' if better else 'worse'})" if mean else "0.0"

    table = []
    for j, name in enumerate(domains):
        not_adapting = [matrix[0, j] for matrix in matrices]
        at_end = [matrix[-1, j] for matrix in matrices]
        table.append([f"{j}: {name}", cell(not_adapting), cell([m[j, j] for m in matrices]), cell(at_end)])
        table[-1].append(change(not_adapting, at_end))
    not_adapting = [float(matrix[0].mean()) for matrix in matrices]
    final = [float(matrix[-1].mean()) for matrix in matrices]
    table.append(["final average", cell(not_adapting), "", cell(final), change(not_adapting, final)])
    headers = [
        f"{metric_display(metric)} on",
        "not adapting (row 0)",
        "right after adapting to it",
        "at the end",
        "end - not adapting",
    ]
    return tabulate(table, headers=headers, tablefmt=tablefmt, disable_numparse=True)


DIAGNOSTICS_HEADERS = (
    "target",
    "weight change (%)",
    "prediction change (mm)",
    "BN mean shift (sd)",
    "BN scale shift (log)",
    "MPJPE entering",
    "adapted",
    "adapted weights, entering BN",
    "entering weights, adapted BN",
)
METHOD_HEADERS = ("target", "method figure", "at the start", "at the end")


def diagnostics_rows(records: Sequence[Mapping[str, Any]]) -> tuple[list[list[str]], list[list[str]]]:
    """What each target changed in the lifter (:mod:`lifelong_pose.runner.diagnostics`), mean ± std over records.

    Returns two lists of text rows. The first (:data:`DIAGNOSTICS_HEADERS`) splits each target's
    change into weights and normalisation statistics: the error as the lifter entered the target
    (R[j-1, j]), after it (R[j, j]), and of the two lifters made of halves (adapted weights with the
    entering statistics; entering weights with the adapted statistics). The second
    (:data:`METHOD_HEADERS`) lists the method's own figures at each target's start and end. A
    target no record measured is left out; both are empty for records without diagnostics.
    """
    rows = min(record["completed_domains"] for record in records)
    domains = records[0]["domains"]

    def cell(values: Sequence[float | None], scale: float = 1.0, digits: int = 1) -> str:
        present = [value * scale for value in values if value is not None]
        return mean_std_cell(present, digits) if present else "n/a"

    change_rows, method_rows = [], []
    for j in range(1, rows):
        found = [(record.get("diagnostics") or [])[j : j + 1] for record in records]
        figures = [entry[0]["figures"] for entry in found if entry and entry[0]["figures"] is not None]
        if not figures:
            continue
        swaps = [f["swap"] for f in figures if f["swap"] is not None]
        shifts = [f["statistics_shift"] for f in figures if f["statistics_shift"] is not None]
        change_rows.append(
            [
                f"{j}: {domains[j]}",
                cell([f["weight_change"] for f in figures], 100, 2),
                cell([f["prediction_change_mm"] for f in figures]),
                cell([shift["mean"] for shift in shifts], digits=3),
                cell([shift["scale"] for shift in shifts], digits=3),
                cell([record["matrices"]["mpjpe"][j - 1][j] for record in records]),
                cell([record["matrices"]["mpjpe"][j][j] for record in records]),
                cell([swap["weights_only_mm"] for swap in swaps]),
                cell([swap["statistics_only_mm"] for swap in swaps]),
            ]
        )
        for name in sorted({name for f in figures for stage in f["method"].values() for name in stage}):
            stages = [[f["method"].get(stage, {}).get(name) for f in figures] for stage in ("start", "end")]
            method_rows.append([f"{j}: {domains[j]}", name, *(cell(values, digits=3) for values in stages)])
    return change_rows, method_rows


def diagnostics_tables(records: Sequence[Mapping[str, Any]], tablefmt: str = "simple") -> list[str]:
    """:func:`diagnostics_rows` as text tables (the method's only where it reports figures); [] without any."""
    change_rows, method_rows = diagnostics_rows(records)
    tables = []
    for headers, rows in ((DIAGNOSTICS_HEADERS, change_rows), (METHOD_HEADERS, method_rows)):
        if rows:
            tables.append(tabulate(rows, headers=list(headers), tablefmt=tablefmt, disable_numparse=True))
    return tables


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
