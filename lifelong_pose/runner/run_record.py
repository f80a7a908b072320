"""A run's record as an object: built from the run, grown one domain at a time, finished or stopped.

:class:`RunRecord` is the only thing that changes a record. The runner builds one from its config,
scenario and strategy (:meth:`RunRecord.new`), hands it each finished domain's results
(:meth:`RunRecord.add_domain`), and ends it (:meth:`RunRecord.finish`, :meth:`RunRecord.stop`);
the record writes itself, checked against :data:`~lifelong_pose.runner.record.RESULT_SCHEMA`
(:meth:`RunRecord.write`). Resuming compares a stored record with the one asked for
(:meth:`RunRecord.check_resumable`) after filling in what older versions did not record
(:meth:`RunRecord.migrated`), then carries its finished domains over (:meth:`RunRecord.resumed_with`).
Several seeds' records make one ``summary.json`` (:func:`seed_summary`), of the same schema family.

The JSON a record writes is the layout of :data:`~lifelong_pose.runner.record.RESULT_SCHEMA`
exactly; this class adds methods, never fields. Torch loads only when a record is built, finished
or written (its environment figures and atomic files need it), never to read one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifelong_pose.metrics.matrix import FIGURES
from lifelong_pose.metrics.table import HEADLINE_METRIC, METRIC_KEYS, METRIC_TABLE
from lifelong_pose.runner.record import (
    RESULT_FILE,
    RESULT_SCHEMA_ID,
    SUMMARY_FIGURES,
    SUMMARY_FILE,
    SUMMARY_SCHEMA_ID,
    load_record,
    validate_record,
    validate_summary,
)

if TYPE_CHECKING:
    from lifelong_pose.runner.run import RunConfig

IDENTITY_FIELDS: tuple[tuple[str, ...], ...] = (
    ("scenario", "id"),
    ("strategy", "id"),
    ("strategy", "entry_point"),
    ("strategy", "params"),
    ("plugins",),
    ("seed",),
    ("profile",),
    ("data", "backend"),
    ("data", "world_seed"),
    ("data", "fingerprint"),
    ("data", "protocols"),
    ("evaluation",),
    ("init_checkpoint", "sha256"),
    ("init_checkpoint", "trains_source"),
)
"""Fields of a record that must match for ``--resume`` to continue it (a run started from another
checkpoint, or from none, is another run)."""

STOP_STATUSES = ("interrupted", "failed")


def _differences(where: str, old: Any, new: Any) -> list[str]:
    """``"where.key: folder has X, asked Y"`` for each differing leaf: a long option dict names the
    key that differs instead of being cut short."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            line for key in sorted({*old, *new}) for line in _differences(f"{where}.{key}", old.get(key), new.get(key))
        ]
    return [f"{where}: folder has {json.dumps(old)[:200]}, asked {json.dumps(new)[:200]}"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _get(record: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def evaluation_settings(root_joint: str, test_flip: bool) -> dict[str, Any]:
    """How a run is evaluated, as its record states it (thresholds from the metrics themselves)."""
    from lifelong_pose.metrics.pose import AUC_THRESHOLDS, PCK_THRESHOLD

    step = float(AUC_THRESHOLDS[1] - AUC_THRESHOLDS[0])
    return {
        "test_flip": test_flip,
        "root_joint": root_joint,
        "root_relative": True,
        "pck_threshold_mm": round(PCK_THRESHOLD * 1000, 6),
        "auc_thresholds_mm": [
            round(float(AUC_THRESHOLDS[0]) * 1000, 6),
            round(float(AUC_THRESHOLDS[-1]) * 1000, 6),
            round(step * 1000, 6),
        ],
    }


def with_pre_control_defaults(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with ``bn`` filled in among its strategy's options where it predates the option.

    Before ``bn`` existed every lifter's BatchNorm trained with the method, which is ``bn=train``
    exactly; an older record means that, so it can still be resumed and filed beside newer ones.
    A record that has the option is returned as it is; otherwise a copy is filled in.
    """
    params = record.get("strategy", {}).get("params")
    if not isinstance(params, dict) or "bn" in params:
        return record
    record = json.loads(json.dumps(record))
    record["strategy"]["params"]["bn"] = "train"
    return record


def with_pre_protocol_defaults(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with the fields that records gained with the real-data backend filled in.

    Before target protocols and evaluation options were recorded, every run was simulated,
    adapted on its targets' train splits, and evaluated without flipping, root-relative at the
    Hip, with PCK at 150 mm and AUC over 0-150 mm; an older record means exactly that, so it can
    still be resumed (and compared) by a newer version. A record that has both fields is returned
    as it is; otherwise a copy is filled in and ``record`` is left alone.
    """
    if "protocols" in record.get("data", {}) and "evaluation" in record:
        return record
    from lifelong_pose.geometry.skeleton import get_layout

    record = json.loads(json.dumps(record))
    data = record.setdefault("data", {})
    data.setdefault("protocols", ["inductive"] * len(record.get("domains", [])))
    root_joint = get_layout(data.get("layout", "h36m17")).joint_names[0]
    record.setdefault("evaluation", evaluation_settings(root_joint, test_flip=False) | {"pck_domains": []})
    return record


@dataclass(frozen=True)
class DomainResult:
    """What the runner hands the record after one domain is trained, tested and checkpointed.

    Attributes:
        name: the domain's name.
        rows: metric key -> this domain's row of that metric's matrix (one value per test domain,
            in the metric table's units).
        losses: the strategy's loss terms for this domain (``strategy.domain_losses()``).
        train_s: seconds spent training.
        eval_s: seconds spent testing on every domain.
        kept: bytes the strategy and its plugins keep between domains, per part
            (``strategy.source_data``, ``plugin.1:ReplayPlugin``).
        diagnostics: what the domain changed in the lifter
            (:func:`lifelong_pose.runner.diagnostics.learning_diagnostics`); None for the source.
        diagnostics_s: seconds spent taking the diagnostics.
        target_3d_seen: poses of the targets' test 3D found in the batches trained on this domain
            (:mod:`lifelong_pose.runner.target_labels`); any makes the run not comparable.
    """

    name: str
    rows: Mapping[str, Sequence[float]]
    losses: Mapping[str, Any]
    train_s: float
    eval_s: float
    kept: Mapping[str, int]
    diagnostics: Mapping[str, Any] | None = None
    diagnostics_s: float = 0.0
    target_3d_seen: int = 0


def file_strategy_source(entry_point: str, cls: type) -> dict[str, str]:
    """``{"source_sha256", "source_file"}`` for a strategy loaded from a file (``path/file.py:Class``), else {}.

    Why: such a strategy is named by a path the reader does not have, and the same path can hold
    other code tomorrow; the SHA-256 of the file that ran says which code made the numbers (and
    two edits of one file never share a leaderboard entry). The file is named, never its path.
    """
    import hashlib
    import inspect

    if not entry_point.rpartition(":")[0].endswith(".py"):
        return {}
    try:
        path = inspect.getsourcefile(cls)
        data = Path(path).read_bytes() if path else None
    except (OSError, TypeError):
        data = None
    if data is None:
        return {}
    return {"source_sha256": hashlib.sha256(data).hexdigest(), "source_file": Path(path or "").name}


class RunRecord:
    """One run's ``result.json``, changed only through its methods.

    Build one with :meth:`new` (a fresh run), :meth:`load` (a run folder) or :meth:`from_dict`
    (a record from elsewhere, validated); read it with ``record["key"]`` or :meth:`to_dict` (a copy,
    so what callers do with it never reaches the record).
    """

    def __init__(self, data: dict[str, Any], source: str = "record") -> None:
        """Wrap ``data``, which must be a valid record (use :meth:`from_dict` for outside data)."""
        self._data = data
        self._source = source

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def new(cls, config: RunConfig, scenario: Any, strategy: Any, device: str) -> RunRecord:
        """The record of a run about to start: what it is, where it runs, nothing done yet.

        Args:
            config: the run's config (its seed, profile and test-time flip are recorded).
            scenario: the built scenario (:class:`lifelong_pose.scenario.Scenario`).
            strategy: the built strategy, plugins attached.
            device: the resolved device (``cpu``, ``cuda``).
        """
        from lifelong_pose.geometry.skeleton import get_layout
        from lifelong_pose.runner.environment import git_revision, peak_device_bytes, peak_host_bytes, versions

        strategy_spec = strategy.spec
        normalisation = strategy.normalisation_note()
        reads_target_2d = normalisation["bn"] == "adabn" and normalisation["layers"] > 0
        return cls(
            {
                "schema": RESULT_SCHEMA_ID,
                "status": "running",
                "created": _now(),
                "updated": _now(),
                "scenario": {"id": scenario.spec.id, "spec": json.loads(scenario.spec.to_json())},
                "strategy": {
                    "id": strategy_spec.id,
                    "entry_point": strategy_spec.entry_point,
                    "params": strategy.get_params(),
                    "reads_target_3d": bool(strategy.reads_target_3d),
                    "comparable": not strategy.reads_target_3d,
                    **file_strategy_source(strategy_spec.entry_point, type(strategy)),
                },
                "plugins": [
                    {"id": getattr(getattr(plugin, "spec", None), "id", None), "name": type(plugin).__name__}
                    | {"params": plugin.get_params()}
                    for plugin in strategy.plugins
                    if callable(getattr(plugin, "get_params", None))
                ],
                "data": {
                    "backend": scenario.data_backend,
                    "fingerprint": scenario.fingerprint(),
                    "world_seed": scenario.seed,
                    "layout": scenario.layout,
                    "protocols": scenario.protocols,
                    **(
                        {
                            "data_root": scenario.data_root,
                            "h36m_2d": scenario.h36m_2d,
                            "valid_mask": scenario.valid_mask,
                        }
                        if scenario.data_backend == "real"
                        else {}
                    ),
                },
                "evaluation": evaluation_settings(get_layout(scenario.layout).joint_names[0], config.test_flip)
                | {"pck_domains": scenario.pck_domains},
                "seed": config.seed,
                "profile": config.profile,
                "device": device,
                "domains": scenario.domain_names,
                "completed_domains": 0,
                "matrices": {metric.key: [] for metric in METRIC_TABLE},
                "units": {metric.key: metric.unit for metric in METRIC_TABLE},
                "summary": None,
                "figures": None,
                "timing": {"domains": [], "total_s": 0.0},
                "losses": [],
                "normalisation": normalisation,
                "diagnostics": [],
                "resources": {
                    "parameters": sum(p.numel() for p in strategy.model.parameters()),
                    "peak_host_bytes": peak_host_bytes(),
                    "peak_device_bytes": peak_device_bytes(device),
                    "kept_bytes": 0,
                    "kept": {},
                    "keeps_source_data": bool(getattr(strategy, "keeps_source_data", False)),
                    "uses_target_data": bool(getattr(strategy, "uses_target_data", True)) or reads_target_2d,
                    "extra_parameters": sum(
                        p.numel() for module in strategy.auxiliary_modules().values() for p in module.parameters()
                    ),
                },
                "versions": versions(),
                "git": git_revision(),
            }
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "record") -> RunRecord:
        """A record from a plain dict (a copy), validated.

        Raises:
            RecordError: ``data`` is not a valid record; the message names the field and ``source``.
        """
        data = copy.deepcopy(dict(data))
        return cls(validate_record(data, source), source)

    @classmethod
    def load(cls, path: str | Path) -> RunRecord:
        """The record in a run folder (or a ``result.json``), validated, as stored (not migrated).

        Raises:
            FileNotFoundError: no record there.
            RecordError: not JSON, or not a valid record.
        """
        path = Path(path)
        return cls(load_record(path), str(path / RESULT_FILE if path.is_dir() else path))

    # -- reading -----------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunRecord) and self._data == other._data

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __repr__(self) -> str:
        return (
            f"RunRecord({self._data['scenario']['id']!r}, {self._data['strategy']['id']!r}, "
            f"seed={self._data['seed']}, status={self.status!r}, {self.completed_domains}/{len(self.domains)} domains)"
        )

    @property
    def status(self) -> str:
        return self._data["status"]

    @property
    def completed_domains(self) -> int:
        return self._data["completed_domains"]

    @property
    def domains(self) -> list[str]:
        return self._data["domains"]

    @property
    def is_complete(self) -> bool:
        return self.status == "complete"

    @property
    def all_domains_done(self) -> bool:
        """Every domain trained and tested (the record may still lack its figures)."""
        return self.completed_domains == len(self.domains)

    def to_dict(self) -> dict[str, Any]:
        """The record as a plain dict, exactly the JSON :meth:`write` stores (a deep copy)."""
        return copy.deepcopy(self._data)

    def validate(self) -> RunRecord:
        """Check the record against the schema and its own shapes; returns itself.

        Raises:
            RecordError: naming the field at fault.
        """
        validate_record(self._data, self._source)
        return self

    # -- resuming ----------------------------------------------------------------------------

    def migrated(self) -> RunRecord:
        """This record with the fields older versions did not write filled in as they meant them
        (see :func:`with_pre_protocol_defaults`, :func:`with_pre_control_defaults`); ``self`` is unchanged."""
        return RunRecord(copy.deepcopy(with_pre_control_defaults(with_pre_protocol_defaults(self._data))), self._source)

    def identity_differences(self, asked: RunRecord) -> list[str]:
        """Each field of :data:`IDENTITY_FIELDS` where this (stored) record and ``asked`` differ,
        as ``"strategy.id: folder has X, asked Y"``; empty when they describe the same run."""
        stored = self.migrated()._data
        fresh = json.loads(json.dumps(asked.migrated()._data))  # compare as stored: tuples become lists
        differences: list[str] = []
        for path in IDENTITY_FIELDS:
            differences += _differences(".".join(path), _get(stored, path), _get(fresh, path))
        return differences

    def check_resumable(self, asked: RunRecord, out: Path) -> None:
        """This record, found in ``out``, must describe the run ``asked`` for.

        Raises:
            ValueError: listing each differing field with both values.
        """
        differences = self.identity_differences(asked)
        if differences:
            raise ValueError(
                f"Cannot resume {out}: it holds a different run ({'; '.join(differences)}). "
                "Resume with the same options, or choose another --out."
            )

    def resumed_with(self, fresh: RunRecord) -> RunRecord:
        """A new record that goes on from this one: its finished rows, timings, losses, kept bytes and
        source-cache entry, under ``fresh``'s environment (versions, device, peaks), counted as resumed.

        Call :meth:`check_resumable` first; this one trusts that both describe the same run.
        """
        existing = self._data
        record = dict(fresh._data)
        for key in ("created", "completed_domains", "matrices", "timing"):
            record[key] = existing[key]
        record["losses"] = existing.get("losses", [])[: existing["completed_domains"]]
        record["diagnostics"] = _diagnostics_of(existing)[: existing["completed_domains"]]
        if "source_cache" in existing:
            record["source_cache"] = existing["source_cache"]
        if existing["strategy"].get("target_3d_seen"):  # seen before the cut: it stays seen
            seen = {"target_3d_seen": existing["strategy"]["target_3d_seen"], "reads_target_3d": True}
            record["strategy"] = {**record["strategy"], **seen, "comparable": False}
        kept = {key: existing["resources"][key] for key in ("kept_bytes", "kept") if key in existing["resources"]}
        record["resources"] = {**fresh._data["resources"], **kept}
        record["resumed"] = existing.get("resumed", 0) + 1
        return RunRecord(copy.deepcopy(record), fresh._source)

    # -- growing -----------------------------------------------------------------------------

    def note_source_cache(self, entry: Mapping[str, Any]) -> None:
        """Record whether the trained source lifter came from the source cache, under which key,
        or why the cache was not asked (``{"used", "key", "folder" | "reason"}``)."""
        self._data["source_cache"] = dict(entry)

    def note_init_checkpoint(self, entry: Mapping[str, Any]) -> None:
        """Record the checkpoint the source lifter started from (``--init-checkpoint``): its SHA-256,
        format, file name and size, and whether the source trained on from it
        (:meth:`lifelong_pose.models.pretrained.PretrainedLifter.record_entry`; never a path)."""
        self._data["init_checkpoint"] = dict(entry)

    def add_domain(self, result: DomainResult) -> None:
        """Append one finished domain: its matrix rows, losses, timings and kept bytes.

        Call it only once the domain's checkpoint is on disk, so that the record never claims a
        domain a resume could not reload.

        Raises:
            ValueError: every domain is already done, or ``result`` lacks a metric or has a row of
                the wrong length; the record is unchanged.
        """
        done, size = self.completed_domains, len(self.domains)
        if done >= size:
            raise ValueError(f"all {size} domains are already recorded; cannot add {result.name!r}")
        if set(result.rows) != set(METRIC_KEYS):
            raise ValueError(f"domain {result.name!r} has rows for {sorted(result.rows)}, expected {list(METRIC_KEYS)}")
        for key in METRIC_KEYS:
            if len(result.rows[key]) != size:
                raise ValueError(f"domain {result.name!r}: row {key!r} has {len(result.rows[key])} values, not {size}")
        for key in METRIC_KEYS:
            self._data["matrices"][key].append(list(result.rows[key]))
        if result.target_3d_seen:  # what the engine saw outweighs what the strategy declared
            strategy = self._data["strategy"]
            strategy["target_3d_seen"] = strategy.get("target_3d_seen", 0) + int(result.target_3d_seen)
            strategy["reads_target_3d"], strategy["comparable"] = True, False
        self._data.setdefault("losses", []).append({"name": result.name, "terms": result.losses})
        self._data["diagnostics"] = _diagnostics_of(self._data)[:done]
        self._data["diagnostics"].append({"name": result.name, "figures": _json_ready(result.diagnostics)})
        self._data["timing"]["domains"].append(
            {
                "name": result.name,
                "train_s": round(result.train_s, 3),
                "eval_s": round(result.eval_s, 3),
                "diagnostics_s": round(result.diagnostics_s, 3),
            }
        )
        resources = self._data["resources"]
        resources["kept_bytes"] = max(resources["kept_bytes"], sum(result.kept.values()))
        for part, size_bytes in result.kept.items():
            if size_bytes:
                resources["kept"][part] = max(resources["kept"].get(part, 0), size_bytes)
        self._data["completed_domains"] = done + 1

    def rewind(self, domains: int) -> None:
        """Forget every domain from ``domains`` on (their checkpoints could not be read back): rows,
        losses and timings; those domains are trained again."""
        if not 0 <= domains <= self.completed_domains:
            raise ValueError(f"cannot rewind to {domains} domains; {self.completed_domains} are recorded")
        for key in self._data["matrices"]:
            del self._data["matrices"][key][domains:]
        del self._data["timing"]["domains"][domains:]
        del self._data.setdefault("losses", [])[domains:]
        self._data["diagnostics"] = _diagnostics_of(self._data)[:domains]
        self._data["completed_domains"] = domains

    # -- ending ------------------------------------------------------------------------------

    def stop(self, status: str, error: str | None = None) -> None:
        """Record why the run stopped; only finished domains' rows are kept (they match checkpoints).

        Args:
            status: ``interrupted`` (Ctrl-C) or ``failed``.
            error: for ``failed``, the error's type and message.
        """
        if status not in STOP_STATUSES:
            raise ValueError(f"a run stops as one of {STOP_STATUSES}, not {status!r}")
        done = self.completed_domains
        for key in self._data["matrices"]:
            del self._data["matrices"][key][done:]
        del self._data["timing"]["domains"][done:]
        del self._data.setdefault("losses", [])[done:]
        self._data["diagnostics"] = _diagnostics_of(self._data)[:done]
        self._data["status"] = status
        if error is not None:
            self._data["error"] = error

    def finish(self, elapsed_s: float) -> None:
        """Mark the run complete: every metric's figures, the headline summary, total time, peak memory.

        Args:
            elapsed_s: wall-clock seconds of this process's part of the run.

        Raises:
            ValueError: a domain is not done yet.
        """
        import numpy as np

        from lifelong_pose.metrics.matrix import summarize
        from lifelong_pose.runner.environment import peak_device_bytes, peak_host_bytes

        if not self.all_domains_done:
            raise ValueError(f"cannot finish with {self.completed_domains} of {len(self.domains)} domains done")
        matrices = self._data["matrices"]
        figures = {
            metric.key: summarize(np.asarray(matrices[metric.key]), lower_is_better=metric.lower_is_better)
            for metric in METRIC_TABLE
        }
        headline = figures[HEADLINE_METRIC]
        self._data["status"] = "complete"
        self._data["figures"] = figures
        self._data["summary"] = {key: headline[figure] for key, figure in SUMMARY_FIGURES.items()} | {
            "lower_is_better": {key: headline["lower_is_better"][figure] for key, figure in SUMMARY_FIGURES.items()}
        }
        timing = self._data["timing"]
        domain_seconds = sum(d["train_s"] + d["eval_s"] for d in timing["domains"])
        timing["total_s"] = round(max(elapsed_s, domain_seconds), 3)
        self._data["resources"]["peak_host_bytes"] = peak_host_bytes()
        self._data["resources"]["peak_device_bytes"] = peak_device_bytes(self._data["device"])

    def write(self, out: Path) -> Path:
        """Stamp ``updated``, validate, and write ``out/result.json`` atomically; returns the file.

        Raises:
            RecordError: the record is not valid (nothing is written).
        """
        from lifelong_pose.runner.checkpoint import atomic_write_json

        path = Path(out) / RESULT_FILE
        self._data["updated"] = _now()
        validate_record(self._data, str(path))
        atomic_write_json(path, self._data)
        return path


def _diagnostics_of(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A record's per-domain diagnostics, one per finished domain: a record written before they
    existed gets ``figures: null`` ("not measured") for each of its finished domains."""
    stored = list(record.get("diagnostics", []))
    names = record["domains"][: record["completed_domains"]]
    return stored + [{"name": name, "figures": None} for name in names[len(stored) :]]


def _json_ready(value: Any) -> Any:
    """Nested figures with every non-finite number as None (JSON has no NaN; a record holds null)."""
    import math

    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def check_resumable(existing: dict[str, Any], fresh: dict[str, Any], out: Path) -> None:
    """The record in ``out`` must describe the same run as the one asked for (plain-dict form of
    :meth:`RunRecord.check_resumable`).

    Raises:
        ValueError: listing each differing field with both values.
    """
    RunRecord(existing).check_resumable(RunRecord(fresh), out)


def _as_dict(record: Mapping[str, Any] | RunRecord) -> Mapping[str, Any]:
    return record._data if isinstance(record, RunRecord) else record


def figures_over_seeds(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean, sample std (ddof 1) and count over seeds of every figure of every metric
    (``runs``: anything with a record's ``figures``); what a summary and a leaderboard entry store."""
    from lifelong_pose.metrics.matrix import mean_std

    out: dict[str, Any] = {}
    for metric in METRIC_KEYS:
        out[metric] = {}
        for figure in FIGURES:
            mean, std, n = mean_std([run["figures"][metric][figure] for run in runs])
            out[metric][figure] = {"mean": mean, "std": std, "n": n}
    return out


def seed_summary(records: Sequence[Mapping[str, Any] | RunRecord]) -> dict[str, Any]:
    """Mean and sample std (ddof 1) over seeds of every figure and matrix cell, as ``summary.json``.

    Args:
        records: the complete records of one run at two or more seeds (dicts or :class:`RunRecord`).

    Returns:
        The summary, valid against :data:`~lifelong_pose.runner.record.SUMMARY_SCHEMA`.

    Raises:
        ValueError: fewer than two records, one not complete, or records of different runs.
        RecordError: the summary does not validate (a record held something its schema allows but a
            summary cannot average).
    """
    import numpy as np

    runs = [_as_dict(record) for record in records]
    if len(runs) < 2:
        raise ValueError(f"a seed summary needs two or more records, got {len(runs)}")
    first = runs[0]
    for run in runs:
        if run["status"] != "complete":
            raise ValueError(f"seed {run['seed']} is {run['status']}, not complete; finish it (--resume) first")
        for path in (("scenario", "id"), ("strategy", "id"), ("domains",)):
            if _get(run, path) != _get(first, path):
                raise ValueError(
                    f"seed {run['seed']} has {'.'.join(path)} {_get(run, path)}, seed {first['seed']} has "
                    f"{_get(first, path)}; a summary is over seeds of one run"
                )
    figures = figures_over_seeds(runs)
    for metric in METRIC_KEYS:
        figures[metric]["lower_is_better"] = first["figures"][metric]["lower_is_better"]
    matrices = {}
    for metric in METRIC_KEYS:
        stack = np.asarray([run["matrices"][metric] for run in runs], dtype=float)
        matrices[metric] = {"mean": stack.mean(axis=0).tolist(), "std": stack.std(axis=0, ddof=1).tolist()}
    summary = {
        "schema": SUMMARY_SCHEMA_ID,
        "scenario": first["scenario"]["id"],
        "strategy": first["strategy"]["id"],
        "reads_target_3d": first["strategy"]["reads_target_3d"],
        "data": first["data"],
        "profile": first["profile"],
        "domains": first["domains"],
        "seeds": [run["seed"] for run in runs],
        "runs": [f"seed-{run['seed']}/{RESULT_FILE}" for run in runs],
        "figures": figures,
        "matrices": matrices,
    }
    return validate_summary(json.loads(json.dumps(summary)))


def write_seed_summary(records: Sequence[Mapping[str, Any] | RunRecord], out: Path) -> Path:
    """:func:`seed_summary` of ``records``, validated and written atomically to ``out/summary.json``."""
    from lifelong_pose.runner.checkpoint import atomic_write_json

    path = Path(out) / SUMMARY_FILE
    atomic_write_json(path, seed_summary(records))
    return path


__all__ = [
    "IDENTITY_FIELDS",
    "DomainResult",
    "RunRecord",
    "check_resumable",
    "evaluation_settings",
    "figures_over_seeds",
    "seed_summary",
    "with_pre_control_defaults",
    "with_pre_protocol_defaults",
    "write_seed_summary",
]
