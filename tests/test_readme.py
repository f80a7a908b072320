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
