"""``lifelong-pose leaderboard init|add|check|build|show``: make a board, file runs, verify every figure, render.

Every command but ``init`` and ``add`` needs an existing board: a typo in ``--board`` fails, saying
where it looked, instead of reading as an empty board whose every figure follows.
"""

from __future__ import annotations

import argparse
from typing import Any

from lifelong_pose.metrics.table import METRIC_KEYS

DEFAULT_BOARD = "leaderboard"


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenario", default=None, help="only this stream (id with or without its version)")
    parser.add_argument("--backend", default=None, choices=["sim", "real"], help="only this data backend")
    parser.add_argument("--profile", default=None, choices=["quick", "paper"], help="only this profile")
    parser.add_argument(
        "--metric", default="mpjpe", choices=METRIC_KEYS, help="metric family of the figures (default: mpjpe)"
    )


def add_leaderboard_parser(commands: Any) -> None:
    board = commands.add_parser("leaderboard", help="file runs on the leaderboard, check it, build its tables and site")
    board.add_argument(
        "--board", default=DEFAULT_BOARD, metavar="DIR", help=f"the board folder (default: {DEFAULT_BOARD}/)"
    )
    sub = board.add_subparsers(dest="board_command", required=True, metavar="BOARD_COMMAND")
    init = sub.add_parser("init", help="create an empty board folder (entries/ and reported/)")
    init.add_argument("folder", nargs="?", default=None, metavar="DIR", help="the folder to create (default: --board)")
    add = sub.add_parser("add", help="validate run folders (all seeds of a configuration) and file one entry each")
    add.add_argument(
        "runs",
        nargs="*",
        metavar="RUN",
        help="run folders of 'lifelong-pose run' (a multi-seed folder or seed folders)",
    )
    add.add_argument(
        "--allow-few-seeds", action="store_true", help="file a configuration with fewer than 3 seeds, flagged"
    )
    add.add_argument(
        "--reported", metavar="FILE", default=None, help="file papers' published rows from a JSON list instead"
    )
    sub.add_parser("check", help="recompute every stored figure from its matrices; exit 1 on any difference")
    build = sub.add_parser("build", help="write Markdown, LaTeX, CSV and a static HTML site")
    build.add_argument("--out", required=True, metavar="DIR", help="folder to write (created)")
    build.add_argument("--no-images", action="store_true", help="skip each entry's heatmap and curves")
    _filters(build)
    show = sub.add_parser("show", help="the board's tables in the terminal")
    _filters(show)


def leaderboard_command(args: argparse.Namespace) -> int:
    from lifelong_pose.leaderboard import Board
    from lifelong_pose.leaderboard.guard import clip

    if args.board_command == "init":
        folder = args.folder or args.board
        created = Board(folder).init()
        print(f"{'Created an empty board in' if created else 'Already a board:'} {clip(folder)}")
        return 0
    board = Board(args.board)
    if args.board_command == "add":
        return _add(board, args)
    board.require()
    if args.board_command == "check":
        problems = board.check()
        for problem in problems:
            print(problem)
        if problems:
            print(f"{clip(args.board)}: {len(problems)} problem(s)")
            return 1
        print(f"{clip(args.board)}: {len(board.filed())} entries; every figure follows from its matrices")
        return 0
    filters = {"scenario": args.scenario, "backend": args.backend, "profile": args.profile}
    if args.board_command == "build":
        from lifelong_pose.leaderboard.site import build_site

        paths = build_site(board.entries(), args.out, metric=args.metric, images=not args.no_images, **filters)
        print("Wrote " + ", ".join(str(path) for path in paths))
        return 0
    from lifelong_pose.leaderboard.tables import board_tables

    tables = board_tables(board.entries(), args.metric, **filters)
    if not tables:
        print(f"No entries on {clip(args.board)}/ match.")
        return 0
    from tabulate import tabulate

    for table in tables:
        print(f"{table.title}\n" + "\n".join(table.notes))
        print(tabulate([row.cells for row in table.rows], headers=table.headers) + "\n")
    return 0


def _add(board: Any, args: argparse.Namespace) -> int:
    from lifelong_pose.leaderboard.guard import clip

    if args.reported:
        from lifelong_pose.leaderboard import reported_entries

        on_board = {entry["key"] for entry in board.entries()}
        rows = reported_entries(args.reported)
        fresh = [entry for entry in rows if entry["key"] not in on_board]
        for entry in fresh:
            board.path_for(entry)  # every path checked before anything is written
        paths = [board.write(entry) for entry in fresh]
        already = len(rows) - len(paths)
        print(f"Filed {len(paths)} reported row(s) from {clip(args.reported)}; {already} already on the board")
        return 0
    if not args.runs:
        raise ValueError("leaderboard add needs run folders (or --reported FILE)")
    paths = board.add(args.runs, allow_few_seeds=args.allow_few_seeds)
    for path in paths:
        print(f"Filed {path}")
    return 0
