"""What the board accepts from outside: bounded reads, strict JSON, ids safe as folder names, short messages.

Entries, run records and papers' rows are written by people and programs the board does not
control, so every value is treated as hostile until checked here: a file is read only if it is a
regular file no larger than :data:`MAX_FILE_BYTES` (a link to ``/dev/zero`` or a FIFO never
blocks or fills memory); JSON is refused when it nests deeper than :data:`MAX_DEPTH` or holds a
number that is not finite (``NaN``, ``Infinity``, ``1e999``), which the standard cannot carry;
a value that becomes a folder or file name must match an anchored pattern; and any value a
message repeats is cut to :data:`MESSAGE_LIMIT` characters on one line, so a megabyte-long id
cannot flood a terminal.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

MAX_FILE_BYTES = 64 * 2**20
"""Largest file the board reads (the largest committed entry is under 0.1 MiB)."""
MAX_DEPTH = 32
"""Deepest JSON nesting accepted (an entry nests 7 levels; Python's parser recurses, so depth is bounded)."""
MAX_INTEGER = 2**63
"""Largest integer magnitude accepted: seeds, byte counts and parameter counts fit; 10**4000 does not."""
MESSAGE_LIMIT = 200
"""Characters of a user's value that a message repeats before cutting it with an ellipsis."""
PART_LIMIT = 200
"""Longest folder or file name the board makes (file systems allow 255 bytes; a file is a 150-character
name, its key and ``.json``)."""
TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters other than tab and newline: an escape sequence in a name would drive the terminal of
whoever runs ``leaderboard show``."""
SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=-]*", re.ASCII)
"""A folder or file name: ASCII letters, digits and ``_.=-``, not starting with a dot (never ``.`` or ``..``)."""


class EntryError(ValueError):
    """An entry that would mislead: bad schema, figures that do not follow, too few seeds unflagged."""


def clip(value: Any, limit: int = MESSAGE_LIMIT) -> str:
    """``value`` as one line of at most about ``limit`` characters, for a message that repeats it.

    Control characters (a newline, NUL) are shown escaped so that a message stays on one line; a
    longer value keeps its first ``limit`` characters and says how long it was.
    """
    text = value if isinstance(value, str) else str(value) if isinstance(value, Path | Exception) else repr(value)
    size = len(text)
    text = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text[:limit])
    return text if size <= limit else f"{text[:limit]}… ({size} characters)"


def quoted(value: Any, limit: int = MESSAGE_LIMIT) -> str:
    """``clip(value)`` in single quotes: how messages name an id, a name or an option value."""
    return f"'{clip(value, limit)}'"


class _NotFinite(ValueError):
    pass


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def _constant(text: str) -> Any:
    raise _NotFinite(text)


def parse_json(text: str, source: str) -> Any:
    """Strict JSON: no ``NaN``/``Infinity``, no number that overflows to infinity, no deep nesting.

    Raises:
        EntryError: naming ``source`` and what was refused.
    """
    try:
        value = json.loads(text, parse_constant=_constant, parse_float=_finite_float)
    except _NotFinite as error:
        raise EntryError(
            f"{clip(source)}: {quoted(error.args[0], 40)} is not a finite number; JSON holds finite numbers "
            "only (write null for a missing value)"
        ) from None
    except RecursionError:
        raise EntryError(f"{clip(source)}: JSON nested deeper than {MAX_DEPTH} levels; refused") from None
    except ValueError as error:  # JSONDecodeError, or an integer longer than Python converts
        raise EntryError(f"{clip(source)}: not readable JSON ({clip(error)})") from None
    check_tree(value, source)
    return value


def check_tree(value: Any, source: str, *, text: bool = False) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH`, non-finite floats and huge integers anywhere in ``value``.

    Walks with an explicit stack, so a deep value is refused without recursing in Python. With
    ``text``, strings and keys holding a :data:`TERMINAL_CONTROL` character are refused too.

    Raises:
        EntryError: naming ``source`` and the path of the value at fault.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if len(where) > MAX_DEPTH:
            raise EntryError(f"{clip(source)}: JSON nested deeper than {MAX_DEPTH} levels; refused")
        if isinstance(item, dict):
            if text:
                for key in item:
                    _check_text(key, where, source)
            stack.extend((child, (*where, str(key))) for key, child in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((child, (*where, str(index))) for index, child in enumerate(item))
        elif isinstance(item, str) and text:
            _check_text(item, where, source)
        elif isinstance(item, float) and not math.isfinite(item):
            raise EntryError(
                f"{clip(source)}: {quoted('/'.join(where) or '(top level)')} is {item}, not a finite number; "
                "JSON holds finite numbers only (write null for a missing value)"
            )
        elif isinstance(item, int) and not isinstance(item, bool) and abs(item) >= MAX_INTEGER:
            raise EntryError(
                f"{clip(source)}: {quoted('/'.join(where) or '(top level)')} is an integer of {len(str(abs(item)))} "
                "digits; at most 2**63 is accepted"
            )


def _check_text(value: Any, where: tuple[str, ...], source: str) -> None:
    found = TERMINAL_CONTROL.search(value) if isinstance(value, str) else None
    if found:
        raise EntryError(
            f"{clip(source)}: {quoted('/'.join(where) or '(top level)')} holds the control character "
            f"{clip(found.group())} in {quoted(value)}; text on the board is printable (tab and newline allowed)"
        )


def read_json(path: Path | str, *, follow_links: bool = False) -> Any:
    """Read a JSON file no larger than :data:`MAX_FILE_BYTES`, refusing links (unless asked) and non-files.

    The size is checked before reading and again while reading (a file that grows is cut off), and
    a FIFO or device is refused before it is read, so no file can block or exhaust memory.

    Raises:
        EntryError: naming the file and why it was refused (a link, not a regular file, too large,
            not UTF-8, not strict JSON).
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow_links else getattr(os, "O_NOFOLLOW", 0))
    if not follow_links and path.is_symlink():
        raise _link_error(path)
    try:
        handle = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise _link_error(path) from None
        raise EntryError(f"{clip(path)}: cannot be read ({error.strerror})") from None
    with os.fdopen(handle, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise EntryError(f"{clip(path)}: not a regular file (a device, FIFO or folder); refused")
        if info.st_size > MAX_FILE_BYTES:
            raise _size_error(path, info.st_size)
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _size_error(path, len(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EntryError(f"{clip(path)}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    return parse_json(text, str(path))


def _link_error(path: Path) -> EntryError:
    return EntryError(
        f"{clip(path)}: a symbolic link; the board never follows links, so replace it by the file or folder itself"
    )


def _size_error(path: Path, size: int) -> EntryError:
    return EntryError(f"{clip(path)}: {size} bytes; the board reads files of at most {MAX_FILE_BYTES // 2**20} MiB")


def dumps(value: Any, source: str) -> str:
    """``value`` as the board writes it (indented, sorted keys), never with ``NaN`` or ``Infinity``.

    Raises:
        EntryError: a value that strict JSON cannot hold, naming ``source``.
    """
    check_tree(value, source)
    return json.dumps(value, indent=1, sort_keys=True, allow_nan=False) + "\n"


def check_part(value: Any, what: str, source: str) -> str:
    """``value`` if it is safe as one folder or file name (:data:`SAFE_PART`, at most :data:`PART_LIMIT` long).

    Raises:
        EntryError: naming ``source``, what the value is and the value itself (cut).
    """
    if not isinstance(value, str) or len(value) > PART_LIMIT or not SAFE_PART.fullmatch(value):
        raise EntryError(
            f"{clip(source)}: {what} {quoted(value)} cannot name a folder of the board (ASCII letters, digits and "
            f"'_.=-', not starting with '.', at most {PART_LIMIT} characters)"
        )
    return value


def inside(root: Path, path: Path) -> Path:
    """``path`` if no part of it below ``root`` is a symbolic link and it resolves under ``root``.

    Raises:
        EntryError: a link on the way, or a path that leaves the board, naming both.
    """
    relative = path.relative_to(root) if path.is_relative_to(root) else None
    if relative is None or ".." in relative.parts:
        raise EntryError(f"{clip(path)}: outside the board {clip(root)}; refused")
    step = root
    for part in relative.parts:
        step = step / part
        if step.is_symlink():
            raise _link_error(step)
    if not path.resolve().is_relative_to(root.resolve()):
        raise EntryError(f"{clip(path)}: resolves outside the board {clip(root)}; refused")
    return path


ABSOLUTE_PATH = re.compile(r"(?:^|[\s,;=:(\"'])(?P<path>(?:/(?!/)|~/|[A-Za-z]:[\\/]|\\\\)[^\s,;\"')]*)")
"""An absolute path inside a text: ``/home/me/runs``, ``~/runs``, ``C:\\runs`` or ``\\\\server\\share``, at
the start of the text or after a separator (so ``mm/s``, ``3dhp_like/3dpw_like`` or a URL's ``//host`` are
no paths)."""


def absolute_paths(value: Any) -> list[tuple[str, str]]:
    """``(where, path)`` for every absolute path held in a string of ``value`` (walked as JSON).

    Why: a published entry that names a folder of the machine that made it tells readers nothing
    they can open, and tells everyone the layout (and often the user name) of that machine. Run
    folders are recorded relative to the board, or left out.
    """
    found: list[tuple[str, str]] = []
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, (*where, str(key))) for key, child in item.items())
        elif isinstance(item, list | tuple):
            stack.extend((child, (*where, str(index))) for index, child in enumerate(item))
        elif isinstance(item, str):
            found += [("/".join(where), match.group("path")) for match in ABSOLUTE_PATH.finditer(item)]
    return sorted(found)
