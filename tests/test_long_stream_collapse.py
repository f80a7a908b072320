"""The long-stream isolation benchmark's parts and its reading of the size guard's errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from lifelong_pose.scenarios.streams_v2 import long_stream_v2
from long_stream_collapse import PARTS, last_domain_error, long_stream_part, scenario_id, stops
from poseda_scale import size_ratio

from lifelong_pose.registry import scenario_registry


def test_every_part_ends_in_tall_outdoor_with_the_whole_streams_own_specs() -> None:
    whole = long_stream_v2("quick")
    assert whole.domains[-1].name == "tall_outdoor"
    for part, keep in PARTS.items():
        if keep is None:
            continue
        stream = long_stream_part("quick", keep)
        assert stream.domains == tuple(whole.domains[i] for i in keep), part
        assert stream.domains[0].name == "h36m_like" and stream.domains[-1].name == "tall_outdoor"
    assert [d.name for d in long_stream_part("quick", PARTS["after_small"]).domains] == [
        "h36m_like",
        "small_bodies",
        "tall_outdoor",
    ]
    assert "small_bodies" not in [d.name for d in long_stream_part("quick", PARTS["without_small"]).domains]


def test_a_part_registers_once_and_whole_is_the_published_stream() -> None:
    scenario = scenario_id("after_3dpw")
    try:
        assert scenario == "long_stream_part_after_3dpw-v0" and scenario_id("after_3dpw") == scenario
        assert [d.name for d in scenario_registry.make(scenario).definition.domains] == [
            "h36m_like",
            "3dpw_like",
            "tall_outdoor",
        ]
    finally:
        scenario_registry.unregister(scenario)
    assert scenario_id("whole") == "long_stream"


def test_stops_names_each_stopped_seeds_size_ratio_and_domain() -> None:
    error = (
        "FloatingPointError: diffusion_replay: the lifter's predictions on the domain it adapted to drifted "
        "to 0.70x the size the lifter predicted on entering domain 11 (tall_outdoor), outside the bound "
        "max_size_drift=0.3: the adaptation diverged (teacher=frozen, adapt_lr=0.0001)"
    )
    R = [[30.0, 260.0], [31.0, 120.0]]
    records = [
        {"status": "failed", "error": error, "matrices": {"mpjpe": R[:1]}},
        {"status": "complete", "error": None, "matrices": {"mpjpe": R}},
        {"status": "failed", "error": "RuntimeError: out of memory", "matrices": {"mpjpe": R[:1]}},
    ]
    assert stops(records) == "2 of 3 (0.70x on tall_outdoor; RuntimeError: out of memory)"
    assert stops(records[1:2]) == "0 of 1"
    assert last_domain_error(records, adapted=True) == "120.0"  # the finished seed's R[-1, -1]
    assert last_domain_error(records, adapted=False) == "260.0"  # its R[0, -1]
    assert last_domain_error(records[:1], adapted=True) == "stopped"


class _ConstantLifter(torch.nn.Module):
    """Predicts the same pose for every frame: a lifter whose size ratio is known by hand."""

    receptive_field = 1

    def __init__(self, pose: torch.Tensor) -> None:
        super().__init__()
        self.pose = pose

    def forward(self, x2d: torch.Tensor) -> torch.Tensor:
        return self.pose.expand(x2d.shape[0], -1, -1)


def test_size_ratio_is_predicted_over_true_mean_distance_from_the_root(tiny_scenario: str) -> None:
    import lifelong_pose as lp

    test = lp.make(tiny_scenario).test_data(1)
    joints = test.X3d.shape[1]
    pose = torch.zeros(1, joints, 3)
    pose[0, 1:, 2] = 0.5  # every joint but the root 0.5 m from it
    true_mean = float(test.X3d.norm(dim=-1).mean())
    expected = 0.5 * (joints - 1) / joints / true_mean
    assert size_ratio(_ConstantLifter(pose), test) == pytest.approx(expected, rel=1e-5)
