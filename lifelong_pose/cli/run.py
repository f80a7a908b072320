"""``lifelong-pose run``: one strategy on one scenario, for one or several seeds.

Each seed runs in ``OUT/seed-N`` (record, checkpoints, figures, report); with several seeds,
``OUT/summary.json`` and ``OUT/report.md`` give mean ± std. Heavy imports happen inside
:func:`run_command` only.
"""

from __future__ import annotations

import argparse
import contextlib
import shlex
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from lifelong_pose.cli.data import add_real_data_options, data_backends


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` -> ``[0, 1, 2]``; ``"0-4"`` -> ``[0, 1, 2, 3, 4]``.

    Raises:
        argparse.ArgumentTypeError: anything else, or a repeated seed.
    """
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            first, dash, last = part.partition("-")
            if dash and first:
                low, high = int(first), int(last)
                if high < low:
                    raise ValueError
                if high - low + 1 > MAX_SEEDS:
                    raise argparse.ArgumentTypeError(
                        f"--seeds {text!r} asks for {high - low + 1:_} runs; at most {MAX_SEEDS} seeds per command"
                    )
                seeds.extend(range(low, high + 1))
            else:
                seeds.append(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seeds expects comma-separated integers or a range, like 0,1,2 or 0-4; got {text!r}"
        ) from None
    if len(seeds) > MAX_SEEDS:
        raise argparse.ArgumentTypeError(f"--seeds {text!r} lists {len(seeds)} seeds; at most {MAX_SEEDS} per command")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"--seeds repeats a seed: {text!r}")
    for seed in seeds:
        check_seed(seed, "--seeds")
    return seeds


MAX_SEED = 2**31 - 1
MAX_SEEDS = 1000
"""Seeds one command may run (each is a full run); a range beyond it is refused before it is built."""


def check_seed(seed: int, option: str = "a seed") -> int:
    """Seeds are non-negative and below 2**31 (what every generator here accepts)."""
    if not 0 <= seed <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{option} must be between 0 and {MAX_SEED}, got {seed}")
    return seed


def _seed(text: str) -> int:
    try:
        return check_seed(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a seed must be an integer, got {text!r}") from None


def add_run_parser(commands: Any) -> None:
    run = commands.add_parser(
        "run",
        help="run a strategy on a scenario: train domain by domain, test on all, write a run folder",
        description="Run a strategy on a domain stream and write result.json, checkpoints, figures and a report.",
    )
    run.add_argument("--scenario", required=True, help="scenario id, e.g. cross_dataset (see 'list scenarios')")
    run.add_argument(
        "--strategy", required=True, help="strategy id (see 'list strategies'), or module:Class / file.py:Class"
    )
    run.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="NAME",
        help="add a plugin (see 'list plugins'); repeat to compose: --plugin ema --plugin replay",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a strategy option (lpa=false) or a plugin option (ema.eta=0.999); repeatable",
    )
    run.add_argument("--data", default="sim", choices=data_backends(), help="data backend (default: sim)")
    add_real_data_options(run)
    run.add_argument("--test-flip", action="store_true", help="test-time flip augmentation (mean of pose and mirror)")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=_seed, default=None, help="training seed (default: 0)")
    seeds.add_argument("--seeds", type=parse_seeds, default=None, help="several seeds: 0,1,2 or 0-4")
    run.add_argument("--world-seed", type=_seed, default=0, help="seed of the simulated world (default: 0, fixed)")
    run.add_argument("--profile", default="quick", choices=["quick", "paper"], help="sizes (default: quick)")
    run.add_argument("--device", default="auto", help="auto, cpu or cuda (default: auto)")
    run.add_argument("--out", default=None, help="run folder (default: runs/SCENARIO__STRATEGY__TIME)")
    run.add_argument("--resume", action="store_true", help="continue the run in --out from its last finished domain")
    run.add_argument("--overwrite", action="store_true", help="replace the run in --out (its folder is deleted first)")
    run.add_argument("--steps", type=int, default=None, help="optimizer steps on the source (the training budget)")
    run.add_argument("--adapt-steps", type=int, default=None, help="optimizer steps on each target domain")
    run.add_argument("--epochs", type=int, default=None, help="passes over the source instead of --steps")
    run.add_argument("--adapt-epochs", type=int, default=None, help="passes over each target instead of --adapt-steps")
    run.add_argument("--lifter", default=None, help="simple_baseline or videopose")
    run.add_argument("--receptive-field", type=int, default=None, help="frames the lifter sees (videopose)")
    run.add_argument(
        "--init-checkpoint",
        default=None,
        metavar="PATH",
        help="start the source lifter from this file (a run's checkpoints/domain-NN.pt, a lifter state dict, or a "
        "VideoPose3D checkpoint, whose shapes set --lifter and --receptive-field): tested as loaded, or trained on "
        "for --steps/--epochs when given; the record names it by its SHA-256",
    )
    run.add_argument(
        "--no-cache", action="store_true", help="train the source lifter even when the source cache holds it"
    )
    run.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="source cache folder (default: $LIFELONG_POSE_CACHE or ~/.cache/lifelong-pose)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress output (bar, or log lines when not a terminal)")
    run.add_argument("--no-report", action="store_true", help="skip figures and report.md (faster)")


_FLAG_OPTIONS = ("steps", "adapt_steps", "epochs", "adapt_epochs", "lifter", "receptive_field")
MAX_SET_VALUE = 1000
"""Characters of one ``--set`` value; no option needs more (a path would, and none is a path)."""


def _options(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Strategy options (flags and ``--set``) and plugin options (``--set name.key=value``).

    Raises:
        ValueError: a malformed ``--set`` (a key that is no option name, a value of more than
            :data:`MAX_SET_VALUE` characters), an option given both as a flag and with ``--set``,
            or a budget given both in steps and in epochs.
    """
    from lifelong_pose.cli.assignments import split_assignments
    from lifelong_pose.registry.loading import check_option_name, echo
    from lifelong_pose.training.params import check_one_budget

    for assignment in args.set:
        key, equals, value = assignment.partition("=")
        if equals and key.strip():
            check_option_name(key.strip(), "--set")
        if len(value) > MAX_SET_VALUE:
            raise ValueError(
                f"--set {echo(key, 60)}=... gives a value of {len(value):_} characters; an option value is at most "
                f"{MAX_SET_VALUE:_}"
            )
    strategy, plugins = split_assignments(args.set, args.plugin)
    for option in _FLAG_OPTIONS:
        value = getattr(args, option)
        if value is None:
            continue
        if option in strategy:
            raise ValueError(f"{option} is given both as --{option.replace('_', '-')} and with --set; give it once")
        strategy[option] = value
    check_one_budget(strategy)
    return strategy, plugins


KERNEL_FILE_SYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
"""Where no output belongs: the kernel's views of processes and devices, and the device files."""


def check_output_place(path: Path, option: str) -> None:
    """Refuse an output under ``/proc``, ``/sys`` or ``/dev`` (a device, or the kernel's tables).

    Why: there a write goes to a device (``/dev/full``, ``/dev/sda``) or a kernel setting, or
    lands in a RAM disk nobody looks at; a path there is a mistake or an attack, never a result.

    Raises:
        ValueError: naming the option and the path.
    """
    resolved = path.expanduser().resolve()
    for root in KERNEL_FILE_SYSTEMS:
        if resolved == root or resolved.is_relative_to(root):
            raise ValueError(
                f"{option} {path} is under {root}, the kernel's view of devices and processes, not a place for "
                "output; give a path on a disk"
            )


def _check_paths(args: argparse.Namespace) -> None:
    """``--out``, ``--cache-dir`` and ``--init-checkpoint``, before anything loads: a file where a
    folder belongs (or none where one is read), or a kernel file system, is answered in a second."""
    if args.out is not None:
        out = Path(args.out)
        check_output_place(out, "--out")
        if out.exists() and not out.is_dir():
            raise ValueError(f"--out {out} exists and is not a folder; give a folder for the run")
    if args.cache_dir is not None and not args.no_cache:
        cache = Path(args.cache_dir)
        check_output_place(cache, "--cache-dir")
        for folder in (cache, cache / "source"):
            if folder.exists() and not folder.is_dir():
                raise ValueError(f"--cache-dir {cache}: {folder} is a file, not a folder; give the cache folder")
    if args.init_checkpoint is not None:
        checkpoint = Path(args.init_checkpoint)
        if not checkpoint.exists():
            raise ValueError(f"--init-checkpoint {checkpoint} does not exist")
        if not checkpoint.is_file():
            raise ValueError(f"--init-checkpoint {checkpoint} is not a file")


def _default_out(args: argparse.Namespace) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    strategy = args.strategy.replace(":", "_").replace("/", "_")
    return Path("runs") / f"{args.scenario}__{strategy}__{stamp}"


def check_ids(args: argparse.Namespace) -> None:
    """Unknown scenario, strategy or plugin ids fail here, from the registry alone: a typo is answered
    in a second, before torch and Avalanche load."""
    from lifelong_pose.registry import plugin_registry, scenario_registry, strategy_registry

    scenario_registry.spec(args.scenario)
    if ":" not in args.strategy:  # module:Class and file.py:Class are checked when imported
        strategy_registry.spec(args.strategy)
    for plugin in args.plugin or []:
        if ":" in plugin:
            raise ValueError(
                f"--plugin {plugin!r}: --plugin takes a registered plugin id (see 'lifelong-pose list plugins'); "
                "register a plugin class of your own with lifelong_pose.register_plugin or the entry-point group "
                "lifelong_pose.plugins"
            )
        plugin_registry.spec(plugin)


class SignalLog:
    """SIGINT (Ctrl-C) and SIGTERM (a scheduler's kill, ``timeout``) as ``KeyboardInterrupt``, noted.

    Why: a ``KeyboardInterrupt`` is also an exception any code can raise; one raised by a plugin
    is no Ctrl-C, and ``--resume`` would only meet it again. The handlers note each signal before
    raising, so an interrupt that comes with no note came from code. SIGTERM ends a run as Ctrl-C
    does (record ``interrupted``, resumable).

    Attributes:
        received: the signals that arrived while installed, in order.
    """

    def __init__(self) -> None:
        self.received: list[int] = []

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received.append(signum)
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def installed(self) -> Iterator[SignalLog]:
        """Install the handlers for the block (the main thread only), then restore the previous ones."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
        for signum in previous:
            signal.signal(signum, self._handle)
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def entry_modules(*targets: str | None) -> set[str]:
    """The modules of ``module:Class`` targets (a user's installed code, whose frames are theirs)."""
    return {
        target.rpartition(":")[0]
        for target in targets
        if target and ":" in target and not target.rpartition(":")[0].endswith(".py")
    }


def run_command(args: argparse.Namespace) -> int:
    """Run every seed; ``args.signals`` (set by :func:`lifelong_pose.cli.main.main`) tells a Ctrl-C
    from a ``KeyboardInterrupt`` raised by a plugin."""
    if args.resume and args.out is None:
        raise ValueError("--resume needs --out: the folder of the run to continue")
    if args.resume and args.overwrite:
        raise ValueError("--resume continues a run and --overwrite replaces it: give one of them")
    check_ids(args)
    options, plugin_options = _options(args)
    _check_paths(args)

    from lifelong_pose.datasets.options import RealDataOptions
    from lifelong_pose.registry.plugin_errors import describe, interrupting_frame, plugin_frame
    from lifelong_pose.runner.run import RunConfig, run
    from lifelong_pose.runner.tables import against_not_adapting, headline, matrix_table, summary_table

    signals: SignalLog | None = getattr(args, "signals", None)
    out = Path(args.out) if args.out else _default_out(args)
    seeds = args.seeds if args.seeds is not None else [args.seed if args.seed is not None else 0]
    records = []
    for seed in seeds:
        seed_out = out / f"seed-{seed}"
        if args.resume and not (seed_out / "result.json").exists():
            print(f"Nothing to resume in {seed_out}: seed {seed} starts from the beginning", file=sys.stderr)
        if args.overwrite and (seed_out / "result.json").exists():
            shutil.rmtree(seed_out)
        config = RunConfig(
            scenario=args.scenario,
            strategy=args.strategy,
            out=seed_out,
            seed=seed,
            profile=args.profile,
            data=args.data,
            real=RealDataOptions.from_args(args),
            test_flip=args.test_flip,
            world_seed=args.world_seed,
            device=args.device,
            options=options,
            plugin_ids=args.plugin,
            plugin_options=plugin_options,
            # with several seeds, those that never started have nothing to resume: start them
            resume=args.resume and (seed_out / "result.json").exists(),
            progress=not args.quiet,
            report=not args.no_report,
            cache=not args.no_cache,
            cache_dir=args.cache_dir,
            init_checkpoint=Path(args.init_checkpoint) if args.init_checkpoint is not None else None,
        )
        try:
            record = run(config)
        except KeyboardInterrupt as error:
            by_signal = signals is not None and bool(signals.received)
            raised = None if by_signal else interrupting_frame(error, entry_modules(args.strategy))
            if raised is not None:  # plugin code raised it: no Ctrl-C, and --resume would meet it again
                message = describe(error, raised)
                _mark_failed(seed_out, message)
                print(f"lifelong-pose: {message}", file=sys.stderr)
                return 2
            again = " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--resume")
            if "--out" not in sys.argv:
                again += f" --out {shlex.quote(str(out))}"
            if (seed_out / "result.json").exists():
                kept = f"{seed_out / 'result.json'} holds the finished domains"
            else:
                kept = "nothing was recorded for this seed yet"
            print(f"\nInterrupted; {kept}. Continue with:\n  lifelong-pose {again} --resume", file=sys.stderr)
            return 130
        except SystemExit as error:  # sys.exit() in a strategy's or plugin's code while it trains
            frame = plugin_frame(error)
            message = describe(error, frame) if frame is not None else f"the run called sys.exit({error.code!r})"
            _mark_failed(seed_out, message)
            print(f"lifelong-pose: {message}", file=sys.stderr)
            return 2
        records.append(record)
        print(f"seed {seed}: {headline([record])}  [{record['timing']['total_s']:.1f} s]")
    print()
    print(headline(records))
    print()
    print(matrix_table(records))
    comparison = against_not_adapting(records)
    if comparison:
        print()
        print("Against not adapting: row 0 is the lifter after the source, what source_only gives for this seed")
        print(comparison)
    print()
    print(summary_table(records))
    if len(records) > 1:
        _write_summary(records, out, report=not args.no_report)
    print(f"\nRun folder: {out}")
    return 0


def _mark_failed(seed_out: Path, message: str) -> None:
    """A record the runner left ``interrupted`` or ``running`` (plugin code raised ``KeyboardInterrupt``
    or called ``sys.exit``) marked ``failed`` with ``message``: resuming would only repeat it."""
    from lifelong_pose.runner.run_record import RunRecord

    try:
        record = RunRecord.load(seed_out)
        if record["status"] in ("interrupted", "running"):
            record.stop("failed", message)
            record.write(seed_out)
    except Exception:  # no record yet, or one that cannot be written: the message still says it all
        return


def _write_summary(records: list[dict[str, Any]], out: Path, report: bool) -> None:
    """For two or more seeds: ``summary.json`` (mean ± std of every figure and cell) and ``report.md``."""
    from lifelong_pose.runner.run_record import write_seed_summary

    write_seed_summary(records, out)
    if report:
        from lifelong_pose.runner.report import write_report

        write_report(records, out)
