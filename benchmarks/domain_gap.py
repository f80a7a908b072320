"""Is there a domain gap, and does supervision close it? source_only vs oracle, 3 seeds.

Runs ``source_only`` and ``oracle`` on ``cross_dataset`` and ``cross_scenario`` (sim, quick) for
seeds 0, 1, 2 through the same runner as ``lifelong-pose run``, then writes
``benchmarks/results/domain_gap.md``: both matrices (mean ± std) and, per scenario,

- source error: R[0, 0] of source_only (its own source test split),
- target error before adaptation: mean_{j>0} R[0, j] of source_only (the domain gap),
- oracle target error: mean_{j>0} R[j, j] of the oracle (right after fine-tuning with 3D),
- gap closed: (source_only target - oracle target) / (source_only target - source), in %.

    python benchmarks/domain_gap.py [--seeds 0,1,2] [--out runs/domain_gap] [--epochs N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.runner.tables import matrix_table, mean_std_cell

SCENARIOS = ("cross_dataset", "cross_scenario")
STRATEGIES = ("source_only", "oracle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--out", default="runs/domain_gap", help="run folders (resumed if present)")
    parser.add_argument("--results", default=str(Path(__file__).parent / "results" / "domain_gap.md"))
    parser.add_argument("--epochs", type=int, default=None, help="override every epoch count (CI smoke runs)")
    args = parser.parse_args()

    lines = [
        "# Domain gap: source_only vs oracle (sim, quick profile)",
        "",
        f"Made by `python benchmarks/domain_gap.py --seeds {','.join(map(str, args.seeds))}` on a 2-core CPU. "
        "MPJPE in mm, mean ± std over seeds (world seed 0 for all).",
        "",
    ]
    gap_rows = []
    for scenario in SCENARIOS:
        records: dict[str, list[dict]] = {}
        for strategy in STRATEGIES:
            records[strategy] = []
            for seed in args.seeds:
                out = Path(args.out) / scenario / strategy / f"seed-{seed}"
                resume = (out / "result.json").exists()
                tick = time.perf_counter()
                options = {} if args.epochs is None else {"epochs": args.epochs}
                if args.epochs is not None and strategy == "oracle":
                    options["adapt_epochs"] = args.epochs
                config = RunConfig(
                    scenario, strategy, out, seed=seed, device="cpu", resume=resume, progress=False, options=options
                )
                record = run(config)
                print(f"{scenario} {strategy} seed {seed}: {time.perf_counter() - tick:.1f} s", flush=True)
                records[strategy].append(load_record(out) if resume else record)
            lines += [f"## {strategy} on {scenario}", "", matrix_table(records[strategy], tablefmt="github"), ""]
        source = [np.asarray(r["matrices"]["mpjpe"]) for r in records["source_only"]]
        oracle = [np.asarray(r["matrices"]["mpjpe"]) for r in records["oracle"]]
        source_error = [float(R[0, 0]) for R in source]
        target_error = [float(R[0, 1:].mean()) for R in source]
        oracle_error = [float(np.diag(R)[1:].mean()) for R in oracle]
        closed = [100 * (t - o) / (t - s) for s, t, o in zip(source_error, target_error, oracle_error, strict=True)]
        forgetting = [r["summary"]["forgetting"] for r in records["oracle"]]
        time_s = [r["timing"]["total_s"] for r in records["source_only"]]
        gap_rows.append(
            [
                scenario,
                mean_std_cell(source_error),
                mean_std_cell(target_error),
                mean_std_cell(oracle_error),
                mean_std_cell(closed),
                mean_std_cell(forgetting),
                mean_std_cell(time_s),
            ]
        )
    headers = [
        "scenario",
        "source_only on source (mm)",
        "source_only on targets (mm)",
        "oracle on targets (mm)",
        "gap closed (%)",
        "oracle forgetting (mm)",
        "source_only run (s)",
    ]
    lines[4:4] = ["## Summary", "", tabulate(gap_rows, headers=headers, tablefmt="github"), ""]
    write_results(args.results, [*lines, ""])


if __name__ == "__main__":
    main()
