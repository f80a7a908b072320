"""PoseDA and the forgetting-mitigation plugins against source_only, 3 seeds, two streams.

Runs, on ``cross_dataset`` and ``cross_scenario`` (sim, quick profile), through the same runner as
``lifelong-pose run``: ``source_only``; ``poseda`` with GPA only, LPA only and both; ``poseda``
with each plugin. Writes ``benchmarks/results/poseda.md``: per row, mean ± std over seeds of

- target MPJPE: mean over targets j of R[j, j] (error on a target right after adapting to it;
  for source_only, R[0, j]: the domain gap);
- final average MPJPE, BWT, forgetting and adaptation gain (DESIGN.md section 1);
- the run time.

    python benchmarks/poseda_table.py [--seeds 0,1,2] [--scenarios cross_dataset,cross_scenario]
        [--out runs/poseda_table] [--epochs N]

Finished runs are reused (their folders are resumed), so the script can be stopped and restarted.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.runner.tables import mean_std_cell

# row name -> (strategy, strategy options, plugins)
ROWS: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    "source_only": ("source_only", {}, []),
    "poseda GPA only": ("poseda", {"lpa": False}, []),
    "poseda LPA only": ("poseda", {"gpa": False}, []),
    "poseda GPA + LPA": ("poseda", {}, []),
    "poseda + ema": ("poseda", {}, ["ema"]),
    "poseda + replay": ("poseda", {}, ["replay"]),
    "poseda + ewc": ("poseda", {}, ["ewc"]),
    "poseda + distill": ("poseda", {}, ["distill"]),
}
FIGURES = ("final_avg_mpjpe", "bwt", "forgetting", "adaptation_gain")


def target_error(record: dict[str, Any]) -> float:
    """Mean over targets of the error right after adapting to each (R[0, j] for a strategy that never adapts)."""
    R = np.asarray(record["matrices"]["mpjpe"])
    if record["strategy"]["id"].startswith("source_only"):
        return float(R[0, 1:].mean())
    return float(np.diag(R)[1:].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--scenarios", default="cross_dataset,cross_scenario")
    parser.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names to run")
    parser.add_argument("--out", default="runs/poseda_table", help="run folders (resumed if present)")
    parser.add_argument("--results", default=str(Path(__file__).parent / "results" / "poseda.md"))
    parser.add_argument("--epochs", type=int, default=None, help="override every epoch count (CI smoke runs)")
    args = parser.parse_args()
    rows = [name.strip() for name in args.rows.split(",")]

    command = f"python benchmarks/poseda_table.py --seeds {','.join(map(str, args.seeds))}"
    lines = [
        "# PoseDA and plugins vs source_only (sim, quick profile)",
        "",
        f"Made by `{command}` on a 2-core CPU. MPJPE in mm, mean ± std over seeds (world seed 0). "
        "Target MPJPE: mean over targets of the error right after adapting to each (source_only: before).",
        "",
    ]
    for scenario in args.scenarios.split(","):
        table = []
        for name in rows:
            strategy, options, plugins = ROWS[name]
            records = []
            for seed in args.seeds:
                out = Path(args.out) / scenario / name.replace(" ", "_").replace("+", "plus") / f"seed-{seed}"
                resume = (out / "result.json").exists()
                run_options = dict(options)
                if args.epochs is not None:
                    run_options |= {"epochs": args.epochs} | (
                        {"adapt_epochs": args.epochs} if strategy != "source_only" else {}
                    )
                tick = time.perf_counter()
                config = RunConfig(
                    scenario,
                    strategy,
                    out,
                    seed=seed,
                    device="cpu",
                    resume=resume,
                    progress=False,
                    report=False,
                    options=run_options,
                    plugin_ids=plugins,
                )
                record = run(config)
                print(f"{scenario} | {name} | seed {seed}: {time.perf_counter() - tick:.1f} s", flush=True)
                records.append(load_record(out) if resume else record)
            table.append(
                [name, mean_std_cell([target_error(r) for r in records])]
                + [mean_std_cell([r["summary"][figure] for r in records]) for figure in FIGURES]
                + [mean_std_cell([r["timing"]["total_s"] for r in records])]
            )
        headers = ["", "target MPJPE", "final avg MPJPE", "BWT", "forgetting", "adaptation gain", "run (s)"]
        lines += [f"## {scenario}", "", tabulate(table, headers=headers, tablefmt="github"), ""]
    write_results(args.results, [*lines, ""])


if __name__ == "__main__":
    main()
