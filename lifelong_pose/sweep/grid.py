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

import yaml

from lifelong_pose.registry.loading import check_option_name, echo

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
MAX_FILE_BYTES = 1_048_576
"""A sweep file is a page of YAML; one larger than this is refused unread."""
MAX_DEPTH = 16
"""YAML nesting a sweep file may use (it needs 4: strategies, an item, its set, a value)."""
MAX_RUNS = 10_000
"""Cells one sweep may hold (each is a full run); a typo that multiplies the grid is refused before Ray."""
MAX_VALUE = 1000
"""Characters of one option value (what ``--set`` allows on the command line)."""
MAX_NAME = 200
"""Characters of a row's name (it names the row's folder, and file names stop at 255 bytes)."""
"""Characters of one option value (what ``--set`` allows on the command line)."""


class SweepError(ValueError):
    """A sweep file or command line that does not describe a grid; the message says what to change."""


def _unknown(kind: str, key: str, known: Sequence[str]) -> SweepError:
    close = difflib.get_close_matches(key, known, n=1) if len(key) <= 100 else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return SweepError(f"unknown {kind} key {echo(key)}{hint} (known: {', '.join(known)})")


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
            raise SweepError(f"profile must be one of {', '.join(PROFILES)}, got {echo(self.profile)}")
        if self.device.startswith("cuda") and self.gpus <= 0:
            raise SweepError(
                f"device {echo(self.device)} needs a GPU per run, but runs declare gpus={self.gpus:g}: Ray would hide "
                "every GPU from them; give --gpus-per-run 1 (or a fraction, to share one)"
            )
        if not (self.cpus > 0 and self.gpus >= 0):
            raise SweepError(f"each run needs cpus > 0 and gpus >= 0, got cpus={self.cpus}, gpus={self.gpus}")
        cells = len(self.scenarios) * len(self.rows) * len(self.seeds)
        if cells > MAX_RUNS:
            raise SweepError(
                f"the grid has {cells:_} runs ({len(self.scenarios)} scenarios x {len(self.rows)} rows x "
                f"{len(self.seeds)} seeds); at most {MAX_RUNS:_} per sweep: split it into several sweeps"
            )
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
        raise SweepError(f"a strategies item is an id or a mapping with 'strategy:', got {echo(item)}")
    for key in item:
        if key not in ROW_KEYS:
            raise _unknown("strategies item", str(key), ROW_KEYS)
    if not isinstance(item.get("strategy"), str) or not item["strategy"]:
        raise SweepError(f"a strategies item needs 'strategy: ID', got {echo(dict(item))}")
    own_set = item.get("set") or {}
    own_plugins = item.get("plugins") or []
    if not isinstance(own_set, Mapping) or not isinstance(own_plugins, list):
        raise SweepError(f"'set' is a mapping and 'plugins' a list in {echo(dict(item))}")
    if not all(isinstance(plugin, str) for plugin in own_plugins):
        raise SweepError(f"'plugins' is a list of plugin ids, got {echo(own_plugins)}")
    check_set(own_set, f"the set of strategies item {echo(item['strategy'], 60)}")
    plugins = [*common_plugins, *(p for p in own_plugins if p not in common_plugins)]
    merged = {**common_set, **own_set}
    options, plugin_options = split_assignments([f"{key}={_text(value)}" for key, value in merged.items()], plugins)
    name = item.get("name") or _default_name(item["strategy"], own_set, own_plugins)
    if not isinstance(name, str | int | float) or len(str(name)) > MAX_NAME:
        raise SweepError(f"a row's name is text of at most {MAX_NAME} characters, got {echo(name)}")
    name = str(name)
    shared = tuple(key for key in options if key in common_set and key not in own_set)
    return Row(name, item["strategy"], options, tuple(plugins), plugin_options, shared)


def check_set(options: Mapping[Any, Any], where: str) -> None:
    """A ``set:`` mapping's keys are option names and its values scalars (a number, a boolean, text, null).

    Why: a value is passed on as ``--set`` text; a list or mapping there is a mistake (or a
    structure built to blow up when a message formats it), and is refused naming the key.

    Raises:
        SweepError: naming ``where`` and the key.
    """
    for key, value in options.items():
        if not isinstance(key, str):
            raise SweepError(f"{where}: option names are text, got {echo(key, 60)}")
        try:
            check_option_name(key, where)
        except ValueError as error:
            raise SweepError(str(error)) from None
        if not (value is None or isinstance(value, bool | int | float | str)):
            raise SweepError(
                f"{where}: {key!r} is a {type(value).__name__}; an option's value is a number, true/false, text or null"
            )
        if isinstance(value, str) and len(value) > MAX_VALUE:
            raise SweepError(
                f"{where}: {key!r} is {len(value):_} characters long; an option value is at most {MAX_VALUE}"
            )


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


def check_row_options(grid: Grid) -> None:
    """Build each row's ``Params`` as its runs will (the grid's profile, the row's options).

    Why: an option out of range (``lr: 1e308``, a warm-up longer than the budget, ``steps`` with
    ``epochs``) would otherwise fail in every worker after Ray started; it is answered before.
    Loads the strategies' classes (torch), like :func:`fit_shared_options`.

    Raises:
        SweepError: naming the row and the option.
    """
    from lifelong_pose.registry.loading import load_entry_point
    from lifelong_pose.training.build import strategy_params, strategy_spec_for

    for row in grid.rows:
        spec = strategy_spec_for(row.strategy)
        try:
            strategy_params(spec, load_entry_point(spec.entry_point), grid.profile, row.options)
        except (TypeError, ValueError) as error:
            raise SweepError(f"row {echo(row.name)}: {error}") from None


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
        raise SweepError(f"seeds is a list or a range like 0-2, got {echo(value)}")
    if not value.strip():
        return []
    try:
        return parse_seeds(value)
    except Exception as error:  # argparse.ArgumentTypeError
        raise SweepError(str(error).replace("--seeds", "seeds")) from None


def read_sweep_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML sweep file, its keys checked.

    The file is read with :class:`SweepLoader`: YAML anchors and aliases are refused (an alias
    bomb, a few lines that expand to billions of items, would otherwise explode when a value is
    formatted) and nesting is bounded; a file over :data:`MAX_FILE_BYTES`, or one that is not a
    regular file (a FIFO would block the read forever), is refused unread.

    Raises:
        SweepError: unreadable, too large, not UTF-8, not valid YAML, using anchors or aliases,
            not a mapping, or an unknown key (with the closest known one).
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise SweepError(f"the sweep file {path} is a folder; give a YAML file")
        if path.exists() and not path.is_file():
            raise SweepError(
                f"the sweep file {path} is not a regular file (a FIFO, device or socket); give a YAML file"
            )
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise SweepError(f"cannot read the sweep file {path}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise SweepError(f"the sweep file {path} is over {MAX_FILE_BYTES:_} bytes; a sweep file is a page of YAML")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SweepError(f"the sweep file {path} is not UTF-8 text (byte {error.start}); give a YAML file") from None
    loader = SweepLoader(text, str(path))
    try:
        content = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(error.problem or error.context or "").split())
        raise SweepError(f"{path} is not valid YAML{where}: {echo(problem)[1:-1]}") from None
    except yaml.YAMLError as error:
        raise SweepError(f"{path} is not valid YAML: {echo(' '.join(str(error).split()))[1:-1]}") from None
    finally:
        loader.dispose()
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
        raise SweepError(f"{path}: resources is a mapping like {{cpus: 1, gpus: 0}}, got {echo(resources)}")
    for key in resources:
        if key not in RESOURCE_KEYS:
            raise _unknown(f"sweep file {path}: resources", str(key), RESOURCE_KEYS)
    return content


class SweepLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses ``&anchor``/``*alias`` and nesting past :data:`MAX_DEPTH`.

    Why at ``compose_node``: it sees each alias before it is resolved to the node it names, so
    nothing is ever expanded; the error names the file and the line.

    Args:
        stream: the file's text.
        source: the file's name, for messages.
    """

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self.source = source
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark is not None else "?"
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            kind, sign = ("alias", "*") if isinstance(event, yaml.AliasEvent) else ("anchor", "&")
            raise SweepError(
                f"{self.source}, line {line}: YAML {kind} {sign}{echo(event.anchor, 40)[1:-1]} is not accepted in a "
                "sweep file (anchors and aliases are refused); write each value out"
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise SweepError(
                    f"{self.source}, line {line}: nested deeper than {MAX_DEPTH} levels; a sweep file needs 4"
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


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
        raise SweepError(f"scenarios is a list of scenario ids, got {echo(scenarios)}")
    common_set = content.get("set") or {}
    if not isinstance(common_set, Mapping):
        raise SweepError(f"set is a mapping of options like {{steps: 20}}, got {echo(common_set)}")
    check_set(common_set, "the sweep-wide set")
    common_set = dict(common_set)
    for assignment in overrides.get("set") or []:
        key, equals, text = assignment.partition("=")
        if not equals or not key.strip():
            raise SweepError(f"--set expects key=value, got {echo(assignment)}")
        from lifelong_pose.cli.assignments import parse_value

        try:
            check_option_name(key.strip(), "--set")
        except ValueError as error:
            raise SweepError(str(error)) from None
        if len(text) > MAX_VALUE:
            raise SweepError(
                f"--set {key.strip()}=... is {len(text):_} characters long; a value is at most {MAX_VALUE}"
            )
        common_set[key.strip()] = parse_value(text)
    common_plugins = overrides.get("plugins") or content.get("plugins") or []
    if not isinstance(common_plugins, list) or not all(isinstance(p, str) for p in common_plugins):
        raise SweepError(f"plugins is a list of plugin ids, got {echo(common_plugins)}")
    items = pick("strategies", [])
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, list):
        raise SweepError(f"strategies is a list (ids or mappings), got {echo(items)}")
    rows = [parse_row(item, common_set, list(common_plugins)) for item in items]
    resources = content.get("resources") or {}
    seeds = overrides.get("seeds")
    return Grid(
        scenarios=list(scenarios),
        rows=rows,
        seeds=list(seeds) if seeds is not None else _seeds(content.get("seeds", [0])),
        profile=_text_option("profile", pick("profile", "quick")),
        data=_text_option("data", pick("data", "sim")),
        world_seed=_world_seed(pick("world_seed", 0)),
        device=_text_option("device", pick("device", "auto")),
        out=Path(_text_option("out", pick("out", "runs/sweep"))),
        cpus=_number("resources: cpus", overrides.get("cpus") or resources.get("cpus", 1)),
        gpus=_number(
            "resources: gpus", overrides.get("gpus") if overrides.get("gpus") is not None else resources.get("gpus", 0)
        ),
    )


def _text_option(key: str, value: Any) -> str:
    """A sweep key whose value is one word or path (``profile``, ``data``, ``device``, ``out``)."""
    if not isinstance(value, str) or not value or len(value) > MAX_VALUE:
        raise SweepError(f"{key} is one word or path (text), got {echo(value)}")
    return value


def _world_seed(value: Any) -> int:
    """``world_seed``: an integer from 0 to 2**31 - 1, as ``--world-seed`` takes."""
    from lifelong_pose.cli.run import MAX_SEED

    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEED:
        raise SweepError(f"world_seed is an integer from 0 to {MAX_SEED}, got {echo(value)}")
    return value


def _number(key: str, value: Any) -> float:
    """A resource count (CPUs or GPUs of each run): a finite number."""
    import math

    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SweepError(f"{key} is a number (of each run's share), got {echo(value)}")
    return float(value)
