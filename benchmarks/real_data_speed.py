"""How fast real-data files are read and converted, against building the same data in the simulator.

Exports a scenario's simulated world in VideoPose3D's layout (the format Human3.6M comes in), then
times, in one process: building the simulated domains, writing the export, parsing it back
(``read_h36m``: npz, 32 -> 17 joints, world -> camera) and converting it (``to_domain_data``:
normalisation, root-relative 3D, ids). Figures are frames per second and ratios to the build.

    python benchmarks/real_data_speed.py [--scenario cross_dataset] [--profile quick|paper]
        [--repeats 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from results_file import write_results  # benchmarks/ is on sys.path when a script runs

import lifelong_pose as lp
from lifelong_pose.datasets.export import export_scenario
from lifelong_pose.datasets.h36m import read_h36m
from lifelong_pose.datasets.sequences import to_domain_data


def _best(seconds: list[float]) -> float:
    return min(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="cross_dataset")
    parser.add_argument("--profile", default="quick", choices=["quick", "paper"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "real_data_speed.md"))
    args = parser.parse_args()

    timings: dict[str, list[float]] = {"build": [], "export": [], "read": [], "convert": []}
    frames = 0
    for _ in range(args.repeats):
        scenario = lp.make(args.scenario, profile=args.profile)
        tick = time.perf_counter()
        splits = [scenario.split_with_3d(i, s) for i in range(scenario.num_domains) for s in ("train", "test")]
        timings["build"].append(time.perf_counter() - tick)
        frames = sum(len(d) for d in splits)
        with tempfile.TemporaryDirectory() as folder:
            tick = time.perf_counter()
            export_scenario(scenario, Path(folder) / "x", "videopose3d")
            timings["export"].append(time.perf_counter() - tick)
            tick = time.perf_counter()
            views = read_h36m(Path(folder) / "x")
            timings["read"].append(time.perf_counter() - tick)
        tick = time.perf_counter()
        for data in splits:
            prefix = f"{data.name}.{data.split}."
            to_domain_data(
                [v for v in views if v.subject.startswith(prefix)],
                name=data.name,
                layout=data.layout_name,
                labelled=True,
                split=data.split,
            )
        timings["convert"].append(time.perf_counter() - tick)

    build = _best(timings["build"])
    lines = [
        "# Real-data reading speed",
        "",
        f"`python benchmarks/real_data_speed.py --scenario {args.scenario} --profile {args.profile} "
        f"--repeats {args.repeats}` on a 2-core CPU: {frames} frames ({len(views)} camera views), "
        "best of the repeats.",
        "",
        "| step | seconds | frames / s | x build |",
        "|---|---|---|---|",
    ]
    for step, seconds in timings.items():
        best = _best(seconds)
        lines.append(f"| {step} | {best:.2f} | {frames / best:,.0f} | {best / build:.2f} |")
    lines.append("")
    write_results(Path(args.out), lines)


if __name__ == "__main__":
    main()
