"""Does the quick profile's budget converge? 4x the budget must improve the error by < 10 %.

For every built-in stream (sim, quick) and seeds 0, 1, 2, trains ``source_only`` with the quick
profile's source budget and with four times it, and writes ``benchmarks/results/convergence.md``:
the source's test MPJPE after each, the relative improvement of the longer run, and whether it
stays under 10 % (methods are compared at convergence, not at an arbitrary stop).

With ``--strategy oracle`` (or any adapting strategy) it checks the *target* budget instead
(``adapt_steps``): each target's MPJPE right after adapting to it, at the quick budget and at four
times it, one row per target, in ``benchmarks/results/convergence_STRATEGY.md``.

    python benchmarks/convergence.py [--seeds 0,1,2] [--scenarios cross_scenario,...] [--factor 4]
    python benchmarks/convergence.py --strategy oracle --scenarios cross_dataset [--out runs/convergence]
    python benchmarks/convergence.py --lifter dakpose --scenarios cross_dataset,cross_scenario

With ``--lifter dakpose`` the source budget checked is DAK-Pose's lifter at DAK-Pose's budget
(``source_only`` with the options of ``benchmarks/dakpose_table.py``'s same-lifter row), written
to ``benchmarks/results/convergence_dakpose_lifter.md``.

The budget runs use the source cache, so the other tables (domain gap, strategies) start from
these very sources.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dakpose_table import SAME_LIFTER  # benchmarks/ is on sys.path when a script runs
from results_file import write_results
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.registry import load_entry_point
from lifelong_pose.runner.convergence import BudgetCheck, check_budget, check_target_budget
from lifelong_pose.runner.tables import mean_std_cell
from lifelong_pose.training.params import LifterParams

SCENARIOS = "cross_scenario,cross_dataset,cross_camera,long_stream"


def unseen_cells(checks: list[BudgetCheck | None]) -> list[str]:
    """The unseen targets' error at the budget, at the longer one, and the improvement; n/a for a
    stream without targets."""
    if any(check is None for check in checks):
        return ["n/a (no target)"] * 3
    present = [check for check in checks if check is not None]
    return [
        mean_std_cell([c.error for c in present]),
        mean_std_cell([c.longer_error for c in present]),
        mean_std_cell([100 * c.improvement for c in present]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--scenarios", default=SCENARIOS)
    parser.add_argument("--factor", type=int, default=4)
    parser.add_argument(
        "--strategy", default="source_only", help="source_only: the source budget; else its target budget"
    )
    parser.add_argument("--steps", type=int, default=None, help="the budget to check (default: the quick profile's)")
    parser.add_argument("--source-steps", type=int, default=None, help="with --strategy: the source budget (CI smoke)")
    parser.add_argument(
        "--lifter",
        choices=("simple_baseline", "dakpose"),
        default="simple_baseline",
        help="the source budget of the quick MLP, or of DAK-Pose's lifter at DAK-Pose's budget",
    )
    parser.add_argument("--out", default="runs/convergence", help="run folders (resumed if present)")
    parser.add_argument("--results", default=None, help="default: benchmarks/results/convergence[_STRATEGY].md")
    args = parser.parse_args()
    source = args.strategy == "source_only"
    dakpose = args.lifter == "dakpose"
    if dakpose and not source:
        parser.error("--lifter dakpose checks a source budget: leave --strategy at source_only")
    name = "convergence_dakpose_lifter.md" if dakpose else "convergence.md"
    results = args.results or str(
        Path(__file__).parent / "results" / (name if source else f"convergence_{args.strategy}.md")
    )
    lifter_options = {key: value for key, value in SAME_LIFTER.items() if key != "steps"} if dakpose else None
    out = Path(args.out) / "dakpose_lifter" if dakpose else Path(args.out)
    if dakpose:
        steps = args.steps or SAME_LIFTER["steps"]
        if lifter_options["lr_warmup_steps"] >= steps:  # a smoke budget: no warm-up, as in the tables
            lifter_options["lr_warmup_steps"] = 0
    elif source:
        steps = args.steps or LifterParams().steps
    else:
        spec = lp.strategy_registry.spec(args.strategy)
        params = load_entry_point(spec.entry_point).default_params("quick", **spec.kwargs)
        if not hasattr(params, "adapt_steps"):
            parser.error(f"strategy {args.strategy!r} does not adapt to targets (no adapt_steps): nothing to check")
        steps = args.steps or params.adapt_steps
    rows = []
    for scenario in args.scenarios.split(","):
        checks: list[list[BudgetCheck]] = []  # per seed: one check (source) or one per target
        unseen: list[BudgetCheck | None] = []  # per seed, source budgets only: the targets it never saw
        for seed in args.seeds:
            tick = time.perf_counter()
            if source:
                source_check, unseen_check = check_budget(
                    scenario, out / scenario, steps=steps, factor=args.factor, seed=seed, options=lifter_options
                )
                found = [source_check]
                unseen.append(unseen_check)
            else:
                folder = Path(args.out) / scenario / args.strategy
                found = check_target_budget(
                    scenario,
                    folder,
                    strategy=args.strategy,
                    adapt_steps=steps,
                    factor=args.factor,
                    seed=seed,
                    options=None if args.source_steps is None else {"steps": args.source_steps},
                )
            checks.append(found)
            print(f"{scenario} seed {seed}: {found} [{time.perf_counter() - tick:.0f} s]", flush=True)
        scenario_id = lp.scenario_registry.spec(scenario).id
        names = [] if source else lp.make(scenario).domain_names
        for index in range(len(checks[0])):
            column = [seed_checks[index] for seed_checks in checks]
            rows.append(
                [
                    scenario_id if source else f"{scenario_id}: {names[index + 1]}",
                    steps,
                    mean_std_cell([c.error for c in column]),
                    mean_std_cell([c.longer_error for c in column]),
                    mean_std_cell([100 * c.improvement for c in column]),
                    "yes" if all(c.converged() for c in column) else "NO",
                ]
                + (unseen_cells(unseen) if source else [])
            )
    what = "source" if source else f"{args.strategy} target"
    headers = [
        "stream" if source else "stream: target",
        f"quick {what} budget (steps)",
        "source MPJPE (mm)" if source else "target MPJPE after adapting (mm)",
        f"at {args.factor}x the budget",
        "improvement (%)",
        "converged (< 10 %, every seed)",
    ] + (["unseen targets, R[0, j] (mm)", f"at {args.factor}x", "improvement (%)"] if source else [])
    seeds = ",".join(map(str, args.seeds))
    command = f"python benchmarks/convergence.py --seeds {seeds} --scenarios {args.scenarios}"
    command += "" if source else f" --strategy {args.strategy}"
    command += " --lifter dakpose" if dakpose else ""
    command += "" if args.steps is None else f" --steps {args.steps}"
    command += "" if args.source_steps is None else f" --source-steps {args.source_steps}"
    if dakpose:
        options = ", ".join(f"{key}={value}" for key, value in lifter_options.items())
        measured = (
            f"`source_only` with DAK-Pose's lifter ({options}) trained for DAK-Pose's quick budget and for "
            f"{args.factor} times it, its MPJPE on the source's own test split and, read from the same runs, on the "
            "targets it never saw (mean over targets of R[0, j])"
        )
    elif source:
        measured = (
            f"`source_only` trained for the quick budget and for {args.factor} times it, its MPJPE on the source's "
            "own test split and, read from the same runs, on the targets it never saw (mean over targets of R[0, j])"
        )
    else:
        measured = (
            f"`{args.strategy}` adapted to each target for the quick budget and for {args.factor} times it (the "
            "same source), its MPJPE on that target's test split right after adapting to it"
        )
    write_results(
        results,
        [
            f"# Convergence of the quick profile's {what} budget{' (DAK-Pose lifter)' if dakpose else ''} (sim)",
            "",
            f"Made by `{command}` on a 2-core CPU: {measured}, mean ± std over seeds (world seed 0).",
            "",
            tabulate(rows, headers=headers, tablefmt="github"),
            "",
        ],
    )


if __name__ == "__main__":
    main()
