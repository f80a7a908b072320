"""Reading the field's pickled formats without running code from them.

VideoPose3D, PoseAug, AdaptPose and PoseDA store their datasets as ``.npz`` archives whose object
arrays are pickled Python dicts of numpy arrays; their loaders call ``np.load(allow_pickle=True)``,
which lets a crafted file run any code it likes. :func:`load_npz` reads every array of an archive
itself: plain arrays with ``allow_pickle=False``, object arrays through :class:`RestrictedUnpickler`,
which admits only what those formats hold (dicts, lists, tuples, strings, numbers, numpy arrays,
dtypes and scalars) and refuses anything else with :class:`UnsafePickleError` naming the file and
the refused global. Checkpoints and cache entries are read by ``torch.load(weights_only=True)``,
torch's own restricted unpickler.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npy_format

ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        # how numpy pickles an array, a dtype and a scalar (module names of numpy 1 and 2)
        *((f"numpy.{core}.multiarray", name) for core in ("core", "_core") for name in ("_reconstruct", "scalar")),
        *((f"numpy.{core}.numeric", "_frombuffer") for core in ("core", "_core")),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        # dicts some writers keep ordered; bytes pickled by Python 2 (old releases of the files)
        ("collections", "OrderedDict"),
        ("_codecs", "encode"),
    }
)
"""The only globals a data file's pickle may name: constructors of plain data, none with side effects."""


class UnsafePickleError(ValueError):
    """A pickle names a global outside :data:`ALLOWED_GLOBALS`: it is refused before anything runs."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS`; ``source`` names the file in its errors."""

    def __init__(self, file: Any, source: str) -> None:
        super().__init__(file, encoding="latin1")  # numpy's choice for Python 2 era files
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"{self.source}: refused to unpickle {module}.{name}: the field's data files hold only dicts, "
                "lists, strings, numbers and numpy arrays, so this file is not one of them (or was tampered with); "
                "nothing in it was run"
            )
        return super().find_class(module, name)


def _read_member(archive: zipfile.ZipFile, member: str, source: str) -> np.ndarray:
    """One ``.npy`` member, streamed from the archive as ``np.load`` streams it (no copy of its bytes)."""
    name = member[:-4]
    with archive.open(member) as handle:
        version = npy_format.read_magic(handle)
        read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        shape, _, dtype = read_header(handle)
        if dtype.hasobject:  # the pickle follows the header
            array = RestrictedUnpickler(handle, f"{source} (array {name!r})").load()
            if not isinstance(array, np.ndarray):
                raise UnsafePickleError(f"{source}: array {name!r} unpickles to {type(array).__name__}, not an array")
            if array.shape != tuple(shape):
                raise ValueError(f"{source}: array {name!r} has shape {array.shape}, its header says {shape}")
            return array
    with archive.open(member) as handle:  # plain data: numpy's own reader, pickles refused
        return npy_format.read_array(handle, allow_pickle=False)


def load_npz(path: Path | str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive ``path``, object arrays through :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: an object array names a global outside :data:`ALLOWED_GLOBALS`.
        zipfile.BadZipFile, ValueError, EOFError, pickle.UnpicklingError: not a readable archive.
    """
    source = str(path)
    with zipfile.ZipFile(path) as archive:
        members = [name for name in archive.namelist() if name.endswith(".npy")]
        return {name[:-4]: _read_member(archive, name, source) for name in members}
