"""Hostile data files are refused with one line naming the file, the array and the reason.

Every file here is built in the test: pickles opcode by opcode (only allowlisted globals, so the
old loader would have run them), ``.npy`` headers with :mod:`numpy.lib.format`, archives with
:mod:`zipfile` (patched where a member must lie about its size). Cases that crashed or exhausted
the old loader run in one subprocess, so that a segfault fails the tests instead of killing
pytest, and so that its peak memory is the loader's own.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.lib import format as npy_format

from lifelong_pose.datasets.files import DataFileError, UnsafeDataFile, open_npz, require_array, require_key
from lifelong_pose.datasets.safe_pickle import ReadLimits, UnsafePickleError, load_npz

REPO = Path(__file__).resolve().parents[1]
MULTIARRAY = "numpy._core.multiarray"
HUGE = 2**27  # elements: a 1 GiB object array, or 1 GiB of float64

# ---------------------------------------------------------------- pickle opcodes


def op_global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def op_str(text: str) -> bytes:
    data = text.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data


def op_bytes(data: bytes) -> bytes:
    return pickle.BINBYTES + struct.pack("<I", len(data)) + data


def op_int(value: int) -> bytes:
    return pickle.BININT + struct.pack("<i", value)


def op_tuple(*items: bytes) -> bytes:
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def op_value(value: Any) -> bytes:
    """A None, int or str of a dtype's state as opcodes."""
    if value is None:
        return pickle.NONE
    return op_int(value) if isinstance(value, int) else op_str(value)


def op_dtype(typestr: str, state: bytes | None = None) -> bytes:
    """``numpy.dtype(typestr, False, True)`` as numpy writes it, then the set-state ``state`` (numpy's by default)."""
    made = op_global("numpy", "dtype") + op_tuple(op_str(typestr), pickle.NEWFALSE, pickle.NEWTRUE) + pickle.REDUCE
    if state is None:
        state = op_tuple(*map(op_value, np.dtype(typestr).__reduce__()[2]))
    return made + state + pickle.BUILD


def op_dtype_state(
    byteorder: str = "|", subarray: bytes = pickle.NONE, names: bytes = pickle.NONE, fields: bytes = pickle.NONE,
    elsize: int = -1, alignment: int = -1, flags: int = 0,
) -> bytes:  # fmt: skip
    return op_tuple(
        op_int(3), op_str(byteorder), subarray, names, fields, op_int(elsize), op_int(alignment), op_int(flags)
    )


def op_reconstruct(shape: tuple[int, ...] = (0,)) -> bytes:
    reconstruct = op_global(MULTIARRAY, "_reconstruct")
    return (
        reconstruct
        + op_tuple(op_global("numpy", "ndarray"), op_tuple(*map(op_int, shape)), op_bytes(b"b"))
        + (pickle.REDUCE)
    )


def op_array(dtype: bytes, shape: tuple[int, ...], data: bytes) -> bytes:
    """An array as numpy pickles it: ``_reconstruct``, then the state (1, shape, dtype, fortran, data)."""
    state = op_tuple(op_int(1), op_tuple(*map(op_int, shape)), dtype, pickle.NEWFALSE, data)
    return op_reconstruct() + state + pickle.BUILD


def object_pickle(*elements: bytes) -> bytes:
    """A whole pickle: a (len(elements),) object array holding ``elements`` (opcodes each)."""
    data = pickle.EMPTY_LIST + pickle.MARK + b"".join(elements) + pickle.APPENDS
    return b"\x80\x02" + op_array(op_dtype("O8"), (len(elements),), data) + pickle.STOP


# ---------------------------------------------------------------- .npy members and archives


def npy(dtype: Any, shape: tuple[int, ...], body: bytes) -> bytes:
    """A ``.npy`` member: numpy's header for ``dtype`` and ``shape``, then ``body`` as given."""
    header = io.BytesIO()
    descr = npy_format.dtype_to_descr(np.dtype(dtype))
    npy_format.write_array_header_1_0(header, {"descr": descr, "fortran_order": False, "shape": shape})
    return header.getvalue() + body


def object_member(*elements: bytes) -> bytes:
    return npy(object, (len(elements),), object_pickle(*elements))


def write_npz(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data)
    return path


def patch_entry(path: Path, member: str, *, method: int | None = None, crc: int | None = None, size: int) -> None:
    """Make ``member``'s local and central directory entries declare ``size`` uncompressed bytes
    (and ``method``, ``crc`` if given), leaving its data as written."""
    blob = bytearray(path.read_bytes())
    name = (member + ".npy").encode()
    info = zipfile.ZipFile(path).getinfo(member + ".npy")
    central = [m.start() for m in re.finditer(b"PK\x01\x02", blob) if blob[m.start() + 46 :].startswith(name)]
    for offset, fields in ((info.header_offset, (8, 14, 22)), (central[0], (10, 16, 24))):
        if method is not None:
            struct.pack_into("<H", blob, offset + fields[0], method)
        if crc is not None:
            struct.pack_into("<I", blob, offset + fields[1], crc)
        struct.pack_into("<I", blob, offset + fields[2], size)
    path.write_bytes(bytes(blob))


def add_deflated_member(path: Path, member: str, raw: bytes, *, declared: int, crc: int) -> None:
    """Append ``member`` whose data is the raw deflate stream ``raw``, declaring ``declared`` bytes."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        archive.writestr(member + ".npy", raw)
    patch_entry(path, member, method=zipfile.ZIP_DEFLATED, crc=crc, size=declared)


def zeros_deflated(prefix: bytes, mebibytes: int) -> tuple[bytes, int]:
    """A raw deflate stream of ``prefix`` then ``mebibytes`` MiB of zeros, made in milliseconds by
    repeating one flushed block, and the CRC-32 of the whole."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc, zero_mib = zlib.crc32(prefix), bytes(1 << 20)
    for _ in range(mebibytes):
        crc = zlib.crc32(zero_mib, crc)
    return head + block * mebibytes + compressor.flush(zlib.Z_FINISH), crc


def refusal(path: Path, array: str, reason: str) -> str:
    """The start of the one-line refusal: file, array, reason (a regex)."""
    return re.escape(f"{path} (array {array!r}): refused: {reason}")


# ---------------------------------------------------------------- the cases run in a subprocess

# Crafted dtypes whose bytes would become object pointers: the old loader segfaulted on first use.
_OBJECT_FIELDS = op_tuple(op_str("a"), op_str("b"))
_FIELD_TABLE = (
    pickle.EMPTY_DICT
    + op_str("a") + op_tuple(op_dtype("O8"), op_int(0)) + pickle.SETITEM
    + op_str("b") + op_tuple(op_dtype("O8"), op_int(8)) + pickle.SETITEM
)  # fmt: skip
POINTER_DTYPES = {
    "object-fields-on-void": (
        op_dtype("V16", op_dtype_state(names=_OBJECT_FIELDS, fields=_FIELD_TABLE, elsize=16, alignment=8)),
        16,
        "numpy.dtype('V16') is a dtype of kind 'V' (|V16)",
    ),
    "object-fields-on-float": (
        op_dtype("f8", op_dtype_state(names=_OBJECT_FIELDS, fields=_FIELD_TABLE, elsize=16, alignment=8)),
        16,
        "numpy.dtype state with fields ('a', 'b') (a structured, void or subarray dtype)",
    ),
    "object-without-its-flags": (
        op_dtype("O8", op_dtype_state(flags=0)),
        8,
        "numpy.dtype state (3, '|', None, None, None, -1, ...) makes a |O dtype whose (itemsize, alignment, "
        "has objects, pointer flags) (8, 8, False, 0) differ from numpy's own (8, 8, True, 55)",
    ),
    "float-claiming-objects": (
        op_dtype("f8", op_dtype_state(byteorder="<", flags=63)),
        8,
        "makes a <f8 dtype whose (itemsize, alignment, has objects, pointer flags) (8, 8, True, 55) differ",
    ),
}

_PROBE = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from lifelong_pose.datasets.files import DataFileError, open_npz

def touch(value, depth=0):  # what a reader does: every element used (a crafted pointer crashes here)
    if depth > 20:
        return
    if isinstance(value, np.ndarray):
        value = value.ravel().tolist()
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for item in value:
            touch(item, depth + 1)
    else:
        repr(value)

results = {}
for case, path, keys in json.loads(sys.argv[1]):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        content = open_npz(Path(path), "a test", keys)
        touch(content)
        outcome = "loaded " + ", ".join(sorted(content))
    except DataFileError as error:
        outcome = f"{type(error).__name__}: {error}"
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results[case] = {"outcome": outcome, "rss_mb": (after - before) / 1024, "seconds": time.perf_counter() - start}
print(json.dumps(results))
"""


def _probe_cases(root: Path) -> list[tuple[str, str, list[str] | None]]:
    """Write every subprocess case's file; (case, path, keys to read)."""
    cases: list[tuple[str, str, list[str] | None]] = []
    # memory cases first: the peak memory of a process only grows
    path = write_npz(root / "extra_bomb.npz", {"positions_3d": object_member(op_str("fine"))})
    header = npy("u1", (1 << 30,), b"")
    raw, crc = zeros_deflated(header, 1024)  # a valid 1 MiB member that inflates to a 1 GiB array
    add_deflated_member(path, "extra", raw, declared=len(header) + (1 << 30), crc=crc)
    cases.append(("unknown-member-bomb", str(path), ["positions_3d"]))
    header = npy(object, (1,), b"")
    body = b"\x80\x04" + pickle.BINBYTES8 + struct.pack("<Q", 1 << 30)  # asks for 1 GiB in one read
    raw, _ = zeros_deflated(header + body, 1024)
    path = write_npz(root / "lying_bomb.npz", {})
    declared = len(header + body) + (1 << 20)
    add_deflated_member(path, "positions_3d", raw, declared=declared, crc=zlib.crc32(header + body + bytes(1 << 20)))
    cases.append(("needed-member-lying-about-its-size", str(path), ["positions_3d"]))
    for case, (dtype, itemsize, _) in POINTER_DTYPES.items():
        element = op_array(dtype, (1,), op_bytes(b"\x41" * itemsize))  # 0x4141... as a pointer
        path = write_npz(root / f"{case}.npz", {"data": object_member(element)})
        cases.append((case, str(path), None))
    deep_key = pickle.EMPTY_DICT + pickle.EMPTY_TUPLE + pickle.TUPLE1 * 1_000_000 + op_str("v") + pickle.SETITEM
    cases.append(("deep-tuple-as-key", str(write_npz(root / "deep_key.npz", {"data": object_member(deep_key)})), None))
    return cases


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every subprocess case's outcome, memory growth (MiB) and time, from one fresh interpreter."""
    cases = _probe_cases(tmp_path_factory.mktemp("hostile"))
    environment = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(cases)], capture_output=True, text=True, env=environment, timeout=120
    )
    assert done.returncode == 0, f"the loader crashed (exit {done.returncode}): {done.stderr[-2000:]}"
    return {
        case: {**result, "path": path}
        for (case, path, _), result in zip(cases, json.loads(done.stdout).values(), strict=True)
    }


@pytest.mark.parametrize("case", POINTER_DTYPES)
def test_a_dtype_that_makes_bytes_into_pointers_is_refused_without_a_crash(
    probed: dict[str, dict[str, Any]], case: str
) -> None:
    result = probed[case]
    assert result["outcome"].startswith(f"UnsafeDataFile: {result['path']} (array 'data'): refused: ")
    assert POINTER_DTYPES[case][2] in result["outcome"]
    assert "\n" not in result["outcome"]


def test_the_crafted_dtype_crashes_numpys_own_loader(tmp_path: Path) -> None:
    """So the refusal above is of a real attack: ``np.load(allow_pickle=True)`` dies of it."""
    dtype, itemsize, _ = POINTER_DTYPES["object-without-its-flags"]
    path = write_npz(tmp_path / "x.npz", {"data": object_member(op_array(dtype, (1,), op_bytes(b"\x41" * itemsize)))})
    code = f"import numpy as np; print(np.load({str(path)!r}, allow_pickle=True)['data'][0][0])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert done.returncode < 0  # killed by a signal (SIGSEGV)


def test_an_unknown_member_that_is_a_zip_bomb_is_never_read(probed: dict[str, dict[str, Any]]) -> None:
    result = probed["unknown-member-bomb"]
    assert result["outcome"] == "loaded positions_3d"
    assert result["rss_mb"] < 200 and result["seconds"] < 2.0


def test_a_needed_member_never_inflates_past_its_declared_size(probed: dict[str, dict[str, Any]]) -> None:
    """It declares 1 MiB past its pickle's first opcode but inflates to 1 GiB, which that opcode asks for in one
    read (``ZipExtFile.read(n)`` inflates up to ``n`` before trimming to the declared size): reading stops at
    the declared size, in chunks, and the pickle then ends too early."""
    result = probed["needed-member-lying-about-its-size"]
    assert result["outcome"].startswith(f"DataFileError: {result['path']} is not a readable .npz archive")
    assert f"{result['path']} (array 'positions_3d'): not a readable pickle (EOFError" in result["outcome"]
    assert result["rss_mb"] < 200


def test_tuples_nested_a_million_deep_are_refused_before_they_are_hashed(probed: dict[str, dict[str, Any]]) -> None:
    result = probed["deep-tuple-as-key"]
    assert result["outcome"].startswith(
        f"UnsafeDataFile: {result['path']} (array 'data'): refused: tuples nested more than 100 deep"
    )


# ---------------------------------------------------------------- refused in-process (nothing allocated first)


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        (op_dtype("V8"), "numpy.dtype('V8') is a dtype of kind 'V' (|V8)"),
        (op_dtype("M8", op_dtype_state(byteorder="<")), "numpy.dtype('M8') is a dtype of kind 'M'"),
        (
            op_global("numpy", "dtype") + op_tuple(op_str("f8,i4"), pickle.NEWFALSE, pickle.NEWTRUE) + pickle.REDUCE,
            "numpy.dtype('f8,i4', False, True): numpy pickles a dtype as dtype(type string",
        ),
        (
            op_dtype("f8", op_dtype_state(byteorder="<", subarray=op_tuple(op_dtype("f8"), op_tuple(op_int(2))))),
            "numpy.dtype state with subarray",
        ),
        (
            op_dtype("O8", op_dtype_state(names=_OBJECT_FIELDS, fields=_FIELD_TABLE, elsize=16, alignment=8)),
            "numpy.dtype state with fields ('a', 'b') (a structured, void or subarray dtype)",
        ),
        (
            op_dtype("O8", op_dtype_state(byteorder=">", flags=63)),
            "numpy.dtype state (3, '>', None, None, None, -1, ...) makes an object dtype with byte order '>'",
        ),
    ],
    ids=["void", "datetime", "structured-type-string", "subarray-state", "fields-state", "swapped-objects"],
)
def test_structured_void_and_subarray_dtypes_are_refused_in_a_pickle(
    tmp_path: Path, element: bytes, reason: str
) -> None:
    path = write_npz(tmp_path / "data_test_3dhp.npz", {"data": object_member(element)})
    with pytest.raises(UnsafeDataFile, match=refusal(path, "data", reason)):
        open_npz(path, "a test")


def test_a_structured_dtype_is_refused_in_a_npy_header(tmp_path: Path) -> None:
    structured = np.dtype([("a", "<f8"), ("b", "<i4")])
    path = write_npz(tmp_path / "x.npz", {"pose3d": npy(structured, (1,), bytes(12))})
    reason = "its .npy header declares a structured dtype (fields ('a', 'b'))"
    with pytest.raises(UnsafeDataFile, match=refusal(path, "pose3d", reason)):
        open_npz(path, "a test")


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        (
            op_global("numpy", "ndarray") + op_tuple(op_tuple(op_int(HUGE)), op_str("O")) + pickle.REDUCE,
            f"numpy.ndarray(({HUGE},), 'O') called directly: numpy pickles arrays through _reconstruct",
        ),
        (
            op_reconstruct((HUGE,)),
            f"_reconstruct(<class 'numpy.ndarray'>, ({HUGE},), b'b'): numpy calls it only as "
            "_reconstruct(ndarray, (0,), b'b')",
        ),
        (
            op_array(op_dtype("O8"), (HUGE,), pickle.EMPTY_LIST),
            f"an array of shape ({HUGE},) and dtype |O declares {HUGE:,} elements (1.0 GiB), more than the",
        ),
        (
            op_array(op_dtype("f8"), (HUGE,), op_bytes(bytes(8))),
            f"an array of shape ({HUGE},) and dtype <f8 declares {HUGE:,} elements (1.0 GiB), more than the",
        ),
        (
            op_global("numpy", "ndarray") + op_int(3) + pickle.TUPLE1 + pickle.NEWOBJ,
            "an INST, OBJ or NEWOBJ opcode",
        ),
        (
            op_array(op_dtype("O8"), (3,), pickle.EMPTY_LIST),
            "an object array of shape (3,) whose data is a list of 0 items, not a list of its 3 elements",
        ),
        (
            op_array(op_dtype("f8"), (3,), op_bytes(bytes(8))),
            "an array of shape (3,) and dtype <f8 needs 24 bytes, its data is a bytes of 8",
        ),
    ],
    ids=[
        "ndarray-called",
        "reconstruct-huge",
        "object-state-huge",
        "float-state-huge",
        "newobj",
        "short-list",
        "short-bytes",
    ],
)
def test_arrays_larger_than_their_bytes_are_refused_before_allocation(
    tmp_path: Path, element: bytes, reason: str
) -> None:
    path = write_npz(tmp_path / "data_3d_h36m.npz", {"positions_3d": object_member(element)})
    with pytest.raises(UnsafeDataFile, match=refusal(path, "positions_3d", reason)):
        open_npz(path, "a test")


@pytest.mark.parametrize(("dtype", "nbytes"), [("<f8", "1.0 GiB"), (object, "1.0 GiB")], ids=["float", "object"])
def test_a_npy_header_declaring_a_huge_shape_over_a_tiny_member_is_refused(
    tmp_path: Path, dtype: Any, nbytes: str
) -> None:
    path = write_npz(tmp_path / "test_3dhp.npz", {"pose3d": npy(dtype, (HUGE,), b"\x80\x02N.")})
    reason = f"its .npy header declares shape ({HUGE},) of {np.dtype(dtype).str} ({HUGE:,} elements, {nbytes}) but"
    with pytest.raises(UnsafeDataFile, match=refusal(path, "pose3d", reason) + r" the member holds 4 bytes after"):
        open_npz(path, "a test")


def test_a_needed_member_declaring_a_bomb_ratio_is_refused_unread(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "data_3dpw_gt_test.npz", {"positions_3d": npy("<f8", (4, 16, 3), bytes(1536))})
    patch_entry(path, "positions_3d", size=3 << 30)  # what it claims to inflate to
    reason = "the member declares 3.0 GiB from"
    with pytest.raises(
        UnsafeDataFile, match=refusal(path, "positions_3d", reason) + r".* numeric data reaches\): a zip"
    ):
        open_npz(path, "a test", ["positions_3d"])


def test_members_beyond_the_size_limits_are_refused(tmp_path: Path) -> None:
    """The limits are :class:`ReadLimits`; shrunk here so that a real file of a few KiB exceeds them."""
    path = write_npz(tmp_path / "x.npz", {"pose3d": npy("<f8", (100, 16, 3), bytes(38400))})
    with pytest.raises(
        UnsafePickleError,
        match=refusal(path, "pose3d", "the member declares 37.6 KiB uncompressed, more than the 1.0 KiB"),
    ):
        load_npz(path, limits=ReadLimits(member_bytes=1024))
    ratio = ReadLimits(ratio_free_bytes=0)  # zeros deflate ~x400: beyond x100 once no size is exempt
    with pytest.raises(UnsafePickleError, match=refusal(path, "pose3d", "the member declares 37.6 KiB from")):
        load_npz(path, limits=ratio)


def test_compression_methods_numpy_never_writes_are_refused(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "x.npz", {"pose3d": npy("<f8", (2,), bytes(16))}, zipfile.ZIP_BZIP2)
    with pytest.raises(UnsafeDataFile, match=refusal(path, "pose3d", "the member uses zip compression method 12")):
        open_npz(path, "a test")


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        (pickle.EMPTY_LIST * 200_000 + pickle.APPEND * 199_999, "containers nested more than 100 deep"),
        (pickle.EMPTY_LIST + pickle.MEMOIZE + pickle.BINGET + b"\x00" + pickle.APPEND, "a list that contains itself"),
    ],
    ids=["lists-200000-deep", "list-in-itself"],
)
def test_deep_or_cyclic_nesting_is_refused_not_a_recursion_error(tmp_path: Path, element: bytes, reason: str) -> None:
    path = write_npz(tmp_path / "data_train_3dhp.npz", {"data": object_member(element)})
    with pytest.raises(UnsafeDataFile, match=refusal(path, "data", reason)):
        open_npz(path, "a test")


def test_a_garbled_pickle_is_a_data_file_error_naming_the_array(tmp_path: Path) -> None:
    path = write_npz(tmp_path / "x.npz", {"data": npy(object, (1,), b"\x80\x02" + pickle.APPEND * 3)})
    expected = re.escape(f"{path} (array 'data'): not a readable pickle (IndexError")
    with pytest.raises(DataFileError, match=r"is not a readable \.npz archive.*" + expected):
        open_npz(path, "a test")


@pytest.mark.parametrize("pickled", [False, True], ids=["plain-array", "in-a-pickled-dict"])
def test_complex_coordinates_are_refused_by_require_array(tmp_path: Path, pickled: bool) -> None:
    X = np.zeros((5, 16, 3)) + 1j
    path = tmp_path / "data_3dpw_gt_test.npz"
    np.savez(path, positions_3d={"s": X} if pickled else X)
    content = open_npz(path, "a test", ["positions_3d"])
    value = content["positions_3d"]["s"] if pickled else content["positions_3d"]
    with pytest.raises(
        DataFileError, match=r"data_3dpw_gt_test\.npz: positions_3d holds complex numbers \(complex128\)"
    ):
        require_array(value, "positions_3d", path, (None, 16, 3))


# ---------------------------------------------------------------- what legitimate files hold still loads


def _legitimate_content(empty_arrays: bool = True) -> dict[str, Any]:
    """Everything plain data in the field's pickles can be: arrays of every plain dtype and layout,
    numpy scalars, Python numbers, strings, bytes, containers. (Python 3's protocol 2 writes an empty
    array's data as ``builtins.bytes()``, a global the formats never needed; Python 2 wrote ``''``.)"""
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    empty = [np.array([], np.int64), np.zeros((0, 17, 2))] if empty_arrays else []
    return {
        "S1": OrderedDict(Walking=[x, x.astype(">f8"), np.asfortranarray(x), x[:, ::2], x.T]),
        "masks": (np.ones((3, 17), bool), np.array(3.5), *empty),
        "text": [np.array(["TS1", "TS10"]), np.array([b"ab", b"c"]), "straße", b"\x00\xff", np.str_("S11")],
        "numbers": [np.float64(2.5), np.int64(-3), np.bool_(True), np.complex64(1 - 2j), 10**30, -1.5, None],
        7: {"nested": [[1, 2], [3, [4, np.uint8(5)]]], (1, "a"): ((), (2.5,))},
    }


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray) and a.dtype.hasobject:
        return a.dtype == b.dtype and a.shape == b.shape and _same(a.ravel().tolist(), b.ravel().tolist())
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize(
    ("protocol", "core"),
    [(2, "numpy.core"), (2, "numpy._core"), (3, "numpy.core"), (4, "numpy._core"), (5, "numpy._core")],
    ids=["py2-protocol-numpy1", "protocol2", "protocol3-numpy1", "protocol4-np.save", "protocol5-frombuffer"],
)
def test_every_plain_pickle_numpy_writes_still_loads_exactly(tmp_path: Path, protocol: int, core: str) -> None:
    holder = np.empty((), dtype=object)
    holder[()] = _legitimate_content(empty_arrays=protocol > 2)
    stream = pickle.dumps(holder, protocol=protocol)
    if core == "numpy.core":  # how numpy 1 named its modules (text GLOBAL opcodes in protocols 2 and 3)
        stream = stream.replace(b"numpy._core", b"numpy.core")
    path = write_npz(tmp_path / "x.npz", {"data": npy(object, (), stream)})
    assert _same(load_npz(path)["data"], pickle.loads(stream, encoding="latin1"))  # what numpy's own loader gives


def test_a_python2_numpy_pickle_loads(tmp_path: Path) -> None:
    """Python 2's numpy wrote str (not bytes) for the type code and the data, and 0/1 for booleans."""
    dtype = op_global("numpy", "dtype") + op_tuple(op_str("f8"), op_int(0), op_int(1)) + pickle.REDUCE
    dtype += op_dtype_state(byteorder="<") + pickle.BUILD
    data = struct.pack("<2d", 1.5, -2.0)
    state = op_tuple(op_int(1), op_tuple(op_int(2)), dtype, op_int(0), pickle.BINSTRING + struct.pack("<i", 16) + data)
    reconstruct = op_global("numpy.core.multiarray", "_reconstruct")
    array = reconstruct + op_tuple(
        op_global("numpy", "ndarray"), op_tuple(op_int(0)), pickle.SHORT_BINSTRING + b"\x01b"
    )
    element = array + pickle.REDUCE + state + pickle.BUILD
    path = write_npz(tmp_path / "x.npz", {"data": object_member(element)})
    np.testing.assert_array_equal(load_npz(path)["data"][0], [1.5, -2.0])


def test_only_the_members_asked_for_are_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_npz(tmp_path / "x.npz", {"pose3d": npy("<f8", (2,), bytes(16)), "junk": b"not an npy at all"})
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(name if isinstance(name, str) else name.filename)
        return real_open(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    content = open_npz(path, "a test", ["pose3d", "camera"])
    assert list(content) == ["pose3d"] and set(opened) == {"pose3d.npy"}
    with pytest.raises(DataFileError, match=r"x\.npz has no key 'camera'; it has \['junk', 'pose3d'\]"):
        require_key(content, "camera", path)
