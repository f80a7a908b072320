"""The leaderboard folder: one JSON entry per configuration, filed by ``add``, verified by ``check``.

Layout (``leaderboard/`` at the top of the repository by default)::

    entries/<backend>/<scenario-id>/<profile>/<name>-<key>.json   reproduced runs, all seeds of one configuration
    reported/<paper>-<key>.json                                     papers' published figures (real data)

Every file is read through :func:`~lifelong_pose.leaderboard.entry.validate_entry`, so a board that
loads is a board whose entries match the schema. The board only reads and writes inside itself:
every id that becomes a folder or file name is checked against an anchored pattern first, every
path is required to resolve under the board's root, and a symbolic link inside the board is refused,
never followed (:mod:`lifelong_pose.leaderboard.guard`).
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lifelong_pose.leaderboard.entry import (
    check_complete,
    check_scenario_id,
    configuration_key,
    entry_from_records,
    option_text,
    recompute,
    validate_entry,
)
from lifelong_pose.leaderboard.guard import (
    EntryError,
    absolute_paths,
    check_part,
    clip,
    dumps,
    inside,
    quoted,
    read_json,
)

ENTRIES = "entries"
REPORTED = "reported"


@dataclass(frozen=True)
class Filed:
    """One entry on the board and the file that holds it."""

    path: Path
    entry: dict[str, Any]


def slug(text: str) -> str:
    """A file-name-safe form of an entry's name (never hidden, never ``..``)."""
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", text).lstrip("._").rstrip("_")[:150] or "entry"


def find_records(folders: Iterable[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Every run record under ``folders``: a seed folder's ``result.json`` or a multi-seed run's ``seed-*/``.

    Each record is read within the board's limits (size, nesting, finite numbers) before its schema
    is checked, so a hostile ``result.json`` is refused, not loaded.

    Raises:
        EntryError: a folder that does not exist or holds no run record, naming it.
    """
    from lifelong_pose.runner.record import RESULT_FILE, RecordError, validate_record

    found = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            raise EntryError(f"{clip(folder)}: not a run folder (it does not exist or is a file)")
        paths = (
            [folder / RESULT_FILE] if (folder / RESULT_FILE).is_file() else sorted(folder.glob(f"seed-*/{RESULT_FILE}"))
        )
        if not paths:
            raise EntryError(
                f"{clip(folder)}: no {RESULT_FILE} here or in seed-*/ (is it a run folder of 'lifelong-pose run'?)"
            )
        for path in paths:
            try:
                found.append((path.parent, validate_record(read_json(path, follow_links=True), str(path))))
            except (RecordError, EntryError) as error:
                raise EntryError(f"{clip(path.parent)}: not a valid run record: {clip(error, 500)}") from None
    return found


def _strategy_defaults(record: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy's default options in the record's profile (the options a name leaves out)."""
    from dataclasses import asdict

    from lifelong_pose.registry import RegistryError, load_entry_point, strategy_registry

    try:
        spec = strategy_registry.spec(record["strategy"]["id"])
        params = load_entry_point(spec.entry_point).default_params(record["profile"], **spec.kwargs)
    except (RegistryError, ValueError, ImportError, AttributeError):
        return {}  # a plugin strategy not importable here (or a malformed id): its name lists every option
    return json.loads(json.dumps(asdict(params)))


def record_name(record: Mapping[str, Any]) -> str:
    """An entry's name from its record: strategy, the options that differ from its defaults, plugins."""
    from lifelong_pose.leaderboard.entry import display_name

    plugins = [plugin_id(plugin) for plugin in record["plugins"]]
    return display_name(record["strategy"]["id"], record["strategy"]["params"], _strategy_defaults(record), plugins)


def reproduce_command(entry: Mapping[str, Any]) -> str:
    """The ``lifelong-pose run`` command that makes a reproduced entry's runs again, every seed.

    It sets what the configuration holds beyond the defaults: the stream, strategy, profile,
    world seed, data backend, test-time flip, each strategy option that differs from the
    strategy's default in that profile (every option, for a strategy not importable here), and
    each plugin asked for (with the options that differ from the plugin's defaults). Plugins a
    strategy composes itself (recorded without an id) follow from its options and are not repeated.
    """
    import shlex

    configuration = entry["configuration"]
    strategy = configuration["strategy"]
    parts = ["lifelong-pose", "run", "--scenario", configuration["scenario"], "--strategy", strategy["id"]]
    if strategy["entry_point"] and ":" in strategy["id"]:  # a file or module strategy is named by its entry point
        parts[-1] = strategy["entry_point"]
    if configuration["profile"] != "quick":
        parts += ["--profile", configuration["profile"]]
    if configuration["backend"] != "sim":
        parts += ["--data", configuration["backend"], "--data-root", "DATA"]
    if configuration["world_seed"] != 0:
        parts += ["--world-seed", str(configuration["world_seed"])]
    if configuration.get("evaluation", {}).get("test_flip"):
        parts.append("--test-flip")
    parts += ["--seeds", ",".join(str(run["seed"]) for run in entry["seeds"])]
    defaults = _strategy_defaults({"strategy": strategy, "profile": configuration["profile"]})
    for key, value in sorted(strategy["params"].items()):
        if key not in defaults or defaults[key] != value:
            parts += ["--set", f"{key}={option_text(value)}"]
    for plugin in configuration["plugins"]:
        if not plugin.get("id"):
            continue
        parts += ["--plugin", str(plugin["id"])]
        plugin_defaults = _plugin_defaults(str(plugin["id"]))
        for key, value in sorted(plugin.get("params", {}).items()):
            if key not in plugin_defaults or plugin_defaults[key] != value:
                base = str(plugin["id"]).rsplit("-v", 1)[0]
                parts += ["--set", f"{base}.{key}={option_text(value)}"]
    return " ".join(shlex.quote(part) for part in parts)


def _plugin_defaults(plugin: str) -> dict[str, Any]:
    """A registered plugin's option defaults (its keyword arguments' defaults); {} where unknown."""
    import inspect

    from lifelong_pose.registry import RegistryError, load_entry_point, plugin_registry

    try:
        target = load_entry_point(plugin_registry.spec(plugin).entry_point)
    except (RegistryError, ImportError, AttributeError, ValueError):
        return {}
    return {
        name: parameter.default
        for name, parameter in inspect.signature(target).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def plugin_id(plugin: Mapping[str, Any]) -> str:
    """A recorded plugin by its registered id (``ema-v0``), whether it was asked for with ``--plugin``
    or a strategy composed it itself (recorded by class name only, e.g. diffusion_replay's EMA); a
    plugin class no registry knows keeps its class name."""
    if plugin.get("id"):
        return str(plugin["id"])
    name = str(plugin.get("name") or "plugin")
    from lifelong_pose.registry import plugin_registry

    for spec in plugin_registry:
        if spec.entry_point.rpartition(":")[2] == name:
            return spec.id
    return name


class Board:
    """The entries under ``root``: load, add and check them, reading and writing only inside ``root``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def exists(self) -> bool:
        """Whether ``root`` is a board: a folder holding ``entries/`` or ``reported/`` (``init`` makes both)."""
        return self.root.is_dir() and any((self.root / part).is_dir() for part in (ENTRIES, REPORTED))

    def missing(self) -> str:
        """Why ``root`` is not a board and how to make one: the message of every command that needs one."""
        return (
            f"{clip(self.root)}: no leaderboard here (looked for {ENTRIES}/ or {REPORTED}/ in "
            f"{clip(self.root.absolute())}); create one with 'lifelong-pose leaderboard init {clip(self.root)}', "
            "or check --board for a typo"
        )

    def require(self) -> Board:
        """This board, if it exists (a typo in ``--board`` must not read as an empty board that passes).

        Raises:
            EntryError: no board at ``root``, saying where it looked and how to create one.
        """
        if not self.exists():
            raise EntryError(self.missing())
        return self

    def init(self) -> bool:
        """Create the board's folders; False when it already exists.

        Raises:
            EntryError: ``root`` is a file, or a folder that is neither empty nor a board (the board
                will not file entries among someone else's files).
        """
        if self.exists():
            return False
        if self.root.exists() and not self.root.is_dir():
            raise EntryError(f"{clip(self.root)}: a file, not a folder; choose another --board")
        if self.root.is_dir() and any(self.root.iterdir()):
            raise EntryError(
                f"{clip(self.root)}: a folder that is not empty and not a leaderboard (no {ENTRIES}/ or {REPORTED}/); "
                "choose an empty or new folder for --board"
            )
        for part in (ENTRIES, REPORTED):
            (self.root / part).mkdir(parents=True, exist_ok=True)
        return True

    def _files(self) -> list[Path]:
        """Every ``*.json`` under ``entries/`` (any depth) and in ``reported/``, links refused, never followed.

        Raises:
            EntryError: a symbolic link in either folder (or either folder a link), naming it.
        """
        files: list[Path] = []
        for part, recursive in ((ENTRIES, True), (REPORTED, False)):
            folder = self.root / part
            if not folder.is_symlink() and not folder.is_dir():
                continue
            pending = [inside(self.root, folder)]
            found = []
            while pending:
                with os.scandir(pending.pop()) as items:
                    for item in items:
                        path = Path(item.path)
                        if item.is_symlink():
                            inside(self.root, path)  # raises: a link
                        if item.is_dir(follow_symlinks=False) and recursive:
                            pending.append(path)
                        elif item.name.endswith(".json"):
                            found.append(path)
            files += sorted(found)
        return files

    def filed(self) -> list[Filed]:
        """Every entry on the board, validated, in a stable order.

        Raises:
            EntryError: a link, a file too large, not strict JSON or not a valid entry, or one whose
                name does not end in its key, naming the file.
        """
        out = []
        for path in self._files():
            entry = validate_entry(read_json(path), str(path))
            if not path.name.endswith(f"-{entry['key']}.json"):
                raise EntryError(
                    f"{clip(path)}: holds key {entry['key']}, but its file name does not end in -{entry['key']}.json; "
                    "a file renamed or a key edited by hand (file it again with 'leaderboard add')"
                )
            out.append(Filed(path, entry))
        return out

    def entries(self) -> list[dict[str, Any]]:
        return [filed.entry for filed in self.filed()]

    def path_for(self, entry: Mapping[str, Any]) -> Path:
        """Where ``entry`` is filed; every part checked as a folder or file name, the path inside the board.

        Raises:
            EntryError: an id that cannot name a folder (``..``, a separator), or a path that leaves the board.
        """
        source = f"entry {quoted(entry.get('name'))}"
        name = check_part(f"{slug(entry['name'])}-{entry['key']}.json", "file name", source)
        if entry["kind"] == "reported":
            return inside(self.root, self.root / REPORTED / name)
        c = entry["configuration"]
        scenario = check_scenario_id(c["scenario"], source).split("/")
        folders = [
            check_part(c["backend"], "backend", source),
            *(check_part(part, "scenario id part", source) for part in scenario),
            check_part(c["profile"], "profile", source),
        ]
        return inside(self.root, self.root.joinpath(ENTRIES, *folders, name))

    def write(self, entry: Mapping[str, Any]) -> Path:
        """File ``entry`` (validated, strict JSON) atomically inside the board, created if new; returns its path.

        Raises:
            EntryError: an invalid entry, a path that would leave the board or pass through a link,
                or a ``root`` that is neither a board nor a new or empty folder.
        """
        from lifelong_pose.runner.checkpoint import atomic_write_text

        entry = validate_entry(dict(entry), f"entry {quoted(entry.get('name'))}")
        path = self.path_for(entry)
        text = dumps(entry, str(path))
        self.init()
        path.parent.mkdir(parents=True, exist_ok=True)
        inside(self.root, path)  # again, now that its folders exist
        atomic_write_text(path, text)
        return path

    def remove(self, key: str) -> Path:
        """Delete the entry of configuration ``key`` (to file newer runs of it); returns the file it was in.

        Raises:
            EntryError: no entry on the board has that key.
        """
        for filed in self.filed():
            if filed.entry["key"] == key:
                inside(self.root, filed.path).unlink()
                return filed.path
        raise EntryError(f"no entry with key {clip(key)} on the board in {clip(self.root)}")

    def add(self, folders: Sequence[Path | str], *, allow_few_seeds: bool = False) -> list[Path]:
        """File the runs under ``folders``: their records grouped by configuration, one entry each.

        Nothing is written unless every group is accepted; the first ``add`` creates the board.

        Raises:
            EntryError: an incomplete run (named), a record that fails its schema, figures that do
                not follow from its matrices, fewer than 3 seeds without ``allow_few_seeds``, a
                scenario id that cannot name a folder, or a configuration already on the board
                (naming its file).
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
                    f"{clip(folders_text)}: seed {max(seeds, key=seeds.count)} appears twice in one configuration"
                )
            if key in on_board:
                raise EntryError(
                    f"{clip(folders_text)}: this configuration is already on the board as {clip(on_board[key])}"
                )
            records = [record for _, record in members]
            entries.append(
                entry_from_records(
                    records,
                    name=record_name(records[0]),
                    run=self.relative_runs([folder for folder, _ in members]),
                    allow_few_seeds=allow_few_seeds,
                )
            )
        for entry in entries:
            self.path_for(entry)  # every path checked before anything is written
        return [self.write(entry) for entry in entries]

    def relative_runs(self, folders: Sequence[Path]) -> str | None:
        """The run folders as paths relative to the board, or None when any lies outside it.

        Why: an entry is published; a path of the machine that made it (``/home/me/runs/...``)
        means nothing to a reader and tells everyone that machine's layout. Runs kept beside the
        board (``leaderboard/runs/...``) stay findable; others are left out.
        """
        root = self.root.resolve()
        relative = []
        for folder in folders:
            resolved = Path(folder).resolve()
            if not resolved.is_relative_to(root):
                return None
            relative.append(resolved.relative_to(root).as_posix())
        return ", ".join(sorted(set(relative))) or None

    def check(self) -> list[str]:
        """Every problem on the board, as ``file: message`` lines: no board at all, invalid files, figures
        that do not follow from their matrices, keys that do not match their configuration, entries
        filed where they do not belong, duplicate configurations."""
        if not self.exists():
            return [self.missing()]
        problems: list[str] = []
        try:
            filed = self.filed()
        except EntryError as error:
            return [str(error)]
        keys: dict[str, Path] = {}
        for item in filed:
            entry = item.entry
            if entry["key"] in keys:
                problems.append(f"{clip(item.path)}: the same configuration as {clip(keys[entry['key']])}")
            keys[entry["key"]] = item.path
            try:
                expected = self.path_for(entry)
            except EntryError as error:
                problems.append(str(error))
            else:
                if expected != item.path:
                    problems.append(
                        f"{clip(item.path)}: filed where it does not belong; its name and configuration file it at "
                        f"{clip(expected)}"
                    )
            problems += [
                f"{clip(item.path)}: {quoted(where)} holds the absolute path {quoted(path)}; a published entry names "
                "no folder of the machine that made it (record run folders relative to the board, or leave them out)"
                for where, path in absolute_paths(entry)
            ]
            if entry["kind"] != "reproduced":
                continue
            if configuration_key(entry["configuration"]) != entry["key"]:
                problems.append(f"{clip(item.path)}: key {entry['key']} does not match its configuration")
            problems += [f"{clip(item.path)}: {problem}" for problem in recompute(entry)]
        return problems
