"""How close the suite runs to the hardware: four ratios, each measured in one run on one machine.

1. **Training data path**: optimizer steps per second of the same lifter and batch size, batches
   drawn by the tensor fast path (:class:`TensorBatches`, what every strategy trains from) against
   Avalanche's per-sample ``DataLoader`` over the stream's own ``AvalancheDataset``.
2. **Evaluation of a temporal lifter** (VideoPose3D, receptive field 27): frames per second of a
   whole test split through ``strategy.eval``, metrics included, window by window (the suite
   before) against whole sequences in one dilated pass (now); and per run, how many evaluations
   ``source_only`` makes (one per domain before, one now).
3. **Against VideoPose3D's own loop**: training and evaluation frames per second of the same
   architecture through a model of the official script's loop, written here after its
   ``ChunkedGenerator`` (a Python loop per sample slicing and edge-padding NumPy arrays, a batch
   copied to torch each step) and ``UnchunkedGenerator`` + dilated ``TemporalModel`` (one padded
   sequence at a time), against the suite's tensor batches and sequence chunks.
4. **A GPU projection of the paper profile**: each stream's floating-point work (torch's
   ``FlopCounterMode`` on one training step and one test frame, times the stream's steps and
   test frames) at an assumed sustained rate (``--gpu-tflops``, default 20 TFLOP/s, about a third
   of an H100's dense FP32 peak); a projection, not a measurement (``benchmarks/gpu_profile.sh``
   times the real thing on a GPU).

    python benchmarks/speed.py [--profile quick] [--scenario cross_scenario] [--device cpu]
        [--results benchmarks/results/speed.md]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.data import TensorBatches
from lifelong_pose.data.avalanche import avalanche_dataset
from lifelong_pose.data.sequence_batches import SequenceBatches
from lifelong_pose.geometry.skeleton import get_layout
from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.training import RunContext
from lifelong_pose.training.build import make_strategy

RECEPTIVE_FIELD = 27


def timed(step: Callable[[], object], repeats: int) -> float:
    """Seconds per call, after one call that warms caches and allocators."""
    step()
    started = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - started) / repeats


def train_steps(model: torch.nn.Module, batches: Iterator[tuple[torch.Tensor, torch.Tensor]], device: str) -> Callable:
    """One optimizer step per call on the next (x2d, X3d) batch: the same step for every data path."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()

    def step() -> None:
        x2d, X3d = next(batches)
        x2d, X3d = x2d.to(device, non_blocking=True), X3d.to(device, non_blocking=True)
        loss = mpjpe(model(x2d), X3d).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def endless(make: Callable[[], Iterable]) -> Iterator:
    while True:
        yield from make()


# -- 1. training data path ----------------------------------------------------------------------
def data_path_rows(scenario, context: RunContext, device: str, steps: int) -> list[dict]:
    from torch.utils.data import DataLoader

    source = scenario.train_data(0)
    rows = []
    for lifter, receptive_field in (("simple_baseline", 1), ("videopose", RECEPTIVE_FIELD)):
        strategy = make_strategy("source_only", context=context, lifter=lifter, receptive_field=receptive_field)
        batch_size = strategy.params.batch_size
        on_device = source.to(device)
        fast = TensorBatches(on_device, receptive_field=receptive_field, batch_size=batch_size, shuffle=True)
        fast_step = train_steps(strategy.model, endless(lambda f=fast: ((b.x2d, b.X3d) for b in f)), device)
        loader = DataLoader(avalanche_dataset(source, receptive_field), batch_size=batch_size, shuffle=True)
        slow_step = train_steps(strategy.model, endless(lambda loader=loader: ((b[0], b[1]) for b in loader)), device)
        fast_s, slow_s = timed(fast_step, steps), timed(slow_step, max(5, steps // 4))
        fast_batches = endless(lambda f=fast: ((b.x2d, b.X3d) for b in f))
        slow_batches = endless(lambda loader=loader: ((b[0].to(device), b[1].to(device)) for b in loader))
        fast_data_s = timed(lambda batches=fast_batches: next(batches), steps)
        slow_data_s = timed(lambda batches=slow_batches: next(batches), max(5, steps // 4))
        rows.append(
            {
                "lifter": f"{lifter} (rf {receptive_field})",
                "batch": batch_size,
                "fast path steps/s": round(1 / fast_s, 1),
                "DataLoader steps/s": round(1 / slow_s, 1),
                "steps: fast / DataLoader": f"{slow_s / fast_s:.1f}x",
                "fast path batches/s (data only)": round(1 / fast_data_s),
                "DataLoader batches/s (data only)": round(1 / slow_data_s),
                "data: fast / DataLoader": f"{slow_data_s / fast_data_s:.0f}x",
            }
        )
    return rows


# -- 2. evaluation -------------------------------------------------------------------------------
def evaluation_rows(scenario, profiles: list[str], device: str) -> list[dict]:
    benchmark = scenario.avalanche_benchmark(RECEPTIVE_FIELD)
    test = benchmark.test_stream[0]
    frames = len(test.tensors)
    rows = []
    for profile in profiles:
        context = RunContext(
            num_joints=scenario_joints(scenario), layout=scenario.layout, profile=profile, device=device
        )
        strategy = make_strategy("source_only", context=context, lifter="videopose", receptive_field=RECEPTIVE_FIELD)
        strategy.model.eval()
        seconds = {}
        for name, window in (("window by window", True), ("sequence chunks", False)):
            strategy.window_tests = window
            seconds[name] = timed(lambda strategy=strategy: strategy.eval([test]), 1 if profile == "paper" else 3)
        ratio = seconds["window by window"] / seconds["sequence chunks"]
        domains = scenario.num_domains
        rows.append(
            {
                "profile": profile,
                "test frames": frames,
                "window frames/s": round(frames / seconds["window by window"]),
                "sequence frames/s": round(frames / seconds["sequence chunks"]),
                "per evaluation": f"{ratio:.1f}x",
                f"source_only run ({domains} evaluations -> 1)": f"{ratio * domains:.1f}x",
            }
        )
    return rows


def scenario_joints(scenario) -> int:
    return get_layout(scenario.layout).num_joints


# -- 3. against VideoPose3D's loop ---------------------------------------------------------------
def sequences_of(data) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The split's sequences as NumPy arrays, as the official script holds them (one per video)."""
    x2d, X3d = data.x2d.cpu().numpy(), data.X3d.cpu().numpy()
    starts = [*np.flatnonzero(data.frame_index.cpu().numpy() == 0).tolist(), len(data)]
    return [x2d[a:b] for a, b in itertools.pairwise(starts)], [X3d[a:b] for a, b in itertools.pairwise(starts)]


def official_training_batches(poses_2d, poses_3d, batch_size: int, pad: int, rng) -> Iterator[tuple]:
    """A model of VideoPose3D's ``ChunkedGenerator`` (chunk length 1): one Python iteration per
    sample, NumPy slicing and edge padding, then the batch copied to torch."""
    pairs = [(i, frame) for i, sequence in enumerate(poses_2d) for frame in range(len(sequence))]
    joints = poses_2d[0].shape[1]
    batch_2d = np.empty((batch_size, 2 * pad + 1, joints, 2), dtype=np.float32)
    batch_3d = np.empty((batch_size, joints, 3), dtype=np.float32)
    while True:
        order = rng.permutation(len(pairs))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            for slot, pick in enumerate(order[start : start + batch_size]):
                sequence, frame = pairs[pick]
                seq_2d = poses_2d[sequence]
                low, high = frame - pad, frame + pad + 1
                clipped = seq_2d[max(low, 0) : min(high, len(seq_2d))]
                if low < 0 or high > len(seq_2d):
                    clipped = np.pad(clipped, ((max(-low, 0), max(high - len(seq_2d), 0)), (0, 0), (0, 0)), "edge")
                batch_2d[slot] = clipped
                batch_3d[slot] = poses_3d[sequence][frame]
            yield torch.from_numpy(batch_2d), torch.from_numpy(batch_3d)


def official_evaluation(model, poses_2d, poses_3d, pad: int, device: str) -> float:
    """A model of VideoPose3D's test loop: each sequence edge-padded and lifted alone (dilated)."""
    total = 0.0
    with torch.no_grad():
        for seq_2d, seq_3d in zip(poses_2d, poses_3d, strict=True):
            padded = torch.from_numpy(np.pad(seq_2d, ((pad, pad), (0, 0), (0, 0)), "edge"))[None].to(device)
            total += float(mpjpe(model.forward_sequence(padded)[0], torch.from_numpy(seq_3d).to(device)).sum())
    return total


def official_rows(scenario, profiles: list[str], device: str, steps: int) -> list[dict]:
    source, test = scenario.train_data(0), scenario.test_data(0)
    poses_2d, poses_3d = sequences_of(source)
    test_2d, test_3d = sequences_of(test)
    pad = RECEPTIVE_FIELD // 2
    rows = []
    for profile in profiles:
        context = RunContext(
            num_joints=scenario_joints(scenario), layout=scenario.layout, profile=profile, device=device
        )
        strategy = make_strategy("source_only", context=context, lifter="videopose", receptive_field=RECEPTIVE_FIELD)
        model, batch_size = strategy.model, strategy.params.batch_size
        repeats = max(3, steps // (8 if profile == "paper" else 1))
        suite_batches = TensorBatches(
            source.to(device), receptive_field=RECEPTIVE_FIELD, batch_size=batch_size, shuffle=True
        )
        suite_s = timed(
            train_steps(model, endless(lambda b=suite_batches: ((x.x2d, x.X3d) for x in b)), device), repeats
        )
        official = official_training_batches(poses_2d, poses_3d, batch_size, pad, np.random.RandomState(0))
        official_s = timed(train_steps(model, official, device), repeats)
        model.eval()
        on_device = test.to(device)

        def suite_test(model: torch.nn.Module = model, on_device=on_device) -> None:
            with torch.no_grad():
                for chunk in SequenceBatches(on_device, receptive_field=RECEPTIVE_FIELD, frames_per_chunk=4096):
                    mpjpe(model.forward_sequence(chunk.x2d)[0, chunk.positions], chunk.X3d).sum()

        suite_eval_s = timed(suite_test, 2)
        official_eval_s = timed(lambda model=model: official_evaluation(model, test_2d, test_3d, pad, device), 2)
        rows.append(
            {
                "profile": profile,
                "suite train frames/s": round(batch_size / suite_s),
                "official-loop train frames/s": round(batch_size / official_s),
                "train ratio": f"{official_s / suite_s:.2f}x",
                "suite test frames/s": round(len(test) / suite_eval_s),
                "official-loop test frames/s": round(len(test) / official_eval_s),
                "test ratio": f"{official_eval_s / suite_eval_s:.2f}x",
            }
        )
    return rows


# -- 4. GPU projection of the paper profile ------------------------------------------------------
def gpu_projection_rows(scenarios: list[str], tflops: float) -> list[dict]:
    from torch.utils.flop_counter import FlopCounterMode

    rows = []
    for name in scenarios:
        scenario = lp.make(name, profile="paper")
        context = RunContext(num_joints=scenario_joints(scenario), layout=scenario.layout, profile="paper")
        for lifter, receptive_field in (("simple_baseline", 1), ("videopose", 243)):
            strategy = make_strategy("source_only", context=context, lifter=lifter, receptive_field=receptive_field)
            model, params = strategy.model, strategy.params
            x2d = torch.zeros(params.batch_size, receptive_field, context.num_joints, 2)
            with FlopCounterMode(display=False) as counter:
                mpjpe(model(x2d), torch.zeros(params.batch_size, context.num_joints, 3)).mean().backward()
            step_flops = counter.get_total_flops()
            model.eval()
            sequence = torch.zeros(1, 1000 + receptive_field - 1, context.num_joints, 2)
            with FlopCounterMode(display=False) as counter, torch.no_grad():
                model.forward_sequence(sequence)
            test_flops = counter.get_total_flops() / 1000
            source_frames = scenario.train_data(0).x2d.shape[0]
            train_steps_total = params.source_steps(source_frames)
            test_frames = sum(scenario.test_data(d).x2d.shape[0] for d in range(scenario.num_domains))
            total = step_flops * train_steps_total + test_flops * test_frames * scenario.num_domains
            rows.append(
                {
                    "stream": scenario.spec.id,
                    "lifter": f"{lifter} (rf {receptive_field})",
                    "source steps": train_steps_total,
                    "GFLOP / step": round(step_flops / 1e9, 1),
                    "test frames x evaluations": f"{test_frames} x {scenario.num_domains}",
                    "projected source_only (min)": round(total / (tflops * 1e12) / 60, 1),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="cross_scenario")
    parser.add_argument("--profiles", default="quick,paper", help="lifter sizes for parts 2 and 3")
    parser.add_argument("--steps", type=int, default=40, help="timed optimizer steps per path (quick sizes)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--gpu-tflops", type=float, default=20.0, help="assumed sustained rate for the projection")
    parser.add_argument("--projection-scenarios", default="cross_scenario,cross_dataset,cross_camera,long_stream")
    parser.add_argument("--skip-projection", action="store_true")
    parser.add_argument("--results", default=None, help="write the Markdown here (default: print only)")
    args = parser.parse_args()
    profiles = args.profiles.split(",")
    scenario = lp.make(args.scenario)
    context = RunContext(num_joints=scenario_joints(scenario), layout=scenario.layout, device=args.device)
    sections = [
        (
            "Training data path (quick sizes): optimizer steps per second",
            data_path_rows(scenario, context, args.device, args.steps),
        ),
        (
            f"Evaluating VideoPose3D (rf {RECEPTIVE_FIELD}): one test split through strategy.eval, metrics included",
            evaluation_rows(scenario, profiles, args.device),
        ),
        (
            f"Against a model of VideoPose3D's own loop (rf {RECEPTIVE_FIELD})",
            official_rows(scenario, profiles, args.device, args.steps),
        ),
    ]
    if not args.skip_projection:
        sections.append(
            (
                f"Projected paper-profile time per stream at {args.gpu_tflops:g} TFLOP/s (source_only; no measurement)",
                gpu_projection_rows(args.projection_scenarios.split(","), args.gpu_tflops),
            )
        )
    threads = torch.get_num_threads()
    header = (
        f"`python benchmarks/speed.py {' '.join(sys.argv[1:])}`: {args.scenario} ({scenario.spec.id}), "
        f"device {args.device}, "
        f"torch {torch.__version__}, {threads} threads, {platform.machine()}, 1-min load average "
        f"{os.getloadavg()[0]:.2f} at the start. Ratios compare paths measured one after the other in this run."
    )
    lines = [header]
    for title, rows in sections:
        lines += ["", f"## {title}", "", tabulate(rows, headers="keys", tablefmt="github")]
    if args.results:
        write_results(Path(args.results), lines)
    else:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
