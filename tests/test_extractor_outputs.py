"""What an extractor returns is checked per cell at the worker boundary (issue 12): a chaos
extractor plugin returns each kind of bad output; only its own cell fails, named, and the run,
its tables and ``--resume`` all work."""

from __future__ import annotations

import json
from typing import Literal

import numpy as np
import pyarrow.csv as pacsv
import pytest
from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.schemas.config import SampledColumn
from orcapost.tables import TABLE_MARKER, extra_table
from orcapost.task import MAX_TEXT_BYTES

BAD = {
    "list": lambda: [1.0, 2.0],
    "array": lambda: np.arange(3.0),
    "dict": lambda: {"a": 1},
    "object": lambda: object(),
    "complex": lambda: 1 + 2j,
    "nan": lambda: float("nan"),
    "inf": lambda: np.float64("inf"),
    "long text": lambda: "x" * (MAX_TEXT_BYTES + 1),
    "ragged table": lambda: {TABLE_MARKER: "t", "layout": "long",
                             "columns": {"a": [1.0], "b": [1.0, 2.0]}},
    "table of objects": lambda: extra_table("t", {"a": [object()]}),
}
WHOLE = {
    "returns None": lambda: None,
    "returns a list": lambda: [("x", 1.0)],
    "a name that is no string": lambda: {3: 1.0},
}


class ChaosColumn(SampledColumn):
    output: Literal[tuple(BAD) + tuple(WHOLE) + ("good",)] = "good"  # type: ignore[valid-type]


class ChaosExtractor(Extractor):
    """Returns a bad output of the kind its column asks for."""

    name = "chaos"
    Options = ChaosColumn

    def extract(self, file, column):
        if column.output in WHOLE:
            return WHOLE[column.output]()
        good = {f"{column.label} ok": np.float32(1.5), f"{column.label} n": np.int64(3),
                f"{column.label} text": "fine", f"{column.label} missing": None}
        if column.output == "good":
            return good
        return {**good, column.label: BAD[column.output]()}


class ChaosPlugin:
    @hookimpl
    def orcapost_register_extractors(self, register):
        register(ChaosExtractor)


@pytest.fixture
def chaos(pm):
    pm.register(ChaosPlugin(), name="chaos_plugin")
    return pm


def _config(campaign, out, outputs: list[str], **column):
    chaos = [{"label": f"c {kind}", "kind": "chaos", "output": kind, **column} for kind in outputs]
    return {
        "version": 2, "inputs": {"directory": str(campaign)},
        "engine": {"thread_policy": {"name": "fixed", "threads": 2}},
        "results": {
            "first": {"columns": [*chaos, {"label": "after", "kind": "chaos"},
                                  {"label": "riser", "kind": "statistics", "object": "Riser",
                                   "variable": "Effective Tension", "position": "End A"}]},
            "second": {"columns": [{"label": "later group", "kind": "chaos"}]},
        },
        "outputs": {"directory": str(out), "formats": ["csv", "parquet"]},
    }


def _silent(pm):
    return pm.registry.get("reporter", "silent").cls()


@pytest.mark.parametrize("kind", [*BAD, *WHOLE])
def test_a_bad_output_fails_its_cell_only_naming_plugin_group_and_column(chaos, campaign,
                                                                         tmp_path, kind):
    out = tmp_path / "out"
    loaded = validate_data(_config(campaign, out, [kind]), chaos.registry)
    summary = Engine(chaos, loaded, reporter=_silent(chaos)).run()
    assert summary.exit_code == 1
    failures = pacsv.read_csv(out / "failures.csv").to_pylist()
    assert len(failures) == 8 and {(f["group"], f["column"]) for f in failures} == {
        ("first", f"c {kind}")}
    reason = failures[0]["reason"]
    assert "'chaos_plugin'" in reason and "'first'" in reason and f"'c {kind}'" in reason, reason
    rows = pacsv.read_csv(out / "first.csv").to_pylist()
    assert len(rows) == 8
    assert all(r["after ok"] == 1.5 and r["after n"] == 3 and r["after text"] == "fine"
               for r in rows)
    assert all(r["riser"] > 0 for r in rows)  # a later built-in column is untouched
    assert all(r["later group ok"] == 1.5
               for r in pacsv.read_csv(out / "second.csv").to_pylist())
    assert f"c {kind} ok" not in rows[0]  # the bad cell's column wrote nothing

    # --resume reads the journal this run wrote and writes the same tables.
    again = Engine(chaos, loaded, reporter=_silent(chaos), resume=True).run()
    assert again.exit_code == 1
    assert pacsv.read_csv(out / "first.csv").to_pylist() == rows
    report = json.loads((out / "orcapost-run.json").read_text(encoding="utf-8"))
    assert report


@pytest.mark.parametrize("kind", ["nan", "inf"])
def test_nan_policy_omit_leaves_a_non_finite_value_empty(chaos, campaign, tmp_path, kind):
    out = tmp_path / "out"
    loaded = validate_data(_config(campaign, out, [kind], nan_policy="omit"), chaos.registry)
    summary = Engine(chaos, loaded, reporter=_silent(chaos)).run()
    assert summary.exit_code == 0
    rows = pacsv.read_csv(out / "first.csv").to_pylist()
    assert all(r[f"c {kind}"] is None and r[f"c {kind} ok"] == 1.5 for r in rows)


def test_numpy_scalars_become_python_values_and_text_up_to_the_cap_is_kept(chaos, campaign):
    from orcapost.task import checked_outputs

    column = ChaosColumn(label="x")
    out = checked_outputs({"a": np.float64(2.0), "b": np.bool_(True), "c": "é" * 100,
                           "d": "x" * MAX_TEXT_BYTES}, column, "here")
    assert out == {"a": 2.0, "b": True, "c": "é" * 100, "d": "x" * MAX_TEXT_BYTES}
    assert type(out["a"]) is float and type(out["b"]) is bool


def test_an_extra_table_s_numpy_cells_become_python_values_and_objects_are_named(chaos):
    from orcapost.task import BadOutput, checked_outputs

    column = ChaosColumn(label="x")
    table = {TABLE_MARKER: "t", "layout": "long",
             "columns": {"a": [1.0, None, "s", True], "b": [np.float32(1.5), 2, np.int64(3), 4]}}
    cells = checked_outputs({"t": table}, column, "here")["t"]["columns"]
    assert cells["b"] == [1.5, 2, 3, 4] and [type(v) for v in cells["b"]] == [float, int, int, int]
    table["columns"]["a"][2] = object()
    with pytest.raises(BadOutput, match="column 'a' row 2 is a object"):
        checked_outputs({"t": table}, column, "here")


# -- an exception no reason foresaw: named, with its traceback in the run report, and on the
#    console only with ORCAPOST_DEBUG=1, the exit code the same either way ----------------------


class RaisingExtractor(Extractor):
    """A plugin bug: divides by zero."""

    name = "raising"
    Options = SampledColumn

    def extract(self, file, column):
        return {column.label: 1 / 0}


class RaisingPlugin:
    @hookimpl
    def orcapost_register_extractors(self, register):
        register(RaisingExtractor)


def test_an_extractor_s_exception_has_its_traceback_in_the_report_and_debug_shows_it(
        pm, campaign, tmp_path, write_config, run_cli, monkeypatch):
    pm.register(RaisingPlugin(), name="raising_plugin")
    config = {"version": 2, "inputs": {"directory": str(campaign)},
              "results": {"g": {"columns": [{"label": "boom", "kind": "raising"}]}},
              "outputs": {"directory": str(tmp_path / "out"), "formats": ["csv"]}}
    path = write_config(config)
    monkeypatch.delenv("ORCAPOST_DEBUG", raising=False)
    plain = run_cli("run", path, "--no-progress")
    report = json.loads((tmp_path / "out" / "orcapost-run.json").read_text(encoding="utf-8"))
    (failure, *_) = report["failures"]
    assert failure["reason"] == "ZeroDivisionError: division by zero"
    assert "Traceback" in failure["traceback"] and "return {column.label: 1 / 0}" in \
        failure["traceback"]
    assert "Traceback" not in plain.output and "ZeroDivisionError" in plain.output
    monkeypatch.setenv("ORCAPOST_DEBUG", "1")
    debug = run_cli("run", path, "--no-progress")
    assert debug.exit_code == plain.exit_code == 1  # partial files: 1, debugging or not
    assert "Traceback" in debug.output and "1 / 0" in debug.output
    # The failures table keeps its columns: the traceback is the report's.
    assert "traceback" not in pacsv.read_csv(tmp_path / "out" / "failures.csv").column_names


class RaisingProcessFile:
    @hookimpl(tryfirst=True)
    def orcapost_process_file(self, task):
        raise RuntimeError("chaos in process_file")


def test_a_raising_process_file_hook_fails_each_file_naming_the_plugin(pm, campaign, tmp_path):
    # Before: every file failed as "the worker died while processing this file, alone".
    pm.register(RaisingProcessFile(), name="chaos_process_file")
    out = tmp_path / "out"
    config = {"version": 2, "inputs": {"directory": str(campaign)},
              "engine": {"thread_policy": {"name": "fixed", "threads": 2}},
              "results": {"g": {"columns": [{"label": "top", "kind": "statistics",
                                             "object": "Riser", "variable": "Effective Tension",
                                             "position": "End A"}]}},
              "outputs": {"directory": str(out), "formats": ["csv"]}}
    summary = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    assert summary.exit_code == 1 and summary.failed == 8
    reasons = {f.reason for f in summary.failures}
    assert reasons == {"plugin 'chaos_process_file' failed in orcapost_process_file: "
                       "RuntimeError: chaos in process_file; the file is not processed"}
    assert all("chaos in process_file" in f.traceback for f in summary.failures)
