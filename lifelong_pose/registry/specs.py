"""Frozen, JSON-round-tripping specs for what the registry builds.

A spec says *how to build* a thing (an entry point and its default keyword arguments), not the
thing itself, so listing the registry never imports torch or avalanche (STYLE.md rule 1).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, ClassVar, Self

from lifelong_pose.registry.ids import ParsedId, parse_id


@dataclass(frozen=True)
class Spec:
    """Common part of scenario and strategy specs.

    Attributes:
        id: ``[namespace/]name[-vN]``.
        entry_point: ``"module:attr"``; imported only by ``make``.
        kwargs: defaults passed to the entry point; ``make(id, **overrides)`` records the
            overrides here, on the spec attached to the built object.
        description: one line shown by ``lifelong-pose list``.
    """

    kind: ClassVar[str] = "spec"

    id: str
    entry_point: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def __post_init__(self) -> None:
        parse_id(self.id)
        if not isinstance(self.entry_point, str) or ":" not in self.entry_point:
            raise ValueError(f"{self.kind} {self.id!r}: entry_point must be 'module:attr', got {self.entry_point!r}")
        if not isinstance(self.kwargs, dict):
            raise TypeError(f"{self.kind} {self.id!r}: kwargs must be a dict")

    @property
    def parsed(self) -> ParsedId:
        return parse_id(self.id)

    @property
    def name(self) -> str:
        return self.parsed.base

    @property
    def version(self) -> int | None:
        return self.parsed.version

    def with_overrides(self, **overrides: Any) -> Self:
        """A copy whose kwargs include ``overrides`` (the record of what ``make`` was asked)."""
        return replace(self, kwargs={**self.kwargs, **overrides})

    def to_json(self) -> str:
        """JSON text; tuples become lists, which ``from_json`` accepts back."""
        return json.dumps(asdict(self), sort_keys=True, default=_json_default)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Inverse of ``to_json``; unknown fields are an error, not silently dropped."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown {cls.kind} spec fields {sorted(unknown)}; expected {sorted(known)}")
        return cls(**data)


def _json_default(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass(frozen=True)
class ScenarioSpec(Spec):
    """How to build a domain stream.

    Attributes:
        backends: data backends the scenario can be built from (``sim``, ``real``).
    """

    kind: ClassVar[str] = "scenario"

    backends: tuple[str, ...] = ("sim",)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "backends", tuple(self.backends))


@dataclass(frozen=True)
class StrategySpec(Spec):
    """How to build a strategy (an Avalanche template)."""

    kind: ClassVar[str] = "strategy"


@dataclass(frozen=True)
class PluginSpec(Spec):
    """How to build a strategy plugin (an Avalanche plugin that composes with any strategy)."""

    kind: ClassVar[str] = "plugin"


@dataclass(frozen=True)
class LifterSpec(Spec):
    """How to build a 2D-to-3D lifter (a ``lifelong_pose.models.Lifter`` subclass).

    Attributes:
        profiles: per size profile (``quick``, ``paper``), the constructor's size arguments;
            ``quick`` trains in minutes on a 2-core CPU, ``paper`` is as published.
    """

    kind: ClassVar[str] = "lifter"

    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class BackendSpec(Spec):
    """How to build a data backend (``--data NAME``): where a stream's splits come from."""

    kind: ClassVar[str] = "data backend"
