"""MPI-INF-3DHP as the field's preprocessing repositories write it. Three test layouts and two
training layouts are read; when a folder holds several, the first found in this order is used
(the one with sequences and the ``valid`` mask first) and ``data check`` says which.

Test set (the six sequences TS1-TS6):

1. P-STMO (``data_to_npz_3dhp_test.py``): ``data_test_3dhp.npz``, key ``data`` =
   ``{"TS1".."TS6": {"data_2d": (T, 17, 2) pixels, "data_3d": (T, 17, 3) millimetres,
   "valid": (T,)}}``, joints in 3DHP's own 17-joint order (head_top, neck, R shoulder, R elbow,
   R wrist, L shoulder, L elbow, L wrist, R hip, R knee, R ankle, L hip, L knee, L ankle, pelvis,
   spine, head); 3D in the camera frame (``univ_annot3``).
2. AdaptPose: ``data_3dhp_gt_test.npz``, keys ``positions_2d`` / ``positions_3d`` =
   ``{"TS1".."TS6": (T, 16, 2) pixels / (T, 16, 3) millimetres}`` in the H3.6M 16-joint order.
   It has no ``valid`` key; as AdaptPose's loader does, the first 100 frames of TS3 and TS4 are
   dropped when the valid mask is on.
3. PoseAug: ``test_3dhp.npz``, keys ``pose3d`` (N, 16, 3) metres, pelvis-relative, and
   ``pose2d`` (N, 16, 2) normalised screen coordinates, H3.6M 16-joint order; 2929 frames sampled
   from the sequences with **no sequence ids**. The community's loaders take frames 0-2206 as
   TS1-TS4 and the rest as TS5-TS6; this reader does the same (stated, not checkable from the
   file), keeps every frame as its own sequence, and recovers each root position by least
   squares from the 2D (:func:`~lifelong_pose.datasets.fit.fit_root`). PoseAug's preparation
   multiplies masked joints by 0, so a 2D joint at exactly (0, 0) counts as unobserved.
   Its "Head" comes from SPIN's 24-joint list; which 3DHP joint that is (head top or head) is
   the preparation's choice and is taken as given.

Training set (subjects S1-S8, for the inductive protocol):

1. P-STMO: ``data_train_3dhp.npz``, key ``data`` = ``{"S1 Seq1": [{camera: {"data_2d",
   "data_3d"}}, fps]}`` with the 17 3DHP joints, pixels and millimetres. The file has no
   intrinsics: each view's pinhole intrinsics are fitted to its own 2D-3D pairs, and the fit's
   residual is kept (``data check`` shows it: the 3D is ``univ_annot3``, rescaled to a
   universal skeleton, so it does not reproject exactly onto the 2D).
2. AdaptPose: ``data_3dhp_gt_train.npz``, key ``positions_2d`` = ``{subject: {sequence: {camera:
   (T, 16, 2) pixels}}}`` (2D only) whose legs and arms are in the other order (AdaptPose
   reorders them with ``[0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 13, 14, 15, 10, 11, 12]``, as this reader
   does); the studio cameras' intrinsics are taken as TS1-TS4's (2048x2048, f ~ 1500 px) and
   the frame rate as 25 fps (the file has neither). Every subject in the file is read (AdaptPose
   itself uses S1-S7).

Test intrinsics: TS1-TS4 ``fx, fy = 1500.172, 1500.837``, ``cx, cy = 1017.387, 1043.032``
(2048x2048, no distortion); TS5-TS6 ``1683.983, 1672.594``, ``939.858, 560.141`` (1920x1080)
with radial ``-0.276860, 0.131125, -0.049318`` and tangential ``-0.000360, -0.001149`` (the
table of the 3DHP test set's calibration as VideoPose3D-style loaders list it). Frame rates: the
test set is read as 50 fps (TS5-TS6 were filmed at 25 fps; windows count frames either way).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from lifelong_pose.datasets.files import (
    CHECK_HINT,
    DataFileError,
    MissingDataFile,
    open_npz,
    reading,
    require_array,
    require_dict,
    require_key,
    require_metres,
    require_normalised,
    require_pixels,
)
from lifelong_pose.datasets.fit import consistent_root, fit_intrinsics, fit_root
from lifelong_pose.datasets.sequences import PoseSequence
from lifelong_pose.geometry.camera import image_coordinates
from lifelong_pose.geometry.skeleton import COMMON16, H36M17

TEST_FILES = ("data_test_3dhp.npz", "data_3dhp_gt_test.npz", "test_3dhp.npz")
TRAIN_FILES = ("data_train_3dhp.npz", "data_3dhp_gt_train.npz")
PSTMO_KEYS = ("data",)
ADAPTPOSE_TEST_KEYS = ("positions_2d", "positions_3d")
POSEAUG_KEYS = ("pose3d", "pose2d", "camera", "image_size", "sequence_id")
ADAPTPOSE_TRAIN_KEYS = ("positions_2d",)
MEMBERS: dict[str, tuple[str, ...]] = {
    "data_test_3dhp.npz": PSTMO_KEYS,
    "data_3dhp_gt_test.npz": ADAPTPOSE_TEST_KEYS,
    "test_3dhp.npz": POSEAUG_KEYS,
    "data_train_3dhp.npz": PSTMO_KEYS,
    "data_3dhp_gt_train.npz": ADAPTPOSE_TRAIN_KEYS,
}
"""The arrays each layout's reader reads; any other member is never opened (``data check`` lists it)."""
TEST_SEQUENCES = ("TS1", "TS2", "TS3", "TS4", "TS5", "TS6")
# 3DHP's 17 joints -> the canonical H3.6M 17 (Thorax <- neck, Neck/Nose <- head, Head <- head_top).
HP3D17_TO_H36M17: tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4)
# AdaptPose's training 2D lists left limbs before right ones; this puts them in H3.6M order.
ADAPTPOSE_TRAIN_ORDER: tuple[int, ...] = (0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 13, 14, 15, 10, 11, 12)
POSEAUG_FIRST_TS56_FRAME = 2207
TEST_FPS = 50.0
ADAPTPOSE_TRAIN_FPS = 25.0

_STUDIO = np.array([1500.172, 1500.837, 1017.387, 1043.032, 0, 0, 0, 0, 0])
_OUTDOOR = np.array(
    [
        *(1683.98345952, 1672.59370772, 939.85754016, 560.140743168),  # fx, fy, cx, cy
        *(-0.276859611, 0.131125256, -0.049318332, -0.000360494, -0.001149441),  # k1-k3, p1, p2
    ]
)


def test_camera(sequence: str, path: Path | None = None) -> tuple[np.ndarray, tuple[int, int]]:
    """Pixel intrinsics and (width, height) of a 3DHP test sequence.

    Raises:
        DataFileError: a name other than TS1-TS6 (its camera would be a guess).
    """
    if sequence not in TEST_SEQUENCES:
        where = f"{path.name}: " if path is not None else ""
        raise DataFileError(f"{where}unknown 3DHP test sequence {sequence!r}; expected {', '.join(TEST_SEQUENCES)}")
    if sequence in ("TS5", "TS6"):
        return _OUTDOOR, (1920, 1080)
    return _STUDIO, (2048, 2048)


def _pstmo_test(path: Path, needed_for: str) -> list[PoseSequence]:
    data = require_dict(require_key(open_npz(path, needed_for, PSTMO_KEYS), "data", path), "data", path)
    sequences = []
    for name in sorted(data, key=str):
        entry = require_dict(data[name], f"data[{name!r}]", path)
        x_px = require_array(require_key(entry, "data_2d", path), f"data[{name!r}]['data_2d']", path, (None, 17, 2))
        frames = x_px.shape[0]
        X = require_array(require_key(entry, "data_3d", path), f"data[{name!r}]['data_3d']", path, (frames, 17, 3))
        valid = require_array(require_key(entry, "valid", path), f"data[{name!r}]['valid']", path, (frames,))
        X = X[:, list(HP3D17_TO_H36M17)] / 1000.0
        require_metres(X, H36M17.parents, f"data[{name!r}]['data_3d'] / 1000", path)
        K, size = test_camera(name, path)
        require_pixels(x_px, size, f"data[{name!r}]['data_2d']", path)
        x_px = x_px[:, list(HP3D17_TO_H36M17)]
        sequences.append(PoseSequence(name, "test", name, x_px, X, K, size, "h36m17", TEST_FPS, valid=valid > 0))
    return sequences


def _adaptpose_test(path: Path, needed_for: str) -> list[PoseSequence]:
    content = open_npz(path, needed_for, ADAPTPOSE_TEST_KEYS)
    positions_2d = require_dict(require_key(content, "positions_2d", path), "positions_2d", path)
    positions_3d = require_dict(require_key(content, "positions_3d", path), "positions_3d", path)
    sequences = []
    for name in sorted(positions_3d, key=str):
        X = require_array(positions_3d[name], f"positions_3d[{name!r}]", path, (None, 16, 3)) / 1000.0
        require_metres(X, COMMON16.parents, f"positions_3d[{name!r}] / 1000", path)
        if name not in positions_2d:
            raise DataFileError(f"{path.name} has 3D but no 2D for {name!r}. {CHECK_HINT}")
        x_px = require_array(positions_2d[name], f"positions_2d[{name!r}]", path, (X.shape[0], 16, 2))
        valid = np.ones(X.shape[0], bool)
        if name in ("TS3", "TS4"):
            valid[:100] = False
        K, size = test_camera(name, path)
        require_pixels(x_px, size, f"positions_2d[{name!r}]", path)
        X = consistent_root(X, x_px, K)  # AdaptPose's loader subtracts the root: it may be stored relative
        sequences.append(PoseSequence(name, "test", name, x_px, X, K, size, "common16", TEST_FPS, valid=valid))
    return sequences


def read_poseaug_file(path: Path, needed_for: str) -> list[PoseSequence]:
    """A file in PoseAug's ``test_3dhp.npz`` layout (see the module docstring).

    The suite's export adds three keys the field's file does not have, and they are used when
    present: ``camera`` (N, 9) pixel intrinsics, ``image_size`` (N, 2) and ``sequence_id`` (N,).
    Without them, frames 0-2206 are TS1-TS4 and the rest TS5-TS6, each frame its own sequence.
    """
    content = open_npz(path, needed_for, POSEAUG_KEYS)
    with reading(path, needed_for):
        X_rel = require_array(require_key(content, "pose3d", path), "pose3d", path, (None, 16, 3))
        require_metres(X_rel, COMMON16.parents, "pose3d", path)
        n = X_rel.shape[0]
        x_n = require_array(require_key(content, "pose2d", path), "pose2d", path, (n, 16, 2))
        require_normalised(x_n, "pose2d", path)
        visible = ~(x_n == 0).all(axis=-1)  # PoseAug zeroes masked joints
        X_rel = X_rel - X_rel[:, :1]
        if "camera" in content:
            K = require_array(content["camera"], "camera", path, (n, 9))
            size = require_array(require_key(content, "image_size", path), "image_size", path, (n, 2)).astype(int)
            ids = require_array(require_key(content, "sequence_id", path), "sequence_id", path, (n,)).astype(int)
            groups = [(f"seq{i:05d}", np.flatnonzero(ids == i)) for i in np.unique(ids)]
            cameras = [(K[frames[0]], tuple(size[frames[0]])) for _, frames in groups]
            independent = False
        else:
            boundary = min(n, POSEAUG_FIRST_TS56_FRAME)
            groups = [
                (name, frames) for name, frames in (("TS1-4", np.arange(boundary)), ("TS5-6", np.arange(boundary, n)))
            ]
            groups = [(name, frames) for name, frames in groups if len(frames)]
            cameras = [test_camera("TS5" if name == "TS5-6" else "TS1") for name, _ in groups]
            independent = True
        sequences = []
        for (name, frames), (K_seq, (w, h)) in zip(groups, cameras, strict=True):
            x_px = image_coordinates(torch.as_tensor(x_n[frames]), int(w), int(h)).numpy()
            K_rows = np.broadcast_to(np.asarray(K_seq, float), (len(frames), 9))
            root = fit_root(X_rel[frames], x_px, K_rows, visible[frames])
            sequences.append(
                PoseSequence(
                    name, "test", name, x_px, X_rel[frames] + root[:, None], np.asarray(K_seq, float), (int(w), int(h)),
                    "common16", TEST_FPS, visible=visible[frames], independent_frames=independent,
                )
            )  # fmt: skip
    return sequences


def _pstmo_train(path: Path, needed_for: str) -> list[PoseSequence]:
    data = require_dict(require_key(open_npz(path, needed_for, PSTMO_KEYS), "data", path), "data", path)
    sequences = []
    for key in sorted(data, key=str):
        entry = data[key]
        if not isinstance(entry, list | tuple) or len(entry) != 2:
            raise DataFileError(f"{path.name}: data[{key!r}] must be [cameras, fps]. {CHECK_HINT}")
        cameras, fps = require_dict(entry[0], f"data[{key!r}][0]", path), float(entry[1])
        subject, _, sequence = str(key).partition(" ")
        for camera in sorted(cameras, key=str):
            where = f"data[{key!r}][0][{camera!r}]"
            view = require_dict(cameras[camera], where, path)
            x_px = require_array(require_key(view, "data_2d", path), f"{where}['data_2d']", path, (None, 17, 2))
            X = require_array(require_key(view, "data_3d", path), f"{where}['data_3d']", path, (x_px.shape[0], 17, 3))
            X = X[:, list(HP3D17_TO_H36M17)] / 1000.0
            require_metres(X, H36M17.parents, f"{where}['data_3d'] / 1000", path)
            x_px = x_px[:, list(HP3D17_TO_H36M17)]
            require_pixels(x_px, (2048, 2048), f"{where}['data_2d']", path)
            try:
                K, residual = fit_intrinsics(X, x_px)
            except ValueError as error:
                raise DataFileError(f"{path.name}: {where}: {error}") from None
            sequences.append(
                PoseSequence(
                    subject, sequence, str(camera), x_px.astype(np.float32), X.astype(np.float32), K, (2048, 2048),
                    "h36m17", fps, camera_fit_rms_px=residual,
                )
            )  # fmt: skip
    return sequences


def _adaptpose_train(path: Path, needed_for: str) -> list[PoseSequence]:
    content = open_npz(path, needed_for, ADAPTPOSE_TRAIN_KEYS)
    positions_2d = require_dict(require_key(content, "positions_2d", path), "positions_2d", path)
    sequences = []
    for subject in sorted(positions_2d, key=str):
        takes = require_dict(positions_2d[subject], f"positions_2d[{subject!r}]", path)
        for take in sorted(takes, key=str):
            cameras = require_dict(takes[take], f"positions_2d[{subject!r}][{take!r}]", path)
            for camera in sorted(cameras, key=str):
                where = f"positions_2d[{subject!r}][{take!r}][{camera!r}]"
                x_px = require_array(cameras[camera], where, path, (None, 16, 2))[:, list(ADAPTPOSE_TRAIN_ORDER)]
                require_pixels(x_px, (2048, 2048), where, path)
                sequences.append(
                    PoseSequence(
                        str(subject), str(take), str(camera), x_px.astype(np.float32), None, _STUDIO, (2048, 2048),
                        "common16", ADAPTPOSE_TRAIN_FPS,
                    )
                )  # fmt: skip
    return sequences


_READERS: dict[str, Callable[[Path, str], list[PoseSequence]]] = {
    "data_test_3dhp.npz": _pstmo_test,
    "data_3dhp_gt_test.npz": _adaptpose_test,
    "test_3dhp.npz": read_poseaug_file,
    "data_train_3dhp.npz": _pstmo_train,
    "data_3dhp_gt_train.npz": _adaptpose_train,
}


def hp3d_file(root: Path, part: str, needed_for: str = "MPI-INF-3DHP") -> Path:
    """The 3DHP file of ``part`` (``train`` / ``test``) that ``root`` holds, by preference.

    Raises:
        MissingDataFile: none of the accepted files is there (all are named).
    """
    names = TEST_FILES if part == "test" else TRAIN_FILES
    for name in names:
        if (root / name).is_file():
            return root / name
    needed = "MPI-INF-3DHP " + ("test set" if part == "test" else "training set, for the inductive protocol")
    raise MissingDataFile(
        f"None of {', '.join(names)} found in {root} (needed for the {needed}: {needed_for}); {CHECK_HINT}"
    )


def read_hp3d(root: Path, part: str, needed_for: str = "MPI-INF-3DHP") -> list[PoseSequence]:
    """Every sequence of the 3DHP ``part`` in ``root``, in camera-frame metres and pixels.

    Raises:
        MissingDataFile: no accepted file for ``part``.
        DataFileError: the file is not in its format (file and key named).
    """
    path = hp3d_file(root, part, needed_for)
    with reading(path, needed_for):
        return _READERS[path.name](path, needed_for)
