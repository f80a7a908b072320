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

import numpy as np

from lifelong_pose.datasets.files import (
    CHECK_HINT,
    DataFileError,
    open_npz,
    require_array,
    require_dict,
    require_key,
    require_metres,
)
from lifelong_pose.datasets.h36m_cameras import CAMERA_IDS, IMAGE_SIZES, h36m_camera_pose, h36m_intrinsics
from lifelong_pose.datasets.sequences import PoseSequence
from lifelong_pose.geometry.skeleton import H36M17

FILE_3D = "data_3d_h36m.npz"
FILES_2D = {"gt": "data_2d_h36m_gt.npz", "cpn_ft_h36m_dbb": "data_2d_h36m_cpn_ft_h36m_dbb.npz"}
CAMERAS_FILE = "cameras.json"
FPS = 50.0
# The 17 of the 32 motion-capture joints VideoPose3D keeps (remove_joints([4, 5, 9, 10, 11, 16,
# 20, 21, 22, 23, 24, 28, 29, 30, 31])), in the canonical H36M17 order.
KEPT_32: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)


def camera_table(root: Path) -> dict[str, list[tuple[str, np.ndarray, tuple[int, int], np.ndarray, np.ndarray]]]:
    """``cameras.json`` of ``root`` as ``{subject: [(id, K_px (9,), (w, h), rotation, centre_m)]}``; {} if absent.

    Raises:
        DataFileError: unreadable JSON or a camera without one of its fields.
    """
    path = root / CAMERAS_FILE
    if not path.is_file():
        return {}
    try:
        content = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataFileError(f"{path} is not valid JSON: {error}. {CHECK_HINT}") from None
    from scipy.spatial.transform import Rotation

    table = {}
    for subject, cameras in require_dict(content, "the top level", path).items():
        entries = []
        for camera in cameras:
            try:
                K = [*camera["focal_length"], *camera["center"], *camera["radial_distortion"]]
                K += [*camera["tangential_distortion"]]
                w, x, y, z = camera["orientation"]
                rotation = Rotation.from_quat([x, y, z, w]).as_matrix().T
                centre = np.asarray(camera["translation"], dtype=np.float64) / 1000.0
                entries.append(
                    (str(camera["id"]), np.asarray(K, float), (camera["res_w"], camera["res_h"]), rotation, centre)
                )
            except (KeyError, TypeError, ValueError) as error:
                raise DataFileError(
                    f"{path}: subject {subject!r} has a malformed camera ({error!r}). {CHECK_HINT}"
                ) from None
        table[subject] = entries
    return table


def _published_cameras(subject: str) -> list[tuple[str, np.ndarray, tuple[int, int], np.ndarray, np.ndarray]]:
    cameras = []
    for camera in CAMERA_IDS:
        rotation, centre = h36m_camera_pose(subject, camera)
        cameras.append((camera, h36m_intrinsics(camera), IMAGE_SIZES[camera], rotation, centre))
    return cameras


def read_h36m(root: Path, keypoints: str = "gt", needed_for: str = "Human3.6M") -> list[PoseSequence]:
    """Every camera view of every take in ``root``'s H3.6M files (17 joints, camera frame, metres).

    Raises:
        MissingDataFile: a file is not in ``root``.
        DataFileError: a wrong key, shape, unit or value, with the file named.
    """
    path_3d, path_2d = root / FILE_3D, root / FILES_2D[keypoints]
    positions_3d = require_dict(
        require_key(open_npz(path_3d, needed_for), "positions_3d", path_3d), "positions_3d", path_3d
    )
    content_2d = open_npz(path_2d, needed_for)
    positions_2d = require_dict(require_key(content_2d, "positions_2d", path_2d), "positions_2d", path_2d)
    visible_all = require_dict(content_2d.get("visible", {}), "visible", path_2d)
    metadata = content_2d.get("metadata")
    rates = metadata.get("fps", {}) if isinstance(metadata, dict) else {}
    custom = camera_table(root)
    sequences = []
    for subject in sorted(positions_3d):
        if subject not in positions_2d:
            raise DataFileError(f"{path_2d.name} has no 2D for subject {subject!r} of {path_3d.name}. {CHECK_HINT}")
        if subject in custom:
            cameras = custom[subject]
        else:
            try:
                cameras = _published_cameras(subject)
            except KeyError as error:
                raise DataFileError(
                    f"{path_3d.name}: subject {subject!r} has no published H3.6M calibration and {CAMERAS_FILE} "
                    f"does not list it ({error.args[0]})"
                ) from None
        actions = require_dict(positions_3d[subject], f"positions_3d[{subject!r}]", path_3d)
        for action in sorted(actions):
            where = f"positions_3d[{subject!r}][{action!r}]"
            X_world = require_array(actions[action], where, path_3d, (None, 32, 3))[:, list(KEPT_32)]
            require_metres(X_world, H36M17.parents, where, path_3d)
            views = positions_2d[subject].get(action) if isinstance(positions_2d[subject], dict) else None
            if views is None:
                raise DataFileError(f"{path_2d.name} has no 2D for {subject}/{action}. {CHECK_HINT}")
            if len(views) != len(cameras):
                raise DataFileError(
                    f"{path_2d.name}: {subject}/{action} has {len(views)} camera views, the calibration {len(cameras)}"
                )
            frames = X_world.shape[0]
            for index, (camera, K, size, rotation, centre) in enumerate(cameras):
                where_2d = f"positions_2d[{subject!r}][{action!r}][{index}]"
                x_px = require_array(views[index], where_2d, path_2d, (None, 17, 2))
                if x_px.shape[0] < frames:
                    raise DataFileError(
                        f"{path_2d.name}: {where_2d} has {x_px.shape[0]} frames, fewer than the 3D's {frames}"
                    )
                visible = None
                if subject in visible_all:
                    visible = np.asarray(visible_all[subject][action][index], dtype=bool)[:frames]
                sequences.append(
                    PoseSequence(
                        subject=subject,
                        action=action,
                        camera=camera,
                        x2d_px=x_px[:frames],
                        X3d=(X_world - centre) @ rotation.T,
                        intrinsics_px=K,
                        image_size=(int(size[0]), int(size[1])),
                        layout="h36m17",
                        fps=float(rates.get(subject, FPS)),
                        visible=visible,
                    )
                )
    return sequences
