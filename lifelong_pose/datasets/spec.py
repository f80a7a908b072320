"""Declarative description of a real-data domain (pure data: scenario definitions import it while
the registry is listed, so no numpy or torch here).

A stream's real backend is a tuple of :class:`RealDomainSpec`, beside its simulated
:class:`~lifelong_pose.world.factors.DomainSpec` tuple; :mod:`lifelong_pose.datasets.build` turns
one into train and test splits read from the user's data folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DATASETS: tuple[str, ...] = ("h36m", "3dhp", "3dpw")
PROTOCOLS: tuple[str, ...] = ("inductive", "transductive")
TAKES: tuple[str, ...] = ("all", "all_but_last", "last")
# Human3.6M's four cameras, in the order of its calibration table and of VideoPose3D's 2D files.
H36M_CAMERA_IDS: tuple[str, ...] = ("54138969", "55011271", "58860488", "60457274")
# Human3.6M 2D keypoint files the readers know: ground truth, or CPN detections fine-tuned on H3.6M.
H36M_2D: tuple[str, ...] = ("gt", "cpn_ft_h36m_dbb")


@dataclass(frozen=True)
class Selection:
    """Which camera views of a dataset one split reads.

    Attributes:
        part: ``train`` or ``test`` for datasets shipped as separate train and test files
            (3DHP, 3DPW); H3.6M is one file (``all``) split by subject and take.
        subjects: subject (or 3DHP test-sequence) names to keep; empty keeps all.
        cameras: camera names to keep (H3.6M's ``54138969``, ...); empty keeps all.
        takes: H3.6M records every action twice or more (``Walking``, ``Walking 1``); ``last``
            keeps the last take of each action (in name order), ``all_but_last`` the others (and
            actions recorded once). This splits one subject into train and test takes that never
            share a frame.
    """

    part: str = "all"
    subjects: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    takes: str = "all"

    def __post_init__(self) -> None:
        object.__setattr__(self, "subjects", tuple(self.subjects))
        object.__setattr__(self, "cameras", tuple(self.cameras))
        if self.part not in ("all", "train", "test"):
            raise ValueError(f"Selection: part must be 'all', 'train' or 'test', got {self.part!r}")
        if self.takes not in TAKES:
            raise ValueError(f"Selection: takes must be one of {', '.join(TAKES)}, got {self.takes!r}")


def take_split(subject: str) -> dict[str, Selection]:
    """Human3.6M's split of one subject: all but the last take of every action train, the last tests.

    Returned as the ``train`` and ``test`` keywords of a domain spec (``**take_split("S1")``), so
    the real and simulated streams and their tests share one definition of the split.
    """
    return {
        "train": Selection(subjects=(subject,), takes="all_but_last"),
        "test": Selection(subjects=(subject,), takes="last"),
    }


@dataclass(frozen=True)
class RealDomainSpec:
    """One domain of a stream, read from a dataset's preprocessed files.

    Attributes:
        name: shown in tables (``h36m_S5``, ``3dhp``).
        dataset: ``h36m``, ``3dhp`` or ``3dpw`` (the reader; see ``lifelong_pose.datasets``).
        train, test: what each split reads. Under the ``transductive`` protocol a target adapts on
            its test split's 2D and ``train`` is not read.
        labelled: True for the source only.
        layout: ``h36m17`` or ``common16`` (the stream's).
        protocol: the target protocol when the run does not choose one: ``inductive`` (adapt on
            the train split) or ``transductive`` (adapt on the test split's 2D, as PoseDA and
            AdaptPose do on 3DHP).
        stride, test_stride: keep every ``stride``-th frame of the train split and every
            ``test_stride``-th of the test split (the quick profile thins H3.6M's 50 fps video;
            the paper profile evaluates every frame, as the field does).
        reports_pck: PCK and AUC are this dataset's usual figures (3DHP), shown first in reports.
    """

    name: str
    dataset: str
    description: str = ""
    train: Selection = field(default_factory=Selection)
    test: Selection = field(default_factory=Selection)
    labelled: bool = False
    layout: str = "h36m17"
    protocol: str = "inductive"
    stride: int = 1
    test_stride: int = 1
    reports_pck: bool = False

    def __post_init__(self) -> None:
        owner = f"RealDomainSpec {self.name!r}"
        if self.dataset not in DATASETS:
            raise ValueError(f"{owner}: dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"{owner}: protocol must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}")
        if self.layout not in ("h36m17", "common16"):
            raise ValueError(f"{owner}: layout must be 'h36m17' or 'common16', got {self.layout!r}")
        if self.dataset != "h36m" and self.layout != "common16":
            raise ValueError(f"{owner}: {self.dataset} has no Neck/Nose joint; use the common16 layout")
        for name in ("stride", "test_stride"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{owner}: {name} must be an int >= 1, got {value!r}")
        if self.labelled and self.protocol == "transductive":
            raise ValueError(f"{owner}: the labelled source trains on its train split; transductive is for targets")
        for split, selection in (("train", self.train), ("test", self.test)):
            if self.dataset == "h36m":
                if selection.part != "all":
                    raise ValueError(f"{owner}: H3.6M is one file; select its {split} split by subjects and takes")
                continue
            if selection.part != split:
                raise ValueError(
                    f"{owner}: the {split} split of {self.dataset} reads its {split!r} file, not {selection.part!r}"
                )
            if selection.takes != "all":
                raise ValueError(f"{owner}: takes select H3.6M's repeated actions; {self.dataset} has none")
            if self.dataset == "3dpw" and (selection.subjects or selection.cameras):
                raise ValueError(f"{owner}: 3DPW's files have no subjects or cameras to select")
