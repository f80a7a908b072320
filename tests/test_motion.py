from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from lifelong_pose.geometry import H36M17, bone_lengths
from lifelong_pose.motion import (
    MotionClip,
    MotionError,
    forward_kinematics,
    h36m_positions,
    read_bvh,
    read_deepmimic_clip,
    resample_clip,
)
from lifelong_pose.motion.deepmimic import pybullet_data_path

BONE_PAIRS = H36M17.bones


def _bone_lengths(X: np.ndarray) -> np.ndarray:
    return bone_lengths(torch.as_tensor(X), H36M17).numpy()


def test_deepmimic_library(clips: list[MotionClip]) -> None:
    assert len(clips) == 15
    actions = {c.action for c in clips}
    assert {
        "walk",
        "run",
        "jump",
        "kick",
        "punch",
        "dance",
        "cartwheel",
        "backflip",
        "crawl",
        "roll",
        "getup",
        "spin",
    } <= actions
    walk = next(c for c in clips if c.name == "deepmimic/walk")
    X = h36m_positions(walk)
    assert X.shape == (walk.num_frames, 17, 3)
    head, foot = X[:, H36M17.index("Head"), 2], X[:, [3, 6], 2].min(axis=1)
    assert 1.4 < float(np.mean(head - foot)) < 1.7  # a 1.6 m humanoid standing up
    assert float(foot.min()) > -0.05  # feet do not sink into the floor


def test_forward_kinematics_preserves_bone_lengths(clips: list[MotionClip]) -> None:
    for clip in clips:
        lengths = _bone_lengths(h36m_positions(clip))
        assert np.allclose(lengths, lengths[0], atol=1e-9), clip.name


def test_body_scaling_changes_exactly_its_bones(clips: list[MotionClip]) -> None:
    clip = next(c for c in clips if c.action == "run")
    skeleton = clip.skeleton
    base = _bone_lengths(h36m_positions(clip))[0]
    scaled = _bone_lengths(h36m_positions(clip, skeleton.bone_scale({"thigh": 1.2})))[0]
    changed = {
        H36M17.joint_names[c] for (p, c), a, b in zip(BONE_PAIRS, base, scaled, strict=True) if not np.isclose(a, b)
    }
    assert changed == {"RKnee", "LKnee"}  # hip->knee bones only
    thigh = [i for i, (_, c) in enumerate(BONE_PAIRS) if H36M17.joint_names[c] in ("RKnee", "LKnee")]
    assert np.allclose(scaled[thigh], 1.2 * base[thigh])


def test_longer_legs_keep_feet_on_the_floor(clips: list[MotionClip]) -> None:
    walk = next(c for c in clips if c.name == "deepmimic/walk")
    base = h36m_positions(walk)[:, [3, 6], 2].min()
    tall = h36m_positions(walk, walk.skeleton.bone_scale({"thigh": 1.3, "shin": 1.3}))[:, [3, 6], 2].min()
    # the root trajectory scales with the legs (the unscaled pelvis width tilts by < 1 mm)
    assert abs(tall - 1.3 * base) < 1e-3


def test_resample_speed_and_fps(clips: list[MotionClip]) -> None:
    walk = next(c for c in clips if c.name == "deepmimic/walk")
    at_60 = resample_clip(walk, fps=60.0)
    assert at_60.fps == 60.0 and at_60.num_frames == int(walk.duration * 60 + 1e-6) + 1
    fast = resample_clip(walk, fps=60.0, speed=2.0)
    assert abs(fast.duration - walk.duration / 2) <= 1 / 60
    # same frame times give the same rotations (slerp passes through the keys)
    same = resample_clip(walk, fps=walk.fps)
    assert np.allclose(np.abs((same.rotations * walk.rotations[: same.num_frames]).sum(-1)), 1.0, atol=1e-9)
    with pytest.raises(ValueError, match="speed must be positive"):
        resample_clip(walk, fps=30.0, speed=0.0)


def test_slerp_midpoint_is_halfway(clips: list[MotionClip]) -> None:
    walk = next(c for c in clips if c.name == "deepmimic/walk")
    doubled = resample_clip(walk, fps=2 * walk.fps)
    from scipy.spatial.transform import Rotation

    a, b, mid = (Rotation.from_quat(q[1]) for q in (walk.rotations[0], walk.rotations[1], doubled.rotations[1]))
    assert np.isclose((a.inv() * mid).magnitude(), (mid.inv() * b).magnitude(), atol=1e-9)


def test_clip_with_nan_is_rejected(clips: list[MotionClip]) -> None:
    root = clips[0].root_position.copy()
    root[3, 1] = np.nan
    with pytest.raises(MotionError, match="NaN"):
        replace(clips[0], root_position=root)


def test_deepmimic_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "humanoid3d_bad.txt"
    bad.write_text('{"Loop": "wrap", "Frames": [[0.1, 1, 2]]}')
    with pytest.raises(MotionError, match="expected at least 2 frames of 44 numbers"):
        read_deepmimic_clip(bad)
    source = json.loads((pybullet_data_path() / "data" / "motions" / "humanoid3d_walk.txt").read_text())
    source["Frames"][2][5] = float("nan")
    nan_file = tmp_path / "humanoid3d_nan.txt"
    nan_file.write_text(json.dumps(source))
    with pytest.raises(MotionError, match="NaN"):
        read_deepmimic_clip(nan_file)


BVH_SKELETON = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT LeftUpLeg { OFFSET 10 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT LeftLeg { OFFSET 0 -45 0 CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT LeftFoot { OFFSET 0 -42 0 CHANNELS 3 Zrotation Xrotation Yrotation End Site { OFFSET 0 0 10 } } } }
  JOINT RightUpLeg { OFFSET -10 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT RightLeg { OFFSET 0 -45 0 CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT RightFoot { OFFSET 0 -42 0 CHANNELS 3 Zrotation Xrotation Yrotation End Site { OFFSET 0 0 10 } } } }
  JOINT Spine { OFFSET 0 20 0 CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Neck { OFFSET 0 30 0 CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT Head { OFFSET 0 10 0 CHANNELS 3 Zrotation Xrotation Yrotation End Site { OFFSET 0 15 0 } }
      JOINT LeftArm { OFFSET 18 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT LeftForeArm { OFFSET 28 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
          JOINT LeftHand { OFFSET 25 0 0 CHANNELS 3 Zrotation Xrotation Yrotation End Site { OFFSET 5 0 0 } } } }
      JOINT RightArm { OFFSET -18 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
        JOINT RightForeArm { OFFSET -28 0 0 CHANNELS 3 Zrotation Xrotation Yrotation
          JOINT RightHand { OFFSET -25 0 0 CHANNELS 3 Zrotation Xrotation Yrotation End Site { OFFSET -5 0 0 } } } } } }
}
"""
BVH = BVH_SKELETON + "MOTION\nFrames: 3\nFrame Time: 0.02\n"


def bvh_text(values: np.ndarray, frame_time: float = 0.02) -> str:
    """A BVH file of :data:`BVH_SKELETON` with ``values`` (frames, 6 + 3 * 15) as its motion."""
    motion = "\n".join(" ".join(f"{v:g}" for v in row) for row in values)
    return f"{BVH_SKELETON}MOTION\nFrames: {len(values)}\nFrame Time: {frame_time}\n{motion}\n"


def test_bvh_reader_builds_h36m_joints(tmp_path: Path) -> None:
    values = np.zeros((3, 6 + 3 * 15))
    values[:, 1] = 90.0  # hips 90 cm up (y-up file)
    values[1, 6 + 3 * 3 + 1] = 30.0  # right hip X rotation in frame 1
    path = tmp_path / "walk_01.bvh"
    path.write_text(bvh_text(values))
    clip = read_bvh(path)
    assert clip.fps == pytest.approx(50.0) and clip.action == "walk" and clip.num_frames == 3
    X = forward_kinematics(clip)[:, clip.skeleton.h36m_indices]
    assert np.isclose(X[0, 0, 2], 0.90)  # centimetres became metres, y-up became z-up
    assert np.isclose(X[0, H36M17.index("Head"), 2], 0.90 + 0.20 + 0.30 + 0.10 + 0.15)
    lengths = _bone_lengths(X)
    assert np.allclose(lengths, lengths[0])
    assert not np.allclose(X[0, H36M17.index("RFoot")], X[1, H36M17.index("RFoot")])  # the rotation moved the leg


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nonsense", "does not start with HIERARCHY"),
        (BVH.replace("Frames: 3", "Frames: 4"), "expected 4 frames"),
        (BVH.replace("Frame Time: 0.02", "Frame Time: 0"), "Frame Time must be positive"),
        (BVH.replace("JOINT Head", "BONE Head"), "unexpected token"),
    ],
)
def test_bvh_malformed_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.bvh"
    path.write_text(text + ("0 " * 51 + "\n") * 3 if text.startswith("HIER") else text)
    with pytest.raises(MotionError, match=message):
        read_bvh(path)


def test_bvh_nan_and_unmappable(tmp_path: Path) -> None:
    values = np.zeros((3, 51))
    values[2, 7] = np.nan
    path = tmp_path / "nan.bvh"
    path.write_text(bvh_text(values))
    with pytest.raises(MotionError, match="NaN"):
        read_bvh(path)
    renamed = tmp_path / "odd.bvh"
    renamed.write_text(bvh_text(np.zeros((3, 51))).replace("LeftHand", "Paw"))
    with pytest.raises(MotionError, match=r"cannot find H3.6M joints \['LWrist'\]"):
        read_bvh(renamed)
