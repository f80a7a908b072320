"""Shared fixtures: the motion library once per session, and temporary registrations."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from lifelong_pose.motion import MotionClip, load_deepmimic_clips
from lifelong_pose.registry import scenario_registry


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
