"""Lifters: shapes, root joint, published parameter counts, strided vs dilated paths, training, errors."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from lifelong_pose.models import Lifter, SimpleBaseline, VideoPose3D, build_lifter
from lifelong_pose.registry import RegistryError, lifter_registry

LIFTERS = [spec.id for spec in lifter_registry]

TINY: dict[str, dict[str, Any]] = {
    "simple_baseline": {"width": 32, "blocks": 1, "dropout": 0.0},
    "videopose": {"channels": 16, "dropout": 0.0},
    "dakpose": {
        "channels": 16,
        "encoder_blocks": 1,
        "decoder_blocks": 1,
        "heads": 2,
        "dropout": 0.0,
        "root_offsets": True,
    },
}
TINY_RF = {"simple_baseline": 1, "videopose": 27, "dakpose": 5}


def tiny(name: str, num_joints: int = 17, **overrides: Any) -> Lifter:
    sizes = {**TINY[name], **overrides}
    return build_lifter(name, num_joints=num_joints, receptive_field=TINY_RF[name], **sizes)


def mpjpe(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (predicted - target).norm(dim=-1).mean()


def test_registered_lifters_have_both_profiles() -> None:
    assert {"simple_baseline", "videopose"} <= set(LIFTERS)
    for spec in lifter_registry:
        assert set(spec.profiles) == {"tiny", "quick", "paper"}


def test_a_lifter_registered_like_a_plugin_is_built_and_validated() -> None:
    lifter_registry.register(
        "tiny_mlp",
        "lifelong_pose.models.simple_baseline:SimpleBaseline",
        profiles={"quick": {"width": 8, "blocks": 1, "dropout": 0.0}},
    )
    try:
        model = build_lifter("tiny_mlp", num_joints=17)
        assert isinstance(model, SimpleBaseline) and model.get_params()["width"] == 8
        from lifelong_pose.training.params import LifterParams

        assert LifterParams(lifter="tiny_mlp").lifter == "tiny_mlp"
        with pytest.raises(ValueError, match="Unknown profile 'paper' for lifter 'tiny_mlp'"):
            build_lifter("tiny_mlp", num_joints=17, profile="paper")
    finally:
        lifter_registry.unregister("tiny_mlp")
    with pytest.raises(ValueError, match=r"lifter: Unknown lifter 'tiny_mlp'"):
        LifterParams(lifter="tiny_mlp")


@pytest.mark.parametrize("name", LIFTERS)
@pytest.mark.parametrize("num_joints", [16, 17])
def test_output_shape_and_zero_root(name: str, num_joints: int) -> None:
    torch.manual_seed(0)
    model = tiny(name, num_joints)
    out = model(torch.randn(5, model.receptive_field, num_joints, 2))
    assert out.shape == (5, num_joints, 3)
    assert torch.equal(out[:, 0], torch.zeros(5, 3))
    assert out[:, 1:].abs().sum() > 0


@pytest.mark.parametrize("name", LIFTERS)
def test_forward_sequence_shape_and_zero_root(name: str) -> None:
    model = tiny(name).eval()
    out = model.forward_sequence(torch.randn(2, 40, 17, 2))
    assert out.shape == (2, 40 - model.receptive_field + 1, 17, 3)
    assert torch.equal(out[:, :, 0], torch.zeros(2, out.shape[1], 3))


@pytest.mark.parametrize("num_joints", [16, 17])
def test_simple_baseline_paper_parameter_count(num_joints: int) -> None:
    width = 1024
    linear_in = num_joints * 2 * width + width
    batch_norm = 2 * width
    block = 2 * (width * width + width + batch_norm)
    linear_out = width * num_joints * 3 + num_joints * 3
    expected = linear_in + batch_norm + 2 * block + linear_out
    model = build_lifter("simple_baseline", num_joints=num_joints, profile="paper")
    assert model.num_parameters() == expected  # 4,291,632 for J=16: the paper's "4-5 million"


@pytest.mark.parametrize(("receptive_field", "published"), [(27, 8.56e6), (81, 12.75e6), (243, 16.95e6)])
def test_videopose_paper_parameter_count(receptive_field: int, published: float) -> None:
    channels, joints, blocks = 1024, 17, {27: 2, 81: 3, 243: 4}[receptive_field]
    expand = joints * 2 * channels * 3 + 2 * channels
    block = channels * channels * 3 + 2 * channels + channels * channels + 2 * channels
    shrink = channels * joints * 3 + joints * 3
    model = build_lifter("videopose", num_joints=joints, profile="paper", receptive_field=receptive_field)
    assert model.num_parameters() == expand + blocks * block + shrink
    assert model.num_parameters() == pytest.approx(published, abs=5e3)  # Pavllo et al. table 5


@pytest.mark.parametrize("receptive_field", [1, 27, 81, 243])
def test_dilated_sequence_matches_strided_windows(receptive_field: int) -> None:
    torch.manual_seed(0)
    model = build_lifter("videopose", num_joints=16, receptive_field=receptive_field, channels=8)
    model.train()
    for _ in range(3):  # move the BatchNorm running statistics away from their initial values
        model(torch.randn(8, receptive_field, 16, 2))
    model.eval()
    sequence = torch.randn(2, receptive_field + 12, 16, 2)
    with torch.no_grad():
        dilated = model.forward_sequence(sequence)
        strided = torch.stack([model(sequence[:, k : k + receptive_field]) for k in range(13)], dim=1)
    assert dilated.shape == strided.shape == (2, 13, 16, 3)
    torch.testing.assert_close(dilated, strided, atol=1e-5, rtol=1e-4)


def test_simple_baseline_sequence_matches_frames() -> None:
    model = tiny("simple_baseline").eval()
    sequence = torch.randn(3, 7, 17, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.forward_sequence(sequence)[:, 4], model(sequence[:, 4:5]))


@pytest.mark.parametrize("name", LIFTERS)
def test_training_lowers_mpjpe(name: str) -> None:
    torch.manual_seed(0)
    model = tiny(name)
    x2d = torch.randn(32, model.receptive_field, 17, 2)
    target = torch.randn(32, 17, 3) * 0.3
    target = target - target[:, :1]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    first = mpjpe(model(x2d), target)
    first.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    optimizer.step()
    for _ in range(149):  # a Transformer (dakpose) memorises 32 random poses more slowly than an MLP
        optimizer.zero_grad()
        loss = mpjpe(model(x2d), target)
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.7 * first.item()


@pytest.mark.parametrize("name", LIFTERS)
def test_eval_mode_is_deterministic(name: str) -> None:
    model = tiny(name, dropout=0.5)
    x2d = torch.randn(8, model.receptive_field, 17, 2)
    model.train()
    assert not torch.equal(model(x2d), model(x2d))  # dropout is active
    model.eval()
    assert torch.equal(model(x2d), model(x2d))


@pytest.mark.parametrize("name", LIFTERS)
def test_same_seed_same_initial_weights(name: str) -> None:
    torch.manual_seed(3)
    first = tiny(name).state_dict()
    torch.manual_seed(3)
    second = tiny(name).state_dict()
    torch.manual_seed(4)
    other = tiny(name).state_dict()
    assert all(torch.equal(first[key], second[key]) for key in first)
    assert not all(torch.equal(first[key], other[key]) for key in first)


@pytest.mark.parametrize("name", LIFTERS)
def test_get_params_rebuilds_the_model(name: str) -> None:
    model = tiny(name)
    params = model.get_params()
    assert params["name"] == name
    assert params["receptive_field"] == model.receptive_field
    rebuilt = build_lifter(**params)
    assert rebuilt.get_params() == params
    assert rebuilt.num_parameters() == model.num_parameters()


def test_overrides_replace_profile_sizes() -> None:
    model = build_lifter("simple_baseline", num_joints=16, profile="paper", width=64)
    assert isinstance(model, SimpleBaseline)
    assert (model.width, model.blocks, model.dropout) == (64, 2, 0.5)
    model = build_lifter("videopose", num_joints=16, receptive_field=81, channels=32)
    assert isinstance(model, VideoPose3D)
    assert (model.channels, model.dropout, model.filter_widths) == (32, 0.1, (3, 3, 3, 3))


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((1, 17, 2), r"got 3 dims .*add the missing batch or frame axis"),
        ((4, 27, 16, 2), r"built for num_joints=17 but x2d has J=16"),
        ((4, 27, 17, 3), r"last axis holds \(x, y\).*got size 3"),
        ((4, 9, 17, 2), r"receptive_field=27 but x2d has T=9 frames"),
    ],
    ids=["ndim", "joints", "last_dim", "frames"],
)
def test_bad_input_raises(shape: tuple[int, ...], match: str) -> None:
    model = tiny("videopose")
    with pytest.raises(ValueError, match=match):
        model(torch.zeros(shape))


def test_simple_baseline_rejects_windows() -> None:
    with pytest.raises(ValueError, match=r"receptive_field=1 but x2d has T=3"):
        tiny("simple_baseline")(torch.zeros(2, 3, 17, 2))


def test_short_sequence_raises() -> None:
    with pytest.raises(ValueError, match=r"at least receptive_field=27 frames, got N=20"):
        tiny("videopose").forward_sequence(torch.zeros(1, 20, 17, 2))


def test_unknown_lifter_suggests() -> None:
    with pytest.raises(
        RegistryError, match=r"Unknown lifter 'videopse'\. Did you mean 'videopose'.*Registered: dakpose, simple_"
    ):
        build_lifter("videopse", num_joints=17)


def test_unknown_profile_lists_profiles() -> None:
    with pytest.raises(ValueError, match=r"Unknown profile 'fast'.*profiles: tiny, quick, paper"):
        build_lifter("videopose", num_joints=17, profile="fast")


def test_simple_baseline_with_window_points_to_videopose() -> None:
    with pytest.raises(ValueError, match=r"receptive_field=27; use the 'videopose' lifter"):
        build_lifter("simple_baseline", num_joints=17, receptive_field=27)


def test_videopose_bad_receptive_field_lists_allowed() -> None:
    with pytest.raises(ValueError, match=r"receptive_field=9; allowed: 1, 27, 81, 243"):
        build_lifter("videopose", num_joints=17, receptive_field=9)


def test_unknown_override_names_allowed_sizes() -> None:
    with pytest.raises(TypeError, match=r"no size 'channels'; overridable sizes: width, blocks, dropout"):
        build_lifter("simple_baseline", num_joints=17, channels=8)


def test_override_of_wrong_type() -> None:
    with pytest.raises(TypeError, match=r"'width' expects int"):
        build_lifter("simple_baseline", num_joints=17, width=64.5)
