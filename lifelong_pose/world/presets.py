"""Stand-ins for the real datasets' capture set-ups.

Numbers follow the published set-ups where they are known: Human3.6M's four lab cameras at
about chest height, 1000x1000 px, f ~ 1145 px, 50 fps; MPI-INF-3DHP's studio with many cameras
including high and low views, 2048x2048 px, f ~ 1500 px; 3DPW's hand-held phone, 1080x1920 px
portrait, f ~ 1960 px, 30 fps, detected 2D. Distances and heights are our estimates.
"""

from __future__ import annotations

from lifelong_pose.world.factors import CameraRig, KeypointConvention, ObservationModel


def h36m_lab_rig(count: int = 4) -> CameraRig:
    return CameraRig(
        name="h36m_lab", count=count, image_size=(1000, 1000), focal_px=(1145.0, 2.0),
        distance_m=(4.5, 5.8), height_m=(1.3, 1.7), look_height_m=0.9, azimuth_jitter_deg=10.0,
    )  # fmt: skip


def hp3d_studio_rig(count: int = 8) -> CameraRig:
    return CameraRig(
        name="3dhp_studio", count=count, image_size=(2048, 2048), focal_px=(1500.0, 20.0),
        distance_m=(3.5, 5.0), height_m=(0.3, 2.8), look_height_m=0.9, azimuth_jitter_deg=20.0,
        distortion_k1=(0.0, 0.02),
    )  # fmt: skip


def pw3d_handheld_rig(count: int = 1) -> CameraRig:
    return CameraRig(
        name="3dpw_handheld", count=count, image_size=(1080, 1920), focal_px=(1960.0, 40.0),
        principal_jitter_px=15.0, distance_m=(2.5, 5.0), height_m=(1.2, 1.7), look_height_m=1.0,
        azimuth_jitter_deg=40.0, moving=True, shake_m=0.15, shake_deg=3.0,
    )  # fmt: skip


CLEAN = ObservationModel()
# CPN-like detections on lab video: small, temporally smooth errors.
DETECTOR_LAB = ObservationModel(kind="detector", noise=0.006, temporal_correlation=0.7, outlier_prob=0.002)
# In-the-wild detections: larger errors, outliers and the odd missing joint.
DETECTOR_WILD = ObservationModel(
    kind="detector", noise=0.012, temporal_correlation=0.6, outlier_prob=0.01, outlier_scale=0.08, missing_prob=0.02
)

H36M_CONVENTION = KeypointConvention()
# 3DHP's pelvis and hips sit wider and its head joint higher than H3.6M's (our estimate).
HP3D_CONVENTION = KeypointConvention(hip_width=1.15, head_shift_m=0.04, spine_position=0.45)
# 3DPW's SMPL-regressed joints: wider hips, head lower.
PW3D_CONVENTION = KeypointConvention(hip_width=1.25, shoulder_width=1.05, head_shift_m=-0.02)
