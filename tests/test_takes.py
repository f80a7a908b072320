"""The v2 simulated world: takes (performance variations), sessions and their selections."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from test_motion import bvh_text

import lifelong_pose as lp
from lifelong_pose.datasets.h36m import published_cameras
from lifelong_pose.datasets.spec import Selection
from lifelong_pose.geometry.camera import project_to_2d
from lifelong_pose.geometry.skeleton import H36M17
from lifelong_pose.motion import MotionClip, load_walker_clips
from lifelong_pose.motion.bvh import is_cycle
from lifelong_pose.motion.resample import slerp
from lifelong_pose.world.factors import CameraRig
from lifelong_pose.world.performance import Script, chain, perform, script_name
from lifelong_pose.world.recording import MIN_CLIP_SECONDS, record_subject, script_library, session_scripts
from lifelong_pose.world.sim_spec import (
    PerformanceStyle,
    SimDataset,
    SimDomainSpec,
    SubjectTraits,
)

STYLE = PerformanceStyle()


@pytest.fixture(scope="module")
def library(clips: list[MotionClip]) -> dict[str, Script]:
    return script_library(clips + load_walker_clips())


def _session(**changes: object) -> SimDataset:
    base = SimDataset(
        key="test",
        subjects=(SubjectTraits("S1", 0.95), SubjectTraits("S5", 1.1, {"thigh": 1.1})),
        actions=("walk", "punch"),
        takes=3,
        take_seconds=2.0,
        fps=50.0,
    )
    return replace(base, **changes)


def _bones(X: np.ndarray) -> np.ndarray:
    parents = np.array(H36M17.parents)
    return np.linalg.norm(X[:, 1:] - X[:, parents[1:]], axis=-1)


def test_the_library_has_the_walker_clips_with_h36m_style_names(library: dict[str, Script]) -> None:
    assert {"WalkForward", "TurnLeft0", "TurnLeft1", "TurnRight0", "TurnRight1"} <= set(library)
    assert library["Walk"].clip.loop and not library["Punch"].clip.loop
    assert script_name("deepmimic/getup_facedown") == "GetupFacedown" and library["Walk"].take_name(2) == "Walk 2"
    # knees and elbows are found to be hinges
    hinges = {library["Walk"].clip.skeleton.joint_names[j] for j in library["Walk"].hinges}
    assert hinges == {"right_knee", "left_knee", "right_elbow", "left_elbow"}


def test_vectorised_slerp_matches_scipy() -> None:
    from scipy.spatial.transform import Rotation, Slerp

    rng = np.random.default_rng(0)
    a, b = Rotation.random(20, random_state=1), Rotation.random(20, random_state=2)
    weight = rng.uniform(size=20)
    ours = Rotation.from_quat(slerp(a.as_quat(), b.as_quat(), weight))
    for k in range(20):
        theirs = Slerp([0.0, 1.0], Rotation.concatenate([a[k], b[k]]))(weight[k])
        assert (ours[k] * theirs.inv()).magnitude() < 1e-9


def test_a_take_is_pointwise_in_time(library: dict[str, Script]) -> None:
    """The same take at full rate and every 10th frame: the export and the reader depend on it."""
    for name in ("Walk", "Punch"):
        script = library[name]
        scale = np.ones(script.clip.skeleton.num_joints)
        full = perform(script, scale, STYLE, take_seconds=3.0, fps=50.0, rng=np.random.default_rng(4))
        thin = perform(script, scale, STYLE, take_seconds=3.0, fps=50.0, rng=np.random.default_rng(4), frame_step=10)
        assert full.full_frames == thin.full_frames
        np.testing.assert_allclose(full.positions[::10], thin.positions, atol=1e-9)


def test_takes_keep_bones_and_hinges_and_move_smoothly(library: dict[str, Script]) -> None:
    for name in ("Walk", "Kick", "GetupFaceup", "TurnLeft0"):
        script = library[name]
        scale = np.ones(script.clip.skeleton.num_joints)
        take = perform(script, scale, STYLE, take_seconds=4.0, fps=50.0, rng=np.random.default_rng(1))
        bones = _bones(take.positions)
        assert np.ptp(bones, axis=0).max() < 1e-6, f"{name}: a bone changed length"
        step = np.linalg.norm(np.diff(take.positions, axis=0), axis=-1).max()
        assert step < 0.25, f"{name}: a joint jumped {step:.2f} m between 50 fps frames"
        assert np.abs(take.positions[:, 0, :2].mean(axis=0)).max() < 0.3  # the path stays near the centre
    # a looping clip chained stays continuous at the seams
    walk = chain(library["Walk"].clip, 3)
    assert walk.num_frames == 3 * library["Walk"].clip.num_frames - 2
    jumps = np.linalg.norm(np.diff(walk.root_position, axis=0), axis=-1)
    assert jumps.max() < 3 * np.median(jumps) + 1e-3


def test_hinges_never_bend_backwards(library: dict[str, Script]) -> None:
    from scipy.spatial.transform import Rotation

    script = library["Run"]
    wild = PerformanceStyle(angle_variation=0.5)
    scale = np.ones(script.clip.skeleton.num_joints)
    take = perform(script, scale, wild, take_seconds=2.0, fps=30.0, rng=np.random.default_rng(2))
    assert np.isfinite(take.positions).all()
    for joint, (axis, negative) in script.hinges.items():
        original = Rotation.from_quat(script.clip.rotations[:, joint]).as_rotvec() @ axis
        assert (original <= 0.02).all() if negative else (original >= -0.02).all()


def test_takes_never_share_frames_and_scripts_are_balanced(library: dict[str, Script]) -> None:
    session = _session()
    takes = record_subject(session, "S1", session_scripts(session, library), seed=0)
    names = [t.action for t in takes]
    assert names == [
        "Punch",
        "Punch 1",
        "Punch 2",
        "Walk",
        "Walk 1",
        "Walk 2",
        "WalkForward",
        "WalkForward 1",
        "WalkForward 2",
    ]
    worlds = [t.world for t in takes]
    for i in range(len(worlds)):
        for j in range(i + 1, len(worlds)):
            a, b = worlds[i].reshape(len(worlds[i]), -1), worlds[j].reshape(len(worlds[j]), -1)
            distance = torch.cdist(torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64))
            assert distance.min() > 1e-3, f"takes {takes[i].action} and {takes[j].action} share a frame"
    frames = {name: sum(len(t.world) for t in takes if t.action.split(" ")[0] == name) for name in ("Walk", "Punch")}
    assert 0.6 < frames["Walk"] / frames["Punch"] < 1.6


def test_same_seed_same_world_other_seed_other_world(library: dict[str, Script]) -> None:
    session = _session(takes=1)
    scripts = session_scripts(session, library)
    first, again = (record_subject(session, "S5", scripts, seed=0) for _ in range(2))
    other = record_subject(session, "S5", scripts, seed=1)
    assert all(np.array_equal(a.world, b.world) for a, b in zip(first, again, strict=True))
    assert not any(np.allclose(a.world[:5], b.world[:5]) for a, b in zip(first, other, strict=True))


def test_the_published_rig_films_each_subject_with_its_own_calibration(library: dict[str, Script]) -> None:
    session = _session(takes=1)
    take = record_subject(session, "S5", session_scripts(session, library), seed=0)[0]
    assert [v.camera for v in take.views] == [c.id for c in published_cameras("S5")]
    for view, camera in zip(take.views, published_cameras("S5"), strict=True):
        expected = (take.world.astype(np.float64) - camera.centre) @ camera.rotation.T
        np.testing.assert_allclose(view.X3d, expected, atol=1e-5)
        projected = project_to_2d(torch.as_tensor(view.X3d, dtype=torch.float64), torch.as_tensor(camera.intrinsics_px))
        np.testing.assert_allclose(view.x2d_px, projected.numpy(), atol=1e-2)
        assert view.image_size == camera.image_size and (view.X3d[..., 2] > 2.0).all()


def test_sessions_and_selections_refuse_what_cannot_be(library: dict[str, Script]) -> None:
    with pytest.raises(ValueError, match=r"no calibration for \['Bob'\]"):
        _session(subjects=(SubjectTraits("Bob"),))
    with pytest.raises(ValueError, match="subject names repeat"):
        _session(subjects=(SubjectTraits("S1"), SubjectTraits("S1")))
    with pytest.raises(ValueError, match=r"takes must be in 1\.\.10"):
        _session(takes=0)
    with pytest.raises(ValueError, match="curvature must be"):
        PerformanceStyle(curvature=(1.0, 0.5))
    session = _session()
    with pytest.raises(ValueError, match=r"names subjects \['S9'\]"):
        SimDomainSpec("x", session, train=Selection(subjects=("S9",)))
    with pytest.raises(ValueError, match="names cameras"):
        SimDomainSpec("x", session, test=Selection(cameras=("cam0",)))
    with pytest.raises(ValueError, match="unknown actions"):
        session_scripts(_session(actions=("swim",)), library)
    sampled = _session(subjects=(SubjectTraits("Bob"),), rig=CameraRig(count=2))
    assert sampled.camera_names == ("cam0", "cam1") and not sampled.human36m_layout


def test_train_and_test_are_other_takes_of_the_same_scripts() -> None:
    scenario = lp.make("cross_scenario-v2", targets=1)
    train, test = scenario.train_data(0), scenario.test_data(0)
    assert set(test.actions) == {f"{a.split(' ')[0]} 3" for a in train.actions if a.endswith(" 2")}
    assert not set(train.actions) & set(test.actions)
    assert train.fps == test.fps == 5.0
    assert sorted(train.image_size.unique(dim=0).tolist()) == [[1000, 1000], [1000, 1002]]  # Human3.6M's sizes
    # the test poses are other takes of motions seen in training: close, but never the same frames
    a, b = train.X3d.reshape(len(train), -1).double(), test.X3d.reshape(len(test), -1).double()
    nearest = torch.cdist(b, a).min(dim=1).values / np.sqrt(train.X3d.shape[1])
    assert nearest.min() > 1e-4 and nearest.mean() < 0.08


def _write_bvh(path: Path, frames: int, fps: float = 30.0) -> None:
    """A clip of :data:`test_motion.BVH_SKELETON` swinging its limbs (first and last pose differ)."""
    values = np.zeros((frames, 6 + 3 * 15))
    values[:, 1] = 90.0
    values[:, 6:] = 20.0 * np.sin(np.arange(frames) / 7)[:, None]
    path.write_text(bvh_text(values, frame_time=1 / fps))


def test_a_bvh_folder_of_clips_too_short_for_a_take(tmp_path: Path) -> None:
    folder = tmp_path / "bvh"
    folder.mkdir()
    _write_bvh(folder / "wave_short.bvh", frames=int(MIN_CLIP_SECONDS * 30) - 10)
    scenario = lp.make("cross_scenario-v2", targets=1, bvh_dir=str(folder))
    with (
        pytest.warns(UserWarning, match="'bvh/wave_short' lasts 0.63 s and does not loop"),
        pytest.raises(ValueError, match=r"bvh_dir .*bvh: none of its 1 clip\(s\) is long enough for a take"),
    ):
        scenario.backend.scripts  # noqa: B018
    _write_bvh(folder / "wave_long.bvh", frames=90)
    scenario = lp.make("cross_scenario-v2", targets=1, bvh_dir=str(folder))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scripts = scenario.backend.scripts
    assert any("bvh/wave_short" in str(w.message) and "left out" in str(w.message) for w in caught)
    assert "BvhWaveLong" in scripts and "BvhWaveShort" not in scripts


def test_bvh_cycles_are_detected() -> None:
    still = np.tile(np.array([0.0, 0.0, 0.0, 1.0]), (10, 3, 1))
    root = np.zeros((10, 3))
    assert is_cycle(still, root)
    bent = still.copy()
    bent[-1, 1:] = [0.0, 0.0, np.sin(0.5), np.cos(0.5)]
    assert not is_cycle(bent, root)
