"""DAK-Pose (Wang, Zhang, Yuan): dual-augmentor knowledge fusion, domain generalisation from the source alone.

- :mod:`.strategy`: the strategy and its options;
- :mod:`.augment`: structure augmentation (limb scaling, joint perturbation) and gradient reversal;
- :mod:`.networks`: the motion interpolator and critic (SMA), the motion predictor (DMA) and the
  feature discriminators; the lifter is the engine's ``dakpose`` (:mod:`lifelong_pose.models.dakpose`).
"""

from __future__ import annotations

from lifelong_pose.strategies.dakpose.strategy import DAKPose, DAKPoseParams

__all__ = ["DAKPose", "DAKPoseParams"]
