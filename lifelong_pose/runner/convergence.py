"""Does a source budget converge? Train the source at ``budget`` and at ``factor`` times it, compare.

A comparison of methods means something only when each method's training has converged within
its budget (DESIGN.md section 8): here, when ``factor`` (4) times the source budget improves the
source's test error by less than a tenth. ``benchmarks/convergence.py`` measures it for every
built-in scenario; a test runs it on a tiny stream.
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
) -> BudgetCheck:
    """Train ``source_only`` for ``steps`` and ``factor * steps`` optimizer steps; both source errors.

    What matters is row 0, column 0 of each run's MPJPE matrix. Both runs use the source cache
    (a source trained for a table at the same budget serves here, and the other way round); the
    longer one runs first. Finished run folders are resumed, so a stopped check continues.
    """
    from lifelong_pose.runner.run import RunConfig, run

    errors = {}
    for budget in (factor * steps, steps):
        config = RunConfig(
            scenario,
            "source_only",
            Path(out) / f"steps-{budget}" / f"seed-{seed}",
            seed=seed,
            profile=profile,
            options={**(options or {}), "steps": budget},
            progress=False,
            report=False,
            resume=(Path(out) / f"steps-{budget}" / f"seed-{seed}" / "result.json").exists(),
        )
        record = run(config)
        errors[budget] = float(record["matrices"]["mpjpe"][0][0])
    return BudgetCheck(steps, errors[steps], errors[factor * steps], factor)
