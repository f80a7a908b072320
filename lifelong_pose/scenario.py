"""A built scenario: its stream of domains, their data (built lazily) and its Avalanche benchmark."""

from __future__ import annotations

from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifelong_pose.registry.loading import check_kwargs
from lifelong_pose.registry.specs import ScenarioSpec
from lifelong_pose.stream import PROFILES, StreamDefinition
from lifelong_pose.world.factors import DomainSpec

if TYPE_CHECKING:
    from avalanche.benchmarks import CLScenario

    from lifelong_pose.motion.clip import MotionClip
    from lifelong_pose.world.data import DomainData

DATA_BACKENDS = ("sim", "real")
# Options every scenario takes; the rest go to the scenario's entry point.
COMMON_OPTIONS = ("data", "seed", "profile", "bvh_dir")


class Scenario:
    """A domain stream ready to run.

    Built by ``lifelong_pose.make(id, **overrides)``; ``spec`` records the id and every override.
    Data is generated on first access and cached; ``benchmark`` imports avalanche lazily.
    """

    def __init__(
        self,
        spec: ScenarioSpec,
        definition: StreamDefinition,
        *,
        data: str = "sim",
        seed: int = 0,
        profile: str = "quick",
        bvh_dir: str | None = None,
    ) -> None:
        self.spec = spec
        self.definition = definition
        self.data_backend = data
        self.seed = seed
        self.profile = profile
        self.bvh_dir = bvh_dir
        self._cache: dict[str, dict[str, DomainData]] = {}

    # -- stream -------------------------------------------------------------------------------
    @property
    def domains(self) -> tuple[DomainSpec, ...]:
        return self.definition.domains

    @property
    def domain_names(self) -> list[str]:
        return [d.name for d in self.domains]

    @property
    def num_domains(self) -> int:
        """T + 1: the source and T targets."""
        return len(self.domains)

    @property
    def layout(self) -> str:
        return self.definition.layout

    def __repr__(self) -> str:
        return f"Scenario({self.spec.id!r}, data={self.data_backend!r}, seed={self.seed}, domains={self.domain_names})"

    # -- data ---------------------------------------------------------------------------------
    @cached_property
    def clips(self) -> list[MotionClip]:
        """The motion library: the DeepMimic clips, plus the BVH folder when one is given."""
        from lifelong_pose.motion import load_bvh_folder, load_deepmimic_clips

        clips = load_deepmimic_clips()
        if self.bvh_dir:
            clips += load_bvh_folder(self.bvh_dir)
        return clips

    def _splits(self, index: int) -> dict[str, DomainData]:
        if not 0 <= index < self.num_domains:
            raise IndexError(f"Domain index {index} out of range 0..{self.num_domains - 1}")
        from lifelong_pose.world.generate import generate_domain

        domain = self.domains[index]
        key = repr(domain)  # a revisited domain (same spec) is generated once
        if key not in self._cache:
            self._cache[key] = generate_domain(domain, self.clips, self.seed)
        return self._cache[key]

    def train_data(self, index: int) -> DomainData:
        """Whole-tensor train split of domain ``index``; targets come without 3D."""
        data = self._splits(index)["train"]
        return data if self.domains[index].labelled else data.without_3d()

    def privileged_train_data(self, index: int) -> DomainData:
        """Train split of domain ``index`` *with* its 3D, targets included.

        Only for references that are allowed to cheat (the ``oracle``); a record made from it is
        marked ``reads_target_3d`` and never ranked.
        """
        return self._splits(index)["train"]

    def test_data(self, index: int) -> DomainData:
        """Whole-tensor test split of domain ``index``, with 3D ground truth."""
        return self._splits(index)["test"]

    def fingerprint(self) -> str:
        """SHA-256 over every domain's splits (with 3D): identifies the data behind a result."""
        import hashlib

        digest = hashlib.sha256()
        for index in range(self.num_domains):
            for split in ("train", "test"):
                digest.update(self._splits(index)[split].fingerprint().encode())
        return digest.hexdigest()

    # -- avalanche ----------------------------------------------------------------------------
    @cached_property
    def benchmark(self) -> CLScenario:
        """The Avalanche ``CLScenario`` with single-frame items (see :func:`build_benchmark`)."""
        from lifelong_pose.benchmark import build_benchmark

        return build_benchmark(self)

    # -- description --------------------------------------------------------------------------
    def describe(self, sizes: bool = True) -> list[dict[str, Any]]:
        """One row per domain: its factors and, when ``sizes``, its split sizes (builds data)."""
        rows = []
        for index, domain in enumerate(self.domains):
            row: dict[str, Any] = {
                "index": index,
                "name": domain.name,
                "role": "source (labelled)" if domain.labelled else "target (2D only)",
                "description": domain.description,
                "factors": asdict(domain),
            }
            if sizes:
                splits = self._splits(index)
                row["train_frames"] = len(splits["train"])
                row["test_frames"] = len(splits["test"])
                row["sequences"] = splits["train"].num_sequences
                row["actions"] = list(splits["train"].actions)
            rows.append(row)
        return rows


def build_scenario(spec: ScenarioSpec, entry_point: Any, overrides: dict[str, Any]) -> Scenario:
    """Registry builder for scenarios: common options, then the entry point's own options.

    Raises:
        TypeError: an unknown option or one of the wrong type.
        ValueError: an unknown profile, or a data backend the scenario does not have.
    """
    options = {**spec.kwargs, **overrides}
    common = {key: options.pop(key) for key in COMMON_OPTIONS if key in options}
    data = common.get("data", "sim")
    seed = common.get("seed", 0)
    profile = common.get("profile", "quick")
    if data not in DATA_BACKENDS:
        raise ValueError(f"Unknown data backend {data!r}; use one of {', '.join(DATA_BACKENDS)}")
    if data not in spec.backends:
        raise ValueError(
            f"Scenario {spec.id!r} has no {data!r} backend; it can be built from: {', '.join(spec.backends)}"
        )
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {seed!r}")
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    bvh_dir = common.get("bvh_dir")
    if bvh_dir is not None and not Path(bvh_dir).is_dir():
        raise ValueError(f"bvh_dir {bvh_dir!r} is not a folder")
    check_kwargs(entry_point, options, f"Scenario {spec.id!r}")
    definition = entry_point(profile=profile, **options)
    if not isinstance(definition, StreamDefinition):
        raise TypeError(
            f"Entry point {spec.entry_point!r} must return a StreamDefinition, got {type(definition).__name__}"
        )
    return Scenario(
        spec.with_overrides(**overrides), definition, data=data, seed=seed, profile=profile, bvh_dir=bvh_dir
    )
