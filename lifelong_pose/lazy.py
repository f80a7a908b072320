"""Lazy package exports: torch-backed names load on first use, so light importers stay light."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, submodules: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<submodule>`` when one of its names is asked.

    Args:
        package: the package's dotted name (``lifelong_pose.geometry``).
        submodules: exported name -> the submodule defining it.
    """

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return getattr(importlib.import_module(f"{package}.{submodules[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
