"""Leaderboard tables: entries grouped so that only comparable runs share a table, rows ranked honestly.

A table holds the reproduced entries of one (data backend, scenario id and version, profile, data
fingerprint): sim and real, v1 and v2, quick and paper, or two world seeds never share one. Rows
show mean ± std over seeds of the chosen metric family's figures and the resources each entry used;
ranks follow :mod:`lifelong_pose.leaderboard.ranking` on the final average; entries that read
target 3D (the oracle) are shown last and never ranked. Papers' reported figures get tables of
their own, one per setting and metric.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lifelong_pose.leaderboard.guard import clip
from lifelong_pose.leaderboard.ranking import TEST_NAME, rank
from lifelong_pose.metrics.matrix import FIGURES, format_mean_std
from lifelong_pose.metrics.table import metric_spec
from lifelong_pose.runner.tables import FIGURE_LABELS

RESOURCE_HEADERS = ("seeds", "source data kept", "kept (MB)", "extra params", "target 2D", "target 3D", "time (s)")


@dataclass
class Row:
    """One entry's cells (text) and the values a sortable table orders them by."""

    cells: list[str]
    sort: list[float | str | None]
    entry: Mapping[str, Any]


@dataclass
class Table:
    """A titled table of rows with the same headers; ``notes`` say how to read it."""

    id: str
    title: str
    headers: list[str]
    rows: list[Row]
    kind: str  # "reproduced" or "reported"
    notes: list[str] = field(default_factory=list)


def group_key(entry: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """What a reproduced entry must share with the others in its table."""
    c = entry["configuration"]
    return (c["backend"], c["scenario"], c["profile"], c["fingerprint"])


def _mean_std(stats: Mapping[str, Any]) -> str:
    return format_mean_std(stats["mean"], stats["std"]) if stats["n"] else "n/a"


def _per_seed(entry: Mapping[str, Any], metric: str, figure: str) -> list[float]:
    return [run["figures"][metric][figure] for run in entry["seeds"] if run["figures"][metric][figure] is not None]


def _resource_cells(entry: Mapping[str, Any]) -> tuple[list[str], list[float | str | None]]:
    r = entry["resources"]
    seeds = len(entry["seeds"])
    time_s = sum(run["total_s"] for run in entry["seeds"]) / seeds
    cells = [
        f"{seeds} (few seeds)" if entry["few_seeds"] else str(seeds),
        "yes" if r["keeps_source_data"] else "no",
        f"{r['kept_bytes'] / 1e6:.1f}",
        f"{r['extra_parameters']:,}",
        "yes" if r["uses_target_data"] else "no",
        "yes (oracle)" if r["reads_target_3d"] else "no",
        f"{time_s:.0f}",
    ]
    sort: list[float | str | None] = [
        seeds,
        cells[1],
        r["kept_bytes"],
        r["extra_parameters"],
        cells[4],
        cells[5],
        time_s,
    ]
    return cells, sort


def reproduced_table(entries: Sequence[Mapping[str, Any]], metric: str = "mpjpe") -> Table:
    """One table of comparable reproduced entries (they must share :func:`group_key`), ranked.

    Raises:
        ValueError: entries of different groups, or none.
    """
    if not entries:
        raise ValueError("a table needs at least one entry")
    keys = {group_key(entry) for entry in entries}
    if len(keys) != 1:
        raise ValueError(f"entries of different groups cannot share a table: {clip(sorted(keys), 500)}")
    spec = metric_spec(metric)
    backend, scenario, profile, fingerprint = keys.pop()
    ranked = [e for e in entries if not e["oracle"]]
    oracles = [e for e in entries if e["oracle"]]
    ranks = rank([_per_seed(e, metric, "final_avg") or [float("inf")] for e in ranked], spec.lower_is_better)
    order = sorted(range(len(ranked)), key=lambda i: (ranks[i].rank, ranked[i]["figures"][metric]["final_avg"]["mean"]))
    rows = []
    for index in order:
        rows.append(_row(ranked[index], metric, str(ranks[index]), ranks[index].rank))
    for entry in sorted(oracles, key=lambda e: e["name"]):
        rows.append(_row(entry, metric, "not ranked (oracle)", None))
    headers = [
        "rank",
        "entry",
        *(f"{FIGURE_LABELS[f]} {spec.display}" if f in ("final_avg", "avg") else FIGURE_LABELS[f] for f in FIGURES),
    ]
    headers += list(RESOURCE_HEADERS)
    world_seed = entries[0]["configuration"]["world_seed"]
    domains = " -> ".join(entries[0]["domains"])
    notes = [
        f"Stream {scenario} ({domains}), {backend} data (world seed {world_seed}, fingerprint {fingerprint[:12]}), "
        f"{profile} profile. Mean ± std over seeds; transfer figures of {spec.label}.",
        f"Ranked by final average {spec.label} ({'lower' if spec.lower_is_better else 'higher'} is better); "
        f"'=' marks a tie with the best row of its group, which a direct test against that row ({TEST_NAME}) does "
        "not separate from it; ties never chain through neighbours. Oracles read target 3D and are not ranked.",
    ]
    return Table(
        id=f"{backend}-{scenario}-{profile}-{fingerprint[:8]}-{metric}",
        title=f"{scenario} · {backend} · {profile}",
        headers=headers,
        rows=rows,
        kind="reproduced",
        notes=notes,
    )


def _row(entry: Mapping[str, Any], metric: str, rank_text: str, rank_value: int | None) -> Row:
    figures = entry["figures"][metric]
    cells = [rank_text, entry["name"], *(_mean_std(figures[f]) for f in FIGURES)]
    sort: list[float | str | None] = [rank_value, entry["name"], *(figures[f]["mean"] for f in FIGURES)]
    resource_cells, resource_sort = _resource_cells(entry)
    return Row(cells + resource_cells, sort + resource_sort, entry)


def reported_tables(entries: Sequence[Mapping[str, Any]]) -> list[Table]:
    """The papers' reported figures: one table per (setting, metric), columns as the papers print them."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for entry in entries:
        groups[(entry["setting"], entry["metric"])].append(entry)
    tables = []
    for (setting, metric), members in sorted(groups.items()):
        spec = metric_spec(metric)
        columns = list(dict.fromkeys(column for entry in members for column in entry["values"]))
        headers = ["entry", *columns, "average", "source"]
        rows = []
        for entry in sorted(members, key=lambda e: e["name"]):
            values = [entry["values"].get(column) for column in columns]
            cells = [entry["name"], *("" if v is None else f"{v:.1f}" for v in values)]
            source = f"{entry['citation']['paper'].split(':')[0]}, {entry['citation']['table']}"
            cells += ["" if entry["average"] is None else f"{entry['average']:.1f}", source]
            rows.append(Row(cells, [entry["name"], *values, entry["average"], source], entry))
        tables.append(
            Table(
                id=f"reported-{len(tables)}-{metric}",
                title=f"Reported: {setting} · {spec.label}",
                headers=headers,
                rows=rows,
                kind="reported",
                notes=[
                    f"{spec.display} as published by each paper on real data (not reproduced here, never ranked "
                    "with reproduced runs); the source names the paper's table."
                ],
            )
        )
    return tables


def board_tables(
    entries: Sequence[Mapping[str, Any]],
    metric: str = "mpjpe",
    *,
    scenario: str | None = None,
    backend: str | None = None,
    profile: str | None = None,
) -> list[Table]:
    """Every table of the board for ``metric``: reproduced groups (optionally filtered), then reported ones.

    ``scenario`` matches an id with or without its version (``cross_dataset`` or ``cross_dataset-v2``).
    """
    metric_spec(metric)  # an unknown metric fails here, with the known ones
    groups: dict[tuple[str, str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for entry in entries:
        if entry["kind"] != "reproduced":
            continue
        key = group_key(entry)
        if (backend and key[0] != backend) or (profile and key[2] != profile):
            continue
        if scenario and scenario not in (key[1], key[1].rsplit("-v", 1)[0]):
            continue
        groups[key].append(entry)
    tables = [reproduced_table(groups[key], metric) for key in sorted(groups)]
    if backend in (None, "real") and scenario is None:
        tables += reported_tables([e for e in entries if e["kind"] == "reported" and e["metric"] == metric])
    return tables


def escape_markdown(text: str) -> str:
    """``text`` safe in a Markdown table: a ``|`` would split the cell, a ``<`` could open raw HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|")


def markdown(tables: Sequence[Table]) -> str:
    """Every table as GitHub Markdown under a heading, with its notes (every text escaped)."""
    from tabulate import tabulate

    parts = []
    for table in tables:
        parts += [f"### {escape_markdown(table.title)}", "", *map(escape_markdown, table.notes), ""]
        cells = [[escape_markdown(cell) for cell in row.cells] for row in table.rows]
        parts += [tabulate(cells, headers=[escape_markdown(h) for h in table.headers], tablefmt="github"), ""]
    return "\n".join(parts)


def latex(tables: Sequence[Table]) -> str:
    """Every table as a booktabs ``table`` environment (needs ``\\usepackage{booktabs}``)."""
    from tabulate import tabulate

    parts = []
    for table in tables:
        body = tabulate([row.cells for row in table.rows], headers=table.headers, tablefmt="latex_booktabs")
        caption = escape_latex(f"{table.title}. {' '.join(table.notes)}")
        parts += [
            "\\begin{table}[t]",
            "\\centering",
            f"\\caption{{{caption}}}",
            "\\resizebox{\\textwidth}{!}{%",
            body,
            "}",
            "\\end{table}",
            "",
        ]
    return "\n".join(parts)


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\^{}",
}


def escape_latex(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (tabulate escapes cells, not captions)."""
    return "".join(_LATEX_SPECIAL.get(char, char) for char in text)


def csv_text(tables: Sequence[Table]) -> str:
    """Every table as rows of one CSV, with a first column naming the table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for table in tables:
        writer.writerow(["table", *table.headers])
        for row in table.rows:
            writer.writerow([table.title, *row.cells])
    return buffer.getvalue()
