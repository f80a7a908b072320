"""DAK-Pose and its ablations against source_only with the same lifter, 3 seeds, two streams.

Runs, on ``cross_dataset`` and ``cross_scenario`` (sim, quick profile), through the same runner as
``lifelong-pose run``: ``source_only`` with DAK-Pose's lifter and budget (the ``dakpose`` lifter,
9 frames, 8000 steps of 64 at 1e-2 after 200 warm-up steps), ``dakpose``, and the paper's
ablations (section 4.5.1): without SMA, without DMA, without adversarial fusion (the synthetic
pairs trained on directly), without disentanglement, and with neither augmentor; and without the global limb scaling
(``F_g = 1``, section 4.5.4's study of its spread) or any limb scaling (``F_l = F_g = 1``), which set
the sizes of the people G trains on. DAK-Pose never
adapts (domain generalisation), so every row's error on a target is the error it has on a target it never saw. Writes
``benchmarks/results/dakpose.md``: per row, mean ± std over seeds of the target MPJPE (mean over
targets of R[0, j]), the final average MPJPE and the run time.

    python benchmarks/dakpose_table.py [--seeds 0,1,2] [--scenarios cross_dataset,cross_scenario]
        [--out runs/dakpose_table] [--steps N]

Finished runs are reused (their folders are resumed), so the script can be stopped and restarted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strategy_table import Row, table_arguments, target_error, write_tables  # benchmarks/ is on sys.path
from tabulate import tabulate

from lifelong_pose.leaderboard.ranking import welch_p_value
from lifelong_pose.runner.tables import mean_std_cell

# DAK-Pose's lifter and budget in the quick profile, for the source_only row
SAME_LIFTER = {
    "lifter": "dakpose",
    "receptive_field": 9,
    "steps": 8000,
    "batch_size": 64,
    "lr": 1e-2,
    "lr_warmup_steps": 200,
}

ROWS: dict[str, Row] = {
    "source_only (dakpose lifter)": ("source_only", SAME_LIFTER, []),
    "dakpose": ("dakpose", {}, []),
    "dakpose without SMA": ("dakpose", {"sma": False}, []),
    "dakpose without DMA": ("dakpose", {"dma": False}, []),
    "dakpose without adversarial fusion (direct)": ("dakpose", {"fusion": "direct"}, []),
    "dakpose without disentanglement": ("dakpose", {"disentangle": False}, []),
    "dakpose without SMA and DMA": ("dakpose", {"sma": False, "dma": False}, []),
    "dakpose without global scaling (F_g = 1)": ("dakpose", {"global_scale_std": 0.0}, []),
    "dakpose without limb scaling (F_l = F_g = 1)": ("dakpose", {"local_scale_std": 0.0, "global_scale_std": 0.0}, []),
}


def source_seconds(records: list[dict[str, Any]]) -> str:
    """Mean ± std of the seconds the source training took, over the runs that trained it (a source the
    cache served took none here; how many trained is said where some did not)."""
    trained = [r["timing"]["domains"][0]["train_s"] for r in records if not (r.get("source_cache") or {}).get("used")]
    if not trained:
        return "cached"
    return mean_std_cell(trained) + ("" if len(trained) == len(records) else f" (n={len(trained)}, others cached)")


def verdict_lines(records: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown lines: each row against the first (``source_only`` with the same lifter) on the targets
    neither saw, by Welch's two-sided t-test over seeds, beside each row's source error and the
    seconds its source training took (the seeds that finished; n/a below two seeds a side). Why: the
    paper's claim is this difference, and a row is read beside the spread of its seeds."""
    done = {name: [r for r in rows if r["status"] == "complete"] for name, rows in records.items()}
    baseline_name = next(iter(done))
    baseline = [target_error(r) for r in done[baseline_name]]
    table = []
    for name, rows in done.items():
        if not rows:
            continue
        errors = [target_error(r) for r in rows]
        p_value = None if name == baseline_name or not baseline else welch_p_value(errors, baseline)
        difference = sum(errors) / len(errors) - sum(baseline) / len(baseline) if baseline else None
        table.append(
            [
                name,
                len(rows),
                mean_std_cell(errors),
                "" if name == baseline_name or difference is None else f"{difference:+.1f}",
                "" if name == baseline_name else ("n/a" if p_value is None else f"{p_value:.3g}"),
                mean_std_cell([r["matrices"]["mpjpe"][0][0] for r in rows]),
                source_seconds(rows),
            ]
        )
    headers = [
        "",
        "seeds",
        "unseen targets (mm)",
        f"vs {baseline_name}",
        "Welch p",
        "source (mm)",
        "source training (s)",
    ]
    return [
        "Against the same lifter trained alone (lower is better; Welch's two-sided t-test over seeds):",
        "",
        tabulate(table, headers=headers, tablefmt="github", disable_numparse=True),
        "",
    ]


def main() -> None:
    args, rows = table_arguments(
        __doc__.splitlines()[0],
        ROWS,
        scenarios="cross_dataset,cross_scenario",
        out="runs/dakpose_table",
        results=str(Path(__file__).parent / "results" / "dakpose.md"),
    )
    write_tables(
        "dakpose_table.py",
        args,
        ROWS,
        rows,
        "DAK-Pose and its ablations vs source_only with the same lifter (sim, quick profile)",
        "DAK-Pose uses no target data: the target MPJPE is the error on targets never seen (R[0, j]).",
        Path(args.results),
        extra=verdict_lines,
    )


if __name__ == "__main__":
    main()
