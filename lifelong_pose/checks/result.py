"""What a conformance check yields: its name, pass / fail / skip, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    """One named check's outcome.

    Attributes:
        name: the check (``same_seed_same_matrix``), stable so that tools and tests can name it.
        status: ``pass``; ``fail`` with the reason in ``detail``; ``skip`` where the subject
            declares the capability the check tests away (the oracle reads target 3D by design).
        detail: why it failed or was skipped (empty for a pass).
    """

    name: str
    status: Status
    detail: str = ""

    @property
    def passed(self) -> bool:
        """Passed, or skipped for a declared reason: nothing to fix."""
        return self.status != "fail"

    def line(self) -> str:
        """``PASS name``, ``FAIL name: why`` or ``SKIP name: why`` (the CLI prints one per check)."""
        text = f"{self.status.upper()} {self.name}"
        return f"{text}: {self.detail}" if self.detail else text


class ConformanceError(AssertionError):
    """Raised by :func:`assert_all_pass` with every failed check's line."""


def assert_all_pass(results: Iterable[CheckResult]) -> list[CheckResult]:
    """Run every check; raise :class:`ConformanceError` listing the failures, else return the results."""
    done = list(results)
    failed = [result.line() for result in done if not result.passed]
    if failed:
        raise ConformanceError("\n".join(failed))
    return done
