from __future__ import annotations

import pytest
import torch

import lifelong_pose as lp
from lifelong_pose.world.statistics import summary_table

EXPECTED_DOMAINS = {"cross_scenario": 5, "cross_dataset": 3, "cross_camera": 5, "long_stream": 12}
# v2's cross_camera is Human3.6M's four cameras, as its real backend
DOMAINS_BY_ID = {"cross_camera-v2": 4}
SCENARIO_IDS = [spec.id for spec in lp.registry.all() if spec.name in EXPECTED_DOMAINS]
# Old ids never change meaning: their data, built today, has the fingerprint it had when the v2
# world was added (computed with the code of that commit's parent).
PINNED = {
    ("cross_scenario-v1", 1): "ce0baca2cf438f82171c7e5c8cd26616b825579ded81f78f6dde260809e83ab6",
    ("cross_dataset-v0", None): "f25e62fee71e712acd106b4962cbc7c914af58aa179589c07188852dcdaef4e9",
}


@pytest.fixture(scope="module", params=SCENARIO_IDS, ids=SCENARIO_IDS)
def scenario(request: pytest.FixtureRequest):
    return lp.make(request.param, data="sim", seed=0)


def test_every_builtin_is_tested() -> None:
    """Every registered version of every built-in is parametrised here, and nothing else."""
    builtins = {spec.id for spec in lp.registry.all() if spec.entry_point.startswith("lifelong_pose.scenarios.")}
    assert builtins == set(SCENARIO_IDS)
    assert {lp.spec(name).id for name in EXPECTED_DOMAINS} <= set(SCENARIO_IDS)


def test_stream_length_and_roles(scenario) -> None:
    assert scenario.num_domains == DOMAINS_BY_ID.get(scenario.spec.id, EXPECTED_DOMAINS[scenario.spec.name])
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


@pytest.mark.parametrize(("scenario_id", "targets"), list(PINNED), ids=[i for i, _ in PINNED])
def test_old_ids_stay_pinned(scenario_id: str, targets: int | None) -> None:
    options = {} if targets is None else {"targets": targets}
    assert lp.make(scenario_id, **options).fingerprint() == PINNED[scenario_id, targets]


def test_cross_dataset_v2_shift_is_real() -> None:
    scenario = lp.make("cross_dataset-v2")
    rows = {row["domain"]: row for row in summary_table([scenario.test_data(i) for i in range(3)])}
    lab, studio, outdoor = rows["h36m_like"], rows["3dhp_like"], rows["3dpw_like"]
    # 2D scale: the portrait phone close by sees people bigger; the studio's wider lens smaller
    assert outdoor["box_scale_mean"] > 2 * lab["box_scale_mean"] > 2 * studio["box_scale_mean"]
    # a hand-held phone keeps its distance; the lab's subjects walk about before fixed cameras
    assert outdoor["depth_std"] < lab["depth_std"] / 2 and outdoor["depth_mean"] < lab["depth_mean"] - 1
    # joint angles: everyday outdoor motion keeps knees straighter and the range narrower
    assert outdoor["left_knee_angle_mean"] > lab["left_knee_angle_mean"] + 5
    assert outdoor["angle_range_deg"] < lab["angle_range_deg"] - 10
    # bone lengths: other bodies and keypoint conventions
    assert abs(outdoor["bone_length_mean_mm"] - lab["bone_length_mean_mm"]) > 10


def test_cross_dataset_v0_shift_is_real() -> None:
    scenario = lp.make("cross_dataset-v0")
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
    assert max(legs) - min(legs) > 40  # subjects' legs differ by centimetres
    cameras = {tuple(row) for i in range(5) for row in scenario.test_data(i).intrinsics.unique(dim=0).tolist()}
    assert len(cameras) == 4  # Human3.6M's four cameras, the same for every subject


def test_v2_is_newest_and_v0_v1_keep_their_definitions() -> None:
    """v2 is the world shaped like Human3.6M; v1 made subjects differ in build, pace and handedness;
    v0 keeps its meaning (pinned ids)."""
    for name in EXPECTED_DOMAINS:
        assert lp.make(name).spec.id == f"{name}-v2"
    v0, v1 = lp.make("cross_scenario-v0"), lp.make("cross_scenario-v1")
    assert [d.bodies.height_mean for d in v0.domains] == [1.05] * 5
    heights = [d.bodies.height_mean for d in v1.domains]
    assert heights[0] < min(heights[1:]) and max(heights) - heights[0] > 0.15
    assert v1.domains[0].motion.mirror_prob == 0 and max(d.motion.mirror_prob for d in v1.domains) == 0.5
    legs = [row["leg_length_mm"] for row in summary_table([v1.test_data(i) for i in range(5)])]
    assert min(legs[1:]) - legs[0] > 30  # every target subject has longer legs than the source
