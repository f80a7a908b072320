"""The strategy tables' arithmetic: mean ± std over finished seeds, failed seeds named, not averaged."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from strategy_table import (
    failures,
    hardware,
    per_target_table,
    row_folder,
    summary_row,
    table_command,
    target_error,
)


def _record(seed: int, R: list[list[float]], status: str = "complete", strategy: str = "poseda-v0") -> dict[str, Any]:
    record: dict[str, Any] = {
        "seed": seed,
        "status": status,
        "strategy": {"id": strategy},
        "matrices": {"mpjpe": R},
        "completed_domains": len(R),
        "domains": ["src", "a", "b"],
        "timing": {"domains": [{"train_s": 1.0}, {"train_s": 2.0}, {"train_s": 3.0}][: len(R)]},
    }
    if status == "complete":
        figures = {"bwt": -1.0, "forgetting": 1.0, "adaptation_gain": 2.0}
        record["summary"] = {"final_avg_mpjpe": 10.0 * (seed + 1), **figures}
    else:
        record["error"] = "ValueError: a source pose has no extent"
    return record


def test_target_error_is_the_diagonal_after_adapting_and_row_zero_for_source_only() -> None:
    R = [[30.0, 90.0, 150.0], [80.0, 50.0, 140.0], [100.0, 70.0, 60.0]]
    assert target_error(_record(0, R)) == (50.0 + 60.0) / 2
    assert target_error(_record(0, R, strategy="source_only-v0")) == (90.0 + 150.0) / 2


def test_a_row_averages_finished_seeds_only_and_names_the_failed_ones() -> None:
    R = [[30.0, 90.0, 150.0], [80.0, 50.0, 140.0], [100.0, 70.0, 60.0]]
    records = [_record(0, R), _record(1, R), _record(2, R[:1], status="failed")]
    row = summary_row("no prior", records)
    assert row[0] == "no prior (1 of 3 seeds failed)"
    assert row[1] == "55.0 ± 0.0"  # both finished seeds: (50 + 60) / 2
    assert row[2] == "15.0 ± 7.1"  # final avg 10 and 20: sample std 7.07
    assert row[-1] == "5.0 ± 0.0"  # adapting_seconds of the made-up train_s fields: 2 + 3, not a timing
    lines = failures({"no prior": records})
    assert lines[2] == "- no prior, seed 2: failed after 1 domains: ValueError: a source pose has no extent"


def test_a_row_whose_every_seed_failed_says_so_in_every_cell() -> None:
    row = summary_row("naive", [_record(0, [[30.0]], status="failed")])
    assert row[0] == "naive (1 of 1 seeds failed)" and set(row[1:]) == {"failed"}
    assert failures({"naive": [_record(0, [[30.0, 1.0], [2.0, 3.0]])]}) == []


def test_the_per_target_table_gives_each_targets_error_after_it_and_the_sources_at_the_end() -> None:
    R = [[30.0, 90.0, 150.0], [80.0, 50.0, 140.0], [100.0, 70.0, 60.0]]
    R2 = [[30.0, 90.0, 150.0], [84.0, 54.0, 140.0], [104.0, 70.0, 64.0]]
    lines = per_target_table(
        {
            "poseda": [_record(0, R), _record(1, R2), _record(2, R[:1], status="failed")],
            "source_only": [_record(0, R, strategy="source_only-v0")],
            "gone": [_record(0, R[:1], status="failed")],
        }
    )
    rows = {
        cells[0]: cells[1:]
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2].splitlines())
    }
    assert rows[""] == ["a (after it)", "b (after it)", "src (at the end)"]
    # poseda: a after it 50 and 54, b 60 and 64, the source at the end 100 and 104 (sample std 2.83)
    assert rows["poseda"] == ["52.0 ± 2.8", "62.0 ± 2.8", "102.0 ± 2.8"]
    assert rows["source_only"] == ["90.0", "150.0", "100.0"]  # before adapting: row 0; one seed, no spread
    assert rows["gone"] == ["failed"] * 3


def test_table_command_names_every_departure_from_the_defaults() -> None:
    rows = {"a": ("source_only", {}, []), "b": ("dakpose", {}, [])}
    args = argparse.Namespace(seeds=[0, 1, 2], scenarios="cross_dataset", steps=None, adapt_steps=None, device="cpu")
    assert (
        table_command("t.py", args, rows, ["a", "b"])
        == "python benchmarks/t.py --seeds 0,1,2 --scenarios cross_dataset"
    )
    args = argparse.Namespace(seeds=[0], scenarios="cross_dataset", steps=2400, adapt_steps=50, device="cuda")
    assert table_command("t.py", args, rows, ["b"]) == (
        'python benchmarks/t.py --seeds 0 --scenarios cross_dataset --rows "b"'
        " --steps 2400 --adapt-steps 50 --device cuda"
    )
    # a table written to a file other than the script's own names it: rerun without it, it would overwrite
    args = argparse.Namespace(
        seeds=[0],
        scenarios="cross_dataset",
        steps=None,
        adapt_steps=None,
        device="cpu",
        results="benchmarks/results/other.md",
        results_default="/repo/benchmarks/results/own.md",
    )
    assert table_command("t.py", args, rows, ["a", "b"]).endswith(" --results benchmarks/results/other.md")
    args.results = args.results_default
    assert "--results" not in table_command("t.py", args, rows, ["a", "b"])


def test_hardware_says_what_made_a_table() -> None:
    assert hardware("cpu").endswith("-core CPU")


def test_a_changed_budget_gets_its_own_folder() -> None:
    out = Path("runs")
    assert row_folder(out, "cross_dataset", "poseda + ema") == out / "cross_dataset" / "poseda_plus_ema"
    assert row_folder(out, "cross_dataset", "dakpose", 2400) == out / "cross_dataset" / "dakpose__steps2400"
    assert row_folder(out, "x", "a b", 20, 5) == out / "x" / "a_b__steps20__adapt5"


def test_the_dakpose_verdict_tests_each_row_against_the_first_on_the_unseen_targets() -> None:
    from dakpose_table import verdict_lines
    from scipy.stats import ttest_ind

    def record(seed: int, strategy: str, targets: list[float], cached: bool = False) -> dict[str, Any]:
        first_row = [40.0 + seed, *targets]
        made = _record(seed, [first_row] * 3, strategy=strategy)  # never adapts: every row repeats the first
        made["timing"]["domains"][0]["train_s"] = 0.01 if cached else 100.0 + 10 * seed
        made["source_cache"] = {"used": cached}
        return made

    baseline = [record(0, "source_only-v0", [150.0, 160.0], cached=True), record(1, "source_only-v0", [140.0, 150.0])]
    baseline.append(record(2, "source_only-v0", [146.0, 150.0]))
    method = [record(s, "dakpose-v0", [t, t + 20.0]) for s, t in enumerate((120.0, 124.0, 130.0))]
    lines = verdict_lines({"alone": baseline, "method": method, "none finished": []})
    text = "\n".join(lines)
    lines = text.splitlines()
    # unseen targets per seed: alone 155, 145, 148 (mean 149.3); method 130, 134, 140 (mean 134.7)
    p_value = float(ttest_ind([130.0, 134.0, 140.0], [155.0, 145.0, 148.0], equal_var=False).pvalue)
    method_line = next(line for line in lines if line.startswith("| method"))
    assert "134.7 ± 5.0" in method_line and "-14.7" in method_line and f"{p_value:.3g}" in method_line
    assert "41.0 ± 1.0" in method_line and "110.0 ± 10.0" in method_line  # source error, source seconds
    alone_line = next(line for line in lines if line.startswith("| alone"))
    assert "149.3 ± 5.1" in alone_line and "115.0 ± 7.1 (n=2, others cached)" in alone_line
    assert "none finished" not in text  # a row without a finished seed has nothing to test
