"""A plugin's own failure reported as the plugin's, not as the suite's crash: its file, line and message.

Users add strategies, plugins and scenarios as files or modules; when that code raises (at import,
or inside training), a traceback through the suite's internals tells them little. The innermost
frame that belongs to neither the suite nor an installed library is the plugin's line.
"""

from __future__ import annotations

import sys
import sysconfig
import traceback
from pathlib import Path

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


def describe(error: BaseException, frame: traceback.FrameSummary) -> str:
    """``error in plugin code FILE, line N, in FUNC: Type: message``."""
    where = f"{frame.filename}, line {frame.lineno}" + (f", in {frame.name}" if frame.name != "<module>" else "")
    message = error.msg if isinstance(error, SyntaxError) else str(error)
    return f"error in plugin code {where}: {type(error).__name__}: {message}"


def print_plugin_error(error: BaseException, program: str = "lifelong-pose") -> bool:
    """Print ``error`` as a plugin's one-line error when it came from a user's file; False otherwise."""
    frame = plugin_frame(error)
    if frame is None:
        return False
    print(f"{program}: {describe(error, frame)}", file=sys.stderr)
    return True
