"""3DPW as prepared by AdaptPose (``function_adaptpose/data_preparation.py`` of mgholamikn/AdaptPose).

Files: ``data_3dpw_gt_train.npz`` and ``data_3dpw_gt_test.npz``, keys ``positions_2d`` (N, 16, 2)
in normalised screen coordinates and ``positions_3d`` (N, 16, 3) in metres, flat arrays of frames
with no sequence ids, intrinsics or image size.

What this reader follows, explicitly:

- Joint order: the training file is used in its own order (H3.6M 16 joints), the test file's legs
  are swapped into that order with ``[0, 4, 5, 6, 1, 2, 3, 7, ..., 15]``, exactly as AdaptPose's
  loader does (the two files were written with different leg orders).
- Camera: the files do not say which resolution normalised the 2D. The frames are taken as
  3DPW's portrait phone video (1080x1920) with its nominal focal length (1961 px). Where the 3D
  is root-relative (root within 10 cm of the camera centre), or its root does not project onto
  the 2D through that camera (median error above 10 px), the root position is solved from the
  2D by least squares (:func:`~lifelong_pose.datasets.fit.consistent_root`), so 2D, intrinsics
  and 3D agree even if the true focal length differs (a different focal only moves the root).
- Frames: no sequence ids, so every frame is its own sequence (temporal windows repeat it); the
  frame rate is 3DPW's 30 fps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from lifelong_pose.datasets.files import (
    open_npz,
    reading,
    require_array,
    require_key,
    require_metres,
    require_normalised,
)
from lifelong_pose.datasets.fit import consistent_root
from lifelong_pose.datasets.sequences import PoseSequence
from lifelong_pose.geometry.camera import image_coordinates
from lifelong_pose.geometry.skeleton import COMMON16

FILES = {"train": "data_3dpw_gt_train.npz", "test": "data_3dpw_gt_test.npz"}
TEST_ORDER: tuple[int, ...] = (0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15)
IMAGE_SIZE = (1080, 1920)
FOCAL_PX = 1961.0
FPS = 30.0
MEMBERS: dict[str, tuple[str, ...]] = dict.fromkeys(FILES.values(), ("positions_2d", "positions_3d"))
"""The arrays the reader reads from each file; any other member is never opened (``data check`` lists it)."""
INTRINSICS = np.array([FOCAL_PX, FOCAL_PX, IMAGE_SIZE[0] / 2, IMAGE_SIZE[1] / 2, 0, 0, 0, 0, 0])


def read_pw3d(root: Path, part: str, needed_for: str = "3DPW") -> list[PoseSequence]:
    """The 3DPW ``part`` (``train`` / ``test``) of ``root`` as one sequence of independent frames.

    Raises:
        MissingDataFile: the file is not in ``root``.
        DataFileError: a wrong key, shape, unit or value.
    """
    path = root / FILES[part]
    content = open_npz(path, f"{needed_for}, {part} split", MEMBERS[path.name])
    with reading(path, needed_for):
        X = require_array(require_key(content, "positions_3d", path), "positions_3d", path, (None, 16, 3))
        x_n = require_array(require_key(content, "positions_2d", path), "positions_2d", path, (X.shape[0], 16, 2))
        if part == "test":
            X, x_n = X[:, list(TEST_ORDER)], x_n[:, list(TEST_ORDER)]
        require_metres(X, COMMON16.parents, "positions_3d", path)
        require_normalised(x_n, "positions_2d", path)
        x_px = image_coordinates(torch.as_tensor(x_n), *IMAGE_SIZE).numpy()
        X = consistent_root(X, x_px, INTRINSICS)
        return [
            PoseSequence(
                part, part, "phone", x_px.astype(np.float32), X.astype(np.float32), INTRINSICS, IMAGE_SIZE,
                "common16", FPS, independent_frames=True,
            )
        ]  # fmt: skip
