"""Does the quick profile's source budget converge? 4x the budget must improve the source error by < 10 %.

For every built-in stream (sim, quick) and seeds 0, 1, 2, trains ``source_only`` with the quick
profile's source budget and with four times it, and writes ``benchmarks/results/convergence.md``:
the source's test MPJPE after each, the relative improvement of the longer run, and whether it
stays under 10 % (DESIGN.md section 8: methods are compared at convergence, not at an arbitrary stop).

    python benchmarks/convergence.py [--seeds 0,1,2] [--scenarios cross_scenario,...] [--factor 4]

The budget runs use the source cache, so the other tables (domain gap, strategies) start from
these very sources.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.runner.convergence import check_budget
from lifelong_pose.runner.tables import mean_std_cell
from lifelong_pose.training.params import LifterParams

SCENARIOS = "cross_scenario,cross_dataset,cross_camera,long_stream"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--scenarios", default=SCENARIOS)
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument("--steps", type=int, default=None, help="the budget to check (default: the quick profile's)")
    parser.add_argument("--out", default="runs/convergence", help="run folders (resumed if present)")
    parser.add_argument("--results", default=str(Path(__file__).parent / "results" / "convergence.md"))
    args = parser.parse_args()
    steps = args.steps or LifterParams().steps
    rows = []
    for scenario in args.scenarios.split(","):
        checks = []
        for seed in args.seeds:
            tick = time.perf_counter()
            checks.append(check_budget(scenario, Path(args.out) / scenario, steps=steps, factor=args.factor, seed=seed))
            print(f"{scenario} seed {seed}: {checks[-1]} [{time.perf_counter() - tick:.0f} s]", flush=True)
        rows.append(
            [
                lp.scenario_registry.spec(scenario).id,
                steps,
                mean_std_cell([c.error for c in checks]),
                mean_std_cell([c.longer_error for c in checks]),
                mean_std_cell([100 * c.improvement for c in checks]),
                "yes" if all(c.converged() for c in checks) else "NO",
            ]
        )
    headers = [
        "stream",
        "quick source budget (steps)",
        "source MPJPE (mm)",
        f"at {args.factor}x the budget",
        "improvement (%)",
        "converged (< 10 %, every seed)",
    ]
    seeds = ",".join(map(str, args.seeds))
    write_results(
        args.results,
        [
            "# Convergence of the quick profile's source budget (sim)",
            "",
            f"Made by `python benchmarks/convergence.py --seeds {seeds} --scenarios {args.scenarios}` on a 2-core "
            f"CPU: `source_only` trained for the quick budget and for {args.factor} times it, its MPJPE on the "
            "source's own test split, mean ± std over seeds (world seed 0).",
            "",
            tabulate(rows, headers=headers, tablefmt="github"),
            "",
        ],
    )


if __name__ == "__main__":
    main()
