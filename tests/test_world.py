from __future__ import annotations

import numpy as np
import pytest
import torch

from lifelong_pose.geometry.skeleton import H36M17
from lifelong_pose.motion import MotionClip
from lifelong_pose.world.factors import (
    BodyFactor,
    CameraRig,
    DomainSpec,
    KeypointConvention,
    MotionFactor,
    ObservationModel,
)
from lifelong_pose.world.generate import apply_convention, generate_domain
from lifelong_pose.world.observation import observe
from lifelong_pose.world.presets import pw3d_handheld_rig

WALK = MotionFactor(actions=("walk",), fps=25.0, takes=2)


def _domain(**changes: object) -> DomainSpec:
    fields = {
        "name": "d",
        "bodies": BodyFactor(count=2),
        "cameras": CameraRig(count=2),
        "motion": WALK,
        "labelled": True,
    }
    fields.update(changes)
    return DomainSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: CameraRig(focal_px=(-10.0, 1.0)), "focal_px must be"),
        (lambda: CameraRig(image_size=(0, 100)), "image_size must be two positive ints"),
        (lambda: CameraRig(distance_m=(5.0, 2.0)), "distance_m must be"),
        (lambda: BodyFactor(count=0), "count must be an int >= 1"),
        (lambda: BodyFactor(segment_mean={"tail": 1.0}), "unknown segments"),
        (lambda: MotionFactor(fps=0.0), "fps must be in"),
        (lambda: MotionFactor(speed=(-1.0, 1.0)), "speed must be >= 0.1"),
        (lambda: ObservationModel(kind="clean", noise=0.01), "clean observation model has no noise"),
        (lambda: ObservationModel(kind="blurry"), "kind must be"),
        (lambda: KeypointConvention(hip_width=3.0), "hip_width must be"),
        (lambda: DomainSpec(name="x", layout="coco"), "layout must be"),
    ],
)
def test_factor_out_of_range_is_named(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_unknown_action_is_an_error(clips: list[MotionClip]) -> None:
    with pytest.raises(ValueError, match=r"unknown actions \['swim'\]"):
        generate_domain(_domain(motion=MotionFactor(actions=("swim",))), clips, seed=0)


def test_domain_shapes_and_units(clips: list[MotionClip]) -> None:
    splits = generate_domain(_domain(), clips, seed=0)
    train = splits["train"]
    assert train.x2d.shape[1:] == (17, 2) and train.X3d is not None and train.X3d.shape[1:] == (17, 3)
    assert torch.all(train.X3d[:, 0] == 0)  # root-relative
    assert train.x2d.abs().max() < 1.5  # normalised screen coordinates
    assert 3.0 < float(train.root[:, 2].mean()) < 7.0  # metres in front of the camera
    assert set(train.camera_id.unique().tolist()) == {0, 1} and set(train.body_id.unique().tolist()) == {0, 1}
    assert train.actions == ("walk",)


def test_same_seed_same_data_other_seed_other_data(clips: list[MotionClip]) -> None:
    domain = _domain()
    a, b, c = (generate_domain(domain, clips, seed=s)["train"] for s in (0, 0, 1))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != c.fingerprint()


def test_train_and_test_share_no_frames(clips: list[MotionClip]) -> None:
    splits = generate_domain(_domain(motion=MotionFactor(fps=25.0)), clips, seed=0)
    train, test = splits["train"], splits["test"]
    # compare body-frame poses (camera and heading removed): root-relative 3D, same body and camera
    for body in range(2):
        a_pose = train.X3d[(train.body_id == body) & (train.camera_id == 0)]
        b_pose = test.X3d[(test.body_id == body) & (test.camera_id == 0)]
        # a rotation-invariant signature: all pairwise joint distances
        sig_a = torch.cdist(a_pose, a_pose).flatten(1)
        sig_b = torch.cdist(b_pose, b_pose).flatten(1)
        assert float(torch.cdist(sig_b, sig_a).min()) > 1e-3


def test_window_indices_stay_in_sequence(clips: list[MotionClip]) -> None:
    data = generate_domain(_domain(), clips, seed=0)["test"]
    windows = data.window_indices(27)
    assert windows.shape == (len(data), 27)
    assert torch.equal(windows[:, 13], torch.arange(len(data)))
    assert torch.all(data.sequence_id[windows] == data.sequence_id[:, None])
    with pytest.raises(ValueError, match="odd"):
        data.window_indices(4)


def test_keypoint_convention_moves_hips() -> None:
    X = np.zeros((1, 17, 3))
    X[0, H36M17.index("RHip")] = [0.0, -0.1, 0.0]
    moved = apply_convention(X, KeypointConvention(hip_width=1.5))
    assert np.allclose(moved[0, H36M17.index("RHip")], [0.0, -0.15, 0.0])


def test_detector_noise_is_heavier_at_wrists() -> None:
    rng = np.random.default_rng(0)
    x = np.zeros((20000, 17, 2))
    model = ObservationModel(kind="detector", noise=0.01, missing_prob=0.1)
    observed, visible = observe(x, np.array([20000]), np.full(20000, 500.0), model, rng)
    spread = observed.std(axis=(0, 2))
    assert spread[H36M17.index("LWrist")] == pytest.approx(2.0 * 5.0, rel=0.05)
    assert spread[H36M17.index("Hip")] == pytest.approx(5.0, rel=0.05)
    assert abs(1 - visible.mean() - 0.1) < 0.01


def test_temporal_correlation_of_noise() -> None:
    rng = np.random.default_rng(0)
    x = np.zeros((50000, 17, 2))
    model = ObservationModel(kind="detector", noise=0.01, temporal_correlation=0.8)
    observed, _ = observe(x, np.array([25000, 25000]), np.full(50000, 100.0), model, rng)
    series = observed[:25000, 0, 0]
    assert np.corrcoef(series[1:], series[:-1])[0, 1] == pytest.approx(0.8, abs=0.02)
    assert series.std() == pytest.approx(1.0, rel=0.05)  # stationary: 0.01 x 100 px


def test_missing_joints_are_zero_and_flagged(clips: list[MotionClip]) -> None:
    model = ObservationModel(kind="detector", noise=0.01, missing_prob=0.2)
    data = generate_domain(_domain(observation=model), clips, seed=0)["train"]
    assert 0.15 < float((~data.visible).float().mean()) < 0.25
    assert torch.all(data.x2d[~data.visible] == 0)


def test_moving_camera_changes_extrinsics_per_frame(clips: list[MotionClip]) -> None:
    data = generate_domain(_domain(cameras=pw3d_handheld_rig(count=1)), clips, seed=0)["test"]
    first = data.sequence_id == 0
    roots = data.root[first]
    assert roots.shape[0] > 2 and float((roots[1:] - roots[:-1]).norm(dim=-1).max()) > 0
    assert tuple(data.image_size[0].tolist()) == (1080, 1920)


def test_common16_layout(clips: list[MotionClip]) -> None:
    data = generate_domain(_domain(layout="common16"), clips, seed=0)["test"]
    assert data.x2d.shape[1] == 16 and data.layout.name == "common16"
