"""Run a :class:`~lifelong_pose.sweep.grid.Grid` on Ray: one task per run, results as run folders.

The driver (the ``lifelong-pose sweep`` process) connects to Ray (a local instance by default, a
cluster with ``--address``), skips runs whose folder holds a complete record, submits every other
run as one task with its CPU/GPU resources declared, and reports each as it ends. A run that fails
is reported with its error and the others go on; the sweep ends non-zero if any failed. Killed
midway, the same command resumes: finished runs are skipped and cut ones resume from their last
checkpoint (each domain reseeds from ``(seed, domain)``, so the matrices equal an uninterrupted
sweep's). Finished rows can then be filed on a leaderboard.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from lifelong_pose.runner.record import RESULT_FILE
from lifelong_pose.sweep.grid import Grid, Run
from lifelong_pose.sweep.task import RunTask, outcome

INSTALL_HINT = 'the sweep command runs on Ray, which is not installed: pip install -e ".[sweep]" (or pip install ray)'
CONNECT_TIMEOUT_S = 3.0
"""Seconds the address probe may take in all (docs/sweeps.md promises an answer within 5 s of the command)."""
SWEEP_FILE = "sweep.json"


class SweepConnectionError(RuntimeError):
    """The Ray cluster named by ``--address`` cannot be reached."""


def import_ray() -> Any:
    """Ray, or a one-line error that says how to install it."""
    try:
        import ray
    except ImportError:
        raise SystemExit(f"lifelong-pose sweep: {INSTALL_HINT}") from None
    return ray


HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # + empty SETTINGS
"""What a gRPC client sends first; a gRPC server (Ray's GCS and its client server) answers with a SETTINGS frame."""


def probe_address(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Fail within ``timeout`` seconds unless a gRPC server (a Ray cluster) answers at ``address``
    (``host:port`` or ``ray://host:port``); Ray's own connection retries for minutes, printing a
    warning every few seconds, before it gives up.

    The whole probe (name lookup, TCP connect, the HTTP/2 greeting) shares one deadline. A port that
    accepts the connection but does not answer as gRPC does (an SSH or web server, a firewall that
    accepts everything) is refused too: Ray would wait on it forever. With ``RAY_USE_TLS`` set the
    greeting is skipped (the server expects TLS first) and only the connection is checked.
    ``auto`` (the cluster of this machine, from ``ray start``) is left to Ray, which answers at once.

    Raises:
        SweepConnectionError: the address is malformed, or nothing (or nothing like Ray) answers there.
    """
    import os
    import threading

    if address == "auto":
        return
    parsed = urlparse(address if "://" in address else f"gcs://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or not port or parsed.scheme not in ("gcs", "ray"):
        raise SweepConnectionError(f"--address {address!r} is not host:port or ray://host:port (or auto)")
    deadline = time.monotonic() + timeout

    def unreachable(reason: str) -> SweepConnectionError:
        return SweepConnectionError(
            f"cannot reach a Ray cluster at {address} ({reason}); start one with 'ray start --head' there, or leave "
            "--address out to run on a Ray instance of this machine"
        )

    found: list[Any] = []

    def look_up() -> None:  # getaddrinfo has no timeout of its own: it runs aside, waited on up to the deadline
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as error:
            found.append(error)

    lookup = threading.Thread(target=look_up, name="address-lookup", daemon=True)
    lookup.start()
    lookup.join(max(0.0, deadline - time.monotonic()))
    if not found:
        raise unreachable(f"the name {host!r} did not resolve within {timeout:g} s")
    if isinstance(found[0], OSError):
        raise unreachable(f"the name {host!r} does not resolve: {found[0].strerror or found[0]}")
    error: OSError | None = None
    for family, kind, protocol, _, target in found[0]:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            with socket.socket(family, kind, protocol) as connection:
                connection.settimeout(left)
                connection.connect(target)
                if os.environ.get("RAY_USE_TLS", "0").lower() in ("1", "true"):
                    return
                _greet(connection, address, deadline)
                return
        except TimeoutError:
            error = TimeoutError()
        except OSError as failure:
            error = failure
    if error is None or isinstance(error, TimeoutError):
        raise unreachable(f"no answer within {timeout:g} s")
    raise unreachable(error.strerror or str(error))


def _greet(connection: socket.socket, address: str, deadline: float) -> None:
    """Send gRPC's HTTP/2 greeting and expect the server's SETTINGS frame before ``deadline``.

    Raises:
        SweepConnectionError: the peer closed, said something else, or said nothing in time.
    """
    not_ray = (
        f"something answers at {address}, but not a Ray cluster ({{}}); check the host and port: a Ray head's "
        "is its GCS port, 6379 by default ('ray start --head --port=...'), or ray://HOST:10001 for Ray Client"
    )
    try:
        connection.sendall(HTTP2_PREFACE)
        header = b""
        while len(header) < 9:
            connection.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = connection.recv(9 - len(header))
            if not chunk:
                raise SweepConnectionError(not_ray.format("it closed the connection at a gRPC greeting"))
            header += chunk
    except TimeoutError:
        raise SweepConnectionError(not_ray.format("it said nothing to a gRPC greeting")) from None
    except OSError as error:
        raise SweepConnectionError(not_ray.format(f"the greeting failed: {error.strerror or error}")) from None
    if header[3] != 0x04:  # an HTTP/2 server's first frame is SETTINGS
        raise SweepConnectionError(not_ray.format("it does not speak gRPC"))


def connect(ray: Any, address: str | None, cpus: int | None) -> None:
    """Join the cluster at ``address``, or start a Ray instance of this machine (``cpus`` of it).

    Raises:
        SweepConnectionError: the cluster cannot be reached.
    """
    import os

    env = {name: os.environ[name] for name in ("LIFELONG_POSE_CACHE",) if name in os.environ}
    runtime_env = {"env_vars": env} if env else None
    if address is None:
        ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False, runtime_env=runtime_env)
        return
    probe_address(address)
    try:
        ray.init(address=address, log_to_driver=False, runtime_env=runtime_env)
    except (ConnectionError, RuntimeError) as error:
        raise SweepConnectionError(f"cannot join the Ray cluster at {address}: {error}") from None


def run_task(grid: Grid, run: Run) -> RunTask:
    return RunTask(
        scenario=run.scenario,
        strategy=run.row.strategy,
        seed=run.seed,
        folder=str(run.folder.resolve()),
        profile=grid.profile,
        data=grid.data,
        world_seed=grid.world_seed,
        device=grid.device,
        options=run.row.options,
        plugins=run.row.plugins,
        plugin_options=run.row.plugin_options,
        threads=max(1, int(grid.cpus)),
    )


def finished(run: Run) -> dict[str, Any] | None:
    """The record of a run whose folder already holds a complete one, else None."""
    path = run.folder / RESULT_FILE
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("status") == "complete" else None


def sweep(
    grid: Grid,
    *,
    address: str | None = None,
    local_cpus: int | None = None,
    report: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Run every cell of ``grid`` that is not complete yet; the outcome of every cell, in grid order.

    ``sweep.json`` in ``grid.out`` is rewritten after each run ends, so a reader (or a later
    ``lifelong-pose sweep``) sees the grid's state at any moment.
    """
    from tqdm import tqdm

    ray = import_ray()
    runs = grid.runs()
    outcomes: dict[int, dict[str, Any]] = {}
    pending: list[int] = []
    for index, run in enumerate(runs):
        record = finished(run)
        if record is None:
            pending.append(index)
        else:
            outcomes[index] = outcome(run_task(grid, run), "complete", 0.0, summary=record.get("summary")) | {
                "skipped": True
            }
    if pending:  # a cluster that cannot be joined leaves nothing behind, not even sweep.json
        connect(ray, address, local_cpus)
    report(f"sweep: {len(runs)} runs ({len(runs) - len(pending)} already complete), {len(pending)} to run")
    try:
        grid.out.mkdir(parents=True, exist_ok=True)
        _write_state(grid, runs, outcomes)
        if not pending:
            return [outcomes[index] for index in range(len(runs))]
        remote = ray.remote(_execute).options(num_cpus=grid.cpus, num_gpus=grid.gpus, max_retries=1)
        futures = {remote.remote(asdict(run_task(grid, runs[index]))): index for index in pending}
        bar = tqdm(
            total=len(runs),
            initial=len(runs) - len(pending),
            unit="run",
            file=sys.stderr,
            leave=False,
            disable=not sys.stderr.isatty(),
        )
        waiting = list(futures)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            index = futures[done[0]]
            try:
                result = ray.get(done[0])
            except Exception as error:  # the worker itself died (killed, out of memory)
                result = outcome(run_task(grid, runs[index]), "failed", 0.0, f"{type(error).__name__}: {error}")
            outcomes[index] = result
            bar.update(1)
            bar.clear()
            report(_line(runs[index], result, len(outcomes), len(runs)))
            bar.refresh()
            _write_state(grid, runs, outcomes)
        bar.close()
    finally:
        if pending:
            ray.shutdown()
    return [outcomes[index] for index in range(len(runs))]


def _execute(task: dict[str, Any]) -> dict[str, Any]:
    """The Ray task: rebuild the plain task and run it (import inside: workers load torch lazily)."""
    from lifelong_pose.sweep.task import RunTask, execute

    task["plugins"] = tuple(task["plugins"])
    return execute(RunTask(**task))


def _line(run: Run, result: dict[str, Any], done: int, total: int) -> str:
    text = f"[{done}/{total}] {run.label}: {result['status']}"
    summary = result.get("summary")
    if summary and summary.get("final_avg_mpjpe") is not None:
        text += f", final MPJPE {summary['final_avg_mpjpe']:.1f} mm"
    if result.get("error"):
        text += f" ({result['error'][:300]})"
    return text + f" [{result['seconds']:.0f} s]"


def _write_state(grid: Grid, runs: list[Run], outcomes: dict[int, dict[str, Any]]) -> None:
    """``OUT/sweep.json``: every cell with its folder and, once it ended, its outcome."""
    from lifelong_pose.runner.checkpoint import atomic_write_json  # torch: not before the address is probed

    cells = []
    for index, run in enumerate(runs):
        cell = {"scenario": run.scenario, "row": run.row.name, "seed": run.seed, "folder": str(run.folder)}
        cells.append(cell | (outcomes.get(index) or {"status": "pending"}) | {"row": run.row.name})
    state = {"schema": "lifelong-pose/sweep/v1", "updated": time.strftime("%Y-%m-%dT%H:%M:%S"), "runs": cells}
    atomic_write_json(grid.out / SWEEP_FILE, state)


def file_rows(grid: Grid, outcomes: list[dict[str, Any]], board_root: Path, allow_few_seeds: bool) -> list[str]:
    """File every (scenario, row) whose seeds all completed on the board at ``board_root``; one line each."""
    from lifelong_pose.leaderboard import Board, EntryError

    board = Board(board_root)
    lines: list[str] = []
    by_cell = {(o["scenario"], o["folder"]): o for o in outcomes}
    for scenario in grid.scenarios:
        for row in grid.rows:
            folder = grid.row_folder(scenario, row)
            seeds = [by_cell.get((scenario, str((folder / f"seed-{seed}").resolve()))) for seed in grid.seeds]
            if any(o is None or o["status"] != "complete" for o in seeds):
                lines.append(f"{scenario} | {row.name}: not filed (not every seed completed)")
                continue
            if len(grid.seeds) < 3 and not allow_few_seeds:
                lines.append(
                    f"{scenario} | {row.name}: not filed ({len(grid.seeds)} seeds; a board needs 3, "
                    "or --allow-few-seeds to file it flagged)"
                )
                continue
            try:
                paths = board.add([folder], allow_few_seeds=allow_few_seeds)
            except EntryError as error:
                lines.append(f"{scenario} | {row.name}: not filed ({error})")
                continue
            lines.extend(f"{scenario} | {row.name}: filed {path}" for path in paths)
    return lines
