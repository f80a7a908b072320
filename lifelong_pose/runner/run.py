"""Run one strategy on one scenario: train domain by domain, test on every domain, record.

The loop, for each domain i of the stream (0 = the labelled source)::

    strategy.train(train_stream[i])        # supervised on the source, adaptation on targets
    strategy.eval(test_stream)              # every domain's test split -> row i of each matrix
    checkpoint after domain i               # plain state_dicts, atomic
    result.json rewritten (status running)  # a valid partial record at every moment

``--resume`` reloads the checkpoint of the last finished domain and goes on; because every
domain reseeds from ``(seed, i)`` and starts a fresh optimizer, the resumed matrix equals the
uninterrupted one.

This module is the loop; what the record holds, how it resumes and how it ends is
:class:`lifelong_pose.runner.run_record.RunRecord`'s (its helpers are re-exported here for callers
that import them from the runner).
"""

from __future__ import annotations

import json
import shutil
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifelong_pose.datasets.options import RealDataOptions
from lifelong_pose.runner.checkpoint import CHECKPOINT_DIR, load_checkpoint, save_checkpoint, state_bytes
from lifelong_pose.runner.environment import reset_peak_device_bytes, resolve_device
from lifelong_pose.runner.record import RESULT_FILE
from lifelong_pose.runner.run_record import (
    IDENTITY_FIELDS,
    DomainResult,
    RunRecord,
    check_resumable,
    evaluation_settings,
    with_pre_protocol_defaults,
)

__all__ = [
    "IDENTITY_FIELDS",
    "RunConfig",
    "check_out_dir",
    "check_resumable",
    "evaluation_settings",
    "run",
    "scenario_options",
    "with_pre_protocol_defaults",
]


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
        real: the real-data options (``data_root``, ``protocol``, ``h36m_2d``, ``valid_mask``).
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
        init_checkpoint: start the source lifter from this file
            (:mod:`lifelong_pose.models.pretrained`: a domain checkpoint, a lifter state dict or a
            VideoPose3D checkpoint) instead of training it from random weights. Alone, the source is
            not trained: it is tested as loaded. With a source budget in ``options`` (``steps`` or
            ``epochs``) the source trains on from it for that budget. The record names the file by
            its SHA-256 (``init_checkpoint``), and the source cache is not used.
    """

    scenario: str
    strategy: str
    out: Path
    seed: int = 0
    profile: str = "quick"
    data: str = "sim"
    real: RealDataOptions = field(default_factory=RealDataOptions)
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
    init_checkpoint: Path | None = None

    @property
    def trains_from_checkpoint(self) -> bool:
        """An init checkpoint the source trains on from: its budget was given (``steps`` or ``epochs``)."""
        return self.init_checkpoint is not None and any(key in self.options for key in ("steps", "epochs"))


def check_out_dir(out: Path, resume: bool) -> None:
    """Refuse an unwritable folder, or one that already holds a run unless resuming.

    Raises:
        ValueError: with what to do instead; nothing on disk is changed.
    """
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} exists and is not a folder")
    existing = out / RESULT_FILE
    if existing.exists() and not resume:
        status = _status_of(existing)
        raise ValueError(
            f"{out} already holds a run ({status}); pass --resume to continue it, --overwrite to replace it, "
            "or choose another --out"
        )
    if resume and not existing.exists():
        raise ValueError(f"Nothing to resume: {existing} does not exist")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ValueError(f"Cannot write to --out {out}: {error.strerror or error}") from None
    for stale in [*out.glob(".*.tmp"), *(out / CHECKPOINT_DIR).glob(".*.tmp")]:
        stale.unlink(missing_ok=True)  # an atomic write killed before its rename (kill -9)


@contextmanager
def _removed_if_nothing_recorded(out: Path) -> Iterator[None]:
    """A run that fails before its first record is written leaves no folder behind (an empty
    ``seed-0`` under ``runs/`` each time blocked nothing but cluttered); the folders it created go."""
    created = next((folder for folder in (*reversed(out.parents), out) if not folder.exists()), None)
    try:
        yield
    except BaseException:
        if created is not None and not (out / RESULT_FILE).exists():
            shutil.rmtree(created, ignore_errors=True)
        raise


def _status_of(record_file: Path) -> str:
    """``failed after 1 of 3 domains: ...``, for the message that refuses to touch a run folder."""
    try:
        record = json.loads(record_file.read_text())
        status = f"{record['status']} after {record['completed_domains']} of {len(record['domains'])} domains"
        return status + (f": {record['error'][:120]}" if record.get("error") else "")
    except (OSError, ValueError, KeyError, TypeError):
        return "its record cannot be read"


def scenario_options(config: RunConfig) -> dict[str, Any]:
    """The options ``lifelong_pose.make`` builds the run's scenario with; real-data ones only
    when they are used, so a simulated run's recorded spec stays as it was."""
    options: dict[str, Any] = {"data": config.data, "seed": config.world_seed, "profile": config.profile}
    return options | config.real.overrides()


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
    num_joints = get_layout(scenario.layout).num_joints
    init, options = None, config.options
    if config.init_checkpoint is not None:  # read before anything is built: its shapes may set the lifter
        from lifelong_pose.models.pretrained import read_pretrained

        init = read_pretrained(config.init_checkpoint, num_joints=num_joints, layout=scenario.layout)
        options = init.lifter_options(options)
    context = RunContext(
        num_joints=num_joints,
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
            **options,
            "context": context,
            "plugins": [progress, *plugins, *config.plugins],
            "evaluator": make_evaluator(),
        },
    )
    if init is not None:
        init.check_fits(strategy.model, profile=config.profile, layout=scenario.layout)
    with _removed_if_nothing_recorded(out):
        check_out_dir(out, config.resume)

        benchmark = scenario.avalanche_benchmark(strategy.params.receptive_field, target_3d=strategy.reads_target_3d)
        record = RunRecord.new(config, scenario, strategy, device)
        if init is not None:
            record.note_init_checkpoint(init.record_entry(trains_source=config.trains_from_checkpoint))
        if not record["normalisation"]["applies"]:
            warnings.warn(f"bn={strategy.params.bn} is a {record['normalisation']['effect']}", stacklevel=2)
        start = 0
        if config.resume:
            existing = RunRecord.load(out)
            existing.check_resumable(record, out)
            if existing.is_complete:
                progress.close()
                if config.report and not (out / "report.md").exists():  # a run cut while plotting
                    _report(existing.to_dict(), out)
                return existing.to_dict()
            record = existing.resumed_with(record)
            state, start = _last_readable_checkpoint(out, record.completed_domains, device)
            record.rewind(start)
            if state is not None:
                strategy.load_state_dict(state)

        cache, identity = None, None
        if start == 0:
            cache, identity, cache_entry = _source_cache_plan(config, scenario, strategy, device)
            if cache is not None and identity is not None:
                strategy.cached_source_state = cache.load(identity)
                cache_entry["used"] = strategy.cached_source_state is not None
            record.note_source_cache(cache_entry)
            if init is not None and config.trains_from_checkpoint:  # the source trains on from it
                strategy.initial_source_state = init.state
            elif init is not None:  # the source is tested as loaded: the cache's path, without the cache
                strategy.cached_source_state, strategy.source_state_origin = init.state, "checkpoint"
        train_stream, test_stream = list(benchmark.train_stream), list(benchmark.test_stream)
        progress.bar.total = sum(
            strategy.steps_for(experience.domain)
            for experience in train_stream[start:]
            if not (experience.domain.index == 0 and strategy.cached_source_state is not None)
        )
        record.write(out)
    try:
        tested = _Tested(test_digests=[split_digests(experience.tensors) for experience in test_stream])
        from lifelong_pose.runner.target_labels import TargetLabels

        strategy.target_labels = TargetLabels(
            [e.tensors.X3d for e in test_stream if e.domain.index > 0 and e.tensors.X3d is not None]
        )
        for index in range(start, scenario.num_domains):
            record.add_domain(_run_domain(strategy, train_stream[index], test_stream, out, index, tested))
            if not record.all_domains_done:
                record.write(out)  # the last domain is written below, with the figures
            if index == 0 and cache is not None and identity is not None and strategy.trained_source_state is not None:
                cache.store(identity, strategy.trained_source_state)
            if on_domain is not None:
                on_domain(record.to_dict())
    except KeyboardInterrupt:
        record.stop("interrupted")
        record.write(out)
        raise
    except Exception as error:  # a strategy's own error, too: never leave a record saying "running"
        record.stop("failed", f"{type(error).__name__}: {error}")
        record.write(out)
        raise
    finally:
        progress.close()

    record.finish(time.perf_counter() - started)
    record.write(out)
    if config.report:
        _report(record.to_dict(), out)
    return record.to_dict()


def _last_readable_checkpoint(out: Path, finished: int, device: str) -> tuple[dict[str, Any] | None, int]:
    """The newest checkpoint that reads back, and how many domains it covers.

    A checkpoint that exists but cannot be read (truncated by a crash mid-copy, tampered with) is
    reported, set aside (renamed, never deleted) and its domain trained again from the one before:
    each domain reseeds from ``(seed, domain)``, so the retrained domain gives the same rows.
    """
    from lifelong_pose.runner.checkpoint import CorruptCheckpoint, checkpoint_path, set_aside

    while finished > 0:
        try:
            return load_checkpoint(out, finished - 1, device), finished
        except CorruptCheckpoint as error:
            moved = set_aside(checkpoint_path(out, finished - 1))
            warnings.warn(f"{error}; set aside as {moved.name}, domain {finished - 1} is trained again", stacklevel=2)
            finished -= 1
    return None, 0


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

    if config.init_checkpoint is not None:  # its lifter is no function of the cache's identity
        return declined("--init-checkpoint: the source starts from a checkpoint")
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


def _snapshot(state: Any) -> Any:
    """A copy of a (nested) state whose tensors no later training can change."""
    import torch

    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {key: _snapshot(value) for key, value in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_snapshot(value) for value in state)
    return state


def _same_state(a: Any, b: Any) -> bool:
    """Bit-for-bit equality of two (nested) states."""
    import torch

    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and isinstance(b, torch.Tensor)
            and a.shape == b.shape
            and bool(torch.equal(a, b))
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[key], b[key]) for key in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _report(record: dict[str, Any], out: Path) -> None:
    from lifelong_pose.runner.report import write_report

    write_report(record, out)


@dataclass
class _Tested:
    """The strategy's state when it was last tested, the rows that test gave, and each test split's digests."""

    state: dict[str, Any] | None = None
    rows: dict[str, list[float]] | None = None
    test_digests: list[dict[str, str]] = field(default_factory=list)


class ChangedTestData(RuntimeError):
    """A test split changed while a strategy ran: the errors it would give measure nothing."""


def split_digests(data: Any) -> dict[str, str]:
    """SHA-256 of each tensor field of a split (``x2d``, ``X3d``, ...), to tell exactly which one changed."""
    import hashlib

    import torch

    digests = {}
    for name, value in vars(data).items():
        if isinstance(value, torch.Tensor):
            digests[name] = hashlib.sha256(value.detach().cpu().contiguous().numpy().tobytes()).hexdigest()
    return digests


def check_test_data(test_stream: list[Any], expected: list[dict[str, str]], strategy: Any, domain: str) -> None:
    """Every test split is bit for bit what it was when the run started.

    Why: a strategy runs in the same process as the evaluation and can reach the test tensors (an
    Avalanche stream holds them; ``gc`` finds anything), so an in-place change of the labels (or
    of the 2D) would make any error it likes. The runner keeps each split's digests from before
    the first domain and compares them after every evaluation, before a row is recorded.

    Raises:
        ChangedTestData: naming the split, its fields that changed and the domain just trained.
    """
    for index, (experience, digests) in enumerate(zip(test_stream, expected, strict=True)):
        changed = sorted(
            name for name, digest in split_digests(experience.tensors).items() if digests.get(name) != digest
        )
        if changed:
            raise ChangedTestData(
                f"{type(strategy).__name__} changed the test split of domain {index} ({experience.tensors.name}: "
                f"{', '.join(changed)}) while training on {domain!r}; a strategy may never write to test data, "
                "so this run's errors mean nothing"
            )


def _run_domain(
    strategy: Any, experience: Any, test_stream: list[Any], out: Path, index: int, tested: _Tested
) -> DomainResult:
    """Train on one domain, test on every domain, checkpoint; the results for the record.

    On a target, what the domain changed in the lifter is measured too
    (:mod:`lifelong_pose.runner.diagnostics`; timed apart, as ``diagnostics_s``). A strategy
    whose whole state (lifter, its own networks, plugins) is bit for bit what it was when last
    tested (``source_only`` and DAK-Pose after the source, which never adapt) is not tested
    again: testing is deterministic, so its rows are the last ones (``eval_s`` 0). The record is
    given the results only once the checkpoint is on disk: an interrupt before that leaves both at
    the previous domain.
    """
    from lifelong_pose.metrics.table import METRIC_KEYS
    from lifelong_pose.runner.diagnostics import learning_diagnostics, take_snapshot
    from lifelong_pose.training import metric_key

    test_data = test_stream[index].tensors
    tick = time.perf_counter()
    before = take_snapshot(strategy, test_data) if index > 0 else None
    diagnostics_s = time.perf_counter() - tick
    tick = time.perf_counter()
    seen = strategy.target_3d_seen
    strategy.train(experience, eval_streams=[])
    train_s = time.perf_counter() - tick
    seen = strategy.target_3d_seen - seen
    tick = time.perf_counter()
    diagnostics = learning_diagnostics(strategy, test_data, before) if before is not None else None
    diagnostics_s += time.perf_counter() - tick
    losses = strategy.domain_losses()
    diverged = sorted(name for name, term in losses.items() if term["mean"] is None)
    if diverged:  # a weight update from an infinite loss leaves nothing worth testing
        raise FloatingPointError(
            f"{type(strategy).__name__}'s loss {', '.join(diverged)} was not finite while training on domain "
            f"{experience.domain.name!r}: training diverged (try a lower lr, or check the strategy's loss)"
        )
    state = strategy.state_dict()
    tick = time.perf_counter()
    if tested.rows is not None and tested.state is not None and _same_state(state, tested.state):
        rows = {key: list(row) for key, row in tested.rows.items()}
    else:
        values = strategy.eval(test_stream)
        rows = {key: [float(values[metric_key(key, j)]) for j in range(len(test_stream))] for key in METRIC_KEYS}
        tested.state, tested.rows = _snapshot(state), rows
    eval_s = time.perf_counter() - tick
    check_test_data(test_stream, tested.test_digests, strategy, experience.domain.name)
    save_checkpoint(out, index, state)
    kept = {f"strategy.{key}": state_bytes(value) for key, value in state["extra"].items()}
    kept |= {f"plugin.{key}": state_bytes(value) for key, value in state["plugins"].items()}
    return DomainResult(
        name=experience.domain.name,
        rows=rows,
        losses=losses,
        train_s=train_s,
        eval_s=eval_s,
        kept=kept,
        diagnostics=diagnostics,
        diagnostics_s=diagnostics_s,
        target_3d_seen=seen,
    )
