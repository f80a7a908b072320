"""The simulated world's datasets, declared as data (no numpy or torch: stream definitions import
this while the registry is listed).

Since the v2 streams the simulated world is organised as the real datasets are: a
:class:`SimDataset` is a recording (named subjects, each performing every script of its
action set in several takes, filmed by every camera of a rig), and a stream's domain is a
:class:`SimDomainSpec`: a :class:`~lifelong_pose.datasets.spec.Selection` of subjects, cameras and
takes of one dataset for each split, exactly as a :class:`~lifelong_pose.datasets.spec.RealDomainSpec`
selects from the files. Human3.6M's protocols then carry over unchanged: train and test are other
takes of the same scripts (``takes="all_but_last"`` / ``"last"``) or other subjects performing
the same scripts (S1, S5-S8 / S9, S11).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lifelong_pose.datasets.spec import H36M_CAMERA_IDS, PROTOCOLS, Selection
from lifelong_pose.motion.clip import SEGMENTS
from lifelong_pose.world.factors import CameraRig, KeypointConvention, ObservationModel

# Subjects of the published Human3.6M calibration (VideoPose3D's table): only these can be
# filmed by the published rig.
H36M_CALIBRATED_SUBJECTS: tuple[str, ...] = ("S1", "S5", "S6", "S7", "S8", "S9", "S11")


def _require(condition: bool, owner: str, message: str) -> None:
    if not condition:
        raise ValueError(f"{owner}: {message}")


@dataclass(frozen=True)
class PerformanceStyle:
    """How a subject performs: pace, and how much each take varies
    (:mod:`lifelong_pose.world.performance` applies it).

    Attributes:
        speed: (low, high) the take's mean playback rate, drawn uniformly per take.
        tempo_variation: amplitude of the smooth variation of the log playback rate within a take.
        angle_variation: bound (radians, per rotation axis) of the smooth joint-angle offsets.
        curvature: (low, high) magnitude of the path's turn per metre travelled (1/m); its sign
            is drawn per take. 0.9-1.3 bends a 4 s walk into most of a circle about 1 m across
            (Human3.6M's subjects walk round the lab, within its cameras' view).
        turn_rate: bound (rad/s) of a smooth turning of the body on the spot, whatever it does (a
            performer turns to face elsewhere while punching or dancing, as Human3.6M's subjects
            turn round the room), so one take sees its motion from many directions.
        mirror_prob: share of takes performed mirrored (handedness).
    """

    speed: tuple[float, float] = (0.9, 1.1)
    tempo_variation: float = 0.15
    angle_variation: float = 0.12
    curvature: tuple[float, float] = (0.9, 1.3)
    turn_rate: float = 0.6
    mirror_prob: float = 0.0

    def __post_init__(self) -> None:
        owner = "PerformanceStyle"
        _require(
            len(self.speed) == 2 and 0.1 <= self.speed[0] <= self.speed[1] <= 4,
            owner,
            f"speed must be (low, high) within [0.1, 4], got {self.speed}",
        )
        _require(
            0 <= self.tempo_variation <= 0.5, owner, f"tempo_variation must be in [0, 0.5], got {self.tempo_variation}"
        )
        _require(
            0 <= self.angle_variation <= 0.5,
            owner,
            f"angle_variation must be in [0, 0.5] rad, got {self.angle_variation}",
        )
        _require(
            len(self.curvature) == 2 and 0 <= self.curvature[0] <= self.curvature[1] <= 3,
            owner,
            f"curvature must be (low, high) within [0, 3] 1/m, got {self.curvature}",
        )
        _require(0 <= self.turn_rate <= 3, owner, f"turn_rate must be in [0, 3] rad/s, got {self.turn_rate}")
        _require(0 <= self.mirror_prob <= 1, owner, f"mirror_prob must be in [0, 1], got {self.mirror_prob}")


@dataclass(frozen=True)
class SubjectTraits:
    """One named subject: body and performance style.

    Attributes:
        name: ``S1``, ``S5``, ... (a Human3.6M name where the published rig films them).
        height: overall scale against the DeepMimic humanoid (about 1.6 m tall).
        segments: mean relative scale per body segment (``thigh``, ``upper_arm``...; default 1).
        style: pace, variation and handedness of their takes.
    """

    name: str
    height: float = 1.0
    segments: dict[str, float] = field(default_factory=dict)
    style: PerformanceStyle = field(default_factory=PerformanceStyle)

    def __post_init__(self) -> None:
        owner = f"SubjectTraits {self.name!r}"
        _require(bool(self.name) and not self.name[-1:].isspace(), owner, "name must be a non-empty word")
        _require(0.5 <= self.height <= 1.5, owner, f"height must be in [0.5, 1.5], got {self.height}")
        unknown = set(self.segments) - set(SEGMENTS)
        _require(not unknown, owner, f"unknown segments {sorted(unknown)}; known: {', '.join(SEGMENTS)}")
        _require(all(0.5 <= v <= 1.5 for v in self.segments.values()), owner, "segment scales must be in [0.5, 1.5]")


@dataclass(frozen=True)
class H36MRig:
    """Human3.6M's four cameras with their published calibration: intrinsics with lens distortion,
    and each subject's own extrinsics (VideoPose3D's table). A dataset filmed by it can be
    exported as a true Human3.6M folder."""

    cameras: tuple[str, ...] = H36M_CAMERA_IDS

    def __post_init__(self) -> None:
        unknown = [c for c in self.cameras if c not in H36M_CAMERA_IDS]
        _require(
            not unknown and bool(self.cameras), "H36MRig", f"cameras must be among {H36M_CAMERA_IDS}, got {unknown}"
        )


@dataclass(frozen=True)
class SimDataset:
    """A simulated recording: every subject performs every script of ``actions`` in
    ``takes`` takes, filmed by every camera of ``rig``.

    Attributes:
        key: identity of the recording (seeds derive from it); two datasets with one key and the
            same factors are the same data.
        subjects: the performers, in the order listed.
        actions: action labels (``walk``, ``turn``, ``punch``...) whose clips are the scripts.
        takes: takes per subject and script (Human3.6M records two; the last is the test take of
            the cross-subject protocol).
        take_seconds: length of a take.
        fps: frame rate of the recording (Human3.6M: 50).
        rig: the published Human3.6M cameras, or a sampled :class:`CameraRig` (static or hand-held);
            its cameras are named ``cam0``, ``cam1``, ...
        observation, convention: how the 2D is observed and where the keypoints sit.
        segment_jitter: each world seed varies each subject's segments by this relative std.
    """

    key: str
    description: str = ""
    subjects: tuple[SubjectTraits, ...] = ()
    actions: tuple[str, ...] = ()
    takes: int = 4
    take_seconds: float = 4.0
    fps: float = 50.0
    rig: H36MRig | CameraRig = field(default_factory=H36MRig)
    observation: ObservationModel = field(default_factory=ObservationModel)
    convention: KeypointConvention = field(default_factory=KeypointConvention)
    segment_jitter: float = 0.02

    def __post_init__(self) -> None:
        owner = f"SimDataset {self.key!r}"
        object.__setattr__(self, "subjects", tuple(self.subjects))
        object.__setattr__(self, "actions", tuple(self.actions))
        _require(bool(self.key), "SimDataset", "key must not be empty")
        _require(bool(self.subjects), owner, "needs at least one subject")
        names = [s.name for s in self.subjects]
        _require(len(set(names)) == len(names), owner, f"subject names repeat: {names}")
        _require(
            isinstance(self.takes, int) and 1 <= self.takes <= 10, owner, f"takes must be in 1..10, got {self.takes!r}"
        )
        _require(1.0 <= self.take_seconds <= 60, owner, f"take_seconds must be in [1, 60], got {self.take_seconds}")
        _require(5 <= self.fps <= 240, owner, f"fps must be in [5, 240], got {self.fps}")
        _require(
            0 <= self.segment_jitter <= 0.2, owner, f"segment_jitter must be in [0, 0.2], got {self.segment_jitter}"
        )
        if isinstance(self.rig, H36MRig):
            uncalibrated = [n for n in names if n not in H36M_CALIBRATED_SUBJECTS]
            _require(
                not uncalibrated,
                owner,
                f"the published Human3.6M rig has no calibration for {uncalibrated}; "
                f"name subjects among {', '.join(H36M_CALIBRATED_SUBJECTS)}",
            )

    @property
    def subject_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.subjects)

    def subject(self, name: str) -> SubjectTraits:
        for traits in self.subjects:
            if traits.name == name:
                return traits
        raise KeyError(f"SimDataset {self.key!r} has no subject {name!r}; it has {', '.join(self.subject_names)}")

    @property
    def camera_names(self) -> tuple[str, ...]:
        if isinstance(self.rig, H36MRig):
            return self.rig.cameras
        return tuple(f"cam{index}" for index in range(self.rig.count))

    @property
    def human36m_layout(self) -> bool:
        """Exported as a true Human3.6M folder: the four published cameras and clean 2D (as H3.6M's ground truth)."""
        return (
            isinstance(self.rig, H36MRig)
            and self.rig.cameras == H36M_CAMERA_IDS
            and self.observation.kind == "clean"
            and self.convention == KeypointConvention()
        )


@dataclass(frozen=True)
class SimDomainSpec:
    """A domain of a v2 stream: what each split selects from a :class:`SimDataset`.

    Attributes:
        name: shown in tables.
        dataset: the simulated recording it reads.
        train, test: subjects, cameras and takes of each split (``part`` stays ``all``).
        labelled: True for the source only.
        layout: ``h36m17`` or ``common16``.
        stride, test_stride: keep every ``stride``-th frame of the train split (and of the test
            split): the quick profile thins 50 fps takes as it thins Human3.6M's video.
        protocol: ``inductive`` (adapt on the train split) or ``transductive`` (the test split's 2D).
    """

    name: str
    dataset: SimDataset
    description: str = ""
    train: Selection = field(default_factory=Selection)
    test: Selection = field(default_factory=Selection)
    labelled: bool = False
    layout: str = "h36m17"
    stride: int = 1
    test_stride: int = 1
    protocol: str = "inductive"

    def __post_init__(self) -> None:
        owner = f"SimDomainSpec {self.name!r}"
        _require(bool(self.name), "SimDomainSpec", "name must not be empty")
        _require(
            self.layout in ("h36m17", "common16"), owner, f"layout must be 'h36m17' or 'common16', got {self.layout!r}"
        )
        _require(
            self.protocol in PROTOCOLS, owner, f"protocol must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}"
        )
        _require(
            not (self.labelled and self.protocol == "transductive"),
            owner,
            "the labelled source trains on its train split",
        )
        for name in ("stride", "test_stride"):
            value = getattr(self, name)
            _require(isinstance(value, int) and value >= 1, owner, f"{name} must be an int >= 1, got {value!r}")
        for split, selection in (("train", self.train), ("test", self.test)):
            _require(
                selection.part == "all", owner, f"a simulated recording has no {selection.part!r} part ({split} split)"
            )
            unknown = [s for s in selection.subjects if s not in self.dataset.subject_names]
            _require(not unknown, owner, f"{split} split names subjects {unknown} that {self.dataset.key!r} lacks")
            cameras = [c for c in selection.cameras if c not in self.dataset.camera_names]
            _require(
                not cameras,
                owner,
                f"{split} split names cameras {cameras}; {self.dataset.key!r} has {self.dataset.camera_names}",
            )
        _require(
            self.train.takes != "last" or self.dataset.takes > 1 or self.test.takes != "last",
            owner,
            "a split by takes needs at least two takes",
        )

    def selection(self, split: str) -> Selection:
        return self.train if split == "train" else self.test

    def frame_step(self, split: str) -> int:
        return self.stride if split == "train" else self.test_stride

    def subjects(self, split: str) -> tuple[str, ...]:
        """The subjects a split reads (every subject of the dataset when the selection names none)."""
        return self.selection(split).subjects or self.dataset.subject_names
