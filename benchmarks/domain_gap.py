"""Is there a domain gap, and does supervision close it? source_only vs oracle on every built-in stream.

Runs ``source_only`` and ``oracle`` (sim, quick) for seeds 0, 1, 2 through the same runner as
``lifelong-pose run``, then writes ``benchmarks/results/domain_gap.md``: the matrices (mean ± std)
and, per target j of each stream,

- source error: R[0, 0] of source_only (the source's own test split),
- target error before adaptation: R[0, j] of source_only, and its ratio to the source error (the gap),
- oracle target error: R[j, j] of the oracle (right after fine-tuning with the target's 3D),
- gap closed: (R_so[0, j] - R_or[j, j]) / (R_so[0, j] - R_so[0, 0]), in % (a target within 5 % of the
  source's own error has no gap to close and is marked so).

    python benchmarks/domain_gap.py [--seeds 0,1,2] [--scenarios cross_scenario,...] [--out runs/domain_gap]

The oracle's source comes from the source cache when source_only trained it first (same lifter,
options and seed), so each source is trained once.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from strategy_table import add_budget_arguments, budget_options
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.runner.tables import matrix_table, mean_std_cell

SCENARIOS = "cross_scenario,cross_dataset,cross_camera,long_stream"
STRATEGIES = ("source_only", "oracle")
NO_GAP = 1.05  # a target within 5 % of the source's error has no gap to close


def closed_cell(before: np.ndarray, after: np.ndarray, own: np.ndarray) -> str:
    """Share of the gap the oracle closes, in %; a target without a gap has none to close.

    The share divides by ``before - own``: for a target as easy as the source itself (a revisit, a
    subject like the source's) that is noise around 0 and the share would be thousands of percent
    of nothing, so such a target is marked instead.
    """
    if float(np.mean(before / own)) < NO_GAP:
        return f"no gap (< {100 * (NO_GAP - 1):.0f} %)"
    return mean_std_cell((100 * (before - after) / (before - own)).tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--scenarios", default=SCENARIOS)
    parser.add_argument("--out", default="runs/domain_gap", help="run folders (resumed if present)")
    parser.add_argument("--results", default=str(Path(__file__).parent / "results" / "domain_gap.md"))
    add_budget_arguments(parser)
    args = parser.parse_args()
    seeds = ",".join(map(str, args.seeds))
    lines = [
        "# Domain gap: source_only vs oracle (sim, quick profile)",
        "",
        f"Made by `python benchmarks/domain_gap.py --seeds {seeds} --scenarios {args.scenarios}` on a 2-core CPU. "
        "MPJPE in mm, mean ± std over seeds (world seed 0 for all).",
        "",
    ]
    summary = []
    for scenario in args.scenarios.split(","):
        records: dict[str, list[dict]] = {}
        for strategy in STRATEGIES:
            records[strategy] = []
            for seed in args.seeds:
                out = Path(args.out) / scenario / strategy / f"seed-{seed}"
                resume = (out / "result.json").exists()
                tick = time.perf_counter()
                options = budget_options(strategy, args.steps, args.adapt_steps)
                config = RunConfig(
                    scenario, strategy, out, seed=seed, device="cpu", resume=resume, progress=False, options=options
                )
                record = run(config)
                print(f"{scenario} {strategy} seed {seed}: {time.perf_counter() - tick:.1f} s", flush=True)
                records[strategy].append(record)  # run() returns a finished folder's record as it reads it
            first = records[strategy][0]
            table = matrix_table(records[strategy], tablefmt="github")
            lines += [f"## {strategy} on {first['scenario']['id']}", "", table, ""]
        source = np.asarray([r["matrices"]["mpjpe"] for r in records["source_only"]])  # (seeds, T+1, T+1)
        oracle = np.asarray([r["matrices"]["mpjpe"] for r in records["oracle"]])
        names = records["source_only"][0]["domains"]
        for j in range(1, len(names)):
            before, after, own = source[:, 0, j], oracle[:, j, j], source[:, 0, 0]
            summary.append(
                [
                    records["source_only"][0]["scenario"]["id"],
                    f"{j}: {names[j]}",
                    mean_std_cell(own.tolist()),
                    mean_std_cell(before.tolist()),
                    mean_std_cell((before / own).tolist(), digits=2),
                    mean_std_cell(after.tolist()),
                    closed_cell(before, after, own),
                ]
            )
    headers = [
        "stream",
        "target",
        "source_only on source",
        "source_only on target",
        "gap (x source)",
        "oracle on target",
        "gap closed (%)",
    ]
    lines[4:4] = [
        "## Summary: each target",
        "",
        tabulate(summary, headers=headers, tablefmt="github"),
        "",
        f"Streams: {', '.join(lp.scenario_registry.spec(s).id for s in args.scenarios.split(','))}.",
        "",
    ]
    write_results(args.results, [*lines, ""])


if __name__ == "__main__":
    main()
