"""``lifelong-pose leaderboard init|add|check|build|show``: make a board, file runs, verify every figure, render.

Every command but ``init`` and ``add`` needs an existing board: a typo in ``--board`` fails, saying
where it looked, instead of reading as an empty board whose every figure follows. Run outside the
repository (an installed package, another folder), the default ``leaderboard/`` is not there either:
the message then also says where the published board is and how to point ``--board`` at it, since
"no entries" there would read as "nobody has run anything".
"""

from __future__ import annotations

import argparse
from pathlib import Path
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
    build.add_argument(
        "--columns",
        default=None,
        metavar="FIGURES",
        help="figures of the LaTeX tables, comma-separated (final_avg, avg, bwt, forgetting, fwt, adaptation_gain; "
        "default: final_avg,bwt,forgetting,adaptation_gain)",
    )
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
    if not board.exists():
        raise no_board(board, args.board_command)
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

        columns = [c.strip() for c in args.columns.split(",") if c.strip()] if args.columns is not None else None
        if columns is not None:
            from lifelong_pose.leaderboard.tables import latex

            latex([], columns)  # an unknown figure fails here, before anything is drawn
        paths = build_site(
            board.entries(), args.out, metric=args.metric, images=not args.no_images, columns=columns, **filters
        )
        print("Wrote " + ", ".join(str(path) for path in paths))
        return 0
    from lifelong_pose.leaderboard.tables import board_tables

    entries = board.entries()
    if not entries:
        print(f"{clip(args.board)}/ holds no entries yet; file runs with 'lifelong-pose leaderboard add RUN'")
        return 0
    tables = board_tables(entries, args.metric, **filters)
    if not tables:
        print(f"No entries on {clip(args.board)}/ match.")
        return 0
    from tabulate import tabulate

    for table in tables:
        print(f"{table.title}\n" + "\n".join(table.notes))
        print(tabulate([row.cells for row in table.rows], headers=table.headers) + "\n")
    return 0


def no_board(board: Any, command: str) -> ValueError:
    """The error of a reading command where ``--board`` is no board: where it looked, how to make one
    (:meth:`~lifelong_pose.leaderboard.Board.missing`), where the published board is, and any board
    found nearby (above the current folder, or beside the package in a source checkout)."""
    from lifelong_pose.leaderboard import Board
    from lifelong_pose.leaderboard.guard import EntryError, clip

    found = [folder for folder in published_board_candidates() if Board(folder).exists()]
    here = (
        f"; found one at {clip(found[0])}: 'lifelong-pose leaderboard --board {clip(found[0])} {command}'"
        if found
        else ""
    )
    return EntryError(
        f"{board.missing()}. The published board is the {DEFAULT_BOARD}/ folder at the top of the lifelong-pose "
        f"source repository: run this from the top of a clone of it, or point --board at that folder "
        f"('lifelong-pose leaderboard --board PATH/TO/lifelong-pose/{DEFAULT_BOARD} {command}'){here}"
    )


def published_board_candidates() -> list[Path]:
    """Folders that may hold the published board: ``leaderboard/`` in each folder above the current
    one, then beside the package (an editable install from a clone); nearest first, each once."""
    import lifelong_pose

    places = [*Path.cwd().resolve().parents, Path(lifelong_pose.__file__).resolve().parent.parent]
    return list(dict.fromkeys(place / DEFAULT_BOARD for place in places))


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
