"""What a scenario entry point returns: the ordered domains of a stream (pure data, no torch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lifelong_pose.world.factors import DomainSpec

Profile = Literal["quick", "paper"]
PROFILES: tuple[str, ...] = ("quick", "paper")


@dataclass(frozen=True)
class StreamDefinition:
    """The domains of a stream in order: domain 0 is the labelled source, the rest are targets.

    Raises:
        ValueError: if the source is unlabelled, a target is labelled, or layouts differ.
    """

    description: str
    domains: tuple[DomainSpec, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "domains", tuple(self.domains))
        if len(self.domains) < 2:
            raise ValueError(f"A stream needs a source and at least one target, got {len(self.domains)} domains")
        if not self.domains[0].labelled:
            raise ValueError(f"Domain 0 ({self.domains[0].name!r}) is the source and must be labelled")
        labelled_targets = [d.name for d in self.domains[1:] if d.labelled]
        if labelled_targets:
            raise ValueError(f"Targets must be unlabelled; labelled: {labelled_targets}")
        layouts = {d.layout for d in self.domains}
        if len(layouts) != 1:
            raise ValueError(f"All domains of a stream share one joint layout, got {sorted(layouts)}")

    @property
    def layout(self) -> str:
        return self.domains[0].layout


def by_profile(profile: str, quick: int, paper: int) -> int:
    """Pick a size by profile; an unknown profile is an error naming the known ones."""
    if profile == "quick":
        return quick
    if profile == "paper":
        return paper
    raise ValueError(f"Unknown profile {profile!r}; known: {', '.join(PROFILES)}")
