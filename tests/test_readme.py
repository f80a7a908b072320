"""The README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_quick_start_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    quick_start = next(block for block in blocks if "lp.make(" in block and "benchmark" in block)
    namespace: dict[str, object] = {}
    exec(compile(quick_start, str(README), "exec"), namespace)
    assert namespace["exp"].domain.name == "3dhp_like"  # type: ignore[attr-defined]


def test_readme_strategy_example_runs_as_a_file_plugin(tiny_scenario: str, tmp_path: Path) -> None:
    """The "Adding a strategy" class, saved as a file, runs through the CLI and adapts BN only."""
    import torch

    from lifelong_pose.cli.main import main
    from lifelong_pose.runner.checkpoint import load_checkpoint
    from lifelong_pose.runner.record import load_record

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    example = next(block for block in blocks if "class AdaBN" in block)
    plugin = tmp_path / "my_strategies.py"
    plugin.write_text(example)
    out = tmp_path / "run"
    argv = ["run", "--scenario", tiny_scenario, "--strategy", f"{plugin}:AdaBN", "--out", str(out)]
    assert main([*argv, "--epochs", "2", "--adapt-epochs", "2", "--quiet", "--no-report", "--device", "cpu"]) == 0
    record = load_record(out / "seed-0")
    assert record["strategy"]["id"] == "AdaBN" and record["strategy"]["entry_point"].endswith(":AdaBN")
    source, adapted = (load_checkpoint(out / "seed-0", i)["model"] for i in (0, 1))
    statistics = [key for key in source if key.endswith("running_mean")]
    weights = [key for key in source if key.endswith("weight")]
    assert statistics and weights
    assert any(not torch.equal(source[key], adapted[key]) for key in statistics)
    assert all(torch.equal(source[key], adapted[key]) for key in weights)
    assert record["matrices"]["mpjpe"][0] != record["matrices"]["mpjpe"][1]


def test_readme_register_strategy_example_registers() -> None:
    import lifelong_pose as lp

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    example = next(block for block in blocks if "register_strategy" in block)
    exec(compile(example, str(README), "exec"), {})
    try:
        assert lp.strategy_registry.spec("adabn").entry_point == "my_package.strategies:AdaBN"
    finally:
        lp.strategy_registry.unregister("adabn-v0")
