from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lifelong_pose.cli.main import main


def test_help_and_listing_do_not_import_torch_or_avalanche() -> None:
    code = (
        "import sys\n"
        "from lifelong_pose.cli.main import main\n"
        "main(['list', 'scenarios'])\n"
        "main(['list', 'strategies'])\n"
        "main(['list', 'plugins'])\n"
        "heavy = [m for m in ('torch', 'avalanche') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "cross_dataset-v0" in result.stdout and "poseda-v0" in result.stdout and "replay-v0" in result.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "lifelong_pose.cli.main", "--help"], capture_output=True, text=True, check=False
    )
    assert helped.returncode == 0 and "describe" in helped.stdout


def test_list_scenarios_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "scenarios", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["cross_dataset-v0"]["domains"] == 3 and rows["long_stream-v0"]["domains"] >= 10
    assert rows["cross_dataset-v0"]["versions"] == "v0, v2" and rows["cross_dataset-v2"]["domains"] == 3


def test_describe_shows_domains_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "cross_dataset"]) == 0
    out = capsys.readouterr().out
    assert out.index("h36m_like") < out.index("3dhp_like") < out.index("3dpw_like")
    assert "train" in out and "source (labelled)" in out and "1080x1920" in out


def test_describe_json_records_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "cross_camera", "--json", "--no-sizes", "--seed", "4"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["spec"]["kwargs"]["seed"] == 4
    assert [d["name"] for d in payload["domains"]][:2] == ["h36m_cam54138969", "h36m_cam55011271"]
    assert payload["spec"]["id"] == "cross_camera-v2"


def test_unknown_scenario_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "cross_datset"]) == 2
    assert "Did you mean 'cross_dataset'" in capsys.readouterr().err


def test_data_preview_writes_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "preview.png"
    assert main(["data", "preview", "cross_dataset", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20000
