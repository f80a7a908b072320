"""The v2 streams: selections from simulated sessions shaped like the real datasets
(:mod:`lifelong_pose.scenarios.sessions`), with the same protocols as their real backends.

Each simulated domain selects subjects, cameras and takes exactly as the real domain of the same
stream selects them from the files, so ``data export --format videopose3d`` of a Human3.6M-like
stream, read back with ``--data real``, is the simulated stream itself.
"""

from __future__ import annotations

from dataclasses import replace

from lifelong_pose.scenarios.sessions import (
    H36M_TEST_SUBJECTS,
    H36M_TRAIN_SUBJECTS,
    h36m_session,
    hp3d_session,
    lab_stride,
    pw3d_session,
    rescaled,
    restyled,
)
from lifelong_pose.scenarios.streams import check_targets, real_cross_camera, real_cross_dataset, real_cross_scenario

from lifelong_pose.datasets.spec import H36M_CAMERA_IDS, Selection, take_split
from lifelong_pose.stream import Profile, StreamDefinition, by_profile
from lifelong_pose.world.factors import CameraRig
from lifelong_pose.world.presets import DETECTOR_LAB
from lifelong_pose.world.sim_spec import SimDataset, SimDomainSpec


def _by_take(
    name: str, dataset: SimDataset, subject: str, profile: Profile, labelled: bool, layout: str
) -> SimDomainSpec:
    """One subject's takes: the last take of every script is the test split (Human3.6M's cross-subject split)."""
    stride = lab_stride(profile)
    return SimDomainSpec(
        name=name,
        dataset=dataset,
        description=f"{dataset.key} subject {subject}, four cameras; test split: the last take of each script",
        **take_split(subject),
        labelled=labelled,
        layout=layout,
        stride=stride,
        test_stride=stride,
    )


def cross_scenario_v2(profile: Profile = "quick", targets: int = 4) -> StreamDefinition:
    """S1 -> S5, S6, S7, S8 in the simulated Human3.6M: other people performing the same scripts.

    Args:
        targets: how many of the four target subjects to keep (1-4), in order.
    """
    check_targets(targets)
    session = h36m_session(profile)
    domains = tuple(
        _by_take(f"h36m_{subject}", session, subject, profile, labelled=index == 0, layout="h36m17")
        for index, subject in enumerate(H36M_TRAIN_SUBJECTS[: targets + 1])
    )
    return StreamDefinition(
        "Cross-subject in a simulated Human3.6M: source S1, then S5-S8 performing the same scripts in other takes",
        domains,
        real_cross_scenario(profile, targets),
    )


def _h36m_like(profile: Profile) -> SimDomainSpec:
    stride = lab_stride(profile)
    return SimDomainSpec(
        name="h36m_like",
        dataset=h36m_session(profile),
        description="simulated Human3.6M: train S1, S5-S8, test S9, S11 (Human3.6M's protocol), 4 cameras, 16 joints",
        train=Selection(subjects=H36M_TRAIN_SUBJECTS),
        test=Selection(subjects=H36M_TEST_SUBJECTS),
        labelled=True,
        layout="common16",
        stride=stride,
        test_stride=stride,
    )


def _by_subject(name: str, dataset: SimDataset, description: str, train: int, stride: int) -> SimDomainSpec:
    """The first ``train`` subjects of ``dataset`` adapt, the others are the test split (other people)."""
    names = dataset.subject_names
    return SimDomainSpec(
        name=name,
        dataset=dataset,
        description=description,
        train=Selection(subjects=names[:train]),
        test=Selection(subjects=names[train:]),
        layout="common16",
        stride=stride,
        test_stride=stride,
    )


def _3dhp_like(profile: Profile) -> SimDomainSpec:
    return _by_subject(
        "3dhp_like",
        hp3d_session(profile),
        "3DHP-like studio: adapt on S1-S4, test on TS1, TS2; cameras all round incl. high and low, 2048x2048, 25 fps",
        train=4,
        stride=by_profile(profile, 5, 1),
    )


def _3dpw_like(profile: Profile) -> SimDomainSpec:
    return _by_subject(
        "3dpw_like",
        pw3d_session(profile),
        "3DPW-like outdoor: adapt on 4 people, test on 2 others; hand-held phone 1080x1920, 30 fps, detected 2D",
        train=4,
        stride=by_profile(profile, 6, 1),
    )


def cross_dataset_v2(profile: Profile = "quick") -> StreamDefinition:
    """Simulated Human3.6M -> 3DHP-like studio -> 3DPW-like hand-held outdoor, 16 joints."""
    return StreamDefinition(
        "Cross-dataset: a simulated Human3.6M, then a 3DHP-like studio, then 3DPW-like hand-held outdoor video",
        (_h36m_like(profile), _3dhp_like(profile), _3dpw_like(profile)),
        real_cross_dataset(profile),
    )


def cross_camera_v2(profile: Profile = "quick") -> StreamDefinition:
    """Human3.6M's four cameras as domains (train S1, S5-S8; test S9, S11 in each), as the real backend."""
    session = h36m_session(profile)
    stride = lab_stride(profile)
    domains = tuple(
        SimDomainSpec(
            name=f"h36m_cam{camera}",
            dataset=session,
            description=f"simulated Human3.6M seen by camera {camera} only",
            train=Selection(subjects=H36M_TRAIN_SUBJECTS, cameras=(camera,)),
            test=Selection(subjects=H36M_TEST_SUBJECTS, cameras=(camera,)),
            labelled=index == 0,
            stride=stride,
            test_stride=stride,
        )
        for index, camera in enumerate(H36M_CAMERA_IDS)
    )
    return StreamDefinition(
        "Cross-camera in a simulated Human3.6M: one camera at a time, the same subjects and scripts",
        domains,
        real_cross_camera(profile),
    )


def long_stream_v2(profile: Profile = "quick") -> StreamDefinition:
    """Twelve domains mixing factors and revisiting earlier ones (a revisit is the same spec), 16 joints."""
    lab, studio, outdoor = h36m_session(profile), hp3d_session(profile), pw3d_session(profile)
    h36m, hp3d, pw3d = _h36m_like(profile), _3dhp_like(profile), _3dpw_like(profile)
    subject = _by_take("lab_S9", lab, "S9", profile, labelled=False, layout="common16")
    detected = replace(
        h36m,
        name="lab_detected",
        description="simulated Human3.6M with CPN-like detected 2D",
        dataset=replace(
            lab, key="h36m_detected", description="simulated Human3.6M, detected 2D", observation=DETECTOR_LAB
        ),
        labelled=False,
    )
    fast = replace(
        h36m,
        name="lab_fast_mirrored",
        description="lab scripts performed 1.3-1.6x faster, half of the takes mirrored",
        dataset=restyled(lab, "h36m_fast", "lab, fast and half mirrored", speed=(1.3, 1.6), mirror_prob=0.5),
        labelled=False,
    )
    high_rig = CameraRig(
        name="high", count=4, image_size=(1000, 1000), focal_px=(1145.0, 2.0), distance_m=(4.5, 5.8),
        height_m=(2.6, 3.2), look_height_m=0.9, azimuth_jitter_deg=10.0,
    )  # fmt: skip
    high = replace(
        h36m,
        name="lab_high_view",
        description="lab subjects seen from 2.6-3.2 m high",
        dataset=replace(lab, key="h36m_high", description="lab seen from high cameras", rig=high_rig),
        labelled=False,
    )
    slow_fps = replace(
        hp3d,
        name="studio_12fps",
        description="3DHP-like studio at 12.5 fps",
        dataset=replace(studio, key="3dhp_12fps", description="3DHP-like studio at 12.5 fps", fps=12.5),
        stride=by_profile(profile, 3, 1),
        test_stride=by_profile(profile, 3, 1),
    )
    small = replace(
        h36m,
        name="small_bodies",
        description="small bodies (0.8x) in the lab",
        dataset=rescaled(lab, "h36m_small", "lab with small bodies", 0.8, {}),
        labelled=False,
    )
    tall = replace(
        pw3d,
        name="tall_outdoor",
        description="tall, long-limbed bodies outdoors",
        dataset=rescaled(outdoor, "3dpw_tall", "outdoor with tall bodies", 1.12, {"thigh": 1.08, "shin": 1.08}),
    )
    domains = (h36m, subject, hp3d, detected, pw3d, high, subject, fast, slow_fps, hp3d, small, tall)
    return StreamDefinition("Long stream: mixed factors with revisits of earlier domains", domains)
