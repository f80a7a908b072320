"""What a record says about where it ran: device, library versions, git revision, peak memory."""

from __future__ import annotations

import platform
import resource
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``; ``cuda`` must have a GPU.

    Raises:
        ValueError: an unknown device, or ``cuda`` on a machine where torch sees no GPU.
    """
    if device not in DEVICES and not device.startswith("cuda:"):
        raise ValueError(f"Unknown device {device!r}; use one of {', '.join(DEVICES)} (or cuda:N)")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(
            f"--device {device} asked for a GPU but torch sees none (torch {torch.__version__}, "
            f"CUDA build {torch.version.cuda or 'none'}); use --device cpu or --device auto"
        )
    return device


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that decide a result."""
    found = {"python": platform.python_version()}
    for package in ("lifelong-pose", "torch", "avalanche-lib", "numpy", "scipy"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def git_revision() -> dict[str, Any]:
    """The commit of the checkout the package runs from, and whether it had local changes.

    ``{"revision": None, "dirty": None}`` when the package is not installed from a git checkout.
    """
    root = Path(__file__).resolve().parents[2]
    try:
        revision = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"revision": None, "dirty": None}
    return {"revision": revision, "dirty": bool(status.strip())}


def peak_host_bytes() -> int:
    """Peak resident memory of this *process* so far (Linux reports KiB, macOS bytes).

    The operating system keeps one high-water mark per process and offers no reset, so with
    several seeds in one process a later record's figure includes the earlier runs'.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def reset_peak_device_bytes(device: str) -> None:
    """Start the GPU high-water mark afresh, so each run's record has its own peak."""
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(torch.device(device))


def peak_device_bytes(device: str) -> int | None:
    """Peak memory torch allocated on the GPU (None on the CPU)."""
    if not device.startswith("cuda"):
        return None
    return int(torch.cuda.max_memory_allocated(torch.device(device)))
