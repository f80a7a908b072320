"""The command-line tools around runs: compare, describe a strategy, --version, leaderboard show away
from a board, progress in a log, and the modes of the files a run writes."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from scipy.stats import ttest_ind, ttest_rel
from standin_records import complete, new, result

import lifelong_pose.runner.progress as progress_module
from lifelong_pose.cli.main import main
from lifelong_pose.leaderboard import Board
from lifelong_pose.runner.checkpoint import atomic_torch_save, atomic_write_json, current_umask
from lifelong_pose.runner.progress import ProgressPlugin
from lifelong_pose.runner.run import RunConfig, run

REPOSITORY = Path(__file__).resolve().parents[1]


def _run_folder(folder: Path, offsets: dict[int, float]) -> Path:
    """A multi-seed run folder of complete stand-in records: ``seed -> offset`` of every matrix cell."""
    for seed, offset in offsets.items():
        complete(folder / f"seed-{seed}", seed=seed, offset=offset).write(folder / f"seed-{seed}")
    return folder


def _final_mpjpe(folder: Path) -> dict[int, float]:
    """Seed -> the final average MPJPE its record stores (what compare must test)."""
    records = [json.loads(path.read_text()) for path in sorted(folder.glob("seed-*/result.json"))]
    return {record["seed"]: record["figures"]["mpjpe"]["final_avg"] for record in records}


def _row(out: str, label: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(label))


def _compare(paths: Sequence[Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["compare", *map(str, paths)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- compare -------------------------------------------------------------------------------------


def test_compare_pairs_same_seeds_and_uses_welch_otherwise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _run_folder(tmp_path / "first", {0: 0.0, 1: 1.0, 2: 3.0})
    paired = _run_folder(tmp_path / "paired", {0: 2.0, 1: 2.5, 2: 5.0})
    other_seeds = _run_folder(tmp_path / "other", {3: 1.0, 4: 4.0, 5: 4.5})
    code, out, _ = _compare([first, paired, other_seeds], capsys)
    assert code == 0

    a, b, c = _final_mpjpe(first), _final_mpjpe(paired), _final_mpjpe(other_seeds)
    paired_p = ttest_rel([b[seed] for seed in sorted(b)], [a[seed] for seed in sorted(a)]).pvalue
    welch_p = ttest_ind(list(c.values()), list(a.values()), equal_var=False).pvalue
    row = _row(out, "final avg MPJPE (mm)")
    assert f"(paired t, p={paired_p:.3g})" in row
    assert f"(Welch t, p={welch_p:.3g})" in row
    assert "B - A" in out and "C - A" in out and "seeds 3, 4, 5 (n=3)" in out
    mean_a = sum(a.values()) / 3
    assert f"{mean_a:.1f} ± " in row  # three seeds: mean ± std
    assert f"+{sum(b.values()) / 3 - mean_a:.1f} (paired t" in row
    assert "paired t-test where both hold the same seeds, Welch's t-test otherwise" in out


def test_compare_shows_n_below_three_seeds_and_no_test_below_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    two = _run_folder(tmp_path / "two", {0: 0.0, 1: 2.0})
    one = _run_folder(tmp_path / "one", {0: 1.0})
    code, out, _ = _compare([two, one], capsys)
    assert code == 0
    row = _row(out, "final avg MPJPE (mm)")
    mean_two = sum(_final_mpjpe(two).values()) / 2
    assert f"{mean_two:.1f} (n=2)" in row and f"{_final_mpjpe(one)[0]:.1f} (n=1)" in row
    assert "±" not in row
    assert "(Welch t: n/a, fewer than 2 seeds)" in row  # seeds 0,1 against seed 0: not the same seeds


def test_compare_reads_a_leaderboard_entry_beside_its_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _run_folder(tmp_path / "run", {0: 0.0, 1: 1.0, 2: 3.0})
    board = Board(tmp_path / "board")
    board.init()
    [entry] = board.add([folder])
    code, out, _ = _compare([entry, folder], capsys)
    assert code == 0
    assert f"A: {json.loads(entry.read_text())['name']}, quick profile, seeds 0, 1, 2 (n=3)" in out
    assert "+0.0 (paired t, p=1)" in _row(out, "final avg MPJPE (mm)")  # the same seeds, the same figures


def test_compare_refuses_what_it_cannot_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _run_folder(tmp_path / "run", {0: 0.0, 1: 1.0})
    code, _, err = _compare([folder], capsys)
    assert code == 2 and "compare needs two or more runs or entries, got 1" in err

    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = _compare([folder, empty], capsys)
    assert code == 2 and f"{empty}: no result.json here or in seed-*/" in err

    other = _run_folder(tmp_path / "other", {0: 0.0})
    record_file = other / "seed-0" / "result.json"
    record = json.loads(record_file.read_text())
    record["scenario"]["id"] = "elsewhere-v0"
    record_file.write_text(json.dumps(record))
    code, _, err = _compare([folder, other], capsys)
    assert code == 2
    assert f"{folder} is a run of standin-v0 (sim data), {other} of elsewhere-v0 (sim data)" in err

    partial = new(tmp_path / "partial", seed=0)
    partial.add_domain(result(0))
    partial.write(tmp_path / "partial")
    code, _, err = _compare([folder, tmp_path / "partial"], capsys)
    assert code == 2 and "seed 0 is running (1 of 3 domains), not complete" in err
    assert len(err.strip().splitlines()) == 1


def test_compare_loads_no_torch(tmp_path: Path) -> None:
    first = _run_folder(tmp_path / "first", {0: 0.0, 1: 1.0})
    second = _run_folder(tmp_path / "second", {0: 1.0, 1: 1.5})
    code = (
        "import sys; from lifelong_pose.cli.main import main; "
        f"code = main(['compare', {str(first)!r}, {str(second)!r}]); "
        "print('torch' in sys.modules, code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-2:] == ["False", "0"]


# -- describe --------------------------------------------------------------------------------------


def test_describe_a_strategy_shows_options_per_profile(capsys: pytest.CaptureFixture[str]) -> None:
    from lifelong_pose.strategies.poseda import PoseDA

    assert main(["describe", "poseda"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("poseda-v0: PoseDA")
    assert "PoseDA: GPA + LPA" in out  # the class docstring's first paragraph
    assert re.search(r"keeps source data\s+yes", out) and re.search(r"reads target 3D\s+no", out)
    header = _row(out, "option ")
    assert header.split()[:5] == ["option", "type", "tiny", "quick", "paper"]
    # the dataclass's default, the profile's and PoseDA's own: 100 warm-up steps quick, 5000 paper
    assert _row(out, "warmup_steps ").split()[:5] == ["warmup_steps", "int", "2", "100", "5000"]
    assert _row(out, "adapt_lr ").split()[:6] == ["adapt_lr", "float", "|", "None", "0.001", "0.001"]
    assert "0.0001" in _row(out, "adapt_lr ")
    assert "{original,aligned}" in _row(out, "source_pairs ")

    assert main(["describe", "poseda", "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    options = {option["name"]: option for option in described["options"]}
    for profile in ("tiny", "quick", "paper"):
        expected = json.loads(json.dumps(asdict(PoseDA.default_params(profile))))
        assert {name: option["defaults"][profile] for name, option in options.items()} == expected
    assert options["gpa"]["doc"].startswith("align each source pose")


def test_describe_other_kinds_and_unknown_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "dakpose"]) == 0  # a strategy and a lifter: the strategy, with a note
    out = capsys.readouterr().out
    assert out.startswith("dakpose-v0:") and re.search(r"uses target data\s+no", out)
    assert "'lifelong-pose describe dakpose --kind lifter'" in out
    assert main(["describe", "dakpose", "--kind", "lifter"]) == 0
    assert re.search(r"encoder_blocks\s+1\s+1\s+4", capsys.readouterr().out)
    assert main(["describe", "ema"]) == 0
    assert re.search(r"eta\s+float\s+0\.99", capsys.readouterr().out)
    assert main(["describe", "posed"]) == 2
    assert "Did you mean 'poseda' (strategy)" in capsys.readouterr().err


# -- --version -------------------------------------------------------------------------------------


def test_version_prints_the_installed_version_without_torch(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == f"lifelong-pose {metadata.version('lifelong-pose')}\n"
    code = (
        "import sys\nfrom lifelong_pose.cli.main import main\ntry:\n    main(['--version'])\n"
        "except SystemExit:\n    pass\nprint('torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["lifelong-pose", metadata.version("lifelong-pose"), "False"]


# -- leaderboard show ------------------------------------------------------------------------------


def test_leaderboard_show_away_from_a_board_fails_saying_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["leaderboard", "show"]) == 2
    err = capsys.readouterr().err
    assert f"looked for entries/ or reported/ in {tmp_path / 'leaderboard'}" in err
    assert "'lifelong-pose leaderboard --board PATH/TO/lifelong-pose/leaderboard show'" in err
    if Board(REPOSITORY / "leaderboard").exists():  # an install from a clone: the clone's board is named
        assert f"found one at {REPOSITORY / 'leaderboard'}" in err
    assert "No entries" not in err + capsys.readouterr().out

    Board(tmp_path / "leaderboard").init()
    assert main(["leaderboard", "show"]) == 0
    assert "leaderboard/ holds no entries yet" in capsys.readouterr().out


# -- progress in a log -----------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _strategy(index: int, name: str, step: int, steps: int, loss: float) -> SimpleNamespace:
    return SimpleNamespace(
        domain=SimpleNamespace(index=index, name=name),
        domain_step=step,
        domain_steps=steps,
        loss=torch.tensor(loss),
        source_from_cache=False,
    )


def test_progress_in_a_log_prints_domain_lines_and_heartbeats() -> None:
    log, clock = io.StringIO(), _Clock()
    plugin = ProgressPlugin(0, 2, stream=log, heartbeat_s=60.0, clock=clock)
    plugin.bar.total = 20  # the runner sets it once it knows the budgets
    assert plugin.lines and plugin.bar.disable
    plugin.before_training_exp(_strategy(0, "source", 0, 10, 0.0))
    for step in range(1, 11):
        clock.now += 10.0  # ten seconds a step: a heartbeat after the sixth
        plugin.after_training_iteration(_strategy(0, "source", step, 10, 0.5 / step))
    clock.now += 5.0
    plugin.after_training_exp(_strategy(0, "source", 10, 10, 0.05))
    plugin.close()
    lines = log.getvalue().splitlines()
    assert lines == [
        "domain 1/2 source: step 6/10, loss 0.08333, 1m00s elapsed, about 2m20s left",
        "domain 1/2 source: trained 10 steps in 1m45s; 1m45s elapsed, about 1m45s left",
    ]


def test_progress_is_silent_when_quiet_and_a_bar_on_a_terminal() -> None:
    log, clock = io.StringIO(), _Clock()
    quiet = ProgressPlugin(10, 2, enabled=False, stream=log, heartbeat_s=0.0, clock=clock)
    quiet.before_training_exp(_strategy(0, "source", 0, 10, 0.0))
    clock.now += 100.0
    quiet.after_training_iteration(_strategy(0, "source", 1, 10, 0.1))
    quiet.after_training_exp(_strategy(0, "source", 1, 10, 0.1))
    quiet.close()
    assert log.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    bar = ProgressPlugin(10, 2, stream=Terminal())
    assert not bar.lines and not bar.bar.disable
    bar.close()


def test_a_run_logging_to_a_file_prints_each_domain(
    tiny_scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(progress_module, "HEARTBEAT_S", 0.0)  # a heartbeat after every step
    options = {"epochs": 1, "batch_size": 8, "adapt_epochs": 1}
    config = RunConfig(
        scenario=tiny_scenario, strategy="oracle", out=tmp_path / "run", device="cpu", report=False, options=options
    )
    run(config)
    err = capsys.readouterr().err  # captured: not a terminal, as under nohup or Slurm
    for index, name in enumerate(["d0", "d1", "d2"], start=1):
        assert re.search(rf"^domain {index}/3 {name}: trained \d+ steps in [\d.]+s; ", err, re.MULTILINE), err
        assert re.search(rf"^domain {index}/3 {name}: step \d+/\d+, loss [\d.e+-]+, ", err, re.MULTILINE), err


# -- file modes ------------------------------------------------------------------------------------


@pytest.fixture
def restore_umask() -> Iterator[None]:
    """The test may set the umask; the old one is back afterwards."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
@pytest.mark.usefixtures("restore_umask")
def test_atomic_files_get_the_mode_the_umask_gives(tmp_path: Path, mask: int, mode: int) -> None:
    os.umask(mask)
    record = complete(tmp_path / "run")
    path = record.write(tmp_path / "run")
    assert stat.S_IMODE(path.stat().st_mode) == mode
    atomic_write_json(tmp_path / "plain.json", {"a": 1})
    atomic_torch_save({"w": torch.zeros(2)}, tmp_path / "state.pt")
    for name in ("plain.json", "state.pt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.usefixtures("restore_umask")
def test_the_umask_is_read_without_proc_too(monkeypatch: pytest.MonkeyPatch) -> None:
    os.umask(0o027)
    assert current_umask() == 0o027
    monkeypatch.setattr("lifelong_pose.runner.checkpoint._PROC_STATUS", "/nonexistent/status")
    assert current_umask() == 0o027
    assert os.umask(0o027) == 0o027  # set and restored: unchanged afterwards


def test_leaderboard_build_columns_choose_the_latex_figures(tmp_path: Path) -> None:
    import shutil

    from lifelong_pose.cli.main import main

    board = tmp_path / "board"
    shutil.copytree(Path(__file__).resolve().parents[1] / "leaderboard", board)
    argv = ["leaderboard", "--board", str(board), "build", "--out", str(tmp_path / "site"), "--no-images"]
    assert main([*argv, "--scenario", "cross_dataset", "--columns", "final_avg,fwt"]) == 0
    tex = (tmp_path / "site" / "leaderboard.tex").read_text()
    assert "rank & entry & final avg & FWT \\\\" in tex and "\\textbf{" in tex and "$\\pm$" in tex
    assert main([*argv, "--columns", "final_avg,nonsense"]) == 2
