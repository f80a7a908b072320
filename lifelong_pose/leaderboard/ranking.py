"""Ranks that claim only what the seeds show: Welch's t-test between neighbours, ties where it cannot tell.

Rows are sorted by their mean (best first). The first row ranks 1. Each next row takes its position
as rank (1, 2, 3, ... with gaps after ties, "competition" ranking) when its seeds differ from the
row above by Welch's two-sided t-test at :data:`ALPHA`; otherwise it ties with the row above and
takes its rank. Ties chain: A ~ B and B ~ C rank all three together even if A and C differ, which
errs toward claiming less. Two rows whose seeds all agree exactly (zero spread in both) differ when
their means differ. A row with one seed cannot be tested and ties with its neighbour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

ALPHA = 0.05
TEST_NAME = "Welch's t-test, two-sided, 5 %"


def significantly_different(a: Sequence[float], b: Sequence[float], alpha: float = ALPHA) -> bool:
    """Whether two samples of per-seed values differ by Welch's t-test at ``alpha``.

    Raises:
        ValueError: an empty sample.
    """
    if not a or not b:
        raise ValueError("significantly_different needs at least one value on each side")
    if len(a) < 2 or len(b) < 2:
        return False
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    if var_a == 0 and var_b == 0:
        return mean_a != mean_b
    from scipy.stats import ttest_ind

    p_value = float(ttest_ind(a, b, equal_var=False).pvalue)
    return not math.isnan(p_value) and p_value < alpha


@dataclass(frozen=True)
class Rank:
    """A row's place: ``rank`` (1 is best) and whether it ties with a neighbour."""

    rank: int
    tied: bool

    def __str__(self) -> str:
        return f"{self.rank}=" if self.tied else str(self.rank)


def rank(samples: Sequence[Sequence[float]], lower_is_better: bool = True, alpha: float = ALPHA) -> list[Rank]:
    """The rank of each sample (per-seed values of one figure), in the order given.

    Args:
        samples: one list of per-seed values per row.
        lower_is_better: True for errors (MPJPE), False for scores (PCK, AUC).
        alpha: the test's level.

    Raises:
        ValueError: a row with no values.
    """
    if any(not sample for sample in samples):
        raise ValueError("every ranked row needs at least one value")
    sign = 1.0 if lower_is_better else -1.0
    order = sorted(range(len(samples)), key=lambda i: sign * sum(samples[i]) / len(samples[i]))
    ranks = [0] * len(samples)
    tied = [False] * len(samples)
    for position, index in enumerate(order):
        if position == 0:
            ranks[index] = 1
            continue
        above = order[position - 1]
        if significantly_different(samples[above], samples[index], alpha):
            ranks[index] = position + 1
        else:
            ranks[index] = ranks[above]
            tied[index] = tied[above] = True
    return [Rank(r, t) for r, t in zip(ranks, tied, strict=True)]
