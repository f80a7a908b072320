"""DAK-Pose's structure augmentation (section 3.2.1) and gradient reversal (section 3.3.3).

Structure augmentation changes a motion's skeleton and keeps its dynamics: limb groups are scaled
(a global factor ``F_g ~ N(1, 0.3)`` times a factor per group ``F_l ~ N(1, 0.2)``, the same over the
whole window), and the neck and hip joints are displaced along the bone toward the root. Where the
paper is silent, chosen here:

- **Limb groups**: bones grouped by kind, a left bone with its right twin (so that a body stays
  symmetric, as PoseAug keeps bone-length changes symmetric): pelvis width, thighs, shins, spine,
  neck and head, shoulder width, upper arms, forearms.
- **Truncation**: "a right-truncated normal ... so that each group is scaled symmetrically in both
  enlargement and reduction": factors are drawn from the normal truncated at ``truncation``
  standard deviations on both sides (2: ``F_g`` in [0.4, 1.6], ``F_l`` in [0.6, 1.4]); a left tail
  reaching zero would make bones vanish.
- **Joint perturbation**: each of the neck (``Neck/Nose``; ``Thorax`` in the 16-joint layout, which
  has no neck) and the two hip joints moves a uniform fraction in ``[0, joint_perturbation]`` of
  the bone from its parent toward that parent; its children stay where they are (an annotation
  bias moves one marker, not the limb below it).
"""

from __future__ import annotations

from typing import Any

import torch

from lifelong_pose.geometry.skeleton import JointLayout
from lifelong_pose.geometry.transforms import change_bone_lengths

# bone kind by its child joint, left and right twins sharing a kind
_GROUP_OF_CHILD = {
    "RHip": "pelvis",
    "LHip": "pelvis",
    "RKnee": "thigh",
    "LKnee": "thigh",
    "RFoot": "shin",
    "LFoot": "shin",
    "Spine": "spine",
    "Thorax": "spine",
    "Neck/Nose": "head",
    "Head": "head",
    "LShoulder": "shoulders",
    "RShoulder": "shoulders",
    "LElbow": "upper_arm",
    "RElbow": "upper_arm",
    "LWrist": "forearm",
    "RWrist": "forearm",
}
LIMB_GROUPS: tuple[str, ...] = ("pelvis", "thigh", "shin", "spine", "head", "shoulders", "upper_arm", "forearm")


def limb_group_of_bones(layout: JointLayout) -> torch.Tensor:
    """(bones,) index into :data:`LIMB_GROUPS` of every bone of ``layout``.

    Raises:
        KeyError: a layout with a joint this grouping does not know.
    """
    names = [layout.joint_names[child] for _, child in layout.bones]
    unknown = [name for name in names if name not in _GROUP_OF_CHILD]
    if unknown:
        raise KeyError(f"limb groups: unknown joints {unknown} in layout {layout.name}")
    return torch.tensor([LIMB_GROUPS.index(_GROUP_OF_CHILD[name]) for name in names])


def perturbed_joints(layout: JointLayout) -> tuple[int, ...]:
    """The neck (or thorax) and the two hip joints that structure augmentation displaces."""
    neck = "Neck/Nose" if "Neck/Nose" in layout.joint_names else "Thorax"
    return tuple(layout.index(name) for name in (neck, "LHip", "RHip"))


def truncated_normal(
    shape: tuple[int, ...], std: float, truncation: float, generator: torch.Generator, device: Any = None
) -> torch.Tensor:
    """``1 + std * z`` with ``z`` standard normal truncated to ``[-truncation, truncation]`` (inverse CDF)."""
    normal = torch.distributions.Normal(0.0, 1.0)
    low, high = normal.cdf(torch.tensor(-truncation)), normal.cdf(torch.tensor(truncation))
    uniform = low + (high - low) * torch.rand(shape, generator=generator)
    return (1 + std * torch.special.ndtri(uniform)).to(device)


class StructureAugmentation:
    """Draw and apply limb scaling and joint perturbation to (B, T, J, 3) root-relative windows.

    Args:
        layout: the joints.
        local_std, global_std: the standard deviations of ``F_l`` and ``F_g`` (0.2, 0.3).
        truncation: the factors' truncation, in standard deviations.
        joint_perturbation: the largest fraction of a bone the neck and hips move toward its parent.
    """

    def __init__(
        self, layout: JointLayout, *, local_std: float, global_std: float, truncation: float, joint_perturbation: float
    ) -> None:
        self.layout = layout
        self.groups = limb_group_of_bones(layout)
        self.joints = perturbed_joints(layout)
        self.parents = tuple(layout.parents[j] for j in self.joints)
        self.local_std, self.global_std = local_std, global_std
        self.truncation, self.joint_perturbation = truncation, joint_perturbation

    def factors(self, batch: int, generator: torch.Generator, device: Any = None) -> torch.Tensor:
        """(B, bones) bone-length factors ``F_g * F_l[group]``, one draw per window."""
        local = truncated_normal((batch, len(LIMB_GROUPS)), self.local_std, self.truncation, generator, device)
        overall = truncated_normal((batch, 1), self.global_std, self.truncation, generator, device)
        return overall * local[:, self.groups.to(local.device)]

    def scale(self, X: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 3) windows with every bone scaled by ``factors`` (B, bones), directions kept."""
        return change_bone_lengths(X, (factors - 1)[:, None], self.layout)

    def perturb(self, X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """(B, T, J, 3) windows with the neck and hips moved toward their parents (the same move in every frame)."""
        shares = torch.rand(X.shape[0], len(self.joints), generator=generator).to(X.device) * self.joint_perturbation
        moved = X.clone()
        for column, (joint, parent) in enumerate(zip(self.joints, self.parents, strict=True)):
            moved[..., joint, :] = X[..., joint, :] - shares[:, column, None, None] * (
                X[..., joint, :] - X[..., parent, :]
            )
        return moved

    def __call__(self, X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Scale the limbs, then perturb the joints: (B, T, J, 3) -> (B, T, J, 3)."""
        return self.perturb(self.scale(X, self.factors(X.shape[0], generator, X.device)), generator)


class ReversalProbe:
    """The norm of the gradient a reversal sends back into ``G`` on the last backward pass.

    Why: behind a gradient reversal, a least-squares discriminator that wins outright sends ``G``
    a gradient scaled by ``1 - D(f_G)``, i.e. none; the norm, logged every step, shows whether the
    fusion is alive while its weight ramps up.
    """

    def __init__(self) -> None:
        self.norm = torch.zeros(())


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: float, probe: ReversalProbe | None) -> torch.Tensor:
        ctx.weight, ctx.probe = weight, probe
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        reversed_grad = -ctx.weight * grad
        if ctx.probe is not None:
            ctx.probe.norm = reversed_grad.detach().norm()
        return reversed_grad, None, None


def reverse_gradient(x: torch.Tensor, weight: float, probe: ReversalProbe | None = None) -> torch.Tensor:
    """Identity forward; the gradient is multiplied by ``-weight`` on the way back (Ganin and Lempitsky).

    ``probe``, when given, keeps the norm of the gradient passed back (:class:`ReversalProbe`).
    """
    return _ReverseGradient.apply(x, weight, probe)


def grl_weight(step: int, warmup_steps: int, maximum: float) -> float:
    """``lambda_grl`` at optimizer step ``step``: linear from 0 to ``maximum`` over ``warmup_steps``, then flat."""
    if warmup_steps <= 0:
        return maximum
    return maximum * min(1.0, step / warmup_steps)
