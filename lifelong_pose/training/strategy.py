"""The strategy base: an Avalanche ``SupervisedTemplate`` whose experiences are pose domains.

What it changes in the template, and why:

- batches come from whole-domain tensors on the device (:class:`TensorBatches`), not from a
  per-sample ``DataLoader``;
- a labelled experience trains with the supervised pose loss; an unlabelled one calls
  :meth:`LifelongStrategy.adaptation_loss`, which each adapting strategy defines;
- a domain trains for a budget of optimizer steps (:meth:`LifelongStrategy.steps_for`) with the
  learning rate following the params' schedule over them; Avalanche sees one "epoch" per domain;
- every domain starts from seeds derived from ``(seed, domain index)`` and with a fresh optimizer,
  and what follows its training (the strategy's and plugins' end-of-domain work) from seeds
  derived from ``(seed, "after", index)``, so a run resumed from a checkpoint after domain ``i``,
  or one whose source lifter came from the cache, repeats the uninterrupted run exactly;
- :meth:`state_dict` / :meth:`load_state_dict` hold everything kept between domains, as plain
  ``state_dict``s (Avalanche's dill-based checkpointing fails on optimizers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from avalanche.core import BasePlugin
from avalanche.training.plugins import EvaluationPlugin
from avalanche.training.templates import SupervisedTemplate

from lifelong_pose.geometry.skeleton import get_layout
from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.training.batches import TensorBatches
from lifelong_pose.training.evaluation import make_evaluator
from lifelong_pose.training.params import AdaptationParams, LifterParams, check_profile
from lifelong_pose.training.schedule import learning_rate
from lifelong_pose.training.seeding import derive_seed, seed_everything

if TYPE_CHECKING:
    from lifelong_pose.benchmark import DomainInfo
    from lifelong_pose.world.data import DomainData


@dataclass(frozen=True)
class RunContext:
    """What a strategy needs to know about the run it is built for (not a hyper-parameter).

    Attributes:
        num_joints: joints of the scenario's layout.
        layout: the layout's name (``h36m17``, ``common16``).
        profile: ``quick`` or ``paper``; picks the strategy's default sizes.
        device: where the model and the domain tensors live.
        seed: the run seed; every domain derives its own from it.
        test_flip: evaluate with test-time flip augmentation (VideoPose3D): the prediction is the
            mean of the lifter's answer to the 2D and the un-flipped answer to its mirror image.
    """

    num_joints: int
    layout: str
    profile: str = "quick"
    device: str = "cpu"
    seed: int = 0
    test_flip: bool = False

    def __post_init__(self) -> None:
        check_profile(self.profile)


class LifelongStrategy(SupervisedTemplate):
    """Base of every lifelong-pose strategy.

    Subclasses set ``Params`` (a :class:`LifterParams` dataclass) and ``PROFILE_DEFAULTS``, and
    override :meth:`adaptation_loss` to learn from unlabelled targets. The registry builds them
    with ``strategy_registry.make(id, context=..., **options)``.

    Class attributes:
        Params: the hyper-parameter dataclass.
        PROFILE_DEFAULTS: per profile, defaults that differ from the dataclass's.
        reads_target_3d: True only for the oracle; the runner then gives it target 3D and marks
            its records as not comparable.
        keeps_source_data: True for a strategy that trains on the labelled source while adapting
            (PoseDA); the record's resources say so, and count the kept bytes. A property where an
            option decides (diffusion_replay's ``generation_seed=source``).
        shares_source_training: its source training is the engine's supervised training, so the
            lifter after it depends only on the data, the lifter's options, the seed and the device,
            and may come from the source cache. A strategy that trains the source its own way
            sets False.
    """

    Params: ClassVar[type[LifterParams]] = AdaptationParams
    PROFILE_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {}
    reads_target_3d: ClassVar[bool] = False
    keeps_source_data: ClassVar[bool] = False
    shares_source_training: ClassVar[bool] = True

    def __init__(
        self,
        *,
        context: RunContext,
        params: LifterParams | None = None,
        plugins: Sequence[BasePlugin] = (),
        evaluator: EvaluationPlugin | None = None,
    ) -> None:
        from lifelong_pose.models import build_lifter

        params = params if params is not None else self.default_params(context.profile)
        if not isinstance(params, self.Params):
            raise TypeError(f"{type(self).__name__} needs {self.Params.__name__}, got {type(params).__name__}")
        self.context = context
        self.params = params
        seed_everything(context.seed)  # the initial weights depend on the seed only
        model = build_lifter(
            params.lifter,
            num_joints=context.num_joints,
            profile=context.profile,
            receptive_field=params.receptive_field,
        )
        optimizer = torch.optim.Adam(model.parameters(), lr=params.lr)
        super().__init__(
            model=model,
            optimizer=optimizer,
            criterion=torch.nn.Identity(),  # unused: criterion() below computes the pose loss
            train_mb_size=params.batch_size,
            train_epochs=1,  # one pass of the domain's step budget (see steps_for)
            eval_mb_size=params.eval_batch_size,
            device=torch.device(context.device),
            plugins=list(plugins),
            evaluator=evaluator if evaluator is not None else make_evaluator(),
            eval_every=-1,
        )
        self.model.to(self.device)
        self._generator = torch.Generator()  # reseeded at the start of every domain
        self._on_device: dict[int, DomainData] = {}
        self.domain_batch: tuple[torch.Tensor, ...] | None = None
        self.domain_steps = 0  # the current domain's budget
        self.domain_step = 0  # optimizer steps taken on it
        self._terms: dict[str, list[torch.Tensor]] = {}  # loss terms logged on the current domain
        # the source lifter's state from the cache (set by the runner), and the one just trained
        self.cached_source_state: dict[str, torch.Tensor] | None = None
        self.trained_source_state: dict[str, torch.Tensor] | None = None

    # -- hyper-parameters ---------------------------------------------------------------------
    @classmethod
    def default_params(cls, profile: str = "quick", **options: Any) -> LifterParams:
        """The dataclass defaults, then the profile's, then ``options``."""
        return cls.Params(**{**cls.PROFILE_DEFAULTS.get(check_profile(profile), {}), **options})

    def get_params(self) -> dict[str, Any]:
        """The hyper-parameters, as recorded in ``result.json``."""
        return self.params.as_dict()

    # -- the domain loop ----------------------------------------------------------------------
    @property
    def domain(self) -> DomainInfo:
        """Metadata of the current experience (set by the benchmark on every experience)."""
        assert self.experience is not None
        return self.experience.domain

    def steps_for(self, domain: DomainInfo) -> int:
        """Optimizer steps on ``domain``: the source budget on the source, the adaptation budget on
        targets (0 for a strategy without :class:`AdaptationParams`: it never adapts)."""
        if domain.index == 0:
            return self.params.source_steps(domain.num_frames)
        if isinstance(self.params, AdaptationParams):
            return self.params.target_steps(domain.num_frames)
        return 0

    @property
    def source_from_cache(self) -> bool:
        """The current domain is the source and its trained lifter came from the cache."""
        return self.domain.index == 0 and self.cached_source_state is not None

    def lr_for(self, domain: DomainInfo) -> float:
        adapt_lr = getattr(self.params, "adapt_lr", None)
        return self.params.lr if domain.index == 0 or adapt_lr is None else adapt_lr

    def domain_tensors(self, data: DomainData) -> DomainData:
        """``data`` on the strategy's device, moved once and cached for the run."""
        key = id(data)
        if key not in self._on_device:
            self._on_device[key] = data.to(self.device)
        return self._on_device[key]

    def _before_training_exp(self, **kwargs: Any) -> None:
        self.domain_steps = self.steps_for(self.domain)
        self.domain_step = 0
        self._terms = {}
        self.train_epochs = 1 if self.domain_steps > 0 else 0
        self._generator = seed_everything(derive_seed(self.context.seed, "domain", self.domain.index))
        if self.source_from_cache:
            assert self.cached_source_state is not None
            self.model.load_state_dict(self.cached_source_state)
        super()._before_training_exp(**kwargs)

    def _train_exp(self, experience: Any, eval_streams: Any = None, **kwargs: Any) -> None:
        """The domain's steps (none for a source from the cache: its lifter is loaded); then keep a
        freshly trained source lifter for the cache, and reseed (the batch generator in place, so
        the domain's batches draw from it too), so that the end-of-domain work (a plugin's Fisher
        information, a sampler's training) does not depend on whether, or how, training ran."""
        if not self.source_from_cache:
            super()._train_exp(experience, eval_streams, **kwargs)
            if self.domain.index == 0 and self.train_epochs > 0:
                self.trained_source_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        seed_everything(derive_seed(self.context.seed, "after", self.domain.index), self._generator)

    def train_dataset_adaptation(self, **kwargs: Any) -> None:
        assert self.experience is not None
        self.adapted_dataset = self.experience.dataset  # kept for plugins; batches use tensors

    def make_train_dataloader(self, **kwargs: Any) -> None:
        """Batches from the experience's tensors.

        Raises:
            TypeError: a plugin replaced ``adapted_dataset`` (Avalanche-style replay): batches
                come from tensors here, so its data would be silently ignored.
        """
        assert self.experience is not None
        if self.adapted_dataset is not self.experience.dataset:
            raise TypeError(
                f"{type(self).__name__}: a plugin replaced adapted_dataset, but lifelong-pose trains from "
                "whole-domain tensors (experience.tensors); replay plugins must extend the tensor batches instead"
            )
        self.dataloader = TensorBatches(
            self.domain_tensors(self.experience.tensors),
            receptive_field=self.params.receptive_field,
            batch_size=self.train_mb_size,
            shuffle=True,
            generator=self._generator,
            steps=self.domain_steps,
        )

    def make_eval_dataloader(self, **kwargs: Any) -> None:
        assert self.experience is not None
        self.dataloader = TensorBatches(
            self.domain_tensors(self.experience.tensors),
            receptive_field=self.params.receptive_field,
            batch_size=self.eval_mb_size,
        )

    def eval_dataset_adaptation(self, **kwargs: Any) -> None:
        assert self.experience is not None
        self.adapted_dataset = self.experience.dataset

    def check_model_and_optimizer(self, **kwargs: Any) -> None:
        """Adam starts afresh at every domain (no optimizer state crosses a domain boundary)."""
        self.model = self.model_adaptation()
        self.optimizer = self.make_domain_optimizer(self.lr_for(self.domain))

    def make_domain_optimizer(self, lr: float) -> torch.optim.Optimizer:
        """The optimizer for one domain: the same object, its state cleared and its rate reset.

        Kept as one object so plugins holding ``strategy.optimizer`` stay attached; override to
        optimise more than the lifter.
        """
        self.optimizer.state.clear()
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return self.optimizer

    # -- mini-batch ---------------------------------------------------------------------------
    def _before_training_iteration(self, **kwargs: Any) -> None:
        """Set the step's learning rate; keep the batch as drawn in ``domain_batch``, then let the
        strategy turn it into its training batch."""
        assert self.mbatch is not None
        p = self.params
        rate = learning_rate(
            self.domain_step,
            self.domain_steps,
            self.lr_for(self.domain),
            schedule=p.lr_schedule,
            floor=p.lr_floor,
            warmup=min(p.lr_warmup_steps, self.domain_steps - 1),
        )
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        self.domain_batch = tuple(self.mbatch)
        self.mbatch = list(self.prepare_batch(self.domain_batch, update=True))
        super()._before_training_iteration(**kwargs)

    def prepare_batch(self, batch: tuple[torch.Tensor, ...], *, update: bool) -> tuple[torch.Tensor, ...]:
        """The batch the lifter trains on, made from a batch drawn from the domain (identity here).

        A strategy that trains on synthetic pairs (PoseDA) builds them here from the drawn target
        batch. ``update`` is False when a plugin asks for the loss without a training step
        (:meth:`training_loss`): nothing but the returned batch may change then.
        """
        return batch

    def training_loss(self, batch: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The strategy's own loss on one drawn batch, as its training step computes it, without a step.

        Plugins that weigh parameters by the strategy's loss (EWC) call it; the lifter is used in
        whatever mode the caller set, and the strategy's mini-batch state is left as it was.
        """
        saved = self.mbatch, self.mb_output
        try:
            self.mbatch = list(self.prepare_batch(batch, update=False))
            self.mb_output = self.forward()
            return self.criterion()
        finally:
            self.mbatch, self.mb_output = saved

    @property
    def mb_x(self) -> torch.Tensor:
        """(B, T, J, 2) 2D windows."""
        assert self.mbatch is not None
        return self.mbatch[0]

    @property
    def mb_y(self) -> torch.Tensor | None:
        """(B, J, 3) root-relative 3D in metres, or None for an unlabelled batch."""
        assert self.mbatch is not None
        return self.mbatch[1] if len(self.mbatch) == 4 else None

    @property
    def mb_intrinsics(self) -> torch.Tensor:
        """(B, 9) normalised intrinsics of each frame's camera."""
        assert self.mbatch is not None
        return self.mbatch[-2]

    def forward(self) -> torch.Tensor:
        if not self.is_training and self.context.test_flip:
            return self.flip_averaged(self.mb_x)
        return self.model(self.mb_x)

    def flip_averaged(self, x2d: torch.Tensor) -> torch.Tensor:
        """Test-time flip augmentation: mean of ``P(x)`` and ``flip(P(flip(x)))`` in one batched pass."""
        from lifelong_pose.geometry.transforms import flip_horizontally

        layout = get_layout(self.context.layout)
        both = self.model(torch.cat([x2d, flip_horizontally(x2d, layout)]))
        direct, mirrored = both.split(x2d.shape[0])
        return (direct + flip_horizontally(mirrored, layout)) / 2

    def _after_training_iteration(self, **kwargs: Any) -> None:
        self.domain_step += 1
        self.log_terms(lifter=self.loss)
        super()._after_training_iteration(**kwargs)

    # -- loss terms in the record -------------------------------------------------------------
    def log_terms(self, **terms: torch.Tensor) -> None:
        """Note the size of each named loss term at this step (kept on the device: no sync per step).

        The runner writes, per domain, each term's mean and its curve over the domain (ten
        means over successive tenths of its steps) to the record's ``losses``, so a reader can
        see whether the terms a strategy adds are of comparable size and whether they settle.
        """
        for name, value in terms.items():
            self._terms.setdefault(name, []).append(value.detach().float().reshape(()))

    def domain_losses(self) -> dict[str, dict[str, Any]]:
        """The terms logged on the current domain: ``{name: {"mean", "steps", "curve"}}``."""

        def finite(value: torch.Tensor) -> float | None:  # JSON has no NaN: a diverged term reads null
            return float(value) if bool(torch.isfinite(value)) else None

        summary: dict[str, dict[str, Any]] = {}
        for name, values in self._terms.items():
            steps = torch.stack(values).cpu()
            curve = [finite(chunk.mean()) for chunk in steps.tensor_split(min(10, len(steps)))]
            summary[name] = {"mean": finite(steps.mean()), "steps": len(steps), "curve": curve}
        return summary

    def _after_eval_forward(self, **kwargs: Any) -> None:
        """Stop at the first non-finite prediction: a diverged lifter has no meaningful error."""
        if not bool(torch.isfinite(self.mb_output).all()):
            raise FloatingPointError(
                f"{type(self).__name__} predicted non-finite poses on test domain "
                f"{self.experience.current_experience}: training diverged (try a lower lr)"
            )
        super()._after_eval_forward(**kwargs)

    def criterion(self) -> torch.Tensor:
        """The supervised pose loss on labelled batches, :meth:`adaptation_loss` otherwise."""
        target = self.mb_y
        if target is None:
            return self.adaptation_loss()
        return self.pose_loss(self.mb_output, target)

    def pose_loss(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean per-joint position error (metres) or mean squared error, per ``params.loss``."""
        if self.params.loss == "mse":
            return torch.mean((predicted - target) ** 2)
        return mpjpe(predicted, target).mean()

    def adaptation_loss(self) -> torch.Tensor:
        """The loss on an unlabelled target batch (``mb_x``, ``mb_intrinsics``, ``mb_output``).

        Raises:
            NotImplementedError: a strategy that trains on targets must define it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} trains on unlabelled target domains (adapt_steps > 0) but does not "
            "define adaptation_loss()"
        )

    # -- what crosses domains -----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything a later domain needs: the lifter and each stateful plugin's state.

        Plugins with ``state_dict``/``load_state_dict`` methods are saved under their position
        and class name, so two plugins of one class keep their own state.
        """
        plugins = {key: plugin.state_dict() for key, plugin in self._stateful_plugins()}
        return {"model": self.model.state_dict(), "plugins": plugins, "extra": self.extra_state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        for key, plugin in self._stateful_plugins():
            if key not in state["plugins"]:
                raise KeyError(f"Checkpoint has no state for plugin {key!r}; it was saved with other plugins")
            plugin.load_state_dict(state["plugins"][key])
        self.load_extra_state_dict(state.get("extra", {}))

    def _stateful_plugins(self) -> list[tuple[str, Any]]:
        return [
            (f"{index}:{type(plugin).__name__}", plugin)
            for index, plugin in enumerate(self.plugins)
            if callable(getattr(plugin, "state_dict", None)) and callable(getattr(plugin, "load_state_dict", None))
        ]

    def auxiliary_modules(self) -> dict[str, torch.nn.Module]:
        """Networks the strategy trains besides the lifter (PoseDA's generator and critic), by name.

        The run record counts their parameters (``resources.extra_parameters``).
        """
        return {}

    def extra_state_dict(self) -> dict[str, Any]:
        """State of the strategy itself beyond the lifter (generators, samplers, memories)."""
        return {}

    def load_extra_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`extra_state_dict`."""
