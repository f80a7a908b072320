"""Declarative definitions of the built-in streams (one function per id; see __init__.py).

Sizes by profile: ``quick`` keeps every domain to a few ten thousand frames so a CPU builds the
whole stream in seconds; ``paper`` adds takes, bodies and cameras for GPU-sized runs.
"""

from __future__ import annotations

from dataclasses import replace

from lifelong_pose.datasets.spec import H36M_CAMERA_IDS, RealDomainSpec, Selection, take_split
from lifelong_pose.stream import Profile, StreamDefinition, by_profile
from lifelong_pose.world.factors import BodyFactor, CameraRig, DomainSpec, MotionFactor
from lifelong_pose.world.presets import (
    CLEAN,
    DETECTOR_LAB,
    DETECTOR_WILD,
    H36M_CONVENTION,
    HP3D_CONVENTION,
    PW3D_CONVENTION,
    h36m_lab_rig,
    hp3d_studio_rig,
    pw3d_handheld_rig,
)

# Lab actions a DeepMimic clip can stand for (H3.6M has walking, greeting, sitting down, ...).
LAB_ACTIONS = ("walk", "run", "punch", "kick", "getup", "dance")
# 3DHP adds sports and floor work; 3DPW is everyday outdoor motion.
STUDIO_ACTIONS = (
    "walk",
    "run",
    "punch",
    "kick",
    "getup",
    "dance",
    "jump",
    "cartwheel",
    "crawl",
    "roll",
    "spin",
    "spinkick",
    "backflip",
)
OUTDOOR_ACTIONS = ("walk", "run", "jump", "dance", "spin")
H36M_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")


def check_targets(targets: int) -> None:
    """cross_scenario keeps the first ``targets`` of its four target subjects."""
    if not 1 <= targets <= 4:
        raise ValueError(f"cross_scenario: targets must be in 1..4, got {targets}")


def _lab_subject(subject: str, profile: Profile, labelled: bool) -> DomainSpec:
    return DomainSpec(
        name=f"h36m_{subject}",
        description=f"H3.6M-like lab, one subject ({subject}), four chest-high cameras, clean 2D",
        world_key=f"h36m/{subject}",
        camera_key="h36m/lab",
        bodies=BodyFactor(count=1, height_mean=1.05, height_std=0.05, segment_std=0.06),
        cameras=h36m_lab_rig(),
        motion=MotionFactor(actions=LAB_ACTIONS, fps=50.0, takes=by_profile(profile, 3, 12)),
        observation=CLEAN,
        labelled=labelled,
    )


def cross_scenario(profile: Profile = "quick", targets: int = 4) -> StreamDefinition:
    """S1 -> S5, S6, S7, S8: new subjects in the same lab, as the H3.6M cross-scenario protocol.

    Args:
        targets: how many of the four target subjects to keep (1-4), in order.
    """
    check_targets(targets)
    domains = [_lab_subject(s, profile, labelled=i == 0) for i, s in enumerate(H36M_SUBJECTS[: targets + 1])]
    return StreamDefinition(
        "H3.6M-like cross-scenario: one source subject, then new subjects",
        tuple(domains),
        real_cross_scenario(profile, targets),
    )


# cross_scenario-v1: each subject has their own build and habits, as real people do. v0 varied
# height by about 5% only, and on the quick profile its domain gap (about 8 mm) was lost in the
# lifter's error; these differences (a short source subject, taller and differently built targets,
# some moving faster and performing mirrored) give a clear gap (benchmarks/results/domain_gap.md).
_SUBJECTS_V1: dict[str, dict] = {
    "S1": {"height": 0.95, "segments": {}, "speed": (0.85, 1.0), "mirror": 0.0},
    "S5": {"height": 1.10, "segments": {"thigh": 1.08, "shin": 1.08}, "speed": (1.0, 1.2), "mirror": 0.5},
    "S6": {"height": 1.14, "segments": {"spine": 1.08, "shoulders": 1.1}, "speed": (0.9, 1.1), "mirror": 0.0},
    "S7": {"height": 1.03, "segments": {"upper_arm": 1.1, "forearm": 1.1}, "speed": (1.1, 1.3), "mirror": 0.5},
    "S8": {"height": 1.12, "segments": {"pelvis": 1.12, "thigh": 0.94}, "speed": (0.9, 1.2), "mirror": 0.3},
}


def _lab_subject_v1(subject: str, profile: Profile, labelled: bool) -> DomainSpec:
    traits = _SUBJECTS_V1[subject]
    base = _lab_subject(subject, profile, labelled)
    return replace(
        base,
        world_key=f"h36m_v1/{subject}",
        description=(
            f"H3.6M-like lab, subject {subject}: height x{traits['height']:g}, own proportions and pace, "
            "four chest-high cameras, clean 2D"
        ),
        bodies=BodyFactor(
            count=1, height_mean=traits["height"], height_std=0.0, segment_std=0.03, segment_mean=traits["segments"]
        ),
        motion=replace(base.motion, speed=traits["speed"], mirror_prob=traits["mirror"]),
    )


def cross_scenario_v1(profile: Profile = "quick", targets: int = 4) -> StreamDefinition:
    """S1 -> S5, S6, S7, S8 with subjects that differ in build, pace and handedness (v1).

    Args:
        targets: how many of the four target subjects to keep (1-4), in order.
    """
    check_targets(targets)
    domains = [_lab_subject_v1(s, profile, labelled=i == 0) for i, s in enumerate(H36M_SUBJECTS[: targets + 1])]
    return StreamDefinition(
        "H3.6M-like cross-scenario: one source subject, then new subjects of other builds and habits",
        tuple(domains),
        real_cross_scenario(profile, targets),
    )


def _h36m_like(profile: Profile) -> DomainSpec:
    return DomainSpec(
        name="h36m_like",
        description="H3.6M-like lab: 5 subjects, 4 cameras near chest height, 1000x1000, f~1145, 50 fps, clean 2D",
        world_key="h36m",
        bodies=BodyFactor(count=by_profile(profile, 3, 5), height_mean=1.05, height_std=0.05),
        cameras=h36m_lab_rig(),
        motion=MotionFactor(actions=LAB_ACTIONS, fps=50.0, takes=by_profile(profile, 1, 4)),
        observation=CLEAN,
        convention=H36M_CONVENTION,
        layout="common16",
        labelled=True,
    )


def _3dhp_like(profile: Profile) -> DomainSpec:
    return DomainSpec(
        name="3dhp_like",
        description="3DHP-like studio: many cameras incl. high and low views, 2048x2048, f~1500, 25 fps, more actions",
        world_key="3dhp",
        bodies=BodyFactor(count=by_profile(profile, 3, 8), height_mean=1.03, height_std=0.06, segment_std=0.06),
        cameras=hp3d_studio_rig(count=by_profile(profile, 4, 12)),
        motion=MotionFactor(
            actions=STUDIO_ACTIONS, speed=(0.8, 1.25), fps=25.0, mirror_prob=0.3, takes=by_profile(profile, 1, 3)
        ),
        observation=CLEAN,
        convention=HP3D_CONVENTION,
        layout="common16",
    )


def _3dpw_like(profile: Profile) -> DomainSpec:
    return DomainSpec(
        name="3dpw_like",
        description="3DPW-like outdoor: hand-held moving phone camera, 1080x1920, f~1960, 30 fps, detected 2D",
        world_key="3dpw",
        bodies=BodyFactor(count=by_profile(profile, 4, 6), height_mean=1.04, height_std=0.06, segment_std=0.06),
        cameras=pw3d_handheld_rig(count=by_profile(profile, 2, 4)),
        motion=MotionFactor(
            actions=OUTDOOR_ACTIONS, speed=(0.8, 1.2), fps=30.0, mirror_prob=0.5, takes=by_profile(profile, 2, 6)
        ),
        observation=DETECTOR_WILD,
        convention=PW3D_CONVENTION,
        layout="common16",
    )


def cross_dataset(profile: Profile = "quick") -> StreamDefinition:
    """H3.6M-like -> 3DHP-like -> 3DPW-like, in the 16-joint common layout."""
    return StreamDefinition(
        "Cross-dataset: lab source, then a multi-view studio, then hand-held outdoor video",
        (_h36m_like(profile), _3dhp_like(profile), _3dpw_like(profile)),
        real_cross_dataset(profile),
    )


def _view(name: str, description: str, rig: CameraRig, profile: Profile, labelled: bool = False) -> DomainSpec:
    return DomainSpec(
        name=name,
        description=description,
        world_key=f"cross_camera/{name}",
        body_key="cross_camera/people",
        camera_key=f"cross_camera/{name}",
        bodies=BodyFactor(count=by_profile(profile, 2, 5)),
        cameras=rig,
        motion=MotionFactor(actions=LAB_ACTIONS, fps=50.0, takes=by_profile(profile, 1, 4)),
        labelled=labelled,
    )


def cross_camera(profile: Profile = "quick") -> StreamDefinition:
    """The same people and motions; only where the cameras stand and what lens they have changes."""
    lab = h36m_lab_rig()
    return StreamDefinition(
        "Cross-camera: the same subjects, new camera placements and lenses",
        (
            _view("chest_high", "Source: four cameras at chest height, 5 m away", lab, profile, labelled=True),
            _view(
                "high_view",
                "Cameras 2.6-3.2 m high looking down",
                replace(lab, name="high", height_m=(2.6, 3.2), distance_m=(4.0, 5.0)),
                profile,
            ),
            _view(
                "low_view",
                "Cameras 0.3-0.6 m high looking up",
                replace(lab, name="low", height_m=(0.3, 0.6), distance_m=(4.0, 5.0)),
                profile,
            ),
            _view(
                "close_wide",
                "Wide lens close by: f~700 px at 3-3.5 m",
                replace(lab, name="close_wide", focal_px=(700.0, 10.0), distance_m=(3.0, 3.5)),
                profile,
            ),
            _view(
                "far_tele",
                "Long lens far away: f~2300 px at 9-11 m",
                replace(lab, name="far_tele", focal_px=(2300.0, 20.0), distance_m=(9.0, 11.0)),
                profile,
            ),
        ),
        real_cross_camera(profile),
    )


def long_stream(profile: Profile = "quick") -> StreamDefinition:
    """Twelve domains that mix factors and come back to earlier ones (revisits are identical
    domains: same keys and factors), in the 16-joint layout."""
    h36m, hp3d, pw3d = _h36m_like(profile), _3dhp_like(profile), _3dpw_like(profile)
    subject = replace(_lab_subject("S9", profile, labelled=False), layout="common16")
    noisy_lab = replace(
        h36m,
        name="lab_detected",
        description="H3.6M-like lab with CPN-like detected 2D",
        world_key="lab_detected",
        labelled=False,
        observation=DETECTOR_LAB,
    )
    fast = replace(
        h36m,
        name="lab_fast_mirrored",
        description="Lab motions 1.3-1.6x faster, half mirrored",
        world_key="lab_fast",
        labelled=False,
        motion=replace(h36m.motion, speed=(1.3, 1.6), mirror_prob=0.5),
    )
    high = replace(
        h36m,
        name="lab_high_view",
        description="Lab seen from 2.6-3.2 m high",
        world_key="lab_high",
        camera_key="lab_high",
        labelled=False,
        cameras=replace(h36m.cameras, name="high", height_m=(2.6, 3.2)),
    )
    slow_fps = replace(
        hp3d,
        name="studio_12fps",
        description="3DHP-like studio at 12.5 fps",
        world_key="3dhp_12fps",
        motion=replace(hp3d.motion, fps=12.5),
    )
    small = replace(
        h36m,
        name="small_bodies",
        description="Small bodies (0.8x) in the lab",
        world_key="small",
        body_key="small",
        labelled=False,
        bodies=replace(h36m.bodies, height_mean=0.8),
    )
    tall_wild = replace(
        pw3d,
        name="tall_outdoor",
        description="Tall, long-limbed bodies outdoors",
        world_key="tall",
        body_key="tall",
        bodies=replace(pw3d.bodies, height_mean=1.15, segment_mean={"thigh": 1.08, "shin": 1.08}),
    )
    domains = (h36m, subject, hp3d, noisy_lab, pw3d, high, subject, fast, slow_fps, hp3d, small, tall_wild)
    return StreamDefinition("Long stream: mixed factors with revisits of earlier domains", domains)


# -- the real backend: the same streams read from the datasets' files (--data real) -------------
H36M_TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
H36M_TEST_SUBJECTS = ("S9", "S11")


def _h36m_stride(profile: Profile) -> int:
    """The quick profile keeps every 10th frame of H3.6M's 50 fps video (5 fps), the paper profile all."""
    return by_profile(profile, 10, 1)


def real_cross_scenario(profile: Profile, targets: int) -> tuple[RealDomainSpec, ...]:
    """H3.6M S1 -> S5..S8. Each subject is split by take: the last take of every action is its
    test split, the others its train split (the subjects of the standard test split, S9 and S11,
    would give every domain the same test set)."""
    stride = _h36m_stride(profile)
    return tuple(
        RealDomainSpec(
            name=f"h36m_{subject}",
            dataset="h36m",
            description=f"Human3.6M subject {subject}, four cameras; test split: the last take of each action",
            **take_split(subject),
            labelled=index == 0,
            stride=stride,
            test_stride=stride,
        )
        for index, subject in enumerate(H36M_SUBJECTS[: targets + 1])
    )


def real_cross_dataset(profile: Profile) -> tuple[RealDomainSpec, ...]:
    """H3.6M (S1, S5-S8; tested on S9, S11) -> MPI-INF-3DHP (TS1-TS6) -> 3DPW, 16 joints."""
    stride = _h36m_stride(profile)
    return (
        RealDomainSpec(
            name="h36m",
            dataset="h36m",
            description="Human3.6M, train subjects S1, S5-S8, tested on S9 and S11",
            train=Selection(subjects=H36M_TRAIN_SUBJECTS),
            test=Selection(subjects=H36M_TEST_SUBJECTS),
            labelled=True,
            layout="common16",
            stride=stride,
            test_stride=stride,
        ),
        RealDomainSpec(
            name="3dhp",
            dataset="3dhp",
            description="MPI-INF-3DHP test set TS1-TS6 (valid frames); inductive runs adapt on its training set",
            train=Selection(part="train"),
            test=Selection(part="test"),
            layout="common16",
            protocol="transductive",
            stride=by_profile(profile, 20, 1),
            reports_pck=True,
        ),
        RealDomainSpec(
            name="3dpw",
            dataset="3dpw",
            description="3DPW outdoor phone video: adapt on the train split, test on the test split",
            train=Selection(part="train"),
            test=Selection(part="test"),
            layout="common16",
        ),
    )


def real_cross_camera(profile: Profile) -> tuple[RealDomainSpec, ...]:
    """H3.6M's four cameras as domains: train subjects S1, S5-S8, test subjects S9, S11 in each."""
    stride = _h36m_stride(profile)
    return tuple(
        RealDomainSpec(
            name=f"h36m_cam{camera}",
            dataset="h36m",
            description=f"Human3.6M seen by camera {camera} only",
            train=Selection(subjects=H36M_TRAIN_SUBJECTS, cameras=(camera,)),
            test=Selection(subjects=H36M_TEST_SUBJECTS, cameras=(camera,)),
            labelled=index == 0,
            stride=stride,
            test_stride=stride,
        )
        for index, camera in enumerate(H36M_CAMERA_IDS)
    )
