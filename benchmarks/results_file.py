"""Where every benchmark script puts its figures: one Markdown file, also printed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def write_results(out: str | Path, lines: Sequence[str]) -> None:
    """Write ``lines`` to ``out`` (creating its folder) and print them."""
    text = "\n".join(lines)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(text)
