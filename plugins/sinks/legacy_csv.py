"""The legacy summary CSVs, so scripts that read the legacy tool's output keep working.

One CSV per result group named ``<config-stem>[_<label>]_<group>.csv``, with the legacy leading
columns ``fe_filename`` (absolute path, forward slashes), ``fe_filename_stem``, ``run_status``,
``start_time``, ``stop_time``, then a column per result label. Migrated configs select this sink;
any config may. ``start_time``/``stop_time`` come from a ``simulation_times`` column in the group
(migrated configs have one); without it they are empty.

The sink is the csv sink with the config's groups named and laid out the legacy way: extra
tables, campaign tables and ``failures.csv`` are written as the csv sink writes them, under the
same legacy naming (failures.csv excepted).

Also registers the ``simulation_times`` extractor: a simulation's start time (the start of the
build-up stage) and the time it reached.
"""

from __future__ import annotations

import csv
import math
import statistics as stats
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pyarrow as pa
from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.plugins.sinks.csv import CsvSink
from orcapost.results import STATUS_FAILED
from orcapost.schemas.base import StrictModel
from orcapost.schemas.config import ColumnOptions
from orcapost.tables import TableBuilder, _array
from pydantic import Field

LEADING = ("fe_filename", "fe_filename_stem", "run_status", "start_time", "stop_time")
TIMES = ("start_time", "stop_time")
ROW_NAMES = {"min": "Minimum", "max": "Maximum", "mean": "Mean", "std": "StdDev"}


class SimulationTimesColumn(ColumnOptions):
    label: str = Field(default="{time}", min_length=1,
                       description="Output names; {time} is start_time or stop_time.")


def time_names(label: str) -> tuple[str, str]:
    """The output names of a simulation_times column: (start, stop)."""
    start, stop = (label.format(time=t) if "{time}" in label else f"{label} {t}" for t in TIMES)
    return start, stop


class SimulationTimesExtractor(Extractor):
    """A simulation's start time and the time it reached (the legacy start_time/stop_time)."""

    name = "simulation_times"
    Options = SimulationTimesColumn

    def extract(self, file, column: SimulationTimesColumn) -> dict:
        times = file.sample_times()
        stages = file.stages()
        start = float(stages[0].start) if stages else float(times[0])
        stop = float(times[-1]) if len(times) else start
        return dict(zip(time_names(column.label), (start, stop), strict=True))


class LegacyCsvOptions(StrictModel):
    label: str | None = Field(default=None, description="The legacy meta.label: "
                              "<config>_<label>_<group>.csv.")
    statistics: list[Literal["min", "max", "mean", "std"]] = Field(
        default_factory=list,
        description="Rows appended under the files: Minimum, Maximum, Mean, StdDev of each column.",
    )
    decimals: int | None = Field(default=6, ge=0, description="Round values to this many "
                                 "decimals (the legacy csv_decimal); null keeps every digit.")


class LegacyTables(TableBuilder):
    """The run's tables, with the config's result groups passed through ``layout``.

    ``layout(group, table, values)`` gets the plain group table and its value columns (name in
    the table -> label). Campaign tables still reduce the plain group tables (they need the load-case
    columns the legacy layout leaves out).
    """

    layout: Callable[[str, pa.Table, dict[str, str]], pa.Table]

    def group_table(self, group: str) -> pa.Table:
        if group not in self.group_order:
            return super().group_table(group)
        table, values = self._group_columns(group)
        return self.layout(group, table, values)


class LegacyCsvSink(CsvSink):
    """CSV tables in the legacy summary shape: <config>[_label]_<group>.csv, fe_filename first."""

    name = "legacy_csv"
    Options = LegacyCsvOptions

    def open(self, context) -> None:
        super().open(context)
        label = f"_{self.options.label}" if self.options.label else ""
        self.naming = "{config}" + label.replace("{", "{{").replace("}", "}}") + "_{group}"
        self.builder = LegacyTables.for_run(context)
        self.builder.layout = self.legacy_table
        # A group's start/stop come from its simulation_times column, whatever its label.
        self.times = {
            group: next((time_names(c.label) for c in spec.columns
                         if c.kind == SimulationTimesExtractor.name), ())
            for group, spec in context.config.results.items()
        }

    def legacy_table(self, group: str, table: pa.Table, values: dict[str, str]) -> pa.Table:
        """A group's table (one row per file, by path) in the legacy layout, from the plain
        group table and its value columns (name in the table -> label). Columns are named by
        their labels: the legacy layout has no load-case columns for a label to clash with."""
        by_label = {label: name for name, label in values.items()}
        times = [by_label.get(label) for label in self.times.get(group, ())]
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
        return pa.Table.from_arrays([_array(column) for _, column in columns],
                                    names=[name for name, _ in columns])

    def _cells(self, table: pa.Table, name: str | None) -> list:
        if name is None:
            return [None] * table.num_rows
        return [self._round(v) for v in table[name].to_pylist()]

    def write_table(self, table: pa.Table, path: Path) -> None:
        # Python's csv module, as the legacy tool wrote: unquoted names, 2.0 not 2.
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.column_names)
            cells = zip(*(column.to_pylist() for column in table.columns), strict=True)
            writer.writerows(["" if v is None else v for v in row] for row in cells)

    def _round(self, value):
        if self.options.decimals is not None and isinstance(value, float) and math.isfinite(value):
            return round(value, self.options.decimals)
        return value


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


@hookimpl
def orcapost_register_extractors(register):
    register(SimulationTimesExtractor)
