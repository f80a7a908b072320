"""2D-to-3D pose lifters: a window of 2D poses in, the root-relative 3D pose of its centre frame out.

Every lifter is a :class:`Lifter` (a ``torch.nn.Module``) taking ``x2d: (B, T, J, 2)`` normalised
screen coordinates, T = ``receptive_field``, and returning ``(B, J, 3)`` metres with joint 0 at the
origin. Build them by name and size profile with :func:`build_lifter`::

    from lifelong_pose.models import build_lifter

    model = build_lifter("videopose", num_joints=17, profile="quick", receptive_field=27)

Its exports load lazily: :mod:`lifelong_pose.models.registered` (the lifter registry's built-ins)
imports no torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lifelong_pose.lazy import lazy_exports

if TYPE_CHECKING:
    from lifelong_pose.models.factory import Lifter, build_lifter
    from lifelong_pose.models.simple_baseline import SimpleBaseline
    from lifelong_pose.models.videopose import VideoPose3D

__all__ = ["Lifter", "SimpleBaseline", "VideoPose3D", "build_lifter"]
# lazy: the lifter registry imports lifelong_pose.models.registered, which must not pull in torch
__getattr__ = lazy_exports(
    __name__,
    {"Lifter": "factory", "build_lifter": "factory", "SimpleBaseline": "simple_baseline", "VideoPose3D": "videopose"},
)
