"""Step budgets: the learning-rate schedules against hand-computed values, the budget options, and the
convergence check."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lifelong_pose.data.passes import batches_per_epoch
from lifelong_pose.runner.convergence import BudgetCheck, check_budget, check_target_budget
from lifelong_pose.training.params import AdaptationParams, LifterParams
from lifelong_pose.training.schedule import learning_rate


def test_exponential_schedule_decays_to_the_floor() -> None:
    # lr * floor ** (s / (S - 1)): 1e-3 at the first step, 1e-5 at the last, 1e-4 half way
    assert learning_rate(0, 11, 1e-3, schedule="exponential", floor=0.01) == pytest.approx(1e-3)
    assert learning_rate(5, 11, 1e-3, schedule="exponential", floor=0.01) == pytest.approx(1e-4)
    assert learning_rate(10, 11, 1e-3, schedule="exponential", floor=0.01) == pytest.approx(1e-5)


def test_cosine_schedule_and_warmup() -> None:
    # two warm-up steps: lr/2, lr; then cosine over 5 steps from lr to lr * floor
    rates = [learning_rate(s, 7, 1.0, schedule="cosine", floor=0.2, warmup=2) for s in range(7)]
    expected = [0.5, 1.0] + [0.2 + 0.8 * (1 + math.cos(math.pi * k / 4)) / 2 for k in range(5)]
    assert rates == pytest.approx(expected)
    assert rates[-1] == pytest.approx(0.2) and rates[4] == pytest.approx(0.6)


def test_constant_schedule_and_a_one_step_budget() -> None:
    assert learning_rate(3, 4, 2e-3, schedule="constant", floor=0.01) == 2e-3
    assert learning_rate(0, 1, 1e-3, schedule="exponential", floor=0.01) == pytest.approx(1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"step": 4, "total": 4}, "step must be in 0..3"),
        ({"step": 0, "total": 0}, "budget of 0 steps"),
        ({"schedule": "linear"}, "Unknown lr_schedule 'linear'"),
        ({"floor": 0.0}, "0 < floor <= 1"),
    ],
)
def test_schedule_rejects_bad_values(kwargs: dict, message: str) -> None:
    call = {"step": 0, "total": 10, "lr": 1e-3, "schedule": "exponential", "floor": 0.1} | kwargs
    with pytest.raises(ValueError, match=message):
        learning_rate(call.pop("step"), call.pop("total"), call.pop("lr"), **call)


def test_budgets_in_steps_or_epochs() -> None:
    params = AdaptationParams(steps=500, adapt_steps=40, batch_size=10)
    assert params.source_steps(frames=1000) == 500 and params.target_steps(frames=35) == 40
    by_epochs = AdaptationParams(epochs=3, adapt_epochs=2, batch_size=10)
    # a pass over 1000 frames is 100 batches; over 31 frames 3 (the last single frame is dropped)
    assert by_epochs.source_steps(frames=1000) == 300 and by_epochs.target_steps(frames=31) == 6
    assert batches_per_epoch(31, 10, shuffle=True) == 3 and batches_per_epoch(31, 10, shuffle=False) == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"steps": 0}, "steps must be >= 1, got 0"),
        ({"steps": -5}, "steps must be >= 1, got -5"),
        ({"epochs": 0}, "epochs must be >= 1 \\(a training budget\\), got 0"),
        ({"lr_floor": 0.0}, "lr_floor must be in \\(0, 1\\]"),
        ({"lr_schedule": "step"}, "lr_schedule must be one of exponential, cosine, constant"),
        ({"lr_warmup_steps": -1}, "lr_warmup_steps must be >= 0"),
    ],
)
def test_bad_budgets_are_clear_errors(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LifterParams(**options)


def test_bad_adaptation_budgets_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="adapt_steps must be >= 1, got 0"):
        AdaptationParams(adapt_steps=0)
    with pytest.raises(ValueError, match="adapt_epochs must be >= 1"):
        AdaptationParams(adapt_epochs=-2)


def test_budget_check_arithmetic() -> None:
    check = BudgetCheck(steps=100, error=50.0, longer_error=46.0, factor=4)
    assert check.improvement == pytest.approx(0.08) and check.converged()
    assert not BudgetCheck(100, 50.0, 44.0, 4).converged() and BudgetCheck(100, 50.0, 44.0, 4).converged(0.15)


def test_check_budget_trains_the_budget_and_four_times_it(temporary_scenario_id: str, tmp_path: Path) -> None:
    """The mechanism of benchmarks/convergence.py on a tiny stream (the real check trains minutes per stream)."""
    import lifelong_pose as lp
    from lifelong_pose.runner.record import load_record

    scenario = f"{temporary_scenario_id}-v0"
    lp.scenario_registry.register(scenario, "tiny_streams:tiny_session")
    check, unseen = check_budget(scenario, tmp_path, steps=10, options={"batch_size": 16})
    short, long = (load_record(tmp_path / f"steps-{n}" / "seed-0") for n in (10, 40))
    assert short["strategy"]["params"]["steps"] == 10 and long["strategy"]["params"]["steps"] == 40
    assert check.error == short["matrices"]["mpjpe"][0][0] and check.longer_error == long["matrices"]["mpjpe"][0][0]
    again = check_budget(scenario, tmp_path, steps=10, options={"batch_size": 16})  # finished runs are resumed
    assert again == (check, unseen)
    # the same runs, read on the targets the source never saw: the mean of R[0, 1:]
    assert unseen is not None
    for value, record in ((unseen.error, short), (unseen.longer_error, long)):
        first_row = record["matrices"]["mpjpe"][0]
        assert len(first_row) >= 2 and value == pytest.approx(sum(first_row[1:]) / (len(first_row) - 1))
    assert (unseen.steps, unseen.factor) == (10, 4)


def test_check_target_budget_compares_each_target_after_adapting(temporary_scenario_id: str, tmp_path: Path) -> None:
    """The oracle's target budget: one check per target, read from the diagonal of both runs."""
    import lifelong_pose as lp
    from lifelong_pose.runner.record import load_record

    scenario = f"{temporary_scenario_id}-v0"
    lp.scenario_registry.register(scenario, "tiny_streams:tiny_session")
    options = {"batch_size": 16, "steps": 10}
    checks = check_target_budget(scenario, tmp_path, adapt_steps=5, factor=2, options=options)
    short, long = (load_record(tmp_path / f"adapt_steps-{n}" / "seed-0") for n in (5, 10))
    assert short["strategy"]["id"] == "oracle-v0" and short["strategy"]["params"]["adapt_steps"] == 5
    assert long["strategy"]["params"]["adapt_steps"] == 10 and long["strategy"]["params"]["steps"] == 10
    targets = len(short["domains"]) - 1
    assert targets >= 1 and len(checks) == targets
    for j, check in enumerate(checks, start=1):
        assert (check.steps, check.factor) == (5, 2)
        assert check.error == short["matrices"]["mpjpe"][j][j] and check.longer_error == long["matrices"]["mpjpe"][j][j]


@pytest.mark.parametrize(("budget", "factor"), [(0, 4), (-3, 4), (10, 1), (10, 0)])
def test_budget_checks_refuse_a_budget_that_compares_nothing(budget: int, factor: int, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"a budget check needs adapt_steps >= 1 and factor >= 2"):
        check_target_budget("cross_dataset", tmp_path, adapt_steps=budget, factor=factor)
    with pytest.raises(ValueError, match=r"a budget check needs steps >= 1 and factor >= 2"):
        check_budget("cross_dataset", tmp_path, steps=budget, factor=factor)
    assert not any(tmp_path.iterdir())  # refused before any run folder exists
