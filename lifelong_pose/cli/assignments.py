"""``--set key=value``: options for the strategy (``lpa=false``) or a plugin (``ema.eta=0.999``).

Values are read as the command line would mean them: ``true``/``false``, ``none``, integers,
floats, and text otherwise. Names and types are then checked by the registry against the
strategy's ``Params`` or the plugin's ``__init__``, which gives suggestions for typos.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lifelong_pose.registry.ids import parse_id


def parse_value(text: str) -> Any:
    """``"false"`` -> False, ``"none"`` -> None, ``"3"`` -> 3, ``"1e-4"`` -> 0.0001, else the text."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("none", "null"):
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def split_assignments(
    assignments: Sequence[str], plugins: Sequence[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Route ``--set`` values: ``name.key=value`` to plugin ``name``, ``key=value`` to the strategy.

    Args:
        assignments: the ``--set`` arguments, in order.
        plugins: the ``--plugin`` ids of the run (``ema``, ``ema-v0``).

    Returns:
        (strategy options, {plugin name: options}).

    Raises:
        ValueError: no ``=``, an empty key or value, a key set twice, or a plugin prefix that is not
            one of the run's plugins (naming them).
    """
    names = {parse_id(plugin).base for plugin in plugins}
    strategy: dict[str, Any] = {}
    by_plugin: dict[str, dict[str, Any]] = {}
    for assignment in assignments:
        key, equals, text = assignment.partition("=")
        key = key.strip()
        if not equals or not key or not text.strip():
            raise ValueError(f"--set expects key=value (e.g. lpa=false or ema.eta=0.999), got {assignment!r}")
        prefix, dot, option = key.rpartition(".")
        if dot:
            base = parse_id(prefix).base if prefix else prefix
            if base not in names:
                given = ", ".join(sorted(names)) or "none"
                raise ValueError(
                    f"--set {assignment!r}: {prefix!r} is not a plugin of this run (plugins: {given}); "
                    f"add --plugin {prefix} or set a strategy option without a prefix"
                )
            target = by_plugin.setdefault(base, {})
        else:
            option, target = key, strategy
        if option in target:
            raise ValueError(f"--set gives {key!r} twice")
        target[option] = parse_value(text)
    return strategy, by_plugin
