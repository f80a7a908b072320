"""Does the oracle fit a target, or fit it and fail on the test people? Its error on both splits.

The oracle fine-tunes on each target's adaptation split *with its 3D*. When it stays far above
the source's own error on a target, two things can hold it there: it has not fitted the target
(its error on the split it trained on is as high as on the test split: a budget or capacity
limit), or it fitted it and does not carry over to the test split's people and takes (a
generalisation limit). This script reads the oracle's run folders (``benchmarks/domain_gap.py``
writes them) and prints, per target, the MPJPE after adapting to it on the target's adaptation
split and on its test split, mean ± std over seeds, to
``benchmarks/results/oracle_fit_SCENARIO.md``.

    python benchmarks/oracle_fit.py [--runs runs/domain_gap] [--scenario cross_dataset]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.runner.checkpoint import lifter_after
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.tables import mean_std_cell
from lifelong_pose.scenario import Scenario


def split_errors(run_dir: Path, scenario: Scenario) -> list[tuple[float, float]]:
    """(adaptation-split MPJPE, test-split MPJPE) in mm on each target, right after adapting to it."""
    record = load_record(run_dir)
    errors = []
    for target in range(1, record["completed_domains"]):
        model = lifter_after(run_dir, record, target)
        pair = []
        for data in (scenario.privileged_train_data(target), scenario.test_data(target)):
            with torch.no_grad():
                predicted = model(data.x2d[data.window_indices(model.receptive_field)])
            pair.append(1000.0 * float(mpjpe(predicted, data.X3d).mean()))
        errors.append((pair[0], pair[1]))
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="runs/domain_gap", help="domain_gap.py's run folders")
    parser.add_argument("--scenario", default="cross_dataset")
    parser.add_argument("--results", default=None, help="default: benchmarks/results/oracle_fit_SCENARIO.md")
    args = parser.parse_args()
    results = args.results or str(Path(__file__).parent / "results" / f"oracle_fit_{args.scenario}.md")
    runs = sorted((Path(args.runs) / args.scenario / "oracle").glob("seed-*"))
    if not runs:
        parser.error(f"no oracle run folders under {Path(args.runs) / args.scenario / 'oracle'}")
    scenario = lp.make(args.scenario)
    per_seed = np.asarray([split_errors(run, scenario) for run in runs])  # (seeds, targets, 2)
    table = [
        [
            name,
            mean_std_cell(list(per_seed[:, index, 0])),
            mean_std_cell(list(per_seed[:, index, 1])),
            mean_std_cell(list(per_seed[:, index, 1] - per_seed[:, index, 0])),
        ]
        for index, name in enumerate(scenario.domain_names[1 : per_seed.shape[1] + 1])
    ]
    headers = ["target", "adaptation split (mm)", "test split (mm)", "test - adaptation (mm)"]
    write_results(
        results,
        [
            f"# The oracle on each target of {scenario.spec.id}: the split it trained on and the test split (sim)",
            "",
            f"Made by `python benchmarks/oracle_fit.py --scenario {args.scenario}` from {len(runs)} oracle "
            "runs of `benchmarks/domain_gap.py`; MPJPE right after adapting to each target, mean ± std over seeds.",
            "",
            tabulate(table, headers=headers, tablefmt="github"),
            "",
        ],
    )


if __name__ == "__main__":
    main()
