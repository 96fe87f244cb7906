"""The ``max``, ``min`` and ``mean`` reductions: one numpy reduction over a group's cells.

``max`` and ``min`` with ``governing: true`` also name the row their value comes from (file,
load-case keys, arc length), as ``argmax``/``argmin`` do; the default keeps their one column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from orcapost.api import METRES, Reduction, ReductionOptions, governing, hookimpl
from orcapost.plugins.reductions._common import finite
from pydantic import Field


class _FiniteReduction(Reduction):
    """One numpy reduction over the group's non-empty cells, reported under the kind's name."""

    Options = ReductionOptions
    function: ClassVar[Callable[[np.ndarray], Any]]

    def reduce(self, column, values, rows):
        kept = finite(values)
        return {self.name: float(type(self).function(kept)) if kept.size else None}


class ExtremeOptions(ReductionOptions):
    governing: bool = Field(
        default=False, description="Also '<kind> file', '<kind> <key>' for each load-case key "
        "and, along arc length, '<kind> arc length': the row the value comes from.")


class _ExtremeReduction(_FiniteReduction):
    Options = ExtremeOptions
    pick: ClassVar[Callable[[np.ndarray], Any]]

    def unit(self, suffix: str, unit: str | None) -> str | None:
        # The value has its column's unit, where it is along the line metres; the file name
        # and the load-case keys are no quantity of the column.
        if suffix == self.name:
            return unit
        return METRES if suffix == f"{self.name} arc length" else None

    def reduce(self, column, values, rows):
        out = super().reduce(column, values, rows)
        if not self.options.governing:
            return out
        kept = np.flatnonzero(np.isfinite(values))
        if kept.size == 0:
            return {**out, f"{self.name} file": None}
        index = int(kept[type(self).pick(values[kept])])  # the first of equal values
        for suffix, value in governing(rows, column, index).items():
            out[f"{self.name} {suffix}"] = value
        return out


class MaxReduction(_ExtremeReduction):
    """Largest value in each group of rows (governing: true names its file and load case)."""

    name = "max"
    function = np.max
    pick = np.argmax


class MinReduction(_ExtremeReduction):
    """Smallest value in each group of rows (governing: true names its file and load case)."""

    name = "min"
    function = np.min
    pick = np.argmin


class MeanReduction(_FiniteReduction):
    """Mean value over each group of rows (empty cells left out)."""

    name = "mean"
    function = np.mean


@hookimpl
def orcapost_register_reductions(register):
    for cls in (MaxReduction, MinReduction, MeanReduction):
        register(cls)
