"""Gymnasium-style registries for scenarios and strategies.

Ids are ``[namespace/]name[-vN]``; an unversioned lookup resolves to the newest version. Entry
points are strings, imported only by ``make``. Built-ins register on first use, and third-party
packages declare entry points in the groups ``lifelong_pose.scenarios``, ``lifelong_pose.strategies``
and ``lifelong_pose.plugins`` (entry-point name = id, value = ``module:attr``). A broken plugin gives
a warning naming it; it never breaks the listing.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Any, Generic, TypeVar

from lifelong_pose.registry.ids import parse_id
from lifelong_pose.registry.loading import check_kwargs, load_entry_point
from lifelong_pose.registry.specs import BackendSpec, LifterSpec, PluginSpec, ScenarioSpec, Spec, StrategySpec

SpecT = TypeVar("SpecT", bound=Spec)


class RegistryError(KeyError):
    """An id that is unknown, or a version that does not exist.

    A KeyError subclass so ``except KeyError`` keeps working, with a readable message.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class PluginWarning(UserWarning):
    """A third-party entry point that could not be registered."""


class Registry(Generic[SpecT]):
    """Specs by id, with lazy built-ins and entry-point plugins.

    Args:
        spec_type: the spec class this registry holds.
        group: the entry-point group third parties declare.
        builtins_module: imported on first use; it registers the built-ins.
        builder: turns (spec, loaded entry point, kwargs) into the built object: a callable, or
            an entry-point string (``module:function``) imported on the first ``make``, so that the
            registry, the lowest layer, imports nothing above it. The default calls the entry
            point with the kwargs.
    """

    def __init__(
        self,
        spec_type: type[SpecT],
        group: str,
        builtins_module: str,
        builder: Callable[[SpecT, Any, dict[str, Any]], Any] | str | None = None,
    ) -> None:
        self._spec_type = spec_type
        self._group = group
        self._builtins_module = builtins_module
        self._builder = builder or _call_entry_point
        self._specs: dict[str, SpecT] = {}
        self._loaded = False
        self._loading = False

    @property
    def kind(self) -> str:
        return self._spec_type.kind

    def set_builder(self, builder: Callable[[SpecT, Any, dict[str, Any]], Any] | str) -> None:
        """Replace how ``make`` turns a loaded entry point into an object (a callable or ``module:function``)."""
        self._builder = builder

    # -- registration -------------------------------------------------------------------------
    def register(self, id: str, entry_point: str, *, description: str = "", **kwargs: Any) -> SpecT:
        """Register ``id`` with a lazy ``entry_point`` and default ``kwargs``.

        Extra spec fields (e.g. ``backends`` for scenarios) are passed as keyword arguments
        named like the field.

        Raises:
            ValueError: if the id is malformed or already registered.
        """
        spec_fields = {
            name: kwargs.pop(name)
            for name in list(kwargs)
            if name in self._spec_type.__dataclass_fields__ and name not in ("id", "entry_point", "kwargs")
        }
        spec = self._spec_type(id=id, entry_point=entry_point, kwargs=kwargs, description=description, **spec_fields)
        return self.add(spec)

    def add(self, spec: SpecT) -> SpecT:
        """Register an already-built spec (e.g. one read back from JSON)."""
        parsed = spec.parsed
        if spec.id in self._specs:
            raise ValueError(f"{self.kind} {spec.id!r} is already registered; register a new version instead")
        siblings = self._siblings(parsed.base)
        if parsed.version is None and any(s.version is not None for s in siblings):
            raise ValueError(f"{self.kind} {spec.id!r}: versioned ids of {parsed.base!r} exist; give a version")
        if parsed.version is not None and any(s.version is None for s in siblings):
            raise ValueError(f"{self.kind} {spec.id!r}: an unversioned {parsed.base!r} exists; cannot mix")
        self._specs[spec.id] = spec
        return spec

    def unregister(self, id: str) -> None:
        """Remove an exact id (tests use this to clean up temporary registrations)."""
        self._ensure_loaded()
        if id not in self._specs:
            raise self._unknown(id)
        del self._specs[id]

    # -- lookup ---------------------------------------------------------------------------------
    def spec(self, id: str) -> SpecT:
        """The spec for ``id``; ``name`` without a version resolves to the newest version.

        Raises:
            RegistryError: unknown id (with close matches and registered versions).
        """
        self._ensure_loaded()
        parsed = parse_id(id)
        if id in self._specs:
            return self._specs[id]
        siblings = self._siblings(parsed.base)
        if parsed.version is None and siblings:
            return max(siblings, key=lambda s: s.version or 0)
        raise self._unknown(id)

    def make(self, id: str, **overrides: Any) -> Any:
        """Build the object for ``id``; overrides are recorded on the built object's ``spec``."""
        spec = self.spec(id)
        target = load_entry_point(spec.entry_point)
        builder = load_entry_point(self._builder) if isinstance(self._builder, str) else self._builder
        return builder(spec, target, dict(overrides))

    def all(self) -> list[SpecT]:
        """Every registered spec, sorted by id."""
        self._ensure_loaded()
        return [self._specs[key] for key in sorted(self._specs)]

    def versions(self, base: str) -> list[int | None]:
        self._ensure_loaded()
        return sorted((s.version for s in self._siblings(base)), key=lambda v: -1 if v is None else v)

    def __contains__(self, id: object) -> bool:
        if not isinstance(id, str):
            return False
        try:
            self.spec(id)
        except (RegistryError, ValueError):
            return False
        return True

    def __iter__(self) -> Iterator[SpecT]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())

    # -- internals ----------------------------------------------------------------------------
    def _siblings(self, base: str) -> list[SpecT]:
        return [s for s in self._specs.values() if s.parsed.base == base]

    def _unknown(self, id: str) -> RegistryError:
        try:
            parsed = parse_id(id)
        except ValueError as error:
            return RegistryError(str(error))
        siblings = self._siblings(parsed.base)
        if siblings:
            versions = ", ".join(s.id for s in sorted(siblings, key=lambda s: s.version or 0))
            return RegistryError(
                f"{self.kind.capitalize()} {id!r} has no such version. Registered versions: {versions}"
            )
        bases = sorted({s.parsed.base for s in self._specs.values()})
        close = difflib.get_close_matches(parsed.base, bases, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        return RegistryError(f"Unknown {self.kind} {id!r}.{hint} Registered: {', '.join(bases) or 'none'}")

    def _ensure_loaded(self) -> None:
        if self._loaded or self._loading:
            return
        self._loading = True
        try:
            importlib.import_module(self._builtins_module)
            self._load_plugins()
            self._loaded = True
        finally:
            self._loading = False

    def _load_plugins(self) -> None:
        for entry in metadata.entry_points(group=self._group):
            try:
                if entry.name in self._specs:
                    continue
                self.add(
                    self._spec_type(id=entry.name, entry_point=entry.value, description=f"plugin from {entry.value}")
                )
            except Exception as error:  # a broken plugin must not break the listing
                warnings.warn(
                    f"Skipping {self.kind} plugin {entry.name!r} ({entry.value}): {error}", PluginWarning, stacklevel=2
                )


def _call_entry_point(spec: Spec, target: Any, overrides: dict[str, Any]) -> Any:
    kwargs = {**spec.kwargs, **overrides}
    check_kwargs(target, kwargs, f"{spec.kind} {spec.id!r}")
    built = target(**kwargs)
    with contextlib.suppress(AttributeError):  # objects with __slots__ carry no spec
        built.spec = spec.with_overrides(**overrides)
    return built


scenario_registry: Registry[ScenarioSpec] = Registry(
    ScenarioSpec,
    group="lifelong_pose.scenarios",
    builtins_module="lifelong_pose.scenarios",
    builder="lifelong_pose.scenario:build_scenario",
)

strategy_registry: Registry[StrategySpec] = Registry(
    StrategySpec,
    group="lifelong_pose.strategies",
    builtins_module="lifelong_pose.strategies",
    builder="lifelong_pose.training.build:build_strategy",
)

# Plugins are built by calling their class with the options (names and types checked first).
plugin_registry: Registry[PluginSpec] = Registry(
    PluginSpec, group="lifelong_pose.plugins", builtins_module="lifelong_pose.strategies.plugins"
)

# Lifters: the 2D-to-3D networks every strategy builds (``--set lifter=NAME``); built by
# ``lifelong_pose.models.build_lifter`` with the spec's per-profile sizes.
lifter_registry: Registry[LifterSpec] = Registry(
    LifterSpec,
    group="lifelong_pose.lifters",
    builtins_module="lifelong_pose.models.registered",
    builder="lifelong_pose.models.factory:build_registered_lifter",
)

# Data backends: the simulated world and the real datasets (``--data sim|real``), built with the
# scenario's seed and options.
data_backend_registry: Registry[BackendSpec] = Registry(
    BackendSpec, group="lifelong_pose.data_backends", builtins_module="lifelong_pose.data.backends"
)
