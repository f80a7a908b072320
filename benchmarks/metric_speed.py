"""Speed of the per-pose metrics on 100k poses of 17 joints, on CPU.

    python benchmarks/metric_speed.py           # writes benchmarks/results/metric_speed.md

Each metric runs once to warm up, then ``--repeats`` times; the table gives the median and the
best wall time. Figures are from one run on the machine at hand: compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

from lifelong_pose.metrics import SumCount, auc, mpjpe, pa_mpjpe, pck

METRICS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mpjpe": mpjpe,
    "pa_mpjpe": pa_mpjpe,
    "pck": pck,
    "auc": auc,
}


def time_metric(
    fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], pred: torch.Tensor, target: torch.Tensor, repeats: int
) -> list[float]:
    """Wall seconds of ``repeats`` calls (after one warm-up), each accumulated as a run would."""
    fn(pred, target)
    times = []
    for _ in range(repeats):
        acc = SumCount()
        start = time.perf_counter()
        acc.update(fn(pred, target))
        acc.result()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--poses", type=int, default=100_000)
    parser.add_argument("--joints", type=int, default=17)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default="benchmarks/results/metric_speed.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine shows in the figures: record it

    g = torch.Generator().manual_seed(0)
    target = 0.3 * torch.randn(args.poses, args.joints, 3, generator=g)
    pred = target + 0.05 * torch.randn(args.poses, args.joints, 3, generator=g)
    rows = []
    for dtype in (torch.float32, torch.float64):
        p, t = pred.to(dtype), target.to(dtype)
        for name, fn in METRICS.items():
            times = time_metric(fn, p, t, args.repeats)
            median = statistics.median(times)
            rows.append(
                {
                    "metric": name,
                    "dtype": str(dtype).removeprefix("torch."),
                    "median_ms": round(1000 * median, 1),
                    "best_ms": round(1000 * min(times), 1),
                    "Mposes_per_s": round(args.poses / median / 1e6, 2),
                }
            )
    header = (
        f"{args.poses} poses x {args.joints} joints, CPU, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
        f"1-min load average {load:.2f} at start; "
        f"median and best of {args.repeats} after one warm-up, metric + SumCount update + result.\n"
    )
    text = [header, tabulate(rows, headers="keys", tablefmt="github"), ""]
    write_results(args.out, text)


if __name__ == "__main__":
    main()
