"""DAK-Pose's motion augmentors and domain discriminators (Wang, Zhang, Yuan, sections 3.3.1-3.3.3).

Where the paper is silent (it cites PoseAug-V [14] for the interpolating generator and Xu et al.
[28] for the motion predictor, and gives no sizes), chosen here:

- **Motion interpolator** (SMA's second stage): frames between a window's first pose and its
  augmented last pose, in bone directions and lengths: frame ``t`` (``a = t / (T - 1)``) takes
  the renormalised blend ``(1 - a) dir_first + a dir_last`` plus a generated offset (tanh-bounded by
  ``offset_limit``), and the blended lengths. The offsets come from a residual MLP conditioned on
  noise, both end poses' bone directions and ``a`` (PoseAug-V generates angles; bone directions
  are this suite's generator representation, as in LPA).
- **Motion critic**: a residual MLP on a window's bone-direction velocities, least-squares GAN
  against real source windows, so that the interpolated motion moves like real motion.
- **Motion predictor** (DMA): a residual MLP from a reference window (root-relative 3D, flattened)
  and noise to the next ``T`` frames as offsets from the reference's last frame; trained on source
  motion with a best-of-two (variety) loss, which keeps its futures diverse (Xu et al. predict
  several futures).
- **Domain discriminators**: ``D_str`` pools the structural features over time ("we fuse the
  temporal features", one ``C``-vector per joint), attends across joints (the structural encoder's
  axis) and scores the mean; ``D_dyn`` pools over joints (``T x C``), attends across frames ("a
  lightweight Transformer along the temporal dimension") and scores the mean. One block each.
- **Auxiliary estimators** ``G'``, ``G''`` (:class:`AuxiliaryEstimator`): "the same architecture as
  G"; their encoders start as copies of ``G``'s and, as eq. 7 writes one decoder ``D`` for the
  three, they decode with ``G``'s decoder (``auxiliary_decoder=shared``; ``own`` gives each a copy).
"""

from __future__ import annotations

import copy

import torch
from lifelong_pose.strategies.shared.lpa import ResidualMLP
from torch import nn

from lifelong_pose.geometry.skeleton import JointLayout
from lifelong_pose.geometry.transforms import bone_directions_and_lengths, joints_from_bones
from lifelong_pose.models.dakpose import AxisAttentionBlock, token_inputs


class MotionInterpolator(nn.Module):
    """(first pose, last pose) -> a window of ``frames`` poses between them."""

    def __init__(self, layout: JointLayout, frames: int, *, noise_dim: int, width: int, offset_limit: float) -> None:
        super().__init__()
        self.layout, self.frames, self.noise_dim, self.offset_limit = layout, frames, noise_dim, offset_limit
        bones = len(layout.bones)
        self.net = ResidualMLP(noise_dim + 6 * bones + 1, 3 * bones, width, layers=3)

    def forward(self, first: torch.Tensor, last: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """(B, J, 3) twice -> (B, T, J, 3) root-relative windows whose ends are ``first`` and ``last``."""
        batch, frames = first.shape[0], self.frames
        start, start_lengths = bone_directions_and_lengths(first, self.layout)
        end, end_lengths = bone_directions_and_lengths(last, self.layout)
        share = torch.linspace(0, 1, frames, device=first.device)[None, :, None, None]  # (1, T, 1, 1)
        noise = torch.randn(batch, self.noise_dim, generator=generator).to(first.device)
        condition = torch.cat([noise, start.flatten(1), end.flatten(1)], dim=-1)[:, None].expand(-1, frames, -1)
        raw = self.net(torch.cat([condition, share[..., 0].expand(batch, -1, -1)], dim=-1)).view(batch, frames, -1, 3)
        inner = (share * (1 - share)) * 4  # 0 at both ends: the ends stay the poses given
        directions = (1 - share) * start[:, None] + share * end[:, None] + inner * self.offset_limit * torch.tanh(raw)
        directions = directions / directions.norm(dim=-1, keepdim=True).clamp_min(1e-8)
        lengths = (1 - share[..., 0]) * start_lengths[:, None] + share[..., 0] * end_lengths[:, None]
        return joints_from_bones(directions * lengths[..., None], self.layout)


class MotionCritic(nn.Module):
    """Scores a window's motion from its bone-direction velocities (least-squares GAN: real -> 1)."""

    def __init__(self, layout: JointLayout, frames: int, *, width: int) -> None:
        super().__init__()
        self.layout = layout
        self.net = ResidualMLP(3 * len(layout.bones) * max(frames - 1, 1), 1, width, layers=3)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 3) -> (B,) scores."""
        directions, _ = bone_directions_and_lengths(X, self.layout)
        velocity = directions[:, 1:] - directions[:, :-1] if X.shape[1] > 1 else directions
        return self.net(velocity.flatten(1)).squeeze(-1)


class MotionPredictor(nn.Module):
    """A reference window -> the next ``frames`` poses (root-relative), noise-conditioned."""

    def __init__(self, joints: int, frames: int, *, noise_dim: int, width: int) -> None:
        super().__init__()
        self.frames, self.joints, self.noise_dim = frames, joints, noise_dim
        self.net = ResidualMLP(frames * joints * 3 + noise_dim, frames * joints * 3, width, layers=3)

    def forward(self, reference: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """(B, T, J, 3) -> (B, T, J, 3) the predicted continuation."""
        batch = reference.shape[0]
        last = reference[:, -1:]
        noise = torch.randn(batch, self.noise_dim, generator=generator).to(reference.device)
        offsets = self.net(torch.cat([(reference - last).flatten(1), noise], dim=-1))
        future = last + offsets.view(batch, self.frames, self.joints, 3)
        return torch.cat([torch.zeros_like(future[..., :1, :]), future[..., 1:, :]], dim=-2)  # root stays at 0


class FeatureDiscriminator(nn.Module):
    """``D_str`` (``axis="joints"``) or ``D_dyn`` (``axis="frames"``) on (B, T, J, C) feature maps.

    ``D_str`` pools the features over time and attends across joints, ``D_dyn`` pools over joints
    and attends across frames (one :class:`~lifelong_pose.models.dakpose.AxisAttentionBlock`, ReLU,
    no dropout); each scores the mean token. Least-squares targets: real (``G``'s) 1, synthetic 0.

    Behind a gradient reversal ``G`` *maximises* the discriminator's least-squares loss, which on
    unbounded scores of unbounded features has no maximum. Measured on cross_dataset-v2 (seed 0,
    1000 source steps at the quick profile's 1e-2; source MPJPE, the reversed gradient into ``G``
    over the run, the discriminators' accuracy at the end):

    - ``output="linear"``, ``normalise=False`` (the paper read literally): ``G`` drove the dynamic
      discriminator's loss from 0.3 to 1.5e4 and the reversed gradient to 6; 410.6 mm;
    - ``"sigmoid"``, not normalised: bounded, but the scores saturate within the warm-up and the
      reversed gradient falls to 0.0 (the fusion then does nothing); 104.8 mm;
    - ``"sigmoid"``, normalised: the same collapse (dynamic accuracy 1.0, gradient 0.0); 111.4 mm;
    - ``"linear"``, normalised (the default): bounded and alive (reversed gradient 2e-4 to 7e-3 to
      the end), but both discriminators win (accuracy 0.99-1.0); 140.7 mm.

    ``normalise`` layer-normalises the pooled tokens (no affine) before scoring, so ``G`` can move
    the discriminator only through the features' pattern, not their scale. No reading gives a
    balanced game at this rate; the default is the one whose reversal stays bounded and alive.
    """

    def __init__(self, axis: str, channels: int, heads: int, output: str = "linear", normalise: bool = True) -> None:
        super().__init__()
        if axis not in ("joints", "frames"):
            raise ValueError(f"axis must be 'joints' or 'frames', got {axis!r}")
        if output not in ("sigmoid", "linear"):
            raise ValueError(f"output must be 'sigmoid' or 'linear', got {output!r}")
        self.axis = axis
        self.output = output
        self.normalise = normalise
        self.block = AxisAttentionBlock(channels, heads, axis, dropout=0.0, activation="relu")
        self.score = nn.Linear(channels, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """(B, T, J, C) -> (B,) scores (probabilities with ``output="sigmoid"``)."""
        pooled = features.mean(dim=1, keepdim=True) if self.axis == "joints" else features.mean(dim=2, keepdim=True)
        if self.normalise:  # each token to zero mean, unit variance: G cannot win by the features' scale
            pooled = nn.functional.layer_norm(pooled, pooled.shape[-1:])
        score = self.score(self.block(pooled).mean(dim=(1, 2))).squeeze(-1)
        return torch.sigmoid(score) if self.output == "sigmoid" else score


class AuxiliaryEstimator(nn.Module):
    """``G'`` or ``G''``: encoders that start as copies of ``G``'s, and ``G``'s decoder or a copy of it.

    Why copies: an estimator built apart from ``G`` produces features a discriminator separates
    by network identity alone (least-squares loss near 0 within 150 steps on the *same* inputs),
    and behind the gradient reversal ``G`` then receives no gradient. Started as ``G``'s copies,
    the features differ only as far as training on synthetic rather than real motion moves them.
    With ``shared_decoder`` (eq. 7 writes one decoder ``D`` for all three estimators) the
    auxiliary features must also stay decodable by ``G``'s own decoder, which learns the
    synthetic pairs too; otherwise the estimator keeps a decoder of its own (a full copy of ``G``).

    Args:
        lifter: ``G`` (a :class:`~lifelong_pose.models.dakpose.DAKPoseLifter`).
        shared_decoder: decode with ``G``'s decoder (not a parameter of this module) or a copy.
    """

    def __init__(self, lifter: nn.Module, *, shared_decoder: bool) -> None:
        super().__init__()
        self.structure_encoder = copy.deepcopy(lifter.structure_encoder)
        self.dynamics_encoder = copy.deepcopy(lifter.dynamics_encoder)
        self.decoder = None if shared_decoder else copy.deepcopy(lifter.decoder)
        self._lifter = [lifter]  # G, outside this module's parameters and state

    def encode(self, x2d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, J, 2) -> this estimator's structural and dynamic features (tokens built as ``G`` builds them)."""
        tokens = token_inputs(x2d, self._lifter[0].root_offsets)
        return self.structure_encoder(tokens), self.dynamics_encoder(tokens)

    def decode(self, structure: torch.Tensor, dynamics: torch.Tensor) -> torch.Tensor:
        """Features -> (B, T, J, 3) root-relative metres, by the shared or own decoder."""
        if self.decoder is None:
            return self._lifter[0].decode(structure, dynamics)
        out = self.decoder(structure, dynamics)
        return torch.cat([torch.zeros_like(out[..., :1, :]), out[..., 1:, :]], dim=-2)
