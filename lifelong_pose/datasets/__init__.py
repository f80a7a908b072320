"""Real datasets (Human3.6M, MPI-INF-3DHP, 3DPW) read from a user's folder, and export of the
simulated world in the same formats.

Formats, keys, units and joint orders are documented in each reader's module docstring
(:mod:`.h36m`, :mod:`.hp3d`, :mod:`.pw3d`). The specs load eagerly (pure Python, scenario
definitions use them while the registry is listed); readers load numpy and torch on first use.
"""

from __future__ import annotations

from lifelong_pose.datasets.spec import DATASETS, PROTOCOLS, RealDomainSpec, Selection
from lifelong_pose.lazy import lazy_exports

_LAZY = {
    "DataFileError": "files",
    "MissingDataFile": "files",
    "PoseSequence": "sequences",
    "to_domain_data": "sequences",
    "DataFolder": "build",
    "build_real_split": "build",
    "check_folder": "check",
    "export_scenario": "export",
}

__getattr__ = lazy_exports("lifelong_pose.datasets", _LAZY)

__all__ = ["DATASETS", "PROTOCOLS", "RealDomainSpec", "Selection", *_LAZY]
