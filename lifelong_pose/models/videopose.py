"""VideoPose3D: the temporal convolutional lifter of Pavllo et al. 2019.

"3D human pose estimation in video with temporal convolutions and semi-supervised training"
(CVPR 2019), section 3. One set of weights runs two ways:

* ``forward`` on windows of exactly ``receptive_field`` frames uses *strided* convolutions
  (stride = filter width), computing only what the centre frame needs; this is the training path
  (VideoPose3D's ``TemporalModelOptimized1f``).
* ``forward_sequence`` on whole sequences uses the same weights as *dilated* convolutions, sharing
  work between neighbouring frames, for inference over whole sequences (VideoPose3D's
  ``TemporalModel``). The engine tests with it (``sequence_path``): whole test sequences, edge
  padded, in one pass per chunk (:mod:`lifelong_pose.data.sequence_batches`).

Causal (real-time) mode is not implemented: every window is centred on the frame it predicts.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from lifelong_pose.models.factory import Lifter

FILTER_WIDTHS: dict[int, tuple[int, ...]] = {
    1: (1,),
    27: (3, 3, 3),
    81: (3, 3, 3, 3),
    243: (3, 3, 3, 3, 3),
}
"""Filter widths per receptive field, as in the paper's experiments (section 4.2, table 5)."""


class VideoPose3D(Lifter):
    """Temporal convolutional lifter: a window of 2D poses to the 3D pose of its centre frame.

    Layers: expand convolution (J*2 -> channels, width ``filter_widths[0]``), BatchNorm, ReLU,
    dropout; then per further width one residual block (convolution of that width, BatchNorm, ReLU,
    dropout, 1x1 convolution, BatchNorm, ReLU, dropout, plus the block's input cut to the output's
    frames); then a 1x1 convolution to J*3. Convolutions before a BatchNorm have no bias.

    Args:
        num_joints: J.
        receptive_field: one of 1, 27, 81, 243 (see :data:`FILTER_WIDTHS`).
        channels: width of every hidden convolution (1024 in the paper).
        dropout: drop probability after every ReLU (0.25 in the paper).

    Raises:
        ValueError: a receptive field not in :data:`FILTER_WIDTHS`, or a size out of range.
    """

    name = "videopose"
    sequence_path = True
    size_names = ("channels", "dropout")

    def __init__(
        self, num_joints: int, *, receptive_field: int = 243, channels: int = 1024, dropout: float = 0.25
    ) -> None:
        if receptive_field not in FILTER_WIDTHS:
            raise ValueError(
                f"VideoPose3D has no filter widths for receptive_field={receptive_field}; "
                f"allowed: {', '.join(map(str, FILTER_WIDTHS))}"
            )
        if channels < 1 or not 0.0 <= dropout < 1.0:
            raise ValueError(f"need channels >= 1 and 0 <= dropout < 1; got {channels=}, {dropout=}")
        super().__init__(num_joints, receptive_field=receptive_field)
        self.channels = channels
        self.dropout = dropout
        self.filter_widths = FILTER_WIDTHS[receptive_field]
        self.expand_conv = nn.Conv1d(num_joints * 2, channels, self.filter_widths[0], bias=False)
        self.expand_bn = nn.BatchNorm1d(channels)
        self.layers_conv = nn.ModuleList()
        self.layers_bn = nn.ModuleList()
        for width in self.filter_widths[1:]:
            self.layers_conv.append(nn.Conv1d(channels, channels, width, bias=False))
            self.layers_conv.append(nn.Conv1d(channels, channels, 1, bias=False))
            self.layers_bn.extend([nn.BatchNorm1d(channels), nn.BatchNorm1d(channels)])
        self.shrink = nn.Conv1d(channels, num_joints * 3, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x2d: torch.Tensor) -> torch.Tensor:
        """Lift the centre frame of each window, with strided convolutions.

        Args:
            x2d: (B, receptive_field, J, 2) normalised screen coordinates.

        Returns:
            (B, J, 3) metres, root-relative: joint 0 is exactly zero.
        """
        self.check_input(x2d)
        out = self._blocks(self._to_channels(x2d), dilated=False)  # (B, J*3, 1)
        out = out.view(x2d.shape[0], self.num_joints, 3)
        return out - out[:, :1]

    def forward_sequence(self, x2d: torch.Tensor) -> torch.Tensor:
        """Lift every frame of a sequence that has a full window, with dilated convolutions.

        Args:
            x2d: (B, N, J, 2) normalised screen coordinates, N >= receptive_field.

        Returns:
            (B, N - receptive_field + 1, J, 3) root-relative metres; index k equals
            ``forward(x2d[:, k:k + receptive_field])`` in eval mode.
        """
        self.check_input(x2d, sequence=True)
        out = self._blocks(self._to_channels(x2d), dilated=True)  # (B, J*3, N')
        out = out.transpose(1, 2).reshape(x2d.shape[0], -1, self.num_joints, 3)
        return out - out[:, :, :1]

    @staticmethod
    def _to_channels(x2d: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) -> (B, J*2, T): joints and coordinates become convolution channels."""
        return x2d.reshape(x2d.shape[0], x2d.shape[1], -1).transpose(1, 2)

    def _blocks(self, x: torch.Tensor, *, dilated: bool) -> torch.Tensor:
        """(B, J*2, T) -> (B, J*3, T - receptive_field + 1) dilated, or (B, J*3, 1) strided on T = rf."""
        first = self.filter_widths[0]
        x = F.conv1d(x, self.expand_conv.weight, stride=1 if dilated else first)
        x = self.drop(F.relu(self.expand_bn(x)))
        dilation = first
        for i, width in enumerate(self.filter_widths[1:]):
            if dilated:
                pad = (width - 1) * dilation // 2
                residual = x[:, :, pad : x.shape[2] - pad]
                x = F.conv1d(x, self.layers_conv[2 * i].weight, dilation=dilation)
            else:
                residual = x[:, :, width // 2 :: width]
                x = F.conv1d(x, self.layers_conv[2 * i].weight, stride=width)
            x = self.drop(F.relu(self.layers_bn[2 * i](x)))
            x = residual + self.drop(F.relu(self.layers_bn[2 * i + 1](F.conv1d(x, self.layers_conv[2 * i + 1].weight))))
            dilation *= width
        return self.shrink(x)
