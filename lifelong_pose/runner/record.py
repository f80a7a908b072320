"""The record schemas: a run's ``result.json`` and a multi-seed ``summary.json``, and loading them loudly.

One JSON file per run, numbers as numbers (``null`` where a figure is undefined, never NaN),
checked against :data:`RESULT_SCHEMA` when written and when read. A partial record (a run still
going, or interrupted) holds the rows of the matrices finished so far and ``summary: null``.
With several seeds, ``summary.json`` gives mean and std over the seeds' records; its schema
(:data:`SUMMARY_SCHEMA`) is built from the same parts, so the two cannot drift apart.

This module is the format only (jsonschema, no torch); building and changing records is
:class:`lifelong_pose.runner.run_record.RunRecord`'s job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from lifelong_pose.metrics.matrix import FIGURES
from lifelong_pose.metrics.table import HEADLINE_METRIC, METRIC_KEYS

RESULT_SCHEMA_ID = "lifelong-pose/result/v1"
RESULT_FILE = "result.json"
SUMMARY_SCHEMA_ID = "lifelong-pose/summary/v1"
SUMMARY_FILE = "summary.json"
STATUSES = ("running", "interrupted", "failed", "complete")
FIGURE_KEYS = FIGURES

SUMMARY_FIGURES: dict[str, str] = {
    f"final_avg_{HEADLINE_METRIC}": "final_avg",
    f"avg_{HEADLINE_METRIC}": "avg",
    "bwt": "bwt",
    "forgetting": "forgetting",
    "fwt": "fwt",
    "adaptation_gain": "adaptation_gain",
}
"""A record's ``summary`` key -> the figure of the headline metric it repeats."""
SUMMARY_KEYS = tuple(SUMMARY_FIGURES)

_number_or_null = {"type": ["number", "null"]}
_integer_or_null = {"type": ["integer", "null"]}
_matrix = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
_data = {
    "type": "object",
    "required": ["backend", "fingerprint", "world_seed", "layout"],
    "properties": {
        "backend": {"enum": ["sim", "real"]},
        "fingerprint": {"type": "string"},
        "world_seed": {"type": "integer"},
        "layout": {"type": "string"},
        "protocols": {"type": "array", "items": {"enum": ["inductive", "transductive"]}},
        "data_root": {"type": "string"},
        "h36m_2d": {"type": "string"},
        "valid_mask": {"type": "boolean"},
    },
}
_lower_is_better = {"type": "object", "additionalProperties": {"type": "boolean"}}
_stage_figures = {"type": "object", "additionalProperties": _number_or_null}
DIAGNOSTICS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "per finished domain, what it changed in the lifter (lifelong_pose.runner.diagnostics); "
    "figures null for the source and for domains recorded before diagnostics existed",
    "items": {
        "type": "object",
        "required": ["name", "figures"],
        "properties": {
            "name": {"type": "string"},
            "figures": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": [
                            "weight_change",
                            "prediction_change_mm",
                            "statistics_shift",
                            "swap",
                            "method",
                        ],
                        "properties": {
                            "weight_change": {"type": ["number", "null"], "minimum": 0},
                            "prediction_change_mm": {"type": ["number", "null"], "minimum": 0},
                            "statistics_shift": {
                                "oneOf": [
                                    {"type": "null"},
                                    {
                                        "type": "object",
                                        "required": ["mean", "scale"],
                                        "properties": {"mean": _number_or_null, "scale": _number_or_null},
                                    },
                                ]
                            },
                            "swap": {
                                "oneOf": [
                                    {"type": "null"},
                                    {
                                        "type": "object",
                                        "required": ["weights_only_mm", "statistics_only_mm"],
                                        "properties": {
                                            "weights_only_mm": _number_or_null,
                                            "statistics_only_mm": _number_or_null,
                                        },
                                    },
                                ]
                            },
                            "method": {
                                "type": "object",
                                "description": "the strategy's own figures by stage (start, end)",
                                "additionalProperties": _stage_figures,
                            },
                        },
                    },
                ]
            },
        },
    },
}
NORMALISATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "what the bn option did in this run (a no-op says so)",
    "required": ["bn", "layers", "applies", "effect"],
    "properties": {
        "bn": {"enum": ["train", "frozen", "adabn"]},
        "layers": {"type": "integer", "minimum": 0},
        "applies": {"type": "boolean", "description": "false: the mode changes nothing in this run"},
        "effect": {"type": "string"},
    },
}
_domains = {"type": "array", "items": {"type": "string"}, "minItems": 1}
_profile = {"enum": ["quick", "paper"]}
_figures = {
    "type": "object",
    "required": [*FIGURE_KEYS, "lower_is_better"],
    "properties": {
        **{key: _number_or_null for key in FIGURE_KEYS},
        "lower_is_better": _lower_is_better,
    },
}

RESULT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "lifelong-pose run record",
    "type": "object",
    "required": [
        "schema",
        "status",
        "scenario",
        "strategy",
        "plugins",
        "data",
        "seed",
        "profile",
        "device",
        "domains",
        "completed_domains",
        "matrices",
        "units",
        "summary",
        "figures",
        "timing",
        "resources",
        "versions",
        "git",
    ],
    "properties": {
        "schema": {"const": RESULT_SCHEMA_ID},
        "status": {"enum": list(STATUSES)},
        "scenario": {
            "type": "object",
            "required": ["id", "spec"],
            "properties": {"id": {"type": "string"}, "spec": {"type": "object"}},
        },
        "strategy": {
            "type": "object",
            "required": ["id", "entry_point", "params", "reads_target_3d", "comparable"],
            "properties": {
                "id": {"type": "string"},
                "entry_point": {"type": "string"},
                "params": {"type": "object"},
                "reads_target_3d": {"type": "boolean"},
                "comparable": {"type": "boolean"},
                "target_3d_seen": {"type": "integer", "minimum": 1},
                "source_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "source_file": {"type": "string"},
            },
        },
        "plugins": {"type": "array", "items": {"type": "object"}},
        "data": _data,
        "evaluation": {
            "type": "object",
            "required": ["test_flip", "root_joint"],
            "properties": {
                "test_flip": {"type": "boolean"},
                "root_joint": {"type": "string"},
                "pck_domains": {"type": "array", "items": {"type": "string"}},
            },
        },
        "source_cache": {
            "type": "object",
            "description": "whether the trained source lifter came from the source cache, and why not",
            "required": ["used", "key"],
            "properties": {
                "used": {"type": "boolean"},
                "key": {"type": ["string", "null"]},
                "reason": {"type": "string"},
                "folder": {"type": "string"},
            },
        },
        "init_checkpoint": {
            "type": "object",
            "description": "the checkpoint the source lifter started from (--init-checkpoint), by content, never "
            "by path; absent when the source trained from random weights",
            "required": ["sha256", "format", "trains_source"],
            "properties": {
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "format": {"enum": ["lifelong-pose-checkpoint", "lifter-state-dict", "videopose3d"]},
                "file": {"type": "string", "description": "the file's name, without its folder"},
                "bytes": {"type": "integer", "minimum": 0},
                "trains_source": {
                    "type": "boolean",
                    "description": "true: the source trained on from it for the strategy's budget; false: "
                    "tested as loaded",
                },
            },
        },
        "seed": {"type": "integer"},
        "profile": _profile,
        "device": {"type": "string"},
        "domains": _domains,
        "completed_domains": {"type": "integer", "minimum": 0},
        "matrices": {
            "type": "object",
            "required": list(METRIC_KEYS),
            "properties": {key: _matrix for key in METRIC_KEYS},
        },
        "units": {"type": "object", "additionalProperties": {"type": "string"}},
        "summary": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": [*SUMMARY_KEYS, "lower_is_better"],
                    "properties": {
                        **{key: _number_or_null for key in SUMMARY_KEYS},
                        "lower_is_better": _lower_is_better,
                    },
                },
            ]
        },
        "figures": {"oneOf": [{"type": "null"}, {"type": "object", "additionalProperties": _figures}]},
        "losses": {
            "type": "array",
            "description": "per finished domain, the size of each loss term the strategy logged (mean, curve)",
            "items": {
                "type": "object",
                "required": ["name", "terms"],
                "properties": {
                    "name": {"type": "string"},
                    "terms": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "required": ["mean", "steps", "curve"],
                            "properties": {
                                "mean": {"type": ["number", "null"], "description": "null: not finite"},
                                "steps": {"type": "integer"},
                                "curve": {"type": "array", "items": {"type": ["number", "null"]}},
                            },
                        },
                    },
                },
            },
        },
        "normalisation": NORMALISATION_SCHEMA,
        "diagnostics": DIAGNOSTICS_SCHEMA,
        "timing": {
            "type": "object",
            "required": ["domains", "total_s"],
            "properties": {
                "domains": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["name", "train_s", "eval_s"],
                        "properties": {"train_s": {"type": "number"}, "eval_s": {"type": "number"}},
                    },
                },
                "total_s": {"type": "number"},
            },
        },
        "resources": {
            "type": "object",
            "required": ["parameters", "peak_host_bytes", "peak_device_bytes", "kept_bytes"],
            "properties": {
                "parameters": {"type": "integer"},
                "peak_host_bytes": {"type": "integer", "description": "process-wide high-water mark"},
                "peak_device_bytes": {"type": ["integer", "null"]},
                "kept_bytes": {"type": "integer", "description": "state kept between domains, lifter excluded"},
                "kept": {
                    "type": "object",
                    "description": "kept bytes per part (strategy.source_data, plugin.1:ReplayPlugin, ...)",
                    "additionalProperties": {"type": "integer"},
                },
                "keeps_source_data": {"type": "boolean"},
                "uses_target_data": {
                    "type": "boolean",
                    "description": "trains on targets' data (2D); false for source_only and domain generalisation",
                },
                "extra_parameters": {"type": "integer", "description": "trained parameters besides the lifter"},
            },
        },
        "versions": {"type": "object", "additionalProperties": {"type": "string"}},
        "git": {
            "type": "object",
            "required": ["revision", "dirty"],
            "properties": {"revision": {"type": ["string", "null"]}, "dirty": {"type": ["boolean", "null"]}},
        },
    },
}


_mean_std_n = {
    "type": "object",
    "required": ["mean", "std", "n"],
    "properties": {"mean": _number_or_null, "std": _number_or_null, "n": {"type": "integer", "minimum": 0}},
}
_matrix_mean_std = {"type": "object", "required": ["mean", "std"], "properties": {"mean": _matrix, "std": _matrix}}

SUMMARY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "lifelong-pose multi-seed summary",
    "description": "mean and sample std (ddof 1) over the seeds' records of every figure and matrix cell",
    "type": "object",
    "required": [
        "schema",
        "scenario",
        "strategy",
        "reads_target_3d",
        "data",
        "profile",
        "domains",
        "seeds",
        "runs",
        "figures",
        "matrices",
    ],
    "properties": {
        "schema": {"const": SUMMARY_SCHEMA_ID},
        "scenario": {"type": "string"},
        "strategy": {"type": "string"},
        "reads_target_3d": {"type": "boolean"},
        "data": _data,
        "profile": _profile,
        "domains": _domains,
        "seeds": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "uniqueItems": True},
        "runs": {"type": "array", "items": {"type": "string"}, "description": "each seed's record, relative"},
        "figures": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": [*FIGURE_KEYS, "lower_is_better"],
                "properties": {**{key: _mean_std_n for key in FIGURE_KEYS}, "lower_is_better": _lower_is_better},
            },
        },
        "matrices": {
            "type": "object",
            "required": list(METRIC_KEYS),
            "properties": {key: _matrix_mean_std for key in METRIC_KEYS},
        },
    },
}


class RecordError(ValueError):
    """A run record or summary that does not match its schema or its own shapes."""


def _check_schema(document: Any, schema: dict[str, Any], source: str) -> None:
    try:
        jsonschema.validate(document, schema)
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise RecordError(f"{source}: invalid at {where}: {error.message}") from None


def validate_record(record: dict[str, Any], source: str = "record") -> dict[str, Any]:
    """Check ``record`` against :data:`RESULT_SCHEMA` and the matrix shapes it implies.

    Raises:
        RecordError: naming the field at fault and where the record came from.
    """
    _check_schema(record, RESULT_SCHEMA, source)
    size, rows = len(record["domains"]), record["completed_domains"]
    if rows > size:
        raise RecordError(f"{source}: completed_domains {rows} exceeds the {size} domains")
    for key, matrix in record["matrices"].items():
        if len(matrix) != rows or any(len(row) != size for row in matrix):
            shape = (len(matrix), *sorted({len(row) for row in matrix}))
            raise RecordError(f"{source}: matrix {key!r} must be {rows}x{size}, got {shape}")
    diagnostics = record.get("diagnostics")
    if diagnostics is not None and [d["name"] for d in diagnostics] != record["domains"][:rows]:
        raise RecordError(f"{source}: diagnostics must name the {rows} finished domain(s) in order, one each")
    complete = record["status"] == "complete"
    if complete and rows != size:
        raise RecordError(f"{source}: status 'complete' with {rows} of {size} domains done")
    if complete and record["summary"] is None:
        raise RecordError(f"{source}: a complete record needs a summary")
    return record


def validate_summary(summary: dict[str, Any], source: str = "summary") -> dict[str, Any]:
    """Check a multi-seed ``summary`` against :data:`SUMMARY_SCHEMA` and the shapes it implies.

    Every seed has its record, every matrix is square over the domains, and no figure counts more
    seeds than there are; a summary that breaks one of these was not made from the records it names.

    Raises:
        RecordError: naming the field at fault and where the summary came from.
    """
    _check_schema(summary, SUMMARY_SCHEMA, source)
    seeds, runs, size = summary["seeds"], summary["runs"], len(summary["domains"])
    if len(runs) != len(seeds):
        raise RecordError(f"{source}: {len(seeds)} seeds but {len(runs)} runs; each seed needs its record")
    for key, matrix in summary["matrices"].items():
        for part in ("mean", "std"):
            if len(matrix[part]) != size or any(len(row) != size for row in matrix[part]):
                raise RecordError(f"{source}: matrix {key!r} {part} must be {size}x{size}")
    for key, figures in summary["figures"].items():
        for figure in FIGURE_KEYS:
            if figures[figure]["n"] > len(seeds):
                raise RecordError(
                    f"{source}: figure {key}.{figure} counts {figures[figure]['n']} of {len(seeds)} seeds"
                )
    return summary


def _read_json(path: Path, what: str, name: str) -> tuple[Any, Path]:
    if path.is_dir():
        path = path / name
    if not path.is_file():
        raise FileNotFoundError(f"No {what} at {path}")
    try:
        return json.loads(path.read_text(encoding="utf-8")), path
    except json.JSONDecodeError as error:
        raise RecordError(f"{path}: not valid JSON ({error})") from None


def load_record(path: str | Path) -> dict[str, Any]:
    """Read and validate a ``result.json`` (or a run folder holding one).

    Raises:
        FileNotFoundError: no record there.
        RecordError: not JSON, or not a valid record.
    """
    record, path = _read_json(Path(path), "run record", RESULT_FILE)
    return validate_record(record, str(path))


def load_summary(path: str | Path) -> dict[str, Any]:
    """Read and validate a multi-seed ``summary.json`` (or the run folder holding one).

    Raises:
        FileNotFoundError: no summary there.
        RecordError: not JSON, or not a valid summary.
    """
    summary, path = _read_json(Path(path), "multi-seed summary", SUMMARY_FILE)
    return validate_summary(summary, str(path))
