"""diffusion_replay and its ablations against source_only, PoseDA and naive sequential adaptation.

Runs on the given streams (sim, quick profile), through the same runner as ``lifelong-pose run``:
``source_only``, ``poseda``, naive sequential adaptation (the same GAN adaptation with no prior
and no EMA), ``diffusion_replay`` and its ablations: the live lifter as its own teacher (the
self-training loop), an EMA teacher, no prior, a noise prior, unfiltered priors, partial and full
sampling, no EMA, EMA per domain, and generation seeded on source poses. Writes a table per stream: target MPJPE (error
right after adapting to each target), final average MPJPE, BWT, forgetting, adaptation gain and
run time, mean ± std over seeds.

    python benchmarks/diffusion_replay_table.py [--seeds 0,1,2] [--scenarios cross_dataset]
        [--rows NAME,...] [--out runs/diffusion_replay_table] [--results FILE] [--epochs N]

Finished runs are reused (their folders are resumed), so the script can be stopped and restarted.
"""

from __future__ import annotations

from pathlib import Path

from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from strategy_table import Row, hardware, stream_table, table_arguments, table_command

# row name -> (strategy, strategy options, plugins)
ROWS: dict[str, Row] = {
    "source_only": ("source_only", {}, []),
    "poseda": ("poseda", {}, []),
    "naive sequential (no prior or EMA)": ("diffusion_replay", {"prior": "none", "ema": False}, []),
    # the same, let run past the size guard: what the guard stopped, measured to the end
    "naive sequential (no size guard)": (
        "diffusion_replay",
        {"prior": "none", "ema": False, "max_size_drift": 100.0},
        [],
    ),
    "diffusion_replay": ("diffusion_replay", {}, []),
    "L_3D weight 1 (not 10)": ("diffusion_replay", {"weight_3d": 1.0}, []),
    "live teacher (self-training)": ("diffusion_replay", {"teacher": "live"}, []),
    "ema teacher": ("diffusion_replay", {"teacher": "ema"}, []),
    "no prior": ("diffusion_replay", {"prior": "none"}, []),
    "noise prior": ("diffusion_replay", {"prior": "noise"}, []),
    "no prior filter": ("diffusion_replay", {"prior_filter": False}, []),
    "partial sampling (40 steps)": ("diffusion_replay", {"sampler": "partial"}, []),
    "full sampling (400 steps)": ("diffusion_replay", {"sampler_steps": 400}, []),
    "no EMA": ("diffusion_replay", {"ema": False}, []),
    "EMA per domain": ("diffusion_replay", {"ema_update": "domain"}, []),
    "source-seeded generation": ("diffusion_replay", {"generation_seed": "source"}, []),
}


def main() -> None:
    args, rows = table_arguments(
        __doc__.splitlines()[0],
        ROWS,
        scenarios="cross_dataset",
        out="runs/diffusion_replay_table",
        results=None,  # results/diffusion_replay_<scenarios>.md
    )
    scenarios = args.scenarios.split(",")
    results = args.results or Path(__file__).parent / "results" / f"diffusion_replay_{'_'.join(scenarios)}.md"

    command = table_command("diffusion_replay_table.py", args, ROWS, rows)
    lines = [
        "# diffusion_replay, its ablations and the baselines (sim, quick profile)",
        "",
        f"Made by `{command}` on {hardware(args.device)}. MPJPE in mm, mean ± std over seeds (world seed 0). "
        "Target MPJPE: mean over targets of the error right after adapting to each (source_only: before).",
        "",
    ]
    for scenario in scenarios:
        lines += stream_table(scenario, ROWS, rows, args.seeds, Path(args.out), args, per_target=True)
    write_results(results, [*lines, ""])


if __name__ == "__main__":
    main()
