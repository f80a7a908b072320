"""The leaderboard: entries from run records, figures recomputed, honest ranks, grouped tables, the site.

Runs are stand-ins (``standin_records``): records of a three-domain stream whose matrices are known
in closed form, so every figure below is computed by hand.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from standin_records import complete, new, result

from lifelong_pose.cli.main import main
from lifelong_pose.leaderboard import Board, EntryError, entry_from_records, rank, recompute, significantly_different
from lifelong_pose.leaderboard.browser import find_browser, open_page
from lifelong_pose.leaderboard.entry import validate_entry
from lifelong_pose.leaderboard.ranking import holm_adjusted, holm_rejections, welch_p_value
from lifelong_pose.leaderboard.reported import reported_entries, reported_entry
from lifelong_pose.leaderboard.site import build_site
from lifelong_pose.leaderboard.tables import board_tables, csv_text, latex, markdown, reproduced_table

PAPERS = Path(__file__).resolve().parents[1] / "leaderboard" / "papers.json"


def _run(folder: Path, seeds: tuple[int, ...] = (0, 1, 2), **changes: Any) -> Path:
    """A multi-seed run folder: seed s's errors are the stand-in's plus s mm everywhere."""
    for seed in seeds:
        complete(folder / f"seed-{seed}", seed=seed, offset=float(seed)).write(folder / f"seed-{seed}")
    return folder


def _records(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(folder.glob("seed-*/result.json"))]


def _entry(tmp_path: Path, name: str = "a", offset: float = 0.0, **configuration: Any) -> dict[str, Any]:
    records = _records(_run(tmp_path / name))
    for record in records:
        for metric in record["matrices"]:
            sign = 1.0 if metric in ("mpjpe", "pa_mpjpe") else -1.0
            record["matrices"][metric] = [[v + sign * offset for v in row] for row in record["matrices"][metric]]
            from lifelong_pose.metrics.matrix import summarize
            from lifelong_pose.metrics.table import metric_spec

            record["figures"][metric] = summarize(record["matrices"][metric], metric_spec(metric).lower_is_better)
        record["data"].update(configuration)
    return entry_from_records(records, name=name, run=f"runs/{name}")


# -- ranks ---------------------------------------------------------------------------------------


def test_welch_matches_the_hand_computed_test() -> None:
    # [1,2,3] vs [4,5,6]: t = -3 / sqrt(1/3 + 1/3) = -3.674, Welch df = 4, two-sided p = 0.0213 < 0.05
    assert significantly_different([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    # [1,2,3] vs [2,3,4]: t = -1.225, df = 4, p = 0.288: a tie
    assert not significantly_different([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    from scipy.stats import t as student

    assert 2 * student.sf(3 / math.sqrt(2 / 3), 4) == pytest.approx(0.0213, abs=1e-4)


def test_ranks_follow_the_test_ties_share_a_rank_and_gaps_follow() -> None:
    a, b, c, d = [10.0, 10.1, 9.9], [10.05, 10.2, 9.95], [20.0, 20.5, 19.5], [30.0, 30.2, 29.8]
    ranks = rank([c, a, d, b])
    assert [str(r) for r in ranks] == ["3", "1=", "4", "1="]
    assert [str(r) for r in rank([c, a, d, b], lower_is_better=False)] == ["2", "3=", "1", "3="]


def _with_mean_and_std(mean: float, std: float) -> list[float]:
    """Three seeds whose mean and sample std are the given ones."""
    return [mean - std, mean, mean + std]


def test_a_tie_is_a_direct_test_against_the_leader_never_a_chain() -> None:
    # the board's two cases: rows the neighbour chain tied although a direct test separates them
    dakpose, no_filter = _with_mean_and_std(154.0, 8.3), _with_mean_and_std(252.5, 0.6)
    prior_none, source_only = _with_mean_and_std(86.3, 0.3), _with_mean_and_std(103.1, 2.3)
    assert welch_p_value(dakpose, no_filter) == pytest.approx(0.002, abs=5e-4)
    assert welch_p_value(prior_none, source_only) == pytest.approx(0.0055, abs=5e-4)
    # a chain: B within noise of A and of C (p = 0.147 each), A and C far apart (p = 1e-6): the old
    # neighbour rule tied all three; tested against the leader A, C is separated, B is not
    a, b, c = [10.0, 10.1, 9.9], [10.5, 12.0, 13.5], [14.0, 14.1, 13.9]
    assert welch_p_value(a, b) == pytest.approx(0.1466, abs=1e-3)
    assert welch_p_value(b, c) == pytest.approx(0.1466, abs=1e-3)
    assert welch_p_value(a, c) < 1e-5
    ranks = rank([c, a, b])
    assert [str(r) for r in ranks] == ["3", "1=", "1="]
    assert [r.leader for r in ranks] == [0, 1, 1]
    # where the old neighbour chain tied two far rows, the leader test separates them
    board = [dakpose, no_filter, prior_none, source_only]
    ranks = rank(board)
    assert [str(r) for r in ranks] == ["3", "4", "1", "2"]


def test_holm_corrects_over_the_rows_compared_with_the_leader() -> None:
    # alone, p = 0.03 < 0.05 separates; in a family of three the smallest needs p < 0.05 / 3
    assert holm_rejections([0.03]) == [True]
    assert holm_rejections([0.03, 0.5, 0.6]) == [False, False, False]
    assert holm_rejections([0.001, 0.02, 0.04]) == [True, True, True]  # 0.001 < .0167, 0.02 < .025, 0.04 < .05
    assert holm_rejections([0.001, 0.04, None]) == [True, False, False]  # untestable rows count, never reject
    assert holm_adjusted([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_degenerate_samples_rank_by_what_they_show() -> None:
    assert significantly_different([5.0, 5.0, 5.0], [6.0, 6.0, 6.0])  # no spread, different means
    assert not significantly_different([5.0, 5.0], [5.0, 5.0])
    assert not significantly_different([5.0], [50.0, 51.0])  # one seed cannot be tested
    with pytest.raises(ValueError, match="at least one value"):
        significantly_different([], [1.0])
    with pytest.raises(ValueError, match="at least one value"):
        rank([[1.0], []])


# -- entries -------------------------------------------------------------------------------------


def test_an_entry_holds_every_seed_and_figures_computed_by_hand(tmp_path: Path) -> None:
    entry = _entry(tmp_path)
    assert [run["seed"] for run in entry["seeds"]] == [0, 1, 2]
    # stand-in R[i][j] = 50 + seed + 5 (j - i)^2: last row [70, 55, 50] + seed -> final avg 58.33 + seed
    final = entry["figures"]["mpjpe"]["final_avg"]
    assert final["mean"] == pytest.approx(175 / 3 + 1.0)
    assert final["std"] == pytest.approx(1.0)
    assert final["n"] == 3
    assert entry["few_seeds"] is False
    assert recompute(entry) == []
    assert entry["configuration"]["scenario"] == "standin-v0"


def test_a_tampered_figure_fails_check_naming_the_file_and_figure(tmp_path: Path) -> None:
    board = Board(tmp_path / "board")
    board.add([_run(tmp_path / "run")])
    assert board.check() == []
    path = board.filed()[0].path
    entry = json.loads(path.read_text())
    entry["seeds"][1]["figures"]["mpjpe"]["final_avg"] -= 3.0  # a better number than the matrix gives
    entry["figures"]["pck"]["bwt"]["mean"] = 99.0
    path.write_text(json.dumps(entry))
    problems = board.check()
    assert any(str(path) in p and "seed 1 mpjpe final_avg" in p for p in problems)
    assert any("pck bwt mean over seeds" in p for p in problems)
    assert main(["leaderboard", "--board", str(tmp_path / "board"), "check"]) == 1


def test_a_changed_matrix_fails_check_too(tmp_path: Path) -> None:
    board = Board(tmp_path / "board")
    path = board.add([_run(tmp_path / "run")])[0]
    entry = json.loads(path.read_text())
    entry["seeds"][0]["matrices"]["mpjpe"][2][1] += 10.0
    path.write_text(json.dumps(entry))
    assert any("seed 0 mpjpe final_avg" in p for p in board.check())


def test_fewer_than_three_seeds_is_refused_unless_flagged_and_the_flag_shows(tmp_path: Path) -> None:
    board = Board(tmp_path / "board")
    run = _run(tmp_path / "run", seeds=(0, 1))
    with pytest.raises(EntryError, match=r"2 seed.*needs 3.*--allow-few-seeds"):
        board.add([run])
    assert board.filed() == []
    board.add([run], allow_few_seeds=True)
    entry = board.entries()[0]
    assert entry["few_seeds"] is True
    assert "2 (few seeds)" in markdown(board_tables(board.entries()))
    flipped = copy.deepcopy(entry) | {"few_seeds": False}
    with pytest.raises(EntryError, match="few_seeds is False with 2 seeds"):
        validate_entry(flipped)


def test_an_interrupted_run_is_refused_naming_the_run(tmp_path: Path) -> None:
    folder = _run(tmp_path / "run", seeds=(0, 1))
    stopped = new(folder / "seed-2", seed=2)
    stopped.add_domain(result(0))
    stopped.stop("interrupted", "KeyboardInterrupt")
    stopped.write(folder / "seed-2")
    with pytest.raises(
        EntryError, match=rf"{re.escape(str(folder / 'seed-2'))}: seed 2 is interrupted \(1 of 3 domains\)"
    ):
        Board(tmp_path / "board").add([folder])
    assert main(["leaderboard", "--board", str(tmp_path / "board"), "add", str(folder)]) == 2


def test_bad_inputs_get_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    board = Board(tmp_path / "board")
    with pytest.raises(EntryError, match="not a run folder"):
        board.add([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(EntryError, match=r"no result\.json"):
        board.add([tmp_path / "empty"])
    run = _run(tmp_path / "run")
    board.add([run])
    with pytest.raises(EntryError, match="already on the board"):
        board.add([run])
    (tmp_path / "board" / "entries" / "broken.json").write_text("{")
    assert "not readable JSON" in board.check()[0]
    assert main(["leaderboard", "--board", str(tmp_path / "board"), "add"]) == 2
    assert "needs run folders" in capsys.readouterr().err
    with pytest.raises(EntryError, match="kind must be 'reproduced' or 'reported', got 'guessed'"):
        validate_entry({"kind": "guessed"})


def test_init_makes_an_empty_board_that_the_other_commands_accept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "new"
    assert main(["leaderboard", "init", str(folder)]) == 0
    assert f"Created an empty board in {folder}" in capsys.readouterr().out
    assert (folder / "entries").is_dir() and (folder / "reported").is_dir()
    assert main(["leaderboard", "--board", str(folder), "check"]) == 0
    assert f"{folder}: 0 entries; every figure follows" in capsys.readouterr().out
    assert main(["leaderboard", "--board", str(folder), "init"]) == 0  # the folder defaults to --board
    assert f"Already a board: {folder}" in capsys.readouterr().out
    assert main(["leaderboard", "--board", str(folder), "add", str(_run(tmp_path / "run"))]) == 0
    assert main(["leaderboard", "--board", str(folder), "show"]) == 0
    assert "standin_strategy-v0" in capsys.readouterr().out
    (tmp_path / "file").write_text("x")
    assert main(["leaderboard", "init", str(tmp_path / "file")]) == 2
    assert "a file, not a folder; choose another --board" in capsys.readouterr().err
    assert main(["leaderboard", "--board", str(tmp_path / "typo"), "check"]) == 2
    assert "no leaderboard here" in capsys.readouterr().err


def test_records_of_two_configurations_become_two_entries(tmp_path: Path) -> None:
    run = _run(tmp_path / "run")
    other = _run(tmp_path / "other")
    for path in other.glob("seed-*/result.json"):
        record = json.loads(path.read_text())
        record["strategy"]["params"]["lr"] = 0.01
        path.write_text(json.dumps(record))
    paths = Board(tmp_path / "board").add([run, other])
    assert len(paths) == 2
    names = sorted(entry["name"] for entry in Board(tmp_path / "board").entries())
    assert names == ["standin_strategy-v0 (epochs=2, lr=0.001)", "standin_strategy-v0 (epochs=2, lr=0.01)"]


def test_entries_record_runs_relative_to_the_board_or_not_at_all(tmp_path: Path) -> None:
    """Runs beside the board are named relative to it; runs elsewhere are left out, never absolute."""
    board = Board(tmp_path / "board")
    board.init()
    inside = _run(tmp_path / "board" / "runs" / "mine")
    outside = _run(tmp_path / "elsewhere")
    for path in outside.glob("seed-*/result.json"):
        record = json.loads(path.read_text())
        record["strategy"]["params"]["lr"] = 0.01
        path.write_text(json.dumps(record))
    board.add([inside, outside])
    runs = sorted(entry.get("run", "left out") for entry in board.entries())
    assert runs == ["left out", "runs/mine/seed-0, runs/mine/seed-1, runs/mine/seed-2"]
    assert board.check() == []
    assert str(tmp_path) not in "".join(path.read_text() for path in (tmp_path / "board").rglob("*.json"))


@pytest.mark.parametrize("path", ["/home/me/runs/a/seed-0", "C:\\runs\\a", "~/runs/a"])
def test_check_refuses_an_entry_holding_an_absolute_path(tmp_path: Path, path: str) -> None:
    board = Board(tmp_path / "board")
    board.add([_run(tmp_path / "run")])
    (filed,) = board.filed()
    entry = dict(filed.entry)
    entry["run"] = f"runs/x/seed-0, {path}"
    filed.path.write_text(json.dumps(entry))
    (problem,) = board.check()
    assert filed.path.name in problem and "absolute path" in problem and path in problem.replace("\\\\", "\\")


def test_urls_and_relative_names_are_no_absolute_paths() -> None:
    from lifelong_pose.leaderboard.guard import absolute_paths

    texts = {"c": "https://arxiv.org/abs/2512.23860", "r": "runs/a/seed-0", "u": "mm/s", "s": "my_file.py:Class"}
    assert absolute_paths(texts) == []
    assert absolute_paths({"s": "/abs/strategy.py:Class"}) == [("s", "/abs/strategy.py:Class")]


# -- tables --------------------------------------------------------------------------------------


def test_sim_and_real_never_share_a_table(tmp_path: Path) -> None:
    sim = _entry(tmp_path, "sim")
    real = _entry(tmp_path, "real", backend="real")
    tables = board_tables([sim, real])
    assert len(tables) == 2
    assert {row.entry["name"] for row in tables[0].rows} != {row.entry["name"] for row in tables[1].rows}
    with pytest.raises(ValueError, match="different groups"):
        reproduced_table([sim, real])
    assert [t.title for t in board_tables([sim, real], backend="real")] == ["standin-v0 · real · quick"]


def test_oracles_are_shown_last_and_never_ranked(tmp_path: Path) -> None:
    good, worse = _entry(tmp_path, "good"), _entry(tmp_path, "worse", offset=30.0)
    oracle = _entry(tmp_path, "oracle", offset=-40.0) | {"oracle": True}
    table = reproduced_table([oracle, worse, good])
    assert [(row.cells[0], row.cells[1]) for row in table.rows] == [
        ("1", "good"),
        ("2", "worse"),
        ("not ranked (oracle)", "oracle"),
    ]
    pck = reproduced_table([worse, good], metric="pck")  # higher is better: the same order
    assert [row.cells[1] for row in pck.rows] == ["good", "worse"]


def test_text_outputs_hold_every_row_and_the_latex_is_well_formed(tmp_path: Path) -> None:
    entries = [_entry(tmp_path, "a_b"), _entry(tmp_path, "c%d", offset=5.0), *reported_entries(PAPERS)]
    tables = board_tables(entries)
    text = markdown(tables)
    assert re.search(r"\|\s*1\s*\|\s*a_b", text)
    rows = list(csv_text(tables).splitlines())
    assert rows[0].startswith("table,rank,entry")
    assert sum(len(t.rows) + 1 for t in tables) == len(rows)
    _check_latex(latex(tables), tables, columns=4)
    _check_latex(latex(tables, columns=["final_avg", "fwt"]), tables, columns=2)


def test_csv_holds_numbers_mean_std_and_n_per_figure(tmp_path: Path) -> None:
    import csv
    import io

    (table,) = board_tables([_entry(tmp_path, "a"), _entry(tmp_path, "b", offset=5.0)])
    rows = list(csv.DictReader(io.StringIO(csv_text([table]))))
    a = next(row for row in rows if row["entry"] == "a")
    # stand-in final average: 175/3 + seed over seeds 0, 1, 2 -> mean 175/3 + 1, sample std 1
    assert float(a["final avg mean"]) == pytest.approx(175 / 3 + 1.0)
    assert float(a["final avg std"]) == pytest.approx(1.0) and a["final avg n"] == "3"
    assert float(next(row for row in rows if row["entry"] == "b")["final avg mean"]) == pytest.approx(175 / 3 + 6.0)
    assert a["seeds"] == "3" and float(a["kept (MB)"]) >= 0


def test_latex_bolds_the_best_row_uses_pm_and_refuses_unknown_columns(tmp_path: Path) -> None:
    tables = board_tables([_entry(tmp_path, "a"), _entry(tmp_path, "b", offset=50.0)])
    source = latex(tables)
    best = next(line for line in source.splitlines() if "{a}" in line)
    other = next(line for line in source.splitlines() if "{b}" in line or " b " in line)
    assert best.startswith("\\textbf{1}") and "\\textbf{a}" in best and "$\\pm$" in best
    assert "textbf" not in other
    with pytest.raises(ValueError, match="--columns nonsense: choose among final_avg"):
        latex(tables, columns=["nonsense"])


def test_fewer_than_three_seeds_show_n_and_no_spread(tmp_path: Path) -> None:
    one = entry_from_records(_records(_run(tmp_path / "one", seeds=(0,))), name="one", run=None, allow_few_seeds=True)
    two = entry_from_records(_records(_run(tmp_path / "two", seeds=(0, 1))), name="two", run=None, allow_few_seeds=True)
    (table,) = board_tables([one, two])
    cells = {row.entry["name"]: row.cells for row in table.rows}
    assert cells["one"][2] == f"{175 / 3:.1f} (n=1)" and "±" not in " ".join(cells["one"])
    assert cells["two"][2] == f"{175 / 3 + 0.5:.1f} (n=2)" and "±" not in " ".join(cells["two"][2:8])


def test_the_headline_stream_comes_first(tmp_path: Path) -> None:
    entries = []
    for scenario in ("cross_camera-v2", "mylab/alpha-v0", "cross_dataset-v2", "long_stream-v2", "cross_scenario-v2"):
        entry = _entry(tmp_path, scenario.replace("/", "_"))
        entry["configuration"] = {**entry["configuration"], "scenario": scenario}
        entries.append(entry)
    titles = [table.title.split(" ")[0] for table in board_tables(entries)]
    assert titles == ["cross_dataset-v2", "cross_scenario-v2", "cross_camera-v2", "long_stream-v2", "mylab/alpha-v0"]


def _check_latex(source: str, tables: list[Any], columns: int) -> None:
    """Booktabs rules, one cell per column in every row, special characters escaped; compiled if pdflatex exists.
    A reproduced table holds rank, entry and ``columns`` figures; a reported one its own headers."""
    blocks = re.findall(r"\\begin\{tabular\}\{([^}]*)\}(.*?)\\end\{tabular\}", source, re.S)
    assert len(blocks) == len(tables)
    for (spec, body), table in zip(blocks, tables, strict=True):
        width = 2 + columns if table.kind == "reproduced" else len(table.headers)
        assert len(spec) == width
        for rule in ("\\toprule", "\\midrule", "\\bottomrule"):
            assert body.count(rule) == 1
        lines = [line for line in body.splitlines() if line.strip().endswith("\\\\")]
        assert len(lines) == len(table.rows) + 1
        for line in lines:
            assert len(re.findall(r"(?<!\\)&", line)) == width - 1
            assert not re.search(r"(?<!\\)[%#_]", line), line
    for caption in re.findall(r"\\caption\{(.*)\}", source):
        assert not re.search(r"(?<!\\)[%#_&]", caption), caption
    import shutil
    import subprocess
    import tempfile

    if shutil.which("pdflatex"):
        with tempfile.TemporaryDirectory() as folder:
            document = "\\documentclass{article}\\usepackage{booktabs}\\usepackage{graphicx}\\begin{document}"
            Path(folder, "t.tex").write_text(document + source + "\\end{document}\n")
            done = subprocess.run(
                ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"], cwd=folder, capture_output=True
            )
            assert done.returncode == 0, done.stdout[-2000:]


# -- reported numbers ----------------------------------------------------------------------------


def test_the_papers_rows_are_valid_cited_and_kept_apart(tmp_path: Path) -> None:
    entries = reported_entries(PAPERS)
    from lifelong_pose.papers import PAPERS as METHOD_PAPERS

    assert {e["citation"]["paper"] for e in entries} == {paper.short for paper in METHOD_PAPERS.values()}
    assert all(e["citation"]["title"] in {p.title for p in METHOD_PAPERS.values()} for e in entries)
    assert all(e["kind"] == "reported" and e["backend"] == "real" and e["citation"]["quote"] for e in entries)
    poseda = next(e for e in entries if e["name"] == "PoseDA (VideoPose3D 1-frame)" and "S1 ->" in e["setting"])
    assert poseda["values"] == {"GT 2D": 49.9}  # Chai et al., Table 1
    assert poseda["citation"]["link"] == "https://arxiv.org/abs/2303.16456"
    mixed = board_tables([*entries, _entry(tmp_path, "ours", backend="real")])
    for table in mixed:
        kinds = {row.entry["kind"] for row in table.rows}
        assert len(kinds) == 1
    with pytest.raises(EntryError, match="reported row"):
        reported_entry({"name": "x", "setting": "y", "metric": "mpjpe", "values": {"a": "49.9"}})


# -- the site in a real browser ------------------------------------------------------------------

_NEED_BROWSER = os.environ.get("LIFELONG_POSE_REQUIRE_BROWSER") == "1"


@pytest.mark.skipif(
    find_browser() is None and not _NEED_BROWSER,
    reason="no Chromium (apt-get install chromium); CI installs it and sets LIFELONG_POSE_REQUIRE_BROWSER=1",
)
def test_the_site_renders_in_chromium_with_no_console_errors(tmp_path: Path) -> None:
    entries = [_entry(tmp_path, "first"), _entry(tmp_path, "second", offset=3.0), *reported_entries(PAPERS)]
    build_site(entries, tmp_path / "site")
    report = open_page(tmp_path / "site" / "index.html")
    assert report.console == ()
    assert report.ready
    assert report.images == 4  # a heatmap and curves per reproduced entry
    assert report.broken_images == 0
    families = ("mpjpe", "pa_mpjpe", "pck", "auc")
    assert report.dom.count("<table") == sum(len(board_tables(entries, m)) for m in families)
    assert "first" in report.dom and "PoseDA (VideoPose3D 1-frame)" in report.dom
    assert "http://" not in report.dom.split("<body")[0] and "https://" not in report.dom.split("<body")[0]
    assert "lifelong-pose run --scenario standin-v0" in report.dom and 'href="config/' in report.dom
    assert report.dom.count('class="detail"') == 2 and "Glossary" in report.dom
    assert 'title="backward transfer' in report.dom


@pytest.mark.skipif(
    find_browser() is None and not _NEED_BROWSER,
    reason="no Chromium (apt-get install chromium); CI installs it and sets LIFELONG_POSE_REQUIRE_BROWSER=1",
)
def test_the_published_page_fits_1400_pixels_and_links_every_configuration(tmp_path: Path) -> None:
    """The committed board's page, built and opened at 1400 px: no sideways scroll, every row's
    configuration file written and linked, each with the command that reproduces it."""
    entries = Board(PAPERS.parent).entries()
    build_site(entries, tmp_path / "site", images=False)
    report = open_page(tmp_path / "site" / "index.html", width=1400)
    assert report.ok and report.scroll_width is not None and report.viewport_width is not None
    assert report.scroll_width <= report.viewport_width, (report.scroll_width, report.viewport_width)
    configs = sorted((tmp_path / "site" / "config").glob("*.json"))
    reproduced = [e for e in entries if e["kind"] == "reproduced"]
    assert len(configs) == len(reproduced)
    document = json.loads(configs[0].read_text())
    assert document["command"].startswith("lifelong-pose run --scenario ") and document["configuration"]
    first_table = report.dom.index("<h2>")
    assert report.dom[first_table : first_table + 40].startswith("<h2>cross_dataset-v2")


def test_the_committed_board_passes_its_own_check() -> None:
    board = Board(PAPERS.parent)
    assert board.check() == []
    assert len([e for e in board.entries() if e["kind"] == "reported"]) == len(reported_entries(PAPERS))
