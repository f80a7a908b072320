"""The size diagnostic of DAK-Pose's table: its two Markdown tables from hand-made scores."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from dakpose_size import MEASURES, per_domain_table, unseen_table


def _scores(rows: list[list[list[float]]]) -> np.ndarray:
    """(seeds, domains, measures) from per-seed, per-domain [mpjpe, n_mpjpe, pa_mpjpe, size]."""
    values = np.asarray(rows, dtype=float)
    assert values.shape[-1] == len(MEASURES)
    return values


def test_unseen_table_means_over_targets_and_tests_against_the_first_row() -> None:
    baseline = _scores(
        [
            [[40, 40, 30, 1.0], [100, 90, 80, 0.9], [200, 150, 120, 1.1]],  # targets: 150, 120, 100
            [[42, 41, 31, 1.0], [110, 96, 84, 0.9], [210, 160, 126, 1.1]],  # targets: 160, 128, 105
        ]
    )
    other = _scores(
        [
            [[60, 55, 50, 1.0], [120, 88, 78, 0.8], [280, 150, 120, 1.4]],  # targets: 200, 119, 99
            [[62, 57, 52, 1.0], [130, 90, 80, 0.8], [290, 152, 122, 1.4]],  # targets: 210, 121, 101
        ]
    )
    lines = unseen_table({"base": baseline, "other": other})
    base_row = next(line for line in lines[0].splitlines() if line.startswith("| base"))
    other_row = next(line for line in lines[0].splitlines() if line.startswith("| other"))
    # base: MPJPE 155 ± 7.1 (150, 160), N-MPJPE 124 ± 5.7 (120, 128), PA 102.5 ± 3.5 (100, 105)
    assert "155.0 ± 7.1" in base_row and "124.0 ± 5.7" in base_row and "102.5 ± 3.5" in base_row
    assert "(" not in base_row  # the baseline is not tested against itself
    # other: MPJPE 205 (+50), N-MPJPE 120 (-4), PA 100 (-2.5); Welch p from scipy over the two seeds
    assert "205.0 ± 7.1 (+50.0, p " in other_row
    assert "120.0 ± 1.4 (-4.0, p " in other_row
    assert "100.0 ± 1.4 (-2.5, p " in other_row


def test_one_seed_a_side_has_no_p_value() -> None:
    one = _scores([[[40, 40, 30, 1.0], [100, 90, 80, 0.9]]])
    lines = unseen_table({"base": one, "other": one + 1})
    assert "(+1.0, p n/a)" in lines[0]


def test_per_domain_table_names_the_source_and_prints_size_to_three_places() -> None:
    values = _scores([[[40, 40, 30, 1.0], [100, 90, 80, 0.8125]], [[44, 42, 32, 1.0], [100, 90, 80, 0.8135]]])
    lines = per_domain_table({"row": values}, ["h36m_like", "3dhp_like"])
    table = lines[0].splitlines()
    assert table[2].startswith("| row ") and "h36m_like (source)" in table[2] and "42.0 ± 2.8" in table[2]
    assert table[3].startswith("|     ") and "3dhp_like " in table[3] and "0.813 ± 0.001" in table[3]


def test_image_sizes_are_ratios_to_the_source() -> None:
    import torch
    from dakpose_size import image_sizes

    def domain(name: str, size_2d: float, size_3d: float) -> SimpleNamespace:
        # root at joint 0, two more joints at the given distance from it
        x2d = torch.tensor([[[0.5, 0.5], [0.5 + size_2d, 0.5], [0.5, 0.5 - size_2d]]])
        X3d = torch.tensor([[[0.0, 0.0, 0.0], [size_3d, 0.0, 0.0], [0.0, 0.0, size_3d]]])
        return SimpleNamespace(name=name, x2d=x2d, X3d=X3d)

    lines = image_sizes([domain("source", 0.2, 0.4), domain("phone", 0.5, 0.44), domain("studio", 0.15, 0.4)])
    assert lines[0].endswith("phone: 2D 2.50, 3D 1.10; studio: 2D 0.75, 3D 1.00.")
