"""The built-in strategies, registered exactly as a third-party plugin would register its own.

Shipped as ``lifelong_pose.strategies`` (setuptools ``package-dir``). Entry points are strings:
nothing here imports torch, so the listing stays instant.
"""

from __future__ import annotations

from lifelong_pose.registry import strategy_registry

strategy_registry.register(
    "source_only-v0",
    "lifelong_pose.strategies.baselines:SourceOnly",
    description="lower bound: train on the labelled source, never adapt",
)
strategy_registry.register(
    "adabn-v0",
    "lifelong_pose.strategies.baselines:AdaBN",
    description="control: source_only with BatchNorm statistics re-estimated on each target's 2D (AdaBN), no training",
)
strategy_registry.register(
    "oracle-v0",
    "lifelong_pose.strategies.baselines:Oracle",
    description="reference, never ranked: sequential fine-tuning WITH the targets' 3D (shows forgetting)",
)
strategy_registry.register(
    "poseda-v0",
    "lifelong_pose.strategies.poseda:PoseDA",
    description="PoseDA (Chai et al., ICCV 2023, https://arxiv.org/abs/2303.16456): global position alignment + "
    "adversarial local pose augmentation; keeps the source",
)
strategy_registry.register(
    "diffusion_replay-v0",
    "lifelong_pose.strategies.diffusion_replay:DiffusionReplay",
    description="Lifelong Domain Adaptive 3D HPE (Peng et al., https://arxiv.org/abs/2512.23860): lifelong GAN on "
    "predicted poses + DDIM 2D-pose diffusion replay as domain prior + EMA",
)
strategy_registry.register(
    "dakpose-v0",
    "lifelong_pose.strategies.dakpose:DAKPose",
    description="DAK-Pose (Wang, Zhang, Yuan): disentangled video lifter, dual motion augmentors, adversarial fusion; "
    "domain generalisation (uses no target data)",
)
