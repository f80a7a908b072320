"""Human3.6M in VideoPose3D's layout (``data/prepare_data_h36m.py`` of facebookresearch/VideoPose3D).

Files, in the data folder:

- ``data_3d_h36m.npz``: key ``positions_3d``, a pickled dict ``{subject: {action: (T, 32, 3)}}``
  of **world** coordinates in **metres** (all 32 motion-capture joints).
- ``data_2d_h36m_gt.npz`` (ground-truth projections) or ``data_2d_h36m_cpn_ft_h36m_dbb.npz``
  (CPN detections fine-tuned on H3.6M): key ``positions_2d``, ``{subject: {action: [4 arrays
  (T, 17, 2)]}}`` in **pixels**, one array per camera in the order of the camera table
  (``54138969``, ``55011271``, ``58860488``, ``60457274``); key ``metadata`` (``num_joints``: 17;
  an optional ``fps`` dict per subject, written by the suite's export; H3.6M is 50 fps).
  An optional key ``visible`` with the same nesting and (T, 17) booleans marks unobserved joints
  (the suite's export writes it; the field's files have none, and then every joint counts).
- Optional ``cameras.json``: ``{subject: [{"id", "res_w", "res_h", "center", "focal_length",
  "radial_distortion", "tangential_distortion", "orientation", "translation"}, ...]}`` in
  VideoPose3D's units (pixels; quaternion w first; millimetres). It replaces the published
  table for the subjects it lists (the suite's export of the simulated world writes one).

Conversion, as VideoPose3D does: the 32 joints are cut to 17 (kept indices
:data:`KEPT_32`), world -> camera with the subject's calibration, 2D longer than the 3D (some
videos have extra frames) is cut at the end, 2D shorter than the 3D is an error. The 17 joints
are in the suite's canonical order, so no reordering is needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from lifelong_pose.datasets.files import (
    CHECK_HINT,
    DataFileError,
    open_npz,
    reading,
    require_array,
    require_dict,
    require_key,
    require_metres,
    require_pixels,
)
from lifelong_pose.datasets.h36m_cameras import CAMERA_IDS, IMAGE_SIZES, h36m_camera_pose, h36m_intrinsics
from lifelong_pose.datasets.sequences import PoseSequence
from lifelong_pose.geometry.skeleton import H36M17

FILE_3D = "data_3d_h36m.npz"
FILES_2D = {"gt": "data_2d_h36m_gt.npz", "cpn_ft_h36m_dbb": "data_2d_h36m_cpn_ft_h36m_dbb.npz"}
CAMERAS_FILE = "cameras.json"
MEMBERS: dict[str, tuple[str, ...]] = {
    FILE_3D: ("positions_3d",),
    **dict.fromkeys(FILES_2D.values(), ("positions_2d", "metadata", "visible")),
}
"""The arrays the reader reads from each file; any other member is never opened (``data check`` lists it)."""
FPS = 50.0
# The 17 of the 32 motion-capture joints VideoPose3D keeps (remove_joints([4, 5, 9, 10, 11, 16,
# 20, 21, 22, 23, 24, 28, 29, 30, 31])), in the canonical H36M17 order.
KEPT_32: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)


class Camera(NamedTuple):
    """One calibrated camera of a subject: what the conversion to the camera frame needs."""

    id: str
    intrinsics_px: np.ndarray  # (9,) [fx, fy, cx, cy, k1, k2, k3, p1, p2]
    image_size: tuple[int, int]
    rotation: np.ndarray  # (3, 3) world to camera
    centre: np.ndarray  # (3,) metres


_CAMERA_LENGTHS = {"focal_length": 2, "center": 2, "radial_distortion": 3, "tangential_distortion": 2}


def _camera_from_json(camera: Any) -> Camera:
    """A ``cameras.json`` entry (VideoPose3D's vocabulary and units) as a :class:`Camera`."""
    from scipy.spatial.transform import Rotation

    values = {}
    for key, length in {**_CAMERA_LENGTHS, "orientation": 4, "translation": 3}.items():
        value = np.asarray(camera[key], dtype=np.float64)
        if value.shape != (length,) or not np.isfinite(value).all():
            raise ValueError(f"{key} must be {length} finite numbers, got {camera[key]!r}")
        values[key] = value
    width, height = int(camera["res_w"]), int(camera["res_h"])
    if width <= 0 or height <= 0:
        raise ValueError(f"res_w and res_h must be positive, got {width} x {height}")
    K = np.concatenate([values[key] for key in _CAMERA_LENGTHS])
    w, x, y, z = values["orientation"]
    rotation = Rotation.from_quat([x, y, z, w]).as_matrix().T
    return Camera(str(camera["id"]), K, (width, height), rotation, values["translation"] / 1000.0)


def camera_table(root: Path) -> dict[str, list[Camera]]:
    """``cameras.json`` of ``root`` as ``{subject: [Camera, ...]}``; {} if the file is absent.

    Raises:
        DataFileError: unreadable JSON or a malformed camera (its subject and field named).
    """
    path = root / CAMERAS_FILE
    if not path.is_file():
        return {}
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataFileError(f"{path} is not valid JSON: {error}. {CHECK_HINT}") from None
    table = {}
    for subject, cameras in require_dict(content, "the top level", path).items():
        try:
            table[subject] = [_camera_from_json(camera) for camera in cameras]
        except (KeyError, TypeError, ValueError) as error:
            raise DataFileError(
                f"{path.name}: subject {subject!r} has a malformed camera ({error!r}). {CHECK_HINT}"
            ) from None
    return table


def published_cameras(subject: str) -> list[Camera]:
    """The four cameras of ``subject`` from the published calibration, in the table's order.

    Raises:
        KeyError: a subject the table does not calibrate.
    """
    cameras = []
    for camera in CAMERA_IDS:
        rotation, centre = h36m_camera_pose(subject, camera)
        cameras.append(Camera(camera, h36m_intrinsics(camera), IMAGE_SIZES[camera], rotation, centre))
    return cameras


def read_h36m(root: Path, keypoints: str = "gt", needed_for: str = "Human3.6M") -> list[PoseSequence]:
    """Every camera view of every take in ``root``'s H3.6M files (17 joints, camera frame, metres).

    Arrays are kept in float32 (H3.6M has millions of frames); conversion to the suite's tensors
    happens per selected view in :func:`~lifelong_pose.datasets.sequences.to_domain_data`.

    Raises:
        MissingDataFile: a file is not in ``root``.
        DataFileError: a wrong key, shape, unit or value, with the file named.
    """
    path_3d, path_2d = root / FILE_3D, root / FILES_2D[keypoints]
    content_3d = open_npz(path_3d, needed_for, MEMBERS[path_3d.name])
    content_2d = open_npz(path_2d, needed_for, MEMBERS[path_2d.name])
    custom = camera_table(root)
    sequences: list[PoseSequence] = []
    with reading(path_3d, needed_for):
        positions_3d = require_dict(require_key(content_3d, "positions_3d", path_3d), "positions_3d", path_3d)
        for subject in sorted(positions_3d, key=str):
            cameras = _subject_cameras(subject, custom, path_3d)
            actions = require_dict(positions_3d[subject], f"positions_3d[{subject!r}]", path_3d)
            for action in sorted(actions, key=str):
                where = f"positions_3d[{subject!r}][{action!r}]"
                X_world = require_array(actions[action], where, path_3d, (None, 32, 3))[:, list(KEPT_32)]
                require_metres(X_world, H36M17.parents, where, path_3d)
                with reading(path_2d, needed_for):
                    views_2d = _views_2d(content_2d, subject, action, len(cameras), X_world.shape[0], path_2d)
                    for camera, (x_px, _) in zip(cameras, views_2d, strict=True):
                        where = f"positions_2d[{subject!r}][{action!r}] of camera {camera.id}"
                        require_pixels(x_px, camera.image_size, where, path_2d)
                fps = _fps(content_2d, subject)
                for camera, (x_px, visible) in zip(cameras, views_2d, strict=True):
                    sequences.append(camera_view(str(subject), str(action), camera, X_world, x_px, visible, fps))
    return sequences


def camera_view(
    subject: str,
    action: str,
    camera: Camera,
    X_world: np.ndarray,
    x_px: np.ndarray,
    visible: np.ndarray | None,
    fps: float,
) -> PoseSequence:
    """One camera's view of a take from its world 3D: the conversion every Human3.6M take goes
    through, read from a file or recorded in the simulated world (so both give the same bits).

    Args:
        X_world: (T, 17, 3) world metres, as the file stores them (float32).
        x_px: (T, 17, 2) the camera's 2D in pixels.
    """
    return PoseSequence(
        subject=subject,
        action=action,
        camera=camera.id,
        x2d_px=x_px.astype(np.float32),
        X3d=((X_world - camera.centre) @ camera.rotation.T).astype(np.float32),
        intrinsics_px=camera.intrinsics_px,
        image_size=camera.image_size,
        layout="h36m17",
        fps=fps,
        visible=visible,
    )


def _subject_cameras(subject: str, custom: dict[str, list[Camera]], path: Path) -> list[Camera]:
    if subject in custom:
        return custom[subject]
    try:
        return published_cameras(subject)
    except KeyError as error:
        raise DataFileError(
            f"{path.name}: subject {subject!r} has no published H3.6M calibration and {CAMERAS_FILE} "
            f"does not list it ({error.args[0]})"
        ) from None


def _views_2d(
    content: dict[str, Any], subject: str, action: str, cameras: int, frames: int, path: Path
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Per camera, the (frames, 17, 2) pixel 2D of a take and its optional visibility.

    Raises:
        DataFileError: a missing subject, action or view, or 2D shorter than the 3D.
    """
    positions = require_dict(require_key(content, "positions_2d", path), "positions_2d", path)
    subjects = require_dict(positions.get(subject, {}), f"positions_2d[{subject!r}]", path)
    if action not in subjects:
        raise DataFileError(f"{path.name} has no 2D for {subject}/{action} of {FILE_3D}. {CHECK_HINT}")
    views = subjects[action]
    count = len(views) if isinstance(views, list | tuple) else None
    if count != cameras:
        raise DataFileError(
            f"{path.name}: positions_2d[{subject!r}][{action!r}] must be a list of {cameras} camera views "
            f"(one per calibrated camera), got {type(views).__name__}{f' of {count}' if count is not None else ''}"
        )
    visibility = require_dict(content.get("visible", {}), "visible", path)
    result = []
    for index, view in enumerate(views):
        where = f"positions_2d[{subject!r}][{action!r}][{index}]"
        x_px = require_array(view, where, path, (None, 17, 2))
        if x_px.shape[0] < frames:
            raise DataFileError(f"{path.name}: {where} has {x_px.shape[0]} frames, fewer than the 3D's {frames}")
        visible = None
        if visibility:
            where_visible = f"visible[{subject!r}][{action!r}][{index}]"
            visible = require_array(visibility[subject][action][index], where_visible, path, (None, 17))
            if visible.shape[0] < frames:
                raise DataFileError(f"{path.name}: {where_visible} has fewer frames than the 3D's {frames}")
            visible = visible[:frames] > 0
        result.append((x_px[:frames], visible))
    return result


def _fps(content: dict[str, Any], subject: str) -> float:
    """A subject's frame rate: ``metadata['fps'][subject]`` where the export wrote one, else 50."""
    metadata = content.get("metadata")
    rates = metadata.get("fps", {}) if isinstance(metadata, dict) else {}
    return float(rates.get(subject, FPS)) if isinstance(rates, dict) else FPS
