"""The real datasets as a data backend (``--data real --data-root DIR``)."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from lifelong_pose.datasets.options import RealDataOptions

if TYPE_CHECKING:
    from lifelong_pose.data.domain import DomainData
    from lifelong_pose.datasets.build import DataFolder
    from lifelong_pose.stream import StreamDefinition


class RealBackend:
    """Reads a stream's splits from a user's folder of dataset files, each file once.

    Args:
        real: where the files are and how they are read (``data_root`` is required).
        scenario: the scenario id, named in errors about missing files.
        seed, bvh_dir: what every backend is built with; real data needs neither.

    Raises:
        ValueError: no ``data_root``.
    """

    def __init__(self, *, real: RealDataOptions, scenario: str = "", seed: int = 0, bvh_dir: str | None = None) -> None:
        if real.data_root is None:
            raise ValueError("the real backend needs data_root (--data-root DIR)")
        self.options = real
        self.scenario = scenario

    def domains(self, definition: StreamDefinition) -> tuple[Any, ...]:
        return definition.real

    def build(self, domain: Any, split: str) -> dict[str, DomainData]:
        from lifelong_pose.datasets.build import build_real_split

        return {split: build_real_split(domain, split, self.data_folder, valid_mask=self.options.valid_mask)}

    @cached_property
    def data_folder(self) -> DataFolder:
        """The user's data folder, reading each dataset file once."""
        from lifelong_pose.datasets.build import DataFolder

        assert self.options.data_root is not None
        return DataFolder(self.options.data_root, h36m_2d=self.options.h36m_2d, scenario=self.scenario)
