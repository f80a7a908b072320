"""``lifelong-pose leaderboard build``: Markdown, LaTeX, CSV and a static HTML site from the board's entries.

The site is one ``index.html`` (jinja2 template, inline CSS and script: sortable tables, a switch
between metric families) and PNG pictures of each reproduced entry's result matrix and per-domain
curves (seaborn, the run report's own plots), so it works offline, with no CDN, from any folder.

Every value an entry holds is text the board did not write (names, option values, domain names,
papers' rows), so the page is rendered with autoescaping on for the ``.j2`` template and builds no
markup in Python: a ``<script>`` in an option value shows as text, never runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lifelong_pose.leaderboard.board import reproduce_command
from lifelong_pose.leaderboard.tables import board_tables, csv_text, latex, markdown
from lifelong_pose.metrics.table import METRIC_KEYS, metric_spec

IMAGES_METRIC = "mpjpe"
OUTPUTS = ("leaderboard.md", "leaderboard.tex", "leaderboard.csv", "index.html")


def _as_records(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields of run records the report's plots and diagnostics tables read, one per seed of ``entry``."""
    return [
        {
            "domains": entry["domains"],
            "completed_domains": len(entry["domains"]),
            "diagnostics": run.get("diagnostics"),
            "seed": run["seed"],
            "matrices": run["matrices"],
            "figures": {m: {"lower_is_better": {"final_avg": metric_spec(m).lower_is_better}} for m in METRIC_KEYS},
            "strategy": {"id": entry["name"]},
            "scenario": {"id": entry["configuration"]["scenario"]},
        }
        for run in entry["seeds"]
    ]


def _plain_text(text: str) -> str:
    """``text`` as matplotlib draws it literally: a ``$`` would start mathtext, and bad mathtext fails the build."""
    return text.replace("$", r"\$")


def draw_entry(entry: Mapping[str, Any], folder: Path) -> dict[str, str]:
    """The entry's heatmap (mean R over seeds) and curves as PNGs in ``folder``; paths relative to its parent."""
    from lifelong_pose.runner.report import plot_curves, plot_heatmap

    folder.mkdir(parents=True, exist_ok=True)
    records = [
        record
        | {
            "domains": [_plain_text(name) for name in record["domains"]],
            "strategy": {"id": _plain_text(record["strategy"]["id"])},
            "scenario": {"id": _plain_text(record["scenario"]["id"])},
        }
        for record in _as_records(entry)
    ]
    heatmap = plot_heatmap(records, IMAGES_METRIC, folder / f"{entry['key']}-heatmap.png")
    curves = plot_curves(records, folder / f"{entry['key']}-curves.png", IMAGES_METRIC)
    return {"heatmap": f"{folder.name}/{heatmap.name}", "curves": f"{folder.name}/{curves.name}"}


def entry_diagnostics(entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The entry's learning diagnostics as the page shows them: tables of headers and text rows
    (:func:`lifelong_pose.runner.tables.diagnostics_rows`, mean ± std over seeds); [] for none."""
    from lifelong_pose.runner.tables import DIAGNOSTICS_HEADERS, METHOD_HEADERS, diagnostics_rows

    change_rows, method_rows = diagnostics_rows(_as_records(entry))
    tables = [
        {"caption": caption, "headers": list(headers), "rows": rows}
        for caption, headers, rows in (
            ("what each target changed: weights, predictions, BatchNorm statistics", DIAGNOSTICS_HEADERS, change_rows),
            ("the method's generators and critic, at each target's start and end", METHOD_HEADERS, method_rows),
        )
        if rows
    ]
    return tables


GLOSSARY: tuple[tuple[str, str], ...] = (
    ("R", "the result matrix: R[i, j] is the error on domain j's test split after training on domains 0..i"),
    ("final avg", "mean of the last row of R: every domain's error once the whole stream is done"),
    (
        "BWT",
        "backward transfer: mean over earlier domains of R[last, j] - R[j, j] (for errors, sign-flipped "
        "so that negative means forgotten)",
    ),
    ("forgetting", "mean over earlier domains of the largest drop from the best value reached on each"),
    (
        "FWT",
        "forward transfer: mean over targets of the error before adapting to it, against the source-only "
        "lifter's error there",
    ),
    ("adaptation gain", "mean over targets of R[0, j] - R[j, j]: what adapting to a target bought on it"),
    (
        "rank",
        "by final average; '=' marks a row a direct Welch test against the group's best row (two-sided, "
        "5 %, Holm-corrected over the group) does not separate from it; ties never chain",
    ),
)
"""The page's glossary: each summary figure, in one line."""


def write_configurations(
    entries: Mapping[str, Mapping[str, Any]], commands: Mapping[str, str], folder: Path
) -> dict[str, str]:
    """Each entry's configuration, name and reproducing command as ``folder/<key>.json``; key -> relative path."""
    from lifelong_pose.runner.checkpoint import atomic_write_text

    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, entry in entries.items():
        document = {
            "name": entry["name"],
            "key": key,
            "command": commands[key],
            "configuration": entry["configuration"],
        }
        atomic_write_text(folder / f"{key}.json", json.dumps(document, indent=1, sort_keys=True) + "\n")
        paths[key] = f"{folder.name}/{key}.json"
    return paths


def build_site(
    entries: Sequence[Mapping[str, Any]],
    out: Path | str,
    *,
    metric: str = "mpjpe",
    title: str = "lifelong-pose leaderboard",
    images: bool = True,
    columns: Sequence[str] | None = None,
    **filters: str | None,
) -> list[Path]:
    """Write the board to ``out``: Markdown, LaTeX and CSV for ``metric``, HTML for every metric family.

    Args:
        entries: the board's entries (reproduced and reported).
        out: the folder to write (created).
        metric: the metric family of the text outputs.
        title: the page's title.
        images: draw each reproduced entry's matrix and curves.
        columns: the figures of the LaTeX tables (:func:`~lifelong_pose.leaderboard.tables.latex`).
        filters: ``scenario``, ``backend``, ``profile`` as :func:`board_tables` takes them.

    Returns:
        The files written (:data:`OUTPUTS`).
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    from lifelong_pose.runner.checkpoint import atomic_write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_metric = {key: board_tables(entries, key, **filters) for key in METRIC_KEYS}
    tables = by_metric[metric_spec(metric).key]  # an unknown metric fails here, with the known ones
    atomic_write_text(out / "leaderboard.md", f"# {title}\n\n" + markdown(tables))
    atomic_write_text(out / "leaderboard.tex", latex(tables, columns))
    atomic_write_text(out / "leaderboard.csv", csv_text(tables))
    shown = {row.entry["key"]: row.entry for table in tables if table.kind == "reproduced" for row in table.rows}
    pictures = {key: draw_entry(entry, out / "img") for key, entry in shown.items()} if images else {}
    diagnostics = {key: entry_diagnostics(entry) for key, entry in shown.items()}
    commands = {key: reproduce_command(entry) for key, entry in shown.items()}
    configs = write_configurations(shown, commands, out / "config")
    environment = Environment(
        loader=PackageLoader("lifelong_pose.leaderboard", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
    )
    page = environment.get_template("index.html.j2").render(
        title=title,
        built=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        reproduced=sum(entry["kind"] == "reproduced" for entry in entries),
        reported=sum(entry["kind"] == "reported" for entry in entries),
        metrics=[
            {"key": key, "label": metric_spec(key).label, "tables": key_tables} for key, key_tables in by_metric.items()
        ],
        images=pictures,
        images_metric=IMAGES_METRIC,
        diagnostics=diagnostics,
        commands=commands,
        configs=configs,
        glossary=GLOSSARY,
    )
    atomic_write_text(out / "index.html", page)
    return [out / name for name in OUTPUTS]
