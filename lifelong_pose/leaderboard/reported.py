"""Papers' own published figures as leaderboard entries of ``kind: reported``.

``leaderboard/papers.json`` lists them as read from the papers' tables (``../shared/seeds``), each
with the table it came from and the exact line quoted; :func:`reported_entries` turns the list into
entries. They are real-data figures under the papers' own protocols: shown in tables of their own,
beside a user's real-backend runs, never ranked with reproduced runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lifelong_pose.leaderboard.entry import ENTRY_SCHEMA_ID, EntryError, configuration_key, validate_entry


def reported_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    """One entry from one published row (name, setting, metric, values, average, citation, notes).

    Raises:
        EntryError: a row missing a field or with a value that is not a number.
    """
    identity = {key: item.get(key) for key in ("name", "setting", "metric")} | {
        "table": item.get("citation", {}).get("table")
    }
    entry = {
        "schema": ENTRY_SCHEMA_ID,
        "kind": "reported",
        "key": configuration_key(identity),
        "backend": "real",
        **{key: value for key, value in item.items() if key != "backend"},
    }
    return validate_entry(entry, f"reported row {item.get('name')!r} ({item.get('setting')!r})")


def reported_entries(path: Path | str) -> list[dict[str, Any]]:
    """Every row of a papers file (a JSON list) as an entry.

    Raises:
        EntryError: a file that is not a JSON list, or a bad row (named).
    """
    items: Any = json.loads(Path(path).read_text())
    if not isinstance(items, list):
        raise EntryError(f"{path}: expected a JSON list of published rows")
    entries = [reported_entry(item) for item in items]
    _no_duplicates(entries, str(path))
    return entries


def _no_duplicates(entries: Sequence[Mapping[str, Any]], source: str) -> None:
    keys = [entry["key"] for entry in entries]
    if len(set(keys)) != len(keys):
        repeated = next(entry["name"] for entry in entries if keys.count(entry["key"]) > 1)
        raise EntryError(f"{source}: {repeated!r} appears twice for the same setting, metric and table")
