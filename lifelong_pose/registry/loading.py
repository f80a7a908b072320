"""Import ``module:attr`` and ``path/to/file.py:attr`` entry points, and check keyword arguments.

Kept apart from the registry so that the CLI's ``--strategy module:Class`` and the registry's lazy
entry points share one loader.
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
    if not path.is_file():
        raise ImportError(f"Plugin file {str(path)!r} does not exist")
    module_name = f"lifelong_pose_plugin_{path.stem}_{abs(hash(str(path.resolve())))}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Cannot load plugin file {str(path)!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


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
            close = difflib.get_close_matches(key, options, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise TypeError(f"{owner} has no option {key!r}.{hint} Options: {', '.join(options) or 'none'}")
        expected = hints.get(key)
        if expected is not None and not _matches(value, expected):
            raise TypeError(
                f"{owner}: option {key!r} expects {_describe(expected)}, got {value!r} ({type(value).__name__})"
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
