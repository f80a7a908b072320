"""Record a simulated capture: each subject performs each script in takes, each camera films them.

The output has the shape of a dataset file as the real-data readers produce it: one
:class:`~lifelong_pose.datasets.sequences.PoseSequence` per camera view of a take (pixels, camera
metres, the camera's intrinsics), so a simulated domain goes through the same selection and
conversion as a real one (:func:`~lifelong_pose.datasets.build.select`,
:func:`~lifelong_pose.datasets.sequences.to_domain_data`). A capture filmed by the published
Human3.6M rig keeps its world-frame 3D too, in float32 as Human3.6M's file stores it, and its
views are made from that 3D by the same conversion the Human3.6M reader applies, so a capture
exported and read back is bit for bit the capture recorded.

Seeds derive from ``(world seed, dataset key, subject, script, take)``: a subject's takes are
the same whichever other subjects are recorded, and at every frame step.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch

from lifelong_pose.datasets.h36m import Camera, camera_view, published_cameras
from lifelong_pose.datasets.sequences import PoseSequence
from lifelong_pose.geometry.camera import project_to_2d, world_to_camera
from lifelong_pose.motion.clip import MotionClip
from lifelong_pose.seeding import world_seed
from lifelong_pose.world.bodies import Body
from lifelong_pose.world.cameras import camera_poses, sample_cameras
from lifelong_pose.world.generate import MIN_DEPTH_M, apply_convention
from lifelong_pose.world.observation import observe
from lifelong_pose.world.performance import Script, perform
from lifelong_pose.world.sim_spec import H36MRig, SimDataset, SubjectTraits

# A clip that does not loop is repeated to fill a take; one shorter than this would be mostly
# blends between repetitions, so it is left out (a quarter of a 4 s take).
MIN_CLIP_SECONDS = 1.0


@dataclass(frozen=True)
class RecordedTake:
    """One take of one subject: its world 3D (Human3.6M rig only) and every camera's view.

    Attributes:
        subject, action: ``S1``, ``Walk 1`` (the take's name, as Human3.6M names its files).
        world: (F, 17, 3) float32 world metres, or None for a sampled (possibly moving) rig.
        views: one per camera, in the rig's order.
    """

    subject: str
    action: str
    world: np.ndarray | None
    views: list[PoseSequence]


def script_library(clips: list[MotionClip], source: str = "the motion library") -> dict[str, Script]:
    """Scripts by name. A clip that does not loop and lasts less than :data:`MIN_CLIP_SECONDS`
    is left out with a warning naming it; two clips of one name are told apart by a number.

    Args:
        source: where the clips come from, for messages (``bvh_dir /data/bvh``).

    Raises:
        ValueError: no clip is long enough (naming the source, the minimum and the longest clip).
    """
    library: dict[str, Script] = {}
    short = []
    for clip in clips:
        if not clip.loop and clip.duration < MIN_CLIP_SECONDS:
            short.append(clip)
            continue
        script = Script.from_clip(clip)
        name, number = script.name, 2
        while name in library:
            name, number = f"{script.name}{number}", number + 1
        library[name] = Script(name, script.clip, script.hinges)
    for clip in short:
        warnings.warn(
            f"{source}: motion clip {clip.name!r} lasts {clip.duration:.2f} s and does not loop; a take needs at "
            f"least {MIN_CLIP_SECONDS:g} s of motion to repeat, so it is left out",
            stacklevel=2,
        )
    if not library:
        longest = max((c.duration for c in clips), default=0.0)
        raise ValueError(
            f"{source}: none of its {len(clips)} clip(s) is long enough for a take: a clip that does not loop "
            f"must last at least {MIN_CLIP_SECONDS:g} s (the longest lasts {longest:.2f} s)"
        )
    return library


def session_scripts(dataset: SimDataset, library: dict[str, Script]) -> list[Script]:
    """The scripts of ``dataset``'s action set, by name.

    Raises:
        ValueError: an action no clip of the library performs.
    """
    if not dataset.actions:
        return [library[name] for name in sorted(library)]
    known = sorted({s.clip.action for s in library.values()})
    unknown = [a for a in dataset.actions if a not in known]
    if unknown:
        raise ValueError(f"SimDataset {dataset.key!r}: unknown actions {unknown}; the motion library has {known}")
    return [library[name] for name in sorted(library) if library[name].clip.action in dataset.actions]


def subject_body(dataset: SimDataset, traits: SubjectTraits, seed: int) -> Body:
    """The subject's body in world ``seed``: their mean proportions, each segment jittered."""
    from lifelong_pose.motion.clip import SEGMENTS

    rng = np.random.default_rng(world_seed(seed, "body", dataset.key, traits.name))
    noise = rng.normal(0.0, dataset.segment_jitter, size=len(SEGMENTS))
    segments = {
        name: float(np.clip(traits.segments.get(name, 1.0) + eps, 0.6, 1.5))
        for name, eps in zip(SEGMENTS, noise, strict=True)
    }
    return Body(traits.height, segments)


def _capture_centre(cameras: list[Camera]) -> np.ndarray:
    """The floor point nearest to every camera's optical axis (where the rig looks), z = 0."""
    normal = np.zeros((3, 3))
    offset = np.zeros(3)
    for camera in cameras:
        forward = camera.rotation[2]
        projector = np.eye(3) - np.outer(forward, forward)
        normal += projector
        offset += projector @ camera.centre
    centre = np.linalg.solve(normal, offset)
    return np.array([centre[0], centre[1], 0.0])


def record_subject(
    dataset: SimDataset, subject: str, scripts: list[Script], seed: int, frame_step: int = 1
) -> list[RecordedTake]:
    """Every take of ``subject`` in ``dataset``, at frames ``0, frame_step, ...`` of each take.

    Raises:
        ValueError: a joint within 0.2 m of a camera (the rig stands too close).
    """
    traits = dataset.subject(subject)
    scale_of = subject_body(dataset, traits, seed)
    fps = dataset.fps / frame_step
    takes = []
    for script in scripts:
        bone_scale = scale_of.bone_scale(script.clip.skeleton)
        for take in range(dataset.takes):
            rng = np.random.default_rng(world_seed(seed, "take", dataset.key, subject, script.name, take))
            performed = perform(
                script,
                bone_scale,
                traits.style,
                take_seconds=dataset.take_seconds,
                fps=dataset.fps,
                rng=rng,
                frame_step=frame_step,
            )
            X = apply_convention(performed.positions, dataset.convention)
            name = script.take_name(take)
            if isinstance(dataset.rig, H36MRig):
                takes.append(_film_h36m(dataset, subject, name, X, fps, rng))
            else:
                takes.append(_film_sampled(dataset, subject, name, X, fps, seed, rng))
    return takes


def _film_h36m(
    dataset: SimDataset, subject: str, action: str, X: np.ndarray, fps: float, rng: np.random.Generator
) -> RecordedTake:
    assert isinstance(dataset.rig, H36MRig)
    cameras = [c for c in published_cameras(subject) if c.id in dataset.rig.cameras]
    world = (X + _capture_centre(published_cameras(subject))).astype(np.float32)
    views = []
    for camera in cameras:
        X_cam = (world - camera.centre) @ camera.rotation.T
        x_px, visible = _observe(dataset, _project(X_cam, camera.intrinsics_px, dataset.key), rng)
        views.append(
            camera_view(
                subject, action, camera, world, x_px.astype(np.float32), None if visible.all() else visible, fps
            )
        )
    return RecordedTake(subject, action, world, views)


def _film_sampled(
    dataset: SimDataset, subject: str, action: str, X: np.ndarray, fps: float, seed: int, rng: np.random.Generator
) -> RecordedTake:
    rig = dataset.rig
    assert not isinstance(rig, H36MRig)
    cameras = sample_cameras(rig, np.random.default_rng(world_seed(seed, "cameras", dataset.key)))
    views = []
    for index, camera in enumerate(cameras):
        rotation, centre = camera_poses(camera, rig, X[:, 0], fps, hold_edges=True)
        X_cam = world_to_camera(torch.as_tensor(X), rotation, centre).numpy()
        x_px, visible = _observe(dataset, _project(X_cam, camera.intrinsics_px, dataset.key), rng)
        views.append(
            PoseSequence(
                subject=subject,
                action=action,
                camera=f"cam{index}",
                x2d_px=x_px.astype(np.float32),
                X3d=X_cam.astype(np.float32),
                intrinsics_px=camera.intrinsics_px,
                image_size=rig.image_size,
                layout="h36m17",
                fps=fps,
                visible=None if visible.all() else visible,
            )
        )
    return RecordedTake(subject, action, None, views)


def _project(X_cam: np.ndarray, intrinsics_px: np.ndarray, key: str) -> np.ndarray:
    if (X_cam[..., 2] < MIN_DEPTH_M).any():
        raise ValueError(f"SimDataset {key!r}: a joint came within {MIN_DEPTH_M} m of a camera; move the rig back")
    X = torch.as_tensor(np.asarray(X_cam, dtype=np.float64))
    return project_to_2d(X, torch.as_tensor(intrinsics_px)).numpy()


def _observe(dataset: SimDataset, x_px: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The observation model applied to one view (one sequence)."""
    height = x_px[..., 1].max(axis=-1) - x_px[..., 1].min(axis=-1)
    return observe(x_px, np.array([len(x_px)]), height, dataset.observation, rng)
