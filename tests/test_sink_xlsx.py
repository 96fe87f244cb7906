"""The xlsx sink: one workbook, a sheet per table, a units row, frozen header, the failures
sheet, Excel's sheet names and limits, and a clear message without xlsxwriter."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from orcapost.config import load_config
from orcapost.demo import DemoSpec, write_campaign
from orcapost.engine import Engine
from orcapost.errors import OrcapostError
from orcapost.plugins.sinks import xlsx
from orcapost.plugins.sinks.xlsx import XlsxSink, sheet_name
from orcapost.units import UNIT_KEY

REPO = Path(__file__).resolve().parents[1]


def _run(root: Path, files: int, formats: list, broken: bool = False):
    from orcapost.pluginmanager import get_plugin_manager

    campaign = root / "campaign"
    write_campaign(campaign, DemoSpec(file_size=60_000), files=files)
    if broken:
        (campaign / "LC099_broken.arrow").write_bytes(b"not an archive")
    data = yaml.safe_load((REPO / "configs" / "demo.yml").read_text(encoding="utf-8"))
    data["inputs"]["directory"] = str(campaign)
    data["engine"]["thread_policy"] = {"name": "fixed", "threads": 2}
    data["outputs"] = {"directory": str(root / "results"), "formats": formats}
    config = root / "demo.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    pm = get_plugin_manager(entry_points=False)
    return Engine(pm, load_config(config, pm.registry)).run()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    root = tmp_path_factory.mktemp("xlsx")
    summary = _run(root, 3, ["xlsx", "parquet"], broken=True)
    assert summary.failed == 1
    return root / "results"


def test_one_workbook_with_a_sheet_per_table_and_the_failures(workbook):
    book = openpyxl.load_workbook(workbook / "demo.xlsx")
    parquet = sorted(p.stem for p in workbook.glob("*.parquet"))
    assert sorted(book.sheetnames) == sorted(sheet_name(n, set()) for n in parquet)
    assert "failures" in book.sheetnames
    failures = book["failures"]
    assert [c.value for c in failures[1]] == ["file", "path", "stage", "group", "column",
                                              "reason"]
    assert failures["A3"].value == "LC099_broken.arrow" and failures["C3"].value == "open"


def test_the_units_row_is_under_the_names_and_the_header_is_frozen(workbook):
    book = openpyxl.load_workbook(workbook / "demo.xlsx")
    for sheet in ("mooring", "riser", "vessel"):
        table = pq.read_table(workbook / f"{sheet}.parquet")
        ws = book[sheet]
        assert [c.value for c in ws[1]] == table.column_names
        units = [f.metadata.get(UNIT_KEY, b"").decode() if f.metadata else ""
                 for f in table.schema]
        assert [c.value or "" for c in ws[2]] == units
        assert ws.freeze_panes == "A3"
        assert ws.max_row == table.num_rows + 2
    riser = book["riser"]
    names = [c.value for c in riser[1]]
    assert riser.cell(2, names.index("Riser TDP bend moment max") + 1).value == "kN.m"
    assert riser.cell(2, names.index("Riser TDZ fatigue damage") + 1).value == "-"


def test_cells_are_numbers_with_number_formats(workbook):
    book = openpyxl.load_workbook(workbook / "demo.xlsx")
    ws = book["riser"]
    table = pq.read_table(workbook / "riser.parquet")
    names = [c.value for c in ws[1]]
    column = names.index("Riser TDZ fatigue damage") + 1
    assert ws.cell(3, column).number_format == "0.000E+00"  # damage never shows as 0
    value = ws.cell(3, names.index("Riser top tension max") + 1)
    assert isinstance(value.value, float) and value.number_format == "0.0###"
    assert value.value == pytest.approx(table["Riser top tension max"][0].as_py(), rel=1e-7)
    assert ws.cell(3, names.index("seed") + 1).number_format == "0"
    assert ws.cell(3, names.index("heading") + 1).value == 0.0


def test_sheet_names_follow_excels_rules():
    taken: set[str] = set()
    long = "riser_Riser_tension_envelope_by_heading_and_Hs"
    first, second = sheet_name(long, taken), sheet_name(long + "x", taken)
    assert len(first) == 31 and len(second) <= 31 and first != second
    assert sheet_name("a[b]:c*?/d\\", taken) == "a_b__c___d_"
    assert sheet_name("MOORING", taken) == "MOORING"
    assert sheet_name("mooring", taken) == "mooring~2"  # Excel ignores case
    assert sheet_name("History", taken) == "History_"


def test_a_table_beyond_excels_rows_is_refused_for_that_sheet_only(tmp_path, monkeypatch,
                                                                   capsys):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 5)
    sink = XlsxSink()
    big = pa.table({"x": [float(i) for i in range(10)]})
    small = pa.table({"y": [1.5]})
    path = sink.write("big", big, tmp_path)
    assert sink.write("small", small, tmp_path) == path
    sink.finish(tmp_path)
    book = openpyxl.load_workbook(path)
    assert "not in this workbook" in book["big"]["A1"].value
    assert "10 rows" in book["big"]["A1"].value
    assert book["small"]["A3"].value == 1.5
    assert "table 'big' is not in this workbook" in capsys.readouterr().err


def test_a_refused_sheet_keeps_the_other_sinks_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 10)  # the long time-history table is too big
    summary = _run(tmp_path, 2, ["xlsx", "csv"])
    assert summary.exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "results" / "demo.xlsx")
    assert "not in this workbook" in book["vessel_Heave_time_history"]["A1"].value
    assert (tmp_path / "results" / "vessel_Heave_time_history.csv").stat().st_size > 1000


def test_without_xlsxwriter_the_run_stops_before_any_file_with_what_to_install(
        tmp_path, monkeypatch):
    """It stopped after the last file, and lost the csv tables too (exit 3)."""
    monkeypatch.setitem(sys.modules, "xlsxwriter", None)  # import fails
    with pytest.raises(OrcapostError, match="orcapost\\[excel\\]"):
        XlsxSink().preflight()
    with pytest.raises(OrcapostError, match="needs the xlsxwriter package"):
        _run(tmp_path, 1, ["csv", "xlsx"])
    assert not (tmp_path / "results" / "orcapost-journal.jsonl").exists()


def test_a_shortened_sheet_name_never_ends_with_an_apostrophe(tmp_path):
    """Cut to 31 characters, a table name with an apostrophe at the cut made a sheet name
    ending in one, which Excel (and xlsxwriter: InvalidWorksheetName) refuses: the sink
    failed."""
    taken: set[str] = set()
    names = [sheet_name("a" * 30 + "'b", taken), sheet_name("a" * 30 + "'c", taken)]
    assert all(not n.endswith("'") and len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == 2
    sink = XlsxSink()
    sink.write_workbook(tmp_path / "t.xlsx", [("a" * 30 + "'b", pa.table({"x": [1.0]})),
                                              ("a" * 30 + "'c", pa.table({"x": [2.0]}))])
    assert len(openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames) == 2
