"""The strategy base: an Avalanche ``SupervisedTemplate`` whose experiences are pose domains.

A method is written on named phase hooks and never touches Avalanche's private hooks or its
``mb_*`` state (the estimator contract, in the spirit of scikit-learn's)::

    on_source_trained(data)          the source is learnt (trained, or loaded: the cache, a checkpoint)
    on_target_start(data)            a target is about to adapt (its optimizer is fresh)
    training_output(batch)           what the lifter outputs on a training batch (its centre frame)
    supervised_loss(batch, output)   the loss on a labelled batch (the pose loss)
    adaptation_batch(batch, update)  a drawn target PoseBatch -> the batch the lifter trains on
    adaptation_loss(batch, output)   the loss on an unlabelled batch, from the lifter's output
    on_step_end()                    after each optimizer step (source and targets)
    on_target_end(data)              a target has adapted (before the plugins' end-of-domain work)
    on_domain_end(data)              after every domain, source included
    adaptation_diagnostics(data)     figures of the method's own networks (generators, critics) on a
                                     target, taken at its start and end for the run's record

Networks and optimizers made with :meth:`add_network` / :meth:`add_optimizer`, and attributes
named with :meth:`keep`, are checkpointed between domains and counted in the record's resources
without further code; :meth:`required_plugins` adds the plugins a method is built on (EMA).

What the base changes in the template, and why:

- batches come from whole-domain tensors on the device (:class:`TensorBatches`), not from a
  per-sample ``DataLoader``, as :class:`PoseBatch` es;
- a labelled batch trains with the supervised pose loss; an unlabelled one calls
  :meth:`LifelongStrategy.adaptation_loss`, which each adapting strategy defines;
- a domain trains for a budget of optimizer steps (:meth:`LifelongStrategy.steps_for`) with the
  learning rate following the params' schedule over them; Avalanche sees one "epoch" per domain;
- every domain starts from seeds derived from ``(seed, domain index)`` and with a fresh optimizer,
  and what follows its training (the strategy's and plugins' end-of-domain work) from seeds
  derived from ``(seed, "after", index)``, so a run resumed from a checkpoint after domain ``i``,
  or one whose source lifter came from the cache, repeats the uninterrupted run exactly;
- :meth:`state_dict` / :meth:`load_state_dict` hold everything kept between domains, as plain
  ``state_dict``s (Avalanche's dill-based checkpointing fails on optimizers);
- every strategy takes ``bn`` (:mod:`lifelong_pose.training.normalisation`): on each target the
  engine re-estimates the lifter's BatchNorm statistics (``adabn``) and keeps them frozen while
  the method adapts (``frozen``, ``adabn``), before the method or any plugin sees the target, so
  a method written without a thought for normalisation gets its controls for free.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from avalanche.core import BasePlugin
from avalanche.training.plugins import EvaluationPlugin
from avalanche.training.templates import SupervisedTemplate

from lifelong_pose.data.batch import PoseBatch
from lifelong_pose.data.batches import TensorBatches
from lifelong_pose.data.sequence_batches import SequenceBatches, SequenceChunk
from lifelong_pose.geometry.skeleton import get_layout
from lifelong_pose.metrics.pose import mpjpe
from lifelong_pose.training.evaluation import make_evaluator
from lifelong_pose.training.normalisation import (
    FrozenStatistics,
    normalisation_note,
    reestimate_statistics,
    statistics_layers,
)
from lifelong_pose.training.params import TINY_BUDGET, AdaptationParams, LifterParams, check_profile
from lifelong_pose.training.schedule import learning_rate
from lifelong_pose.training.seeding import derive_seed, seed_everything

if TYPE_CHECKING:
    from lifelong_pose.data.avalanche import DomainInfo
    from lifelong_pose.data.domain import DomainData


MAX_JOINT_DISTANCE = 1000.0
"""Metres from the root beyond which a predicted joint means a diverged lifter, not a bad estimate.

Far above what a barely trained lifter predicts (10 source steps of the quick profile: 12.9 m, a
legitimate smoke run), far below what divergence gives (``--set lr=1e6``: 7e12 m)."""


PROBE_FRAMES = 1024
"""Frames of a target that :meth:`LifelongStrategy.probe_batch` gives a method's diagnostics."""


@dataclass(frozen=True)
class RunContext:
    """What a strategy needs to know about the run it is built for (not a hyper-parameter).

    Attributes:
        num_joints: joints of the scenario's layout.
        layout: the layout's name (``h36m17``, ``common16``).
        profile: ``quick``, ``paper`` or ``tiny`` (the conformance checks'); picks the strategy's
            and the lifter's default sizes.
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
    override the phase hooks they need (module docstring); an adapting strategy defines at least
    :meth:`adaptation_loss` or :meth:`adaptation_batch`. The registry builds them with
    ``strategy_registry.make(id, context=..., **options)``.

    Class attributes:
        Params: the hyper-parameter dataclass.
        PROFILE_DEFAULTS: per profile, defaults that differ from the dataclass's.
        reads_target_3d: True only for the oracle; the runner then gives it target 3D and marks
            its records as not comparable.
        keeps_source_data: True for a strategy that trains on the labelled source while adapting
            (PoseDA); the record's resources say so, and count the kept bytes. A property where an
            option decides (diffusion_replay's ``generation_seed=source``).
        uses_target_data: False for a strategy that never trains on a target, not even on its 2D
            (``source_only``, DAK-Pose's domain generalisation); recorded in ``resources``, and
            ``check_strategy`` then checks that changing every target's 2D changes nothing.
        shares_source_training: its source training is the engine's supervised training, so the
            lifter after it depends only on the data, the lifter's options, the seed and the device,
            and may come from the source cache. A strategy that trains the source its own way
            sets False.
    """

    Params: ClassVar[type[LifterParams]] = AdaptationParams
    PROFILE_DEFAULTS: ClassVar[dict[str, dict[str, Any]]] = {}
    reads_target_3d: ClassVar[bool] = False
    target_labels: Any = None
    """Set by the runner (:class:`lifelong_pose.runner.target_labels.TargetLabels`): every target's test 3D,
    hashed; labelled batches trained on a target are counted against it in :attr:`target_3d_seen`."""
    target_3d_seen: int = 0
    keeps_source_data: ClassVar[bool] = False
    uses_target_data: ClassVar[bool] = True
    shares_source_training: ClassVar[bool] = True
    window_tests: bool = False

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
        plugins = [*plugins, *self._checked_required_plugins(params, plugins)]
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
            plugins=plugins,
            evaluator=evaluator if evaluator is not None else make_evaluator(),
            eval_every=-1,
        )
        self.model.to(self.device)
        self._generator = torch.Generator()  # reseeded at the start of every domain
        self._on_device: dict[int, DomainData] = {}
        self._networks: dict[str, torch.nn.Module] = {}
        self._optimizers: dict[str, torch.optim.Optimizer] = {}
        self._kept: dict[str, Any] = {}  # attribute name -> class that restores it (or None)
        self.domain_batch: PoseBatch | None = None
        self.domain_steps = 0  # the current domain's budget
        self.domain_step = 0  # optimizer steps taken on it
        self._terms: dict[str, list[torch.Tensor]] = {}  # loss terms logged on the current domain
        self._diagnostics: dict[str, dict[str, float]] = {}  # the method's figures at this target's start and end
        self._frozen_statistics: FrozenStatistics | None = None  # bn=frozen/adabn while a target adapts
        # the source lifter's state the runner gives instead of training it (from the cache, or an init
        # checkpoint: source_state_origin), one the source trains on from (an init checkpoint with a
        # budget), and the one just trained
        self.cached_source_state: dict[str, torch.Tensor] | None = None
        self.source_state_origin = "cache"
        self.initial_source_state: dict[str, torch.Tensor] | None = None
        self.trained_source_state: dict[str, torch.Tensor] | None = None

    # -- hyper-parameters ---------------------------------------------------------------------
    @classmethod
    def profile_options(cls, profile: str) -> dict[str, Any]:
        """Options of ``profile`` that differ from the dataclass's defaults.

        ``tiny`` (the conformance checks') starts from the engine's :data:`TINY_BUDGET` for the
        fields ``Params`` has; then come the strategy's own ``PROFILE_DEFAULTS[profile]``.
        """
        base: dict[str, Any] = {}
        if check_profile(profile) == "tiny":
            known = {f.name for f in fields(cls.Params)}
            base = {name: value for name, value in TINY_BUDGET.items() if name in known}
        return {**base, **cls.PROFILE_DEFAULTS.get(profile, {})}

    @classmethod
    def default_params(cls, profile: str = "quick", **options: Any) -> LifterParams:
        """The dataclass defaults, then the profile's (:meth:`profile_options`), then ``options``."""
        return cls.Params(**{**cls.profile_options(profile), **options})

    def get_params(self) -> dict[str, Any]:
        """The hyper-parameters, as recorded in ``result.json``."""
        return self.params.as_dict()

    # -- what a method declares ---------------------------------------------------------------
    @classmethod
    def required_plugins(cls, params: LifterParams) -> Sequence[BasePlugin]:
        """Plugins the method is built on (diffusion_replay's EMA), appended after the user's.

        A user plugin of the same class is refused: the method would apply it twice.
        """
        return ()

    @classmethod
    def _checked_required_plugins(cls, params: LifterParams, given: Sequence[BasePlugin]) -> list[BasePlugin]:
        required = list(cls.required_plugins(params))
        for plugin in required:
            if any(type(user) is type(plugin) for user in given):
                name = getattr(plugin, "name", type(plugin).__name__)
                raise ValueError(
                    f"{cls.__name__} already uses the {name!r} plugin with its own options; drop --plugin {name}, or "
                    f"switch the strategy's own off with its option (e.g. --set {name}=false) to use yours"
                )
        return required

    def add_network(self, name: str, module: torch.nn.Module) -> Any:
        """Declare a network the method trains besides the lifter; returns it, on the device.

        Declared networks are saved in every checkpoint and their parameters are counted in the
        record's ``resources.extra_parameters``.
        """
        self._declare(name)
        self._networks[name] = module.to(self.device)
        return self._networks[name]

    def add_optimizer(self, name: str, optimizer: torch.optim.Optimizer) -> Any:
        """Declare an optimizer of the method's own networks (its state is checkpointed); returns it."""
        self._declare(name)
        self._optimizers[name] = optimizer
        return optimizer

    def keep(self, *names: str, **restorers: type) -> None:
        """Declare attributes carried from domain to domain and checkpointed with the lifter.

        ``names`` hold tensors, numbers, strings, booleans or None; ``restorers`` map an attribute
        holding an object with ``state_dict()`` to its class, whose ``from_state_dict(state, device)``
        rebuilds it (a kept source pool).
        """
        for name in (*names, *restorers):
            self._declare(name)
            self._kept[name] = restorers.get(name)

    def _declare(self, name: str) -> None:
        if name in self._networks or name in self._optimizers or name in self._kept:
            raise ValueError(f"{type(self).__name__}: {name!r} is declared twice")

    def auxiliary_modules(self) -> dict[str, torch.nn.Module]:
        """Networks the strategy trains besides the lifter (:meth:`add_network`), by name."""
        return dict(self._networks)

    # -- phase hooks (override what the method needs) -----------------------------------------
    def on_source_trained(self, data: DomainData) -> None:
        """The source is learnt (``data``: its train split, with 3D, on the device)."""

    def on_target_start(self, data: DomainData) -> None:
        """A target with an adaptation budget starts (``data``: its train split, no 3D)."""

    def adaptation_batch(self, batch: PoseBatch, *, update: bool) -> PoseBatch:
        """The batch the lifter trains on, made from an unlabelled ``batch`` drawn from the target.

        The default trains on the drawn batch itself (with :meth:`adaptation_loss`). A strategy
        that trains on pairs it makes (PoseDA) returns a labelled batch here, which the lifter then
        learns with the pose loss. ``update`` is False when a plugin asks for the loss without a
        training step (:meth:`training_loss`): nothing but the returned batch may change then.
        """
        return batch

    def adaptation_loss(self, batch: PoseBatch, output: torch.Tensor) -> torch.Tensor:
        """The loss on an unlabelled training batch; ``output`` is the lifter's (B, J, 3) prediction.

        Raises:
            NotImplementedError: a strategy that trains on targets must define it (or make
                labelled batches in :meth:`adaptation_batch`).
        """
        raise NotImplementedError(
            f"{type(self).__name__} trains on unlabelled target domains (adapt_steps > 0) but does not "
            "define adaptation_loss()"
        )

    def on_step_end(self) -> None:
        """After each optimizer step, on the source and on targets (``self.domain`` says which)."""

    def on_target_end(self, data: DomainData) -> None:
        """A target has adapted (``data``: its train split); before the plugins' end-of-domain work."""

    def on_domain_end(self, data: DomainData) -> None:
        """Every domain, source included, after its training and :meth:`on_source_trained` / :meth:`on_target_end`."""

    def adaptation_diagnostics(self, data: DomainData) -> dict[str, float]:
        """Figures of the method's own networks on the current target (``data``: its train split), by name.

        The engine records them at the end of every adapted target, and at its start unless the
        method took them itself earlier (:meth:`note_adaptation_diagnostics`, e.g. before a
        warm-up). A method with generators and critics reports, where it has them:
        ``generator_displacement_mm`` (mean per-joint distance between augmented and input 3D),
        ``critic_accuracy`` (:func:`lifelong_pose.metrics.distribution.critic_accuracy`) and
        ``generated_2d_distance`` (sliced Wasserstein between normalised generated and target 2D).
        It runs without gradients, on a generator of its own (``self._generator`` is swapped) and
        with torch's random state restored after it, so taking diagnostics never changes a run.
        The default reports nothing.
        """
        return {}

    # -- the domain loop ----------------------------------------------------------------------
    @property
    def domain(self) -> DomainInfo:
        """Metadata of the current experience (set by the benchmark on every experience)."""
        assert self.experience is not None
        return self.experience.domain

    @property
    def domain_data(self) -> DomainData:
        """The current domain's train split on the device (the fast path's tensors)."""
        assert self.experience is not None
        return self.domain_tensors(self.experience.tensors)

    def steps_for(self, domain: DomainInfo) -> int:
        """Optimizer steps on ``domain``: the source budget on the source, the adaptation budget on
        targets (0 for a strategy without :class:`AdaptationParams`: it never adapts)."""
        if domain.index == 0:
            return self.params.source_steps(domain.num_frames)
        if isinstance(self.params, AdaptationParams):
            return self.params.target_steps(domain.num_frames)
        return 0

    @property
    def adapting(self) -> bool:
        """The current domain is a target the strategy trains on (a budget of steps > 0)."""
        return self.domain.index > 0 and self.train_epochs > 0

    @property
    def source_given(self) -> bool:
        """The current domain is the source and its lifter is given (:attr:`cached_source_state`), not trained."""
        return self.domain.index == 0 and self.cached_source_state is not None

    @property
    def source_from_cache(self) -> bool:
        """The current domain is the source and its trained lifter came from the cache."""
        return self.source_given and self.source_state_origin == "cache"

    def lr_for(self, domain: DomainInfo) -> float:
        adapt_lr = getattr(self.params, "adapt_lr", None)
        return self.params.lr if domain.index == 0 or adapt_lr is None else adapt_lr

    def domain_tensors(self, data: DomainData) -> DomainData:
        """``data`` on the strategy's device, moved once and cached for the run."""
        key = id(data)
        if key not in self._on_device:
            self._on_device[key] = data.to(self.device)
        return self._on_device[key]

    def domain_batches(self, steps: int | None = None, *, batch_size: int | None = None) -> TensorBatches:
        """Shuffled training batches of the current domain, drawn with the domain's generator.

        Args:
            steps: batches to draw (default: the domain's budget).
            batch_size: frames per batch (default: the training batch size).
        """
        return TensorBatches(
            self.domain_data,
            receptive_field=self.params.receptive_field,
            batch_size=self.train_mb_size if batch_size is None else batch_size,
            shuffle=True,
            generator=self._generator,
            steps=self.domain_steps if steps is None else steps,
        )

    def _before_training_exp(self, **kwargs: Any) -> None:
        self.domain_steps = self.steps_for(self.domain)
        self.domain_step = 0
        self._terms = {}
        self._diagnostics = {}
        self.train_epochs = 1 if self.domain_steps > 0 else 0
        self._generator = seed_everything(derive_seed(self.context.seed, "domain", self.domain.index))
        if self.source_given:
            assert self.cached_source_state is not None
            self.model.load_state_dict(self.cached_source_state)
        elif self.domain.index == 0 and self.initial_source_state is not None:
            self.model.load_state_dict(self.initial_source_state)
        for plugin in self.plugins:  # LifelongPlugin.lifter_entering (EMA's carry), before anything reads the lifter
            entering = getattr(plugin, "lifter_entering", None)
            if callable(entering):
                entering(self)
        if self.domain.index > 0:
            self.control_normalisation()
        super()._before_training_exp(**kwargs)
        if self.adapting:
            self.on_target_start(self.domain_data)
            if "start" not in self._diagnostics:
                self.note_adaptation_diagnostics("start")

    def _train_exp(self, experience: Any, eval_streams: Any = None, **kwargs: Any) -> None:
        """The domain's steps (none for a given source: its lifter is loaded); then keep a
        freshly trained source lifter for the cache, and reseed (the batch generator in place, so
        the domain's batches draw from it too), so that the end-of-domain work (a plugin's Fisher
        information, a sampler's training) does not depend on whether, or how, training ran."""
        if not self.source_given:
            super()._train_exp(experience, eval_streams, **kwargs)
            if self.domain.index == 0 and self.train_epochs > 0:
                self.trained_source_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        seed_everything(derive_seed(self.context.seed, "after", self.domain.index), self._generator)

    def _after_training_exp(self, **kwargs: Any) -> None:
        data = self.domain_data
        if self.domain.index == 0:
            self.on_source_trained(data)
        elif self.train_epochs > 0:
            self.note_adaptation_diagnostics("end")
            self.on_target_end(data)
        self.on_domain_end(data)
        super()._after_training_exp(**kwargs)
        if self._frozen_statistics is not None:
            self._frozen_statistics.release(self.model.training)
            self._frozen_statistics = None

    # -- normalisation controls ---------------------------------------------------------------
    def control_normalisation(self) -> None:
        """On a target, before any plugin or the method sees it: ``bn=adabn`` re-estimates the
        lifter's statistics on the target's train 2D; ``frozen`` and ``adabn`` then keep them while
        the method adapts (released at the end of the domain)."""
        if self.params.bn == "adabn":
            self.reestimate_normalisation(self.domain_data)
        if self.params.bn != "train" and self.train_epochs > 0:
            self._frozen_statistics = FrozenStatistics(self.model)

    def reestimate_normalisation(self, data: DomainData) -> int:
        """AdaBN: the lifter's BatchNorm statistics set to those of ``data``'s 2D windows
        (:func:`lifelong_pose.training.normalisation.reestimate_statistics`); returns the layers re-estimated."""
        data = self.domain_tensors(data)

        def windows() -> Any:
            batches = TensorBatches(data, receptive_field=self.params.receptive_field, batch_size=self.eval_mb_size)
            return (batch.x2d.to(self.device) for batch in batches)

        return reestimate_statistics(self.model, windows)

    def normalisation_note(self) -> dict[str, Any]:
        """What ``bn`` does in this run, for its record: ``{"bn", "layers", "effect"}`` (a no-op says so)."""
        return normalisation_note(
            self.params.bn,
            len(statistics_layers(self.model)),
            trains_on_targets=isinstance(self.params, AdaptationParams),
            lifter=self.params.lifter,
        )

    # -- diagnostics --------------------------------------------------------------------------
    def note_adaptation_diagnostics(self, stage: str) -> None:
        """Take :meth:`adaptation_diagnostics` on the current target now, as its ``stage`` (``start``, ``end``).

        A probe generator seeded from ``(seed, "diagnostics", domain, stage)`` stands in for the
        method's own while it runs, and torch's random state is restored after, so the run goes
        on exactly as it would have without the probe.
        """
        own = self._generator
        self._generator = torch.Generator().manual_seed(
            derive_seed(self.context.seed, "diagnostics", self.domain.index, stage)
        )
        devices = [self.device.index or 0] if self.device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=devices), torch.no_grad():
                figures = self.adaptation_diagnostics(self.domain_data)
        finally:
            self._generator = own
        self._diagnostics[stage] = {name: float(value) for name, value in figures.items()}

    def probe_batch(self, data: DomainData, frames: int = PROBE_FRAMES) -> PoseBatch:
        """Up to ``frames`` evenly spaced frames of ``data`` as one batch (windows, cameras; no draw):
        the same frames at a domain's start and end, whatever the run drew before."""
        data = self.domain_tensors(data)
        count = min(frames, len(data))
        pick = torch.linspace(0, len(data) - 1, count).round().long().to(data.x2d.device)
        return TensorBatches(data, receptive_field=self.params.receptive_field, batch_size=count).batch(pick)

    def domain_diagnostics(self) -> dict[str, dict[str, float]]:
        """The method's figures on the current domain, by stage (empty where it reports none)."""
        return {stage: dict(figures) for stage, figures in self._diagnostics.items() if figures}

    def test_predictions(self, data: DomainData) -> tuple[torch.Tensor, torch.Tensor]:
        """(N, J, 3) predictions and 3D of a test split, made as its evaluation makes them (the same
        batches, sequence path and flips), in evaluation mode and without gradients."""
        was_training = self.model.training
        self.model.eval()
        predicted, truth = [], []
        try:
            with torch.no_grad():
                for batch in self.test_batches(data):
                    batch = batch.to(self.device)
                    assert batch.X3d is not None, "test splits carry 3D"
                    predicted.append(self.test_output(batch))
                    truth.append(batch.X3d)
        finally:
            self.model.train(was_training)
        return torch.cat(predicted), torch.cat(truth)

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
        self.dataloader = self.domain_batches()

    @property
    def tests_sequences(self) -> bool:
        """Test whole sequences in one dilated pass (:class:`SequenceBatches`) rather than window by window.

        True for a temporal lifter with a sequence path (VideoPose3D); the frames see the same 2D
        either way, and the errors agree to float32 rounding (the two paths sum in other orders).
        ``window_tests`` set on the strategy forces the window path (the speed benchmark's reference).
        """
        lifter = self.model
        return (
            not self.window_tests and self.params.receptive_field > 1 and bool(getattr(lifter, "sequence_path", False))
        )

    def make_eval_dataloader(self, **kwargs: Any) -> None:
        assert self.experience is not None
        self.dataloader = self.test_batches(self.experience.tensors)

    def test_batches(self, data: DomainData) -> SequenceBatches | TensorBatches:
        """A test split's batches, on the device: whole sequences (:attr:`tests_sequences`) or windows."""
        data = self.domain_tensors(data)
        receptive_field, size = self.params.receptive_field, self.eval_mb_size
        if self.tests_sequences:
            return SequenceBatches(data, receptive_field=receptive_field, frames_per_chunk=size)
        return TensorBatches(data, receptive_field=receptive_field, batch_size=size)

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
    def _unpack_minibatch(self) -> None:
        """The batch on the device (Avalanche's version indexes a tuple)."""
        assert isinstance(self.mbatch, PoseBatch | SequenceChunk), (
            f"batches are PoseBatch (or, when testing, SequenceChunk) objects, got {type(self.mbatch).__name__}"
        )
        self.mbatch = self.mbatch.to(self.device)

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
        self.domain_batch = self.mbatch
        self.mbatch = self.training_batch(self.domain_batch, update=True)
        super()._before_training_iteration(**kwargs)

    def training_batch(self, batch: PoseBatch, *, update: bool) -> PoseBatch:
        """The batch the lifter trains on: a labelled batch as drawn, an unlabelled one via :meth:`adaptation_batch`."""
        return batch if batch.labelled else self.adaptation_batch(batch, update=update)

    def training_loss(self, batch: PoseBatch) -> torch.Tensor:
        """The strategy's own loss on one drawn batch, as its training step computes it, without a step.

        Plugins that weigh parameters by the strategy's loss (EWC) call it; the lifter is used in
        whatever mode the caller set, and the strategy's mini-batch state is left as it was.
        """
        made = self.training_batch(batch, update=False)
        return self.batch_loss(made, self.training_output(made))

    @property
    def mb_x(self) -> torch.Tensor:
        """(B, T, J, 2) 2D windows of the current batch (for Avalanche and plugins); when testing
        sequences, the chunk's (1, L, J, 2) padded sequences."""
        assert isinstance(self.mbatch, PoseBatch | SequenceChunk)
        return self.mbatch.x2d

    @property
    def mb_y(self) -> torch.Tensor | None:
        """(B, J, 3) root-relative 3D in metres, or None for an unlabelled batch."""
        assert isinstance(self.mbatch, PoseBatch | SequenceChunk)
        return self.mbatch.X3d

    @property
    def mb_task_id(self) -> torch.Tensor:
        assert isinstance(self.mbatch, PoseBatch | SequenceChunk)
        return torch.zeros(len(self.mbatch), dtype=torch.long, device=self.mbatch.x2d.device)

    def forward(self) -> torch.Tensor:
        if not self.is_training:
            return self.test_output(self.mbatch)
        assert isinstance(self.mbatch, PoseBatch)
        return self.training_output(self.mbatch)

    def test_output(self, batch: PoseBatch | SequenceChunk) -> torch.Tensor:
        """The (B, J, 3) prediction the metrics score: windows through the lifter, or a chunk of
        sequences through its sequence path, each flip-averaged when the run tests with flips."""
        if isinstance(batch, SequenceChunk):

            def predict(x2d: torch.Tensor) -> torch.Tensor:
                return self.model.forward_sequence(x2d)[:, batch.positions].flatten(0, 1)

        else:
            predict = self.model
        return self.flip_averaged(batch.x2d, predict) if self.context.test_flip else predict(batch.x2d)

    def training_output(self, batch: PoseBatch) -> torch.Tensor:
        """What the lifter outputs on a training batch, handed to the loss hooks as ``output``.

        The lifter's centre-frame prediction (B, J, 3) by default; a method whose loss needs more
        (DAK-Pose: every frame of the window) returns that here and reads it in its loss hooks.
        """
        return self.model(batch.x2d)

    def flip_averaged(
        self, x2d: torch.Tensor, predict: Callable[[torch.Tensor], torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Test-time flip augmentation: mean of ``P(x)`` and ``flip(P(flip(x)))`` in one batched pass.

        ``predict`` maps a batch of 2D (windows or sequences) to its poses, first the batch's then
        the mirrored one's (the lifter by default).
        """
        from lifelong_pose.geometry.transforms import flip_horizontally

        predict = self.model if predict is None else predict
        layout = get_layout(self.context.layout)
        both = predict(torch.cat([x2d, flip_horizontally(x2d, layout)]))
        direct, mirrored = both.chunk(2)
        return (direct + flip_horizontally(mirrored, layout)) / 2

    def _after_training_iteration(self, **kwargs: Any) -> None:
        self.on_step_end()
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
        """Stop at the first prediction no lifter that learned anything makes: non-finite, or a joint
        more than :data:`MAX_JOINT_DISTANCE` from the root (a diverged lifter has no meaningful error)."""
        farthest = float(self.mb_output.abs().amax()) if self.mb_output.numel() else 0.0  # one sync: NaN stays NaN
        if not math.isfinite(farthest):
            raise FloatingPointError(
                f"{type(self).__name__} predicted non-finite poses on test domain "
                f"{self.experience.current_experience}: training diverged (try a lower lr)"
            )
        if farthest > MAX_JOINT_DISTANCE:
            raise FloatingPointError(
                f"{type(self).__name__} predicted a joint {farthest:.3g} m from the root on test domain "
                f"{self.experience.current_experience} (a body spans about 2 m; beyond {MAX_JOINT_DISTANCE:g} m "
                "no pose is meant): training diverged (try a lower lr)"
            )
        super()._after_eval_forward(**kwargs)

    def criterion(self) -> torch.Tensor:
        """The loss of the current batch: :meth:`batch_loss` in training; the plain pose loss when
        testing (Avalanche computes one per test batch; a method's training objective, with its
        augmentors and auxiliary networks, has no business there)."""
        assert isinstance(self.mbatch, PoseBatch | SequenceChunk)
        if not self.is_training:
            assert self.mbatch.X3d is not None, "test splits carry 3D"
            return self.pose_loss(self.mb_output, self.mbatch.X3d)
        return self.batch_loss(self.mbatch, self.mb_output)

    def batch_loss(self, batch: PoseBatch, output: torch.Tensor) -> torch.Tensor:
        """:meth:`supervised_loss` on labelled batches, :meth:`adaptation_loss` otherwise, each checked
        by :meth:`checked_loss`."""
        if batch.X3d is None:
            return self.checked_loss(self.adaptation_loss(batch, output), "adaptation_loss")
        if self.target_labels is not None and self.is_training and not self.experience.domain.labelled:
            self.target_3d_seen += self.target_labels.count(batch.X3d)  # the runner's look-out for target labels
        return self.checked_loss(self.supervised_loss(batch, output), "supervised_loss")

    def checked_loss(self, loss: Any, hook: str) -> torch.Tensor:
        """``loss`` as a loss hook returned it, once it is something a training step can use.

        Why: a hook that returns ``None``, a per-sample tensor or a detached value fails later
        inside Avalanche's backward ("grad can be implicitly created only for scalar outputs",
        "element 0 of tensors does not require grad"), naming neither the strategy nor the hook;
        a plugin asking for the loss under ``torch.no_grad()`` (nothing to differentiate) is not
        held to the gradient.

        Raises:
            TypeError: naming the strategy class, the file and the hook, and what it returned.
        """
        if not isinstance(loss, torch.Tensor):
            from lifelong_pose.registry.loading import echo

            problem = f"returned {echo(loss, 60)} ({type(loss).__name__}), not a tensor"
        elif loss.numel() != 1:
            problem = f"returned a tensor of shape {tuple(loss.shape)}, not a scalar (reduce it, e.g. with .mean())"
        elif torch.is_grad_enabled() and not loss.requires_grad:
            problem = (
                "returned a loss with no gradient (requires_grad=False: detached, made under torch.no_grad() or "
                "from .item()/numpy), so no step can change the lifter; compute it from `output` with torch"
            )
        else:
            return loss
        code = getattr(getattr(type(self), hook, None), "__code__", None)
        where = code.co_filename if code is not None else "?"
        raise TypeError(f"{type(self).__name__}.{hook} ({where}) {problem}")

    def supervised_loss(self, batch: PoseBatch, output: torch.Tensor) -> torch.Tensor:
        """The loss on a labelled batch (the source, the oracle's targets, pairs a method made).

        The pose loss by default; a method that trains the source its own way (DAK-Pose) overrides
        it, and sets ``shares_source_training = False`` so that its source is never taken from the cache.
        """
        assert batch.X3d is not None
        return self.pose_loss(output, batch.X3d)

    def pose_loss(self, predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean per-joint position error (metres) or mean squared error, per ``params.loss``."""
        if self.params.loss == "mse":
            return torch.mean((predicted - target) ** 2)
        return mpjpe(predicted, target).mean()

    # -- what crosses domains -----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything a later domain needs: the lifter, each stateful plugin's and the method's declared state.

        Plugins with ``state_dict``/``load_state_dict`` methods are saved under their position
        and class name, so two plugins of one class keep their own state.
        """
        plugins = {key: plugin.state_dict() for key, plugin in self._stateful_plugins()}
        return {"model": self.model.state_dict(), "plugins": plugins, "extra": self.extra_state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        for key, plugin in self._stateful_plugins():
            if key in state["plugins"]:
                plugin.load_state_dict(state["plugins"][key])
            elif plugin.state_dict():  # one with nothing to restore may meet a checkpoint from before it kept state
                raise KeyError(f"Checkpoint has no state for plugin {key!r}; it was saved with other plugins")
        self.load_extra_state_dict(state.get("extra", {}))

    def _stateful_plugins(self) -> list[tuple[str, Any]]:
        return [
            (f"{index}:{type(plugin).__name__}", plugin)
            for index, plugin in enumerate(self.plugins)
            if callable(getattr(plugin, "state_dict", None)) and callable(getattr(plugin, "load_state_dict", None))
        ]

    def extra_state_dict(self) -> dict[str, Any]:
        """The method's declared state: networks, optimizers and kept attributes (None values left out)."""
        state: dict[str, Any] = {name: module.state_dict() for name, module in self._networks.items()}
        state.update({name: optimizer.state_dict() for name, optimizer in self._optimizers.items()})
        for name, restorer in self._kept.items():
            value = getattr(self, name)
            if value is not None:
                state[name] = value.state_dict() if restorer is not None else value
        return state

    def load_extra_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`extra_state_dict`.

        Raises:
            KeyError: a declared network or optimizer missing from ``state`` (a checkpoint of
                another method or version).
        """
        for kind, declared in (("network", self._networks), ("optimizer", self._optimizers)):
            missing = sorted(set(declared) - set(state))
            if missing:
                raise KeyError(f"Checkpoint has no state for the {kind}(s) {missing} of {type(self).__name__}")
        for name, module in self._networks.items():
            module.load_state_dict(state[name])
        for name, optimizer in self._optimizers.items():
            optimizer.load_state_dict(state[name])
        for name, restorer in self._kept.items():
            if name not in state:
                continue  # kept as None when saved
            value = state[name]
            if restorer is not None:
                value = restorer.from_state_dict(value, self.device)  # type: ignore[attr-defined]
            elif isinstance(value, torch.Tensor):
                value = value.to(self.device)
            setattr(self, name, value)
