"""The explicit factors of a simulated domain: who moves, how, seen by which cameras, observed
how. Plain frozen dataclasses (no torch), validated on construction so a bad value fails where it
is written, with the field named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lifelong_pose.motion.clip import SEGMENTS


def _require(condition: bool, owner: str, message: str) -> None:
    if not condition:
        raise ValueError(f"{owner}: {message}")


def _check_range(owner: str, name: str, value: tuple[float, float], low: float = float("-inf")) -> None:
    _require(
        len(value) == 2 and value[0] <= value[1], owner, f"{name} must be (low, high) with low <= high, got {value}"
    )
    _require(value[0] >= low, owner, f"{name} must be >= {low}, got {value}")


@dataclass(frozen=True)
class BodyFactor:
    """Body proportions of the domain's subjects.

    Attributes:
        count: number of distinct bodies (subjects).
        height_mean, height_std: overall scale against the DeepMimic humanoid (about 1.6 m tall).
        segment_std: independent relative variation of each segment (left and right kept equal).
        segment_mean: mean relative scale per segment (``thigh``, ``upper_arm``, ...), default 1.
    """

    count: int = 1
    height_mean: float = 1.05
    height_std: float = 0.04
    segment_std: float = 0.05
    segment_mean: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = "BodyFactor"
        _require(
            isinstance(self.count, int) and self.count >= 1, owner, f"count must be an int >= 1, got {self.count!r}"
        )
        _require(0.5 <= self.height_mean <= 1.5, owner, f"height_mean must be in [0.5, 1.5], got {self.height_mean}")
        _require(0 <= self.height_std <= 0.2, owner, f"height_std must be in [0, 0.2], got {self.height_std}")
        _require(0 <= self.segment_std <= 0.3, owner, f"segment_std must be in [0, 0.3], got {self.segment_std}")
        unknown = set(self.segment_mean) - set(SEGMENTS)
        _require(not unknown, owner, f"unknown segments {sorted(unknown)}; known: {', '.join(SEGMENTS)}")
        _require(
            all(0.5 <= v <= 1.5 for v in self.segment_mean.values()), owner, "segment_mean values must be in [0.5, 1.5]"
        )


@dataclass(frozen=True)
class CameraRig:
    """Where cameras stand and what they are.

    Static rigs put ``count`` cameras around the subject at evenly spread azimuths (plus jitter);
    a hand-held rig (``moving=True``) follows the subject with a smooth random shake.

    Attributes:
        image_size: (width, height) in pixels.
        focal_px: (mean, std) focal length in pixels (fx = fy).
        distance_m, height_m: ranges of the horizontal distance to the subject and camera height.
        look_height_m: height of the point the camera aims at.
        azimuth_jitter_deg: uniform jitter added to the even azimuth spread.
        distortion_k1: (mean, std) first radial distortion coefficient (0 for none).
        shake_m, shake_deg: amplitude of a moving camera's position and aim wander.
    """

    name: str = "custom"
    count: int = 4
    image_size: tuple[int, int] = (1000, 1000)
    focal_px: tuple[float, float] = (1145.0, 5.0)
    principal_jitter_px: float = 5.0
    distance_m: tuple[float, float] = (4.5, 5.5)
    height_m: tuple[float, float] = (1.2, 1.7)
    look_height_m: float = 0.9
    azimuth_jitter_deg: float = 15.0
    distortion_k1: tuple[float, float] = (0.0, 0.0)
    moving: bool = False
    shake_m: float = 0.0
    shake_deg: float = 0.0

    def __post_init__(self) -> None:
        owner = f"CameraRig {self.name!r}"
        _require(
            isinstance(self.count, int) and self.count >= 1, owner, f"count must be an int >= 1, got {self.count!r}"
        )
        _require(
            len(self.image_size) == 2 and all(isinstance(v, int) and v > 0 for v in self.image_size),
            owner,
            f"image_size must be two positive ints (width, height), got {self.image_size}",
        )
        _require(
            self.focal_px[0] > 0 and self.focal_px[1] >= 0,
            owner,
            f"focal_px must be (mean > 0, std >= 0), got {self.focal_px}",
        )
        _require(self.principal_jitter_px >= 0, owner, "principal_jitter_px must be >= 0")
        _check_range(owner, "distance_m", self.distance_m, low=0.5)
        _check_range(owner, "height_m", self.height_m, low=0.05)
        _require(
            self.azimuth_jitter_deg >= 0 and self.shake_m >= 0 and self.shake_deg >= 0,
            owner,
            "jitter and shake must be >= 0",
        )
        _require(
            abs(self.distortion_k1[0]) < 0.5 and self.distortion_k1[1] >= 0,
            owner,
            "distortion_k1 must be (|mean| < 0.5, std >= 0)",
        )


@dataclass(frozen=True)
class MotionFactor:
    """Which motions, how fast, at which frame rate.

    Attributes:
        actions: action labels to keep (``walk``, ``dance``...); all clips when empty.
        speed: (low, high) uniform playback-speed range.
        fps: frame rate of the domain.
        mirror_prob: probability that a take is mirrored left-right.
        takes: takes per (body, clip segment), each with its own speed, heading and mirroring.
    """

    actions: tuple[str, ...] = ()
    speed: tuple[float, float] = (0.9, 1.1)
    fps: float = 50.0
    mirror_prob: float = 0.0
    takes: int = 1

    def __post_init__(self) -> None:
        owner = "MotionFactor"
        object.__setattr__(self, "actions", tuple(self.actions))
        _check_range(owner, "speed", self.speed, low=0.1)
        _require(5 <= self.fps <= 240, owner, f"fps must be in [5, 240], got {self.fps}")
        _require(0 <= self.mirror_prob <= 1, owner, f"mirror_prob must be in [0, 1], got {self.mirror_prob}")
        _require(
            isinstance(self.takes, int) and self.takes >= 1, owner, f"takes must be an int >= 1, got {self.takes!r}"
        )


@dataclass(frozen=True)
class ObservationModel:
    """How the 2D input is observed.

    ``clean`` is the exact projection. ``detector`` adds noise whose size is a fraction of the
    person's 2D height, heavier at wrists and ankles (as detectors are), correlated in time
    (AR(1)), with occasional gross outliers and missing joints (set to 0, flagged invisible).

    Attributes:
        noise: noise std as a fraction of the 2D person height (0.01 ~ 5 px on a 500 px person).
        temporal_correlation: AR(1) coefficient of the noise between frames, in [0, 1).
        outlier_prob, outlier_scale: probability of a gross error per joint and its std (fraction).
        missing_prob: probability that a joint is missing in a frame.
    """

    kind: Literal["clean", "detector"] = "clean"
    noise: float = 0.0
    temporal_correlation: float = 0.0
    outlier_prob: float = 0.0
    outlier_scale: float = 0.1
    missing_prob: float = 0.0

    def __post_init__(self) -> None:
        owner = "ObservationModel"
        _require(self.kind in ("clean", "detector"), owner, f"kind must be 'clean' or 'detector', got {self.kind!r}")
        _require(0 <= self.noise <= 0.2, owner, f"noise must be in [0, 0.2], got {self.noise}")
        _require(0 <= self.temporal_correlation < 1, owner, "temporal_correlation must be in [0, 1)")
        _require(0 <= self.outlier_prob <= 0.5 and self.outlier_scale >= 0, owner, "outlier_prob must be in [0, 0.5]")
        _require(0 <= self.missing_prob <= 0.5, owner, f"missing_prob must be in [0, 0.5], got {self.missing_prob}")
        if self.kind == "clean":
            _require(
                self.noise == self.outlier_prob == self.missing_prob == 0,
                owner,
                "a clean observation model has no noise",
            )


@dataclass(frozen=True)
class KeypointConvention:
    """Where a dataset puts its keypoints, relative to the H3.6M convention.

    Datasets disagree on joint definitions (3DHP's hips sit wider and its head top higher than
    H3.6M's); these offsets change the 3D labels and hence their 2D projections.

    Attributes:
        hip_width, shoulder_width: scale of the hips' (shoulders') distance from the pelvis (thorax).
        head_shift_m: move the head joint along the neck-to-head direction.
        spine_position: where Spine sits between Hip (0) and Thorax (1); None keeps the source's.
    """

    hip_width: float = 1.0
    shoulder_width: float = 1.0
    head_shift_m: float = 0.0
    spine_position: float | None = None

    def __post_init__(self) -> None:
        owner = "KeypointConvention"
        _require(0.5 <= self.hip_width <= 2.0, owner, f"hip_width must be in [0.5, 2], got {self.hip_width}")
        _require(
            0.5 <= self.shoulder_width <= 2.0, owner, f"shoulder_width must be in [0.5, 2], got {self.shoulder_width}"
        )
        _require(abs(self.head_shift_m) <= 0.2, owner, "head_shift_m must be within 0.2 m")
        _require(self.spine_position is None or 0 < self.spine_position < 1, owner, "spine_position must be in (0, 1)")


@dataclass(frozen=True)
class DomainSpec:
    """One domain of a stream: all its factors, its joint layout and whether it is labelled.

    Attributes:
        name: shown in tables (``h36m_like``).
        world_key: identity of the domain's takes; two domains with the same keys and factors
            are the same domain (a stream revisits a domain by repeating its spec).
        body_key, camera_key: identity of the sampled bodies and cameras (default: world_key);
            domains that share a key share those subjects or that rig, as H3.6M's subjects
            share its four cameras.
        labelled: True for the source (its 3D is in the train dataset), False for targets.
        layout: ``h36m17`` or ``common16``.
        test_fraction: share of every clip held out, as contiguous segments, for the test split.
    """

    name: str
    description: str = ""
    world_key: str = ""
    body_key: str = ""
    camera_key: str = ""
    bodies: BodyFactor = field(default_factory=BodyFactor)
    cameras: CameraRig = field(default_factory=CameraRig)
    motion: MotionFactor = field(default_factory=MotionFactor)
    observation: ObservationModel = field(default_factory=ObservationModel)
    convention: KeypointConvention = field(default_factory=KeypointConvention)
    layout: str = "h36m17"
    labelled: bool = False
    test_fraction: float = 0.2

    def __post_init__(self) -> None:
        owner = f"DomainSpec {self.name!r}"
        _require(bool(self.name), "DomainSpec", "name must not be empty")
        _require(
            self.layout in ("h36m17", "common16"), owner, f"layout must be 'h36m17' or 'common16', got {self.layout!r}"
        )
        _require(
            0.05 <= self.test_fraction <= 0.5, owner, f"test_fraction must be in [0.05, 0.5], got {self.test_fraction}"
        )
        for key in ("world_key", "body_key", "camera_key"):
            if not getattr(self, key):
                object.__setattr__(self, key, self.world_key or self.name)
