"""The engine's adaptation defaults keep a converged lifter where it is; the source's own rate does not.

A plugin strategy that sets no budget or rate inherits :class:`AdaptationParams`'s. On a tiny
stream, a strategy whose adaptation loss pulls the lifter toward its own predictions (a fixed
point: nothing to learn) adapts with those defaults and with the old ones (2000 steps restarting
at the source's 1e-2); the source's error after the first target shows which keeps the minimum.
The BatchNorm statistics are frozen (``bn=frozen``) in both: with ``bn=train`` they follow the
target whatever the rate, which is re-normalisation, not the step size measured here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import torch

from lifelong_pose.checks import check_strategy
from lifelong_pose.metrics import mpjpe
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training import AdaptationParams, LifelongStrategy


class HoldsStill(LifelongStrategy):
    """On each target, the lifter learns the predictions of a frozen copy of itself: its minimum is where it is."""

    Params = AdaptationParams

    def on_target_start(self, data: Any) -> None:
        super().on_target_start(data)
        self.teacher = copy.deepcopy(self.model).eval()

    def adaptation_loss(self, batch: Any, output: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self.teacher(batch.x2d)
        return mpjpe(output, target).mean()


def _source_drift(tiny_scenario: str, out: Path, **options: Any) -> float:
    """The source's error after the first target minus after the source (mm)."""
    config = RunConfig(
        tiny_scenario,
        f"{__name__}:HoldsStill",
        out,
        progress=False,
        report=False,
        cache=False,
        options={"steps": 1500, "batch_size": 64, "bn": "frozen", **options},
    )
    matrix = run(config)["matrices"]["mpjpe"]
    return matrix[1][0] - matrix[0][0]


def test_the_default_adaptation_keeps_a_converged_lifter_and_the_old_one_did_not(
    tiny_scenario: str, tmp_path: Path
) -> None:
    safe = _source_drift(tiny_scenario, tmp_path / "defaults")
    old = _source_drift(tiny_scenario, tmp_path / "old", adapt_steps=2000, adapt_lr=1e-2)
    assert AdaptationParams().adapt_steps == 500 and AdaptationParams().adapt_lr == 1e-4
    assert abs(safe) < 0.1 * old, (safe, old)  # measured: -4 mm against +362 mm


def test_check_strategy_reports_the_resolved_defaults() -> None:
    results = {result.name: result for result in check_strategy(HoldsStill)}
    line = results["resolved_defaults"].line()
    assert line.startswith("PASS resolved_defaults: quick: steps=8000 lr=0.01 adapt_steps=500 adapt_lr=0.0001")
    assert "note" not in line
    oracle = next(r for r in check_strategy("oracle") if r.name == "resolved_defaults")
    assert "paper adapts at the source's rate" in oracle.detail  # VideoPose3D's recipe on every target, said
