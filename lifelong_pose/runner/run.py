"""Run one strategy on one scenario: train domain by domain, test on every domain, record.

The loop, for each domain i of the stream (0 = the labelled source)::

    strategy.train(train_stream[i])        # supervised on the source, adaptation on targets
    strategy.eval(test_stream)              # every domain's test split -> row i of each matrix
    checkpoint after domain i               # plain state_dicts, atomic
    result.json rewritten (status running)  # a valid partial record at every moment

``--resume`` reloads the checkpoint of the last finished domain and goes on; because every
domain reseeds from ``(seed, i)`` and starts a fresh optimizer, the resumed matrix equals the
uninterrupted one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lifelong_pose.runner.checkpoint import atomic_write_json, load_checkpoint, save_checkpoint, state_bytes
from lifelong_pose.runner.environment import (
    git_revision,
    peak_device_bytes,
    peak_host_bytes,
    reset_peak_device_bytes,
    resolve_device,
    versions,
)
from lifelong_pose.runner.record import RESULT_FILE, RESULT_SCHEMA_ID, load_record, validate_record

# Fields of a record that must match for --resume to continue it.
IDENTITY_FIELDS = (
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
)


@dataclass
class RunConfig:
    """Everything that defines a run (the CLI builds one per seed).

    Attributes:
        scenario: scenario id (``cross_dataset``, ``cross_dataset-v0``).
        strategy: strategy id, or ``module:Class`` / ``file.py:Class``.
        out: the run folder (``result.json``, checkpoints, figures, report).
        seed: training seed (weights, batch order, dropout, the strategy's own sampling).
        profile: ``quick`` (CPU) or ``paper`` sizes, for the scenario and the strategy.
        data: data backend, ``sim`` or ``real``.
        data_root: the folder of the real datasets' files (``data="real"``).
        protocol: target protocol, ``inductive`` or ``transductive``; None keeps each domain's.
        h36m_2d: H3.6M 2D keypoints, ``gt`` or ``cpn_ft_h36m_dbb`` (real data).
        valid_mask: evaluate 3DHP on its valid frames only (real data), as its protocol does.
        test_flip: test-time flip augmentation.
        world_seed: seed of the simulated world; fixed by default so every run sees the same data.
        device: ``auto``, ``cpu`` or ``cuda``.
        options: strategy hyper-parameter overrides (``epochs=5``).
        resume: continue the run in ``out`` instead of refusing to touch it.
        progress: draw a progress bar.
        report: write heatmaps, curves and ``report.md`` at the end.
        plugin_ids: plugins from the plugin registry (``ema``, ``replay-v0``), in order.
        plugin_options: options per plugin name (``{"ema": {"eta": 0.999}}``).
        plugins: extra Avalanche plugin objects (tests use them to interrupt a run); not recorded
            unless they have ``get_params``.
        cache: take the trained source lifter from the source cache when it holds it, and put it
            there otherwise (:mod:`lifelong_pose.runner.source_cache`).
        cache_dir: the cache folder (default: ``$LIFELONG_POSE_CACHE`` or ``~/.cache/lifelong-pose``).
    """

    scenario: str
    strategy: str
    out: Path
    seed: int = 0
    profile: str = "quick"
    data: str = "sim"
    data_root: str | None = None
    protocol: str | None = None
    h36m_2d: str = "gt"
    valid_mask: bool = True
    test_flip: bool = False
    world_seed: int = 0
    device: str = "auto"
    options: dict[str, Any] = field(default_factory=dict)
    resume: bool = False
    progress: bool = True
    report: bool = True
    plugin_ids: Sequence[str] = ()
    plugin_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    plugins: Sequence[Any] = ()
    cache: bool = True
    cache_dir: str | None = None


def check_out_dir(out: Path, resume: bool) -> None:
    """Refuse an unwritable folder, or one that already holds a run unless resuming.

    Raises:
        ValueError: with what to do instead; nothing on disk is changed.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    existing = out / RESULT_FILE
    if existing.exists() and not resume:
        raise ValueError(f"{out} already holds a run; pass --resume to continue it, or choose another --out")
    if resume and not existing.exists():
        raise ValueError(f"Nothing to resume: {existing} does not exist")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"Cannot write to --out {out}: {error.strerror or error}") from None


def _get(record: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def with_pre_protocol_defaults(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with the fields that records gained with the real-data backend filled in.

    Before target protocols and evaluation options were recorded, every run was simulated,
    adapted on its targets' train splits, and evaluated without flipping, root-relative at the
    Hip, with PCK at 150 mm and AUC over 0-150 mm; an older record means exactly that, so it can
    still be resumed (and compared) by a newer version.
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


def check_resumable(existing: dict[str, Any], fresh: dict[str, Any], out: Path) -> None:
    """The record in ``out`` must describe the same run as the one asked for.

    Raises:
        ValueError: listing each differing field with both values.
    """
    fresh = json.loads(json.dumps(fresh))  # compare as stored: tuples become lists
    existing = with_pre_protocol_defaults(existing)
    differences = []
    for path in IDENTITY_FIELDS:
        old, new = _get(existing, path), _get(fresh, path)
        if old != new:
            shown_old, shown_new = (str(v)[:80] for v in (old, new))
            differences.append(f"{'.'.join(path)}: folder has {shown_old}, asked {shown_new}")
    if differences:
        raise ValueError(
            f"Cannot resume {out}: it holds a different run ({'; '.join(differences)}). "
            "Resume with the same options, or choose another --out."
        )


def scenario_options(config: RunConfig) -> dict[str, Any]:
    """The options ``lifelong_pose.make`` builds the run's scenario with; real-data ones only
    when they are used, so a simulated run's recorded spec stays as it was."""
    from lifelong_pose.scenario import real_data_overrides

    options: dict[str, Any] = {"data": config.data, "seed": config.world_seed, "profile": config.profile}
    return options | real_data_overrides(config.data_root, config.protocol, config.h36m_2d, config.valid_mask)


def run(config: RunConfig, on_domain: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run ``config`` to the end (or continue it) and return the complete record.

    ``on_domain`` is called with the record after each finished domain (the CLI prints from it).

    Raises:
        ValueError, TypeError, RegistryError: bad options, before anything is written.
        KeyboardInterrupt: re-raised after the record is marked ``interrupted``.
        FloatingPointError: the strategy diverged (non-finite poses); the record is marked ``failed``.
        Exception: any other error while a domain trains or is tested is re-raised after the record
            is marked ``failed`` with the error's type and message (its finished domains kept).
    """
    import lifelong_pose as lp
    from lifelong_pose.geometry.skeleton import get_layout
    from lifelong_pose.registry.loading import load_entry_point
    from lifelong_pose.runner.progress import ProgressPlugin
    from lifelong_pose.training import RunContext, make_evaluator
    from lifelong_pose.training.build import build_strategy, make_plugins, strategy_spec_for

    started = time.perf_counter()
    out = Path(config.out)
    device = resolve_device(config.device)
    reset_peak_device_bytes(device)
    strategy_spec = strategy_spec_for(config.strategy)  # an unknown strategy fails before any work
    plugins = make_plugins(config.plugin_ids, config.plugin_options)
    scenario = lp.make(config.scenario, **scenario_options(config))
    context = RunContext(
        num_joints=get_layout(scenario.layout).num_joints,
        layout=scenario.layout,
        profile=config.profile,
        device=device,
        seed=config.seed,
        test_flip=config.test_flip,
    )
    progress = ProgressPlugin(0, scenario.num_domains, enabled=config.progress)
    strategy = build_strategy(
        strategy_spec,
        load_entry_point(strategy_spec.entry_point),
        {
            **config.options,
            "context": context,
            "plugins": [progress, *plugins, *config.plugins],
            "evaluator": make_evaluator(),
        },
    )
    check_out_dir(out, config.resume)

    benchmark = scenario.avalanche_benchmark(strategy.params.receptive_field, target_3d=strategy.reads_target_3d)
    record = _new_record(config, scenario, strategy, device)
    start = 0
    if config.resume:
        existing = load_record(out)
        check_resumable(existing, record, out)
        if existing["status"] == "complete":
            progress.close()
            if config.report and not (out / "report.md").exists():  # a run cut while plotting
                _report(existing, out)
            return existing
        record = _continue_record(existing, record)
        start = record["completed_domains"]
        if start > 0:
            strategy.load_state_dict(load_checkpoint(out, start - 1, device))

    cache, identity = None, None
    if start == 0:
        cache, identity, record["source_cache"] = _source_cache_plan(config, scenario, strategy, device)
        if cache is not None and identity is not None:
            strategy.cached_source_state = cache.load(identity)
            record["source_cache"]["used"] = strategy.cached_source_state is not None
    train_stream, test_stream = list(benchmark.train_stream), list(benchmark.test_stream)
    progress.bar.total = sum(
        strategy.steps_for(experience.domain)
        for experience in train_stream[start:]
        if not (experience.domain.index == 0 and strategy.cached_source_state is not None)
    )
    record["status"] = "running"
    _write(out, record)
    try:
        for index in range(start, scenario.num_domains):
            _run_domain(strategy, train_stream[index], test_stream, record, out, index)
            if index == 0 and cache is not None and identity is not None and strategy.trained_source_state is not None:
                cache.store(identity, strategy.trained_source_state)
            if on_domain is not None:
                on_domain(record)
    except KeyboardInterrupt:
        _stop(record, out, "interrupted")
        raise
    except Exception as error:  # a strategy's own error, too: never leave a record saying "running"
        _stop(record, out, "failed", f"{type(error).__name__}: {error}")
        raise
    finally:
        progress.close()

    _finish_record(record, device, time.perf_counter() - started)
    _write(out, record)
    if config.report:
        _report(record, out)
    return record


def _source_cache_plan(
    config: RunConfig, scenario: Any, strategy: Any, device: str
) -> tuple[Any, dict[str, Any] | None, dict[str, Any]]:
    """Whether this run may take its source lifter from the cache, and under which identity.

    Returns ``(cache or None, identity or None, record entry)``; the entry says why not when not.
    """
    from lifelong_pose.runner.progress import ProgressPlugin
    from lifelong_pose.runner.source_cache import SOURCE_TRAINING_FIELDS, SourceCache, identity_key
    from lifelong_pose.training import LifelongPlugin

    def declined(why: str) -> tuple[None, None, dict[str, Any]]:
        return None, None, {"used": False, "key": None, "reason": why}

    if not config.cache:
        return declined("--no-cache")
    if not strategy.shares_source_training:
        return declined(f"{type(strategy).__name__} trains the source its own way")
    for plugin in strategy.plugins:
        if isinstance(plugin, ProgressPlugin) or type(plugin).__module__.startswith("avalanche."):
            continue
        if not isinstance(plugin, LifelongPlugin) or plugin.changes_source_training():
            return declined(f"plugin {type(plugin).__name__} may change source training")
    import torch

    params = strategy.params.as_dict()
    source = scenario.train_data(0)
    identity = {
        "schema": "lifelong-pose/source-identity/v1",
        "data": source.fingerprint(),
        "layout": scenario.layout,
        "lifter": strategy.model.get_params(),
        "training": {key: params[key] for key in SOURCE_TRAINING_FIELDS}
        | {"resolved_steps": strategy.params.source_steps(len(source))},
        "seed": config.seed,
        "device": torch.device(device).type,
        "torch": torch.__version__.split("+")[0],
    }
    cache = SourceCache(config.cache_dir)
    return cache, identity, {"used": False, "key": identity_key(identity), "folder": str(cache.folder)}


def _report(record: dict[str, Any], out: Path) -> None:
    from lifelong_pose.runner.report import write_report

    write_report(record, out)


def _stop(record: dict[str, Any], out: Path, status: str, error: str | None = None) -> None:
    """Record why the run stopped; only finished domains' rows are kept (they match checkpoints)."""
    done = record["completed_domains"]
    for key in record["matrices"]:
        del record["matrices"][key][done:]
    del record["timing"]["domains"][done:]
    del record.setdefault("losses", [])[done:]
    record["status"] = status
    if error is not None:
        record["error"] = error
    _write(out, record)


def _run_domain(
    strategy: Any, experience: Any, test_stream: list[Any], record: dict[str, Any], out: Path, index: int
) -> None:
    from lifelong_pose.training import METRICS, metric_key

    tick = time.perf_counter()
    strategy.train(experience, eval_streams=[])
    train_s = time.perf_counter() - tick
    tick = time.perf_counter()
    values = strategy.eval(test_stream)
    eval_s = time.perf_counter() - tick
    rows = {info.key: [float(values[metric_key(info.key, j)]) for j in range(len(test_stream))] for info in METRICS}
    state = strategy.state_dict()
    save_checkpoint(out, index, state)
    parts = {f"strategy.{key}": state_bytes(value) for key, value in state["extra"].items()}
    parts |= {f"plugin.{key}": state_bytes(value) for key, value in state["plugins"].items()}
    # the record changes only once the checkpoint is on disk: an interrupt before this line
    # leaves both at the previous domain
    for key, row in rows.items():
        record["matrices"][key].append(row)
    record.setdefault("losses", []).append({"name": experience.domain.name, "terms": strategy.domain_losses()})
    record["timing"]["domains"].append(
        {"name": experience.domain.name, "train_s": round(train_s, 3), "eval_s": round(eval_s, 3)}
    )
    resources = record["resources"]
    resources["kept_bytes"] = max(resources["kept_bytes"], sum(parts.values()))
    for part, size in parts.items():
        if size:
            resources["kept"][part] = max(resources["kept"].get(part, 0), size)
    record["completed_domains"] = index + 1
    if index + 1 < len(record["domains"]):
        _write(out, record)  # the last domain is written by the caller, with the summary


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_record(config: RunConfig, scenario: Any, strategy: Any, device: str) -> dict[str, Any]:
    from lifelong_pose.geometry.skeleton import get_layout
    from lifelong_pose.training import METRICS

    spec = strategy.spec
    return {
        "schema": RESULT_SCHEMA_ID,
        "status": "running",
        "created": _now(),
        "updated": _now(),
        "scenario": {"id": scenario.spec.id, "spec": json.loads(scenario.spec.to_json())},
        "strategy": {
            "id": spec.id,
            "entry_point": spec.entry_point,
            "params": strategy.get_params(),
            "reads_target_3d": bool(strategy.reads_target_3d),
            "comparable": not strategy.reads_target_3d,
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
                {"data_root": scenario.data_root, "h36m_2d": scenario.h36m_2d, "valid_mask": scenario.valid_mask}
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
        "matrices": {info.key: [] for info in METRICS},
        "units": {info.key: info.unit for info in METRICS},
        "summary": None,
        "figures": None,
        "timing": {"domains": [], "total_s": 0.0},
        "losses": [],
        "resources": {
            "parameters": sum(p.numel() for p in strategy.model.parameters()),
            "peak_host_bytes": peak_host_bytes(),
            "peak_device_bytes": peak_device_bytes(device),
            "kept_bytes": 0,
            "kept": {},
            "keeps_source_data": bool(getattr(strategy, "keeps_source_data", False)),
            "extra_parameters": sum(
                p.numel() for module in strategy.auxiliary_modules().values() for p in module.parameters()
            ),
        },
        "versions": versions(),
        "git": git_revision(),
    }


def _continue_record(existing: dict[str, Any], fresh: dict[str, Any]) -> dict[str, Any]:
    """The finished rows and timings of ``existing`` under the environment of this process."""
    record = dict(fresh)
    for key in ("created", "completed_domains", "matrices", "timing"):
        record[key] = existing[key]
    record["losses"] = existing.get("losses", [])[: existing["completed_domains"]]
    if "source_cache" in existing:
        record["source_cache"] = existing["source_cache"]
    kept = {key: existing["resources"][key] for key in ("kept_bytes", "kept") if key in existing["resources"]}
    record["resources"] = {**fresh["resources"], **kept}
    record["resumed"] = existing.get("resumed", 0) + 1
    return record


def _finish_record(record: dict[str, Any], device: str, elapsed: float) -> None:
    import numpy as np

    from lifelong_pose.metrics.matrix import summarize
    from lifelong_pose.training import METRICS

    figures = {
        info.key: summarize(np.asarray(record["matrices"][info.key]), lower_is_better=info.lower_is_better)
        for info in METRICS
    }
    mpjpe = figures["mpjpe"]
    record["status"] = "complete"
    record["figures"] = figures
    record["summary"] = {
        "final_avg_mpjpe": mpjpe["final_avg"],
        "avg_mpjpe": mpjpe["avg"],
        "bwt": mpjpe["bwt"],
        "forgetting": mpjpe["forgetting"],
        "fwt": mpjpe["fwt"],
        "adaptation_gain": mpjpe["adaptation_gain"],
        "lower_is_better": {
            "final_avg_mpjpe": True,
            "avg_mpjpe": True,
            "bwt": False,
            "forgetting": True,
            "fwt": False,
            "adaptation_gain": False,
        },
    }
    domain_seconds = sum(d["train_s"] + d["eval_s"] for d in record["timing"]["domains"])
    record["timing"]["total_s"] = round(max(elapsed, domain_seconds), 3)
    record["resources"]["peak_host_bytes"] = peak_host_bytes()
    record["resources"]["peak_device_bytes"] = peak_device_bytes(device)


def _write(out: Path, record: dict[str, Any]) -> None:
    record["updated"] = _now()
    validate_record(record, str(out / RESULT_FILE))
    atomic_write_json(out / RESULT_FILE, record)
