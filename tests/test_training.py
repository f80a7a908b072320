"""The training engine: tensor batches, pose plugin metrics, strategy building and its guards."""

from __future__ import annotations

import pytest
import torch

import lifelong_pose as lp
from lifelong_pose.data import TensorBatches
from lifelong_pose.data.avalanche import PoseFrames
from lifelong_pose.registry import RegistryError, StrategySpec
from lifelong_pose.training import (
    METRICS,
    LifelongStrategy,
    PosePluginMetric,
    RunContext,
    derive_seed,
    metric_key,
)
from lifelong_pose.training.build import build_strategy, make_strategy, strategy_spec_for

CONTEXT = RunContext(num_joints=17, layout="h36m17", profile="quick", device="cpu", seed=0)


@pytest.fixture
def scenario(tiny_scenario: str):
    return lp.make(tiny_scenario)


def test_tensor_batches_match_the_avalanche_items(scenario) -> None:
    """Fast path and slow path give the same frames, labelled and unlabelled."""
    for data in (scenario.test_data(1), scenario.train_data(1)):
        frames = PoseFrames(data, receptive_field=3)
        batches = TensorBatches(data, receptive_field=3, batch_size=5)
        batch = next(iter(batches))
        assert batch.labelled == data.has_3d
        parts = (batch.x2d, batch.X3d, batch.intrinsics) if batch.labelled else (batch.x2d, batch.intrinsics)
        for k in range(5):
            for got, expected in zip(parts, frames[k], strict=True):
                assert torch.equal(got[k], expected)
        assert batch.ids.tolist() == list(range(5)) and torch.equal(batch.task, torch.zeros(5, dtype=torch.long))


def test_tensor_batches_shuffle_visits_every_frame_once(scenario) -> None:
    data = scenario.train_data(0)
    generator = torch.Generator().manual_seed(3)
    batches = TensorBatches(data, batch_size=64, shuffle=True, generator=generator)
    seen = torch.cat([batch.x2d[:, 0].reshape(len(batch), -1) for batch in batches])
    assert len(batches) == -(-len(data) // 64)
    assert seen.shape[0] == len(data)
    assert torch.equal(torch.unique(seen, dim=0), torch.unique(data.x2d.reshape(len(data), -1), dim=0))


def test_tensor_batches_reject_bad_sizes(scenario) -> None:
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        TensorBatches(scenario.train_data(0), batch_size=0)
    with pytest.raises(ValueError, match="receptive_field must be odd"):
        TensorBatches(scenario.train_data(0), receptive_field=2)


def test_pose_plugin_metric_accumulates_sums_not_batch_means() -> None:
    """Two batches of 1 and 3 poses, errors 0.1 m and 0.2 m: 175 mm, not the 150 mm of batch means."""
    metric = PosePluginMetric(METRICS[0])
    target = torch.zeros(4, 2, 3)
    predicted = target.clone()
    predicted[0, :, 0] = 0.1
    predicted[1:, :, 0] = 0.2
    metric.update(predicted[:1], target[:1])
    metric.update(predicted[1:], target[1:])
    assert metric.result() == pytest.approx((0.1 + 3 * 0.2) / 4 * 1000)
    metric.reset()
    assert metric.result() != metric.result()  # NaN once empty


def test_metric_keys_and_units() -> None:
    assert metric_key("mpjpe", 3) == "mpjpe/eval_phase/test_stream/Exp003"
    assert [m.key for m in METRICS] == ["mpjpe", "pa_mpjpe", "pck", "auc"]
    assert [m.lower_is_better for m in METRICS] == [True, True, False, False]


def test_derive_seed_is_stable_and_distinct() -> None:
    assert derive_seed(0, "domain", 1) == derive_seed(0, "domain", 1)
    assert len({derive_seed(s, "domain", i) for s in range(3) for i in range(3)}) == 9


def test_strategies_are_registered_with_descriptions() -> None:
    ids = {spec.id for spec in lp.strategy_registry.all()}
    assert {"source_only-v0", "oracle-v0"} <= ids


def test_build_layers_defaults_profile_spec_and_overrides() -> None:
    quick = lp.strategy_registry.make("oracle", context=CONTEXT)
    paper = lp.strategy_registry.make("oracle", context=RunContext(17, "h36m17", profile="paper"), epochs=3)
    assert quick.params.batch_size == 256 and paper.params.batch_size == 1024
    assert paper.params.epochs == 3 and paper.params.adapt_epochs == 40
    assert paper.spec.kwargs == {"epochs": 3}
    assert quick.get_params()["lifter"] == "simple_baseline"
    assert isinstance(quick.evaluator.metrics[0], PosePluginMetric)  # never Avalanche's default accuracy


def test_same_seed_same_initial_weights() -> None:
    first = lp.strategy_registry.make("source_only", context=CONTEXT)
    second = lp.strategy_registry.make("source_only", context=CONTEXT)
    other = lp.strategy_registry.make("source_only", context=RunContext(17, "h36m17", seed=1))
    for a, b in zip(first.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert not all(torch.equal(a, c) for a, c in zip(first.model.parameters(), other.model.parameters(), strict=True))


def test_bad_strategy_options_fail_clearly() -> None:
    with pytest.raises(TypeError, match=r"has no option 'epoch'\. Did you mean 'epochs'"):
        lp.strategy_registry.make("source_only", context=CONTEXT, epoch=3)
    with pytest.raises(TypeError, match=r"source_only.*has no option 'adapt_epochs'"):
        lp.strategy_registry.make("source_only", context=CONTEXT, adapt_epochs=3)
    with pytest.raises(TypeError, match="option 'epochs' expects int"):
        lp.strategy_registry.make("source_only", context=CONTEXT, epochs="3")
    with pytest.raises(
        ValueError, match=r"lifter: Unknown lifter 'transformer'.*Registered: dakpose, simple_baseline, videopose"
    ):
        lp.strategy_registry.make("source_only", context=CONTEXT, lifter="transformer")
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        lp.strategy_registry.make("source_only", context=CONTEXT, epochs=-1)
    with pytest.raises(ValueError, match="steps must be >= 1, got 0"):
        lp.strategy_registry.make("source_only", context=CONTEXT, steps=0)
    with pytest.raises(ValueError, match="lr_floor must be in"):
        lp.strategy_registry.make("source_only", context=CONTEXT, lr_floor=1.5)
    with pytest.raises(TypeError, match="needs context=RunContext"):
        lp.strategy_registry.make("source_only")
    with pytest.raises(RegistryError, match="Did you mean 'source_only'"):
        lp.strategy_registry.make("source_onyl", context=CONTEXT)
    with pytest.raises(ValueError, match="Unknown profile"):
        RunContext(17, "h36m17", profile="huge")


def test_entry_points_must_be_lifelong_strategies() -> None:
    spec = StrategySpec(id="not_a_strategy", entry_point="collections:OrderedDict")
    with pytest.raises(TypeError, match="must be a LifelongStrategy subclass"):
        build_strategy(spec, dict, {"context": CONTEXT})


def test_module_and_file_entry_points(tmp_path) -> None:
    spec = strategy_spec_for("lifelong_pose.strategies.baselines:Oracle")
    assert spec.entry_point == "lifelong_pose.strategies.baselines:Oracle" and spec.id == "Oracle"
    plugin = tmp_path / "my_strategy.py"
    plugin.write_text(
        "from lifelong_pose.strategies.baselines import SourceOnly\n\nclass Mine(SourceOnly):\n    pass\n"
    )
    strategy = make_strategy(f"{plugin}:Mine", context=CONTEXT, epochs=1)
    assert type(strategy).__name__ == "Mine" and strategy.params.epochs == 1
    with pytest.raises(ImportError, match="has no attribute 'Mien'"):
        strategy_spec_for(f"{plugin}:Mien")


def test_targets_never_carry_3d_except_for_the_oracle(scenario) -> None:
    plain = scenario.avalanche_benchmark()
    privileged = scenario.avalanche_benchmark(target_3d=True)
    for i, (a, b) in enumerate(zip(plain.train_stream, privileged.train_stream, strict=True)):
        assert a.tensors.has_3d == (i == 0)
        assert b.tensors.has_3d
        assert len(a.dataset[0]) == (4 if i == 0 else 3)


class _NoAdaptation(LifelongStrategy):
    """Trains on targets but forgets to say how."""


def test_adapting_without_an_adaptation_loss_is_a_clear_error(scenario) -> None:
    spec = StrategySpec(id="no_adaptation", entry_point="tests:_NoAdaptation")
    strategy = build_strategy(spec, _NoAdaptation, {"context": CONTEXT, "steps": 1, "adapt_steps": 1})
    benchmark = scenario.avalanche_benchmark()
    strategy.train(benchmark.train_stream[0], eval_streams=[])
    with pytest.raises(NotImplementedError, match="does not define adaptation_loss"):
        strategy.train(benchmark.train_stream[1], eval_streams=[])


def test_state_dict_round_trip_restores_the_lifter() -> None:
    first = lp.strategy_registry.make("source_only", context=CONTEXT)
    second = lp.strategy_registry.make("source_only", context=RunContext(17, "h36m17", seed=5))
    second.load_state_dict(first.state_dict())
    for a, b in zip(first.model.state_dict().values(), second.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_training_batches_never_end_with_a_single_frame(scenario) -> None:
    """Batch norm cannot train on one frame: 25 frames in batches of 8 give 8, 8, 8 (the 25th waits)."""
    data = scenario.train_data(2)
    assert len(data) == 25
    batches = TensorBatches(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    assert [len(batch) for batch in batches] == [8, 8, 8] and len(batches) == 3
    assert [len(batch) for batch in TensorBatches(data, batch_size=8)] == [8, 8, 8, 1]


class _Counter:
    """A stateful plugin (Avalanche plugins are duck-typed): counts the domains it trained on."""

    def __init__(self, start: int) -> None:
        self.seen = torch.tensor(start)

    def __getattr__(self, name: str):  # every other callback: do nothing
        if name.startswith(("before_", "after_")):
            return lambda *args, **kwargs: None
        raise AttributeError(name)

    def state_dict(self) -> dict:
        return {"seen": self.seen}

    def load_state_dict(self, state: dict) -> None:
        self.seen = state["seen"].clone()


def test_two_plugins_of_one_class_keep_their_own_state() -> None:
    first = lp.strategy_registry.make("source_only", context=CONTEXT, plugins=[_Counter(1), _Counter(2)])
    second = lp.strategy_registry.make("source_only", context=CONTEXT, plugins=[_Counter(0), _Counter(0)])
    second.load_state_dict(first.state_dict())
    counters = [plugin for plugin in second.plugins if isinstance(plugin, _Counter)]
    assert [int(c.seen) for c in counters] == [1, 2]
    third = lp.strategy_registry.make("source_only", context=CONTEXT, plugins=[_Counter(0), _Counter(0), _Counter(0)])
    with pytest.raises(KeyError, match="no state for plugin"):
        third.load_state_dict(first.state_dict())


def test_the_optimizer_object_survives_domains_with_fresh_state(scenario) -> None:
    strategy = lp.strategy_registry.make("oracle", context=CONTEXT, steps=3, adapt_steps=4, adapt_lr=5e-4)
    optimizer = strategy.optimizer
    benchmark = scenario.avalanche_benchmark(target_3d=True)
    strategy.train(benchmark.train_stream[0], eval_streams=[])
    assert strategy.optimizer is optimizer and optimizer.state and strategy.domain_step == 3
    strategy.train(benchmark.train_stream[1], eval_streams=[])
    assert strategy.optimizer is optimizer and strategy.domain_step == 4
    # the last of the target's steps ran at the end of its schedule: adapt_lr * lr_floor
    assert optimizer.param_groups[0]["lr"] == pytest.approx(5e-4 * strategy.params.lr_floor)


class _ReplacesData:
    def __getattr__(self, name: str):
        if name == "after_train_dataset_adaptation":
            return lambda strategy, **kwargs: setattr(strategy, "adapted_dataset", strategy.experience.dataset.eval())
        if name.startswith(("before_", "after_")):
            return lambda *args, **kwargs: None
        raise AttributeError(name)


def test_plugins_that_replace_the_dataset_are_refused(scenario) -> None:
    strategy = lp.strategy_registry.make("source_only", context=CONTEXT, plugins=[_ReplacesData()], epochs=1)
    with pytest.raises(TypeError, match="a plugin replaced adapted_dataset"):
        strategy.train(scenario.avalanche_benchmark().train_stream[0], eval_streams=[])
