"""The papers whose methods the suite implements: one place for their names, venues and links.

Every text a user reads (``list strategies``, ``describe``, the leaderboard's page and its
reported rows, the README) names a method by its paper, as written here, so a reader can find and
cite it. No heavy import: the registry listing reads this module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    """A published method.

    Attributes:
        short: how tables cite it (first author, venue and year).
        authors: every author, as the paper lists them.
        title: the paper's title.
        venue: where it appeared.
        link: where to read it (None where the suite knows no public link).
        code: the authors' code, where public.
    """

    short: str
    authors: str
    title: str
    venue: str
    link: str | None
    code: str | None = None

    @property
    def citation(self) -> str:
        """``Authors, "Title", venue`` and the link, on one line."""
        where = f", {self.link}" if self.link else ""
        return f'{self.authors}, "{self.title}", {self.venue}{where}'


PAPERS: dict[str, Paper] = {
    "diffusion_replay": Paper(
        short="Peng et al., arXiv 2025",
        authors="Qucheng Peng, Hongfei Xue, Pu Wang, Chen Chen",
        title="Lifelong Domain Adaptive 3D Human Pose Estimation",
        venue="arXiv:2512.23860",
        link="https://arxiv.org/abs/2512.23860",
        code="https://github.com/davidpengucf/lifelongpose",
    ),
    "poseda": Paper(
        short="Chai et al., ICCV 2023",
        authors="Wenhao Chai, Zhongyu Jiang, Jenq-Neng Hwang, Gaoang Wang",
        title="Global Adaptation meets Local Generalization: Unsupervised Domain Adaptation for 3D Human Pose "
        "Estimation",
        venue="ICCV 2023",
        link="https://arxiv.org/abs/2303.16456",
        code="https://github.com/rese1f/PoseDA",
    ),
    "dakpose": Paper(
        short="Wang, Zhang, Yuan",
        authors="Yachuan Wang, Bin Zhang, Hao Yuan",
        title="DAK-Pose: Dual-augmentor knowledge fusion for generalizable video-based 3D human pose estimation",
        venue="journal article (Xi'an Jiaotong University)",
        link=None,
    ),
}
"""Method (strategy id without version) -> its paper."""


def paper_of(strategy: str) -> Paper | None:
    """The paper of a strategy id (``poseda``, ``poseda-v0``, ``mylab/poseda-v1``), or None for a baseline."""
    name = strategy.rpartition("/")[2]
    base, _, version = name.rpartition("-v")
    return PAPERS.get(base if base and version.isdigit() else name)
