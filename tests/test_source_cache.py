"""The source-lifter cache: same matrices with and without it, bad entries and folders, the CLI."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from lifelong_pose.cli.main import main
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.runner.source_cache import CacheWarning, SourceCache, identity_key, state_checksum

FAST = {"steps": 30, "batch_size": 8}


def _run(scenario: str, out: Path, strategy: str = "oracle", **config: Any) -> dict[str, Any]:
    options = dict(FAST) | ({"adapt_steps": 5} if strategy != "source_only" else {})
    options |= config.pop("options", {})
    return run(RunConfig(scenario, strategy, out, progress=False, report=False, options=options, **config))


def _entries(cache: Path) -> list[Path]:
    return sorted((cache / "source").glob("*.pt"))


def test_a_cached_source_gives_the_same_matrix(tiny_scenario: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _run(tiny_scenario, tmp_path / "a", "source_only", cache_dir=str(cache))
    assert first["source_cache"]["used"] is False and len(_entries(cache)) == 1
    assert _entries(cache)[0].stem == first["source_cache"]["key"]
    # a second strategy on the same stream and seed starts at the first target
    cached = _run(tiny_scenario, tmp_path / "b", cache_dir=str(cache))
    fresh = _run(tiny_scenario, tmp_path / "c", cache=False)
    key = first["source_cache"]["key"]
    assert cached["source_cache"] == {"used": True, "key": key, "folder": str(cache / "source")}
    assert fresh["source_cache"] == {"used": False, "key": None, "reason": "--no-cache"}
    assert cached["matrices"] == fresh["matrices"]
    assert cached["matrices"]["mpjpe"][0] == first["matrices"]["mpjpe"][0]
    assert cached["timing"]["domains"][0]["train_s"] < fresh["timing"]["domains"][0]["train_s"]


def test_end_of_source_work_is_the_same_from_the_cache(tiny_scenario: str, tmp_path: Path) -> None:
    """What runs after the source trains (EWC's Fisher information drawn from the source's batches,
    replay's memory, PoseDA's kept pool) sees the same lifter and the same draws either way."""
    cache = tmp_path / "cache"
    _run(tiny_scenario, tmp_path / "a", "source_only", cache_dir=str(cache))
    options = {"warmup_steps": 3}
    plugins = {"plugin_ids": ["ewc", "replay"]}
    cached = _run(tiny_scenario, tmp_path / "b", "poseda", cache_dir=str(cache), options=options, **plugins)
    fresh = _run(tiny_scenario, tmp_path / "c", "poseda", cache=False, options=options, **plugins)
    assert cached["source_cache"]["used"] and cached["matrices"] == fresh["matrices"]


def test_the_identity_separates_what_changes_the_source(tiny_scenario: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    keys = {
        _run(tiny_scenario, tmp_path / name, "source_only", cache_dir=str(cache), **config)["source_cache"]["key"]
        for name, config in {
            "base": {},
            "seed": {"seed": 1},
            "steps": {"options": {"steps": 31}},
            "lr": {"options": {"lr": 5e-3}},
        }.items()
    }
    assert len(keys) == 4 and len(_entries(cache)) == 4
    # what does not change the trained source shares the entry
    again = _run(tiny_scenario, tmp_path / "eval", "source_only", cache_dir=str(cache), options={"eval_batch_size": 7})
    assert again["source_cache"]["used"] is True and len(_entries(cache)) == 4


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda path: path.write_bytes(path.read_bytes()[:200]), "cannot be read"),
        (
            lambda path: torch.save({"schema": "lifelong-pose/source-cache/v1", "identity": {"x": 1}}, path),
            "another lifter",
        ),
        (lambda path: torch.save({"weights": torch.zeros(2)}, path), "not a lifelong-pose source-cache entry"),
    ],
    ids=["truncated", "foreign", "not-an-entry"],
)
def test_a_bad_entry_is_set_aside_and_the_source_retrained(
    tiny_scenario: str, tmp_path: Path, spoil: Any, message: str
) -> None:
    cache = tmp_path / "cache"
    first = _run(tiny_scenario, tmp_path / "a", "source_only", cache_dir=str(cache))
    (entry,) = _entries(cache)
    spoil(entry)
    with pytest.warns(CacheWarning, match=message):
        again = _run(tiny_scenario, tmp_path / "b", "source_only", cache_dir=str(cache))
    assert again["source_cache"]["used"] is False and again["matrices"] == first["matrices"]
    assert len(list((cache / "source").glob("*.bad-*"))) == 1  # set aside, never deleted
    assert _entries(cache) == [entry]  # and written again by the retraining


def test_a_tampered_state_fails_its_checksum(tmp_path: Path) -> None:
    cache = SourceCache(tmp_path)
    identity = {"data": "x", "seed": 0}
    cache.store(identity, {"w": torch.ones(3)})
    entry = torch.load(cache.path(identity_key(identity)), weights_only=True)
    entry["state"]["w"][0] = 2.0
    torch.save(entry, cache.path(identity_key(identity)))
    with pytest.warns(CacheWarning, match="fails its checksum"):
        assert cache.load(identity) is None
    assert state_checksum({"w": torch.ones(3)}) != state_checksum({"w": torch.zeros(3)})


def test_an_unwritable_cache_folder_is_a_warning_not_a_failure(tiny_scenario: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.warns(CacheWarning, match="cannot be written"):
        record = _run(tiny_scenario, tmp_path / "a", "source_only", cache_dir=str(blocker))
    assert record["status"] == "complete" and record["source_cache"]["used"] is False


def test_plugins_that_change_source_training_bypass_the_cache(tiny_scenario: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    record = _run(
        tiny_scenario,
        tmp_path / "a",
        plugin_ids=["ema"],
        plugin_options={"ema": {"from_domain": 0}},
        cache_dir=str(cache),
    )
    reason = "plugin EMAPlugin may change source training"
    assert record["source_cache"] == {"used": False, "key": None, "reason": reason}
    assert not _entries(cache)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        later = _run(tiny_scenario, tmp_path / "b", plugin_ids=["ema"], cache_dir=str(cache))  # from domain 1: fine
    assert later["source_cache"]["key"] is not None


def test_cache_ls_and_clear(tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    record = _run(tiny_scenario, tmp_path / "a", "source_only", cache_dir=str(cache))
    capsys.readouterr()
    assert main(["cache", "ls", "--cache-dir", str(cache)]) == 0
    listing = capsys.readouterr().out
    assert record["source_cache"]["key"][:12] in listing and "simple_baseline" in listing
    assert main(["cache", "clear", "--cache-dir", str(cache)]) == 0
    assert "Removed 1 file(s)" in capsys.readouterr().out and not _entries(cache)
    assert main(["cache", "ls", "--cache-dir", str(cache)]) == 0
    assert "(empty)" in capsys.readouterr().out
