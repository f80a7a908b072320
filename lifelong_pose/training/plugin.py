"""The base of lifelong-pose plugins: an Avalanche plugin with recorded options and a strategy check.

Plugins (EMA, replay, EWC, distillation, a user's own) compose with any :class:`LifelongStrategy`:
they only use what every strategy has (the lifter, ``domain``, ``dataloader``, ``domain_batch``,
``training_loss``, ``loss``). Their options are keyword arguments of ``__init__``, so the plugin
registry checks names and types, and :meth:`get_params` records them in ``result.json``.
"""

from __future__ import annotations

import inspect
from typing import Any

from avalanche.core import SupervisedPlugin

from lifelong_pose.training.strategy import LifelongStrategy


class LifelongPlugin(SupervisedPlugin):
    """Avalanche ``SupervisedPlugin`` whose ``__init__`` keyword arguments are its recorded options.

    Subclasses store every ``__init__`` argument under the same attribute name.
    """

    name = "plugin"

    def get_params(self) -> dict[str, Any]:
        """The options, as recorded in ``result.json`` (read back from ``__init__``'s signature)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def changes_source_training(self) -> bool:
        """Whether the plugin acts while the source trains (or changes the lifter it leaves).

        The source cache skips source training only when no plugin does; the conservative default
        says it does. A plugin that starts at a later domain returns False.
        """
        return True

    def lifter_entering(self, strategy: Any) -> None:
        """At the start of every domain, before the engine's normalisation control (``bn``) and any
        plugin's ``before_training_exp``: the one place to replace the lifter a domain starts
        from (EMA's ``carry``). Nothing by default."""

    def check_strategy(self, strategy: Any) -> LifelongStrategy:
        """The strategy, if it is a lifelong-pose one.

        Raises:
            TypeError: an Avalanche strategy that is not a :class:`LifelongStrategy`.
        """
        if not isinstance(strategy, LifelongStrategy):
            raise TypeError(
                f"The {self.name} plugin works with lifelong-pose strategies (LifelongStrategy subclasses), "
                f"got {type(strategy).__name__}"
            )
        return strategy
