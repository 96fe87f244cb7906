"""Legacy point keys (Position, RadialPos/Theta, Location, SupportIndex, NodeNum) migrate to
version 2 positions as the legacy tool's orcaflex_objects.get_objectExtra read them
(docs/migration.md, "Points"), validate, and run on the demo campaign where it has the point."""

from __future__ import annotations

import copy
import csv

import pytest
import yaml
from orcapost.cli import cli
from orcapost.config import validate_data
from orcapost.migrations import MigrationIssues, migrate

JOB = {
    "basename": "orcaflex_post_process",
    "orcaflex": {"postprocess": {"visualization": {"flag": False}, "summary": {"flag": True}}},
    "summary_settings": {"groups": [{"Label": "g", "Columns": [
        {"Command": "TimeHistory", "ObjectName": "FPSO", "Variable": "Heave",
         "Statistic_Type": "Max", "Label": "heave"}]}]},
}


def column(**keys) -> dict:
    data = copy.deepcopy(JOB)
    data["summary_settings"]["groups"][0]["Columns"][0].update(keys)
    return data


def migrated(pm, **keys) -> dict:
    """The migrated column (validated: every migrated position is a valid version 2 one)."""
    migration = migrate(column(**keys))
    validate_data(migration.data, pm.registry)
    return migration.data["results"]["g"]["columns"][1]


def refusal(**keys) -> str:
    with pytest.raises(MigrationIssues) as caught:
        migrate(column(**keys))
    return str(caught.value)


def test_a_vessel_position_is_a_vessel_point(pm):
    # get_objectExtra_vessel: oeVessel(Position[0], Position[1], Position[2]).
    out = migrated(pm, Variable="Z", Position=[40, 12, 35])
    assert out["position"] == {"point": [40, 12, 35]}
    # [0, 0, 0] (its default) is no position at all, as before.
    assert "position" not in migrated(pm, Position=[0, 0, 0])


@pytest.mark.parametrize(("keys", "position"), [
    ({"ArcLength": [50.0], "RadialPos": "Outer", "Theta": 90},
     {"arc_length": 50.0, "radial": "outer", "theta": 90}),
    ({"ArcLength": [12], "RadialPos": "Inner", "Theta": 0},
     {"arc_length": 12, "radial": "inner", "theta": 0}),
    ({"objectExtra": ["End A"], "RadialPos": "Outer", "Theta": 180},
     {"end": "A", "radial": "outer", "theta": 180}),
    ({"objectExtra": ["End B"], "RadialPos": "Inner", "Theta": 45},
     {"end": "B", "radial": "inner", "theta": 45}),
    ({"ArcLength": "End B", "RadialPos": "Outer", "Theta": 30},  # version-0 arc length text
     {"end": "B", "radial": "outer", "theta": 30}),
    ({"NodeNum": 4, "RadialPos": "Outer", "Theta": 270},
     {"node": 4, "radial": "outer", "theta": 270}),
])
def test_radial_pos_and_theta_are_a_pipe_wall_point(pm, keys, position):
    # get_objectExtra_rigid_pipe: oeLine(ArcLength, RadialPos=1 for Outer / 0 for Inner, Theta).
    out = migrated(pm, ObjectName="Riser", Variable="ZZ Stress", **keys)
    assert out["position"] == position and out["kind"] == "statistics"


def test_a_wall_point_migration_says_how_the_later_legacy_tool_read_it():
    notes = migrate(column(ObjectName="Riser", Variable="ZZ Stress", ArcLength=[5],
                           RadialPos="Outer", Theta=0)).notes
    assert any("RadialPos/Theta read as the wall point they name (outer wall, theta 0)" in n
               and "the inner wall at theta 0" in n for n in notes)


def test_a_wall_point_without_theta_is_at_theta_zero_and_says_so(pm):
    migration = migrate(column(ObjectName="Riser", Variable="ZZ Stress", ArcLength=[5],
                               RadialPos="outer"))
    assert migration.data["results"]["g"]["columns"][1]["position"] == {
        "arc_length": 5, "radial": "outer", "theta": 0}
    assert any("no Theta: theta 0" in n for n in migration.notes)


def test_a_location_is_an_environment_point(pm):
    # get_objectExtra_rigid_pipe without ArcLength: oeEnvironment(Location[0..2]).
    out = migrated(pm, ObjectName="Environment", Variable="Elevation", Location=[10, -5, 0])
    assert out["position"] == {"point": [10, -5, 0]}


def test_a_support_index_of_a_support_variable_is_a_support(pm):
    # get_objectExtra: 'Support' in Variable -> oeSupport(SupportIndex=N).
    out = migrated(pm, ObjectName="Umbilical", Variable="Support Contact Clearance",
                   SupportIndex=2, Statistic_Type="Min")
    assert out["position"] == {"support": 2}


def test_a_support_index_of_another_variable_was_never_read_and_is_dropped(pm):
    migration = migrate(column(ObjectName="Riser", Variable="Effective Tension",
                               SupportIndex=1, ArcLength=[3]))
    assert migration.data["results"]["g"]["columns"][1]["position"] == {"arc_length": 3}
    assert any("Columns.0.SupportIndex: never read for the variable 'Effective Tension'" in d
               for d in migration.dropped)


def test_a_node_number_alone_is_a_node(pm):
    migration = migrate(column(ObjectName="Riser", Variable="Effective Tension", NodeNum=7))
    assert migration.data["results"]["g"]["columns"][1]["position"] == {"node": 7}
    assert any("no legacy function reads NodeNum" in n for n in migration.notes)


def test_a_range_graph_never_read_point_keys_and_get_data_neither(pm):
    # opp_summary.get_RangeGraph passes arclengthRange only.
    migration = migrate(column(Command="Range Graph", ObjectName="Riser",
                               Variable="ZZ Stress", ArcLength=[], RadialPos="Outer", Theta=0))
    out = migration.data["results"]["g"]["columns"][1]
    assert out["kind"] == "range_graph" and "position" not in out
    assert any("Columns.0.RadialPos, Theta: never read for a Range Graph" in d
               for d in migration.dropped)
    data = column(Command="GetData", ObjectName="FPSO", Variable=["InitialHeading", -1],
                  Position=[1, 2, 3])
    assert any("Columns.0.Position: never read for GetData" in d
               for d in migrate(data).dropped)


@pytest.mark.parametrize(("keys", "says"), [
    ({"ArcLength": [5], "RadialPos": "Mid", "Theta": 0}, "the legacy tool knew Inner and Outer"),
    ({"ArcLength": [5], "Theta": 90}, "give RadialPos (Inner or Outer) with it"),
    ({"RadialPos": "Outer", "Theta": 0}, "give the line point with it"),
    ({"ArcLength": [5], "RadialPos": "Outer", "Theta": "ninety"}, "Theta is an angle"),
    ({"ArcLength": [5], "Position": [1, 2, 3]}, "ArcLength and Position name different points"),
    ({"objectExtra": ["End A"], "NodeNum": 3}, "objectExtra and NodeNum name different points"),
    ({"Position": [1, 2]}, "Position is a point [x, y, z] in metres"),
    ({"Location": "here"}, "Location is a point [x, y, z]"),
    ({"NodeNum": 0}, "OrcaFlex numbers nodes from 1"),
])
def test_point_keys_that_name_no_point_are_refused_with_the_reason(keys, says):
    assert says in refusal(ObjectName="Riser", Variable="ZZ Stress", **keys)


def test_a_support_number_below_one_is_refused():
    assert "from 1" in refusal(ObjectName="U", Variable="Support Contact Clearance",
                               SupportIndex=0)


# -- a real-looking legacy job run on the demo campaign --------------------------------------

LEGACY_JOB = """\
basename: orcaflex_post_process
orcaflex:
  postprocess:
    visualization: {flag: False}
    summary: {flag: True}
    time_series: {flag: True}
summary_settings:
  groups:
    - Label: crane_and_wall
      Columns:
        - Command: TimeHistory
          ObjectName: FPSO
          Statistic_Type: Max
          Label: FPSO_origin_Z
          Position: [0, 0, 0]
          Variable: Z
          SimulationPeriod: WholeSimulation
        - Command: TimeHistory
          ObjectName: FPSO
          Statistic_Type: Max
          Label: FPSO_crane_tip_Z
          Position: [40.0, 12.0, 35.0]
          Variable: Z
          SimulationPeriod: WholeSimulation
        - Command: TimeHistory
          ObjectName: Riser
          Statistic_Type: Max
          Label: Riser_ZZ_inner
          ArcLength: [0]
          RadialPos: Inner
          Theta: 0
          Variable: ZZ Stress
          SimulationPeriod: WholeSimulation
        - Command: TimeHistory
          ObjectName: Riser
          Statistic_Type: Max
          Label: Riser_ZZ_outer
          ArcLength: [0]
          RadialPos: Outer
          Theta: 0
          Variable: ZZ Stress
          SimulationPeriod: WholeSimulation
time_series_settings:
  data: True
  histogram: False
  summation: False
  groups:
    - Label: crane
      Columns:
        - Command: TimeHistory
          ObjectName: FPSO
          Label: crane_tip_Z
          Position: [40.0, 12.0, 35.0]
          Variable: Z
          SimulationPeriod: [NULL, NULL]
file_management:
  flag: True
  input_directory: NULL
  output_directory: NULL
  filename:
    extension: [sim]
    pattern: NULL
    filters: {contains: [], not_contains: []}
"""


@pytest.fixture
def cli_with_commands(pm, run_cli):
    pm.hook.orcapost_register_commands(cli=cli)
    return run_cli


def test_a_legacy_job_with_vessel_and_wall_points_runs_on_the_demo_campaign(
        pm, cli_with_commands, tmp_path):
    from orcapost.plugins.sources.archive import ArchiveResultFile
    from orcapost.schemas.vocabulary import Period, Position

    data = yaml.safe_load(LEGACY_JOB)
    columns = migrate(data).data["results"]["crane_and_wall"]["columns"]
    assert [c.get("position") for c in columns[1:]] == [
        None, {"point": [40.0, 12.0, 35.0]}, {"arc_length": 0, "radial": "inner", "theta": 0},
        {"arc_length": 0, "radial": "outer", "theta": 0}]
    config = tmp_path / "points.yml"
    config.write_text(LEGACY_JOB, encoding="utf-8")
    result = cli_with_commands("demo", tmp_path / "demo", "--for-config", config, "--files", "1",
                               "--size", "100KB", "--quiet")
    assert result.exit_code == 0, result.output
    results = tmp_path / "demo" / "results"
    with (results / "points_crane_and_wall.csv").open(encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    archive = next((tmp_path / "demo").rglob("*.arrow"))
    whole = Period.model_validate("whole simulation")
    with ArchiveResultFile(archive) as file:
        def peak(obj, var, where):
            position = None if where is None else Position.model_validate(where)
            return float(file.time_history(obj, var, position, whole).values.max())

        expected = {
            "FPSO_origin_Z": peak("FPSO", "Z", None),
            "FPSO_crane_tip_Z": peak("FPSO", "Z", {"point": [40, 12, 35]}),
            "Riser_ZZ_inner": peak("Riser", "ZZ Stress", {"arc_length": 0}),
            "Riser_ZZ_outer": peak("Riser", "ZZ Stress",
                                   {"arc_length": 0, "radial": "outer", "theta": 0}),
        }
    for label, value in expected.items():
        assert float(row[label]) == pytest.approx(value, rel=1e-6), label
    # The points are other points: a crane tip 35 m up, the outer wall of the pipe.
    assert float(row["FPSO_crane_tip_Z"]) > float(row["FPSO_origin_Z"]) + 30
    assert float(row["Riser_ZZ_outer"]) != pytest.approx(float(row["Riser_ZZ_inner"]),
                                                         rel=1e-3)
    series = next(results.glob("*_crane.csv")).read_text(encoding="utf-8").splitlines()
    assert series[0] == "time,crane_tip_Z"


def test_linked_statistics_take_the_wall_point_and_report_what_they_drop(pm):
    data = copy.deepcopy(JOB)
    data["orcaflex"]["postprocess"] = {"visualization": {"flag": False},
                                       "linked_statistics": {"flag": True}}
    data.pop("summary_settings")
    data["linked_statistics_settings"] = {"groups": [{"Label": "l", "Columns": [
        {"ObjectName": "Riser", "Variable": ["ZZ Stress", "Effective Tension"],
         "ArcLength": [10], "RadialPos": "Outer", "Theta": 90, "SupportIndex": 1,
         "ObjectType": "line", "Label": "wall"}]}]}
    migration = migrate(data)
    validate_data(migration.data, pm.registry)
    out = migration.data["results"]["l"]["columns"][1]
    assert out["kind"] == "linked_statistics"
    assert out["position"] == {"arc_length": 10, "radial": "outer", "theta": 90}
    # The notes of a linked column reach the report (they were lost before).
    assert any("SupportIndex: never read" in d for d in migration.dropped)
    assert any("ObjectType: never read" in d for d in migration.dropped)
    assert any("RadialPos/Theta read as the wall point" in n for n in migration.notes)


def test_the_real_umbilical_job_s_support_columns_become_supports(pm):
    # tests/legacy_corpus/post_bm.yml (SOURCES.txt) is refused as it is: its summary group has
    # `Columns: []` (the columns sit in the master). With them in the group, as the job meant,
    # its two SupportIndex columns migrate to supports and the rest as before.
    from pathlib import Path

    data = yaml.safe_load((Path(__file__).parent / "legacy_corpus" / "post_bm.yml")
                          .read_text(encoding="utf-8"))
    master = data.pop("summary_settings_master")["groups"][0]
    data["summary_settings"]["groups"][0]["Columns"] = master["Columns"]
    migration = migrate(data)
    validate_data(migration.data, pm.registry)
    (group,) = migration.data["results"].values()
    by_label = {c["label"]: c for c in group["columns"] if "label" in c}
    assert by_label["Umbilical Clearance at Moonpool"]["position"] == {"support": 1}
    assert by_label["Umbilical Contact Force"]["position"] == {"support": 1}
    assert by_label["Umb_along_layspan_Tension_Max"]["position"] == "End B"
