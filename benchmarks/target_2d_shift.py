"""How far each domain's 2D poses lie from the source's: box size and root position in the image.

For each domain of the given streams (sim, train splits): the median 2D box size (width + height,
normalised screen units) and root position, and the share of its frames whose box size or root
position falls outside the source's 1st-99th percentile range. ``diffusion_replay`` can only
align what its 2D critic sees differ; this is the measurement docs/methods/diffusion-replay.md
sets beside its per-target gains.

    python benchmarks/target_2d_shift.py [--scenarios cross_dataset,cross_scenario] [--results FILE]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.data.domain import DomainData
from lifelong_pose.geometry.alignment import box_extent


def described(data: DomainData) -> torch.Tensor:
    """(N, 3): each frame's box size and root x, y."""
    return torch.cat([box_extent(data.x2d, data.visible)[:, None], data.x2d[:, 0]], dim=-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="cross_dataset,cross_scenario")
    parser.add_argument("--results", default=str(Path(__file__).parent / "results" / "target_2d_shift.md"))
    args = parser.parse_args()
    lines = [
        "# How far each domain's 2D poses lie from the source's (sim, train splits)",
        "",
        f"Made by `python benchmarks/target_2d_shift.py --scenarios {args.scenarios}`. Box: width + height "
        "of the 2D pose in normalised screen units; outside: share of frames whose box or root lies outside "
        "the source's 1st-99th percentile range (the source itself: up to 6 %, 2 % per measure by construction).",
        "",
    ]
    for name in args.scenarios.split(","):
        stream = lp.make(name)
        source = described(stream.train_data(0))
        low, high = torch.quantile(source, torch.tensor([0.01, 0.99]), dim=0)
        rows = []
        for index, domain in enumerate(stream.domain_names):
            frames = described(stream.train_data(index))
            outside = ((frames < low) | (frames > high)).any(dim=-1).float().mean()
            box, root_x, root_y = frames.median(dim=0).values.tolist()
            rows.append([domain, f"{box:.2f}", f"{root_x:+.2f}, {root_y:+.2f}", f"{100 * outside:.0f} %"])
        headers = ["domain", "median box", "median root (x, y)", "outside the source's range"]
        lines += [f"## {stream.spec.id}", "", tabulate(rows, headers=headers, tablefmt="github"), ""]
    write_results(args.results, lines)


if __name__ == "__main__":
    main()
