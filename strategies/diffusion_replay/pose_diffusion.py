"""A denoising diffusion model of single-frame 2D poses, sampled with DDIM: the memory of ``diffusion_replay``.

The paper replaces stored data of earlier domains by a 2D-pose diffusion sampler: it is trained on
each domain's 2D poses as the stream goes on and, while the lifter adapts to a later domain, it
draws 2D poses that look like the earlier ones (where people stand in the image, how large they
appear, how they are posed). It never stores a pose.

- Noise schedule: DDPM's linear betas (1e-4 to 0.02 over 1000 steps), rescaled to ``T`` steps
  (``beta * 1000 / T``) so that the last step is as noisy at T = 400 as DDPM's at 1000.
- Representation: the root joint's position and every other joint relative to it (``J * 2``
  numbers), each standardised with the mean and spread of the first domain learned. Absolute
  coordinates would bury the pose's shape under where the person stands; raw coordinates are too
  small for the schedule (measured on the simulated source: box-size spread of samples 4x the
  data's).
- Denoiser: a residual MLP with a sinusoidal step embedding added before the blocks; it predicts
  the noise (epsilon parameterisation).
- Missing joints: a 2D pose stores a joint it did not observe as 0; the loss only counts observed
  coordinates, so the model never learns that people have joints at the image centre.
- Continual learning (:meth:`PoseDiffusion.learn`): before learning a new domain it samples its
  own picture of the earlier ones (generative replay, Shin et al. 2017) and trains on both, each
  earlier domain weighted like the new one, so the same network keeps all of them.
- Sampling (:meth:`PoseDiffusion.sample`): deterministic DDIM (Song et al. 2021, eta = 0) over
  ``steps`` evenly spaced steps of the ``T``-step chain (``strided``): 40 of 400 is the paper's
  "T/10"; 400 is full sampling. The seed also calls its samples "partially denoised" and says
  fewer steps give noisier priors, which reads as stopping the reverse process early:
  ``partial`` takes the first ``steps`` single steps from pure noise and returns the noisy state
  reached (x_t at t = T - steps). The cost is one denoiser call per step either way.
- Replay while learning a new domain draws at most ``replay_samples`` (4096) poses of the earlier
  domains, whatever the domain's size: each batch draws among them, and a pool of thousands is
  as good as one of the domain's size at a fraction of the sampling (which dominated the cost
  of full 400-step sampling).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lifelong_pose.geometry.alignment import box_extent

# DDIM's clean-pose estimate is clipped to this many image half-widths (in screen units, not in
# standard deviations, so a later domain far from the first one is not cut off): at the noisiest
# steps it divides by sqrt(alpha_bar) ~ 0.007, and an untrained direction would otherwise blow up
_CLIP = 3.0
_MIN_STD = 1e-3


def linear_betas(diffusion_steps: int) -> torch.Tensor:
    """DDPM's linear schedule (1e-4 to 0.02 at 1000 steps), rescaled to ``diffusion_steps`` steps."""
    if diffusion_steps < 2:
        raise ValueError(f"diffusion_steps must be >= 2, got {diffusion_steps}")
    scale = 1000 / diffusion_steps
    return torch.linspace(1e-4 * scale, min(0.02 * scale, 0.999), diffusion_steps, dtype=torch.float64)


def ddim_timesteps(diffusion_steps: int, steps: int, mode: str = "strided") -> torch.Tensor:
    """The chain's steps a sample visits, last to first.

    ``strided``: ``steps`` evenly spaced steps down to 0 (``steps == diffusion_steps``: all of
    them). ``partial``: the first ``steps`` single steps from the noisiest, ``T - 1`` down to
    ``T - steps``; the sample stops at ``T - steps - 1`` (clean only when ``steps == T``).

    Raises:
        ValueError: ``steps`` outside ``1..diffusion_steps``, or an unknown ``mode``.
    """
    if not 1 <= steps <= diffusion_steps:
        raise ValueError(f"sampler steps must be in 1..{diffusion_steps} (the chain's length), got {steps}")
    if mode == "strided":
        return torch.linspace(diffusion_steps - 1, 0, steps).round().long()
    if mode == "partial":
        return torch.arange(diffusion_steps - 1, diffusion_steps - 1 - steps, -1)
    raise ValueError(f"sampler mode must be 'strided' or 'partial', got {mode!r}")


def step_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """(B,) integer steps -> (B, dim) sinusoidal features (the Transformer's, as DDPM uses them)."""
    half = dim // 2
    frequencies = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * frequencies[None]
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class Denoiser(nn.Module):
    """Noisy standardised pose and step in, predicted noise out: a residual MLP with the step added once."""

    def __init__(self, features: int, *, width: int = 256, blocks: int = 3, step_dim: int = 64) -> None:
        super().__init__()
        self.step_dim = step_dim
        self.inp = nn.Linear(features, width)
        self.step = nn.Sequential(nn.Linear(step_dim, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.LayerNorm(width), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
            for _ in range(blocks)
        )
        self.out = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, features))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        h = self.inp(x) + self.step(step_embedding(t, self.step_dim))
        for block in self.blocks:
            h = h + block(h)
        return self.out(h)


class PoseDiffusion(nn.Module):
    """A DDIM sampler of (J, 2) poses that learns domain after domain and keeps the earlier ones.

    Args:
        num_joints: joints per pose.
        diffusion_steps: ``T``, the length of the noising chain (the paper: 400).
        width: hidden width of the denoiser.
        blocks: residual blocks of the denoiser.

    Everything it knows is in its ``state_dict`` (weights, the standardisation and the number of
    domains learned), which is what a strategy carries from one domain to the next.
    """

    def __init__(self, num_joints: int, *, diffusion_steps: int = 400, width: int = 256, blocks: int = 3) -> None:
        super().__init__()
        self.num_joints = num_joints
        self.features = num_joints * 2
        self.diffusion_steps = diffusion_steps
        self.denoiser = Denoiser(self.features, width=width, blocks=blocks)
        alphas_cumprod = torch.cumprod(1 - linear_betas(diffusion_steps), dim=0)
        self.register_buffer("alphas_cumprod", alphas_cumprod.float(), persistent=False)
        self.register_buffer("mean", torch.zeros(self.features))
        self.register_buffer("std", torch.ones(self.features))
        self.register_buffer("domains_learned", torch.zeros((), dtype=torch.long))
        # (2, 3): low and high of (box size, root x, root y) over the domains learned (see plausible)
        self.register_buffer("extent", torch.tensor([[torch.inf] * 3, [-torch.inf] * 3]))

    @property
    def device(self) -> torch.device:
        return self.domains_learned.device

    # -- learning -----------------------------------------------------------------------------
    def learn(
        self,
        x2d: torch.Tensor,
        visible: torch.Tensor | None = None,
        *,
        steps: int = 1500,
        batch_size: int = 256,
        lr: float = 1e-3,
        replay_steps: int = 40,
        replay_samples: int = 4096,
        replay_filter: bool = True,
        generator: torch.Generator | None = None,
    ) -> list[float]:
        """Learn one more domain's 2D poses, keeping the earlier domains through replay of its own samples.

        Args:
            x2d: (N, J, 2) the domain's 2D poses (normalised screen coordinates, 0 where missing).
            visible: (N, J) observed joints (all when None); only those enter the loss.
            steps: optimisation steps (a fixed count: a small domain is learned as well as a large one).
            batch_size: examples per step; after the first domain, the share ``k / (k + 1)`` of
                each batch (``k`` domains learned before) are replayed samples.
            lr: Adam's learning rate (a fresh optimizer per domain).
            replay_steps: DDIM steps used to draw the replayed samples.
            replay_samples: at most this many replayed poses are drawn (batches draw among them).
            replay_filter: replay only plausible samples (:meth:`sample_plausible`).
            generator: CPU generator for every random draw.

        Returns:
            The mean training loss of every hundred steps.

        Raises:
            ValueError: poses of the wrong shape, or no observed coordinate.
        """
        if x2d.dim() != 3 or x2d.shape[1:] != (self.num_joints, 2) or len(x2d) == 0:
            raise ValueError(f"PoseDiffusion.learn expects (N, {self.num_joints}, 2) poses, got {tuple(x2d.shape)}")
        if steps < 1 or batch_size < 1:
            raise ValueError(f"steps and batch_size must be >= 1, got {steps}, {batch_size}")
        device = self.device
        x2d = x2d.to(device)
        seen = torch.ones(x2d.shape[:2], dtype=torch.bool, device=device) if visible is None else visible.to(device)
        seen = torch.cat([seen[:, :1], seen[:, 1:] & seen[:, :1]], dim=1)  # a relative joint needs its root
        mask = seen.repeat_interleave(2, dim=-1).to(x2d.dtype)
        if not bool(mask.any()):
            raise ValueError("PoseDiffusion.learn: the domain has no observed joint")
        x = self._features(x2d)
        earlier = int(self.domains_learned)
        if earlier == 0:
            count = mask.sum(dim=0).clamp_min(1)
            self.mean.copy_((x * mask).sum(dim=0) / count)
            self.std.copy_((((x - self.mean) ** 2 * mask).sum(dim=0) / count).sqrt().clamp_min(_MIN_STD))
        x = (x - self.mean) / self.std
        replayed = None
        if earlier:
            draw = self.sample_plausible if replay_filter else self.sample
            replayed = (
                self._features(draw(min(len(x), replay_samples), steps=replay_steps, generator=generator)) - self.mean
            ) / self.std
        replay_rows = round(batch_size * earlier / (earlier + 1)) if replayed is not None else 0
        optimizer = torch.optim.Adam(self.denoiser.parameters(), lr=lr)
        # cosine decay to 0: the last steps refine at a small rate, which cuts the samples' outliers
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
        history = torch.empty(steps)
        self.train()
        for step in range(steps):
            rows = torch.randint(len(x), (batch_size - replay_rows,), generator=generator).to(device)
            clean, weight = x[rows], mask[rows]
            if replayed is not None and replay_rows:
                memory = torch.randint(len(replayed), (replay_rows,), generator=generator).to(device)
                clean = torch.cat([clean, replayed[memory]])
                weight = torch.cat([weight, torch.ones(replay_rows, self.features, device=device)])
            loss = self._denoising_loss(clean, weight, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            history[step] = loss.detach()
        self.eval()
        self._widen_extent(x2d, seen)
        self.domains_learned += 1
        return [float(chunk.mean()) for chunk in history.split(100)]

    def _widen_extent(self, x2d: torch.Tensor, seen: torch.Tensor) -> None:
        """Widen :attr:`extent` to hold the domain's 1st-99th percentile box size and root position."""
        described = _describe(x2d, seen)
        quantiles = torch.tensor([0.01, 0.99], device=described.device, dtype=described.dtype)
        low, high = torch.quantile(described, quantiles, dim=0)
        self.extent.copy_(torch.stack([torch.minimum(self.extent[0], low), torch.maximum(self.extent[1], high)]))

    def plausible(self, x2d: torch.Tensor, margin: float = 0.25) -> torch.Tensor:
        """(N, J, 2) samples -> (N,) whether each one's box size and root position lie within the
        learned domains' 1st-99th percentile range, widened by ``margin`` of that range each way.

        DDIM samples of a briefly trained denoiser have heavy tails (measured on the simulated
        source after 500 steps: 5 % of samples with a box 5 times the data's median, roots off
        the image): a pose placed on such a prior stands a metre from the camera or beside it,
        and one such row in a batch costs the lifter more than the rest teach it.
        """
        low, high = self.extent
        pad = margin * (high - low)
        described = _describe(x2d, torch.ones(x2d.shape[:2], dtype=torch.bool, device=x2d.device))
        return ((described >= low - pad) & (described <= high + pad)).all(dim=-1)

    def _features(self, x2d: torch.Tensor) -> torch.Tensor:
        """(N, J, 2) -> (N, J * 2): the root's position, then every joint relative to the root."""
        return torch.cat([x2d[:, :1], x2d[:, 1:] - x2d[:, :1]], dim=1).flatten(1)

    def _poses(self, features: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`_features`."""
        x = features.reshape(len(features), self.num_joints, 2)
        return torch.cat([x[:, :1], x[:, 1:] + x[:, :1]], dim=1)

    def _denoising_loss(
        self, clean: torch.Tensor, weight: torch.Tensor, generator: torch.Generator | None
    ) -> torch.Tensor:
        """DDPM's simple loss: the squared error of the predicted noise, over observed coordinates only."""
        t = torch.randint(self.diffusion_steps, (len(clean),), generator=generator).to(clean.device)
        noise = torch.randn(clean.shape, generator=generator).to(clean.device)
        alpha_bar = self.alphas_cumprod[t][:, None]
        noisy = alpha_bar.sqrt() * clean + (1 - alpha_bar).sqrt() * noise
        error = (self.denoiser(noisy, t) - noise) ** 2
        return (error * weight).sum() / weight.sum()

    # -- sampling -----------------------------------------------------------------------------
    @torch.no_grad()
    def sample(
        self, n: int, *, steps: int = 40, mode: str = "strided", generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """``n`` poses (n, J, 2) by deterministic DDIM over ``steps`` of the ``T`` steps (see :func:`ddim_timesteps`).

        Raises:
            RuntimeError: the model has learned no domain yet.
            ValueError: ``steps`` outside ``1..T`` or an unknown ``mode``.
        """
        if int(self.domains_learned) == 0:
            raise RuntimeError("PoseDiffusion.sample: the sampler has learned no domain yet (call learn first)")
        return self._sample(n, steps, mode, generator)

    @torch.no_grad()
    def sample_plausible(
        self,
        n: int,
        *,
        steps: int = 40,
        mode: str = "strided",
        margin: float = 0.25,
        rounds: int = 8,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """``n`` samples that pass :meth:`plausible` (truncated sampling): draws are repeated, each
        round twice the missing number, for at most ``rounds`` rounds.

        Raises:
            RuntimeError: fewer than ``n`` plausible samples after ``rounds`` rounds (the sampler
                has not learned its domains: train it longer).
        """
        kept: list[torch.Tensor] = []
        missing = n
        for _ in range(rounds):
            draw = self.sample(2 * missing, steps=steps, mode=mode, generator=generator)
            good = draw[self.plausible(draw, margin)][:missing]
            kept.append(good)
            missing -= len(good)
            if missing == 0:
                return torch.cat(kept)
        raise RuntimeError(
            f"PoseDiffusion: only {n - missing} of {n} samples were plausible after {rounds} rounds "
            "(box size and root position within the learned domains' range); train the sampler longer "
            "(diffusion_replay: --set sampler_train_steps=...) or sample without the filter (--set prior_filter=false)"
        )

    def _sample(self, n: int, steps: int, mode: str, generator: torch.Generator | None) -> torch.Tensor:
        timesteps = ddim_timesteps(self.diffusion_steps, steps, mode).tolist()
        last = timesteps[-1] - 1  # where the chain stops: -1 is the clean pose
        was_training = self.training
        self.eval()
        x = torch.randn(n, self.features, generator=generator).to(self.device)
        low, high = (-_CLIP - self.mean) / self.std, (_CLIP - self.mean) / self.std
        for index, t in enumerate(timesteps):
            alpha_bar = self.alphas_cumprod[t]
            following = timesteps[index + 1] if index + 1 < len(timesteps) else (last if last >= 0 else None)
            alpha_bar_next = self.alphas_cumprod[following] if following is not None else torch.ones_like(alpha_bar)
            noise = self.denoiser(x, torch.full((n,), t, device=self.device, dtype=torch.long))
            clean = ((x - (1 - alpha_bar).sqrt() * noise) / alpha_bar.sqrt()).clamp(low, high)
            noise = (x - alpha_bar.sqrt() * clean) / (1 - alpha_bar).sqrt()  # consistent with the clipped pose
            x = alpha_bar_next.sqrt() * clean + (1 - alpha_bar_next).sqrt() * noise
        self.train(was_training)
        return self._poses(x * self.std + self.mean)


def _describe(x2d: torch.Tensor, seen: torch.Tensor) -> torch.Tensor:
    """(N, J, 2) poses and (N, J) observed joints -> (N, 3): box size (width + height) and root x, y."""
    size = box_extent(x2d, seen).nan_to_num(0.0, posinf=0.0, neginf=0.0)
    return torch.cat([size[:, None], x2d[:, 0]], dim=-1)
