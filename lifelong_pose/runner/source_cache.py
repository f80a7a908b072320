"""A content-addressed cache of trained source lifters.

Supervised source training is a pure function of the source's data, the lifter and its training
options, the seed and the device (DESIGN.md section 8); every strategy whose source training is
the engine's (``shares_source_training``) trains the very same lifter. The cache keeps it once, so
a second strategy on the same stream and seed starts at the first target.

An entry is ``<sha256 of its identity>.pt`` under the cache folder, holding the identity itself,
the lifter's ``state_dict`` and a SHA-256 over its tensors. It is written atomically (a temporary
file moved into place) and loaded with ``weights_only=True``; an entry that cannot be read, whose
identity is not the one asked for, or whose tensors do not match their checksum is never used:
a warning names it, it is set aside (renamed ``*.bad-<time>``, not deleted) and the source is
trained again. A folder that cannot be written to is a warning, never a failed run.

Folder: ``--cache-dir``, else ``$LIFELONG_POSE_CACHE``, else ``$XDG_CACHE_HOME/lifelong-pose``
(``~/.cache/lifelong-pose``); entries live in its ``source/`` subfolder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

CACHE_ENV = "LIFELONG_POSE_CACHE"
ENTRY_SCHEMA = "lifelong-pose/source-cache/v1"
# Fields of LifterParams that change the trained source lifter (eval_batch_size does not).
SOURCE_TRAINING_FIELDS = (
    "lifter",
    "receptive_field",
    "steps",
    "epochs",
    "batch_size",
    "lr",
    "lr_schedule",
    "lr_floor",
    "lr_warmup_steps",
    "loss",
)


class CacheWarning(UserWarning):
    """A cache entry or folder that could not be used; the run trains instead."""


def default_cache_dir() -> Path:
    """``$LIFELONG_POSE_CACHE``, else ``$XDG_CACHE_HOME/lifelong-pose``, else ``~/.cache/lifelong-pose``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lifelong-pose"


def state_checksum(state: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of a ``state_dict``'s tensors."""
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def identity_key(identity: Mapping[str, Any]) -> str:
    """The entry name for an identity: SHA-256 of its canonical JSON."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class CachedEntry:
    """One entry as ``lifelong-pose cache ls`` lists it."""

    key: str
    path: Path
    bytes: int
    modified: float
    identity: dict[str, Any] | None  # None: unreadable


class SourceCache:
    """The cache folder's ``source/`` entries.

    Args:
        root: the cache folder (``source/`` is created inside it when an entry is written).
    """

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.folder = self.root / "source"

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.pt"

    def load(self, identity: Mapping[str, Any]) -> dict[str, torch.Tensor] | None:
        """The cached lifter state for ``identity``, or None (absent, or unusable: warned and set aside)."""
        key = identity_key(identity)
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            entry = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a truncated or foreign file: torch raises many kinds
            self._set_aside(path, f"cannot be read ({type(error).__name__}: {error})")
            return None
        if not isinstance(entry, dict) or entry.get("schema") != ENTRY_SCHEMA:
            self._set_aside(path, "is not a lifelong-pose source-cache entry")
            return None
        if entry.get("identity") != json.loads(json.dumps(dict(identity))):
            self._set_aside(path, "holds another lifter than its name says")
            return None
        state = entry.get("state")
        if not isinstance(state, dict) or state_checksum(state) != entry.get("sha256"):
            self._set_aside(path, "fails its checksum (corrupted)")
            return None
        return state

    def store(self, identity: Mapping[str, Any], state: Mapping[str, torch.Tensor]) -> Path | None:
        """Write an entry atomically; a folder that cannot be written is a warning (returns None)."""
        path = self.path(identity_key(identity))
        entry = {
            "schema": ENTRY_SCHEMA,
            "identity": json.loads(json.dumps(dict(identity))),
            "state": {name: tensor.detach().cpu() for name, tensor in state.items()},
            "sha256": state_checksum(state),
        }
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.", suffix=".tmp")
            os.close(handle)
            torch.save(entry, temporary)
            os.replace(temporary, path)
        except OSError as error:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            warnings.warn(
                f"Source cache {self.folder} cannot be written ({error.strerror or error}); the trained source "
                "is not cached (choose another folder with --cache-dir or $LIFELONG_POSE_CACHE, or pass --no-cache)",
                CacheWarning,
                stacklevel=2,
            )
            return None
        return path

    def entries(self) -> list[CachedEntry]:
        """Every entry, newest first (identity None where the file cannot be read)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.glob("*.pt"):
            try:
                entry = torch.load(path, map_location="cpu", weights_only=True)
                identity = entry.get("identity") if isinstance(entry, dict) else None
            except Exception:
                identity = None
            stat = path.stat()
            found.append(CachedEntry(path.stem, path, stat.st_size, stat.st_mtime, identity))
        return sorted(found, key=lambda e: e.modified, reverse=True)

    def clear(self) -> int:
        """Delete every entry (and set-aside or temporary file); returns how many files went."""
        if not self.folder.is_dir():
            return 0
        removed = 0
        for path in self.folder.iterdir():
            if path.is_file() and (path.suffix == ".pt" or ".bad-" in path.name or path.name.endswith(".tmp")):
                path.unlink()
                removed += 1
        return removed

    def _set_aside(self, path: Path, why: str) -> None:
        aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.rename(aside)
            where = f"set aside as {aside.name}"
        except OSError as error:
            where = f"could not be set aside ({error.strerror or error})"
        warnings.warn(
            f"Source cache entry {path} {why}; it is not used ({where}) and the source is trained again",
            CacheWarning,
            stacklevel=3,
        )
