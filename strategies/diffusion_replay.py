"""Lifelong domain-adaptive pose estimation with a GAN, 2D-pose diffusion replay and EMA (seed 000).

Peng, Xue, Wang, Chen, "Lifelong Domain Adaptive 3D Human Pose Estimation" (arXiv 2512.23860,
AAAI 2026). The lifter is trained on the labelled source, then adapted to each target in turn
from the target's 2D poses alone; no earlier domain's data is kept. At every step on a target:

1. the lifter predicts the 3D of the target batch (every frame of its window);
2. three generators (bone angle, bone length, rotation and translation), conditioned on
   pose-aware, temporal-aware and domain-aware embeddings, augment the predicted poses;
3. the augmented poses are placed before a *source* camera and projected to 2D;
4. a 2D critic tells the target's real 2D poses from the projected ones (Wasserstein GAN with
   gradient penalty); the generators also pay a 3D loss (stay near the prediction) and a hybrid
   2D loss (absolute and normalised);
5. the lifter trains on the generated 2D-3D pairs.

The domain-aware embedding comes from a DDIM sampler of 2D poses that has learned every earlier
domain (:class:`lifelong_pose.models.pose_diffusion.PoseDiffusion`): the memory of the method,
carried from domain to domain instead of data. After each domain it learns that domain's 2D
poses too. The lifter leaving a domain is an exponential moving average (the ``ema`` plugin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from avalanche.core import BasePlugin
from lifelong_pose.strategies.plugins.ema import EMAPlugin

from lifelong_pose.geometry.alignment import box_extent, global_position_alignment, usable_rows
from lifelong_pose.geometry.bones import bone_lengths
from lifelong_pose.geometry.camera import project_to_2d
from lifelong_pose.geometry.skeleton import get_layout
from lifelong_pose.models.lifelong_gan import PoseCritic2D, PoseEmbeddings, gradient_penalty, normalised_2d
from lifelong_pose.models.lpa import AugmentationGenerator, Augmented
from lifelong_pose.models.pose_diffusion import PoseDiffusion
from lifelong_pose.training import AdaptationParams, AugmentationParams, LifelongStrategy, RunContext, TensorBatches
from lifelong_pose.training.params import check_at_least, check_positive, videopose3d_recipe

# The paper's schedule: VideoPose3D with 27 frames, 40 source epochs, 30 per target, batch 1024.
_PAPER = {
    **videopose3d_recipe(40),
    "lifter": "videopose",
    "receptive_field": 27,
    "adapt_epochs": 30,
    "adapt_lr": 1e-4,
    "sampler_train_steps": 5000,
}


@dataclass(frozen=True)
class DiffusionReplayParams(AugmentationParams):
    """Options of ``diffusion_replay`` (the lifter's and the generator's are those of :class:`AugmentationParams`).

    The number of frames (seed 000's 9 / 27 / 81) is the lifter's ``receptive_field``: the
    temporal embedding sees the predicted poses of the lifter's window.

    Attributes:
        prior: ``ddim`` (the sampler's 2D poses of earlier domains), ``noise`` (Gaussian noise in
            their place, the ablation) or ``none`` (no domain-aware embedding at all).
        sampler_steps: DDIM steps per prior sample (40 of ``diffusion_steps`` = T/10; T = full).
        diffusion_steps: length ``T`` of the sampler's noising chain.
        sampler_train_steps, sampler_lr, sampler_width: how the sampler learns each domain.
        replay_share: share of each batch whose augmentation is styled on a prior (with ``ddim``).
        prior_pool: prior poses drawn from the sampler once per target, among which every batch
            picks its share (at most ``replay_share`` times the target's frames).
        ema, ema_eta, ema_update: average the lifter with the ``ema`` plugin (per step or per domain).
        adapt_steps: (inherited) lifter steps per target: 150 in the quick profile, where each step
            also trains the generators and critic, so that the README's main command fits its time
            (with ``sampler_train_steps`` 500 and ``prior_pool`` 2048; benchmarks/results/main_command_time.md).
        warmup_steps: generator and critic steps on each target before the lifter trains.
        gan_lr: (inherited) Adam rate of generators, embeddings and critic (betas 0.5, 0.9, as WGAN-GP).
        critic_steps: critic updates per generator update.
        gp_weight: weight of the gradient penalty.
        weight_3d, weight_2d, weight_normalised_2d: the generators' 3D loss and the two halves of
            the hybrid 2D loss, against the adversarial loss (weight 1).
        embed_dim, critic_width: network sizes (``generator_width`` is inherited).
        translation_limit, depth_limit: bounds of the RT generator's translation (fraction of the
            depth, log depth factor); the other bounds are inherited.
    """

    adapt_steps: int = 150
    adapt_lr: float | None = 1e-4
    prior: Literal["ddim", "noise", "none"] | None = "ddim"  # None (how --set reads "none") means "none"
    sampler_steps: int = 40
    diffusion_steps: int = 400
    sampler_train_steps: int = 500
    sampler_lr: float = 2e-3
    sampler_width: int = 256
    replay_share: float = 0.5
    prior_pool: int = 2048
    ema: bool = True
    ema_eta: float = 0.99
    ema_update: Literal["step", "domain"] = "step"
    warmup_steps: int = 30
    critic_steps: int = 1
    gp_weight: float = 10.0
    weight_3d: float = 10.0
    weight_2d: float = 1.0
    weight_normalised_2d: float = 1.0
    embed_dim: int = 32
    critic_width: int = 128
    translation_limit: float = 0.1
    depth_limit: float = 0.2

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.prior is None:
            object.__setattr__(self, "prior", "none")
        if self.prior not in ("ddim", "noise", "none"):
            raise ValueError(f"prior must be 'ddim', 'noise' or 'none', got {self.prior!r}")
        if self.ema_update not in ("step", "domain"):
            raise ValueError(f"ema_update must be 'step' or 'domain', got {self.ema_update!r}")
        if not 0 <= self.ema_eta < 1:
            raise ValueError(f"ema_eta must be in [0, 1), got {self.ema_eta}")
        if not 0 <= self.replay_share < 1:
            raise ValueError(f"replay_share must be in [0, 1), got {self.replay_share}")
        check_at_least(self, 2, "diffusion_steps")
        if not 1 <= self.sampler_steps <= self.diffusion_steps:
            raise ValueError(
                f"sampler_steps must be in 1..diffusion_steps ({self.diffusion_steps}), got {self.sampler_steps}"
            )
        check_at_least(self, 0, "warmup_steps", "gp_weight", "translation_limit", "depth_limit")
        check_at_least(self, 0, "weight_3d", "weight_2d", "weight_normalised_2d")
        check_at_least(
            self, 1, "sampler_train_steps", "sampler_width", "critic_steps", "embed_dim", "critic_width", "prior_pool"
        )
        check_positive(self, "sampler_lr")


@dataclass(frozen=True)
class _Draw:
    """What one target step draws before any network trains: shared by the critic, generator and lifter updates."""

    x2d: torch.Tensor  # (B, T, J, 2) the target windows
    visible: torch.Tensor  # (B, T, J)
    predicted: torch.Tensor  # (B, T, J, 3) the lifter's 3D of every frame
    style: torch.Tensor  # (B, J, 2) whose position and size each augmented pose takes: prior or own frame
    style_visible: torch.Tensor  # (B, J)
    condition: torch.Tensor | None  # (B, J, 2) the domain embedding's input: prior / own frame, noise, or None
    replayed: int  # the first ``replayed`` rows are styled on priors
    cameras: torch.Tensor  # (B, 9) a source camera per row


@dataclass(frozen=True)
class _Generated:
    augmented: Augmented
    x2d: torch.Tensor  # (B, T, J, 2) projected windows
    root: torch.Tensor  # (B, 3)


class DiffusionReplay(LifelongStrategy):
    """GAN adaptation on predicted poses, DDIM 2D-pose replay as a domain prior, EMA of the lifter.

    Where the seed (and the paper, as far as public text goes) is silent, this is what was chosen:

    - **What the generators augment**: the lifter's own prediction of each target frame's 3D,
      made in evaluation mode without gradients at every step (so it follows the adapting
      lifter), rescaled to the source skeletons' mean total bone length (one number kept from
      the source): training on one's own predictions has no scale of its own, and without this
      the first run's poses grew to kilometres within one target. For a temporal lifter every
      frame of the window is predicted from a window around it, the batch window's edge frames
      repeated.
    - **Embeddings** (:class:`lifelong_pose.models.lifelong_gan.PoseEmbeddings`, 32 numbers
      each, MLP width 128): pose-aware from joint coordinates and bone vectors (the body-part
      segments are subsets of the bone vectors, so they are not encoded apart); temporal-aware
      from the softmax-weighted pose of the window (scores from a 1-D convolution); domain-aware
      from one 2D pose. Concatenated, they are the condition of all three generator stages, in
      the place PoseDA and AdaptPose give noise.
    - **How the prior enters** (``prior=ddim``): for the first ``replay_share`` (0.5) of each
      batch the domain embedding sees a 2D pose sampled from the sampler (earlier domains), the
      augmented pose is placed where that prior pose stands and as large as it is, and the
      critic counts the priors among its real poses: those rows are generated 2D-3D pairs in an
      earlier domain's image statistics, which is how the memory reaches the lifter. The other
      rows see their own target frame and are placed on it. ``prior=noise``: the embedding sees
      Gaussian noise and every row is placed on its own frame; ``prior=none``: no domain
      embedding. The sampler is trained only with ``ddim``.
    - **Placement** (seed: "projected with source camera parameters"): each row takes one of the
      source's cameras (kept after the source: intrinsics only, a few numbers), and the root
      position comes from global position alignment (PoseDA's eq. 4-9) to the style pose under
      that camera; the RT generator's translation then shifts it sideways (``translation_limit``
      of the depth) and scales its depth (``exp(+-depth_limit)``). A temporal window keeps the
      target's 2D root motion, scaled to the projection's size.
    - **Losses**: critic: WGAN-GP (weight 10), Adam 1e-4, betas (0.5, 0.9), one critic update per
      generator update. Generators: ``-critic`` + ``weight_3d`` (10) x MSE (m^2) between the
      pose after the bone stages and the prediction (seed: "similarity between augmented and
      predicted 3D poses"; AdaptPose's feedback loss is left out) + hybrid 2D loss: ``weight_2d``
      x MSE between the projection and its style pose (absolute: position and size) +
      ``weight_normalised_2d`` x L1 between the two normalised to root 0 and box size 1 (shape),
      the latter against the row's own target frame. Missing target joints are left out of both
      and copied into the generated 2D of rows styled on their own frame.
    - **Lifter**: trains on the generated pairs only, with the run's pose loss, at ``adapt_lr``
      1e-4 in both profiles (1e-3 diverged in the quick profile); ``warmup_steps`` (30)
      generator and critic passes come first on every target, since every target brings a new
      real distribution. Generators, embeddings
      and critic carry over from target to target.
    - **Sampler** (:class:`lifelong_pose.models.pose_diffusion.PoseDiffusion`): single-frame 2D
      poses, T = 400, linear betas, residual MLP width 256, 500 training steps per domain (quick;
      paper profile 5000) with its own replay of earlier domains; it learns the source's 2D too,
      and not the stream's last domain (nothing follows to replay it in).
      Priors: deterministic DDIM over ``sampler_steps`` (40) evenly spaced steps from pure noise.
      Seed 000 calls this "partial" sampling; it is read here as DDIM's strided sampling, the
      reading that fits its remark that fewer steps give noisier priors.
    - **EMA**: the ``ema`` plugin, eta 0.99, averaged after every step by default
      (``ema_update=domain`` blends once per domain: ``P_{j+1} = eta P_j + (1 - eta) P^_j``).
    """

    Params: ClassVar[type[AdaptationParams]] = DiffusionReplayParams
    # quick keeps adapt_lr 1e-4: at 1e-3 the first target's adaptation diverged (cross_dataset, seed 0)
    PROFILE_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {"paper": _PAPER}

    params: DiffusionReplayParams

    def __init__(
        self,
        *,
        context: RunContext,
        params: DiffusionReplayParams | None = None,
        plugins: Sequence[BasePlugin] = (),
        **kwargs: Any,
    ) -> None:
        params = params if params is not None else self.default_params(context.profile)
        plugins = list(plugins)
        if isinstance(params, DiffusionReplayParams) and params.ema:
            if any(isinstance(plugin, EMAPlugin) for plugin in plugins):
                raise ValueError(
                    "diffusion_replay already averages the lifter (ema=true); give --set ema=false to use your "
                    "own ema plugin, or drop --plugin ema and set ema_eta / ema_update"
                )
            plugins.append(EMAPlugin(eta=params.ema_eta, update=params.ema_update))
        super().__init__(context=context, params=params, plugins=plugins, **kwargs)
        p = self.params
        layout = get_layout(context.layout)
        self.embeddings = PoseEmbeddings(layout, embed_dim=p.embed_dim, domain=p.prior != "none").to(self.device)
        self.augment_generator = AugmentationGenerator(
            layout,
            noise_dim=self.embeddings.size,
            width=p.generator_width,
            angle_limit=p.angle_limit,
            length_limit=p.length_limit,
            rotation_limit=p.rotation_limit,
            translation=True,
            translation_limit=p.translation_limit,
            depth_limit=p.depth_limit,
        ).to(self.device)
        self.critic = PoseCritic2D(context.num_joints, width=p.critic_width).to(self.device)
        self.sampler = (
            PoseDiffusion(context.num_joints, diffusion_steps=p.diffusion_steps, width=p.sampler_width).to(self.device)
            if p.prior == "ddim"
            else None
        )
        generator_parameters = [*self.augment_generator.parameters(), *self.embeddings.parameters()]
        self.generator_optimizer = torch.optim.Adam(generator_parameters, lr=p.gan_lr, betas=(0.5, 0.9))
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=p.gan_lr, betas=(0.5, 0.9))
        self.source_cameras: torch.Tensor | None = None
        self.source_depths: torch.Tensor | None = None  # (2,) the source's 1st and 99th percentile root depth
        self.source_size: torch.Tensor | None = None  # () the source skeletons' mean total bone length, metres
        self.priors: torch.Tensor | None = None  # this domain's prior poses, drawn once from the sampler

    # -- the domain loop ----------------------------------------------------------------------
    def _before_training_exp(self, **kwargs: Any) -> None:
        super()._before_training_exp(**kwargs)
        if self.domain.index == 0 or self.train_epochs == 0:
            return
        self.kept_cameras()
        self.priors = None
        if self.sampler is not None and self.params.replay_share > 0:
            assert self.experience is not None
            count = max(1, min(self.params.prior_pool, round(self.params.replay_share * len(self.experience.tensors))))
            self.priors = self.sampler.sample(count, steps=self.params.sampler_steps, generator=self._generator)
        assert self.experience is not None
        warmup = TensorBatches(
            self.domain_tensors(self.experience.tensors),
            receptive_field=self.params.receptive_field,
            batch_size=self.train_mb_size,
            shuffle=True,
            generator=self._generator,
            steps=self.params.warmup_steps,
        )
        for batch in warmup:
            if len(batch) == 3:
                self.adversarial_step(self.draw(batch[0]))

    def _after_training_exp(self, **kwargs: Any) -> None:
        """Keep the source's cameras after the source; teach the sampler this domain's 2D poses."""
        assert self.experience is not None
        data = self.domain_tensors(self.experience.tensors)
        if self.domain.index == 0:
            self.source_cameras = torch.unique(data.intrinsics, dim=0)
            if data.root is not None and data.X3d is not None:
                quantiles = torch.tensor([0.01, 0.99], device=data.root.device)
                self.source_depths = torch.quantile(data.root[:, 2], quantiles)
                self.source_size = bone_lengths(data.X3d, self.augment_generator.layout).sum(dim=-1).mean()
        if self.sampler is not None and self.train_epochs > 0 and not self.domain.last:  # no domain follows the last
            self.sampler.learn(
                data.x2d,
                data.visible,
                steps=self.params.sampler_train_steps,
                lr=self.params.sampler_lr,
                replay_steps=self.params.sampler_steps,
                generator=self._generator,
            )
        super()._after_training_exp(**kwargs)

    def kept_cameras(self) -> torch.Tensor:
        """The source cameras' intrinsics (C, 9).

        Raises:
            RuntimeError: the strategy has not trained on the source yet.
        """
        if self.source_cameras is None:
            raise RuntimeError("diffusion_replay projects with the source's cameras; it must train on the source first")
        return self.source_cameras

    # -- one target step ----------------------------------------------------------------------
    def prepare_batch(self, batch: tuple[torch.Tensor, ...], *, update: bool) -> tuple[torch.Tensor, ...]:
        """A target batch ``(x2d, intrinsics, task)`` -> generated pairs ``(x2d, X3d, source intrinsics, task)``."""
        if len(batch) == 4:  # the labelled source
            return batch
        x2d, _, task = batch
        draw = self.draw(x2d)
        if update:
            generated = self.adversarial_step(draw)
        else:
            with torch.no_grad():
                generated = self.generate(draw)
        return generated.x2d.detach(), generated.augmented.pose.detach(), draw.cameras, task

    def draw(self, x2d: torch.Tensor) -> _Draw:
        """Predict the batch's 3D, draw priors and source cameras: everything random in a step, once."""
        batch, frames = x2d.shape[:2]
        centre = frames // 2
        visible = (x2d != 0).any(dim=-1)
        style, style_visible = x2d[:, centre], visible[:, centre]
        condition: torch.Tensor | None = style
        replayed = 0
        if self.params.prior == "ddim":
            replayed = round(self.params.replay_share * batch) if self.priors is not None else 0
            if replayed:
                assert self.priors is not None
                pick = torch.randint(len(self.priors), (replayed,), generator=self._generator).to(x2d.device)
                priors = self.priors[pick]
                style = torch.cat([priors, style[replayed:]])
                style_visible = torch.cat([torch.ones_like(style_visible[:replayed]), style_visible[replayed:]])
            condition = style
        elif self.params.prior == "noise":
            condition = torch.randn(style.shape, generator=self._generator).to(x2d.device)
        else:
            condition = None
        cameras = self.kept_cameras()
        choice = torch.randint(len(cameras), (batch,), generator=self._generator).to(cameras.device)
        predicted = self.predict_windows(x2d)
        if self.source_size is not None:  # labels of human size: self-training has no scale of its own
            size = bone_lengths(predicted[:, centre], self.augment_generator.layout).sum(dim=-1).clamp_min(1e-6)
            predicted = predicted * (self.source_size / size)[:, None, None, None]
        return _Draw(x2d, visible, predicted, style, style_visible, condition, replayed, cameras[choice])

    def predict_windows(self, x2d: torch.Tensor) -> torch.Tensor:
        """(B, T, J, 2) windows -> (B, T, J, 3) the lifter's root-relative 3D of every frame (no gradient)."""
        batch, frames = x2d.shape[:2]
        windows = x2d
        if frames > 1:  # a window around every frame, the batch window's edge frames repeated
            half = frames // 2
            padded = torch.cat([x2d[:, :1].expand(-1, half, -1, -1), x2d, x2d[:, -1:].expand(-1, half, -1, -1)], 1)
            windows = padded.unfold(1, frames, 1).permute(0, 1, 4, 2, 3).reshape(batch * frames, frames, *x2d.shape[2:])
        was_training = self.model.training
        self.model.eval()
        with torch.no_grad():
            predicted = self.model(windows)
        self.model.train(was_training)
        return predicted.reshape(batch, frames, *predicted.shape[1:])

    def generate(self, draw: _Draw) -> _Generated:
        """Augment the predicted windows, place them before their source camera and project them."""
        frames = draw.x2d.shape[1]
        centre = frames // 2
        condition = self.embeddings(draw.predicted, draw.condition)
        augmented = self.augment_generator.transform(draw.predicted[:, centre], (condition, condition, condition))
        windows = self.augment_generator.apply(draw.predicted, augmented)
        rows = usable_rows(draw.style_visible)
        root = global_position_alignment(augmented.pose, draw.style[rows], draw.cameras, draw.style_visible[rows])
        assert augmented.translation is not None
        lateral, log_depth = augmented.translation[:, :2], augmented.translation[:, 2:]
        if self.source_depths is not None:  # no absurd depths from an outlying prior pose's box
            near, far = self.source_depths.tolist()
            root = root * (root[:, 2:].clamp(near / 4, far * 4) / root[:, 2:])
        root = torch.exp(log_depth) * (root + torch.cat([lateral * root[:, 2:], torch.zeros_like(log_depth)], dim=-1))
        x2d = project_to_2d(windows + root[:, None, None], draw.cameras[:, None])
        if frames > 1:  # the target's own root motion, at the projection's scale
            scale = box_ratio(x2d[:, centre], draw.x2d[:, centre], draw.visible[:, centre])
            motion = (draw.x2d[:, :, :1] - draw.x2d[:, centre : centre + 1, :1]) * draw.visible[:, :, :1, None]
            x2d = x2d + scale[:, None, None, None] * motion
        own = torch.ones_like(draw.visible)
        own[draw.replayed :] = draw.visible[draw.replayed :]
        return _Generated(augmented, x2d * own[..., None], root)

    def adversarial_step(self, draw: _Draw) -> _Generated:
        """``critic_steps`` critic updates, then one generator update; returns the generator's output.

        The generator does not change during the critic updates, so its output is computed once:
        detached for the critic, with its graph for the generator's own update.
        """
        centre = draw.x2d.shape[1] // 2
        real = draw.x2d[:, centre]
        if draw.replayed:
            real = torch.cat([draw.style[: draw.replayed], real[draw.replayed :]])
        generated = self.generate(draw)
        fake = generated.x2d[:, centre].detach()
        for _ in range(self.params.critic_steps):
            critic_loss = (
                self.critic(fake).mean()
                - self.critic(real).mean()
                + self.params.gp_weight * gradient_penalty(self.critic, real, fake, self._generator)
            )
            self.critic_optimizer.zero_grad(set_to_none=True)
            critic_loss.backward()
            self.critic_optimizer.step()
        self.critic.requires_grad_(False)
        adversarial = -self.critic(generated.x2d[:, centre]).mean()
        self.critic.requires_grad_(True)
        loss = adversarial + self.generator_losses(draw, generated)
        self.generator_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.generator_optimizer.step()
        return generated

    def generator_losses(self, draw: _Draw, generated: _Generated) -> torch.Tensor:
        """``weight_3d`` L_3D + the hybrid L_2D (absolute to the style pose, normalised to the own frame)."""
        p = self.params
        centre = draw.x2d.shape[1] // 2
        loss_3d = torch.mean((generated.augmented.after_length - draw.predicted[:, centre]) ** 2)
        projected = generated.x2d[:, centre]
        style_mask = draw.style_visible[..., None].to(projected.dtype)
        loss_2d = (((projected - draw.style) ** 2) * style_mask).sum() / (2 * style_mask.sum()).clamp_min(1)
        own_visible = draw.visible[:, centre]
        own_mask = own_visible[..., None].to(projected.dtype)
        shape_error = (normalised_2d(projected, own_visible) - normalised_2d(draw.x2d[:, centre], own_visible)).abs()
        loss_shape = (shape_error * own_mask).sum() / (2 * own_mask.sum()).clamp_min(1)
        return p.weight_3d * loss_3d + p.weight_2d * loss_2d + p.weight_normalised_2d * loss_shape

    # -- what crosses domains -----------------------------------------------------------------
    def auxiliary_modules(self) -> dict[str, torch.nn.Module]:
        modules: dict[str, torch.nn.Module] = {
            "generator": self.augment_generator,
            "embeddings": self.embeddings,
            "critic": self.critic,
        }
        if self.sampler is not None:
            modules["sampler"] = self.sampler
        return modules

    def extra_state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            "generator": self.augment_generator.state_dict(),
            "embeddings": self.embeddings.state_dict(),
            "critic": self.critic.state_dict(),
            "generator_optimizer": self.generator_optimizer.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
        }
        if self.sampler is not None:
            state["sampler"] = self.sampler.state_dict()
        if self.source_cameras is not None:
            state["source_cameras"] = self.source_cameras
        if self.source_depths is not None and self.source_size is not None:
            state["source_depths"], state["source_size"] = self.source_depths, self.source_size
        return state

    def load_extra_state_dict(self, state: dict[str, Any]) -> None:
        self.augment_generator.load_state_dict(state["generator"])
        self.embeddings.load_state_dict(state["embeddings"])
        self.critic.load_state_dict(state["critic"])
        self.generator_optimizer.load_state_dict(state["generator_optimizer"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        if self.sampler is not None:
            self.sampler.load_state_dict(state["sampler"])
        if "source_cameras" in state:
            self.source_cameras = state["source_cameras"].to(self.device)
        if "source_depths" in state:
            self.source_depths = state["source_depths"].to(self.device)
            self.source_size = state["source_size"].to(self.device)


def box_ratio(x2d: torch.Tensor, reference: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
    """(B,) size of each pose's 2D box over the size of its reference's (visible joints of the reference)."""
    return box_extent(x2d, visible) / box_extent(reference, visible).clamp_min(1e-6)
