"""The DAK-Pose lifter as first written, on ``nn.TransformerEncoderLayer``: the reference the fast one is pinned to.

Kept beside the benchmarks, out of the package: ``tests/test_dakpose.py`` pins
:mod:`lifelong_pose.models.dakpose` to it (the same outputs and gradients with the same weights;
:func:`fast_state_dict` maps this module's parameter names onto the fast one's), and
``benchmarks/lifter_speed.py`` times both.
"""

from __future__ import annotations

import torch
from torch import nn

from lifelong_pose.models.dakpose import token_inputs, token_width
from lifelong_pose.models.factory import Lifter

_BLOCK_NAMES = {
    "self_attn.in_proj_weight": "qkv.weight",
    "self_attn.in_proj_bias": "qkv.bias",
    "self_attn.out_proj.weight": "proj.weight",
    "self_attn.out_proj.bias": "proj.bias",
}


def _blocks(channels: int, heads: int, count: int, dropout: float) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(
        channels,
        heads,
        dim_feedforward=2 * channels,
        dropout=dropout,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )
    return nn.TransformerEncoder(layer, count, enable_nested_tensor=False)


class _Encoder(nn.Module):
    """Linear embedding, a positional encoding on one axis, blocks attending across that axis."""

    def __init__(
        self, axis: str, positions: int, channels: int, heads: int, blocks: int, dropout: float, inputs: int
    ) -> None:
        super().__init__()
        self.axis = axis  # "joints" (spatial) or "frames" (temporal)
        self.embed = nn.Linear(inputs, channels)
        self.position = nn.Parameter(torch.zeros(positions, channels))
        nn.init.trunc_normal_(self.position, std=0.02)
        self.blocks = _blocks(channels, heads, blocks, dropout)

    def forward(self, x2d: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) -> (B, T, J, C)."""
        batch, frames, joints, _ = x2d.shape
        tokens = self.embed(x2d)
        if self.axis == "joints":
            tokens = tokens + self.position[:joints]
            out = self.blocks(tokens.reshape(batch * frames, joints, -1))
            return out.reshape(batch, frames, joints, -1)
        tokens = (tokens + self.position[:frames, None]).transpose(1, 2)  # (B, J, T, C)
        out = self.blocks(tokens.reshape(batch * joints, frames, -1))
        return out.reshape(batch, joints, frames, -1).transpose(1, 2)


class _Decoder(nn.Module):
    """Fuse structural and dynamic features; ``K`` spatial-temporal block pairs; regress 3D."""

    def __init__(self, channels: int, heads: int, blocks: int, dropout: float) -> None:
        super().__init__()
        self.fuse = nn.Linear(2 * channels, channels)
        self.spatial = nn.ModuleList(_blocks(channels, heads, 1, dropout) for _ in range(blocks))
        self.temporal = nn.ModuleList(_blocks(channels, heads, 1, dropout) for _ in range(blocks))
        self.norm = nn.LayerNorm(channels)
        self.head = nn.Linear(channels, 3)

    def forward(self, structure: torch.Tensor, dynamics: torch.Tensor) -> torch.Tensor:
        """(B, T, J, C) twice -> (B, T, J, 3)."""
        x = self.fuse(torch.cat([structure, dynamics], dim=-1))
        batch, frames, joints, channels = x.shape
        for spatial, temporal in zip(self.spatial, self.temporal, strict=True):
            x = spatial(x.reshape(batch * frames, joints, channels)).reshape(batch, frames, joints, channels)
            x = x.transpose(1, 2).reshape(batch * joints, frames, channels)
            x = temporal(x).reshape(batch, joints, frames, channels).transpose(1, 2)
        return self.head(self.norm(x))


class ReferenceDAKPoseLifter(Lifter):
    """Structural and dynamic Transformer encoders and a spatial-temporal decoder (DAK-Pose's ``G``).

    Args:
        num_joints: J.
        receptive_field: T, frames per window (odd; the paper uses 27 and 81).
        channels: C (512 in the paper).
        encoder_blocks: L (4 in the paper).
        decoder_blocks: K (6 in the paper).
        heads: attention heads (C must be divisible by it).
        dropout: inside every block.
        root_offsets: tokens also embed their offset from the frame's root joint.

    Raises:
        ValueError: an even receptive field, or sizes out of range.
    """

    name = "dakpose_reference"
    size_names = ("channels", "encoder_blocks", "decoder_blocks", "heads", "dropout", "root_offsets")

    def __init__(
        self,
        num_joints: int,
        *,
        receptive_field: int = 27,
        channels: int = 512,
        encoder_blocks: int = 4,
        decoder_blocks: int = 6,
        heads: int = 8,
        dropout: float = 0.1,
        root_offsets: bool = False,
    ) -> None:
        if receptive_field < 1 or receptive_field % 2 == 0:
            raise ValueError(f"DAK-Pose needs an odd receptive_field >= 1, got {receptive_field}")
        if min(channels, encoder_blocks, decoder_blocks, heads) < 1 or channels % heads or not 0 <= dropout < 1:
            raise ValueError(
                "DAK-Pose needs channels, encoder_blocks, decoder_blocks, heads >= 1, channels divisible by heads "
                f"and 0 <= dropout < 1; got {channels=}, {encoder_blocks=}, {decoder_blocks=}, {heads=}, {dropout=}"
            )
        super().__init__(num_joints, receptive_field=receptive_field)
        self.channels, self.heads, self.dropout = channels, heads, dropout
        self.encoder_blocks, self.decoder_blocks = encoder_blocks, decoder_blocks
        self.root_offsets = bool(root_offsets)
        inputs = token_width(self.root_offsets)
        self.structure_encoder = _Encoder("joints", num_joints, channels, heads, encoder_blocks, dropout, inputs)
        self.dynamics_encoder = _Encoder("frames", receptive_field, channels, heads, encoder_blocks, dropout, inputs)
        self.decoder = _Decoder(channels, heads, decoder_blocks, dropout)

    def encode(self, x2d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, T, J, 2) -> structural features ``s`` and dynamic features ``d``, each (B, T, J, C)."""
        self.check_input(x2d)
        tokens = token_inputs(x2d, self.root_offsets)
        return self.structure_encoder(tokens), self.dynamics_encoder(tokens)

    def decode(self, structure: torch.Tensor, dynamics: torch.Tensor) -> torch.Tensor:
        """``s``, ``d`` -> (B, T, J, 3) root-relative metres (joint 0 exactly zero)."""
        out = self.decoder(structure, dynamics)
        return torch.cat([torch.zeros_like(out[..., :1, :]), out[..., 1:, :]], dim=-2)

    def sequence(self, x2d: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) -> (B, T, J, 3): every frame of the window."""
        return self.decode(*self.encode(x2d))

    def forward(self, x2d: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) -> (B, J, 3): the centre frame."""
        return self.sequence(x2d)[:, self.receptive_field // 2]


def fast_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """This module's state dict under the fast lifter's names (the same tensors)."""
    out = {}
    for key, value in state.items():
        key = key.replace(".blocks.layers.", ".blocks.").replace(".layers.0.", ".")
        for old, new in _BLOCK_NAMES.items():
            key = key.replace(old, new)
        out[key] = value
    return out
