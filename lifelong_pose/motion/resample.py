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
