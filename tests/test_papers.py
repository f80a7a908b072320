"""Methods are named by their papers: one table of papers, used wherever a user reads a method's name."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from lifelong_pose.papers import PAPERS, paper_of


@pytest.mark.parametrize(
    ("strategy", "short"),
    [
        ("poseda", "Chai et al., ICCV 2023"),
        ("poseda-v0", "Chai et al., ICCV 2023"),
        ("mylab/dakpose-v3", "Wang, Zhang, Yuan"),
    ],
)
def test_a_strategy_id_finds_its_paper(strategy: str, short: str) -> None:
    paper = paper_of(strategy)
    assert paper is not None and paper.short == short


def test_baselines_have_no_paper() -> None:
    assert paper_of("source_only-v0") is None and paper_of("adabn") is None


def test_every_paper_has_a_title_venue_and_a_https_link_or_none() -> None:
    for paper in PAPERS.values():
        assert paper.title and paper.venue and paper.authors
        assert paper.link is None or paper.link.startswith("https://")
        assert paper.title in paper.citation


def test_list_strategies_names_the_papers_never_internal_file_numbers() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "lifelong_pose.cli.main", "list", "strategies"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Chai et al., ICCV 2023" in listing and "Peng et al." in listing and "Wang, Zhang, Yuan" in listing
    assert not re.search(r"seed 00\d", listing)
