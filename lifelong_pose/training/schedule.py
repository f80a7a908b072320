"""Learning-rate schedules over a budget of optimizer steps (pure functions, no torch).

Why steps, not epochs: a schedule decayed per epoch trains a 150-frame folder for a handful of
steps and a million-frame one for hours; over a fixed number of steps every domain, however
large, trains as long and ends its schedule at the same rate.
"""

from __future__ import annotations

import math

SCHEDULES: tuple[str, ...] = ("exponential", "cosine", "constant")


def learning_rate(step: int, total: int, lr: float, *, schedule: str, floor: float, warmup: int = 0) -> float:
    """The rate at optimizer step ``step`` (0-based) of a budget of ``total`` steps.

    - warm-up: the first ``warmup`` steps ramp linearly from ``lr / warmup`` to ``lr``;
    - then, over the remaining steps ``s = 0 .. S - 1`` (``S = total - warmup``):
      ``exponential``: ``lr * floor ** (s / (S - 1))`` (VideoPose3D's per-epoch decay, per step);
      ``cosine``: ``lr * (floor + (1 - floor) * (1 + cos(pi * s / (S - 1))) / 2)``;
      ``constant``: ``lr``.
    The last step runs at ``lr * floor`` (exponential and cosine); a one-step budget at ``lr``.

    Raises:
        ValueError: an unknown schedule, a step outside the budget, or values out of range.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown lr_schedule {schedule!r}; use one of {', '.join(SCHEDULES)}")
    if total < 1 or not 0 <= step < total:
        raise ValueError(f"step must be in 0..{total - 1} of a budget of {total} steps, got {step}")
    if not 0 < floor <= 1 or warmup < 0 or not lr > 0:
        raise ValueError(f"need lr > 0, 0 < floor <= 1 and warmup >= 0; got {lr}, {floor}, {warmup}")
    if step < warmup:
        return lr * (step + 1) / warmup
    decaying = total - warmup
    progress = (step - warmup) / (decaying - 1) if decaying > 1 else 0.0
    if schedule == "exponential":
        return lr * floor**progress
    if schedule == "cosine":
        return lr * (floor + (1 - floor) * (1 + math.cos(math.pi * progress)) / 2)
    return lr
