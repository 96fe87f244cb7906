"""The portable archive: round trip, zero-copy reads, version and format rejection."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest
from orcapost.archive import (
    HEADER_KEY,
    Archive,
    ArchiveFormatError,
    LineVariable,
    ObjectData,
    SimulationData,
    Stage,
    TimeVariable,
    write_archive,
)


def _simulation() -> SimulationData:
    time = np.arange(-5, 21, dtype=np.float64) * 0.5
    nodes = np.array([0.0, 10.0, 25.0, 50.0])
    rng = np.random.default_rng(4)
    grid = rng.normal(size=(time.size, nodes.size)).astype(np.float32)
    return SimulationData(
        time=time,
        stages=[Stage(0, -2.5, 0.0), Stage(1, 0.0, 10.0)],
        objects=[
            ObjectData("Vessel1", "Vessel", [TimeVariable("Heave", "m", np.sin(time), static=0.1)]),
            ObjectData("Line1", "Line",
                       [LineVariable("Effective Tension", "kN", grid, static=np.arange(4.0))],
                       arc_lengths=nodes, touchdown=np.full(time.size, 17.5, np.float32)),
        ],
        load_case={"Hs": 2.5, "seed": 3, "name": "case A"},
        latest_wave=(4.0, 9.5),
    )


def test_round_trip_is_exact_and_zero_copy(tmp_path):
    sim = _simulation()
    path = write_archive(tmp_path / "a.arrow", sim)
    with Archive(path) as archive:
        assert archive.header["load_case"] == {"Hs": 2.5, "seed": 3, "name": "case A"}
        assert archive.stages == sim.stages
        np.testing.assert_array_equal(archive.time, sim.time)
        heave = archive.column("Vessel1/Heave")
        np.testing.assert_array_equal(heave, sim.objects[0].variables[0].values)
        grid = archive.column("Line1/Effective Tension")
        assert grid.shape == (26, 4) and grid.dtype == np.float32
        np.testing.assert_array_equal(grid, sim.objects[1].variables[0].values)
        # A view into the memory map, not a copy.
        assert not grid.flags.owndata and not grid.flags.writeable
        line = archive.objects[1]
        assert line["arc_lengths"] == [0.0, 10.0, 25.0, 50.0]
        assert line["variables"][0]["static"] == [0.0, 1.0, 2.0, 3.0]


def test_model_data_is_carried_in_the_header_and_read_by_the_source(tmp_path):
    from orcapost.plugins.sources.archive import ArchiveResultFile

    sim = _simulation()
    sim.model_data = {"Environment": {"WaveHs": 3.5}, "Line1": {"Length": [None, 120.0]}}
    path = write_archive(tmp_path / "a.arrow", sim)
    with Archive(path) as archive:
        assert archive.header["model_data"] == {"Environment": {"WaveHs": 3.5},
                                                "Line1": {"Length": [None, 120.0]}}
    file = ArchiveResultFile(path)
    try:
        assert file.model_data("Line1", "Length", 1) == 120.0
    finally:
        file.close()
    # Without model data the header has no section at all (as version-1 readers expect).
    with Archive(write_archive(tmp_path / "b.arrow", _simulation())) as archive:
        assert "model_data" not in archive.header


def test_plain_pyarrow_reads_it_as_it_is(tmp_path):
    path = write_archive(tmp_path / "a.arrow", _simulation())
    table = feather.read_table(path)
    assert table.column_names[:2] == ["time", "Vessel1/Heave"]
    assert table.schema.field("Line1/Effective Tension").metadata[b"units"] == b"kN"


def test_a_newer_format_version_is_rejected_clearly(tmp_path):
    path = write_archive(tmp_path / "a.arrow", _simulation())
    table = feather.read_table(path)
    header = json.loads(table.schema.metadata[HEADER_KEY])
    header["version"] = 99
    table = table.replace_schema_metadata({HEADER_KEY: json.dumps(header).encode()})
    feather.write_feather(table, tmp_path / "b.arrow", compression="uncompressed")
    with pytest.raises(ArchiveFormatError, match="version 99; this orcapost reads versions 1, 2"):
        Archive(tmp_path / "b.arrow")


def test_arrow_without_header_and_garbage_are_rejected(tmp_path):
    feather.write_feather(pa.table({"x": [1.0]}), tmp_path / "plain.arrow")
    with pytest.raises(ArchiveFormatError, match="without the orcapost archive header"):
        Archive(tmp_path / "plain.arrow")
    (tmp_path / "junk.arrow").write_bytes(b"not arrow at all" * 10)
    with pytest.raises(ArchiveFormatError, match="not an Arrow IPC file"):
        Archive(tmp_path / "junk.arrow")


def test_writer_rejects_inconsistent_shapes(tmp_path):
    sim = _simulation()
    sim.objects[1].variables[0].values = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"Line1 / Effective Tension: shape \(3, 4\)"):
        write_archive(tmp_path / "bad.arrow", sim)
    assert not (tmp_path / "bad.arrow").exists()
    assert not list(tmp_path.iterdir())  # no temporary file left behind


def test_writer_counts_non_finite_values_and_the_source_surfaces_them(tmp_path):
    from orcapost.archive import ObjectData, SimulationData, Stage, TimeVariable, write_archive
    from orcapost.plugins.sources.archive import ArchiveResultFile

    heave = np.zeros(10)
    heave[[2, 5]] = np.nan
    heave[7] = np.inf
    sim = SimulationData(time=np.arange(10.0), stages=[Stage(0, -1.0, 0.0)], objects=[
        ObjectData("FPSO", "Vessel", [TimeVariable("Heave", "m", heave),
                                      TimeVariable("Surge", "m", np.ones(10))])])
    with ArchiveResultFile(write_archive(tmp_path / "nan.arrow", sim)) as file:
        assert file.nonfinite_counts() == {("FPSO", "Heave"): 3, ("FPSO", "Surge"): 0}
        assert file.model_data("FPSO", "NonFiniteSamples") == 3


@pytest.mark.parametrize("touchdown", [400.0, -20.0])
def test_a_touchdown_off_the_line_is_refused_not_clamped_to_an_end(tmp_path, touchdown):
    """Interpolation clamps to the nearest end: a touchdown series off the line gave End A's or
    End B's values as the touchdown's, with status ok (an arc length off it is refused)."""
    from orcapost.errors import ResultFileError
    from orcapost.plugins.sources.archive import ArchiveResultFile
    from orcapost.schemas.vocabulary import Period, Position

    sim = _simulation()
    line = sim.objects[1]
    line.touchdown = np.full(sim.time.size, 17.5, np.float32)
    line.touchdown[7] = touchdown
    file = ArchiveResultFile(write_archive(tmp_path / "t.arrow", sim))
    try:
        with pytest.raises(ResultFileError, match="outside the line"):
            file.time_history("Line1", "Effective Tension", Position(kind="touchdown"),
                              Period(kind="whole_simulation"))
        inside = file.time_history("Line1", "Effective Tension", Position(kind="touchdown"),
                                   Period(kind="specified", start=-2.5, end=0.5))
        assert inside.values.shape[0] == 7  # the samples before the bad one still read
    finally:
        file.close()
