"""A hostile board: crafted records, entries and papers' rows end in one clear line or a correct result.

Each case is what a security tester tried: markup in every field that reaches the page, ids that
climb out of the board, a reported row claiming to be reproduced, links to ``/dev/zero``, files too
large or nested too deep, numbers that are not finite, values a megabyte long. Runs are stand-ins
(``standin_records``) so that every case takes milliseconds; one site is built for the page tests.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from standin_records import DOMAINS, new, result

from lifelong_pose.cli.main import main
from lifelong_pose.leaderboard import Board, EntryError, entry_from_records
from lifelong_pose.leaderboard.board import record_name
from lifelong_pose.leaderboard.browser import find_browser, open_page
from lifelong_pose.leaderboard.guard import MAX_DEPTH, MAX_FILE_BYTES, MESSAGE_LIMIT
from lifelong_pose.leaderboard.reported import reported_entries, reported_entry
from lifelong_pose.leaderboard.site import build_site
from lifelong_pose.leaderboard.tables import board_tables, csv_text, latex, markdown
from lifelong_pose.runner.run_record import DomainResult

SCRIPT = "<script>window.__pwned=1;document.title='pwned'</script>"
IMG = "<img src=x onerror=\"window.__pwned=2;document.title='pwned'\">"
SVG = "<svg onload=\"window.__pwned=3;document.title='pwned'\">"
QUOTE = '" autofocus onfocus="window.__pwned=4'
PAYLOADS = (SCRIPT, IMG, SVG, QUOTE)
RAW = ("<script>window", "<img src=x", "<svg onload", '" autofocus onfocus="')
"""What must never appear in the page: each payload's markup as the browser would parse it."""
TITLE = "hostile board"


def _measured(index: int) -> dict[str, Any] | None:
    """A target's diagnostics whose method figure is named by markup (the page's diagnostics tables)."""
    if index == 0:
        return None
    return {
        "weight_change": 0.01,
        "prediction_change_mm": 10.0,
        "statistics_shift": {"mean": 0.1, "scale": 0.2},
        "swap": {"weights_only_mm": 60.0, "statistics_only_mm": 52.0},
        "method": {"start": {SCRIPT: 0.5, IMG: 0.1}, "end": {SCRIPT: 0.75, SVG: 0.2}},
    }


def _records(
    folder: Path, edit: Callable[[dict[str, Any]], None] | None = None, diagnostics: bool = False
) -> list[dict[str, Any]]:
    """Three finished stand-in seeds written under ``folder/seed-*``, each changed by ``edit`` first."""
    records = []
    for seed in (0, 1, 2):
        record = new(folder / f"seed-{seed}", seed=seed)
        for index in range(len(DOMAINS)):
            plain = result(index, offset=float(seed))
            if diagnostics:
                plain = DomainResult(**{**plain.__dict__, "diagnostics": _measured(index)})
            record.add_domain(plain)
        record.finish(elapsed_s=1.0)
        data = record.to_dict()
        if edit is not None:
            edit(data)
        (folder / f"seed-{seed}").mkdir(parents=True, exist_ok=True)
        (folder / f"seed-{seed}" / "result.json").write_text(json.dumps(data))
        records.append(data)
    return records


def _with_scenario(scenario: str) -> Callable[[dict[str, Any]], None]:
    def edit(record: dict[str, Any]) -> None:
        record["scenario"]["id"] = scenario

    return edit


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _papers(tmp_path: Path, *rows: dict[str, Any], text: str | None = None) -> Path:
    path = tmp_path / "papers.json"
    path.write_text(json.dumps(list(rows)) if text is None else text)
    return path


def _row(**changes: Any) -> dict[str, Any]:
    row = {
        "name": "Paper method",
        "setting": "H3.6M S1 -> S5-S8",
        "metric": "mpjpe",
        "values": {"GT 2D": 49.9},
        "average": 49.9,
        "citation": {"paper": "Author et al., 2023", "title": "A paper", "table": "Table 1", "quote": "49.9"},
    }
    return row | changes


def _hostile_entries(folder: Path) -> list[dict[str, Any]]:
    """A reproduced entry with markup in its strategy id, options, plugins, domains, diagnostics and
    normalisation note, then (unvalidated, as build_site may be handed anything) in its scenario id and
    fingerprint; and a reported row with markup in every text field."""

    def edit(record: dict[str, Any]) -> None:
        record["strategy"]["id"] = SCRIPT
        record["strategy"]["params"] = {IMG: SVG, "tag": SCRIPT, "quote": QUOTE}
        record["plugins"] = [{"id": SVG}]
        record["domains"] = ["source $\\frac$", IMG, SVG]
        record["normalisation"]["effect"] = IMG

    records = _records(folder, edit, diagnostics=True)
    entry = entry_from_records(records, name=record_name(records[0]), run=str(folder))
    assert SCRIPT in entry["name"] and IMG in entry["name"] and SVG in entry["name"]
    entry["configuration"]["scenario"] = f"{SVG}-v0"
    entry["configuration"]["fingerprint"] = IMG + "0" * 64
    reported = reported_entry(
        _row(
            name=SCRIPT,
            setting=IMG,
            values={SVG: 49.9, QUOTE: 50.0},
            citation={"paper": SVG, "title": SCRIPT, "table": IMG, "quote": QUOTE},
            notes=SCRIPT,
        )
    )
    return [entry, reported]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """One site built from the hostile entries (images drawn: their alt text and plot labels too)."""
    folder = tmp_path_factory.mktemp("hostile")
    entries = _hostile_entries(folder / "run")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Tight layout not applied")  # the payloads make long tick labels
        build_site(entries, folder / "site", title=TITLE)
    return folder / "site", entries


# -- 1. the page escapes everything ---------------------------------------------------------------


def test_markup_in_every_field_reaching_the_page_is_escaped(hostile_site: tuple[Path, list[dict[str, Any]]]) -> None:
    site, entries = hostile_site
    page = (site / "index.html").read_text()
    for raw in RAW:
        assert raw not in page, raw
    assert page.count("&lt;script&gt;window.__pwned=1") >= 5  # name, option value, method figure, reported row
    assert "&lt;svg onload=&#34;window.__pwned=3" in page  # plugin, domain, scenario id, reported values key
    assert "<script>" in page and page.count("<script>") == 1  # the page's own, nothing else
    # the text outputs keep their own escaping: LaTeX specials escaped, CSV cells round-trip exactly
    tables = board_tables(entries)
    assert "\\textless{}script\\textgreater{}" in latex(tables)
    rows = list(csv.reader(io.StringIO(csv_text(tables))))
    assert [cell for row in rows for cell in row if cell == SCRIPT]  # the reported row's name, unchanged
    text = (site / "leaderboard.md").read_text()
    assert "<script" not in text and "<img" not in text and "<svg" not in text and "&lt;script>window" in text


def test_the_cli_build_escapes_an_option_value_recorded_in_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(record: dict[str, Any]) -> None:
        record["strategy"]["params"]["tag"] = "<script>alert(1)</script>"

    _records(tmp_path / "run", edit)
    board, site = str(tmp_path / "board"), str(tmp_path / "site")
    assert _cli(["leaderboard", "--board", board, "add", str(tmp_path / "run")], capsys)[0] == 0
    assert _cli(["leaderboard", "--board", board, "build", "--out", site, "--no-images"], capsys)[0] == 0
    page = (tmp_path / "site" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in page
    assert "tag=&lt;script&gt;alert(1)&lt;/script&gt;" in page


_NEED_BROWSER = os.environ.get("LIFELONG_POSE_REQUIRE_BROWSER") == "1"


@pytest.mark.skipif(
    find_browser() is None and not _NEED_BROWSER,
    reason="no Chromium (apt-get install chromium); CI installs it and sets LIFELONG_POSE_REQUIRE_BROWSER=1",
)
def test_no_injected_script_or_handler_runs_in_chromium(hostile_site: tuple[Path, list[dict[str, Any]]]) -> None:
    site, _ = hostile_site
    report = open_page(site / "index.html", probe="window.__pwned === undefined ? null : window.__pwned")
    assert report.probe == "null"  # no payload's script or handler ran
    assert report.title == TITLE
    assert report.console == ()
    assert report.ready and report.images == 2 and report.broken_images == 0
    assert not list(site.glob(".probe-*"))  # the probe's copy of the page is gone


# -- 2. the board writes only inside itself ------------------------------------------------------


@pytest.mark.parametrize(
    "scenario",
    ["../../../../outside/x-v0", "..\\..\\outside\\x-v0", "standin-v0/../../x-v0", "/tmp/x-v0", "x-v0\n", "x"],
    ids=["dot-dot", "windows", "dot-dot-after-id", "absolute", "trailing-newline", "unversioned"],
)
def test_a_scenario_id_that_is_not_a_safe_folder_name_is_refused_and_nothing_is_written(
    scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _records(tmp_path / "a" / "run", _with_scenario(scenario))
    board = tmp_path / "a" / "b" / "board"
    shown = scenario.replace("\n", "\\n")
    with pytest.raises(EntryError, match=re.escape(f"scenario id '{shown}' is not a versioned id")):
        Board(board).add([tmp_path / "a" / "run"])
    code, message = _cli(["leaderboard", "--board", str(board), "add", str(tmp_path / "a" / "run")], capsys)
    assert code == 2 and f"scenario id '{shown}' is not a versioned id" in message
    assert len(message.strip().splitlines()) == 1
    assert not board.exists() and not list(tmp_path.rglob("outside")) and not list(tmp_path.rglob("quick"))


def test_a_namespaced_scenario_id_is_filed_inside_the_board(tmp_path: Path) -> None:
    _records(tmp_path / "run", _with_scenario("mylab/stream-v0"))
    (path,) = Board(tmp_path / "board").add([tmp_path / "run"])
    assert path.parent == tmp_path / "board" / "entries" / "sim" / "mylab" / "stream-v0" / "quick"
    assert Board(tmp_path / "board").check() == []


def test_a_reported_row_cannot_claim_to_be_reproduced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = _row(kind="reproduced", configuration={"backend": "sim", "scenario": "../../../outside/x-v0"})
    papers = _papers(tmp_path, row)
    board = tmp_path / "board"
    code, message = _cli(["leaderboard", "--board", str(board), "add", "--reported", str(papers)], capsys)
    assert code == 2
    assert "field 'configuration' is not a published row's field" in message
    with pytest.raises(EntryError, match="field 'kind' is not a published row's field"):
        reported_entry(_row(kind="reproduced"))
    assert not board.exists() and not list(tmp_path.rglob("outside"))


@pytest.mark.parametrize(
    ("field", "value"), [("schema", "other/v9"), ("key", "0123456789abcdef"), ("backend", "sim"), ("run", "x")]
)
def test_a_reported_row_cannot_set_what_the_board_sets(field: str, value: str) -> None:
    with pytest.raises(EntryError, match=f"field '{field}' is not a published row's field"):
        reported_entry(_row(**{field: value}))


def test_a_symlinked_entry_to_dev_zero_is_refused_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "board" / "entries" / "sim" / "x-v0" / "quick"
    folder.mkdir(parents=True)
    (folder / "a-0123456789abcdef.json").symlink_to("/dev/zero")
    with pytest.raises(EntryError, match=r"a-0123456789abcdef\.json: a symbolic link; the board never follows links"):
        Board(tmp_path / "board").filed()
    code, message = _cli(["leaderboard", "--board", str(tmp_path / "board"), "check"], capsys)
    assert code == 1 and "a symbolic link; the board never follows links" in message


def test_a_symlinked_folder_in_the_board_is_refused_for_reading_and_writing(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    board = Board(tmp_path / "board")
    board.init()
    (board.root / "entries" / "sim").symlink_to(outside, target_is_directory=True)
    with pytest.raises(EntryError, match=r"entries/sim: a symbolic link"):
        board.filed()
    _records(tmp_path / "run")
    with pytest.raises(EntryError, match=r"entries/sim: a symbolic link"):
        board.add([tmp_path / "run"])
    assert list(outside.iterdir()) == []


def test_a_missing_board_fails_every_reading_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "TYPO"
    for command in (["check"], ["show"], ["build", "--out", str(tmp_path / "site")]):
        code, message = _cli(["leaderboard", "--board", str(typo), *command], capsys)
        assert code == 2, command
        assert f"{typo}: no leaderboard here (looked for entries/ or reported/ in {typo})" in message
        assert f"'lifelong-pose leaderboard init {typo}'" in message
    assert Board(typo).check() == [Board(typo).missing()]
    assert not typo.exists() and not (tmp_path / "site").exists()


def test_add_refuses_a_folder_that_is_neither_new_empty_nor_a_board(tmp_path: Path) -> None:
    _records(tmp_path / "run")
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("mine")
    with pytest.raises(EntryError, match="a folder that is not empty and not a leaderboard"):
        Board(tmp_path / "home").add([tmp_path / "run"])
    assert sorted(path.name for path in (tmp_path / "home").iterdir()) == ["notes.txt"]


def test_a_name_with_separators_is_filed_inside_and_a_nul_is_refused(tmp_path: Path) -> None:
    board = Board(tmp_path / "board")
    path = board.write(reported_entry(_row(name="../../../outside/x\\..\\y")))
    assert path.parent == tmp_path / "board" / "reported" and path.name.startswith("outside_x_.._y-")
    with pytest.raises(EntryError, match=r"name 'a\\x00b' holds a control character"):
        reported_entry(_row(name="a\x00b"))


def test_a_terminal_escape_in_any_text_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EntryError, match=r"'setting' holds the control character \\x1b in '\\x1b\[2J"):
        reported_entry(_row(setting="\x1b[2J\x1b]0;owned\x07"))
    board = Board(tmp_path / "board")
    path = board.write(reported_entry(_row()))
    path.write_text(path.read_text().replace('"Table 1"', '"Table 1\\u009b31m"'))
    code, message = _cli(["leaderboard", "--board", str(board.root), "show"], capsys)
    assert code == 2 and "'citation/table' holds the control character \\x9b" in message
    assert "\x9b" not in message and "\x1b" not in message


def test_an_entry_whose_key_does_not_match_its_file_name_is_refused(tmp_path: Path) -> None:
    board = Board(tmp_path / "board")
    path = board.write(reported_entry(_row()))
    path.rename(path.with_name("Paper_method-0123456789abcdef.json"))
    with pytest.raises(EntryError, match="but its file name does not end in -"):
        board.filed()


def test_an_entry_filed_in_another_folder_fails_check(tmp_path: Path) -> None:
    board = Board(tmp_path / "board")
    path = board.write(reported_entry(_row()))
    moved = board.root / "entries" / path.name
    path.rename(moved)
    (problem,) = board.check()
    assert problem.startswith(f"{moved}: filed where it does not belong; its name and configuration file it at {path}")


def test_a_key_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    entry = reported_entry(_row())
    with pytest.raises(EntryError, match=r"key '[0-9a-f]{16}\\n' is not 16 lowercase hex digits"):
        Board(tmp_path / "board").write(entry | {"key": entry["key"] + "\n"})


# -- 3. bounded reads ----------------------------------------------------------------------------


def test_an_entry_file_larger_than_the_bound_is_refused_before_reading(tmp_path: Path) -> None:
    folder = tmp_path / "board" / "reported"
    folder.mkdir(parents=True)
    with open(folder / "big-0123456789abcdef.json", "wb") as file:
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written, and nothing must be read
    with pytest.raises(EntryError, match=f"{MAX_FILE_BYTES + 1} bytes; the board reads files of at most 64 MiB"):
        Board(tmp_path / "board").filed()


def test_a_fifo_named_like_an_entry_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = tmp_path / "board" / "reported"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "pipe-0123456789abcdef.json")
    with pytest.raises(EntryError, match="not a regular file"):
        Board(tmp_path / "board").filed()


@pytest.mark.parametrize("depth", [200_000, MAX_DEPTH + 5])
def test_deeply_nested_reported_json_is_refused(depth: int, tmp_path: Path) -> None:
    papers = _papers(tmp_path, text="[" * depth + "]" * depth)
    with pytest.raises(EntryError, match=f"papers.json: JSON nested deeper than {MAX_DEPTH} levels; refused"):
        reported_entries(papers)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_in_reported_rows_are_refused(number: str, tmp_path: Path) -> None:
    text = json.dumps([_row(values={"GT 2D": 1.5})]).replace("1.5", number)
    with pytest.raises(EntryError, match=f"'{number}' is not a finite number"):
        reported_entries(_papers(tmp_path, text=text))


def test_a_non_finite_number_in_an_entry_file_fails_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    board = Board(tmp_path / "board")
    path = board.write(reported_entry(_row()))
    path.write_text(path.read_text().replace('"average": 49.9', '"average": NaN'))
    code, message = _cli(["leaderboard", "--board", str(board.root), "check"], capsys)
    assert code == 1 and f"{path}: 'NaN' is not a finite number" in message


def test_a_non_finite_number_made_in_python_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(EntryError, match="'values/GT 2D' is nan, not a finite number"):
        reported_entry(_row(values={"GT 2D": float("nan")}))
    entry = reported_entry(_row())
    with pytest.raises(EntryError, match="'average' is inf, not a finite number"):
        Board(tmp_path / "board").write(entry | {"average": float("inf")})
    assert not (tmp_path / "board").exists()


def test_a_huge_integer_in_an_entry_is_refused(tmp_path: Path) -> None:
    board = Board(tmp_path / "board")
    path = board.write(reported_entry(_row()))
    path.write_text(path.read_text().replace('"average": 49.9', '"average": ' + "9" * 40))
    with pytest.raises(EntryError, match="'average' is an integer of 40 digits"):
        board.filed()


# -- 4. bounded messages -------------------------------------------------------------------------


def test_a_megabyte_long_id_or_name_is_cut_in_its_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long = "x" * 1_000_000
    _records(tmp_path / "run", _with_scenario(long + "-v0"))
    code, message = _cli(["leaderboard", "--board", str(tmp_path / "board"), "add", str(tmp_path / "run")], capsys)
    assert code == 2 and "scenario id 'xxx" in message and "… (1000003 characters)" in message
    assert len(message) < 4 * MESSAGE_LIMIT + 400
    with pytest.raises(EntryError, match=r"name 'x+… \(1000000 characters\)' is too long") as refused:
        reported_entry(_row(name=long))
    assert len(str(refused.value)) < 2 * MESSAGE_LIMIT + 400

    def edit(record: dict[str, Any]) -> None:
        record["strategy"]["params"]["tag"] = long

    _records(tmp_path / "long-option", edit)
    with pytest.raises(EntryError, match=r"is too long; at most 1000 characters") as refused:
        Board(tmp_path / "board").add([tmp_path / "long-option"])
    assert len(str(refused.value)) < 4 * MESSAGE_LIMIT + 400


def test_markdown_cells_cannot_split_a_table(tmp_path: Path) -> None:
    entries = [reported_entry(_row(name="a | b", values={"x|y": 1.0}))]
    text = markdown(board_tables(entries))
    header, rule, row = [line for line in text.splitlines() if line.startswith("|")]
    assert row.count(" | ") == header.count(" | ") == rule.count("|") - 2 - rule.count("\\|")
    assert "a \\| b" in row and "x\\|y" in header
