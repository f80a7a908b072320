"""One run of a sweep, as a worker executes it (a Ray task calls :func:`execute`).

Kept apart from the driver so that a worker imports only this and the runner; everything it
needs travels as plain data (:class:`RunTask`), never as objects holding torch state.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifelong_pose.runner.record import RESULT_FILE


@dataclass(frozen=True)
class RunTask:
    """What one worker needs to run (or resume) one cell of the grid."""

    scenario: str
    strategy: str
    seed: int
    folder: str
    profile: str = "quick"
    data: str = "sim"
    world_seed: int = 0
    device: str = "auto"
    options: dict[str, Any] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()
    plugin_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: int = 1


def outcome(
    task: RunTask, status: str, seconds: float, error: str | None = None, summary: Any = None
) -> dict[str, Any]:
    """The driver's line for one run: where it is, how it ended, its MPJPE summary figures."""
    return {
        "scenario": task.scenario,
        "strategy": task.strategy,
        "seed": task.seed,
        "folder": task.folder,
        "status": status,
        "error": error,
        "seconds": round(seconds, 1),
        "summary": summary,
    }


def execute(task: RunTask) -> dict[str, Any]:
    """Run ``task`` to the end, resuming what its folder holds; never raises for the run's own failure.

    A folder whose record is complete is returned as it is; one with a partial record (a sweep killed
    midway) is resumed from its last checkpoint, which gives the uninterrupted run's matrices. A run
    that fails (bad option, divergence, a strategy's error) has its record marked ``failed`` by the
    runner where it got that far, and comes back ``failed`` with the error; the other runs go on.
    """
    import torch

    from lifelong_pose.runner.run import RunConfig, run

    torch.set_num_threads(max(1, task.threads))
    folder = Path(task.folder)
    started = time.perf_counter()
    config = RunConfig(
        scenario=task.scenario,
        strategy=task.strategy,
        out=folder,
        seed=task.seed,
        profile=task.profile,
        data=task.data,
        world_seed=task.world_seed,
        device=task.device,
        options=dict(task.options),
        plugin_ids=task.plugins,
        plugin_options={name: dict(options) for name, options in task.plugin_options.items()},
        progress=False,
    )
    with _folder_lock(folder):
        config.resume = (folder / RESULT_FILE).exists()  # decided once the folder is ours
        try:
            record = run(config)
        except Exception as error:  # the run's own failure: reported per run, the sweep goes on
            return outcome(task, "failed", time.perf_counter() - started, f"{type(error).__name__}: {error}")
    return outcome(task, record["status"], time.perf_counter() - started, summary=record.get("summary"))


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the run folder while the run writes it.

    A worker of a killed sweep lives on for a few seconds, until the death of its node's raylet
    reaches it; a rerun's worker for the same cell waits here until that one is gone (the kernel
    drops a dead process's lock), instead of resuming a folder another process is still writing.
    """
    import fcntl

    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f".{folder.name}.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
