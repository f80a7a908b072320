"""The README's code examples (Python and the sweep file) run or parse as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_block(language: str, *markers: str) -> str:
    """The first ``language`` code block of the README that contains every one of ``markers``."""
    blocks = re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)
    return next(block for block in blocks if all(marker in block for marker in markers))


def test_readme_python_quick_start_runs() -> None:
    quick_start = readme_block("python", "lp.make(", "benchmark")
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

    example = readme_block("python", "class FlipTeacher")
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

    example = readme_block("python", "register_strategy")
    exec(compile(example, str(README), "exec"), {})
    try:
        assert lp.strategy_registry.spec("flip_teacher").entry_point == "my_package.strategies:FlipTeacher"
    finally:
        lp.strategy_registry.unregister("flip_teacher-v0")


def test_readme_sweep_file_is_a_valid_grid(tmp_path: Path) -> None:
    from lifelong_pose.sweep.grid import build_grid, fit_shared_options, read_sweep_file

    path = tmp_path / "grid.yaml"
    path.write_text(readme_block("yaml", "strategies:"))
    grid = build_grid(read_sweep_file(path), {})
    grid.check()
    grid.rows = fit_shared_options(grid.rows)
    assert len(grid.runs()) == 12 and grid.rows[1].plugins == ("ema",)
    assert "adapt_steps" not in grid.rows[0].options and grid.rows[1].options["adapt_steps"] == 250
