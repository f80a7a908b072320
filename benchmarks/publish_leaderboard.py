"""Regenerate the published simulated-world leaderboard: run the grid, file every configuration, build it.

The grid is every built-in stream x every row of the method tables (``poseda_table.py``,
``diffusion_replay_table.py``, ``dakpose_table.py``: each strategy, its ablations and plugins;
``normalisation_table.py``: ``adabn`` and the methods' ``bn`` controls) plus the oracle, at 3
seeds in the quick profile. Runs go through the same runner as
``lifelong-pose run`` into ``--out`` (finished runs are reused, so the script resumes); every row
whose seeds all finished is filed on the board (``--board``, default ``leaderboard/``; rows already
there are skipped, or with ``--replace`` replaced by the runs in ``--out``: the old entry stays in
git's history only). A row that cannot be filed (a seed failed; fewer than 3 seeds, e.g. a triage run
with ``--seeds 0``, without ``--allow-few-seeds``) is reported and the script goes on; with
``--stop-row-on-failure`` a row's seeds after a failed one are not run. The papers' reported rows
are filed from ``leaderboard/papers.json``; then the board is checked (every figure recomputed),
``leaderboard/leaderboard.md`` is written and the HTML site is built in ``--site`` and opened in
headless Chromium, whose screenshot goes to ``docs/leaderboard.png``.

    python benchmarks/publish_leaderboard.py [--scenarios cross_dataset,...] [--rows "dakpose,..."]
        [--seeds 0,1,2] [--stop-row-on-failure] [--out runs/leaderboard] [--board leaderboard] [--site site]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dakpose_table import ROWS as DAKPOSE_ROWS  # benchmarks/ is on sys.path when a script runs
from diffusion_replay_table import ROWS as DIFFUSION_REPLAY_ROWS
from normalisation_table import ROWS as NORMALISATION_ROWS
from poseda_table import ROWS as POSEDA_ROWS
from strategy_table import Row, add_budget_arguments, row_folder, run_row

from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.leaderboard import MIN_SEEDS, Board, EntryError, reported_entries
from lifelong_pose.leaderboard.browser import find_browser, open_page
from lifelong_pose.leaderboard.entry import configuration_key, run_configuration
from lifelong_pose.leaderboard.site import build_site

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = "cross_scenario,cross_dataset,cross_camera,long_stream"
GRID: dict[str, Row] = {
    "oracle": ("oracle", {}, []),
    **POSEDA_ROWS,
    **DIFFUSION_REPLAY_ROWS,
    **DAKPOSE_ROWS,
    **NORMALISATION_ROWS,
}


def file_row(
    board: Board,
    folder: Path,
    records: Sequence[dict[str, Any]],
    *,
    on_board: set[str],
    allow_few_seeds: bool,
    replace: bool = False,
) -> str:
    """File one row's runs (``records``, the seeds asked for, in ``folder``) or say why not: the log line.

    Why it does not stop the script: a publish run goes over dozens of rows for hours, and a row
    that is not filed (a failed seed, a triage run on fewer seeds, already on the board) is a fact to
    report, not a reason to lose the rest. Only the seeds asked for are filed, even when the row's
    folder holds others.

    Raises:
        EntryError: what ``Board.add`` refuses beyond those cases (a record that fails its check).
    """
    failed = [record for record in records if record["status"] != "complete"]
    if failed:
        return f"{len(failed)} of {len(records)} seed(s) failed; not filed"
    key = configuration_key(run_configuration(records[0]))
    if key in on_board and not replace:
        return "already on the board"
    if len(records) < MIN_SEEDS and not allow_few_seeds:
        return (
            f"{len(records)} seed(s) run, not filed: an entry needs {MIN_SEEDS} seeds "
            "(--allow-few-seeds files it, flagged)"
        )
    replaced = board.remove(key) if key in on_board else None
    paths = board.add([folder / f"seed-{record['seed']}" for record in records], allow_few_seeds=allow_few_seeds)
    filed = ", ".join(str(path.relative_to(board.root)) for path in paths)
    return f"replaced {replaced.relative_to(board.root)} by {filed}" if replaced else f"filed {filed}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default=SCENARIOS)
    parser.add_argument("--rows", default=",".join(GRID), help="comma-separated row names of the grid")
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--allow-few-seeds", action="store_true", help="file rows with fewer than 3 seeds (smoke runs)")
    parser.add_argument(
        "--stop-row-on-failure", action="store_true", help="skip a row's remaining seeds once one failed (triage)"
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="replace rows already on the board by the runs in --out (git keeps the old)",
    )
    parser.add_argument("--out", default="runs/leaderboard", help="run folders (resumed if present)")
    parser.add_argument("--board", default=str(ROOT / "leaderboard"))
    parser.add_argument("--site", default="site", help="where to build the HTML site")
    parser.add_argument("--screenshot", default=str(ROOT / "docs" / "leaderboard.png"))
    parser.add_argument("--device", default="cpu")
    add_budget_arguments(parser)
    args = parser.parse_args()
    names = [name.strip() for name in args.rows.split(",")]
    unknown = sorted(set(names) - set(GRID))
    if unknown:
        parser.error(f"unknown rows {unknown}; known: {list(GRID)}")
    board = Board(args.board)
    on_board = {entry["key"] for entry in board.entries()}
    unique: dict[str, str] = {}  # one configuration (source_only is in several tables) runs once
    for name in names:
        unique.setdefault(json.dumps(GRID[name], sort_keys=True), name)
    not_filed: list[str] = []
    for scenario in args.scenarios.split(","):
        for name in unique.values():
            budgets = (args.steps, args.adapt_steps, args.device)
            records = run_row(
                scenario,
                name,
                GRID[name],
                args.seeds,
                Path(args.out),
                *budgets,
                stop_at_failure=args.stop_row_on_failure,
            )
            folder = row_folder(Path(args.out), scenario, name, args.steps, args.adapt_steps)
            try:
                outcome = file_row(
                    board,
                    folder,
                    records,
                    on_board=on_board,
                    allow_few_seeds=args.allow_few_seeds,
                    replace=args.replace,
                )
            except EntryError as error:
                not_filed.append(str(error))
                outcome = f"not filed: {error}"
            print(f"{scenario} | {name}: {outcome}", flush=True)
    fresh = [entry for entry in reported_entries(ROOT / "leaderboard" / "papers.json") if entry["key"] not in on_board]
    for entry in fresh:
        board.write(entry)
    problems = board.check()
    if problems:
        print("\n".join(problems))
        return 1
    if not_filed:
        print(f"{len(not_filed)} row(s) could not be filed (above); the board holds the others", flush=True)
    entries = board.entries()
    build_site(entries, args.site, title="lifelong-pose leaderboard (simulated world, quick profile; papers' reports)")
    (board.root / "leaderboard.md").write_text((Path(args.site) / "leaderboard.md").read_text())
    if find_browser() is None:
        print("no Chromium: the site was not opened in a browser (apt-get install chromium)")
        return 0
    report = open_page(Path(args.site) / "index.html", screenshot=args.screenshot, width=1400)
    if not report.ok:
        print(
            f"the site does not render cleanly: console {list(report.console)}, ready {report.ready}, "
            f"{report.broken_images} of {report.images} images broken"
        )
        return 1
    print(f"{len(entries)} entries; site in {args.site}/, screenshot {args.screenshot}")
    return 1 if not_filed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except EntryError as error:
        print(f"publish_leaderboard: {error}", file=sys.stderr)
        sys.exit(2)
