"""DAK-Pose and its ablations against source_only with the same lifter, 3 seeds, two streams.

Runs, on ``cross_dataset`` and ``cross_scenario`` (sim, quick profile), through the same runner as
``lifelong-pose run``: ``source_only`` with DAK-Pose's lifter and budget (the ``dakpose`` lifter,
9 frames, 8000 steps of 64 at 1e-2 after 200 warm-up steps), ``dakpose``, and the paper's
ablations (section 4.5.1): without SMA, without DMA, without adversarial fusion (the synthetic
pairs trained on directly), without disentanglement, and with neither augmentor. DAK-Pose never
adapts (domain generalisation), so every row's error on a target is the error it has on a target it never saw. Writes
``benchmarks/results/dakpose.md``: per row, mean ± std over seeds of the target MPJPE (mean over
targets of R[0, j]), the final average MPJPE and the run time.

    python benchmarks/dakpose_table.py [--seeds 0,1,2] [--scenarios cross_dataset,cross_scenario]
        [--out runs/dakpose_table] [--steps N]

Finished runs are reused (their folders are resumed), so the script can be stopped and restarted.
"""

from __future__ import annotations

from pathlib import Path

from strategy_table import Row, table_arguments, write_tables  # benchmarks/ is on sys.path when a script runs

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
}


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
    )


if __name__ == "__main__":
    main()
