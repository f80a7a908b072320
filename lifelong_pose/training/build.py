"""Building strategies from the registry: options checked against the strategy's ``Params``.

``strategy_registry.make(id, context=RunContext(...), plugins=[...], evaluator=..., **options)``
lands here. Defaults are layered: the ``Params`` dataclass, then the strategy's profile defaults,
then the registered spec's kwargs, then ``options``; names and types are checked first so a typo
fails with a suggestion before any model is built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lifelong_pose.registry.loading import check_kwargs, load_entry_point
from lifelong_pose.registry.specs import StrategySpec
from lifelong_pose.training.params import BUDGETS, check_one_budget
from lifelong_pose.training.strategy import LifelongStrategy, RunContext


def build_strategy(spec: StrategySpec, target: Any, overrides: dict[str, Any]) -> LifelongStrategy:
    """Registry builder for strategies.

    Raises:
        TypeError: no ``context``, an entry point that is not a :class:`LifelongStrategy`
            subclass, an unknown option (with suggestions) or one of the wrong type.
        ValueError: an option out of range (from the ``Params`` dataclass), or a budget given both
            in steps and in epochs (epochs would silently win over the steps the record shows).
    """
    context = overrides.pop("context", None)
    plugins = overrides.pop("plugins", ())
    evaluator = overrides.pop("evaluator", None)
    if not isinstance(context, RunContext):
        raise TypeError(f"Building strategy {spec.id!r} needs context=RunContext(...), got {context!r}")
    if not (isinstance(target, type) and issubclass(target, LifelongStrategy)):
        raise TypeError(
            f"Entry point {spec.entry_point!r} of strategy {spec.id!r} must be a LifelongStrategy subclass "
            f"(lifelong_pose.training.LifelongStrategy), got {target!r}"
        )
    params = strategy_params(spec, target, context.profile, overrides)
    strategy = target(context=context, params=params, plugins=plugins, evaluator=evaluator)
    strategy.spec = spec.with_overrides(**overrides)
    return strategy


def strategy_params(spec: StrategySpec, target: Any, profile: str, overrides: Mapping[str, Any]) -> Any:
    """The ``Params`` of strategy class ``target`` built from ``spec`` with ``overrides``, for ``profile``.

    Defaults are layered (the dataclass, the profile's, the spec's kwargs, then ``overrides``); a
    budget ``overrides`` gives in steps replaces a default one in epochs (``--profile paper
    --steps 100`` trains 100 steps, as its record says). The sweep checks each row with it before
    any worker starts.

    Raises:
        TypeError: an unknown option (with suggestions) or one of the wrong type.
        ValueError: an option out of range, or a budget given both in steps and in epochs.
    """
    check_one_budget(overrides)
    options = {**target.profile_options(profile), **spec.kwargs, **overrides}
    for steps, epochs, _ in BUDGETS:
        if overrides.get(steps) is not None and epochs not in overrides and options.get(epochs) is not None:
            options[epochs] = None
    if "lr_warmup_steps" not in overrides:
        warmup = _warmup_for_budget(target, {**target.profile_options(profile), **spec.kwargs}, overrides)
        if warmup is not None:
            options["lr_warmup_steps"] = warmup
    check_kwargs(target.Params, options, f"Strategy {spec.id!r}")
    return target.Params(**options)


def _warmup_for_budget(target: Any, layered: Mapping[str, Any], overrides: Mapping[str, Any]) -> int | None:
    """A default warm-up scaled to a shorter budget the user gave, or None where it fits as it is.

    Why: a default warm-up belongs to the default budget (DAK-Pose warms up 200 of its 8000 steps);
    ``--steps 100`` asks for a shorter run, not for a warm-up longer than the run, which would be
    refused. The warm-up keeps its share of the budget (rounded down; 0 below one step) and the
    record shows the value used. A warm-up the user sets is never changed (a conflict is refused).
    """
    from dataclasses import MISSING, fields

    defaults = {f.name: f.default for f in fields(target.Params) if f.default is not MISSING} | dict(layered)
    warmup = defaults.get("lr_warmup_steps") or 0
    scaled = []
    for steps, _, _ in BUDGETS:
        given, default = overrides.get(steps), defaults.get(steps)
        if isinstance(given, int) and isinstance(default, int) and default > 0 and 0 < given <= warmup:
            scaled.append(min(warmup * given // default, given - 1))
    return min(scaled) if scaled else None


def strategy_spec_for(id_or_entry_point: str) -> StrategySpec:
    """The spec for a registered id, or a one-off spec for ``module:Class`` / ``file.py:Class``.

    Raises:
        RegistryError: an unknown id (with suggestions).
        ImportError: an entry point that cannot be loaded.
    """
    from lifelong_pose.registry import strategy_registry

    if ":" not in id_or_entry_point:
        return strategy_registry.spec(id_or_entry_point)
    target = load_entry_point(id_or_entry_point)  # fail now, naming the entry point
    name = getattr(target, "__name__", "plugin")
    return StrategySpec(id=name, entry_point=id_or_entry_point, description=f"loaded from {id_or_entry_point}")


def make_strategy(id_or_entry_point: str, **overrides: Any) -> LifelongStrategy:
    """``strategy_registry.make`` that also accepts ``module:Class`` and ``file.py:Class``."""
    spec = strategy_spec_for(id_or_entry_point)
    return build_strategy(spec, load_entry_point(spec.entry_point), dict(overrides))


def make_plugins(ids: Sequence[str], options: Mapping[str, Mapping[str, Any]] | None = None) -> list[Any]:
    """Build the plugins ``ids`` (``ema``, ``replay-v0``, ...) with ``options`` keyed by plugin name.

    Raises:
        RegistryError: an unknown plugin (with suggestions).
        ValueError: a plugin given twice, or options for a plugin not in ``ids``.
        TypeError: an unknown option (with suggestions) or one of the wrong type.
    """
    from lifelong_pose.registry import parse_id, plugin_registry

    options = dict(options or {})
    names = [parse_id(plugin_id).base for plugin_id in ids]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"Plugin {', '.join(map(repr, repeated))} given twice; give each plugin once")
    stray = sorted(set(options) - set(names))
    if stray:
        raise ValueError(f"Options for {', '.join(map(repr, stray))}, which is not among the plugins {names}")
    return [
        plugin_registry.make(plugin_id, **options.get(name, {})) for plugin_id, name in zip(ids, names, strict=True)
    ]
