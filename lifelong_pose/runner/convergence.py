"""Does a budget converge? Train at ``budget`` and at ``factor`` times it, compare.

A comparison of methods means something only when each method's training has converged within
its budget: here, when ``factor`` (4) times the budget improves the error by
less than a tenth: the source's test error for the source budget (:func:`check_budget`, which also
reads the same runs on the targets the source never saw), each target's error right after adapting
to it for a strategy's target budget (:func:`check_target_budget`).
``benchmarks/convergence.py`` measures both; tests run them on a tiny stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class BudgetCheck:
    """Source test error (MPJPE, mm) at a budget and at ``factor`` times it.

    Attributes:
        steps: the budget in optimizer steps.
        error: source test MPJPE after ``steps``.
        longer_error: source test MPJPE after ``factor * steps``.
        factor: how much longer the second run trained.
    """

    steps: int
    error: float
    longer_error: float
    factor: int

    @property
    def improvement(self) -> float:
        """Relative improvement of the longer run: (error - longer_error) / error."""
        return (self.error - self.longer_error) / self.error

    def converged(self, tolerance: float = 0.1) -> bool:
        """True when the longer run improves the error by less than ``tolerance`` (a share)."""
        return self.improvement < tolerance


def check_budget(
    scenario: str,
    out: Path,
    *,
    steps: int,
    factor: int = 4,
    seed: int = 0,
    options: dict[str, Any] | None = None,
    profile: str = "quick",
) -> tuple[BudgetCheck, BudgetCheck | None]:
    """Train ``source_only`` for ``steps`` and ``factor * steps`` optimizer steps; the source's errors,
    and the same runs read on the targets the source never saw.

    The first check is row 0, column 0 of each run's MPJPE matrix; the second the mean over targets
    of ``R[0, j]`` (None for a stream without targets). Why both: a method that never adapts
    (DAK-Pose) is compared on the second, and it can settle before the source's own error does;
    neither replaces the other. Both runs use the source cache (a source trained for a table at the
    same budget serves here, and the other way round); the longer one runs first. Finished run
    folders are resumed, so a stopped check continues.
    """
    matrices = _matrices_at(scenario, out, "source_only", "steps", steps, factor, seed, options, profile)
    short, long = matrices[steps], matrices[factor * steps]
    source = BudgetCheck(steps, short[0][0], long[0][0], factor)
    if len(short[0]) < 2:
        return source, None
    unseen = [sum(row[0][1:]) / (len(row[0]) - 1) for row in (short, long)]
    return source, BudgetCheck(steps, unseen[0], unseen[1], factor)


def check_target_budget(
    scenario: str,
    out: Path,
    *,
    strategy: str = "oracle",
    adapt_steps: int,
    factor: int = 4,
    seed: int = 0,
    options: dict[str, Any] | None = None,
    profile: str = "quick",
) -> list[BudgetCheck]:
    """Adapt ``strategy`` for ``adapt_steps`` and ``factor * adapt_steps`` per target; one check per target.

    What matters is each target's error right after adapting to it (the MPJPE matrix's diagonal
    below the source): the oracle is the reference that says how much of a gap supervision can
    close, so its budget must have converged for that figure to mean anything. The source is the
    same in both runs (the source cache serves the second).
    """
    matrices = _matrices_at(scenario, out, strategy, "adapt_steps", adapt_steps, factor, seed, options, profile)
    short, long = matrices[adapt_steps], matrices[factor * adapt_steps]
    return [BudgetCheck(adapt_steps, short[j][j], long[j][j], factor) for j in range(1, len(short))]


def _matrices_at(
    scenario: str,
    out: Path,
    strategy: str,
    option: str,
    budget: int,
    factor: int,
    seed: int,
    options: dict[str, Any] | None,
    profile: str,
) -> dict[int, list[list[float]]]:
    """The MPJPE matrix of ``strategy`` run with ``option`` at ``budget`` and at ``factor`` times it.

    The longer run goes first; each lives in ``out/OPTION-BUDGET/seed-SEED`` and is resumed when
    it is there, so a stopped check continues and a table's own run folder can be reused.
    """
    from lifelong_pose.runner.run import RunConfig, run

    if budget < 1 or factor < 2:
        raise ValueError(f"a budget check needs {option} >= 1 and factor >= 2, got {option}={budget}, factor={factor}")
    matrices = {}
    for steps in (factor * budget, budget):
        folder = Path(out) / f"{option}-{steps}" / f"seed-{seed}"
        config = RunConfig(
            scenario,
            strategy,
            folder,
            seed=seed,
            profile=profile,
            options={**(options or {}), option: steps},
            progress=False,
            report=False,
            resume=(folder / "result.json").exists(),
        )
        record = run(config)  # raises (after marking its record failed) when a run fails
        matrices[steps] = record["matrices"]["mpjpe"]
    return matrices
