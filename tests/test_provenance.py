"""A strategy loaded from a file is recorded with the SHA-256 of its code; two edits never share an entry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lifelong_pose.leaderboard.entry import configuration_key, run_configuration
from lifelong_pose.runner.run import RunConfig, run

STRATEGY = '''"""A user's strategy in a file of its own."""
from lifelong_pose.strategies.baselines import SourceOnly


class Mine(SourceOnly):
    """source_only under another name."""
'''


def _run(tiny_scenario: str, file: Path, out: Path) -> dict:
    config = RunConfig(tiny_scenario, f"{file}:Mine", out, progress=False, report=False, options={"epochs": 1})
    return run(config)


def test_a_file_strategy_is_recorded_with_its_codes_hash_and_name_never_its_path(
    tiny_scenario: str, tmp_path: Path
) -> None:
    file = tmp_path / "my_strategy.py"
    file.write_text(STRATEGY)
    record = _run(tiny_scenario, file, tmp_path / "a")
    strategy = record["strategy"]
    assert strategy["source_sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    assert strategy["source_file"] == "my_strategy.py"
    assert json.loads((tmp_path / "a" / "result.json").read_text())["strategy"]["source_sha256"]
    # an edit of the same file is another configuration on the board
    file.write_text(STRATEGY + "\n# tuned\n")
    edited = _run(tiny_scenario, file, tmp_path / "b")
    assert edited["strategy"]["source_sha256"] != strategy["source_sha256"]
    assert configuration_key(run_configuration(record)) != configuration_key(run_configuration(edited))


def test_a_registered_strategy_carries_no_file_hash(tiny_scenario: str, tmp_path: Path) -> None:
    config = RunConfig(
        tiny_scenario, "source_only", tmp_path / "r", progress=False, report=False, options={"epochs": 1}
    )
    record = run(config)
    assert "source_sha256" not in record["strategy"]
    assert "source_sha256" not in run_configuration(record)["strategy"]
