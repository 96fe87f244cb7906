"""Malformed archives fail their row with a reason in words (issue 12), never a raw
``KeyError: 'objects'``: every way the header or the columns can miss what the reader relies on,
each file of one run, each with its own reason, and the good file beside them unharmed."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest
from orcapost.archive import (
    HEADER_KEY,
    LineVariable,
    ObjectData,
    PointSeries,
    SimulationData,
    Stage,
    TimeVariable,
    write_archive,
)
from orcapost.archive.header import DAMAGED, NOT_THIS_FORMAT
from orcapost.config import validate_data
from orcapost.engine import Engine

INCOMPATIBLE = f": {NOT_THIS_FORMAT}"


def _simulation() -> SimulationData:
    time = np.arange(0, 41, dtype=np.float64) * 0.5
    nodes = np.array([0.0, 10.0, 25.0, 50.0])
    grid = np.random.default_rng(4).normal(size=(time.size, nodes.size))
    return SimulationData(
        time=time, stages=[Stage(0, -2.5, 0.0), Stage(1, 0.0, 20.0)],
        objects=[
            ObjectData("Vessel1", "Vessel", [TimeVariable(
                "Heave", "m", np.sin(time),
                points=[PointSeries({"point": [5.0, 0.0, 2.0]}, np.cos(time))])]),
            ObjectData("Line1", "Line", [LineVariable(
                "Effective Tension", "kN", grid,
                points=[PointSeries({"radial": "outer", "theta": 90.0}, grid * 2)])],
                       arc_lengths=nodes, touchdown=np.full(time.size, 17.5)),
        ],
        load_case={"Hs": 2.5}, latest_wave=(4.0, 9.5))


def _header(table: pa.Table) -> dict:
    return json.loads(table.schema.metadata[HEADER_KEY])


def _set(edit):
    """A case that edits the header dict in place."""
    def make(table):
        header = _header(table)
        edit(header)
        return table.replace_schema_metadata({HEADER_KEY: json.dumps(header).encode()})
    return make


def _raw_header(raw: bytes):
    return lambda table: table.replace_schema_metadata({HEADER_KEY: raw})


def _line(header) -> dict:
    return header["objects"][1]


def _drop(column):
    return lambda table: table.drop_columns([column])


def _retype_time(table):
    return table.set_column(0, "time", table.column("time").cast(pa.float32()))


#: case -> (how the good file is spoilt, the words its failure row must hold)
CASES = {
    "header not JSON": (_raw_header(b"{nope"), "the archive header is not valid JSON"),
    "header a list": (_raw_header(b"[1, 2]"),
                      f"the archive header is a list, not a JSON object{INCOMPATIBLE}"),
    "no header": (lambda t: t.replace_schema_metadata({}),
                  "an Arrow file without the orcapost archive header"),
    "another format": (_set(lambda h: h.update(format="other")),
                       "format is 'other', not 'orcapost-archive'"),
    "another version": (_set(lambda h: h.update(version=7)),
                        "archive format version 7; this orcapost reads versions 1, 2"),
    "no objects": (_set(lambda h: h.pop("objects")),
                   f"archive header has no 'objects' entry{INCOMPATIBLE}"),
    "objects not a list": (_set(lambda h: h.update(objects={"Vessel1": {}})),
                           f"archive header: 'objects' is an object, not a list{INCOMPATIBLE}"),
    "object not an object": (_set(lambda h: h["objects"].append("Buoy")),
                             "archive header: object 2 is a string, not an object"),
    "object without a name": (_set(lambda h: h["objects"][0].pop("name")),
                              f"archive header object 0 has no 'name' entry{INCOMPATIBLE}"),
    "object without type": (_set(lambda h: h["objects"][0].pop("type")),
                            "archive header object 0 ('Vessel1') has no 'type' entry"),
    "no variables": (_set(lambda h: h["objects"][0].pop("variables")),
                     "archive header object 0 ('Vessel1') has no 'variables' entry"),
    "variable without a column": (
        _set(lambda h: h["objects"][0]["variables"][0].pop("column")),
        "archive header object 0 ('Vessel1') variable 'Heave' has no 'column' entry"),
    "along_line not a bool": (
        _set(lambda h: h["objects"][0]["variables"][0].update(along_line="no")),
        "variable 'Heave': 'along_line' is a string, not true or false"),
    "units a number": (
        _set(lambda h: h["objects"][0]["variables"][0].update(units=3)),
        "variable 'Heave': 'units' is a whole number, not a string"),
    "no stages": (_set(lambda h: h.pop("stages")),
                  f"archive header has no 'stages' entry{INCOMPATIBLE}"),
    "empty stages": (_set(lambda h: h.update(stages=[])), "'stages' is empty"),
    "stage without end": (_set(lambda h: h["stages"][1].pop("end")),
                          "archive header stage 1 has no 'end' entry"),
    "stage start text": (_set(lambda h: h["stages"][0].update(start="-2.5")),
                         "archive header stage 0: 'start' is a string, not a whole number or "
                         "a number"),
    "unknown state": (_set(lambda h: h.update(state="exploded")),
                      "state 'exploded' is none of complete, unfinished, unstable, static"),
    "load case a list": (_set(lambda h: h.update(load_case=[2.5])),
                         "'load_case' is a list, not an object"),
    "latest wave of three": (_set(lambda h: h.update(latest_wave=[1, 2, 3])),
                             "'latest_wave' is [1, 2, 3], not two numbers [t0, t1]"),
    "arc length text": (_set(lambda h: _line(h).update(arc_lengths=[0, "10", 25, 50])),
                        "'arc_lengths' holds something that is not a number"),
    "line variable without arcs": (_set(lambda h: _line(h).pop("arc_lengths")),
                                   "'Effective Tension' is a line variable, but the object "
                                   "has no 'arc_lengths'"),
    "fewer arcs than nodes": (
        _set(lambda h: _line(h).update(arc_lengths=[0.0, 10.0, 25.0])),
        "is fixed_size_list<node: double not null>[4], not a fixed-size list of 3 floats"),
    "column missing": (_drop("Vessel1/Heave"),
                       f"archive header lists 'Vessel1' / 'Heave' in column 'Vessel1/Heave', "
                       f"which the file does not hold: {DAMAGED}"),
    "line column as a time variable": (
        _set(lambda h: _line(h)["variables"][0].update(along_line=False)),
        "column 'Line1/Effective Tension' ('Line1' / 'Effective Tension') is "
        "fixed_size_list<node: double not null>[4], not float32 or float64"),
    "touchdown column missing": (_drop("Line1/#touchdown"),
                                 "lists 'Line1''s touchdown in column 'Line1/#touchdown', which "
                                 "the file does not hold"),
    # Version 2's per-point series (unchecked, they were a KeyError or a wrong-shape read).
    "points not a list": (
        _set(lambda h: h["objects"][0]["variables"][0].update(points={"at": {}})),
        "variable 'Heave': 'points' is an object, not a list"),
    "point without at": (
        _set(lambda h: h["objects"][0]["variables"][0]["points"][0].pop("at")),
        "variable 'Heave' point 0 has no 'at' entry"),
    "point at empty": (
        _set(lambda h: h["objects"][0]["variables"][0]["points"][0].update(at={})),
        "variable 'Heave' point 0: 'at' is empty"),
    "point column missing": (
        _drop('Vessel1/Heave@{"point":[5.0,0.0,2.0]}'),
        "in column 'Vessel1/Heave@{\"point\":[5.0,0.0,2.0]}', which the file does not hold"),
    "point column of another shape": (
        _set(lambda h: _line(h)["variables"][0]["points"][0].update(
            column="Vessel1/Heave")),
        "column 'Vessel1/Heave' ('Line1' / 'Effective Tension' at {'radial': 'outer', "
        "'theta': 90.0}) is double, not a fixed-size list of 4 floats"),
    "time missing": (_drop("time"), "lists the sample times in column 'time', which the file "
                                    "does not hold"),
    "time float32": (_retype_time, "column 'time' (the sample times) is float, not float64"),
}


def _write(table: pa.Table, path) -> None:
    feather.write_feather(table, path, compression="uncompressed")


@pytest.fixture(scope="module")
def failure_rows(pm_module, tmp_path_factory):
    folder = tmp_path_factory.mktemp("malformed")
    campaign = folder / "campaign"
    campaign.mkdir()
    good = write_archive(campaign / "good.arrow", _simulation())
    table = feather.read_table(good)
    names = {}
    for i, (case, (spoil, _)) in enumerate(CASES.items()):
        names[case] = f"case{i:02d}.arrow"
        _write(spoil(table), campaign / names[case])
    data = good.read_bytes()
    (campaign / "truncated.arrow").write_bytes(data[: len(data) // 2])
    (campaign / "garbage.arrow").write_bytes(b"ARROW1" + b"\x00" * 200)
    config = {"version": 2, "inputs": {"directory": str(campaign)},
              "engine": {"thread_policy": {"name": "fixed", "threads": 2}},
              "results": {"g": {"columns": [
                  {"label": "heave", "kind": "statistics", "object": "Vessel1",
                   "variable": "Heave", "statistics": ["max"]},
                  {"label": "tension", "kind": "statistics", "object": "Line1",
                   "variable": "Effective Tension", "position": "End A"}]}},
              "outputs": {"directory": str(folder / "out"), "formats": ["csv"]}}
    summary = Engine(pm_module, validate_data(config, pm_module.registry)).run()
    assert summary.files == len(CASES) + 3 and summary.ok == 1
    rows = {}
    for failure in summary.failures:
        rows.setdefault(failure.file.rsplit("/", 1)[-1].rsplit("\\", 1)[-1], []).append(failure)
    assert "good.arrow" not in rows
    return names, rows


@pytest.fixture(scope="module")
def pm_module():
    from orcapost.pluginmanager import get_plugin_manager

    return get_plugin_manager(entry_points=False)


def _reason(rows, name) -> str:
    (failure,) = rows[name]  # one row: the file failed at open, no column ran
    assert failure.stage == "open"
    return failure.reason


@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_archive_fails_at_open_with_its_reason_in_words(failure_rows, case):
    names, rows = failure_rows
    reason = _reason(rows, names[case])
    assert reason.startswith("not a readable orcapost archive: ")
    assert CASES[case][1] in reason, reason
    for raw in ("KeyError", "TypeError", "AttributeError", "IndexError"):
        assert raw not in reason


def test_a_truncated_archive_and_garbage_say_so(failure_rows):
    _, rows = failure_rows
    for name in ("truncated.arrow", "garbage.arrow"):
        reason = _reason(rows, name)
        assert "not an Arrow IPC file, or one cut short" in reason, reason


def test_a_sound_header_takes_the_fast_pass_and_every_spoilt_one_the_checker(tmp_path):
    from orcapost.archive.header import _sound

    good = feather.read_table(write_archive(tmp_path / "good.arrow", _simulation()))
    assert _sound(_header(good), good.schema)  # the pass every open takes
    for case, (spoil, _) in CASES.items():
        table = spoil(good)
        try:
            header = json.loads(table.schema.metadata[HEADER_KEY])
        except (TypeError, ValueError, KeyError):
            continue  # no header, or not JSON: refused before the header check
        if isinstance(header, dict) and case not in ("another format", "another version"):
            assert not _sound(header, table.schema), case  # (those two are refused before)
