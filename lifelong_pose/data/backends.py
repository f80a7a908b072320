"""Data backends: where a stream's splits come from, chosen by name through a registry.

A backend gives a stream's domains (its own list: the simulated world's factors, or selections of
the real datasets) and builds a domain's split as :class:`~lifelong_pose.data.domain.DomainData`.
Both built-ins are registered exactly as a third party would register its own (``--data NAME``):

- ``sim`` (:class:`lifelong_pose.world.backend.SimBackend`): the embedded simulated world;
- ``real`` (:class:`lifelong_pose.datasets.backend.RealBackend`): the field's files in a user's folder.

Entry points are strings and this module imports no torch, so the CLI can list the backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from lifelong_pose.registry import data_backend_registry

if TYPE_CHECKING:
    from lifelong_pose.data.domain import DomainData
    from lifelong_pose.stream import StreamDefinition


class DataBackend(Protocol):
    """What the scenario asks of a backend.

    A backend class is built with the keywords ``seed`` (the world seed), ``bvh_dir`` (extra
    motion), ``real`` (:class:`~lifelong_pose.datasets.options.RealDataOptions`) and ``scenario``
    (the id, for error messages), and uses those it needs.
    """

    def domains(self, definition: StreamDefinition) -> tuple[Any, ...]:
        """The stream's domains in this backend, in order (the source first)."""
        ...

    def build(self, domain: Any, split: str) -> dict[str, DomainData]:
        """Split ``split`` of ``domain``, and any other split built on the way (by split name)."""
        ...


data_backend_registry.register(
    "sim",
    "lifelong_pose.world.backend:SimBackend",
    description="the embedded simulated world (motion-capture clips, seeded bodies, cameras and 2D noise)",
)
data_backend_registry.register(
    "real",
    "lifelong_pose.datasets.backend:RealBackend",
    description="Human3.6M, MPI-INF-3DHP and 3DPW files in the field's formats, from --data-root",
)
