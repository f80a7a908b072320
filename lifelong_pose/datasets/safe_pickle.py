"""Reading the field's pickled formats without running code from them, and without trusting their sizes.

VideoPose3D, PoseAug, AdaptPose and PoseDA store their datasets as ``.npz`` archives whose object
arrays are pickled Python dicts of numpy arrays; their loaders call ``np.load(allow_pickle=True)``,
which lets a crafted file run any code it likes. :func:`load_npz` reads the arrays of an archive
itself: plain arrays with ``allow_pickle=False``, object arrays through :class:`RestrictedUnpickler`,
which admits only what those formats hold (dicts, lists, tuples, strings, numbers, numpy arrays,
dtypes and scalars) and refuses anything else with :class:`UnsafePickleError` naming the file and
the refused global. Checkpoints and cache entries are read by ``torch.load(weights_only=True)``,
torch's own restricted unpickler.

Admitting only numpy's own constructors is not enough: they can be driven into states numpy never
writes. A dtype's set-state can declare object fields without the object flags (an array's bytes
then become pointers, and the first reader to touch one crashes the process); ``ndarray`` and
``_reconstruct`` build whatever shape they are given; a zip member can inflate a thousandfold. So
the unpickler is the pure-Python one with every REDUCE and BUILD checked against what numpy writes
(plain dtypes only: numeric, bool, bytes, str and object; every array's size bounded by the bytes
that hold it), and the archive reader reads only the members asked for, refuses a member whose
declared size or compression ratio no data file reaches, and never inflates more than a member
declares. Every refusal is an :class:`UnsafePickleError` of one line naming the file, the array and
the reason, raised before the refused thing is allocated or touched.
"""

from __future__ import annotations

import importlib
import math
import pickle
import re
import reprlib
import struct
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

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

MAX_MEMBER_BYTES = 4 << 30
"""Largest uncompressed member read (4 GiB): the field's largest arrays (Human3.6M's 2D detections
and 3D, all subjects in one pickled dict) stay well below it."""
MAX_COMPRESSION_RATIO = 100.0
"""Uncompressed / compressed size beyond which a large member is a zip bomb: float joints deflate
1-5x in the field's files, while zeros reach about 1000x."""
RATIO_FREE_BYTES = 256 << 20
"""Members up to this size (256 MiB) may compress as well as they like: constant per-frame columns
(the suite's own PoseAug export writes intrinsics and image sizes per frame) deflate 150-560x, and
such a member can cost little memory."""
MAX_NESTING = 100
"""Deepest nesting of containers admitted: the formats nest about six levels (dict, dict, list,
dict, array); a hundred thousand levels crash hashing and printing (C recursion)."""

_ORDERS = ("C", "F", "A", "K")
_CHUNK = 1 << 20  # bytes asked of the decompressor per call: zipfile trims to the declared size only afterwards
_PLAIN_KINDS = frozenset("biufcSUO")  # bool, ints, floats, complex, bytes, str, object
_TYPESTR = re.compile(r"[A-Za-z?]\d{0,10}")  # how numpy names a plain dtype in its pickles: 'f8', 'U2', 'O8'
# dtype flags that change how numpy treats an item's bytes (reference counting, list pickling, pointers,
# Python API, getitem/setitem); NPY_NEEDS_INIT (8) and NPY_ALIGNED_STRUCT (128) only affect initialisation
_POINTER_FLAGS = 0x77
_AGAIN = "get the file again from its source (or re-run its preparation script)"
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 60
_short.maxlevel = 2


class UnsafePickleError(ValueError):
    """A data file holds something the formats never hold: refused before it is run, allocated or used."""


def _refusal(where: str, reason: str) -> UnsafePickleError:
    """One line: the file and array, what was refused and why, and what to do next."""
    return UnsafePickleError(
        f"{where}: refused: {reason}. The field's data files never hold this, so the file is corrupt or was "
        f"tampered with; nothing in it was used: {_AGAIN}"
    )


@dataclass(frozen=True)
class ReadLimits:
    """What :func:`load_npz` accepts of a member (defaults: the module's constants; tests shrink them)."""

    member_bytes: int = MAX_MEMBER_BYTES
    compression_ratio: float = MAX_COMPRESSION_RATIO
    ratio_free_bytes: int = RATIO_FREE_BYTES
    nesting: int = MAX_NESTING


DEFAULT_LIMITS = ReadLimits()


def _size(count: float) -> str:
    """A byte count for a message: exact below a KiB, else in binary units."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024 or unit == "TiB":
            return f"{count:.0f} bytes" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def dtype_problem(dtype: np.dtype) -> str | None:
    """Why ``dtype`` is not a plain dtype as numpy itself makes it, or None if it is.

    Plain: bool, integer, float, complex, bytes, str or object, with no fields, subarray or
    metadata, and with the size, alignment and pointer flags numpy gives its type. Anything else
    either never occurs in the field's files or is how a crafted pickle turns bytes into pointers.
    """
    if dtype.names is not None or dtype.fields is not None:
        return f"a structured dtype (fields {_short.repr(dtype.names)})"
    if dtype.subdtype is not None:
        return f"a subarray dtype (shape {dtype.shape})"
    if dtype.kind not in _PLAIN_KINDS:
        return f"a dtype of kind {dtype.kind!r} ({dtype.str}); only bool, numbers, bytes, str and object are plain"
    if dtype.metadata:
        return "a dtype with metadata"
    reference = np.dtype(dtype.str)
    mine = (dtype.itemsize, dtype.alignment, dtype.hasobject, dtype.flags & _POINTER_FLAGS)
    numpys = (reference.itemsize, reference.alignment, reference.hasobject, reference.flags & _POINTER_FLAGS)
    if mine != numpys:
        return (
            f"a {dtype.str} dtype whose (itemsize, alignment, has objects, pointer flags) {mine} differ from "
            f"numpy's own {numpys}"
        )
    if dtype.hasobject and dtype.byteorder != "|":
        return f"an object dtype with byte order {dtype.byteorder!r}"
    return None


def _resolve(module: str, name: str) -> Any:
    """An allowlisted global, taken from ``numpy._core`` where numpy 2 renamed ``numpy.core`` (no warning)."""
    modern = module.replace("numpy.core.", "numpy._core.", 1)
    try:
        return getattr(importlib.import_module(modern), name)
    except ImportError:  # numpy 1
        return getattr(importlib.import_module(module), name)


def _is_int(value: Any, low: int = 0, high: int | None = None) -> bool:
    """``value`` is a Python int (not a bool, array or float) within [low, high]."""
    return type(value) is int and value >= low and (high is None or value <= high)


def _is_flag(value: Any) -> bool:
    """A pickled boolean: True/False, or 0/1 as Python 2 numpy wrote them."""
    return type(value) in (bool, int) and value in (0, 1)


def _sort_key(value: Any) -> int:
    """``value`` if it is a non-negative Python int, else -1 (so a permutation check fails, not raises)."""
    return value if _is_int(value) else -1


def _is_shape(value: Any) -> bool:
    return type(value) is tuple and len(value) <= 64 and all(_is_int(n) for n in value)


class RestrictedUnpickler(pickle._Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` and calls them only as numpy does.

    It is the pure-Python unpickler (the C one cannot be intercepted per opcode) with REDUCE, BUILD
    and the tuple opcodes checked. It costs per opcode, and an array's data is one opcode: a 36 MB
    pickle of 1,344 arrays reads 5-15 % slower than with the C unpickler (decompression dominates).
    ``source`` names the file
    (and array) in its errors; ``budget`` is the number of bytes the pickle occupies: no array in it
    may declare more elements, or more bytes, than that (an element costs at least one pickle byte,
    a plain array's bytes are in the pickle).
    """

    dispatch: ClassVar[dict[int, Callable[..., None]]] = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: Any, source: str, budget: int = MAX_MEMBER_BYTES, nesting: int = MAX_NESTING) -> None:
        super().__init__(file, encoding="latin1")  # numpy's choice for Python 2 era files
        self.source = source
        self.budget = budget
        self.nesting = nesting
        self._callables: dict[int, tuple[Any, str]] = {}  # id -> (allowlisted global, its name)
        self._awaiting_state: dict[int, Any] = {}  # dtypes and arrays just made, before their one BUILD
        self._tuple_depths: dict[int, tuple[tuple[Any, ...], int]] = {}  # tuples holding tuples: (tuple, depth)

    def refuse(self, reason: str) -> UnsafePickleError:
        """The error for a refused construct: the file, the array, the reason, and what to do."""
        return _refusal(self.source, reason)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"{self.source}: refused to unpickle {module}.{name}: the field's data files hold only dicts, "
                "lists, strings, numbers and numpy arrays, so this file is not one of them (or was tampered with); "
                "nothing in it was run"
            )
        found = _resolve(module, name)
        self._callables[id(found)] = (found, name)
        return found

    def load(self) -> Any:
        """The pickled object, or :class:`UnsafePickleError` / :class:`pickle.UnpicklingError` naming the file."""
        try:
            loaded = super().load()
        except UnsafePickleError:
            raise
        except Exception as error:  # a malformed stream breaks the pure-Python unpickler in many ways
            raise pickle.UnpicklingError(
                f"{self.source}: not a readable pickle ({type(error).__name__}: {_short.repr(str(error))})"
            ) from None
        problem = _structure_problem(loaded, self.nesting)
        if problem is not None:
            raise self.refuse(problem)
        return loaded

    # REDUCE: every call checked against how numpy writes it, before it runs

    def _load_reduce(self) -> None:
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        known = self._callables.get(id(func))
        if known is None or known[0] is not func:
            raise self.refuse(f"a call of a {type(func).__name__}, which is none of the allowlisted constructors")
        if type(args) is not tuple:
            raise self.refuse(f"a call of {known[1]} with arguments that are a {type(args).__name__}, not a tuple")
        _CALL_CHECKS[known[1]](self, args)
        made = func(*args)
        if known[1] in ("dtype", "_reconstruct"):
            self._awaiting_state[id(made)] = made
        stack[-1] = made

    dispatch[pickle.REDUCE[0]] = _load_reduce

    def _check_reconstruct(self, args: tuple[Any, ...]) -> None:
        numpys = (
            len(args) == 3
            and args[0] is np.ndarray
            and type(args[1]) is tuple
            and len(args[1]) == 1
            and _is_int(args[1][0], 0, 0)
            and type(args[2]) in (bytes, str)
            and args[2] in (b"b", "b")
        )
        if not numpys:
            raise self.refuse(
                f"_reconstruct{_short.repr(args)}: numpy calls it only as _reconstruct(ndarray, (0,), b'b') "
                "and gives the array its shape in the state that follows"
            )

    def _check_ndarray(self, args: tuple[Any, ...]) -> None:
        raise self.refuse(
            f"numpy.ndarray{_short.repr(args)} called directly: numpy pickles arrays through _reconstruct, and a "
            "direct call would allocate whatever shape it is given"
        )

    def _check_dtype(self, args: tuple[Any, ...]) -> None:
        numpys = (
            len(args) == 3
            and type(args[0]) is str
            and _TYPESTR.fullmatch(args[0]) is not None
            and _is_flag(args[1])
            and _is_flag(args[2])
            and args[2] == 1
        )
        if not numpys:
            raise self.refuse(
                f"numpy.dtype{_short.repr(args)}: numpy pickles a dtype as dtype(type string such as 'f8', False, True)"
            )
        try:
            made = np.dtype(args[0])
        except (TypeError, ValueError):
            raise self.refuse(f"numpy.dtype({args[0]!r}): not a numpy type string") from None
        problem = dtype_problem(made)
        if problem is not None:
            raise self.refuse(f"numpy.dtype({args[0]!r}) is {problem}")

    def _use_dtype(self, dtype: Any, what: str) -> np.dtype:
        """``dtype`` checked plain for ``what``; from now on its state can no longer be set."""
        if not isinstance(dtype, np.dtype):
            raise self.refuse(f"{what} with a {type(dtype).__name__} where a numpy.dtype belongs")
        problem = dtype_problem(dtype)
        if problem is not None:
            raise self.refuse(f"{what} with {problem}")
        self._awaiting_state.pop(id(dtype), None)
        return dtype

    def _check_elements(self, count: int, itemsize: int, what: str) -> None:
        """Refuse ``count`` elements of ``itemsize`` bytes that the pickle's own bytes could not hold."""
        if count > self.budget or count * itemsize > self.budget:
            raise self.refuse(
                f"{what} declares {count:,} elements ({_size(count * itemsize)}), more than the "
                f"{_size(self.budget)} of pickle that hold it could describe"
            )

    def _check_scalar(self, args: tuple[Any, ...]) -> None:
        if len(args) != 2:
            raise self.refuse(f"scalar{_short.repr(args)}: numpy calls it as scalar(dtype, bytes)")
        dtype = self._use_dtype(args[0], "a numpy scalar")
        if dtype.hasobject:
            raise self.refuse("a numpy scalar of object dtype: numpy never pickles one")
        if type(args[1]) not in (bytes, str) or len(args[1]) != dtype.itemsize:
            raise self.refuse(
                f"a {dtype.str} scalar from a {type(args[1]).__name__} that is not {dtype.itemsize} bytes long"
            )

    def _check_frombuffer(self, args: tuple[Any, ...]) -> None:
        if len(args) not in (4, 5):
            raise self.refuse(f"_frombuffer{_short.repr(args)}: numpy calls it as (buffer, dtype, shape, order)")
        buffer, dtype, shape, order = args[:4]
        dtype = self._use_dtype(dtype, "_frombuffer")
        if dtype.hasobject:
            raise self.refuse("_frombuffer of an object dtype (its bytes would be pointers)")
        if type(buffer) not in (bytes, bytearray) or not _is_shape(shape) or order not in _ORDERS:
            raise self.refuse(f"_frombuffer{_short.repr(args)}: not a buffer, a shape and an order")
        axis_order = args[4] if len(args) == 5 else None
        permutation = type(axis_order) is tuple and sorted(map(_sort_key, axis_order)) == list(range(len(shape)))
        if axis_order is not None and not permutation:
            raise self.refuse(f"_frombuffer with axis order {_short.repr(axis_order)}, not a permutation of its axes")
        count = math.prod(shape)
        self._check_elements(count, dtype.itemsize, f"an array of shape {shape} from _frombuffer")
        if count * dtype.itemsize != len(buffer):
            raise self.refuse(f"_frombuffer of shape {shape} {dtype.str} over {_size(len(buffer))}")

    def _check_ordered_dict(self, args: tuple[Any, ...]) -> None:
        if len(args) > 1 or (args and type(args[0]) not in (list, tuple)):
            raise self.refuse(f"OrderedDict{_short.repr(args)}: made from nothing or from a list of pairs only")

    def _check_encode(self, args: tuple[Any, ...]) -> None:
        latin1 = len(args) == 2 and type(args[0]) is str and type(args[1]) is str and args[1] in ("latin1", "latin-1")
        if not latin1:
            raise self.refuse(f"_codecs.encode{_short.repr(args)}: only (str, 'latin1'), how pickle writes bytes")

    # BUILD: the state of a fresh dtype or array, checked before numpy sees it

    def _load_build(self) -> None:
        state, inst = self.stack[-1], self.stack[-2]
        if self._awaiting_state.pop(id(inst), None) is not inst:
            what = "numpy.dtype" if isinstance(inst, np.dtype) else type(inst).__name__
            raise self.refuse(
                f"a set-state of a {what}: numpy sets the state of a dtype or an array once, right after making it "
                "and before anything uses it"
            )
        if isinstance(inst, np.dtype):
            self.stack.pop()
            inst.__setstate__(self._dtype_state(inst, state))
            return
        self._check_array_state(state)
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = _load_build

    def _dtype_state(self, dtype: np.dtype, state: Any) -> tuple[Any, ...]:
        """``state`` for ``dtype`` if it keeps it plain, with numpy's own flags for the result."""
        if type(state) is not tuple or len(state) != 8 or not _is_int(state[0], 3, 3):
            raise self.refuse(
                f"numpy.dtype state {_short.repr(state)}: numpy writes (3, byte order, None, None, None, "
                "size, alignment, flags) for a plain dtype"
            )
        _, byteorder, subarray, names, fields, elsize, alignment, flags = state
        if subarray is not None or names is not None or fields is not None:
            kind = "subarray" if subarray is not None else "fields"
            raise self.refuse(
                f"numpy.dtype state with {kind} {_short.repr(subarray if subarray is not None else names)} "
                "(a structured, void or subarray dtype); the field's files hold plain dtypes only"
            )
        plain_numbers = (
            type(byteorder) is str
            and byteorder in ("<", ">", "|", "=")
            and _is_int(elsize, -1, 1 << 31)
            and type(alignment) is int
            and alignment in (-1, 1, 2, 4, 8, 16)
            and _is_int(flags, 0, 255)
        )
        if not plain_numbers:
            raise self.refuse(f"numpy.dtype state {_short.repr(state)}: byte order, size, alignment or flags invalid")
        trial = np.dtype(dtype, False, True)  # a copy nothing uses: numpy applies the state, then it is judged
        try:
            trial.__setstate__(state)
        except (TypeError, ValueError) as error:
            raise self.refuse(f"numpy.dtype state {_short.repr(state)} ({error})") from None
        problem = dtype_problem(trial)
        if problem is not None:
            raise self.refuse(f"numpy.dtype state {_short.repr(state)} makes {problem}")
        return (*state[:7], np.dtype(trial.str).flags)

    def _check_array_state(self, state: Any) -> None:
        if type(state) is tuple and len(state) == 5 and _is_int(state[0], 1, 1):
            shape, dtype, fortran, data = state[1:]
        elif type(state) is tuple and len(state) == 4:
            shape, dtype, fortran, data = state
        else:
            raise self.refuse(f"array state {_short.repr(state)}: numpy writes (1, shape, dtype, fortran, data)")
        if not _is_shape(shape) or not _is_flag(fortran):
            raise self.refuse(f"array state with shape {_short.repr(shape)} and fortran flag {_short.repr(fortran)}")
        dtype = self._use_dtype(dtype, f"an array of shape {shape}")
        count = math.prod(shape)
        self._check_elements(count, dtype.itemsize, f"an array of shape {shape} and dtype {dtype.str}")
        if dtype.hasobject:
            if type(data) is not list or len(data) != count:
                raise self.refuse(
                    f"an object array of shape {shape} whose data is a {type(data).__name__} of "
                    f"{_length(data)} items, not a list of its {count:,} elements"
                )
        elif type(data) not in (bytes, str) or len(data) != count * dtype.itemsize:
            raise self.refuse(
                f"an array of shape {shape} and dtype {dtype.str} needs {count * dtype.itemsize:,} bytes, "
                f"its data is a {type(data).__name__} of {_length(data)}"
            )

    # opcodes numpy never writes that would make instances without the checks above

    def _refuse_opcode(self) -> None:
        raise self.refuse(
            "an INST, OBJ or NEWOBJ opcode, which makes instances without calling the checked constructors "
            "(numpy never writes one)"
        )

    def _load_bytearray8(self) -> None:
        (length,) = struct.unpack("<Q", self.read(8))
        if length > self.budget:
            raise self.refuse(f"a bytearray of {_size(length)}, more than the {_size(self.budget)} of the pickle")
        self.stack.append(bytearray(self.read(length)))

    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8

    def _note_tuple(self) -> None:
        """Refuse a tuple nested beyond :attr:`nesting`: hashing one (as a dict key) recurses in C and crashes."""
        made = self.stack[-1]
        inner = [self._tuple_depths.get(id(item), (item, 1))[1] for item in made if type(item) is tuple]
        if inner:
            depth = 1 + max(inner)
            if depth > self.nesting:
                raise self.refuse(f"tuples nested more than {self.nesting} deep (the formats nest a few levels)")
            self._tuple_depths[id(made)] = (made, depth)


def _tracking_tuples(load: Callable[[Any], None]) -> Callable[[Any], None]:
    def load_tuple(self: RestrictedUnpickler) -> None:
        load(self)
        self._note_tuple()

    return load_tuple


for _opcode in (pickle.TUPLE, pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3):
    RestrictedUnpickler.dispatch[_opcode[0]] = _tracking_tuples(pickle._Unpickler.dispatch[_opcode[0]])
for _opcode in (pickle.INST, pickle.OBJ, pickle.NEWOBJ, pickle.NEWOBJ_EX):
    RestrictedUnpickler.dispatch[_opcode[0]] = RestrictedUnpickler._refuse_opcode
del _opcode

_CALL_CHECKS: dict[str, Callable[[RestrictedUnpickler, tuple[Any, ...]], None]] = {
    "_reconstruct": RestrictedUnpickler._check_reconstruct,
    "ndarray": RestrictedUnpickler._check_ndarray,
    "dtype": RestrictedUnpickler._check_dtype,
    "scalar": RestrictedUnpickler._check_scalar,
    "_frombuffer": RestrictedUnpickler._check_frombuffer,
    "OrderedDict": RestrictedUnpickler._check_ordered_dict,
    "encode": RestrictedUnpickler._check_encode,
}
assert {name for _, name in ALLOWED_GLOBALS} == set(_CALL_CHECKS), "every allowlisted global needs its call check"


def _length(data: Any) -> str:
    return f"{len(data):,}" if isinstance(data, bytes | str | list | tuple) else "unknown length"


def _children(value: Any) -> Collection[Any] | None:
    """The objects ``value`` holds, if it is a container the formats use; None for a leaf."""
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, list | tuple | set | frozenset):
        return value
    if isinstance(value, np.ndarray) and value.dtype.hasobject:
        return value.ravel().tolist()
    return None


def _structure_problem(root: Any, limit: int) -> str | None:
    """Why ``root`` cannot be handed to readers (containers nested beyond ``limit``, or a container that
    holds itself), or None. Iterative, and each container is explored once, however often it is shared."""
    top = _children(root)
    if top is None:
        return None
    heights: dict[int, int] = {}  # id -> height of a fully explored container
    path = [(root, iter(top), 0)]  # (container, its children left, tallest child so far)
    on_path = {id(root)}
    while path:
        container, children, tallest = path[-1]
        for child in children:
            grandchildren = _children(child)
            if grandchildren is None:
                continue
            if id(child) in on_path:
                return f"a {type(child).__name__} that contains itself (the formats hold trees, not cycles)"
            if id(child) in heights:
                tallest = max(tallest, heights[id(child)])
                if len(path) + heights[id(child)] > limit:
                    return f"containers nested more than {limit} deep (the formats nest a few levels)"
                continue
            if len(path) >= limit:
                return f"containers nested more than {limit} deep (the formats nest a few levels)"
            path[-1] = (container, children, tallest)
            path.append((child, iter(grandchildren), 0))
            on_path.add(id(child))
            break
        else:
            path.pop()
            on_path.discard(id(container))
            heights[id(container)] = tallest + 1
            if path:
                parent, rest, parent_tallest = path[-1]
                path[-1] = (parent, rest, max(parent_tallest, tallest + 1))
    return None


class _MemberStream:
    """A zip member read at most :data:`_CHUNK` bytes per call into the decompressor, never past its
    declared size. ``ZipExtFile.read(n)`` asks zlib for up to ``n`` bytes at once and trims to the
    declared size afterwards, so one large read of a member that lies about its size would inflate it
    whole in memory first."""

    def __init__(self, handle: Any, size: int) -> None:
        self._handle = handle
        self.left = size

    def read(self, n: int | None = -1) -> bytes:
        wanted = self.left if n is None or n < 0 else min(n, self.left)
        parts = []
        while wanted > 0:
            chunk = self._handle.read(min(wanted, _CHUNK))
            if not chunk:
                break
            parts.append(chunk)
            wanted -= len(chunk)
            self.left -= len(chunk)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def readline(self, limit: int | None = -1) -> bytes:
        line = self._handle.readline(self.left if limit is None or limit < 0 else min(limit, self.left))
        self.left -= len(line)
        return line


def _entry_problem(info: zipfile.ZipInfo, limits: ReadLimits) -> str | None:
    """Why the zip member ``info`` must not be inflated (from its directory entry alone), or None."""
    if info.flag_bits & 0x1:
        return "the member is encrypted (numpy never encrypts)"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return f"the member uses zip compression method {info.compress_type} (numpy writes stored or deflated only)"
    if info.file_size > limits.member_bytes:
        return (
            f"the member declares {_size(info.file_size)} uncompressed, more than the {_size(limits.member_bytes)} "
            "any of the field's files holds"
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.ratio_free_bytes and ratio > limits.compression_ratio:
        return (
            f"the member declares {_size(info.file_size)} from {_size(info.compress_size)} compressed "
            f"(x{ratio:,.0f}, beyond the x{limits.compression_ratio:g} numeric data reaches): a zip bomb, not inflated"
        )
    return None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, limits: ReadLimits) -> np.ndarray:
    """One ``.npy`` member, its directory entry, header and pickle checked before anything is allocated."""
    where = f"{source} (array {info.filename[:-4]!r})"
    problem = _entry_problem(info, limits)
    if problem is not None:
        raise _refusal(where, problem)
    with archive.open(info) as handle:
        stream = _MemberStream(handle, info.file_size)
        version = npy_format.read_magic(stream)
        read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        shape, _, dtype = read_header(stream)
        problem = dtype_problem(dtype)
        problem = None if problem is None else f"its .npy header declares {problem}"
        count = math.prod(shape)
        if problem is None and (count > stream.left or (not dtype.hasobject and count * dtype.itemsize > stream.left)):
            problem = (
                f"its .npy header declares shape {shape} of {dtype.str} ({count:,} elements, "
                f"{_size(count * dtype.itemsize)}) but the member holds {_size(stream.left)} after the header"
            )
        if problem is not None:
            raise _refusal(where, problem)
        if dtype.hasobject:  # the pickle follows the header
            array = RestrictedUnpickler(stream, where, budget=stream.left, nesting=limits.nesting).load()
            if not isinstance(array, np.ndarray):
                raise UnsafePickleError(f"{where}: unpickles to {type(array).__name__}, not an array")
            if array.shape != tuple(shape):
                raise ValueError(f"{where}: has shape {array.shape}, its header says {shape}")
            return array
    with archive.open(info) as handle:  # plain data: numpy's own reader (header checked above), pickles refused
        return npy_format.read_array(_MemberStream(handle, info.file_size), allow_pickle=False)


def npz_members(path: Path | str) -> list[str]:
    """The names of the arrays in the ``.npz`` archive ``path`` (as ``np.load(path).files``), none read."""
    with zipfile.ZipFile(path) as archive:
        return [name.removesuffix(".npy") for name in archive.namelist()]


def load_npz(
    path: Path | str, members: Collection[str] | None = None, *, limits: ReadLimits = DEFAULT_LIMITS
) -> dict[str, np.ndarray]:
    """The arrays ``members`` of the ``.npz`` archive ``path`` (every array when None) that it holds.

    Only the members asked for are opened, so an unknown extra member (a zip bomb, say) costs
    nothing; each one read is checked first by its directory entry (see :class:`ReadLimits`), then
    by its ``.npy`` header, then its pickle goes through :class:`RestrictedUnpickler`.

    Raises:
        UnsafePickleError: a refused global, dtype, call, size, compression ratio or nesting.
        zipfile.BadZipFile, ValueError, EOFError, pickle.UnpicklingError: not a readable archive.
    """
    if isinstance(members, str):
        raise TypeError(f"members must be a collection of array names, not the string {members!r}")
    source = str(path)
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename[:-4]: info for info in archive.infolist() if info.filename.endswith(".npy")}
        names = list(entries) if members is None else [name for name in dict.fromkeys(members) if name in entries]
        return {name: _read_member(archive, entries[name], source, limits) for name in names}
