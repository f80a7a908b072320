"""How much of each adapting method's gain is re-normalisation: the methods beside their BatchNorm controls.

Runs, on each stream (sim, quick profile), through the same runner as ``lifelong-pose run``:
``source_only``; ``adabn`` (BatchNorm statistics re-estimated on each target, nothing trained);
PoseDA and diffusion_replay with ``bn=train`` (as published), ``bn=frozen`` (the statistics the
lifter entered each target with, kept while it adapts) and ``bn=adabn`` (re-estimated first, then
kept); and diffusion_replay's other readings (generation seeded on source poses; EMA carried to the
next domain only, ``ema_update=carry``) with ``bn=train`` and ``bn=adabn``. Writes, per stream:

- the rows' table (target MPJPE right after adapting to each target, final average, BWT,
  forgetting, adaptation gain, time) and each target's error;
- "how much is normalisation": per method, its adaptation gain with each ``bn``, the share of its
  ``bn=train`` gain that the statistics explain, measured two ways (the gain lost when they are
  frozen; and, from the run's own diagnostics, the entering weights with the adapted statistics
  against the adapted lifter), and Welch's test of the method against its control;
- the methods' own diagnostics (generator displacement, critic accuracy, generated-vs-target 2D
  distance at each target's start and end, means over targets).

    python benchmarks/normalisation_table.py [--seeds 0,1,2] [--scenarios cross_dataset,cross_scenario,cross_camera]
        [--rows NAME,...] [--out runs/normalisation] [--results benchmarks/results/normalisation.md]

Finished runs are reused (their folders are resumed), so the script can be stopped and restarted.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from scipy.stats import ttest_ind
from strategy_table import (
    HEADERS,
    Row,
    failures,
    hardware,
    per_target_table,
    run_row,
    summary_row,
    table_arguments,
    table_command,
)
from tabulate import tabulate

from lifelong_pose.runner.tables import mean_std_cell

# row name -> (strategy, strategy options, plugins)
ROWS: dict[str, Row] = {
    "source_only": ("source_only", {}, []),
    "adabn": ("adabn", {}, []),
    "poseda": ("poseda", {}, []),
    "poseda (bn=frozen)": ("poseda", {"bn": "frozen"}, []),
    "poseda (bn=adabn)": ("poseda", {"bn": "adabn"}, []),
    "diffusion_replay": ("diffusion_replay", {}, []),
    "diffusion_replay (bn=frozen)": ("diffusion_replay", {"bn": "frozen"}, []),
    "diffusion_replay (bn=adabn)": ("diffusion_replay", {"bn": "adabn"}, []),
    "diffusion_replay source-seeded": ("diffusion_replay", {"generation_seed": "source"}, []),
    "diffusion_replay source-seeded (bn=adabn)": (
        "diffusion_replay",
        {"generation_seed": "source", "bn": "adabn"},
        [],
    ),
    "diffusion_replay EMA carry": ("diffusion_replay", {"ema_update": "carry"}, []),
    "diffusion_replay EMA carry (bn=adabn)": ("diffusion_replay", {"ema_update": "carry", "bn": "adabn"}, []),
}
METHODS: dict[str, tuple[str, str | None, str]] = {
    # method -> (its bn=train row, its bn=frozen row or None, its bn=adabn row)
    "PoseDA": ("poseda", "poseda (bn=frozen)", "poseda (bn=adabn)"),
    "diffusion_replay": ("diffusion_replay", "diffusion_replay (bn=frozen)", "diffusion_replay (bn=adabn)"),
    "diffusion_replay source-seeded": (
        "diffusion_replay source-seeded",
        None,
        "diffusion_replay source-seeded (bn=adabn)",
    ),
    "diffusion_replay EMA carry": ("diffusion_replay EMA carry", None, "diffusion_replay EMA carry (bn=adabn)"),
}
METHOD_FIGURES = ("generator_displacement_mm", "critic_accuracy", "generated_2d_distance")


def complete(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for record in records if record["status"] == "complete"]


def gains(records: Sequence[dict[str, Any]]) -> list[float]:
    """Per seed, the adaptation gain: mean over targets of R[0, j] - R[j, j] (mm; > 0 helped)."""
    return [record["summary"]["adaptation_gain"] for record in complete(records)]


def target_errors(records: Sequence[dict[str, Any]]) -> list[float]:
    """Per seed, the mean over targets of the error right after adapting to each (R[j, j])."""
    return [float(np.diag(np.asarray(r["matrices"]["mpjpe"]))[1:].mean()) for r in complete(records)]


def swap_share(record: dict[str, Any]) -> float | None:
    """The share of a run's gain on its targets (entering R[j-1, j] to adapted R[j, j], summed over
    targets) that its adapted statistics alone give the entering weights; None without diagnostics."""
    R = np.asarray(record["matrices"]["mpjpe"])
    gained = explained = 0.0
    for j, entry in enumerate(record.get("diagnostics") or []):
        figures = entry["figures"]
        if j == 0 or figures is None or figures["swap"] is None:
            continue
        gained += R[j - 1, j] - R[j, j]
        explained += R[j - 1, j] - figures["swap"]["statistics_only_mm"]
    return explained / gained if gained > 0 else None  # a share of no gain means nothing


MIN_GAIN_MM = 2.0
"""A share of a gain is read only where the gain is clear: at least this many mm on every seed."""


def clear_gain(per_seed: Sequence[float]) -> bool:
    """Whether a gain is clear enough for a share of it to mean anything (every seed >= :data:`MIN_GAIN_MM`)."""
    return bool(per_seed) and min(per_seed) >= MIN_GAIN_MM


def welch(a: Sequence[float], b: Sequence[float]) -> str:
    """Welch's two-sided p-value of two per-seed samples, as text (n/a below two seeds a side)."""
    if len(a) < 2 or len(b) < 2:
        return "n/a"
    p = float(ttest_ind(a, b, equal_var=False).pvalue)
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def share_cell(values: Sequence[float | None]) -> str:
    present = [100 * value for value in values if value is not None and np.isfinite(value)]
    return f"{mean_std_cell(present, 0)} %" if present else "n/a (no clear gain)"


def normalisation_lines(records: dict[str, list[dict[str, Any]]], names: Sequence[str]) -> list[str]:
    """The "how much is normalisation" table of one stream, for the methods whose rows were run."""
    table = []
    for method, (train, frozen, adabn) in METHODS.items():
        if train not in names or train not in records:
            continue
        trained = complete(records[train])
        frozen_runs = complete(records.get(frozen, [])) if frozen else []
        adabn_runs = complete(records.get(adabn, []))
        by_seed = {r["seed"]: r for r in frozen_runs}
        gained = clear_gain(gains(trained))
        frozen_share = [
            1 - by_seed[r["seed"]]["summary"]["adaptation_gain"] / r["summary"]["adaptation_gain"]
            for r in trained
            if r["seed"] in by_seed and gained
        ]
        table.append(
            [
                method,
                mean_std_cell(gains(trained)),
                mean_std_cell(gains(frozen_runs)) if frozen_runs else "not run",
                mean_std_cell(gains(adabn_runs)) if adabn_runs else "not run",
                mean_std_cell(gains(records.get("adabn", []))) if records.get("adabn") else "not run",
                share_cell(frozen_share) if frozen_runs else "not run",
                share_cell([swap_share(r) for r in trained] if gained else []),
                welch(target_errors(records.get("adabn", [])), target_errors(trained)),
                welch(target_errors(records.get("adabn", [])), target_errors(adabn_runs)),
            ]
        )
    if not table:
        return []
    headers = [
        "method",
        "gain bn=train",
        "gain bn=frozen",
        "gain bn=adabn",
        "adabn's gain",
        "statistics' share (frozen control)",
        "statistics' share (swap)",
        "p: bn=train vs adabn",
        "p: bn=adabn vs adabn",
    ]
    return [
        "How much is normalisation (adaptation gain: mean over targets of R[0, j] - R[j, j], mm; a share is given "
        f"where the bn=train gain is at least {MIN_GAIN_MM:g} mm on every seed; Welch p-values on the per-seed "
        "target MPJPE):",
        "",
        tabulate(table, headers=headers, tablefmt="github"),
        "",
    ]


def method_figure_lines(records: dict[str, list[dict[str, Any]]], names: Sequence[str]) -> list[str]:
    """The methods' own diagnostics, mean over targets, mean ± std over seeds."""
    table = []
    for name in names:
        runs = complete(records.get(name, []))
        for figure in METHOD_FIGURES:
            cells = []
            for stage in ("start", "end"):
                per_seed = []
                for record in runs:
                    values = [
                        entry["figures"]["method"].get(stage, {}).get(figure)
                        for entry in record.get("diagnostics") or []
                        if entry["figures"] is not None
                    ]
                    values = [value for value in values if value is not None]
                    if values:
                        per_seed.append(float(np.mean(values)))
                cells.append(mean_std_cell(per_seed, 3) if per_seed else "")
            if any(cells):
                table.append([name, figure, *cells])
    if not table:
        return []
    headers = ["row", "figure (mean over targets)", "at each target's start", "at its end"]
    return [
        "The methods' networks on a probe of each target (generator displacement in mm between augmented and "
        "input 3D; critic accuracy: P(real scored above generated), 0.5 is chance; sliced Wasserstein distance "
        "between normalised generated and target 2D):",
        "",
        tabulate(table, headers=headers, tablefmt="github"),
        "",
    ]


def main() -> None:
    args, names = table_arguments(
        __doc__.splitlines()[0],
        ROWS,
        scenarios="cross_dataset,cross_scenario,cross_camera",
        out="runs/normalisation",
        results=str(Path(__file__).parent / "results" / "normalisation.md"),
    )
    command = table_command("normalisation_table.py", args, ROWS, names)
    lines = [
        "# How much is normalisation: the adapting methods beside their BatchNorm controls (sim, quick profile)",
        "",
        f"Made by `{command}` on {hardware(args.device)}. MPJPE in mm, mean ± std over seeds (world seed 0); "
        "streams at their current versions (`-v2`). Target MPJPE: mean over targets of the error right after "
        "adapting to each (source_only: before).",
        "",
    ]
    budgets = (args.steps, args.adapt_steps, args.device)
    for scenario in args.scenarios.split(","):
        records = {name: run_row(scenario, name, ROWS[name], args.seeds, Path(args.out), *budgets) for name in names}
        table = [summary_row(name, records[name]) for name in names]
        lines += [f"## {scenario}", "", tabulate(table, headers=HEADERS, tablefmt="github"), "", *failures(records)]
        lines += per_target_table(records)
        lines += normalisation_lines(records, names)
        lines += method_figure_lines(records, names)
    write_results(args.results, [*lines, ""])


if __name__ == "__main__":
    main()
