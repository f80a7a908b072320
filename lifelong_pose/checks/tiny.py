"""The tiny seeded stream every strategy check runs on: a walking source and two walking targets.

Three domains, one camera, a few hundred frames each: a strategy trains and is tested on all of it
in seconds with the ``tiny`` profile. The stream is built from a spec that is never registered, so
it does not appear in listings.
"""

from __future__ import annotations

from typing import Any

from lifelong_pose.registry import ScenarioSpec
from lifelong_pose.stream import StreamDefinition
from lifelong_pose.world.factors import BodyFactor, CameraRig, DomainSpec, MotionFactor

TINY_SPEC = ScenarioSpec(
    id="conformance_tiny-v0",
    entry_point="lifelong_pose.checks.tiny:tiny_stream",
    description="three walking domains for the conformance checks (not registered)",
)


def tiny_stream(profile: str = "quick", targets: int = 2) -> StreamDefinition:
    """A walking source and ``targets`` walking targets, each with its own body size."""
    domains = tuple(
        DomainSpec(
            name=f"walk{i}",
            bodies=BodyFactor(count=1, height_mean=0.9 + 0.1 * i),
            cameras=CameraRig(count=1),
            motion=MotionFactor(actions=("walk",), fps=25.0),
            labelled=i == 0,
        )
        for i in range(targets + 1)
    )
    return StreamDefinition("conformance stream", domains)


def tiny_scenario(seed: int = 0) -> Any:
    """The tiny stream as a :class:`lifelong_pose.scenario.Scenario` (simulated, built on first access)."""
    from lifelong_pose.registry.loading import load_entry_point
    from lifelong_pose.scenario import build_scenario

    return build_scenario(TINY_SPEC, load_entry_point(TINY_SPEC.entry_point), {"seed": seed})
