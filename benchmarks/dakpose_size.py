"""How much of each DAK-Pose row's error is the size of the person it predicts.

Reads the run folders of ``benchmarks/dakpose_table.py`` and scores each lifter (DAK-Pose never
adapts: the lifter after the source) on the test split of every domain three ways: MPJPE (nothing
fitted), N-MPJPE (the one scale that fits each pose best) and PA-MPJPE (rotation, scale and
position fitted), beside the ratio of predicted to true pose size (mean joint distance from the
root; 1.0 = the right size). A row that is worse than ``source_only`` with the same lifter in MPJPE
but not in N-MPJPE has lost on size, not on the pose. Also tests, on the targets neither saw, each
row's three errors against the first row's (Welch's two-sided t-test over seeds).

    python benchmarks/dakpose_size.py [--runs runs/dakpose_table] [--scenario cross_dataset]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from dakpose_table import ROWS  # benchmarks/ is on sys.path when a script runs
from results_file import write_results
from strategy_table import budget_suffix, row_folder, run_reader_arguments
from tabulate import tabulate

import lifelong_pose as lp
from lifelong_pose.data.domain import DomainData
from lifelong_pose.leaderboard.ranking import welch_p_value
from lifelong_pose.metrics.pose import mpjpe, n_mpjpe, pa_mpjpe
from lifelong_pose.runner.checkpoint import lifter_after
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.tables import mean_std_cell

CHUNK = 4096  # windows per forward pass: the attention lifter's memory grows with the batch
MEASURES = ("mpjpe", "n_mpjpe", "pa_mpjpe", "size")


def scores(model: torch.nn.Module, test: DomainData) -> dict[str, float]:
    """MPJPE, N-MPJPE, PA-MPJPE (mm) and predicted / true size of ``model`` on every frame of ``test``."""
    windows = test.window_indices(model.receptive_field)
    with torch.no_grad():
        predicted = torch.cat([model(test.x2d[windows[i : i + CHUNK]]) for i in range(0, len(windows), CHUNK)])
    truth = test.X3d
    return {
        "mpjpe": 1000 * float(mpjpe(predicted, truth).mean()),
        "n_mpjpe": 1000 * float(n_mpjpe(predicted, truth).mean()),
        "pa_mpjpe": 1000 * float(pa_mpjpe(predicted, truth).mean()),
        "size": float(predicted.norm(dim=-1).mean() / truth.norm(dim=-1).mean()),
    }


def row_scores(folder: Path, tests: list[DomainData]) -> np.ndarray:
    """(seeds, domains, measures) of a row's finished runs (empty when none finished)."""
    per_seed = []
    for run in sorted(folder.glob("seed-*")):
        record = load_record(run)
        if record["status"] != "complete":
            continue
        model = lifter_after(run, record, 0).eval()
        measured = [scores(model, test) for test in tests]  # one forward pass per domain
        per_seed.append([[domain[m] for m in MEASURES] for domain in measured])
    return np.asarray(per_seed).reshape(len(per_seed), len(tests), len(MEASURES))


def image_sizes(tests: list[DomainData]) -> list[str]:
    """Markdown: each domain's mean 2D joint distance from the root in the lifter's normalised input,
    and its 3D one, as ratios to the source's. Why: the size a lifter predicts can only come from
    the 2D it reads, so a target whose people look larger in 2D than the source's invites larger
    predictions."""

    def root_distance(points: torch.Tensor) -> float:
        return float((points - points[..., :1, :]).norm(dim=-1).mean())

    source_2d, source_3d = root_distance(tests[0].x2d), root_distance(tests[0].X3d)
    cells = [
        f"{test.name}: 2D {root_distance(test.x2d) / source_2d:.2f}, 3D {root_distance(test.X3d) / source_3d:.2f}"
        for test in tests[1:]
    ]
    return [f"People's size against the source's (mean joint distance from the root): {'; '.join(cells)}.", ""]


def per_domain_table(found: dict[str, np.ndarray], domain_names: list[str]) -> list[str]:
    """Markdown: each row's four measures on each domain (the first is the source), mean ± std over seeds."""
    table = []
    for name, values in found.items():
        for domain, domain_name in enumerate(domain_names):
            cells = [
                mean_std_cell(list(values[:, domain, k]), digits=3 if measure == "size" else 1)
                for k, measure in enumerate(MEASURES)
            ]
            label = domain_name + (" (source)" if domain == 0 else "")
            table.append([name if domain == 0 else "", len(values), label, *cells])
    headers = ["", "seeds", "domain", "MPJPE", "N-MPJPE", "PA-MPJPE", "size"]
    return [tabulate(table, headers=headers, tablefmt="github", disable_numparse=True), ""]


def unseen_table(found: dict[str, np.ndarray]) -> list[str]:
    """Markdown: each row's three errors, mean over the targets, against the first row's (difference,
    Welch p over seeds; n/a below two seeds a side). Why: a row that loses in MPJPE but not in
    N-MPJPE lost on the size of the person, not on the pose."""
    baseline_name = next(iter(found))
    baseline = found[baseline_name][:, 1:].mean(axis=1)  # (seeds, measures)
    table = []
    for name, values in found.items():
        unseen = values[:, 1:].mean(axis=1)
        row: list[str | int] = [name, len(values)]
        for k in range(len(MEASURES) - 1):  # the three errors, not the size
            cell = mean_std_cell(list(unseen[:, k]))
            if name != baseline_name:
                p_value = welch_p_value(list(unseen[:, k]), list(baseline[:, k]))
                difference = unseen[:, k].mean() - baseline[:, k].mean()
                cell += f" ({difference:+.1f}, p {'n/a' if p_value is None else f'{p_value:.3g}'})"
            row.append(cell)
        table.append(row)
    headers = ["", "seeds", "MPJPE", "N-MPJPE", "PA-MPJPE"]
    return [tabulate(table, headers=headers, tablefmt="github", disable_numparse=True), ""]


def main() -> None:
    args = run_reader_arguments(
        __doc__.splitlines()[0], runs="runs/dakpose_table", scenario="cross_dataset", stem="dakpose_size"
    )
    scenario = lp.make(args.scenario)
    tests = [scenario.test_data(domain) for domain in range(scenario.num_domains)]
    found = {}
    for name in ROWS:
        values = row_scores(row_folder(Path(args.runs), args.scenario, name, args.steps, args.adapt_steps), tests)
        if len(values):
            found[name] = values
    if not found:
        raise SystemExit(f"no finished run under {args.runs}/{args.scenario}{budget_suffix(args.steps, None)}")
    flags = "" if args.steps is None else f" --steps {args.steps}"  # DAK-Pose never adapts: no target budget
    lines = [
        f"# The size of the poses DAK-Pose's rows predict, {args.scenario} (sim, quick)",
        "",
        f"Made by `python benchmarks/dakpose_size.py --scenario {args.scenario}{flags}` from the runs of "
        f"`benchmarks/dakpose_table.py` ({scenario.spec.id}, sim, quick profile, world seed {scenario.seed}); "
        "mean ± std over seeds, mm. "
        "MPJPE fits nothing, N-MPJPE one scale per pose, PA-MPJPE rotation, scale and position; "
        "size = predicted / true mean joint distance from the root (1.0 = the right size).",
        "",
        f"Mean over the targets neither saw, each row against {next(iter(found))} (difference, Welch p over seeds):",
        "",
        *unseen_table(found),
        "Per domain:",
        "",
        *per_domain_table(found, scenario.domain_names),
        *image_sizes(tests),
    ]
    write_results(args.results, lines)


if __name__ == "__main__":
    main()
