"""lifelong-pose: a benchmark suite for lifelong domain-adaptive 3D human pose estimation.

The top level stays light (no torch, no avalanche) so that ``lifelong-pose --help`` and the
registry listing are instant; heavy modules load when data or benchmarks are built.

    import lifelong_pose as lp
    scenario = lp.make("cross_dataset", data="sim", seed=0)
    scenario.benchmark.train_stream
"""

from __future__ import annotations

import warnings
from typing import Any

# Avalanche imports qpsolvers (for its GEM strategy), which warns at import that no QP solver is
# installed; nothing in this suite solves a QP, so the warning only tells a user something is wrong
# when nothing is. Third-party noise is filtered here, once; the suite's own warnings stay.
warnings.filterwarnings("ignore", message="no QP solver found", category=UserWarning, module="qpsolvers")

from lifelong_pose.registry import (  # noqa: E402  (the filter must precede any import of avalanche)
    LifterSpec,
    PluginSpec,
    RegistryError,
    ScenarioSpec,
    StrategySpec,
    lifter_registry,
    plugin_registry,
    scenario_registry,
    strategy_registry,
)

__version__ = "0.1.0"


def register(id: str, entry_point: str, *, description: str = "", **kwargs: Any) -> ScenarioSpec:
    """Register a scenario id (``name-vN``) whose entry point returns a ``StreamDefinition``."""
    return scenario_registry.register(id, entry_point, description=description, **kwargs)


def make(id: str, **overrides: Any) -> Any:
    """Build scenario ``id`` (``cross_dataset`` = newest version, ``cross_dataset-v0`` pinned).

    Common overrides: ``data`` (``sim``/``real``), ``seed``, ``profile`` (``quick``/``paper``),
    ``bvh_dir``; any other goes to the scenario's entry point and is type-checked.
    """
    return scenario_registry.make(id, **overrides)


def spec(id: str) -> ScenarioSpec:
    """The registered spec of scenario ``id``."""
    return scenario_registry.spec(id)


def register_strategy(id: str, entry_point: str, *, description: str = "", **kwargs: Any) -> StrategySpec:
    """Register a strategy id whose entry point is an Avalanche template class."""
    return strategy_registry.register(id, entry_point, description=description, **kwargs)


def register_plugin(id: str, entry_point: str, *, description: str = "", **kwargs: Any) -> PluginSpec:
    """Register a plugin id (``--plugin NAME``) whose entry point is a ``LifelongPlugin`` class."""
    return plugin_registry.register(id, entry_point, description=description, **kwargs)


def register_lifter(
    id: str, entry_point: str, *, profiles: dict[str, dict[str, Any]], description: str = "", **kwargs: Any
) -> LifterSpec:
    """Register a lifter (``--set lifter=NAME``): a ``lifelong_pose.models.Lifter`` class and its sizes per profile."""
    return lifter_registry.register(id, entry_point, description=description, profiles=profiles, **kwargs)


registry = scenario_registry

__all__ = [
    "LifterSpec",
    "PluginSpec",
    "RegistryError",
    "ScenarioSpec",
    "StrategySpec",
    "lifter_registry",
    "make",
    "plugin_registry",
    "register",
    "register_lifter",
    "register_plugin",
    "register_strategy",
    "registry",
    "scenario_registry",
    "spec",
    "strategy_registry",
]
