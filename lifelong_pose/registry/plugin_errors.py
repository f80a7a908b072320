"""A plugin's own failure reported as the plugin's, not as the suite's crash: its file, line and message.

Users add strategies, plugins and scenarios as files or modules; when that code raises (at import,
or inside training), a traceback through the suite's internals tells them little. The innermost
frame that belongs to neither the suite nor an installed library is the plugin's line.

A ``KeyboardInterrupt`` is held to a stricter test (:func:`interrupting_frame`): it is the
plugin's only when raised in a module loaded from a plugin file (or a ``module:Class`` the user
named), since any other one is taken for a Ctrl-C.
"""

from __future__ import annotations

import sys
import sysconfig
import traceback
from collections.abc import Collection
from pathlib import Path

from lifelong_pose.registry.loading import PLUGIN_MODULE_PREFIX, echo

_SUITE = Path(__file__).resolve().parents[1]  # lifelong_pose/
_LIBRARIES = tuple(
    Path(p).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib") if (p := sysconfig.get_path(key))
)
_BUILT_INS = (_SUITE.parent / "strategies", _SUITE.parent / "scenarios")  # shipped as lifelong_pose.*


def _is_users(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    path = Path(filename).resolve()
    return not any(path.is_relative_to(root) for root in (_SUITE, *_BUILT_INS, *_LIBRARIES))


def plugin_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of ``error``'s traceback in a user's own file, or None (the suite's own error)."""
    if isinstance(error, SyntaxError) and error.filename and _is_users(error.filename):
        return traceback.FrameSummary(error.filename, error.lineno or 0, "<module>", line=(error.text or "").strip())
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _is_users(frame.filename)]
    return frames[-1] if frames else None


def interrupting_frame(error: BaseException, modules: Collection[str] = ()) -> traceback.FrameSummary | None:
    """The innermost frame of ``error``'s traceback in a plugin file (a module :func:`load_entry_point`
    loaded from a ``.py``) or in one of ``modules`` (``module:Class`` targets), or None.

    Why not :func:`plugin_frame`'s test: a ``KeyboardInterrupt`` that no signal handler noted may
    still be a Ctrl-C caught and re-raised by anyone's code; it is called the plugin's only where
    the plugin's own module raised it.
    """
    found = None
    tb = error.__traceback__
    while tb is not None:
        name = str(tb.tb_frame.f_globals.get("__name__", ""))
        if name.startswith(PLUGIN_MODULE_PREFIX) or any(name == m or name.startswith(f"{m}.") for m in modules):
            code = tb.tb_frame.f_code
            found = traceback.FrameSummary(code.co_filename, tb.tb_lineno, code.co_name)
        tb = tb.tb_next
    return found


def describe(error: BaseException, frame: traceback.FrameSummary) -> str:
    """``error in plugin code FILE, line N, in FUNC: Type: message`` (what to do, for the kinds that
    have no message of their own)."""
    where = f"{frame.filename}, line {frame.lineno}" + (f", in {frame.name}" if frame.name != "<module>" else "")
    if isinstance(error, SyntaxError):
        message = str(error.msg)
    elif isinstance(error, KeyboardInterrupt):
        message = (
            "raised by the code itself, not by Ctrl-C or a signal; the run is marked failed, not interrupted "
            "(resuming would only raise it again): remove the raise"
        )
    elif isinstance(error, SystemExit):
        message = (
            f"sys.exit({echo(error.code, 60)}) called while the run trained; the run is marked failed: plugin code "
            "raises an exception to stop, it never exits the program"
        )
    else:
        message = str(error)
    return f"error in plugin code {where}: {type(error).__name__}: {message}"


def print_plugin_error(error: BaseException, program: str = "lifelong-pose") -> bool:
    """Print ``error`` as a plugin's one-line error when it came from a user's file; False otherwise."""
    frame = plugin_frame(error)
    if frame is None:
        return False
    print(f"{program}: {describe(error, frame)}", file=sys.stderr)
    return True
