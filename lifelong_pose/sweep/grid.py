"""A sweep's grid: scenarios x strategy rows x seeds, read from a YAML file and the command line.

Torch-free and Ray-free, so that a typo in a sweep file is answered in a second, before any worker
starts. A *row* is one configuration of a method (strategy, its options, its plugins); a *run* is a
row on one scenario with one seed, and lands in the same seed folder ``lifelong-pose run`` writes,
so ``lifelong-pose leaderboard add`` and ``--resume`` work on it unchanged.

The file (every key optional but ``scenarios`` and ``strategies``)::

    scenarios: [cross_dataset, cross_scenario]
    strategies:
      - source_only
      - {strategy: poseda, name: "poseda GPA only", set: {lpa: false}, plugins: [ema]}
    seeds: 0-2              # or [0, 1, 2]
    profile: quick          # quick | paper
    data: sim               # a data backend
    world_seed: 0
    set: {steps: 20}        # options of every row (a row's own set wins)
    plugins: []             # plugins of every row, before the row's own
    device: auto
    out: runs/sweep
    resources: {cpus: 1, gpus: 0}   # Ray resources of each run
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FILE_KEYS = (
    "scenarios",
    "strategies",
    "seeds",
    "profile",
    "data",
    "world_seed",
    "set",
    "plugins",
    "device",
    "out",
    "resources",
)
ROW_KEYS = ("strategy", "name", "set", "plugins")
RESOURCE_KEYS = ("cpus", "gpus")
PROFILES = ("quick", "paper")


class SweepError(ValueError):
    """A sweep file or command line that does not describe a grid; the message says what to change."""


def _unknown(kind: str, key: str, known: Sequence[str]) -> SweepError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return SweepError(f"unknown {kind} key {key!r}{hint} (known: {', '.join(known)})")


@dataclass(frozen=True)
class Row:
    """One configuration of a method: what a leaderboard entry is made of (with a scenario)."""

    name: str
    strategy: str
    options: dict[str, Any] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()
    plugin_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared: tuple[str, ...] = ()  # keys of ``options`` that came from the sweep-wide ``set``

    def identity(self, common: Mapping[str, Any]) -> str:
        """8 hex digits over everything that defines the row's runs (not its display name): a row
        changed under the same name gets a new folder instead of resuming the old one's runs."""
        text = json.dumps(
            {
                "strategy": self.strategy,
                "options": self.options,
                "plugins": self.plugins,
                "plugin_options": self.plugin_options,
                **common,
            },
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Run:
    """One cell of the grid: a row on a scenario with a seed, and its seed folder."""

    scenario: str
    row: Row
    seed: int
    folder: Path

    @property
    def label(self) -> str:
        return f"{self.scenario} | {self.row.name} | seed {self.seed}"


@dataclass
class Grid:
    """A whole sweep; :meth:`runs` expands it in scenario, row, seed order."""

    scenarios: list[str]
    rows: list[Row]
    seeds: list[int] = field(default_factory=lambda: [0])
    profile: str = "quick"
    data: str = "sim"
    world_seed: int = 0
    device: str = "auto"
    out: Path = Path("runs/sweep")
    cpus: float = 1.0
    gpus: float = 0.0

    def common(self) -> dict[str, Any]:
        """What every run shares besides its row, scenario and seed (part of each row's folder identity)."""
        return {"profile": self.profile, "data": self.data, "world_seed": self.world_seed}

    def row_folder(self, scenario: str, row: Row) -> Path:
        """``OUT/SCENARIO/NAME-IDENTITY``: a readable name and the row's configuration hash."""
        slug = re.sub(r"[^A-Za-z0-9_.=-]+", "_", row.name).strip("_") or "row"
        return self.out / scenario / f"{slug}-{row.identity(self.common())}"

    def runs(self) -> list[Run]:
        return [
            Run(scenario, row, seed, self.row_folder(scenario, row) / f"seed-{seed}")
            for scenario in self.scenarios
            for row in self.rows
            for seed in self.seeds
        ]

    def check(self) -> None:
        """Refuse an empty grid, repeated rows or scenarios, bad resources and unknown ids.

        Ids are checked against the registries (scenarios, strategies, plugins), which load no
        torch; a strategy's options are checked when its run starts (the runner's checks).

        Raises:
            SweepError: naming the problem; RegistryError for an unknown id (with suggestions).
        """
        from lifelong_pose.registry import plugin_registry, scenario_registry, strategy_registry

        axes = (("scenarios", self.scenarios), ("strategies", self.rows), ("seeds", self.seeds))
        empty = [name for name, items in axes if not items]
        if empty:
            raise SweepError(
                f"the grid is empty: no {' and no '.join(empty)} given (a sweep needs at least one of each)"
            )
        for name, items in (("scenario", self.scenarios), ("row name", [row.name for row in self.rows])):
            repeated = sorted({item for item in items if items.count(item) > 1})
            if repeated:
                raise SweepError(f"the grid repeats the {name}(s) {repeated}; give each once (name rows with 'name:')")
        if self.profile not in PROFILES:
            raise SweepError(f"profile must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        if self.device.startswith("cuda") and self.gpus <= 0:
            raise SweepError(
                f"device {self.device!r} needs a GPU per run, but runs declare gpus={self.gpus:g}: Ray would hide "
                "every GPU from them; give --gpus-per-run 1 (or a fraction, to share one)"
            )
        if not (self.cpus > 0 and self.gpus >= 0):
            raise SweepError(f"each run needs cpus > 0 and gpus >= 0, got cpus={self.cpus}, gpus={self.gpus}")
        for scenario in self.scenarios:
            scenario_registry.spec(scenario)
        for row in self.rows:
            if ":" not in row.strategy:
                strategy_registry.spec(row.strategy)
            for plugin in row.plugins:
                if ":" not in plugin:
                    plugin_registry.spec(plugin)


def parse_row(item: Any, common_set: Mapping[str, Any], common_plugins: Sequence[str]) -> Row:
    """A ``strategies:`` item (an id, or a mapping with ``strategy``, ``name``, ``set``, ``plugins``) as a :class:`Row`.

    ``set`` keys ``name.key`` go to plugin ``name``, as ``--set`` does on the command line.
    """
    from lifelong_pose.cli.assignments import split_assignments

    if isinstance(item, str):
        item = {"strategy": item}
    if not isinstance(item, Mapping):
        raise SweepError(f"a strategies item is an id or a mapping with 'strategy:', got {item!r}")
    for key in item:
        if key not in ROW_KEYS:
            raise _unknown("strategies item", str(key), ROW_KEYS)
    if not isinstance(item.get("strategy"), str) or not item["strategy"]:
        raise SweepError(f"a strategies item needs 'strategy: ID', got {dict(item)!r}")
    own_set = item.get("set") or {}
    own_plugins = item.get("plugins") or []
    if not isinstance(own_set, Mapping) or not isinstance(own_plugins, list):
        raise SweepError(f"'set' is a mapping and 'plugins' a list in {dict(item)!r}")
    plugins = [*common_plugins, *(p for p in own_plugins if p not in common_plugins)]
    merged = {**common_set, **own_set}
    options, plugin_options = split_assignments([f"{key}={_text(value)}" for key, value in merged.items()], plugins)
    name = str(item.get("name") or _default_name(item["strategy"], own_set, own_plugins))
    shared = tuple(key for key in options if key in common_set and key not in own_set)
    return Row(name, item["strategy"], options, tuple(plugins), plugin_options, shared)


def fit_shared_options(rows: Sequence[Row]) -> list[Row]:
    """Each row with the sweep-wide options its strategy does not have left out.

    A sweep-wide ``set: {adapt_steps: 5}`` means "where a strategy adapts": ``source_only`` has no
    such option and runs without it. An option that no row's strategy has is a typo, and refused.
    Loads the strategies' classes (torch), so it runs once the grid is otherwise valid.

    Raises:
        SweepError: a sweep-wide option no strategy of the grid has (with the closest known one).
    """
    from dataclasses import fields

    from lifelong_pose.registry.loading import load_entry_point
    from lifelong_pose.training.build import strategy_spec_for

    fitted, used, known = [], set(), set()
    for row in rows:
        params = load_entry_point(strategy_spec_for(row.strategy).entry_point).Params
        names = {f.name for f in fields(params)}
        known |= names
        dropped = {key for key in row.shared if key not in names}
        used |= set(row.shared) - dropped
        options = {key: value for key, value in row.options.items() if key not in dropped}
        fitted.append(Row(row.name, row.strategy, options, row.plugins, row.plugin_options, row.shared))
    unused = sorted({key for row in rows for key in row.shared} - used)
    if unused:
        raise _unknown("sweep-wide set (no strategy of the grid has it)", unused[0], sorted(known))
    return fitted


def _text(value: Any) -> str:
    """A YAML value as ``--set`` text (``split_assignments`` parses it back to the same value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)


def _default_name(strategy: str, options: Mapping[str, Any], plugins: Sequence[str]) -> str:
    parts = [strategy, *(f"+{plugin}" for plugin in plugins), *(f"{k}={_text(v)}" for k, v in sorted(options.items()))]
    return " ".join(parts)


def _seeds(value: Any) -> list[int]:
    from lifelong_pose.cli.run import parse_seeds

    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if not isinstance(value, str):
        raise SweepError(f"seeds is a list or a range like 0-2, got {value!r}")
    if not value.strip():
        return []
    try:
        return parse_seeds(value)
    except Exception as error:  # argparse.ArgumentTypeError
        raise SweepError(str(error).replace("--seeds", "seeds")) from None


def read_sweep_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML sweep file, its keys checked.

    Raises:
        SweepError: unreadable, not a mapping, or an unknown key (with the closest known one).
    """
    import yaml

    try:
        content = yaml.safe_load(Path(path).read_text())
    except OSError as error:
        raise SweepError(f"cannot read the sweep file {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise SweepError(f"{path} is not valid YAML: {error}") from None
    if content is None:
        content = {}
    if not isinstance(content, dict):
        raise SweepError(
            f"{path} must hold a mapping of sweep keys ({', '.join(FILE_KEYS)}), got {type(content).__name__}"
        )
    for key in content:
        if key not in FILE_KEYS:
            raise _unknown(f"sweep file {path}:", str(key), FILE_KEYS)
    resources = content.get("resources") or {}
    if not isinstance(resources, dict):
        raise SweepError(f"{path}: resources is a mapping like {{cpus: 1, gpus: 0}}, got {resources!r}")
    for key in resources:
        if key not in RESOURCE_KEYS:
            raise _unknown(f"sweep file {path}: resources", str(key), RESOURCE_KEYS)
    return content


def build_grid(content: Mapping[str, Any], overrides: Mapping[str, Any]) -> Grid:
    """The grid of a sweep file's ``content`` with the command line's ``overrides`` on top.

    ``overrides`` holds what the command line gave (``None``/empty for what it did not):
    ``scenarios``, ``strategies`` (ids), ``seeds`` (list), ``set`` (``key=value`` texts, for every
    row), ``plugins``, ``profile``, ``data``, ``world_seed``, ``device``, ``out``, ``cpus``, ``gpus``.
    """

    def pick(key: str, default: Any) -> Any:
        given = overrides.get(key)
        return given if given not in (None, [], ()) else content.get(key, default)

    scenarios = pick("scenarios", [])
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    if not isinstance(scenarios, list) or not all(isinstance(s, str) for s in scenarios):
        raise SweepError(f"scenarios is a list of scenario ids, got {scenarios!r}")
    common_set = dict(content.get("set") or {})
    for assignment in overrides.get("set") or []:
        key, equals, text = assignment.partition("=")
        if not equals or not key.strip():
            raise SweepError(f"--set expects key=value, got {assignment!r}")
        from lifelong_pose.cli.assignments import parse_value

        common_set[key.strip()] = parse_value(text)
    common_plugins = list(overrides.get("plugins") or content.get("plugins") or [])
    items = pick("strategies", [])
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise SweepError(f"strategies is a list (ids or mappings), got {items!r}")
    rows = [parse_row(item, common_set, common_plugins) for item in items]
    resources = content.get("resources") or {}
    seeds = overrides.get("seeds")
    return Grid(
        scenarios=list(scenarios),
        rows=rows,
        seeds=list(seeds) if seeds is not None else _seeds(content.get("seeds", [0])),
        profile=str(pick("profile", "quick")),
        data=str(pick("data", "sim")),
        world_seed=int(pick("world_seed", 0)),
        device=str(pick("device", "auto")),
        out=Path(pick("out", "runs/sweep")),
        cpus=float(overrides.get("cpus") or resources.get("cpus", 1)),
        gpus=float(overrides.get("gpus") if overrides.get("gpus") is not None else resources.get("gpus", 0)),
    )
