"""PoseDA and the forgetting-mitigation plugins against source_only, 3 seeds, two streams.

Runs, on ``cross_dataset`` and ``cross_scenario`` (sim, quick profile), through the same runner as
``lifelong-pose run``: ``source_only``; ``poseda`` with GPA only, LPA only and both, with every pair aligned (the
earlier reading) and with the GAN trained in the warm-up only; ``poseda``
with each plugin. Writes ``benchmarks/results/poseda.md``: per row, mean ± std over seeds of

- target MPJPE: mean over targets j of R[j, j] (error on a target right after adapting to it;
  for source_only, R[0, j]: the domain gap);
- final average MPJPE, BWT, forgetting and adaptation gain;
- the run time.

    python benchmarks/poseda_table.py [--seeds 0,1,2] [--scenarios cross_dataset,cross_scenario]
        [--out runs/poseda_table] [--epochs N]

Finished runs are reused (their folders are resumed), so the script can be stopped and restarted.
"""

from __future__ import annotations

from pathlib import Path

from strategy_table import Row, table_arguments, write_tables  # benchmarks/ is on sys.path when a script runs

# row name -> (strategy, strategy options, plugins)
ROWS: dict[str, Row] = {
    "source_only": ("source_only", {}, []),
    "poseda GPA only": ("poseda", {"lpa": False, "source_pairs": "aligned"}, []),  # the official release
    "poseda LPA only": ("poseda", {"gpa": False}, []),
    "poseda GPA + LPA": ("poseda", {}, []),
    "poseda (every pair aligned)": ("poseda", {"source_pairs": "aligned"}, []),
    "poseda (GAN in warm-up only)": ("poseda", {"gan_epochs": "warmup"}, []),
    "poseda + ema": ("poseda", {}, ["ema"]),
    "poseda + replay": ("poseda", {}, ["replay"]),
    "poseda + ewc": ("poseda", {}, ["ewc"]),
    "poseda + distill": ("poseda", {}, ["distill"]),
}


def main() -> None:
    args, rows = table_arguments(
        __doc__.splitlines()[0],
        ROWS,
        scenarios="cross_dataset,cross_scenario",
        out="runs/poseda_table",
        results=str(Path(__file__).parent / "results" / "poseda.md"),
    )
    write_tables(
        "poseda_table.py",
        args,
        ROWS,
        rows,
        "PoseDA and plugins vs source_only (sim, quick profile)",
        "Target MPJPE: mean over targets of the error right after adapting to each (source_only: before).",
        Path(args.results),
    )


if __name__ == "__main__":
    main()
