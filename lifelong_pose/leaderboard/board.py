"""The leaderboard folder: one JSON entry per configuration, filed by ``add``, verified by ``check``.

Layout (``leaderboard/`` at the top of the repository by default)::

    entries/<backend>/<scenario-id>/<profile>/<name>-<key>.json   reproduced runs, all seeds of one configuration
    reported/<paper>-<key>.json                                     papers' published figures (real data)

Every file is read through :func:`~lifelong_pose.leaderboard.entry.validate_entry`, so a board that
loads is a board whose entries match the schema.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifelong_pose.leaderboard.entry import (
    EntryError,
    check_complete,
    configuration_key,
    entry_from_records,
    recompute,
    validate_entry,
)

ENTRIES = "entries"
REPORTED = "reported"


@dataclass(frozen=True)
class Filed:
    """One entry on the board and the file that holds it."""

    path: Path
    entry: dict[str, Any]


def slug(text: str) -> str:
    """A file-name-safe form of an entry's name."""
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).strip("_")[:150] or "entry"


def find_records(folders: Iterable[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Every run record under ``folders``: a seed folder's ``result.json`` or a multi-seed run's ``seed-*/``.

    Raises:
        EntryError: a folder that does not exist or holds no run record, naming it.
    """
    from lifelong_pose.runner.record import RESULT_FILE, RecordError, load_record

    found = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise EntryError(f"{folder}: not a run folder (it does not exist or is a file)")
        paths = (
            [folder / RESULT_FILE] if (folder / RESULT_FILE).is_file() else sorted(folder.glob(f"seed-*/{RESULT_FILE}"))
        )
        if not paths:
            raise EntryError(
                f"{folder}: no {RESULT_FILE} here or in seed-*/ (is it a run folder of 'lifelong-pose run'?)"
            )
        for path in paths:
            try:
                found.append((path.parent, load_record(path.parent)))
            except RecordError as error:
                raise EntryError(f"{path.parent}: not a valid run record: {error}") from None
    return found


def _strategy_defaults(record: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy's default options in the record's profile (the options a name leaves out)."""
    from dataclasses import asdict

    from lifelong_pose.registry import RegistryError, load_entry_point, strategy_registry

    try:
        spec = strategy_registry.spec(record["strategy"]["id"])
        params = load_entry_point(spec.entry_point).default_params(record["profile"], **spec.kwargs)
    except (RegistryError, ImportError, AttributeError):
        return {}  # a plugin strategy not importable here: its name lists every option
    return json.loads(json.dumps(asdict(params)))


def record_name(record: Mapping[str, Any]) -> str:
    """An entry's name from its record: strategy, the options that differ from its defaults, plugins."""
    from lifelong_pose.leaderboard.entry import display_name

    plugins = [plugin.get("id") or plugin.get("name") or "plugin" for plugin in record["plugins"]]
    return display_name(record["strategy"]["id"], record["strategy"]["params"], _strategy_defaults(record), plugins)


class Board:
    """The entries under ``root``: load, add and check them."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def filed(self) -> list[Filed]:
        """Every entry on the board, validated, in a stable order.

        Raises:
            EntryError: a file that is not valid JSON or not a valid entry, naming it.
        """
        out = []
        for path in sorted(self.root.glob(f"{ENTRIES}/**/*.json")) + sorted(self.root.glob(f"{REPORTED}/*.json")):
            try:
                entry = json.loads(path.read_text())
            except (OSError, json.JSONDecodeError) as error:
                raise EntryError(f"{path}: not readable JSON ({error})") from None
            out.append(Filed(path, validate_entry(entry, str(path))))
        return out

    def entries(self) -> list[dict[str, Any]]:
        return [filed.entry for filed in self.filed()]

    def path_for(self, entry: Mapping[str, Any]) -> Path:
        if entry["kind"] == "reported":
            return self.root / REPORTED / f"{slug(entry['name'])}-{entry['key']}.json"
        c = entry["configuration"]
        return (
            self.root
            / ENTRIES
            / c["backend"]
            / c["scenario"]
            / c["profile"]
            / f"{slug(entry['name'])}-{entry['key']}.json"
        )

    def write(self, entry: Mapping[str, Any]) -> Path:
        """File ``entry`` (validated) atomically; returns its path."""
        from lifelong_pose.runner.checkpoint import atomic_write_text

        validate_entry(dict(entry), entry["name"])
        path = self.path_for(entry)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(entry, indent=1, sort_keys=True) + "\n")
        return path

    def remove(self, key: str) -> Path:
        """Delete the entry of configuration ``key`` (to file newer runs of it); returns the file it was in.

        Raises:
            EntryError: no entry on the board has that key.
        """
        for filed in self.filed():
            if filed.entry["key"] == key:
                filed.path.unlink()
                return filed.path
        raise EntryError(f"no entry with key {key} on the board in {self.root}")

    def add(self, folders: Sequence[Path | str], *, allow_few_seeds: bool = False) -> list[Path]:
        """File the runs under ``folders``: their records grouped by configuration, one entry each.

        Nothing is written unless every group is accepted.

        Raises:
            EntryError: an incomplete run (named), a record that fails its schema, figures that do
                not follow from its matrices, fewer than 3 seeds without ``allow_few_seeds``, or a
                configuration already on the board (naming its file).
        """
        from lifelong_pose.leaderboard.entry import run_configuration

        groups: dict[str, list[tuple[Path, dict[str, Any]]]] = defaultdict(list)
        for folder, record in find_records(Path(f) for f in folders):
            check_complete(record, str(folder))
            groups[configuration_key(run_configuration(record))].append((folder, record))
        on_board = {filed.entry["key"]: filed.path for filed in self.filed()}
        entries = []
        for key, members in groups.items():
            folders_text = ", ".join(sorted({str(folder) for folder, _ in members}))
            seeds = [record["seed"] for _, record in members]
            if len(set(seeds)) != len(seeds):
                raise EntryError(
                    f"{folders_text}: seed {max(seeds, key=seeds.count)} appears twice in one configuration"
                )
            if key in on_board:
                raise EntryError(f"{folders_text}: this configuration is already on the board as {on_board[key]}")
            records = [record for _, record in members]
            entries.append(
                entry_from_records(
                    records, name=record_name(records[0]), run=folders_text, allow_few_seeds=allow_few_seeds
                )
            )
        return [self.write(entry) for entry in entries]

    def check(self) -> list[str]:
        """Every problem on the board, as ``file: message`` lines: invalid files, figures that do not follow
        from their matrices, keys that do not match their configuration, duplicate configurations."""
        problems: list[str] = []
        try:
            filed = self.filed()
        except EntryError as error:
            return [str(error)]
        keys: dict[str, Path] = {}
        for item in filed:
            entry = item.entry
            if entry["key"] in keys:
                problems.append(f"{item.path}: the same configuration as {keys[entry['key']]}")
            keys[entry["key"]] = item.path
            if entry["kind"] != "reproduced":
                continue
            if configuration_key(entry["configuration"]) != entry["key"]:
                problems.append(f"{item.path}: key {entry['key']} does not match its configuration")
            problems += [f"{item.path}: {problem}" for problem in recompute(entry)]
        return problems
