"""Compare the matrices of every run record under two folders: did a change move any number?

Used to show that an engine change is behaviour-preserving: run the same commands (or the test
suite with ``--basetemp``) before and after it, then

    python benchmarks/compare_records.py BEFORE_DIR AFTER_DIR

Records are paired by their path below each folder; a pair is identical when its status and every
cell of every matrix are equal (bit for bit, as floats read back from JSON). Exit 0 when every
pair is identical, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def matrices(root: Path) -> dict[str, tuple[Any, Any]]:
    """``relative path -> (status, matrices)`` of every readable ``result.json`` below ``root``."""
    found = {}
    for path in sorted(root.rglob("result.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        found[str(path.relative_to(root))] = (record.get("status"), record.get("matrices"))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    before, after = matrices(args.before), matrices(args.after)
    paired = sorted(set(before) & set(after))
    different = [key for key in paired if before[key] != after[key]]
    print(f"{len(paired)} records in both, {len(paired) - len(different)} identical, {len(different)} different")
    for key in different:
        print(f"  different: {key} (status {before[key][0]} -> {after[key][0]})")
    for key in sorted(set(before) ^ set(after)):
        print(f"  only {'before' if key in before else 'after'}: {key}")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
