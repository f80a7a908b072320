"""What every real-data reader produces: camera views of takes in file units, and their conversion
to the suite's :class:`~lifelong_pose.data.domain.DomainData`.

Readers only parse their format into :class:`PoseSequence` (pixels, metres, the canonical joint
order); everything the suite's conventions add (normalised screen coordinates, root-relative 3D,
the 17 -> 16 joint cut, frame stride, the 3DHP ``valid`` mask, integer ids) happens once, here, so
that every format goes through the same tested path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lifelong_pose.data.domain import DomainData
from lifelong_pose.geometry.camera import normalize_intrinsics, normalize_screen_coordinates
from lifelong_pose.geometry.skeleton import FROM_H36M, get_layout


@dataclass(frozen=True)
class PoseSequence:
    """One camera's view of one take, as a file holds it.

    Attributes:
        subject, action, camera: names from the file (``S1``, ``Walking 1``, ``54138969``).
        x2d_px: (T, J, 2) 2D joints in pixels.
        X3d: (T, J, 3) camera-frame joints in metres (absolute: the root is not at 0), or None
            when the file has no 3D for this take.
        intrinsics_px: (9,) ``[fx, fy, cx, cy, k1, k2, k3, p1, p2]`` in pixels.
        image_size: (width, height) in pixels.
        layout: joint order of the arrays, ``h36m17`` or ``common16`` (readers reorder to these).
        fps: frame rate of the arrays.
        visible: (T, J) False where a joint was not observed; None means all were.
        valid: (T,) False for frames a dataset marks invalid (3DHP's ``valid``); None means all.
        independent_frames: the frames are not consecutive video frames (files that keep a
            subsample without sequence ids); each becomes a sequence of its own, so a temporal
            window repeats the frame instead of joining unrelated instants.
        camera_fit_rms_px: where the intrinsics were fitted to the file's own 2D-3D pairs, the
            fit's root-mean-square residual in pixels (shown by ``data check``).
    """

    subject: str
    action: str
    camera: str
    x2d_px: np.ndarray
    X3d: np.ndarray | None
    intrinsics_px: np.ndarray
    image_size: tuple[int, int]
    layout: str
    fps: float
    visible: np.ndarray | None = None
    valid: np.ndarray | None = None
    independent_frames: bool = False
    camera_fit_rms_px: float | None = None

    def __post_init__(self) -> None:
        where = f"{self.subject}/{self.action}/{self.camera}"
        joints = get_layout(self.layout).num_joints
        frames = self.x2d_px.shape[0]
        if self.x2d_px.shape != (frames, joints, 2):
            raise ValueError(f"{where}: 2D must be (T, {joints}, 2), got {self.x2d_px.shape}")
        if self.X3d is not None and self.X3d.shape != (frames, joints, 3):
            raise ValueError(f"{where}: 3D must be (T={frames}, {joints}, 3) like its 2D, got {self.X3d.shape}")
        if self.intrinsics_px.shape != (9,):
            raise ValueError(f"{where}: intrinsics must be 9 numbers, got shape {self.intrinsics_px.shape}")
        for name, shape in (("visible", (frames, joints)), ("valid", (frames,))):
            value = getattr(self, name)
            if value is not None and value.shape != shape:
                raise ValueError(f"{where}: {name} must have shape {shape}, got {value.shape}")

    @property
    def num_frames(self) -> int:
        return self.x2d_px.shape[0]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of every run of True in a 1D mask."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _pieces(sequence: PoseSequence, stride: int, valid_mask: bool) -> list[np.ndarray]:
    """Frame indices of each contiguous piece kept from ``sequence``.

    With ``valid_mask``, the runs of valid frames are found at the full frame rate and the
    stride is applied inside each run, so a temporal window never joins frames on both sides of
    an invalid gap, however short the gap.
    """
    if valid_mask and sequence.valid is not None:
        runs = _runs(sequence.valid.astype(bool))
    else:
        runs = [(0, sequence.num_frames)] if sequence.num_frames else []
    return [np.arange(start, stop, stride) for start, stop in runs]


def to_domain_data(
    sequences: list[PoseSequence],
    *,
    name: str,
    layout: str,
    labelled: bool,
    split: str,
    stride: int = 1,
    valid_mask: bool = True,
) -> DomainData:
    """Concatenate camera views into one domain split in the suite's conventions.

    Args:
        sequences: the views, all with 3D when ``labelled`` or when this is a test split.
        layout: the stream's layout; ``h36m17`` sequences are cut to ``common16`` when asked.
        stride: keep every ``stride``-th frame (the frame rate recorded is divided by it).
        valid_mask: drop frames marked invalid (3DHP test protocol) and cut sequences there.

    The frame rate recorded is the most common one of the sequences (3DHP's training set mixes
    25 and 50 fps; windows are counted in frames either way).

    Raises:
        ValueError: no frames left, a 16-joint file asked for 17 joints, 3D missing where needed,
            or a non-positive stride.
    """
    if stride < 1:
        raise ValueError(f"{name}: stride must be >= 1, got {stride}")
    if not sequences:
        raise ValueError(f"{name} ({split}): no sequences selected")
    rates = [s.fps for s in sequences]
    fps = max(sorted(set(rates)), key=rates.count)
    # 3D is kept wherever the files have it (the scenario strips it from targets' adaptation data)
    needs_3d = labelled or split == "test"
    with_3d = all(s.X3d is not None for s in sequences)
    subjects = sorted({s.subject for s in sequences})
    actions = sorted({s.action for s in sequences})
    cameras = sorted({s.camera for s in sequences})
    columns: dict[str, list[np.ndarray]] = {key: [] for key in ("x2d", "visible", "X3d", "K", "size", "ids", "index")}
    sequence_id = 0
    for sequence in sequences:
        if sequence.layout == layout:
            keep = list(range(get_layout(layout).num_joints))
        elif sequence.layout == "h36m17" and layout == "common16":
            keep = list(FROM_H36M["common16"])
        else:
            raise ValueError(
                f"{name}: {sequence.subject}/{sequence.action} has {sequence.layout} joints; "
                f"a {layout} stream cannot be made from it"
            )
        if needs_3d and sequence.X3d is None:
            raise ValueError(
                f"{name} ({split}): {sequence.subject}/{sequence.action} has no 3D, which this split needs"
            )
        ids = (subjects.index(sequence.subject), actions.index(sequence.action), cameras.index(sequence.camera))
        pieces = _pieces(sequence, stride, valid_mask)
        if sequence.independent_frames and pieces:  # one block, every frame its own sequence
            pieces = [np.concatenate(pieces)]
        for frames in pieces:
            n = len(frames)
            columns["x2d"].append(sequence.x2d_px[frames][:, keep])
            visible = (
                sequence.visible[frames][:, keep] if sequence.visible is not None else np.ones((n, len(keep)), bool)
            )
            columns["visible"].append(visible)
            if with_3d:
                assert sequence.X3d is not None
                columns["X3d"].append(sequence.X3d[frames][:, keep])
            columns["K"].append(np.broadcast_to(sequence.intrinsics_px, (n, 9)))
            columns["size"].append(np.broadcast_to(np.asarray(sequence.image_size), (n, 2)))
            block_ids = np.broadcast_to(np.asarray([sequence_id, *ids]), (n, 4)).copy()
            if sequence.independent_frames:
                block_ids[:, 0] = sequence_id + np.arange(n)
                columns["index"].append(np.zeros(n, dtype=np.int64))
                sequence_id += n
            else:
                columns["index"].append(np.arange(n))
                sequence_id += 1
            columns["ids"].append(block_ids)
    if sequence_id == 0:
        raise ValueError(f"{name} ({split}): no frames left after the stride and the valid mask")

    size = torch.as_tensor(np.concatenate(columns["size"]), dtype=torch.int64)
    x_px = torch.as_tensor(np.concatenate(columns["x2d"]), dtype=torch.float64)
    # normalise per frame: domains may mix resolutions (3DHP's TS5-6 are 1920x1080, TS1-4 2048x2048)
    x2d = normalize_screen_coordinates(x_px, size[:, 0:1], size[:, 1:2])
    visible = torch.as_tensor(np.concatenate(columns["visible"]), dtype=torch.bool)
    x2d = torch.where(visible[..., None], x2d, torch.zeros_like(x2d))
    K_px = torch.as_tensor(np.concatenate(columns["K"]), dtype=torch.float64)
    intrinsics = normalize_intrinsics(K_px, size[:, 0], size[:, 1])
    X3d = root = None
    if with_3d:
        absolute = torch.as_tensor(np.concatenate(columns["X3d"]), dtype=torch.float64)
        root = absolute[:, 0]
        X3d = (absolute - absolute[:, :1]).float()
        root = root.float()
    ids = torch.as_tensor(np.concatenate(columns["ids"]), dtype=torch.int64)
    return DomainData(
        x2d=x2d.float(),
        visible=visible,
        X3d=X3d,
        root=root,
        intrinsics=intrinsics.float(),
        image_size=size,
        sequence_id=ids[:, 0].contiguous(),
        frame_index=torch.as_tensor(np.concatenate(columns["index"]), dtype=torch.int64),
        camera_id=ids[:, 3].contiguous(),
        body_id=ids[:, 1].contiguous(),
        action_id=ids[:, 2].contiguous(),
        name=name,
        layout_name=layout,
        fps=fps / stride,
        labelled=labelled,
        actions=tuple(actions),
        split=split,
    )
