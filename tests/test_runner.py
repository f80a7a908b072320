"""The runner: records, checkpoints, resume, interruption and bad input, on a tiny stream."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import torch
from avalanche.core import SupervisedPlugin

from lifelong_pose.runner.checkpoint import checkpoint_path, load_checkpoint
from lifelong_pose.runner.environment import resolve_device
from lifelong_pose.runner.record import RecordError, load_record, validate_record
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.runner.tables import matrix_table, summary_table

FAST = {"epochs": 2, "batch_size": 8}


def _config(scenario: str, out: Path, strategy: str = "oracle", **changes: Any) -> RunConfig:
    options = {**FAST, "adapt_epochs": 1} if strategy == "oracle" else dict(FAST)
    base = {"progress": False, "report": False, "device": "cpu", "options": options}
    return RunConfig(scenario=scenario, strategy=strategy, out=out, **{**base, **changes})


class _InterruptAt(SupervisedPlugin):
    """Raises KeyboardInterrupt when training on domain ``index`` starts (a Ctrl-C in the middle)."""

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == self.index:
            raise KeyboardInterrupt


def test_a_run_writes_a_complete_valid_record(tiny_scenario: str, tmp_path: Path) -> None:
    record = run(_config(tiny_scenario, tmp_path / "run", report=True))
    assert record == load_record(tmp_path / "run")
    assert record["status"] == "complete" and record["completed_domains"] == 3
    assert record["scenario"]["id"] == tiny_scenario
    assert record["strategy"]["id"] == "oracle-v0"
    assert record["strategy"]["reads_target_3d"] and not record["strategy"]["comparable"]
    assert record["strategy"]["params"]["epochs"] == 2
    assert record["domains"] == ["d0", "d1", "d2"] and record["data"]["backend"] == "sim"
    assert len(record["data"]["fingerprint"]) == 64
    for key in ("mpjpe", "pa_mpjpe", "pck", "auc"):
        matrix = record["matrices"][key]
        assert len(matrix) == 3 and all(len(row) == 3 for row in matrix)
    for row in record["matrices"]["mpjpe"]:
        assert all(0 < value < 5000 for value in row)
    assert all(0 <= v <= 100 for row in record["matrices"]["pck"] for v in row)
    assert record["summary"]["final_avg_mpjpe"] == pytest.approx(sum(record["matrices"]["mpjpe"][2]) / 3)
    assert record["summary"]["lower_is_better"]["bwt"] is False
    assert [d["name"] for d in record["timing"]["domains"]] == ["d0", "d1", "d2"]
    assert record["resources"]["parameters"] > 0 and record["resources"]["kept_bytes"] == 0
    assert {"python", "torch", "avalanche-lib"} <= set(record["versions"])
    for index in range(3):
        assert checkpoint_path(tmp_path / "run", index).is_file()
    for name in ("report.md", "heatmap_mpjpe.png", "curves_mpjpe.png"):
        assert (tmp_path / "run" / name).stat().st_size > 0
    assert "heatmap_mpjpe.png" in (tmp_path / "run" / "report.md").read_text()


def test_source_only_never_changes_after_the_source(tiny_scenario: str, tmp_path: Path) -> None:
    record = run(_config(tiny_scenario, tmp_path / "run", strategy="source_only"))
    rows = record["matrices"]["mpjpe"]
    assert rows[0] == rows[1] == rows[2]
    assert record["summary"]["bwt"] == 0 and record["summary"]["adaptation_gain"] == 0
    assert record["strategy"]["comparable"]


def test_same_seed_same_matrix_other_seed_other_matrix(tiny_scenario: str, tmp_path: Path) -> None:
    first = run(_config(tiny_scenario, tmp_path / "a", seed=1))
    second = run(_config(tiny_scenario, tmp_path / "b", seed=1))
    other = run(_config(tiny_scenario, tmp_path / "c", seed=2))
    assert first["matrices"] == second["matrices"]
    assert first["matrices"]["mpjpe"] != other["matrices"]["mpjpe"]


def test_interrupt_then_resume_equals_an_uninterrupted_run(tiny_scenario: str, tmp_path: Path) -> None:
    whole = run(_config(tiny_scenario, tmp_path / "whole"))
    with pytest.raises(KeyboardInterrupt):
        run(_config(tiny_scenario, tmp_path / "cut", plugins=[_InterruptAt(2)]))
    partial = load_record(tmp_path / "cut")
    assert partial["status"] == "interrupted" and partial["completed_domains"] == 2
    assert partial["summary"] is None and len(partial["matrices"]["mpjpe"]) == 2
    assert partial["matrices"]["mpjpe"] == whole["matrices"]["mpjpe"][:2]
    assert "after 1: d1" in matrix_table([partial]) and "no complete run" in summary_table([partial])

    resumed = run(_config(tiny_scenario, tmp_path / "cut", resume=True))
    assert resumed["status"] == "complete" and resumed["resumed"] == 1
    assert resumed["matrices"] == whole["matrices"]
    assert resumed["summary"] == whole["summary"]
    again = run(_config(tiny_scenario, tmp_path / "cut", resume=True))  # already complete: nothing to do
    assert again["matrices"] == whole["matrices"]


def test_checkpoints_are_plain_state_dicts(tiny_scenario: str, tmp_path: Path) -> None:
    run(_config(tiny_scenario, tmp_path / "run"))
    state = load_checkpoint(tmp_path / "run", 1)
    assert set(state) == {"model", "plugins", "extra"}
    assert all(isinstance(value, torch.Tensor) for value in state["model"].values())
    with pytest.raises(FileNotFoundError, match=r"domain-07\.pt is missing"):
        load_checkpoint(tmp_path / "run", 7)


def test_an_existing_run_is_never_overwritten(tiny_scenario: str, tmp_path: Path) -> None:
    run(_config(tiny_scenario, tmp_path / "run"))
    before = (tmp_path / "run" / "result.json").read_text()
    with pytest.raises(ValueError, match=r"already holds a run \(complete after 3 of 3 domains\); pass --resume"):
        run(_config(tiny_scenario, tmp_path / "run"))
    assert (tmp_path / "run" / "result.json").read_text() == before


def test_resume_refuses_another_run(tiny_scenario: str, tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        run(_config(tiny_scenario, tmp_path / "run", plugins=[_InterruptAt(1)]))
    before = (tmp_path / "run" / "result.json").read_text()
    with pytest.raises(
        ValueError, match=r'different run \(strategy.id: folder has "oracle-v0", asked "source_only-v0"'
    ):
        run(_config(tiny_scenario, tmp_path / "run", strategy="source_only", resume=True))
    with pytest.raises(ValueError, match=r"seed: folder has 0, asked 3"):
        run(_config(tiny_scenario, tmp_path / "run", seed=3, resume=True))
    with pytest.raises(ValueError, match="Nothing to resume"):
        run(_config(tiny_scenario, tmp_path / "elsewhere", resume=True))
    assert (tmp_path / "run" / "result.json").read_text() == before


def test_unwritable_out_is_a_clear_error(tiny_scenario: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ValueError, match="is not a folder"):
        run(_config(tiny_scenario, blocker))
    with pytest.raises(ValueError, match="Cannot write to --out"):
        run(_config(tiny_scenario, blocker / "run"))


def test_devices() -> None:
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="Unknown device 'tpu'"):
        resolve_device("tpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda") == "cuda"
    else:
        with pytest.raises(ValueError, match="asked for a GPU but torch sees none"):
            resolve_device("cuda")


def _valid_record(tiny_scenario: str, tmp_path: Path) -> dict[str, Any]:
    return json.loads(json.dumps(run(_config(tiny_scenario, tmp_path / "run", strategy="source_only"))))


def test_bad_records_are_refused_loudly(tiny_scenario: str, tmp_path: Path) -> None:
    good = _valid_record(tiny_scenario, tmp_path)
    validate_record(copy.deepcopy(good))
    missing = copy.deepcopy(good)
    del missing["seed"]
    with pytest.raises(RecordError, match="'seed' is a required property"):
        validate_record(missing)
    short = copy.deepcopy(good)
    short["matrices"]["pck"][1] = short["matrices"]["pck"][1][:2]
    with pytest.raises(RecordError, match="matrix 'pck' must be 3x3"):
        validate_record(short)
    no_summary = copy.deepcopy(good)
    no_summary["summary"] = None
    with pytest.raises(RecordError, match="complete record needs a summary"):
        validate_record(no_summary)
    wrong_type = copy.deepcopy(good)
    wrong_type["matrices"]["mpjpe"][0][0] = "52"
    with pytest.raises(RecordError, match="matrices/mpjpe/0/0"):
        validate_record(wrong_type)
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(RecordError, match="not valid JSON"):
        load_record(path)
    with pytest.raises(FileNotFoundError, match="No run record"):
        load_record(tmp_path / "nowhere")


def test_tables_show_mean_and_std_over_seeds(tiny_scenario: str, tmp_path: Path) -> None:
    first = _valid_record(tiny_scenario, tmp_path)
    second = copy.deepcopy(first)
    second["seed"] = 1
    second["matrices"]["mpjpe"] = [[v + 2.0 for v in row] for row in first["matrices"]["mpjpe"]]
    value = first["matrices"]["mpjpe"][0][0]
    # mean of v and v + 2 is v + 1; the sample std of two values 2 apart is sqrt(2) = 1.4
    assert f"{value + 1:.1f} ± 1.4" in matrix_table([first, second])
    assert "n=2" in summary_table([first, second])


def test_interrupt_while_saving_a_checkpoint_keeps_the_record_consistent(
    tiny_scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lifelong_pose.runner.run as runner

    whole = run(_config(tiny_scenario, tmp_path / "whole"))
    real_save = runner.save_checkpoint

    def save_then_interrupt(out: Path, index: int, state: dict) -> Path:
        if index == 1:
            raise KeyboardInterrupt
        return real_save(out, index, state)

    monkeypatch.setattr(runner, "save_checkpoint", save_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        run(_config(tiny_scenario, tmp_path / "cut"))
    partial = load_record(tmp_path / "cut")
    assert partial["status"] == "interrupted" and partial["completed_domains"] == 1
    assert len(partial["matrices"]["mpjpe"]) == 1 and len(partial["timing"]["domains"]) == 1
    monkeypatch.setattr(runner, "save_checkpoint", real_save)
    assert run(_config(tiny_scenario, tmp_path / "cut", resume=True))["matrices"] == whole["matrices"]


def test_a_corrupt_checkpoint_is_set_aside_and_its_domain_retrained(tiny_scenario: str, tmp_path: Path) -> None:
    from lifelong_pose.runner.checkpoint import checkpoint_path

    whole = run(_config(tiny_scenario, tmp_path / "whole"))
    with pytest.raises(KeyboardInterrupt):
        run(_config(tiny_scenario, tmp_path / "cut", plugins=[_InterruptAt(2)]))
    last = checkpoint_path(tmp_path / "cut", 1)
    original = last.read_bytes()
    last.write_bytes(original[: len(original) // 3])  # truncated, as a crash mid-copy leaves it
    with pytest.warns(
        UserWarning, match=rf"{last.name} cannot be read .* set aside as {last.name}.corrupt-0, domain 1"
    ):
        resumed = run(_config(tiny_scenario, tmp_path / "cut", resume=True))
    assert resumed["status"] == "complete" and resumed["matrices"] == whole["matrices"]
    assert last.with_name(f"{last.name}.corrupt-0").read_bytes() == original[: len(original) // 3]  # kept


class _Diverge(SupervisedPlugin):
    """Breaks the lifter after the source, as a diverging adaptation would."""

    def after_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == 1:
            with torch.no_grad():
                for parameter in strategy.model.parameters():
                    parameter.fill_(float("nan"))


def test_a_diverged_strategy_fails_with_a_clear_error_and_a_valid_record(tiny_scenario: str, tmp_path: Path) -> None:
    with pytest.raises(FloatingPointError, match="non-finite poses on test domain 0: training diverged"):
        run(_config(tiny_scenario, tmp_path / "run", plugins=[_Diverge()]))
    record = load_record(tmp_path / "run")
    assert record["status"] == "failed" and record["completed_domains"] == 1
    assert "diverged" in record["error"]


class _Explode(SupervisedPlugin):
    """Moves the lifter's output 5 km after the source (finite, but no pose), as a huge learning rate would."""

    def after_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == 1:
            strategy.model.register_forward_hook(lambda module, inputs, output: output + 5000.0)


def test_poses_out_of_any_sane_range_fail_the_run(tiny_scenario: str, tmp_path: Path) -> None:
    with pytest.raises(FloatingPointError, match=r"predicted a joint .* m from the root .* training diverged"):
        run(_config(tiny_scenario, tmp_path / "run", plugins=[_Explode()]))
    record = load_record(tmp_path / "run")
    assert record["status"] == "failed" and record["completed_domains"] == 1


def test_a_non_finite_loss_fails_the_run_naming_the_term(tiny_scenario: str, tmp_path: Path) -> None:
    from lifelong_pose.cli.main import main

    strategy = tmp_path / "inf_loss.py"
    strategy.write_text(
        "import torch\n"
        "from lifelong_pose.training import LifelongStrategy\n\n"
        "class InfLoss(LifelongStrategy):\n"
        "    def supervised_loss(self, batch, output):\n"
        "        return super().supervised_loss(batch, output) * float('inf')\n"
    )
    argv = ["run", "--scenario", tiny_scenario, "--strategy", f"{strategy}:InfLoss", "--out", str(tmp_path / "run")]
    assert main([*argv, "--epochs", "1", "--quiet", "--no-report", "--device", "cpu", "--no-cache"]) == 2
    record = load_record(tmp_path / "run" / "seed-0")
    assert record["status"] == "failed" and "loss lifter was not finite" in record["error"]


class _Crash(SupervisedPlugin):
    """Raises inside the first target's training, as a strategy's own bug would."""

    def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == 1:
            raise ValueError("a source pose has no extent")


def test_a_strategy_error_marks_the_record_failed_with_the_error(tiny_scenario: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no extent"):
        run(_config(tiny_scenario, tmp_path / "run", plugins=[_Crash()]))
    record = load_record(tmp_path / "run")
    assert record["status"] == "failed" and record["completed_domains"] == 1
    assert record["error"] == "ValueError: a source pose has no extent"
    assert len(record["matrices"]["mpjpe"]) == 1


def test_records_from_before_protocols_still_resume(tiny_scenario: str, tmp_path: Path) -> None:
    """A record without ``data.protocols`` and ``evaluation`` (older versions) is the inductive,
    unflipped run it was; asking for a flipped run is refused."""
    import json

    from lifelong_pose.runner.run import RunConfig, run

    config = RunConfig(tiny_scenario, "source_only", tmp_path, progress=False, report=False, options={"epochs": 1})
    first = run(config)
    path = tmp_path / "result.json"
    old = json.loads(path.read_text())
    del old["data"]["protocols"], old["evaluation"]
    path.write_text(json.dumps(old))
    again = run(RunConfig(**{**config.__dict__, "resume": True}))
    assert again["matrices"] == first["matrices"]
    with pytest.raises(ValueError, match=r"evaluation\.test_flip: folder has false, asked true"):
        run(RunConfig(**{**config.__dict__, "resume": True, "test_flip": True}))


def test_a_complete_run_cut_while_plotting_gets_its_report_on_resume(tiny_scenario: str, tmp_path: Path) -> None:
    run(_config(tiny_scenario, tmp_path / "run"))
    assert not (tmp_path / "run" / "report.md").exists()
    run(_config(tiny_scenario, tmp_path / "run", resume=True, report=True))
    assert (tmp_path / "run" / "report.md").exists()


def test_a_temporal_lifter_runs_end_to_end(tiny_scenario: str, tmp_path: Path) -> None:
    options = {"epochs": 1, "adapt_epochs": 1, "batch_size": 8, "lifter": "videopose", "receptive_field": 27}
    record = run(_config(tiny_scenario, tmp_path / "run", options=options))
    assert record["strategy"]["params"]["lifter"] == "videopose"
    assert record["strategy"]["params"]["receptive_field"] == 27
    assert record["status"] == "complete" and len(record["matrices"]["mpjpe"]) == 3


def test_lifter_after_rebuilds_the_recorded_lifter_and_its_error(tiny_scenario: str, tmp_path: Path) -> None:
    """An analysis of a finished run gets the lifter each domain left, as the runner tested it."""
    import lifelong_pose as lp
    from lifelong_pose.runner.checkpoint import lifter_after

    record = run(_config(tiny_scenario, tmp_path / "run"))
    scenario = lp.make(tiny_scenario)
    for domain in range(3):
        model = lifter_after(tmp_path / "run", record, domain)
        assert not model.training
        saved = load_checkpoint(tmp_path / "run", domain)["model"]
        assert all(torch.equal(model.state_dict()[key], value) for key, value in saved.items())
        test = scenario.test_data(domain)
        with torch.no_grad():
            predicted = model(test.x2d[test.window_indices(model.receptive_field)])
        error_mm = 1000.0 * float((predicted - test.X3d).norm(dim=-1).mean())
        assert error_mm == pytest.approx(record["matrices"]["mpjpe"][domain][domain], rel=1e-4)
    with pytest.raises(FileNotFoundError, match=r"domain-03\.pt is missing"):
        lifter_after(tmp_path / "run", record, 3)


def test_a_run_failing_before_its_first_record_leaves_no_folder(
    tiny_scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lifelong_pose.runner.run as runner

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the benchmark could not be built")

    monkeypatch.setattr(runner.RunRecord, "new", broken)
    with pytest.raises(RuntimeError, match="could not be built"):
        run(_config(tiny_scenario, tmp_path / "runs" / "x" / "seed-0"))
    assert not (tmp_path / "runs").exists()
