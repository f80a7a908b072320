"""2D-to-3D pose lifters: a window of 2D poses in, the root-relative 3D pose of its centre frame out.

Every lifter is a :class:`Lifter` (a ``torch.nn.Module``) taking ``x2d: (B, T, J, 2)`` normalised
screen coordinates, T = ``receptive_field``, and returning ``(B, J, 3)`` metres with joint 0 at the
origin. Build them by name and size profile with :func:`build_lifter`::

    from lifelong_pose.models import build_lifter

    model = build_lifter("videopose", num_joints=17, profile="quick", receptive_field=27)

This subpackage imports torch; the CLI's listing never imports it.
"""

from __future__ import annotations

from lifelong_pose.models.factory import LIFTERS, PROFILE_SIZES, Lifter, build_lifter
from lifelong_pose.models.simple_baseline import SimpleBaseline
from lifelong_pose.models.videopose import VideoPose3D

__all__ = ["LIFTERS", "PROFILE_SIZES", "Lifter", "SimpleBaseline", "VideoPose3D", "build_lifter"]
