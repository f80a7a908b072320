"""DAK-Pose: its lifter, structure augmentation, gradient reversal, augmentors and the strategy contract."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from lifelong_pose.strategies.dakpose.augment import (
    LIMB_GROUPS,
    StructureAugmentation,
    grl_weight,
    limb_group_of_bones,
    reverse_gradient,
    truncated_normal,
)
from lifelong_pose.strategies.dakpose.networks import FeatureDiscriminator, MotionInterpolator, MotionPredictor

import lifelong_pose as lp
from lifelong_pose.checks import assert_all_pass, check_strategy
from lifelong_pose.geometry.bones import bone_lengths
from lifelong_pose.geometry.skeleton import get_layout
from lifelong_pose.models import build_lifter
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training import RunContext
from lifelong_pose.training.build import make_strategy

LAYOUT = get_layout("h36m17")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))  # the reference lifter lives there


def _walk(frames: int = 9, batch: int = 3) -> torch.Tensor:
    """(B, T, J, 3) root-relative windows of a standing body swinging its arms (a real skeleton's proportions)."""
    from lifelong_pose.motion import load_deepmimic_clips
    from lifelong_pose.motion.kinematics import h36m_positions

    clip = next(c for c in load_deepmimic_clips() if c.action == "walk")
    positions = torch.as_tensor(h36m_positions(clip), dtype=torch.float32)
    stride = min(frames, (len(positions) - frames) // max(batch - 1, 1))
    windows = torch.stack([positions[i * stride : i * stride + frames] for i in range(batch)])
    return windows - windows[..., :1, :]


def test_the_lifter_is_registered_sized_by_profile_and_predicts_every_frame() -> None:
    assert "dakpose" in [spec.id for spec in lp.lifter_registry]
    model = build_lifter("dakpose", num_joints=17, profile="tiny", receptive_field=5)
    x2d = torch.randn(2, 5, 17, 2)
    sequence = model.sequence(x2d)
    assert sequence.shape == (2, 5, 17, 3) and torch.all(sequence[..., 0, :] == 0)
    torch.testing.assert_close(model(x2d), sequence[:, 2])  # forward: the centre frame
    structure, dynamics = model.encode(x2d)
    assert structure.shape == dynamics.shape == (2, 5, 17, 16)
    assert model.get_params()["channels"] == 16
    paper = build_lifter("dakpose", num_joints=17, profile="paper", receptive_field=27)
    assert (paper.channels, paper.encoder_blocks, paper.decoder_blocks) == (512, 4, 6)  # section 4.2
    with pytest.raises(ValueError, match="odd receptive_field"):
        build_lifter("dakpose", num_joints=17, receptive_field=8)


def test_cross_reconstruction_recovers_the_pose_when_s_and_d_come_from_the_same_sequence() -> None:
    """Trained on cross reconstruction alone, D(s, d_sa) gives X back when d_sa is the same motion's."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    model = build_lifter("dakpose", num_joints=17, profile="tiny", receptive_field=5)
    augment = StructureAugmentation(LAYOUT, local_std=0.2, global_std=0.3, truncation=2.0, joint_perturbation=0.1)
    X = _walk(frames=5, batch=8)
    x2d = X[..., :2] / (X[..., 2:3] + 4.0)  # a pinhole view 4 m away
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(200):
        X_sa = augment(X, generator)
        x_sa = X_sa[..., :2] / (X_sa[..., 2:3] + 4.0)
        s, d = model.encode(x2d)
        s_sa, d_sa = model.encode(x_sa)
        loss = (model.decode(s, d_sa) - X).norm(dim=-1).mean() + (model.decode(s_sa, d) - X_sa).norm(dim=-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        X_sa = augment(X, generator)
        s, _ = model.encode(x2d)
        _, d_sa = model.encode(X_sa[..., :2] / (X_sa[..., 2:3] + 4.0))
        crossed = (model.decode(s, d_sa) - X).norm(dim=-1).mean()
        untrained = build_lifter("dakpose", num_joints=17, profile="tiny", receptive_field=5).eval()
        baseline = (untrained.decode(*untrained.encode(x2d)) - X).norm(dim=-1).mean()
    assert crossed < 0.08 and crossed < baseline / 8, (float(crossed), float(baseline))


def test_limb_scaling_changes_exactly_the_scaled_groups_bone_lengths() -> None:
    augment = StructureAugmentation(LAYOUT, local_std=0.2, global_std=0.3, truncation=2.0, joint_perturbation=0.0)
    X = _walk()
    groups = limb_group_of_bones(LAYOUT)
    factors = torch.ones(X.shape[0], len(LAYOUT.bones))
    thigh = LIMB_GROUPS.index("thigh")
    factors[:, groups == thigh] = 1.25  # scale the thighs only
    scaled = augment.scale(X, factors)
    ratio = bone_lengths(scaled, LAYOUT) / bone_lengths(X, LAYOUT)
    torch.testing.assert_close(ratio[..., groups == thigh], torch.full_like(ratio[..., groups == thigh], 1.25))
    torch.testing.assert_close(ratio[..., groups != thigh], torch.ones_like(ratio[..., groups != thigh]))
    # a drawn factor is the same for a bone and its left/right twin, and every frame of a window
    drawn = augment.factors(4, torch.Generator().manual_seed(1))
    for group in range(len(LIMB_GROUPS)):
        assert torch.all(drawn[:, groups == group] == drawn[:, groups == group][:, :1])


def test_the_scale_factors_are_truncated_normals_around_one() -> None:
    draws = truncated_normal((200_000,), 0.3, 2.0, torch.Generator().manual_seed(0))
    assert draws.min() >= 1 - 0.6 and draws.max() <= 1 + 0.6
    assert abs(float(draws.mean()) - 1) < 0.005
    assert abs(float(draws.std()) - 0.3 * 0.880) < 0.005  # the std of a normal truncated at 2 sigma


def test_joint_perturbation_moves_the_neck_and_hips_toward_their_parents_only() -> None:
    augment = StructureAugmentation(LAYOUT, local_std=0.0, global_std=0.0, truncation=2.0, joint_perturbation=0.5)
    X = _walk()
    moved = augment.perturb(X, torch.Generator().manual_seed(0))
    changed = (moved - X).norm(dim=-1).amax(dim=(0, 1)) > 0
    assert {LAYOUT.joint_names[j] for j in torch.nonzero(changed).flatten().tolist()} == {"Neck/Nose", "LHip", "RHip"}
    for joint in ("Neck/Nose", "LHip", "RHip"):
        j, parent = LAYOUT.index(joint), LAYOUT.parents[LAYOUT.index(joint)]
        before, after = (X[..., j, :] - X[..., parent, :]), (moved[..., j, :] - X[..., parent, :])
        share = after.norm(dim=-1) / before.norm(dim=-1)
        assert torch.all((share <= 1 + 1e-5) & (share >= 0.5 - 1e-5))  # along the bone, toward the parent
        cosine = (before * after).sum(-1) / (before.norm(dim=-1) * after.norm(dim=-1))
        assert torch.all(cosine > 1 - 1e-5)


def test_gradient_reversal_flips_the_sign_and_follows_the_warm_up() -> None:
    x = torch.tensor([1.0, -2.0], requires_grad=True)
    y = reverse_gradient(x, 0.5)
    assert torch.equal(y, x)  # identity forward
    (y * torch.tensor([3.0, 4.0])).sum().backward()
    assert x.grad is not None and torch.equal(x.grad, torch.tensor([-1.5, -2.0]))
    assert [grl_weight(step, 50, 1.0) for step in (0, 25, 50, 80)] == [0.0, 0.5, 1.0, 1.0]
    assert grl_weight(3, 0, 0.7) == 0.7


def test_the_interpolator_keeps_both_end_poses_and_the_limb_lengths() -> None:
    X = _walk(frames=9, batch=2)
    interpolator = MotionInterpolator(LAYOUT, 9, noise_dim=4, width=16, offset_limit=0.3)
    window = interpolator(X[:, 0], X[:, -1], torch.Generator().manual_seed(0))
    assert window.shape == (2, 9, 17, 3)
    torch.testing.assert_close(window[:, 0], X[:, 0], atol=1e-5, rtol=0)
    torch.testing.assert_close(window[:, -1], X[:, -1], atol=1e-5, rtol=0)
    lengths = bone_lengths(window, LAYOUT)
    torch.testing.assert_close(lengths, lengths[:, :1].expand_as(lengths), atol=1e-4, rtol=0)  # same body throughout


def test_predictor_and_discriminators_shapes() -> None:
    predictor = MotionPredictor(17, 9, noise_dim=4, width=16)
    future = predictor(_walk(frames=9, batch=2), torch.Generator().manual_seed(0))
    assert future.shape == (2, 9, 17, 3) and torch.all(future[..., 0, :] == 0)
    features = torch.randn(2, 9, 17, 16)
    for axis in ("joints", "frames"):
        assert FeatureDiscriminator(axis, 16, 2)(features).shape == (2,)
    with pytest.raises(ValueError, match="axis must be"):
        FeatureDiscriminator("time", 16, 2)


def test_the_strategy_passes_its_checks_including_never_using_target_data() -> None:
    results = {r.name: r.status for r in assert_all_pass(check_strategy("dakpose"))}
    assert results["never_uses_target_data"] == "pass" and results["never_reads_target_3d"] == "pass"


@pytest.mark.parametrize(
    "ablation",
    [{"sma": False}, {"dma": False}, {"fusion": "direct"}, {"disentangle": False}, {"sma": False, "dma": False}],
    ids=["no-sma", "no-dma", "direct", "no-disentanglement", "baseline"],
)
def test_every_ablation_builds_what_it_needs_and_runs(
    ablation: dict[str, Any], tiny_scenario: str, tmp_path: Path
) -> None:
    config = RunConfig(
        tiny_scenario,
        "dakpose",
        tmp_path / "run",
        device="cpu",
        progress=False,
        report=False,
        options={**_tiny_options(), **ablation},
    )
    record = run(config)
    assert record["status"] == "complete"
    rows = record["matrices"]["mpjpe"]
    assert rows[1] == rows[0] == rows[2]  # domain generalisation: it never adapts
    assert record["resources"]["uses_target_data"] is False
    networks = set(
        make_strategy("dakpose", context=RunContext(17, "h36m17", profile="tiny"), **ablation).auxiliary_modules()
    )
    fusion = ablation.get("fusion", "adversarial") == "adversarial"
    assert ("structure_estimator" in networks) == (fusion and ablation.get("sma", True))
    assert ("dynamics_estimator" in networks) == (fusion and ablation.get("dma", True))
    assert ("motion_predictor" in networks) == ablation.get("dma", True)
    terms = record["losses"][0]["terms"]
    assert ("disentangle" in terms) == ablation.get("disentangle", True)


def _tiny_options() -> dict[str, Any]:
    from lifelong_pose.strategies.dakpose import DAKPose

    return DAKPose.profile_options("tiny")


def test_bad_options_are_clear_errors() -> None:
    context = RunContext(17, "h36m17", profile="tiny")
    with pytest.raises(TypeError, match=r"option .fusion. expects one of .adversarial., .direct."):
        make_strategy("dakpose", context=context, fusion="both")
    with pytest.raises(ValueError, match=r"dma_start must be in 0..receptive_field \(5\)"):
        make_strategy("dakpose", context=context, dma_start=9)
    with pytest.raises(ValueError, match="needs a lifter with encode/decode"):
        make_strategy("dakpose", context=context, lifter="simple_baseline", receptive_field=1)


# -- the fast lifter, pinned to the reference one ------------------------------------------------
@pytest.mark.parametrize(
    ("sizes", "frames"),
    [
        ({"channels": 16, "encoder_blocks": 1, "decoder_blocks": 1, "heads": 2, "dropout": 0.0}, 5),
        (
            {
                "channels": 16,
                "encoder_blocks": 1,
                "decoder_blocks": 1,
                "heads": 1,
                "dropout": 0.0,
                "root_offsets": True,
            },
            9,
        ),
        (
            {
                "channels": 24,
                "encoder_blocks": 2,
                "decoder_blocks": 2,
                "heads": 3,
                "dropout": 0.2,
                "root_offsets": True,
            },
            9,
        ),
    ],
)
def test_the_fast_lifter_gives_the_reference_outputs_with_the_same_weights(sizes: dict[str, Any], frames: int) -> None:
    from reference_dakpose import ReferenceDAKPoseLifter, fast_state_dict

    from lifelong_pose.models.dakpose import DAKPoseLifter

    torch.manual_seed(0)
    reference = ReferenceDAKPoseLifter(17, receptive_field=frames, **sizes)
    fast = DAKPoseLifter(17, receptive_field=frames, **sizes)
    fast.load_state_dict(fast_state_dict(reference.state_dict()))  # strict: every tensor maps
    x2d = torch.randn(4, frames, 17, 2)
    reference.eval(), fast.eval()
    torch.testing.assert_close(fast.sequence(x2d), reference.sequence(x2d), atol=1e-5, rtol=1e-5)
    structure, dynamics = fast.encode(x2d)
    reference_structure, reference_dynamics = reference.encode(x2d)
    torch.testing.assert_close(structure, reference_structure, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(dynamics, reference_dynamics, atol=1e-5, rtol=1e-5)
    # training mode without dropout: the same outputs and the same gradients
    if sizes["dropout"] == 0:
        reference.train(), fast.train()
        reference(x2d).square().sum().backward()
        fast(x2d).square().sum().backward()
        gradients = fast_state_dict({name: p.grad for name, p in reference.named_parameters()})
        for name, parameter in fast.named_parameters():
            torch.testing.assert_close(parameter.grad, gradients[name], atol=1e-4, rtol=1e-4)


def test_root_offsets_give_each_token_its_offset_from_the_frames_root() -> None:
    from lifelong_pose.models.dakpose import DAKPoseLifter, token_inputs

    x2d = torch.tensor([[[[0.5, -0.25], [0.75, 0.0], [0.0, 1.0]]]])  # one frame, three joints
    expected = torch.tensor([[[[0.5, -0.25, 0.0, 0.0], [0.75, 0.0, 0.25, 0.25], [0.0, 1.0, -0.5, 1.25]]]])
    torch.testing.assert_close(token_inputs(x2d, True), expected)
    assert token_inputs(x2d, False) is x2d
    # every profile embeds the offsets; a lifter saved before the option (no key) rebuilds without them
    for profile in ("tiny", "quick", "paper"):
        assert build_lifter("dakpose", num_joints=17, profile=profile, receptive_field=9).root_offsets
    old = DAKPoseLifter(17, receptive_field=5, channels=8, encoder_blocks=1, decoder_blocks=1, heads=1)
    assert old.structure_encoder.embed.in_features == 2 and "root_offsets" in old.get_params()
    new = DAKPoseLifter(
        17, receptive_field=5, channels=8, encoder_blocks=1, decoder_blocks=1, heads=1, root_offsets=True
    )
    assert new.structure_encoder.embed.in_features == 4
    assert build_lifter(**new.get_params()).root_offsets


def test_axis_attention_attends_only_along_its_axis() -> None:
    from lifelong_pose.models.dakpose import AxisAttentionBlock

    torch.manual_seed(1)
    tokens = torch.randn(2, 5, 7, 8)
    for axis, other in (("joints", 1), ("frames", 2)):
        block = AxisAttentionBlock(8, 2, axis).eval()
        changed = tokens.clone()
        index = [slice(None)] * 4
        index[other] = 0  # change frame 0 (joints axis) or joint 0 (frames axis)
        changed[tuple(index)] += 1.0
        keep = [slice(None)] * 4
        keep[other] = slice(1, None)  # every other frame / joint must be untouched
        torch.testing.assert_close(block(changed)[tuple(keep)], block(tokens)[tuple(keep)])
    with pytest.raises(ValueError, match="axis must be 'joints' or 'frames'"):
        AxisAttentionBlock(8, 2, "time")
    with pytest.raises(ValueError, match="activation must be 'gelu' or 'relu'"):
        AxisAttentionBlock(8, 2, "joints", activation="tanh")


# -- knowledge fusion as eq. 7 writes it ---------------------------------------------------------
def _source_batch(strategy: Any, frames: int = 5) -> torch.Tensor:
    torch.manual_seed(2)
    return torch.randn(8, frames, 17, 2) * 0.3


@pytest.mark.parametrize("decoder", ["shared", "own"])
def test_the_discriminators_are_at_chance_on_identical_inputs_at_the_first_step(decoder: str) -> None:
    from lifelong_pose.metrics.distribution import critic_accuracy

    strategy = make_strategy("dakpose", context=RunContext(17, "h36m17", profile="tiny"), auxiliary_decoder=decoder)
    x2d = _source_batch(strategy)
    structure, dynamics = strategy.model.encode(x2d)
    for name, estimator, discriminator, own in (
        ("structure", strategy.structure_estimator, strategy.structure_discriminator, structure),
        ("dynamics", strategy.dynamics_estimator, strategy.dynamics_discriminator, dynamics),
    ):
        features = estimator.encode(x2d)[0 if name == "structure" else 1]
        torch.testing.assert_close(features, own)  # copies of G's encoders: the same features
        real, synthetic = discriminator(own).detach(), discriminator(features).detach()
        assert critic_accuracy(real.numpy(), synthetic.numpy()) == pytest.approx(0.5)
    shared = decoder == "shared"
    assert (strategy.structure_estimator.decoder is None) == shared
    parameters = {id(p) for p in strategy.structure_estimator.parameters()}
    assert any(id(p) in parameters for p in strategy.model.decoder.parameters()) is False  # never counted twice
    torch.testing.assert_close(
        strategy.structure_estimator.decode(structure, dynamics), strategy.model.decode(structure, dynamics)
    )


def test_the_reversed_gradient_reaches_g_while_the_fusion_weight_ramps(tiny_scenario: str, tmp_path: Path) -> None:
    config = RunConfig(
        tiny_scenario,
        "dakpose",
        tmp_path / "run",
        device="cpu",
        progress=False,
        report=False,
        options={**_tiny_options(), "steps": 10, "grl_warmup_share": 1.0},  # a curve point per step
    )
    record = run(config)
    terms = record["losses"][0]["terms"]
    for name in ("structure", "dynamics"):
        curve = terms[f"reversal_grad_{name}"]["curve"]
        assert curve[0] == 0.0  # the first step's weight is 0: nothing reversed yet
        assert all(value > 0 for value in curve[1:]), curve  # alive as the weight ramps up
        assert 0.0 <= terms[f"accuracy_{name}"]["mean"] <= 1.0


def test_the_probe_keeps_the_reversed_gradients_norm() -> None:
    from lifelong_pose.strategies.dakpose.augment import ReversalProbe

    probe = ReversalProbe()
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    reverse_gradient(x, 2.0, probe).sum().backward()
    assert float(probe.norm) == pytest.approx(2.0 * 2**0.5)  # |-2 * (1, 1)|


def test_the_discriminators_bound_the_reversed_game() -> None:
    """Behind a gradient reversal G maximises the least-squares loss: sigmoid scores bound it by 2, and
    normalised features leave G no way to move the scores by scale alone."""
    torch.manual_seed(0)
    features = torch.randn(4, 5, 17, 16)
    bounded = FeatureDiscriminator("frames", 16, 2, output="sigmoid")
    scores = bounded(1e4 * features)  # features a runaway G would make
    assert ((scores >= 0) & (scores <= 1)).all()
    assert float((scores**2).mean() + ((1 - scores) ** 2).mean()) <= 2.0
    linear = FeatureDiscriminator("frames", 16, 2, output="linear")
    linear.load_state_dict(bounded.state_dict())
    assert torch.allclose(torch.sigmoid(linear(features)), bounded(features))
    assert torch.allclose(linear(100.0 * features), linear(features), atol=1e-4)  # normalised: scale-free
    raw = FeatureDiscriminator("frames", 16, 2, output="linear", normalise=False)
    raw.load_state_dict(linear.state_dict())
    assert not torch.allclose(raw(100.0 * features), raw(features))
    with pytest.raises(ValueError, match="output must be 'sigmoid' or 'linear'"):
        FeatureDiscriminator("frames", 16, 2, output="tanh")
