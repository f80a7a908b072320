"""diffusion_replay: a two-domain run, no earlier domain's data read, the sampler's memory, EMA, options."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import torch
from avalanche.core import SupervisedPlugin
from tiny_streams import SMALL_DIFFUSION_REPLAY

import lifelong_pose as lp
from lifelong_pose.data import PoseBatch
from lifelong_pose.runner.checkpoint import load_checkpoint, state_bytes
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training import RunContext
from lifelong_pose.training.build import make_strategy

FAST = {"epochs": 1, "adapt_epochs": 1, **SMALL_DIFFUSION_REPLAY}


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
    batch = PoseBatch(x2d, target.intrinsics[:12])
    made = strategy.adaptation_batch(batch, update=False)
    return strategy, batch, (made.x2d, made.X3d, made.intrinsics, made.ids)


def test_generated_pairs_use_source_cameras_the_teachers_size_and_the_own_frames_place(tiny_scenario: str) -> None:
    strategy, batch, generated = _generated_batch(tiny_scenario, prior="none", translation_limit=0.0, depth_limit=0.0)
    x2d, X3d, intrinsics, ids = generated
    assert x2d.shape == batch.x2d.shape and X3d.shape == (12, 17, 3) and torch.all(ids == -1)
    assert all(any(torch.equal(row, camera) for camera in strategy.source_cameras) for row in intrinsics)
    assert torch.all(X3d[:, 0] == 0)  # root-relative labels
    # each label has its teacher prediction's size up to the bone-length stage's +-20 % (no rescaling)
    from lifelong_pose.geometry.bones import bone_lengths

    layout = strategy.augment_generator.layout
    size = bone_lengths(X3d, layout).sum(dim=-1)
    predicted = bone_lengths(strategy.predict_windows(batch.x2d)[:, 0], layout).sum(dim=-1)
    assert torch.all((size / predicted - 1).abs() <= 0.2 + 1e-4)
    # without a prior every row stands where its own target frame stands (distortion aside)
    assert torch.allclose(x2d[:, 0, 0], batch.x2d[:, 0, 0], atol=0.02)


def test_with_the_ddim_prior_half_the_rows_stand_where_prior_poses_stand(tiny_scenario: str) -> None:
    strategy, batch, generated = _generated_batch(tiny_scenario, translation_limit=0.0, depth_limit=0.0)
    x2d = generated[0]
    assert strategy.embeddings.domain is not None
    own = batch.x2d[:, 0, 0]
    # the first half is placed on prior poses (the sampler barely trained: anywhere), the rest on its own frames
    assert torch.allclose(x2d[6:, 0, 0], own[6:], atol=0.02)
    assert not torch.allclose(x2d[:6, 0, 0], own[:6], atol=0.02)


def test_a_temporal_lifter_gets_windows_of_generated_frames(tiny_scenario: str) -> None:
    strategy, batch, _ = _generated_batch(tiny_scenario, 27, prior="noise", lifter="videopose", receptive_field=27)
    made = strategy.adaptation_batch(batch, update=True)  # one critic and one generator step
    x2d, X3d = made.x2d, made.X3d
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
        ({"generation_seed": "target"}, "'generation_seed' expects one of 'predicted', 'source'"),
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


class _WatchTeacher(SupervisedPlugin):
    """On the target: the teacher and the lifter at the first step, and both again at the domain's last."""

    def __init__(self) -> None:
        super().__init__()
        self.first: dict[str, dict[str, torch.Tensor]] = {}
        self.last: dict[str, dict[str, torch.Tensor]] = {}
        self.entering: dict[str, torch.Tensor] = {}

    @staticmethod
    def _copy(module: torch.nn.Module) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in module.state_dict().items()}

    def before_training_iteration(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == 1 and not self.first:
            self.first = {"teacher": self._copy(strategy.teacher), "lifter": self._copy(strategy.model)}

    def after_training_epoch(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == 1:
            self.last = {"teacher": self._copy(strategy.teacher), "lifter": self._copy(strategy.model)}

    def after_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == 0:
            self.entering = self._copy(strategy.model)


def test_the_frozen_teacher_is_the_entering_lifter_and_never_changes(two_domains: str, tmp_path: Path) -> None:
    watch = _WatchTeacher()
    record = _run(two_domains, tmp_path / "run", plugins=[watch], ema=False)
    assert record["status"] == "complete"
    for name, value in watch.entering.items():
        assert torch.equal(watch.first["teacher"][name], value), name  # the lifter as it entered the target
        assert torch.equal(watch.last["teacher"][name], value), name  # and still it at the target's end
    changed = [name for name, value in watch.last["lifter"].items() if not torch.equal(value, watch.entering[name])]
    assert changed  # the lifter itself did adapt


def test_the_ema_teacher_follows_the_lifter(two_domains: str, tmp_path: Path) -> None:
    watch = _WatchTeacher()
    _run(two_domains, tmp_path / "run", plugins=[watch], ema=False, teacher="ema", teacher_eta=0.5)
    moved = [name for name, value in watch.last["teacher"].items() if not torch.equal(value, watch.entering[name])]
    assert moved


def test_ema_per_step_is_the_running_average_of_every_steps_lifter(two_domains: str, tmp_path: Path) -> None:
    """A_0 = the entering lifter, A_k = eta A_(k-1) + (1 - eta) P_k after step k; the domain ends with A_K."""
    steps: list[dict[str, torch.Tensor]] = []
    entering: dict[str, torch.Tensor] = {}

    class Record(SupervisedPlugin):
        def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
            if strategy.experience.current_experience == 1:
                entering.update({k: v.detach().clone() for k, v in strategy.model.state_dict().items()})

        def after_training_iteration(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
            if strategy.experience.current_experience == 1:
                steps.append({k: v.detach().clone() for k, v in strategy.model.state_dict().items()})

    _run(two_domains, tmp_path / "run", plugins=[Record()], ema_update="step", ema_eta=0.8)
    assert len(steps) > 2
    final = load_checkpoint(tmp_path / "run", 1)["model"]
    for name, value in final.items():
        if not value.is_floating_point():
            continue
        average = entering[name]
        for step in steps:
            average = 0.8 * average + 0.2 * step[name]
        assert torch.allclose(value, average, atol=1e-5), name


def test_a_lifter_that_grows_during_a_target_stops_the_run_with_a_clear_error(two_domains: str, tmp_path: Path) -> None:
    class Inflate(SupervisedPlugin):
        """Doubles the lifter's output layer after every target step: its predicted bodies grow."""

        def after_training_iteration(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
            if strategy.experience.current_experience == 1:
                with torch.no_grad():
                    last = [m for m in strategy.model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv1d))][
                        -1
                    ]
                    last.weight.mul_(2.0)
                    if last.bias is not None:
                        last.bias.mul_(2.0)

    with pytest.raises(FloatingPointError, match=r"drifted to .*x the size the lifter predicted on entering domain 1"):
        _run(two_domains, tmp_path / "run", plugins=[Inflate()], ema=False, max_size_drift=0.3)
    record = load_record(tmp_path / "run")
    assert record["status"] == "failed" and "max_size_drift=0.3" in record["error"]


def test_the_size_guard_bounds_both_ways_and_refuses_nan() -> None:
    strategy = make_strategy("diffusion_replay", context=RunContext(num_joints=17, layout="h36m17"))

    class Domain:
        index, name = 1, "d1"

    strategy.experience = type("Experience", (), {"domain": Domain()})()
    strategy.reference_size = torch.tensor(4.0)
    for size in (4.0, 5.19, 3.08):  # within [1 / 1.3, 1.3] x 4
        strategy.check_size(torch.tensor(size), "poses")
    for size in (5.3, 3.0, float("nan"), float("inf")):
        with pytest.raises(FloatingPointError, match=r"outside the bound max_size_drift=0\.3"):
            strategy.check_size(torch.tensor(size), "poses")


def test_every_loss_term_is_finite_and_logged_at_the_size_it_had(tiny_scenario: str) -> None:
    strategy, batch, _ = _generated_batch(tiny_scenario)
    draw = strategy.draw(batch.x2d)
    torch.manual_seed(0)
    generated = strategy.adversarial_step(draw)
    logged = {name: values[-1] for name, values in strategy._terms.items()}
    expected = strategy.generator_losses(draw, generated)  # the generator's output before its update
    for name, value in expected.items():
        assert torch.isfinite(value) and float(logged[name]) == pytest.approx(float(value.detach()), rel=1e-6), name
    assert {"critic", "gradient_penalty", "adversarial"} <= set(logged)


def test_the_record_logs_every_term_of_every_domain(two_domains: str, tmp_path: Path) -> None:
    """Per domain: each term's mean, its step count and a curve over the domain (ten means at most)."""
    record = _run(two_domains, tmp_path / "run")
    source, target = record["losses"]
    assert set(source["terms"]) == {"lifter"}
    terms = target["terms"]
    assert {"lifter", "critic", "gradient_penalty", "adversarial", "loss_3d", "loss_2d", "loss_2d_normalised"} <= set(
        terms
    )
    for name, term in terms.items():
        assert term["mean"] is not None and len(term["curve"]) == min(10, term["steps"]), name


def test_losses_are_zero_when_the_generator_is_the_identity(tiny_scenario: str) -> None:
    """With every bound at zero the augmented pose is the teacher's, untranslated: L_3D is exactly 0."""
    no_change = {"angle_limit": 0.0, "length_limit": 0.0, "rotation_limit": 0.0, "translation_limit": 0.0}
    strategy, batch, _ = _generated_batch(tiny_scenario, prior="none", depth_limit=0.0, **no_change)
    draw = strategy.draw(batch.x2d)
    with torch.no_grad():
        terms = strategy.generator_losses(draw, strategy.generate(draw))
    assert float(terms["loss_3d"]) == pytest.approx(0.0, abs=1e-6)


def test_source_seeded_generation_keeps_and_augments_source_poses(two_domains: str, tmp_path: Path) -> None:
    record = _run(two_domains, tmp_path / "run", generation_seed="source")
    assert record["status"] == "complete"
    assert record["resources"]["keeps_source_data"] is True
    assert record["resources"]["kept"]["strategy.source_data"] > 0


def test_partial_sampling_stops_the_chain_early() -> None:
    from lifelong_pose.strategies.diffusion_replay.pose_diffusion import ddim_timesteps

    assert ddim_timesteps(400, 40).tolist()[-1] == 0  # strided: down to the clean pose
    assert ddim_timesteps(400, 40, "partial").tolist() == list(range(399, 359, -1))
    assert ddim_timesteps(10, 10, "partial").tolist() == ddim_timesteps(10, 10).tolist()  # all steps: the same
    with pytest.raises(ValueError, match="'strided' or 'partial'"):
        ddim_timesteps(10, 2, "early")


def test_source_seeded_generation_before_the_source_is_a_clear_error() -> None:
    context = RunContext(num_joints=17, layout="h36m17")
    strategy = make_strategy("diffusion_replay", context=context, generation_seed="source")
    assert strategy.keeps_source_data is True
    assert make_strategy("diffusion_replay", context=context).keeps_source_data is False
    with pytest.raises(RuntimeError, match="augments source poses; it must train on the source domain first"):
        strategy.kept_source()
