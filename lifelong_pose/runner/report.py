"""Figures and a Markdown report of a run folder (seaborn heatmaps of R, per-domain curves).

The report is rendered from ``result.json`` only, so it can be rebuilt from any record.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lifelong_pose.metrics.table import METRIC_TABLE, metric_display
from lifelong_pose.runner.checkpoint import atomic_write_text
from lifelong_pose.runner.tables import (
    against_not_adapting,
    diagnostics_tables,
    headline,
    matrix_table,
    summary_table,
)

REPORT_FILE = "report.md"


def _mean_matrix(records: Sequence[dict[str, Any]], metric: str) -> np.ndarray:
    return np.mean([np.asarray(record["matrices"][metric], dtype=float) for record in records], axis=0)


def plot_heatmap(records: Sequence[dict[str, Any]], metric: str, path: Path) -> Path:
    """R for ``metric`` as an annotated heatmap (mean over records); darker = worse."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    domains = records[0]["domains"]
    lower_is_better = records[0]["figures"][metric]["lower_is_better"]["final_avg"]
    matrix = _mean_matrix(records, metric)
    size = 1.2 + 0.9 * len(domains)
    figure, axes = plt.subplots(figsize=(size + 1.5, size))
    sns.heatmap(
        matrix,
        annot=True,
        fmt=".1f",
        cmap="rocket_r" if lower_is_better else "rocket",
        xticklabels=domains,
        yticklabels=[f"after {name}" for name in domains],
        cbar_kws={"label": metric_display(metric)},
        ax=axes,
    )
    axes.set_xlabel("test domain j")
    axes.set_ylabel("after training on domain i")
    seeds = ", ".join(str(record["seed"]) for record in records)
    axes.set_title(f"{records[0]['strategy']['id']} on {records[0]['scenario']['id']}: R (seeds {seeds})")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_curves(records: Sequence[dict[str, Any]], path: Path, metric: str = "mpjpe") -> Path:
    """One line per test domain: its error after each step of the stream (forgetting shows as a rise)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    domains = records[0]["domains"]
    rows = [
        {"after": f"{i}: {domains[i]}", "step": i, "test domain": domains[j], "value": value, "seed": record["seed"]}
        for record in records
        for i, row in enumerate(record["matrices"][metric])
        for j, value in enumerate(row)
    ]
    import pandas as pd

    frame = pd.DataFrame(rows)
    figure, axes = plt.subplots(figsize=(1.5 + 1.4 * len(domains), 4))
    sns.lineplot(frame, x="step", y="value", hue="test domain", marker="o", errorbar="sd", ax=axes)
    axes.set_xticks(range(len(domains)), [f"{i}: {name}" for i, name in enumerate(domains)], rotation=20)
    axes.set_xlabel("after training on domain")
    axes.set_ylabel(metric_display(metric))
    axes.set_title("per-domain error along the stream (mean ± sd over seeds)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_report(record_or_records: dict[str, Any] | Sequence[dict[str, Any]], out: Path) -> Path:
    """Heatmaps of every matrix, the curves, and ``report.md`` embedding them, in ``out``."""
    records = [record_or_records] if isinstance(record_or_records, dict) else list(record_or_records)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    complete = [record for record in records if record["figures"] is not None]
    lines = [f"# {headline(records)}", ""]
    first = records[0]
    lines += [
        f"- scenario `{first['scenario']['id']}`, data `{first['data']['backend']}` "
        f"(world seed {first['data']['world_seed']}, fingerprint `{first['data']['fingerprint'][:12]}`), "
        f"profile `{first['profile']}`, device `{first['device']}`",
        f"- strategy `{first['strategy']['id']}` with `{first['strategy']['params']}`",
        f"- seeds: {', '.join(str(record['seed']) for record in records)}; "
        f"status: {', '.join(sorted({record['status'] for record in records}))}",
        *(
            [f"- normalisation (`bn={first['normalisation']['bn']}`): {first['normalisation']['effect']}"]
            if "normalisation" in first
            else []
        ),
        "",
        "R[i, j] is the metric on domain j's test split after the strategy finished domain i (row 0: after the "
        "source). The diagonal is each domain right after adapting to it; below it, what later steps did to "
        "earlier domains (forgetting); above it, domains not yet seen (forward transfer).",
        "",
    ]
    for metric in METRIC_TABLE:
        lines += [f"## {metric.display}", "", matrix_table(records, metric.key, tablefmt="github"), ""]
        if complete:
            image = plot_heatmap(complete, metric.key, out / f"heatmap_{metric.key}.png")
            lines += [f"![{metric.key} heatmap]({image.name})", ""]
    if complete:
        curves = plot_curves(complete, out / "curves_mpjpe.png")
        lines += ["## Along the stream", "", f"![per-domain MPJPE]({curves.name})", ""]
        comparison = against_not_adapting(complete, tablefmt="github")
        if comparison:
            lines += [
                "## Against not adapting",
                "",
                "Row 0 of the matrix is the lifter after the source tested on every domain: what `source_only` "
                "gives for the same stream and seed (for a strategy that trains the source its own way, its own "
                "source lifter). Each domain's error without adapting, right after adapting to it, and at the end:",
                "",
                comparison,
                "",
            ]
        lines += ["## Summary", "", summary_table(complete, tablefmt="github"), ""]
    diagnostics = diagnostics_tables(records, tablefmt="github")
    if diagnostics:
        lines += [
            "## What the lifter learned on each target",
            "",
            "How far the weights moved (relative L2), how far the predictions on the target's test 2D moved, "
            "and how far the BatchNorm statistics moved (mean shift in entering standard deviations, scale shift "
            "as |log| of the ratio of standard deviations). The last two MPJPE columns split the change: the "
            "adapted weights with the statistics the lifter entered with put back, and the entering weights "
            "with the adapted statistics. Where the second is close to *adapted*, the gain is re-normalisation.",
            "",
            diagnostics[0],
            "",
        ]
        if len(diagnostics) > 1:
            lines += [
                "The method's own networks on a probe of each target, at its start and end: generator "
                "displacement (mm between augmented and input 3D), critic accuracy (probability of scoring "
                "a real sample above a generated one; 0.5 is chance) and the sliced Wasserstein distance "
                "between normalised generated and target 2D poses.",
                "",
                diagnostics[1],
                "",
            ]
    path = out / REPORT_FILE
    atomic_write_text(path, "\n".join(lines))
    return path
