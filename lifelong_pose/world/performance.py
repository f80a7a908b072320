"""Takes: one performance of a motion clip, varied as a person varies a scripted action.

Human3.6M films every subject performing the same scripts (walking, greeting, ...) more than
once; no two takes hold the same frames, yet every take is the same action. A take here is made
from a clip the same way, with five variations, each smooth in time, bounded and seeded:

- **tempo**: a non-uniform time warp: the playback rate is the subject's pace times
  ``exp(tempo_variation * n(t))`` for a smooth noise ``n`` in [-1, 1];
- **phase**: a looping clip (a cycle) starts anywhere in its cycle;
- **joint angles**: every joint's local rotation is offset by a smooth rotation of at most
  ``angle_variation`` radians per axis; a hinge (knee, elbow: every rotation about one axis)
  is offset about its own axis only and never bends the wrong way;
- **root path and facing**: the path turns with a curvature (1/m) that varies smoothly, so the
  body turns as it travels and a walk bends into an arc (as subjects walk around the lab), and
  the body also turns on the spot at a smooth rate of up to ``turn_rate`` (rad/s); the take
  starts facing a random direction;
- **handedness**: a take is performed mirrored with the subject's ``mirror_prob``.

A take lasts ``take_seconds``: a looping clip plays cycle after cycle, its root carried along; a
clip that does not loop is repeated ``round(take_seconds / duration)`` times (at least once),
each repetition starting where the last one stood, its first ``BLEND_SECONDS`` blended from the
last pose. Frames are sampled pointwise in time, so a take sampled every 10th frame holds exactly
the frames of the same take at full rate (what the export and the real-data reader rely on).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial.transform import Rotation

from lifelong_pose.geometry.skeleton import H36M17
from lifelong_pose.motion.clip import MotionClip
from lifelong_pose.motion.kinematics import h36m_positions
from lifelong_pose.motion.resample import root_at, sample_clip, slerp
from lifelong_pose.world.sim_spec import PerformanceStyle

BLEND_SECONDS = 0.25
# Smooth noise: a sum of sinusoids of random frequency and phase, normalised to [-1, 1].
_WAVES = 3
_FREQUENCY_HZ = (0.15, 0.8)
# A hinge is a joint whose every non-trivial rotation is about one axis (within this sine).
_HINGE_TOLERANCE = 0.05
_HINGE_MIN_ANGLE = 0.05
# How far past straight a hinge may be pushed (radians): a knee does not bend backwards.
_HINGE_OVERSHOOT = 0.02


@dataclass(frozen=True)
class Take:
    """One performance, as world positions of the 17 H3.6M joints.

    Attributes:
        positions: (F, 17, 3) world metres, z up, root path centred on the origin, at frames
            ``0, frame_step, 2 * frame_step, ...`` of the full-rate take.
        full_frames: frames of the take at the full frame rate.
        mirrored: performed mirrored.
    """

    positions: np.ndarray
    full_frames: int
    mirrored: bool


class SmoothNoise:
    """``channels`` smooth functions of time in [-1, 1] (sums of sinusoids), evaluated pointwise."""

    def __init__(self, channels: int, rng: np.random.Generator) -> None:
        self.frequency = rng.uniform(*_FREQUENCY_HZ, size=(channels, _WAVES))
        self.phase = rng.uniform(0, 2 * np.pi, size=(channels, _WAVES))
        self.weight = rng.uniform(0.5, 1.0, size=(channels, _WAVES))

    def __call__(self, t: np.ndarray) -> np.ndarray:
        """(T,) seconds -> (T, channels)."""
        waves = np.sin(2 * np.pi * self.frequency * t[:, None, None] + self.phase) * self.weight
        return waves.sum(axis=-1) / self.weight.sum(axis=-1)


def _yaw(quaternions: np.ndarray) -> np.ndarray:
    """Heading (radians about z) of rotations' local x axis; differences are what matter."""
    forward = Rotation.from_quat(quaternions).apply(np.array([1.0, 0.0, 0.0]))
    forward = np.atleast_2d(forward)
    return np.arctan2(forward[:, 1], forward[:, 0])


def _about_z(angle: np.ndarray) -> Rotation:
    angle = np.atleast_1d(angle)
    return Rotation.from_rotvec(np.stack([np.zeros_like(angle), np.zeros_like(angle), angle], axis=-1))


def _carried(piece: MotionClip, end_position: np.ndarray, end_rotation: np.ndarray) -> MotionClip:
    """``piece`` turned about z and moved on the floor so that it starts where ``end_*`` stands."""
    turn = _yaw(end_rotation[None])[0] - _yaw(piece.rotations[:1, 0])[0]
    rz = _about_z(np.array(turn))
    offset = piece.root_position - piece.root_position[:1]
    moved = rz.apply(offset * np.array([1.0, 1.0, 0.0])) + np.array([*end_position[:2], 0.0])
    moved[:, 2] = piece.root_position[:, 2]
    rotations = piece.rotations.copy()
    rotations[:, 0] = (rz * Rotation.from_quat(piece.rotations[:, 0])).as_quat()
    return replace(piece, root_position=moved, rotations=rotations)


def _blend_start(piece: MotionClip, previous: MotionClip, frames: int) -> MotionClip:
    """The first ``frames`` of ``piece`` eased out of ``previous``'s last pose (slerp per joint)."""
    frames = min(frames, piece.num_frames)
    if frames == 0:
        return piece
    weight = np.arange(1, frames + 1) / (frames + 1)  # share of the new pose
    rotations = piece.rotations.copy()
    last = np.broadcast_to(previous.rotations[-1], rotations[:frames].shape)
    rotations[:frames] = slerp(last, rotations[:frames], np.broadcast_to(weight[:, None], (frames, rotations.shape[1])))
    root = piece.root_position.copy()
    root[:frames, 2] = (1 - weight) * previous.root_position[-1, 2] + weight * root[:frames, 2]
    return replace(piece, root_position=root, rotations=rotations)


def chain(clip: MotionClip, repetitions: int) -> MotionClip:
    """``clip`` performed ``repetitions`` times in a row, each starting where the last one ended.

    A looping clip's last frame is its next cycle's first, so that frame is shared; other clips
    are laid end to end, each repetition's start blended out of the last pose.
    """
    if repetitions < 1:
        raise ValueError(f"repetitions must be >= 1, got {repetitions}")
    pieces = [clip]
    blend = round(BLEND_SECONDS * clip.fps)
    for _ in range(repetitions - 1):
        previous = pieces[-1]
        piece = _carried(clip, previous.root_position[-1], previous.rotations[-1, 0])
        if clip.loop:
            piece = replace(piece, root_position=piece.root_position[1:], rotations=piece.rotations[1:])
        else:
            piece = _blend_start(piece, previous, blend)
        pieces.append(piece)
    return replace(
        clip,
        root_position=np.concatenate([p.root_position for p in pieces]),
        rotations=np.concatenate([p.rotations for p in pieces]),
    )


def _hinge_axes(clip: MotionClip) -> dict[int, tuple[np.ndarray, bool]]:
    """Joints whose rotations all turn about one axis: ``{joint: (axis, bends_negative)}``."""
    hinges = {}
    for joint in range(1, clip.skeleton.num_joints):
        rotvec = Rotation.from_quat(clip.rotations[:, joint]).as_rotvec()
        angle = np.linalg.norm(rotvec, axis=-1)
        bent = angle > _HINGE_MIN_ANGLE
        if bent.sum() < 2:
            continue
        axes = rotvec[bent] / angle[bent, None]
        axis = axes[0] * np.sign(axes @ axes[0])[:, None]
        mean = axis.mean(axis=0)
        mean /= np.linalg.norm(mean)
        if np.linalg.norm(np.cross(axes, mean), axis=-1).max() < _HINGE_TOLERANCE:
            hinges[joint] = (mean, bool(np.median(rotvec @ mean) < 0))
    return hinges


def _vary_angles(
    rotations: np.ndarray,
    times: np.ndarray,
    amplitude: float,
    hinges: dict[int, tuple[np.ndarray, bool]],
    noise: SmoothNoise,
) -> np.ndarray:
    """Local rotations (F, J, 4) offset by smooth bounded rotations (hinges about their axis only)."""
    if amplitude == 0:
        return rotations
    frames, joints = rotations.shape[:2]
    offsets = amplitude * noise(times).reshape(frames, joints, 3)
    offsets[:, 0] = 0.0  # the root's orientation varies through the path, not here
    varied = Rotation.from_quat(rotations.reshape(-1, 4)) * Rotation.from_rotvec(offsets.reshape(-1, 3))
    out = varied.as_quat().reshape(frames, joints, 4)
    for joint, (axis, negative) in hinges.items():
        angle = Rotation.from_quat(rotations[:, joint]).as_rotvec() @ axis + offsets[:, joint, 0]
        angle = np.minimum(angle, _HINGE_OVERSHOOT) if negative else np.maximum(angle, -_HINGE_OVERSHOOT)
        out[:, joint] = Rotation.from_rotvec(angle[:, None] * axis).as_quat()
    out[:, 0] = rotations[:, 0]
    return out


@dataclass(frozen=True)
class Script:
    """A clip as an action that subjects perform in takes.

    Attributes:
        name: the action's name in Human3.6M's style (``Walk``, ``GetupFacedown``); takes are
            ``Walk``, ``Walk 1``, ``Walk 2``, ... as in Human3.6M's files.
        clip: the motion performed.
        hinges: joints that turn about one axis only (found in the clip), kept that way.
    """

    name: str
    clip: MotionClip
    hinges: dict[int, tuple[np.ndarray, bool]]

    @classmethod
    def from_clip(cls, clip: MotionClip) -> Script:
        return cls(script_name(clip.name), clip, _hinge_axes(clip))

    def take_name(self, take: int) -> str:
        """Human3.6M's take names: the first take is the bare action, then ``Action 1``, ..."""
        return self.name if take == 0 else f"{self.name} {take}"


def script_name(clip_name: str) -> str:
    """``deepmimic/getup_facedown`` -> ``GetupFacedown``; ``deepmimic/walker_walk_forward`` -> ``WalkForward``.

    CamelCase with no spaces, so that a trailing `` N`` always marks a take.
    """
    stem = clip_name.rsplit("/", 1)[-1].removeprefix("walker_")
    words = [w for w in stem.replace("-", "_").replace(" ", "_").split("_") if w]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Motion"


def perform(
    script: Script,
    bone_scale: np.ndarray,
    style: PerformanceStyle,
    *,
    take_seconds: float,
    fps: float,
    rng: np.random.Generator,
    frame_step: int = 1,
) -> Take:
    """One take of ``script`` by a body with ``bone_scale`` performing in ``style``.

    Every random draw happens before any frame is evaluated, and no draw depends on
    ``frame_step``, so the same generator state gives the same take at any frame step.

    Args:
        bone_scale: (J,) the body's scale of each joint offset of the clip's skeleton.
        take_seconds: length of a take of a looping clip (other clips: about this long).
        fps: frame rate of the take.
        frame_step: keep frames ``0, frame_step, 2 frame_step, ...`` of the full-rate take.
    """
    if take_seconds <= 0 or fps <= 0 or frame_step < 1:
        raise ValueError(f"need take_seconds > 0, fps > 0, frame_step >= 1; got {take_seconds}, {fps}, {frame_step}")
    clip = script.clip
    pace = rng.uniform(*style.speed)
    tempo = SmoothNoise(1, rng)
    angles = SmoothNoise(clip.skeleton.num_joints * 3, rng)
    bend = SmoothNoise(2, rng)
    curvature = rng.uniform(*style.curvature) * rng.choice([-1.0, 1.0])
    heading = rng.uniform(0, 2 * np.pi)
    mirrored = bool(rng.random() < style.mirror_prob)
    phase = rng.uniform(0, clip.duration) if clip.loop else 0.0

    # the source time line at full rate: a warped clock started at the phase; a looping clip
    # plays for take_seconds, any other clip until its repetitions end
    fastest, slowest = pace * np.exp(style.tempo_variation), pace * np.exp(-style.tempo_variation)
    if clip.loop:
        repetitions = int(np.ceil((phase + take_seconds * fastest) / clip.duration)) + 1
        frames = round(take_seconds * fps)
    else:
        repetitions = max(1, round(take_seconds / clip.duration))
        frames = int(np.ceil(repetitions * clip.duration / slowest * fps)) + 2
    performed = chain(clip, repetitions)
    rate = pace * np.exp(style.tempo_variation * tempo(np.arange(frames) / fps)[:, 0])
    source = phase + np.concatenate([[0.0], np.cumsum(rate[:-1]) / fps])
    if not clip.loop:
        frames = max(2, int(np.searchsorted(source, performed.duration, side="right")))
        source = np.minimum(source[:frames], performed.duration)
    times = np.arange(frames) / fps

    # the root path at full rate (cheap): turned by the curvature, centred on the origin
    root = root_at(performed, source)
    step = np.diff(root[:, :2], axis=0)
    wander = bend(times[:-1])
    travelled = np.linalg.norm(step, axis=-1)
    turning = curvature * (1 + 0.3 * wander[:, 0]) * travelled + style.turn_rate * wander[:, 1] / fps
    yaw = np.concatenate([[0.0], np.cumsum(turning)])
    turned = _about_z(yaw[:-1]).apply(np.concatenate([step, np.zeros((len(step), 1))], axis=1))[:, :2]
    path = np.concatenate([np.zeros((1, 2)), np.cumsum(turned, axis=0)])
    path -= path.mean(axis=0)

    # only the kept frames are posed
    kept = np.arange(0, frames, frame_step)
    posed = sample_clip(performed, source[kept], fps / frame_step)
    rotations = _vary_angles(posed.rotations, times[kept], style.angle_variation, script.hinges, angles)
    rotations[:, 0] = (_about_z(yaw[kept]) * Rotation.from_quat(rotations[:, 0])).as_quat()
    posed = replace(posed, root_position=np.concatenate([path[kept], root[kept, 2:]], axis=1), rotations=rotations)
    X = h36m_positions(posed, bone_scale)
    c, s = np.cos(heading), np.sin(heading)
    X = X @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T
    if mirrored:  # a valid motion again: the lateral axis negated, left and right swapped
        X = (X * np.array([1.0, -1.0, 1.0]))[:, list(H36M17.mirror_permutation)]
    return Take(X, frames, mirrored)
