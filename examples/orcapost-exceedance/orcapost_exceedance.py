"""An orcapost extractor plugin: how long, and how often, a result exceeds a threshold.

A column of kind ``threshold`` gives, over its period and at its position (the built-in
``exceedance`` kind is a different thing: the exceedance table of a series):

- ``fraction``: the fraction of samples above ``threshold`` (below it with ``below: true``);
- ``duration``: that fraction times the period's length, in seconds;
- ``crossings``: the number of up-crossings of the threshold (down-crossings with ``below``).

Installed with pip, it is found through the ``orcapost`` entry-point group: no registration code
in the host, no import from orcapost but its plugin API, ``orcapost.api``.
"""

from __future__ import annotations

import numpy as np
from orcapost.api import Extractor, SeriesColumn, hookimpl
from pydantic import Field

STATISTICS = ("fraction", "duration", "crossings")


class ExceedanceColumn(SeriesColumn):
    threshold: float = Field(description="The level, in the variable's units.")
    below: bool = Field(default=False, description="Count time below the threshold instead.")


class ExceedanceExtractor(Extractor):
    """Fraction of time, duration and number of crossings beyond a threshold."""

    name = "threshold"
    Options = ExceedanceColumn

    def extract(self, file, column: ExceedanceColumn) -> dict:
        out = {}
        # One distinct name per target and statistic, however many variables a pattern matches.
        for target, names in self.named_statistics(file, column, STATISTICS):
            series = file.time_history(target.obj.name, target.var.name, column.position,
                                       column.period)
            beyond = series.values < column.threshold if column.below else (
                series.values > column.threshold)
            fraction = float(np.mean(beyond))
            crossings = int(np.count_nonzero(beyond[1:] & ~beyond[:-1]))
            span = float(series.time[-1] - series.time[0]) if len(series.time) > 1 else 0.0
            out[names["fraction"]] = fraction
            out[names["duration"]] = fraction * span
            out[names["crossings"]] = crossings
        return out


@hookimpl
def orcapost_register_extractors(register):
    register(ExceedanceExtractor)
