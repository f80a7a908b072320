"""Wall time of the README's main command, with an empty source cache and then with a warm one.

    python benchmarks/main_command_time.py [--runs 1] [--steps N --adapt-steps N]

Runs ``lifelong-pose run --scenario cross_dataset --strategy diffusion_replay`` as a user does (a
new process, the console script), first with an empty cache folder (the source lifter is
trained and cached), then again with that folder (the source comes from the cache), and writes
``benchmarks/results/main_command_time.md``. Nothing else should run on the machine meanwhile.
``--steps`` and ``--adapt-steps`` shrink the budgets for CI's smoke run; the results file is timed
with the defaults, the command as the README gives it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from strategy_table import add_budget_arguments
from tabulate import tabulate

COMMAND = ["lifelong-pose", "run", "--scenario", "cross_dataset", "--strategy", "diffusion_replay"]


def timed(cache: Path, out: Path, budgets: list[str]) -> float:
    """Seconds of one run of the main command in a new process."""
    env = dict(os.environ, LIFELONG_POSE_CACHE=str(cache))
    tick = time.perf_counter()
    command = [*COMMAND, *budgets, "--quiet", "--out", str(out)]
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - tick


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="cold + warm pairs to time")
    parser.add_argument("--results", default=str(Path(__file__).parent / "results" / "main_command_time.md"))
    add_budget_arguments(parser)
    args = parser.parse_args()
    budgets = [
        *(["--steps", str(args.steps)] if args.steps is not None else []),
        *(["--adapt-steps", str(args.adapt_steps)] if args.adapt_steps is not None else []),
    ]
    rows = []
    for index in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="main-command-"))
        try:
            cold = timed(work / "cache", work / "cold", budgets)
            warm = timed(work / "cache", work / "warm", budgets)
        finally:
            shutil.rmtree(work)
        rows.append([index + 1, f"{cold:.0f}", f"{warm:.0f}"])
        print(f"run {index + 1}: empty cache {cold:.0f} s, warm cache {warm:.0f} s", flush=True)
    write_results(
        args.results,
        [
            "# Wall time of the README's main command",
            "",
            f"`{' '.join([*COMMAND, *budgets])}` (with `--quiet`), timed by "
            f"`python benchmarks/main_command_time.py --runs {' '.join([str(args.runs), *budgets])}` "
            "on a 2-core CPU with nothing else running: each pair starts from an empty "
            "source cache, then runs again with the cache it filled.",
            "",
            tabulate(rows, headers=["run", "empty cache (s)", "warm cache (s)"], tablefmt="github"),
            "",
        ],
    )


if __name__ == "__main__":
    main()
