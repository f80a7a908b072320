"""Import ``module:attr`` and ``path/to/file.py:attr`` entry points, and check keyword arguments.

Kept apart from the registry so that the CLI's ``--strategy module:Class`` and the registry's lazy
entry points share one loader. A user's file is run when it is imported, so whatever it does there
(raise, call ``sys.exit``, raise ``KeyboardInterrupt``) comes back as an error naming the file,
never as the program's own exit; modules loaded from files are named with
:data:`PLUGIN_MODULE_PREFIX`, which is how a traceback's frame is known to be a plugin file's.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import sys
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

PLUGIN_MODULE_PREFIX = "lifelong_pose_plugin_"
"""Module names of files loaded by :func:`load_entry_point` start with this."""

ECHO_LIMIT = 200
"""Characters of a user's value an error message repeats; the rest is cut (a value can be megabytes)."""

MAX_OPTION_NAME = 100
"""Longest option name accepted (every real one is far shorter)."""


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """``repr(value)`` for an error message, cut to ``limit`` characters with an ellipsis.

    Why: messages repeat what the user gave so they can find it, but a value may be huge (a
    10,000-character ``--set`` key, a YAML list of a million items): the message stays readable
    and its size bounded. A container is never formatted whole: its repr is built from a bounded
    ``reprlib`` view first, so echoing a deep or enormous structure costs nothing.
    """
    import reprlib

    short = reprlib.Repr()
    short.maxstring = short.maxother = limit
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 20
    short.maxlevel = 4
    text = short.repr(value) if isinstance(value, list | tuple | dict | set | frozenset) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_option_name(name: str, where: str) -> str:
    """Refuse an option name that no option can have (NUL, spaces, control characters, megabytes).

    Option names are Python identifiers, dotted for a plugin's (``ema.eta``); anything else is a
    typo or an attack, and is answered before it reaches a suggestion search or a message.

    Raises:
        ValueError: naming ``where`` (``--set``) and what a name may hold.
    """
    if len(name) > MAX_OPTION_NAME or not all(part.isidentifier() for part in name.split(".")):
        raise ValueError(
            f"{where}: {echo(name, 60)} ({len(name)} characters) is not an option name; option names are "
            f"letters, digits and _ (a plugin's prefixed with its name and a dot: ema.eta), at most {MAX_OPTION_NAME}"
        )
    return name


def load_entry_point(entry_point: str) -> Any:
    """Import and return the object named by ``module:attr`` or ``path/to/file.py:attr``.

    Raises:
        ImportError: naming the entry point when the module or attribute cannot be loaded.
    """
    module_part, sep, attr_path = entry_point.rpartition(":")
    if not sep or not module_part or not attr_path:
        raise ImportError(f"Entry point {entry_point!r} must look like 'module:attr' or 'file.py:attr'")
    if module_part.endswith(".py"):
        module = _import_file(Path(module_part))
    else:
        try:
            module = importlib.import_module(module_part)
        except ImportError as error:
            raise ImportError(
                f"Cannot import module {module_part!r} of entry point {entry_point!r}: {error}"
            ) from error
    target: Any = module
    for attr in attr_path.split("."):
        if not hasattr(target, attr):
            public = [name for name in dir(target) if not name.startswith("_")]
            hint = difflib.get_close_matches(attr, public, n=3)
            suggestion = f" Did you mean {', '.join(map(repr, hint))}?" if hint else ""
            raise ImportError(f"{module_part!r} has no attribute {attr!r} (entry point {entry_point!r}).{suggestion}")
        target = getattr(target, attr)
    return target


def _import_file(path: Path) -> types.ModuleType:
    """Run a plugin file as a module (once per process).

    Raises:
        ImportError: the file is missing, not a regular file, or exited (``sys.exit``, ``exit()``)
            while being imported; its own errors (and a ``KeyboardInterrupt`` it raises) propagate
            as they are, for the CLI to show with the file's line.
    """
    if path.is_dir():
        raise ImportError(f"Plugin file {str(path)!r} is a folder; give the .py file inside it: FOLDER/FILE.py:Class")
    if path.exists() and not path.is_file():
        raise ImportError(f"Plugin file {str(path)!r} is not a regular file (a device, FIFO or socket): give a .py")
    if not path.is_file():
        raise ImportError(f"Plugin file {str(path)!r} does not exist")
    module_name = f"{PLUGIN_MODULE_PREFIX}{path.stem}_{abs(hash(str(path.resolve())))}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Cannot load plugin file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, KeyboardInterrupt):  # half a module must not be found by the next import of the file
        del sys.modules[module_name]
        raise
    except BaseException as stop:  # sys.exit() (or another BaseException) would end the program, silently
        del sys.modules[module_name]
        what = f"sys.exit({echo(stop.code, 60)})" if isinstance(stop, SystemExit) else f"raise {type(stop).__name__}"
        raise ImportError(
            f"Plugin file {str(path)!r} ran {what}{_line_in(stop, path)} while being imported; a plugin module "
            "must only define things (remove it, or guard it with if __name__ == '__main__':)"
        ) from None
    return module


def _line_in(error: BaseException, path: Path) -> str:
    """`` at line N`` of ``path`` in ``error``'s traceback (its innermost frame there), or nothing."""
    import traceback

    target = path.resolve()
    frames = traceback.extract_tb(error.__traceback__)
    lines = [f.lineno for f in frames if not f.filename.startswith("<") and Path(f.filename).resolve() == target]
    return f" at line {lines[-1]}" if lines else ""


def check_kwargs(target: Callable[..., Any], kwargs: Mapping[str, Any], owner: str) -> None:
    """Check names and simple types of ``kwargs`` against ``target``'s signature.

    Why: an override with a typo or the wrong type should fail at ``make`` with a message naming
    the option, not deep inside data generation.

    Raises:
        TypeError: unknown keyword (with suggestions) or a value of the wrong type.
    """
    signature = inspect.signature(target)
    parameters = signature.parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    hints = _type_hints(target)
    if isinstance(target, type):  # a class: its __init__ annotates the options (a dataclass: its fields)
        hints = {**_type_hints(target.__init__), **hints}
    for key, value in kwargs.items():
        if key not in parameters:
            if accepts_any:
                continue
            options = [name for name, p in parameters.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
            close = difflib.get_close_matches(key, options, n=3) if len(str(key)) <= MAX_OPTION_NAME else []
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise TypeError(f"{owner} has no option {echo(key)}.{hint} Options: {', '.join(options) or 'none'}")
        expected = hints.get(key)
        if expected is not None and not _matches(value, expected):
            raise TypeError(
                f"{owner}: option {key!r} expects {_describe(expected)}, got {echo(value)} ({type(value).__name__})"
            )


def _type_hints(target: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(target)
    except Exception:  # unresolvable annotations: fall back to names only
        return {}


def _matches(value: Any, expected: Any) -> bool:
    origin = typing.get_origin(expected)
    if expected is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(expected))
    if origin is typing.Literal:
        return value in typing.get_args(expected)
    if expected is type(None):
        return value is None
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is not None:
        return isinstance(value, origin if isinstance(origin, type) else object)
    if isinstance(expected, type):
        return isinstance(value, expected)
    return True


def _describe(expected: Any) -> str:
    origin = typing.get_origin(expected)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(expected))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(expected))
    if expected is type(None):
        return "None"
    return getattr(expected, "__name__", None) or str(expected).replace("typing.", "")
