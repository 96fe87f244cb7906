"""The ``simulation_times`` extractor: a simulation's start time (the start of the build-up
stage) and the time it reached -- the legacy summaries' ``start_time``/``stop_time``.

Migrated legacy configs have one such column per group; the ``legacy_csv`` sink's layout puts its
two values in the leading ``start_time``/``stop_time`` columns (it finds them by the column's
kind and :meth:`SimulationTimesColumn.output_names`).
"""

from __future__ import annotations

from orcapost.api import SECONDS, ColumnOptions, Extractor, hookimpl, with_units
from pydantic import Field

TIMES = ("start_time", "stop_time")


class SimulationTimesColumn(ColumnOptions):
    label: str = Field(default="{time}", min_length=1,
                       description="Output names; {time} is start_time or stop_time.")

    def output_names(self) -> list[str]:
        """The column's output names: [start, stop]."""
        start, stop = (self.label.format(time=t) if "{time}" in self.label
                       else f"{self.label} {t}" for t in TIMES)
        return [start, stop]


class SimulationTimesExtractor(Extractor[SimulationTimesColumn]):
    """A simulation's start time and the time it reached (the legacy start_time/stop_time)."""

    name = "simulation_times"
    Options = SimulationTimesColumn

    def extract(self, file, column: SimulationTimesColumn) -> dict:
        times = file.sample_times()
        stages = file.stages()
        start = float(stages[0].start) if stages else float(times[0])
        stop = float(times[-1]) if len(times) else start
        out = dict(zip(column.output_names(), (start, stop), strict=True))
        return with_units(out, dict.fromkeys(out, SECONDS))


@hookimpl
def orcapost_register_extractors(register):
    register(SimulationTimesExtractor)
