"""PoseDA's local pose augmentation (LPA) networks: the augmentation generator and the anchor discriminator.

Paper: Chai et al., "Global Adaptation meets Local Generalization", ICCV 2023, sections 3.3-3.4
and supplement ("Details of discriminators / generators"). The official release has no LPA; the
choices the paper leaves open are made here and listed in :class:`lifelong_pose.strategies.poseda.PoseDA`.

Generator (supplement): three sequential 3-layer residual MLPs with LeakyReLU, for bone angle
(BA), bone length (BL) and rotation (RT); each receives the previous stage's output and a noise
vector, the first the source pose as bone directions and lengths (section 3.3).

Anchor discriminator (supplement): the pose's KCS matrix per body part (five parts, following
PoseAug) through five 4-layer residual MLPs with LeakyReLU, outputs concatenated.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from lifelong_pose.geometry.bones import kcs
from lifelong_pose.geometry.skeleton import JointLayout
from lifelong_pose.geometry.transforms import (
    bone_directions_and_lengths,
    change_bone_angles,
    change_bone_lengths,
    mirror_bone_permutation,
    rotate_about_root,
)

_SLOPE = 0.2  # LeakyReLU slope (PoseAug's)


class ResidualMLP(nn.Module):
    """``layers`` linear layers: one in, ``layers - 2`` residual hidden ones, one out; LeakyReLU between."""

    def __init__(self, in_features: int, out_features: int, width: int, layers: int) -> None:
        super().__init__()
        if layers < 2:
            raise ValueError(f"ResidualMLP needs at least 2 layers, got {layers}")
        self.inp = nn.Linear(in_features, width)
        self.hidden = nn.ModuleList(nn.Linear(width, width) for _ in range(layers - 2))
        self.out = nn.Linear(width, out_features)
        self.act = nn.LeakyReLU(_SLOPE)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.inp(x))
        for layer in self.hidden:
            h = h + self.act(layer(h))
        return self.out(h)


@dataclass(frozen=True)
class Augmented:
    """The generator's output for a batch of source poses (each stage kept, for losses and tests).

    Attributes:
        after_angle, after_length, pose: (B, J, 3) root-relative poses after BA, after BA+BL, and
            after BA+BL+RT (the augmented pose).
        direction_offsets (B, nb, 3), length_ratios (B, nb), axis_angle (B, 3): the parameters.
        translation: (B, 3) the RT stage's translation for a generator built with
            ``translation=True`` (lateral shifts as fractions of the depth, then the log of a depth
            factor), else None.
    """

    after_angle: torch.Tensor
    after_length: torch.Tensor
    pose: torch.Tensor
    direction_offsets: torch.Tensor
    length_ratios: torch.Tensor
    axis_angle: torch.Tensor
    translation: torch.Tensor | None = None


class AugmentationGenerator(nn.Module):
    """Pose and a condition in, a bone-angle, bone-length and rotation change out (PoseDA eq. 10).

    Every stage's output is bounded with ``tanh``: ``angle_limit`` on the offsets added to unit bone
    directions, ``length_limit`` on the relative change of a bone's length (made left/right
    symmetric), ``rotation_limit`` (radians) on each component of the rotation vector.

    Each stage sees the previous stage's output and a condition vector: fresh noise for PoseDA
    (:meth:`forward`), embeddings of the pose, its motion and a domain prior for
    ``diffusion_replay`` (:meth:`transform`).

    Args:
        layout: joint layout (bones, left/right twins).
        noise_dim: size of each stage's condition vector (noise for PoseDA).
        width: hidden width of the three MLPs.
        translation: the RT stage also outputs a translation (the paper's G_RT), bounded by
            ``translation_limit`` (lateral, as a fraction of the depth) and ``depth_limit`` (log of
            the depth factor).
    """

    def __init__(
        self,
        layout: JointLayout,
        *,
        noise_dim: int = 32,
        width: int = 256,
        angle_limit: float = 0.3,
        length_limit: float = 0.2,
        rotation_limit: float = 0.5,
        translation: bool = False,
        translation_limit: float = 0.1,
        depth_limit: float = 0.2,
    ) -> None:
        super().__init__()
        if not 0 <= length_limit < 1:
            raise ValueError(f"length_limit must be in [0, 1), got {length_limit}")
        self.layout = layout
        self.noise_dim = noise_dim
        self.limits = (angle_limit, length_limit, rotation_limit)
        self.translation_limits = (translation_limit, depth_limit) if translation else None
        bones = len(layout.bones)
        condition = bones * 4  # directions (3 per bone) and lengths
        self.angle = ResidualMLP(condition + noise_dim, bones * 3, width, layers=3)
        self.length = ResidualMLP(bones * 3 + noise_dim, bones, width, layers=3)
        self.rotation = ResidualMLP(bones + noise_dim, 6 if translation else 3, width, layers=3)
        self.register_buffer("twin", torch.tensor(mirror_bone_permutation(layout)), persistent=False)

    def forward(self, X3d: torch.Tensor, generator: torch.Generator | None = None) -> Augmented:
        """Augment (B, J, 3) root-relative source poses; noise comes from ``generator`` (CPU)."""
        noise = torch.randn(3, X3d.shape[0], self.noise_dim, generator=generator).to(X3d.device)
        return self.transform(X3d, noise.unbind(0))

    def transform(self, X3d: torch.Tensor, conditions: tuple[torch.Tensor, ...]) -> Augmented:
        """Augment (B, J, 3) root-relative poses given one (B, noise_dim) condition per stage."""
        batch = X3d.shape[0]
        angle_limit, length_limit, rotation_limit = self.limits
        directions, lengths = bone_directions_and_lengths(X3d, self.layout)

        offsets_flat = torch.tanh(self.angle(torch.cat([directions.flatten(1), lengths, conditions[0]], dim=-1)))
        offsets = angle_limit * offsets_flat.view(batch, -1, 3)
        after_angle = change_bone_angles(X3d, offsets, self.layout)

        raw = torch.tanh(self.length(torch.cat([offsets_flat, conditions[1]], dim=-1)))
        ratios = length_limit * 0.5 * (raw + raw[:, self.twin])
        after_length = change_bone_lengths(after_angle, ratios, self.layout)

        rigid = torch.tanh(self.rotation(torch.cat([raw, conditions[2]], dim=-1)))
        axis_angle = rotation_limit * rigid[:, :3]
        pose = rotate_about_root(after_length, axis_angle)
        translation = None
        if self.translation_limits is not None:
            lateral, depth = self.translation_limits
            translation = torch.cat([lateral * rigid[:, 3:5], depth * rigid[:, 5:]], dim=-1)
        return Augmented(after_angle, after_length, pose, offsets, ratios, axis_angle, translation)

    def apply(self, X3d: torch.Tensor, augmented: Augmented) -> torch.Tensor:
        """Apply the parameters of ``augmented`` (one set per row) to (B, T, J, 3) windows of poses.

        Every frame of a window gets its row's bone-angle, bone-length and rotation change, so a
        temporal lifter sees a consistently transformed motion.
        """
        angled = change_bone_angles(X3d, augmented.direction_offsets[:, None], self.layout)
        lengthened = change_bone_lengths(angled, augmented.length_ratios[:, None], self.layout)
        return rotate_about_root(lengthened, augmented.axis_angle[:, None])


class AnchorDiscriminator(nn.Module):
    """WGAN critic on the KCS matrix of each of five body parts; returns (B, 5) part scores.

    KCS (``B B^T`` of the part's bone vectors) holds bone lengths and the angles between bones and
    is invariant to rotation: the critic judges a pose's local structure, not its orientation.
    """

    def __init__(self, layout: JointLayout, *, width: int = 128) -> None:
        super().__init__()
        self.layout = layout
        self.parts = tuple(layout.parts.values())
        self.critics = nn.ModuleList(ResidualMLP(len(bones) ** 2, 1, width, layers=4) for bones in self.parts)

    def forward(self, X3d: torch.Tensor) -> torch.Tensor:
        scores = [
            critic(kcs(X3d, self.layout, bones).flatten(-2))
            for critic, bones in zip(self.critics, self.parts, strict=True)
        ]
        return torch.cat(scores, dim=-1)

    def clip_weights(self, limit: float) -> None:
        """WGAN's Lipschitz constraint (Arjovsky et al. 2017): every weight clamped to ``[-limit, limit]``."""
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.clamp_(-limit, limit)
