"""A real-data domain split from a user's folder: read each file once, select views, convert."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from lifelong_pose.data.domain import DomainData
from lifelong_pose.datasets.h36m import read_h36m
from lifelong_pose.datasets.hp3d import read_hp3d
from lifelong_pose.datasets.pw3d import read_pw3d
from lifelong_pose.datasets.sequences import PoseSequence, to_domain_data
from lifelong_pose.datasets.spec import RealDomainSpec, Selection

_TAKE_NUMBER = re.compile(r"\s+\d+$")


class DataFolder:
    """The datasets in one folder, each file parsed once however many domains read it.

    Args:
        root: the folder (``--data-root``); never written to.
        h36m_2d: which H3.6M 2D file: ``gt`` or ``cpn_ft_h36m_dbb``.
        scenario: named in errors about missing files.
    """

    def __init__(self, root: str | Path, h36m_2d: str = "gt", scenario: str = "") -> None:
        self.root = Path(root)
        self.h36m_2d = h36m_2d
        self.scenario = scenario
        self._views: dict[tuple[str, str], list[PoseSequence]] = {}
        self._readers: dict[str, Callable[[str], list[PoseSequence]]] = {
            "h36m": lambda part: read_h36m(self.root, self.h36m_2d, needed_for=self._needed("Human3.6M")),
            "3dhp": lambda part: read_hp3d(self.root, part, needed_for=self._needed("MPI-INF-3DHP")),
            "3dpw": lambda part: read_pw3d(self.root, part, needed_for=self._needed("3DPW")),
        }

    def _needed(self, dataset: str) -> str:
        return f"{dataset} in scenario {self.scenario}" if self.scenario else dataset

    def views(self, dataset: str, part: str) -> list[PoseSequence]:
        """Every camera view of ``dataset``'s ``part`` (``all`` for H3.6M's single file)."""
        key = (dataset, "all" if dataset == "h36m" else part)
        if key not in self._views:
            self._views[key] = self._readers[dataset](key[1])
        return self._views[key]


def select(views: list[PoseSequence], selection: Selection, where: str) -> list[PoseSequence]:
    """The views ``selection`` names.

    Raises:
        ValueError: a named subject or camera the files do not have (the ones they have are listed).
    """
    for attribute, wanted in (("subject", selection.subjects), ("camera", selection.cameras)):
        have = sorted({getattr(v, attribute) for v in views})
        absent = [w for w in wanted if w not in have]
        if absent:
            raise ValueError(f"{where}: the data folder has no {attribute} {absent}; it has {have}")
    chosen = [
        v
        for v in views
        if (not selection.subjects or v.subject in selection.subjects)
        and (not selection.cameras or v.camera in selection.cameras)
    ]
    if selection.takes == "all":
        return chosen
    takes: dict[tuple[str, str], list[str]] = {}
    for v in chosen:
        group = takes.setdefault((v.subject, _TAKE_NUMBER.sub("", v.action)), [])
        if v.action not in group:
            group.append(v.action)
    last = {sorted(group)[-1] for group in takes.values() if len(group) > 1}
    # an action recorded once has no second take to test on: it stays on the train side
    return [v for v in chosen if (v.action in last) == (selection.takes == "last")]


def build_real_split(spec: RealDomainSpec, split: str, folder: DataFolder, *, valid_mask: bool = True) -> DomainData:
    """Split ``split`` (``train`` / ``test``) of a real domain, with its 3D where the file has it."""
    selection = spec.train if split == "train" else spec.test
    views = select(folder.views(spec.dataset, selection.part), selection, f"{spec.name} ({split})")
    return to_domain_data(
        views,
        name=spec.name,
        layout=spec.layout,
        labelled=spec.labelled,
        split=split,
        stride=spec.stride if split == "train" else spec.test_stride,
        valid_mask=valid_mask,
    )
