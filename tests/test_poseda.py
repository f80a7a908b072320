"""PoseDA: GPA in the training batch, a critic that only ever sees source 3D, resume, options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from avalanche.core import SupervisedPlugin
from lifelong_pose.strategies.shared.source_pool import SourcePool

import lifelong_pose as lp
from lifelong_pose.data import PoseBatch
from lifelong_pose.runner.checkpoint import load_checkpoint
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training import RunContext
from lifelong_pose.training.build import make_strategy

FAST = {"epochs": 1, "adapt_epochs": 1, "batch_size": 8, "warmup_steps": 3}


def _config(scenario: str, out: Path, **changes: Any) -> RunConfig:
    options = {**FAST, **changes.pop("options", {})}
    return RunConfig(scenario, "poseda", out, device="cpu", progress=False, report=False, options=options, **changes)


def _strategy_with_source(scenario: str, **options: Any) -> tuple[Any, Any]:
    """A PoseDA strategy holding the scenario's source split as its pool (no training)."""
    stream = lp.make(scenario)
    strategy = make_strategy("poseda", context=RunContext(num_joints=17, layout=stream.layout), **options)
    strategy.source_data = SourcePool.from_domain(stream.train_data(0), receptive_field=1)
    return strategy, stream


def _target_batch(stream: Any, size: int = 12) -> PoseBatch:
    data = stream.train_data(1)
    intrinsics = data.intrinsics[:size].clone()
    intrinsics[:, 4:] = 0  # no distortion: GPA's root then projects exactly onto the target root
    return PoseBatch(data.x2d[:size, None], intrinsics)


def _made(
    strategy: Any, x2d: torch.Tensor, intrinsics: torch.Tensor, *, update: bool = False
) -> tuple[torch.Tensor, ...]:
    made = strategy.adaptation_batch(PoseBatch(x2d, intrinsics), update=update)
    assert made.labelled and torch.equal(made.ids, torch.full((len(x2d),), -1))  # made rows are no domain frames
    return made.x2d, made.X3d, made.intrinsics


def test_gpa_puts_each_source_pose_on_its_target_root_and_box(tiny_scenario: str) -> None:
    strategy, stream = _strategy_with_source(tiny_scenario, lpa=False, source_pairs="aligned")
    x2d_target, intrinsics = _target_batch(stream).x2d, _target_batch(stream).intrinsics
    x2d, X3d, used_intrinsics = _made(strategy, x2d_target, intrinsics)
    assert x2d.shape == x2d_target.shape and X3d.shape == (12, 17, 3)
    assert torch.equal(used_intrinsics, intrinsics)
    assert torch.allclose(x2d[:, 0, 0], x2d_target[:, 0, 0], atol=1e-5)  # root joint on the target's root

    def box(x: torch.Tensor) -> torch.Tensor:
        return (x.amax(dim=-2) - x.amin(dim=-2)).sum(dim=-1)

    # weak perspective: the box matches up to the pose's depth spread (a few per cent)
    ratio = box(x2d[:, 0]) / box(x2d_target[:, 0])
    assert torch.all((ratio - 1).abs() < 0.1), ratio
    # the 3D labels are source poses, unchanged without LPA
    pool = strategy.source_data.X3d
    assert all(torch.isclose(pool, pose).all(dim=(-1, -2)).any() for pose in X3d)


def test_lpa_mixes_augmented_and_source_pairs_one_to_one(tiny_scenario: str) -> None:
    strategy, stream = _strategy_with_source(tiny_scenario, gpa=False, mix_ratio=0.5)
    batch = _target_batch(stream, size=10)
    x2d, X3d, intrinsics = _made(strategy, batch.x2d, batch.intrinsics)
    pool = strategy.source_data.X3d
    is_source = torch.stack([torch.isclose(pool, pose, atol=1e-7).all(dim=(-1, -2)).any() for pose in X3d])
    assert is_source.tolist() == [False] * 5 + [True] * 5
    # without GPA, source pairs keep their observed 2D and camera
    assert all(torch.isclose(strategy.source_data.x2d, frame).all(dim=(-1, -2)).any() for frame in x2d[5:, 0])
    assert all(torch.isclose(strategy.source_data.intrinsics, k).all(dim=-1).any() for k in intrinsics)


def test_by_default_half_the_batch_is_original_source_pairs_as_in_algorithm_1(tiny_scenario: str) -> None:
    """Augmented and aligned pairs first, then source pairs with their own 2D and camera, untouched."""
    strategy, stream = _strategy_with_source(tiny_scenario)
    target = _target_batch(stream, size=10)
    x2d_target, intrinsics = target.x2d, target.intrinsics
    x2d, X3d, used_intrinsics = _made(strategy, x2d_target, intrinsics)
    pool = strategy.source_data
    is_source = torch.stack([torch.isclose(pool.X3d, pose, atol=1e-7).all(dim=(-1, -2)).any() for pose in X3d])
    assert is_source.tolist() == [False] * 5 + [True] * 5
    # the generated half stands on its target's root and uses its camera; the source half keeps its own
    assert torch.allclose(x2d[:5, 0, 0], x2d_target[:5, 0, 0], atol=1e-5)
    assert torch.equal(used_intrinsics[:5], intrinsics[:5])
    for frame, pose, camera in zip(x2d[5:, 0], X3d[5:], used_intrinsics[5:], strict=True):
        match = torch.isclose(pool.X3d, pose, atol=1e-7).all(dim=(-1, -2))
        assert torch.equal(pool.x2d[match][0], frame) and torch.equal(pool.intrinsics[match][0], camera)


def test_gan_in_warmup_only_leaves_the_generator_fixed_while_the_lifter_trains(tiny_scenario: str) -> None:
    for schedule, changes in (("warmup", False), ("all", True)):
        strategy, stream = _strategy_with_source(tiny_scenario, gan_epochs=schedule, critic_steps=1)
        before = {k: v.clone() for k, v in strategy.augment_generator.state_dict().items()}
        strategy.adaptation_batch(_target_batch(stream, size=8), update=True)
        after = strategy.augment_generator.state_dict()
        assert any(not torch.equal(before[k], after[k]) for k in before) == changes, schedule


def test_synthetic_pairs_copy_the_targets_missing_joints(tiny_scenario: str) -> None:
    strategy, stream = _strategy_with_source(tiny_scenario, lpa=False, source_pairs="aligned")
    target = _target_batch(stream, size=6)
    x2d_target, intrinsics = target.x2d, target.intrinsics
    x2d_target = x2d_target.clone()
    x2d_target[0, 0, 5] = 0  # joint 5 of frame 0 was not observed
    x2d, *_ = _made(strategy, x2d_target, intrinsics)
    assert torch.all(x2d[0, 0, 5] == 0) and torch.all(x2d[1:, 0, 5] != 0)


def test_the_critic_only_ever_sees_source_poses(tmp_path: Path, temporary_scenario_id: str) -> None:
    """With every transformation bounded to zero the generator is the identity, so each pose the
    critic is shown must be one of the source's: none may come from a target."""
    scenario = f"{temporary_scenario_id}-v0"
    lp.scenario_registry.register(scenario, "tiny_streams:tiny", targets=1)
    seen: list[torch.Tensor] = []
    original = lp.make(scenario)

    class Watch(SupervisedPlugin):
        def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
            if strategy.experience.current_experience == 0:
                strategy.discriminator.register_forward_pre_hook(lambda _, inputs: seen.append(inputs[0].detach()))

    no_change = {"angle_limit": 0.0, "length_limit": 0.0, "rotation_limit": 0.0}
    run(_config(scenario, tmp_path / "run", options=no_change, plugins=[Watch()]))
    assert seen
    poses = torch.cat(seen)
    source = original.train_data(0).X3d
    target = original.privileged_train_data(1).X3d

    def nearest(pool: torch.Tensor) -> torch.Tensor:
        return torch.cdist(poses.flatten(1), pool.flatten(1), compute_mode="donot_use_mm_for_euclid_dist").amin(dim=1)

    assert nearest(source).max() < 1e-4
    assert nearest(target).min() > 1e-2


def test_poseda_resumes_exactly_and_records_the_source_it_keeps(tiny_scenario: str, tmp_path: Path) -> None:
    class Stop(SupervisedPlugin):
        def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
            if strategy.experience.current_experience == 2:
                raise KeyboardInterrupt

    whole = run(_config(tiny_scenario, tmp_path / "whole"))
    with pytest.raises(KeyboardInterrupt):
        run(_config(tiny_scenario, tmp_path / "cut", plugins=[Stop()]))
    resumed = run(_config(tiny_scenario, tmp_path / "cut", resume=True))
    assert resumed["matrices"] == whole["matrices"]

    resources = whole["resources"]
    source = lp.make(tiny_scenario).train_data(0)
    expected = sum(t.element_size() * t.nelement() for t in (source.x2d, source.X3d, source.root, source.intrinsics))
    expected += len(source) * 8  # int64 window indices, receptive field 1
    assert resources["keeps_source_data"] is True
    assert resources["kept"]["strategy.source_data"] == expected
    assert resources["kept_bytes"] == sum(resources["kept"].values())
    assert resources["extra_parameters"] > 0
    state = load_checkpoint(tmp_path / "whole", 0)
    assert torch.equal(state["extra"]["source_data"]["X3d"], source.X3d)


def test_lifelong_loop_keeps_training_on_targets(tiny_scenario: str, tmp_path: Path) -> None:
    record = run(_config(tiny_scenario, tmp_path / "run", options={"lpa": False}))
    rows = record["matrices"]["mpjpe"]
    assert rows[1] != rows[0] and rows[2] != rows[1]  # the lifter changes on each target
    assert record["strategy"]["params"]["lpa"] is False and record["strategy"]["params"]["gpa"] is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"gpa": False, "lpa": False}, "gpa=true or lpa=true"),
        ({"mix_ratio": 1.5}, r"mix_ratio must be in \[0, 1\]"),
        ({"critic_steps": 0}, "critic_steps must be >= 1"),
        ({"length_limit": 1.0}, "length_limit"),
        ({"clip": 0.0}, "clip must be > 0"),
        ({"source_pairs": "both"}, "'source_pairs' expects one of 'original', 'aligned'"),
        ({"gan_epochs": "some"}, "'gan_epochs' expects one of 'all', 'warmup'"),
    ],
)
def test_bad_options_are_clear_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        make_strategy("poseda", context=RunContext(num_joints=17, layout="h36m17"), **options)


def test_adapting_before_the_source_is_a_clear_error(tiny_scenario: str) -> None:
    strategy, stream = _strategy_with_source(tiny_scenario)
    strategy.source_data = None
    with pytest.raises(RuntimeError, match="must train on the source domain first"):
        strategy.adaptation_batch(_target_batch(stream), update=False)
