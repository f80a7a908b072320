"""kill -9 at three points of a multi-domain run, ``--resume`` each time: the matrices of an uninterrupted run.

The run is a real ``lifelong-pose run`` process on the tiny three-domain stream. The first kill
lands 0-0.3 s after the process has written its record (the source is training), each later one
0-0.3 s after a new checkpoint appears (the next domain is training), with no chance to clean up:
half-written files, a record saying ``running``. The next start must cope (stale temporary files
removed, a corrupt checkpoint set aside) and the finished matrices must equal a run never killed.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
LAUNCHER = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from lifelong_pose.registry import scenario_registry
scenario_registry.register("crash_tiny-v0", "tiny_streams:tiny", targets=2)
from lifelong_pose.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
ARGV = ["run", "--scenario", "crash_tiny-v0", "--strategy", "oracle", "--epochs", "100", "--adapt-epochs", "100"]
ARGV += ["--quiet", "--no-report", "--device", "cpu", "--no-cache"]


def _start(out: Path, resume: bool, log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-c", LAUNCHER, *ARGV, "--out", str(out), *(["--resume"] if resume else [])]
    with log.open("ab") as stream:  # a file, not a pipe: nobody reads a killed process's pipe
        return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=stream)


def _checkpoints(out: Path) -> int:
    return len(list((out / "seed-0" / "checkpoints").glob("domain-*.pt")))


def _written_at(record: Path) -> int:
    return record.stat().st_mtime_ns if record.exists() else 0


def test_kill_9_at_three_points_then_resume_gives_the_uninterrupted_matrices(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    whole = _start(tmp_path / "whole", resume=False, log=log)
    assert whole.wait(timeout=300) == 0, log.read_text()
    expected = json.loads((tmp_path / "whole" / "seed-0" / "result.json").read_text())["matrices"]

    out, record = tmp_path / "killed", tmp_path / "killed" / "seed-0" / "result.json"
    rng = random.Random(0)
    kills = []
    for attempt in range(3):
        written, saved = _written_at(record), _checkpoints(out)
        process = _start(out, resume=record.exists(), log=log)
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            # the first kill lands while the source trains; each later one in the domain after the
            # newest checkpoint, so every kill cuts a domain short whatever the machine's speed
            started = _written_at(record) != written if attempt == 0 else _checkpoints(out) > saved
            if started:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            state = json.loads(record.read_text()) if record.exists() else {"completed_domains": None}
            kills.append(state["completed_domains"])
    assert len(kills) == 3, f"the run finished before every kill: {kills}"
    assert all(done is None or done < 3 for done in kills), f"a kill came after the last domain: {kills}"
    final = _start(out, resume=True, log=log)
    assert final.wait(timeout=300) == 0, log.read_text()
    result = json.loads(record.read_text())
    assert result["status"] == "complete" and result["resumed"] >= 1
    assert result["matrices"] == expected
    assert not list(out.rglob(".*.tmp"))  # nothing half-written is left
