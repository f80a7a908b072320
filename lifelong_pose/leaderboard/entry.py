"""A leaderboard entry: one configuration's runs at every seed, with what is needed to trust its figures.

An entry is built from finished run records (:func:`entry_from_records`) and stores, per seed, the
result matrices of every metric and the figures the run computed from them; across seeds, mean and
sample std of every figure. :func:`recompute` derives all of these again from the stored matrices,
so a figure that does not follow from its matrices (a hand-edited file, a bug) is caught by
``lifelong-pose leaderboard check``. The configuration (scenario id and version, data backend,
world seed and data fingerprint, profile, strategy id and every option, plugins, evaluation
settings) decides comparability: entries are grouped by it and never mixed across backends,
versions or profiles.

Entries of ``kind: reported`` hold a paper's own published figures (real data, cited, no matrices);
they are shown beside reproduced runs and never ranked with them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import jsonschema

from lifelong_pose.leaderboard.guard import PART_LIMIT, EntryError, check_tree, clip, quoted
from lifelong_pose.metrics.matrix import FIGURES, summarize
from lifelong_pose.metrics.table import METRIC_KEYS, metric_spec
from lifelong_pose.runner.record import DIAGNOSTICS_SCHEMA, NORMALISATION_SCHEMA
from lifelong_pose.runner.run_record import figures_over_seeds, with_pre_control_defaults

ENTRY_SCHEMA_ID = "lifelong-pose/leaderboard-entry/v1"
MIN_SEEDS = 3
"""Fewer seeds than this are accepted only with a visible flag (``few_seeds``)."""
TOLERANCE = 1e-6
"""Largest relative difference between a stored and a recomputed figure (JSON round trips are exact;
this only absorbs summation order)."""
SCENARIO_ID = r"^(?:[A-Za-z_][A-Za-z0-9_.-]*/)?[A-Za-z_][A-Za-z0-9_.]*-v[0-9]+$"
"""A versioned scenario id (``cross_dataset-v2``, ``mylab/stream-v0``): anchored, because it names folders."""
KEY = r"^[0-9a-f]{16}$"
MAX_NAME_CHARS = 1000
"""Longest entry name accepted (the board's longest is under 100): a name is one row's label."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_number_or_null = {"type": ["number", "null"]}
_matrix = {"type": "array", "minItems": 1, "items": {"type": "array", "minItems": 1, "items": {"type": "number"}}}
_seed_figures = {
    "type": "object",
    "required": list(METRIC_KEYS),
    "additionalProperties": {
        "type": "object",
        "required": list(FIGURES),
        "properties": {key: _number_or_null for key in FIGURES},
    },
}
_mean_std_n = {
    "type": "object",
    "required": ["mean", "std", "n"],
    "properties": {"mean": _number_or_null, "std": _number_or_null, "n": {"type": "integer", "minimum": 0}},
}
_configuration = {
    "type": "object",
    "required": ["scenario", "backend", "world_seed", "fingerprint", "profile", "strategy", "plugins", "evaluation"],
    "properties": {
        "scenario": {"type": "string", "pattern": SCENARIO_ID},
        "backend": {"enum": ["sim", "real"]},
        "world_seed": {"type": "integer"},
        "fingerprint": {"type": "string"},
        "profile": {"enum": ["quick", "paper"]},
        "strategy": {
            "type": "object",
            "required": ["id", "entry_point", "params"],
            "properties": {
                "id": {"type": "string"},
                "entry_point": {"type": "string"},
                "params": {"type": "object"},
                "source_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            },
        },
        "plugins": {"type": "array", "items": {"type": "object"}},
        "evaluation": {"type": "object"},
        "init_checkpoint": {
            "type": "object",
            "required": ["sha256", "trains_source"],
            "properties": {"sha256": {"type": "string"}, "trains_source": {"type": "boolean"}},
        },
    },
}
_reproduced = {
    "type": "object",
    "required": [
        "schema",
        "kind",
        "name",
        "key",
        "configuration",
        "oracle",
        "domains",
        "seeds",
        "few_seeds",
        "figures",
        "resources",
        "added",
    ],
    "properties": {
        "schema": {"const": ENTRY_SCHEMA_ID},
        "kind": {"const": "reproduced"},
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
        "key": {"type": "string", "pattern": KEY},
        "configuration": _configuration,
        "oracle": {"type": "boolean", "description": "reads target 3D: shown, never ranked"},
        "domains": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "seeds": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["seed", "matrices", "figures", "total_s", "device", "versions", "git"],
                "properties": {
                    "seed": {"type": "integer"},
                    "matrices": {"type": "object", "required": list(METRIC_KEYS), "additionalProperties": _matrix},
                    "figures": _seed_figures,
                    "total_s": {"type": "number", "minimum": 0},
                    "device": {"type": "string"},
                    "versions": {"type": "object"},
                    "git": {"type": "object"},
                    "diagnostics": DIAGNOSTICS_SCHEMA,
                },
            },
        },
        "normalisation": NORMALISATION_SCHEMA,
        "few_seeds": {"type": "boolean"},
        "figures": {
            "type": "object",
            "required": list(METRIC_KEYS),
            "additionalProperties": {
                "type": "object",
                "required": list(FIGURES),
                "properties": {key: _mean_std_n for key in FIGURES},
            },
        },
        "resources": {
            "type": "object",
            "required": [
                "parameters",
                "extra_parameters",
                "kept_bytes",
                "keeps_source_data",
                "uses_target_data",
                "reads_target_3d",
            ],
        },
        "run": {"type": "string"},
        "added": {"type": "string"},
    },
}
_reported = {
    "type": "object",
    "required": ["schema", "kind", "name", "key", "setting", "backend", "metric", "values", "average", "citation"],
    "properties": {
        "schema": {"const": ENTRY_SCHEMA_ID},
        "kind": {"const": "reported"},
        "name": {"type": "string", "minLength": 1, "maxLength": MAX_NAME_CHARS},
        "key": {"type": "string", "pattern": KEY},
        "setting": {"type": "string", "minLength": 1, "description": "the paper's protocol, e.g. H3.6M S1 -> S5-S8"},
        "backend": {"const": "real"},
        "metric": {"enum": list(METRIC_KEYS)},
        "values": {"type": "object", "minProperties": 1, "additionalProperties": {"type": "number"}},
        "average": _number_or_null,
        "citation": {
            "type": "object",
            "required": ["paper", "title", "table", "quote"],
            "properties": {
                "paper": {"type": "string", "description": "how tables cite it: first author, venue, year"},
                "title": {"type": "string"},
                "venue": {"type": "string"},
                "link": {"type": "string", "pattern": "^https://"},
                "table": {"type": "string"},
                "quote": {"type": "string"},
            },
        },
        "notes": {"type": "string"},
    },
}
ENTRY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "lifelong-pose leaderboard entry",
    "oneOf": [_reproduced, _reported],
}


def validate_entry(entry: Any, source: str = "entry") -> dict[str, Any]:
    """Check ``entry`` against :data:`ENTRY_SCHEMA` and its own shapes (one matrix row per domain).

    Nesting, numbers and the values that become folder and file names (scenario id, key) or that
    every table shows (name) are checked first, with messages that say what is allowed, so a crafted
    entry is refused before anything uses it as a path; then every text, for terminal control characters.

    Raises:
        EntryError: naming ``source`` and the field at fault (every repeated value cut to length).
    """
    source = clip(source)
    check_tree(entry, source)
    kind = entry.get("kind") if isinstance(entry, dict) else None
    if kind not in ("reproduced", "reported"):
        shown = quoted(kind) if isinstance(kind, str) else clip(kind)
        raise EntryError(f"{source}: kind must be 'reproduced' or 'reported', got {shown}")
    check_identifiers(entry, source)
    check_tree(entry, source, text=True)
    error = jsonschema.exceptions.best_match(_validator(kind).iter_errors(entry))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise EntryError(f"{source}: invalid at {clip(where)}: {clip(error.message)}")
    if kind == "reproduced":
        size = len(entry["domains"])
        for run in entry["seeds"]:
            for metric, matrix in run["matrices"].items():
                if len(matrix) != size or any(len(row) != size for row in matrix):
                    raise EntryError(
                        f"{source}: seed {run['seed']}'s {clip(metric)} matrix is not {size} x {size} (one per domain)"
                    )
        seeds = [run["seed"] for run in entry["seeds"]]
        if len(set(seeds)) != len(seeds):
            raise EntryError(f"{source}: seeds repeat: {clip(seeds)}")
        if entry["few_seeds"] != (len(seeds) < MIN_SEEDS):
            raise EntryError(f"{source}: few_seeds is {entry['few_seeds']} with {len(seeds)} seeds")
    return entry


@functools.cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    """The schema's validator, checked once (``jsonschema.validate`` checks the schema itself on every call)."""
    schema = _reproduced if kind == "reproduced" else _reported
    cls = jsonschema.validators.validator_for(ENTRY_SCHEMA)
    cls.check_schema(schema)
    return cls(schema)


def check_identifiers(entry: Mapping[str, Any], source: str) -> None:
    """Refuse a name that is not one line of text, a key that is not 16 hex digits, an unsafe scenario id.

    Python's ``re.fullmatch`` is used, not only the schema's patterns: a JSON Schema ``$`` also
    matches before a final newline. Fields of the wrong type are left to the schema.

    Raises:
        EntryError: naming ``source``, the field and the value (cut to length).
    """
    name = entry.get("name")
    if isinstance(name, str) and len(name) > MAX_NAME_CHARS:
        raise EntryError(
            f"{source}: name {quoted(name)} is too long; at most {MAX_NAME_CHARS} characters (shorten the strategy's "
            "option values, plugin ids or the published row's name)"
        )
    if isinstance(name, str) and _CONTROL.search(name):
        raise EntryError(
            f"{source}: name {quoted(name)} holds a control character (newline, tab or NUL); a name is one line of text"
        )
    key = entry.get("key")
    if isinstance(key, str) and not re.fullmatch(KEY[1:-1], key):
        raise EntryError(f"{source}: key {quoted(key)} is not 16 lowercase hex digits")
    configuration = entry.get("configuration")
    scenario = configuration.get("scenario") if isinstance(configuration, dict) else None
    if entry.get("kind") == "reproduced" and isinstance(scenario, str):
        check_scenario_id(scenario, source)


def check_scenario_id(scenario: str, source: str) -> str:
    """``scenario`` if it is a versioned id (:data:`SCENARIO_ID`) whose parts can each name a folder.

    Raises:
        EntryError: an id with path separators, ``..``, a backslash or no version, naming ``source``.
    """
    if not re.fullmatch(SCENARIO_ID[1:-1], scenario, re.ASCII) or any(
        len(part) > PART_LIMIT for part in scenario.split("/")
    ):
        raise EntryError(
            f"{source}: scenario id {quoted(scenario)} is not a versioned id like 'cross_dataset-v2' or "
            "'mylab/stream-v0' (ASCII letters, digits, '_' and '.'); it names a folder of the board, so it cannot "
            "hold '..', '\\' or further '/'"
        )
    return scenario


def configuration_key(configuration: Mapping[str, Any]) -> str:
    """16 hex digits of the SHA-256 of the configuration's canonical JSON: two runs of one setup share it."""
    canonical = json.dumps(configuration, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def display_name(
    strategy_id: str, params: Mapping[str, Any], defaults: Mapping[str, Any], plugins: Sequence[str]
) -> str:
    """``poseda-v0 (lpa=false) + ema``: the strategy, the options that differ from its defaults, plugins."""
    changed = [f"{key}={option_text(value)}" for key, value in sorted(params.items()) if defaults.get(key) != value]
    name = strategy_id + (f" ({', '.join(changed)})" if changed else "")
    return " + ".join([name, *plugins])


def option_text(value: Any) -> str:
    """An option's value as a name and a command line write it: a string as it is, anything else as JSON."""
    return json.dumps(value) if not isinstance(value, str) else value


def _seed_run(record: Mapping[str, Any]) -> dict[str, Any]:
    run = {
        "seed": record["seed"],
        "matrices": {metric: record["matrices"][metric] for metric in METRIC_KEYS},
        "figures": {metric: {f: record["figures"][metric][f] for f in FIGURES} for metric in METRIC_KEYS},
        "total_s": record["timing"]["total_s"],
        "device": record["device"],
        "versions": record["versions"],
        "git": record["git"],
    }
    if "diagnostics" in record:
        run["diagnostics"] = record["diagnostics"]
    return run


def run_configuration(record: Mapping[str, Any]) -> dict[str, Any]:
    """What makes two records one configuration (a record from before ``bn`` existed means ``bn=train``)."""
    record = with_pre_control_defaults(dict(record))
    data = record["data"]
    configuration = {
        "scenario": record["scenario"]["id"],
        "backend": data["backend"],
        "world_seed": data["world_seed"],
        "fingerprint": data["fingerprint"],
        "profile": record["profile"],
        "strategy": {
            key: record["strategy"][key]
            for key in ("id", "entry_point", "params", "source_sha256")
            if key in record["strategy"]  # a file strategy's code hash: two edits are two configurations
        },
        "plugins": record["plugins"],
        "evaluation": record.get("evaluation", {}),
    }
    if "init_checkpoint" in record:  # a source started from a checkpoint is another configuration
        configuration["init_checkpoint"] = {k: record["init_checkpoint"][k] for k in ("sha256", "trains_source")}
    return configuration


def check_complete(record: Mapping[str, Any], where: str) -> None:
    """Refuse a record that is not ``complete``: an interrupted, failed or running run misleads.

    Raises:
        EntryError: naming ``where`` (the run), the seed, its status and how far it got.
    """
    if record["status"] != "complete":
        raise EntryError(
            f"{clip(where)}: seed {record['seed']} is {record['status']} ({record['completed_domains']} of "
            f"{len(record['domains'])} domains), not complete; finish it with 'lifelong-pose run ... --resume' "
            "before adding it"
        )


def entry_from_records(
    records: Sequence[Mapping[str, Any]],
    *,
    name: str,
    run: str | None,
    allow_few_seeds: bool = False,
) -> dict[str, Any]:
    """One entry from the complete records of one configuration at several seeds.

    Args:
        records: run records (``result.json``), one per seed.
        name: the row's name in tables (:func:`display_name`).
        run: where the records came from, relative to the board (None: left out; never an absolute path).
        allow_few_seeds: accept fewer than :data:`MIN_SEEDS` seeds (the entry is flagged ``few_seeds``).

    Raises:
        EntryError: a record not complete (naming its run and status), records of different
            configurations, repeated seeds, fewer than :data:`MIN_SEEDS` seeds without
            ``allow_few_seeds``, or a stored figure that does not follow from its matrices.
    """
    where = clip(run)
    if not records:
        raise EntryError(f"{where}: no run records found")
    for record in records:
        check_tree(record, where)
        check_complete(record, run)
    configurations = [run_configuration(record) for record in records]
    if any(c != configurations[0] for c in configurations):
        raise EntryError(f"{where}: the records are not one configuration (scenario, data, strategy or options differ)")
    if len(records) < MIN_SEEDS and not allow_few_seeds:
        raise EntryError(
            f"{where}: {len(records)} seed(s); a leaderboard entry needs {MIN_SEEDS} (run with --seeds 0,1,2), "
            "or pass --allow-few-seeds to file it flagged"
        )
    seed_runs = sorted((_seed_run(record) for record in records), key=lambda r: r["seed"])
    first = records[0]
    resources = first["resources"]
    entry = {
        "schema": ENTRY_SCHEMA_ID,
        "kind": "reproduced",
        "name": name,
        "key": configuration_key(configurations[0]),
        "configuration": configurations[0],
        "oracle": bool(first["strategy"]["reads_target_3d"]),
        "domains": list(first["domains"]),
        "seeds": seed_runs,
        "few_seeds": len(records) < MIN_SEEDS,
        "figures": figures_over_seeds(seed_runs),
        "resources": {
            "parameters": resources["parameters"],
            "extra_parameters": resources.get("extra_parameters", 0),
            "kept_bytes": resources["kept_bytes"],
            "keeps_source_data": resources.get("keeps_source_data", False),
            "uses_target_data": resources.get("uses_target_data", True),
            "reads_target_3d": bool(first["strategy"]["reads_target_3d"]),
        },
        "added": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if run is not None:
        entry["run"] = run
    if "normalisation" in first:
        entry["normalisation"] = first["normalisation"]
    entry = json.loads(json.dumps(entry))
    validate_entry(entry, run)
    problems = recompute(entry)
    if problems:
        raise EntryError(f"{where}: figures do not follow from the matrices: " + "; ".join(problems[:5]))
    return entry


def _differs(stored: float | None, computed: float | None) -> bool:
    if stored is None or computed is None:
        return stored is not computed
    return not math.isclose(stored, computed, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def recompute(entry: Mapping[str, Any]) -> list[str]:
    """Every stored figure of a reproduced entry that differs from its recomputation, as messages.

    Per seed, each metric's figures from its matrix (:func:`lifelong_pose.metrics.matrix.summarize`);
    across seeds, mean, std and count. An empty list: every figure follows from the matrices.
    """
    problems = []
    seed_figures = []
    for run in entry["seeds"]:
        computed = {m: summarize(run["matrices"][m], metric_spec(m).lower_is_better) for m in METRIC_KEYS}
        seed_figures.append({"figures": computed})
        for metric in METRIC_KEYS:
            for figure in FIGURES:
                stored, value = run["figures"][metric][figure], computed[metric][figure]
                if _differs(stored, value):
                    problems.append(f"seed {run['seed']} {metric} {figure}: stored {stored}, matrices give {value}")
    expected = figures_over_seeds(seed_figures)
    for metric in METRIC_KEYS:
        for figure in FIGURES:
            stored, computed = entry["figures"][metric][figure], expected[metric][figure]
            for part in ("mean", "std", "n"):
                if _differs(stored[part], computed[part]):
                    problems.append(
                        f"{metric} {figure} {part} over seeds: stored {stored[part]}, matrices give {computed[part]}"
                    )
    return problems
