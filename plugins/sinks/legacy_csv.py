"""The legacy summary CSVs, so scripts that read the legacy tool's output keep working.

One CSV per result group named ``<config-stem>[_<label>]_<group>.csv``, with the legacy leading
columns ``fe_filename`` (absolute path, forward slashes), ``fe_filename_stem``, ``run_status``,
``start_time``, ``stop_time``, then a column per result label. Migrated configs select this sink;
any config may. ``start_time``/``stop_time`` come from a ``simulation_times`` column in the group
(migrated configs have one); without it they are empty.

The sink is two parts: the *legacy layout* (a table-to-table transform, with the legacy file
names) and a CSV writer using Python's csv module as the legacy tool did. Extra tables, campaign
tables and ``failures.csv`` pass through the layout unchanged, under the same legacy naming
(failures.csv excepted).
"""

from __future__ import annotations

import csv
import fnmatch
import json
import math
import statistics as stats
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from orcapost.api import (
    STATUS_FAILED,
    Sink,
    StrictModel,
    TableLayout,
    column_array,
    hookimpl,
    is_pattern,
    safe_name,
)
from pydantic import Field

if TYPE_CHECKING:
    import pyarrow as pa

LEADING = ("fe_filename", "fe_filename_stem", "run_status", "start_time", "stop_time")
TIMES = ("start_time", "stop_time")
ROW_NAMES = {"min": "Minimum", "max": "Maximum", "mean": "Mean", "std": "StdDev"}
#: The kind of the column whose two values fill start_time and stop_time.
TIMES_KIND = "simulation_times"
#: Groups of only these columns (and the times) get the legacy linked-statistics layout.
LINKED_KIND = "linked_statistics"


class LegacyCsvOptions(StrictModel):
    label: str | None = Field(default=None, description="The legacy meta.label: "
                              "<config>_<label>_<group>.csv.")
    statistics: list[Literal["min", "max", "mean", "std"]] = Field(
        default_factory=list,
        description="Rows appended under the files: Minimum, Maximum, Mean, StdDev of each column.",
    )
    decimals: int | None = Field(default=6, ge=0, description="Round values to this many "
                                 "decimals (the legacy csv_decimal); null keeps every digit.")
    linked_decimals: int | None = Field(
        default=None, ge=0, description="Decimals of linked-statistics groups (the legacy "
        "linked_statistics.csv_decimal); null: as decimals.")
    time_series_decimals: int | None = Field(
        default=None, ge=0, description="Decimals of the time-series files (the legacy "
        "time_series.csv_decimal); null: as decimals.")
    time_series: list[str] = Field(
        default_factory=list, description="Result groups whose per-file time-history tables "
        "are written as the legacy time series, <file stem>_<group>.csv (give the group's "
        "time_history columns table: <group> to share one file).")


class LegacyLayout(TableLayout):
    """The legacy summary layout: result groups get the legacy leading columns and a column
    per label; every table is named ``<config>[_<label>]_<table>``."""

    name = "legacy"

    def __init__(self, options: LegacyCsvOptions) -> None:
        self.options = options
        self._keys: set[str] = set()
        self._keys_stamp: tuple | None = None

    def key(self) -> str:
        return f"{self.name}:{json.dumps(self.options.model_dump(mode='json'), sort_keys=True)}"

    def file_stem(self, table: str, context) -> str:
        series = self._time_series_file(table)
        if series is not None:
            # opp_time_series.get_time_series_data: <sim stem>_<group Label>.csv
            return f"{series[1]}_{series[0]}"
        label = f"_{self.options.label}" if self.options.label else ""
        return f"{context.config_stem}{label}_{table}"

    def _time_series_file(self, table: str) -> tuple[str, str] | None:
        """(group, file stem) of a per-file time-series table ``<group>_<group>_<stem>``."""
        for group in sorted(self.options.time_series, key=len, reverse=True):
            prefix = f"{group}_{safe_name(group)}_"
            if table.startswith(prefix) and len(table) > len(prefix):
                return group, table[len(prefix):]
        return None

    def lay_out(self, table: str, data: pa.Table, tables: Any) -> pa.Table:
        if self._time_series_file(table) is not None:
            # The legacy time-series file holds the series alone (time first): the load-case
            # columns orcapost's per-file tables lead with are not in it.
            keys = self._load_case_keys(tables)
            leading = 0
            while leading < data.num_columns and data.column_names[leading] in keys:
                leading += 1
            series = data.select(data.column_names[leading:])
            return self._rounded(series, self._decimals(self.options.time_series_decimals))
        if not tables.is_result_group(table) or table not in tables.group_order:
            return data
        plain, values = tables.group_columns(table)
        spec = tables.config.results[table]
        times = next((c.output_names() for c in spec.columns if c.kind == TIMES_KIND), ())
        linked = [c for c in spec.columns if c.kind == LINKED_KIND]
        if linked and all(c.kind in (LINKED_KIND, TIMES_KIND) for c in spec.columns):
            return self.linked_table(plain, values, linked)
        return self.legacy_table(plain, values, times)

    def _load_case_keys(self, tables: Any) -> set[str]:
        """Every load-case key of the run's files, gathered once per set of results (each
        time-series table gathering them made files x files look-ups)."""
        results = tables.results
        stamp = (id(tables), len(results), id(results[-1]) if results else None)
        if self._keys_stamp != stamp:
            self._keys = {key for result in results for key in tables.load_case(result)}
            self._keys_stamp = stamp
        return self._keys

    def _decimals(self, specific: int | None) -> int | None:
        return specific if specific is not None else self.options.decimals

    def _rounded(self, data: pa.Table, decimals: int | None) -> pa.Table:
        import pyarrow as pa

        if decimals is None:
            return data
        return pa.Table.from_arrays(
            [column_array([_round(v, decimals) for v in column.to_pylist()])
             for column in data.columns], names=data.column_names)

    def linked_table(self, table: pa.Table, values: dict[str, str], columns: list) -> pa.Table:
        """The legacy linked-statistics layout (opp_linkedstatistics.get_linked_statistics):
        a row per file and column, fe_filename, Label, run_status, statistic, then
        ValueAtMax_<v>, TimeOfMax_<v>, LinkedValueAtMax_<linked>... and the same for Min."""
        import pyarrow as pa

        by_label = {label: name for name, label in values.items()}
        decimals = self._decimals(self.options.linked_decimals)
        rows: list[dict[str, Any]] = []
        paths = [Path(p) for p in table["path"].to_pylist()]
        statuses = [s if s == STATUS_FAILED else (state or s) for s, state in zip(
            table["status"].to_pylist(), table["simulation_state"].to_pylist(), strict=True)]
        names: dict[str, None] = dict.fromkeys(("fe_filename", "Label", "run_status",
                                                "statistic"))
        for index, path in enumerate(paths):
            for column in columns:
                row: dict[str, Any] = {"fe_filename": path.resolve().as_posix(),
                                       "Label": column.label, "run_status": statuses[index],
                                       "statistic": None}
                for stat, legacy in (("max", "Max"), ("min", "Min")):
                    if stat not in column.statistics:
                        continue
                    # The variable's own name after the prefix (it may hold "Max" itself).
                    cells = [(f"ValueAt{legacy}_{column.variable}", f"{column.label} {stat}"),
                             (f"TimeOf{legacy}_{column.variable}",
                              f"{column.label} {stat} time")]
                    cells += [(f"LinkedValueAt{legacy}_{other}", f"{column.label} {stat} {other}")
                              for other in self._linked_names(column, stat, values)]
                    for legacy_name, output in cells:
                        name = by_label.get(output)
                        value = table[name][index].as_py() if name is not None else None
                        row[legacy_name] = _round(value, decimals)
                        names.setdefault(legacy_name)
                rows.append(row)
        # The statistics rows under the files, as legacy_table writes them (docs/migration.md
        # sends the legacy add_basic_statistics_to_df rows here): each value column's
        # min/max/mean/std over the file rows.
        leading = ("fe_filename", "Label", "run_status", "statistic")
        files = list(rows)
        for stat in self.options.statistics:
            row = {"fe_filename": ROW_NAMES[stat], "Label": ROW_NAMES[stat]}
            for name in names:
                if name not in leading:
                    numbers = [float(r[name]) for r in files if _numeric(r.get(name))]
                    row[name] = _round(_aggregate(stat, numbers), decimals)
            rows.append(row)
        return pa.Table.from_arrays([column_array([row.get(name) for row in rows])
                                     for name in names], names=list(names))

    @staticmethod
    def _linked_names(column, stat: str, values: dict[str, str]) -> list[str]:
        """The linked variables of a column: a name as given, a pattern as the variables it
        matched (known from the outputs: ``<label> <stat> <variable>``), in table order."""
        prefix = f"{column.label} {stat} "
        matched = [label[len(prefix):] for label in values.values()
                   if label.startswith(prefix) and label != f"{prefix}time"]
        out: list[str] = []
        for given in column.linked:
            names = ([name for name in matched if fnmatch.fnmatchcase(name, given)]
                     if is_pattern(given) else [given])
            out += [name for name in names if name not in out]
        return out

    def legacy_table(self, table: pa.Table, values: dict[str, str],
                     time_names: Sequence[str]) -> pa.Table:
        """A group's table (one row per file, by path) in the legacy layout, from the plain
        group table and its value columns (name in the table -> label). Columns are named by
        their labels: the legacy layout has no load-case columns for a label to clash with."""
        import pyarrow as pa

        by_label = {label: name for name, label in values.items()}
        times = [by_label.get(label) for label in time_names]
        statuses = zip(table["status"].to_pylist(), table["simulation_state"].to_pylist(),
                       strict=True)
        paths = [Path(p) for p in table["path"].to_pylist()]
        columns: list[tuple[str, list]] = [
            ("fe_filename", [p.resolve().as_posix() for p in paths]),
            ("fe_filename_stem", [p.stem for p in paths]),
            ("run_status", [s if s == STATUS_FAILED else (state or s) for s, state in statuses]),
            *((leading, self._cells(table, name)) for leading, name in
              zip(TIMES, times or (None, None), strict=True)),
            *((label, self._cells(table, name)) for name, label in values.items()
              if name not in times),
        ]
        for name in self.options.statistics:
            for index, (_, column) in enumerate(columns):
                if index < len(LEADING):
                    column.append(ROW_NAMES[name] if index < 2 else None)
                else:
                    numbers = [v for v in column[:table.num_rows] if _numeric(v)]
                    column.append(self._round(_aggregate(name, numbers)))
        return pa.Table.from_arrays([column_array(column) for _, column in columns],
                                    names=[name for name, _ in columns])

    def _cells(self, table: pa.Table, name: str | None) -> list:
        if name is None:
            return [None] * table.num_rows
        return [self._round(v) for v in table[name].to_pylist()]

    def _round(self, value):
        return _round(value, self.options.decimals)


def _round(value: Any, decimals: int | None) -> Any:
    if decimals is not None and isinstance(value, float) and math.isfinite(value):
        return round(value, decimals)
    return value


class LegacyCsvSink(Sink[LegacyCsvOptions]):
    """CSV tables in the legacy summary shape: <config>[_label]_<group>.csv, fe_filename first."""

    name = "legacy_csv"
    Options = LegacyCsvOptions
    suffix = ".csv"

    def layout(self) -> TableLayout:
        return LegacyLayout(self.options)

    def write(self, name: str, table: pa.Table, directory: Path) -> Path:
        # Python's csv module, as the legacy tool wrote: unquoted names, 2.0 not 2.
        path = self.path_for(name, directory)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.column_names)
            cells = zip(*(column.to_pylist() for column in table.columns), strict=True)
            writer.writerows(["" if v is None else v for v in row] for row in cells)
        return path


def _numeric(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _aggregate(name: str, numbers: list[float]) -> float | None:
    if not numbers:
        return None
    if name == "min":
        return float(min(numbers))
    if name == "max":
        return float(max(numbers))
    if name == "mean":
        return float(stats.fmean(numbers))
    # The legacy tables were pandas frames: sample standard deviation (ddof 1).
    return float(stats.stdev(numbers)) if len(numbers) > 1 else None


@hookimpl
def orcapost_register_sinks(register):
    register(LegacyCsvSink)
