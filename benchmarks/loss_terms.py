"""Each loss term's curve over the source budget, mean ± std over seeds, from finished run records.

The records keep, per domain, every term a strategy logged: its mean and its curve (ten means over
successive tenths of the domain's steps). This script tabulates the source domain's curves of the
runs under a folder, to show what each part of a method does while it trains (for DAK-Pose: whether
its adversarial games keep sending gradient to the lifter, or a discriminator wins).

    python benchmarks/loss_terms.py RUN_FOLDER [--results FILE] [--domain 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from results_file import write_results  # benchmarks/ is on sys.path when a script runs
from tabulate import tabulate

from lifelong_pose.runner.record import load_record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder with seed-*/result.json")
    parser.add_argument("--domain", type=int, default=0, help="which domain's terms (default: the source)")
    parser.add_argument("--results", default=None, help="a Markdown file to write (default: print only)")
    args = parser.parse_args()
    records = [load_record(path.parent) for path in sorted(Path(args.run).glob("seed-*/result.json"))]
    if not records:
        parser.error(f"no seed-*/result.json under {args.run}")
    terms = sorted({name for record in records for name in record["losses"][args.domain]["terms"]})
    rows = []
    for name in terms:
        curves = np.array([record["losses"][args.domain]["terms"][name]["curve"] for record in records], dtype=float)
        mean, std = curves.mean(axis=0), curves.std(axis=0, ddof=1) if len(records) > 1 else np.zeros(curves.shape[1])
        rows.append([name, *(f"{m:.3g} ± {s:.2g}" for m, s in zip(mean, std, strict=True))])
    parts = len(rows[0]) - 1  # ten, or the number of steps when a domain had fewer
    headers = ["term", *(f"{100 * i // parts}-{100 * (i + 1) // parts} %" for i in range(parts))]
    table = tabulate(rows, headers=headers, tablefmt="github")
    seeds = ", ".join(str(record["seed"]) for record in records)
    lines = [
        f"# Loss terms of {records[0]['strategy']['id']} on {records[0]['scenario']['id']}, domain {args.domain}",
        "",
        f"Made by `python benchmarks/loss_terms.py {args.run}`: each term's mean over successive tenths of the "
        f"domain's steps, mean ± std over seeds {seeds}.",
        "",
        table,
        "",
    ]
    print("\n".join(lines))
    if args.results:
        write_results(Path(args.results), lines)


if __name__ == "__main__":
    main()
