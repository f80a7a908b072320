"""``check_scenario``: the contract every domain stream keeps, as small named checks (Gymnasium's ``check_env``).

- ``builds``: ``lifelong_pose.make(id)`` builds a stream of at least two domains of one layout;
- ``spec_round_trip``: the spec survives JSON (records store it);
- ``targets_expose_no_3d``: the source's train split has 3D, no target's train split has (the 3D
  a strategy could read), and every test split has (the errors need it);
- ``splits_well_formed``: every split has frames, finite 2D with missing joints at (0, 0), 3D
  root-relative in metres, positive focal lengths;
- ``same_seed_same_data``: building it again with the same options gives the same data
  (fingerprint of every split);
- ``avalanche_stream``: the Avalanche benchmark has one train and one test experience per domain,
  each carrying its domain's metadata and tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lifelong_pose.checks.result import CheckResult

MAX_BODY_EXTENT_M = 3.0  # a root-relative joint farther than this from the root is not a human pose in metres


def check_scenario(scenario_id: str, **options: Any) -> Iterator[CheckResult]:
    """Yield one :class:`CheckResult` per check of scenario ``scenario_id`` built with ``options``.

    Raises:
        RegistryError: an unknown id (before any check).
    """
    import lifelong_pose as lp

    lp.spec(scenario_id)  # an unknown id is an error of the caller, not a failed check
    built: dict[str, Any] = {}

    def build() -> None:
        built["scenario"] = lp.make(scenario_id, **options)
        scenario = built["scenario"]
        assert scenario.num_domains >= 2, f"a stream needs a source and a target, got {scenario.num_domains} domain(s)"
        layouts = {scenario.train_data(i).layout_name for i in range(scenario.num_domains)}
        assert layouts == {scenario.layout}, (
            f"every domain must use the stream's layout {scenario.layout}, got {layouts}"
        )

    first = _run("builds", build)
    yield first
    if first.status != "pass":
        for name in (
            "spec_round_trip",
            "targets_expose_no_3d",
            "splits_well_formed",
            "same_seed_same_data",
            "avalanche_stream",
        ):
            yield CheckResult(name, "skip", "the scenario did not build (see builds)")
        return
    scenario = built["scenario"]
    yield _run("spec_round_trip", lambda: _spec_round_trip(scenario))
    yield _run("targets_expose_no_3d", lambda: _targets_expose_no_3d(scenario))
    yield _run("splits_well_formed", lambda: _splits_well_formed(scenario))
    yield _run("same_seed_same_data", lambda: _same_seed_same_data(scenario, lp.make(scenario_id, **options)))
    yield _run("avalanche_stream", lambda: _avalanche_stream(scenario))


def _run(name: str, body: Callable[[], None]) -> CheckResult:
    try:
        body()
    except Exception as error:  # a check reports; it never stops the others
        detail = str(error) if isinstance(error, AssertionError) else f"{type(error).__name__}: {error}"
        return CheckResult(name, "fail", detail)
    return CheckResult(name, "pass")


def _splits(scenario: Any) -> Iterator[tuple[str, Any]]:
    for index in range(scenario.num_domains):
        yield f"domain {index} train", scenario.train_data(index)
        yield f"domain {index} test", scenario.test_data(index)


def _spec_round_trip(scenario: Any) -> None:
    spec = scenario.spec
    again = type(spec).from_json(spec.to_json())
    assert again.to_json() == spec.to_json(), f"{spec.id}: the spec changes through JSON"


def _targets_expose_no_3d(scenario: Any) -> None:
    assert scenario.train_data(0).has_3d, "the source's train split has no 3D: nothing to learn from"
    for index in range(1, scenario.num_domains):
        data = scenario.train_data(index)
        assert data.X3d is None and data.root is None, f"target {index}'s train split exposes 3D to strategies"
    for index in range(scenario.num_domains):
        assert scenario.test_data(index).has_3d, f"domain {index}'s test split has no 3D: no error can be measured"


def _splits_well_formed(scenario: Any) -> None:
    import torch

    for what, data in _splits(scenario):
        assert len(data) > 0, f"{what} has no frames"
        assert bool(torch.isfinite(data.x2d).all()), f"{what}: non-finite 2D"
        hidden = ~data.visible
        assert bool((data.x2d[hidden] == 0).all()), f"{what}: missing joints must be stored as (0, 0)"
        assert bool((data.intrinsics[:, :2] > 0).all()), f"{what}: focal lengths must be positive"
        if data.X3d is not None:
            assert bool(torch.isfinite(data.X3d).all()), f"{what}: non-finite 3D"
            assert bool((data.X3d[:, 0] == 0).all()), f"{what}: 3D must be root-relative (joint 0 at the origin)"
            reach = float(data.X3d.norm(dim=-1).max())
            assert reach < MAX_BODY_EXTENT_M, f"{what}: a joint {reach:.1f} m from the root (3D must be in metres)"


def _same_seed_same_data(scenario: Any, again: Any) -> None:
    for (what, data), (_, other) in zip(_splits(scenario), _splits(again), strict=True):
        assert data.fingerprint() == other.fingerprint(), f"{what} differs between two builds with the same seed"


def _avalanche_stream(scenario: Any) -> None:
    benchmark = scenario.avalanche_benchmark()
    train, test = list(benchmark.train_stream), list(benchmark.test_stream)
    count = scenario.num_domains
    assert len(train) == len(test) == count, f"{len(train)} train / {len(test)} test experiences for {count} domains"
    for index, (fit, score) in enumerate(zip(train, test, strict=True)):
        for experience in (fit, score):
            assert experience.domain.index == index and experience.domain.domains == count, (
                f"experience {index} carries the metadata of domain {experience.domain.index}"
            )
        assert fit.domain.labelled == (index == 0), f"train experience {index}: labelled must be {index == 0}"
        assert len(fit.dataset) == len(fit.tensors), f"train experience {index}: dataset and tensors differ in size"
