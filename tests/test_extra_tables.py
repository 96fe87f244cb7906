"""Extra tables: extractor outputs that are tables of their own, never cells."""

from __future__ import annotations

import json

import numpy as np
import pytest
from orcapost.journal import result_from_dict, result_to_dict
from orcapost.results import FileResult
from orcapost.tables import TableBuilder, extra_table, is_extra_table, safe_name


def _result(path, n, layout="long"):
    return FileResult(path=path, size=1, values={"g": {
        "cell": float(n),
        "th": extra_table("my: table", {"time": np.arange(n) * 0.5, "x": [float(n)] * n},
                          layout=layout),
    }})


def test_long_tables_stack_every_file_and_stay_out_of_the_cells():
    builder = TableBuilder(["g"])
    builder.add(_result("/b/two.arrow", 2))
    builder.add(_result("/a/one.arrow", 1))
    names = builder.groups()
    assert names == ["g", "g_my_table"]
    cells = builder.group_table("g")
    assert cells.column_names[-1] == "cell" and "th" not in cells.column_names
    table = builder.group_table("g_my_table").to_pylist()
    assert table == [{"file": "one.arrow", "time": 0.0, "x": 1.0},
                     {"file": "two.arrow", "time": 0.0, "x": 2.0},
                     {"file": "two.arrow", "time": 0.5, "x": 2.0}]


def test_per_file_tables_are_named_by_file_and_same_names_in_two_folders_both_kept():
    builder = TableBuilder(["g"])
    builder.add(_result("/a/run.arrow", 1, "per_file"))
    builder.add(_result("/b/run.arrow", 3, "per_file"))
    names = builder.groups()
    assert names == ["g", "g_my_table_run", "g_my_table_run_2"]
    assert builder.group_table("g_my_table_run").num_rows == 1
    assert builder.group_table("g_my_table_run_2").column("x").to_pylist() == [3.0] * 3


def test_extra_tables_survive_the_journal_as_plain_json():
    result = _result("/a/one.arrow", 4)
    back = result_from_dict(json.loads(json.dumps(result_to_dict(result))))
    assert is_extra_table(back.values["g"]["th"])
    assert back.values["g"]["th"] == result.values["g"]["th"]


def test_columns_of_different_lengths_and_bad_layouts_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        extra_table("t", {"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError, match="layout"):
        extra_table("t", {"a": [1]}, layout="wide")


def test_safe_names_are_windows_file_names():
    assert safe_name('Riser: T <max>?/"x"') == "Riser_T_max_x"
    assert safe_name("...") == "table"


def test_extra_tables_are_found_once_and_again_only_after_a_file_is_added(monkeypatch):
    builder = TableBuilder(["g"])
    for i in range(1, 4):
        builder.add(_result(f"/d/run{i}.arrow", i, "per_file"))
    calls = []
    find = builder._find_extras
    monkeypatch.setattr(builder, "_find_extras", lambda groups: calls.append(1) or find(groups))
    names = builder.groups()
    assert names == ["g", "g_my_table_run1", "g_my_table_run2", "g_my_table_run3"]
    for i, name in enumerate(names[1:], start=1):
        assert builder.table(name).column("x").to_pylist() == [float(i)] * i
    assert builder.table("g").num_rows == 3 and len(calls) == 1
    builder.add(_result("/d/run4.arrow", 4, "per_file"))
    assert builder.groups()[-1] == "g_my_table_run4" and len(calls) == 2
    assert builder.table("g_my_table_run4").num_rows == 4 and builder.table("g").num_rows == 4


class _CountedList(list):
    """A list that counts how often it is walked."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def test_the_names_of_the_tables_are_worked_out_once_not_once_per_file(monkeypatch):
    # check_names and is_result_group walked every result once per result (10,000 files: 12 s
    # at the end of a run); the group names are worked out once, like the extra tables.
    builder = TableBuilder(["g"])
    for i in range(1, 50):
        builder.add(_result(f"/d/run{i}.arrow", 1, "per_file"))
    monkeypatch.setattr(_CountedList, "walks", 0)
    builder.results = _CountedList(builder.results)
    builder.check_names()
    names = builder.groups()
    assert [builder.is_result_group(name) for name in names].count(True) == 1
    assert _CountedList.walks <= 3
