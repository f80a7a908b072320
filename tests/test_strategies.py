"""Every registered strategy, run end to end on a tiny stream: the contract each one must keep.

Parametrised over the registry, so a strategy added later is checked without touching this file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from avalanche.core import SupervisedPlugin

import lifelong_pose as lp
from lifelong_pose.runner.run import RunConfig, run

STRATEGY_IDS = [spec.id for spec in lp.strategy_registry.all()]


class _SeesTargets(SupervisedPlugin):
    """Records, per training experience, whether its tensors held 3D."""

    def __init__(self) -> None:
        super().__init__()
        self.had_3d: dict[int, bool] = {}

    def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        self.had_3d[strategy.experience.current_experience] = strategy.experience.tensors.has_3d


def _fields(strategy_id: str) -> set[str]:
    from lifelong_pose.registry.loading import load_entry_point
    from lifelong_pose.training.build import strategy_spec_for

    return set(load_entry_point(strategy_spec_for(strategy_id).entry_point).Params.__dataclass_fields__)


def _fast_options(strategy_id: str) -> dict[str, Any]:
    fields = _fields(strategy_id)
    options: dict[str, Any] = {"epochs": 1, "batch_size": 8}
    small = {
        "adapt_epochs": 1,
        "sampler_train_steps": 20,
        "prior_filter": False,  # a 20-step sampler gives no plausible pose
        "sampler_width": 32,
        "diffusion_steps": 40,
        "sampler_steps": 4,
    }
    options |= {name: value for name, value in small.items() if name in fields}
    return options


@pytest.mark.parametrize("strategy_id", STRATEGY_IDS, ids=STRATEGY_IDS)
def test_runs_end_to_end_reproducibly_and_reads_target_3d_only_if_declared(
    strategy_id: str, tiny_scenario: str, tmp_path: Path
) -> None:
    watcher = _SeesTargets()
    records = [
        run(
            RunConfig(
                tiny_scenario,
                strategy_id,
                tmp_path / name,
                device="cpu",
                progress=False,
                report=False,
                options=_fast_options(strategy_id),
                plugins=plugins,
            )
        )
        for name, plugins in (("a", [watcher]), ("b", []))
    ]
    first, second = records
    assert first["status"] == "complete"
    assert first["matrices"] == second["matrices"]  # same seed, same numbers
    declared = first["strategy"]["reads_target_3d"]
    assert watcher.had_3d == {0: True, 1: declared, 2: declared}
    assert first["strategy"]["comparable"] == (not declared)
    assert first["resources"]["kept_bytes"] >= 0 and first["resources"]["parameters"] > 0
    assert lp.strategy_registry.spec(strategy_id).description  # listed with a description


@pytest.mark.parametrize("strategy_id", STRATEGY_IDS, ids=STRATEGY_IDS)
def test_every_plugin_composes_with_every_strategy(strategy_id: str, tiny_scenario: str, tmp_path: Path) -> None:
    plugins = [spec.id for spec in lp.plugin_registry.all()]
    options = _fast_options(strategy_id)
    if "ema" in _fields(strategy_id):
        options["ema"] = False  # a strategy's own EMA gives way to the ema plugin
    record = run(
        RunConfig(
            tiny_scenario,
            strategy_id,
            tmp_path / "run",
            device="cpu",
            progress=False,
            report=False,
            options=options,
            plugin_ids=plugins,
        )
    )
    assert record["status"] == "complete"
    assert [p["id"] for p in record["plugins"]] == plugins
