"""Strategy files that misbehave (leave a thread running, exit, raise KeyboardInterrupt, return a loss
no step can use) and writes that run out of room: each ends in one line naming what went wrong."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from lifelong_pose.cli.main import main
from lifelong_pose.runner.record import load_record

FAST = ["--steps", "4", "--quiet", "--no-report", "--device", "cpu", "--no-cache"]
HEADER = "import os, signal, sys, threading\nimport torch\nfrom lifelong_pose.training import LifelongStrategy\n\n"


def _run(scenario: str, tmp_path: Path, source: str, *extra: str) -> tuple[int, str]:
    """Run class ``Mine`` of a file holding ``source`` (line 5 is its first line) on two quick domains."""
    plugin = tmp_path / "mine.py"
    plugin.write_text(HEADER + source)
    argv = ["run", "--scenario", scenario, "--strategy", f"{plugin}:Mine", "--out", str(tmp_path / "run")]
    return main([*argv, *FAST, "--adapt-steps", "2", *extra]), str(plugin)


# -- a thread left running ------------------------------------------------------------------------
class _Exited(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def test_a_thread_left_running_is_named_and_the_process_exits_anyway(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python joins every non-daemon thread at exit: without this the process hangs after "Run folder"."""
    import lifelong_pose.cli.main as cli

    def exit_now(code: int) -> None:
        raise _Exited(code)

    monkeypatch.setattr(os, "_exit", exit_now)  # the real one would end pytest
    monkeypatch.setattr(cli, "STRAY_THREAD_GRACE_S", 0.05)
    source = (
        "from lifelong_pose.strategies.baselines import SourceOnly\n"
        "STOP = threading.Event()\n"
        "threading.Thread(target=lambda: STOP.wait(60), name='forever').start()\n\n"
        "class Mine(SourceOnly):\n"
        "    pass\n"
    )
    plugin = tmp_path / "mine.py"
    plugin.write_text(HEADER + source)
    argv = ["run", "--scenario", tiny_scenario, "--strategy", f"{plugin}:Mine", "--out", str(tmp_path / "run")]
    try:
        with pytest.raises(_Exited) as exited:
            main([*argv, *FAST])
    finally:
        for thread in threading.enumerate():
            if thread.name == "forever":
                thread._target.__globals__["STOP"].set()  # type: ignore[attr-defined]
                thread.join(5)
    captured = capsys.readouterr()
    assert exited.value.code == 0 and "Run folder" in captured.out  # the run's own status, after its output
    (warning,) = [line for line in captured.err.splitlines() if "still running" in line]
    assert "1 thread(s)" in warning and f"'forever' in {plugin}" in warning


def test_no_thread_left_means_no_warning(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = _run(tiny_scenario, tmp_path, "class Mine(LifelongStrategy):\n    pass\n")
    assert status == 2  # it has no adaptation_loss: a plain error, and main returned (no os._exit)
    assert "still running" not in capsys.readouterr().err


# -- exits and interrupts -------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "shown"), [("sys.exit(0)", "sys.exit(0)"), ("exit(3)", "sys.exit(3)")])
def test_a_plugin_file_that_exits_at_import_is_an_error_naming_it(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], call: str, shown: str
) -> None:
    status, plugin = _run(tiny_scenario, tmp_path, f"{call}\n")
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and f"Plugin file {plugin!r} ran {shown} at line 5 while being imported" in err
    assert not (tmp_path / "run").exists()


def test_a_plugin_that_exits_while_training_fails_its_run(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "class Mine(LifelongStrategy):\n    def supervised_loss(self, batch, output):\n        sys.exit(0)\n"
    status, plugin = _run(tiny_scenario, tmp_path, source)
    err = capsys.readouterr().err
    assert status == 2
    assert f"error in plugin code {plugin}, line 7, in supervised_loss: SystemExit: sys.exit(0) called" in err
    record = load_record(tmp_path / "run" / "seed-0")
    assert record["status"] == "failed" and "sys.exit(0)" in record["error"]  # not left "running"


def test_a_keyboard_interrupt_raised_by_plugin_code_is_not_a_ctrl_c(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "class Mine(LifelongStrategy):\n"
        "    def supervised_loss(self, batch, output):\n"
        "        raise KeyboardInterrupt\n"
    )
    status, plugin = _run(tiny_scenario, tmp_path, source)
    err = capsys.readouterr().err
    assert status == 2
    assert f"error in plugin code {plugin}, line 7, in supervised_loss: KeyboardInterrupt: raised by the code" in err
    assert "Interrupted" not in err and "Continue with" not in err
    record = load_record(tmp_path / "run" / "seed-0")
    assert record["status"] == "failed" and "KeyboardInterrupt" in record["error"]  # resuming would only repeat it


def test_a_keyboard_interrupt_at_import_is_the_plugins_too(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, plugin = _run(tiny_scenario, tmp_path, "raise KeyboardInterrupt\n")
    err = capsys.readouterr().err
    assert status == 2 and f"error in plugin code {plugin}, line 5: KeyboardInterrupt" in err
    assert "--resume" not in err


def test_a_real_signal_inside_plugin_code_is_still_a_ctrl_c(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGINT arriving while plugin code runs: the handler notes it, so it is the user's Ctrl-C."""
    source = (
        "class Mine(LifelongStrategy):\n"
        "    def supervised_loss(self, batch, output):\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        return super().supervised_loss(batch, output)\n"
    )
    monkeypatch.setattr(sys, "argv", ["lifelong-pose"])
    status, _ = _run(tiny_scenario, tmp_path, source)
    err = capsys.readouterr().err
    assert status == 130 and "Interrupted" in err and err.rstrip().endswith("--resume")
    assert load_record(tmp_path / "run" / "seed-0")["status"] == "interrupted"


# -- losses no step can use -----------------------------------------------------------------------
LOSSES = {
    "none": ("return None", "returned None (NoneType), not a tensor"),
    "per-sample": (
        "return (output - batch.X3d).norm(dim=-1).mean(-1)",
        "returned a tensor of shape (4,), not a scalar",
    ),
    "no-gradient": ("return torch.tensor(1.0)", "returned a loss with no gradient (requires_grad=False"),
    "float": ("return 0.5", "returned 0.5 (float), not a tensor"),
}


@pytest.mark.parametrize(("body", "words"), LOSSES.values(), ids=LOSSES.keys())
def test_a_supervised_loss_no_step_can_use_names_class_file_and_hook(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, words: str
) -> None:
    source = f"class Mine(LifelongStrategy):\n    def supervised_loss(self, batch, output):\n        {body}\n"
    status, plugin = _run(tiny_scenario, tmp_path, source, "--set", "batch_size=4")
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"lifelong-pose: error: Mine.supervised_loss ({plugin}) {words}"), err
    assert err.count("\n") == 1
    assert load_record(tmp_path / "run" / "seed-0")["status"] == "failed"


def test_an_adaptation_loss_without_gradient_names_its_hook(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (
        "class Mine(LifelongStrategy):\n"
        "    def adaptation_loss(self, batch, output):\n"
        "        return output.detach().abs().mean()\n"
    )
    status, plugin = _run(tiny_scenario, tmp_path, source)
    err = capsys.readouterr().err
    assert status == 2 and f"Mine.adaptation_loss ({plugin}) returned a loss with no gradient" in err
    record = load_record(tmp_path / "run" / "seed-0")
    assert record["status"] == "failed" and record["completed_domains"] == 1  # the source trained


# -- no room left -----------------------------------------------------------------------------------
def _limited_writes(limit: int) -> Any:
    """RLIMIT_FSIZE's soft limit lowered to ``limit`` bytes (SIGXFSZ ignored, so writes fail with EFBIG)."""
    import contextlib
    import resource
    import signal

    @contextlib.contextmanager
    def limited() -> Any:
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous)

    return limited()


def test_checkpoint_record_and_cache_writes_past_the_file_size_limit_say_no_space(tmp_path: Path) -> None:
    """In a subprocess, as a full disk would be met: torch's "unexpected pos" never reaches the user."""
    script = f"""
import resource, signal, sys, warnings
from pathlib import Path
import torch
from lifelong_pose.runner.checkpoint import NoSpaceLeft, atomic_write_json, save_checkpoint
from lifelong_pose.runner.source_cache import SourceCache
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (65536, resource.RLIM_INFINITY))
root = Path({str(tmp_path)!r})
for write in (lambda: save_checkpoint(root / "run", 0, {{"w": torch.zeros(100_000)}}),
              lambda: atomic_write_json(root / "run" / "result.json", {{"x": "y" * 100_000}})):
    try:
        write()
        print("written")
    except NoSpaceLeft as error:
        print(type(error).__name__, error.errno, error)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("stored", SourceCache(root / "cache").store({{"seed": 0}}, {{"w": torch.zeros(100_000)}}))
print("warned", caught[0].message)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    checkpoint, record, stored, warned = result.stdout.strip().splitlines()
    assert checkpoint.startswith("NoSpaceLeft 27 no space left on ")
    assert "while writing domain-00.pt (the file outgrew the largest size allowed)" in checkpoint
    assert record.startswith("NoSpaceLeft 27 no space left on ") and "while writing result.json" in record
    assert "unexpected pos" not in result.stdout
    assert stored == "stored None" and "cannot be written (no space left on " in warned
    assert not list(tmp_path.rglob("*.tmp"))  # no half-written file left behind


def test_a_run_whose_checkpoint_finds_no_room_says_so_in_its_record(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--out", str(tmp_path / "run"), *FAST]
    with _limited_writes(256 * 1024):  # the record (a few KB) fits, a checkpoint (about 1 MB) does not
        status = main(argv)
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("lifelong-pose: error: no space left on ") and "while writing domain-00.pt" in err
    assert err.count("\n") == 1 and "unexpected pos" not in err
    record = json.loads((tmp_path / "run" / "seed-0" / "result.json").read_text())
    assert record["status"] == "failed" and record["error"].startswith("NoSpaceLeft: no space left on ")
    assert not list((tmp_path / "run").rglob("*.tmp"))
