"""Ranks that claim only what the seeds show: a row ties with its leader only where a direct test cannot separate them.

Rows are sorted by their mean (best first). The best row leads the first group and ranks 1. Every
other row is tested against the leader itself with Welch's two-sided t-test, and the p-values of
those comparisons are Holm-corrected at :data:`ALPHA` (the family is every row compared with that
leader). A row the corrected test does not separate from the leader ties with it and takes its
rank; the rows it does separate are ranked the same way among themselves: the best of them leads
the next group, at its position (competition ranking: 1, 1, 3, ...). So a tie is always a direct,
corrected test against the row it ties with, never a chain through neighbours (with chains, A ~ B
and B ~ C tied A with C even where A and C differ). Two rows whose seeds all agree exactly (zero
spread in both) differ when their means differ. A row with fewer than two seeds cannot be tested
and ties with its leader.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 0.05
TEST_NAME = "Welch's t-test against the group's leader, two-sided, 5 %, Holm-corrected"


def welch_p_value(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Welch's two-sided p-value of two samples of per-seed values; None when they cannot be tested.

    Zero spread on both sides gives 0 for different means and 1 for equal ones (the test's
    statistic is undefined, what the seeds show is not).

    Raises:
        ValueError: an empty sample.
    """
    if not a or not b:
        raise ValueError("a test needs at least one value on each side")
    if len(a) < 2 or len(b) < 2:
        return None
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    if var_a == 0 and var_b == 0:
        return 0.0 if mean_a != mean_b else 1.0
    from scipy.stats import ttest_ind

    p_value = float(ttest_ind(a, b, equal_var=False).pvalue)
    return 1.0 if math.isnan(p_value) else p_value


def significantly_different(a: Sequence[float], b: Sequence[float], alpha: float = ALPHA) -> bool:
    """Whether two samples of per-seed values differ by Welch's t-test at ``alpha`` (one comparison, no correction).

    Raises:
        ValueError: an empty sample.
    """
    p_value = welch_p_value(a, b)
    return p_value is not None and p_value < alpha


def holm_rejections(p_values: Sequence[float | None], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down procedure: which of the family's null hypotheses are rejected at family level ``alpha``.

    The k-th smallest p-value (k = 0, 1, ...) is compared with ``alpha / (m - k)`` until the first
    that fails; it and every larger one stand. Untestable comparisons (None) count in the family
    size ``m`` and are never rejected.
    """
    m = len(p_values)
    order = sorted((i for i in range(m) if p_values[i] is not None), key=lambda i: p_values[i])  # type: ignore[arg-type, return-value]
    rejected = [False] * m
    for k, index in enumerate(order):
        if p_values[index] >= alpha / (m - k):  # type: ignore[operator]
            break
        rejected[index] = True
    return rejected


@dataclass(frozen=True)
class Rank:
    """A row's place: ``rank`` (1 is best), whether it ties, and the row it was tested against (its leader).

    Attributes:
        rank: the place, shared by a leader and the rows tied with it.
        tied: it shares its rank with at least one other row.
        leader: the index (in the order given to :func:`rank`) of its group's leader; itself for a leader.
        p_value: the Holm-adjusted p-value of the test against the leader (None for a leader or an
            untestable row).
    """

    rank: int
    tied: bool
    leader: int
    p_value: float | None = None

    def __str__(self) -> str:
        return f"{self.rank}=" if self.tied else str(self.rank)


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (the smallest family level at which each is rejected), None where untestable."""
    m = len(p_values)
    order = sorted((i for i in range(m) if p_values[i] is not None), key=lambda i: p_values[i])  # type: ignore[arg-type, return-value]
    adjusted: list[float | None] = [None] * m
    running = 0.0
    for k, index in enumerate(order):
        running = max(running, min(1.0, (m - k) * p_values[index]))  # type: ignore[operator]
        adjusted[index] = running
    return adjusted


def rank(samples: Sequence[Sequence[float]], lower_is_better: bool = True, alpha: float = ALPHA) -> list[Rank]:
    """The rank of each sample (per-seed values of one figure), in the order given.

    Args:
        samples: one list of per-seed values per row.
        lower_is_better: True for errors (MPJPE), False for scores (PCK, AUC).
        alpha: the family-wise level of each leader's comparisons.

    Raises:
        ValueError: a row with no values.
    """
    if any(not sample for sample in samples):
        raise ValueError("every ranked row needs at least one value")
    sign = 1.0 if lower_is_better else -1.0
    remaining = sorted(range(len(samples)), key=lambda i: sign * sum(samples[i]) / len(samples[i]))
    ranks: list[Rank | None] = [None] * len(samples)
    position = 0
    while remaining:
        leader, others = remaining[0], remaining[1:]
        p_values = [welch_p_value(samples[leader], samples[other]) for other in others]
        separated = holm_rejections(p_values, alpha)
        adjusted = holm_adjusted(p_values)
        tied = [other for other, apart in zip(others, separated, strict=True) if not apart]
        ranks[leader] = Rank(position + 1, bool(tied), leader)
        for other, apart, p_value in zip(others, separated, adjusted, strict=True):
            if not apart:
                ranks[other] = Rank(position + 1, True, leader, p_value)
        position += 1 + len(tied)
        remaining = [other for other, apart in zip(others, separated, strict=True) if apart]
    return [r for r in ranks if r is not None]
