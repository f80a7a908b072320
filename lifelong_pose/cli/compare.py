"""``lifelong-pose compare A B [C ...]``: runs side by side, each later one tested against the first.

Each argument is a run folder of ``lifelong-pose run`` (``seed-N/result.json`` records, or one seed
folder's ``result.json``), a record file itself, or a leaderboard entry (a JSON file under
``leaderboard/entries/``, which stores every seed's figures). The table shows the summary figures,
mean ± std over seeds, and, per figure, a two-sided test of each later column against the first.

Why the test depends on the seeds: runs at the same seeds share their world, their weight
initialisation and their batch order, so their figures are paired, and a paired t-test removes the
spread the two runs share (it is often most of it). Runs at other seeds share nothing, so their
seeds are two independent samples, and Welch's t-test (which does not assume equal spreads) is the
honest one. Either way each figure is one test; the p-values are not corrected for the several
figures shown, which the note under the table says.

Records are JSON: this command reads them with jsonschema, numpy and scipy only, never torch, so
comparing finished runs is quick on any machine.
"""

from __future__ import annotations

import argparse
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import ascii_uppercase
from typing import Any

from lifelong_pose.metrics.matrix import figure_lower_is_better, format_mean_std, mean_std
from lifelong_pose.metrics.table import HEADLINE_METRIC, METRIC_KEYS, metric_spec

TRANSFER_FIGURES = ("bwt", "forgetting", "fwt", "adaptation_gain")
"""Figures of the headline metric shown after every metric's final average."""
TRANSFER_LABELS = {"bwt": "BWT", "forgetting": "forgetting", "fwt": "FWT", "adaptation_gain": "adaptation gain"}
MIN_SEEDS_FOR_SPREAD = 3
"""Fewer seeds than this show their mean and their count only: the std of two seeds is so uncertain
(its 95 % interval spans a factor of about 30) that printing it would suggest a precision it lacks."""

ROWS: tuple[tuple[str, str], ...] = (
    *((metric, "final_avg") for metric in METRIC_KEYS),
    *((HEADLINE_METRIC, figure) for figure in TRANSFER_FIGURES),
)
"""(metric, figure) of every row of the table, in order."""


@dataclass(frozen=True)
class Column:
    """One argument of ``compare``: a configuration's per-seed figures and what it is.

    Attributes:
        source: the argument as given (a folder or a file).
        name: the strategy id (a run) or the entry's name (a leaderboard entry).
        scenario: the scenario id, with version.
        backend: ``sim`` or ``real``.
        profile: ``quick`` or ``paper``.
        domains: the stream's domains, in order (two runs of one scenario on other domains differ).
        figures: seed -> metric -> figure -> value (None where the figure is undefined).
    """

    source: str
    name: str
    scenario: str
    backend: str
    profile: str
    domains: tuple[str, ...]
    figures: dict[int, dict[str, dict[str, float | None]]]

    @property
    def seeds(self) -> list[int]:
        return sorted(self.figures)

    def values(self, metric: str, figure: str) -> dict[int, float]:
        """Seed -> value of one figure, for the seeds where it is defined."""
        by_seed = {seed: self.figures[seed].get(metric, {}).get(figure) for seed in self.seeds}
        return {seed: float(value) for seed, value in by_seed.items() if value is not None}


@dataclass(frozen=True)
class Comparison:
    """A two-sided test of one figure of one column against the first column.

    Attributes:
        kind: ``paired t`` or ``Welch t``.
        p_value: None where a side has fewer than two seeds (nothing to test).
        difference: mean of the column minus mean of the first (None where either is undefined).
        n: seeds in the test (pairs for a paired test; the smaller side for Welch).
    """

    kind: str
    p_value: float | None
    difference: float | None
    n: int


def add_compare_parser(commands: Any) -> None:
    compare = commands.add_parser(
        "compare",
        help="summary figures of runs or leaderboard entries side by side, each tested against the first",
        description="Print the summary figures of two or more runs of one scenario side by side (mean ± std over "
        "seeds) and test each later column against the first, per figure: a paired t-test where both hold the "
        "same seeds, Welch's t-test otherwise (two-sided).",
    )
    compare.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="a run folder (seed-N/result.json or result.json), a result.json, or a leaderboard entry (.json)",
    )


def compare_command(args: argparse.Namespace) -> int:
    """Print the comparison; refuse (ValueError, exit 2) what cannot be compared fairly."""
    print(comparison_text(load_columns(args.runs)))
    return 0


def load_columns(sources: Sequence[str | Path]) -> list[Column]:
    """One column per source, all of one scenario.

    Raises:
        ValueError: fewer than two sources, a source holding no record or entry, an incomplete or
            invalid record, or sources of different scenarios (naming both).
    """
    if len(sources) < 2:
        raise ValueError(f"compare needs two or more runs or entries, got {len(sources)}")
    columns = [load_column(source) for source in sources]
    first = columns[0]
    for column in columns[1:]:
        here, there = _stream(first), _stream(column)
        if here != there:
            raise ValueError(
                f"{first.source} is a run of {here}, {column.source} of {there}; compare runs of one scenario"
            )
        if column.domains != first.domains:
            raise ValueError(
                f"{first.source} and {column.source} ran {first.scenario} on other domains "
                f"({', '.join(first.domains)} against {', '.join(column.domains)}); they cannot be compared"
            )
    return columns


def _stream(column: Column) -> str:
    return f"{column.scenario} ({column.backend} data)"


def load_column(source: str | Path) -> Column:
    """The records of a run folder, a ``result.json`` or a leaderboard entry, as one column.

    Raises:
        ValueError: nothing readable there, an invalid file, or a record that is not complete.
    """
    from lifelong_pose.leaderboard.guard import clip, read_json
    from lifelong_pose.runner.record import RESULT_FILE

    path = Path(source)
    if path.is_dir():
        files = [path / RESULT_FILE] if (path / RESULT_FILE).is_file() else sorted(path.glob(f"seed-*/{RESULT_FILE}"))
        if not files:
            raise ValueError(
                f"{clip(path)}: no {RESULT_FILE} here or in seed-*/ (not a run folder of 'lifelong-pose run')"
            )
        return _records_column(str(source), [(file, read_json(file, follow_links=True)) for file in files])
    if not path.is_file():
        raise ValueError(f"{clip(path)}: no such run folder or file")
    data = read_json(path, follow_links=True)
    schema = data.get("schema") if isinstance(data, dict) else None
    from lifelong_pose.leaderboard.entry import ENTRY_SCHEMA_ID

    if schema == ENTRY_SCHEMA_ID:
        return _entry_column(str(source), data)
    return _records_column(str(source), [(path, data)])


def _records_column(source: str, found: Sequence[tuple[Path, Any]]) -> Column:
    """A column from one run's seed records, each validated and required complete."""
    from lifelong_pose.runner.record import RESULT_SCHEMA_ID, validate_record

    records = []
    for path, data in found:
        if not isinstance(data, dict) or data.get("schema") != RESULT_SCHEMA_ID:
            raise ValueError(f"{path}: neither a run record ({RESULT_SCHEMA_ID}) nor a leaderboard entry")
        record = validate_record(data, str(path))
        if record["status"] != "complete":
            raise ValueError(
                f"{path}: seed {record['seed']} is {record['status']} ({record['completed_domains']} of "
                f"{len(record['domains'])} domains), not complete; finish it with 'lifelong-pose run ... --resume' "
                "first"
            )
        records.append(record)
    first = records[0]
    for record in records[1:]:
        for part, value in (("strategy", record["strategy"]["id"]), ("scenario", record["scenario"]["id"])):
            expected = first[part]["id"]
            if value != expected:
                raise ValueError(f"{source}: its seeds are of different runs ({part} {expected} and {value})")
    seeds = [record["seed"] for record in records]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{source}: seed {_repeated(seeds)} is recorded twice")
    return Column(
        source=source,
        name=first["strategy"]["id"],
        scenario=first["scenario"]["id"],
        backend=first["data"]["backend"],
        profile=first["profile"],
        domains=tuple(first["domains"]),
        figures={record["seed"]: _figures(record["figures"]) for record in records},
    )


def _entry_column(source: str, data: Mapping[str, Any]) -> Column:
    """A column from a leaderboard entry's per-seed figures (a paper's reported row has none)."""
    from lifelong_pose.leaderboard.entry import validate_entry

    entry = validate_entry(data, source)
    if entry["kind"] != "reproduced":
        raise ValueError(f"{source}: a paper's reported figures, without per-seed results; nothing to test")
    configuration = entry["configuration"]
    seeds = [run["seed"] for run in entry["seeds"]]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"{source}: seed {_repeated(seeds)} is recorded twice")
    return Column(
        source=source,
        name=entry["name"],
        scenario=configuration["scenario"],
        backend=configuration["backend"],
        profile=configuration["profile"],
        domains=tuple(entry["domains"]),
        figures={run["seed"]: _figures(run["figures"]) for run in entry["seeds"]},
    )


def _figures(figures: Mapping[str, Any]) -> dict[str, dict[str, float | None]]:
    """Metric -> figure -> value of one seed (the ``lower_is_better`` flags left out)."""
    return {
        metric: {name: value for name, value in by_figure.items() if name != "lower_is_better"}
        for metric, by_figure in figures.items()
    }


def _repeated(seeds: Sequence[int]) -> int:
    return next(seed for seed in seeds if seeds.count(seed) > 1)


def tested_against(first: Column, other: Column, metric: str, figure: str) -> Comparison:
    """Two-sided test of ``other``'s figure against ``first``'s: paired where both hold the same seeds.

    A paired test whose differences are all equal has no spread: p is 0 for a non-zero difference
    and 1 for none, the convention of :func:`~lifelong_pose.leaderboard.ranking.welch_p_value`.
    """
    a, b = first.values(metric, figure), other.values(metric, figure)
    difference = _mean(b.values()) - _mean(a.values()) if a and b else None
    if first.seeds == other.seeds:
        common = sorted(set(a) & set(b))
        p_value = _paired_p_value([a[seed] for seed in common], [b[seed] for seed in common])
        return Comparison("paired t", p_value, difference, len(common))
    from lifelong_pose.leaderboard.ranking import welch_p_value

    p_value = welch_p_value(list(a.values()), list(b.values())) if a and b else None
    return Comparison("Welch t", p_value, difference, min(len(a), len(b)))


def _paired_p_value(a: Sequence[float], b: Sequence[float]) -> float | None:
    if len(a) < 2:
        return None
    from scipy.stats import ttest_rel

    with warnings.catch_warnings():  # nearly equal pairs: scipy warns of precision loss, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        p_value = float(ttest_rel(b, a).pvalue)
    return 1.0 if math.isnan(p_value) else p_value  # nan: every difference is zero


def _mean(values: Any) -> float:
    values = list(values)
    return sum(values) / len(values)


def figure_cell(values: Sequence[float]) -> str:
    """Mean ± std over seeds, or the mean and ``(n=1)``/``(n=2)`` below :data:`MIN_SEEDS_FOR_SPREAD` seeds."""
    mean, std, n = mean_std(list(values))
    if n == 0:
        return "n/a"
    if n < MIN_SEEDS_FOR_SPREAD:
        return f"{format_mean_std(mean, None)} (n={n})"
    return format_mean_std(mean, std, n=n)


def format_p(p_value: float) -> str:
    """A p-value in three significant digits (``0.0123``, ``4.56e-05``)."""
    return f"{p_value:.3g}"


def difference_cell(test: Comparison) -> str:
    """``+4.8 (paired t, p=0.0123)``; ``n/a`` and why where there is nothing to test."""
    if test.difference is None:
        return "n/a"
    change = f"{test.difference:+.1f}"
    if test.p_value is None:
        return f"{change} ({test.kind}: n/a, fewer than 2 seeds)"
    return f"{change} ({test.kind}, p={format_p(test.p_value)})"


def row_label(metric: str, figure: str) -> str:
    spec = metric_spec(metric)
    if figure == "final_avg":
        return f"final avg {spec.label} ({spec.unit})"
    return f"{TRANSFER_LABELS[figure]} ({spec.label}, {spec.unit})"


def comparison_text(columns: Sequence[Column]) -> str:
    """The legend, the table and the note on the tests, as printed."""
    from tabulate import tabulate

    letters = [ascii_uppercase[i] if i < len(ascii_uppercase) else f"#{i + 1}" for i in range(len(columns))]
    first = columns[0]
    lines = [f"{first.scenario} ({first.backend} data, {len(first.domains)} domains)"]
    for letter, column in zip(letters, columns, strict=True):
        seeds = ", ".join(map(str, column.seeds))
        lines.append(f"  {letter}: {column.name}, {column.profile} profile, seeds {seeds} (n={len(column.seeds)})")
        lines.append(f"     {column.source}")
    lines.append("")
    headers = ["figure", "better", *letters, *(f"{letter} - A" for letter in letters[1:])]
    table = []
    for metric, figure in ROWS:
        lower = figure_lower_is_better(figure, metric_spec(metric).lower_is_better)
        cells = [figure_cell(list(column.values(metric, figure).values())) for column in columns]
        tests = [difference_cell(tested_against(first, column, metric, figure)) for column in columns[1:]]
        table.append([row_label(metric, figure), "lower" if lower else "higher", *cells, *tests])
    lines.append(tabulate(table, headers=headers, disable_numparse=True))
    lines.append("")
    lines.append(
        "Two-sided tests of each column against A, one per figure: a paired t-test where both hold the same "
        "seeds, Welch's t-test otherwise; p-values are not corrected for the figures tested together."
    )
    profiles = {column.profile for column in columns}
    if len(profiles) > 1:
        lines.append(f"Note: the columns ran at different profiles ({', '.join(sorted(profiles))}).")
    return "\n".join(lines)
