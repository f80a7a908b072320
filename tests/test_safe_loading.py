"""No code runs from a data file: a payload planted in every pickled format the suite reads is refused.

Each case writes a file of the field's format whose pickle carries an object that, when unpickled
by the full unpickler, runs ``touch MARKER`` (the test first shows that ``np.load(allow_pickle=True)``
does run it). The suite's readers must refuse the file with an error naming it and the refused
global, and the marker must never appear.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import real_files as rf
import torch

from lifelong_pose.datasets.files import DataFileError, UnsafeDataFile, open_npz
from lifelong_pose.datasets.safe_pickle import ALLOWED_GLOBALS, load_npz


class Payload:
    """Unpickled by the full unpickler, this runs a shell command that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def _h36m_3d(root: Path, payload: Payload) -> Path:
    np.savez_compressed(root / "data_3d_h36m.npz", positions_3d={"S1": {"Walking": payload}})
    return root / "data_3d_h36m.npz"


def _h36m_2d(root: Path, payload: Payload) -> Path:
    path = root / "data_2d_h36m_gt.npz"
    np.savez_compressed(path, positions_2d={"S1": {"Walking": [payload]}}, metadata={"num_joints": 17})
    return path


def _h36m_2d_metadata(root: Path, payload: Payload) -> Path:
    """The metadata beside ``cameras.json``'s subjects: a dict a reader unwraps before any check."""
    path = root / "data_2d_h36m_gt.npz"
    np.savez_compressed(path, positions_2d={"S1": {}}, metadata={"layout": payload})
    return path


def _hp3d_pstmo(root: Path, payload: Payload) -> Path:
    np.savez_compressed(root / "data_test_3dhp.npz", data={"TS1": {"data_3d": payload}})
    return root / "data_test_3dhp.npz"


def _hp3d_adaptpose(root: Path, payload: Payload) -> Path:
    path = root / "data_3dhp_gt_test.npz"
    np.savez_compressed(path, positions_2d={"TS1": [np.zeros((3, 16, 2))]}, positions_3d={"TS1": payload})
    return path


def _hp3d_poseaug(root: Path, payload: Payload) -> Path:
    pose3d = np.empty(1, dtype=object)
    pose3d[0] = payload
    np.savez_compressed(root / "test_3dhp.npz", pose3d=pose3d, pose2d=np.zeros((1, 16, 2)))
    return root / "test_3dhp.npz"


def _pw3d(root: Path, payload: Payload) -> Path:
    np.savez(root / "data_3dpw_gt_test.npz", positions_2d={"s": [payload]}, positions_3d={"s": [payload]})
    return root / "data_3dpw_gt_test.npz"


FORMATS = {
    "h36m-3d": _h36m_3d,
    "h36m-2d": _h36m_2d,
    "h36m-2d-metadata": _h36m_2d_metadata,
    "3dhp-pstmo": _hp3d_pstmo,
    "3dhp-adaptpose": _hp3d_adaptpose,
    "3dhp-poseaug": _hp3d_poseaug,
    "3dpw": _pw3d,
}


def test_the_payload_is_live_under_the_full_unpickler(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = _h36m_3d(tmp_path, Payload(marker))
    with np.load(path, allow_pickle=True) as archive:
        archive["positions_3d"]  # what the field's loaders do
    assert marker.exists()  # so the refusals below are refusals of a real attack


@pytest.mark.parametrize("write", FORMATS.values(), ids=FORMATS.keys())
def test_a_payload_in_each_format_is_refused_and_never_runs(tmp_path: Path, write: Callable[..., Path]) -> None:
    marker = tmp_path / "ran"
    path = write(tmp_path, Payload(marker))
    with pytest.raises(
        UnsafeDataFile, match=rf"{path.name}.*refused to unpickle (posix|os|nt)\.system.*nothing in it was run"
    ):
        open_npz(path, "a test")
    assert not marker.exists()


def test_data_check_reports_the_planted_file_and_nothing_runs(tmp_path: Path) -> None:
    from lifelong_pose.datasets.check import check_folder

    root = rf.write_complete_folder(tmp_path / "data")
    marker = tmp_path / "ran"
    _h36m_2d(root, Payload(marker))
    report = check_folder(root, ["cross_scenario"], fingerprints=False)
    assert report.exit_code == 3 and report.parts[0].status == "corrupt"
    assert "refused to unpickle" in report.parts[0].error
    assert not marker.exists()


def test_data_check_lists_an_extra_member_as_ignored_and_never_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An extra member (here 64 MiB of zeros, deflated to 64 KiB) in a file the check reads is
    reported, not read: only the members the readers use are ever opened."""
    from lifelong_pose.datasets.check import check_folder

    root = rf.write_complete_folder(tmp_path / "data")
    with zipfile.ZipFile(root / "data_3d_h36m.npz", "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.npy", bytes(64 << 20))
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    report = check_folder(root, ["cross_scenario"], fingerprints=False)
    assert report.exit_code == 0 and report.parts[0].status == "ok"
    assert report.parts[0].ignored == ["data_3d_h36m.npz: bomb"]
    assert "bomb.npy" not in opened and "positions_3d.npy" in opened
    from lifelong_pose.cli.main import main

    assert main(["data", "check", str(root), "--scenario", "cross_scenario", "--no-fingerprints"]) == 0
    assert "Ignored (no reader uses them; never read): data_3d_h36m.npz: bomb" in capsys.readouterr().out


def test_the_field_files_still_read_exactly(tmp_path: Path) -> None:
    rf.write_complete_folder(tmp_path)
    for path in sorted(tmp_path.glob("*.npz")):
        ours = load_npz(path)
        with np.load(path, allow_pickle=True) as theirs:
            assert sorted(ours) == sorted(theirs.files)
            for key in theirs.files:
                expected = theirs[key]
                assert ours[key].dtype == expected.dtype and ours[key].shape == expected.shape
                if expected.dtype != object:
                    np.testing.assert_array_equal(ours[key], expected)
                else:
                    assert repr(ours[key].item()) == repr(expected.item())


def test_only_plain_data_globals_are_admitted() -> None:
    assert all(module.split(".")[0] in ("numpy", "collections", "_codecs") for module, _ in ALLOWED_GLOBALS)


def test_a_truncated_archive_is_a_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "data_3d_h36m.npz"
    np.savez(path, positions_3d={"S1": {"Walking": np.zeros((2, 32, 3))}})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(DataFileError, match=r"not a readable \.npz archive"):
        open_npz(path, "a test")


def test_checkpoints_and_cache_entries_refuse_payloads(tmp_path: Path) -> None:
    from lifelong_pose.runner.checkpoint import CorruptCheckpoint, checkpoint_path, load_checkpoint
    from lifelong_pose.runner.source_cache import SourceCache

    marker = tmp_path / "ran"
    path = checkpoint_path(tmp_path / "run", 0)
    path.parent.mkdir(parents=True)
    torch.save({"model": Payload(marker)}, path)
    with pytest.raises(CorruptCheckpoint, match=rf"{path.name} cannot be read"):
        load_checkpoint(tmp_path / "run", 0)
    assert not marker.exists()
    cache = SourceCache(tmp_path / "cache")
    identity = {"lifter": {"name": "x"}}
    from lifelong_pose.runner.source_cache import identity_key

    cache.folder.mkdir(parents=True)
    torch.save({"state": Payload(marker)}, cache.path(identity_key(identity)))
    with pytest.warns(UserWarning, match="cannot be read"):
        assert cache.load(identity) is None
    assert not marker.exists()
    assert not cache.path(identity_key(identity)).exists()  # set aside, renamed
    assert list(cache.folder.iterdir())
