"""Pretrained starts (``--init-checkpoint``): VideoPose3D's checkpoint layout, the suite's own
checkpoints, what a run from one records, and the errors for files that do not fit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import lifelong_pose as lp
from lifelong_pose.cli.main import main
from lifelong_pose.models import build_lifter
from lifelong_pose.models.pretrained import FORMATS, PretrainedError, read_pretrained
from lifelong_pose.runner.checkpoint import checkpoint_path, load_checkpoint
from lifelong_pose.runner.record import RESULT_SCHEMA
from lifelong_pose.runner.run import RunConfig, run

FAST = {"steps": 20, "batch_size": 8}


class ReferenceTemporalModel(nn.Module):
    """VideoPose3D's ``TemporalModel`` (``common/model.py``; symmetric, not dense), written from its
    architecture: the module names and shapes its checkpoints' ``model_pos`` holds.

    Input (B, T, J_in, 2), output (B, T - receptive field + 1, J_out, 3), the root as predicted.
    """

    def __init__(self, joints_in: int, joints_out: int, filter_widths: tuple[int, ...], channels: int) -> None:
        super().__init__()
        self.joints_out = joints_out
        self.drop = nn.Dropout(0.25)
        self.relu = nn.ReLU()
        self.pad = [filter_widths[0] // 2]
        self.expand_bn = nn.BatchNorm1d(channels, momentum=0.1)
        self.shrink = nn.Conv1d(channels, joints_out * 3, 1)
        self.expand_conv = nn.Conv1d(joints_in * 2, channels, filter_widths[0], bias=False)
        convolutions, norms = [], []
        dilation = filter_widths[0]
        for width in filter_widths[1:]:
            self.pad.append((width - 1) * dilation // 2)
            convolutions += [
                nn.Conv1d(channels, channels, width, dilation=dilation, bias=False),
                nn.Conv1d(channels, channels, 1, bias=False),
            ]
            norms += [nn.BatchNorm1d(channels, momentum=0.1), nn.BatchNorm1d(channels, momentum=0.1)]
            dilation *= width
        self.layers_conv = nn.ModuleList(convolutions)
        self.layers_bn = nn.ModuleList(norms)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch = x.shape[0]
        x = x.view(batch, x.shape[1], -1).permute(0, 2, 1)
        x = self.drop(self.relu(self.expand_bn(self.expand_conv(x))))
        for i, pad in enumerate(self.pad[1:]):
            residual = x[:, :, pad : x.shape[2] - pad]
            x = self.drop(self.relu(self.layers_bn[2 * i](self.layers_conv[2 * i](x))))
            x = residual + self.drop(self.relu(self.layers_bn[2 * i + 1](self.layers_conv[2 * i + 1](x))))
        return self.shrink(x).permute(0, 2, 1).reshape(batch, -1, self.joints_out, 3)


def _reference(
    filter_widths: tuple[int, ...], channels: int, joints: int = 17, joints_out: int | None = None, seed: int = 7
) -> ReferenceTemporalModel:
    """A reference model with random weights and random BatchNorm statistics (as a trained one has)."""
    torch.manual_seed(seed)
    model = ReferenceTemporalModel(joints, joints if joints_out is None else joints_out, filter_widths, channels)
    for norm in [model.expand_bn, *model.layers_bn]:
        assert isinstance(norm, nn.BatchNorm1d)
        norm.running_mean.uniform_(-0.2, 0.2)
        norm.running_var.uniform_(0.5, 2.0)
        norm.weight.data.uniform_(0.5, 1.5)
        norm.bias.data.uniform_(-0.1, 0.1)
        norm.num_batches_tracked.fill_(1000)
    return model.eval()


def _save_videopose3d(model: nn.Module, path: Path) -> Path:
    torch.save({"model_pos": model.state_dict(), "epoch": 1}, path)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("widths", [(1,), (3, 3, 3), (3, 3, 3, 3, 3)])
def test_a_videopose3d_checkpoint_gives_the_reference_outputs(widths: tuple[int, ...], tmp_path: Path) -> None:
    """The suite's lifter from VideoPose3D's ``model_pos`` predicts what VideoPose3D's model does
    (minus the predicted root, which the suite's lifters zero), on its dilated sequence path and on
    its strided window path alike."""
    reference = _reference(widths, channels=16)
    init = read_pretrained(_save_videopose3d(reference, tmp_path / "vp3d.bin"), num_joints=17, layout="h36m17")
    receptive_field = int(np.prod(widths))
    assert init.format == "videopose3d" and init.architecture is not None
    assert (init.architecture.channels, init.architecture.filter_widths) == (16, widths)
    options = init.lifter_options({"lr": 1e-3})
    assert options == {"lr": 1e-3, "lifter": "videopose", "receptive_field": receptive_field}
    lifter = build_lifter("videopose", num_joints=17, profile="tiny", receptive_field=receptive_field)
    init.check_fits(lifter, profile="tiny", layout="h36m17")
    lifter.load_state_dict(init.state)
    lifter.eval()

    x2d = torch.randn(2, receptive_field + 9, 17, 2, generator=torch.Generator().manual_seed(3)) * 0.4
    with torch.no_grad():
        expected = reference(x2d)
        assert float(expected[..., 0, :].abs().max()) > 1e-3  # VideoPose3D leaves the root as predicted
        expected = expected - expected[..., :1, :]
        sequence = lifter.forward_sequence(x2d)
        windows = torch.stack([lifter(x2d[:, k : k + receptive_field]) for k in range(10)], dim=1)
    torch.testing.assert_close(sequence, expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(windows, expected, rtol=1e-4, atol=1e-5)


def test_a_state_dict_from_before_batchnorm_counted_batches_loads(tmp_path: Path) -> None:
    """torch before 0.4.1 saved BatchNorm without ``num_batches_tracked``: such a ``model_pos`` still fits."""
    reference = _reference((3, 3, 3), channels=16)
    state = {key: value for key, value in reference.state_dict().items() if not key.endswith("num_batches_tracked")}
    torch.save({"model_pos": state, "epoch": 80}, tmp_path / "old.bin")
    init = read_pretrained(tmp_path / "old.bin", num_joints=17, layout="h36m17")
    lifter = build_lifter("videopose", num_joints=17, profile="tiny", receptive_field=27)
    init.check_fits(lifter, profile="tiny", layout="h36m17")
    lifter.load_state_dict(init.state)
    x2d = torch.randn(3, 27, 17, 2, generator=torch.Generator().manual_seed(5)) * 0.4
    with torch.no_grad():
        expected = reference(x2d)[:, 0]
        torch.testing.assert_close(lifter.eval()(x2d), expected - expected[:, :1], rtol=1e-4, atol=1e-5)


def test_a_mismatched_tensor_is_named_with_both_shapes(tmp_path: Path) -> None:
    reference = _reference((3, 3, 3), channels=16)
    state = reference.state_dict()
    state["layers_conv.3.weight"] = torch.zeros(16, 16, 3)  # a block's 1x1 convolution of width 3
    path = tmp_path / "bad.bin"
    torch.save({"model_pos": state, "epoch": 1}, path)
    init = read_pretrained(path, num_joints=17, layout="h36m17")
    lifter = build_lifter("videopose", num_joints=17, profile="tiny", receptive_field=27)
    with pytest.raises(
        PretrainedError, match=r"'layers_conv\.3\.weight' has shape \(16, 16, 3\).*expects \(16, 16, 1\)"
    ):
        init.check_fits(lifter, profile="tiny", layout="h36m17")

    # filter widths the lifter has no receptive field for: the first block of another width
    path = _save_videopose3d(_reference((3, 5, 3), channels=16), tmp_path / "widths.bin")
    with pytest.raises(PretrainedError, match=r"'layers_conv\.0\.weight' has shape \(16, 16, 5\).*\(16, 16, 3\)"):
        read_pretrained(path, num_joints=17, layout="h36m17")
    # another joint count than the scenario's layout
    path = _save_videopose3d(_reference((3, 3, 3), channels=16, joints=16), tmp_path / "joints.bin")
    with pytest.raises(PretrainedError, match=r"'expand_conv\.weight' has shape \(16, 32, 3\).*h36m17"):
        read_pretrained(path, num_joints=17, layout="h36m17")
    # another profile's channels: the profile that has them is named
    init = read_pretrained(_save_videopose3d(reference, tmp_path / "tiny.bin"), num_joints=17, layout="h36m17")
    quick = build_lifter("videopose", num_joints=17, profile="quick", receptive_field=27)
    with pytest.raises(PretrainedError, match=r"'expand_conv\.weight' has shape \(16, 34, 3\).*\(128, 34, 3\).*16 ch"):
        init.check_fits(quick, profile="quick", layout="h36m17")
    # an option the shapes contradict
    with pytest.raises(PretrainedError, match=r"--receptive-field 81 conflicts.*receptive_field=27"):
        init.lifter_options({"receptive_field": 81})
    # another lifter's state dict
    baseline = build_lifter("simple_baseline", num_joints=17, profile="tiny")
    torch.save(baseline.state_dict(), tmp_path / "baseline.pt")
    init = read_pretrained(tmp_path / "baseline.pt", num_joints=17, layout="h36m17")
    assert init.format == "lifter-state-dict" and init.architecture is None
    with pytest.raises(PretrainedError, match=r"another lifter than the run's videopose.*'expand_conv\.weight'"):
        init.check_fits(quick, profile="quick", layout="h36m17")


def test_files_that_hold_no_lifter_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(PretrainedError, match="does not exist"):
        read_pretrained(tmp_path / "missing.bin", num_joints=17, layout="h36m17")
    (tmp_path / "text.bin").write_text("not a checkpoint")
    with pytest.raises(PretrainedError, match="cannot be read as a torch checkpoint"):
        read_pretrained(tmp_path / "text.bin", num_joints=17, layout="h36m17")
    # what VideoPose3D's training script also saves (random_state: a numpy RandomState) is code to unpickle
    state = {"model_pos": _reference((1,), channels=16).state_dict(), "random_state": np.random.RandomState(0)}
    torch.save(state, tmp_path / "pickled.bin")
    with pytest.raises(PretrainedError, match=r"weights_only=True\) refuses.*numpy\.random\._pickle"):
        read_pretrained(tmp_path / "pickled.bin", num_joints=17, layout="h36m17")
    torch.save({"epoch": 3, "lr": 0.1}, tmp_path / "other.bin")
    with pytest.raises(PretrainedError, match=r"neither a lifter state dict.*'epoch', 'lr'"):
        read_pretrained(tmp_path / "other.bin", num_joints=17, layout="h36m17")
    assert RESULT_SCHEMA["properties"]["init_checkpoint"]["properties"]["format"]["enum"] == list(FORMATS)


def _config(scenario: str, out: Path, strategy: str = "source_only", **changes: Any) -> RunConfig:
    base: dict[str, Any] = {"progress": False, "report": False, "device": "cpu", "options": dict(FAST)}
    return RunConfig(scenario=scenario, strategy=strategy, out=out, **{**base, **changes})


def test_a_run_from_a_videopose3d_checkpoint_tests_it_as_loaded(tiny_scenario: str, tmp_path: Path) -> None:
    """No source training: the record names the file by its hash, the lifter's options come from its
    shapes, and the source row is the reference model's error on every domain (the whole command)."""
    reference = _reference((3, 3, 3), channels=128)
    path = _save_videopose3d(reference, tmp_path / "pretrained.bin")
    cache = tmp_path / "cache"
    command = ["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--set", "batch_size=8", "--quiet"]
    command += [
        "--no-report",
        "--init-checkpoint",
        str(path),
        "--cache-dir",
        str(cache),
        "--out",
        str(tmp_path / "run"),
    ]
    assert main(command) == 0
    record = json.loads((tmp_path / "run" / "seed-0" / "result.json").read_text())

    assert record["init_checkpoint"] == {
        "sha256": _sha256(path),
        "format": "videopose3d",
        "file": "pretrained.bin",
        "bytes": path.stat().st_size,
        "trains_source": False,
    }
    assert str(tmp_path) not in str(record["init_checkpoint"])
    assert record["strategy"]["params"]["lifter"] == "videopose"
    assert record["strategy"]["params"]["receptive_field"] == 27
    assert record["source_cache"]["used"] is False and "--init-checkpoint" in record["source_cache"]["reason"]
    assert not (cache / "source").exists() or not list((cache / "source").glob("*.pt"))
    assert record["losses"][0]["terms"] == {}  # not one step on the source
    saved = load_checkpoint(tmp_path / "run" / "seed-0", 0)["model"]
    assert all(torch.equal(saved[key], value) for key, value in reference.state_dict().items())

    scenario = lp.make(tiny_scenario)
    for domain in range(scenario.num_domains):
        test = scenario.test_data(domain)
        with torch.no_grad():
            predicted = reference(test.x2d[test.window_indices(27)])[:, 0]
        error_mm = 1000.0 * float((predicted - predicted[:, :1] - test.X3d).norm(dim=-1).mean())
        assert record["matrices"]["mpjpe"][0][domain] == pytest.approx(error_mm, rel=1e-4)


def test_a_suite_checkpoint_round_trip_and_resume(tiny_scenario: str, tmp_path: Path) -> None:
    """A domain checkpoint starts another run on the lifter it holds (same source row); a budget
    trains on from it; resuming with another checkpoint, or none, is refused."""
    first = run(_config(tiny_scenario, tmp_path / "first"))
    domain_checkpoint = checkpoint_path(tmp_path / "first", 0)
    init = read_pretrained(domain_checkpoint, num_joints=17, layout=first["data"]["layout"])
    assert init.format == "lifelong-pose-checkpoint"
    trained = load_checkpoint(tmp_path / "first", 0)["model"]
    assert init.state.keys() == trained.keys() and all(torch.equal(init.state[k], trained[k]) for k in trained)
    torch.save(trained, tmp_path / "lifter.pt")  # the same lifter as a plain state dict
    assert read_pretrained(tmp_path / "lifter.pt", num_joints=17, layout="h36m17").format == "lifter-state-dict"

    loaded = run(
        _config(tiny_scenario, tmp_path / "loaded", options={"batch_size": 8}, init_checkpoint=domain_checkpoint)
    )
    assert loaded["init_checkpoint"]["format"] == "lifelong-pose-checkpoint"
    assert loaded["init_checkpoint"]["sha256"] == _sha256(domain_checkpoint)
    assert loaded["matrices"]["mpjpe"][0] == first["matrices"]["mpjpe"][0]

    tuned = run(
        _config(
            tiny_scenario, tmp_path / "tuned", options={"steps": 3, "batch_size": 8}, init_checkpoint=domain_checkpoint
        )
    )
    assert tuned["init_checkpoint"]["trains_source"] is True and tuned["losses"][0]["terms"]["lifter"]["steps"] == 3
    after = load_checkpoint(tmp_path / "tuned", 0)["model"]
    assert not all(torch.equal(after[key], trained[key]) for key in trained)

    for other in ({"init_checkpoint": tmp_path / "lifter.pt"}, {}):
        with pytest.raises(ValueError, match=r"Cannot resume .*init_checkpoint\.sha256"):
            run(_config(tiny_scenario, tmp_path / "loaded", options={"batch_size": 8}, resume=True, **other))
    again = run(
        _config(
            tiny_scenario,
            tmp_path / "loaded",
            options={"batch_size": 8},
            resume=True,
            init_checkpoint=domain_checkpoint,
        )
    )
    assert again["matrices"] == loaded["matrices"]


def test_the_cli_refuses_a_checkpoint_that_does_not_fit_in_one_line(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--quiet", "--no-report"]
    assert main([*args, "--init-checkpoint", str(tmp_path / "missing.bin"), "--out", str(tmp_path / "a")]) == 2
    error = capsys.readouterr().err
    assert "--init-checkpoint" in error and "does not exist" in error and error.count("\n") == 1

    path = _save_videopose3d(_reference((3, 3, 3), channels=128), tmp_path / "vp3d.bin")
    assert (
        main([*args, "--init-checkpoint", str(path), "--lifter", "simple_baseline", "--out", str(tmp_path / "b")]) == 2
    )
    error = capsys.readouterr().err
    assert "--lifter simple_baseline conflicts with --init-checkpoint vp3d.bin" in error and error.count("\n") == 1
    assert not (tmp_path / "b").exists()
