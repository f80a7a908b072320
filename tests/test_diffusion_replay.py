"""diffusion_replay: a two-domain run, no earlier domain's data read, the sampler's memory, EMA, options."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch
from avalanche.core import SupervisedPlugin

import lifelong_pose as lp
from lifelong_pose.runner.checkpoint import load_checkpoint, state_bytes
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training import RunContext
from lifelong_pose.training.build import make_strategy

# small networks and few sampler steps: seconds per run
FAST = {
    "epochs": 1,
    "adapt_epochs": 1,
    "batch_size": 8,
    "sampler_train_steps": 20,
    "warmup_steps": 2,
    "sampler_width": 32,
    "generator_width": 32,
    "critic_width": 32,
    "embed_dim": 8,
    "sampler_steps": 4,
    "diffusion_steps": 40,
    # a lifter trained for one epoch on a tiny split swings in size as it adapts: the guard has its own tests
    "max_size_drift": 10.0,
}


def _run(scenario: str, out: Path, plugins: list[Any] | None = None, **options: Any) -> dict[str, Any]:
    config = RunConfig(
        scenario,
        "diffusion_replay",
        out,
        device="cpu",
        progress=False,
        report=False,
        options={**FAST, **options},
        plugins=plugins or [],
    )
    return run(config)


@pytest.fixture
def two_domains(temporary_scenario_id: str) -> str:
    scenario = f"{temporary_scenario_id}-v0"
    lp.scenario_registry.register(scenario, "tiny_streams:tiny", targets=1)
    return scenario


def test_two_domain_run_records_the_sampler_it_keeps(two_domains: str, tmp_path: Path) -> None:
    record = _run(two_domains, tmp_path / "run")
    assert record["status"] == "complete"
    assert torch.isfinite(torch.tensor(record["matrices"]["mpjpe"])).all()
    resources = record["resources"]
    assert resources["keeps_source_data"] is False
    extra = load_checkpoint(tmp_path / "run", 1)["extra"]
    # the source's 2D; the last target's is not learnt, as no domain follows it to replay it in
    assert int(extra["sampler"]["domains_learned"]) == 1
    assert resources["kept"]["strategy.sampler"] == state_bytes(extra["sampler"]) > 0
    assert "strategy.source_data" not in resources["kept"]
    assert extra["source_cameras"].shape[-1] == 9
    strategy = make_strategy("diffusion_replay", context=RunContext(num_joints=17, layout="h36m17"), **FAST)
    modules = strategy.auxiliary_modules()
    assert set(modules) == {"generator", "embeddings", "critic", "sampler"}
    assert resources["extra_parameters"] == sum(p.numel() for m in modules.values() for p in m.parameters())


class _PoisonEarlierDomains(SupervisedPlugin):
    """After each domain trains, overwrite its train split with NaN: reading it later would poison the lifter."""

    def __init__(self) -> None:
        super().__init__()
        self.target_had_3d: list[bool] = []

    def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience > 0:
            self.target_had_3d.append(strategy.experience.tensors.has_3d)

    def after_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        for data in (strategy.experience.tensors, strategy.domain_tensors(strategy.experience.tensors)):
            data.x2d.fill_(float("nan"))
            if data.X3d is not None:
                data.X3d.fill_(float("nan"))


def test_never_reads_an_earlier_domains_data_or_a_targets_3d(tiny_scenario: str, tmp_path: Path) -> None:
    poison = _PoisonEarlierDomains()
    record = _run(tiny_scenario, tmp_path / "run", plugins=[poison])
    assert record["status"] == "complete"
    assert torch.isfinite(torch.tensor(record["matrices"]["mpjpe"])).all()  # nothing it read was poisoned
    assert poison.target_had_3d == [False, False]
    assert record["strategy"]["reads_target_3d"] is False


def test_ema_blends_the_entering_and_adapted_lifters_as_the_formula_says(two_domains: str, tmp_path: Path) -> None:
    _run(two_domains, tmp_path / "plain", ema=False)
    _run(two_domains, tmp_path / "ema", ema_update="domain", ema_eta=0.7)
    entering, adapted = load_checkpoint(tmp_path / "plain", 0)["model"], load_checkpoint(tmp_path / "plain", 1)["model"]
    blended = load_checkpoint(tmp_path / "ema", 1)["model"]
    for name, value in blended.items():
        if value.is_floating_point():  # P_{j+1} = eta P_j + (1 - eta) P^_j
            assert torch.allclose(value, 0.7 * entering[name] + 0.3 * adapted[name], atol=1e-6), name


def test_resumes_exactly(tiny_scenario: str, tmp_path: Path) -> None:
    class Stop(SupervisedPlugin):
        def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
            if strategy.experience.current_experience == 2:
                raise KeyboardInterrupt

    whole = _run(tiny_scenario, tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        _run(tiny_scenario, tmp_path / "cut", plugins=[Stop()])
    config = RunConfig(
        tiny_scenario, "diffusion_replay", tmp_path / "cut", device="cpu", progress=False, report=False, options=FAST
    )
    resumed = run(dataclasses.replace(config, resume=True))
    assert resumed["matrices"] == whole["matrices"]


def _generated_batch(
    scenario: str, frames: int = 1, **options: Any
) -> tuple[Any, tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    """A strategy that has 'trained' on the source (cameras, size and a sampler), and one target batch through it."""
    stream = lp.make(scenario)
    strategy = make_strategy(
        "diffusion_replay", context=RunContext(num_joints=17, layout=stream.layout), **FAST, **options
    )
    source, target = stream.train_data(0), stream.train_data(1)
    strategy.source_cameras = torch.unique(source.intrinsics, dim=0)
    strategy.source_depths = torch.tensor([3.0, 6.0])
    strategy.make_teacher()
    if strategy.sampler is not None:
        strategy.sampler.learn(source.x2d, source.visible, steps=5, generator=torch.Generator().manual_seed(0))
        strategy.priors = strategy.sampler.sample(16, steps=4)
    x2d = target.x2d[:12, None].expand(-1, frames, -1, -1).contiguous()
    batch = (x2d, target.intrinsics[:12], torch.zeros(12, dtype=torch.long))
    return strategy, batch, strategy.prepare_batch(batch, update=False)


def test_generated_pairs_use_source_cameras_the_teachers_size_and_the_own_frames_place(tiny_scenario: str) -> None:
    strategy, batch, generated = _generated_batch(tiny_scenario, prior="none", translation_limit=0.0, depth_limit=0.0)
    x2d, X3d, intrinsics, task = generated
    assert x2d.shape == batch[0].shape and X3d.shape == (12, 17, 3) and torch.equal(task, batch[2])
    assert all(any(torch.equal(row, camera) for camera in strategy.source_cameras) for row in intrinsics)
    assert torch.all(X3d[:, 0] == 0)  # root-relative labels
    # each label has its teacher prediction's size up to the bone-length stage's +-20 % (no rescaling)
    from lifelong_pose.geometry.bones import bone_lengths

    layout = strategy.augment_generator.layout
    size = bone_lengths(X3d, layout).sum(dim=-1)
    predicted = bone_lengths(strategy.predict_windows(batch[0])[:, 0], layout).sum(dim=-1)
    assert torch.all((size / predicted - 1).abs() <= 0.2 + 1e-4)
    # without a prior every row stands where its own target frame stands (distortion aside)
    assert torch.allclose(x2d[:, 0, 0], batch[0][:, 0, 0], atol=0.02)


def test_with_the_ddim_prior_half_the_rows_stand_where_prior_poses_stand(tiny_scenario: str) -> None:
    strategy, batch, generated = _generated_batch(tiny_scenario, translation_limit=0.0, depth_limit=0.0)
    x2d = generated[0]
    assert strategy.embeddings.domain is not None
    own = batch[0][:, 0, 0]
    # the first half is placed on prior poses (the sampler barely trained: anywhere), the rest on its own frames
    assert torch.allclose(x2d[6:, 0, 0], own[6:], atol=0.02)
    assert not torch.allclose(x2d[:6, 0, 0], own[:6], atol=0.02)


def test_a_temporal_lifter_gets_windows_of_generated_frames(tiny_scenario: str) -> None:
    strategy, batch, _ = _generated_batch(tiny_scenario, 27, prior="noise", lifter="videopose", receptive_field=27)
    x2d, X3d, _, _ = strategy.prepare_batch(batch, update=True)  # one critic and one generator step
    assert x2d.shape == (12, 27, 17, 2) and X3d.shape == (12, 17, 3)
    assert torch.isfinite(x2d).all()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"prior": "gaussian"}, "'prior' expects one of 'ddim', 'noise', 'none' or None"),
        ({"sampler_steps": 500}, "sampler_steps must be in 1..diffusion_steps"),
        ({"replay_share": 1.0}, "replay_share must be in"),
        ({"ema_eta": 1.0}, "ema_eta must be in"),
        ({"ema_update": "epoch"}, "'ema_update' expects one of 'step', 'domain'"),
        ({"length_limit": 1.0}, "length_limit must be in"),
        ({"gan_lr": 0.0}, "gan_lr must be > 0"),
    ],
)
def test_bad_options_are_clear_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        make_strategy("diffusion_replay", context=RunContext(num_joints=17, layout="h36m17"), **options)


def test_a_second_ema_is_refused_with_the_way_out() -> None:
    from lifelong_pose.strategies.plugins.ema import EMAPlugin

    context = RunContext(num_joints=17, layout="h36m17")
    with pytest.raises(ValueError, match="ema=false"):
        make_strategy("diffusion_replay", context=context, plugins=[EMAPlugin()])
    strategy = make_strategy("diffusion_replay", context=context, plugins=[EMAPlugin(eta=0.5)], ema=False)
    assert [type(p).__name__ for p in strategy.plugins].count("EMAPlugin") == 1


def test_ablations_build_what_they_say() -> None:
    context = RunContext(num_joints=17, layout="h36m17")
    none = make_strategy("diffusion_replay", context=context, prior="none", ema=False)
    assert none.sampler is None and none.embeddings.domain is None
    assert not any(type(p).__name__ == "EMAPlugin" for p in none.plugins)
    noise = make_strategy("diffusion_replay", context=context, prior="noise")
    assert noise.sampler is None and noise.embeddings.domain is not None
    full = make_strategy("diffusion_replay", context=context, sampler_steps=400)
    assert full.sampler is not None and full.params.sampler_steps == full.params.diffusion_steps


def test_adapting_before_the_source_is_a_clear_error() -> None:
    strategy = make_strategy("diffusion_replay", context=RunContext(num_joints=17, layout="h36m17"))
    with pytest.raises(RuntimeError, match="train on the source first"):
        strategy.kept_cameras()
