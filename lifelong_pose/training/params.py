"""Hyper-parameters of strategies: frozen dataclasses, checked on construction, recorded verbatim.

Why dataclasses: the registry checks option names and types against the dataclass signature
(a typo fails at ``make`` with a suggestion), ``asdict`` feeds the run record, and a strategy
author adds options by subclassing (scikit-learn's ``get_params`` contract, declaratively).
Profiles change defaults only: ``quick`` is sized for a 2-core CPU, ``paper`` for a GPU.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from lifelong_pose.stream import PROFILES


@dataclass(frozen=True)
class LifterParams:
    """What every strategy has: the lifter and the supervised training on the labelled source.

    Attributes:
        lifter: ``simple_baseline`` (single frame MLP) or ``videopose`` (temporal convolutions).
        receptive_field: frames the lifter sees (1 for ``simple_baseline``; 1, 27, 81, 243).
        epochs: passes over the source's train split.
        batch_size: frames per training batch.
        lr: Adam learning rate at the start of each domain.
        lr_decay: learning-rate factor applied after every epoch (VideoPose3D uses 0.95).
        loss: supervised loss: ``mpjpe`` (VideoPose3D) or ``mse`` (Martinez et al.).
        eval_batch_size: frames per evaluation batch (memory only; results do not depend on it).
    """

    lifter: Literal["simple_baseline", "videopose"] = "simple_baseline"
    receptive_field: int = 1
    epochs: int = 40
    batch_size: int = 256
    lr: float = 1e-3
    lr_decay: float = 0.95
    loss: Literal["mpjpe", "mse"] = "mpjpe"
    eval_batch_size: int = 4096

    def __post_init__(self) -> None:
        check_at_least(self, 0, "epochs")
        check_at_least(self, 1, "batch_size", "eval_batch_size", "receptive_field")
        check_positive(self, "lr")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AdaptationParams(LifterParams):
    """A strategy that also trains on each target domain.

    Attributes:
        adapt_epochs: passes over each target domain's train split.
        adapt_lr: learning rate at the start of each target domain (the source's ``lr`` if None).
    """

    adapt_epochs: int = 10
    adapt_lr: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, 0, "adapt_epochs")
        if self.adapt_lr is not None and not self.adapt_lr > 0:
            raise ValueError(f"adapt_lr must be > 0, got {self.adapt_lr}")


@dataclass(frozen=True)
class AugmentationParams(AdaptationParams):
    """A strategy that adapts with an adversarial pose-augmentation generator (PoseDA, diffusion_replay).

    Both build :class:`lifelong_pose.models.lpa.AugmentationGenerator` from these options.

    Attributes:
        gan_lr: learning rate of the generator and its critic.
        generator_width: hidden width of the generator's three stages.
        angle_limit, length_limit, rotation_limit: bounds of the bone-angle offsets (added to unit
            bone directions), of the relative bone-length change and of each rotation-vector
            component (radians).
    """

    gan_lr: float = 1e-4
    generator_width: int = 256
    angle_limit: float = 0.3
    length_limit: float = 0.2
    rotation_limit: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        check_at_least(self, 0, "angle_limit", "rotation_limit")
        check_at_least(self, 1, "generator_width")
        check_positive(self, "gan_lr")
        if not 0 <= self.length_limit < 1:
            raise ValueError(f"length_limit must be in [0, 1), got {self.length_limit}")


def check_at_least(params: Any, minimum: int, *names: str) -> None:
    """Raise ``ValueError("NAME must be >= MINIMUM, got VALUE")`` for the first option below ``minimum``."""
    for name in names:
        if getattr(params, name) < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {getattr(params, name)}")


def check_positive(params: Any, *names: str) -> None:
    """Raise ``ValueError("NAME must be > 0, got VALUE")`` for the first option that is not positive."""
    for name in names:
        if not getattr(params, name) > 0:
            raise ValueError(f"{name} must be > 0, got {getattr(params, name)}")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    return profile
