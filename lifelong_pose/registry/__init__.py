"""Versioned ids, frozen specs and the scenario and strategy registries."""

from lifelong_pose.registry.ids import ParsedId, parse_id
from lifelong_pose.registry.loading import check_kwargs, load_entry_point
from lifelong_pose.registry.registration import (
    PluginWarning,
    Registry,
    RegistryError,
    data_backend_registry,
    lifter_registry,
    plugin_registry,
    scenario_registry,
    strategy_registry,
)
from lifelong_pose.registry.specs import BackendSpec, LifterSpec, PluginSpec, ScenarioSpec, Spec, StrategySpec

__all__ = [
    "BackendSpec",
    "LifterSpec",
    "ParsedId",
    "PluginSpec",
    "PluginWarning",
    "Registry",
    "RegistryError",
    "ScenarioSpec",
    "Spec",
    "StrategySpec",
    "check_kwargs",
    "data_backend_registry",
    "lifter_registry",
    "load_entry_point",
    "parse_id",
    "plugin_registry",
    "scenario_registry",
    "strategy_registry",
]
