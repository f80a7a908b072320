"""Test splits a strategy cannot change: the runner refuses the run, check strategy names what it did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

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
