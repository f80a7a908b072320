"""``check_strategy``: the contract every strategy keeps, as small named checks (scikit-learn's ``check_estimator``).

Each check runs on the tiny seeded stream of :mod:`lifelong_pose.checks.tiny` with the ``tiny``
profile, so no check names a strategy's options. A check that tests what a strategy declares
away (the oracle reads target 3D) is skipped with the reason. The checks:

- ``options_validate``: ``Params`` is a frozen dataclass of JSON values; the tiny profile builds;
  an unknown option and an option of the wrong type are refused naming the option;
- ``resolved_defaults`` (a report, never a failure unless the defaults cannot be built): the
  budgets and learning rates a run uses in the quick and paper profiles, noting a profile that
  restarts each target at the source's rate or above;
- ``declares_resources``: ``reads_target_3d`` / ``keeps_source_data`` are booleans and the extra
  networks are named ``torch.nn.Module`` s;
- ``runs_end_to_end``: every domain trains and every test split gets a finite error;
- ``losses_are_finite``: every loss term the strategy logged on every domain is finite;
- ``same_seed_same_matrix``: a second run with the same seed gives bit-identical matrices;
- ``never_changes_test_data``: every test split (2D, 3D, cameras) is bit for bit the same after
  the run as before it (a strategy that zeroes the labels it can reach fails here, by name);
- ``never_reads_target_3d``: the lifter after every domain is bit-identical when every target's 3D
  is changed (the test splits' too: an Avalanche experience reaches them through its stream);
- ``never_uses_target_data`` (for a strategy that declares ``uses_target_data = False``, such as
  ``source_only`` and DAK-Pose): the lifter after every domain is bit-identical when every target's
  2D changes too (train and test splits);
- ``checkpoint_round_trip``: a strategy rebuilt from the state saved after the first target (as
  ``--resume`` rebuilds it, through ``torch.save`` / ``torch.load(weights_only=True)``) ends the
  stream with the same lifter and matrix as the uninterrupted run;
- ``normalisation_controls``: the engine's ``bn`` option reaches the strategy: with ``bn=frozen``
  the lifter's BatchNorm statistics after every target are bit for bit those it had after the
  source (nothing the strategy or its plugins do while adapting may move them), and with
  ``bn=adabn`` the run ends with a finite matrix and statistics moved on every target. A
  strategy may refuse a mode (``source_only`` sends ``bn=adabn`` to the ``adabn`` strategy); a
  lifter without BatchNorm skips the check, since ``bn`` is then a no-op its records state.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lifelong_pose.checks.result import CheckResult

TARGET_3D_SCALE = 1.37  # how the never_reads_target_3d run changes every target's 3D (and shifts it)
TARGET_3D_SHIFT = 0.05
TARGET_2D_SCALE = 0.9  # how the never_uses_target_data run changes every target's 2D


@dataclass
class Trace:
    """What one run of a strategy over the tiny stream left: per domain, the matrices' rows, the
    lifter's weights and the logged loss terms; and the error that stopped it, if one did."""

    matrices: dict[str, list[list[float]]] = field(default_factory=dict)
    lifters: list[dict[str, Any]] = field(default_factory=list)
    losses: list[dict[str, dict[str, Any]]] = field(default_factory=list)
    error: BaseException | None = None
    changed_test_data: list[str] = field(default_factory=list)  # "domain 2 (X3d)" for each split the run changed

    @property
    def complete(self) -> bool:
        return self.error is None


def check_strategy(strategy: str | type, *, seed: int = 0) -> Iterator[CheckResult]:
    """Yield one :class:`CheckResult` per check of ``strategy``.

    Args:
        strategy: a registered id (``poseda``), ``module:Class``, ``path/to/file.py:Class``, or a
            ``LifelongStrategy`` subclass.
        seed: the run seed of every run the checks make.

    Raises:
        RegistryError, ImportError: ``strategy`` names nothing that can be loaded (before any check).
    """
    harness = _Harness(strategy, seed)
    yield harness.check("options_validate", harness.options_validate)
    yield harness.resolved_defaults()
    yield harness.check("declares_resources", harness.declares_resources)
    reference = harness.trace()
    yield harness.check("never_changes_test_data", lambda: _never_changes_test_data(reference))
    yield harness.check("runs_end_to_end", lambda: _runs_end_to_end(reference))
    yield harness.check("losses_are_finite", lambda: _losses_are_finite(reference))
    if reference.changed_test_data:  # every later figure would come from data the strategy rewrote
        for name in (
            "same_seed_same_matrix",
            "never_reads_target_3d",
            "never_uses_target_data",
            "checkpoint_round_trip",
            "normalisation_controls",
        ):
            yield CheckResult(name, "skip", "the run changed test data (see never_changes_test_data)")
        return
    if not reference.complete:
        for name in (
            "same_seed_same_matrix",
            "never_reads_target_3d",
            "never_uses_target_data",
            "checkpoint_round_trip",
            "normalisation_controls",
        ):
            yield CheckResult(name, "skip", "the run did not finish (see runs_end_to_end)")
        return
    yield harness.check("same_seed_same_matrix", lambda: _same_matrices(reference, harness.trace(), "a second run"))
    if harness.target.reads_target_3d:
        yield CheckResult("never_reads_target_3d", "skip", "declares reads_target_3d (a reference, never ranked)")
    else:
        yield harness.check("never_reads_target_3d", lambda: harness.never_reads_target_3d(reference))
    if harness.target.uses_target_data:
        yield CheckResult("never_uses_target_data", "skip", "declares uses_target_data (it adapts to targets)")
    else:
        yield harness.check("never_uses_target_data", lambda: harness.never_uses_target_data(reference))
    yield harness.check("checkpoint_round_trip", lambda: harness.checkpoint_round_trip(reference))
    yield harness.check("normalisation_controls", lambda: harness.normalisation_controls(reference))


class _Harness:
    """Builds the strategy and runs it over the tiny stream, as the runner would."""

    def __init__(self, strategy: str | type, seed: int) -> None:
        from lifelong_pose.registry import StrategySpec
        from lifelong_pose.registry.loading import load_entry_point
        from lifelong_pose.training.build import strategy_spec_for

        if isinstance(strategy, str):
            self.spec = strategy_spec_for(strategy)
            self.target = load_entry_point(self.spec.entry_point)
        else:
            self.spec = StrategySpec(id=strategy.__name__, entry_point=f"{strategy.__module__}:{strategy.__qualname__}")
            self.target = strategy
        self.seed = seed
        self._scenario: Any = None

    # -- running ------------------------------------------------------------------------------
    def check(self, name: str, body: Callable[[], str | None]) -> CheckResult:
        """Run ``body``: an ``AssertionError`` or any exception is a failure (its message the detail);
        a returned string is a skip reason."""
        try:
            skipped = body()
        except Exception as error:  # a check reports; it never stops the others
            message = str(error) or type(error).__name__
            return CheckResult(
                name, "fail", message if isinstance(error, AssertionError) else f"{type(error).__name__}: {message}"
            )
        return CheckResult(name, "skip", skipped) if skipped else CheckResult(name, "pass")

    @property
    def scenario(self) -> Any:
        if self._scenario is None:
            from lifelong_pose.checks.tiny import tiny_scenario

            self._scenario = tiny_scenario()
        return self._scenario

    def context(self) -> Any:
        """The run context every check builds the strategy with: the tiny stream, the tiny profile."""
        from lifelong_pose.training import RunContext

        layout = self.scenario.layout
        return RunContext(
            num_joints=_joints(self.scenario), layout=layout, profile="tiny", device="cpu", seed=self.seed
        )

    def build(self, **options: Any) -> Any:
        from lifelong_pose.training import make_evaluator
        from lifelong_pose.training.build import build_strategy

        return build_strategy(
            self.spec, self.target, {"context": self.context(), "evaluator": make_evaluator(), **options}
        )

    def benchmark(self, strategy: Any, *, change_target_3d: bool = False, change_target_2d: bool = False) -> Any:
        from lifelong_pose.data.avalanche import build_benchmark

        scenario = self.scenario
        domains = range(scenario.num_domains)
        privileged = strategy.reads_target_3d
        train = [scenario.privileged_train_data(i) if privileged else scenario.train_data(i) for i in domains]
        test = [_private_copy(scenario.test_data(i)) for i in domains]  # one run's writes never reach the next
        if change_target_3d:
            train = [train[0], *(_changed_3d(data) for data in train[1:])]
            test = [test[0], *(_changed_3d(data) for data in test[1:])]
        if change_target_2d:
            train = [train[0], *(_changed_2d(data) for data in train[1:])]
            test = [test[0], *(_changed_2d(data) for data in test[1:])]
        return build_benchmark(train, test, strategy.params.receptive_field)

    def trace(
        self,
        *,
        change_target_3d: bool = False,
        change_target_2d: bool = False,
        resume_after: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> Trace:
        """Run the stream; with ``resume_after=i``, rebuild the strategy from its state after domain ``i``;
        ``options`` are passed to the strategy (``bn=frozen``)."""
        options = options or {}
        from lifelong_pose.runner.run import split_digests

        trace = Trace()
        test_stream: list[Any] = []
        before: list[dict[str, str]] = []
        try:
            strategy = self.build(**options)
            benchmark = self.benchmark(strategy, change_target_3d=change_target_3d, change_target_2d=change_target_2d)
            test_stream = list(benchmark.test_stream)
            before = [split_digests(experience.tensors) for experience in test_stream]
            for index, experience in enumerate(benchmark.train_stream):
                strategy.train(experience, eval_streams=[])
                trace.losses.append(strategy.domain_losses())
                _evaluate(strategy, benchmark.test_stream, trace)
                trace.lifters.append({k: v.detach().clone() for k, v in strategy.model.state_dict().items()})
                if index == resume_after:
                    state = _round_trip(strategy.state_dict())
                    strategy = self.build(**options)
                    strategy.load_state_dict(state)
        except Exception as error:  # the checks read what finished
            trace.error = error
        for index, (experience, digests) in enumerate(zip(test_stream, before, strict=True)):
            now = split_digests(experience.tensors)
            changed = sorted(name for name, digest in now.items() if digests.get(name) != digest)
            if changed:
                trace.changed_test_data.append(f"domain {index} ({', '.join(changed)})")
        return trace

    # -- the checks ---------------------------------------------------------------------------
    def options_validate(self) -> None:
        from lifelong_pose.training.build import build_strategy
        from lifelong_pose.training.params import LifterParams

        params_type = self.target.Params
        assert dataclasses.is_dataclass(params_type) and issubclass(params_type, LifterParams), (
            f"Params must be a LifterParams dataclass, got {params_type!r}"
        )
        assert params_type.__dataclass_params__.frozen, f"{params_type.__name__} must be frozen (options never change)"
        params = self.target.default_params("tiny")
        json.dumps(params.as_dict())  # recorded in result.json: JSON values only
        context = self.context()
        for options, word in (({"no_such_option": 1}, "no_such_option"), ({"batch_size": "many"}, "batch_size")):
            try:
                build_strategy(self.spec, self.target, {"context": context, **options})
            except (TypeError, ValueError) as error:
                assert word in str(error), f"refusing {options} must name {word!r}: {error}"
            else:
                raise AssertionError(f"{options} was accepted: options are not validated")

    BUDGET_OPTIONS = ("steps", "epochs", "lr", "adapt_steps", "adapt_epochs", "adapt_lr")
    """The options :meth:`resolved_defaults` reports: what a run trains for, and how fast, by default."""

    def resolved_defaults(self) -> CheckResult:
        """``PASS resolved_defaults: quick: steps=8000 lr=0.01 adapt_steps=500 adapt_lr=0.001; paper: ...``.

        Why: a strategy's budgets and rates come from layers (the dataclass, its profile's
        defaults, its registration), and a plugin author who sets none inherits the engine's; this
        line shows what a run will actually use, per profile, before anything runs. It notes where
        a profile restarts each target at the source's own rate or above, which throws a converged
        lifter out of its minimum. It fails only where the defaults cannot be built.
        """
        from lifelong_pose.training.build import strategy_params

        parts, notes = [], []
        try:
            for profile in ("quick", "paper"):
                params = strategy_params(self.spec, self.target, profile, {})
                shown = [
                    f"{name}={getattr(params, name)}"
                    for name in self.BUDGET_OPTIONS
                    if hasattr(params, name) and getattr(params, name) is not None
                ]
                parts.append(f"{profile}: {' '.join(shown)}")
                adapt_lr = getattr(params, "adapt_lr", None)
                if hasattr(params, "adapt_steps") and (adapt_lr is None or adapt_lr >= params.lr):
                    notes.append(f"{profile} adapts at the source's rate or above ({adapt_lr or params.lr})")
        except (TypeError, ValueError) as error:
            return CheckResult("resolved_defaults", "fail", f"the defaults cannot be built: {error}")
        detail = "; ".join(parts) + (f" (note: {'; '.join(notes)})" if notes else "")
        return CheckResult("resolved_defaults", "pass", detail)

    def declares_resources(self) -> None:
        import torch

        strategy = self.build()
        for name in ("reads_target_3d", "keeps_source_data", "uses_target_data"):
            assert isinstance(getattr(strategy, name), bool), f"{name} must be a bool, got {getattr(strategy, name)!r}"
        modules = strategy.auxiliary_modules()
        assert isinstance(modules, dict) and all(
            isinstance(name, str) and isinstance(module, torch.nn.Module) for name, module in modules.items()
        ), f"auxiliary_modules() must map names to torch.nn.Module, got {modules!r}"

    def never_reads_target_3d(self, reference: Trace) -> None:
        changed = self.trace(change_target_3d=True)
        _same_lifters(
            reference,
            changed,
            "3D",
            "the strategy reads target 3D; declare reads_target_3d = True if it must",
        )

    def never_uses_target_data(self, reference: Trace) -> None:
        changed = self.trace(change_target_2d=True)
        _same_lifters(reference, changed, "2D", "but the strategy declares uses_target_data = False")

    def checkpoint_round_trip(self, reference: Trace) -> None:
        resumed = self.trace(resume_after=1)
        assert resumed.complete, f"the strategy rebuilt from its checkpoint state failed: {resumed.error!r}"
        hint = (
            "state kept between domains is missing from state_dict (declare it with add_network / add_optimizer / keep)"
        )
        last = len(reference.lifters) - 1
        ends = reference.lifters[last], resumed.lifters[last]
        differing = [key for key in ends[0] if not _equal(ends[0][key], ends[1][key])]
        assert not differing, f"resumed after domain 1, the lifter ends different ({differing[0]}): {hint}"
        _same_matrices(reference, resumed, f"the run resumed after domain 1 ({hint})")

    def normalisation_controls(self, reference: Trace) -> str | None:
        from lifelong_pose.training.normalisation import statistics_keys

        built = self.build()
        statistics = statistics_keys(built.model)
        if not statistics:
            return f"the {built.params.lifter} lifter has no BatchNorm layer: bn is a no-op (its records say so)"
        refused = []
        for mode in ("frozen", "adabn"):
            try:
                self.build(bn=mode)
            except ValueError as error:
                refused.append(f"bn={mode} ({error})")
                continue
            trace = self.trace(options={"bn": mode})
            assert trace.complete, f"the run with bn={mode} failed: {trace.error!r}"
            _runs_end_to_end(trace)
            source = trace.lifters[0]
            for index, lifter in enumerate(trace.lifters[1:], start=1):
                moved = [key for key in statistics if not _equal(lifter[key], source[key])]
                if mode == "frozen":
                    assert not moved, (
                        f"with bn=frozen the BatchNorm statistic {moved[0]} changed on target {index}: something "
                        "runs the lifter's normalisation in training mode outside the engine's control"
                    )
                else:
                    assert moved, f"with bn=adabn no BatchNorm statistic moved on target {index}"
        if len(refused) == 2:
            return "the strategy refuses both controls: " + "; ".join(refused)
        return None


# -- helpers ----------------------------------------------------------------------------------
def _joints(scenario: Any) -> int:
    from lifelong_pose.geometry.skeleton import get_layout

    return get_layout(scenario.layout).num_joints


def _evaluate(strategy: Any, test_stream: Any, trace: Trace) -> None:
    from lifelong_pose.training import METRICS, metric_key

    values = strategy.eval(test_stream)
    for info in METRICS:
        row = [float(values[metric_key(info.key, j)]) for j in range(len(test_stream))]
        trace.matrices.setdefault(info.key, []).append(row)


def _changed_3d(data: Any) -> Any:
    """``data`` with its 3D scaled and shifted (no other field changed); unlabelled splits as they are."""
    if data.X3d is None:
        return data
    return dataclasses.replace(data, X3d=data.X3d * TARGET_3D_SCALE + TARGET_3D_SHIFT)


def _changed_2d(data: Any) -> Any:
    """``data`` with its observed 2D scaled (missing joints stay at zero)."""
    return dataclasses.replace(data, x2d=data.x2d * TARGET_2D_SCALE)


def _round_trip(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` through ``torch.save`` and ``torch.load(weights_only=True)``, as a checkpoint on disk goes."""
    import torch

    buffer = io.BytesIO()
    torch.save(state, buffer)  # serialising reads the state, never changes it
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def _equal(a: Any, b: Any) -> bool:
    import torch

    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b))
    return a == b


def _same_lifters(reference: Trace, changed: Trace, what: str, verdict: str) -> None:
    """The lifter after every domain is bit-identical in ``changed``, a run whose targets' ``what`` changed."""
    assert changed.complete, f"the run with changed target {what} failed: {changed.error!r}"
    for index, (a, b) in enumerate(zip(reference.lifters, changed.lifters, strict=True)):
        differing = [name for name in a if not _equal(a[name], b[name])]
        assert not differing, (
            f"the lifter after domain {index} depends on the targets' {what} ({differing[0]} differs when it "
            f"changes): {verdict}"
        )


def _private_copy(data: Any) -> Any:
    """``data`` with every tensor cloned: what a run changes in place stays in that run."""
    import torch

    tensors = {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}
    return dataclasses.replace(
        data, **{name: value.clone() for name, value in tensors.items() if isinstance(value, torch.Tensor)}
    )


def _never_changes_test_data(trace: Trace) -> None:
    assert not trace.changed_test_data, (
        f"the strategy wrote to test data: {'; '.join(trace.changed_test_data)} changed during the run (a strategy "
        "may read the 2D it adapts to, never write to any split; the runner refuses such a run)"
    )


def _runs_end_to_end(trace: Trace) -> None:
    if trace.error is not None:
        raise AssertionError(
            f"stopped after {len(trace.lifters)} domain(s): {type(trace.error).__name__}: {trace.error}"
        )
    for key, rows in trace.matrices.items():
        flat = [value for row in rows for value in row]
        assert all(math.isfinite(value) for value in flat), f"the {key} matrix holds non-finite values"


def _losses_are_finite(trace: Trace) -> None:
    for index, terms in enumerate(trace.losses):
        for name, summary in terms.items():
            assert summary["mean"] is not None and all(v is not None for v in summary["curve"]), (
                f"loss term {name!r} is not finite on domain {index}"
            )
    if trace.error is not None and isinstance(trace.error, FloatingPointError):
        raise AssertionError(f"training diverged: {trace.error}")


def _same_matrices(reference: Trace, other: Trace, what: str) -> None:
    assert other.complete, f"{what} failed: {other.error!r}"
    for key, rows in reference.matrices.items():
        again = other.matrices.get(key, [])
        cells = [
            (i, j) for i, row in enumerate(rows) for j, value in enumerate(row) if not _same_number(value, again, i, j)
        ]
        if cells:
            i, j = cells[0]
            found = again[i][j] if i < len(again) and j < len(again[i]) else None
            raise AssertionError(
                f"{what} gave a different {key} matrix: {len(cells)} cell(s) differ, "
                f"first R[{i}][{j}] = {rows[i][j]!r} against {found!r}"
            )


def _same_number(value: float, rows: list[list[float]], i: int, j: int) -> bool:
    if i >= len(rows) or j >= len(rows[i]):
        return False
    other = rows[i][j]
    return value == other or (math.isnan(value) and math.isnan(other))
