"""Legacy configs: named steps to version 2, `orcapost migrate`, running legacy files as they are.

The real legacy configs are read from ../shared/legacy-configs (never copied into the project);
tests that need them skip when that folder is absent.
"""

from __future__ import annotations

import shutil

import pytest
import yaml
from conftest import SHARED
from helpers import LEGACY_CONFIG
from orcapost.cli import cli
from orcapost.config import load_config, validate_data
from orcapost.legacy.text import render
from orcapost.migration_step import MigrationStep
from orcapost.migrations import STEPS, MigrationOptions, migrate, steps_by_version

LEGACY = SHARED / "legacy-configs"
GOLDEN = __import__("pathlib").Path(__file__).parent / "migrate_golden"
JOBS = ("dm_ofx_post_fsts_lngc", "opp_summary1", "opp_time_series1")
needs_legacy = pytest.mark.skipif(not LEGACY.is_dir(), reason="../shared/legacy-configs absent")


@pytest.fixture
def cli_with_commands(pm, run_cli):
    """run_cli with the plugin commands (migrate) registered, as `orcapost` does at start."""
    pm.hook.orcapost_register_commands(cli=cli)
    return run_cli


def _legacy(name: str) -> str:
    return (LEGACY / f"{name}.yml").read_text(encoding="utf-8")


def test_steps_are_named_and_keyed_by_version():
    assert [(STEPS[v].from_version, STEPS[v].to_version) for v in (0, 1)] == [(0, 1), (1, 2)]
    assert STEPS[0].name.startswith("legacy-0-to-1") and STEPS[1].name.startswith("legacy-1-to-2")


def test_two_steps_reading_one_version_are_refused_naming_both():
    first, second = (MigrationStep(0, 1, name, lambda data, options: None) for name in "ab")
    with pytest.raises(ValueError, match="two migration steps read version 0: 'a' and 'b'"):
        steps_by_version([first, second])


@needs_legacy
@pytest.mark.parametrize("name", JOBS)
def test_every_shared_legacy_config_migrates_to_the_exact_expected_text(pm, name):
    text = _legacy(name)
    data = yaml.safe_load(text)
    migration = migrate(data, name)
    assert migration.from_version == 0 and len(migration.steps) == 2
    assert yaml.safe_load(text) == data  # pure: the input is untouched
    migrated = render(migration.data, migration.origins, text)
    assert migrated == (GOLDEN / f"{name}.yml").read_text(encoding="utf-8")
    loaded = validate_data(yaml.safe_load(migrated), pm.registry)
    assert loaded.migrated_from is None  # the text is version 2 itself
    assert list(loaded.model.results)


@needs_legacy
def test_the_mapping_of_the_real_configs(pm):
    lngc = migrate(yaml.safe_load(_legacy("dm_ofx_post_fsts_lngc"))).data
    moorings = lngc["results"]["lngc_moorings_static_eff_tension_max"]["columns"]
    # Master group 0's Columns[0] (TimeHistory, StaticState, End B, Effective Tension) is
    # merged into each of the 18 columns; a static state has one value: the static kind.
    assert moorings[1:] == [{"label": f"Line{i:02d}", "kind": "static", "object": f"Line{i:02d}",
                             "variable": "Effective Tension", "position": "End B"}
                            for i in range(1, 19)]
    assert lngc["inputs"] == {"directory": "../.sim", "patterns": ["*.sim"],
                              "exclude": ["*includefile*"]}
    assert lngc["outputs"] == {"directory": "../output/.csv", "formats": [{"name": "legacy_csv"}]}
    summary = migrate(yaml.safe_load(_legacy("opp_summary1"))).data["results"]["dynamics"]
    columns = {c.get("label") or c["data"][0]["label"]: c for c in summary["columns"][1:]}
    assert columns["Hmax"] == {"kind": "metadata", "data": [
        {"object": "Environment", "name": "WaveHeight", "label": "Hmax"}]}
    assert columns["CurrentFactor[0]"]["data"][0]["index"] == 0
    assert columns["Eff. Tension"] == {
        "label": "Eff. Tension", "kind": "range_graph", "object": "SLWR",
        "variable": "Effective Tension", "period": [0.0, 10.0], "arc_length": [0, 50],
        "statistics": ["max"]}
    assert columns["TimeHistory_EndB_EffTension_Max"]["kind"] == "statistics"
    assert columns["TimeHistory_EndB_EffTension_Max"]["position"] == "End B"


@needs_legacy
@pytest.mark.parametrize("name", JOBS)
def test_every_setting_of_the_real_configs_is_migrated_or_reported_dropped(name):
    data = yaml.safe_load(_legacy(name))
    migration = migrate(data)
    report = "\n".join(migration.dropped)
    mapped = {"summary_settings", "summary_settings_master", "time_series_settings",
              "file_management", "basename", "library", "orcaflex"}
    for key in data:
        if key not in mapped:
            assert f"{key}:" in report or f"{key}." in report, key
    for line in migration.dropped:
        key, reason = line.split(": ", 1)
        assert key and len(reason) > 10  # every drop says why


def _legacy_job(**parallel) -> dict:
    data = {
        "meta": {"basename": "orcaflex_post_process", "label": "run1"},
        "orcaflex": {"postprocess": {"summary": {"flag": True}}},
        "summary_settings": {"groups": [{"Label": "g", "Columns": [
            {"Command": "TimeHistory", "ObjectName": "FPSO", "Variable": "Heave",
             "Statistic_Type": "Max", "Label": "heave"}]}]},
    }
    data.update(parallel)
    return data


@pytest.mark.parametrize(("settings", "keep", "policy", "says"), [
    ({"parallel_processing": {"max_workers": 30}}, False, {"name": "fixed", "threads": 15},
     "30 threads were slower than 15"),
    ({"parallel_processing": {"max_workers": 20}}, False, {"name": "fixed", "threads": 15},
     "capped at 15"),
    ({"parallel_processing": {"max_workers": 30}}, True, {"name": "fixed", "threads": 30}, "30"),
    ({"parallel_processing": {"max_workers": 15}}, False, {"name": "fixed", "threads": 15}, "15"),
    ({"parallel_processing": {"max_workers": 4}}, False, {"name": "fixed", "threads": 4}, "4"),
    ({"parallel_processing": {"max_workers": "auto"}}, False, {"name": "file_size"}, "file_size"),
    ({"parallel_processing": {"enabled": False, "max_workers": 30}}, False,
     {"name": "fixed", "threads": 1}, "1 thread"),
    ({"orcaflex": {"postprocess": {"summary": {"flag": True}}, "parallel": {"threads": 20}}},
     False, {"name": "fixed", "threads": 15}, "orcaflex.parallel.threads 20"),
    ({}, False, {"name": "fixed", "threads": 15}, "the legacy base config's max_workers 30"),
])
def test_thread_counts(pm, settings, keep, policy, says):
    migration = migrate(_legacy_job(**settings), options=MigrationOptions(keep_threads=keep))
    assert migration.data["engine"]["thread_policy"] == policy
    assert any(says in note for note in migration.notes), migration.notes
    validate_data(migration.data, pm.registry)  # file_size is a registered policy


def test_masters_merge_by_position_and_columns_0_into_every_column():
    data = _legacy_job()
    data["summary_settings"]["groups"] = [
        {"Label": "first", "Columns": [{"ObjectName": "A", "Label": "a"},
                                       {"ObjectName": "B", "Label": "b", "Variable": "Y"}]},
        {"Label": "second", "Columns": [{"ObjectName": "C", "Label": "c"}]},
    ]
    data["summary_settings_master"] = {"groups": [
        # Labels differ from the groups': the merge is by position, not by Label.
        {"Label": "other", "Columns": [{"Command": "TimeHistory", "Variable": "X",
                                        "Statistic_Type": "Min", "SimulationPeriod": "LatestWave"},
                                       {"Command": "GetData"}]},
        {"Columns": [{"Command": "StaticResult", "Variable": "Z"}]},
    ]}
    results = migrate(data).data["results"]
    assert list(results) == ["first", "second"]
    assert results["first"]["columns"][1:] == [
        {"label": "a", "kind": "statistics", "object": "A", "variable": "X",
         "period": "latest wave", "statistics": ["min"]},
        {"label": "b", "kind": "statistics", "object": "B", "variable": "Y",
         "period": "latest wave", "statistics": ["min"]},
    ]
    assert results["second"]["columns"][1:] == [
        {"label": "c", "kind": "static", "object": "C", "variable": "Z"}]


@pytest.mark.parametrize(("period", "expected"), [
    ("StaticState", None), ("WholeSimulation", "whole simulation"), ("LatestWave", "latest wave"),
    ([100, 200], [100, 200]), ([100], [100, float("inf")]),
    ([None, None], [float("-inf"), float("inf")]), (2, {"stage": 2}),
])
def test_simulation_periods(pm, period, expected):
    data = _legacy_job()
    data["summary_settings"]["groups"][0]["Columns"][0]["SimulationPeriod"] = period
    column = migrate(data).data["results"]["g"]["columns"][1]
    assert column.get("period") == expected
    assert column["kind"] == ("static" if period == "StaticState" else "statistics")
    validate_data(migrate(data).data, pm.registry)


COMMENTED = """\
# Project X post-processing
meta:
  basename: orcaflex_post_process
  label: run1

orcaflex:
  postprocess:
    summary:
      flag: True
    visualization:
      flag: False  # images later

summary_settings:
  groups:
    # Moorings at the fairlead
    - Label: moorings
      Columns:
        # first line
        - Command: TimeHistory
          ObjectName: Line1   # port bow
          Variable: Effective Tension
          objectExtra: [End B]
          SimulationPeriod: LatestWave
          Statistic_Type: Max
          Label: L1

file_management:
  input_directory: sims  # where the .sim files are
  filename:
    extension: [sim]
    pattern: LC
    filters:
      not_contains: [draft]

parallel_processing:
  max_workers: 8 # measured best
  timeout_per_file: 600
"""

COMMENTED_MIGRATED = """\
# Migrated from the legacy post-processing dialect by `orcapost migrate` (docs/migration.md).
# Project X post-processing
version: 2
inputs:
  directory: sims  # where the .sim files are
  patterns: ['*LC*.sim']
  exclude: ['*draft*']
engine:
  thread_policy: {name: fixed, threads: 8}  # measured best
results:
  # Moorings at the fairlead
  moorings:
    columns:
      - kind: simulation_times
      # first line
      - label: L1
        kind: statistics
        object: Line1  # port bow
        variable: Effective Tension
        position: End B
        period: latest wave
        statistics: [max]
outputs:
  formats:
    - name: legacy_csv
      label: run1
"""


def test_comments_of_surviving_keys_are_kept_and_dropped_keys_take_theirs(pm):
    migration = migrate(yaml.safe_load(COMMENTED))
    text = render(migration.data, migration.origins, COMMENTED)
    assert text == COMMENTED_MIGRATED
    assert "images later" not in text  # visualization was dropped, with its comment
    assert yaml.safe_load(text) == migration.data
    validate_data(migration.data, pm.registry)


# -- the command ---------------------------------------------------------------------------


def test_migrate_check_exits_1_on_legacy_and_0_once_migrated(cli_with_commands, tmp_path):
    path = tmp_path / "job.yml"
    path.write_text(COMMENTED, encoding="utf-8")
    check = cli_with_commands("migrate", path, "--check")
    assert check.exit_code == 1
    assert path.read_text(encoding="utf-8") == COMMENTED  # --check alone writes nothing
    assert f"{path}: legacy (version 1) -> version 2, not written" in check.output
    assert "changed: parallel_processing.max_workers 8 became the fixed policy at 8" \
        in check.output
    assert "dropped: parallel_processing.timeout_per_file: never read by the legacy tool" \
        in check.output
    done = cli_with_commands("migrate", path, "--in-place")
    assert done.exit_code == 0 and "rewritten in place" in done.output
    assert path.read_text(encoding="utf-8") == COMMENTED_MIGRATED
    again = cli_with_commands("migrate", path, "--check")
    assert again.exit_code == 0
    assert f"{path}: already current (version 2), nothing to do" in again.output
    assert "0 to migrate, 1 current" in again.output


def test_migrate_diff_shows_the_change(cli_with_commands, tmp_path):
    path = tmp_path / "job.yml"
    path.write_text(COMMENTED, encoding="utf-8")
    result = cli_with_commands("migrate", path, "--diff")
    assert result.exit_code == 0
    assert f"--- {path}\n+++ {path} (migrated)" in result.output
    assert "-          ObjectName: Line1   # port bow\n" in result.output
    assert "+        object: Line1  # port bow\n" in result.output


def test_in_place_and_output_together_is_a_usage_error(cli_with_commands, tmp_path):
    path = tmp_path / "job.yml"
    path.write_text(COMMENTED, encoding="utf-8")
    result = cli_with_commands("migrate", path, "--in-place", "--output", tmp_path / "out")
    assert result.exit_code == 2


@needs_legacy
def test_repository_wide_migration_over_a_folder_of_mixed_files(cli_with_commands, tmp_path):
    repo = tmp_path / "repo"
    (repo / "jobs" / "deep").mkdir(parents=True)
    (repo / ".git").mkdir()
    for name in JOBS:  # copies made by the test, in a temporary folder
        shutil.copy(LEGACY / f"{name}.yml", repo / "jobs" / "deep" / f"{name}.yml")
    shutil.copy(LEGACY / "orcaflex_post_process.yml", repo / "orcaflex_post_process.yml")
    current = "version: 2\ninputs: {directory: x}\nresults:\n  g:\n    columns:\n" \
              "      - {label: h, kind: statistics, object: FPSO, variable: Heave}\n"
    (repo / "current.yml").write_text(current, encoding="utf-8")
    (repo / "model.yml").write_text("General:\n  StageDuration: [10, 100]\nLines:\n  - Name: L1\n",
                                    encoding="utf-8")
    (repo / "ci.yaml").write_text("steps:\n  - run: pytest\n", encoding="utf-8")
    (repo / "playbook.yml").write_text("- hosts: all\n", encoding="utf-8")
    (repo / "empty.yml").write_text("", encoding="utf-8")
    (repo / ".git" / "x.yml").write_text("meta: {basename: orcaflex_post_process}\n")
    (repo / "notes.txt").write_text("not yaml")

    out = tmp_path / "migrated"
    result = cli_with_commands("migrate", repo, "--output", out)
    assert result.exit_code == 0, result.output
    assert "3 to migrate, 1 current, 5 skipped, 0 with errors" in result.output
    table = result.output[result.output.index("what the file is"):].splitlines()
    assert [row.split() for row in table[1:3]] == [
        ["post-processing", "config", "current", "1"],
        ["post-processing", "config", "migrated", "3"]]
    assert any(row.split()[:4] == ["OrcaFlex", "model", "file", "skipped"] for row in table)
    assert "empty.yml: skipped, empty, not a post-processing config" in result.output
    assert "playbook.yml: skipped, a YAML list, not a post-processing config" in result.output
    assert "model.yml: skipped, an OrcaFlex model (data) file" in result.output
    assert "orcaflex_post_process.yml: skipped, the legacy tool's base config" in result.output
    for name in JOBS:
        written = yaml.safe_load((out / "jobs" / "deep" / f"{name}.yml").read_text())
        golden = yaml.safe_load((GOLDEN / f"{name}.yml").read_text(encoding="utf-8"))
        # One folder elsewhere: the input and output folders still point at the same data.
        was, now = repo / "jobs" / "deep", out / "jobs" / "deep"
        for section, default in (("inputs", "."), ("outputs", "results")):
            old_dir = golden[section].pop("directory", default)
            assert (now / written[section].pop("directory")).resolve() == \
                (was / old_dir).resolve()
        assert written == golden
    assert not (out / "current.yml").exists() and not (out / ".git").exists()
    assert (repo / "jobs" / "deep" / "opp_summary1.yml").read_text(encoding="utf-8") == \
        _legacy("opp_summary1")  # --output leaves the originals alone

    assert cli_with_commands("migrate", repo, "--check").exit_code == 1
    assert cli_with_commands("migrate", repo, "--in-place").exit_code == 0
    check = cli_with_commands("migrate", repo, "--check")
    assert check.exit_code == 0
    assert "0 to migrate, 4 current, 5 skipped, 0 with errors" in check.output
    assert (repo / "current.yml").read_text(encoding="utf-8") == current


# -- run / validate accept legacy files -----------------------------------------------------


@needs_legacy
@pytest.mark.parametrize("name", JOBS)
def test_validate_accepts_a_legacy_file_with_one_warning(run_cli, name):
    path = LEGACY / f"{name}.yml"
    result = run_cli("validate", path)
    assert result.exit_code == 0, result.output
    assert result.output.count("warning:") == 1
    assert (f"warning: {path} is a legacy (version 0) config, migrated in memory; migrate it "
            f"for good with `orcapost migrate {path.resolve()} --in-place`") in result.output
    assert f"{path}: ok" in result.output


@needs_legacy
def test_the_base_config_is_explained_not_run(run_cli):
    result = run_cli("validate", LEGACY / "orcaflex_post_process.yml")
    assert result.exit_code == 2
    assert "the legacy tool's base config" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("text", "says"), [
    ("General:\n  StageDuration: [10, 100]\nEnvironment:\n  WaterDepth: 100\nLines: []\n",
     "this is an OrcaFlex model (data) file (it has General, Environment, Lines), not a "
     "post-processing config"),
    ("basename: orcaflex_analysis\norcaflex:\n  analysis:\n    static: True\n",
     "this is an analysis/simulation-run config for another module of the legacy tool "
     "(basename: orcaflex_analysis)"),
    ("orcaflex:\n  analysis:\n    simulation: True\n",
     "this is an analysis/simulation-run config (orcaflex.analysis)"),
    ("colour: blue\nsize: 3\n", "this is not an orcapost config: it has no 'version' key"),
])
def test_a_yaml_that_is_not_a_post_processing_config_gets_a_clear_message(
    run_cli, write_config, text, says
):
    path = write_config(text)
    for command in ("validate", "run"):
        result = run_cli(command, path)
        assert result.exit_code == 2
        assert f"error: {path}: {says}" in result.output
        assert "orcapost post-processes simulation results" in result.output
        assert "Traceback" not in result.output


@needs_legacy
@pytest.mark.parametrize("name", JOBS)
def test_every_legacy_config_runs_on_a_campaign_from_demo_for_config(
    cli_with_commands, pm, tmp_path, name
):
    config = LEGACY / f"{name}.yml"
    result = cli_with_commands("demo", tmp_path / "demo", "--for-config", config, "--files", "2",
                               "--size", "100KB", "--quiet")
    assert result.exit_code == 0, result.output
    results = tmp_path / "demo" / "results"
    loaded = load_config(config, pm.registry)
    for group, spec in loaded.model.results.items():
        table = (results / f"{name}_{group}.csv").read_text(encoding="utf-8").splitlines()
        header = table[0].split(",")
        assert header[:5] == ["fe_filename", "fe_filename_stem", "run_status", "start_time",
                              "stop_time"]
        labels = [c.label if c.kind != "metadata" else c.data[0].label for c in spec.columns[1:]]
        if all(c.kind != "time_history" for c in spec.columns):
            assert header[5:] == labels
        rows = [row.split(",") for row in table[1:]]
        assert len(rows) == 2
        assert all(row[2] == "complete" and float(row[3]) < 0 < float(row[4]) for row in rows)
        assert all(value != "" for row in rows for value in row)


OTHER_KINDS = """\
basename: orcaflex_post_process
orcaflex:
  postprocess:
    time_series: {flag: True}
    linked_statistics: {flag: True}
    RangeGraph: {flag: True}
    rain_flow: {bins: 12, range: [0, 10]}
time_series_settings:
  data: True
  histogram: True
  summation: False
  groups:
    - Label: ts
      Columns:
        - {Command: TimeHistory, ObjectName: SLWR, Variable: Effective Tension,
           objectExtra: [End A], SimulationPeriod: [0, 20], Label: top}
        - {Command: TimeHistory, ObjectName: SLWR, Variable: Bend Moment,
           objectExtra: [End A], SimulationPeriod: [0, 20], Label: top bm}
linked_statistics_settings:
  groups:
    - Label: linked
      Columns:
        - {ObjectName: SLWR, Variable: [Effective Tension, Bend Moment],
           objectExtra: [Touchdown], Statistic_Type: Min, Label: tdp}
RangeGraph_settings:
  groups:
    - Label: envelopes
      Columns:
        - {ObjectName: SLWR, Variable: Effective Tension, ArcLength: [], Statistic_Type: Max,
           Label: T}
"""


def test_linked_statistics_time_series_histograms_and_range_graph_envelopes(
    cli_with_commands, pm, tmp_path
):
    migration = migrate(yaml.safe_load(OTHER_KINDS))
    results = {name: group["columns"][1:] for name, group in migration.data["results"].items()}
    assert results == {
        "linked": [{"label": "tdp", "kind": "linked_statistics", "object": "SLWR",
                    "variable": "Effective Tension", "linked": ["Bend Moment"],
                    "position": "Touchdown", "statistics": ["max", "min"]}],
        "ts": [{"label": "top", "kind": "time_history", "object": "SLWR",
                "variable": "Effective Tension", "position": "End A", "period": [0, 20],
                "table": "ts"},
               {"label": "top rainflow", "kind": "fatigue", "object": "SLWR",
                "variable": "Effective Tension", "position": "End A", "period": [0, 20],
                "bins": 12},
               {"label": "top bm", "kind": "time_history", "object": "SLWR",
                "variable": "Bend Moment", "position": "End A", "period": [0, 20],
                "table": "ts"},
               {"label": "top bm rainflow", "kind": "fatigue", "object": "SLWR",
                "variable": "Bend Moment", "position": "End A", "period": [0, 20],
                "bins": 12}],
        "envelopes": [{"label": "T", "kind": "range_graph", "object": "SLWR",
                       "variable": "Effective Tension", "statistics": ["max"],
                       "envelope_output": True}],
    }
    assert "orcaflex.postprocess.rain_flow.range: orcapost bins the counted ranges from 0 to " \
           "the largest; give bins as a list of edges to fix them" in migration.dropped
    assert "time_series_settings.summation: time-series sums: no equivalent table in orcapost " \
           "(it was off)" in migration.dropped
    config = tmp_path / "kinds.yml"
    config.write_text(OTHER_KINDS, encoding="utf-8")
    result = cli_with_commands("demo", tmp_path / "demo", "--for-config", config, "--files", "2",
                               "--size", "100KB", "--quiet")
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "demo" / "results").glob("kinds_*.csv"))
    assert {"kinds_linked.csv", "kinds_ts.csv", "kinds_envelopes.csv"} <= set(written)
    linked = (tmp_path / "demo" / "results" / "kinds_linked.csv").read_text().splitlines()
    # opp_linkedstatistics: a row per file and column, both halves.
    assert linked[0] == ("fe_filename,Label,run_status,statistic,"
                         "ValueAtMax_Effective Tension,TimeOfMax_Effective Tension,"
                         "LinkedValueAtMax_Bend Moment,ValueAtMin_Effective Tension,"
                         "TimeOfMin_Effective Tension,LinkedValueAtMin_Bend Moment")
    assert len(linked) == 3 and all(",tdp," in row for row in linked[1:])
    assert all(cell for row in linked[1:] for cell in row.split(",")[4:])  # every value there
    # opp_time_series: <simulation>_<group>.csv, time then each series of the group.
    sims = sorted(p.stem for p in (tmp_path / "demo").glob("*.arrow"))
    for sim in sims:
        series = (tmp_path / "demo" / "results" / f"{sim}_ts.csv").read_text().splitlines()
        assert series[0] == "time,top,top bm" and len(series) > 2


def test_summary_csv_decimal_and_statistics_rows_configure_the_legacy_sink(pm):
    data = _legacy_job()
    data["orcaflex"]["postprocess"]["summary"].update(
        csv_decimal=3, statistics={"Minimum": True, "StdDev": True})
    data["summary_settings"]["AddMeanToSummary"] = True
    formats = migrate(data).data["outputs"]["formats"]
    assert formats == [{"name": "legacy_csv", "label": "run1", "statistics": ["min", "mean", "std"],
                        "decimals": 3}]
    validate_data(migrate(data).data, pm.registry)


def test_a_current_config_is_returned_as_it_is_not_copied():
    # The copy cost 2.5 s of a 50 MB config's 9.6 s (docs/benchmarks.md).
    data = {"version": 2, "inputs": {"directory": "x"}, "results": {}}
    migration = migrate(data)
    assert migration.data is data and not migration.changed and migration.from_version == 2


def test_a_legacy_config_is_migrated_into_data_sharing_nothing_with_the_input():
    data = yaml.safe_load(LEGACY_CONFIG)
    before = yaml.safe_dump(data)
    migration = migrate(data)
    assert migration.changed and yaml.safe_dump(data) == before

    def containers(node):
        if isinstance(node, dict | list):
            yield id(node)
            for child in node.values() if isinstance(node, dict) else node:
                yield from containers(child)

    assert not set(containers(migration.data)) & set(containers(data))

