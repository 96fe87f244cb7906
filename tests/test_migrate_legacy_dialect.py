"""The legacy dialect as the legacy tool's own code reads it (docs/migration.md, key by key):
file_management forms, the inputs it processed, version-0 column forms, keys it never read,
each kind's csv_decimal, group-level file keys, all_vars jobs, and files that are not
post-processing jobs named for what they are."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from orcapost.cli import cli
from orcapost.config import load_config, validate_data
from orcapost.engine import output_directory_for
from orcapost.migrations import MigrationIssues, NotAConfig, NotPostProcessing, migrate

JOB = {
    "basename": "orcaflex_post_process",
    "orcaflex": {"postprocess": {"visualization": {"flag": False}, "summary": {"flag": True}}},
    "summary_settings": {"groups": [{"Label": "g", "Columns": [
        {"Command": "TimeHistory", "ObjectName": "FPSO", "Variable": "Heave",
         "Statistic_Type": "Max", "Label": "heave"}]}]},
}


def job(**changes) -> dict:
    data = copy.deepcopy(JOB)
    data.update(copy.deepcopy(changes))
    return data


def column(**keys) -> dict:
    """A job whose one summary column has ``keys`` (on top of the default column)."""
    data = job()
    data["summary_settings"]["groups"][0]["Columns"][0].update(keys)
    for key in [k for k, v in keys.items() if v is ...]:
        del data["summary_settings"]["groups"][0]["Columns"][0][key]
    return data


def migrated_column(**keys) -> dict:
    return migrate(column(**keys)).data["results"]["g"]["columns"][1]


def refusal(data) -> str:
    with pytest.raises(MigrationIssues) as caught:
        migrate(data)
    return str(caught.value)


@pytest.fixture
def cli_with_commands(pm, run_cli):
    pm.hook.orcapost_register_commands(cli=cli)
    return run_cli


# -- file_management ------------------------------------------------------------------------


def _older(**here) -> dict:
    return job(file_management={"flag": True, "files": {"files_in_current_directory": here}})


def test_files_in_current_directory_false_reads_the_directory():
    # orcaflex_utilities.get_files: flag False -> the directory, globbed (auto_read True).
    data = _older(flag=False, directory="analysis", auto_read=True)
    assert migrate(data).data["inputs"] == {"directory": "analysis", "patterns": ["*.sim"]}
    # Older files had no auto_read: the directory is globbed all the same.
    assert migrate(_older(flag=False, directory="../sims")).data["inputs"]["directory"] == \
        "../sims"


def test_flag_true_is_the_config_folder_and_its_directory_is_not_read():
    migration = migrate(_older(flag=True, directory="elsewhere", auto_read=True))
    assert migration.data["inputs"]["directory"] == "."
    assert any("directory: not read while flag is True" in d for d in migration.dropped)


def test_flag_and_auto_read_false_read_the_listed_sim_files():
    data = _older(flag=False, auto_read=False, directory=None)
    data["file_management"]["input_files"] = {"sim": ["a.sim", "b.sim"]}
    inputs = migrate(data).data["inputs"]
    assert inputs == {"directory": ".", "files": ["a.sim", "b.sim"]}
    data["file_management"]["input_files"] = {"yml": ["a.yml"]}
    assert "give that list of .sim file names" in refusal(data)


def test_only_sim_files_are_inputs_as_the_legacy_post_processing_read():
    data = job(file_management={"filename": {"extension": ["yml", "sim"], "pattern": "LC"}})
    migration = migrate(data)
    assert migration.data["inputs"]["patterns"] == ["*LC*.sim"]
    assert any("only the .sim files are inputs" in note for note in migration.notes)
    assert "extension is empty ([]): the legacy tool found no files" in refusal(
        job(file_management={"filename": {"extension": []}}))
    assert "has no 'sim': the legacy post-processing read only the .sim files" in refusal(
        job(file_management={"filename": {"extension": ["yml"]}}))


def test_several_contains_words_keep_names_holding_all_of_them():
    data = job(file_management={"filename": {"filters": {"contains": ["a", "b"]}}})
    assert migrate(data).data["inputs"]["include"] == ["*a*b*", "*b*a*"]


def test_outputs_go_to_results_beside_the_config_which_may_be_inside_the_inputs(pm, tmp_path):
    config = tmp_path / "job.yml"
    config.write_text(yaml.safe_dump(job()), encoding="utf-8")
    loaded = load_config(config, pm.registry)
    inputs, outputs = output_directory_for(loaded)  # not refused
    assert outputs == (tmp_path / "results").resolve() and inputs == tmp_path.resolve()
    other = migrate(job(file_management={"input_directory": "sims"})).data["outputs"]
    assert "write_into_inputs" not in other  # results/ is beside sims/, not inside


def test_output_directory_is_where_the_legacy_tool_wrote():
    data = job(file_management={"input_directory": "../.sim",
                                "output_directory": "../output/.csv"})
    assert migrate(data).data["outputs"]["directory"] == "../output/.csv"


# -- columns --------------------------------------------------------------------------------


def test_additional_data_is_the_older_statistic_type():
    out = migrated_column(Statistic_Type=..., AdditionalData=["Min"])
    assert out["statistics"] == ["min"]
    assert "keep one" in refusal(column(AdditionalData=["Min"], Statistic_Type="Max"))


def test_specified_period_text_is_read_as_numbers_never_evaluated():
    assert migrated_column(SimulationPeriod="SpecifiedPeriod(30.0, 120.0)")["period"] == \
        [30.0, 120.0]
    assert migrated_column(SimulationPeriod="SpecifiedPeriod(30)")["period"] == \
        [30.0, float("inf")]
    assert "'start' is not a number of seconds" in refusal(
        column(SimulationPeriod="SpecifiedPeriod(start, 1)"))
    assert "unknown SimulationPeriod" in refusal(
        column(SimulationPeriod="SpecifiedPeriod(__import__('os'), 1)"))


def test_arc_length_text_names_a_line_end():
    out = migrated_column(ObjectName="Umbilical", Variable="Effective Tension",
                          ArcLength="EndA")
    assert out["position"] == "End A" and out["kind"] == "statistics"
    graph = migrated_column(Command="Range Graph", ObjectName="Umbilical",
                            Variable="Effective Tension", ArcLength="Touchdown")
    assert graph == {"label": "heave", "kind": "statistics", "object": "Umbilical",
                     "variable": "Effective Tension", "position": "Touchdown",
                     "statistics": ["max"]}
    assert "names a line end" in refusal(column(ArcLength="Middle"))


def test_object_type_and_the_vessel_origin_are_dropped_with_the_reason():
    migration = migrate(column(ObjectType="line", Position=[0, 0, 0]))
    assert "position" not in migration.data["results"]["g"]["columns"][1]
    assert any("ObjectType: never read" in d for d in migration.dropped)
    assert any("Position [0, 0, 0]: the vessel origin" in d for d in migration.dropped)


def test_linked_statistics_keep_both_halves():
    data = job(orcaflex={"postprocess": {"visualization": {"flag": False},
                                         "linked_statistics": {"flag": True}}},
               linked_statistics_settings={"groups": [{"Label": "l", "Columns": [
                   {"ObjectType": "line", "ObjectName": "SLWR", "objectExtra": ["End B"],
                    "Variable": ["Effective Tension", "Bend Moment"], "Label": "t"}]}]})
    out = migrate(data).data["results"]["l"]["columns"][1]
    assert out["statistics"] == ["max", "min"] and out["linked"] == ["Bend Moment"]


# -- settings the legacy code read ----------------------------------------------------------


def test_each_kind_keeps_its_csv_decimal():
    data = job()
    data["orcaflex"]["postprocess"].update(
        summary={"flag": True, "csv_decimal": 3}, linked_statistics={"csv_decimal": 4},
        time_series={"csv_decimal": 2})
    sink = migrate(data).data["outputs"]["formats"][0]
    assert (sink["decimals"], sink["linked_decimals"], sink["time_series_decimals"]) == (3, 4, 2)


def test_group_directory_and_filename_pattern_choose_the_files():
    data = job()
    data["summary_settings"]["groups"][0].update(directory="sims", filename_pattern="LC")
    assert migrate(data).data["inputs"] == {"directory": "sims", "patterns": ["*LC*.sim"]}
    data["summary_settings"]["groups"].append(copy.deepcopy(data["summary_settings"]["groups"][0]))
    data["summary_settings"]["groups"][1].update(Label="h", directory="other")
    assert "write one config per set of files" in refusal(data)


def test_inject_into_off_is_dropped_and_on_is_refused():
    data = job()
    data["summary_settings"]["groups"][0]["inject_into"] = {"flag": False, "filename": "a.xlsx"}
    assert any("inject_into: writing into an Excel workbook, turned off" in d
               for d in migrate(data).dropped)
    data["summary_settings"]["groups"][0]["inject_into"]["flag"] = True
    assert "inject_into writes the table into an Excel workbook" in refusal(data)


def test_the_parameters_drop_reason_names_the_all_vars_job():
    dropped = migrate(job(parameters={"VarNames": {"Line": ["X"]}})).dropped
    assert any(d.startswith("parameters: parameters.VarNames, the variables of each object "
                            "type the all_vars job reads") for d in dropped)


def test_an_all_vars_job_dumps_every_static_value_and_runs(pm, cli_with_commands, tmp_path):
    data = job(orcaflex={"postprocess": {"visualization": {"flag": False},
                                         "all_vars": {"flag": True}}},
               parameters={"VarNames": {"Line": ["Effective Tension"]}})
    data.pop("summary_settings")
    group = migrate(data).data["results"]["var_data"]["columns"]
    assert group[1] == {"label": "{object} {variable}", "kind": "static", "object": "*",
                        "variable": ["Effective Tension"], "types": ["Line"],
                        "missing": "skip", "position": "End B"}
    assert group[2]["exclude_types"] == ["Line"] and group[2]["variable"] == "*"
    validate_data(migrate(data).data, pm.registry)
    config = tmp_path / "dump.yml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = cli_with_commands("demo", tmp_path / "demo", "--for-config", config, "--files", "1",
                               "--size", "100KB", "--quiet")
    assert result.exit_code == 0, result.output
    header = (tmp_path / "demo" / "results" / "dump_var_data.csv").read_text().splitlines()[0]
    assert "Riser Effective Tension" in header and "FPSO Heave" in header
    assert "Riser Bend Moment" not in header  # VarNames restricts the lines


# -- files that are not post-processing jobs ------------------------------------------------


def test_a_visualisation_config_is_named_so():
    data = job(orcaflex={"postprocess": {"visualization": {"flag": True},
                                         "summary": {"flag": False}}})
    with pytest.raises(NotPostProcessing, match="this is a visualisation config") as caught:
        migrate(data)
    assert caught.value.kind == "a visualisation config"


def test_nothing_switched_on_is_named_so():
    data = job(orcaflex={"postprocess": {"visualization": {"flag": False},
                                         "summary": {"flag": False}}})
    with pytest.raises(NotPostProcessing, match="nothing is switched on"):
        migrate(data)


def test_empty_columns_say_the_group_has_none():
    data = job()
    data["summary_settings"]["groups"][0]["Columns"] = []
    assert "Columns is empty: this group has no columns" in refusal(data)


@pytest.mark.parametrize(("data", "says"), [
    ({"Files": [{"Name": "a.sim"}], "Summary": [{"SummaryFileName": "t", "Columns": []}]},
     "the older pre-OPP dialect (top-level Summary/Files"),
    ({"basename": "orcaflex_post_process", "summary_settings": {"groups": []},
      "Analysis": {"result_folder": "x/results", "file_name": "a"}},
     "a results file the legacy tool wrote"),
    ({"basename": "orcaflex_file_preparation", "inputs": []},
     "a model-file preparation config for another module of the legacy tool"),
])
def test_other_files_are_described_as_what_they_are(data, says):
    with pytest.raises(NotAConfig) as caught:
        migrate(data)
    assert says in caught.value.what


def test_a_tagged_results_dump_is_named_a_results_file(run_cli, write_config):
    path = write_config("&id001 !!python/object/new:assetutilities.common.data.AttributeDict\n"
                        "state: *id001\ndictitems:\n  basename: orcaflex_post_process\n")
    result = run_cli("validate", path)
    assert result.exit_code == 2
    assert "this is a results file the legacy tool wrote" in result.output


# -- repository mode ------------------------------------------------------------------------


def _repository(tmp_path):
    repo = tmp_path / "repo"
    (repo / "results").mkdir(parents=True)
    (repo / "job.yml").write_text(yaml.safe_dump(job()), encoding="utf-8")
    (repo / "results" / "job.yml").write_text(
        "&id001 !!python/object/new:assetutilities.common.data.AttributeDict\nstate: *id001\n",
        encoding="utf-8")
    (repo / "viz.yml").write_text(yaml.safe_dump(job(orcaflex={"postprocess": {
        "visualization": {"flag": True}}})), encoding="utf-8")
    (repo / "run.yml").write_text("basename: orcaflex_analysis\norcaflex:\n  analysis:\n"
                                  "    static: True\n", encoding="utf-8")
    return repo


def test_repository_check_classifies_every_file_and_errs_only_for_real_errors(
    cli_with_commands, tmp_path
):
    repo = _repository(tmp_path)
    result = cli_with_commands("migrate", repo, "--check", "--format", "json")
    assert result.exit_code == 1  # one job would change; nothing else is an error
    report = json.loads(result.output)
    kinds = {f["path"].rsplit("repo/", 1)[1]: (f["kind"], f["state"]) for f in report["files"]}
    assert kinds == {
        "job.yml": ("post-processing config", "migrated"),
        "results/job.yml": ("legacy results file", "skipped"),
        "viz.yml": ("a visualisation config", "skipped"),
        "run.yml": ("analysis config", "skipped"),
    }
    assert report["counts"] == {"migrated": 1, "current": 0, "skipped": 3, "error": 0}
    broken = job()
    broken["summary_settings"]["groups"][0]["inject_into"] = {"flag": True}
    (repo / "broken.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert cli_with_commands("migrate", repo, "--check").exit_code == 2
    (repo / "broken.yml").unlink()
    assert cli_with_commands("migrate", repo, "--in-place").exit_code == 0
    assert cli_with_commands("migrate", repo, "--check").exit_code == 0


def test_migrate_output_rewrites_relative_folders_to_the_same_data(cli_with_commands, tmp_path):
    repo = tmp_path / "repo" / "jobs"
    repo.mkdir(parents=True)
    (repo / "job.yml").write_text(yaml.safe_dump(job(file_management={
        "input_directory": "../sims"})), encoding="utf-8")
    out = tmp_path / "elsewhere" / "deeper"
    assert cli_with_commands("migrate", repo, "--output", out).exit_code == 0
    written = yaml.safe_load((out / "job.yml").read_text(encoding="utf-8"))
    assert (out / written["inputs"]["directory"]).resolve() == (tmp_path / "repo" / "sims"
                                                                ).resolve()
    assert (out / written["outputs"]["directory"]).resolve() == (repo / "results").resolve()


# -- demo --for-config ----------------------------------------------------------------------


def test_demo_for_config_builds_vessels_as_vessels_even_with_a_position(pm):
    from orcapost.demo import spec_for_config

    config = {"version": 2, "inputs": {"directory": "."}, "results": {"g": {"columns": [
        {"label": "roll", "kind": "statistics", "object": "FST1", "variable": "Dynamic Rx",
         "position": "End A"},
        {"label": "acc", "kind": "statistics", "object": "FST1",
         "variable": "Z Angular Acceleration"},
        {"label": "t", "kind": "statistics", "object": "Hawser", "variable": "Effective Tension",
         "position": "End A"},
    ]}}}
    spec = spec_for_config(validate_data(config, pm.registry).model)
    assert [(name, kind) for name, kind, _ in spec.extra_objects] == [("FST1", "Vessel")]
    assert [name for name, _ in spec.extra_lines] == ["Hawser"]


def test_a_master_template_keeps_earlier_columns_keys_as_the_legacy_tool_did():
    # update_deep_dictionary(template, column) changes the template: column 1 leaves out
    # objectExtra and gets column 0's End B, as the legacy CSVs did.
    data = job(summary_settings_master={"groups": [{"Label": "g", "Columns": [
        {"Command": "TimeHistory", "SimulationPeriod": "LatestWave"}]}]})
    data["summary_settings"]["groups"][0]["Columns"] = [
        {"ObjectName": "L1", "Variable": "Effective Tension", "objectExtra": ["End B"],
         "Statistic_Type": "Max", "Label": "a"},
        {"ObjectName": "L2", "Variable": "Effective Tension", "Statistic_Type": "Max",
         "Label": "b"}]
    migration = migrate(data)
    second = migration.data["results"]["g"]["columns"][2]
    assert second["position"] == "End B" and second["period"] == "latest wave"
    assert any("Columns.1 takes objectExtra: ['End B'] from an earlier column" in note
               for note in migration.notes)


def test_file_management_flag_false_reads_only_the_listed_files():
    data = job(file_management={"flag": False, "input_files": {"sim": ["x.sim"]}})
    migration = migrate(data)
    assert migration.data["inputs"] == {"directory": ".", "files": ["x.sim"]}
    assert not any(d.startswith("file_management.") for d in migration.dropped)
    assert "the legacy tool read the files listed in file_management.input_files.sim" in \
        refusal(job(file_management={"flag": False}))


def test_a_repeated_label_keeps_the_later_column_as_the_legacy_table_did():
    data = job()
    data["summary_settings"]["groups"][0]["Columns"].append(
        {"Command": "TimeHistory", "ObjectName": "FPSO", "Variable": "Heave",
         "Statistic_Type": "Min", "Label": "heave"})
    migration = migrate(data)
    columns = migration.data["results"]["g"]["columns"][1:]
    assert [c["statistics"] for c in columns] == [["min"]]
    assert any("same Label and replaced its value in the legacy table" in d
               for d in migration.dropped)


def test_get_data_ignores_a_period_and_an_arc_length_as_the_legacy_tool_did():
    out = migrated_column(Command="GetData", ObjectName="Environment", Variable="WaterDepth",
                          Statistic_Type=..., AdditionalData=None, SimulationPeriod=1,
                          ArcLength=None)
    assert out == {"kind": "metadata", "data": [{"object": "Environment", "name": "WaterDepth",
                                                 "label": "heave"}]}


def test_an_all_vars_job_without_parameters_reads_the_base_configs_line_variables():
    from orcapost.legacy.base import LEGACY_BASE

    data = job(orcaflex={"postprocess": {"visualization": {"flag": False},
                                         "all_vars": {"flag": True}}})
    data.pop("summary_settings")
    lines = migrate(data).data["results"]["var_data"]["columns"][1]
    assert lines["types"] == ["Line"]
    assert lines["variable"] == LEGACY_BASE["parameters"]["VarNames"]["Line"]
    assert "Effective tension" in lines["variable"] and len(lines["variable"]) == 58


def test_a_results_dump_with_path_objects_inside_is_a_results_file(cli_with_commands, tmp_path):
    dump = tmp_path / "results" / "job.yml"
    dump.parent.mkdir()
    dump.write_text("basename: orcaflex_post_process\nfile_management:\n  input_files:\n"
                    "    sim:\n    - !!python/object/apply:pathlib.WindowsPath\n"
                    "      - K:\\\\\n      - a.sim\n", encoding="utf-8")
    report = json.loads(cli_with_commands("migrate", tmp_path, "--format", "json").output)
    assert [(f["kind"], f["state"]) for f in report["files"]] == [("legacy results file",
                                                                   "skipped")]


# -- running where it is --------------------------------------------------------------------

IN_PLACE = """\
basename: orcaflex_post_process
orcaflex:
  postprocess:
    visualization: {flag: False}
    summary: {flag: True}
    linked_statistics: {flag: True}
    time_series: {flag: True}
summary_settings:
  groups:
    - Label: motions
      Columns:
        - {Command: TimeHistory, ObjectName: FPSO, Variable: Heave, Statistic_Type: Max,
           Label: heave}
linked_statistics_settings:
  groups:
    - Label: riser
      Columns:
        - {ObjectName: Riser, Variable: [Effective Tension, Bend Moment], objectExtra: [End B],
           Label: top}
time_series_settings:
  data: True
  histogram: False
  groups:
    - Label: top
      Columns:
        - {Command: TimeHistory, ObjectName: Riser, Variable: Effective Tension,
           objectExtra: [End B], SimulationPeriod: WholeSimulation, Label: tension}
        - {Command: TimeHistory, ObjectName: FPSO, Variable: Heave,
           SimulationPeriod: WholeSimulation, Label: heave}
file_management:
  filename:
    extension: [yml, sim]
"""


def test_a_migrated_job_runs_where_it_is_like_the_legacy_job(cli_with_commands, double,
                                                             tmp_path):
    from doubles.sim_campaign import write_pair
    from orcapost.demo import DemoSpec

    spec = DemoSpec(headings=(0.0,), wave_heights=(2.0,), seeds=(1, 2), file_size=100_000)
    project = tmp_path / "project"
    project.mkdir()
    for case in spec.load_cases():
        _, sim = write_pair(tmp_path / "made", spec, case)
        sim.rename(project / sim.name)
    (project / "job.yml").write_text(IN_PLACE, encoding="utf-8")
    (project / "model.yml").write_text("General: {StageDuration: [10, 100]}\n",
                                       encoding="utf-8")
    assert cli_with_commands("migrate", project / "job.yml", "--in-place").exit_code == 0
    result = cli_with_commands("run", project / "job.yml", "--quiet")
    assert result.exit_code == 0, result.output
    sims = sorted(p.stem for p in project.glob("*.sim"))
    written = sorted(p.name for p in (project / "results").glob("*.csv"))
    # The legacy names: <config>_<group>.csv for summary and linked statistics,
    # <simulation>_<group>.csv for the time series; only the .sim files were read.
    assert {"job_motions.csv", "job_riser.csv", *(f"{s}_top.csv" for s in sims)} <= set(written)
    summary = (project / "results" / "job_motions.csv").read_text().splitlines()
    assert len(summary) == 1 + len(sims)  # the config and the model .yml were not inputs
    linked = (project / "results" / "job_riser.csv").read_text().splitlines()
    assert linked[0].split(",")[4:] == [
        "ValueAtMax_Effective Tension", "TimeOfMax_Effective Tension",
        "LinkedValueAtMax_Bend Moment", "ValueAtMin_Effective Tension",
        "TimeOfMin_Effective Tension", "LinkedValueAtMin_Bend Moment"]
    series = (project / "results" / f"{sims[0]}_top.csv").read_text().splitlines()
    assert series[0] == "time,tension,heave" and len(series) > 10


def test_demo_for_config_reads_a_static_columns_variable_list(pm):
    from orcapost.demo import spec_for_config

    config = {"version": 2, "inputs": {"directory": "."}, "results": {"g": {"columns": [
        {"label": "{variable}", "kind": "static", "object": "Buoy1", "variable": ["X", "Z"]}]}}}
    spec = spec_for_config(validate_data(config, pm.registry).model)
    assert spec.extra_objects == (("Buoy1", "Vessel", ("X", "Z")),)


def test_master_columns_are_merged_only_when_the_first_master_group_has_columns():
    # opp.py tests "Columns" in master["groups"][0] before merging any group's columns.
    data = job(summary_settings_master={"groups": [
        {"Label": "g"},
        {"Label": "h", "Columns": [{"Command": "TimeHistory", "SimulationPeriod": "LatestWave"}]}]})
    data["summary_settings"]["groups"].append(
        {"Label": "h", "Columns": [{"Command": "TimeHistory", "ObjectName": "FPSO",
                                    "Variable": "Heave", "Statistic_Type": "Max", "Label": "x"}]})
    out = migrate(data).data["results"]["h"]["columns"][1]
    assert "period" not in out


def test_images_the_base_config_switched_on_are_reported_as_dropped():
    data = job()
    del data["orcaflex"]["postprocess"]["visualization"]
    assert any(d.startswith("orcaflex.postprocess.visualization: on by the legacy base config")
               for d in migrate(data).dropped)
    assert not any("visualization: on by" in d for d in migrate(job()).dropped)


def test_size_filters_in_kb_become_byte_bounds_and_a_regex_is_refused(pm):
    data = job(file_management={"filename": {"filters": {"min_size_kb": 1.5, "max_size_kb": 10}}})
    inputs = migrate(data).data["inputs"]
    assert (inputs["min_size"], inputs["max_size"]) == (1536, 10240)
    assert validate_data(data, pm.registry).model.inputs.min_size == 1536
    assert "filters.regex is not migrated" in refusal(
        job(file_management={"filename": {"filters": {"regex": "^LC"}}}))


def test_a_range_graph_mean_is_refused_not_given_another_meaning():
    message = refusal(column(Command="Range Graph", ObjectName="SLWR",
                             Variable="Effective Tension", Statistic_Type="Mean"))
    assert "a Range Graph Mean: the legacy tool reported the average along the line" in message
    at_end = migrated_column(Command="Range Graph", ObjectName="SLWR",
                             Variable="Effective Tension", Statistic_Type="Mean",
                             objectExtra=["End A"])
    assert at_end["kind"] == "statistics" and at_end["statistics"] == ["mean"]
