"""A content-addressed cache of trained source lifters.

Supervised source training is a pure function of the source's data, the lifter and its training
options, the seed and the device; every strategy whose source training is
the engine's (``shares_source_training``) trains the very same lifter. The cache keeps it once, so
a second strategy on the same stream and seed starts at the first target.

An entry is ``<sha256 of its identity>.pt`` under the cache folder, holding the identity itself,
the lifter's ``state_dict`` and a SHA-256 over its tensors, with a manifest ``<sha256>.json``
beside it (the entry's name, size and file SHA-256). It is written atomically (a temporary
file moved into place) and loaded with ``weights_only=True``; an entry that cannot be read, whose
identity is not the one asked for, or whose tensors do not match their checksum is never used:
a warning names it, it is set aside (renamed ``*.bad-<time>``, not deleted, with a manifest saying
why) and the source is trained again. A folder that cannot be written to (or full) is a warning,
never a failed run.

``cache clear`` deletes only what the cache wrote and can prove it wrote (:meth:`SourceCache.owns`):
an entry whose manifest matches it, or, for entries written before manifests existed, one whose
content is an entry whose identity hashes to its own name (no other file can be that); its
set-aside and temporary files by their exact name patterns. Anything else in the folder (a user's
own ``model.pt``) is left where it is, and reported.

Folder: ``--cache-dir``, else ``$LIFELONG_POSE_CACHE``, else ``$XDG_CACHE_HOME/lifelong-pose``
(``~/.cache/lifelong-pose``); entries live in its ``source/`` subfolder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from lifelong_pose.runner.checkpoint import atomic_torch_save, atomic_write_json

CACHE_ENV = "LIFELONG_POSE_CACHE"
ENTRY_SCHEMA = "lifelong-pose/source-cache/v1"
MANIFEST_SCHEMA = "lifelong-pose/source-cache-manifest/v1"
_KEY = r"[0-9a-f]{64}"
ENTRY_NAME = re.compile(rf"{_KEY}\.pt")
_STAMP = r"\d{8}-\d{6}(-\d+)?"
# an entry's manifest, and a set-aside entry's (named apart from *.bad-*: the set-aside files themselves)
MANIFEST_NAME = re.compile(rf"{_KEY}(\.set-aside-{_STAMP})?\.json")
SET_ASIDE_NAME = re.compile(rf"{_KEY}\.pt\.bad-{_STAMP}")
# tempfile.mkstemp(prefix=".NAME.", suffix=".tmp") of an entry or a manifest
TEMPORARY_NAME = re.compile(rf"\.{_KEY}\.(pt|json|set-aside-{_STAMP}\.json)\.[a-z0-9_]{{8}}\.tmp")
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


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (entries can be hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Cleared:
    """What ``cache clear`` did: the files it deleted and those it left (it did not write them)."""

    removed: list[Path] = field(default_factory=list)
    left: list[Path] = field(default_factory=list)


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

    def manifest_path(self, entry: Path) -> Path:
        """``<key>.json`` beside ``<key>.pt``; ``<key>.set-aside-<time>.json`` beside ``<key>.pt.bad-<time>``."""
        if entry.suffix == ".pt":
            return entry.with_suffix(".json")
        key, _, stamp = entry.name.partition(".pt.bad-")
        return entry.with_name(f"{key}.set-aside-{stamp}.json")

    def check_folder(self) -> None:
        """Refuse a cache folder that is a file (``--cache-dir`` given a file by mistake).

        Raises:
            NotADirectoryError: naming it, with what to give instead.
        """
        for folder in (self.root, self.folder):
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(
                    f"the source cache folder {folder} is a file, not a folder; give --cache-dir a folder "
                    f"(or set ${CACHE_ENV})"
                )

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
        """Write an entry and its manifest atomically; a folder that cannot be written (or is full)
        is a warning (returns None)."""
        key = identity_key(identity)
        path = self.path(key)
        entry = {
            "schema": ENTRY_SCHEMA,
            "identity": json.loads(json.dumps(dict(identity))),
            "state": {name: tensor.detach().cpu() for name, tensor in state.items()},
            "sha256": state_checksum(state),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_torch_save(entry, path)
            manifest = {
                "schema": MANIFEST_SCHEMA,
                "key": key,
                "entry": path.name,
                "bytes": path.stat().st_size,
                "sha256": file_sha256(path),
                "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
            }
            atomic_write_json(self.manifest_path(path), manifest)
        except OSError as error:
            warnings.warn(
                f"Source cache {self.folder} cannot be written ({error.strerror or error}); the trained source "
                "is not cached (choose another folder with --cache-dir or $LIFELONG_POSE_CACHE, or pass --no-cache)",
                CacheWarning,
                stacklevel=2,
            )
            return None
        return path

    def entries(self) -> list[CachedEntry]:
        """Every entry (``<key>.pt``), newest first (identity None where the file cannot be read)."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            if not ENTRY_NAME.fullmatch(path.name) or path.is_symlink() or not path.is_file():
                continue
            identity = _entry_identity(path)
            stat = path.stat()
            found.append(CachedEntry(path.stem, path, stat.st_size, stat.st_mtime, identity))
        return sorted(found, key=lambda e: e.modified, reverse=True)

    def owns(self, path: Path) -> bool:
        """Whether the cache wrote ``path`` (a file in its folder), so that ``clear`` may delete it.

        - ``<key>.pt``: its manifest names it with its size and SHA-256; or, written before
          manifests, it is a cache entry whose identity hashes to ``key`` (the old code's entries
          carry exactly that, and no file made any other way can);
        - ``<key>.json``, ``<key>.set-aside-<time>.json``: a manifest (its schema, its key in its name);
        - ``<key>.pt.bad-<time>``: a set-aside entry: its manifest says so, or (set aside before
          manifests) its exact name, a SHA-256 and a timestamp only the cache composes;
        - ``.<name>.<8 chars>.tmp``: a write of the cache's cut short, by its exact name pattern.
        """
        name = path.name
        if path.is_symlink() or not path.is_file():
            return False
        if TEMPORARY_NAME.fullmatch(name):
            return True
        if MANIFEST_NAME.fullmatch(name):
            manifest = _read_manifest(path)
            return manifest is not None and name.startswith(str(manifest.get("key")))
        if SET_ASIDE_NAME.fullmatch(name):
            return True
        if not ENTRY_NAME.fullmatch(name):
            return False
        manifest = _read_manifest(self.manifest_path(path))
        if manifest is not None and manifest.get("entry") == name and _matches(manifest, path):
            return True
        identity = _entry_identity(path)
        return identity is not None and identity_key(identity) == path.stem

    def clear(self) -> Cleared:
        """Delete every file the cache wrote (:meth:`owns`): entries, their manifests, set-aside
        and temporary files; anything else in the folder is left and listed in the result.

        Raises:
            NotADirectoryError: the cache folder is a file.
        """
        self.check_folder()
        if not self.folder.is_dir():
            return Cleared()
        removed, left = [], []
        paths = sorted(self.folder.iterdir())
        owned = {path for path in paths if self.owns(path)}  # decided before any manifest goes
        for path in paths:
            if path in owned:
                path.unlink()
                removed.append(path)
            else:
                left.append(path)
        return Cleared(removed, left)

    def _set_aside(self, path: Path, why: str) -> None:
        aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
        count = 0
        while aside.exists():
            count += 1
            aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}-{count}")
        try:
            path.rename(aside)
            where = f"set aside as {aside.name}"
        except OSError as error:
            where = f"could not be set aside ({error.strerror or error})"
        else:
            self._note_set_aside(path, aside, why)
        warnings.warn(
            f"Source cache entry {path} {why}; it is not used ({where}) and the source is trained again",
            CacheWarning,
            stacklevel=3,
        )

    def _note_set_aside(self, path: Path, aside: Path, why: str) -> None:
        """Replace the entry's manifest by one for the set-aside file (so ``clear`` knows it as the cache's)."""
        try:
            self.manifest_path(path).unlink(missing_ok=True)
            note = {"schema": MANIFEST_SCHEMA, "key": path.stem, "entry": aside.name, "set_aside": why}
            atomic_write_json(self.manifest_path(aside), note)
        except OSError:  # the name pattern still marks it as the cache's
            pass


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """A manifest the cache wrote at ``path``, or None (missing, unreadable, oversized or foreign)."""
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 2**16:
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA:
        return None
    return manifest if isinstance(manifest.get("key"), str) and re.fullmatch(_KEY, manifest["key"]) else None


def _matches(manifest: Mapping[str, Any], path: Path) -> bool:
    """The file at ``path`` is the one ``manifest`` describes: same size, same SHA-256."""
    return manifest.get("bytes") == path.stat().st_size and manifest.get("sha256") == file_sha256(path)


def _entry_identity(path: Path) -> dict[str, Any] | None:
    """The identity inside an entry file, or None when it is not one (unreadable, foreign)."""
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # a truncated or foreign file: torch raises many kinds
        return None
    if not isinstance(entry, dict) or entry.get("schema") != ENTRY_SCHEMA:
        return None
    identity = entry.get("identity")
    return identity if isinstance(identity, dict) else None
