"""Hyper-parameters of strategies: frozen dataclasses, checked on construction, recorded verbatim.

Why dataclasses: the registry checks option names and types against the dataclass signature
(a typo fails at ``make`` with a suggestion), ``asdict`` feeds the run record, and a strategy
author adds options by subclassing (scikit-learn's ``get_params`` contract, declaratively).
Profiles change defaults only: ``quick`` is sized for a 2-core CPU, ``paper`` for a GPU.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from lifelong_pose.data.passes import batches_per_epoch
from lifelong_pose.stream import PROFILES
from lifelong_pose.training.schedule import SCHEDULES

BN_MODES: tuple[str, ...] = ("train", "frozen", "adabn")
"""What ``bn`` may be (:mod:`lifelong_pose.training.normalisation` does what each means)."""


@dataclass(frozen=True)
class LifterParams:
    """What every strategy has: the lifter and the supervised training on the labelled source.

    Budgets are optimizer steps: a domain trains for ``steps`` steps with
    the learning rate following ``lr_schedule`` over them, whatever the domain's size, so a
    150-frame folder trains as long as a million-frame one. ``epochs`` is the alternative: when
    given, the budget is that many passes over the source's train split.

    Attributes:
        lifter: ``simple_baseline`` (single frame MLP) or ``videopose`` (temporal convolutions).
        receptive_field: frames the lifter sees (1 for ``simple_baseline``; 1, 27, 81, 243).
        steps: optimizer steps on the source.
        epochs: passes over the source's train split instead of ``steps`` (None: use ``steps``).
        batch_size: frames per training batch.
        lr: Adam learning rate at the start of each domain (after any warm-up).
        lr_schedule: ``exponential`` (VideoPose3D's decay, per step), ``cosine`` or ``constant``.
        lr_floor: the rate at a domain's last step, as a share of its starting rate.
        lr_warmup_steps: linear warm-up of the rate at the start of each domain.
        loss: supervised loss: ``mpjpe`` (VideoPose3D) or ``mse`` (Martinez et al.).
        eval_batch_size: frames per evaluation batch (memory only; results do not depend on it).
        bn: what the lifter's BatchNorm statistics do on targets
            (:mod:`lifelong_pose.training.normalisation`): ``train`` (they follow the batches the
            method trains on), ``frozen`` (kept as the lifter entered each target while it adapts)
            or ``adabn`` (re-estimated on each target's train 2D first, then frozen). The source
            always trains them.
    """

    lifter: str = "simple_baseline"
    receptive_field: int = 1
    steps: int = 8000
    epochs: int | None = None
    batch_size: int = 256
    lr: float = 1e-2
    lr_schedule: Literal["exponential", "cosine", "constant"] = "cosine"
    lr_floor: float = 0.01
    lr_warmup_steps: int = 0
    loss: Literal["mpjpe", "mse"] = "mpjpe"
    eval_batch_size: int = 4096
    bn: Literal["train", "frozen", "adabn"] = "train"

    def __post_init__(self) -> None:
        check_lifter(self.lifter)
        if self.bn not in BN_MODES:
            raise ValueError(f"bn must be one of {', '.join(BN_MODES)}, got {self.bn!r}")
        check_finite(self)
        check_learning_rates(self)
        check_at_least(self, 1, "steps", "eval_batch_size", "receptive_field")
        if self.batch_size < 2:
            raise ValueError(f"batch_size must be >= 2 (batch normalisation needs two samples), got {self.batch_size}")
        check_at_most(self, MAX_STEPS, "steps", "lr_warmup_steps")
        check_at_most(self, MAX_BATCH, "batch_size", "eval_batch_size")
        check_at_most(self, MAX_RECEPTIVE_FIELD, "receptive_field")
        check_budget(self, "epochs")
        check_at_least(self, 0, "lr_warmup_steps")
        check_positive(self, "lr")
        if self.lr_schedule not in SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {', '.join(SCHEDULES)}, got {self.lr_schedule!r}")
        if not 0 < self.lr_floor <= 1:
            raise ValueError(f"lr_floor must be in (0, 1], got {self.lr_floor}")
        if self.epochs is None:
            check_warmup(self.lr_warmup_steps, self.steps, "source")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def source_steps(self, frames: int) -> int:
        """Optimizer steps on a source of ``frames`` frames: ``epochs`` passes when given, else ``steps``."""
        if self.epochs is None:
            return self.steps
        steps = self.epochs * batches_per_epoch(frames, self.batch_size, shuffle=True)
        check_warmup(self.lr_warmup_steps, steps, "source", epochs=self.epochs)
        return steps


@dataclass(frozen=True)
class AdaptationParams(LifterParams):
    """A strategy that also trains on each target domain.

    The defaults are safe for a strategy that sets none: 500 steps per target starting at 1e-4 (the
    rate PoseDA's and the lifelong GAN's papers adapt at; a hundredth of the quick source's).
    Restarting a target at the source's own 1e-2 (the engine's default before, for 2000 steps)
    throws a trained lifter out of its minimum whatever the loss: Adam's steps have the rate's size
    even where the gradient is only noise. Measured on the tiny test stream with a loss whose
    minimum is the lifter itself (statistics frozen): the source's error moves by -4 mm at these
    defaults, +4 at 3e-4, +71 at 1e-3 and +362 at the old ones (``tests/test_safe_defaults.py``).

    Attributes:
        adapt_steps: optimizer steps on each target domain.
        adapt_epochs: passes over each target's adaptation split instead of ``adapt_steps``.
        adapt_lr: learning rate at the start of each target domain (the source's ``lr`` if None).
    """

    adapt_steps: int = 500
    adapt_epochs: int | None = None
    adapt_lr: float | None = 1e-4

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, 1, "adapt_steps")
        check_at_most(self, MAX_STEPS, "adapt_steps")
        check_budget(self, "adapt_epochs")
        if self.adapt_lr is not None and not self.adapt_lr > 0:
            raise ValueError(f"adapt_lr must be > 0, got {self.adapt_lr}")
        if self.adapt_epochs is None:
            check_warmup(self.lr_warmup_steps, self.adapt_steps, "target")

    def target_steps(self, frames: int) -> int:
        """Optimizer steps on a target of ``frames`` frames: ``adapt_epochs`` passes if given, else ``adapt_steps``."""
        if self.adapt_epochs is None:
            return self.adapt_steps
        steps = self.adapt_epochs * batches_per_epoch(frames, self.batch_size, shuffle=True)
        check_warmup(self.lr_warmup_steps, steps, "target", epochs=self.adapt_epochs)
        return steps


def check_lifter(name: str) -> None:
    """Raise ``ValueError`` (with suggestions) for a name that is not in ``lifter_registry``."""
    from lifelong_pose.registry import RegistryError, lifter_registry

    try:
        lifter_registry.spec(name)
    except (RegistryError, ValueError) as error:
        raise ValueError(f"lifter: {error}") from None


def check_at_least(params: Any, minimum: int, *names: str) -> None:
    """Raise ``ValueError("NAME must be >= MINIMUM, got VALUE")`` for the first option below ``minimum``."""
    for name in names:
        if getattr(params, name) < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {getattr(params, name)}")


def videopose3d_recipe(epochs: int) -> dict[str, Any]:
    """The paper profile's source training, as VideoPose3D trains (Pavllo et al. 2019, section 5):
    Adam at 1e-3 decayed by 0.95 per epoch, batch 1024, ``epochs`` passes; the per-epoch decay
    over the whole budget is the exponential schedule's floor."""
    return {"epochs": epochs, "batch_size": 1024, "lr": 1e-3, "lr_schedule": "exponential", "lr_floor": 0.95**epochs}


def check_budget(params: Any, *names: str) -> None:
    """Raise ``ValueError`` for an optional budget (``epochs``) that is given and below 1 or above the bound."""
    for name in names:
        value = getattr(params, name)
        if value is not None and value < 1:
            raise ValueError(f"{name} must be >= 1 (a training budget), got {value}; leave it unset to use steps")
        if value is not None and value > MAX_EPOCHS:
            raise ValueError(f"{name} must be <= {MAX_EPOCHS}, got {value}")


BUDGETS: tuple[tuple[str, str, str], ...] = (("steps", "epochs", "source"), ("adapt_steps", "adapt_epochs", "target"))
"""(steps option, epochs option, what it budgets): each budget is given one way or the other."""


def check_one_budget(options: Mapping[str, Any]) -> None:
    """Refuse options that give a budget both as steps and as epochs (``--steps 10 --epochs 2``).

    Why: epochs win when both are set, so the run trained for the epochs while its record (and
    the user) read ``steps=10``; asking for both is a mistake to answer, not to resolve.

    Raises:
        ValueError: naming both options and their flags.
    """
    for steps, epochs, what in BUDGETS:
        if options.get(steps) is not None and options.get(epochs) is not None:
            raise ValueError(
                f"{steps}={options[steps]} and {epochs}={options[epochs]} both set the {what} budget; give one of "
                f"them (--{steps.replace('_', '-')} or --{epochs.replace('_', '-')}, or the same with --set)"
            )


def check_warmup(warmup: int, steps: int, what: str, *, epochs: int | None = None) -> None:
    """Refuse a warm-up at least as long as the budget it warms up (the rate would never leave it).

    Checked when the options are built where the budget is in steps, and when an ``epochs``
    budget is resolved to steps (the source's or a target's size is known only then).

    Raises:
        ValueError: ``lr_warmup_steps`` and the budget, and what to change.
    """
    if warmup > 0 and warmup >= steps:
        given = f" = {epochs} epoch{'s' if epochs != 1 else ''}" if epochs is not None else ""
        option = next(pair[epochs is not None] for pair in BUDGETS if pair[2] == what)
        raise ValueError(
            f"lr_warmup_steps ({warmup}) must be shorter than the {what} budget ({steps} steps{given}): the "
            f"learning rate would still be warming up when the domain ends; lower lr_warmup_steps or raise {option}"
        )


MAX_LR = 10.0
"""Largest learning rate an option may ask for; Adam's are about 1e-3, and one near 1e308 overflows in torch."""


def check_learning_rates(params: Any) -> None:
    """Raise ``ValueError`` for a learning rate (``lr`` or any option ending in ``_lr``) above :data:`MAX_LR`.

    Why: ``adapt_lr=1e308`` is finite, so it passes :func:`check_finite`, then overflows to inf in
    the optimizer's float32 arithmetic and the run fails far from the option that caused it.
    """
    from dataclasses import fields

    for field in fields(params):
        value = getattr(params, field.name)
        is_rate = field.name == "lr" or field.name.endswith("_lr")
        if is_rate and isinstance(value, int | float) and not isinstance(value, bool) and value > MAX_LR:
            raise ValueError(
                f"{field.name} must be <= {MAX_LR:g} (a learning rate; Adam's are about 1e-3), got {value:g}"
            )


MAX_STEPS = 100_000_000
"""Largest optimizer-step budget an option may ask for (days on a GPU); a typo beyond it is refused."""
MAX_EPOCHS = 100_000
MAX_BATCH = 1_048_576
MAX_RECEPTIVE_FIELD = 2_187  # 3^7, beyond any published temporal lifter (VideoPose3D's largest: 243)


def check_at_most(params: Any, maximum: int, *names: str) -> None:
    """Raise ``ValueError("NAME must be <= MAXIMUM, got VALUE")`` before anything is allocated."""
    for name in names:
        value = getattr(params, name)
        if value is not None and value > maximum:
            raise ValueError(f"{name} must be <= {maximum:_}, got {value:_}")


def check_finite(params: Any) -> None:
    """Raise ``ValueError`` naming the first float option that is NaN or infinite (``--set lr=inf``)."""
    import math
    from dataclasses import fields

    for field in fields(params):
        value = getattr(params, field.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{field.name} must be a finite number, got {value}")


def check_positive(params: Any, *names: str) -> None:
    """Raise ``ValueError("NAME must be > 0, got VALUE")`` for the first option that is not positive."""
    for name in names:
        if not getattr(params, name) > 0:
            raise ValueError(f"{name} must be > 0, got {getattr(params, name)}")


# Strategies and lifters also have a ``tiny`` profile: seconds on the conformance checks' tiny
# stream, so that a check never has to name a strategy's options (scenarios have none).
STRATEGY_PROFILES: tuple[str, ...] = ("tiny", *PROFILES)

# The tiny profile's budget, for whichever of these fields a strategy's Params has; a strategy
# shrinks its own networks and loops in ``PROFILE_DEFAULTS["tiny"]``.
TINY_BUDGET: dict[str, Any] = {
    "steps": 30,
    "epochs": None,
    "batch_size": 16,
    "eval_batch_size": 1024,
    "adapt_steps": 6,
    "adapt_epochs": None,
}


def check_profile(profile: str) -> str:
    if profile not in STRATEGY_PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; known: {', '.join(STRATEGY_PROFILES)}")
    return profile
