"""Real-data readers on tiny files in each exact format: poses, cameras, joint order, units."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
import real_files as rf
import torch

from lifelong_pose.datasets.build import DataFolder, select
from lifelong_pose.datasets.files import DataFileError, MissingDataFile
from lifelong_pose.datasets.fit import fit_intrinsics, fit_root
from lifelong_pose.datasets.h36m import read_h36m
from lifelong_pose.datasets.h36m_cameras import CAMERA_IDS, h36m_camera_pose
from lifelong_pose.datasets.hp3d import read_hp3d
from lifelong_pose.datasets.pw3d import read_pw3d
from lifelong_pose.datasets.sequences import PoseSequence, to_domain_data
from lifelong_pose.datasets.spec import RealDomainSpec, Selection
from lifelong_pose.geometry.skeleton import COMMON16, H36M17


def _views(sequences: list[PoseSequence], subject: str, action: str) -> list[PoseSequence]:
    return [s for s in sequences if s.subject == subject and s.action == action]


# -- Human3.6M ---------------------------------------------------------------------------------
def test_h36m_camera_pose_matches_videopose3d_quaternion_formula() -> None:
    X = rf.world_motion(5, 0)
    for index, camera in enumerate(CAMERA_IDS):
        rotation, centre = h36m_camera_pose("S9", camera)
        np.testing.assert_allclose((X - centre) @ rotation.T, rf.h36m_world_to_camera(X, "S9", index), atol=1e-6)
        # the subject stands 4-6 m in front of every camera
        assert 3.5 < ((X - centre) @ rotation.T)[..., 2].mean() < 6.5


def test_h36m_reader_poses_cameras_joint_order_units(tmp_path: Path) -> None:
    written = rf.write_h36m(tmp_path, subjects=("S1", "S9"), frames=20)
    views = read_h36m(tmp_path)
    assert len(views) == 2 * 5 * 4  # subjects x actions x cameras
    walking = _views(views, "S9", "Walking 1")
    assert [v.camera for v in walking] == list(CAMERA_IDS)
    for index, view in enumerate(walking):
        expected = rf.h36m_world_to_camera(written["S9"]["Walking 1"], "S9", index)
        np.testing.assert_allclose(view.X3d, expected, atol=1e-5)  # metres, float32 file
        assert view.x2d_px.shape == (20, 17, 2)  # the 2 extra 2D frames are cut at the end
        assert view.layout == "h36m17" and view.fps == 50.0
        assert view.image_size == ((1000, 1002) if view.camera in ("54138969", "60457274") else (1000, 1000))
        np.testing.assert_allclose(view.intrinsics_px[:4], rf.INTRINSICS[view.camera][:4])
    left_wrist = H36M17.index("LWrist")
    np.testing.assert_allclose(walking[0].X3d[:, left_wrist], rf.h36m_world_to_camera(
        written["S9"]["Walking 1"][:, 13], "S9", 0), atol=1e-5)  # fmt: skip
    # the 2D is the projection of the 3D with the camera's distortion: the conversion agrees with it
    data = to_domain_data(walking, name="S9", layout="h36m17", labelled=True, split="test")
    from lifelong_pose.geometry.camera import project_to_2d

    reprojected = project_to_2d(data.X3d.double() + data.root.double()[:, None], data.intrinsics.double())
    assert (reprojected - data.x2d.double()).abs().max() < 1e-4


def test_h36m_2d_shorter_than_3d_is_an_error(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), frames=20, extra_2d_frames=0)
    content = dict(np.load(tmp_path / "data_2d_h36m_gt.npz", allow_pickle=True))
    positions = content["positions_2d"].item()
    positions["S1"]["Walking"][2] = positions["S1"]["Walking"][2][:-3]
    np.savez(tmp_path / "data_2d_h36m_gt.npz", positions_2d=positions, metadata=content["metadata"])
    with pytest.raises(DataFileError, match=r"\[2\] has 17 frames, fewer than the 3D's 20"):
        read_h36m(tmp_path)


def test_h36m_takes_split_never_shares_a_take(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking", "Walking 1", "Eating 1", "Eating 2", "Sitting"))
    views = read_h36m(tmp_path)
    train = {v.action for v in select(views, Selection(subjects=("S1",), takes="all_but_last"), "S1")}
    test = {v.action for v in select(views, Selection(subjects=("S1",), takes="last"), "S1")}
    assert train == {"Walking", "Eating 1", "Sitting"}  # an action recorded once stays in train
    assert test == {"Walking 1", "Eating 2"}
    with pytest.raises(ValueError, match=r"no subject \['S5'\]; it has \['S1'\]"):
        select(views, Selection(subjects=("S5",)), "h36m_S5 (train)")


def _json_camera(res_w: int) -> dict:
    """A ``cameras.json`` entry: camera 54138969's lens, identity rotation, centre 5 m behind the origin."""
    K = rf.INTRINSICS["54138969"]
    return {
        "id": "c", "res_w": res_w, "res_h": 1002, "focal_length": list(K[:2]), "center": list(K[2:4]),
        "radial_distortion": list(K[4:7]), "tangential_distortion": list(K[7:]),
        "orientation": [1.0, 0.0, 0.0, 0.0], "translation": [0.0, 0.0, -5000.0],
    }  # fmt: skip


def test_h36m_cameras_json_replaces_the_table_and_is_checked(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking",))
    (tmp_path / "cameras.json").write_text(json.dumps({"S1": [_json_camera(res_w=1000)] * 4}))
    views = read_h36m(tmp_path)
    raw = np.load(tmp_path / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()["S1"]["Walking"]
    np.testing.assert_allclose(views[0].X3d, raw[:, rf.KEPT_32] + [0, 0, 5], atol=1e-5)  # identity rotation
    (tmp_path / "cameras.json").write_text(json.dumps({"S1": [{"id": "c"}]}))
    with pytest.raises(
        DataFileError, match=r"cameras.json: subject 'S1' has a malformed camera \(KeyError\('focal_length'\)\)"
    ):
        read_h36m(tmp_path)
    (tmp_path / "cameras.json").write_text("{not json")
    with pytest.raises(DataFileError, match="is not valid JSON"):
        read_h36m(tmp_path)


def test_h36m_subject_without_calibration(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking",))
    content = np.load(tmp_path / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()
    content["S2"] = content["S1"]
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=content)
    content_2d = dict(np.load(tmp_path / "data_2d_h36m_gt.npz", allow_pickle=True))
    positions = content_2d["positions_2d"].item()
    positions["S2"] = positions["S1"]
    np.savez(tmp_path / "data_2d_h36m_gt.npz", positions_2d=positions, metadata=content_2d["metadata"])
    with pytest.raises(DataFileError, match=r"subject 'S2' has no published H3\.6M calibration and cameras\.json"):
        read_h36m(tmp_path)


def test_h36m_cpn_file_is_read_when_asked(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), keypoints="cpn_ft_h36m_dbb")
    assert len(read_h36m(tmp_path, keypoints="cpn_ft_h36m_dbb")) == 5 * 4
    with pytest.raises(MissingDataFile, match=r"data_2d_h36m_gt\.npz not found"):
        read_h36m(tmp_path, keypoints="gt")


# -- MPI-INF-3DHP ------------------------------------------------------------------------------
def test_3dhp_pstmo_test_reorders_joints_converts_mm_and_knows_cameras(tmp_path: Path) -> None:
    written = rf.write_hp3d_pstmo_test(tmp_path)
    views = {v.subject: v for v in read_hp3d(tmp_path, "test")}
    assert sorted(views) == ["TS1", "TS2", "TS3", "TS4", "TS5", "TS6"]
    for name, (X, x, valid) in written.items():
        view = views[name]
        np.testing.assert_allclose(view.X3d, X, atol=1e-9)  # H3.6M order, metres
        np.testing.assert_allclose(view.x2d_px, x, atol=1e-9)
        np.testing.assert_array_equal(view.valid, valid > 0)
    assert views["TS1"].image_size == (2048, 2048) and views["TS5"].image_size == (1920, 1080)
    assert views["TS5"].intrinsics_px[4] == pytest.approx(-0.276859611)  # TS5-6 have distortion
    # head_top is H3.6M's Head, the neck its Thorax
    head = H36M17.index("Head")
    assert views["TS2"].X3d[0, head, 1] == pytest.approx(written["TS2"][0][0, head, 1])


def test_3dhp_valid_mask_drops_frames_and_cuts_sequences(tmp_path: Path) -> None:
    rf.write_hp3d_pstmo_test(tmp_path, frames=12)
    views = read_hp3d(tmp_path, "test")
    masked = to_domain_data(views, name="3dhp", layout="common16", labelled=False, split="test")
    full = to_domain_data(views, name="3dhp", layout="common16", labelled=False, split="test", valid_mask=False)
    assert len(full) == 6 * 12 and len(masked) == 6 * 11
    assert masked.num_sequences == 12  # every sequence is cut in two at its invalid frame
    assert full.num_sequences == 6
    # mixed resolutions are normalised per frame: every frame's 2D lies inside its image
    assert masked.x2d[..., 0].abs().max() <= 1.0
    assert masked.layout_name == "common16" and masked.x2d.shape[1] == 16


def test_3dhp_adaptpose_test_layout(tmp_path: Path) -> None:
    written = rf.write_hp3d_adaptpose_test(tmp_path, frames=110)
    views = {v.subject: v for v in read_hp3d(tmp_path, "test")}
    np.testing.assert_allclose(views["TS1"].X3d, written["TS1"][0], atol=1e-9)
    assert views["TS1"].layout == "common16"
    data = to_domain_data([views["TS3"]], name="3dhp", layout="common16", labelled=False, split="test")
    assert len(data) == 10  # AdaptPose drops TS3's and TS4's first 100 frames
    assert len(to_domain_data([views["TS5"]], name="x", layout="common16", labelled=False, split="test")) == 110


def test_3dhp_poseaug_layout_recovers_the_root(tmp_path: Path) -> None:
    X, x = rf.write_hp3d_poseaug_test(tmp_path, studio=6)
    (view,) = read_hp3d(tmp_path, "test")
    assert view.subject == "TS1-4" and view.independent_frames
    np.testing.assert_allclose(view.X3d, X, atol=1e-6)  # root solved exactly from the 2D
    np.testing.assert_allclose(view.x2d_px, x, atol=1e-6)
    data = to_domain_data([view], name="3dhp", layout="common16", labelled=False, split="test")
    assert data.num_sequences == 6  # no sequence ids: every frame stands alone


def test_3dhp_test_files_are_read_in_order_of_preference(tmp_path: Path) -> None:
    rf.write_hp3d_poseaug_test(tmp_path)
    rf.write_hp3d_pstmo_test(tmp_path)
    assert {v.subject for v in read_hp3d(tmp_path, "test")} == {"TS1", "TS2", "TS3", "TS4", "TS5", "TS6"}


def test_3dhp_pstmo_train_fits_the_cameras(tmp_path: Path) -> None:
    written = rf.write_hp3d_pstmo_train(tmp_path)
    views = read_hp3d(tmp_path, "train")
    assert {(v.subject, v.action, v.camera) for v in views} == {
        ("S1", "Seq1", "0"), ("S1", "Seq1", "2"), ("S2", "Seq1", "0"), ("S2", "Seq1", "2")
    }  # fmt: skip
    for view in views:
        X, _ = written[(f"{view.subject} {view.action}", view.camera)]
        np.testing.assert_allclose(view.X3d, X, atol=1e-9)
        np.testing.assert_allclose(view.intrinsics_px[:4], [1497.7, 1497.2, 1024.1, 1030.5], atol=1e-6)
    assert sorted(v.fps for v in views) == [25.0, 25.0, 50.0, 50.0]


def test_3dhp_adaptpose_train_is_2d_only_in_h36m_order(tmp_path: Path) -> None:
    x = rf.write_hp3d_adaptpose_train(tmp_path)
    views = read_hp3d(tmp_path, "train")
    assert [(v.subject, v.action, v.camera) for v in views] == [("S1", "Seq1", "0"), ("S1", "Seq1", "1")]
    np.testing.assert_allclose(views[0].x2d_px, x)  # right limbs first again
    assert views[0].X3d is None and views[0].image_size == (2048, 2048)
    data = to_domain_data(views, name="3dhp", layout="common16", labelled=False, split="train")
    assert not data.has_3d and len(data) == 12


def test_3dhp_missing_names_every_accepted_file(tmp_path: Path) -> None:
    with pytest.raises(MissingDataFile, match=r"None of data_test_3dhp\.npz, data_3dhp_gt_test\.npz, test_3dhp\.npz"):
        read_hp3d(tmp_path, "test")
    with pytest.raises(MissingDataFile, match="training set, for the inductive protocol"):
        read_hp3d(tmp_path, "train")


# -- 3DPW --------------------------------------------------------------------------------------
def test_3dpw_reader_swaps_test_legs_and_solves_the_root(tmp_path: Path) -> None:
    written = rf.write_pw3d(tmp_path)
    for part in ("train", "test"):
        (view,) = read_pw3d(tmp_path, part)
        X, x = written[part]
        np.testing.assert_allclose(view.X3d, X, atol=1e-6)  # leg order restored, root recovered
        np.testing.assert_allclose(view.x2d_px, x, atol=1e-6)
        assert view.image_size == (1080, 1920) and view.layout == "common16"
    (test,) = read_pw3d(tmp_path, "test")
    right_knee = COMMON16.index("RKnee")
    assert test.X3d[0, right_knee, 0] < test.X3d[0, 0, 0]  # the template's right leg is at -x


# -- conversion --------------------------------------------------------------------------------
def test_to_domain_data_conventions(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking",), frames=20)
    views = read_h36m(tmp_path)
    data = to_domain_data(views, name="h", layout="common16", labelled=True, split="train", stride=4)
    assert len(data) == 4 * 5 and data.fps == 12.5  # 20 frames at stride 4, per camera
    assert data.x2d.shape == (20, 16, 2)
    assert torch.all(data.X3d[:, 0] == 0)  # root-relative
    np.testing.assert_allclose(data.root[:5].numpy(), views[0].X3d[::4, 0], atol=1e-5)
    # H36M17 -> common16 drops Neck/Nose only
    np.testing.assert_allclose(
        (data.X3d[:5, COMMON16.index("Head")] + data.root[:5]).numpy(),
        views[0].X3d[::4, H36M17.index("Head")],
        atol=1e-5,
    )
    assert data.camera_id.unique().tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="stride must be >= 1"):
        to_domain_data(views, name="h", layout="h36m17", labelled=True, split="train", stride=0)
    sixteen = PoseSequence("s", "a", "c", np.zeros((2, 16, 2)), None, np.ones(9), (10, 10), "common16", 25.0)
    with pytest.raises(ValueError, match="common16 joints; a h36m17 stream cannot be made from it"):
        to_domain_data([sixteen], name="x", layout="h36m17", labelled=False, split="train")
    with pytest.raises(ValueError, match="has no 3D, which this split needs"):
        to_domain_data([sixteen], name="x", layout="common16", labelled=False, split="test")


def test_fits_recover_known_cameras() -> None:
    X = rf.camera_frame_motion(6, 3, depth=4.2)
    K = np.array([1400.0, 1410.0, 500.0, 480.0, 0, 0, 0, 0, 0])
    x = rf.project(X, K)
    fitted, residual = fit_intrinsics(X, x)
    np.testing.assert_allclose(fitted, K, atol=1e-6)
    assert residual < 1e-6
    np.testing.assert_allclose(fit_root(X - X[:, :1], x, np.broadcast_to(K, (6, 9))), X[:, 0], atol=1e-9)
    with pytest.raises(ValueError, match="not in front of the camera"):
        fit_intrinsics(X * np.array([1, 1, -1]), x)


def test_real_domain_spec_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="dataset must be one of h36m, 3dhp, 3dpw"):
        RealDomainSpec("x", "mpii")
    with pytest.raises(ValueError, match="3dhp has no Neck/Nose joint; use the common16 layout"):
        RealDomainSpec("x", "3dhp")
    with pytest.raises(ValueError, match="transductive is for targets"):
        RealDomainSpec("x", "h36m", labelled=True, protocol="transductive")
    with pytest.raises(ValueError, match="test_stride must be an int >= 1"):
        RealDomainSpec("x", "h36m", test_stride=0)
    with pytest.raises(ValueError, match="takes must be one of all, all_but_last, last"):
        Selection(takes="middle")


# -- bad input: clear errors, folder untouched ------------------------------------------------
def _snapshot(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def _rewrite_3d(root: Path, change) -> None:
    content = np.load(root / "data_3d_h36m.npz", allow_pickle=True)["positions_3d"].item()
    change(content)
    np.savez(root / "data_3d_h36m.npz", positions_3d=content)


def _millimetres(content: dict) -> None:
    content["S1"]["Walking"] = content["S1"]["Walking"] * 1000


def _nan(content: dict) -> None:
    content["S1"]["Walking"][3, 5, 1] = np.nan


def _wrong_shape(content: dict) -> None:
    content["S1"]["Walking"] = content["S1"]["Walking"][:, :17]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_millimetres, r"median bone length of 2\d\d\.?\d*, not metres \(it looks like millimetres\)"),
        (_nan, r"positions_3d\['S1'\]\['Walking'\] has 1 NaN or infinite values"),
        (_wrong_shape, r"must have shape \(N, 32, 3\), got \(30, 17, 3\)"),
    ],
    ids=["millimetres", "nan", "shape"],
)
def test_bad_h36m_values_are_named(tmp_path: Path, change, message: str) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",))
    _rewrite_3d(tmp_path, change)
    before = _snapshot(tmp_path)
    with pytest.raises(DataFileError, match=message):
        read_h36m(tmp_path)
    assert _snapshot(tmp_path) == before


def test_wrong_key_truncated_and_missing_files(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",))
    np.savez(tmp_path / "data_3d_h36m.npz", poses=np.zeros(3))
    with pytest.raises(DataFileError, match=r"data_3d_h36m.npz has no key 'positions_3d'; it has \['poses'\]"):
        read_h36m(tmp_path)
    rf.write_h36m(tmp_path, subjects=("S1",))
    raw = (tmp_path / "data_2d_h36m_gt.npz").read_bytes()
    (tmp_path / "data_2d_h36m_gt.npz").write_bytes(raw[: len(raw) // 2])
    before = _snapshot(tmp_path)
    with pytest.raises(DataFileError, match=r"not a readable \.npz archive"):
        read_h36m(tmp_path)
    assert _snapshot(tmp_path) == before
    (tmp_path / "data_3d_h36m.npz").unlink()
    with pytest.raises(
        MissingDataFile, match=r"data_3d_h36m.npz not found in .* \(needed for Human3.6M in scenario X\)"
    ):
        DataFolder(tmp_path, scenario="X").views("h36m", "all")


def test_bad_3dhp_and_3dpw_files(tmp_path: Path) -> None:
    rf.write_hp3d_pstmo_test(tmp_path)
    content = np.load(tmp_path / "data_test_3dhp.npz", allow_pickle=True)["data"].item()
    content["TS2"]["data_3d"] = content["TS2"]["data_3d"] / 1000  # metres where millimetres belong
    np.savez(tmp_path / "data_test_3dhp.npz", data=content)
    with pytest.raises(DataFileError, match=r"data\['TS2'\]\['data_3d'\] / 1000 has a median bone length of 0.00025"):
        read_hp3d(tmp_path, "test")
    rf.write_pw3d(tmp_path)
    np.savez(tmp_path / "data_3dpw_gt_test.npz", positions_2d=np.zeros((4, 16, 2)), positions_3d=np.zeros((5, 16, 3)))
    with pytest.raises(DataFileError, match=r"positions_2d must have shape \(5, 16, 2\), got \(4, 16, 2\)"):
        read_pw3d(tmp_path, "test")


# -- review follow-ups: gaps, distortion, masks, malformed content -----------------------------
def test_stride_never_bridges_an_invalid_gap() -> None:
    valid = np.ones(20, bool)
    valid[10] = False
    sequence = PoseSequence(
        "s", "a", "c", np.zeros((20, 16, 2)), rf.camera_frame_motion(20, 0)[:, rf.WITHOUT_NOSE], rf.TS_STUDIO,
        (2048, 2048), "common16", 50.0, valid=valid,
    )  # fmt: skip
    data = to_domain_data([sequence], name="x", layout="common16", labelled=True, split="test", stride=4)
    assert data.num_sequences == 2  # frames 0, 4, 8 | 11, 15, 19
    assert data.frame_index.tolist() == [0, 1, 2, 0, 1, 2]
    np.testing.assert_allclose(data.root[3].numpy(), sequence.X3d[11, 0], atol=1e-6)


def test_poseaug_outdoor_frames_distortion_and_masked_joints(tmp_path: Path) -> None:
    X, _ = rf.write_hp3d_poseaug_test(tmp_path, studio=2207, outdoor=4)
    content = dict(np.load(tmp_path / "test_3dhp.npz"))
    content["pose2d"][2208, 5] = 0.0  # PoseAug zeroes a masked joint
    np.savez(tmp_path / "test_3dhp.npz", **content)
    studio, outdoor = read_hp3d(tmp_path, "test")
    assert (studio.subject, len(studio.x2d_px), outdoor.subject, len(outdoor.x2d_px)) == ("TS1-4", 2207, "TS5-6", 4)
    assert outdoor.image_size == (1920, 1080) and outdoor.intrinsics_px[4] == pytest.approx(-0.276859611)
    assert not outdoor.visible[1, 5] and outdoor.visible.sum() == 4 * 16 - 1
    np.testing.assert_allclose(outdoor.X3d, X[2207:], atol=1e-4)  # root through the lens distortion
    np.testing.assert_allclose(studio.X3d[:50], X[:50], atol=1e-6)
    data = to_domain_data([outdoor], name="3dhp", layout="common16", labelled=False, split="test")
    assert data.window_indices(3).tolist() == [[i, i, i] for i in range(4)]  # frames stand alone


def test_consistent_root_keeps_agreeing_3d_and_refits_the_rest() -> None:
    from lifelong_pose.datasets.fit import consistent_root

    X = rf.camera_frame_motion(5, 1, depth=5.0)
    K = np.array([1961.0, 1961.0, 540.0, 960.0, 0, 0, 0, 0, 0])
    x = rf.project(X, K)
    assert consistent_root(X, x, K) is X  # already consistent: untouched
    other_camera = rf.project(X, K * np.array([1.3, 1.3, 1, 1, 1, 1, 1, 1, 1]))
    refit = consistent_root(X, other_camera, K)
    np.testing.assert_allclose(refit - refit[:, :1], X - X[:, :1], atol=1e-9)  # same pose
    before = np.abs(rf.project(X, K) - other_camera).max()
    after = np.abs(rf.project(refit, K) - other_camera).max()
    assert before > 50 and after < 2  # a focal error is absorbed by depth, up to perspective (px)
    np.testing.assert_allclose(consistent_root(X - X[:, :1], x, K), X, atol=1e-6)  # root-relative: solved


def test_data_folder_parses_each_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking",))
    import lifelong_pose.datasets.build as build

    calls = []
    monkeypatch.setattr(build, "read_h36m", lambda *a, **k: calls.append(a) or read_h36m(*a[:1]))
    folder = DataFolder(tmp_path)
    for _ in range(3):
        folder.views("h36m", "all")
    assert len(calls) == 1


def _corrupt_2d_subject(root: Path) -> None:
    content = dict(np.load(root / "data_2d_h36m_gt.npz", allow_pickle=True))
    positions = content["positions_2d"].item()
    positions["S1"] = 7
    np.savez(root / "data_2d_h36m_gt.npz", positions_2d=positions, metadata=content["metadata"])


def _visible_without_action(root: Path) -> None:
    content = dict(np.load(root / "data_2d_h36m_gt.npz", allow_pickle=True))
    np.savez(root / "data_2d_h36m_gt.npz", positions_2d=content["positions_2d"], visible={"S1": {}})


def _cameras_not_a_list(root: Path) -> None:
    (root / "cameras.json").write_text(json.dumps({"S1": 3}))


def _cameras_zero_width(root: Path) -> None:
    (root / "cameras.json").write_text(json.dumps({"S1": [_json_camera(res_w=0)] * 4}))


def _views_not_a_list(root: Path) -> None:
    content = dict(np.load(root / "data_2d_h36m_gt.npz", allow_pickle=True))
    positions = content["positions_2d"].item()
    positions["S1"]["Walking"] = 5
    np.savez(root / "data_2d_h36m_gt.npz", positions_2d=positions, metadata=content["metadata"])


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (_corrupt_2d_subject, r"positions_2d\['S1'\] must be a dict, got int"),
        (_visible_without_action, r"data_2d_h36m_gt\.npz .*KeyError: 'Walking'"),
        (_cameras_not_a_list, r"subject 'S1' has a malformed camera"),
        (_cameras_zero_width, r"res_w and res_h must be positive"),
        (_views_not_a_list, r"must be a list of 4 camera views \(one per calibrated camera\), got int"),
    ],
    ids=["2d-subject", "visible", "cameras-type", "cameras-size", "views-type"],
)
def test_malformed_content_is_a_data_file_error(tmp_path: Path, corrupt, message: str) -> None:
    from lifelong_pose.datasets.check import check_folder

    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking",))
    corrupt(tmp_path)
    with pytest.raises(DataFileError, match=message):
        read_h36m(tmp_path)
    report = check_folder(tmp_path, ["cross_scenario"], fingerprints=False)
    assert report.parts[0].status == "corrupt" and report.exit_code == 3


def test_selection_parts_are_checked_per_dataset() -> None:
    with pytest.raises(ValueError, match="the train split of 3dpw reads its 'train' file, not 'all'"):
        RealDomainSpec("x", "3dpw", layout="common16", train=Selection(part="all"), test=Selection(part="test"))
    with pytest.raises(ValueError, match=r"H3\.6M is one file"):
        RealDomainSpec("x", "h36m", test=Selection(part="test"))
    with pytest.raises(ValueError, match=r"takes select H3\.6M's repeated actions; 3dhp has none"):
        RealDomainSpec(
            "x", "3dhp", layout="common16", train=Selection(part="train"), test=Selection(part="test", takes="last")
        )


def test_normalised_2d_where_pixels_belong_is_refused_with_the_statistic(tmp_path: Path) -> None:
    from lifelong_pose.datasets.check import check_folder

    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking",))
    content = dict(np.load(tmp_path / "data_2d_h36m_gt.npz", allow_pickle=True))
    positions = content["positions_2d"].item()
    width = 1000.0  # H3.6M's cameras are 1000 pixels wide: pixels -> [-1, 1]
    positions["S1"]["Walking"] = [view / width * 2 - 1 for view in positions["S1"]["Walking"]]
    np.savez(tmp_path / "data_2d_h36m_gt.npz", positions_2d=positions, metadata=content["metadata"])
    message = r"looks like normalised coordinates \(99th percentile of \|x\| is 0\.\d+\), but this file holds pixels"
    with pytest.raises(DataFileError, match=message):
        read_h36m(tmp_path)
    report = check_folder(tmp_path, ["cross_scenario"], fingerprints=False)
    assert report.parts[0].status == "corrupt" and report.exit_code == 3


def test_pixels_outside_the_image_are_refused(tmp_path: Path) -> None:
    rf.write_h36m(tmp_path, subjects=("S1",), actions=("Walking",))
    content = dict(np.load(tmp_path / "data_2d_h36m_gt.npz", allow_pickle=True))
    positions = content["positions_2d"].item()
    positions["S1"]["Walking"] = [view * 10 for view in positions["S1"]["Walking"]]  # ten times too far out
    np.savez(tmp_path / "data_2d_h36m_gt.npz", positions_2d=positions, metadata=content["metadata"])
    with pytest.raises(DataFileError, match=r"only \d+% of its joints within a 1000x100\d image"):
        read_h36m(tmp_path)


def test_pixels_where_normalised_coordinates_belong_are_refused(tmp_path: Path) -> None:
    rf.write_pw3d(tmp_path)
    content = dict(np.load(tmp_path / "data_3dpw_gt_test.npz"))
    np.savez(
        tmp_path / "data_3dpw_gt_test.npz",
        positions_2d=content["positions_2d"] * 540 + 540,
        positions_3d=content["positions_3d"],
    )
    with pytest.raises(DataFileError, match=r"positions_2d looks like pixels \(99th percentile of \|x\| is \d+"):
        read_pw3d(tmp_path, "test")
