"""DAK-Pose's video lifter (Wang, Zhang, Yuan, 3.4.1): disentangled structural and dynamic encoders, one decoder.

Wang, Zhang, Yuan, "DAK-Pose: Dual-augmentor knowledge fusion for generalizable video-based 3D
human pose estimation". There is no public code; the choices the paper leaves open are here:

- Tokens are joints of frames: a window ``(B, T, J, 2)`` is embedded per joint to ``C`` channels.
  With ``root_offsets`` (every profile) a token embeds its joint's screen position *and* its
  offset from the same frame's root joint. Why: the 3D target is root-relative, and a token that
  sees only its own position must learn the subtraction through attention. Measured on
  cross_dataset-v2 (C = 16, one head, 2000 steps of 64, seed 0): the source's MPJPE fell from
  80.0 to 67.6 mm with offsets, at the same cost per step.
- The **structural encoder** ``G_E,s`` adds a learned *spatial* positional encoding (one per
  joint) and runs ``L`` Transformer blocks of attention across the joints of each frame; the
  **dynamic encoder** ``G_E,d`` adds a learned *temporal* one (one per frame) and attends across
  the frames of each joint. The paper gives both the same embedding and block design and names
  only the encodings; which axis each attends over is chosen here to match them.
- The **decoder** ``G_D`` fuses the two feature maps (concatenation, then a linear layer to
  ``C``) and runs ``K`` MixSTE-like pairs of spatial then temporal blocks ("alternating"; the paper
  repeats a block ``K`` times, here a pair), then a linear regression head to 3D per joint.
- Blocks are pre-norm Transformer blocks (GELU, feed-forward 2C) written as batched attention
  (:class:`AxisAttentionBlock`: fused QKV, ``scaled_dot_product_attention``, the tokens' layout
  kept); the paper's heads are not given (8 at C = 512 here, as MixSTE).
- The lifter predicts every frame of its window (seq2seq, as MixSTE); ``forward`` returns the
  centre frame, the suite's contract, and :meth:`sequence` the whole window for training losses.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lifelong_pose.models.factory import Lifter


class AxisAttentionBlock(nn.Module):
    """A pre-norm Transformer block on (B, T, J, C) tokens, attending across joints or across frames.

    The layout never changes: only the attention sees the tokens grouped by frame (``axis="joints"``:
    each frame's joints attend to each other) or by joint (``axis="frames"``), through one
    permutation of the fused query-key-value projection and one of its output. Everything else
    (normalisation, feed-forward) acts on the channel axis in place. Why: the first version ran
    PyTorch's ``TransformerEncoderLayer`` on sequences reshaped and transposed for every block,
    whose per-call overhead on many tiny sequences cost 25-50x the MLP lifter's step on a CPU.
    Its parameters are those of a pre-norm ``TransformerEncoderLayer`` (fused ``qkv`` = its
    ``in_proj``, ``proj`` = its ``out_proj``, feed-forward ``2C``), so outputs match it with the
    same weights.

    Args:
        channels: C.
        heads: attention heads (C divisible by it).
        axis: ``joints`` or ``frames``.
        dropout: on the attention weights, the attention's output and the feed-forward.
        activation: ``gelu`` (the lifter's) or ``relu`` (the discriminators').
    """

    def __init__(self, channels: int, heads: int, axis: str, dropout: float = 0.0, activation: str = "gelu") -> None:
        super().__init__()
        if axis not in ("joints", "frames"):
            raise ValueError(f"axis must be 'joints' or 'frames', got {axis!r}")
        if activation not in ("gelu", "relu"):
            raise ValueError(f"activation must be 'gelu' or 'relu', got {activation!r}")
        self.axis, self.heads, self.dropout, self.activation = axis, heads, dropout, activation
        self.norm1 = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)
        self.norm2 = nn.LayerNorm(channels)
        self.linear1 = nn.Linear(channels, 2 * channels)
        self.linear2 = nn.Linear(2 * channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, J, C) -> (B, T, J, C)."""
        drop = self.dropout if self.training else 0.0
        x = x + self._dropped(self.proj(self.attend(self.norm1(x), drop)), drop)
        hidden = self.linear1(self.norm2(x))
        hidden = F.gelu(hidden) if self.activation == "gelu" else F.relu(hidden)
        return x + self._dropped(self.linear2(self._dropped(hidden, drop)), drop)

    @staticmethod
    def _dropped(x: torch.Tensor, p: float) -> torch.Tensor:
        return F.dropout(x, p) if p > 0 else x  # no pass over the tensor when there is nothing to drop

    def attend(self, x: torch.Tensor, dropout: float) -> torch.Tensor:
        """Multi-head self-attention across the block's axis; (B, T, J, C) in and out.

        Queries, keys and values go to ``scaled_dot_product_attention`` as 4-D (groups, H, L, d)
        tensors, the layout for which PyTorch has a fused CPU kernel (5-D falls back to the
        unfused one, about 1.6x slower here).
        """
        batch, frames, joints, channels = x.shape
        qkv = self.qkv(x).view(batch, frames, joints, 3, self.heads, channels // self.heads)
        if self.axis == "joints":  # (3, B*T, H, J, d): each frame's joints attend to each other
            query, key, value = qkv.permute(3, 0, 1, 4, 2, 5).reshape(3, batch * frames, self.heads, joints, -1)
        else:  # (3, B*J, H, T, d): each joint's frames
            query, key, value = qkv.permute(3, 0, 2, 4, 1, 5).reshape(3, batch * joints, self.heads, frames, -1)
        out = F.scaled_dot_product_attention(query, key, value, dropout_p=dropout)
        if self.axis == "joints":
            out = out.view(batch, frames, self.heads, joints, -1).permute(0, 1, 3, 2, 4)
        else:
            out = out.view(batch, joints, self.heads, frames, -1).permute(0, 3, 1, 2, 4)
        return out.reshape(batch, frames, joints, channels)


class _Encoder(nn.Module):
    """Linear embedding, a positional encoding on one axis, blocks attending across that axis."""

    def __init__(
        self, axis: str, positions: int, channels: int, heads: int, blocks: int, dropout: float, inputs: int = 2
    ) -> None:
        super().__init__()
        self.axis = axis  # "joints" (spatial) or "frames" (temporal)
        self.embed = nn.Linear(inputs, channels)
        self.position = nn.Parameter(torch.zeros(positions, channels))
        nn.init.trunc_normal_(self.position, std=0.02)
        self.blocks = nn.Sequential(*(AxisAttentionBlock(channels, heads, axis, dropout) for _ in range(blocks)))

    def forward(self, x2d: torch.Tensor) -> torch.Tensor:
        """(B, T, J, inputs) -> (B, T, J, C)."""
        frames, joints = x2d.shape[1:3]
        position = self.position[:joints] if self.axis == "joints" else self.position[:frames, None]
        return self.blocks(self.embed(x2d) + position)


def token_inputs(x2d: torch.Tensor, root_offsets: bool) -> torch.Tensor:
    """(B, T, J, 2) -> what each joint token embeds: its position, and with ``root_offsets`` its offset
    from the frame's root joint, (B, T, J, 4)."""
    return torch.cat([x2d, x2d - x2d[..., :1, :]], dim=-1) if root_offsets else x2d


def token_width(root_offsets: bool) -> int:
    """How many numbers each joint token embeds: the last axis of :func:`token_inputs`' output."""
    return 4 if root_offsets else 2


class _Decoder(nn.Module):
    """Fuse structural and dynamic features; ``K`` spatial-temporal block pairs; regress 3D."""

    def __init__(self, channels: int, heads: int, blocks: int, dropout: float) -> None:
        super().__init__()
        self.fuse = nn.Linear(2 * channels, channels)
        self.spatial = nn.ModuleList(AxisAttentionBlock(channels, heads, "joints", dropout) for _ in range(blocks))
        self.temporal = nn.ModuleList(AxisAttentionBlock(channels, heads, "frames", dropout) for _ in range(blocks))
        self.norm = nn.LayerNorm(channels)
        self.head = nn.Linear(channels, 3)

    def forward(self, structure: torch.Tensor, dynamics: torch.Tensor) -> torch.Tensor:
        """(B, T, J, C) twice -> (B, T, J, 3)."""
        x = self.fuse(torch.cat([structure, dynamics], dim=-1))
        for spatial, temporal in zip(self.spatial, self.temporal, strict=True):
            x = temporal(spatial(x))
        return self.head(self.norm(x))


class DAKPoseLifter(Lifter):
    """Structural and dynamic Transformer encoders and a spatial-temporal decoder (DAK-Pose's ``G``).

    Args:
        num_joints: J.
        receptive_field: T, frames per window (odd; the paper uses 27 and 81).
        channels: C (512 in the paper).
        encoder_blocks: L (4 in the paper).
        decoder_blocks: K (6 in the paper).
        heads: attention heads (C must be divisible by it).
        dropout: inside every block.
        root_offsets: tokens also embed their offset from the frame's root joint (every profile sets
            it; the default, off, rebuilds lifters saved before the option existed).

    Raises:
        ValueError: an even receptive field, or sizes out of range.
    """

    name = "dakpose"
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
