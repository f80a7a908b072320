"""The size of the poses a lifter predicts on each target, before and after PoseDA adapts it.

GPA places a source pose so that its 2D box matches a target pose's box, so a size mismatch
between the source's people and a target's can teach the lifter a wrong scale. On the v1 world's
cross_scenario (taller targets, the same cameras) it did: GPA shrank the predictions on S5 from
0.92 to 0.79 of the true size. On the v2 streams it does not (every row within 0.01 of
source_only across subjects), and across datasets GPA brings the 3DPW-like target's over-sized
predictions (1.08) to 0.92. This script reads the run folders that
``benchmarks/poseda_table.py`` wrote and prints, per row and target, the ratio of predicted to
true pose size (mean joint distance from the root) on the target's test split, after adapting to
that target (``source_only``: after the source), seed by seed.

    python benchmarks/poseda_scale.py [--runs runs/poseda_table] [--scenario cross_scenario]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from strategy_table import budget_suffix, run_reader_arguments
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.data.domain import DomainData
from lifelong_pose.runner.checkpoint import lifter_after
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.tables import mean_std_cell
from lifelong_pose.scenario import Scenario

ROWS = ("source_only", "poseda_GPA_only", "poseda_LPA_only", "poseda_GPA_plus_LPA")


def size_ratio(model: torch.nn.Module, test: DomainData) -> float:
    """Predicted / true mean joint distance from the root over every frame of ``test``."""
    with torch.no_grad():
        predicted = model(test.x2d[test.window_indices(model.receptive_field)])
    return float(predicted.norm(dim=-1).mean() / test.X3d.norm(dim=-1).mean())


def size_ratios(run_dir: Path, scenario: Scenario) -> list[float]:
    """Predicted / true mean root distance on each target's test split, right after adapting to it."""
    record = load_record(run_dir)
    adapts = not record["strategy"]["id"].startswith("source_only")
    return [
        size_ratio(lifter_after(run_dir, record, target if adapts else 0), scenario.test_data(target))
        for target in range(1, scenario.num_domains)
    ]


def main() -> None:
    args = run_reader_arguments(
        __doc__.splitlines()[0], runs="runs/poseda_table", scenario="cross_scenario", stem="poseda_scale"
    )
    scenario = lp.make(args.scenario)
    table = []
    for row in ROWS:
        folder = Path(args.runs) / args.scenario / (row + budget_suffix(args.steps, args.adapt_steps))
        runs = sorted(folder.glob("seed-*"))
        if not runs:
            continue
        per_seed = np.asarray([size_ratios(run, scenario) for run in runs])  # (seeds, targets)
        table.append(
            [row.replace("_", " ").replace("plus", "+")] + [mean_std_cell(list(col), digits=3) for col in per_seed.T]
        )
    headers = ["", *scenario.domain_names[1:]]
    lines = [
        f"# Predicted / true pose size on each target of {args.scenario} (sim, quick)",
        "",
        f"Made by `python benchmarks/poseda_scale.py --scenario {args.scenario}` from the runs of "
        "`benchmarks/poseda_table.py`; mean ± std over seeds. 1.0 = the right size.",
        "",
        tabulate(table, headers=headers, tablefmt="github"),
        "",
    ]
    write_results(args.results, lines)


if __name__ == "__main__":
    main()
