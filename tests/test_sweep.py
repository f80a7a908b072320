"""``lifelong-pose sweep``: the grid, its bad inputs, and a 2 x 2 x 2 sweep on a local Ray instance
killed midway and rerun (the matrices of an uninterrupted sweep)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lifelong_pose.cli.main import main
from lifelong_pose.registry import RegistryError
from lifelong_pose.sweep.grid import SweepError, build_grid, fit_shared_options, read_sweep_file

GRID_FILE = """\
scenarios: [cross_dataset, cross_scenario]
strategies:
  - source_only
  - {strategy: poseda, name: poseda (GPA only), set: {lpa: false}}
seeds: 0-1
set: {steps: 20, adapt_steps: 40}
resources: {cpus: 1}
"""


def _grid(tmp_path: Path, text: str = GRID_FILE, **overrides: object):
    path = tmp_path / "grid.yaml"
    path.write_text(text)
    return build_grid(read_sweep_file(path), overrides)


# -- the grid ---------------------------------------------------------------------------------
def test_grid_expands_scenario_row_seed_in_order_into_run_folders(tmp_path: Path) -> None:
    grid = _grid(tmp_path, out=str(tmp_path / "out"))
    grid.check()
    grid.rows = fit_shared_options(grid.rows)
    runs = grid.runs()
    assert [(run.scenario, run.row.name, run.seed) for run in runs][:3] == [
        ("cross_dataset", "source_only", 0),
        ("cross_dataset", "source_only", 1),
        ("cross_dataset", "poseda (GPA only)", 0),
    ]
    assert len(runs) == 8
    # the sweep-wide adapt_steps reaches poseda only: source_only never adapts and has no such option
    source_only, poseda = grid.rows
    assert source_only.options == {"steps": 20}
    assert poseda.options == {"lpa": False, "steps": 20, "adapt_steps": 40}
    assert runs[0].folder.parent.name.startswith("source_only-") and runs[0].folder.name == "seed-0"
    assert runs[2].folder.parent.name.startswith("poseda_GPA_only-")


def test_a_row_changed_under_the_same_name_gets_another_folder(tmp_path: Path) -> None:
    first = _grid(tmp_path)
    second = _grid(tmp_path, set=["lr=0.001"])
    assert first.runs()[0].folder != second.runs()[0].folder
    assert first.runs()[0].folder.parent.name.split("-")[0] == second.runs()[0].folder.parent.name.split("-")[0]


def test_command_line_replaces_the_files_lists(tmp_path: Path) -> None:
    grid = _grid(tmp_path, scenarios=["cross_camera"], strategies=["oracle"], seeds=[3])
    assert [(run.scenario, run.row.strategy, run.seed) for run in grid.runs()] == [("cross_camera", "oracle", 3)]


# -- bad inputs -------------------------------------------------------------------------------
def _sweep(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = main(["sweep", *argv])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_unknown_key_in_the_sweep_file_is_refused_with_a_suggestion(tmp_path: Path, capsys) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(GRID_FILE.replace("seeds:", "sedes:"))
    status, output = _sweep([str(path)], capsys)
    assert status == 2
    assert "unknown sweep file" in output and "'sedes'" in output and "did you mean 'seeds'" in output
    path.write_text(GRID_FILE.replace("resources: {cpus: 1}", "resources: {cpu: 1}"))
    status, output = _sweep([str(path)], capsys)
    assert status == 2 and "'cpu'" in output and "did you mean 'cpus'" in output
    path.write_text(GRID_FILE.replace("name: poseda", "nmae: poseda"))
    status, output = _sweep([str(path)], capsys)
    assert status == 2 and "did you mean 'name'" in output


def test_sweep_wide_option_that_no_strategy_has_is_refused(tmp_path: Path, capsys) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(GRID_FILE)
    status, output = _sweep([str(path), "--set", "adapt_stepz=3", "--dry-run"], capsys)
    assert status == 2 and "'adapt_stepz'" in output and "did you mean 'adapt_steps'" in output


def test_empty_grid_is_refused(tmp_path: Path, capsys) -> None:
    status, output = _sweep(["--strategy", "source_only"], capsys)
    assert status == 2 and "the grid is empty: no scenarios" in output
    path = tmp_path / "grid.yaml"
    path.write_text("scenarios: [cross_dataset]\nstrategies: []\n")
    status, output = _sweep([str(path)], capsys)
    assert status == 2 and "no strategies" in output


def test_unknown_ids_and_repeated_rows_are_refused_before_ray(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="poseda"):
        _grid(tmp_path, strategies=["posedaa"]).check()
    with pytest.raises(SweepError, match="repeats the row name"):
        _grid(tmp_path, strategies=["poseda", "poseda"]).check()
    with pytest.raises(SweepError, match="--gpus-per-run 1"):
        _grid(tmp_path, device="cuda").check()
    with pytest.raises(SweepError, match="not valid YAML"):
        _grid(tmp_path, text="scenarios: [cross_dataset\n")


def test_dry_run_lists_runs_and_loads_no_ray(tmp_path: Path, capsys) -> None:
    path = tmp_path / "grid.yaml"
    path.write_text(GRID_FILE)
    status, output = _sweep([str(path), "--out", str(tmp_path / "out"), "--dry-run"], capsys)
    assert status == 0
    assert output.count(": to run") == 8 and "cross_scenario | poseda (GPA only) | seed 1" in output


def test_without_ray_the_command_says_how_to_install_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(SystemExit, match=r'pip install -e "\.\[sweep\]"'):
        main(["sweep", "--scenario", "cross_dataset", "--strategy", "source_only", "--out", str(tmp_path)])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("address", ["127.0.0.1:{port}", "ray://127.0.0.1:{port}", "192.0.2.1:6379", "nonsense"])
def test_unreachable_address_fails_within_seconds(tmp_path: Path, address: str, capsys) -> None:
    pytest.importorskip("ray")
    address = address.format(port=_free_port())  # 192.0.2.1 is TEST-NET-1: nothing answers there
    started = time.monotonic()
    argv = ["--scenario", "cross_dataset", "--strategy", "source_only", "--out", str(tmp_path), "--address", address]
    status, output = _sweep(argv, capsys)
    assert time.monotonic() - started < 15
    assert status == 2 and (f"cannot reach a Ray cluster at {address}" in output or "is not host:port" in output)
    assert not list(tmp_path.glob("cross_dataset/*/seed-0/result.json"))


# -- a real sweep on a local Ray instance -------------------------------------------------------
def _sweep_process(grid_file: Path, out: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "lifelong_pose.cli.main", "sweep", str(grid_file), "--out", str(out)]
    argv += ["--num-cpus", "2", "--allow-few-seeds", *extra]
    with log.open("ab") as stream:  # its own session: killing it kills the Ray instance it started
        return subprocess.Popen(argv, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True)


def _records(out: Path) -> dict[str, dict]:
    paths = sorted(out.rglob("seed-*/result.json"))
    return {str(path.parent.relative_to(out)): json.loads(path.read_text()) for path in paths}


def _session_alive(session: int) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == session:
                    return True
            except (ProcessLookupError, PermissionError):
                continue
    return False


@pytest.mark.slow
def test_sweep_killed_midway_and_rerun_gives_the_uninterrupted_matrices(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    grid_file, log = tmp_path / "grid.yaml", tmp_path / "sweep.log"
    grid_file.write_text(GRID_FILE)
    whole = _sweep_process(grid_file, tmp_path / "whole", log)
    assert whole.wait(timeout=600) == 0, log.read_text()[-3000:]
    expected = _records(tmp_path / "whole")
    assert len(expected) == 8 and all(record["status"] == "complete" for record in expected.values())
    board = list((tmp_path / "whole" / "leaderboard" / "entries").rglob("*.json"))
    assert len(board) == 4  # one entry per scenario x row, flagged: 2 seeds
    assert all(json.loads(path.read_text())["few_seeds"] for path in board)

    out = tmp_path / "killed"
    process = _sweep_process(grid_file, out, log)
    deadline, cut = time.monotonic() + 600, None
    while process.poll() is None and time.monotonic() < deadline:  # kill once a run is done and another half done
        records = _records(out) if out.exists() else {}
        done = [name for name, r in records.items() if r["status"] == "complete"]
        half = [name for name, r in records.items() if r["status"] == "running" and r["completed_domains"] >= 1]
        if done and half:
            os.killpg(process.pid, signal.SIGKILL)
            cut = half
            break
        time.sleep(0.05)
    process.wait(timeout=60)
    assert cut, f"the sweep ended before a kill could land midway:\n{log.read_text()[-3000:]}"
    deadline = time.monotonic() + 60
    while _session_alive(process.pid) and time.monotonic() < deadline:  # Ray's workers follow their raylet
        time.sleep(0.2)
    assert not _session_alive(process.pid), "Ray processes outlived the killed sweep"
    partial = _records(out)
    assert len(partial) < 8 or any(r["status"] != "complete" for r in partial.values())

    rerun = _sweep_process(grid_file, out, log)
    assert rerun.wait(timeout=600) == 0, log.read_text()[-3000:]
    assert "already complete" in log.read_text()
    finished = _records(out)
    assert finished.keys() == expected.keys()
    for name, record in finished.items():
        assert record["status"] == "complete"
        assert record["matrices"] == expected[name]["matrices"], name
    state = json.loads((out / "sweep.json").read_text())
    assert [run["status"] for run in state["runs"]] == ["complete"] * 8


@pytest.mark.slow
def test_a_run_failing_in_a_worker_is_recorded_failed_and_the_sweep_goes_on(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    grid_file, log = tmp_path / "grid.yaml", tmp_path / "sweep.log"
    grid_file.write_text(
        "scenarios: [cross_dataset]\n"
        "strategies: [source_only, {strategy: source_only, name: diverging, set: {lr: 10}}]\n"
        "set: {steps: 20}\n"
    )
    process = _sweep_process(grid_file, tmp_path / "out", log, "--no-board")
    assert process.wait(timeout=600) == 1, log.read_text()[-3000:]
    output = log.read_text()
    assert "1 of 2 runs complete" in output and "cross_dataset | source_only | seed 0: FloatingPointError" in output
    records = _records(tmp_path / "out")
    by_row = {name.split("/")[1].split("-")[0]: record for name, record in records.items()}
    assert by_row["source_only"]["status"] == "complete"
    assert by_row["diverging"]["status"] == "failed" and "diverged" in by_row["diverging"]["error"]


def test_a_run_folder_is_locked_while_a_worker_writes_it(tmp_path: Path) -> None:
    """A rerun's worker waits for a killed sweep's dying worker to release the cell's folder."""
    from lifelong_pose.sweep.task import _folder_lock

    folder = tmp_path / "row" / "seed-0"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom lifelong_pose.sweep.task import _folder_lock\n"
            f"with _folder_lock(Path({str(folder)!r})):\n    print('held', flush=True)\n    time.sleep(1.5)\n",
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
    started = time.monotonic()
    with _folder_lock(folder):
        waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert waited > 0.5  # it waited for the holder to let go
    with _folder_lock(folder):  # and the lock is free again once released
        pass
