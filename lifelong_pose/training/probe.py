"""The figures an adversarial adaptation reports about its own networks, from one probe batch.

A method with generators and a critic calls :func:`adversarial_figures` in its
:meth:`~lifelong_pose.training.LifelongStrategy.adaptation_diagnostics` with what its networks
made of a probe batch (:meth:`~lifelong_pose.training.LifelongStrategy.probe_batch`); the engine
records them at the start and the end of every target, so a reader sees whether the generators
moved their poses at all, whether the critic could tell real from generated, and how far
generated 2D poses stand from the target's.
"""

from __future__ import annotations

from typing import Any

import torch

from lifelong_pose.geometry.alignment import normalised_2d
from lifelong_pose.metrics.distribution import critic_accuracy, sliced_wasserstein

MM = 1000.0


def adversarial_figures(
    *,
    original_3d: torch.Tensor | None = None,
    augmented_3d: torch.Tensor | None = None,
    real_scores: torch.Tensor | None = None,
    generated_scores: torch.Tensor | None = None,
    generated_2d: torch.Tensor | None = None,
    target_2d: torch.Tensor | None = None,
) -> dict[str, float]:
    """Whichever of the three figures its inputs allow.

    Args:
        original_3d, augmented_3d: (B, J, 3) root-relative poses in metres before and after the
            generators: ``generator_displacement_mm``, their mean per-joint distance.
        real_scores, generated_scores: the critic's scores of real and generated samples:
            ``critic_accuracy`` (0.5: it cannot tell them apart).
        generated_2d, target_2d: (B, J, 2) and (M, J, 2) poses: ``generated_2d_distance``, the
            sliced Wasserstein distance between them after moving each to root 0 and box size 1
            (so it judges shape, in units of the box); missing joints (at 0, the suite's
            convention) stay out of the boxes and count as 0.

    Raises:
        ValueError: one of a pair given without the other.
    """
    figures: dict[str, float] = {}
    pairs = {
        "original_3d/augmented_3d": (original_3d, augmented_3d),
        "real_scores/generated_scores": (real_scores, generated_scores),
        "generated_2d/target_2d": (generated_2d, target_2d),
    }
    for names, (first, second) in pairs.items():
        if (first is None) != (second is None):
            raise ValueError(f"adversarial_figures needs both of {names}, or neither")
    if original_3d is not None and augmented_3d is not None:
        figures["generator_displacement_mm"] = float((augmented_3d - original_3d).norm(dim=-1).mean()) * MM
    if real_scores is not None and generated_scores is not None:
        figures["critic_accuracy"] = critic_accuracy(
            real_scores.detach().double().cpu().numpy(), generated_scores.detach().double().cpu().numpy()
        )
    if generated_2d is not None and target_2d is not None:
        figures["generated_2d_distance"] = sliced_wasserstein(_shape_cloud(generated_2d), _shape_cloud(target_2d))
    return figures


def _shape_cloud(x2d: torch.Tensor) -> Any:
    """(B, J, 2) poses -> (B, J*2) float64 array of their shapes (root 0, box 1, missing joints 0)."""
    x2d = x2d.detach()
    visible = (x2d != 0).any(dim=-1)
    return (normalised_2d(x2d, visible) * visible[..., None]).flatten(1).double().cpu().numpy()
