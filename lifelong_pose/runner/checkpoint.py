"""Atomic files and per-domain checkpoints.

A file is written beside its destination and moved into place with ``os.replace``, so a run
killed mid-write leaves the previous version, never half a file. Checkpoints are plain
``state_dict``s saved with ``torch.save`` and loaded with ``weights_only=True``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

CHECKPOINT_DIR = "checkpoints"


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    """JSON with sorted keys and NaN refused (records hold numbers or null, never NaN)."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n")


def checkpoint_path(run_dir: Path, domain: int) -> Path:
    return run_dir / CHECKPOINT_DIR / f"domain-{domain:02d}.pt"


def save_checkpoint(run_dir: Path, domain: int, state: dict[str, Any]) -> Path:
    """Save the strategy state after ``domain`` atomically; returns the file."""
    path = checkpoint_path(run_dir, domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        torch.save(state, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def set_aside(path: Path) -> Path:
    """Rename an unreadable file to ``NAME.corrupt-N`` (never deleted: a user may want to look at it)."""
    count = 0
    while (target := path.with_name(f"{path.name}.corrupt-{count}")).exists():
        count += 1
    path.rename(target)
    return target


class CorruptCheckpoint(ValueError):
    """A checkpoint file that exists but cannot be read safely (truncated, foreign or tampered with)."""


def load_checkpoint(run_dir: Path, domain: int, device: str = "cpu") -> dict[str, Any]:
    """The state saved after ``domain``.

    Raises:
        FileNotFoundError: naming the missing file.
        CorruptCheckpoint: the file cannot be read by ``torch.load(weights_only=True)``.
    """
    path = checkpoint_path(run_dir, domain)
    if not path.is_file():
        raise FileNotFoundError(f"Checkpoint {path} is missing; the run cannot resume from domain {domain}")
    try:
        return torch.load(path, map_location=device, weights_only=True)  # torch's restricted unpickler
    except Exception as error:  # truncated, foreign or planted: torch raises many kinds
        raise CorruptCheckpoint(
            f"Checkpoint {path} cannot be read ({type(error).__name__}: {str(error)[:200]})"
        ) from None


def lifter_after(run_dir: Path, record: dict[str, Any], domain: int, device: str = "cpu") -> torch.nn.Module:
    """The run's lifter as it stood after ``domain``, in eval mode, for analyses of finished runs.

    Rebuilt from ``record`` (the run's ``result.json``: lifter, receptive field, profile, layout)
    and loaded from that domain's checkpoint, so a script reading run folders needs neither the
    strategy nor its options.

    Raises:
        FileNotFoundError: naming the missing checkpoint.
    """
    from lifelong_pose.geometry import get_layout
    from lifelong_pose.models import build_lifter

    params = record["strategy"]["params"]
    model = build_lifter(
        params["lifter"],
        num_joints=get_layout(record["data"]["layout"]).num_joints,
        profile=record["profile"],
        receptive_field=params["receptive_field"],
    )
    model.load_state_dict(load_checkpoint(run_dir, domain, device)["model"])
    return model.to(device).eval()


def state_bytes(state: Any) -> int:
    """Bytes of every tensor in a nested state (what a strategy keeps between domains)."""
    if isinstance(state, torch.Tensor):
        return state.numel() * state.element_size()
    if isinstance(state, dict):
        return sum(state_bytes(value) for value in state.values())
    if isinstance(state, list | tuple):
        return sum(state_bytes(value) for value in state)
    return 0
