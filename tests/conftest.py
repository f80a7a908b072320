"""Shared fixtures: the motion library once per session, and temporary registrations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from lifelong_pose.motion import MotionClip, load_deepmimic_clips
from lifelong_pose.registry import scenario_registry


@pytest.fixture(autouse=True)
def isolated_source_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test has a source cache of its own: no test reads another's trained source, and none
    writes to the user's ~/.cache."""
    monkeypatch.setenv("LIFELONG_POSE_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="session")
def clips() -> list[MotionClip]:
    return load_deepmimic_clips()


@pytest.fixture
def temporary_scenario_id() -> Iterator[str]:
    """A fresh base name; every version registered under it is removed afterwards."""
    base = f"tmp_{uuid.uuid4().hex[:8]}"
    yield base
    for spec in list(scenario_registry.all()):
        if spec.name == base:
            scenario_registry.unregister(spec.id)


@pytest.fixture
def tiny_scenario(temporary_scenario_id: str) -> str:
    """A registered three-domain walking stream (source + 2 targets): seconds to run end to end."""
    scenario_registry.register(f"{temporary_scenario_id}-v0", "tiny_streams:tiny", targets=2)
    return f"{temporary_scenario_id}-v0"
