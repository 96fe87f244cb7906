"""Positions: OrcaFlex's ObjectExtra vocabulary in config, per-point series in archives (format
version 2, version 1 still read), through the archive source, the OrcaFlex source (the test
double), export and the demo -- each checked against numpy on the demo data."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pytest
from doubles.sim_campaign import write_pair
from orcapost.archive import HEADER_KEY, Archive
from orcapost.demo import DemoSpec, point_motion, wall_stress, write_campaign
from orcapost.errors import ResultFileError
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.plugins.sources.orcaflex import OrcaFlexOptions, OrcaFlexResultFile
from orcapost.plugins.sources.orcaflex_vocabulary import object_extra
from orcapost.schemas.vocabulary import Period, Position
from pydantic import ValidationError

SPEC = DemoSpec(headings=(0.0,), wave_heights=(4.0,), seeds=(1,), file_size=120_000)
WHOLE = Period.model_validate("whole simulation")
TIP = list(SPEC.crane_tip)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    (path,) = write_campaign(tmp_path_factory.mktemp("positions"), SPEC, files=1)
    return path


def columns(path, *names):
    """Columns read straight from the Arrow file (independent of orcapost's reader)."""
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    header = json.loads(table.schema.metadata[HEADER_KEY])
    out = []
    for name in names:
        column = table.column(name).combine_chunks()
        if pa.types.is_fixed_size_list(column.type):
            out.append(column.values.to_numpy().reshape(len(column), -1).astype(np.float64))
        else:
            out.append(column.to_numpy().astype(np.float64))
    return header, out


# -- config forms -----------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "fields"), [
    ({"arc_length": 50, "radial": "Outer", "theta": 90},
     {"kind": "arc_length", "value": 50.0, "radial": "outer", "theta": 90.0}),
    ({"node": 3, "radial": "inner"}, {"kind": "node", "radial": "inner", "theta": 0.0}),
    ({"end": "B", "radial": "mid", "theta": -45}, {"kind": "end_b", "radial": "mid"}),
    ({"End": "Touchdown", "clearance line": "Riser2"},
     {"kind": "touchdown", "clearance_line": "Riser2"}),
    ({"arc_length": 10, "blade": 2}, {"kind": "arc_length", "blade": 2}),
    ({"point": [40, 12.5, 35]}, {"kind": "point", "point": (40.0, 12.5, 35.0)}),
    ({"RigidBodyPos": [1, 2, 3]}, {"kind": "point", "point": (1.0, 2.0, 3.0)}),
    ({"support": 2, "supported_line": "Pipe"},
     {"kind": "support", "value": 2.0, "supported_line": "Pipe"}),
    ({"SupportIndex": 1}, {"kind": "support", "value": 1.0}),
    ({"winch_connection": 3}, {"kind": "winch_connection", "value": 3.0}),
    ({"external_result_text": "Lift"}, {"kind": "object", "external_result_text": "Lift"}),
    ("End A", {"kind": "end_a", "radial": None}),
])
def test_every_object_extra_form_parses(given, fields):
    position = Position.model_validate(given)
    for key, value in fields.items():
        assert getattr(position, key) == value, key
    # What model_dump gives validates back to the same position (hashable: used as a key).
    assert Position.model_validate(position.model_dump()) == position
    assert hash(position) == hash(Position.model_validate(position.model_dump()))


@pytest.mark.parametrize(("given", "message"), [
    ({"arc_length": 5, "theta": 90}, "give radial"),
    ({"arc_length": 5, "radial": "outside"}, "radial takes inner, outer or mid"),
    ({"point": [1, 2]}, "three numbers"),
    ({"point": [1, 2, 3], "radial": "outer"}, "only a line point takes"),
    ({"support": 0}, "whole number >= 1"),
    ({"arc_length": 5, "node": 2}, "one location"),
    ({"arc_length": 5, "supported_line": "X"}, "qualifies a support"),
    ({"arc_lenght": 5}, "unknown position key"),
    ({}, "an empty position"),
    ({"end": "C"}, "end takes A, B or Touchdown"),
])
def test_a_bad_position_says_what_is_wrong(given, message):
    with pytest.raises(ValidationError, match=message):
        Position.model_validate(given)


def test_a_bad_position_in_a_config_is_a_located_error(run_cli, write_config, archive, tmp_path):
    config = {"version": 2, "inputs": {"directory": str(archive.parent)},
              "outputs": {"directory": str(tmp_path / "out")},
              "results": {"riser": {"columns": [
                  {"label": "s", "kind": "statistics", "object": "Riser",
                   "variable": "ZZ Stress", "position": {"arc_length": 5, "theta": 90}}]}}}
    result = run_cli("validate", write_config(config))
    assert result.exit_code == 2
    assert "position" in result.output and "give radial" in result.output


# -- archive source against numpy --------------------------------------------------------------

def test_wall_stress_at_the_inner_and_outer_wall_matches_numpy(archive):
    header, (tension, moment, own, outer) = columns(
        archive, "Riser/Effective Tension", "Riser/Bend Moment", "Riser/ZZ Stress",
        'Riser/ZZ Stress@{"radial":"outer","theta":0.0}')
    assert header["version"] == 2
    with ArchiveResultFile(archive) as file:
        window = file.period_slice(WHOLE)
        for node in (1, 7, 21):
            at_outer = Position.model_validate({"node": node, "radial": "outer", "theta": 0})
            at_inner = Position.model_validate({"node": node, "radial": "inner"})
            expected_outer = wall_stress(tension[:, node - 1], moment[:, node - 1], "outer", 0.0)
            expected_inner = wall_stress(tension[:, node - 1], moment[:, node - 1], "inner", 0.0)
            got_outer = file.time_history("Riser", "ZZ Stress", at_outer, WHOLE).values
            got_inner = file.time_history("Riser", "ZZ Stress", at_inner, WHOLE).values
            np.testing.assert_allclose(got_outer, expected_outer[window], rtol=1e-5)
            np.testing.assert_allclose(got_inner, expected_inner[window], rtol=1e-5)
            # The own column is OrcaFlex's default wall point (inner, theta 0).
            plain = file.time_history("Riser", "ZZ Stress",
                                      Position.model_validate({"node": node}), WHOLE).values
            np.testing.assert_array_equal(plain, got_inner)
            assert not np.allclose(got_outer, got_inner)  # bending differs across the wall
        # Between nodes, a wall point interpolates along arc length like any line point.
        arcs = np.asarray(next(o for o in header["objects"] if o["name"] == "Riser")["arc_lengths"])
        s = 0.5 * (arcs[3] + arcs[4])
        got = file.time_history("Riser", "ZZ Stress",
                                Position.model_validate({"arc_length": float(s),
                                                         "radial": "outer"}), WHOLE).values
        np.testing.assert_allclose(got, 0.5 * (outer[window, 3] + outer[window, 4]), rtol=1e-5)
        static = file.static_value("Riser", "ZZ Stress",
                                   Position.model_validate({"node": 1, "radial": "outer"}))
        assert static == pytest.approx(
            float(header["objects"][-1]["variables"][-1]["points"][0]["static"][0]))
        assert not math.isclose(static, file.static_value("Riser", "ZZ Stress",
                                                          Position.model_validate({"node": 1})))


def test_a_point_the_archive_does_not_hold_is_a_clear_error(archive):
    with ArchiveResultFile(archive) as file:
        with pytest.raises(ResultFileError, match=r"outer wall, theta 90 deg is not in this "
                                                  r"archive \(points held: outer wall, theta 0"):
            file.time_history("Riser", "ZZ Stress",
                              Position.model_validate({"node": 2, "radial": "outer",
                                                       "theta": 90}), WHOLE)
        with pytest.raises(ResultFileError, match="is a line variable: give a line position"):
            file.time_history("Riser", "ZZ Stress", Position.model_validate({"point": TIP}),
                              WHOLE)
        with pytest.raises(ResultFileError, match="is not a line variable"):
            file.time_history("FPSO", "Z", Position.model_validate({"end": "A",
                                                                    "radial": "outer"}), WHOLE)


def test_the_crane_tip_matches_numpy(archive):
    _, (heave, roll, pitch, own, tip) = columns(
        archive, "FPSO/Heave", "FPSO/Roll", "FPSO/Pitch", "FPSO/Z",
        'FPSO/Z@{"point":[40.0,12.0,35.0]}')
    px, py, _ = SPEC.crane_tip
    expected = SPEC.crane_tip[2] + heave + np.radians(roll) * py - np.radians(pitch) * px
    with ArchiveResultFile(archive) as file:
        window = file.period_slice(WHOLE)
        got = file.time_history("FPSO", "Z", Position.model_validate({"point": TIP}), WHOLE)
        np.testing.assert_allclose(got.values, expected[window], rtol=1e-5, atol=1e-4)
        origin = file.time_history("FPSO", "Z", Position.model_validate({"point": [0, 0, 0]}),
                                   WHOLE)
        np.testing.assert_array_equal(origin.values, own[window])
        np.testing.assert_allclose(origin.values, heave[window], rtol=1e-5, atol=1e-5)
        assert file.static_value("FPSO", "Z", Position.model_validate({"point": TIP})) == 35.0


def test_point_motion_is_rigid_body_kinematics():
    rng = np.random.default_rng(3)
    motions = {d: rng.normal(size=50) for d in SPEC.dofs}
    x, y, z = point_motion(motions, SPEC.dofs, (10.0, -4.0, 6.0))
    rotation = np.radians(np.stack([motions["Roll"], motions["Pitch"], motions["Yaw"]], axis=1))
    moved = np.cross(rotation, np.array([10.0, -4.0, 6.0]))
    np.testing.assert_allclose(x, 10.0 + motions["Surge"] + moved[:, 0])
    np.testing.assert_allclose(y, -4.0 + motions["Sway"] + moved[:, 1])
    np.testing.assert_allclose(z, 6.0 + motions["Heave"] + moved[:, 2])


def test_statistics_at_a_wall_point_from_a_config(run_cli, write_config, archive, tmp_path):
    _, (tension, moment) = columns(archive, "Riser/Effective Tension", "Riser/Bend Moment")
    config = {"version": 2, "inputs": {"directory": str(archive.parent)},
              "outputs": {"directory": str(tmp_path / "out")},
              "results": {"riser": {"columns": [
                  {"label": "outer", "kind": "statistics", "object": "Riser",
                   "variable": "ZZ Stress", "statistics": ["max"],
                   "position": {"node": 1, "radial": "outer", "theta": 0}},
                  {"label": "tip", "kind": "statistics", "object": "FPSO", "variable": "Z",
                   "statistics": ["max"], "position": {"point": TIP}}]}}}
    assert run_cli("run", write_config(config), "--quiet").exit_code == 0
    row = pacsv.read_csv(tmp_path / "out" / "riser.csv").to_pylist()[0]
    with ArchiveResultFile(archive) as file:
        window = file.period_slice(WHOLE)
    expected = wall_stress(tension[:, 0], moment[:, 0], "outer", 0.0)[window].max()
    assert row["outer"] == pytest.approx(expected, rel=1e-5)


# -- an older archive still reads ----------------------------------------------------------------

def test_a_version_1_archive_still_reads(tmp_path):
    (path,) = write_campaign(tmp_path / "v2", DemoSpec(file_size=60_000, positions=False),
                             files=1)
    table = feather.read_table(path)
    header = json.loads(table.schema.metadata[HEADER_KEY])
    header["version"] = 1
    old = tmp_path / "old.arrow"
    feather.write_feather(table.replace_schema_metadata({HEADER_KEY: json.dumps(header)}),
                          old, compression="uncompressed")
    with Archive(old) as reader:
        assert reader.header["version"] == 1
    with ArchiveResultFile(old) as file, ArchiveResultFile(path) as new:
        at = Position.model_validate({"node": 3})
        np.testing.assert_array_equal(file.time_history("Riser", "Bend Moment", at, WHOLE).values,
                                      new.time_history("Riser", "Bend Moment", at, WHOLE).values)
        # OrcaFlex's default point reads the own column; any other says it is not there.
        inner = Position.model_validate({"node": 3, "radial": "inner"})
        np.testing.assert_array_equal(
            file.time_history("Riser", "Bend Moment", inner, WHOLE).values,
            file.time_history("Riser", "Bend Moment", at, WHOLE).values)
        with pytest.raises(ResultFileError, match="points held: none"):
            file.time_history("Riser", "Bend Moment",
                              Position.model_validate({"node": 3, "radial": "outer"}), WHOLE)


# -- the OrcaFlex source (test double) and its ObjectExtra ---------------------------------------

def test_the_orcaflex_source_reads_wall_and_vessel_points_as_the_archive_does(double, tmp_path):
    case = SPEC.load_cases()[0]
    archive, sim = write_pair(tmp_path, SPEC, case)
    outer = Position.model_validate({"arc_length": 95.0, "radial": "outer"})
    tip = Position.model_validate({"point": TIP})
    with ArchiveResultFile(archive) as reference:
        want_outer = reference.time_history("Riser", "ZZ Stress", outer, WHOLE).values
        want_tip = reference.time_history("FPSO", "Z", tip, WHOLE).values
    with OrcaFlexResultFile(sim, OrcaFlexOptions(), api=double) as file:
        np.testing.assert_allclose(file.time_history("Riser", "ZZ Stress", outer, WHOLE).values,
                                   want_outer, rtol=1e-12)
        np.testing.assert_allclose(file.time_history("FPSO", "Z", tip, WHOLE).values, want_tip,
                                   rtol=1e-12)
        with pytest.raises(ResultFileError, match="No result for 'ZZ Stress' at mid wall"):
            file.time_history("Riser", "ZZ Stress",
                              Position.model_validate({"node": 2, "radial": "mid"}), WHOLE)


def test_object_extra_sets_the_real_field_names(double):
    extra = object_extra(double, Position.model_validate(
        {"arc_length": 12.5, "radial": "outer", "theta": 90, "clearance_line": "Riser2",
         "blade": 2, "external_result_text": "x"}), "Line")
    assert (extra.LinePoint, extra.ArcLength, extra.RadialPos, extra.Theta) == (
        double.LinePoint.ArcLength, 12.5, double.RadialPos.Outer, 90.0)
    assert (extra.ClearanceLineName, extra.BladeIndex, extra.ExternalResultText) == (
        "Riser2", 2, "x")
    node = object_extra(double, Position.model_validate({"node": 4, "radial": "mid"}), "Line")
    assert (node.LinePoint, node.NodeNum, node.RadialPos) == (
        double.LinePoint.NodeNum, 4, double.RadialPos.Mid)
    vessel = object_extra(double, Position.model_validate({"point": [1, 2, 3]}), "Vessel")
    assert list(vessel.RigidBodyPos) == [1.0, 2.0, 3.0]
    environment = object_extra(double, Position.model_validate({"point": [1, 2, 3]}),
                               "Environment")
    assert list(environment.EnvironmentPos) == [1.0, 2.0, 3.0]
    support = object_extra(double, Position.model_validate(
        {"support": 2, "supported_line": "Pipe", "external_result_text": "t"}), "Supports")
    assert (support.SupportIndex, support.SupportedLineName, support.ExternalResultText) == (
        2, "Pipe", "t")
    winch = object_extra(double, Position.model_validate({"winch_connection": 3}), "Winch")
    assert winch.WinchConnectionPoint == 3
    # A plain line point is OrcFxAPI's own constant, untouched.
    assert object_extra(double, Position.model_validate("End A"), "Line") is double.oeEndA
    with pytest.raises(ResultFileError, match="not to a Line"):
        object_extra(double, Position.model_validate({"point": [1, 2, 3]}), "Line")


# -- export -------------------------------------------------------------------------------------

def test_export_carries_the_points_a_config_uses(double, tmp_path, run_cli, write_config, pm):
    from click.testing import CliRunner
    from orcapost.cli import cli

    case = SPEC.load_cases()[0]
    archive, sim = write_pair(tmp_path / "pair", SPEC, case)
    config = {"version": 2, "inputs": {"directory": str(sim.parent)},
              "outputs": {"directory": str(tmp_path / "unused")},
              "results": {"g": {"columns": [
                  {"label": "outer", "kind": "statistics", "object": "Riser",
                   "variable": "ZZ Stress", "position": {"node": 2, "radial": "outer"}},
                  {"label": "tip", "kind": "statistics", "object": "FPSO", "variable": "Z",
                   "position": {"point": TIP}}]}}}
    pm.hook.orcapost_register_commands(cli=cli)
    out = tmp_path / "exported"
    result = CliRunner().invoke(cli, ["export", str(sim), "--output", str(out), "--config",
                                      str(write_config(config)), "--quiet"],
                                obj={"pm": pm}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    exported = out / (sim.stem + ".arrow")
    with Archive(exported) as reader:
        riser = next(o for o in reader.objects if o["name"] == "Riser")
        (stress,) = [v for v in riser["variables"] if v["name"] == "ZZ Stress"]
        assert [p["at"] for p in stress["points"]] == [{"radial": "outer", "theta": 0.0}]
    tip = Position.model_validate({"point": TIP})
    wall = Position.model_validate({"node": 2, "radial": "outer"})
    with ArchiveResultFile(exported) as file, ArchiveResultFile(archive) as reference:
        for obj, var, at in (("Riser", "ZZ Stress", wall), ("FPSO", "Z", tip)):
            np.testing.assert_array_equal(file.time_history(obj, var, at, WHOLE).values,
                                          reference.time_history(obj, var, at, WHOLE).values)
        # Archive to archive: the points the source holds are kept without being asked for.
    again = tmp_path / "again"
    result = CliRunner().invoke(cli, ["export", str(exported), "--output", str(again),
                                      "--quiet"], obj={"pm": pm}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with ArchiveResultFile(again / exported.name) as file:
        assert file.points("FPSO", "Z") == [{"point": TIP}]


def test_export_points_of_variable_globs_go_only_where_they_apply(double, tmp_path):
    # An export column's points name globs: a wall point matched a vessel variable too (the
    # OrcaFlex source raised pydantic's ValidationError, a traceback) and a body point a line
    # variable. Each variable gets the points that apply to it.
    from orcapost.plugins.extractors.export_archive import ExportColumn, simulation_data

    case = SPEC.load_cases()[0]
    archive, sim = write_pair(tmp_path, SPEC, case)
    column = ExportColumn.model_validate({
        "label": "a", "directory": str(tmp_path / "o"), "objects": ["FPSO", "Riser"],
        "variables": ["Z*"], "points": [
            {"object": "*", "variable": "Z*", "position": {"node": 2, "radial": "outer"}},
            {"object": "*", "variable": "Z*", "position": {"point": TIP}}]})
    with OrcaFlexResultFile(sim, OrcaFlexOptions(), api=double) as file:
        data = simulation_data(file, column, "test")
    points = {(o.name, v.name): [dict(p.at) for p in v.points]
              for o in data.objects for v in o.variables}
    assert points == {("FPSO", "Z"): [{"point": TIP}],
                      ("Riser", "ZZ Stress"): [{"radial": "outer", "theta": 0.0}]}
    with ArchiveResultFile(archive) as reference:
        want = reference.raw_point_values("FPSO", "Z", {"point": TIP})
    (fpso,) = [o for o in data.objects if o.name == "FPSO"]
    np.testing.assert_allclose(fpso.variables[0].points[0].values, want, rtol=1e-12)
    with OrcaFlexResultFile(sim, OrcaFlexOptions(), api=double) as file, pytest.raises(
            ResultFileError, match="does not apply"):
        file.raw_point_values("FPSO", "Z", {"radial": "outer", "theta": 0.0})
