"""Units reach the tables (Arrow field metadata ``unit``: Parquet, the CSV units row), CSV
numbers are written at their stored precision, and long tables carry the load case."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from orcapost.cells import csv_lines, float_texts
from orcapost.config import load_config
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.units import UNIT_KEY, split_units, with_units

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory, request):
    """The demo config over 3 small files, written as csv (with a units row) and parquet."""
    from orcapost.pluginmanager import get_plugin_manager

    root = tmp_path_factory.mktemp("units")
    campaign = root / "campaign"
    write_campaign(campaign, DemoSpec(file_size=120_000), files=3)
    data = yaml.safe_load((REPO / "configs" / "demo.yml").read_text(encoding="utf-8"))
    data["inputs"]["directory"] = str(campaign)
    data["engine"]["thread_policy"] = {"name": "fixed", "threads": 2}
    data["outputs"] = {"directory": str(root / "results"),
                       "formats": [{"name": "csv", "units_row": True}, "parquet"]}
    config = root / "demo.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    pm = get_plugin_manager(entry_points=False)
    summary = Engine(pm, load_config(config, pm.registry)).run()
    assert summary.exit_code == 0
    return root / "results"


def _units(path: Path) -> dict[str, str]:
    schema = pq.read_schema(path)
    return {f.name: f.metadata[UNIT_KEY].decode() for f in schema
            if f.metadata and UNIT_KEY in f.metadata}


def test_parquet_columns_carry_the_units_of_the_variables_and_derived_ones(demo_results):
    mooring = _units(demo_results / "mooring.parquet")
    assert mooring["Mooring1 fairlead tension max"] == "kN"  # the archive's variable unit
    assert mooring["Mooring1 fairlead tension MPM"] == "kN"
    assert mooring["Mooring1 fairlead tension DEL"] == "kN"  # DEL: the variable's unit
    assert mooring["size_bytes"] == "B"
    assert "heading" not in mooring and "file" not in mooring
    riser = _units(demo_results / "riser.parquet")
    assert riser["Riser TDP bend moment max"] == "kN.m"
    assert riser["Riser TDP bend moment time_of_max"] == "s"
    assert riser["Riser tension max arc length"] == "m"
    assert riser["Riser TDZ fatigue damage"] == "-"
    assert riser["Riser TDZ fatigue duration"] == "s"
    assert riser["Riser top max time"] == "s"
    assert riser["Riser top max Curvature"] == "rad/m"
    vessel = _units(demo_results / "vessel.parquet")
    assert vessel["Heave max"] == "m" and vessel["Heave MPM tz"] == "s"
    assert _units(demo_results / "riser_Riser_tension_envelope.parquet") == {
        "arc_length": "m", "max": "kN", "min": "kN"}
    assert _units(demo_results / "vessel_Heave_time_history.parquet") == {
        "time": "s", "Heave": "m"}


def test_every_value_column_of_the_demo_has_a_unit(demo_results):
    table = pq.read_table(demo_results / "riser.parquet")
    values = table.column_names[table.column_names.index("seed") + 1:]
    missing = [name for name in values if name not in _units(demo_results / "riser.parquet")]
    assert missing == []


def test_the_csv_units_row_matches_the_parquet_units(demo_results):
    with open(demo_results / "riser.csv", encoding="utf-8", newline="") as handle:
        names, units, first = next(csv.reader(handle)), None, None
        units = next(csv.reader([handle.readline()]))
        first = next(csv.reader([handle.readline()]))
    expected = _units(demo_results / "riser.parquet")
    assert dict(zip(names, units, strict=True)) == {n: expected.get(n, "") for n in names}
    assert first[0].endswith(".arrow")  # the data starts on the third line


def test_csv_has_no_units_row_by_default(tmp_path):
    from orcapost.plugins.sinks.csv import CsvSink

    table = pa.table({"x": [1.0]}).cast(pa.schema([pa.field("x", pa.float64(),
                                                             metadata={UNIT_KEY: b"kN"})]))
    path = CsvSink().write("t", table, tmp_path)
    assert path.read_text(encoding="utf-8") == '"x"\n1.0\n'


def test_long_tables_carry_the_load_case_columns(demo_results):
    for name in ("riser_Riser_tension_envelope", "vessel_Heave_time_history"):
        table = pq.read_table(demo_results / f"{name}.parquet")
        assert table.column_names[:4] == ["file", "load_case", "heading", "Hs"], name
        group = pq.read_table(demo_results / f"{name.split('_')[0]}.parquet")
        by_file = dict(zip(group["file"].to_pylist(), group["Hs"].to_pylist(), strict=True))
        for file, hs in zip(table["file"].to_pylist(), table["Hs"].to_pylist(), strict=True):
            assert by_file[file] == hs


def test_csv_floats_read_back_as_floats_at_their_stored_precision(demo_results):
    with open(demo_results / "mooring.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[1:]  # after the units row
    assert rows[0]["heading"] == "0.0" and rows[0]["Hs"] == "2.0"  # floats stay floats
    table = pq.read_table(demo_results / "mooring.parquet")
    maxima = table["Mooring1 fairlead tension max"].to_pylist()
    for row, value in zip(rows, maxima, strict=True):
        text = row["Mooring1 fairlead tension max"]
        # a float32 sample: the shortest text that round-trips float32, not 17 digits
        assert np.float32(text) == np.float32(value) and float(np.float32(text)) == value
        assert len(text.replace(".", "").replace("-", "").lstrip("0")) <= 9


def test_float_texts_use_the_stored_precision():
    f32 = float(np.float32(0.5202956199645996))
    assert float_texts(np.array([f32, 3.0])) == ["0.5202956", "3.0"]
    # one float64-only value: the whole column is written at float64 precision
    assert float_texts(np.array([f32, 0.1])) == [repr(f32), "0.1"]
    assert float_texts(np.array([1e20, 1e-5, -0.0], dtype=np.float32)) == ["1e+20", "1e-05",
                                                                            "-0.0"]
    assert float_texts(np.array([np.inf, np.nan, 2.0])) == ["inf", "nan", "2.0"]
    assert float_texts(np.array([1.5, 0.0]), np.array([True, False])) == ["1.5", None]


def test_csv_lines_quote_text_as_arrow_does():
    table = pa.table({"a": ['x"y', None], "b": [3.0, None], "c": [1, 2], "d": [True, None]})
    assert csv_lines(table) == ['"a","b","c","d"', '"x""y",3.0,1,true', ',,2,']


def test_csv_chunks_write_a_column_at_one_precision_whatever_the_chunk():
    from orcapost.cells import csv_chunks

    f32 = float(np.float32(0.5202956199645996))
    table = pa.table({"x": [f32, f32, f32, 0.1]})  # the float64-only value in the last chunk
    text = "".join(csv_chunks(table, chunk_rows=2))
    assert text == f'"x"\n{f32!r}\n{f32!r}\n{f32!r}\n0.1\n'
    assert "".join(csv_chunks(table.slice(0, 3), chunk_rows=2)) == (
        '"x"\n0.5202956\n0.5202956\n0.5202956\n')


@pytest.mark.parametrize("chunk_rows", [7, 65_536])
def test_csv_chunks_formatted_in_parts_on_threads_write_the_same_text(monkeypatch, chunk_rows):
    """A chunk of many cells is formatted in parts of its rows on several threads: the text
    must be the one-thread text byte for byte, whichever rows a part holds (nulls, text,
    integers, both float precisions, scientific notation, a column float64 only in its last
    rows) and whether a part reads the rows kept from the precision pass or its own."""
    from orcapost import cells

    rng = np.random.default_rng(7)
    rows = 41
    columns = {"file": [f'run "{i}"' if i % 5 else None for i in range(rows)],
               "n": list(range(rows))}
    for k in range(30):
        values = rng.normal(size=rows) * 10.0 ** rng.integers(-7, 9)
        if k % 3 == 0:
            values = values.astype(np.float32).astype(np.float64)  # written as float32
        if k == 4:
            values[-1] = 0.1  # one float64-only value, in the last part
        column = values.tolist()
        if k % 4 == 1:
            column[k % rows] = None
        columns[f"c{k}"] = column
    table = pa.table(columns)
    monkeypatch.setattr(cells, "PARALLEL_CELLS", 10**9)
    alone = "".join(cells.csv_chunks(table, chunk_rows=chunk_rows))
    monkeypatch.setattr(cells, "PARALLEL_CELLS", 64)
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert cells._parts(min(chunk_rows, rows), table.num_columns) > 1
    assert "".join(cells.csv_chunks(table, chunk_rows=chunk_rows)) == alone
    assert alone.count("\n") == rows + 1


def test_extractor_units_travel_beside_the_values():
    values = with_units({"a": 1.0, "b": 2.0}, {"a": "kN", "b": "", "c": "m"})
    assert split_units(values) == ({"a": 1.0, "b": 2.0}, {"a": "kN"})
    with pytest.raises(ValueError, match="units"):
        split_units({"a": 1.0, "__orcapost_units__": ["kN"]})


def test_campaign_tables_carry_the_units_of_their_reductions(demo_results):
    by_heading = _units(demo_results / "mooring_by_heading.parquet")
    assert by_heading["Mooring1 fairlead tension max max"] == "kN"
    assert by_heading["Mooring1 fairlead tension DEL mean"] == "kN"
    assert by_heading["files"] == "-"
    gumbel = _units(demo_results / "riser_by_sea_state.parquet")
    assert gumbel["Riser top tension max gumbel p90"] == "kN"
    assert gumbel["Riser top tension max seeds"] == "-"
    damage = _units(demo_results / "riser_lifetime_damage.parquet")
    assert damage["Riser TDZ fatigue damage lifetime damage"] == "-"
    assert damage["Riser TDZ fatigue damage life years"] == "years"


def test_cells_reused_by_resume_keep_their_units(tmp_path):
    """A --resume that reuses some columns of a file (another changed) used to leave the
    reused columns without units: the task did not compute them; they come from the journal."""
    from orcapost.pluginmanager import get_plugin_manager

    write_campaign(tmp_path / "campaign", DemoSpec(file_size=60_000), files=2)
    columns = [
        {"label": "heave", "kind": "statistics", "object": "FPSO", "variable": "Heave",
         "statistics": ["max", "time_of_max"]},
        {"label": "pitch", "kind": "statistics", "object": "FPSO", "variable": "Pitch",
         "statistics": ["max"]},
    ]
    config = {"version": 2, "inputs": {"directory": str(tmp_path / "campaign")},
              "engine": {"progress": "silent"},
              "results": {"vessel": {"columns": columns}},
              "outputs": {"directory": str(tmp_path / "results"), "formats": ["parquet"]}}
    pm = get_plugin_manager(entry_points=False)

    def run(resume: bool):
        path = tmp_path / "c.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        summary = Engine(pm, load_config(path, pm.registry), resume=resume).run()
        assert summary.exit_code == 0
        return _units(tmp_path / "results" / "vessel.parquet")

    first = run(False)
    assert first["heave max"] == "m" and first["heave time_of_max"] == "s"
    columns[1]["statistics"] = ["max", "min"]  # pitch is computed again, heave reused
    again = run(True)
    assert again["heave max"] == "m" and again["heave time_of_max"] == "s"
    assert again["pitch min"] == first["pitch"] == "deg"
    assert run(True) == again  # every cell reused: the journaled result's units


def test_shape_figures_have_no_unit_and_the_integral_is_unit_seconds():
    from orcapost.plugins.extractors.statistics import statistic_unit

    assert statistic_unit("max", "kN") == "kN"
    assert statistic_unit("time_of_max", "kN") == "s"
    assert statistic_unit("skewness", "kN") == "-"
    assert statistic_unit("kurtosis", "kN") == "-"
    assert statistic_unit("integrated", "kN") == "kN·s"
    assert statistic_unit("integrated", "-") == "s"


def test_a_column_whose_files_disagree_on_its_unit_claims_none():
    """Files of two unit systems (an SI model in kN, a US one in kips) wrote one column: the
    table took the first file's unit, so the column said kN over rows in kips."""
    from orcapost.results import FileResult
    from orcapost.tables import RunTables, extra_table
    from orcapost.units import table_units

    def result(name, unit, value):
        history = extra_table("history", {"time": [0.0, 1.0], "T": [value, value]},
                              units={"time": "s", "T": unit})
        return FileResult(path=f"/c/{name}", size=1,
                          values={"g": {"T max": value, "T time": 3.0, "T history": history}},
                          units={"g": {"T max": unit, "T time": "s"}})

    tables = RunTables(["g"])
    for r in (result("a.sim", "kN", 500.0), result("b.sim", "kips", 112.0),
              FileResult(path="/c/c.sim", size=1, status="failed")):
        tables.add(r)
    units = table_units(tables.table("g"))
    assert "T max" not in units and units["T time"] == "s"
    long = table_units(tables.table("g_history"))
    assert "T" not in long and long["time"] == "s"
    agreeing = RunTables(["g"])
    for r in (result("a.sim", "kN", 500.0), result("b.sim", "kN", 498.0)):
        agreeing.add(r)
    assert table_units(agreeing.table("g"))["T max"] == "kN"
    assert table_units(agreeing.table("g_history"))["T"] == "kN"
