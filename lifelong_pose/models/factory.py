"""The ``Lifter`` contract shared by every 2D-to-3D model, and ``build_lifter`` by name and profile.

Lifters are registered in ``lifelong_pose.registry.lifter_registry`` (the built-ins in
:mod:`lifelong_pose.models.registered`) as lazy ``module:Class`` entry points with per-profile sizes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from lifelong_pose.data.windows import sliding_windows
from lifelong_pose.registry import LifterSpec, lifter_registry
from lifelong_pose.registry.loading import check_kwargs


class Lifter(nn.Module):
    """Base of every lifter: maps a window of 2D poses to the 3D pose of its centre frame.

    Why a base: strategies, metrics and run records need the receptive field (to cut windows), the
    joint count (to check data against the model) and the size, whatever the architecture.

    Subclasses implement ``forward(x2d: (B, receptive_field, J, 2)) -> (B, J, 3)`` and
    ``get_params``; they call :meth:`check_input` first and zero the root joint last.

    Attributes:
        name: the lifter's id in ``lifter_registry``.
        num_joints: J, joints per pose.
        receptive_field: T, frames per input window, odd, centred on the frame predicted.
    """

    name: ClassVar[str] = ""
    sequence_path: ClassVar[bool] = False
    """True where :meth:`forward_sequence` shares work between neighbouring frames (dilated
    convolutions): the engine then tests whole sequences with it instead of window by window."""
    size_names: ClassVar[tuple[str, ...]] = ()  # constructor sizes, stored under the same attribute names

    def __init__(self, num_joints: int, receptive_field: int) -> None:
        super().__init__()
        if not isinstance(num_joints, int) or num_joints < 1:
            raise ValueError(f"num_joints must be a positive int, got {num_joints!r}")
        self.num_joints = num_joints
        self.receptive_field = receptive_field

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Number of learned scalars (BatchNorm running statistics are buffers, not counted)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def get_params(self) -> dict[str, Any]:
        """Name, joints, receptive field and the sizes named in ``size_names``, JSON-ready;
        ``build_lifter(**get_params())`` rebuilds the model."""
        if not self.size_names:
            raise NotImplementedError(f"{type(self).__name__} must list its size_names or implement get_params()")
        head = {"name": self.name, "num_joints": self.num_joints, "receptive_field": self.receptive_field}
        return head | {size: getattr(self, size) for size in self.size_names}

    def check_input(self, x2d: torch.Tensor, *, sequence: bool = False) -> None:
        """Raise a ``ValueError`` naming the fix when ``x2d`` does not fit this model.

        Args:
            x2d: (B, T, J, 2) normalised screen coordinates; T must equal ``receptive_field``, or
                be at least ``receptive_field`` when ``sequence`` is true.
            sequence: check a whole sequence for :meth:`forward_sequence` rather than one window.
        """
        model, rf, joints = type(self).__name__, self.receptive_field, self.num_joints
        if not isinstance(x2d, torch.Tensor):
            raise ValueError(f"{model} expects x2d as a torch.Tensor, got {type(x2d).__name__}")
        frames = "N" if sequence else "T"
        expected = f"(B, {frames}, J, 2) = (B, {'>=' if sequence else ''}{rf}, {joints}, 2)"
        if x2d.ndim != 4:
            raise ValueError(
                f"{model} expects x2d of shape {expected}, got {x2d.ndim} dims {tuple(x2d.shape)}; "
                "add the missing batch or frame axis (x2d[None] or x2d[:, None])"
            )
        if x2d.shape[-1] != 2:
            raise ValueError(
                f"{model} expects x2d of shape {expected}: the last axis holds (x, y) screen coordinates, "
                f"got size {x2d.shape[-1]}; pass 2D keypoints, not 3D joints or confidences"
            )
        if x2d.shape[2] != joints:
            raise ValueError(
                f"{model} was built for num_joints={joints} but x2d has J={x2d.shape[2]} joints "
                f"(shape {tuple(x2d.shape)}); build the lifter with num_joints={x2d.shape[2]} or map the layout"
            )
        if sequence and x2d.shape[1] < rf:
            raise ValueError(
                f"{model}.forward_sequence needs at least receptive_field={rf} frames, got N={x2d.shape[1]}; "
                "pad the sequence by repeating its edge frames"
            )
        if not sequence and x2d.shape[1] != rf:
            raise ValueError(
                f"{model} has receptive_field={rf} but x2d has T={x2d.shape[1]} frames; pass windows of "
                f"{rf} frames centred on the frame to predict (DomainData.window_indices), "
                "or whole sequences to forward_sequence"
            )

    def forward_sequence(self, x2d: torch.Tensor) -> torch.Tensor:
        """Predict every frame of a sequence that has a full window, by sliding :meth:`forward`.

        Subclasses with a cheaper sequence path (dilated convolutions) override this.

        Args:
            x2d: (B, N, J, 2) normalised screen coordinates, N >= receptive_field.

        Returns:
            (B, N - receptive_field + 1, J, 3) root-relative metres; index k is the centre frame of
            ``x2d[:, k:k + receptive_field]``.
        """
        self.check_input(x2d, sequence=True)
        batch, rf = x2d.shape[0], self.receptive_field
        windows = sliding_windows(x2d, rf)  # (B, N', rf, J, 2)
        out = self(windows.reshape(-1, rf, self.num_joints, 2))
        return out.view(batch, -1, self.num_joints, 3)


def build_lifter(
    name: str, *, num_joints: int, profile: str = "quick", receptive_field: int = 1, **overrides: Any
) -> Lifter:
    """Build a registered lifter from its name and a size profile; weights come from the global torch seed.

    Args:
        name: an id of ``lifter_registry`` (``simple_baseline``, ``videopose``, a plugin's).
        num_joints: J of the layout the data uses (17 for ``h36m17``, 16 for ``common16``).
        profile: ``quick`` or ``paper``, see the spec's ``profiles``.
        receptive_field: frames per input window; 1 for ``simple_baseline``, one of 1, 27, 81, 243
            for ``videopose``.
        **overrides: sizes that replace the profile's (``width``, ``blocks``, ``channels``, ``dropout``).

    Raises:
        RegistryError: unknown name (with suggestions).
        ValueError: unknown profile, or a receptive field the lifter cannot take.
        TypeError: an override the lifter does not have, or of the wrong type, or an entry point
            that is not a :class:`Lifter`.
    """
    return lifter_registry.make(
        name, num_joints=num_joints, profile=profile, receptive_field=receptive_field, **overrides
    )


def build_registered_lifter(spec: LifterSpec, cls: Any, overrides: dict[str, Any]) -> Lifter:
    """Registry builder for lifters: the profile's sizes, then ``overrides``, checked against the class."""
    profile = overrides.pop("profile", "quick")
    num_joints, receptive_field = overrides.pop("num_joints"), overrides.pop("receptive_field", 1)
    if not (isinstance(cls, type) and issubclass(cls, Lifter)):
        raise TypeError(f"Lifter {spec.id!r}: entry point {spec.entry_point!r} is not a Lifter subclass, got {cls!r}")
    profiles = spec.profiles
    if profile not in profiles:
        raise ValueError(f"Unknown profile {profile!r} for lifter {spec.id!r}; profiles: {', '.join(profiles)}")
    unknown = sorted(set(overrides) - set(profiles[profile]))
    if unknown:
        raise TypeError(
            f"Lifter {spec.id!r} has no size {', '.join(map(repr, unknown))}; "
            f"overridable sizes: {', '.join(profiles[profile])}"
        )
    check_kwargs(cls.__init__, overrides, owner=f"Lifter {spec.id!r}")
    return cls(
        num_joints=num_joints, receptive_field=receptive_field, **{**profiles[profile], **spec.kwargs, **overrides}
    )
