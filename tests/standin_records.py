"""Stand-in runs for record tests: a scenario and strategy as plain objects with what a record reads.

They keep record and leaderboard tests to milliseconds; ``tests/test_runner.py`` checks the same
record end to end on a real tiny stream.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

from lifelong_pose.metrics.table import METRIC_TABLE
from lifelong_pose.runner.run import RunConfig
from lifelong_pose.runner.run_record import DomainResult, RunRecord
from lifelong_pose.training.normalisation import normalisation_note

DOMAINS = ["source", "target_a", "target_b"]


def scenario(**changes: Any) -> SimpleNamespace:
    spec = SimpleNamespace(id="standin-v0", to_json=lambda: json.dumps({"id": "standin-v0", "targets": 2}))
    base = {
        "spec": spec,
        "data_backend": "sim",
        "fingerprint": lambda: "f" * 64,
        "seed": 0,
        "layout": "h36m17",
        "protocols": ["inductive"] * len(DOMAINS),
        "pck_domains": [],
        "domain_names": list(DOMAINS),
    }
    return SimpleNamespace(**{**base, **changes})


def strategy(strategy_id: str = "standin_strategy-v0", epochs: int = 2) -> SimpleNamespace:
    model = torch.nn.Linear(4, 3)
    return SimpleNamespace(
        spec=SimpleNamespace(id=strategy_id, entry_point="standin:Strategy"),
        get_params=lambda: {"epochs": epochs, "lr": 0.001},
        normalisation_note=lambda: normalisation_note("train", 0, trains_on_targets=True, lifter="linear"),
        reads_target_3d=False,
        plugins=[],
        model=model,
        keeps_source_data=False,
        auxiliary_modules=lambda: {},
    )


def config(tmp_path: Path, **changes: Any) -> RunConfig:
    return RunConfig(scenario="standin-v0", strategy="standin_strategy", out=tmp_path, **changes)


def new(tmp_path: Path, seed: int = 0, epochs: int = 2, **changes: Any) -> RunRecord:
    return RunRecord.new(config(tmp_path, seed=seed, **changes), scenario(), strategy(epochs=epochs), "cpu")


def result(index: int, offset: float = 0.0, kept: dict[str, int] | None = None) -> DomainResult:
    """Domain ``index``'s rows: errors that grow with the domain, scores that fall."""
    rows = {}
    for metric in METRIC_TABLE:
        base = 50.0 if metric.lower_is_better else 90.0
        step = 5.0 if metric.lower_is_better else -5.0
        rows[metric.key] = [base + offset + step * (j - index) ** 2 for j in range(len(DOMAINS))]
    terms = {"lifter": {"mean": 0.1, "steps": 3, "curve": [0.2, 0.1]}}
    return DomainResult(DOMAINS[index], rows, terms, train_s=1.23456, eval_s=0.5, kept=kept or {})


def complete(tmp_path: Path, seed: int = 0, offset: float = 0.0) -> RunRecord:
    record = new(tmp_path, seed=seed)
    for index in range(len(DOMAINS)):
        record.add_domain(result(index, offset))
    record.finish(elapsed_s=4.0)
    return record
