"""The lifelong GAN + 2D-pose diffusion replay + EMA method of Peng et al.

"Lifelong Domain Adaptive 3D Human Pose Estimation" (arXiv:2512.23860).

- :mod:`.strategy`: the strategy and its options;
- :mod:`.networks`: pose-aware / temporal-aware / domain-aware embeddings and the 2D critic;
- :mod:`.pose_diffusion`: the DDIM sampler of 2D poses that replays earlier domains.
"""

from __future__ import annotations

from lifelong_pose.strategies.diffusion_replay.pose_diffusion import PoseDiffusion
from lifelong_pose.strategies.diffusion_replay.strategy import DiffusionReplay, DiffusionReplayParams

__all__ = ["DiffusionReplay", "DiffusionReplayParams", "PoseDiffusion"]
