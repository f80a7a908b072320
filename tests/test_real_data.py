"""Real-data scenarios, ``data check``, ``data export`` round trips, protocols and flip testing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import real_files as rf
import torch

import lifelong_pose as lp
from lifelong_pose.cli.main import main
from lifelong_pose.datasets.files import MissingDataFile
from lifelong_pose.datasets.hp3d import read_poseaug_file
from lifelong_pose.datasets.sequences import PoseSequence, to_domain_data
from lifelong_pose.geometry.skeleton import COMMON16, H36M17
from lifelong_pose.geometry.transforms import flip_horizontally


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rf.write_complete_folder(tmp_path_factory.mktemp("real"))


def _snapshot(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


# -- scenarios on real data --------------------------------------------------------------------
def test_cross_dataset_real_domains_and_protocols(data_root: Path) -> None:
    scenario = lp.make("cross_dataset", data="real", data_root=str(data_root))
    assert scenario.domain_names == ["h36m", "3dhp", "3dpw"]
    assert scenario.protocols == ["inductive", "transductive", "inductive"]
    assert scenario.pck_domains == ["3dhp"]
    source = scenario.train_data(0)
    assert source.has_3d and source.split == "train" and source.layout_name == "common16"
    assert scenario.test_data(0).body_id.unique().numel() == 2  # S9 and S11
    hp3d = scenario.train_data(1)  # transductive: the test split's 2D, without its 3D
    assert not hp3d.has_3d and hp3d.split == "test"
    assert torch.equal(hp3d.x2d, scenario.test_data(1).x2d)
    assert scenario.train_data(2).split == "train" and not scenario.train_data(2).has_3d
    inductive = lp.make("cross_dataset", data="real", data_root=str(data_root), protocol="inductive")
    assert inductive.train_data(1).split == "train" and len(inductive.train_data(1)) > 0


def test_inductive_3dhp_without_its_training_set_names_the_files(data_root: Path, tmp_path: Path) -> None:
    for name in ("data_3d_h36m.npz", "data_2d_h36m_gt.npz", "data_test_3dhp.npz"):
        (tmp_path / name).write_bytes((data_root / name).read_bytes())
    scenario = lp.make("cross_dataset", data="real", data_root=str(tmp_path), protocol="inductive")
    with pytest.raises(MissingDataFile, match=r"data_train_3dhp\.npz, data_3dhp_gt_train\.npz found"):
        scenario.train_data(1)
    transductive = lp.make("cross_dataset", data="real", data_root=str(tmp_path))
    assert len(transductive.train_data(1)) == len(transductive.test_data(1))  # needs no training set


def test_cross_scenario_and_cross_camera_real(data_root: Path) -> None:
    scenario = lp.make("cross_scenario", data="real", data_root=str(data_root))
    assert scenario.domain_names == ["h36m_S1", "h36m_S5", "h36m_S6", "h36m_S7", "h36m_S8"]
    train, test = scenario.train_data(2), scenario.test_data(2)
    assert set(train.actions).isdisjoint(test.actions)  # takes never shared
    cameras = lp.make("cross_camera", data="real", data_root=str(data_root))
    assert cameras.num_domains == 4 and cameras.layout == "h36m17"
    assert all(cameras.test_data(i).camera_id.unique().tolist() == [0] for i in range(4))
    assert cameras.test_data(1).image_size[0].tolist() == [1000, 1000]  # 55011271
    assert cameras.test_data(0).image_size[0].tolist() == [1000, 1002]  # 54138969


def test_real_options_are_checked(data_root: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a folder"):
        lp.make("cross_dataset", data="real", data_root=str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="Unknown protocol 'both'"):
        lp.make("cross_dataset", data="real", data_root=str(data_root), protocol="both")
    with pytest.raises(ValueError, match="Unknown h36m_2d 'sh'"):
        lp.make("cross_dataset", data="real", data_root=str(data_root), h36m_2d="sh")


def test_real_only_options(data_root: Path, tiny_scenario: str) -> None:
    with pytest.raises(ValueError, match="data_root is only read with data='real'"):
        lp.make(tiny_scenario, data_root=str(data_root))
    masked = lp.make("cross_dataset", data="real", data_root=str(data_root))
    unmasked = lp.make("cross_dataset", data="real", data_root=str(data_root), valid_mask=False)
    assert len(unmasked.test_data(1)) == len(masked.test_data(1)) + 6  # one invalid frame per sequence
    cpn = lp.make("cross_dataset", data="real", data_root=str(data_root), h36m_2d="cpn_ft_h36m_dbb")
    with pytest.raises(
        MissingDataFile, match=r"data_2d_h36m_cpn_ft_h36m_dbb\.npz not found .*scenario cross_dataset-v2"
    ):
        cpn.train_data(0)


def test_transductive_protocol_in_the_simulated_world(tiny_scenario: str) -> None:
    scenario = lp.make(tiny_scenario, protocol="transductive")
    assert scenario.protocols == ["inductive", "transductive", "transductive"]
    assert scenario.train_data(0).split == "train"
    adapted = scenario.train_data(1)
    assert adapted.split == "test" and not adapted.has_3d
    assert torch.equal(adapted.x2d, scenario.test_data(1).x2d)


def test_run_on_real_files_records_the_backend(data_root: Path, tmp_path: Path) -> None:
    before = _snapshot(data_root)
    out = tmp_path / "run"
    argv = ["run", "--scenario", "cross_dataset", "--data", "real", "--data-root", str(data_root)]
    argv += ["--strategy", "source_only", "--epochs", "1", "--quiet", "--no-report", "--out", str(out), "--test-flip"]
    argv += ["--no-valid-mask"]
    assert main(argv) == 0
    record = json.loads((out / "seed-0" / "result.json").read_text())
    assert record["data"]["backend"] == "real"
    assert record["data"]["protocols"] == ["inductive", "transductive", "inductive"]
    assert record["data"]["data_root"] == str(data_root.resolve()) and record["data"]["valid_mask"] is False
    assert record["evaluation"]["test_flip"] is True and record["evaluation"]["root_joint"] == "Hip"
    assert record["evaluation"]["pck_domains"] == ["3dhp"]
    assert np.asarray(record["matrices"]["mpjpe"]).shape == (3, 3)
    assert record["domains"] == ["h36m", "3dhp", "3dpw"]
    assert _snapshot(data_root) == before  # the data folder is only read


def test_run_real_without_data_root_says_what_to_pass(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["run", "--scenario", "cross_dataset", "--data", "real", "--strategy", "source_only", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "needs data_root (--data-root DIR)" in capsys.readouterr().err


def test_describe_real(data_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "cross_dataset", "--data", "real", "--data-root", str(data_root)]) == 0
    out = capsys.readouterr().out
    assert "transductive" in out and "S9,S11" in out and "(test 2D)" in out


# -- data check ------------------------------------------------------------------------------
def test_data_check_complete_folder(data_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(data_root)
    assert main(["data", "check", str(data_root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "ok" and all(s["ready"] for s in report["scenarios"])
    parts = {(p["dataset"], p["part"]): p for p in report["parts"]}
    assert parts[("h36m", "all")]["joints"] == 17 and parts[("3dpw", "test")]["joints"] == 16
    assert 0.2 < parts[("3dhp", "test")]["median_bone_m"] < 0.3  # metres
    digest = hashlib.sha256((data_root / "data_3d_h36m.npz").read_bytes()).hexdigest()
    assert parts[("h36m", "all")]["fingerprints"]["data_3d_h36m.npz"] == digest
    assert _snapshot(data_root) == before


def test_data_check_incomplete_folder(data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in data_root.iterdir():
        if path.name != "data_3dpw_gt_test.npz":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    assert main(["data", "check", str(tmp_path), "--no-fingerprints"]) == 1
    out = capsys.readouterr().out
    assert "cross_dataset-v0: NOT ready" in out and "3dpw (test) needs 3dpw test: missing" in out
    assert "data_3dpw_gt_test.npz not found" in out and "cross_scenario-v0: ready" in out
    assert main(["data", "check", str(tmp_path), "--scenario", "cross_scenario", "--no-fingerprints"]) == 0


def test_data_check_corrupted_folder(data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for path in data_root.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    raw = (tmp_path / "data_test_3dhp.npz").read_bytes()
    (tmp_path / "data_test_3dhp.npz").write_bytes(raw[:100])
    before = _snapshot(tmp_path)
    assert main(["data", "check", str(tmp_path), "--no-fingerprints"]) == 3
    out = capsys.readouterr().out
    assert "3dhp (test) needs 3dhp test: corrupt" in out and "not a readable .npz archive" in out
    assert "Status: corrupt (exit code 3)" in out
    assert _snapshot(tmp_path) == before


# -- export and round trip --------------------------------------------------------------------
@pytest.fixture
def human36m_stream(temporary_scenario_id: str) -> str:
    """cross_scenario-v2 with one target (S1 -> S5), both backends: seconds to export and read back."""
    scenario_id = f"{temporary_scenario_id}-v0"
    lp.scenario_registry.register(
        scenario_id, "lifelong_pose.scenarios.streams_v2:cross_scenario_v2", targets=1, backends=("sim", "real")
    )
    return scenario_id


def _videopose3d_loads(folder: Path) -> None:
    """What VideoPose3D's ``run.py -d h36m -k gt`` requires of a folder (read from its code: run.py
    65-96, common/h36m_dataset.py 63-251), checked as it checks it."""
    positions_3d = np.load(folder / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()
    content_2d = np.load(folder / "data_2d_h36m_gt.npz", allow_pickle=True)
    positions_2d, metadata = content_2d["positions_2d"].item(), content_2d["metadata"].item()
    calibrated = {"S1", "S5", "S6", "S7", "S8", "S9", "S11"}  # subjects with extrinsics in its table
    left, right = metadata["keypoints_symmetry"]
    assert sorted(left + right) == [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
    assert set(positions_2d) <= calibrated and set(positions_3d) <= set(positions_2d)
    for subject, actions in positions_3d.items():
        for action, poses in actions.items():
            assert poses.shape[1:] == (32, 3) and poses.dtype == np.float32  # remove_static_joints keeps 17
            views = positions_2d[subject][action]  # every 3D take has its 2D
            assert len(views) == 4  # the camera count of its table
            assert all(v.shape[1:] == (17, 2) and v.shape[0] >= poses.shape[0] for v in views)


def test_export_videopose3d_of_a_human36m_stream_is_a_human36m_folder(
    human36m_stream: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "h36m"
    assert main(["data", "export", "--scenario", human36m_stream, "--format", "videopose3d", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["data_2d_h36m_gt.npz", "data_3d_h36m.npz", "export.json"]
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["human36m_session"] == "h36m" and manifest["splits"]["h36m_S5/test"] == [
        "data_3d_h36m.npz",
        "data_2d_h36m_gt.npz",
    ]
    _videopose3d_loads(out)
    takes = np.load(out / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()["S1"]
    assert {"Walk", "Walk 1", "Walk 2", "Walk 3", "WalkForward", "Punch 3"} <= set(takes)
    assert takes["Walk"].shape[0] == 200  # 4 s at 50 fps: the full rate, thinned on reading like Human3.6M
    capsys.readouterr()
    assert main(["data", "check", str(out), "--scenario", human36m_stream, "--no-fingerprints"]) == 0
    assert f"{human36m_stream}: ready" in capsys.readouterr().out


def test_export_read_back_as_real_data_is_the_simulated_stream(human36m_stream: str, tmp_path: Path) -> None:
    """Bit for bit: every domain's train and test split, 2D, 3D, cameras and sequence ids alike."""
    from lifelong_pose.datasets.export import export_scenario

    simulated = lp.make(human36m_stream)
    export_scenario(simulated, tmp_path, "videopose3d")
    real = lp.make(human36m_stream, data="real", data_root=str(tmp_path))
    assert real.domain_names == simulated.domain_names == ["h36m_S1", "h36m_S5"]
    for index in range(2):
        for split in ("train", "test"):
            ours, theirs = simulated.split_with_3d(index, split), real.split_with_3d(index, split)
            assert len(ours) > 500 and ours.fingerprint() == theirs.fingerprint()
    assert real.fingerprint() == simulated.fingerprint()


def test_export_videopose3d_custom_format_for_other_domains(tiny_scenario: str, tmp_path: Path) -> None:
    """Domains that are not Human3.6M-like: VideoPose3D's custom 2D file plus a 3D file per split."""
    out = tmp_path / "custom"
    assert main(["data", "export", "--scenario", tiny_scenario, "--format", "videopose3d", "--out", str(out)]) == 0
    manifest = json.loads((out / "export.json").read_text())
    assert manifest["human36m_session"] is None and [d["name"] for d in manifest["domains"]] == ["d0", "d1", "d2"]
    scenario = lp.make(tiny_scenario)
    for index, name in enumerate(scenario.domain_names):
        for split in ("train", "test"):
            file_2d, file_3d = manifest["splits"][f"{name}/{split}"]
            assert (file_2d, file_3d) == (f"data_2d_custom_{name}_{split}.npz", f"data_3d_custom_{name}_{split}.npz")
            content_2d = np.load(out / file_2d, allow_pickle=True)
            positions_2d, metadata = content_2d["positions_2d"].item(), content_2d["metadata"].item()
            content_3d = np.load(out / file_3d, allow_pickle=True)
            positions_3d, intrinsics = content_3d["positions_3d"].item(), content_3d["intrinsics"].item()
            original = scenario.split_with_3d(index, split)
            assert set(positions_2d) == set(metadata["video_metadata"]) == set(positions_3d)
            assert metadata["num_joints"] == 17 and metadata["layout_name"] == "h36m" and metadata["keypoints_symmetry"]
            for sequence in original.sequence_id.unique().tolist():
                rows = (original.sequence_id == sequence).nonzero()[:, 0]
                video = f"seq{sequence:05d}"
                assert len(positions_2d[video]["custom"]) == 1  # one camera per video, as VideoPose3D expects
                absolute = (original.X3d + original.root[:, None])[rows].numpy()
                np.testing.assert_allclose(positions_3d[video], absolute, atol=1e-6)
                width, height = original.image_size[rows[0]].tolist()
                assert metadata["video_metadata"][video] == {"w": width, "h": height}
                back = to_domain_data(
                    [
                        PoseSequence(
                            "x", video, "c", positions_2d[video]["custom"][0], positions_3d[video],
                            intrinsics[video], (width, height), "h36m17", original.fps,
                        )
                    ],
                    name=name, layout="h36m17", labelled=True, split=split,
                )  # fmt: skip
                torch.testing.assert_close(back.x2d, original.x2d[rows], atol=1e-5, rtol=0)
                torch.testing.assert_close(back.intrinsics, original.intrinsics[rows], atol=1e-6, rtol=0)


def test_export_poseaug_round_trip_and_16_joints(tiny_scenario: str, tmp_path: Path) -> None:
    out = tmp_path / "poseaug"
    assert main(["data", "export", "--scenario", tiny_scenario, "--format", "poseaug", "--out", str(out)]) == 0
    scenario = lp.make(tiny_scenario)
    original = scenario.split_with_3d(1, "test")
    content = np.load(out / "d1_test.npz")
    assert content["pose3d"].shape == (len(original), 16, 3) and content["pose2d"].shape == (len(original), 16, 2)
    back = to_domain_data(
        read_poseaug_file(out / "d1_test.npz", "test"), name="d1", layout="common16", labelled=False, split="test"
    )
    keep = [H36M17.index(n) for n in COMMON16.joint_names]
    order = torch.argsort(original.sequence_id * 10**5 + original.frame_index)
    torch.testing.assert_close(back.X3d, original.X3d[order][:, keep], atol=1e-5, rtol=0)
    torch.testing.assert_close(back.x2d, original.x2d[order][:, keep], atol=1e-5, rtol=0)
    torch.testing.assert_close(back.intrinsics, original.intrinsics[order], atol=1e-5, rtol=0)


def test_export_keeps_each_frames_resolution(data_root: Path, tmp_path: Path) -> None:
    """3DHP mixes 2048x2048 and 1920x1080 sequences: each row keeps its own pixel intrinsics."""
    from lifelong_pose.datasets.export import export_scenario

    scenario = lp.make("cross_dataset", data="real", data_root=str(data_root))
    export_scenario(scenario, tmp_path / "x", "poseaug")
    original = scenario.test_data(1)
    back = to_domain_data(
        read_poseaug_file(tmp_path / "x" / "3dhp_test.npz", "test"), name="3dhp", layout="common16", labelled=False,
        split="test",
    )  # fmt: skip
    assert sorted(back.image_size.unique(dim=0).tolist()) == [[1920, 1080], [2048, 2048]]
    order = torch.argsort(original.sequence_id * 10**5 + original.frame_index)
    torch.testing.assert_close(back.intrinsics, original.intrinsics[order], atol=1e-5, rtol=0)
    torch.testing.assert_close(back.x2d, original.x2d[order], atol=1e-5, rtol=0)


def test_export_refuses_a_used_folder_unless_forced_and_unknown_formats(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    from lifelong_pose.datasets.export import export_scenario

    argv = ["data", "export", "--scenario", tiny_scenario, "--format", "poseaug", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "exists and is not an empty folder; choose a new one, or pass --force" in capsys.readouterr().err
    assert not (tmp_path / "export.json").exists()
    with pytest.raises(ValueError, match="Unknown export format 'bvh'"):
        export_scenario(lp.make(tiny_scenario), tmp_path / "new", "bvh")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        export_scenario(lp.make(tiny_scenario), tmp_path / "keep.txt", "poseaug")
    assert main([*argv, "--force"]) == 0
    assert (tmp_path / "export.json").exists() and (tmp_path / "keep.txt").read_text() == "mine"


# -- test-time flip ---------------------------------------------------------------------------
def test_flip_horizontally_mirrors_and_is_an_involution() -> None:
    X = torch.randn(4, 17, 3)
    flipped = flip_horizontally(X, H36M17)
    lwrist, rwrist = H36M17.index("LWrist"), H36M17.index("RWrist")
    assert torch.equal(flipped[:, rwrist, 0], -X[:, lwrist, 0]) and torch.equal(
        flipped[:, rwrist, 1:], X[:, lwrist, 1:]
    )
    assert torch.equal(flip_horizontally(flipped, H36M17), X)
    with pytest.raises(ValueError, match="expected 16 joints"):
        flip_horizontally(X, COMMON16)


class _Lifter(torch.nn.Module):
    """Lifts 2D by a fixed linear map: not mirror-symmetric, so the flip average differs."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(17 * 2, 17 * 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x[:, x.shape[1] // 2].flatten(1)).view(-1, 17, 3)


def test_flip_averaged_prediction(tiny_scenario: str) -> None:
    from lifelong_pose.data import PoseBatch
    from lifelong_pose.registry import load_entry_point
    from lifelong_pose.training import RunContext
    from lifelong_pose.training.build import build_strategy, strategy_spec_for

    spec = strategy_spec_for("source_only")
    context = RunContext(num_joints=17, layout="h36m17", test_flip=True)
    strategy = build_strategy(spec, load_entry_point(spec.entry_point), {"context": context})
    strategy.model = _Lifter()
    x = torch.randn(5, 1, 17, 2)
    expected = (strategy.model(x) + flip_horizontally(strategy.model(flip_horizontally(x, H36M17)), H36M17)) / 2
    torch.testing.assert_close(strategy.flip_averaged(x), expected)
    strategy.mbatch = PoseBatch(x, torch.zeros(5, 9), torch.zeros(5, 17, 3))
    strategy.is_training = False
    torch.testing.assert_close(strategy.forward(), expected)
    strategy.is_training = True
    torch.testing.assert_close(strategy.forward(), strategy.model(x))  # training never flips


def test_listing_shows_backends_and_real_domain_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "scenarios", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["cross_camera-v0"]["domains"] == "5 (4 real)" and rows["cross_camera-v0"]["backends"] == "sim, real"
    assert rows["cross_dataset-v0"]["domains"] == 3 and rows["long_stream-v0"]["backends"] == "sim"
