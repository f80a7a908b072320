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


def _run_main(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int | str | None, pytest.CaptureResult[str]]:
    """``main`` on ``argv`` (``{tmp}`` made ``tmp_path``): its exit status, argparse's usage errors included,
    and what it printed."""
    try:
        exit_code = main([part.replace("{tmp}", str(tmp_path)) for part in argv])
    except SystemExit as stop:  # argparse's own usage errors
        exit_code = stop.code
    return exit_code, capsys.readouterr()


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
    exit_code, captured = _run_main(argv, tmp_path, capsys)
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


# -- hostile and mistaken inputs: bounded resources, one line each --------------------------------------
SWEEP = "sweep"
BOMB = "scenarios: [cross_dataset]\nstrategies: [source_only]\nset: &a {steps: 20}\nseeds: [*a, *a]\n"
ROWS = "scenarios: [cross_dataset]\nstrategies:\n  - &row {strategy: source_only}\n  - *row\n"
GRID = "scenarios: [cross_dataset]\nstrategies: [source_only]\n"

# (id, argv with {tmp}, exit code, words the message must contain); each message is one line
HOSTILE: list[tuple[str, list[str], int, list[str]]] = [
    # budgets and rates
    (
        "steps-and-epochs",
        [*RUN, "--strategy", "source_only", "--steps", "10", "--epochs", "2"],
        2,
        ["steps=10 and epochs=2 both set the source budget; give one of them"],
    ),
    (
        "adapt-steps-and-adapt-epochs-via-set",
        [*RUN, "--strategy", "poseda", "--adapt-steps", "10", "--set", "adapt_epochs=2"],
        2,
        ["adapt_steps=10 and adapt_epochs=2 both set the target budget"],
    ),
    (
        "warmup-as-long-as-the-source",
        [*RUN, "--strategy", "source_only", "--steps", "10", "--set", "lr_warmup_steps=10"],
        2,
        ["lr_warmup_steps (10) must be shorter than the source budget (10 steps)", "lower lr_warmup_steps"],
    ),
    (
        "warmup-longer-than-a-target",
        [*RUN, "--strategy", "poseda", "--adapt-steps", "5", "--set", "lr_warmup_steps=8"],
        2,
        ["lr_warmup_steps (8) must be shorter than the target budget (5 steps)", "raise adapt_steps"],
    ),
    ("adapt-lr-1e308", [*RUN, "--strategy", "poseda", "--set", "adapt_lr=1e308"], 2, ["adapt_lr must be <= 10"]),
    ("lr-1e6", [*RUN, "--strategy", "source_only", "--set", "lr=1e6"], 2, ["lr must be <= 10", "got 1e+06"]),
    ("gan-lr-huge", [*RUN, "--strategy", "poseda", "--set", "gan_lr=50"], 2, ["gan_lr must be <= 10"]),
    # --set keys and values
    ("set-key-nul", [*RUN, "--strategy", "source_only", "--set", "l\x00r=1"], 2, ["is not an option name"]),
    (
        "set-key-10000-characters",
        [*RUN, "--strategy", "source_only", "--set", "k" * 10_000 + "=1"],
        2,
        ["(10000 characters) is not an option name", "…"],
    ),
    (
        "set-value-100000-characters",
        [*RUN, "--strategy", "source_only", "--set", "lifter=" + "x" * 100_000],
        2,
        ["gives a value of 100_000 characters; an option value is at most 1_000"],
    ),
    ("seeds-0-1000000", [*RUN, "--strategy", "source_only", "--seeds", "0-1000000"], 2, ["at most 1000 seeds"]),
    ("world-seed-negative", [*RUN, "--strategy", "source_only", "--world-seed", "-5"], 2, ["--world-seed", "-5"]),
    # plugin files and ids
    (
        "plugin-file-is-a-folder",
        [*RUN, "--strategy", "{tmp}/folder.py:Mine"],
        2,
        ["Plugin file", "folder.py' is a folder; give the .py file inside it"],
    ),
    (
        "plugin-class-is-not-a-class",
        [*RUN, "--strategy", "{tmp}/consts.py:VALUE"],
        2,
        ["must be a LifelongStrategy subclass", "got 3"],
    ),
    (
        "plugin-given-as-a-file",
        [*RUN, "--strategy", "source_only", "--plugin", "{tmp}/consts.py:VALUE"],
        2,
        ["--plugin takes a registered plugin id", "lifelong_pose.register_plugin"],
    ),
    # where output goes
    (
        "run-out-in-proc",
        [*RUN, "--strategy", "source_only", "--out", "/proc/lp-run"],
        2,
        ["--out /proc/lp-run", "/proc"],
    ),
    (
        "run-cache-dir-is-a-file",
        [*RUN, "--strategy", "source_only", "--cache-dir", "{tmp}/file"],
        2,
        ["--cache-dir", "is a file, not a folder"],
    ),
    ("cache-clear-dir-is-a-file", ["cache", "clear", "--cache-dir", "{tmp}/file"], 2, ["is a file, not a folder"]),
    ("cache-ls-dir-is-a-file", ["cache", "ls", "--cache-dir", "{tmp}/file"], 2, ["is a file, not a folder"]),
    ("preview-dev-full", ["data", "preview", "cross_dataset", "--out", "/dev/full"], 2, ["/dev/full", "under /dev"]),
    ("preview-in-proc", ["data", "preview", "cross_dataset", "--out", "/proc/lp.png"], 2, ["under /proc"]),
    (
        "preview-no-extension",
        ["data", "preview", "cross_dataset", "--out", "{tmp}/picture"],
        2,
        ["it has no extension", "picture.png"],
    ),
    (
        "preview-unknown-format",
        ["data", "preview", "cross_dataset", "--out", "{tmp}/picture.exe"],
        2,
        ["its extension '.exe' is no image format"],
    ),
    ("preview-a-folder", ["data", "preview", "cross_dataset", "--out", "{tmp}/data"], 2, ["it is a folder"]),
    # sweep files
    (
        "sweep-alias-bomb",
        [SWEEP, "{tmp}/bomb.yaml"],
        2,
        ["bomb.yaml, line 3: YAML anchor &a is not accepted in a sweep file"],
    ),
    ("sweep-alias-in-rows", [SWEEP, "{tmp}/rows.yaml"], 2, ["rows.yaml, line 3: YAML anchor &row"]),
    ("sweep-undefined-alias", [SWEEP, "{tmp}/alias.yaml"], 2, ["alias.yaml, line 2: YAML alias *nothing"]),
    ("sweep-file-is-a-list", [SWEEP, "{tmp}/list.yaml"], 2, ["must hold a mapping of sweep keys", "got list"]),
    ("sweep-nested-deep", [SWEEP, "{tmp}/deep.yaml"], 2, ["nested deeper than 16 levels"]),
    ("sweep-not-utf8", [SWEEP, "{tmp}/binary.yaml"], 2, ["binary.yaml is not UTF-8 text"]),
    ("sweep-over-a-megabyte", [SWEEP, "{tmp}/huge.yaml"], 2, ["is over 1_048_576 bytes"]),
    ("sweep-file-is-a-folder", [SWEEP, "{tmp}/data"], 2, ["the sweep file", "is a folder"]),
    (
        "sweep-invalid-yaml",
        [SWEEP, "{tmp}/broken.yaml"],
        2,
        ["broken.yaml is not valid YAML, line 2, column 11: expected ',' or ']'"],
    ),
    ("sweep-world-seed-negative", [SWEEP, "{tmp}/seed.yaml"], 2, ["world_seed is an integer from 0 to 2147483647"]),
    ("sweep-cpus-text", [SWEEP, "{tmp}/cpus.yaml"], 2, ["resources: cpus is a number", "'many'"]),
    ("sweep-set-value-list", [SWEEP, "{tmp}/setlist.yaml"], 2, ["'steps' is a list; an option's value is a number"]),
    ("sweep-set-key-nul", [SWEEP, "{tmp}/grid.yaml", "--set", "a\x00b=1"], 2, ["is not an option name"]),
    ("sweep-steps-and-epochs", [SWEEP, "{tmp}/budget.yaml"], 2, ["both set the source budget"]),
    ("sweep-lr-1e308", [SWEEP, "{tmp}/grid.yaml", "--set", "lr=1e308"], 2, ["row 'source_only'", "lr must be <= 10"]),
    (
        "sweep-runs-multiply",
        [SWEEP, "{tmp}/many.yaml"],
        2,
        ["has 12_000 runs (3 scenarios x 4 rows x 1000 seeds)"],
    ),
]


def _hostile_fixtures(tmp: Path) -> None:
    """A folder named like a plugin file, a module whose 'class' is a number, and sweep files of every kind."""
    (tmp / "folder.py").mkdir()
    (tmp / "consts.py").write_text("VALUE = 3\n")
    files = {
        "bomb.yaml": BOMB,
        "rows.yaml": ROWS,
        "alias.yaml": "scenarios: [cross_dataset]\nstrategies: *nothing\n",
        "list.yaml": "- scenarios: [cross_dataset]\n- strategies: [source_only]\n",
        "deep.yaml": GRID + "set: {steps: " + "[" * 40 + "1" + "]" * 40 + "}\n",
        "huge.yaml": GRID + "# " + "x" * 1_100_000 + "\n",
        "broken.yaml": "scenarios: [cross_dataset\nstrategies: [source_only]\n",
        "seed.yaml": GRID + "world_seed: -3\n",
        "cpus.yaml": GRID + "resources: {cpus: many}\n",
        "setlist.yaml": GRID + "set: {steps: [1, 2]}\n",
        "grid.yaml": GRID,
        "budget.yaml": GRID + "set: {steps: 10, epochs: 2}\n",
        "many.yaml": "scenarios: [cross_dataset, cross_scenario, cross_camera]\nstrategies: [source_only, oracle, "
        "poseda, adabn]\nseeds: 0-999\nset: {steps: 20}\n",  # 12,000 runs
    }
    for name, text in files.items():
        (tmp / name).write_text(text)
    (tmp / "binary.yaml").write_bytes(b"scenarios: [\xff\xfe]\n")


@pytest.mark.parametrize(("argv", "code", "words"), [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_input_is_one_bounded_line_and_leaves_nothing(
    argv: list[str],
    code: int,
    words: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fixtures(tmp_path)
    _hostile_fixtures(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.dont_write_bytecode", True)  # an imported plugin file leaves no __pycache__
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    exit_code, captured = _run_main(argv, tmp_path, capsys)
    message = captured.err + captured.out
    assert exit_code == code, message
    for word in words:
        assert word in message, message
    errors = [line for line in captured.err.splitlines() if "error" in line]
    assert len(errors) == 1, message  # one line says what is wrong (argparse adds its usage above it)
    assert len(errors[0]) <= 2000  # a value of megabytes is echoed cut, never whole
    assert "Traceback" not in message
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert not (tmp_path / "picture.png").exists()  # no extension is ever added to a path given


def test_preview_path_refuses_devices_and_never_adds_an_extension(tmp_path: Path) -> None:
    from lifelong_pose.preview import preview_path

    with pytest.raises(ValueError, match="not a regular file"):
        preview_path("/dev/full", 4)
    with pytest.raises(ValueError, match="has no extension"):
        preview_path(tmp_path / "picture", 4)
    assert preview_path(tmp_path / "picture.pdf", 4) == tmp_path / "picture.pdf"


def test_an_epochs_budget_shorter_than_the_warmup_fails_when_it_is_resolved(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In epochs the budget is known in steps only once the source's size is: same message, then."""
    argv = ["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--out", str(tmp_path / "run")]
    status = main([*argv, "--epochs", "1", "--set", "lr_warmup_steps=100000", "--quiet", "--no-report", "--no-cache"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert "lr_warmup_steps (100000) must be shorter than the source budget (" in err and "= 1 epoch)" in err
    assert not (tmp_path / "run").exists()


def test_a_budget_given_in_steps_replaces_a_profiles_epochs(tmp_path: Path) -> None:
    """``--profile paper --steps 100``: the paper profile's epochs no longer win over the steps asked for."""
    import lifelong_pose as lp
    from lifelong_pose.training import RunContext

    strategy = lp.strategy_registry.make("poseda", context=RunContext(17, "h36m17", profile="paper"), steps=100)
    assert strategy.params.steps == 100 and strategy.params.epochs is None
    with pytest.raises(ValueError, match="both set the source budget"):
        lp.strategy_registry.make("poseda", context=RunContext(17, "h36m17", profile="paper"), steps=100, epochs=2)


def test_echoed_values_are_cut_to_200_characters() -> None:
    from lifelong_pose.registry.loading import echo

    assert echo("x" * 10) == repr("x" * 10)
    cut = echo("x" * 10_000)
    assert len(cut) == 200 and cut.endswith("…")
    nested: list[object] = []
    for _ in range(10_000):  # formatting this whole would take the time and memory of a YAML bomb
        nested = [nested, nested]
    assert len(echo(nested)) <= 200


def _cache_with_an_entry(root: Path) -> tuple[Path, Path]:
    """A cache folder holding one entry as the current code writes it, and one as the code before manifests did."""
    import torch

    from lifelong_pose.runner.source_cache import ENTRY_SCHEMA, SourceCache, identity_key, state_checksum

    cache = SourceCache(root)
    new = cache.store({"seed": 0}, {"w": torch.ones(3)})
    assert new is not None and cache.manifest_path(new).exists()
    identity = {"seed": 1}  # written as before: the entry alone, no manifest beside it
    old = cache.path(identity_key(identity))
    state = {"w": torch.zeros(3)}
    torch.save({"schema": ENTRY_SCHEMA, "identity": identity, "state": state, "sha256": state_checksum(state)}, old)
    return new, old


def test_cache_clear_removes_only_what_the_cache_wrote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    new, _ = _cache_with_an_entry(tmp_path / "cache")
    folder = new.parent
    mine = folder / "model.pt"  # a user's own file
    torch.save({"w": torch.ones(2)}, mine)
    forged = folder / ("0" * 64 + ".pt")  # named like an entry, but not one
    torch.save({"w": torch.ones(2)}, forged)
    notes = folder / "notes.txt"
    notes.write_text("mine")
    aside = folder / f"{'a' * 64}.pt.bad-20250101-120000"  # set aside by the code before manifests
    aside.write_bytes(b"truncated")
    leftover = folder / f".{'b' * 64}.pt.abcd1234.tmp"  # a write cut short
    leftover.write_bytes(b"half")
    assert main(["cache", "clear", "--cache-dir", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert "Removed 4 file(s) and 1 manifest(s)" in out
    assert "Left 3 file(s) the cache did not write: " in out and "model.pt" in out and "notes.txt" in out
    assert sorted(path.name for path in folder.iterdir()) == sorted([mine.name, forged.name, notes.name])
    assert torch.load(mine, weights_only=True)["w"].tolist() == [1.0, 1.0]


def test_a_set_aside_entry_gets_a_manifest_and_clear_knows_it(tmp_path: Path) -> None:
    import warnings

    from lifelong_pose.runner.source_cache import SourceCache

    new, _ = _cache_with_an_entry(tmp_path)
    new.write_bytes(new.read_bytes()[:100])
    cache = SourceCache(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert cache.load({"seed": 0}) is None
    (aside,) = new.parent.glob("*.bad-*")
    assert cache.manifest_path(aside).exists() and not cache.manifest_path(new).exists()
    cleared = cache.clear()
    assert not cleared.left and not list(new.parent.iterdir())


def test_a_shorter_budget_scales_a_default_warmup_but_never_one_the_user_set() -> None:
    """DAK-Pose warms up 200 of its 8000 steps: --steps 100 keeps that share (2.5, 2 steps), --steps 4 none;
    a warm-up the user sets is never changed, so a conflict there is refused."""
    import lifelong_pose as lp
    from lifelong_pose.training import RunContext

    context = RunContext(17, "h36m17")
    assert lp.strategy_registry.make("dakpose", context=context, steps=100).params.lr_warmup_steps == 2
    assert lp.strategy_registry.make("dakpose", context=context, steps=4).params.lr_warmup_steps == 0
    assert lp.strategy_registry.make("dakpose", context=context, steps=1000).params.lr_warmup_steps == 200
    with pytest.raises(ValueError, match=r"lr_warmup_steps \(200\) must be shorter than the source budget \(100"):
        lp.strategy_registry.make("dakpose", context=context, steps=100, lr_warmup_steps=200)
