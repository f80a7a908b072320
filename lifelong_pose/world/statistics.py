"""Per-frame statistics that show how domains differ (the shift a strategy must adapt to)."""

from __future__ import annotations

import torch

from lifelong_pose.data.domain import DomainData
from lifelong_pose.geometry.bones import bone_lengths

# (joint, parent, child) triples whose inner angle we report, by name.
_ANGLES = {
    "left_knee": ("LKnee", "LHip", "LFoot"),
    "right_knee": ("RKnee", "RHip", "RFoot"),
    "left_elbow": ("LElbow", "LShoulder", "LWrist"),
    "right_elbow": ("RElbow", "RShoulder", "RWrist"),
}


def frame_statistics(data: DomainData) -> dict[str, torch.Tensor]:
    """Per-frame shift statistics of a split with 3D.

    Returns:
        ``box_scale`` (N,) 2D box height, normalised units; ``root_x``, ``root_y`` (N,) 2D root
        position; ``depth`` (N,) root distance from the camera, m; ``bone_lengths`` (N, B) mm;
        ``<joint>_angle`` (N,) inner joint angle in degrees (180 = straight).
    """
    if data.X3d is None or data.root is None:
        raise ValueError(f"{data.name}: statistics need the 3D (use a test split or a labelled train split)")
    visible = data.visible[..., None]
    big = torch.finfo(data.x2d.dtype).max
    top = torch.where(visible, data.x2d, torch.full_like(data.x2d, big))[..., 1].amin(dim=-1)
    bottom = torch.where(visible, data.x2d, torch.full_like(data.x2d, -big))[..., 1].amax(dim=-1)
    stats = {
        "box_scale": bottom - top,
        "root_x": data.x2d[:, 0, 0],
        "root_y": data.x2d[:, 0, 1],
        "depth": data.root.norm(dim=-1),
        "bone_lengths": bone_lengths(data.X3d, data.layout) * 1000,
    }
    layout = data.layout
    for name, (joint, a, b) in _ANGLES.items():
        centre = data.X3d[:, layout.index(joint)]
        u = data.X3d[:, layout.index(a)] - centre
        v = data.X3d[:, layout.index(b)] - centre
        cosine = (u * v).sum(-1) / (u.norm(dim=-1) * v.norm(dim=-1)).clamp_min(1e-9)
        stats[f"{name}_angle"] = torch.rad2deg(torch.arccos(cosine.clamp(-1, 1)))
    return stats


def summary_table(domains: list[DomainData]) -> list[dict[str, float | str]]:
    """Mean and spread of each statistic per domain: one row per domain, for tables and tests."""
    rows: list[dict[str, float | str]] = []
    for data in domains:
        stats = frame_statistics(data)
        bones = stats.pop("bone_lengths")
        row: dict[str, float | str] = {"domain": data.name, "frames": float(len(data))}
        for key, value in stats.items():
            row[f"{key}_mean"] = float(value.mean())
            row[f"{key}_std"] = float(value.std())
        angles = torch.stack([stats[f"{k}_angle"] for k in _ANGLES], dim=-1)
        row["angle_range_deg"] = float(angles.amax() - angles.amin())
        row["bone_length_mean_mm"] = float(bones.mean())
        row["leg_length_mm"] = float(_leg(bones, data).mean())
        rows.append(row)
    return rows


def _leg(bones: torch.Tensor, data: DomainData) -> torch.Tensor:
    names = data.layout.bone_names
    return bones[:, names.index("RHip->RKnee")] + bones[:, names.index("RKnee->RFoot")]
