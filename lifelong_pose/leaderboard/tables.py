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
    help: list[str] = field(default_factory=list)  # what each header means, shown on hover
    resource_columns: int = 0  # how many of the last columns are resources (the page can fold them)


def group_key(entry: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """What a reproduced entry must share with the others in its table."""
    c = entry["configuration"]
    return (c["backend"], c["scenario"], c["profile"], c["fingerprint"])


MIN_SEEDS_FOR_SPREAD = 3
"""Below this many seeds a cell shows the mean and ``n=1``/``n=2``, no ± (two values make no spread to print)."""


def _mean_std(stats: Mapping[str, Any]) -> str:
    """``39.9 ± 1.6`` over 3 seeds or more; ``39.9 (n=2)`` below; ``n/a`` for none."""
    if not stats["n"]:
        return "n/a"
    if stats["n"] < MIN_SEEDS_FOR_SPREAD:
        return f"{format_mean_std(stats['mean'], None)} (n={stats['n']})"
    return format_mean_std(stats["mean"], stats["std"])


STREAM_ORDER = ("cross_dataset", "cross_scenario", "cross_camera", "long_stream")
"""The built-in streams in the order a reader meets them: the headline stream first; others follow by name."""


def _stream_rank(scenario: str) -> tuple[int, str]:
    base = scenario.rpartition("/")[2].rsplit("-v", 1)[0]
    return (STREAM_ORDER.index(base) if base in STREAM_ORDER else len(STREAM_ORDER), scenario)


FIGURE_HELP = {
    "final_avg": "mean over every domain of the error after the last domain (the last row of R)",
    "avg": "mean over time of the average error on the domains seen so far",
    "bwt": "backward transfer: how the error on each earlier domain changed after later ones (negative: forgotten)",
    "forgetting": "mean over earlier domains of the worst drop from the best value ever reached on it",
    "fwt": "forward transfer: the error on each target before adapting to it, against the source-only lifter's",
    "adaptation_gain": "mean over targets of R[0, j] - R[j, j]: what adapting to a target bought on that target",
}
RESOURCE_HELP = {
    "seeds": "training seeds the row's mean and spread are over",
    "source data kept": "whether the method keeps source data through the targets",
    "kept (MB)": "bytes the method keeps between domains (memories, networks), in MB",
    "extra params": "parameters trained besides the lifter",
    "target 2D": "whether the method reads the targets' unlabelled 2D",
    "target 3D": "whether the method reads target 3D labels (an oracle)",
    "time (s)": "wall-clock seconds per seed",
}


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
        "not separate from it; ties never chain through neighbours. With 3 seeds a row whose seeds spread widely can "
        "tie with the best row although its mean is far from it: its ± says why. Oracles read target 3D and are not "
        "ranked.",
    ]
    help_texts = [
        "rank by final average; '=' ties with the group's best row under a direct test",
        "strategy, the options that differ from its defaults, plugins",
        *(FIGURE_HELP[f] + f" ({spec.display})" for f in FIGURES),
        *(RESOURCE_HELP[h] for h in RESOURCE_HEADERS),
    ]
    return Table(
        id=f"{backend}-{scenario}-{profile}-{fingerprint[:8]}-{metric}",
        title=f"{scenario} · {backend} · {profile}",
        headers=headers,
        rows=rows,
        kind="reproduced",
        notes=notes,
        help=help_texts,
        resource_columns=len(RESOURCE_HEADERS),
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
            source = f"{entry['citation']['paper']}, {entry['citation']['table']}"
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
    order = sorted(groups, key=lambda key: (key[0], _stream_rank(key[1]), key[2], key[3]))
    tables = [reproduced_table(groups[key], metric) for key in order]
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


LATEX_DEFAULT_COLUMNS = ("final_avg", "bwt", "forgetting", "adaptation_gain")
"""Figures a LaTeX table shows unless ``columns`` says otherwise: what a paper's table usually holds."""


def latex(tables: Sequence[Table], columns: Sequence[str] | None = None) -> str:
    """Every table as a booktabs ``table`` (needs ``\\usepackage{booktabs}``): ``mean $\\pm$ std`` cells,
    the best row of each group (rank 1 and its ties) in bold, and only the figures in ``columns``
    (names of :data:`~lifelong_pose.metrics.matrix.FIGURES`; default :data:`LATEX_DEFAULT_COLUMNS`).
    Reported tables keep their own columns.

    Raises:
        ValueError: a column that is no figure (naming the known ones).
    """
    chosen = list(columns) if columns is not None else list(LATEX_DEFAULT_COLUMNS)
    unknown = [c for c in chosen if c not in FIGURES]
    if unknown or not chosen:
        raise ValueError(f"--columns {','.join(unknown) or '(none)'}: choose among {', '.join(FIGURES)}")
    parts = []
    for table in tables:
        if table.kind == "reproduced":
            headers, rows = _latex_reproduced(table, chosen)
        else:
            headers = [escape_latex(h) for h in table.headers]
            rows = [[escape_latex(cell) for cell in row.cells] for row in table.rows]
        caption = escape_latex(f"{table.title}. {' '.join(table.notes)}")
        caption = caption.replace("±", "$\\pm$").replace("·", "$\\cdot$").replace("->", "$\\to$")
        alignment = "l" * 2 + "r" * (len(headers) - 2)
        parts += [
            "\\begin{table}[t]",
            "\\centering",
            f"\\caption{{{caption}}}",
            f"\\begin{{tabular}}{{{alignment}}}",
            "\\toprule",
            " & ".join(headers) + " \\\\",
            "\\midrule",
            *(" & ".join(cells) + " \\\\" for cells in rows),
            "\\bottomrule",
            "\\end{tabular}",
            "\\end{table}",
            "",
        ]
    return "\n".join(parts)


def _latex_reproduced(table: Table, columns: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of a reproduced table in LaTeX: rank, entry and the chosen figures."""
    metric = _table_metric(table)
    headers = ["rank", "entry", *(escape_latex(FIGURE_LABELS[c]) for c in columns)]
    rows = []
    for row in table.rows:
        best = row.cells[0].rstrip("=") == "1"
        cells = [escape_latex(row.cells[0]), escape_latex(row.entry["name"])]
        for column in columns:
            stats = row.entry["figures"][metric][column]
            cells.append(_latex_mean_std(stats))
        if best:
            cells = [f"\\textbf{{{cell}}}" for cell in cells]
        rows.append(cells)
    return headers, rows


def _latex_mean_std(stats: Mapping[str, Any]) -> str:
    if not stats["n"]:
        return "n/a"
    mean = format_mean_std(stats["mean"], None)
    if stats["n"] < MIN_SEEDS_FOR_SPREAD:
        return f"{mean} ($n={stats['n']}$)"
    return f"{mean} $\\pm$ {format_mean_std(stats['std'], None)}"


def _table_metric(table: Table) -> str:
    """The metric family of a reproduced table (the last part of its id)."""
    return table.id.rsplit("-", 1)[1]


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
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def escape_latex(text: str) -> str:
    """``text`` with LaTeX's special characters escaped (``<``, ``>`` and ``|`` too: in LaTeX's default
    font encoding they print as other glyphs)."""
    return "".join(_LATEX_SPECIAL.get(char, char) for char in text)


def csv_text(tables: Sequence[Table]) -> str:
    """Every table as rows of one CSV, first column naming the table; numbers stay numbers.

    A reproduced table gives each figure three columns, ``<figure> mean``, ``<figure> std`` and
    ``<figure> n`` (empty where undefined), then its rank, entry and resources as shown; a
    reported table its values as published.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for table in tables:
        if table.kind != "reproduced":
            writer.writerow(["table", *table.headers])
            for row in table.rows:
                writer.writerow([table.title, *(_csv_value(value) for value in row.sort[:-1]), row.cells[-1]])
            continue
        metric = _table_metric(table)
        figure_headers = [f"{FIGURE_LABELS[f]} {suffix}" for f in FIGURES for suffix in ("mean", "std", "n")]
        resources = table.headers[len(table.headers) - table.resource_columns :]
        writer.writerow(["table", "rank", "entry", *figure_headers, *resources])
        for row in table.rows:
            figures = row.entry["figures"][metric]
            numbers = [
                _csv_value(figures[f][key] if key != "std" or figures[f]["n"] >= 2 else None)
                for f in FIGURES
                for key in ("mean", "std", "n")
            ]
            resources_sorted = list(row.sort[len(row.sort) - table.resource_columns :])
            resources_sorted[2] = round(float(resources_sorted[2] or 0) / 1e6, 3)  # kept bytes -> MB, as headed
            writer.writerow([table.title, row.cells[0], row.entry["name"], *numbers, *resources_sorted])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    """A number as ``repr`` gives it (full precision), None as an empty cell."""
    return "" if value is None else value
