"""Config loading: safe YAML, located errors with suggestions, defaults, every shipped config."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from conftest import REPO
from orcapost.config import ConfigError, load_config, validate_data
from orcapost.defaults import DEFAULT_THREADS

MINIMAL = """\
version: 2
inputs:
  directory: campaign
results:
  vessel:
    columns:
      - label: heave
        kind: statistics
        object: FPSO
        variable: Heave
"""


def test_a_minimal_config_gets_the_documented_defaults(pm, write_config):
    loaded = load_config(write_config(MINIMAL), pm.registry)
    engine = loaded.model.engine
    assert DEFAULT_THREADS == 15
    assert engine.thread_policy.name == "fixed"
    assert engine.thread_policy.threads == DEFAULT_THREADS
    assert engine.executor.name == "threads"
    assert engine.io_scheduler.name == "as_listed"
    assert [f.name for f in loaded.model.outputs.formats] == ["csv"]
    assert loaded.resolve(loaded.model.inputs.directory) == loaded.path.parent / "campaign"


def test_a_misspelled_key_gives_the_exact_located_message_and_exit_2(write_config, run_cli):
    path = write_config(MINIMAL.replace("  directory: campaign\n",
                                        "  directory: campaign\n  recursve: true\n"))
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert result.output == (
        f"error: {path}: invalid config (1 problem)\n"
        f"  {path}:4: inputs.recursve: unknown key 'recursve' (did you mean 'recursive'?); "
        "valid keys here: directory, exclude, files, include, load_cases, max_size, min_size, "
            "patterns, "
        "recursive, sources\n"
    )
    assert "Traceback" not in result.output


def test_run_refuses_a_bad_config_the_same_way(write_config, run_cli):
    path = write_config(MINIMAL.replace("version: 2\n", "version: 2\ncolour: blue\n"))
    result = run_cli("run", path)
    assert result.exit_code == 2
    assert f"{path}:2: colour: unknown key 'colour'" in result.output


def test_a_python_tag_is_refused_without_running_it(write_config, run_cli, tmp_path):
    marker = tmp_path / "pwned"
    path = write_config(
        f"version: 2\ninputs: !!python/object/apply:pathlib.Path.touch [{str(marker)!r}]\n"
    )
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert (f"{path}:2: the YAML tag !!python/object/apply:pathlib.Path.touch is not allowed: "
            "orcapost reads configs with a safe loader that never builds Python objects; "
            "remove the tag") in result.output
    assert not marker.exists()


def test_an_unknown_component_name_suggests_the_nearest(write_config, run_cli):
    text = MINIMAL.replace("kind: statistics", "kind: statistcs") + (
        "engine:\n  thread_policy: {name: fixd}\n")
    path = write_config(text)
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert "results.vessel.columns.0.kind: unknown kind 'statistcs'" in result.output
    assert "(did you mean 'statistics'?)" in result.output
    assert "engine.thread_policy.name: unknown name 'fixd'" in result.output
    assert "(did you mean 'fixed'?)" in result.output
    assert ":8: results.vessel.columns.0.kind" in result.output


@pytest.mark.parametrize(("text", "expected"), [
    ("", "the file is empty"),
    ("- a\n- b\n", "a config is a mapping of keys"),
    ("version: 2\ninputs: [\n", "YAML"),
    ("version: 2\ninputs:\n  directory: x\nresults: {}\noutputs:\n  naming: '{nope}'\n",
     "unknown placeholder {nope}"),
    (MINIMAL.replace("variable: Heave", "variable: Heave\n        position: End C"),
     "unknown position 'End C'"),
    (MINIMAL.replace("variable: Heave", "variable: Heave\n        period: [10, 5]"), "period"),
    (MINIMAL.replace("variable: Heave", "variable: [Heave, Surge]"), "variable"),
    (MINIMAL.replace("version: 2", "version: 7"), "version"),
])
def test_malformed_configs_are_clear_errors(write_config, run_cli, text, expected):
    result = run_cli("validate", write_config(text))
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_a_missing_config_file_is_a_usage_error(run_cli, tmp_path):
    result = run_cli("validate", tmp_path / "nowhere.yml")
    assert result.exit_code == 2
    assert "nowhere.yml" in result.output


def test_overrides_are_validated_like_the_file(pm, write_config):
    path = write_config(MINIMAL)
    loaded = load_config(path, pm.registry, overrides={
        "engine.thread_policy": {"name": "fixed", "threads": 4}})
    assert loaded.model.engine.thread_policy.threads == 4
    with pytest.raises(ConfigError) as caught:
        load_config(path, pm.registry, overrides={"engine.executor": "fibres"})
    assert "engine.executor" in str(caught.value)


def _shipped_configs() -> list[Path]:
    return sorted((REPO / "configs").glob("*.yml"))


@pytest.mark.parametrize("path", _shipped_configs(), ids=lambda p: p.name)
def test_every_shipped_config_validates(pm, path):
    loaded = load_config(path, pm.registry)
    assert loaded.model.results


def test_the_installed_package_ships_the_demo_config(pm):
    text = resources.files("orcapost.configs").joinpath("demo.yml").read_text(encoding="utf-8")
    from orcapost.config import read_yaml

    loaded = validate_data(read_yaml(text, "demo.yml"), pm.registry)
    assert set(loaded.model.results) == {"mooring", "riser", "vessel"}


def test_schema_includes_every_components_options(run_cli):
    result = run_cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    text = json.dumps(schema)
    # The statistics extractor's own options and the fixed policy's are in the schema.
    assert '"ddof"' in text and '"threads"' in text
    assert schema["title"] == "orcapost config (version 2)"
    assert "inputs" in schema["properties"] and "results" in schema["properties"]
    # Strict: editors flag unknown keys too.
    assert schema["additionalProperties"] is False


def test_a_name_problem_migration_made_up_is_placed_in_the_migrated_config(
        pm, tmp_path, monkeypatch):
    # A key that migration added has no line in the legacy file: the problem says it is in
    # the migrated config, as every other problem of a migrated config does, and names no line.
    import orcapost.names
    from helpers import LEGACY_CONFIG
    from orcapost.config import ConfigError, load_config

    keys = ("engine", "made_up")  # no legacy key it, or a key above it, came from
    monkeypatch.setattr(orcapost.names, "config_name_issues",
                        lambda model, stem: [(keys, "output name 'x' is made up")])
    path = tmp_path / "legacy.yml"
    path.write_text(LEGACY_CONFIG, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, pm.registry)
    (issue,) = raised.value.issues
    assert issue.path == "engine.made_up" and issue.line is None
    assert issue.message == "(in the migrated config) output name 'x' is made up"


# -- problems in nested column keys are at their own key and line (issue 12) -------------------

NESTED = """\
version: 2
inputs:
  directory: campaign
results:
  lines:
    columns:
      - label: top
        kind: statistics
        object: Riser
        variable: Effective Tension
        statistics: [max, bogus]
        period: [50, nonsense]
        position: {node: 0}
      - label: block
        kind: statistics
        object: Riser
        variable: Effective Tension
        statistics: [max]
        position:
          node: -3
        period: {kind: specified, from: 10}
      - label: f
        kind: fatigue
        object: Riser
        variable: Bend Moment
        sn_curve: DNV-RP-C203:ZZ:air
        arc_length: [5, 1]
      - label: e
        kind: extremes
        object: Riser
        variable: Effective Tension
        position: End A
        risk: 2
"""


def test_problems_in_nested_column_keys_name_their_key_and_line(pm, write_config):
    # Before: the statistics columns' problems were all put at their `statistics` key's line
    # (the union tag 'statistics' was followed as the key of the same name).
    path = write_config(NESTED)
    with pytest.raises(ConfigError) as caught:
        load_config(path, pm.registry)
    found = {(issue.path, issue.line) for issue in caught.value.issues}
    assert found == {
        ("results.lines.columns.0.statistics.1", 11),
        ("results.lines.columns.0.period", 12),
        ("results.lines.columns.0.position", 13),
        ("results.lines.columns.1.position", 19),
        ("results.lines.columns.1.period.from", 21),
        ("results.lines.columns.2.sn_curve", 26),
        ("results.lines.columns.2.arc_length", 27),
        ("results.lines.columns.3.risk", 33),
    }


def test_a_tag_that_is_also_a_key_is_followed_as_the_key_when_the_problem_is_there():
    from orcapost.config import _data_path

    column = {"kind": "statistics", "statistics": ["max", "bogus"], "period": [1]}
    assert _data_path([column], (0, "statistics", "statistics", 1)) == (0, "statistics", 1)
    assert _data_path([column], (0, "statistics", "period")) == (0, "period")
    assert _data_path([column], (0, "statistics")) == (0, "statistics")
    assert _data_path([column], (0, "statistics", "function-after[x]", "period")) == (0, "period")
