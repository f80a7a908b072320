"""PoseDA (Chai et al., ICCV 2023): global position alignment and adversarial local pose augmentation.

- :mod:`.strategy`: the strategy and its options;
- the generator and anchor discriminator: :mod:`lifelong_pose.strategies.shared.lpa` (shared with
  diffusion_replay); the kept source: :mod:`lifelong_pose.strategies.shared.source_pool`.
"""

from __future__ import annotations

from lifelong_pose.strategies.poseda.strategy import PoseDA, PoseDAParams

__all__ = ["PoseDA", "PoseDAParams"]
