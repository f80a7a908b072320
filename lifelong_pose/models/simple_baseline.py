"""SimpleBaseline: the single-frame residual MLP lifter of Martinez et al. 2017.

"A simple yet effective baseline for 3d human pose estimation" (ICCV 2017), section 3: one
linear layer up to ``width``, ``blocks`` residual blocks of two (Linear, BatchNorm, ReLU, Dropout)
layers, one linear layer down to J*3. It sees one frame, so it is the reference every temporal
lifter is compared against.
"""

from __future__ import annotations

import torch
from torch import nn

from lifelong_pose.models.factory import Lifter


def _layer(in_features: int, out_features: int, dropout: float) -> list[nn.Module]:
    return [nn.Linear(in_features, out_features), nn.BatchNorm1d(out_features), nn.ReLU(), nn.Dropout(dropout)]


class _ResidualBlock(nn.Module):
    """Two (Linear, BatchNorm, ReLU, Dropout) layers with an identity skip (Martinez et al. figure 2)."""

    def __init__(self, width: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(*_layer(width, width, dropout), *_layer(width, width, dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x)


class SimpleBaseline(Lifter):
    """Residual MLP from one frame's 2D joints to its root-relative 3D joints.

    The paper's max-norm constraint on the weights (section 3) is left out: BatchNorm already bounds
    the activations and no later lifter kept it.

    Args:
        num_joints: J.
        receptive_field: must be 1; the argument exists so that ``build_lifter`` treats lifters alike.
        width: features of every hidden layer (1024 in the paper).
        blocks: residual blocks (2 in the paper).
        dropout: drop probability after every ReLU (0.5 in the paper).

    Raises:
        ValueError: a receptive field other than 1, or a size out of range.
    """

    name = "simple_baseline"
    size_names = ("width", "blocks", "dropout")

    def __init__(
        self, num_joints: int, *, receptive_field: int = 1, width: int = 1024, blocks: int = 2, dropout: float = 0.5
    ) -> None:
        if receptive_field != 1:
            raise ValueError(
                f"SimpleBaseline sees single frames (receptive_field 1), got receptive_field={receptive_field}; "
                "use the 'videopose' lifter for temporal windows"
            )
        if width < 1 or blocks < 0 or not 0.0 <= dropout < 1.0:
            raise ValueError(f"need width >= 1, blocks >= 0, 0 <= dropout < 1; got {width=}, {blocks=}, {dropout=}")
        super().__init__(num_joints, receptive_field=1)
        self.width = width
        self.blocks = blocks
        self.dropout = dropout
        self.stem = nn.Sequential(*_layer(num_joints * 2, width, dropout))
        self.residual = nn.Sequential(*(_ResidualBlock(width, dropout) for _ in range(blocks)))
        self.head = nn.Linear(width, num_joints * 3)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                # Kaiming initialisation of the weights, as the paper (section 3); biases keep torch's default.
                nn.init.kaiming_normal_(module.weight)

    def forward(self, x2d: torch.Tensor) -> torch.Tensor:
        """Lift one frame.

        Args:
            x2d: (B, 1, J, 2) normalised screen coordinates.

        Returns:
            (B, J, 3) metres, root-relative: joint 0 is exactly zero.
        """
        self.check_input(x2d)
        batch = x2d.shape[0]
        out = self.head(self.residual(self.stem(x2d.reshape(batch, -1)))).view(batch, self.num_joints, 3)
        return out - out[:, :1]
