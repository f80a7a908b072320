"""Time to build scenarios (quick and paper profiles) and frames per second of the generator.

    python benchmarks/build_speed.py            # writes benchmarks/results/build_speed.md

Figures are measured in one run on the machine at hand; compare ratios, not absolute seconds.
"""

from __future__ import annotations

import argparse
import time

from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.motion import load_deepmimic_clips, load_walker_clips
from lifelong_pose.world.recording import script_library
from lifelong_pose.world.statistics import summary_table


def build_all(scenario_id: str, profile: str) -> tuple[dict[str, float | str | int], lp.Scenario]:
    """Generate every domain of a scenario and its benchmark; report seconds and frames."""
    start = time.perf_counter()
    scenario = lp.make(scenario_id, profile=profile, seed=0)
    frames = sum(len(scenario.train_data(i)) + len(scenario.test_data(i)) for i in range(scenario.num_domains))
    generated = time.perf_counter() - start
    scenario.benchmark  # noqa: B018 (builds the Avalanche datasets)
    total = time.perf_counter() - start
    row = {
        "scenario": scenario_id,
        "profile": profile,
        "domains": scenario.num_domains,
        "frames": frames,
        "generate_s": round(generated, 2),
        "with_benchmark_s": round(total, 2),
        "frames_per_s": round(frames / generated),
    }
    return row, scenario


def coverage(scenario: lp.Scenario) -> dict[str, float | str]:
    """How far the source's test poses are from its training poses (the v0 world held out motion
    never seen in training), and the error of a nearest-neighbour lookup: a lifter worse than it
    has a bug until proven otherwise."""
    import torch

    train, test = scenario.train_data(0), scenario.test_data(0)
    assert train.X3d is not None and test.X3d is not None
    joints = train.X3d.shape[1]
    poses = train.X3d.reshape(len(train), -1).double()
    to_train = torch.cdist(test.X3d.reshape(len(test), -1).double(), poses).min(dim=1).values
    sample = poses[torch.randperm(len(train), generator=torch.Generator().manual_seed(0))[:2000]]
    within = torch.cdist(sample, poses).topk(2, largest=False).values[:, 1]  # the nearest other frame
    nearest_2d = torch.cdist(test.x2d.reshape(len(test), -1), train.x2d.reshape(len(train), -1)).argmin(dim=1)
    scripts = torch.bincount(test.action_id).float()
    return {
        "scenario": scenario.spec.id,
        "source": scenario.domain_names[0],
        "test pose to nearest train pose (mm/joint)": round(float(to_train.mean()) / joints**0.5 * 1000, 1),
        "train pose to nearest other (mm/joint)": round(float(within.mean()) / joints**0.5 * 1000, 1),
        "nearest-2D lookup MPJPE (mm)": round(float(mpjpe(train.X3d[nearest_2d], test.X3d).mean()) * 1000, 1),
        "largest script share of the test split (%)": round(float(scripts.max() / scripts.sum()) * 100, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="benchmarks/results/build_speed.md")
    parser.add_argument("--skip-paper", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    library = script_library(load_deepmimic_clips() + load_walker_clips())
    clip_s = time.perf_counter() - start
    import avalanche  # noqa: F401  (import once, so the rows time our work, not avalanche's import)

    built = {sid: build_all(sid, "quick") for sid in ("cross_scenario", "cross_dataset", "cross_camera", "long_stream")}
    rows = [row for row, _ in built.values()]
    if not args.skip_paper:
        rows.append(build_all("cross_dataset", "paper")[0])
    stats = []
    for sid in ("cross_dataset", "cross_scenario"):
        scenario = built[sid][1]  # the quick, seed-0 build timed above: its data is cached
        for row in summary_table([scenario.test_data(i) for i in range(scenario.num_domains)]):
            stats.append({"scenario": sid, **{k: v for k, v in row.items() if not k.endswith("elbow_angle_std")}})
    nearest = [coverage(built[sid][1]) for sid in ("cross_scenario", "cross_dataset")]
    nearest.append(coverage(lp.make("cross_dataset-v0", seed=0)))
    text = [
        f"Loading the {len(library)} DeepMimic humanoid and walker clips as scripts: {clip_s:.2f} s\n",
        "## Build time\n",
        tabulate(rows, headers="keys", tablefmt="github"),
        "\n\n## Per-domain statistics (test splits, seed 0)\n",
        tabulate(stats, headers="keys", tablefmt="github", floatfmt=".3f"),
        "\n\n## How far the source's test poses are from its training poses (seed 0)\n",
        tabulate(nearest, headers="keys", tablefmt="github"),
        "",
    ]
    write_results(args.out, text)


if __name__ == "__main__":
    main()
