"""The simulated world as a data backend (``--data sim``, the default).

Two simulated worlds build a stream's domains: the factor world of the v0/v1 streams
(:class:`~lifelong_pose.world.factors.DomainSpec`: every domain generated from its own factors)
and the recorded world of v2 (:class:`~lifelong_pose.world.sim_spec.SimDomainSpec`: subjects
recorded once in a simulated lab, then selected and converted as real data is). The motion
library, the scripts and the recorded takes are loaded once per backend and shared by its domains.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from lifelong_pose.world.sim_spec import SimDataset, SimDomainSpec

if TYPE_CHECKING:
    from lifelong_pose.data.domain import DomainData
    from lifelong_pose.datasets.options import RealDataOptions
    from lifelong_pose.datasets.sequences import PoseSequence
    from lifelong_pose.motion.clip import MotionClip
    from lifelong_pose.stream import StreamDefinition
    from lifelong_pose.world.performance import Script
    from lifelong_pose.world.recording import RecordedTake


class SimBackend:
    """Generates a stream's splits from the seed (and an optional folder of BVH motion).

    Args:
        seed: the world seed: the same seed gives the same data in every process.
        bvh_dir: a folder of BVH clips added to the motion library.
        real, scenario: what every backend is built with (:class:`~lifelong_pose.data.backends.DataBackend`);
            the protocol in ``real`` is the scenario's business, the rest is for the real backend.
    """

    def __init__(
        self, *, seed: int = 0, bvh_dir: str | None = None, real: RealDataOptions | None = None, scenario: str = ""
    ) -> None:
        self.seed = seed
        self.bvh_dir = bvh_dir
        self._recorded: dict[tuple[str, str, int], list[RecordedTake]] = {}

    def domains(self, definition: StreamDefinition) -> tuple[Any, ...]:
        return definition.domains

    def build(self, domain: Any, split: str) -> dict[str, DomainData]:
        if isinstance(domain, SimDomainSpec):
            return {split: self.session_split(domain, split)}
        from lifelong_pose.world.generate import generate_domain

        return generate_domain(domain, self.clips, self.seed)

    @cached_property
    def clips(self) -> list[MotionClip]:
        """The motion library: the DeepMimic clips, plus the BVH folder when one is given."""
        from lifelong_pose.motion import load_bvh_folder, load_deepmimic_clips

        clips = load_deepmimic_clips()
        if self.bvh_dir:
            clips += load_bvh_folder(self.bvh_dir)
        return clips

    @cached_property
    def scripts(self) -> dict[str, Script]:
        """The v2 world's scripts: the DeepMimic humanoid and walker clips, plus the BVH folder's.

        Raises:
            ValueError: a BVH folder none of whose clips is long enough for a take.
        """
        from lifelong_pose.motion import load_bvh_folder, load_deepmimic_clips, load_walker_clips
        from lifelong_pose.world.recording import script_library

        library = script_library(load_deepmimic_clips() + load_walker_clips())
        if self.bvh_dir:
            own = script_library(load_bvh_folder(self.bvh_dir), source=f"bvh_dir {self.bvh_dir}")
            for name, script in own.items():
                unique, number = f"Bvh{name}", 2
                while unique in library:
                    unique, number = f"Bvh{name}{number}", number + 1
                library[unique] = type(script)(unique, script.clip, script.hinges)
        return library

    def recorded(self, dataset: SimDataset, subject: str, frame_step: int) -> list[RecordedTake]:
        """Every take of ``subject`` in a simulated recording, recorded once per frame step."""
        from lifelong_pose.world.recording import record_subject, session_scripts

        key = (repr(dataset), subject, frame_step)
        if key not in self._recorded:
            scripts = session_scripts(dataset, self.scripts)
            self._recorded[key] = record_subject(dataset, subject, scripts, self.seed, frame_step)
        return self._recorded[key]

    def session_views(self, dataset: SimDataset, subjects: tuple[str, ...], frame_step: int) -> list[PoseSequence]:
        """The camera views of ``subjects``' takes, in the order the Human3.6M reader lists a file's
        (subject, then take, by name; cameras in the rig's order)."""
        views = [
            view for subject in subjects for take in self.recorded(dataset, subject, frame_step) for view in take.views
        ]
        return sorted(views, key=lambda view: (view.subject, view.action))

    def session_split(self, domain: SimDomainSpec, split: str) -> DomainData:
        """A v2 domain's split: its selection of a simulated recording, converted as real data is."""
        from lifelong_pose.datasets.build import select
        from lifelong_pose.datasets.sequences import to_domain_data

        views = self.session_views(domain.dataset, domain.subjects(split), domain.frame_step(split))
        chosen = select(views, domain.selection(split), f"{domain.name} ({split})")
        return to_domain_data(
            chosen, name=domain.name, layout=domain.layout, labelled=domain.labelled, split=split, stride=1
        )
