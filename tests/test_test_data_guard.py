"""Test splits a strategy cannot change: the runner refuses the run, check strategy names what it did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import lifelong_pose as lp
from lifelong_pose.checks import check_strategy
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.run import ChangedTestData, RunConfig, run
from lifelong_pose.training import AdaptationParams, LifelongStrategy


class ZeroesLabels(LifelongStrategy):
    """Adapts by nothing; zeroes the 3D of every test split it is tested on, in place, as it is tested."""

    Params = AdaptationParams

    def eval_dataset_adaptation(self, **kwargs: Any) -> None:
        super().eval_dataset_adaptation(**kwargs)
        assert self.experience.tensors.X3d is not None
        self.experience.tensors.X3d.zero_()

    def adaptation_loss(self, batch: Any, output: torch.Tensor) -> torch.Tensor:
        return (output * 0).sum()


class NudgesTwoD(LifelongStrategy):
    """Shifts the 2D of every test split it is tested on by 1e-3: a subtler write."""

    Params = AdaptationParams

    def eval_dataset_adaptation(self, **kwargs: Any) -> None:
        super().eval_dataset_adaptation(**kwargs)
        self.experience.tensors.x2d.add_(1e-3)

    def adaptation_loss(self, batch: Any, output: torch.Tensor) -> torch.Tensor:
        return (output * 0).sum()


def test_the_runner_refuses_a_run_that_zeroes_the_labels(tiny_scenario: str, tmp_path: Path) -> None:
    config = RunConfig(
        tiny_scenario,
        f"{__name__}:ZeroesLabels",
        tmp_path / "run",
        progress=False,
        report=False,
        options={"epochs": 1, "adapt_steps": 2, "batch_size": 8},
    )
    with pytest.raises(ChangedTestData, match=r"ZeroesLabels changed the test split of domain 0 \(d0: X3d\)"):
        run(config)
    record = load_record(tmp_path / "run")
    assert record["status"] == "failed" and "ChangedTestData" in record["error"]
    assert record["completed_domains"] == 0  # no row measured on rewritten labels is kept


@pytest.mark.parametrize(
    ("strategy", "changed"),
    [(ZeroesLabels, "domain 0 (X3d); domain 1 (X3d); domain 2 (X3d)"), (NudgesTwoD, "domain 0 (x2d); domain 1 (x2d)")],
)
def test_check_strategy_names_the_write_and_skips_what_it_would_spoil(strategy: type, changed: str) -> None:
    results = {result.name: result for result in check_strategy(strategy)}
    failed = results["never_changes_test_data"]
    assert failed.status == "fail" and f"the strategy wrote to test data: {changed}" in failed.detail
    assert results["never_reads_target_3d"].status == "skip"
    assert results["same_seed_same_matrix"].detail == "the run changed test data (see never_changes_test_data)"


def test_an_honest_strategy_leaves_every_split_as_it_was() -> None:
    results = {result.name: result for result in check_strategy("source_only")}
    assert results["never_changes_test_data"].status == "pass"


class TrainsOnTestLabels(LifelongStrategy):
    """Declares no target 3D, keeps the test splits it is tested on, and trains on their labels on each target."""

    Params = AdaptationParams

    def eval_dataset_adaptation(self, **kwargs: Any) -> None:
        super().eval_dataset_adaptation(**kwargs)
        self.__dict__.setdefault("stolen", {})[self.experience.tensors.name] = self.experience.tensors

    def adaptation_batch(self, batch: Any, *, update: bool) -> Any:
        from lifelong_pose.data import PoseBatch

        test = self.__dict__.get("stolen", {}).get(self.experience.domain.name)
        if test is None:  # the first steps of a target before anything was tested: nothing to take
            return batch
        size = len(batch)
        x2d = test.x2d[:size].unsqueeze(1).to(batch.x2d.device)
        return PoseBatch(x2d=x2d, intrinsics=batch.intrinsics[: len(x2d)], X3d=test.X3d[: len(x2d)].to(x2d.device))


def test_a_strategy_training_on_target_labels_is_recorded_as_reading_them(tiny_scenario: str, tmp_path: Path) -> None:
    """What the engine saw outweighs what the strategy declared: not comparable, with the count."""
    options = {"epochs": 1, "adapt_steps": 3, "batch_size": 8}
    config = RunConfig(tiny_scenario, f"{__name__}:TrainsOnTestLabels", tmp_path / "run", progress=False, report=False)
    record = run(RunConfig(**{**vars(config), "options": options}))
    strategy = record["strategy"]
    assert strategy["reads_target_3d"] is True and strategy["comparable"] is False
    tests = lp.make(tiny_scenario, data="sim", seed=0).avalanche_benchmark(1).test_stream
    sizes = [min(8, len(experience.tensors.X3d)) for experience in list(tests)[1:]]
    assert strategy["target_3d_seen"] == 3 * sum(sizes)  # every row of every step on both targets
    honest = run(
        RunConfig(
            tiny_scenario, "source_only", tmp_path / "honest", progress=False, report=False, options={"epochs": 1}
        )
    )
    assert honest["strategy"]["reads_target_3d"] is False and "target_3d_seen" not in honest["strategy"]


def test_target_labels_count_exact_rows_only() -> None:
    from lifelong_pose.runner.target_labels import TargetLabels

    labels = torch.randn(50, 17, 3)
    index = TargetLabels([labels[:30], labels[30:]])
    batch = torch.cat([labels[[3, 40, 7]], torch.randn(5, 17, 3), labels[[3]] + 1e-6])
    assert len(index) == 50 and index.count(batch) == 3
    assert index.count(torch.randn(4, 16, 3)) == 0  # another layout can hold no target pose
    assert TargetLabels([]).count(batch) == 0
    with pytest.raises(ValueError, match="different pose shapes"):
        TargetLabels([labels, torch.randn(3, 16, 3)])
