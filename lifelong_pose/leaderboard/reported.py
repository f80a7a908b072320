"""Papers' own published figures as leaderboard entries of ``kind: reported``.

``leaderboard/papers.json`` lists them as read from the papers' tables, each
with the table it came from and the exact line quoted; :func:`reported_entries` turns the list into
entries. They are real-data figures under the papers' own protocols: shown in tables of their own,
beside a user's real-backend runs, never ranked with reproduced runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from lifelong_pose.leaderboard.entry import ENTRY_SCHEMA_ID, EntryError, configuration_key, validate_entry
from lifelong_pose.leaderboard.guard import check_tree, clip, quoted, read_json

ROW_FIELDS = ("name", "setting", "metric", "values", "average", "citation", "notes")
"""What a published row may hold; the board sets ``schema``, ``kind``, ``key`` and ``backend`` itself."""


def reported_entry(item: Mapping[str, Any]) -> dict[str, Any]:
    """One entry from one published row (name, setting, metric, values, average, citation, notes).

    A row is a paper's figures and nothing else: a field outside :data:`ROW_FIELDS` (``kind``
    set to ``reproduced`` to skip ``add``'s figure checks, a chosen ``key``, another backend) is
    refused, so reported input can only ever become a ``reported`` entry.

    Raises:
        EntryError: a row that is not an object, holds another field, misses a field or has a
            value that is not a finite number.
    """
    if not isinstance(item, Mapping):
        raise EntryError(f"reported row {quoted(item)}: expected a JSON object with the fields {', '.join(ROW_FIELDS)}")
    source = f"reported row {quoted(item.get('name'))} ({quoted(item.get('setting'))})"
    check_tree(item, source)
    extra = sorted(str(key) for key in item if key not in ROW_FIELDS and not (key == "backend" and item[key] == "real"))
    if extra:
        raise EntryError(
            f"{source}: field {quoted(extra[0])} is not a published row's field (allowed: {', '.join(ROW_FIELDS)}); "
            "the board sets schema, kind, key and backend itself"
        )
    citation = item.get("citation")
    identity = {key: item.get(key) for key in ("name", "setting", "metric")} | {
        "table": citation.get("table") if isinstance(citation, Mapping) else None
    }
    entry = {
        **{key: value for key, value in item.items() if key in ROW_FIELDS},
        "schema": ENTRY_SCHEMA_ID,
        "kind": "reported",
        "key": configuration_key(identity),
        "backend": "real",
    }
    return validate_entry(entry, source)


def reported_entries(path: Path | str) -> list[dict[str, Any]]:
    """Every row of a papers file (a JSON list) as an entry.

    The file is read within the board's limits (:func:`~lifelong_pose.leaderboard.guard.read_json`:
    size, nesting, finite numbers only).

    Raises:
        EntryError: a file that is not a strict JSON list, or a bad row (named).
    """
    items: Any = read_json(path, follow_links=True)
    if not isinstance(items, list):
        raise EntryError(f"{clip(path)}: expected a JSON list of published rows")
    entries = [reported_entry(item) for item in items]
    _no_duplicates(entries, clip(path))
    return entries


def _no_duplicates(entries: Sequence[Mapping[str, Any]], source: str) -> None:
    keys = [entry["key"] for entry in entries]
    if len(set(keys)) != len(keys):
        repeated = next(entry["name"] for entry in entries if keys.count(entry["key"]) > 1)
        raise EntryError(f"{source}: {quoted(repeated)} appears twice for the same setting, metric and table")
