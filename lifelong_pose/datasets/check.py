"""``lifelong-pose data check DIR``: what a data folder holds, what each real scenario still needs.

Every accepted file is looked for; each dataset part found is parsed by the same reader a run
uses (so a file that passes here loads in a run), and summarised: views, frames, subjects, joints,
median bone length in metres (a units check), frame rate and the file's SHA-256. Members of a
file that its reader does not use are listed as ignored, never read (an extra member may be a
zip bomb). Scenarios are then checked against their real domains' selections under their default
target protocols. Nothing in the folder is written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lifelong_pose.datasets.build import DataFolder, select
from lifelong_pose.datasets.files import DataFileError, MissingDataFile, file_fingerprint, median_bone_length
from lifelong_pose.datasets.h36m import CAMERAS_FILE, FILE_3D, FILES_2D
from lifelong_pose.datasets.h36m import MEMBERS as H36M_MEMBERS
from lifelong_pose.datasets.hp3d import MEMBERS as HP3D_MEMBERS
from lifelong_pose.datasets.hp3d import TEST_FILES, TRAIN_FILES, hp3d_file
from lifelong_pose.datasets.pw3d import FILES as PW3D_FILES
from lifelong_pose.datasets.pw3d import MEMBERS as PW3D_MEMBERS
from lifelong_pose.datasets.safe_pickle import npz_members
from lifelong_pose.geometry.skeleton import get_layout

# (dataset, part) -> the files that can provide it (any one of them)
PARTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("h36m", "all"): (FILE_3D,),  # plus the 2D file chosen by h36m_2d
    ("3dhp", "test"): TEST_FILES,
    ("3dhp", "train"): TRAIN_FILES,
    ("3dpw", "train"): (PW3D_FILES["train"],),
    ("3dpw", "test"): (PW3D_FILES["test"],),
}
# file name -> the arrays its reader reads
MEMBERS: dict[str, tuple[str, ...]] = {**H36M_MEMBERS, **HP3D_MEMBERS, **PW3D_MEMBERS}
OK, MISSING, CORRUPT = "ok", "missing", "corrupt"
# 2 is left to usage errors (argparse's, and an unknown scenario), so scripts can tell them apart
EXIT_CODES = {OK: 0, MISSING: 1, CORRUPT: 3}


@dataclass
class PartReport:
    """One dataset part: whether it loads, from which files, and what it holds."""

    dataset: str
    part: str
    status: str
    files: list[str] = field(default_factory=list)
    error: str = ""
    views: int = 0
    frames: int = 0
    subjects: list[str] = field(default_factory=list)
    joints: int = 0
    median_bone_m: float | None = None
    fps: list[float] = field(default_factory=list)
    with_3d: bool = False
    camera_fit_rms_px: float | None = None
    fingerprints: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # "file: member" of members no reader uses (never read)


@dataclass
class ScenarioReport:
    """Whether a scenario's real backend can be built from the folder, and what it lacks."""

    id: str
    ready: bool
    needs: list[str]
    problems: list[str]


@dataclass
class CheckReport:
    root: str
    parts: list[PartReport]
    scenarios: list[ScenarioReport]
    present: list[str]

    @property
    def status(self) -> str:
        """``corrupt`` if a file is broken, else ``missing`` if a checked scenario cannot run, else ``ok``."""
        if any(p.status == CORRUPT for p in self.parts):
            return CORRUPT
        if any(not s.ready for s in self.scenarios):
            return MISSING
        return OK

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status, "exit_code": self.exit_code}


def _files_of(dataset: str, part: str, root: Path, h36m_2d: str) -> list[Path]:
    if dataset == "h36m":
        files = [root / FILE_3D, root / FILES_2D[h36m_2d]]
        return files + ([root / CAMERAS_FILE] if (root / CAMERAS_FILE).is_file() else [])
    if dataset == "3dhp":
        return [hp3d_file(root, part)]
    return [root / PW3D_FILES[part]]


def _check_part(folder: DataFolder, dataset: str, part: str, fingerprints: bool) -> PartReport:
    report = PartReport(dataset, part, OK)
    try:
        views = folder.views(dataset, part)
        report.files = [p.name for p in _files_of(dataset, part, folder.root, folder.h36m_2d)]
    except MissingDataFile as error:
        report.status, report.error = MISSING, str(error)
        return report
    except DataFileError as error:
        report.status, report.error = CORRUPT, str(error)
        return report
    except Exception as error:  # a check reports a broken file, whatever broke it
        report.status, report.error = CORRUPT, f"{type(error).__name__}: {error}"
        return report
    report.views = len(views)
    report.frames = int(sum(v.num_frames for v in views))
    report.subjects = sorted({v.subject for v in views})
    report.joints = get_layout(views[0].layout).num_joints if views else 0
    report.fps = sorted({v.fps for v in views})
    with_3d = [v for v in views if v.X3d is not None]
    report.with_3d = bool(views) and len(with_3d) == len(views)
    if with_3d:
        parents = get_layout(with_3d[0].layout).parents
        sample = np.concatenate([v.X3d[:: max(1, v.num_frames // 50)] for v in with_3d[:200]])  # type: ignore[index]
        report.median_bone_m = round(median_bone_length(sample, parents), 4)
    residuals = [v.camera_fit_rms_px for v in views if v.camera_fit_rms_px is not None]
    if residuals:
        report.camera_fit_rms_px = round(max(residuals), 2)
    if fingerprints:
        report.fingerprints = {name: file_fingerprint(folder.root / name) for name in report.files}
    report.ignored = [
        f"{name}: {member}"
        for name in report.files
        if name in MEMBERS
        for member in npz_members(folder.root / name)
        if member not in MEMBERS[name]
    ]
    return report


def _parts_needed(scenario: Any) -> list[tuple[str, str, Any, str]]:
    """(dataset, part, selection, what) for every split a scenario's real backend reads."""
    needs = []
    for domain, protocol in zip(scenario.domains, scenario.protocols, strict=True):
        splits = [("test", domain.test)] + ([("train", domain.train)] if protocol == "inductive" else [])
        for split, selection in splits:
            part = "all" if domain.dataset == "h36m" else selection.part
            needs.append((domain.dataset, part, selection, f"{domain.name} ({split})"))
    return needs


def check_folder(
    root: str | Path, scenarios: list[str] | None = None, h36m_2d: str = "gt", fingerprints: bool = True
) -> CheckReport:
    """Inspect ``root`` and check the real backend of ``scenarios`` (default: every one that has one).

    Exit codes (:attr:`CheckReport.exit_code`): 0 every checked scenario is ready, 1 something a
    scenario needs is missing, 3 a file is corrupt.

    Raises:
        ValueError: ``root`` is not a folder, or a named scenario has no real backend.
    """
    import lifelong_pose as lp
    from lifelong_pose.registry import scenario_registry

    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder")
    folder = DataFolder(root, h36m_2d=h36m_2d)
    parts = {key: _check_part(folder, *key, fingerprints) for key in PARTS}
    ids = scenarios if scenarios is not None else [s.id for s in scenario_registry.all() if "real" in s.backends]
    reports = []
    for scenario_id in ids:
        scenario = lp.make(scenario_id, data="real", data_root=str(root), h36m_2d=h36m_2d)
        problems, needs = [], []
        for dataset, part, selection, what in _parts_needed(scenario):
            report = parts[(dataset, part)]
            needs.append(f"{what}: {dataset} {part}")
            if report.status != OK:
                problems.append(f"{what} needs {dataset} {part}: {report.status}")
                continue
            try:
                chosen = select(folder.views(dataset, part), selection, what)
            except ValueError as error:
                problems.append(str(error))
                continue
            if not sum(v.num_frames for v in chosen):
                problems.append(f"{what}: the selection holds no frames")
        reports.append(
            ScenarioReport(scenario.spec.id, not problems, sorted(set(needs)), list(dict.fromkeys(problems)))
        )
    known = {name for names in PARTS.values() for name in names} | set(FILES_2D.values()) | {CAMERAS_FILE}
    present = sorted(p.name for p in root.iterdir() if p.name in known)
    return CheckReport(str(root), list(parts.values()), reports, present)
