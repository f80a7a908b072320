"""``lifelong-pose``: list, describe and preview scenarios; run strategies on them; check and compare them.

Only the standard library and the registry load before a subcommand runs, so ``--help``,
``--version`` and ``list`` stay instant; torch and avalanche load inside the commands that need them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import warnings
from collections.abc import Collection, Sequence
from typing import Any

from lifelong_pose.cli.compare import add_compare_parser, compare_command
from lifelong_pose.cli.data import (
    add_data_commands,
    add_real_data_options,
    check_command,
    data_backends,
    export_command,
)
from lifelong_pose.cli.describe import REGISTRIES
from lifelong_pose.cli.leaderboard import add_leaderboard_parser, leaderboard_command
from lifelong_pose.cli.run import SignalLog, add_run_parser, check_output_place, entry_modules, run_command
from lifelong_pose.cli.sweep import add_sweep_parser, sweep_command
from lifelong_pose.registry import RegistryError, lifter_registry, plugin_registry, scenario_registry, strategy_registry


def _scenario_options(parser: argparse.ArgumentParser, *, positional: bool = True) -> None:
    if positional:
        parser.add_argument("scenario", help="scenario id, e.g. cross_dataset or cross_dataset-v0")
    parser.add_argument("--data", default="sim", choices=data_backends(), help="data backend (default: sim)")
    parser.add_argument("--seed", type=int, default=0, help="world seed (default: 0)")
    parser.add_argument("--profile", default="quick", choices=["quick", "paper"], help="sizes (default: quick)")
    parser.add_argument("--bvh-dir", default=None, help="a folder of BVH files to add to the motion library")
    add_real_data_options(parser)


def installed_version() -> str:
    """The installed distribution's version; the package's ``__version__`` where it is not installed
    (a source tree on ``PYTHONPATH``), so that ``--version`` answers in both."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lifelong-pose")
    except PackageNotFoundError:
        import lifelong_pose

        return getattr(lifelong_pose, "__version__", "unknown")


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked (argparse's own action would format it
    into every parser, which reads package metadata on each command)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest=dest, default=argparse.SUPPRESS, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(f"{parser.prog} {installed_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lifelong-pose",
        description="Benchmark suite for lifelong domain-adaptive 3D human pose estimation.",
    )
    parser.add_argument("--version", action=_VersionAction, help="print the installed version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("list", help="list registered scenarios, strategies, plugins or lifters")
    listing.add_argument("what", choices=["scenarios", "strategies", "plugins", "lifters"])
    listing.add_argument("--json", action="store_true", help="machine-readable output")

    describe = commands.add_parser(
        "describe",
        help="a scenario's domains in order; a strategy's options per profile and what it reads; a plugin or lifter",
        description="Describe a registered id: a scenario (its domains, factors and sizes; the options below "
        "apply), a strategy (what it keeps and reads, its options with their defaults per profile), a plugin "
        "(its options) or a lifter (its sizes per profile).",
    )
    describe.add_argument(
        "scenario",
        metavar="ID",
        help="a scenario (cross_dataset), strategy (poseda), plugin (ema) or lifter (videopose) id",
    )
    describe.add_argument(
        "--kind",
        default=None,
        choices=list(REGISTRIES),
        help="which registry to read ID from, where several know it (dakpose is a strategy and a lifter)",
    )
    _scenario_options(describe, positional=False)
    describe.add_argument("--json", action="store_true", help="machine-readable output")
    describe.add_argument("--no-sizes", action="store_true", help="skip building the data (factors only)")

    data = commands.add_parser("data", help="look at a scenario's data, check a real-data folder, export")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")
    preview = data_commands.add_parser("preview", help="draw every domain: 2D, 3D and the shifting distributions")
    _scenario_options(preview)
    preview.add_argument("--out", default="preview.png", help="image to write (default: preview.png)")
    preview.add_argument("--poses", type=int, default=4, help="poses drawn per domain (default: 4)")
    add_data_commands(data_commands)

    add_run_parser(commands)
    add_compare_parser(commands)
    add_sweep_parser(commands)
    add_leaderboard_parser(commands)

    conformance = commands.add_parser(
        "check", help="run the conformance checks of a strategy or a scenario (one PASS/FAIL line each)"
    )
    conformance.add_argument("kind", choices=["strategy", "scenario"])
    conformance.add_argument(
        "target", help="a strategy id, module:Class or path/to/file.py:Class; a scenario id (checked with sim data)"
    )

    cache = commands.add_parser("cache", help="the cache of trained source lifters: list or clear it")
    cache.add_argument(
        "cache_command", choices=["ls", "clear"], metavar="{ls,clear}", help="ls: list entries; clear: delete them"
    )
    cache.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="cache folder (default: $LIFELONG_POSE_CACHE or ~/.cache/lifelong-pose)",
    )
    return parser


def _make(args: argparse.Namespace) -> Any:
    import lifelong_pose as lp
    from lifelong_pose.datasets.options import RealDataOptions

    overrides: dict[str, Any] = {"data": args.data, "seed": args.seed, "profile": args.profile}
    if args.bvh_dir:
        overrides["bvh_dir"] = args.bvh_dir
    overrides |= RealDataOptions.from_args(args).overrides()
    return lp.make(args.scenario, **overrides)


def _list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    registry = {
        "scenarios": scenario_registry,
        "strategies": strategy_registry,
        "plugins": plugin_registry,
        "lifters": lifter_registry,
    }[args.what]
    rows = []
    for spec in registry.all():
        row: dict[str, Any] = {
            "id": spec.id,
            "versions": ", ".join(f"v{v}" for v in registry.versions(spec.name) if v is not None),
        }
        if args.what == "scenarios":
            row["domains"] = _domain_count(spec)
            row["backends"] = ", ".join(spec.backends)  # type: ignore[attr-defined]
        if args.what == "lifters":
            row["profiles"] = ", ".join(spec.profiles)  # type: ignore[attr-defined]
        row["description"] = spec.description
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
    elif rows:
        print(tabulate(rows, headers="keys"))
    else:
        print(f"No {args.what} registered.")
    return 0


def _domain_count(spec: Any) -> int | str:
    """Domains in the stream, from its (light) definition; '?' with a warning if it fails."""
    from lifelong_pose.registry import load_entry_point
    from lifelong_pose.scenario import COMMON_OPTIONS  # the split build_scenario makes, light to import

    try:
        options = {k: v for k, v in spec.kwargs.items() if k not in COMMON_OPTIONS}
        definition = load_entry_point(spec.entry_point)(profile=spec.kwargs.get("profile", "quick"), **options)
        if definition.real and len(definition.real) != len(definition.domains):
            return f"{len(definition.domains)} ({len(definition.real)} real)"
        return len(definition.domains)
    except Exception as error:  # a broken plugin must not break the listing
        warnings.warn(f"Scenario {spec.id!r} could not be loaded: {error}", stacklevel=2)
        return "?"


def _describe(args: argparse.Namespace) -> int:
    """A scenario's domains, or (:mod:`lifelong_pose.cli.describe`) a strategy, plugin or lifter."""
    from lifelong_pose.cli.describe import describe_registered, resolve_kind

    kind, also = resolve_kind(args.scenario, args.kind)
    if kind != "scenario":
        return describe_registered(kind, args.scenario, as_json=args.json, also=also)
    for other in also:
        print(f"('{args.scenario}' is also a registered {other}: 'lifelong-pose describe ID --kind {other}')\n")
    scenario = _make(args)
    rows = scenario.describe(sizes=not args.no_sizes)
    if args.json:
        print(
            json.dumps({"id": scenario.spec.id, "spec": json.loads(scenario.spec.to_json()), "domains": rows}, indent=2)
        )
        return 0
    from tabulate import tabulate

    print(f"{scenario.spec.id}: {scenario.definition.description}")
    print(f"data={scenario.data_backend} seed={scenario.seed} profile={scenario.profile} layout={scenario.layout}\n")
    table = [
        _real_row(row) if "selection" in row else _session_row(row) if "dataset" in row["factors"] else _sim_row(row)
        for row in rows
    ]
    print(tabulate(table, headers="keys"))
    print()
    for row in rows:
        print(f"  {row['index']}. {row['name']}: {row['description']}")
    return 0


def _selection_text(split: dict[str, Any]) -> str:
    """What a split selects (a :class:`~lifelong_pose.datasets.spec.Selection` as a dict), in a few words."""
    parts = [split["part"]] if split["part"] != "all" else []
    parts += [",".join(split["subjects"])] if split["subjects"] else []
    parts += [f"cam {','.join(split['cameras'])}"] if split["cameras"] else []
    parts += [f"{split['takes']} takes"] if split["takes"] != "all" else []
    return " ".join(parts) or "all"


def _real_row(row: dict[str, Any]) -> dict[str, Any]:
    """A real domain in the describe table: dataset, protocol, what each split reads."""
    selection = row["selection"]
    reads = _selection_text
    entry = {
        "#": row["index"],
        "domain": row["name"],
        "role": row["role"],
        "dataset": selection["dataset"],
        "protocol": row["protocol"],
        "train reads": reads(selection["train"]) if row["protocol"] == "inductive" else "(test 2D)",
        "test reads": reads(selection["test"]),
        "stride": f"{selection['stride']}/{selection['test_stride']}",
    }
    if "train_frames" in row:
        entry.update(train=row["train_frames"], test=row["test_frames"])
    return entry


def _session_row(row: dict[str, Any]) -> dict[str, Any]:
    """A v2 simulated domain in the describe table: its recording and what each split selects."""
    spec = row["factors"]
    session = spec["dataset"]
    rig = session["rig"]
    cameras = (
        f"{len(rig['cameras'])} H3.6M published"
        if "cameras" in rig
        else f"{rig['count']} {rig['name']}{' moving' if rig['moving'] else ''}"
    )
    entry = {
        "#": row["index"],
        "domain": row["name"],
        "role": row["role"],
        "recording": session["key"],
        "subjects": f"{len(session['subjects'])} x {session['takes']} takes",
        "cameras": cameras,
        "train reads": _selection_text(spec["train"]) if row["protocol"] == "inductive" else "(test 2D)",
        "test reads": _selection_text(spec["test"]),
        "fps": f"{session['fps'] / spec['stride']:g}",
        "2D": session["observation"]["kind"],
    }
    if "train_frames" in row:
        entry.update(train=row["train_frames"], test=row["test_frames"])
    return entry


def _sim_row(row: dict[str, Any]) -> dict[str, Any]:
    """A simulated domain of the v0/v1 world in the describe table: its factors."""
    factors = row["factors"]
    cams, motion, bodies, obs = factors["cameras"], factors["motion"], factors["bodies"], factors["observation"]
    entry = {
        "#": row["index"],
        "domain": row["name"],
        "role": row["role"],
        "bodies": f"{bodies['count']} x h{bodies['height_mean']:.2f}",
        "cameras": f"{cams['count']} {cams['name']}{' moving' if cams['moving'] else ''}",
        "image": "x".join(map(str, cams["image_size"])),
        "f (px)": f"{cams['focal_px'][0]:g}",
        "fps": f"{motion['fps']:g}",
        "speed": "{:g}-{:g}".format(*motion["speed"]),
        "2D": obs["kind"] + (f" {obs['noise']:g}" if obs["kind"] != "clean" else ""),
    }
    if "train_frames" in row:
        entry.update(train=row["train_frames"], test=row["test_frames"], actions=len(row["actions"]))
    return entry


def _preview(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lifelong_pose.preview import preview_path, render_preview

    check_output_place(Path(args.out), "--out")
    preview_path(args.out, args.poses)  # a bad --out or --poses fails before the scenario is built
    path = render_preview(_make(args), args.out, poses_per_domain=args.poses)
    print(f"Wrote {path}")
    return 0


def _cache(args: argparse.Namespace) -> int:
    from lifelong_pose.runner.source_cache import SourceCache

    cache = SourceCache(args.cache_dir)
    try:
        cache.check_folder()
    except NotADirectoryError as error:
        raise ValueError(str(error)) from None
    if args.cache_command == "clear":
        cleared = cache.clear()
        manifests = [path for path in cleared.removed if path.suffix == ".json"]
        also = f" and {len(manifests)} manifest(s)" if manifests else ""
        print(f"Removed {len(cleared.removed) - len(manifests)} file(s){also} from {cache.folder}")
        if cleared.left:
            names = ", ".join(path.name for path in cleared.left[:10])
            more = f" and {len(cleared.left) - 10} more" if len(cleared.left) > 10 else ""
            print(
                f"Left {len(cleared.left)} file(s) the cache did not write: {names}{more} (remove them yourself "
                "if you mean to)"
            )
        return 0
    from datetime import datetime

    from tabulate import tabulate

    rows = []
    for entry in cache.entries():
        identity = entry.identity or {}
        training = identity.get("training", {})
        rows.append(
            {
                "key": entry.key[:12],
                "lifter": (identity.get("lifter") or {}).get("name", "(unreadable)"),
                "steps": training.get("resolved_steps", ""),
                "seed": identity.get("seed", ""),
                "device": identity.get("device", ""),
                "data": str(identity.get("data", ""))[:12],
                "MB": round(entry.bytes / 2**20, 2),
                "written": datetime.fromtimestamp(entry.modified).strftime("%Y-%m-%d %H:%M"),
            }
        )
    print(f"Source cache: {cache.folder}")
    print(tabulate(rows, headers="keys") if rows else "(empty)")
    return 0


def _conformance(args: argparse.Namespace) -> int:
    """Print each check's line as it finishes; exit 0 only when none failed (a skip is no failure)."""
    from lifelong_pose.checks import check_scenario, check_strategy

    checks = check_strategy(args.target) if args.kind == "strategy" else check_scenario(args.target)
    failed = 0
    for result in checks:
        print(result.line(), flush=True)
        failed += not result.passed
    print(f"{args.target}: {'all checks passed' if not failed else f'{failed} check(s) failed'}")
    return 1 if failed else 0


MAX_MESSAGE = 2000
"""Characters of an error line printed; the rest is cut (a message echoing a huge value stays readable)."""


def _error(text: str) -> None:
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    print(f"lifelong-pose: {text}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status.

    Threads that plugin code started and left running (not daemon) would keep the process alive
    after the command ends (Python joins them at exit): they are named in a warning and the
    process exits anyway, with the command's status (:func:`_leave_stray_threads`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    before = set(threading.enumerate())
    signals = SignalLog()
    args.signals = signals  # run_command tells a Ctrl-C from plugin code's KeyboardInterrupt with it
    try:
        with signals.installed():
            code = _dispatch(args, signals)
    except BaseException as error:
        if not _stray_threads(before):
            raise
        if isinstance(error, SystemExit):  # e.g. import_ray's message
            if isinstance(error.code, str):
                print(error.code, file=sys.stderr)
            code = error.code if isinstance(error.code, int) else 1
        else:  # the suite's own bug: its traceback, then out past the threads
            import traceback

            traceback.print_exc()
            code = 1
    return _leave_stray_threads(code, before)


def _dispatch(args: argparse.Namespace, signals: SignalLog) -> int:
    data_handlers = {"preview": _preview, "check": check_command, "export": export_command}
    handlers = {
        "list": _list,
        "describe": _describe,
        "data": lambda args: data_handlers[args.data_command](args),
        "run": run_command,
        "compare": compare_command,
        "sweep": sweep_command,
        "cache": _cache,
        "check": _conformance,
        "leaderboard": leaderboard_command,
    }
    try:
        return handlers[args.command](args)
    except (RegistryError, ValueError, TypeError, ImportError, FloatingPointError, NotImplementedError) as error:
        from lifelong_pose.registry.plugin_errors import print_plugin_error

        if not print_plugin_error(error):  # NotImplementedError: a hook a user's strategy must define
            _error(f"error: {error}")
        return 2
    except OSError as error:  # a path that is missing, unwritable, or a file where a folder belongs
        where = f": {error.filename}" if error.filename else ""
        _error(f"error: {error.strerror or error}{where}")
        return 2
    except KeyboardInterrupt as error:  # a command other than run (which says how to resume)
        from lifelong_pose.registry.plugin_errors import describe, interrupting_frame

        raised = None if signals.received else interrupting_frame(error, _targets(args))
        if raised is not None:
            _error(describe(error, raised))
            return 2
        print("\nInterrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a user's plugin failing (its record, if a run, already says failed)
        from lifelong_pose.registry.plugin_errors import print_plugin_error

        if print_plugin_error(error):
            return 2
        raise  # the suite's own bug: the traceback is what a bug report needs


def _targets(args: argparse.Namespace) -> set[str]:
    """The ``module:Class`` modules a command was given (``--strategy``, ``check strategy TARGET``)."""
    given = [getattr(args, "target", None)]
    strategy = getattr(args, "strategy", None)
    given += strategy if isinstance(strategy, list) else [strategy]
    return entry_modules(*given)


def _stray_threads(before: Collection[threading.Thread]) -> list[threading.Thread]:
    """Threads started during the command that are alive and not daemon (the process would wait for them)."""
    return [
        thread
        for thread in threading.enumerate()
        if thread not in before and thread.is_alive() and not thread.daemon and thread is not threading.main_thread()
    ]


STRAY_THREAD_GRACE_S = 1.0
"""How long threads left running get to end by themselves before the process exits past them."""


def _leave_stray_threads(code: int, before: Collection[threading.Thread]) -> int:
    """``code``, or, where threads the command started are still running, exit past them.

    Why ``os._exit``: a started thread cannot be made daemon, and Python's exit joins every
    non-daemon thread, so a plugin's forgotten worker hangs the process forever after "Run
    folder" (no signal handler can help: the main thread is waiting in the join). After a short
    grace for threads about to end, the warning names each one and what it runs, the output is
    flushed, and the process ends with the command's status. ``atexit`` handlers do not run then;
    everything the command writes is already written (records and checkpoints are atomic files).
    """
    import time

    deadline = time.monotonic() + STRAY_THREAD_GRACE_S
    for thread in _stray_threads(before):
        thread.join(max(0.0, deadline - time.monotonic()))
    stray = _stray_threads(before)
    if not stray:
        return code
    names = ", ".join(_thread_name(thread) for thread in stray[:10])
    print(
        f"lifelong-pose: warning: {len(stray)} thread(s) started during the command are still running ({names}); "
        "exiting without waiting for them (a plugin should stop its threads, or start them with daemon=True)",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _thread_name(thread: threading.Thread) -> str:
    """``'Thread-1 (spin)' in /path/plugin.py`` where the target is a function, else the thread's name."""
    target = getattr(thread, "_target", None)  # private, but the only way to say what it runs
    code = getattr(target, "__code__", None)
    return f"{thread.name!r}" + (f" in {code.co_filename}" if code is not None else "")


if __name__ == "__main__":
    sys.exit(main())
