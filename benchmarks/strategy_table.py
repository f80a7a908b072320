"""Shared by the strategy tables: run named rows over seeds on one stream and summarise them.

Each row is ``(strategy, strategy options, plugins)``, run through the same runner as
``lifelong-pose run``; finished runs are reused (their folders are resumed), so a table script can
be stopped and restarted. A row's cells are mean ± std over seeds (sample std).
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.runner.tables import mean_std_cell

Row = tuple[str, dict[str, Any], list[str]]  # strategy, strategy options, plugins
Extra = Callable[[dict[str, list[dict[str, Any]]]], list[str]]  # a stream's records per row -> Markdown lines
FIGURES = ("final_avg_mpjpe", "bwt", "forgetting", "adaptation_gain")
HEADERS = ["", "target MPJPE", "final avg MPJPE", "BWT", "forgetting", "adaptation gain", "adapting (s)"]


def table_arguments(
    description: str, rows: dict[str, Row], *, scenarios: str, out: str, results: str | None
) -> tuple[argparse.Namespace, list[str]]:
    """The command line every table script shares, and the row names it asks for.

    Exits with a usage error for a row name not in ``rows``.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--scenarios", default=scenarios)
    parser.add_argument("--rows", default=",".join(rows), help="comma-separated row names to run")
    parser.add_argument("--out", default=out, help="run folders (resumed if present)")
    parser.add_argument("--results", default=results, help="the markdown file to write")
    parser.set_defaults(results_default=results)  # a table written elsewhere names its file in its command
    parser.add_argument("--device", default="cpu", help="torch device of every run (a GPU: 'cuda')")
    add_budget_arguments(parser)
    args = parser.parse_args()
    names = [name.strip() for name in args.rows.split(",")]
    unknown = sorted(set(names) - set(rows))
    if unknown:
        parser.error(f"unknown rows {unknown}; known: {list(rows)}")
    return args, names


def table_command(script: str, args: argparse.Namespace, rows: dict[str, Row], names: Sequence[str]) -> str:
    """The command line that reproduces a results file: seeds, scenarios, budgets and device where they are
    not the defaults, for a subset the rows, and the file where it is not the script's own."""
    command = f"python benchmarks/{script} --seeds {','.join(map(str, args.seeds))} --scenarios {args.scenarios}"
    if list(names) != list(rows):
        command += f' --rows "{",".join(names)}"'
    results = getattr(args, "results", None)
    if results is not None and results != getattr(args, "results_default", results):
        command += f" --results {results}"
    return command + budget_flags(args)


def budget_flags(args: argparse.Namespace) -> str:
    """The budget and device flags of a command line, where they are not the defaults (else empty)."""
    flags = "".join(
        f" {flag} {value}"
        for flag, value in (("--steps", args.steps), ("--adapt-steps", args.adapt_steps))
        if value is not None
    )
    return flags + (f" --device {args.device}" if args.device != "cpu" else "")


def run_reader_arguments(description: str, *, runs: str, scenario: str, stem: str) -> argparse.Namespace:
    """The command line of a script that reads a table's run folders on one stream: ``--runs`` (the
    table's ``--out``), ``--scenario``, the budgets the table ran with (they name its folders) and
    ``--results``, by default ``benchmarks/results/STEM_SCENARIO.md`` (filled in on the result)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", default=runs, help="the table's run folders")
    parser.add_argument("--scenario", default=scenario)
    parser.add_argument("--results", default=None, help=f"default: benchmarks/results/{stem}_SCENARIO.md")
    add_budget_arguments(parser)
    args = parser.parse_args()
    args.results = args.results or str(Path(__file__).parent / "results" / f"{stem}_{args.scenario}.md")
    return args


def add_budget_arguments(parser: argparse.ArgumentParser) -> None:
    """``--steps`` / ``--adapt-steps``: shrink every budget (CI smoke runs); the tables use the defaults."""
    parser.add_argument("--steps", type=int, default=None, help="source budget of every row (CI smoke runs)")
    parser.add_argument("--adapt-steps", type=int, default=None, help="target budget of every adapting row")


def budget_options(strategy: str, steps: int | None, adapt_steps: int | None) -> dict[str, int]:
    """The budget overrides a smoke run gives ``strategy`` (one that never adapts has no target budget)."""
    options = {} if steps is None else {"steps": steps}
    if adapt_steps is not None and "adapt_steps" in _option_names(strategy):
        options["adapt_steps"] = adapt_steps
    return options


def _option_names(strategy: str) -> set[str]:
    from dataclasses import fields

    from lifelong_pose.registry import load_entry_point, strategy_registry

    return {f.name for f in fields(load_entry_point(strategy_registry.spec(strategy).entry_point).Params)}


def hardware(device: str) -> str:
    """What a results file was made on, in words: the CPU's core count, or the GPU's name."""
    if device.startswith("cuda"):
        import torch

        return f"one {torch.cuda.get_device_name(torch.device(device))}"
    return f"a {os.cpu_count()}-core CPU"


def adapting_seconds(record: dict[str, Any]) -> float:
    """Seconds spent training on the targets: comparable whether or not the source came from the cache."""
    return float(sum(domain["train_s"] for domain in record["timing"]["domains"][1:]))


def target_error(record: dict[str, Any]) -> float:
    """Mean over targets of the error right after adapting to each (R[0, j] for a strategy that never adapts)."""
    R = np.asarray(record["matrices"]["mpjpe"])
    if record["strategy"]["id"].startswith("source_only"):
        return float(R[0, 1:].mean())
    return float(np.diag(R)[1:].mean())


def row_folder(out: Path, scenario: str, name: str, steps: int | None = None, adapt_steps: int | None = None) -> Path:
    """Where a row's seed folders go; a changed budget gets its own folder (a run of another budget
    cannot be resumed, and must not be mistaken for this one)."""
    return out / scenario / (name.replace(" ", "_").replace("+", "plus") + budget_suffix(steps, adapt_steps))


def budget_suffix(steps: int | None, adapt_steps: int | None) -> str:
    """``__steps20__adapt5`` for changed budgets, empty for the defaults."""
    suffix = f"__steps{steps}" if steps is not None else ""
    return suffix + (f"__adapt{adapt_steps}" if adapt_steps is not None else "")


def run_row(
    scenario: str,
    name: str,
    row: Row,
    seeds: Sequence[int],
    out: Path,
    steps: int | None = None,
    adapt_steps: int | None = None,
    device: str = "cpu",
    stop_at_failure: bool = False,
) -> list[dict[str, Any]]:
    """The records of ``row`` for every seed (resumed where a run folder exists).

    A seed whose run fails (the record says ``failed`` and why) is kept as it is and not re-run:
    the same seed fails the same way, and the table reports it rather than dying with it. With
    ``stop_at_failure`` the seeds after the first failed one are not run (their records are left
    out): a row with a failed seed is never filed on the board, so triage need not pay for them.
    """
    strategy, options, plugins = row
    records = []
    for seed in seeds:
        folder = row_folder(out, scenario, name, steps, adapt_steps) / f"seed-{seed}"
        resume = (folder / "result.json").exists()
        existing = load_record(folder) if resume else None
        if existing is not None and existing["status"] == "failed":
            records.append(existing)
            if stop_at_failure:
                break
            continue
        run_options = dict(options) | budget_options(strategy, steps, adapt_steps)
        if steps is not None and run_options.get("lr_warmup_steps", 0) >= steps:  # a smoke budget: no warm-up
            run_options["lr_warmup_steps"] = 0
        if (
            existing is not None
            and existing["status"] == "complete"
            and _is_row(existing, strategy, run_options, plugins)
        ):
            records.append(existing)  # finished: read, not rebuilt (building the stream costs seconds a run)
            continue
        tick = time.perf_counter()
        config = RunConfig(
            scenario,
            strategy,
            folder,
            seed=seed,
            device=device,
            resume=resume,
            progress=False,
            report=False,
            options=run_options,
            plugin_ids=plugins,
        )
        try:
            record = run(config)
        except Exception as error:
            failed = load_record(folder) if (folder / "result.json").exists() else None
            if failed is None or failed["status"] != "failed":
                raise  # bad options, before anything ran: not a result
            print(f"{scenario} | {name} | seed {seed}: failed ({type(error).__name__}: {error})", flush=True)
            records.append(failed)
            if stop_at_failure:
                break
            continue
        print(f"{scenario} | {name} | seed {seed}: {time.perf_counter() - tick:.1f} s", flush=True)
        records.append(record)  # run() returns a finished folder's record as it reads it
    return records


def _is_row(record: dict[str, Any], strategy: str, options: dict[str, Any], plugins: Sequence[str]) -> bool:
    """Whether a finished record is this row's run: its strategy, every option the row sets, its plugins.
    Anything else goes through the runner, which refuses to resume a different run and says why."""
    from lifelong_pose.registry import parse_id

    params = record["strategy"]["params"]
    return (
        parse_id(record["strategy"]["id"]).base == parse_id(strategy).base
        and all(params.get(key) == value for key, value in options.items())
        and [parse_id(plugin["id"]).base for plugin in record["plugins"] if plugin.get("id")]  # a strategy's own
        == [parse_id(p).base for p in plugins]  # plugins (diffusion_replay's EMA) carry no id: not the row's
    )


def summary_row(name: str, records: list[dict[str, Any]]) -> list[str]:
    """Mean ± std over the seeds that finished; a row with failed seeds says how many, by name."""
    done = [r for r in records if r["status"] == "complete"]
    failed = len(records) - len(done)
    if failed:
        name = f"{name} ({failed} of {len(records)} seeds failed)"
    if not done:
        return [name] + ["failed"] * (len(HEADERS) - 1)
    return (
        [name, mean_std_cell([target_error(r) for r in done])]
        + [mean_std_cell([r["summary"][figure] for r in done]) for figure in FIGURES]
        + [mean_std_cell([adapting_seconds(r) for r in done])]
    )


def failures(rows: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown lines naming each failed seed and its error (empty when every run finished)."""
    lines = [
        f"- {name}, seed {record['seed']}: failed after {record['completed_domains']} domains: {record['error']}"
        for name, records in rows.items()
        for record in records
        if record["status"] == "failed"
    ]
    return ["Failed runs:", "", *lines, ""] if lines else []


def per_target_table(records: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown lines: per row, each target's MPJPE right after adapting to it (R[j, j]; source_only:
    R[0, j]) and the source's at the end (R[-1, 0]), mean ± std over the seeds that finished."""
    done = {name: [r for r in rows if r["status"] == "complete"] for name, rows in records.items()}
    domains = next((rows[0]["domains"] for rows in done.values() if rows), None)
    if domains is None:
        return []
    table = []
    for name, rows in done.items():
        cells = [name]
        for j in range(1, len(domains)):
            diagonal = [
                r["matrices"]["mpjpe"][0 if r["strategy"]["id"].startswith("source_only") else j][j] for r in rows
            ]
            cells.append(mean_std_cell(diagonal) if rows else "failed")
        cells.append(mean_std_cell([r["matrices"]["mpjpe"][-1][0] for r in rows]) if rows else "failed")
        table.append(cells)
    headers = ["", *(f"{name} (after it)" for name in domains[1:]), f"{domains[0]} (at the end)"]
    return ["Per target (MPJPE, mm):", "", tabulate(table, headers=headers, tablefmt="github"), ""]


def stream_table(
    scenario: str,
    rows: dict[str, Row],
    names: Sequence[str],
    seeds: Sequence[int],
    out: Path,
    args: argparse.Namespace,
    per_target: bool = False,
    extra: Extra | None = None,
) -> list[str]:
    """Markdown lines: a section for ``scenario`` with one table row per name (budgets from ``args``),
    with ``per_target`` a second table of each target's error (:func:`per_target_table`), and the
    lines ``extra`` makes from the same records."""
    budgets = (args.steps, args.adapt_steps, args.device)
    records = {name: run_row(scenario, name, rows[name], seeds, out, *budgets) for name in names}
    table = [summary_row(name, records[name]) for name in names]
    lines = [f"## {scenario}", "", tabulate(table, headers=HEADERS, tablefmt="github"), "", *failures(records)]
    return lines + (per_target_table(records) if per_target else []) + (extra(records) if extra else [])


def write_tables(
    script: str,
    args: argparse.Namespace,
    rows: dict[str, Row],
    names: Sequence[str],
    title: str,
    note: str,
    results: Path,
    extra: Extra | None = None,
) -> None:
    """Run ``names`` on every scenario of ``args`` and write one Markdown file: ``title``, the command
    that made it, ``note`` (what the target MPJPE means for these rows), one section per scenario
    (with the lines ``extra`` makes from each scenario's records)."""
    from results_file import write_results

    command = table_command(script, args, rows, names)
    lines = [
        f"# {title}",
        "",
        f"Made by `{command}` on {hardware(args.device)}. MPJPE in mm, mean ± std over seeds (world seed 0). {note}",
        "",
    ]
    for scenario in args.scenarios.split(","):
        lines += stream_table(scenario, rows, names, args.seeds, Path(args.out), args, per_target=True, extra=extra)
    write_results(results, [*lines, ""])
