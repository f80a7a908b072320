"""``lifelong-pose run``: one strategy on one scenario, for one or several seeds.

Each seed runs in ``OUT/seed-N`` (record, checkpoints, figures, report); with several seeds,
``OUT/summary.json`` and ``OUT/report.md`` give mean ± std. Heavy imports happen inside
:func:`run_command` only.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import sys
from datetime import datetime
from pathlib import Path
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
        "--no-cache", action="store_true", help="train the source lifter even when the source cache holds it"
    )
    run.add_argument(
        "--cache-dir",
        default=None,
        metavar="DIR",
        help="source cache folder (default: $LIFELONG_POSE_CACHE or ~/.cache/lifelong-pose)",
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.add_argument("--no-report", action="store_true", help="skip figures and report.md (faster)")


_FLAG_OPTIONS = ("steps", "adapt_steps", "epochs", "adapt_epochs", "lifter", "receptive_field")


def _options(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Strategy options (flags and ``--set``) and plugin options (``--set name.key=value``).

    Raises:
        ValueError: a malformed ``--set``, or an option given both as a flag and with ``--set``.
    """
    from lifelong_pose.cli.assignments import split_assignments

    strategy, plugins = split_assignments(args.set, args.plugin)
    for option in _FLAG_OPTIONS:
        value = getattr(args, option)
        if value is None:
            continue
        if option in strategy:
            raise ValueError(f"{option} is given both as --{option.replace('_', '-')} and with --set; give it once")
        strategy[option] = value
    return strategy, plugins


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
        if ":" not in plugin:
            plugin_registry.spec(plugin)


def _stop_on_sigterm() -> None:
    """SIGTERM (a scheduler's kill, ``timeout``) ends the run as Ctrl-C does: record ``interrupted``, resumable."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def run_command(args: argparse.Namespace) -> int:
    if args.resume and args.out is None:
        raise ValueError("--resume needs --out: the folder of the run to continue")
    if args.resume and args.overwrite:
        raise ValueError("--resume continues a run and --overwrite replaces it: give one of them")
    check_ids(args)

    from lifelong_pose.datasets.options import RealDataOptions
    from lifelong_pose.runner.run import RunConfig, run
    from lifelong_pose.runner.tables import against_not_adapting, headline, matrix_table, summary_table

    _stop_on_sigterm()
    out = Path(args.out) if args.out else _default_out(args)
    seeds = args.seeds if args.seeds is not None else [args.seed if args.seed is not None else 0]
    options, plugin_options = _options(args)
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
        )
        try:
            record = run(config)
        except KeyboardInterrupt:
            again = " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "--resume")
            if "--out" not in sys.argv:
                again += f" --out {shlex.quote(str(out))}"
            if (seed_out / "result.json").exists():
                kept = f"{seed_out / 'result.json'} holds the finished domains"
            else:
                kept = "nothing was recorded for this seed yet"
            print(f"\nInterrupted; {kept}. Continue with:\n  lifelong-pose {again} --resume", file=sys.stderr)
            return 130
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


def _write_summary(records: list[dict[str, Any]], out: Path, report: bool) -> None:
    """For two or more seeds: ``summary.json`` (mean ± std of every figure and cell) and ``report.md``."""
    from lifelong_pose.runner.run_record import write_seed_summary

    write_seed_summary(records, out)
    if report:
        from lifelong_pose.runner.report import write_report

        write_report(records, out)
