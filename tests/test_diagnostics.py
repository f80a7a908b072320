"""Learning diagnostics: the distances and critic accuracy, what each target changed, and where they show."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from avalanche.core import SupervisedPlugin
from standin_records import DOMAINS, new, result

from lifelong_pose.cli.main import main
from lifelong_pose.leaderboard import entry_from_records
from lifelong_pose.leaderboard.site import build_site, entry_diagnostics
from lifelong_pose.metrics.distribution import critic_accuracy, sliced_wasserstein
from lifelong_pose.runner.record import load_record
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.runner.run_record import DomainResult
from lifelong_pose.runner.tables import against_not_adapting, diagnostics_tables
from lifelong_pose.training import LifelongStrategy
from lifelong_pose.training.probe import adversarial_figures

FAST = {"epochs": 2, "batch_size": 8}
METHOD_FIGURES = {"generator_displacement_mm", "critic_accuracy", "generated_2d_distance"}


# -- the measures, by hand -------------------------------------------------------------------------
def test_sliced_wasserstein_in_one_dimension_is_the_exact_distance() -> None:
    # every direction in 1-D is +-1: W1([0, 1], [2, 3]) = 2 whatever the sign
    assert sliced_wasserstein(np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])) == pytest.approx(2.0)
    # unequal sizes: W1([0], [0, 2]) = 1 (half the mass moves 2)
    assert sliced_wasserstein(np.array([[0.0]]), np.array([[0.0], [2.0]])) == pytest.approx(1.0)
    cloud = np.random.default_rng(0).normal(size=(50, 4))
    assert sliced_wasserstein(cloud, cloud) == 0.0


def test_sliced_wasserstein_of_a_shift_is_its_mean_projection() -> None:
    # a cloud and its copy shifted by v: each direction gives |theta . v|; over uniform directions in
    # the plane its mean is 2|v|/pi (|v| = 5 here), up to the 2048 directions' own spread
    cloud = np.random.default_rng(1).normal(size=(200, 2))
    shifted = cloud + np.array([3.0, 4.0])
    assert sliced_wasserstein(cloud, shifted, projections=2048) == pytest.approx(2 * 5 / math.pi, rel=0.03)
    assert sliced_wasserstein(cloud, shifted, seed=7) == sliced_wasserstein(cloud, shifted, seed=7)


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (np.zeros((0, 2)), np.zeros((3, 2)), "non-empty"),
        (np.zeros(3), np.zeros((3, 1)), r"\(N, D\)"),
        (np.zeros((2, 2)), np.zeros((2, 3)), "dimension 2 and 3"),
        (np.array([[np.nan, 0.0]]), np.zeros((1, 2)), "non-finite"),
    ],
)
def test_sliced_wasserstein_refuses_bad_clouds(a: np.ndarray, b: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sliced_wasserstein(a, b)
    with pytest.raises(ValueError, match="projections must be >= 1"):
        sliced_wasserstein(np.zeros((2, 1)), np.ones((2, 1)), projections=0)


def test_critic_accuracy_counts_ordered_pairs_ties_half() -> None:
    # pairs (real, fake): (2,1) 1, (2,2) 0.5, (3,1) 1, (3,2) 1 -> 3.5 / 4
    assert critic_accuracy(np.array([2.0, 3.0]), np.array([1.0, 2.0])) == pytest.approx(0.875)
    assert critic_accuracy(np.array([0.0, 0.0]), np.array([0.0])) == pytest.approx(0.5)
    assert critic_accuracy(np.array([-1.0]), np.array([1.0])) == 0.0
    with pytest.raises(ValueError, match="real_scores must be a non-empty"):
        critic_accuracy(np.array([]), np.array([1.0]))
    with pytest.raises(ValueError, match="generated_scores must be a non-empty"):
        critic_accuracy(np.array([1.0]), np.array([np.inf]))


def test_adversarial_figures_by_hand_and_pairs_required() -> None:
    original = torch.zeros(2, 3, 3)
    augmented = original.clone()
    augmented[0, 1] = torch.tensor([0.003, 0.004, 0.0])  # 5 mm on one joint of six
    shapes = torch.tensor([[[0.0, 0.0], [0.1, 0.0], [0.0, 0.1]]]).repeat(4, 1, 1)
    figures = adversarial_figures(
        original_3d=original,
        augmented_3d=augmented,
        real_scores=torch.tensor([2.0, 3.0]),
        generated_scores=torch.tensor([1.0, 2.0]),
        generated_2d=shapes * 3 + 0.2,  # moved and scaled: the same shape
        target_2d=shapes,
    )
    assert figures["generator_displacement_mm"] == pytest.approx(5 / 6)
    assert figures["critic_accuracy"] == pytest.approx(0.875)
    assert figures["generated_2d_distance"] == pytest.approx(0.0, abs=1e-12)
    assert adversarial_figures() == {}
    with pytest.raises(ValueError, match="both of original_3d/augmented_3d"):
        adversarial_figures(original_3d=original)


# -- what each target changed, in a run ------------------------------------------------------------
def _config(scenario: str, out: Path, strategy: str, **changes: Any) -> RunConfig:
    base = {"progress": False, "report": False, "device": "cpu", "options": dict(FAST)}
    return RunConfig(scenario=scenario, strategy=strategy, out=out, **{**base, **changes})


def test_source_only_changes_nothing_and_says_so(tiny_scenario: str, tmp_path: Path) -> None:
    record = run(_config(tiny_scenario, tmp_path / "run", "source_only"))
    R = record["matrices"]["mpjpe"]
    assert record["diagnostics"][0] == {"name": "d0", "figures": None}
    for j in (1, 2):
        figures = record["diagnostics"][j]["figures"]
        assert figures["weight_change"] == 0 and figures["prediction_change_mm"] == 0
        assert figures["statistics_shift"] == {"mean": 0.0, "scale": 0.0}
        assert figures["swap"]["weights_only_mm"] == pytest.approx(R[j][j])
        assert figures["swap"]["statistics_only_mm"] == pytest.approx(R[j][j])
        assert figures["method"] == {}
    assert against_not_adapting([record]) == ""  # it never left row 0


def test_poseda_records_its_networks_at_each_targets_start_and_end(tiny_scenario: str, tmp_path: Path) -> None:
    record = run(_config(tiny_scenario, tmp_path / "run", "poseda", options={**FAST, "adapt_steps": 4}))
    for j in (1, 2):
        figures = record["diagnostics"][j]["figures"]
        assert figures["weight_change"] > 0 and figures["prediction_change_mm"] > 0
        assert set(figures["method"]) == {"start", "end"}
        for stage in ("start", "end"):
            assert set(figures["method"][stage]) == METHOD_FIGURES
            assert 0 <= figures["method"][stage]["critic_accuracy"] <= 1
    # the swaps are real lifters' errors: the halves lie around the adapted error, not at zero
    swap = record["diagnostics"][1]["figures"]["swap"]
    assert 0 < swap["weights_only_mm"] < 5000 and 0 < swap["statistics_only_mm"] < 5000


def test_taking_diagnostics_never_changes_a_run(
    tiny_scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {**FAST, "adapt_steps": 4}
    measured = run(_config(tiny_scenario, tmp_path / "measured", "poseda", options=options))
    # the same run with the method's probe doing nothing: every matrix bit for bit the same
    monkeypatch.setattr(
        "lifelong_pose.strategies.poseda.strategy.PoseDA.adaptation_diagnostics",
        LifelongStrategy.adaptation_diagnostics,
    )
    plain = run(_config(tiny_scenario, tmp_path / "plain", "poseda", options=options))
    assert measured["matrices"] == plain["matrices"]
    assert plain["diagnostics"][1]["figures"]["method"] == {}


class _InterruptAt(SupervisedPlugin):
    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index

    def before_training_exp(self, strategy: Any, *args: Any, **kwargs: Any) -> None:
        if strategy.experience.current_experience == self.index:
            raise KeyboardInterrupt


def test_diagnostics_survive_resume(tiny_scenario: str, tmp_path: Path) -> None:
    options = {**FAST, "adapt_steps": 4}
    whole = run(_config(tiny_scenario, tmp_path / "whole", "poseda", options=options))
    with pytest.raises(KeyboardInterrupt):
        run(_config(tiny_scenario, tmp_path / "cut", "poseda", options=options, plugins=[_InterruptAt(2)]))
    cut = load_record(tmp_path / "cut")
    assert cut["status"] == "interrupted" and [d["name"] for d in cut["diagnostics"]] == ["d0", "d1"]
    resumed = run(_config(tiny_scenario, tmp_path / "cut", "poseda", options=options, resume=True))
    assert resumed["diagnostics"] == whole["diagnostics"]


def test_an_old_record_without_diagnostics_resumes_with_them_marked_unmeasured(
    tiny_scenario: str, tmp_path: Path
) -> None:
    with pytest.raises(KeyboardInterrupt):
        run(_config(tiny_scenario, tmp_path / "cut", "source_only", plugins=[_InterruptAt(2)]))
    path = tmp_path / "cut" / "result.json"
    old = json.loads(path.read_text())
    del old["diagnostics"], old["normalisation"]
    del old["strategy"]["params"]["bn"]
    path.write_text(json.dumps(old))
    resumed = run(_config(tiny_scenario, tmp_path / "cut", "source_only", resume=True))
    assert [d["figures"] is None for d in resumed["diagnostics"]] == [True, True, False]


# -- where they show -------------------------------------------------------------------------------
def _measured(index: int) -> dict[str, Any] | None:
    if index == 0:
        return None
    return {
        "weight_change": 0.01 * index,
        "prediction_change_mm": 10.0 * index,
        "statistics_shift": {"mean": 0.1, "scale": 0.2},
        "swap": {"weights_only_mm": 60.0, "statistics_only_mm": 52.0 + index},
        "method": {"start": {"critic_accuracy": 0.5}, "end": {"critic_accuracy": 0.75}},
    }


def _record_with_diagnostics(tmp_path: Path, seed: int) -> dict[str, Any]:
    record = new(tmp_path / f"seed-{seed}", seed=seed)
    for index in range(len(DOMAINS)):
        plain = result(index, offset=float(seed))
        record.add_domain(DomainResult(**{**plain.__dict__, "diagnostics": _measured(index)}))
    record.finish(elapsed_s=1.0)
    record.write(tmp_path / f"seed-{seed}")
    return record.to_dict()


def test_the_report_tables_average_over_seeds(tmp_path: Path) -> None:
    records = [_record_with_diagnostics(tmp_path, seed) for seed in (0, 1)]
    change, method = diagnostics_tables(records)
    target_a = next(line for line in change.splitlines() if line.startswith("1: target_a"))
    # weight change 1 % at both seeds; statistics-only errors 53 mm; R[0,1] is 55 + seed, R[1,1] 50 + seed
    assert "1.00" in target_a and "10.0" in target_a and "53.0" in target_a and "55.5 ± 0.7" in target_a
    assert "critic_accuracy" in method and "0.500" in method and "0.750" in method
    comparison = against_not_adapting(records)
    assert "final average" in comparison and ("(better)" in comparison or "(worse)" in comparison)


def test_a_board_entry_keeps_each_seeds_diagnostics_and_the_page_shows_them(tmp_path: Path) -> None:
    records = [_record_with_diagnostics(tmp_path, seed) for seed in (0, 1, 2)]
    entry = entry_from_records(records, name="measured", run="runs/measured")
    assert entry["seeds"][1]["diagnostics"] == records[1]["diagnostics"]
    assert entry["normalisation"] == records[0]["normalisation"]
    tables = entry_diagnostics(entry)
    assert [len(table["rows"]) for table in tables] == [2, 2]
    build_site([entry], tmp_path / "site", images=False)
    page = (tmp_path / "site" / "index.html").read_text()
    assert "what each target changed" in page and "entering weights, adapted BN" in page
    assert "critic_accuracy" in page and "Normalisation (bn=train)" in page
    # an entry filed before diagnostics existed shows no such table
    older = copy.deepcopy(entry)
    for seed_run in older["seeds"]:
        del seed_run["diagnostics"]
    assert entry_diagnostics(older) == []


def test_the_cli_prints_the_run_beside_not_adapting(tiny_scenario: str, tmp_path: Path, capsys: Any) -> None:
    fast = ["--set", "epochs=2", "--set", "batch_size=8"]
    code = main(["run", "--scenario", tiny_scenario, "--strategy", "adabn", "--out", str(tmp_path / "run"), *fast])
    assert code == 0
    out = capsys.readouterr().out
    assert "Against not adapting: row 0 is the lifter after the source" in out
    assert "final average" in out and "end - not adapting" in out
    report = (tmp_path / "run" / "seed-0" / "report.md").read_text()
    assert "## Against not adapting" in report and "## What the lifter learned on each target" in report
    assert "normalisation (`bn=adabn`)" in report
