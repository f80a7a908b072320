"""Write a scenario's data in the field's formats, so other codebases train and test on it.

``videopose3d`` writes each domain in the VideoPose3D format that fits it:

- **A true Human3.6M folder** for the domains read from a simulated Human3.6M (a recording filmed
  by the published four-camera rig with clean 2D, :attr:`SimDataset.human36m_layout`):
  ``data_3d_h36m.npz`` (``positions_3d[subject][take]``: (T, 32, 3) world metres, the 17 joints
  VideoPose3D keeps at its kept indices and the root in the 15 it drops) and
  ``data_2d_h36m_gt.npz`` (``positions_2d[subject][take]``: the four cameras' (T, 17, 2) pixels in
  the calibration table's order; ``metadata`` with ``keypoints_symmetry``), subjects ``S1``,
  ``S5``, ..., takes ``Walk``, ``Walk 1``, ... at the recording's full frame rate (50 fps). No
  ``cameras.json``: the published calibration is the recording's. This folder is what
  ``--data real --data-root`` and ``data check`` read, and what VideoPose3D's ``run.py -d h36m -k
  gt`` loads unmodified (its camera table is keyed by S1..S11). Every subject any domain of the
  stream selects is written, with all its takes; one recording at most (the first).
- **VideoPose3D's custom format plus a 3D file** for every other domain (3DHP- and 3DPW-like,
  moving cameras, detector noise; the v0/v1 world), per domain and split, the frames the stream
  uses: ``data_2d_custom_<domain>_<split>.npz`` (``positions_2d[video]["custom"] = [(T, 17, 2)
  pixels]``; ``metadata``: ``layout_name`` ``h36m``, ``num_joints`` 17, ``keypoints_symmetry``,
  ``video_metadata[video] = {"w", "h"}``), which VideoPose3D's ``run.py -d custom_<...>`` runs
  inference on, and ``data_3d_custom_<domain>_<split>.npz`` (``positions_3d[video]``: (T, 17, 3)
  camera-frame metres, absolute; ``intrinsics[video]``: the pixel ``[fx, fy, cx, cy, k1, k2, k3,
  p1, p2]``; ``visible[video]``: (T, 17) where a joint is unobserved). Videos are named
  ``seq<NNNNN>`` after the split's sequence ids. VideoPose3D cannot train on this format (its
  custom datasets carry no 3D), which is why a Human3.6M-like domain is written as Human3.6M.

In both, a 16-joint stream's Neck/Nose is written as the midpoint of Thorax and Head (dropped
again on load).

``poseaug``: one ``<domain>_<split>.npz`` per domain and split in the layout of PoseAug's
``test_3dhp.npz`` (``pose3d`` (N, 16, 3) pelvis-relative metres, ``pose2d`` (N, 16, 2) normalised
screen coordinates), plus ``camera``, ``image_size`` and ``sequence_id`` keys that PoseAug ignores
and this suite's reader uses. Rename one to ``test_3dhp.npz`` to evaluate on it in PoseAug.

Both write ``export.json``: the scenario, its domains in order and which files hold each split.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from lifelong_pose.data.domain import DomainData
from lifelong_pose.datasets.h36m import FILE_3D, FILES_2D, KEPT_32
from lifelong_pose.geometry.camera import image_coordinates, image_intrinsics
from lifelong_pose.geometry.skeleton import FROM_H36M, H36M17

if TYPE_CHECKING:
    from lifelong_pose.scenario import Scenario
    from lifelong_pose.world.sim_spec import SimDataset

FORMATS = ("videopose3d", "poseaug")
MANIFEST = "export.json"
_SYMMETRY = [list(H36M17.left_joints), list(H36M17.right_joints)]


def _as_h36m17(X: np.ndarray, layout: str) -> np.ndarray:
    """(..., J, D) in ``layout`` -> (..., 17, D); a missing Neck/Nose is Thorax-Head midpoint."""
    if layout == "h36m17":
        return X
    out = np.zeros((*X.shape[:-2], 17, X.shape[-1]), dtype=X.dtype)
    out[..., list(FROM_H36M[layout]), :] = X
    thorax, head = H36M17.index("Thorax"), H36M17.index("Head")
    out[..., H36M17.index("Neck/Nose"), :] = (out[..., thorax, :] + out[..., head, :]) / 2
    return out


def _visible17(data: DomainData) -> np.ndarray:
    """(N, 17) visibility in H3.6M order; a synthesised Neck/Nose is seen when both its ends are."""
    seen = _as_h36m17(data.visible.numpy()[..., None], data.layout_name)[..., 0]
    if data.layout_name != "h36m17":
        seen[:, H36M17.index("Neck/Nose")] = seen[:, H36M17.index("Thorax")] & seen[:, H36M17.index("Head")]
    return seen


def _pixels(data: DomainData) -> np.ndarray:
    """(N, J, 2) pixel 2D, each frame with its own image size (domains may mix resolutions)."""
    size = data.image_size
    return image_coordinates(data.x2d.double(), size[:, 0:1], size[:, 1:2]).numpy()


def _pixel_intrinsics(data: DomainData) -> np.ndarray:
    """(N, 9) pixel intrinsics, each frame with its own image size."""
    return image_intrinsics(data.intrinsics.double(), data.image_size[:, 0], data.image_size[:, 1]).numpy()


def human36m_session(scenario: Scenario) -> SimDataset | None:
    """The simulated Human3.6M the scenario's domains read, written as a Human3.6M folder (the first
    such recording of the stream; None when no domain reads one)."""
    from lifelong_pose.world.sim_spec import SimDomainSpec

    for domain in scenario.domains:
        if isinstance(domain, SimDomainSpec) and domain.dataset.human36m_layout:
            return domain.dataset
    return None


def _write_human36m(scenario: Scenario, recording: SimDataset, out: Path) -> list[str]:
    """``data_3d_h36m.npz`` and ``data_2d_h36m_gt.npz`` of every subject the stream reads from ``recording``."""
    from lifelong_pose.world.sim_spec import SimDomainSpec

    subjects = sorted(
        {
            subject
            for domain in scenario.domains
            if isinstance(domain, SimDomainSpec) and domain.dataset == recording
            for split in ("train", "test")
            for subject in domain.subjects(split)
        },
        key=str,
    )
    positions_3d: dict[str, dict[str, np.ndarray]] = {}
    positions_2d: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject in subjects:
        positions_3d[subject], positions_2d[subject] = {}, {}
        for take in scenario.backend.recorded(recording, subject, frame_step=1):
            assert take.world is not None
            joints32 = np.repeat(take.world[:, :1], 32, axis=1)
            joints32[:, list(KEPT_32)] = take.world
            positions_3d[subject][take.action] = joints32
            positions_2d[subject][take.action] = [view.x2d_px for view in take.views]
    metadata = {
        "layout_name": "h36m",
        "num_joints": 17,
        "keypoints_symmetry": _SYMMETRY,
        "fps": dict.fromkeys(subjects, recording.fps),
    }
    np.savez_compressed(out / FILE_3D, positions_3d=positions_3d)
    np.savez_compressed(out / FILES_2D["gt"], positions_2d=positions_2d, metadata=metadata)
    return subjects


def _write_custom(name: str, split: str, data: DomainData, out: Path) -> list[str]:
    """VideoPose3D's custom 2D file and this suite's 3D file for one split (see the module docstring)."""
    if data.X3d is None or data.root is None:
        raise ValueError(f"{name} ({split}) has no 3D to export")
    absolute = _as_h36m17((data.X3d + data.root[:, None]).double().numpy(), data.layout_name)
    x_px = _as_h36m17(_pixels(data), data.layout_name)
    seen = _visible17(data)
    K = _pixel_intrinsics(data)
    sizes = data.image_size.numpy()
    sequence, frame = data.sequence_id.numpy(), data.frame_index.numpy()
    positions_2d, video_metadata = {}, {}
    positions_3d, intrinsics, visible = {}, {}, {}
    for sequence_id in np.unique(sequence):
        rows = np.flatnonzero(sequence == sequence_id)
        rows = rows[np.argsort(frame[rows])]
        if not np.allclose(K[rows], K[rows][0]) or not (sizes[rows] == sizes[rows][0]).all():
            raise ValueError(f"{name} ({split}): sequence {sequence_id} changes its camera intrinsics between frames")
        video = f"seq{sequence_id:05d}"
        positions_2d[video] = {"custom": [x_px[rows].astype(np.float32)]}
        video_metadata[video] = {"w": int(sizes[rows][0, 0]), "h": int(sizes[rows][0, 1])}
        positions_3d[video] = absolute[rows].astype(np.float32)
        intrinsics[video] = K[rows][0]
        if not seen[rows].all():
            visible[video] = seen[rows]
    metadata = {
        "layout_name": "h36m",
        "num_joints": 17,
        "keypoints_symmetry": _SYMMETRY,
        "video_metadata": video_metadata,
        "fps": data.fps,
    }
    file_2d, file_3d = f"data_2d_custom_{name}_{split}.npz", f"data_3d_custom_{name}_{split}.npz"
    np.savez_compressed(out / file_2d, positions_2d=positions_2d, metadata=metadata)
    np.savez_compressed(out / file_3d, positions_3d=positions_3d, intrinsics=intrinsics, visible=visible)
    return [file_2d, file_3d]


def _videopose3d(scenario: Scenario, domains: list[tuple[int, str]], out: Path) -> dict[str, list[str]]:
    from lifelong_pose.world.sim_spec import SimDomainSpec

    session = human36m_session(scenario)
    files: dict[str, list[str]] = {}
    if session is not None:
        _write_human36m(scenario, session, out)
    for index, name in domains:
        domain = scenario.domains[index]
        for split in ("train", "test"):
            if session is not None and isinstance(domain, SimDomainSpec) and domain.dataset == session:
                files[f"{name}/{split}"] = [FILE_3D, FILES_2D["gt"]]
            else:
                files[f"{name}/{split}"] = _write_custom(name, split, scenario.split_with_3d(index, split), out)
    return files


def _poseaug(scenario: Scenario, domains: list[tuple[int, str]], out: Path) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for index, name in domains:
        for split in ("train", "test"):
            data = scenario.split_with_3d(index, split)
            if data.X3d is None:
                raise ValueError(f"{name} ({split}) has no 3D to export")
            keep = [H36M17.index(n) for n in H36M17.joint_names if n != "Neck/Nose"]
            pose3d = _as_h36m17(data.X3d.double().numpy(), data.layout_name)[:, keep]
            pose2d = _as_h36m17(data.x2d.double().numpy(), data.layout_name)[:, keep]
            filename = f"{name}_{split}.npz"
            np.savez_compressed(
                out / filename,
                pose3d=pose3d.astype(np.float32),
                pose2d=pose2d.astype(np.float32),
                camera=_pixel_intrinsics(data),
                image_size=data.image_size.numpy(),
                sequence_id=data.sequence_id.numpy(),
            )
            files[f"{name}/{split}"] = [filename]
    return files


_WRITERS = {"videopose3d": _videopose3d, "poseaug": _poseaug}


def export_scenario(scenario: Scenario, out: str | Path, fmt: str, *, force: bool = False) -> Path:
    """Write every domain's train and test split (with 3D) of ``scenario`` to ``out``.

    A domain the stream revisits is written once. Returns the manifest's path.

    Args:
        force: write into a folder that already holds files (files of the same names are replaced).

    Raises:
        ValueError: an unknown format, or an ``out`` that is a file or (without ``force``) holds files.
    """
    if fmt not in _WRITERS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise ValueError(
            f"--out {out} exists and is not an empty folder; choose a new one, or pass --force to write into it"
        )
    domains: list[tuple[int, str]] = []
    for index, name in enumerate(scenario.domain_names):
        if name not in [n for _, n in domains]:
            domains.append((index, name))
    out.mkdir(parents=True, exist_ok=True)
    files = _WRITERS[fmt](scenario, domains, out)
    session = human36m_session(scenario) if fmt == "videopose3d" else None
    manifest: dict[str, Any] = {
        "format": fmt,
        "scenario": scenario.spec.id,
        "data": scenario.data_backend,
        "world_seed": scenario.seed,
        "profile": scenario.profile,
        "layout": scenario.layout,
        "domains": [{"name": name, "labelled": scenario.domains[index].labelled} for index, name in domains],
        "splits": files,
        "human36m_session": None if session is None else session.key,
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=1))
    return path
