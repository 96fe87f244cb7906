"""An orcapost extractor plugin: how long, and how often, a result exceeds a threshold.

A column of kind ``exceedance`` gives, over its period and at its position:

- ``fraction``: the fraction of samples above ``threshold`` (below it with ``below: true``);
- ``duration``: that fraction times the period's length, in seconds;
- ``crossings``: the number of up-crossings of the threshold (down-crossings with ``below``).

Installed with pip, it is found through the ``orcapost`` entry-point group: no registration code
in the host, no import of orcapost internals beyond the public plugin API.
"""

from __future__ import annotations

import numpy as np
from orcapost import hookimpl
from orcapost.components import Extractor
from orcapost.extraction import Namer, targets
from orcapost.schemas.config import SeriesColumn
from pydantic import Field


class ExceedanceColumn(SeriesColumn):
    threshold: float = Field(description="The level, in the variable's units.")
    below: bool = Field(default=False, description="Count time below the threshold instead.")


class ExceedanceExtractor(Extractor):
    """Fraction of time, duration and number of crossings beyond a threshold."""

    name = "exceedance"
    Options = ExceedanceColumn

    def extract(self, file, column: ExceedanceColumn) -> dict:
        found = list(targets(file, column))
        varying = ["statistic"]
        if len({t.obj.name for t in found}) > 1:
            varying.append("object")
        name = Namer(column.label, varying)
        out = {}
        for target in found:
            series = file.time_history(target.obj.name, target.var.name, column.position,
                                       column.period)
            beyond = series.values < column.threshold if column.below else (
                series.values > column.threshold)
            fraction = float(np.mean(beyond))
            crossings = int(np.count_nonzero(beyond[1:] & ~beyond[:-1]))
            span = float(series.time[-1] - series.time[0]) if len(series.time) > 1 else 0.0
            for statistic, value in (("fraction", fraction), ("duration", fraction * span),
                                     ("crossings", crossings)):
                out[name(object=target.obj.name, variable=target.var.name,
                         statistic=statistic)] = value
        return out


@hookimpl
def orcapost_register_extractors(register):
    register(ExceedanceExtractor)
