"""Conformance checkers: the contract of a strategy and of a scenario as small named checks.

In the style of scikit-learn's ``check_estimator`` and Gymnasium's ``check_env``: each checker is a
generator of :class:`CheckResult` s, run on tiny seeded data, gated by what the subject declares::

    from lifelong_pose.checks import check_strategy
    for result in check_strategy("my_package.methods:MyStrategy"):
        print(result.line())

``lifelong-pose check strategy FILE.py:Class`` and ``lifelong-pose check scenario ID`` print one
line per check and exit 0 only when every check passes.
"""

from __future__ import annotations

from lifelong_pose.checks.result import CheckResult, ConformanceError, assert_all_pass
from lifelong_pose.checks.scenario import check_scenario
from lifelong_pose.checks.strategy import check_strategy

__all__ = ["CheckResult", "ConformanceError", "assert_all_pass", "check_scenario", "check_strategy"]
