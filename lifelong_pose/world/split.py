"""Train/test split by contiguous clip segments, so the two splits never share a frame."""

from __future__ import annotations

import numpy as np

from lifelong_pose.motion.clip import MotionClip
from lifelong_pose.motion.resample import slice_clip

BLOCKS_PER_CLIP = 10


def split_clip(
    clip: MotionClip, test_fraction: float, rng: np.random.Generator
) -> tuple[list[MotionClip], list[MotionClip]]:
    """Cut a clip into train pieces and one contiguous test piece.

    The clip is divided into ``BLOCKS_PER_CLIP`` equal blocks; a random run of
    ``round(test_fraction * BLOCKS_PER_CLIP)`` blocks is the test piece, what lies before and
    after it are train pieces. Resampling later interpolates only inside a piece, so no train
    frame is ever the same instant of motion as a test frame.

    Returns:
        (train pieces, test pieces); pieces shorter than 2 frames are dropped.
    """
    n = clip.num_frames
    bounds = np.linspace(0, n, BLOCKS_PER_CLIP + 1).round().astype(int)
    test_blocks = max(1, round(test_fraction * BLOCKS_PER_CLIP))
    first = int(rng.integers(0, BLOCKS_PER_CLIP - test_blocks + 1))
    start, stop = int(bounds[first]), int(bounds[first + test_blocks])
    test = [slice_clip(clip, start, stop, f"@{start}-{stop}")] if stop - start >= 2 else []
    train = [slice_clip(clip, a, b, f"@{a}-{b}") for a, b in ((0, start), (stop, n)) if b - a >= 2]
    return train, test
