"""DAK-Pose (Wang, Zhang, Yuan): dual-augmentor knowledge fusion for generalisable video-based 3D pose.

Wang, Zhang, Yuan. Domain *generalisation*: everything happens on the labelled source, and no
target data is used, not even 2D. At every source step, on a batch of windows ``x`` (B, T, J, 2)
with their 3D ``X`` (B, T, J, 3):

1. the lifter ``G`` (:class:`lifelong_pose.models.dakpose.DAKPoseLifter`) encodes ``x`` into
   structural features ``s`` and dynamic features ``d`` and decodes the 3D of every frame: ``L_pe``;
2. feature disentanglement (3.2): a structure-augmented copy ``X_sa`` (limb scaling, neck and hip
   perturbation) is projected to ``x_sa``; cross reconstruction ``D(s, d_sa) ~ X`` and
   ``D(s_sa, d) ~ X_sa``: ``L_fd`` (eq. 3);
3. the structure-prioritised motion augmentor (SMA, 3.3.1) makes ``X_str``: the window's last pose
   changed by bone-angle and rotation generators, bone lengths from the limb-scale distribution,
   the frames between its first pose and that one generated; the dynamic-prioritised augmentor
   (DMA, 3.3.2) makes ``X_dyn``: a motion predictor continues the motion before the window, and the
   ``T`` frames from ``m`` of reference + prediction are taken. Both are projected with the window's
   own camera and root path;
4. adversarial fusion (3.3.3): auxiliary estimators ``G'`` and ``G''`` (``G``'s architecture) learn
   the SMA and DMA pairs (``L_pe``, eq. 7); discriminators ``D_str`` and ``D_dyn`` tell their
   structural / dynamic features from ``G``'s, least-squares (eq. 4-5), through a gradient reversal
   after ``G``'s encoders whose weight warms up linearly: ``L_dg`` (eq. 6).

The total ``lambda_pe L_pe + lambda_fd L_fd + lambda_dg L_dg`` trains ``G``, ``G'``, ``G''`` and the
discriminators in one step; the augmentors learn after it (``on_step_end``). In a lifelong stream
the strategy trains on the source and never adapts: every row after the source repeats it, as for
``source_only``, and the record says ``uses_target_data: false``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from lifelong_pose.strategies.dakpose.augment import (
    ReversalProbe,
    StructureAugmentation,
    grl_weight,
    reverse_gradient,
)
from lifelong_pose.strategies.dakpose.networks import (
    AuxiliaryEstimator,
    FeatureDiscriminator,
    MotionCritic,
    MotionInterpolator,
    MotionPredictor,
)
from lifelong_pose.strategies.shared.lpa import AnchorDiscriminator, AugmentationGenerator

from lifelong_pose.data import DomainData, PoseBatch
from lifelong_pose.geometry.camera import project_to_2d
from lifelong_pose.geometry.skeleton import get_layout
from lifelong_pose.geometry.transforms import change_bone_lengths
from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.training import LifelongStrategy, LifterParams, RunContext
from lifelong_pose.training.params import check_at_least, check_positive

MIN_JOINT_DEPTH = 0.1  # metres: synthetic joints stay in front of the camera

# Section 4.2: T = 27, batch 64, Adam at 5e-5 decayed by 0.99 per epoch, lambda_grl warmed up over
# n_w = 50 epochs. The number of epochs is not given: 80 here, so the warm-up is 50/80 of it.
_PAPER = {
    "receptive_field": 27,
    "epochs": 80,
    "batch_size": 64,
    "lr": 5e-5,
    "lr_schedule": "exponential",
    "lr_floor": 0.99**80,
    "grl_warmup_share": 50 / 80,
    "lr_warmup_steps": 0,
    "generator_width": 256,
    "critic_width": 256,
    "predictor_width": 512,
}
# The conformance checks': a 5-frame window and small augmentors.
_TINY = {
    "receptive_field": 5,
    "noise_dim": 4,
    "generator_width": 16,
    "critic_width": 16,
    "predictor_width": 16,
    "critic_steps": 1,
    "lr_warmup_steps": 0,
}


@dataclass(frozen=True)
class DAKPoseParams(LifterParams):
    """DAK-Pose's options (the lifter's are those of :class:`LifterParams`; it never adapts).

    Attributes:
        sma, dma: use the structure- / dynamic-prioritised motion augmentor (section 4.5.1's
            "without SA" / "without DA").
        fusion: how the synthetic motions reach ``G``: ``adversarial`` (auxiliary estimators,
            discriminators and gradient reversal; the paper's ADG) or ``direct`` (``G`` trains on the
            synthetic pairs itself; Table 5's "Direct").
        auxiliary_decoder: ``G'`` and ``G''`` decode with ``G``'s own decoder (``shared``: eq. 7's one
            ``D``) or with a copy of it each (``own``); their encoders start as copies of ``G``'s
            either way (:class:`~lifelong_pose.strategies.dakpose.networks.AuxiliaryEstimator`).
        discriminator_output: ``D_str`` and ``D_dyn`` score without bound (``linear``, eq. 4-5) or
            in (0, 1) (``sigmoid``).
        discriminator_normalise: the discriminators layer-normalise the features they score, so the
            reversal cannot win by scaling them. With ``linear`` and no normalisation the reversal
            diverges at the quick rate; with ``sigmoid`` it saturates to a zero gradient (measured:
            :class:`~lifelong_pose.strategies.dakpose.networks.FeatureDiscriminator`).
        disentangle: structure augmentation and cross reconstruction (``L_fd``).
        local_scale_std, global_scale_std, scale_truncation: limb scaling's ``F_l ~ N(1, 0.2)``,
            ``F_g ~ N(1, 0.3)``, truncated at this many standard deviations.
        joint_perturbation: the largest fraction of its bone the neck and hips move toward the root.
        dma_start: ``m``: the synthetic dynamic window is frames ``m .. m + T`` of reference (``T``
            frames) and prediction (``T`` frames); None: ``m = T`` (the paper's 27 for T = 27).
        angle_limit, rotation_limit: bounds of the SMA's bone-angle offsets and rotation (radians).
        offset_limit: bound of the interpolator's bone-direction offsets.
        weight_pose, weight_disentangle, weight_fusion: ``lambda_pe``, ``lambda_fd``, ``lambda_dg`` (10, 4, 4).
        weight_structure, weight_dynamics: ``lambda_str``, ``lambda_dyn`` (1, 2).
        grl_max, grl_warmup_share: ``lambda_grl`` (1) and its linear warm-up, as a share of the source budget.
        augmentor_lr: Adam rate of the interpolator, motion critic and predictor; ``gan_lr`` that of
            the pose generator (Adam) and its anchor critic (RMSprop, WGAN weight clipping at ``clip``).
        critic_steps: anchor-critic updates per pose-generator update.
        noise_dim, generator_width, critic_width, predictor_width: augmentor sizes.
    """

    lifter: str = "dakpose"
    receptive_field: int = 9
    steps: int = 8000
    batch_size: int = 64
    lr: float = 1e-2
    lr_warmup_steps: int = 200
    sma: bool = True
    dma: bool = True
    fusion: Literal["adversarial", "direct"] = "adversarial"
    auxiliary_decoder: Literal["shared", "own"] = "shared"
    discriminator_output: Literal["sigmoid", "linear"] = "linear"
    discriminator_normalise: bool = True
    disentangle: bool = True
    local_scale_std: float = 0.2
    global_scale_std: float = 0.3
    scale_truncation: float = 2.0
    joint_perturbation: float = 0.1
    dma_start: int | None = None
    angle_limit: float = 0.3
    rotation_limit: float = 0.5
    offset_limit: float = 0.3
    weight_pose: float = 10.0
    weight_disentangle: float = 4.0
    weight_fusion: float = 4.0
    weight_structure: float = 1.0
    weight_dynamics: float = 2.0
    grl_max: float = 1.0
    grl_warmup_share: float = 0.5
    augmentor_lr: float = 1e-3
    gan_lr: float = 1e-4
    critic_steps: int = 5
    clip: float = 0.01
    noise_dim: int = 16
    generator_width: int = 128
    critic_width: int = 128
    predictor_width: int = 256

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.fusion not in ("adversarial", "direct"):
            raise ValueError(f"fusion must be 'adversarial' or 'direct', got {self.fusion!r}")
        if self.auxiliary_decoder not in ("shared", "own"):
            raise ValueError(f"auxiliary_decoder must be 'shared' or 'own', got {self.auxiliary_decoder!r}")
        if self.discriminator_output not in ("sigmoid", "linear"):
            raise ValueError(f"discriminator_output must be 'sigmoid' or 'linear', got {self.discriminator_output!r}")
        if self.dma_start is not None and not 0 <= self.dma_start <= self.receptive_field:
            raise ValueError(f"dma_start must be in 0..receptive_field ({self.receptive_field}), got {self.dma_start}")
        if not 0 <= self.grl_warmup_share <= 1:
            raise ValueError(f"grl_warmup_share must be in [0, 1], got {self.grl_warmup_share}")
        if not 0 <= self.joint_perturbation < 1:
            raise ValueError(f"joint_perturbation must be in [0, 1), got {self.joint_perturbation}")
        check_at_least(self, 0, "local_scale_std", "global_scale_std", "angle_limit", "rotation_limit", "offset_limit")
        check_at_least(self, 0, "weight_pose", "weight_disentangle", "weight_fusion", "weight_structure")
        check_at_least(self, 0, "weight_dynamics", "grl_max")
        check_at_least(self, 1, "critic_steps", "noise_dim", "generator_width", "critic_width", "predictor_width")
        check_positive(self, "scale_truncation", "augmentor_lr", "gan_lr", "clip")

    @property
    def window_start(self) -> int:
        """``m``."""
        return self.receptive_field if self.dma_start is None else self.dma_start


class DAKPose(LifelongStrategy):
    """DAK-Pose: feature disentanglement, SMA and DMA, adversarial fusion; trains on the source only.

    Where the paper is silent, this is what was chosen (section in brackets; more in
    :mod:`lifelong_pose.models.dakpose`, :mod:`.augment` and :mod:`.networks`):

    - [3.2] ``x_sa`` is ``X_sa`` placed on the window's own root path and projected with its own
      camera; missing joints of ``x`` stay missing in every synthetic window.
    - [3.3.1] The SMA's bone-angle and rotation generators are PoseDA's LPA generator with its
      bone-length stage off (``length_limit`` 0: "we replace the direct estimation of bone lengths
      with random values ... in the limb-scale"), trained against source poses with the KCS anchor
      critic (WGAN, 5:1); the first pose of the window gets the same limb scale, so the synthetic
      motion keeps "strictly consistent limb lengths across frames" (Fig. 8).
    - [3.3.2] The reference motion is the ``T`` frames before the window's end (a ``2T``-frame
      stretch of the source around each frame); the prediction starts after them.
    - [3.3.3, eq. 7] ``G'`` and ``G''`` "share the same architecture as G", and eq. 7 decodes all three
      estimators' features with one decoder ``D``: their encoders start as copies of ``G``'s and they
      decode with ``G``'s decoder (``auxiliary_decoder=shared``), so a discriminator cannot tell the
      estimators apart by identity (at the first step, on the same input, their features are
      equal). Eq. 7 as printed feeds ``x`` and ``X`` to all three; the text trains ``G'`` and ``G''``
      on the SMA's and DMA's pairs, which is what is done here. Their features reach the
      discriminators detached; the gradient reversal sits on ``G``'s features only, and the norm of
      the gradient it sends back is logged every step (``reversal_grad_*``), beside each
      discriminator's accuracy (``accuracy_*``, 0.5 at chance).
    - [3.3.3] One optimizer for ``G``, ``G'``, ``G''`` and the discriminators: with a gradient
      reversal the min-max is a single descent step (Ganin and Lempitsky), and the paper gives one
      learning rate and schedule for the whole model; no separate discriminator schedule is named.
    - [3.4.2] ``L_pe`` and ``L_fd`` are MPJPE over every frame in metres (eq. 3 and 7 are mean
      per-joint L2 norms); ``lambda_pe`` 10, ``lambda_fd`` 4, ``lambda_dg`` 4 as printed.
    - The augmentors train after each lifter step on the same batch (no separate warm-up; early
      synthetic motion is noise, when the reversal's weight is still near 0).
    - Quick profile: T = 9, C = 16, L = 1, K = 1, one head, tokens with their root offsets (the
      ``dakpose`` lifter's ``quick`` sizes), 8000 steps of 64 windows at 1e-2 (cosine, after 200
      steps of linear warm-up). Chosen as the MLP's profile was, within what a 2-core CPU can run:
      one lifter step costs 7.8x the quick MLP's at batch 64 (C = 32 with two heads: 19.6x), and
      the plain lifter (``source_only`` with these options, seed 0) reaches 42.5 mm on the
      cross_dataset-v2 source (quick MLP: 30.2; at 2000 steps 67.6, 4000 51.4, 16000 37.8) and
      47.9 mm on cross_scenario-v2's (MLP: 37.7). Four times the budget takes the cross_dataset
      source to 34.8 mm (18 %: not converged by the 10 % rule) and its unseen targets from 152.6 to
      144.4 mm (5 %; ``benchmarks/results/convergence_dakpose_lifter.md``). The paper profile is
      T = 27, C = 512, L = 4, K = 6, at 5e-5.
    """

    Params: ClassVar[type[LifterParams]] = DAKPoseParams
    PROFILE_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {"tiny": _TINY, "paper": _PAPER}
    uses_target_data: ClassVar[bool] = False
    shares_source_training: ClassVar[bool] = False

    params: DAKPoseParams

    def __init__(self, *, context: RunContext, params: DAKPoseParams | None = None, **kwargs: Any) -> None:
        super().__init__(context=context, params=params, **kwargs)
        p = self.params
        if not (hasattr(self.model, "encode") and hasattr(self.model, "decode")):
            raise ValueError(f"dakpose needs a lifter with encode/decode (the 'dakpose' lifter), got {p.lifter!r}")
        self.layout = get_layout(context.layout)
        self.structure_augmentation = StructureAugmentation(
            self.layout,
            local_std=p.local_scale_std,
            global_std=p.global_scale_std,
            truncation=p.scale_truncation,
            joint_perturbation=p.joint_perturbation,
        )
        self.structure_estimator = self.dynamics_estimator = None
        self.structure_discriminator = self.dynamics_discriminator = None
        if p.fusion == "adversarial":
            self._build_fusion()
        if p.sma:
            self._build_structure_augmentor()
        if p.dma:
            predictor = MotionPredictor(
                context.num_joints, p.receptive_field, noise_dim=p.noise_dim, width=p.predictor_width
            )
            self.predictor = self.add_network("motion_predictor", predictor)
            self.predictor_optimizer = self.add_optimizer(
                "predictor_optimizer", torch.optim.Adam(self.predictor.parameters(), lr=p.augmentor_lr)
            )
        self._features: tuple[torch.Tensor, torch.Tensor] | None = None  # G's (s, d) of the step's batch
        # the gradient each reversal sent back into G on the last step (logged after it)
        self.reversal_probes = {"structure": ReversalProbe(), "dynamics": ReversalProbe()}

    def _estimator(self) -> AuxiliaryEstimator:
        return AuxiliaryEstimator(self.model, shared_decoder=self.params.auxiliary_decoder == "shared")

    def _build_fusion(self) -> None:
        """``G'``, ``D_str`` (with SMA) and ``G''``, ``D_dyn`` (with DMA), trained by the lifter's optimizer."""
        p, model = self.params, self.model
        fused: list[torch.nn.Module] = []
        if p.sma:
            self.structure_estimator = self.add_network("structure_estimator", self._estimator())
            self.structure_discriminator = self.add_network(
                "structure_discriminator",
                FeatureDiscriminator(
                    "joints", model.channels, model.heads, p.discriminator_output, p.discriminator_normalise
                ),
            )
            fused += [self.structure_estimator, self.structure_discriminator]
        if p.dma:
            self.dynamics_estimator = self.add_network("dynamics_estimator", self._estimator())
            self.dynamics_discriminator = self.add_network(
                "dynamics_discriminator",
                FeatureDiscriminator(
                    "frames", model.channels, model.heads, p.discriminator_output, p.discriminator_normalise
                ),
            )
            fused += [self.dynamics_estimator, self.dynamics_discriminator]
        if fused:  # one step for G, G', G'' and the discriminators: the reversal makes it a min-max
            self.optimizer.add_param_group({"params": [q for module in fused for q in module.parameters()]})

    def _build_structure_augmentor(self) -> None:
        p = self.params
        generator = AugmentationGenerator(
            self.layout,
            noise_dim=p.noise_dim,
            width=p.generator_width,
            angle_limit=p.angle_limit,
            length_limit=0.0,
            rotation_limit=p.rotation_limit,
        )
        self.pose_generator = self.add_network("pose_generator", generator)
        self.anchor_critic = self.add_network("anchor_critic", AnchorDiscriminator(self.layout, width=p.critic_width))
        interpolator = MotionInterpolator(
            self.layout, p.receptive_field, noise_dim=p.noise_dim, width=p.generator_width, offset_limit=p.offset_limit
        )
        self.interpolator = self.add_network("motion_interpolator", interpolator)
        self.motion_critic = self.add_network(
            "motion_critic", MotionCritic(self.layout, p.receptive_field, width=p.critic_width)
        )
        self.pose_generator_optimizer = self.add_optimizer(
            "pose_generator_optimizer", torch.optim.Adam(self.pose_generator.parameters(), lr=p.gan_lr)
        )
        self.anchor_critic_optimizer = self.add_optimizer(
            "anchor_critic_optimizer", torch.optim.RMSprop(self.anchor_critic.parameters(), lr=p.gan_lr)
        )
        self.interpolator_optimizer = self.add_optimizer(
            "interpolator_optimizer", torch.optim.Adam(self.interpolator.parameters(), lr=p.augmentor_lr)
        )
        self.motion_critic_optimizer = self.add_optimizer(
            "motion_critic_optimizer", torch.optim.Adam(self.motion_critic.parameters(), lr=p.augmentor_lr)
        )
        self.augmenter_steps = 0
        self.keep("augmenter_steps")

    # -- the source's windows -----------------------------------------------------------------
    def windows(self, batch: PoseBatch, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The 3D (B, length, J, 3) and roots (B, length, 3) of the ``length`` frames around each batch frame.

        Raises:
            ValueError: a batch row that is not a frame of the current domain, or a domain without 3D.
        """
        data: DomainData = self.domain_data
        if data.X3d is None or data.root is None:
            raise ValueError(f"dakpose trains on labelled data; domain {data.name!r} has no 3D")
        assert batch.ids is not None
        if bool((batch.ids < 0).any()):
            raise ValueError("dakpose needs each batch row's frame in its domain (PoseBatch.ids), got rows with -1")
        frames = data.window_indices(length)[batch.ids]
        return data.X3d[frames], data.root[frames]

    def project(self, X: torch.Tensor, root: torch.Tensor, batch: PoseBatch) -> torch.Tensor:
        """(B, T, J, 3) root-relative windows on the root path ``root`` (B, T, 3), seen by each row's camera."""
        camera_frame = X + root[..., None, :]
        depth = camera_frame[..., 2:].clamp_min(MIN_JOINT_DEPTH)
        camera_frame = torch.cat([camera_frame[..., :2], depth], dim=-1)
        x2d = project_to_2d(camera_frame, batch.intrinsics[:, None])
        return x2d * batch.visible[..., None].to(x2d.dtype)

    # -- the augmentors -----------------------------------------------------------------------
    def structure_motion(self, X: torch.Tensor) -> torch.Tensor:
        """SMA: (B, T, J, 3) reference windows -> synthetic windows (no gradient)."""
        with torch.no_grad():
            factors = self.structure_augmentation.factors(X.shape[0], self._generator, X.device)
            last = self.pose_generator(X[:, -1], self._generator).pose  # bone angles, rotation
            last = change_bone_lengths(last, factors - 1, self.layout)  # lengths from the limb-scale distribution
            first = change_bone_lengths(X[:, 0], factors - 1, self.layout)
            return self.interpolator(first, last, self._generator)

    def dynamic_motion(self, batch: PoseBatch) -> tuple[torch.Tensor, torch.Tensor]:
        """DMA: the synthetic windows (B, T, J, 3) and their root paths (B, T, 3) (no gradient)."""
        frames = self.params.receptive_field
        long, root = self.windows(batch, 2 * frames + 1)
        reference, reference_root = long[:, :frames], root[:, :frames]
        with torch.no_grad():
            predicted = self.predictor(reference, self._generator)
        start = self.params.window_start
        motion = torch.cat([reference, predicted], dim=1)[:, start : start + frames]
        path = torch.cat([reference_root, reference_root[:, -1:].expand(-1, frames, -1)], dim=1)
        return motion, path[:, start : start + frames]

    def train_augmentors(self, batch: PoseBatch) -> None:
        """One update of the SMA's generators and critics and of the DMA's predictor, on source windows."""
        p = self.params
        frames = p.receptive_field
        X, _ = self.windows(batch, frames)
        if p.sma:
            self._pose_generator_step(X[:, -1])
            self._interpolator_step(X)
        if p.dma:
            long, _ = self.windows(batch, 2 * frames + 1)
            reference, future = long[:, :frames], long[:, frames : 2 * frames]
            guesses = torch.stack([self.predictor(reference, self._generator) for _ in range(2)])
            errors = (guesses - future).abs().mean(dim=(2, 3, 4))  # (2, B)
            variety = errors.min(dim=0).values.mean()  # best of two: futures stay diverse
            self.predictor_optimizer.zero_grad(set_to_none=True)
            variety.backward()
            self.predictor_optimizer.step()
            self.log_terms(predictor=variety)

    def _pose_generator_step(self, real: torch.Tensor) -> None:
        fake = self.pose_generator(real, self._generator).pose.detach()
        critic_loss = self.anchor_critic(fake).mean() - self.anchor_critic(real).mean()
        self.anchor_critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.anchor_critic_optimizer.step()
        self.anchor_critic.clip_weights(self.params.clip)
        self.augmenter_steps += 1
        if self.augmenter_steps % self.params.critic_steps:
            return
        self.anchor_critic.requires_grad_(False)
        generator_loss = -self.anchor_critic(self.pose_generator(real, self._generator).pose).mean()
        self.anchor_critic.requires_grad_(True)
        self.pose_generator_optimizer.zero_grad(set_to_none=True)
        generator_loss.backward()
        self.pose_generator_optimizer.step()

    def _interpolator_step(self, X: torch.Tensor) -> None:
        factors = self.structure_augmentation.factors(X.shape[0], self._generator, X.device)
        with torch.no_grad():
            last = change_bone_lengths(self.pose_generator(X[:, -1], self._generator).pose, factors - 1, self.layout)
            first = change_bone_lengths(X[:, 0], factors - 1, self.layout)
        fake = self.interpolator(first, last, self._generator)
        critic_loss = ((self.motion_critic(X) - 1) ** 2).mean() + (self.motion_critic(fake.detach()) ** 2).mean()
        self.motion_critic_optimizer.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.motion_critic_optimizer.step()
        self.motion_critic.requires_grad_(False)
        generator_loss = ((self.motion_critic(fake) - 1) ** 2).mean()
        self.motion_critic.requires_grad_(True)
        self.interpolator_optimizer.zero_grad(set_to_none=True)
        generator_loss.backward()
        self.interpolator_optimizer.step()
        self.log_terms(motion_critic=critic_loss, interpolator=generator_loss)

    # -- the lifter's step --------------------------------------------------------------------
    def training_output(self, batch: PoseBatch) -> torch.Tensor:
        """Every frame's 3D (B, T, J, 3); ``G``'s features are kept for the loss."""
        structure, dynamics = self.model.encode(batch.x2d)
        self._features = (structure, dynamics)
        return self.model.decode(structure, dynamics)

    def supervised_loss(self, batch: PoseBatch, output: torch.Tensor) -> torch.Tensor:
        """``lambda_pe L_pe + lambda_fd L_fd + lambda_dg L_dg`` (eq. 8) on one source batch."""
        p = self.params
        assert self._features is not None, "supervised_loss follows training_output on the same batch"
        structure, dynamics = self._features
        self._features = None
        X, root = self.windows(batch, p.receptive_field)
        pose = mpjpe(output, X).mean()
        terms: dict[str, torch.Tensor] = {"pose": pose}
        total = p.weight_pose * pose
        if p.disentangle:
            X_sa = self.structure_augmentation(X, self._generator)
            structure_sa, dynamics_sa = self.model.encode(self.project(X_sa, root, batch))
            crossed = mpjpe(self.model.decode(structure, dynamics_sa), X).mean()
            crossed_sa = mpjpe(self.model.decode(structure_sa, dynamics), X_sa).mean()
            terms["disentangle"] = crossed + crossed_sa
            total = total + p.weight_disentangle * terms["disentangle"]
        synthetic = []
        if p.sma:
            X_str = self.structure_motion(X)
            synthetic.append(("structure", X_str, self.project(X_str, root, batch)))
        if p.dma:
            X_dyn, path = self.dynamic_motion(batch)
            synthetic.append(("dynamics", X_dyn, self.project(X_dyn, path, batch)))
        if p.fusion == "direct":
            for name, X_syn, x_syn in synthetic:
                terms[f"direct_{name}"] = mpjpe(self.model.sequence(x_syn), X_syn).mean()
                total = total + p.weight_pose * terms[f"direct_{name}"]
        else:
            total = total + self._fusion_terms(synthetic, structure, dynamics, terms)
        self.log_terms(**terms)
        return total

    def _fusion_terms(
        self,
        synthetic: list[tuple[str, torch.Tensor, torch.Tensor]],
        structure: torch.Tensor,
        dynamics: torch.Tensor,
        terms: dict[str, torch.Tensor],
    ) -> torch.Tensor:
        """``lambda_pe`` (L_pe of G', G'') + ``lambda_dg L_dg``; ``structure``, ``dynamics``: G's features.

        The reversal is weighted by its warm-up.
        """
        p = self.params
        weight = grl_weight(self.domain_step, round(p.grl_warmup_share * self.domain_steps), p.grl_max)
        total = torch.zeros((), device=structure.device)
        fusion = torch.zeros((), device=structure.device)
        for name, X_syn, x_syn in synthetic:
            estimator = self.structure_estimator if name == "structure" else self.dynamics_estimator
            discriminator = self.structure_discriminator if name == "structure" else self.dynamics_discriminator
            assert estimator is not None and discriminator is not None
            features_syn = estimator.encode(x_syn)
            terms[f"pose_{name}"] = mpjpe(estimator.decode(*features_syn), X_syn).mean()
            total = total + p.weight_pose * terms[f"pose_{name}"]
            own, synthetic_own = (structure, features_syn[0]) if name == "structure" else (dynamics, features_syn[1])
            synthetic_scores = discriminator(synthetic_own.detach())
            real_scores = discriminator(reverse_gradient(own, weight, self.reversal_probes[name]))
            adversarial = (synthetic_scores**2).mean() + ((1 - real_scores) ** 2).mean()  # eq. 4-5: real 1, synthetic 0
            terms[f"adversarial_{name}"] = adversarial
            # the least-squares targets' midpoint as threshold: 0.5 is chance, 1 a discriminator that always wins
            terms[f"accuracy_{name}"] = (
                (real_scores > 0.5).float().mean() + (synthetic_scores < 0.5).float().mean()
            ) / 2
            fusion = fusion + (p.weight_structure if name == "structure" else p.weight_dynamics) * adversarial
        if synthetic:
            terms["fusion"] = fusion
            terms["grl_weight"] = torch.tensor(weight)
        return total + p.weight_fusion * fusion

    def on_step_end(self) -> None:
        """Log the gradient the reversals sent into ``G``; the augmentors learn from the step's source batch."""
        p = self.params
        if self.domain.index == 0 and p.fusion == "adversarial":
            fused = [name for name, used in (("structure", p.sma), ("dynamics", p.dma)) if used]
            self.log_terms(**{f"reversal_grad_{name}": self.reversal_probes[name].norm for name in fused})
        if self.domain.index == 0 and (p.sma or p.dma):
            assert self.domain_batch is not None
            self.train_augmentors(self.domain_batch)
