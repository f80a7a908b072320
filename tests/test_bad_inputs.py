"""The bad-input corpus: every case a user or an attacker tried, its exit code and the words its message needs.

One parametrised test runs the CLI on each case in an empty folder and checks the exit code, that
the error is one line naming what was wrong, and that nothing was left behind (no ``runs/``, no
half-written output). Add a case here for every bug found.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from lifelong_pose.cli.main import main

RUN = ["run", "--scenario", "cross_dataset"]

# (id, argv with {tmp} for the case's folder, exit code, words the message must contain)
CORPUS: list[tuple[str, list[str], int, list[str]]] = [
    ("strategy-typo", [*RUN, "--strategy", "sorce_only"], 2, ["Unknown strategy 'sorce_only'", "source_only"]),
    ("scenario-typo", ["run", "--scenario", "cross_datset", "--strategy", "source_only"], 2, ["cross_dataset"]),
    ("plugin-typo", [*RUN, "--strategy", "poseda", "--plugin", "emma"], 2, ["Did you mean 'ema'"]),
    ("seeds-huge-range", [*RUN, "--strategy", "source_only", "--seeds", "0-2000000000"], 2, ["at most 1000 seeds"]),
    ("seeds-text", [*RUN, "--strategy", "source_only", "--seeds", "a,b"], 2, ["comma-separated integers"]),
    ("seed-negative", [*RUN, "--strategy", "source_only", "--seed", "-1"], 2, ["--seed"]),
    ("lr-inf", [*RUN, "--strategy", "source_only", "--set", "lr=inf"], 2, ["lr must be a finite number"]),
    ("lr-nan", [*RUN, "--strategy", "poseda", "--set", "lr=nan"], 2, ["lr must be a finite number"]),
    ("batch-1", [*RUN, "--strategy", "source_only", "--set", "batch_size=1"], 2, ["batch_size must be >= 2"]),
    ("steps-huge", [*RUN, "--strategy", "source_only", "--steps", "1000000000"], 2, ["steps must be <= 100_000_000"]),
    ("epochs-0", [*RUN, "--strategy", "source_only", "--epochs", "0"], 2, ["epochs must be >= 1"]),
    ("set-unknown", [*RUN, "--strategy", "poseda", "--set", "lpaa=false"], 2, ["Did you mean 'lpa'"]),
    (
        "resume-and-overwrite",
        [*RUN, "--strategy", "source_only", "--out", "{tmp}/x", "--resume", "--overwrite"],
        2,
        ["give one of them"],
    ),
    ("resume-no-out", [*RUN, "--strategy", "source_only", "--resume"], 2, ["--resume needs --out"]),
    ("device-unknown", [*RUN, "--strategy", "source_only", "--device", "tpu"], 2, ["Unknown device 'tpu'"]),
    (
        "preview-no-poses",
        ["data", "preview", "cross_dataset", "--poses", "0", "--out", "{tmp}/p.png"],
        2,
        ["--poses must be between 1 and 64"],
    ),
    ("preview-huge", ["data", "preview", "cross_dataset", "--poses", "100000", "--out", "{tmp}/p.png"], 2, ["--poses"]),
    (
        "preview-missing-folder",
        ["data", "preview", "cross_dataset", "--out", "{tmp}/none/p.png"],
        2,
        ["is not an existing folder"],
    ),
    (
        "export-under-a-file",
        ["data", "export", "--scenario", "cross_dataset", "--format", "videopose3d", "--out", "{tmp}/file/sub"],
        2,
        ["Not a directory", "file/sub"],
    ),
    (
        "data-check-text-npz",
        ["data", "check", "{tmp}/data", "--scenario", "cross_scenario", "--no-fingerprints"],
        3,
        ["not a readable .npz archive"],
    ),
    (
        "data-check-payload",
        ["data", "check", "{tmp}/payload", "--scenario", "cross_scenario", "--no-fingerprints"],
        3,
        ["refused to unpickle", "nothing in it was run"],
    ),
    (
        "describe-real-text-npz",
        ["describe", "cross_scenario", "--data", "real", "--data-root", "{tmp}/data"],
        2,
        ["not a readable .npz archive"],
    ),
    (
        "leaderboard-add-missing",
        ["leaderboard", "--board", "{tmp}/board", "add", "{tmp}/nothing"],
        2,
        ["not a run folder"],
    ),
    ("leaderboard-add-nothing", ["leaderboard", "--board", "{tmp}/board", "add"], 2, ["needs run folders"]),
    ("check-strategy-typo", ["check", "strategy", "dakpse"], 2, ["Did you mean 'dakpose'"]),
]


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch RAN",))


def _fixtures(tmp: Path) -> None:
    """What the cases read: a file where a folder belongs, a text file named .npz, a planted pickle."""
    (tmp / "file").write_text("not a folder")
    (tmp / "data").mkdir()
    (tmp / "data" / "data_3d_h36m.npz").write_text("hello")
    (tmp / "payload").mkdir()
    np.savez(tmp / "payload" / "data_3d_h36m.npz", positions_3d={"S1": {"Walking": _Payload()}})


@pytest.mark.parametrize(("argv", "code", "words"), [case[1:] for case in CORPUS], ids=[case[0] for case in CORPUS])
def test_bad_input_is_one_clear_line_and_leaves_nothing(
    argv: list[str],
    code: int,
    words: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fixtures(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    try:
        exit_code = main([part.replace("{tmp}", str(tmp_path)) for part in argv])
    except SystemExit as stop:  # argparse's own usage errors
        exit_code = stop.code
    captured = capsys.readouterr()
    message = captured.err + captured.out
    assert exit_code == code, message
    for word in words:
        assert word in message, message
    assert "Traceback" not in message
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing left behind
    assert not (tmp_path / "RAN").exists()


PLUGINS = {
    "syntax-error": ("def f(:\n    pass\n", "X", "line 1: SyntaxError: invalid syntax"),
    "raises-at-import": (
        "raise RuntimeError('my plugin is broken')\n",
        "X",
        "line 1: RuntimeError: my plugin is broken",
    ),
    "raises-in-training": (
        "from lifelong_pose.training import LifelongStrategy\n\n"
        "class Boom(LifelongStrategy):\n"
        "    def supervised_loss(self, batch, output):\n"
        "        raise KeyError('no such joint')\n",
        "Boom",
        "line 5, in supervised_loss: KeyError: 'no such joint'",
    ),
}


@pytest.mark.parametrize(("source", "name", "words"), PLUGINS.values(), ids=PLUGINS.keys())
def test_a_plugins_own_error_is_shown_as_the_plugins(
    tiny_scenario: str, source: str, name: str, words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = tmp_path / "mine.py"
    plugin.write_text(source)
    argv = ["run", "--scenario", tiny_scenario, "--strategy", f"{plugin}:{name}", "--out", str(tmp_path / "run")]
    assert main([*argv, "--epochs", "1", "--quiet", "--no-report", "--device", "cpu", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"lifelong-pose: error in plugin code {plugin}, {words}"
    record = tmp_path / "run" / "seed-0" / "result.json"
    if name == "Boom":  # it failed inside training: the record says so, with the error
        from lifelong_pose.runner.record import load_record

        assert load_record(record.parent)["status"] == "failed"
    else:
        assert not record.exists()
