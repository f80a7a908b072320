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


def tiny_session(profile: Profile = "quick") -> StreamDefinition:
    """One subject walking in three takes before one Human3.6M camera, then a second subject (v2 world)."""
    from lifelong_pose.datasets.spec import take_split
    from lifelong_pose.world.sim_spec import H36MRig, SimDataset, SimDomainSpec, SubjectTraits

    session = SimDataset(
        key="tiny",
        subjects=(SubjectTraits("S1", 0.98), SubjectTraits("S5", 1.03)),
        actions=("walk",),
        takes=3,
        take_seconds=2.0,
        rig=H36MRig(cameras=("54138969",)),
    )
    domains = tuple(
        SimDomainSpec(
            f"tiny_{subject}",
            session,
            **take_split(subject),
            labelled=index == 0,
            stride=5,
            test_stride=5,
        )
        for index, subject in enumerate(("S1", "S5"))
    )
    return StreamDefinition("tiny v2 stream", domains)


# diffusion_replay sized for the tiny streams: its own tiny profile (the conformance checks'), batches of 8
def _small_diffusion_replay() -> dict[str, object]:
    from lifelong_pose.strategies.diffusion_replay import DiffusionReplay

    return {"batch_size": 8, **DiffusionReplay.PROFILE_DEFAULTS["tiny"]}


SMALL_DIFFUSION_REPLAY: dict[str, object] = _small_diffusion_replay()
