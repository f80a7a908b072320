"""The conformance checkers: built-ins pass, and each planted defect fails the check named for it."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import torch

import lifelong_pose as lp
from lifelong_pose.checks import CheckResult, ConformanceError, assert_all_pass, check_scenario, check_strategy
from lifelong_pose.cli.main import main
from lifelong_pose.data import DomainData, PoseBatch
from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.training import LifelongStrategy
from lifelong_pose.training.normalisation import statistics_layers

STRATEGY_IDS = [spec.id for spec in lp.strategy_registry.all()]


def _results(strategy: str | type) -> dict[str, CheckResult]:
    return {result.name: result for result in check_strategy(strategy)}


class _Teacher(LifelongStrategy):
    """A well-behaved base for the planted defects: self-training towards a frozen copy of the lifter."""

    def on_target_start(self, data: DomainData) -> None:
        self.teacher = copy.deepcopy(self.model).eval().requires_grad_(False)

    def adaptation_loss(self, batch: PoseBatch, output: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            label = self.teacher(batch.x2d)
        return mpjpe(output, label * 1.01).mean()


class ReadsTarget3D(_Teacher):
    """Keeps each test split it is evaluated on, and trains on the current target's, 3D included."""

    def make_eval_dataloader(self, **kwargs: object) -> None:
        super().make_eval_dataloader(**kwargs)
        assert self.experience is not None
        self.peeked = {**getattr(self, "peeked", {}), self.experience.current_experience: self.experience.tensors}

    def adaptation_batch(self, batch: PoseBatch, *, update: bool) -> PoseBatch:
        test = self.peeked[self.domain.index]
        pick = torch.randint(len(test), (len(batch),), generator=self._generator)
        windows = test.window_indices(self.params.receptive_field)[pick]
        return PoseBatch(test.x2d[windows], test.intrinsics[pick], test.X3d[pick])


class UnseededNoise(_Teacher):
    """Shakes the lifter with noise from a generator seeded by the clock: no two runs agree."""

    def on_target_start(self, data: DomainData) -> None:
        super().on_target_start(data)
        clock = torch.Generator().manual_seed(time.perf_counter_ns())
        with torch.no_grad():
            for parameter in self.model.parameters():
                parameter.add_(torch.randn(parameter.shape, generator=clock) * 1e-3)


class NaNLoss(_Teacher):
    def adaptation_loss(self, batch: PoseBatch, output: torch.Tensor) -> torch.Tensor:
        return super().adaptation_loss(batch, output) * float("nan")


class ForgetsState(_Teacher):
    """Counts the targets it has seen and weighs its loss by the count, but never declares the count."""

    def on_target_start(self, data: DomainData) -> None:
        super().on_target_start(data)
        self.targets_seen = getattr(self, "targets_seen", 0) + 1

    def adaptation_loss(self, batch: PoseBatch, output: torch.Tensor) -> torch.Tensor:
        return super().adaptation_loss(batch, output) * self.targets_seen


class ClaimsNoTargetData(_Teacher):
    """Self-trains on every target but declares that it uses no target data."""

    uses_target_data = False


class KeepsItsState(ForgetsState):
    """The same, with the count declared: the checkpoint then carries it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.targets_seen = 0
        self.keep("targets_seen")


@pytest.mark.parametrize("strategy_id", STRATEGY_IDS, ids=STRATEGY_IDS)
def test_every_built_in_strategy_passes_its_checks(strategy_id: str) -> None:
    results = assert_all_pass(check_strategy(strategy_id))
    assert [r.name for r in results] == [
        "options_validate",
        "resolved_defaults",
        "declares_resources",
        "never_changes_test_data",
        "runs_end_to_end",
        "losses_are_finite",
        "same_seed_same_matrix",
        "never_reads_target_3d",
        "never_uses_target_data",
        "checkpoint_round_trip",
        "normalisation_controls",
    ]
    skipped = {r.name: r.detail for r in results if r.status == "skip"}
    strategy = lp.strategy_registry.make(strategy_id, context=_context())
    expected = {}
    if strategy.reads_target_3d:
        expected["never_reads_target_3d"] = "declares reads_target_3d (a reference, never ranked)"
    if strategy.uses_target_data:
        expected["never_uses_target_data"] = "declares uses_target_data (it adapts to targets)"
    if not statistics_layers(strategy.model):
        expected["normalisation_controls"] = (
            f"the {strategy.params.lifter} lifter has no BatchNorm layer: bn is a no-op (its records say so)"
        )
    assert skipped == expected


def _context() -> object:
    from lifelong_pose.training import RunContext

    return RunContext(num_joints=17, layout="h36m17", profile="tiny")


@pytest.mark.parametrize(
    ("strategy", "check", "says"),
    [
        (ReadsTarget3D, "never_reads_target_3d", "reads target 3D"),
        (UnseededNoise, "same_seed_same_matrix", "a second run gave a different mpjpe matrix"),
        (NaNLoss, "losses_are_finite", "is not finite on domain 1"),
        (ForgetsState, "checkpoint_round_trip", "missing from state_dict"),
        (ClaimsNoTargetData, "never_uses_target_data", "depends on the targets' 2D"),
    ],
    ids=["reads-target-3d", "unseeded", "nan-loss", "lost-state", "uses-target-data"],
)
def test_a_planted_defect_fails_the_check_named_for_it(strategy: type, check: str, says: str) -> None:
    results = _results(strategy)
    assert results[check].status == "fail", results[check]
    assert says in results[check].detail
    assert results["options_validate"].status == "pass" and results["declares_resources"].status == "pass"


def test_the_defects_own_correct_twins_pass() -> None:
    assert_all_pass(check_strategy(_Teacher))
    assert_all_pass(check_strategy(KeepsItsState))


def test_assert_all_pass_lists_every_failure() -> None:
    results = [CheckResult("a", "pass"), CheckResult("b", "fail", "why"), CheckResult("c", "skip", "declared")]
    with pytest.raises(ConformanceError, match=r"^FAIL b: why$"):
        assert_all_pass(results)
    assert [r.line() for r in results] == ["PASS a", "FAIL b: why", "SKIP c: declared"]


def test_an_unknown_strategy_is_an_error_before_any_check() -> None:
    with pytest.raises(KeyError, match="Did you mean 'poseda'"):
        next(check_strategy("posedaa"))


def test_a_scenario_passes_its_checks(tiny_scenario: str) -> None:
    results = assert_all_pass(check_scenario(tiny_scenario))
    assert {r.status for r in results} == {"pass"} and len(results) == 6


def test_a_scenario_whose_definition_draws_unseeded_numbers_fails(temporary_scenario_id: str) -> None:
    lp.register(f"{temporary_scenario_id}-v0", "test_checks:unseeded_stream")
    results = {r.name: r for r in check_scenario(f"{temporary_scenario_id}-v0")}
    assert results["builds"].status == "pass" and results["targets_expose_no_3d"].status == "pass"
    assert results["same_seed_same_data"].status == "fail"
    assert "differs between two builds with the same seed" in results["same_seed_same_data"].detail


def unseeded_stream(profile: str = "quick") -> object:
    """The tiny stream with body sizes drawn from an unseeded generator (a broken stream definition)."""
    import dataclasses
    import random

    from lifelong_pose.checks.tiny import tiny_stream

    stream = tiny_stream(profile)
    domains = tuple(
        dataclasses.replace(d, bodies=dataclasses.replace(d.bodies, height_mean=0.8 + random.random() * 0.4))
        for d in stream.domains
    )
    return dataclasses.replace(stream, domains=domains)


def test_cli_prints_a_line_per_check_and_exits_by_the_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = tmp_path / "defects.py"
    plugin.write_text(Path(__file__).read_text())
    assert main(["check", "strategy", f"{plugin}:NaNLoss"]) == 1
    out = capsys.readouterr().out
    assert "PASS options_validate" in out and "FAIL losses_are_finite: " in out and "check(s) failed" in out
    assert main(["check", "strategy", "source_only"]) == 0
    assert "source_only: all checks passed" in capsys.readouterr().out
    assert main(["check", "scenario", "no_such_stream"]) == 2
