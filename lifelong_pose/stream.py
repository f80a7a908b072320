"""What a scenario entry point returns: the ordered domains of a stream (pure data, no torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lifelong_pose.datasets.spec import RealDomainSpec
from lifelong_pose.world.factors import DomainSpec
from lifelong_pose.world.sim_spec import SimDomainSpec

# A simulated domain: the v0/v1 world's factors, or (v2) a selection from a simulated session.
SimulatedDomain = DomainSpec | SimDomainSpec

Profile = Literal["quick", "paper"]
PROFILES: tuple[str, ...] = ("quick", "paper")


@dataclass(frozen=True)
class StreamDefinition:
    """The domains of a stream in order: domain 0 is the labelled source, the rest are targets.

    Attributes:
        description: one line for listings.
        domains: the simulated backend's domains: :class:`DomainSpec` (the world of the v0 and v1
            streams) or :class:`SimDomainSpec` (v2: selections from simulated recordings).
        real: the same stream read from the real datasets (``--data real``); empty when the
            stream exists only in the simulated world. The two backends may differ in length
            (real cross_camera has H3.6M's four cameras, the simulated one five rigs).

    Raises:
        ValueError: if a source is unlabelled, a target is labelled, or layouts differ.
    """

    description: str
    domains: tuple[SimulatedDomain, ...]
    real: tuple[RealDomainSpec, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", tuple(self.domains))
        object.__setattr__(self, "real", tuple(self.real))
        _check_domains(self.domains, "")
        if self.real:
            _check_domains(self.real, "real ")
            if self.real[0].layout != self.domains[0].layout:
                raise ValueError(
                    f"Real layout {self.real[0].layout} differs from the simulated {self.domains[0].layout}"
                )

    @property
    def layout(self) -> str:
        return self.domains[0].layout


def _check_domains(domains: tuple[SimulatedDomain, ...] | tuple[RealDomainSpec, ...], backend: str) -> None:
    if len(domains) < 2:
        raise ValueError(f"A {backend}stream needs a source and at least one target, got {len(domains)} domains")
    if not domains[0].labelled:
        raise ValueError(f"Domain 0 ({domains[0].name!r}) is the {backend}source and must be labelled")
    labelled_targets = [d.name for d in domains[1:] if d.labelled]
    if labelled_targets:
        raise ValueError(f"Targets must be unlabelled; labelled {backend}targets: {labelled_targets}")
    layouts = {d.layout for d in domains}
    if len(layouts) != 1:
        raise ValueError(f"All domains of a {backend}stream share one joint layout, got {sorted(layouts)}")


def by_profile(profile: str, quick: int, paper: int) -> int:
    """Pick a size by profile; an unknown profile is an error naming the known ones."""
    if profile == "quick":
        return quick
    if profile == "paper":
        return paper
    raise ValueError(f"Unknown profile {profile!r}; known: {', '.join(PROFILES)}")
