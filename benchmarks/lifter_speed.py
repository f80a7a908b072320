"""CPU time of one training step (forward + backward, batch 256) of each lifter, profile and receptive field.

    python benchmarks/lifter_speed.py            # writes benchmarks/results/lifter_speed.md

Also times DAK-Pose's lifter (quick profile, its batch size and window) against the quick MLP
at the same batch size, each step a forward, the MPJPE loss, a backward and an Adam update:
the batched-attention implementation and the reference built on ``nn.TransformerEncoderLayer``
(``benchmarks/reference_dakpose.py``), with the same weights.

Also times evaluation of one long sequence with VideoPose3D's two paths (dilated ``forward_sequence``
against strided ``forward`` on every window). Figures are measured in one run on the machine at
hand; compare the ratios, not absolute milliseconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

from lifelong_pose.models import build_lifter

CASES: tuple[tuple[str, int], ...] = (
    ("simple_baseline", 1),
    ("videopose", 27),
    ("videopose", 81),
    ("videopose", 243),
)


def cpu_name() -> str:
    """The CPU's model name where Linux tells it, else the architecture."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.machine()


def best_seconds(step: Callable[[], Any], *, warmup: int = 1, repeats: int = 5, min_seconds: float = 1.0) -> float:
    """Fastest wall time of ``step`` after ``warmup`` calls, over at least ``repeats`` calls and ``min_seconds``.

    The minimum rather than the median: on a shared machine other processes only ever add time.
    """
    for _ in range(warmup):
        step()
    times: list[float] = []
    while len(times) < repeats or sum(times) < min_seconds:
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def train_step_row(
    name: str, profile: str, receptive_field: int, batch: int, num_joints: int, dropout: float | None = None
) -> dict[str, Any]:
    """Time forward, MPJPE loss and backward on a random batch in training mode.

    ``dropout`` overrides the profile's: on a CPU whose random draws are serial, dropout's masks
    are a visible share of a small lifter's step, and the row without them says how large.
    """
    torch.manual_seed(0)
    overrides = {} if dropout is None else {"dropout": dropout}
    model = build_lifter(name, num_joints=num_joints, profile=profile, receptive_field=receptive_field, **overrides)
    model.train()
    x2d = torch.randn(batch, receptive_field, num_joints, 2)
    target = torch.randn(batch, num_joints, 3)

    def step() -> None:
        model.zero_grad(set_to_none=True)
        (model(x2d) - target).norm(dim=-1).mean().backward()

    seconds = best_seconds(step)
    return {
        "lifter": name,
        "profile": profile,
        "receptive_field": receptive_field,
        "dropout": model.get_params()["dropout"],
        "parameters": model.num_parameters(),
        "ms_per_step": round(seconds * 1e3, 1),
        "samples_per_s": round(batch / seconds),
    }


def dakpose_rows(num_joints: int) -> list[dict[str, Any]]:
    """DAK-Pose's quick lifter (fast and reference) and the quick MLP, one full training step each, at DAK-Pose's batch.

    The quick profile's window, batch size and sizes come from the registry, so the rows follow the
    profile; the reference gets the fast lifter's weights (the same function, another implementation).
    """
    from lifelong_pose.strategies.dakpose import DAKPose
    from reference_dakpose import ReferenceDAKPoseLifter, fast_state_dict

    params = DAKPose.default_params("quick")
    batch, frames = params.batch_size, params.receptive_field
    torch.manual_seed(0)
    mlp = build_lifter("simple_baseline", num_joints=num_joints, profile="quick", receptive_field=1)
    fast = build_lifter("dakpose", num_joints=num_joints, profile="quick", receptive_field=frames)
    reference = ReferenceDAKPoseLifter(
        num_joints, receptive_field=frames, **{k: v for k, v in fast.get_params().items() if k in fast.size_names}
    )
    fast.load_state_dict(fast_state_dict(reference.state_dict()))
    rows = []
    for name, model, window in (
        ("simple_baseline", mlp, 1),
        ("dakpose (batched attention)", fast, frames),
        ("dakpose (reference)", reference, frames),
    ):
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        x2d = torch.randn(batch, window, num_joints, 2)
        target = torch.randn(batch, num_joints, 3)

        def step(
            model: torch.nn.Module = model,
            optimizer: torch.optim.Optimizer = optimizer,
            x2d: torch.Tensor = x2d,
            target: torch.Tensor = target,
        ) -> None:
            optimizer.zero_grad(set_to_none=True)
            (model(x2d) - target).norm(dim=-1).mean().backward()
            optimizer.step()

        seconds = best_seconds(step, warmup=3, repeats=10)
        rows.append(
            {
                "lifter": name,
                "receptive_field": window,
                "batch": batch,
                "parameters": sum(p.numel() for p in model.parameters()),
                "ms_per_step": round(seconds * 1e3, 2),
            }
        )
    for row in rows:
        row["time_vs_simple_baseline_quick"] = round(row["ms_per_step"] / rows[0]["ms_per_step"], 2)
    return rows


def sequence_rows(receptive_field: int, frames: int, num_joints: int, chunk: int) -> list[dict[str, Any]]:
    """Time lifting every frame of one sequence, dilated against strided, quick profile, eval mode."""
    torch.manual_seed(0)
    model = build_lifter("videopose", num_joints=num_joints, receptive_field=receptive_field).eval()
    sequence = torch.randn(1, frames + receptive_field - 1, num_joints, 2)
    windows = sequence.unfold(1, receptive_field, 1).permute(0, 1, 4, 2, 3)[0]  # (frames, rf, J, 2)

    def strided() -> None:
        for start in range(0, frames, chunk):
            model(windows[start : start + chunk].contiguous())

    with torch.inference_mode():
        dilated_s = best_seconds(lambda: model.forward_sequence(sequence))
        strided_s = best_seconds(strided)
    return [
        {
            "receptive_field": receptive_field,
            "path": path,
            "frames_per_s": round(frames / s),
            "time_vs_dilated": round(s / dilated_s, 2),
        }
        for path, s in (("dilated forward_sequence", dilated_s), (f"strided forward, chunks of {chunk}", strided_s))
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="benchmarks/results/lifter_speed.md")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--joints", type=int, default=17)
    parser.add_argument("--frames", type=int, default=2000, help="frames of the evaluated sequence")
    parser.add_argument("--skip-paper", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    profiles = ("quick",) if args.skip_paper else ("quick", "paper")
    rows = [train_step_row(name, profile, rf, args.batch, args.joints) for profile in profiles for name, rf in CASES]
    rows.append(train_step_row("simple_baseline", "quick", 1, args.batch, args.joints, dropout=0.0))
    reference = rows[0]["ms_per_step"]  # simple_baseline, quick
    for row in rows:
        row["time_vs_simple_baseline_quick"] = round(row["ms_per_step"] / reference, 2)
    sequences = [row for rf in (27, 243) for row in sequence_rows(rf, args.frames, args.joints, args.batch)]
    dakpose = dakpose_rows(args.joints)
    text = [
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {cpu_name()}; "
        f"J = {args.joints}, float32; best of >= 5 runs; 1-minute load average {load_before:.2f} at the start "
        "(other processes on the cores slow every row; trust a run that started near 0).\n",
        f"## Training step: forward + MPJPE + backward, batch {args.batch}, train mode\n",
        tabulate(rows, headers="keys", tablefmt="github", intfmt=","),
        f"\n\n## Evaluating one sequence of {args.frames} frames, quick profile, eval mode\n",
        tabulate(sequences, headers="keys", tablefmt="github", intfmt=","),
        "\n\n## DAK-Pose's quick lifter against the quick MLP at the same batch: forward, MPJPE, backward, Adam\n",
        tabulate(dakpose, headers="keys", tablefmt="github", intfmt=","),
        "",
    ]
    write_results(args.out, text)


if __name__ == "__main__":
    main()
