"""The networks of ``diffusion_replay`` (Peng et al.) besides the lifter and the sampler.

- :class:`PoseEmbeddings`: the three encodings the generators are conditioned on. Pose-aware: an
  MLP on the predicted pose's joint coordinates and bone vectors. Temporal-aware: a temporal
  convolution scores every frame of the predicted window, and the softmax-weighted pose (seed
  000's "weighted single-frame pose") goes through an MLP. Domain-aware: an MLP on a 2D pose drawn
  from the diffusion sampler (or on noise, for the ``noise`` ablation).
- :class:`PoseCritic2D`: the 2D pose discriminator, a residual MLP on one frame's 2D joints,
  trained as a Wasserstein critic with a gradient penalty (:func:`gradient_penalty`).

The generators themselves are :class:`lifelong_pose.strategies.shared.lpa.AugmentationGenerator` with a
translation head: the same bone-angle, bone-length and rigid stages PoseDA uses.
"""

from __future__ import annotations

import torch
from lifelong_pose.strategies.shared.lpa import ResidualMLP
from torch import nn

from lifelong_pose.geometry.bones import bone_vectors
from lifelong_pose.geometry.skeleton import JointLayout


class PoseEmbeddings(nn.Module):
    """Pose-, temporal- and domain-aware embeddings of a predicted window, concatenated.

    Args:
        layout: the joint layout.
        embed_dim: size of each embedding.
        width: hidden width of the MLPs.
        domain: whether there is a domain-aware embedding (``prior=none`` has none).
    """

    def __init__(self, layout: JointLayout, *, embed_dim: int = 32, width: int = 128, domain: bool = True) -> None:
        super().__init__()
        self.layout = layout
        joints, bones = layout.num_joints, len(layout.bones)
        self.pose = ResidualMLP(joints * 3 + bones * 3, embed_dim, width, layers=3)
        self.frame_scores = nn.Sequential(
            nn.Conv1d(joints * 3, width, kernel_size=3, padding=1), nn.LeakyReLU(0.2), nn.Conv1d(width, 1, 1)
        )
        self.temporal = ResidualMLP(joints * 3, embed_dim, width, layers=3)
        self.domain = ResidualMLP(joints * 2, embed_dim, width, layers=3) if domain else None
        self.size = embed_dim * (3 if domain else 2)

    def forward(self, window: torch.Tensor, prior: torch.Tensor | None) -> torch.Tensor:
        """(B, T, J, 3) predicted root-relative window and (B, J, 2) prior (or None) -> (B, size)."""
        centre = window[:, window.shape[1] // 2]
        pose = self.pose(torch.cat([centre.flatten(1), bone_vectors(centre, self.layout).flatten(1)], dim=-1))
        frames = window.flatten(2).transpose(1, 2)  # (B, J*3, T)
        weights = torch.softmax(self.frame_scores(frames).squeeze(1), dim=-1)  # (B, T)
        weighted = (window * weights[:, :, None, None]).sum(dim=1)
        parts = [pose, self.temporal(weighted.flatten(1))]
        if self.domain is not None:
            if prior is None:
                raise ValueError("PoseEmbeddings was built with a domain embedding and needs a prior")
            parts.append(self.domain(prior.flatten(1)))
        return torch.cat(parts, dim=-1)


class PoseCritic2D(nn.Module):
    """Wasserstein critic on one frame's 2D pose (J, 2): higher scores for poses like the target's."""

    def __init__(self, num_joints: int, *, width: int = 128, layers: int = 4) -> None:
        super().__init__()
        self.net = ResidualMLP(num_joints * 2, 1, width, layers=layers)

    def forward(self, x2d: torch.Tensor) -> torch.Tensor:
        return self.net(x2d.flatten(1)).squeeze(-1)


def gradient_penalty(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """WGAN-GP's penalty (Gulrajani et al. 2017): ``(||grad critic(x)|| - 1)^2`` on random mixes of real and fake."""
    mix = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=generator).to(real.device)
    between = (mix * real + (1 - mix) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(between).sum(), between, create_graph=True)
    return ((grad.flatten(1).norm(dim=-1) - 1) ** 2).mean()
