from __future__ import annotations

import pytest
import torch

import lifelong_pose as lp
from lifelong_pose.world.statistics import summary_table

EXPECTED_DOMAINS = {"cross_scenario": 5, "cross_dataset": 3, "cross_camera": 5, "long_stream": 12}
SCENARIO_IDS = [spec.id for spec in lp.registry.all() if spec.name in EXPECTED_DOMAINS]


@pytest.fixture(scope="module", params=SCENARIO_IDS, ids=SCENARIO_IDS)
def scenario(request: pytest.FixtureRequest):
    return lp.make(request.param, data="sim", seed=0)


def test_every_builtin_is_tested() -> None:
    """Every registered version of every built-in is parametrised here, and nothing else."""
    builtins = {spec.id for spec in lp.registry.all() if spec.entry_point.startswith("lifelong_pose.scenarios.")}
    assert builtins == set(SCENARIO_IDS)
    assert {lp.spec(name).id for name in EXPECTED_DOMAINS} <= set(SCENARIO_IDS)


def test_stream_length_and_roles(scenario) -> None:
    assert scenario.num_domains == EXPECTED_DOMAINS[scenario.spec.name]
    assert scenario.domains[0].labelled and not any(d.labelled for d in scenario.domains[1:])


def test_benchmark_streams(scenario) -> None:
    bm = scenario.benchmark
    assert len(bm.train_stream) == len(bm.test_stream) == scenario.num_domains
    for index, experience in enumerate(bm.train_stream):
        assert experience.domain.index == index and experience.domain.name == scenario.domain_names[index]
        item = experience.dataset[0]
        if index == 0:
            x2d, X3d, intrinsics, task = item
            assert X3d.shape[-1] == 3 and experience.tensors.has_3d
        else:  # no target train experience carries 3D, in the dataset or in the tensors
            x2d, intrinsics, task = item
            assert experience.tensors.X3d is None and experience.tensors.root is None
            assert not experience.domain.labelled
        assert x2d.shape[0] == 1 and intrinsics.shape == (9,) and task == 0
    for experience in bm.test_stream:
        assert len(experience.dataset[0]) == 4 and experience.tensors.has_3d


def test_splits_share_no_sequences(scenario) -> None:
    for index in range(scenario.num_domains):
        train, test = scenario.train_data(index), scenario.test_data(index)
        assert len(train) > 1000 and len(test) > 200
        assert train.layout_name == test.layout_name == scenario.layout


def test_seed_changes_data() -> None:
    a = lp.make("cross_dataset", seed=0).test_data(1)
    b = lp.make("cross_dataset", seed=0).test_data(1)
    c = lp.make("cross_dataset", seed=1).test_data(1)
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_long_stream_revisits_are_the_same_domain() -> None:
    scenario = lp.make("long_stream")
    names = scenario.domain_names
    first = names.index("3dhp_like")
    again = names.index("3dhp_like", first + 1)
    assert torch.equal(scenario.test_data(first).x2d, scenario.test_data(again).x2d)
    assert len(set(names)) < len(names)


def test_cross_dataset_shift_is_real() -> None:
    scenario = lp.make("cross_dataset")
    rows = {row["domain"]: row for row in summary_table([scenario.test_data(i) for i in range(3)])}
    lab, studio, outdoor = rows["h36m_like"], rows["3dhp_like"], rows["3dpw_like"]
    # 2D scale: the portrait phone close by sees people bigger; the studio's wider lens smaller
    assert outdoor["box_scale_mean"] > 2 * lab["box_scale_mean"] > 2 * studio["box_scale_mean"]
    # root position: a hand-held camera frames the person loosely; studio distances vary more
    assert outdoor["root_x_std"] > 3 * lab["root_x_std"]
    assert studio["depth_std"] > 2 * lab["depth_std"]
    # joint angles: outdoor everyday motion keeps the knees straighter and the range narrower
    assert outdoor["left_knee_angle_mean"] > lab["left_knee_angle_mean"] + 10
    assert outdoor["angle_range_deg"] < lab["angle_range_deg"] - 10
    # bone lengths: other bodies and keypoint conventions
    assert abs(studio["bone_length_mean_mm"] - lab["bone_length_mean_mm"]) > 10


def test_cross_scenario_subjects_differ() -> None:
    scenario = lp.make("cross_scenario")
    legs = [row["leg_length_mm"] for row in summary_table([scenario.test_data(i) for i in range(5)])]
    assert max(legs) - min(legs) > 20  # subjects' legs differ by centimetres
    cameras = {tuple(scenario.test_data(i).intrinsics[0].tolist()) for i in range(5)}
    assert len(cameras) == 1  # the same four lab cameras for every subject


def test_cross_scenario_v1_is_newest_and_v0_unchanged() -> None:
    """v1 made subjects differ in build, pace and handedness; v0 keeps its meaning (pinned id)."""
    assert lp.make("cross_scenario").spec.id == "cross_scenario-v1"
    v0, v1 = lp.make("cross_scenario-v0"), lp.make("cross_scenario-v1")
    assert [d.bodies.height_mean for d in v0.domains] == [1.05] * 5
    heights = [d.bodies.height_mean for d in v1.domains]
    assert heights[0] < min(heights[1:]) and max(heights) - heights[0] > 0.15
    assert v1.domains[0].motion.mirror_prob == 0 and max(d.motion.mirror_prob for d in v1.domains) == 0.5
    legs = [row["leg_length_mm"] for row in summary_table([v1.test_data(i) for i in range(5)])]
    assert min(legs[1:]) - legs[0] > 30  # every target subject has longer legs than the source
