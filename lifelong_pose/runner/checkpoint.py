"""Atomic files and per-domain checkpoints.

A file is written beside its destination and moved into place with ``os.replace``, so a run
killed mid-write leaves the previous version, never half a file. It ends with the mode the user's
umask gives any new file (``0644`` under ``umask 022``), not ``mkstemp``'s private ``0600``: a
record or checkpoint on a shared disk must be as readable as the folder the user made for it. Checkpoints are plain
``state_dict``s saved with ``torch.save`` and loaded with ``weights_only=True``. A write that
fails for want of room (a full disk or quota, a file past the size limit) raises
:class:`NoSpaceLeft`, which says so, instead of torch's "unexpected pos 704 vs 598".
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

CHECKPOINT_DIR = "checkpoints"

NO_SPACE_ERRNOS = {errno.ENOSPC: "the file system is full", errno.EFBIG: "the file outgrew the largest size allowed"}
NO_SPACE_ERRNOS[errno.EDQUOT] = "the disk quota is used up"
# torch.save reports a failed write with its own words only; the OSError, if any, is its context
_TORCH_WRITE_FAILURES = ("unexpected pos", "file write failed", "iostream error")


class NoSpaceLeft(OSError):
    """A file could not be written for want of room: the disk or quota is full, or the file reached
    the largest size allowed (``ulimit -f``, the file system's own limit).

    ``str()`` is the whole message (no ``[Errno N]``), so a record's error reads
    ``NoSpaceLeft: no space left on ... while writing ...``.
    """

    def __init__(self, code: int, path: Path, why: str) -> None:
        folder = path.parent
        mount = _mount_point(folder)
        where = f"{mount} ({folder})" if mount != folder else str(folder)
        super().__init__(
            code,
            f"no space left on {where} while writing {path.name} ({why}); free space there or raise the limit "
            "(ulimit -f), or write elsewhere (--out, --cache-dir)",
        )
        self.path = path

    def __str__(self) -> str:
        return str(self.strerror)


def _mount_point(folder: Path) -> Path:
    """The mount point of the file system holding ``folder`` (what "no space" is about)."""
    current = folder.resolve()
    while not os.path.ismount(current) and current != current.parent:
        current = current.parent
    return current


def no_space_left(error: BaseException, path: Path) -> NoSpaceLeft | None:
    """``error`` as :class:`NoSpaceLeft` when it (or what it wraps) is a write that ran out of room.

    Looks through ``__cause__``/``__context__`` (torch wraps the ``OSError`` of a file object in a
    ``RuntimeError``); a torch write failure that carries no errno (a path it opened itself) counts
    when the file system has no room left or a file-size limit is set.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NoSpaceLeft):
            return current
        if isinstance(current, OSError) and current.errno in NO_SPACE_ERRNOS:
            return NoSpaceLeft(current.errno, path, NO_SPACE_ERRNOS[current.errno])
        current = current.__cause__ or current.__context__
    if isinstance(error, RuntimeError) and any(words in str(error) for words in _TORCH_WRITE_FAILURES):
        import resource

        try:
            stats = os.statvfs(path.parent)
            full = stats.f_bavail * stats.f_frsize < 2**20
        except OSError:
            full = False
        if full:
            return NoSpaceLeft(errno.ENOSPC, path, NO_SPACE_ERRNOS[errno.ENOSPC])
        if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
            return NoSpaceLeft(errno.EFBIG, path, NO_SPACE_ERRNOS[errno.EFBIG])
    return None


_PROC_STATUS = "/proc/self/status"
"""Where Linux (4.7 and later) shows the process's umask without changing it."""


def current_umask() -> int:
    """The process's umask, read without a window in which another thread sees a different one.

    Python can only read the umask by setting it (``os.umask`` returns the old value), and the
    umask is process-wide: between setting and restoring it, a file another thread creates gets
    the temporary value. So it is read from ``/proc/self/status`` where Linux shows it; only
    elsewhere is it set and restored, to ``0o077``, the most private value, so that a file another
    thread creates in that instant comes out more private, never more open, than it should. Read
    per write, not once at import: a program may change its umask after importing this module.
    """
    try:
        with open(_PROC_STATUS, encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode ``open()`` would give a new file now: ``0o666`` less the umask."""
    return 0o666 & ~current_umask()


@contextmanager
def reporting_no_space(path: Path) -> Iterator[None]:
    """Turn a write of ``path`` that runs out of room into :class:`NoSpaceLeft`; other errors pass."""
    try:
        yield
    except (OSError, RuntimeError) as error:
        full = no_space_left(error, path)
        if full is None or full is error:
            raise
        raise full from error


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, with the mode the umask gives a new file.

    Raises:
        NoSpaceLeft: the disk, quota or file-size limit left no room (the old file is kept).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with reporting_no_space(path):
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), new_file_mode())  # not mkstemp's 0600: others may read a record
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
    """Save the strategy state after ``domain`` atomically; returns the file.

    Raises:
        NoSpaceLeft: the disk, quota or file-size limit left no room (no partial file is left).
    """
    path = checkpoint_path(run_dir, domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_torch_save(state, path)
    return path


def atomic_torch_save(data: Any, path: Path) -> None:
    """``torch.save`` to ``path`` through a temporary file moved into place.

    Written through a Python file object, not a path: torch then reports a failed write with the
    ``OSError`` (and its errno) as context, which :class:`NoSpaceLeft` is made from.

    Raises:
        NoSpaceLeft: the disk, quota or file-size limit left no room (no partial file is left).
    """
    with reporting_no_space(path):
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                os.fchmod(file.fileno(), new_file_mode())  # not mkstemp's 0600 (module docstring)
                torch.save(data, file)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


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
