"""The leaderboard: entries filed from run records, checked against their matrices, rendered as tables and a site.

Light to import (jsonschema and the metric functions only); rendering loads tabulate, jinja2 and
seaborn when it runs.
"""

from lifelong_pose.leaderboard.board import Board, find_records
from lifelong_pose.leaderboard.entry import (
    ENTRY_SCHEMA,
    MIN_SEEDS,
    EntryError,
    entry_from_records,
    recompute,
    validate_entry,
)
from lifelong_pose.leaderboard.ranking import TEST_NAME, rank, significantly_different
from lifelong_pose.leaderboard.reported import reported_entries

__all__ = [
    "ENTRY_SCHEMA",
    "MIN_SEEDS",
    "TEST_NAME",
    "Board",
    "EntryError",
    "entry_from_records",
    "find_records",
    "rank",
    "recompute",
    "reported_entries",
    "significantly_different",
    "validate_entry",
]
