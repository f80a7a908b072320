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


def test_readme_strategy_example_passes_its_checks_and_runs_as_a_file_plugin(
    tiny_scenario: str, tmp_path: Path, capsys: object
) -> None:
    """The "Adding a strategy" class, saved as a file, passes ``check strategy`` and runs through the CLI."""
    import torch

    from lifelong_pose.cli.main import main
    from lifelong_pose.runner.checkpoint import load_checkpoint
    from lifelong_pose.runner.record import load_record

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    example = next(block for block in blocks if "class FlipTeacher" in block)
    assert len(example.strip().splitlines()) < 40  # a real method in under 40 lines
    plugin = tmp_path / "my_strategies.py"
    plugin.write_text(example)
    assert main(["check", "strategy", f"{plugin}:FlipTeacher"]) == 0
    out = tmp_path / "run"
    argv = ["run", "--scenario", tiny_scenario, "--strategy", f"{plugin}:FlipTeacher", "--out", str(out)]
    assert main([*argv, "--epochs", "2", "--adapt-epochs", "2", "--quiet", "--no-report", "--device", "cpu"]) == 0
    record = load_record(out / "seed-0")
    assert record["strategy"]["id"] == "FlipTeacher" and record["strategy"]["entry_point"].endswith(":FlipTeacher")
    source, adapted = (load_checkpoint(out / "seed-0", i)["model"] for i in (0, 1))
    assert any(not torch.equal(source[key], adapted[key]) for key in source if key.endswith("weight"))  # it adapts
    assert record["matrices"]["mpjpe"][0] != record["matrices"]["mpjpe"][1]
    assert record["losses"][1]["terms"]["lifter"]["mean"] > 0


def test_readme_register_strategy_example_registers() -> None:
    import lifelong_pose as lp

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    example = next(block for block in blocks if "register_strategy" in block)
    exec(compile(example, str(README), "exec"), {})
    try:
        assert lp.strategy_registry.spec("flip_teacher").entry_point == "my_package.strategies:FlipTeacher"
    finally:
        lp.strategy_registry.unregister("flip_teacher-v0")
