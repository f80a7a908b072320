"""The real-data options, in one frozen object: where the files are and how they are read.

Before it, ``data_root``, ``protocol``, ``h36m_2d`` and ``valid_mask`` were copied by hand through
the CLI, the runner, the scenario and the record; now each of those holds a
:class:`RealDataOptions` and asks it to validate, to list what differs from the defaults (the
overrides recorded on a scenario's spec), or to read itself from parsed command-line arguments.
Torch-free: the CLI builds it before anything heavy loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from lifelong_pose.datasets.spec import H36M_2D, PROTOCOLS


@dataclass(frozen=True)
class RealDataOptions:
    """How a stream is read from the real datasets (and the target protocol, which both backends use).

    Attributes:
        data_root: the folder holding the datasets' files (``--data-root``); only with ``data=real``.
        protocol: ``inductive`` or ``transductive`` for every target, or None for each domain's
            default (``inductive`` in the simulated world, per dataset on real data).
        h36m_2d: Human3.6M's 2D keypoints: ``gt`` or ``cpn_ft_h36m_dbb`` (detections).
        valid_mask: evaluate 3DHP on its valid frames only, as its protocol does.

    Raises:
        ValueError: an unknown protocol or 2D source.
        TypeError: a ``valid_mask`` that is not a bool, a ``data_root`` that is not a path.
    """

    data_root: str | None = None
    protocol: str | None = None
    h36m_2d: str = "gt"
    valid_mask: bool = True

    def __post_init__(self) -> None:
        if self.data_root is not None:
            if not isinstance(self.data_root, str | Path):
                raise TypeError(f"data_root must be a folder path, got {self.data_root!r}")
            object.__setattr__(self, "data_root", str(self.data_root))
        if self.protocol is not None and self.protocol not in PROTOCOLS:
            raise ValueError(
                f"Unknown protocol {self.protocol!r}; use one of {', '.join(PROTOCOLS)} (or leave it unset)"
            )
        if self.h36m_2d not in H36M_2D:
            raise ValueError(f"Unknown h36m_2d {self.h36m_2d!r}; use one of {', '.join(H36M_2D)}")
        if not isinstance(self.valid_mask, bool):
            raise TypeError(f"valid_mask must be True or False, got {self.valid_mask!r}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option names (what ``make`` accepts for them)."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def pop_from(cls, options: dict[str, Any]) -> RealDataOptions:
        """The options found in ``options`` (removed from it), the rest at their defaults."""
        return cls(**{name: options.pop(name) for name in cls.names() if name in options})

    @classmethod
    def from_args(cls, args: Any) -> RealDataOptions:
        """From parsed CLI arguments (``--data-root``, ``--protocol``, ``--h36m-2d``, ``--no-valid-mask``)."""
        return cls(
            data_root=args.data_root or None,
            protocol=args.protocol,
            h36m_2d=args.h36m_2d,
            valid_mask=not args.no_valid_mask,
        )

    def overrides(self) -> dict[str, Any]:
        """The options that differ from their defaults, as ``make`` overrides.

        Only those are passed (and so recorded on the spec), so a simulated run's recorded spec
        stays what it was before these options existed.
        """
        defaults = type(self)()
        return {name: value for name, value in asdict(self).items() if value != getattr(defaults, name)}

    def with_resolved_root(self) -> RealDataOptions:
        """The same options with ``data_root`` made absolute (what a record stores).

        Raises:
            ValueError: ``data_root`` is not a folder.
        """
        if self.data_root is None:
            return self
        root = Path(self.data_root)
        if not root.is_dir():
            raise ValueError(f"data_root {self.data_root!r} is not a folder")
        return type(self)(**{**asdict(self), "data_root": str(root.resolve())})


def as_real_data_options(value: RealDataOptions | Mapping[str, Any] | None) -> RealDataOptions:
    """``value`` as :class:`RealDataOptions` (None: the defaults; a mapping: its fields)."""
    if value is None:
        return RealDataOptions()
    if isinstance(value, RealDataOptions):
        return value
    return RealDataOptions(**value)
