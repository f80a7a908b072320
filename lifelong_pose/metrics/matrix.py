"""Continual-learning figures from a result matrix (numpy only, so the CLI and the leaderboard
builder can import it without torch).

``R`` is a (T+1)x(T+1) array: ``R[i, j]`` = metric on domain j's test split after the strategy
finished domain i (row 0 = after the source), for i, j in 0..T. The base metric is an error
(MPJPE, PA-MPJPE; lower is better) or a score (PCK, AUC; higher is better). Transfer figures keep
the literature's sense (GEM, Lopez-Paz and Ranzato 2017: positive is good) whatever the metric, so
their sign flips with ``lower_is_better``; forgetting stays "amount lost", >= 0 in the usual case.
Avalanche's own forgetting/BWT classes use other signs and assume accuracy: do not mix them in.

Every figure function takes ``lower_is_better`` (ignored by the two averages) so that callers can
loop over :data:`FIGURES` with one signature. Figures that need a target domain (BWT, F, FWT, G)
are undefined for T = 0 and return ``None``, never NaN, so that records stay valid JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def check_matrix(R: Any) -> np.ndarray:
    """Validate a result matrix and return it as a float64 array.

    Args:
        R: (T+1, T+1) array-like, T >= 0, all entries finite.

    Returns:
        The matrix as a (T+1, T+1) float64 ``np.ndarray``.

    Raises:
        ValueError: if ``R`` is not numeric, not 2-D, not square, empty, or has NaN/inf entries.
    """
    try:
        arr = np.asarray(R, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"result matrix must be a numeric (T+1)x(T+1) array: {exc}") from exc
    if arr.ndim != 2:
        raise ValueError(f"result matrix must be 2-D (T+1)x(T+1), got shape {arr.shape}")
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(
            f"result matrix must be square: R[i, j] = metric on domain j after domain i, i, j in 0..T; "
            f"got shape {arr.shape}"
        )
    if arr.shape[0] == 0:
        raise ValueError("result matrix must be at least 1x1 (the source row), got shape (0, 0)")
    if not np.isfinite(arr).all():
        bad = [tuple(int(k) for k in idx) for idx in np.argwhere(~np.isfinite(arr))]
        raise ValueError(f"result matrix has non-finite entries at (i, j) = {bad}; was every domain evaluated?")
    return arr


def _sign(lower_is_better: bool) -> float:
    """+1 for errors, -1 for scores: multiplies error-sense differences into "positive is good"."""
    return 1.0 if lower_is_better else -1.0


def final_average(R: Any, lower_is_better: bool = True) -> float:
    """Final average over all domains after the last step: A_T = mean_j R[T, j].

    Args:
        R: (T+1, T+1) result matrix.
        lower_is_better: accepted for a uniform signature; does not change the value.

    Returns:
        A_T in the metric's units and sense.
    """
    arr = check_matrix(R)
    return float(arr[-1].mean())


def average_over_time(R: Any, lower_is_better: bool = True) -> float:
    """Average over time of the domains seen so far: A = mean_i mean_{j<=i} R[i, j].

    Rewards a strategy that is good at every step, not only at the end.

    Args:
        R: (T+1, T+1) result matrix.
        lower_is_better: accepted for a uniform signature; does not change the value.

    Returns:
        A in the metric's units and sense.
    """
    arr = check_matrix(R)
    return float(np.mean([arr[i, : i + 1].mean() for i in range(arr.shape[0])]))


def backward_transfer(R: Any, lower_is_better: bool = True) -> float | None:
    """Backward transfer, how later steps changed earlier domains (GEM sense, positive is good).

    Errors: BWT = mean_{j<T} (R[j, j] - R[T, j]); scores: BWT = mean_{j<T} (R[T, j] - R[j, j]).
    BWT < 0 means forgetting.

    Args:
        R: (T+1, T+1) result matrix.
        lower_is_better: True for errors (MPJPE), False for scores (PCK, AUC).

    Returns:
        BWT in the metric's units, or None when T = 0.
    """
    arr = check_matrix(R)
    T = arr.shape[0] - 1
    if T == 0:
        return None
    j = np.arange(T)
    return float(_sign(lower_is_better) * np.mean(arr[j, j] - arr[T, j]))


def forgetting(R: Any, lower_is_better: bool = True) -> float | None:
    """Forgetting, the amount lost on earlier domains since their best (lower is better).

    Errors: F = mean_{j<T} (R[T, j] - min_{j<=i<T} R[i, j]);
    scores: F = mean_{j<T} (max_{j<=i<T} R[i, j] - R[T, j]).
    F >= 0 in the usual case; it is negative only when the last step beats every earlier one on
    average, and is not clipped, so that it stays consistent with BWT.

    Args:
        R: (T+1, T+1) result matrix.
        lower_is_better: True for errors (MPJPE), False for scores (PCK, AUC).

    Returns:
        F in the metric's units, or None when T = 0.
    """
    arr = check_matrix(R)
    T = arr.shape[0] - 1
    if T == 0:
        return None
    sign = _sign(lower_is_better)
    # Best earlier value in error sense: min of sign * R over rows j..T-1 of column j.
    best = np.array([(sign * arr[j:T, j]).min() for j in range(T)])
    return float(np.mean(sign * arr[T, :T] - best))


def forward_transfer(R: Any, lower_is_better: bool = True) -> float | None:
    """Forward transfer, how earlier steps helped a domain before it was seen (positive is good).

    Errors: FWT = mean_{j>0} (R[0, j] - R[j-1, j]); scores: FWT = mean_{j>0} (R[j-1, j] - R[0, j]).
    The j = 1 term is 0 by construction (R[j-1, 1] = R[0, 1]); it is kept in the mean as the
    formula states.

    Args:
        R: (T+1, T+1) result matrix.
        lower_is_better: True for errors (MPJPE), False for scores (PCK, AUC).

    Returns:
        FWT in the metric's units, or None when T = 0.
    """
    arr = check_matrix(R)
    T = arr.shape[0] - 1
    if T == 0:
        return None
    j = np.arange(1, T + 1)
    return float(_sign(lower_is_better) * np.mean(arr[0, j] - arr[j - 1, j]))


def adaptation_gain(R: Any, lower_is_better: bool = True) -> float | None:
    """Adaptation gain, what adapting to a domain did for it over the source model (positive is good).

    Errors: G = mean_{j>0} (R[0, j] - R[j, j]); scores: G = mean_{j>0} (R[j, j] - R[0, j]).

    Args:
        R: (T+1, T+1) result matrix.
        lower_is_better: True for errors (MPJPE), False for scores (PCK, AUC).

    Returns:
        G in the metric's units, or None when T = 0.
    """
    arr = check_matrix(R)
    T = arr.shape[0] - 1
    if T == 0:
        return None
    j = np.arange(1, T + 1)
    return float(_sign(lower_is_better) * np.mean(arr[0, j] - arr[j, j]))


FIGURES: tuple[str, ...] = ("final_avg", "avg", "bwt", "forgetting", "fwt", "adaptation_gain")
"""Names of the summary figures, in report order."""

FIGURE_FUNCTIONS: dict[str, Callable[..., float | None]] = {
    "final_avg": final_average,
    "avg": average_over_time,
    "bwt": backward_transfer,
    "forgetting": forgetting,
    "fwt": forward_transfer,
    "adaptation_gain": adaptation_gain,
}
"""Figure name -> function ``f(R, lower_is_better)``."""


def figure_lower_is_better(name: str, lower_is_better: bool = True) -> bool:
    """Whether a lower value of figure ``name`` is better, for a base metric of the given sense.

    The averages follow the metric; BWT, FWT and adaptation gain are always "higher is better";
    forgetting is always "lower is better".
    """
    if name not in FIGURE_FUNCTIONS:
        raise ValueError(f"Unknown figure {name!r}. Known figures: {', '.join(FIGURES)}")
    if name in ("final_avg", "avg"):
        return lower_is_better
    return name == "forgetting"


def summarize(R: Any, lower_is_better: bool = True) -> dict[str, Any]:
    """Every figure of :data:`FIGURES` for one result matrix, with the sense of each.

    Args:
        R: (T+1, T+1) result matrix.
        lower_is_better: the base metric's sense: True for errors (MPJPE), False for PCK/AUC.

    Returns:
        ``{name: float | None for name in FIGURES, "lower_is_better": {name: bool}}``.
    """
    arr = check_matrix(R)
    out: dict[str, Any] = {name: FIGURE_FUNCTIONS[name](arr, lower_is_better) for name in FIGURES}
    out["lower_is_better"] = {name: figure_lower_is_better(name, lower_is_better) for name in FIGURES}
    return out


def mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None, int]:
    """Mean and sample standard deviation over seeds, skipping undefined (None) values.

    Args:
        values: one figure per seed; None where the figure is undefined.

    Returns:
        ``(mean, std, n)``: std with ddof=1 (the seeds are a sample), 0.0 when n == 1;
        ``(None, None, 0)`` when no value is defined.
    """
    kept = np.array([v for v in values if v is not None], dtype=np.float64)
    n = int(kept.size)
    if n == 0:
        return None, None, 0
    std = float(kept.std(ddof=1)) if n > 1 else 0.0
    return float(kept.mean()), std, n


def format_mean_std(mean: float | None, std: float | None, digits: int = 1, *, n: int | None = None) -> str:
    """Format a figure as ``"52.3 ± 1.2"`` for tables.

    The spread is left out (``"52.3"``) when ``std`` is None or when ``n == 1``: a single seed has
    no spread, and "± 0.0" would claim one. With ``n`` not given, a std of 0.0 is printed, since
    several seeds can agree. Pass ``n`` by keyword: ``format_mean_std(m, s, n=n)`` for
    ``m, s, n = mean_std(values)``.

    Args:
        mean: the mean, or None when undefined (gives ``"n/a"``).
        std: the standard deviation, or None.
        digits: decimals for both numbers.
        n: how many seeds the figures are over, if known.

    Returns:
        The formatted string.
    """
    if not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a non-negative int, got {digits!r}")
    if mean is None:
        return "n/a"
    if std is None or n == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


__all__ = [
    "FIGURES",
    "FIGURE_FUNCTIONS",
    "adaptation_gain",
    "average_over_time",
    "backward_transfer",
    "check_matrix",
    "figure_lower_is_better",
    "final_average",
    "forgetting",
    "format_mean_std",
    "forward_transfer",
    "mean_std",
    "summarize",
]
