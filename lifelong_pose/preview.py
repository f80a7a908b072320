"""A picture of every domain of a scenario: what the camera sees, the 3D, and the shifts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lifelong_pose.world.statistics import frame_statistics

if TYPE_CHECKING:
    from lifelong_pose.scenario import Scenario


def _draw_2d(ax, x2d: np.ndarray, image_w: float, image_h: float, parents: tuple[int, ...], left: set[int]) -> None:
    ax.set_xlim(-1, 1)
    ax.set_ylim(image_h / image_w, -image_h / image_w)
    ax.set_aspect("equal")
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((-1, -image_h / image_w), 2, 2 * image_h / image_w, fill=False, lw=0.8))  # the image
    for pose in x2d:
        for child, parent in enumerate(parents):
            if parent >= 0:
                colour = "tab:red" if child in left else "tab:blue"
                ax.plot(pose[[parent, child], 0], pose[[parent, child], 1], color=colour, lw=1)
    ax.set_xticks([])
    ax.set_yticks([])


def _draw_3d(ax, X3d: np.ndarray, parents: tuple[int, ...], left: set[int]) -> None:
    for index, pose in enumerate(X3d):
        shift = (index - (len(X3d) - 1) / 2) * 0.9  # side by side, camera x to the right
        for child, parent in enumerate(parents):
            if parent >= 0:
                colour = "tab:red" if child in left else "tab:blue"
                # camera frame: x right, y down, z forward -> plot (x, z, -y)
                ax.plot(
                    pose[[parent, child], 0] + shift,
                    pose[[parent, child], 2],
                    -pose[[parent, child], 1],
                    color=colour,
                    lw=1,
                )
    ax.set_box_aspect((max(len(X3d), 1) * 0.9, 0.9, 1.8))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_zticks([])


MAX_PREVIEW_POSES = 64
"""More poses per domain than this make an unreadable picture (and a typo's allocation)."""


def preview_path(out: str | Path, poses_per_domain: int) -> Path:
    """The file a preview will write, checked before anything is built (see :func:`render_preview`).

    Raises:
        ValueError: ``poses_per_domain`` out of range; a path without an image format's extension
            (one is never added: the path written is the path given), a format matplotlib cannot
            write, a path that exists and is not a regular file (``/dev/full``, a folder, a FIFO),
            or a folder that does not exist or cannot be written to.
    """
    if not 1 <= poses_per_domain <= MAX_PREVIEW_POSES:
        raise ValueError(f"--poses must be between 1 and {MAX_PREVIEW_POSES} per domain, got {poses_per_domain}")
    out = Path(out)
    if out.exists() and not out.is_file():
        kind = "a folder" if out.is_dir() else "not a regular file (a device, FIFO or socket)"
        raise ValueError(f"cannot write {out}: it is {kind}; give the path of an image file, e.g. preview.png")
    formats = _image_formats()
    suffix = out.suffix.lower().lstrip(".")
    if suffix not in formats:
        given = f"its extension {out.suffix!r} is no image format" if out.suffix else "it has no extension"
        raise ValueError(
            f"cannot write {out}: {given}; the extension says the format: one of {', '.join(sorted(formats))} "
            f"(e.g. {out.with_suffix('.png').name})"
        )
    if not out.parent.is_dir():
        raise ValueError(f"cannot write {out}: {out.parent} is not an existing folder")
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ValueError(f"cannot write {out}: no permission to write there")
    return out


def _image_formats() -> set[str]:
    """The extensions matplotlib's Agg canvas writes (png, pdf, svg, jpg, ...)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return set(FigureCanvasAgg.get_supported_filetypes())


def render_preview(scenario: Scenario, out: str | Path, poses_per_domain: int = 4, seed: int = 0) -> Path:
    """Draw, per domain, a few 2D poses as the camera sees them and their 3D skeletons; then the
    distributions that differ between domains (2D scale, root position, depth, bone lengths).

    Returns:
        The path written, exactly as given: its extension names the format (PNG, PDF, SVG, ...).

    Raises:
        ValueError: ``poses_per_domain`` outside 1..:data:`MAX_PREVIEW_POSES` (drawing nothing is no
            picture), or an output that cannot be written as given (:func:`preview_path`).
    """
    out = preview_path(out, poses_per_domain)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    rng = np.random.default_rng(seed)
    count = scenario.num_domains
    fig = plt.figure(figsize=(4.2 * count, 12))
    grid = fig.add_gridspec(3, count, height_ratios=[1.2, 1.2, 1.0])
    frames = []
    for index in range(count):
        data = scenario.test_data(index)
        layout = data.layout
        left = set(layout.left_joints)
        picks = rng.choice(len(data), size=min(poses_per_domain, len(data)), replace=False)
        w, h = (float(v) for v in data.image_size[0])
        ax2d = fig.add_subplot(grid[0, index])
        _draw_2d(ax2d, data.x2d[picks].numpy(), w, h, layout.parents, left)
        role = "source" if scenario.domains[index].labelled else "target"
        ax2d.set_title(f"{index}: {data.name} ({role})\n{int(w)}x{int(h)} px, {data.fps:g} fps", fontsize=9)
        ax3d = fig.add_subplot(grid[1, index], projection="3d")
        _draw_3d(ax3d, data.X3d[picks].numpy(), layout.parents, left)
        stats = frame_statistics(data)
        frame = pd.DataFrame(
            {
                "domain": data.name,
                "2D box height (normalised)": stats["box_scale"].numpy(),
                "root x (normalised)": stats["root_x"].numpy(),
                "camera distance (m)": stats["depth"].numpy(),
                "leg length (mm)": (
                    stats["bone_lengths"][:, layout.bone_names.index("RHip->RKnee")]
                    + stats["bone_lengths"][:, layout.bone_names.index("RKnee->RFoot")]
                ).numpy(),
            }
        )
        frames.append(frame.sample(n=min(len(frame), 3000), random_state=seed))
    table = pd.concat(frames, ignore_index=True)
    columns = [c for c in table.columns if c != "domain"]
    bottom = grid[2, :].subgridspec(1, len(columns))
    for k, column in enumerate(columns):
        ax = fig.add_subplot(bottom[0, k])
        sns.violinplot(
            data=table, x="domain", y=column, ax=ax, cut=0, density_norm="width", inner="quartile", linewidth=0.7
        )
        ax.tick_params(axis="x", rotation=45, labelsize=7)
        ax.set_xlabel("")
    fig.suptitle(f"{scenario.spec.id} (data={scenario.data_backend}, seed={scenario.seed}, profile={scenario.profile})")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, format=out.suffix.lower().lstrip("."))
    plt.close(fig)
    return out
