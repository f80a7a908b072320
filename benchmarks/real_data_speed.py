"""How fast real-data files are read and converted, against building the same data in the simulator.

Exports a Human3.6M-like stream's simulated world as a Human3.6M folder (VideoPose3D's layout, the
format Human3.6M comes in), then times, in one process: building the simulated domains, writing
the export (which records every take at the full 50 fps), parsing it back (``read_h36m``: npz,
32 -> 17 joints, world -> camera) and building the same stream from the folder with ``--data real``
(parse, select, thin, convert), which gives the simulated stream's data bit for bit. Figures are
frames per second and ratios to the simulated build.

    python benchmarks/real_data_speed.py [--scenario cross_camera] [--profile quick|paper]
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


def _splits(scenario: lp.Scenario) -> list:
    return [scenario.split_with_3d(i, s) for i in range(scenario.num_domains) for s in ("train", "test")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="cross_camera")
    parser.add_argument("--profile", default="quick", choices=["quick", "paper"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "real_data_speed.md"))
    args = parser.parse_args()

    timings: dict[str, list[float]] = {"simulated build": [], "export": [], "read files": [], "real build": []}
    frames = views = 0
    for _ in range(args.repeats):
        scenario = lp.make(args.scenario, profile=args.profile)
        tick = time.perf_counter()
        simulated = _splits(scenario)
        timings["simulated build"].append(time.perf_counter() - tick)
        frames = sum(len(d) for d in simulated)
        with tempfile.TemporaryDirectory() as folder:
            tick = time.perf_counter()
            export_scenario(scenario, Path(folder) / "x", "videopose3d")
            timings["export"].append(time.perf_counter() - tick)
            tick = time.perf_counter()
            views = len(read_h36m(Path(folder) / "x"))
            timings["read files"].append(time.perf_counter() - tick)
            real = lp.make(args.scenario, profile=args.profile, data="real", data_root=str(Path(folder) / "x"))
            tick = time.perf_counter()
            read_back = _splits(real)
            timings["real build"].append(time.perf_counter() - tick)
        assert all(a.fingerprint() == b.fingerprint() for a, b in zip(simulated, read_back, strict=True))

    build = min(timings["simulated build"])
    spec = lp.scenario_registry.spec(args.scenario)
    lines = [
        "# Real-data reading speed",
        "",
        f"`python benchmarks/real_data_speed.py --scenario {args.scenario} --profile {args.profile} "
        f"--repeats {args.repeats}` ({spec.id}) on a 2-core CPU: {frames} frames in the stream's splits, "
        f"{views} camera views of full-rate takes in the files; best of the repeats. The real build "
        "gives the simulated stream's data bit for bit (checked).",
        "",
        "| step | seconds | stream frames / s | x simulated build |",
        "|---|---|---|---|",
    ]
    for step, seconds in timings.items():
        best = min(seconds)
        lines.append(f"| {step} | {best:.2f} | {frames / best:,.0f} | {best / build:.2f} |")
    lines.append("")
    write_results(Path(args.out), lines)


if __name__ == "__main__":
    main()
