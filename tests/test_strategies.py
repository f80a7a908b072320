"""Every registered strategy through the runner on a tiny stream: records, and composition with every plugin.

The strategy contract itself (end to end, same seed same matrix, no target 3D, checkpoints) is
``lifelong_pose.checks.check_strategy``'s, tested in ``test_checks.py``; here the runner's side.
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


def _entry_point(strategy_id: str) -> Any:
    from lifelong_pose.registry.loading import load_entry_point
    from lifelong_pose.training.build import strategy_spec_for

    return load_entry_point(strategy_spec_for(strategy_id).entry_point)


def _fast_options(strategy_id: str) -> dict[str, Any]:
    """The strategy's tiny profile (the conformance checks'): no option is named here."""
    return _entry_point(strategy_id).profile_options("tiny")


def _config(scenario: str, strategy_id: str, tmp_path: Path, **changes: Any) -> RunConfig:
    options = _fast_options(strategy_id)
    return RunConfig(
        scenario, strategy_id, tmp_path / "run", device="cpu", progress=False, report=False, options=options, **changes
    )


@pytest.mark.parametrize("strategy_id", STRATEGY_IDS, ids=STRATEGY_IDS)
def test_the_runner_gives_target_3d_and_marks_records_only_as_declared(
    strategy_id: str, tiny_scenario: str, tmp_path: Path
) -> None:
    watcher = _SeesTargets()
    first = run(_config(tiny_scenario, strategy_id, tmp_path, plugins=[watcher]))
    assert first["status"] == "complete"
    declared = first["strategy"]["reads_target_3d"]
    assert watcher.had_3d == {0: True, 1: declared, 2: declared}
    assert first["strategy"]["comparable"] == (not declared)
    assert first["resources"]["kept_bytes"] >= 0 and first["resources"]["parameters"] > 0
    assert lp.strategy_registry.spec(strategy_id).description  # listed with a description


@pytest.mark.parametrize("strategy_id", STRATEGY_IDS, ids=STRATEGY_IDS)
def test_every_plugin_composes_with_every_strategy(strategy_id: str, tiny_scenario: str, tmp_path: Path) -> None:
    strategy = _entry_point(strategy_id)
    # a plugin the strategy is built on (diffusion_replay's EMA) is its own; every other one composes
    own = {plugin.name for plugin in strategy.required_plugins(strategy.default_params("tiny"))}
    plugins = [spec.id for spec in lp.plugin_registry.all() if spec.name not in own]
    record = run(_config(tiny_scenario, strategy_id, tmp_path, plugin_ids=plugins))
    assert record["status"] == "complete"
    assert [p["id"] for p in record["plugins"]][: len(plugins)] == plugins
