"""Plugins: registry, options, each plugin's effect checked by hand, and composition in any order."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch

import lifelong_pose as lp
from lifelong_pose.cli.assignments import parse_value, split_assignments
from lifelong_pose.data import MemoryBatches, PoseBatch
from lifelong_pose.registry import RegistryError, plugin_registry
from lifelong_pose.runner.checkpoint import load_checkpoint
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training.build import make_plugins

PLUGINS = ["ema", "replay", "ewc", "distill"]


def _run(scenario: str, out: Path, strategy: str = "poseda", plugins: list[str] = (), **changes: Any) -> dict[str, Any]:
    options = {"epochs": 1, "adapt_epochs": 2, "batch_size": 8}
    if strategy == "poseda":
        options["warmup_steps"] = 3
    options |= changes.pop("options", {})
    config = RunConfig(
        scenario,
        strategy,
        out,
        device="cpu",
        progress=False,
        report=False,
        options=options,
        plugin_ids=plugins,
        **changes,
    )
    return run(config)


# -- registry and options ---------------------------------------------------------------------------
def test_every_builtin_plugin_is_listed_and_built_with_its_options() -> None:
    assert {spec.name for spec in plugin_registry.all()} >= set(PLUGINS)
    ema, replay = make_plugins(["ema", "replay-v0"], {"ema": {"eta": 0.9}, "replay": {"size": 64}})
    assert ema.get_params() == {"eta": 0.9, "update": "step", "from_domain": 1}
    assert replay.get_params() == {"size": 64, "ratio": 0.5}
    assert ema.spec.id == "ema-v0"


@pytest.mark.parametrize(
    ("ids", "options", "error", "message"),
    [
        (["emma"], {}, RegistryError, "Did you mean 'ema'"),
        (["ema", "ema-v0"], {}, ValueError, "given twice"),
        (["ema"], {"replay": {"size": 3}}, ValueError, "not among the plugins"),
        (["ema"], {"ema": {"etta": 0.5}}, TypeError, "Did you mean 'eta'"),
        (["ema"], {"ema": {"eta": "high"}}, TypeError, "expects float"),
        (["ema"], {"ema": {"eta": 1.0}}, ValueError, r"eta must be in \[0, 1\)"),
        (["ema"], {"ema": {"update": "sometimes"}}, TypeError, "expects one of 'step', 'domain', 'carry'"),
        (["replay"], {"replay": {"size": 0}}, ValueError, "size must be >= 1"),
        (["ewc"], {"ewc": {"decay": 2.0}}, ValueError, "decay must be in"),
        (["distill"], {"distill": {"weight": -1.0}}, ValueError, "weight must be >= 0"),
    ],
)
def test_bad_plugins_and_options_are_clear_errors(
    ids: list[str], options: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make_plugins(ids, options)


def test_set_values_are_read_as_on_a_command_line() -> None:
    assert [parse_value(v) for v in ("false", "True", "none", "3", "1e-4", "mse")] == [
        False,
        True,
        None,
        3,
        1e-4,
        "mse",
    ]
    strategy, plugins = split_assignments(["lpa=false", "ema.eta=0.999", "replay-v0.size=10"], ["ema", "replay"])
    assert strategy == {"lpa": False} and plugins == {"ema": {"eta": 0.999}, "replay": {"size": 10}}


@pytest.mark.parametrize(
    ("assignments", "message"),
    [
        (["lpa"], "expects key=value"),
        (["=3"], "expects key=value"),
        (["lpa="], "expects key=value"),
        (["ewc.strength=1"], "'ewc' is not a plugin of this run"),
        (["lpa=true", "lpa=false"], "twice"),
    ],
)
def test_bad_set_is_a_clear_error(assignments: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        split_assignments(assignments, ["ema"])


def test_plugins_refuse_a_strategy_that_is_not_lifelong_pose() -> None:
    (ema,) = make_plugins(["ema"])
    with pytest.raises(TypeError, match="works with lifelong-pose strategies"):
        ema.check_strategy(object())


# -- each plugin, by hand ------------------------------------------------------------------------
def test_memory_batches_append_remembered_frames_to_unlabelled_batches_only() -> None:
    memory_x2d = torch.arange(5 * 2.0).reshape(5, 1, 1, 2) + 100
    memory_k = torch.ones(5, 9)
    unlabelled = PoseBatch(torch.zeros(3, 1, 1, 2), torch.zeros(3, 9), ids=torch.arange(3))
    labelled = PoseBatch(torch.zeros(3, 1, 1, 2), torch.zeros(3, 9), torch.zeros(3, 1, 3))
    batches = MemoryBatches([unlabelled, labelled], memory_x2d, memory_k, per_batch=4)
    mixed, passed = list(batches)
    assert mixed.x2d.shape == (7, 1, 1, 2) and mixed.intrinsics.shape == (7, 9) and not mixed.labelled
    assert torch.all(mixed.x2d[3:] >= 100) and torch.all(mixed.intrinsics[3:] == 1)  # drawn from the memory
    assert mixed.ids.tolist() == [0, 1, 2, -1, -1, -1, -1]  # remembered rows are no frames of this domain
    assert passed is labelled and (batches.mixed, batches.passed) == (1, 1)
    with pytest.raises(ValueError, match="non-empty memory"):
        MemoryBatches([], memory_x2d[:0], memory_k[:0], per_batch=1)


def test_ewc_penalty_equals_the_hand_computed_mean() -> None:
    (ewc,) = make_plugins(["ewc"], {"ewc": {"strength": 4.0}})
    model = torch.nn.Linear(2, 1)
    ewc.importance = {name: torch.full_like(p, 2.0) for name, p in model.named_parameters()}
    ewc.anchor = {name: p.detach() - 0.1 for name, p in model.named_parameters()}
    strategy = SimpleNamespace(model=model, loss=torch.tensor(1.0))
    ewc.before_backward(strategy)
    # 0.5 * strength * mean_i F_i (w_i - w*_i)^2 over the 3 weights = 0.5 * 4 * (3 * 2 * 0.01) / 3
    assert strategy.loss.item() == pytest.approx(1.0 + 0.04)


def test_distill_adds_the_mpjpe_to_the_teachers_prediction() -> None:
    (distill,) = make_plugins(["distill"], {"distill": {"weight": 2.0}})
    x2d = torch.zeros(2, 1, 2, 2)
    teacher_pose = torch.tensor([[[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]).expand(2, 2, 3)
    distill.teacher = lambda _: teacher_pose  # type: ignore[assignment]
    predicted = torch.tensor([[[0.0, 0.0, 0.0], [0.0, 3.0, 5.0]]]).expand(2, 2, 3)
    batch = PoseBatch(x2d, torch.zeros(2, 9))
    strategy = SimpleNamespace(domain_batch=batch, mbatch=batch, mb_output=predicted, loss=torch.tensor(0.5))
    distill.before_backward(strategy)
    # per pose: mean over joints of (0, |(0, 3, 4)| = 5) = 2.5; weight 2 -> 5
    assert strategy.loss.item() == pytest.approx(0.5 + 5.0)


def test_ema_per_domain_is_the_hand_blend_of_old_and_adapted_weights(tiny_scenario: str, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    _run(tiny_scenario, plain, strategy="oracle")
    blended = tmp_path / "ema"
    _run(
        tiny_scenario,
        blended,
        strategy="oracle",
        plugins=["ema"],
        plugin_options={"ema": {"eta": 0.7, "update": "domain"}},
    )
    before, adapted = load_checkpoint(plain, 0)["model"], load_checkpoint(plain, 1)["model"]
    ema = load_checkpoint(blended, 1)["model"]
    for name, value in ema.items():
        if value.is_floating_point():
            assert torch.allclose(value, 0.7 * before[name] + 0.3 * adapted[name], atol=1e-6), name


def test_ema_carry_tests_the_adapted_lifter_and_starts_the_next_domain_from_the_blend(
    tiny_scenario: str, tmp_path: Path
) -> None:
    plain, carry = tmp_path / "plain", tmp_path / "carry"
    first = _run(tiny_scenario, plain, strategy="oracle")
    options = {"ema": {"eta": 0.7, "update": "carry"}}
    carried = _run(tiny_scenario, carry, strategy="oracle", plugins=["ema"], plugin_options=options)
    # domain 1 starts from the source lifter either way, and carry tests the adapted lifter itself
    assert carried["matrices"]["mpjpe"][:2] == first["matrices"]["mpjpe"][:2]
    assert carried["matrices"]["mpjpe"][2] != first["matrices"]["mpjpe"][2]
    state = load_checkpoint(carry, 1)
    before, adapted = load_checkpoint(carry, 0)["model"], state["model"]
    (blend,) = [plugin["carried"] for plugin in state["plugins"].values()]
    for name, value in blend.items():
        if value.is_floating_point():
            assert torch.allclose(value, 0.7 * before[name] + 0.3 * adapted[name], atol=1e-6), name
    # what crosses the boundary is checkpointed: a run resumed after domain 1 ends the same
    resumed = tmp_path / "resumed"
    _run(
        tiny_scenario,
        resumed,
        strategy="oracle",
        plugins=["ema"],
        plugin_options={"ema": {"eta": 0.7, "update": "carry"}},
    )
    (resumed / "checkpoints" / "domain-02.pt").unlink()
    record = json.loads((resumed / "result.json").read_text())
    record["completed_domains"] = 2
    for key in record["matrices"]:
        record["matrices"][key] = record["matrices"][key][:2]
    record["status"], record["figures"], record["summary"] = "interrupted", None, None
    record["timing"]["domains"] = record["timing"]["domains"][:2]
    record["losses"], record["diagnostics"] = record["losses"][:2], record["diagnostics"][:2]
    (resumed / "result.json").write_text(json.dumps(record))
    again = _run(tiny_scenario, resumed, strategy="oracle", plugins=["ema"], plugin_options=options, resume=True)
    assert again["matrices"] == carried["matrices"]


def test_ema_carry_with_eta_zero_is_no_ema_at_all(tiny_scenario: str, tmp_path: Path) -> None:
    plain = _run(tiny_scenario, tmp_path / "plain", strategy="oracle")
    carry = {"ema": {"eta": 0.0, "update": "carry"}}
    carried = _run(tiny_scenario, tmp_path / "carry", strategy="oracle", plugins=["ema"], plugin_options=carry)
    assert carried["matrices"] == plain["matrices"]


def test_ema_per_step_stays_between_start_and_adapted(tiny_scenario: str, tmp_path: Path) -> None:
    plain, smooth = tmp_path / "plain", tmp_path / "ema"
    _run(tiny_scenario, plain, strategy="oracle")
    _run(tiny_scenario, smooth, strategy="oracle", plugins=["ema"], plugin_options={"ema": {"eta": 0.9}})
    start, adapted = load_checkpoint(plain, 0)["model"], load_checkpoint(plain, 1)["model"]
    averaged = load_checkpoint(smooth, 1)["model"]
    weight = next(name for name in averaged if name.endswith("weight") and averaged[name].ndim == 2)
    moved = (averaged[weight] - start[weight]).norm()
    assert 0 < moved < (adapted[weight] - start[weight]).norm()


def test_replay_memory_is_bounded_balanced_and_recorded(tiny_scenario: str, tmp_path: Path) -> None:
    record = _run(tiny_scenario, tmp_path / "run", plugins=["replay"], plugin_options={"replay": {"size": 9}})
    state = load_checkpoint(tmp_path / "run", 2)["plugins"]
    (key,) = [k for k in state if k.endswith("ReplayPlugin")]
    memory = state[key]
    assert sorted(memory) == ["0", "1", "2"]
    assert [memory[d]["x2d"].shape[0] for d in ("0", "1", "2")] == [3, 3, 3]
    assert all("X3d" not in entry for entry in memory.values())  # 2D and cameras only
    expected = sum(t.element_size() * t.nelement() for entry in memory.values() for t in entry.values())
    assert record["resources"]["kept"][f"plugin.{key}"] == expected
    assert record["plugins"][0] == {"id": "replay-v0", "name": "ReplayPlugin", "params": {"size": 9, "ratio": 0.5}}


def test_ewc_importance_comes_from_the_strategys_own_loss(tiny_scenario: str, tmp_path: Path) -> None:
    _run(tiny_scenario, tmp_path / "run", plugins=["ewc"])
    state = load_checkpoint(tmp_path / "run", 1)["plugins"]
    (ewc,) = [v for k, v in state.items() if k.endswith("EWCPlugin")]
    model = load_checkpoint(tmp_path / "run", 1)["model"]
    assert set(ewc["anchor"]) <= set(model) and ewc["anchor"]
    for name, anchor in ewc["anchor"].items():
        assert torch.equal(anchor, model[name])  # anchored at the lifter that left the domain
    values = torch.cat([v.flatten() for v in ewc["importance"].values()])
    assert torch.all(values >= 0) and values.mean().item() == pytest.approx(2.0, rel=1e-4)  # two domains, mean 1 each


# -- composition -------------------------------------------------------------------------------------
def test_poseda_with_every_plugin_on_two_domains(temporary_scenario_id: str, tmp_path: Path) -> None:
    scenario = f"{temporary_scenario_id}-v0"
    lp.scenario_registry.register(scenario, "tiny_streams:tiny", targets=1)
    record = _run(scenario, tmp_path / "all", plugins=PLUGINS)
    assert record["status"] == "complete"
    assert [p["id"] for p in record["plugins"]] == [f"{name}-v0" for name in PLUGINS]
    assert record["resources"]["keeps_source_data"]


def test_plugins_compose_in_any_order(tiny_scenario: str, tmp_path: Path) -> None:
    """The same plugins in two orders give the same numbers (EMA swaps in its average before any
    plugin reads the final lifter; the others only add loss terms or read data). Loss terms add
    in plugin order, so their float rounding differs by an ulp; the quick rate (1e-2) amplifies
    that over a run to about 3e-4 relative, so this runs at 1e-3."""
    first = _run(tiny_scenario, tmp_path / "a", plugins=PLUGINS, options={"lr": 1e-3})
    second = _run(tiny_scenario, tmp_path / "b", plugins=list(reversed(PLUGINS)), options={"lr": 1e-3})
    for key in first["matrices"]:
        for row, other in zip(first["matrices"][key], second["matrices"][key], strict=True):
            assert row == pytest.approx(other, rel=1e-5)
