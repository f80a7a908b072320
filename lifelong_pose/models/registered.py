"""The built-in lifters, registered exactly as a third-party package registers its own.

Entry points are strings and sizes plain dicts: nothing here imports torch, so option checks
(``--set lifter=...``) and listings stay instant. A package adds a lifter with an entry point in
the group ``lifelong_pose.lifters`` or with ``lifter_registry.register(name, "module:Class",
profiles={"quick": {...}, "paper": {...}})``; its class subclasses ``lifelong_pose.models.Lifter``.
"""

from __future__ import annotations

from lifelong_pose.registry import lifter_registry

lifter_registry.register(
    "simple_baseline",
    "lifelong_pose.models.simple_baseline:SimpleBaseline",
    description="Martinez et al. 2017: residual MLP on one frame",
    profiles={
        # dropout 0.1: at 0.2 the quick budget fitted the simulated world more slowly (45 against 41
        # mm on cross_dataset-v2's source after 4000 steps; benchmarks/results/convergence.md)
        "tiny": {"width": 32, "blocks": 1, "dropout": 0.1},  # the conformance checks'
        "quick": {"width": 256, "blocks": 2, "dropout": 0.1},
        "paper": {"width": 1024, "blocks": 2, "dropout": 0.5},  # Martinez et al. 2017, section 3
    },
)
lifter_registry.register(
    "videopose",
    "lifelong_pose.models.videopose:VideoPose3D",
    description="Pavllo et al. 2019: dilated temporal convolutions over 1, 27, 81 or 243 frames",
    profiles={
        "tiny": {"channels": 16, "dropout": 0.1},
        "quick": {"channels": 128, "dropout": 0.1},
        "paper": {"channels": 1024, "dropout": 0.25},  # Pavllo et al. 2019, section 3
    },
)
lifter_registry.register(
    "dakpose",
    "lifelong_pose.models.dakpose:DAKPoseLifter",
    description="DAK-Pose (Wang, Zhang, Yuan): structural and dynamic Transformer encoders, spatial-temporal decoder",
    profiles={
        "tiny": {
            "channels": 16,
            "encoder_blocks": 1,
            "decoder_blocks": 1,
            "heads": 2,
            "dropout": 0.0,
            "root_offsets": True,
        },
        # quick: C = 16 with one head, so a training step costs 7.8x the quick MLP's at batch 64 on a
        # CPU (C = 32 with two heads: 19.6x; benchmarks/results/lifter_speed.md): attention over 9
        # frames or 17 joints is bound by its calls, and one head halves them
        "quick": {
            "channels": 16,
            "encoder_blocks": 1,
            "decoder_blocks": 1,
            "heads": 1,
            "dropout": 0.0,
            "root_offsets": True,
        },
        "paper": {
            "channels": 512,
            "encoder_blocks": 4,
            "decoder_blocks": 6,
            "heads": 8,
            "dropout": 0.1,
            "root_offsets": True,
        },  # section 4.2
    },
)
