"""The built-in domain streams, registered exactly as a third-party plugin would register its own.

Shipped as ``lifelong_pose.scenarios`` (setuptools ``package-dir``). Each id names one fixed
stream; a change of meaning gets a new ``-vN``.
"""

from lifelong_pose.registry import scenario_registry

_STREAMS = "lifelong_pose.scenarios.streams"
_STREAMS_V2 = "lifelong_pose.scenarios.streams_v2"

scenario_registry.register(
    "cross_scenario-v0",
    entry_point=f"{_STREAMS}:cross_scenario",
    description="H3.6M-like lab: source subject S1, then new subjects S5, S6, S7, S8 (same cameras)",
    backends=("sim", "real"),
)
scenario_registry.register(
    "cross_scenario-v1",
    entry_point=f"{_STREAMS}:cross_scenario_v1",
    description="S1 -> S5, S6, S7, S8 as in v0, subjects differing in build, pace and handedness (clear gap)",
    backends=("sim", "real"),
)
scenario_registry.register(
    "cross_dataset-v0",
    entry_point=f"{_STREAMS}:cross_dataset",
    description="H3.6M-like lab -> 3DHP-like studio -> 3DPW-like hand-held outdoor (16 joints)",
    backends=("sim", "real"),
)
scenario_registry.register(
    "cross_camera-v0",
    entry_point=f"{_STREAMS}:cross_camera",
    description="The same people seen from new camera placements: high, low, close-wide, far-tele",
    backends=("sim", "real"),
)
scenario_registry.register(
    "long_stream-v0",
    entry_point=f"{_STREAMS}:long_stream",
    description="12 domains mixing subjects, rigs, noise, speed and frame rate, revisiting earlier ones",
)

# v2: the simulated world shaped like the real datasets (takes, Human3.6M's cameras and protocols;
# lifelong_pose.scenarios.sessions). Every stream's v2 is the same world, hence one number for all.
scenario_registry.register(
    "cross_scenario-v2",
    entry_point=f"{_STREAMS_V2}:cross_scenario_v2",
    description="simulated Human3.6M: source S1, then S5, S6, S7, S8 doing the same scripts; test: the last takes",
    backends=("sim", "real"),
)
scenario_registry.register(
    "cross_dataset-v2",
    entry_point=f"{_STREAMS_V2}:cross_dataset_v2",
    description="simulated Human3.6M (test S9, S11) -> 3DHP-like studio -> 3DPW-like hand-held outdoor (16 joints)",
    backends=("sim", "real"),
)
scenario_registry.register(
    "cross_camera-v2",
    entry_point=f"{_STREAMS_V2}:cross_camera_v2",
    description="simulated Human3.6M seen by one of its four cameras at a time (train S1, S5-S8; test S9, S11)",
    backends=("sim", "real"),
)
scenario_registry.register(
    "long_stream-v2",
    entry_point=f"{_STREAMS_V2}:long_stream_v2",
    description="12 domains of the v2 world mixing subjects, rigs, 2D noise, pace and frame rate, with revisits",
)
