"""The run record type: built, grown, ended, migrated, resumed and summarised, on stand-in runs.

A stand-in scenario and strategy (plain objects with what a record reads) keep these tests to
milliseconds; ``tests/test_runner.py`` checks the same record end to end on a real tiny stream.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from standin_records import complete as _complete
from standin_records import config as _config
from standin_records import new as _new
from standin_records import result as _result
from standin_records import scenario as _scenario
from standin_records import strategy as _strategy

from lifelong_pose.metrics.matrix import FIGURES
from lifelong_pose.metrics.table import HEADLINE_METRIC, METRIC_KEYS, METRIC_TABLE, metric_display, metric_spec
from lifelong_pose.runner.record import (
    RESULT_SCHEMA,
    SUMMARY_FIGURES,
    SUMMARY_SCHEMA,
    RecordError,
    load_record,
    load_summary,
    validate_record,
    validate_summary,
)
from lifelong_pose.runner.run_record import (
    DomainResult,
    RunRecord,
    check_resumable,
    seed_summary,
    with_pre_control_defaults,
    with_pre_protocol_defaults,
    write_seed_summary,
)

# -- construction --------------------------------------------------------------------------------


def test_a_new_record_is_valid_and_has_every_field_of_the_schema(tmp_path: Path) -> None:
    record = _new(tmp_path, seed=3)
    data = record.to_dict()
    validate_record(data)
    assert set(RESULT_SCHEMA["required"]) <= set(data)
    assert record.status == "running" and record.completed_domains == 0 and not record.all_domains_done
    assert data["matrices"] == {key: [] for key in METRIC_KEYS}
    assert data["units"] == {metric.key: metric.unit for metric in METRIC_TABLE}
    assert data["seed"] == 3 and data["strategy"]["params"] == {"epochs": 2, "lr": 0.001}
    assert data["strategy"]["comparable"] and data["resources"]["parameters"] == 4 * 3 + 3
    assert data["evaluation"]["root_joint"] == "Hip" and data["evaluation"]["test_flip"] is False
    assert data["scenario"]["spec"] == {"id": "standin-v0", "targets": 2}
    assert "standin_strategy-v0" in repr(record)


def test_to_dict_is_a_copy_so_callers_cannot_change_the_record(tmp_path: Path) -> None:
    record = _new(tmp_path)
    data = record.to_dict()
    data["seed"] = 99
    data["matrices"]["mpjpe"].append([1.0, 2.0, 3.0])
    assert record["seed"] == 0 and record["matrices"]["mpjpe"] == []


def test_domains_grow_the_matrices_and_finish_fills_figures_and_summary(tmp_path: Path) -> None:
    record = _new(tmp_path)
    record.add_domain(_result(0, kept={"strategy.source_data": 10, "plugin.1:Replay": 0}))
    record.add_domain(_result(1, kept={"strategy.source_data": 30}))
    assert record.completed_domains == 2 and len(record["matrices"]["pck"]) == 2
    assert record["timing"]["domains"][0] == {"name": "source", "train_s": 1.235, "eval_s": 0.5, "diagnostics_s": 0.0}
    assert record["resources"]["kept_bytes"] == 30 and record["resources"]["kept"] == {"strategy.source_data": 30}
    with pytest.raises(ValueError, match="cannot finish with 2 of 3 domains"):
        record.finish(elapsed_s=1.0)
    record.add_domain(_result(2))
    record.finish(elapsed_s=1.0)
    assert record.is_complete and record["timing"]["total_s"] == pytest.approx(3 * 1.735)
    headline = record["figures"][HEADLINE_METRIC]
    assert record["summary"] == {key: headline[figure] for key, figure in SUMMARY_FIGURES.items()} | {
        "lower_is_better": {
            "final_avg_mpjpe": True,
            "avg_mpjpe": True,
            "bwt": False,
            "forgetting": True,
            "fwt": False,
            "adaptation_gain": False,
        }
    }
    for metric in METRIC_TABLE:
        assert record["figures"][metric.key]["lower_is_better"]["final_avg"] is metric.lower_is_better
    assert record.write(tmp_path) == tmp_path / "result.json"
    assert load_record(tmp_path) == record.to_dict()
    assert RunRecord.load(tmp_path) == record
    with pytest.raises(ValueError, match="all 3 domains are already recorded"):
        record.add_domain(_result(0))


def test_a_domain_result_with_a_missing_metric_or_short_row_is_refused(tmp_path: Path) -> None:
    record = _new(tmp_path)
    good = _result(0)
    missing = DomainResult(good.name, {k: v for k, v in good.rows.items() if k != "auc"}, {}, 1.0, 1.0, {})
    with pytest.raises(ValueError, match="expected \\['mpjpe', 'pa_mpjpe', 'pck', 'auc'\\]"):
        record.add_domain(missing)
    short = DomainResult(good.name, {**good.rows, "pck": [1.0]}, {}, 1.0, 1.0, {})
    with pytest.raises(ValueError, match="row 'pck' has 1 values, not 3"):
        record.add_domain(short)
    assert record.completed_domains == 0 and record["matrices"]["mpjpe"] == []


def test_stop_keeps_only_finished_domains_and_records_the_error(tmp_path: Path) -> None:
    record = _new(tmp_path)
    record.add_domain(_result(0))
    record.stop("failed", "ValueError: no extent")
    assert record.status == "failed" and record["error"] == "ValueError: no extent"
    assert record.completed_domains == 1 and len(record["matrices"]["mpjpe"]) == 1
    record.write(tmp_path)
    assert load_record(tmp_path)["status"] == "failed"
    with pytest.raises(ValueError, match="not 'complete'"):
        record.stop("complete")


# -- validation ----------------------------------------------------------------------------------


def test_a_bad_record_is_refused_with_the_field_and_the_source(tmp_path: Path) -> None:
    good = _complete(tmp_path).to_dict()
    bad = copy.deepcopy(good)
    bad["seed"] = "zero"
    with pytest.raises(RecordError, match=r"^upload\.json: invalid at seed: 'zero' is not of type 'integer'$"):
        RunRecord.from_dict(bad, source="upload.json")
    bad = copy.deepcopy(good)
    del bad["matrices"]["pa_mpjpe"]
    with pytest.raises(RecordError, match="invalid at matrices: 'pa_mpjpe' is a required property"):
        RunRecord.from_dict(bad)
    bad = copy.deepcopy(good)
    bad["matrices"]["auc"].pop()
    with pytest.raises(RecordError, match=r"matrix 'auc' must be 3x3, got \(2, 3\)"):
        RunRecord.from_dict(bad)
    assert RunRecord.from_dict(good) == RunRecord(good)


def test_an_invalid_record_is_never_written(tmp_path: Path) -> None:
    record = _new(tmp_path)
    record.add_domain(_result(0))
    record.write(tmp_path)
    before = (tmp_path / "result.json").read_text()
    record._data["completed_domains"] = 7  # only a bug inside the class could do this
    with pytest.raises(RecordError, match="completed_domains 7 exceeds the 3 domains"):
        record.write(tmp_path)
    assert (tmp_path / "result.json").read_text() == before


# -- migration and resume identity ---------------------------------------------------------------


def _pre_protocol(record: RunRecord) -> dict[str, Any]:
    old = record.to_dict()
    del old["data"]["protocols"], old["evaluation"]
    return old


def test_an_old_record_is_migrated_to_what_it_meant(tmp_path: Path) -> None:
    current = _new(tmp_path)
    old = _pre_protocol(current)
    before = copy.deepcopy(old)
    migrated = RunRecord.from_dict(old).migrated()
    assert migrated["data"]["protocols"] == ["inductive"] * 3
    assert migrated["evaluation"] == current["evaluation"]
    assert with_pre_control_defaults(with_pre_protocol_defaults(old)) == migrated.to_dict()
    assert old == before  # migration copies
    assert with_pre_protocol_defaults(current.to_dict()) == current.to_dict()


def test_a_record_from_before_bn_means_bn_train_and_resumes_as_such(tmp_path: Path) -> None:
    current = _new(tmp_path).to_dict()
    current["strategy"]["params"]["bn"] = "train"
    old = copy.deepcopy(current)
    del old["strategy"]["params"]["bn"]
    assert with_pre_control_defaults(old) == current
    assert "bn" not in old["strategy"]["params"]  # a copy is filled in
    assert with_pre_control_defaults(current) is current
    assert RunRecord.from_dict(old).identity_differences(RunRecord.from_dict(current)) == []
    frozen = copy.deepcopy(current)
    frozen["strategy"]["params"]["bn"] = "frozen"
    differences = RunRecord.from_dict(old).identity_differences(RunRecord.from_dict(frozen))
    assert differences == ['strategy.params.bn: folder has "train", asked "frozen"']


def test_resume_refuses_another_run_naming_each_differing_field(tmp_path: Path) -> None:
    stored = _new(tmp_path, seed=0, epochs=2)
    assert stored.identity_differences(_new(tmp_path, seed=0, epochs=2)) == []
    asked = _new(tmp_path, seed=4, epochs=3)
    with pytest.raises(ValueError) as error:
        stored.check_resumable(asked, tmp_path)
    message = str(error.value)
    assert message.startswith(f"Cannot resume {tmp_path}: it holds a different run (")
    assert "strategy.params.epochs: folder has 2, asked 3" in message and "lr" not in message  # only what differs
    assert "seed: folder has 0, asked 4" in message and "scenario.id" not in message
    assert message.endswith("Resume with the same options, or choose another --out.")
    with pytest.raises(ValueError, match=r"\(evaluation\.\w+: folder has"):
        check_resumable(stored.to_dict(), _new(tmp_path, test_flip=True).to_dict(), tmp_path)


def test_an_old_record_resumes_as_the_run_it_was(tmp_path: Path) -> None:
    old = RunRecord.from_dict(_pre_protocol(_new(tmp_path)))
    old.check_resumable(_new(tmp_path), tmp_path)
    with pytest.raises(ValueError, match=r"evaluation\.\w+: folder has"):
        old.check_resumable(_new(tmp_path, test_flip=True), tmp_path)


def test_resumed_with_carries_the_finished_domains_over(tmp_path: Path) -> None:
    stored = _new(tmp_path)
    stored.add_domain(_result(0, kept={"plugin.1:Replay": 64}))
    stored.note_source_cache({"used": True, "key": "abc", "folder": "/cache"})
    stored.stop("interrupted")
    fresh = _new(tmp_path)
    resumed = stored.resumed_with(fresh)
    assert resumed.status == "running" and resumed["resumed"] == 1 and resumed.completed_domains == 1
    assert resumed["matrices"] == stored["matrices"] and resumed["created"] == stored["created"]
    assert resumed["source_cache"] == {"used": True, "key": "abc", "folder": "/cache"}
    assert resumed["resources"]["kept"] == {"plugin.1:Replay": 64}
    resumed.add_domain(_result(1))
    assert stored.completed_domains == 1 and len(stored["matrices"]["mpjpe"]) == 1  # shares nothing
    assert resumed.resumed_with(_new(tmp_path))["resumed"] == 2


# -- the multi-seed summary ----------------------------------------------------------------------


def test_the_seed_summary_is_mean_and_std_and_valid(tmp_path: Path) -> None:
    records = [_complete(tmp_path, seed=0), _complete(tmp_path, seed=1, offset=2.0).to_dict()]
    summary = seed_summary(records)
    validate_summary(summary)
    assert summary["seeds"] == [0, 1] and summary["runs"] == ["seed-0/result.json", "seed-1/result.json"]
    cell = summary["matrices"]["mpjpe"]
    first = records[0]["matrices"]["mpjpe"][0][0]
    assert cell["mean"][0][0] == pytest.approx(first + 1.0) and cell["std"][0][0] == pytest.approx(2**0.5)
    final = summary["figures"]["mpjpe"]["final_avg"]
    assert final["n"] == 2 and final["mean"] == pytest.approx(records[0]["figures"]["mpjpe"]["final_avg"] + 1.0)
    assert set(summary["figures"]) == set(METRIC_KEYS)
    assert write_seed_summary(records, tmp_path) == tmp_path / "summary.json"
    assert load_summary(tmp_path) == summary


def test_a_summary_refuses_bad_inputs_and_a_bad_summary_is_refused(tmp_path: Path) -> None:
    complete = _complete(tmp_path)
    with pytest.raises(ValueError, match="needs two or more records"):
        seed_summary([complete])
    running = _new(tmp_path, seed=1)
    with pytest.raises(ValueError, match="seed 1 is running, not complete"):
        seed_summary([complete, running])
    other = RunRecord.new(_config(tmp_path, seed=1), _scenario(domain_names=["a", "b", "c"]), _strategy(), "cpu")
    for index in range(3):
        other.add_domain(_result(index))
    other.finish(1.0)
    with pytest.raises(ValueError, match="seed 1 has domains"):
        seed_summary([complete, other])

    good = seed_summary([complete, _complete(tmp_path, seed=1)])
    bad = copy.deepcopy(good)
    bad["runs"].pop()
    with pytest.raises(RecordError, match="2 seeds but 1 runs"):
        validate_summary(bad)
    bad = copy.deepcopy(good)
    del bad["matrices"]["pck"]
    with pytest.raises(RecordError, match="invalid at matrices: 'pck' is a required property"):
        validate_summary(bad)
    bad = copy.deepcopy(good)
    bad["figures"]["mpjpe"]["bwt"]["n"] = 5
    with pytest.raises(RecordError, match=r"figure mpjpe\.bwt counts 5 of 2 seeds"):
        validate_summary(bad)
    bad = copy.deepcopy(good)
    bad["schema"] = "lifelong-pose/result/v1"
    with pytest.raises(RecordError, match=r"^summary\.json: invalid at schema"):
        validate_summary(bad, "summary.json")
    with pytest.raises(FileNotFoundError, match="No multi-seed summary"):
        load_summary(tmp_path / "nowhere")


# -- one metric table ----------------------------------------------------------------------------


def test_the_metric_table_is_the_single_source_of_metric_keys() -> None:
    from lifelong_pose.runner.tables import METRIC_LABELS
    from lifelong_pose.training import METRICS
    from lifelong_pose.training.evaluation import METRIC_FUNCTIONS

    keys = list(METRIC_KEYS)
    assert [metric.key for metric in METRIC_TABLE] == keys
    assert RESULT_SCHEMA["properties"]["matrices"]["required"] == keys
    assert list(RESULT_SCHEMA["properties"]["matrices"]["properties"]) == keys
    assert SUMMARY_SCHEMA["properties"]["matrices"]["required"] == keys
    assert [info.key for info in METRICS] == keys and list(METRIC_FUNCTIONS) == keys
    assert all(info.spec is spec for info, spec in zip(METRICS, METRIC_TABLE, strict=True))
    assert list(METRIC_LABELS) == keys
    assert RESULT_SCHEMA["properties"]["figures"]["oneOf"][1]["additionalProperties"]["required"][:-1] == list(FIGURES)


def test_the_metric_table_agrees_with_the_metric_functions() -> None:
    from lifelong_pose.metrics.pose import PCK_THRESHOLD

    assert metric_spec("pck").label == f"PCK@{PCK_THRESHOLD * 1000:.0f}mm"
    assert [metric_display(key) for key in METRIC_KEYS] == ["MPJPE (mm)", "PA-MPJPE (mm)", "PCK@150mm (%)", "AUC (%)"]
    assert metric_display("old_metric") == "old_metric"
    with pytest.raises(KeyError, match=r"Unknown metric 'mpjep'\. Did you mean 'mpjpe'"):
        metric_spec("mpjep")


def test_the_metric_table_and_record_schema_import_no_torch() -> None:
    code = (
        "import lifelong_pose.metrics.table, lifelong_pose.runner.record, lifelong_pose.runner.run_record, sys; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False"]
