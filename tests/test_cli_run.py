"""``lifelong-pose run`` end to end on a tiny stream, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_streams import SMALL_DIFFUSION_REPLAY

from lifelong_pose.cli.main import main
from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.runner.record import load_record, load_summary

FAST = ["--epochs", "1", "--quiet", "--no-report", "--device", "cpu"]


def test_run_prints_the_matrix_and_writes_the_record(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--out", str(tmp_path), *FAST])
    printed = capsys.readouterr().out
    assert code == 0
    assert "MPJPE (mm) on" in printed and "after 2: d2" in printed and "forgetting" in printed
    record = load_record(tmp_path / "seed-0")
    assert record["strategy"]["params"]["epochs"] == 1 and record["seed"] == 0


def test_several_seeds_give_mean_and_std(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--scenario", tiny_scenario, "--strategy", "oracle", "--seeds", "0,1", "--out", str(tmp_path)]
    assert main([*argv, *FAST, "--adapt-epochs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "±" in printed and "seeds 0,1" in printed
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert load_summary(tmp_path) == summary and summary["schema"] == "lifelong-pose/summary/v1"
    assert summary["seeds"] == [0, 1] and summary["runs"] == ["seed-0/result.json", "seed-1/result.json"]
    figure = summary["figures"]["mpjpe"]["final_avg"]
    values = [load_record(tmp_path / f"seed-{s}")["summary"]["final_avg_mpjpe"] for s in (0, 1)]
    assert figure["n"] == 2 and figure["mean"] == pytest.approx(sum(values) / 2)
    assert figure["std"] == pytest.approx(abs(values[0] - values[1]) / 2**0.5)
    assert len(summary["matrices"]["mpjpe"]["mean"]) == 3


def test_resume_through_the_cli(tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--out", str(tmp_path), *FAST]
    assert main(argv) == 0
    first = load_record(tmp_path / "seed-0")
    assert main([*argv, "--resume"]) == 0
    assert load_record(tmp_path / "seed-0")["matrices"] == first["matrices"]
    assert main(argv) == 2
    assert "already holds a run (complete after 3 of 3 domains); pass --resume" in capsys.readouterr().err
    assert main([*argv, "--resume", "--overwrite"]) == 2
    assert "give one of them" in capsys.readouterr().err
    assert main([*argv, "--overwrite"]) == 0  # replaced: the same options give the same matrices
    assert load_record(tmp_path / "seed-0")["matrices"] == first["matrices"]
    assert load_record(tmp_path / "seed-0").get("resumed") is None


def test_resume_of_a_folder_never_started_says_it_starts_fresh(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--out", str(tmp_path / "new"), *FAST]
    assert main([*argv, "--resume"]) == 0
    err = capsys.readouterr().err
    assert f"Nothing to resume in {tmp_path / 'new' / 'seed-0'}: seed 0 starts from the beginning" in err


def test_a_typo_in_an_id_is_answered_before_the_heavy_imports() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from lifelong_pose.cli.main import main\n"
        "code = main(['run', '--scenario', 'cross_dataset', '--strategy', 'sorce_only'])\n"
        "assert code == 2 and 'torch' not in sys.modules and 'avalanche' not in sys.modules, sorted(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Did you mean 'source_only'" in done.stderr


def test_a_failed_run_folder_says_how_to_continue_or_replace_it(tiny_scenario: str, tmp_path: Path) -> None:
    from lifelong_pose.runner.run import check_out_dir

    (tmp_path / "result.json").write_text(
        '{"status": "failed", "completed_domains": 1, "domains": ["a", "b"], "error": "ValueError: boom"}'
    )
    (tmp_path / ".result.json.abc.tmp").write_text("half")  # left by a kill -9 mid-write
    with pytest.raises(
        ValueError, match=r"\(failed after 1 of 2 domains: ValueError: boom\); pass --resume .* --overwrite"
    ):
        check_out_dir(tmp_path, resume=False)
    check_out_dir(tmp_path, resume=True)
    assert not (tmp_path / ".result.json.abc.tmp").exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--strategy", "source_onyl"], "Did you mean 'source_only'"),
        (["--strategy", "source_only", "--epochs", "-1"], "epochs must be >= 1"),
        (["--strategy", "source_only", "--steps", "0"], "steps must be >= 1, got 0"),
        (["--strategy", "oracle", "--adapt-steps", "-3"], "adapt_steps must be >= 1, got -3"),
        (["--strategy", "source_only", "--set", "lr_schedule=linear"], "option 'lr_schedule' expects one of"),
        (["--strategy", "source_only", "--adapt-epochs", "2"], "has no option 'adapt_epochs'"),
        (["--strategy", "source_only", "--device", "tpu"], "Unknown device 'tpu'"),
        (["--strategy", "source_only", "--resume"], "--resume needs --out"),
        (["--strategy", "nowhere.module:Thing"], "Cannot import module 'nowhere.module'"),
        (["--strategy", "poseda", "--plugin", "emma"], "Did you mean 'ema'"),
        (["--strategy", "poseda", "--plugin", "ema", "--plugin", "ema"], "given twice"),
        (["--strategy", "poseda", "--set", "lpa"], "expects key=value"),
        (["--strategy", "poseda", "--set", "lpaa=false"], "Did you mean 'lpa'"),
        (["--strategy", "poseda", "--set", "lpa=maybe"], "option 'lpa' expects bool"),
        (["--strategy", "poseda", "--set", "ema.eta=0.9"], "'ema' is not a plugin of this run"),
        (["--strategy", "poseda", "--plugin", "ema", "--set", "ema.beta=0.9"], "Did you mean 'eta'"),
        (["--strategy", "poseda", "--set", "epochs=2", "--epochs", "3"], "given both as --epochs and with --set"),
        (["--strategy", "poseda", "--set", "gpa=false", "--set", "lpa=false"], "gpa=true or lpa=true"),
        # sizes and numbers a user can type: bounded and finite, refused before anything is allocated
        (["--strategy", "source_only", "--set", "lr=inf"], "lr must be a finite number, got inf"),
        (["--strategy", "poseda", "--set", "adapt_lr=nan"], "adapt_lr must be a finite number, got nan"),
        (["--strategy", "dakpose", "--set", "weight_pose=inf"], "weight_pose must be a finite number"),
        (["--strategy", "source_only", "--set", "batch_size=1"], "batch_size must be >= 2 (batch normalisation"),
        (["--strategy", "source_only", "--set", "batch_size=100000000"], "batch_size must be <= 1_048_576"),
        (["--strategy", "source_only", "--steps", "1000000000"], "steps must be <= 100_000_000"),
        (["--strategy", "source_only", "--epochs", "10000000"], "epochs must be <= 100000"),
        (["--strategy", "oracle", "--adapt-steps", "1000000000"], "adapt_steps must be <= 100_000_000"),
        (["--strategy", "source_only", "--set", "receptive_field=100001"], "receptive_field must be <= 2_187"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tiny_scenario: str, arguments: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = [] if "--resume" in arguments else ["--out", str(tmp_path / "x")]
    assert main(["run", "--scenario", tiny_scenario, *arguments, *out, "--quiet", "--no-report"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x" / "seed-0" / "result.json").exists()


def test_unknown_scenario_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["run", "--scenario", "cross_datset", "--strategy", "source_only", "--out", str(tmp_path)]) == 2
    assert "Did you mean 'cross_dataset'" in capsys.readouterr().err


def test_seeds_parse() -> None:
    assert parse_seeds("0,1,2") == [0, 1, 2]
    assert parse_seeds("3-5") == [3, 4, 5]
    assert parse_seeds("0, 7") == [0, 7]
    huge = ",".join(map(str, range(1001)))
    bad_seeds = (
        ("a,b", "comma-separated integers"),
        ("5-3", "comma-separated"),
        ("1,1", "repeats"),
        ("0-2000000000", "asks for 2_000_000_001 runs; at most 1000 seeds"),  # refused before the list is built
        (huge, "lists 1001 seeds; at most 1000"),
    )
    for bad, message in bad_seeds:
        with pytest.raises(Exception, match=message):
            parse_seeds(bad)


def test_bad_seeds_exit_2_through_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--scenario", "cross_dataset", "--strategy", "source_only", "--seeds", "x"])
    assert exit_info.value.code == 2
    assert "--seeds expects comma-separated integers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--scenario", "cross_dataset", "--strategy", "source_only", "--seed", "1", "--seeds", "1,2"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_ctrl_c_prints_how_to_resume(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import lifelong_pose.runner.run as runner

    def interrupted(config: runner.RunConfig) -> dict:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", interrupted)
    argv = ["run", "--scenario", "cross_dataset", "--strategy", "source_only", "--out", str(tmp_path)]
    monkeypatch.setattr("sys.argv", ["lifelong-pose", *argv])
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "Interrupted" in err and f"--out {tmp_path}" in err and err.rstrip().endswith("--resume")


def test_resuming_several_seeds_starts_those_never_begun(
    tiny_scenario: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["run", "--scenario", tiny_scenario, "--strategy", "source_only", "--out", str(tmp_path), *FAST]
    assert main([*base, "--seed", "0"]) == 0
    assert main([*base, "--seeds", "0,1", "--resume"]) == 0
    assert load_record(tmp_path / "seed-1")["status"] == "complete"


@pytest.mark.parametrize("argv", [["--seed", "-1"], ["--seeds", "0,-1"], ["--seed", str(2**31)], ["--seed", "x"]])
def test_out_of_range_seeds_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--scenario", "cross_dataset", "--strategy", "source_only", *argv])
    assert exit_info.value.code == 2
    assert "seed" in capsys.readouterr().err


def test_plugins_and_set_reach_the_record(tiny_scenario: str, tmp_path: Path) -> None:
    argv = ["run", "--scenario", tiny_scenario, "--strategy", "poseda", "--out", str(tmp_path), *FAST]
    options = ["--adapt-epochs", "1", "--set", "lpa=false", "--set", "batch_size=8"]
    plugins = ["--plugin", "ema", "--plugin", "replay-v0", "--set", "ema.eta=0.9", "--set", "replay.size=16"]
    assert main([*argv, *options, *plugins]) == 0
    record = load_record(tmp_path / "seed-0")
    assert record["strategy"]["params"]["lpa"] is False and record["strategy"]["params"]["batch_size"] == 8
    assert [(p["id"], p["params"]) for p in record["plugins"]] == [
        ("ema-v0", {"eta": 0.9, "update": "step", "from_domain": 1}),
        ("replay-v0", {"size": 16, "ratio": 0.5}),
    ]


@pytest.mark.parametrize(
    ("strategy", "ablation", "expected"),
    [
        (
            "diffusion_replay",
            ["teacher=ema", "sampler=partial", "prior_filter=false", "ema_update=domain", "weight_3d=1"],
            {"teacher": "ema", "sampler": "partial", "prior_filter": False, "ema_update": "domain", "weight_3d": 1.0},
        ),
        ("diffusion_replay", ["generation_seed=source", "prior=none"], {"generation_seed": "source", "prior": "none"}),
        ("poseda", ["source_pairs=aligned", "gan_epochs=warmup", "batch_size=8"], {"gan_epochs": "warmup"}),
    ],
)
def test_the_papers_ablations_run_from_the_cli(
    tiny_scenario: str, tmp_path: Path, strategy: str, ablation: list[str], expected: dict[str, object]
) -> None:
    argv = ["run", "--scenario", tiny_scenario, "--strategy", strategy, "--out", str(tmp_path), *FAST]
    given = {option.split("=")[0] for option in ablation}
    small = [
        part
        for key, value in (SMALL_DIFFUSION_REPLAY.items() if strategy == "diffusion_replay" else [])
        if key not in given
        for part in ("--set", f"{key}={value}")
    ]
    sets = [part for option in ablation for part in ("--set", option)]
    assert main([*argv, "--adapt-epochs", "1", *small, *sets]) == 0
    record = load_record(tmp_path / "seed-0")
    assert record["status"] == "complete"
    assert {key: record["strategy"]["params"][key] for key in expected} == expected
    assert record["resources"]["keeps_source_data"] is (strategy == "poseda" or "generation_seed=source" in ablation)
