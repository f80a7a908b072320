"""Opening the field's ``.npz`` files with errors that say which file, which key and what to do.

Every reader goes through :func:`open_npz` and the ``require_*`` checks, so a missing file, a
truncated download, a wrong key, a wrong shape, millimetres where metres were expected and NaN
all fail the same way: :class:`DataFileError` naming the file and pointing at
``lifelong-pose data check``. Files are only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import pickle
import zipfile
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from lifelong_pose.datasets.safe_pickle import UnsafePickleError, load_npz, npz_members

CHECK_HINT = "run 'lifelong-pose data check DIR' to see what the folder holds"


class DataFileError(ValueError):
    """A data file is missing, unreadable or not in the format its reader expects."""


class MissingDataFile(DataFileError, FileNotFoundError):
    """A file a scenario needs is not in the data folder."""


class UnsafeDataFile(DataFileError):
    """A data file whose pickle would run code or build objects the formats never hold: refused unread."""


def missing(path: Path, needed_for: str) -> MissingDataFile:
    """The error for a file that is not there: its name, its folder and who needed it."""
    return MissingDataFile(f"{path.name} not found in {path.parent} (needed for {needed_for}); {CHECK_HINT}")


class NpzContent(dict[str, Any]):
    """The arrays read from an ``.npz`` file, and the names of every array it holds, read or not
    (so that a missing key's error can list what the file does have)."""

    def __init__(self, arrays: dict[str, Any], names: Iterable[str]) -> None:
        super().__init__(arrays)
        self.names = sorted(names)


def open_npz(path: Path, needed_for: str, keys: Collection[str] | None = None) -> NpzContent:
    """The arrays ``keys`` of ``path`` (every array when None; pickled dicts unwrapped to Python
    objects), read without running code.

    Readers pass the keys their layout uses: the members are read one by one with every size
    checked, and a member no reader asks for (a zip bomb, say) is never inflated. Object arrays go
    through :func:`lifelong_pose.datasets.safe_pickle.load_npz`'s restricted unpickler, never
    ``np.load(allow_pickle=True)``. A key the file lacks is simply absent (see :func:`require_key`).

    Raises:
        MissingDataFile: the file does not exist.
        UnsafeDataFile: it holds something other than plain data, or a member whose size or
            compression no data file has (named, with the reason; nothing was run or allocated).
        DataFileError: it is truncated or not an ``.npz`` archive.
    """
    if not path.is_file():
        raise missing(path, needed_for)
    try:
        names = npz_members(path)
        return NpzContent({key: _unwrap(value) for key, value in load_npz(path, keys).items()}, names)
    except UnsafePickleError as error:
        raise UnsafeDataFile(str(error)) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, pickle.UnpicklingError) as error:
        raise DataFileError(f"{path} is not a readable .npz archive (truncated or corrupted?): {error}") from None


def _unwrap(value: np.ndarray) -> Any:
    """A 0-d object array (how numpy stores a dict) becomes the object itself."""
    if value.dtype == object and value.shape == ():
        return value.item()
    return value


@contextmanager
def reading(path: Path, needed_for: str) -> Iterator[None]:
    """Turn any unexpected failure while parsing ``path`` into a :class:`DataFileError` naming it.

    The ``require_*`` checks give precise messages for the usual mistakes; this is the backstop
    for content of an unforeseen shape (a number where a dict belongs, a missing nested key), so
    that a bad file is always reported as a bad file, never as a traceback.
    """
    try:
        yield
    except DataFileError:
        raise
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, np.linalg.LinAlgError) as error:
        raise DataFileError(
            f"{path.name} (needed for {needed_for}) has content this reader cannot use: "
            f"{type(error).__name__}: {error}. {CHECK_HINT}"
        ) from None


def require_key(content: dict[str, Any], key: str, path: Path) -> Any:
    """``content[key]``, or an error listing the keys the file (or the dict) has."""
    if key not in content:
        has = content.names if isinstance(content, NpzContent) else sorted(content)
        raise DataFileError(f"{path.name} has no key {key!r}; it has {has}. {CHECK_HINT}")
    return content[key]


def require_dict(value: Any, what: str, path: Path) -> dict[str, Any]:
    """``value`` if it is a dict (how the formats nest subjects, actions and cameras)."""
    if not isinstance(value, dict):
        raise DataFileError(f"{path.name}: {what} must be a dict, got {type(value).__name__}. {CHECK_HINT}")
    return value


def require_array(value: Any, what: str, path: Path, shape: tuple[int | None, ...]) -> np.ndarray:
    """``value`` as a float64 array of ``shape`` (None matches any size), all finite.

    Complex values are refused rather than cast: numpy's cast drops the imaginary part with only a
    warning, so a complex file would read as ordinary coordinates.

    Raises:
        DataFileError: not numeric, complex, wrong shape, or NaN / infinite entries (with their count).
    """
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise DataFileError(f"{path.name}: {what} is not a numeric array. {CHECK_HINT}") from None
    if raw.dtype.kind == "c":
        raise DataFileError(
            f"{path.name}: {what} holds complex numbers ({raw.dtype}) where real coordinates belong, so the file "
            f"was not written by the dataset's preparation script. {CHECK_HINT}"
        )
    try:
        array = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataFileError(f"{path.name}: {what} is not a numeric array. {CHECK_HINT}") from None
    wanted = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
    if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape, strict=True)):
        raise DataFileError(f"{path.name}: {what} must have shape {wanted}, got {array.shape}. {CHECK_HINT}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise DataFileError(f"{path.name}: {what} has {int(bad.sum())} NaN or infinite values. {CHECK_HINT}")
    return array


def _spread(x: np.ndarray) -> float:
    """99th percentile of |coordinate| over observed joints (all-zero joints mark missing ones)."""
    observed = x[~(x == 0).all(axis=-1)]
    return float(np.percentile(np.abs(observed), 99)) if observed.size else 0.0


NORMALISED_LIMIT = 2.0
"""Normalised screen coordinates lie within about [-1, 1]: pixel data whose 99th percentile of |x|
is below this is no camera's pixels."""
PIXELS_LIMIT = 20.0
"""Pixels of any camera reach hundreds: normalised data beyond this is pixels (joints a little off
screen, after distortion, stay far below it)."""


def require_pixels(x: np.ndarray, image_size: tuple[int, int], what: str, path: Path) -> None:
    """Raise unless (N, J, 2) ``x`` is in pixels of a ``(width, height)`` image: not normalised
    coordinates, and at least 95 % of observed joints within the frame widened by half of it.

    Raises:
        DataFileError: naming the statistic that decided.
    """
    spread = _spread(x)
    if spread <= NORMALISED_LIMIT:
        raise DataFileError(
            f"{path.name}: {what} looks like normalised coordinates (99th percentile of |x| is {spread:.3g}), "
            f"but this file holds pixels of a {image_size[0]}x{image_size[1]} image. {CHECK_HINT}"
        )
    width, height = image_size
    observed = x[~(x == 0).all(axis=-1)]
    inside = (
        (observed[:, 0] >= -width / 2)
        & (observed[:, 0] <= 1.5 * width)
        & (observed[:, 1] >= -height / 2)
        & (observed[:, 1] <= 1.5 * height)
    )
    share = float(inside.mean()) if observed.size else 1.0
    if share < 0.95:
        raise DataFileError(
            f"{path.name}: {what} has only {share:.0%} of its joints within a {width}x{height} image "
            f"(widened by half of it); are these pixels of this camera? {CHECK_HINT}"
        )


def require_normalised(x: np.ndarray, what: str, path: Path) -> None:
    """Raise unless (N, J, 2) ``x`` is in normalised screen coordinates (within about [-1, 1]).

    Raises:
        DataFileError: naming the statistic that decided (pixels where normalised belong).
    """
    spread = _spread(x)
    if spread > PIXELS_LIMIT:
        raise DataFileError(
            f"{path.name}: {what} looks like pixels (99th percentile of |x| is {spread:.4g}), but this file "
            f"holds normalised screen coordinates (within about [-1, 1]). {CHECK_HINT}"
        )


def median_bone_length(X: np.ndarray, parents: tuple[int, ...]) -> float:
    """Median length of every bone of every frame of (T, J, 3) joints, in the array's units."""
    children = [c for c, p in enumerate(parents) if p >= 0]
    bones = X[:, children] - X[:, [parents[c] for c in children]]
    return float(np.median(np.linalg.norm(bones, axis=-1)))


def require_metres(X: np.ndarray, parents: tuple[int, ...], what: str, path: Path) -> None:
    """Raise unless the bones of ``X`` are human-sized in metres (median 5 cm to 1 m).

    Millimetres read as metres give bones of hundreds of "metres"; the check names the fix.
    """
    median = median_bone_length(X, parents)
    if 0.05 <= median <= 1.0:
        return
    hint = " (it looks like millimetres)" if 50 <= median <= 1000 else ""
    raise DataFileError(f"{path.name}: {what} has a median bone length of {median:.4g}, not metres{hint}. {CHECK_HINT}")


def file_fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (files can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
