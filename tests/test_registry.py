from __future__ import annotations

import json
import warnings
from importlib import metadata

import pytest

import lifelong_pose as lp
from lifelong_pose.registry import (
    ParsedId,
    PluginWarning,
    Registry,
    RegistryError,
    ScenarioSpec,
    load_entry_point,
    parse_id,
)

TINY = "tiny_streams:tiny"  # tests/ is on sys.path (rootdir conftest)


def test_parse_id_parts() -> None:
    assert parse_id("cross_dataset-v2") == ParsedId(None, "cross_dataset", 2)
    parsed = parse_id("mylab/stream-v10")
    assert (parsed.namespace, parsed.name, parsed.version) == ("mylab", "stream", 10)
    assert parse_id("cross_dataset").version is None


@pytest.mark.parametrize("bad", ["", "-v1", "a b", "x-vv1", "9lives"])
def test_parse_id_rejects_malformed(bad: str) -> None:
    with pytest.raises(ValueError, match="Malformed id"):
        parse_id(bad)


def test_builtin_scenarios_listed() -> None:
    ids = {spec.id for spec in lp.registry.all()}
    assert {"cross_scenario-v0", "cross_dataset-v0", "cross_camera-v0", "long_stream-v0"} <= ids


def test_unversioned_resolves_to_newest_and_pins(temporary_scenario_id: str) -> None:
    base = temporary_scenario_id
    lp.register(f"{base}-v0", TINY, targets=1)
    lp.register(f"{base}-v1", TINY, targets=2)
    assert lp.spec(base).id == f"{base}-v1"
    assert lp.spec(f"{base}-v0").kwargs == {"targets": 1}
    assert lp.make(base).num_domains == 3
    assert lp.make(f"{base}-v0").num_domains == 2


def test_unknown_id_suggests_close_names() -> None:
    with pytest.raises(
        RegistryError, match=r"Unknown scenario 'cros_dataset'. Did you mean 'cross_dataset'.*Registered:"
    ):
        lp.spec("cros_dataset")


def test_unknown_version_lists_versions() -> None:
    with pytest.raises(RegistryError, match=r"no such version.*cross_dataset-v0"):
        lp.spec("cross_dataset-v7")


def test_duplicate_registration_is_an_error(temporary_scenario_id: str) -> None:
    lp.register(f"{temporary_scenario_id}-v0", TINY)
    with pytest.raises(ValueError, match="already registered"):
        lp.register(f"{temporary_scenario_id}-v0", TINY)


def test_spec_json_round_trip() -> None:
    spec = ScenarioSpec(
        id="x-v3", entry_point="m:f", kwargs={"a": 1, "b": [1, 2]}, description="d", backends=("sim", "real")
    )
    again = ScenarioSpec.from_json(spec.to_json())
    assert again == spec
    assert json.loads(spec.to_json())["backends"] == ["sim", "real"]


def test_spec_from_json_rejects_unknown_fields() -> None:
    with pytest.raises(ValueError, match="Unknown scenario spec fields"):
        ScenarioSpec.from_json(json.dumps({"id": "x-v0", "entry_point": "m:f", "colour": "red"}))


def test_overrides_are_recorded_on_built_spec(temporary_scenario_id: str) -> None:
    lp.register(f"{temporary_scenario_id}-v0", TINY, targets=1)
    scenario = lp.make(temporary_scenario_id, seed=3, fps=20.0)
    assert scenario.spec.kwargs == {"targets": 1, "seed": 3, "fps": 20.0}
    assert lp.spec(temporary_scenario_id).kwargs == {"targets": 1}  # the registered spec is untouched


def test_override_with_wrong_type_names_option(temporary_scenario_id: str) -> None:
    lp.register(f"{temporary_scenario_id}-v0", TINY)
    with pytest.raises(TypeError, match=r"option 'targets' expects int, got 'two'"):
        lp.make(temporary_scenario_id, targets="two")
    with pytest.raises(TypeError, match="seed must be an int"):
        lp.make(temporary_scenario_id, seed="0")


def test_unknown_override_suggests(temporary_scenario_id: str) -> None:
    lp.register(f"{temporary_scenario_id}-v0", TINY)
    with pytest.raises(TypeError, match=r"no option 'target'. Did you mean 'targets'"):
        lp.make(temporary_scenario_id, target=2)


def test_bad_profile_and_backend() -> None:
    with pytest.raises(ValueError, match="Unknown profile 'huge'"):
        lp.make("cross_dataset", profile="huge")
    with pytest.raises(ValueError, match="has no 'real' backend"):
        lp.make("long_stream", data="real")
    with pytest.raises(ValueError, match=r"needs data_root \(--data-root DIR\)"):
        lp.make("cross_dataset", data="real")
    with pytest.raises(ValueError, match="Unknown data backend 'disk'"):
        lp.make("cross_dataset", data="disk")


def test_load_entry_point_from_file(tmp_path) -> None:
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text("class MyStrategy:\n    answer = 42\n")
    assert load_entry_point(f"{plugin}:MyStrategy").answer == 42
    with pytest.raises(ImportError, match=r"has no attribute 'MyStrateg'.*Did you mean 'MyStrategy'"):
        load_entry_point(f"{plugin}:MyStrateg")
    with pytest.raises(ImportError, match="does not exist"):
        load_entry_point(f"{tmp_path / 'missing.py'}:X")


def test_broken_plugin_warns_without_breaking_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    good = metadata.EntryPoint(name="plugin_stream-v0", value=TINY, group="test.group")
    broken = metadata.EntryPoint(name="bad id with spaces", value="x:y", group="test.group")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [good, broken] if group == "test.group" else [])
    registry = Registry(ScenarioSpec, group="test.group", builtins_module="lifelong_pose.stream")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        listed = [spec.id for spec in registry.all()]
    assert listed == ["plugin_stream-v0"]
    assert any(issubclass(w.category, PluginWarning) and "bad id with spaces" in str(w.message) for w in caught)
