"""Options of the adversarial pose-augmentation generator that PoseDA and diffusion_replay share."""

from __future__ import annotations

from dataclasses import dataclass

from lifelong_pose.training.params import AdaptationParams, check_at_least, check_positive


@dataclass(frozen=True)
class AugmentationParams(AdaptationParams):
    """A strategy that adapts with an adversarial pose-augmentation generator (PoseDA, diffusion_replay).

    Both build :class:`lifelong_pose.strategies.shared.lpa.AugmentationGenerator` from these options.

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
