"""``lifelong-pose sweep``: a grid of runs (scenarios x strategies x seeds) on Ray.

The grid comes from a YAML file (:mod:`lifelong_pose.sweep.grid`), the command line, or both (the
command line wins). Ray loads only when the grid is valid and something is left to run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lifelong_pose.cli.data import data_backends
from lifelong_pose.cli.run import _seed, parse_seeds


def add_sweep_parser(commands: Any) -> None:
    sweep = commands.add_parser(
        "sweep",
        help="run a grid of scenarios x strategies x seeds on Ray (this machine, or a cluster with --address)",
        description=(
            "Run every cell of a grid as one Ray task, each into the run folder 'lifelong-pose run' would write "
            "(OUT/SCENARIO/ROW-HASH/seed-N). Complete cells are skipped and cut ones resumed, so an interrupted "
            "sweep is continued by running the same command again. Needs Ray: pip install -e '.[sweep]'."
        ),
    )
    sweep.add_argument("file", nargs="?", default=None, help="a YAML sweep file (keys: see docs/sweeps.md)")
    sweep.add_argument("--scenario", action="append", default=[], help="a scenario of the grid; repeatable")
    sweep.add_argument("--strategy", action="append", default=[], help="a strategy of the grid; repeatable")
    sweep.add_argument("--seeds", type=parse_seeds, default=None, help="seeds of every row: 0,1,2 or 0-2")
    sweep.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="an option of every row; repeatable"
    )
    sweep.add_argument("--plugin", action="append", default=[], metavar="NAME", help="a plugin of every row")
    sweep.add_argument("--profile", default=None, choices=["quick", "paper"], help="sizes (default: quick)")
    sweep.add_argument("--data", default=None, choices=data_backends(), help="data backend (default: sim)")
    sweep.add_argument("--world-seed", type=_seed, default=None, help="seed of the simulated world (default: 0)")
    sweep.add_argument("--device", default=None, help="auto, cpu or cuda, in each worker (default: auto)")
    sweep.add_argument("--out", default=None, help="folder of the grid's run folders (default: runs/sweep)")
    sweep.add_argument("--cpus-per-run", type=float, default=None, help="Ray CPUs of each run (default: 1)")
    sweep.add_argument("--gpus-per-run", type=float, default=None, help="Ray GPUs of each run (default: 0)")
    sweep.add_argument(
        "--address", default=None, help="a Ray cluster (host:port, ray://host:port or auto); default: this machine"
    )
    sweep.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local Ray instance (default: all)")
    sweep.add_argument("--board", default=None, help="leaderboard to file finished rows on (default: OUT/leaderboard)")
    sweep.add_argument("--no-board", action="store_true", help="do not file finished rows on a leaderboard")
    sweep.add_argument("--allow-few-seeds", action="store_true", help="file rows with fewer than 3 seeds, flagged")
    sweep.add_argument("--dry-run", action="store_true", help="list the grid's runs and their state; run nothing")


def sweep_command(args: argparse.Namespace) -> int:
    """Check the grid, then the cluster, then run; each check answers in one line before the next, slower one."""
    from lifelong_pose.sweep.grid import build_grid, check_row_options, fit_shared_options, read_sweep_file

    content = read_sweep_file(args.file) if args.file else {}
    grid = build_grid(
        content,
        {
            "scenarios": args.scenario,
            "strategies": args.strategy,
            "seeds": args.seeds,
            "set": args.set,
            "plugins": args.plugin,
            "profile": args.profile,
            "data": args.data,
            "world_seed": args.world_seed,
            "device": args.device,
            "out": args.out,
            "cpus": args.cpus_per_run,
            "gpus": args.gpus_per_run,
        },
    )
    grid.check()
    from lifelong_pose.sweep.engine import SweepConnectionError, probe_address

    if args.address is not None and not args.dry_run:  # before torch and Ray load: a wrong address answers in 3 s
        try:
            probe_address(args.address)
        except SweepConnectionError as error:
            print(f"lifelong-pose sweep: {error}", file=sys.stderr)
            return 2
    grid.rows = fit_shared_options(grid.rows)
    check_row_options(grid)
    if args.dry_run:
        from lifelong_pose.sweep.engine import finished

        for run in grid.runs():
            state = "complete" if finished(run) else ("partial" if (run.folder / "result.json").exists() else "to run")
            print(f"{run.label}: {state}  {run.folder}")
        return 0
    from lifelong_pose.sweep.engine import file_rows, import_ray, sweep

    import_ray()  # says how to install it before anything else happens
    try:
        outcomes = sweep(grid, address=args.address, local_cpus=args.num_cpus)
    except SweepConnectionError as error:
        print(f"lifelong-pose sweep: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted; run the same command again to resume the grid", file=sys.stderr)
        return 130
    _print_table(outcomes, grid)
    if not args.no_board:
        board = Path(args.board) if args.board else grid.out / "leaderboard"
        for line in file_rows(grid, outcomes, board, args.allow_few_seeds):
            print(line)
    failed = [o for o in outcomes if o["status"] != "complete"]
    print(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} runs complete; state in {grid.out / 'sweep.json'}")
    if failed:
        print(f"{len(failed)} run(s) failed:", file=sys.stderr)
        for o in failed:
            print(f"  {o['scenario']} | {o['strategy']} | seed {o['seed']}: {o['error']}", file=sys.stderr)
        return 1
    return 0


def _print_table(outcomes: list[dict[str, Any]], grid: Any) -> None:
    """One row per (scenario, row): seeds complete and final MPJPE mean +- std."""
    from tabulate import tabulate

    from lifelong_pose.runner.tables import mean_std_cell

    rows = []
    per_row = len(grid.seeds)
    for start in range(0, len(outcomes), per_row):
        cells = outcomes[start : start + per_row]
        row = grid.rows[(start // per_row) % len(grid.rows)]
        finals = [c["summary"]["final_avg_mpjpe"] for c in cells if c["status"] == "complete" and c.get("summary")]
        rows.append(
            {
                "scenario": cells[0]["scenario"],
                "row": row.name,
                "complete": f"{sum(c['status'] == 'complete' for c in cells)}/{len(cells)}",
                "final MPJPE (mm)": mean_std_cell(finals) if finals else "-",
            }
        )
    print()
    print(tabulate(rows, headers="keys"))
