"""Write a scenario's data in the field's formats, so other codebases train and test on it.

``videopose3d``: ``data_3d_h36m.npz``, ``data_2d_h36m_gt.npz`` and ``cameras.json`` as
:mod:`lifelong_pose.datasets.h36m` reads them. Each (domain, split, camera) becomes a subject
``<domain>.<split>.cam<k>`` with one camera, and each sequence an action ``seq<id>``. The 3D is
stored in that camera's frame (identity extrinsics: orientation ``[1, 0, 0, 0]``, translation 0),
because simulated hand-held cameras move and VideoPose3D's format has one fixed pose per camera.
Of the 32 joints, the 17 VideoPose3D keeps hold the poses and the 15 it drops hold the pelvis; a
16-joint stream's Neck/Nose is written as the midpoint of Thorax and Head (dropped again on
load). Unobserved 2D joints are flagged in an extra ``visible`` key, ignored by other readers.

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

from lifelong_pose.datasets.h36m import CAMERAS_FILE, FILE_3D, FILES_2D, KEPT_32
from lifelong_pose.geometry.camera import image_coordinates, image_intrinsics
from lifelong_pose.geometry.skeleton import FROM_H36M, H36M17
from lifelong_pose.world.data import DomainData

if TYPE_CHECKING:
    from lifelong_pose.scenario import Scenario

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


def _pixels(data: DomainData) -> np.ndarray:
    """(N, J, 2) pixel 2D, each frame with its own image size (domains may mix resolutions)."""
    size = data.image_size
    return image_coordinates(data.x2d.double(), size[:, 0:1], size[:, 1:2]).numpy()


def _camera_entry(name: str, K_px: np.ndarray, size: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": name,
        "res_w": size[0],
        "res_h": size[1],
        "focal_length": K_px[0:2].tolist(),
        "center": K_px[2:4].tolist(),
        "radial_distortion": K_px[4:7].tolist(),
        "tangential_distortion": K_px[7:9].tolist(),
        "orientation": [1.0, 0.0, 0.0, 0.0],
        "translation": [0.0, 0.0, 0.0],
    }


def _pixel_intrinsics(data: DomainData) -> np.ndarray:
    """(N, 9) pixel intrinsics, each frame with its own image size."""
    return image_intrinsics(data.intrinsics.double(), data.image_size[:, 0], data.image_size[:, 1]).numpy()


def _videopose3d(splits: list[tuple[str, str, DomainData]], out: Path) -> dict[str, list[str]]:
    positions_3d: dict[str, dict[str, np.ndarray]] = {}
    positions_2d: dict[str, dict[str, list[np.ndarray]]] = {}
    visible: dict[str, dict[str, list[np.ndarray]]] = {}
    cameras: dict[str, list[dict[str, Any]]] = {}
    fps: dict[str, float] = {}
    subjects_of: dict[str, list[str]] = {}
    for name, split, data in splits:
        if data.X3d is None or data.root is None:
            raise ValueError(f"{name} ({split}) has no 3D to export")
        absolute = _as_h36m17((data.X3d + data.root[:, None]).double().numpy(), data.layout_name)
        x_px = _as_h36m17(_pixels(data), data.layout_name)
        seen = _as_h36m17(data.visible.numpy()[..., None], data.layout_name)[..., 0]
        if data.layout_name != "h36m17":  # the synthesised Neck/Nose is seen when both its ends are
            seen[:, H36M17.index("Neck/Nose")] = seen[:, H36M17.index("Thorax")] & seen[:, H36M17.index("Head")]
        K = _pixel_intrinsics(data)
        sizes = data.image_size.numpy()
        subjects_of[f"{name}/{split}"] = []
        for camera in np.unique(data.camera_id.numpy()):
            rows = data.camera_id.numpy() == camera
            if not np.allclose(K[rows], K[rows][0]) or not (sizes[rows] == sizes[rows][0]).all():
                raise ValueError(
                    f"{name} ({split}): camera {camera} changes its intrinsics or image size between frames"
                )
            size = (int(sizes[rows][0, 0]), int(sizes[rows][0, 1]))
            subject = f"{name}.{split}.cam{camera}"
            subjects_of[f"{name}/{split}"].append(subject)
            cameras[subject] = [_camera_entry(f"cam{camera}", K[rows][0], size)]
            fps[subject] = data.fps
            positions_3d[subject], positions_2d[subject], visible[subject] = {}, {}, {}
            for sequence in np.unique(data.sequence_id.numpy()[rows]):
                frames = np.flatnonzero(data.sequence_id.numpy() == sequence)
                frames = frames[np.argsort(data.frame_index.numpy()[frames])]
                joints32 = np.repeat(absolute[frames, :1], 32, axis=1)
                joints32[:, list(KEPT_32)] = absolute[frames]
                action = f"seq{sequence:05d}"
                positions_3d[subject][action] = joints32.astype(np.float32)
                positions_2d[subject][action] = [x_px[frames].astype(np.float32)]
                visible[subject][action] = [seen[frames]]
    metadata = {"layout_name": "h36m", "num_joints": 17, "keypoints_symmetry": _SYMMETRY, "fps": fps}
    np.savez_compressed(out / FILE_3D, positions_3d=positions_3d)
    np.savez_compressed(out / FILES_2D["gt"], positions_2d=positions_2d, metadata=metadata, visible=visible)
    (out / CAMERAS_FILE).write_text(json.dumps(cameras, indent=1))
    return subjects_of


def _poseaug(splits: list[tuple[str, str, DomainData]], out: Path) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for name, split, data in splits:
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


def export_scenario(scenario: Scenario, out: str | Path, fmt: str) -> Path:
    """Write every domain's train and test split (with 3D) of ``scenario`` to ``out``.

    A domain the stream revisits is written once. Returns the manifest's path.

    Raises:
        ValueError: an unknown format, or an ``out`` that already holds files.
    """
    if fmt not in _WRITERS:
        raise ValueError(f"Unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--out {out} exists and is not an empty folder; choose a new one")
    splits: list[tuple[str, str, DomainData]] = []
    domains = []
    for index, name in enumerate(scenario.domain_names):
        if name in domains:
            continue
        domains.append(name)
        for split in ("train", "test"):
            splits.append((name, split, scenario.split_with_3d(index, split)))
    out.mkdir(parents=True, exist_ok=True)
    files = _WRITERS[fmt](splits, out)
    manifest = {
        "format": fmt,
        "scenario": scenario.spec.id,
        "data": scenario.data_backend,
        "world_seed": scenario.seed,
        "profile": scenario.profile,
        "layout": scenario.layout,
        "domains": [
            {"name": name, "labelled": scenario.domains[scenario.domain_names.index(name)].labelled} for name in domains
        ],
        "splits": files,
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, indent=1))
    return path
