"""Resampling clips in time: a new frame rate and a playback speed, rotations by slerp."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from lifelong_pose.motion.clip import MotionClip


def resample_clip(clip: MotionClip, fps: float, speed: float = 1.0, times: np.ndarray | None = None) -> MotionClip:
    """The clip sampled at ``fps`` and played ``speed`` times faster.

    Rotations are interpolated by spherical linear interpolation (scipy ``Slerp``, per joint:
    scipy's Slerp takes one rotation sequence), the root position linearly.

    Args:
        fps: frame rate of the result.
        speed: playback speed; 2.0 makes a motion take half the time.
        times: (F,) source frame times in seconds when they are not uniform.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if speed <= 0:
        raise ValueError(f"speed must be positive, got {speed}")
    source_times = np.arange(clip.num_frames) / clip.fps if times is None else np.asarray(times, dtype=float)
    if source_times.shape != (clip.num_frames,) or (np.diff(source_times) <= 0).any():
        raise ValueError(f"times must be ({clip.num_frames},) and increasing")
    step = speed / fps
    count = int(np.floor((source_times[-1] - source_times[0]) / step + 1e-9)) + 1
    new_times = source_times[0] + np.arange(count) * step
    root = np.stack([np.interp(new_times, source_times, clip.root_position[:, a]) for a in range(3)], axis=1)
    rotations = np.empty((count, clip.skeleton.num_joints, 4))
    for joint in range(clip.skeleton.num_joints):
        slerp = Slerp(source_times, Rotation.from_quat(clip.rotations[:, joint]))
        rotations[:, joint] = slerp(new_times).as_quat()
    return replace(clip, fps=float(fps), root_position=root, rotations=rotations)


def slerp(q0: np.ndarray, q1: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Spherical linear interpolation of unit quaternions (..., 4) by ``weight`` (...) toward ``q1``.

    Vectorised over every leading axis (scipy's ``Slerp`` takes one rotation sequence at a
    time); agrees with it to 1e-9 (tested).
    """
    dot = (q0 * q1).sum(axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)  # the short way round
    angle = np.arccos(np.abs(dot).clip(max=1.0))
    w = np.asarray(weight)[..., None]
    small = angle < 1e-8
    sine = np.where(small, 1.0, np.sin(angle))
    out = np.where(small, (1 - w) * q0 + w * q1, (np.sin((1 - w) * angle) * q0 + np.sin(w * angle) * q1) / sine)
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def sample_clip(clip: MotionClip, new_times: np.ndarray, fps: float) -> MotionClip:
    """The clip's pose at each of ``new_times`` (seconds from its first frame, any spacing), as a clip at ``fps``.

    Pointwise: the pose at a time does not depend on which other times are asked for, so a
    take sampled every 10th frame holds exactly the frames of the same take sampled at full
    rate. Rotations by slerp between the two nearest frames (all joints at once), the root
    position linearly.

    Raises:
        ValueError: a time outside the clip.
    """
    new_times = np.asarray(new_times, dtype=float)
    if new_times.size and (new_times.min() < -1e-9 or new_times.max() > clip.duration + 1e-9):
        raise ValueError(
            f"Times {new_times.min():.3f}..{new_times.max():.3f} s lie outside clip {clip.name!r} "
            f"(0..{clip.duration:.3f} s)"
        )
    position = np.clip(new_times * clip.fps, 0, clip.num_frames - 1)
    before = np.minimum(np.floor(position).astype(int), clip.num_frames - 2)
    weight = position - before
    rotations = slerp(clip.rotations[before], clip.rotations[before + 1], weight[:, None])
    return replace(clip, fps=float(fps), root_position=root_at(clip, new_times), rotations=rotations)


def root_at(clip: MotionClip, times: np.ndarray) -> np.ndarray:
    """(T, 3) the root position at ``times`` (seconds from the first frame), linearly interpolated."""
    source = np.arange(clip.num_frames) / clip.fps
    return np.stack([np.interp(times, source, clip.root_position[:, a]) for a in range(3)], axis=1)


def slice_clip(clip: MotionClip, start: int, stop: int, name_suffix: str = "") -> MotionClip:
    """Frames ``[start, stop)`` of a clip (the train/test split cuts clips into segments)."""
    if not 0 <= start < stop <= clip.num_frames or stop - start < 2:
        raise ValueError(f"Bad slice [{start}, {stop}) of clip {clip.name!r} with {clip.num_frames} frames")
    return replace(
        clip,
        name=clip.name + name_suffix,
        root_position=clip.root_position[start:stop],
        rotations=clip.rotations[start:stop],
    )
