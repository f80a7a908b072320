"""Tiny stream definitions that tests register under temporary ids."""

from __future__ import annotations

from lifelong_pose.stream import Profile, StreamDefinition
from lifelong_pose.world.factors import BodyFactor, CameraRig, DomainSpec, MotionFactor


def tiny(profile: Profile = "quick", targets: int = 1, fps: float = 25.0) -> StreamDefinition:
    """A walking source and ``targets`` walking targets with other bodies and one camera."""
    rig = CameraRig(count=1)
    domains = [
        DomainSpec(
            name=f"d{i}",
            bodies=BodyFactor(count=1, height_mean=0.9 + 0.1 * i),
            cameras=rig,
            motion=MotionFactor(actions=("walk",), fps=fps),
            labelled=i == 0,
        )
        for i in range(targets + 1)
    ]
    return StreamDefinition("tiny test stream", tuple(domains))
