"""The publish script's per-row decisions: file a row, or report why not and go on to the next.

Rows are stand-in runs (``standin_records``) except for the triage test, which runs a diverging
row on a registered tiny stream through the real runner.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from standin_records import complete, new, result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from publish_leaderboard import file_row
from strategy_table import run_row

from lifelong_pose.leaderboard import Board, EntryError


def _row(folder: Path, seeds: tuple[int, ...] = (0, 1, 2)) -> list[dict[str, Any]]:
    """A row folder with a finished stand-in run per seed; returns their records."""
    for seed in seeds:
        complete(folder / f"seed-{seed}", seed=seed, offset=float(seed)).write(folder / f"seed-{seed}")
    return [json.loads((folder / f"seed-{seed}" / "result.json").read_text()) for seed in seeds]


def test_a_finished_row_is_filed_once_then_reported_as_already_on_the_board(tmp_path: Path) -> None:
    board, folder = Board(tmp_path / "board"), tmp_path / "runs" / "row"
    records = _row(folder)
    outcome = file_row(board, folder, records, on_board=set(), allow_few_seeds=False)
    assert outcome.startswith("filed entries/") and outcome.endswith(".json")
    (entry,) = board.entries()
    assert [s["seed"] for s in entry["seeds"]] == [0, 1, 2] and entry["few_seeds"] is False
    on_board = {entry["key"]}
    assert file_row(board, folder, records, on_board=on_board, allow_few_seeds=False) == "already on the board"
    assert len(board.entries()) == 1


def test_with_replace_a_row_on_the_board_is_filed_again_from_the_new_runs(tmp_path: Path) -> None:
    board, folder = Board(tmp_path / "board"), tmp_path / "runs" / "row"
    records = _row(folder)
    file_row(board, folder, records, on_board=set(), allow_few_seeds=False)
    (old,) = board.filed()
    again = tmp_path / "runs" / "again"
    newer = [complete(again / f"seed-{seed}", seed=seed, offset=10.0 + seed) for seed in (0, 1, 2)]
    for seed, record in zip((0, 1, 2), newer, strict=True):
        record.write(again / f"seed-{seed}")
    fresh = [record.to_dict() for record in newer]
    outcome = file_row(board, again, fresh, on_board={old.entry["key"]}, allow_few_seeds=False, replace=True)
    assert outcome.startswith(f"replaced {old.path.relative_to(board.root)} by entries/")
    (entry,) = board.entries()
    assert entry["key"] == old.entry["key"] and "run" not in entry  # runs outside the board are left out
    assert entry["figures"]["mpjpe"]["final_avg"]["mean"] > old.entry["figures"]["mpjpe"]["final_avg"]["mean"]
    with pytest.raises(EntryError, match="no entry with key 0123456789abcdef"):
        board.remove("0123456789abcdef")


def test_a_triage_run_on_fewer_seeds_is_reported_not_filed_and_with_the_flag_files_only_those_seeds(
    tmp_path: Path,
) -> None:
    """The folder holds seeds 0-2, but a ``--seeds 0`` run asked for seed 0 alone: only it counts."""
    board, folder = Board(tmp_path / "board"), tmp_path / "runs" / "row"
    seed_zero = _row(folder)[:1]
    outcome = file_row(board, folder, seed_zero, on_board=set(), allow_few_seeds=False)
    assert outcome == "1 seed(s) run, not filed: an entry needs 3 seeds (--allow-few-seeds files it, flagged)"
    assert board.filed() == []
    assert file_row(board, folder, seed_zero, on_board=set(), allow_few_seeds=True).startswith("filed ")
    (entry,) = board.entries()
    assert [s["seed"] for s in entry["seeds"]] == [0] and entry["few_seeds"] is True


def test_a_row_with_a_failed_seed_is_not_filed(tmp_path: Path) -> None:
    board, folder = Board(tmp_path / "board"), tmp_path / "runs" / "row"
    records = _row(folder, seeds=(0, 1))
    stopped = new(folder / "seed-2", seed=2)
    stopped.add_domain(result(0))
    stopped.stop("failed", "FloatingPointError: the lifter's loss diverged")
    stopped.write(folder / "seed-2")
    records.append(json.loads((folder / "seed-2" / "result.json").read_text()))
    assert file_row(board, folder, records, on_board=set(), allow_few_seeds=True) == "1 of 3 seed(s) failed; not filed"
    assert board.filed() == []


def test_a_record_whose_figures_do_not_follow_from_its_matrices_raises_naming_it(tmp_path: Path) -> None:
    board, folder = Board(tmp_path / "board"), tmp_path / "runs" / "row"
    records = _row(folder)
    path = folder / "seed-1" / "result.json"
    tampered = json.loads(path.read_text())
    tampered["figures"]["mpjpe"]["final_avg"] += 1.0
    path.write_text(json.dumps(tampered))
    with pytest.raises(
        EntryError,
        match=r"figures do not follow from the matrices: seed 1 mpjpe final_avg: stored 60.33.*matrices give 59.33",
    ):
        file_row(board, folder, records, on_board=set(), allow_few_seeds=False)
    assert board.filed() == []


def test_triage_stops_a_row_at_its_first_failed_seed(tiny_scenario: str, tmp_path: Path) -> None:
    """A diverging row (lr 10) run on seeds 0-2 with ``stop_at_failure``: seed 0 fails, 1 and 2 never start."""
    diverging = ("source_only", {"lr": 10.0}, [])
    records = run_row(tiny_scenario, "diverging", diverging, [0, 1, 2], tmp_path, steps=20, stop_at_failure=True)
    assert [(record["seed"], record["status"]) for record in records] == [(0, "failed")]
    assert "diverged" in records[0]["error"]
    folders = sorted(path.name for path in (tmp_path / tiny_scenario / "diverging__steps20").iterdir())
    assert folders == ["seed-0"]
    # Rerun: the failed seed is read back, not run again, and the row still stops there.
    again = run_row(tiny_scenario, "diverging", diverging, [0, 1, 2], tmp_path, steps=20, stop_at_failure=True)
    assert again == records
