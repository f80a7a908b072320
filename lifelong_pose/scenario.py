"""A built scenario: its stream of domains, their data (built lazily) and its Avalanche benchmark."""

from __future__ import annotations

from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifelong_pose.datasets.options import RealDataOptions
from lifelong_pose.datasets.spec import RealDomainSpec
from lifelong_pose.registry.loading import check_kwargs
from lifelong_pose.registry.specs import ScenarioSpec
from lifelong_pose.stream import PROFILES, SimulatedDomain, StreamDefinition

if TYPE_CHECKING:
    from avalanche.benchmarks import CLScenario

    from lifelong_pose.data.backends import DataBackend
    from lifelong_pose.data.domain import DomainData


# Options every scenario takes; the rest go to the scenario's entry point.
COMMON_OPTIONS = ("data", "seed", "profile", "bvh_dir", *RealDataOptions.names())


class Scenario:
    """A domain stream ready to run.

    Built by ``lifelong_pose.make(id, **overrides)``; ``spec`` records the id and every override.
    Data is generated (``sim``) or read from ``data_root`` (``real``) on first access and cached;
    ``benchmark`` imports avalanche lazily.

    Target protocol: ``inductive`` targets adapt on their train split; ``transductive`` ones on
    their test split's 2D (the test split is then both what a strategy adapts on, without 3D,
    and what it is tested on). ``protocol=None`` keeps each domain's default (``inductive`` in
    the simulated world; per dataset for real data, ``transductive`` on 3DHP as PoseDA and
    AdaptPose do). The source always trains on its train split.
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
        real: RealDataOptions | None = None,
    ) -> None:
        from lifelong_pose.registry import data_backend_registry

        self.spec = spec
        self.definition = definition
        self.data_backend = data
        self.seed = seed
        self.profile = profile
        self.bvh_dir = bvh_dir
        self.real = real if real is not None else RealDataOptions()
        self.backend: DataBackend = data_backend_registry.make(
            data, seed=seed, bvh_dir=bvh_dir, real=self.real, scenario=spec.id
        )
        self._cache: dict[str, dict[str, DomainData]] = {}

    # the real-data options, as records and reports read them
    @property
    def data_root(self) -> str | None:
        return self.real.data_root

    @property
    def protocol(self) -> str | None:
        return self.real.protocol

    @property
    def h36m_2d(self) -> str:
        return self.real.h36m_2d

    @property
    def valid_mask(self) -> bool:
        return self.real.valid_mask

    # -- stream -------------------------------------------------------------------------------
    @property
    def domains(self) -> tuple[SimulatedDomain, ...] | tuple[RealDomainSpec, ...]:
        """The backend's domains: simulated factors, or real-data selections."""
        return self.backend.domains(self.definition)

    @property
    def protocols(self) -> list[str]:
        """Per domain, where it adapts: ``inductive`` (train split) or ``transductive`` (test split's 2D)."""
        chosen = []
        for index, domain in enumerate(self.domains):
            default = getattr(domain, "protocol", "inductive")
            chosen.append("inductive" if index == 0 else self.protocol or default)
        return chosen

    @property
    def pck_domains(self) -> list[str]:
        """Domains whose dataset reports PCK and AUC as its headline figures (3DHP)."""
        return [d.name for d in self.domains if getattr(d, "reports_pck", False)]

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
    def _split(self, index: int, split: str) -> DomainData:
        """Split ``split`` of domain ``index``, with its 3D (callers strip it where needed)."""
        if not 0 <= index < self.num_domains:
            raise IndexError(f"Domain index {index} out of range 0..{self.num_domains - 1}")
        domain = self.domains[index]
        key = repr(domain)  # a revisited domain (same spec) is built once
        splits = self._cache.setdefault(key, {})
        if split not in splits:
            splits.update(self.backend.build(domain, split))
        return splits[split]

    def split_with_3d(self, index: int, split: str) -> DomainData:
        """Split ``split`` (``train`` / ``test``) of domain ``index`` as built, 3D included where it
        exists: for export and inspection, never for a strategy."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return self._split(index, split)

    def _adaptation_split(self, index: int) -> str:
        return "test" if self.protocols[index] == "transductive" else "train"

    def train_data(self, index: int) -> DomainData:
        """Whole-tensor data domain ``index`` trains on; targets come without 3D.

        That is the train split, or for a transductive target its test split's 2D.
        """
        data = self._split(index, self._adaptation_split(index))
        return data if self.domains[index].labelled else data.without_3d()

    def privileged_train_data(self, index: int) -> DomainData:
        """What domain ``index`` trains on *with* its 3D, targets included.

        Only for references that are allowed to cheat (the ``oracle``); a record made from it is
        marked ``reads_target_3d`` and never ranked.
        """
        return self._split(index, self._adaptation_split(index))

    def test_data(self, index: int) -> DomainData:
        """Whole-tensor test split of domain ``index``, with 3D ground truth."""
        return self._split(index, "test")

    def fingerprint(self) -> str:
        """SHA-256 over the data every domain trains and is tested on (with 3D): identifies the
        data behind a result."""
        import hashlib

        digest = hashlib.sha256()
        for index in range(self.num_domains):
            for split in dict.fromkeys((self._adaptation_split(index), "test")):
                digest.update(self._split(index, split).fingerprint().encode())
        return digest.hexdigest()

    # -- avalanche ----------------------------------------------------------------------------
    @cached_property
    def benchmark(self) -> CLScenario:
        """The Avalanche ``CLScenario`` with single-frame items (see :meth:`avalanche_benchmark`)."""
        return self.avalanche_benchmark()

    def avalanche_benchmark(self, receptive_field: int = 1, *, target_3d: bool = False) -> CLScenario:
        """Train experience i = domain i's train split (3D only for the source), test experience j =
        domain j's test split with 3D.

        ``target_3d=True`` builds the privileged stream in which targets' train splits keep their 3D:
        only the ``oracle`` reference asks for it, and the runner marks its records not comparable.
        """
        from lifelong_pose.data.avalanche import build_benchmark

        domains = range(self.num_domains)
        train = [self.privileged_train_data(i) if target_3d else self.train_data(i) for i in domains]
        return build_benchmark(train, [self.test_data(i) for i in domains], receptive_field)

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
                "protocol": self.protocols[index],
                "factors" if self.data_backend == "sim" else "selection": asdict(domain),
            }
            if sizes:
                train, test = self.train_data(index), self.test_data(index)
                row["train_frames"] = len(train)
                row["test_frames"] = len(test)
                row["sequences"] = train.num_sequences
                row["actions"] = list(train.actions)
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
    from lifelong_pose.registry import data_backend_registry

    if data not in data_backend_registry:
        backends = ", ".join(spec.id for spec in data_backend_registry)
        raise ValueError(f"Unknown data backend {data!r}; use one of {backends}")
    if data not in spec.backends:
        raise ValueError(
            f"Scenario {spec.id!r} has no {data!r} backend; it can be built from: {', '.join(spec.backends)}"
        )
    real = RealDataOptions.pop_from(common)
    if data == "real" and real.data_root is None:
        raise ValueError(
            f"Scenario {spec.id!r} with data='real' needs data_root (--data-root DIR): the folder holding the "
            "datasets' files; see 'lifelong-pose data check DIR'"
        )
    if real.data_root is not None and data != "real":
        raise ValueError("data_root is only read with data='real' (--data real); drop it for the simulated world")
    real = real.with_resolved_root()
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
    if data == "real" and not definition.real:
        raise ValueError(f"Scenario {spec.id!r} declares a real backend but its definition has no real domains")
    return Scenario(
        spec.with_overrides(**overrides),
        definition,
        data=data,
        seed=seed,
        profile=profile,
        bvh_dir=bvh_dir,
        real=real,
    )
