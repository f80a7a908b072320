"""Normalisation controls: AdaBN re-estimation, frozen statistics, the bn option, the adabn strategy."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_streams import SMALL_DIFFUSION_REPLAY
from torch import nn

from lifelong_pose.runner.checkpoint import load_checkpoint
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training.normalisation import (
    FrozenStatistics,
    normalisation_note,
    reestimate_statistics,
    statistics_keys,
    statistics_layers,
    statistics_shift,
)
from lifelong_pose.training.params import LifterParams

FAST = {"epochs": 2, "batch_size": 8}


def _mlp() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 2), nn.BatchNorm1d(2)
    )


def _batches(data: torch.Tensor, size: int) -> Any:
    return lambda: iter(data.split(size))


def test_adabn_sets_each_layer_to_the_exact_statistics_of_its_input_in_evaluation_mode() -> None:
    model = _mlp()
    data = torch.randn(10, 3) * 3 + 1
    count = reestimate_statistics(model, _batches(data, 3))
    assert count == 2
    first = model[0](data)
    assert torch.allclose(model[1].running_mean, first.mean(dim=0), atol=1e-6)
    assert torch.allclose(model[1].running_var, first.var(dim=0, unbiased=True), atol=1e-5)
    # the second layer's input: the first normalised with its new statistics, no dropout
    with torch.no_grad():
        second = model[4](torch.relu(model[1].eval()(first)))
    assert torch.allclose(model[5].running_mean, second.mean(dim=0), atol=1e-5)
    assert torch.allclose(model[5].running_var, second.var(dim=0, unbiased=True), atol=1e-5)
    assert model.training  # its mode is put back


def test_adabn_does_not_depend_on_the_batch_size_and_changes_no_parameter() -> None:
    data = torch.randn(17, 3)
    one, many = _mlp(), _mlp()
    parameters = [p.detach().clone() for p in one.parameters()]
    reestimate_statistics(one, _batches(data, 17))
    reestimate_statistics(many, _batches(data, 2))
    for key in statistics_keys(one):
        assert torch.allclose(one.state_dict()[key], many.state_dict()[key], atol=1e-5), key
    assert all(torch.equal(a, b) for a, b in zip(parameters, one.parameters(), strict=True))


class _Backwards(nn.Module):
    """Layers registered in the opposite order from the one they run in."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.late = nn.BatchNorm1d(2)
        self.project = nn.Linear(2, 2)
        self.early = nn.BatchNorm1d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.late(self.project(self.early(x)))


def test_adabn_follows_the_order_the_layers_run_in() -> None:
    model = _Backwards()
    data = torch.randn(12, 2) * torch.tensor([2.0, 0.5]) + torch.tensor([1.0, -3.0])
    reestimate_statistics(model, _batches(data, 5))
    with torch.no_grad():
        into_late = model.project(model.early.eval()(data))
    assert torch.allclose(model.early.running_mean, data.mean(dim=0), atol=1e-6)
    assert torch.allclose(model.late.running_mean, into_late.mean(dim=0), atol=1e-5)


def test_adabn_of_a_model_without_batchnorm_is_a_no_op_and_one_sample_is_refused() -> None:
    plain = nn.Sequential(nn.Linear(3, 3), nn.LayerNorm(3))
    assert reestimate_statistics(plain, _batches(torch.randn(4, 3), 2)) == 0
    with pytest.raises(ValueError, match="at least 2 samples"):
        reestimate_statistics(_mlp(), _batches(torch.randn(1, 3), 1))
    with pytest.raises(ValueError, match="at least one sample"):
        reestimate_statistics(_mlp(), lambda: iter([]))
    with pytest.raises(ValueError, match="at least 2 samples, got 0"):
        reestimate_statistics(_mlp(), _batches(torch.randn(0, 3), 1))


def test_frozen_statistics_survive_train_mode_until_released() -> None:
    model = _mlp()
    keys = statistics_keys(model)
    before = {key: model.state_dict()[key].clone() for key in keys}
    frozen = FrozenStatistics(model)
    model.train()
    model(torch.randn(8, 3) * 5)
    assert all(torch.equal(model.state_dict()[key], before[key]) for key in keys)
    frozen.release(training=True)
    assert all(layer.training for layer in statistics_layers(model))
    model(torch.randn(8, 3) * 5)
    assert not torch.equal(model.state_dict()[keys[0]], before[keys[0]])


def test_statistics_shift_against_hand_computed_values() -> None:
    before = [(torch.zeros(2), torch.ones(2) - 1e-5)]  # sigma 1 once the floor is added
    after = [(torch.tensor([1.0, -3.0]), torch.tensor([4.0, 1.0]) - 1e-5)]  # sigma 2 and 1
    shift = statistics_shift(before, after)
    assert shift is not None
    assert shift["mean"] == pytest.approx((1 + 3) / 2, abs=1e-6)
    assert shift["scale"] == pytest.approx((math.log(2) + 0) / 2, abs=1e-6)
    assert statistics_shift([], []) is None
    with pytest.raises(ValueError, match="2 and 1 layers"):
        statistics_shift(before * 2, after)


def test_the_note_says_when_a_control_does_nothing() -> None:
    assert normalisation_note("train", 0, trains_on_targets=True, lifter="x")["applies"]
    no_layers = normalisation_note("frozen", 0, trains_on_targets=True, lifter="dakpose")
    assert not no_layers["applies"] and no_layers["effect"].startswith("no-op: the dakpose lifter has no BatchNorm")
    never_trains = normalisation_note("frozen", 5, trains_on_targets=False, lifter="simple_baseline")
    assert not never_trains["applies"] and "never trains on a target" in never_trains["effect"]
    assert normalisation_note("adabn", 5, trains_on_targets=False, lifter="simple_baseline")["applies"]
    with pytest.raises(ValueError, match="bn must be one of train, frozen, adabn"):
        normalisation_note("sometimes", 5, trains_on_targets=True, lifter="x")


@pytest.mark.parametrize("value", ["sometimes", "FROZEN", None, 1])
def test_a_bad_bn_is_refused_naming_the_choices(value: Any) -> None:
    with pytest.raises(ValueError, match="bn must be one of train, frozen, adabn"):
        LifterParams(bn=value)


def test_source_only_and_adabn_refuse_each_others_mode() -> None:
    from lifelong_pose.strategies.baselines import AdaBNParams, SourceOnlyParams

    with pytest.raises(ValueError, match="that is the 'adabn' strategy"):
        SourceOnlyParams(bn="adabn")
    with pytest.raises(ValueError, match="bn=train is source_only"):
        AdaBNParams(bn="train")
    assert AdaBNParams().bn == "adabn"


def _config(scenario: str, out: Path, strategy: str, **options: Any) -> RunConfig:
    return RunConfig(
        scenario=scenario,
        strategy=strategy,
        out=out,
        progress=False,
        report=False,
        device="cpu",
        options={**FAST, **options},
    )


def _statistics_after(out: Path, domain: int) -> dict[str, torch.Tensor]:
    model = load_checkpoint(out, domain)["model"]
    return {key: value for key, value in model.items() if key.endswith(("running_mean", "running_var"))}


def _parameters_after(out: Path, domain: int) -> dict[str, torch.Tensor]:
    model = load_checkpoint(out, domain)["model"]
    return {key: value for key, value in model.items() if not key.endswith(("running_mean", "running_var", "_tracked"))}


def test_the_adabn_strategy_moves_statistics_never_weights(tiny_scenario: str, tmp_path: Path) -> None:
    record = run(_config(tiny_scenario, tmp_path / "adabn", "adabn"))
    source = _parameters_after(tmp_path / "adabn", 0)
    for domain in (1, 2):
        after = _parameters_after(tmp_path / "adabn", domain)
        assert all(torch.equal(after[key], source[key]) for key in source)
        moved = _statistics_after(tmp_path / "adabn", domain)
        assert any(not torch.equal(moved[key], _statistics_after(tmp_path / "adabn", 0)[key]) for key in moved)
    assert record["normalisation"]["bn"] == "adabn" and record["normalisation"]["applies"]
    assert record["resources"]["uses_target_data"] and record["resources"]["kept_bytes"] == 0
    assert record["strategy"]["params"]["bn"] == "adabn"
    diagnostics = record["diagnostics"]
    assert [d["name"] for d in diagnostics] == record["domains"] and diagnostics[0]["figures"] is None
    for entry in diagnostics[1:]:
        assert entry["figures"]["weight_change"] == 0.0
        assert entry["figures"]["statistics_shift"]["mean"] > 0


def test_adabn_on_cross_dataset_beats_not_adapting_on_the_3dpw_like_target(tmp_path: Path) -> None:
    """The suite's own stream, seed 0, a short source budget: re-estimated statistics alone
    lower the 3DPW-like error below the source lifter's (row 0 is source_only's) and no weight moves."""
    out = tmp_path / "adabn"
    config = RunConfig(
        scenario="cross_dataset", strategy="adabn", out=out, progress=False, report=False, options={"steps": 800}
    )
    record = run(config)
    pw = record["domains"].index("3dpw_like")
    R = record["matrices"]["mpjpe"]
    assert R[pw][pw] < R[0][pw] - 50  # 125 against 255 mm at this budget
    source = _parameters_after(out, 0)
    for domain in range(1, len(record["domains"])):
        assert all(torch.equal(_parameters_after(out, domain)[key], source[key]) for key in source)


@pytest.mark.parametrize("strategy", ["poseda", "diffusion_replay"])
def test_bn_frozen_keeps_the_source_statistics_and_adabn_starts_from_adabns(
    strategy: str, tiny_scenario: str, tmp_path: Path
) -> None:
    options: dict[str, Any] = {"adapt_steps": 4, **(SMALL_DIFFUSION_REPLAY if strategy == "diffusion_replay" else {})}
    frozen = run(_config(tiny_scenario, tmp_path / "frozen", strategy, bn="frozen", **options))
    assert frozen["normalisation"]["applies"] and frozen["strategy"]["params"]["bn"] == "frozen"
    source = _statistics_after(tmp_path / "frozen", 0)
    for domain in (1, 2):
        after = _statistics_after(tmp_path / "frozen", domain)
        assert all(torch.equal(after[key], source[key]) for key in source), f"statistics moved on domain {domain}"
    trained, source_weights = _parameters_after(tmp_path / "frozen", 1), _parameters_after(tmp_path / "frozen", 0)
    assert any(not torch.equal(trained[key], source_weights[key]) for key in trained)  # the method still learns
    # bn=adabn: the first target's statistics are the adabn strategy's (same source lifter, same split)
    run(_config(tiny_scenario, tmp_path / "adabn_method", strategy, bn="adabn", **options))
    run(_config(tiny_scenario, tmp_path / "adabn_only", "adabn"))
    method, control = _statistics_after(tmp_path / "adabn_method", 1), _statistics_after(tmp_path / "adabn_only", 1)
    if strategy == "poseda":  # diffusion_replay's EMA averages buffers equal at every step: the same bits
        assert all(torch.equal(method[key], control[key]) for key in control)
    else:
        assert all(torch.allclose(method[key], control[key]) for key in control)


def test_a_lifter_without_batchnorm_records_bn_as_a_no_op(tiny_scenario: str, tmp_path: Path) -> None:
    config = _config(tiny_scenario, tmp_path / "dak", "dakpose", bn="frozen", steps=4)
    config.options.pop("epochs")
    with pytest.warns(UserWarning, match="bn=frozen is a no-op: the dakpose lifter has no BatchNorm"):
        record = run(config)
    assert record["normalisation"] == {
        "bn": "frozen",
        "layers": 0,
        "applies": False,
        "effect": "no-op: the dakpose lifter has no BatchNorm layer (no running statistics to freeze or re-estimate)",
    }
    assert load_record(tmp_path / "dak")["normalisation"]["applies"] is False


PLUGIN_STRATEGY = """
import copy

import torch

from lifelong_pose.metrics import mpjpe
from lifelong_pose.training import LifelongStrategy


class TeacherStudent(LifelongStrategy):
    def on_target_start(self, data):
        self.teacher = copy.deepcopy(self.model).eval().requires_grad_(False)

    def adaptation_loss(self, batch, output):
        with torch.no_grad():
            label = self.teacher(batch.x2d)
        return mpjpe(output, label).mean()

    def on_target_end(self, data):
        self.teacher = None
"""


def test_a_plugin_strategy_inherits_bn_frozen_and_its_diagnostics(tiny_scenario: str, tmp_path: Path) -> None:
    """A file strategy that knows nothing of normalisation gets the control from the engine, and the
    run records what it did; BatchNorm in training mode would otherwise move on every target batch."""
    from lifelong_pose.cli.main import main

    plugin = tmp_path / "mine.py"
    plugin.write_text(PLUGIN_STRATEGY)
    out = tmp_path / "run"
    argv = ["run", "--scenario", tiny_scenario, "--strategy", f"{plugin}:TeacherStudent", "--out", str(out)]
    fast = ["--epochs", "2", "--adapt-epochs", "1", "--set", "batch_size=8", "--quiet", "--device", "cpu"]
    assert main([*argv, *fast, "--set", "bn=frozen"]) == 0
    record = load_record(out / "seed-0")
    assert record["strategy"]["params"]["bn"] == "frozen" and record["normalisation"]["applies"]
    source = _statistics_after(out / "seed-0", 0)
    for domain in (1, 2):
        after = _statistics_after(out / "seed-0", domain)
        assert all(torch.equal(after[key], source[key]) for key in source)
        assert record["diagnostics"][domain]["figures"]["statistics_shift"] == {"mean": 0.0, "scale": 0.0}
        assert record["diagnostics"][domain]["figures"]["weight_change"] > 0
    assert "## What the lifter learned on each target" in (out / "seed-0" / "report.md").read_text()
    # the same strategy with bn=train moves the statistics: the control is what froze them
    assert main([*argv[:-1], str(tmp_path / "train"), *fast]) == 0
    moved = _statistics_after(tmp_path / "train" / "seed-0", 1)
    assert any(not torch.equal(moved[key], source[key]) for key in source)
