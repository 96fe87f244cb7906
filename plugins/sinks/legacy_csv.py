"""The legacy summary CSVs, so scripts that read the legacy tool's output keep working.

One CSV per result group named ``<config-stem>[_<label>]_<group>.csv``, with the legacy leading
columns ``fe_filename`` (absolute path, forward slashes), ``fe_filename_stem``, ``run_status``,
``start_time``, ``stop_time``, then a column per result label. Migrated configs select this sink;
any config may. ``start_time``/``stop_time`` come from a ``simulation_times`` column in the group
(migrated configs have one); without it they are empty.

Also registers the ``simulation_times`` extractor: a simulation's start time (the start of the
build-up stage) and the time it reached.
"""

from __future__ import annotations

import csv
import math
import statistics as stats
from pathlib import Path
from typing import Literal

import pyarrow.csv as pacsv
from orcapost import hookimpl
from orcapost.atomic import atomic_path
from orcapost.components import Extractor, Sink
from orcapost.results import STATUS_FAILED
from orcapost.schemas.base import StrictModel
from orcapost.schemas.config import ColumnOptions
from orcapost.tables import TableBuilder
from pydantic import Field

LEADING = ("fe_filename", "fe_filename_stem", "run_status", "start_time", "stop_time")
TIMES = ("start_time", "stop_time")
ROW_NAMES = {"min": "Minimum", "max": "Maximum", "mean": "Mean", "std": "StdDev"}


class SimulationTimesColumn(ColumnOptions):
    label: str = Field(default="{time}", min_length=1,
                       description="Output names; {time} is start_time or stop_time.")


class SimulationTimesExtractor(Extractor):
    """A simulation's start time and the time it reached (the legacy start_time/stop_time)."""

    name = "simulation_times"
    Options = SimulationTimesColumn

    def extract(self, file, column: SimulationTimesColumn) -> dict:
        times = file.sample_times()
        stages = file.stages()
        start = float(stages[0].start) if stages else float(times[0])
        stop = float(times[-1]) if len(times) else start
        label = column.label
        names = [label.format(time=t) if "{time}" in label else f"{label} {t}" for t in TIMES]
        return dict(zip(names, (start, stop), strict=True))


class LegacyCsvOptions(StrictModel):
    label: str | None = Field(default=None, description="The legacy meta.label: "
                              "<config>_<label>_<group>.csv.")
    statistics: list[Literal["min", "max", "mean", "std"]] = Field(
        default_factory=list,
        description="Rows appended under the files: Minimum, Maximum, Mean, StdDev of each column.",
    )
    decimals: int | None = Field(default=6, ge=0, description="Round values to this many "
                                 "decimals (the legacy csv_decimal); null keeps every digit.")


class LegacyCsvSink(Sink):
    """CSV tables in the legacy summary shape: <config>[_label]_<group>.csv, fe_filename first."""

    name = "legacy_csv"
    Options = LegacyCsvOptions

    def open(self, context) -> None:
        self.directory = Path(context.output_directory)
        self.stem = context.config_stem
        self.groups = list(context.config.results)
        self.builder = TableBuilder(list(self.groups))

    def add(self, result) -> None:
        self.builder.add(result)

    def file_name(self, group: str) -> str:
        label = f"_{self.options.label}" if self.options.label else ""
        return f"{self.stem}{label}_{group}.csv"

    def rows(self, group: str) -> tuple[list[str], list[list]]:
        """The header and rows of one group's table (statistics rows included)."""
        results = sorted(self.builder.results, key=lambda r: r.path)
        labels: list[str] = []
        for result in results:
            for key, value in result.values.get(group, {}).items():
                # A dict is a table of its own (a time history), never a cell.
                if key not in labels and key not in TIMES and not isinstance(value, dict):
                    labels.append(key)
        rows = []
        for result in results:
            values = result.values.get(group, {})
            path = Path(result.path)
            status = result.status if result.status == STATUS_FAILED else (
                result.simulation_state or result.status)
            rows.append([path.resolve().as_posix(), path.stem, status,
                         *(self._round(values.get(t)) for t in TIMES),
                         *(self._round(values.get(label)) for label in labels)])
        for name in self.options.statistics:
            row: list = [ROW_NAMES[name], ROW_NAMES[name], None, None, None]
            for index in range(len(LEADING), len(LEADING) + len(labels)):
                numbers = [r[index] for r in rows[:len(results)] if _numeric(r[index])]
                row.append(self._round(_aggregate(name, numbers)))
            rows.append(row)
        return [*LEADING, *labels], rows

    def close(self, summary) -> list[Path]:
        written = []
        for group in self.groups:
            header, rows = self.rows(group)
            path = self.directory / self.file_name(group)
            with atomic_path(path) as tmp:
                with open(tmp, "w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(header)
                    writer.writerows(["" if v is None else v for v in row] for row in rows)
            written.append(path)
        # Tables beside the groups (time histories, envelopes), when the builder makes them:
        # plain CSVs under the same legacy naming.
        for name in self.builder.groups():
            if name in self.groups or not hasattr(self.builder, "table"):
                continue
            path = self.directory / self.file_name(name)
            with atomic_path(path) as tmp:
                pacsv.write_csv(self.builder.table(name), str(tmp))
            written.append(path)
        failures = self.builder.failures_table()
        if failures is not None:
            path = self.directory / "failures.csv"
            with atomic_path(path) as tmp:
                pacsv.write_csv(failures, str(tmp))
            written.append(path)
        return written

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
