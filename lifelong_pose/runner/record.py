"""The run record (``result.json``): its JSON Schema, and loading it loudly.

One JSON file per run, numbers as numbers (``null`` where a figure is undefined, never NaN),
checked against :data:`RESULT_SCHEMA` when written and when read. A partial record (a run still
going, or interrupted) holds the rows of the matrices finished so far and ``summary: null``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

RESULT_SCHEMA_ID = "lifelong-pose/result/v1"
RESULT_FILE = "result.json"
STATUSES = ("running", "interrupted", "failed", "complete")
METRIC_KEYS = ("mpjpe", "pa_mpjpe", "pck", "auc")
FIGURE_KEYS = ("final_avg", "avg", "bwt", "forgetting", "fwt", "adaptation_gain")
SUMMARY_KEYS = ("final_avg_mpjpe", "avg_mpjpe", "bwt", "forgetting", "fwt", "adaptation_gain")

_number_or_null = {"type": ["number", "null"]}
_matrix = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
_figures = {
    "type": "object",
    "required": [*FIGURE_KEYS, "lower_is_better"],
    "properties": {
        **{key: _number_or_null for key in FIGURE_KEYS},
        "lower_is_better": {"type": "object", "additionalProperties": {"type": "boolean"}},
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
            },
        },
        "plugins": {"type": "array", "items": {"type": "object"}},
        "data": {
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
        },
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
        "seed": {"type": "integer"},
        "profile": {"enum": ["quick", "paper"]},
        "device": {"type": "string"},
        "domains": {"type": "array", "items": {"type": "string"}, "minItems": 1},
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
                        "lower_is_better": {"type": "object", "additionalProperties": {"type": "boolean"}},
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


class RecordError(ValueError):
    """A run record that does not match the schema or its own shapes."""


def validate_record(record: dict[str, Any], source: str = "record") -> dict[str, Any]:
    """Check ``record`` against :data:`RESULT_SCHEMA` and the matrix shapes it implies.

    Raises:
        RecordError: naming the field at fault and where the record came from.
    """
    try:
        jsonschema.validate(record, RESULT_SCHEMA)
    except jsonschema.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise RecordError(f"{source}: invalid at {where}: {error.message}") from None
    size, rows = len(record["domains"]), record["completed_domains"]
    if rows > size:
        raise RecordError(f"{source}: completed_domains {rows} exceeds the {size} domains")
    for key, matrix in record["matrices"].items():
        if len(matrix) != rows or any(len(row) != size for row in matrix):
            shape = (len(matrix), *sorted({len(row) for row in matrix}))
            raise RecordError(f"{source}: matrix {key!r} must be {rows}x{size}, got {shape}")
    complete = record["status"] == "complete"
    if complete and rows != size:
        raise RecordError(f"{source}: status 'complete' with {rows} of {size} domains done")
    if complete and record["summary"] is None:
        raise RecordError(f"{source}: a complete record needs a summary")
    return record


def load_record(path: str | Path) -> dict[str, Any]:
    """Read and validate a ``result.json`` (or a run folder holding one).

    Raises:
        FileNotFoundError: no record there.
        RecordError: not JSON, or not a valid record.
    """
    path = Path(path)
    if path.is_dir():
        path = path / RESULT_FILE
    if not path.is_file():
        raise FileNotFoundError(f"No run record at {path}")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RecordError(f"{path}: not valid JSON ({error})") from None
    return validate_record(record, str(path))
