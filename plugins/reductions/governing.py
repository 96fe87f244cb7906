"""The ``argmax`` and ``argmin`` reductions: which file, load case and arc length govern.

A group's largest (smallest) value, and the row it comes from: the file, each load-case key and,
for a column along arc length (a ``"<column> arc length"`` column beside it, from
``with_arc_length``), the arc length where it occurs. Ties go to the first row in file order.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from orcapost.api import METRES, Reduction, ReductionOptions, governing, hookimpl
from pydantic import Field


class GoverningOptions(ReductionOptions):
    keys: list[str] | None = Field(
        default=None, description="Load-case columns to name the governing row by (default: "
        "every load-case key of the group).")


class _Governing(Reduction):
    Options = GoverningOptions
    pick: ClassVar[Any]

    def unit(self, suffix: str, unit: str | None) -> str | None:
        # The value has its column's unit, where it is along the line metres; the file name
        # and the load-case keys are no quantity of the column.
        if suffix == f"{self.name} value":
            return unit
        return METRES if suffix == f"{self.name} arc length" else None

    def reduce(self, column, values, rows):
        kept = np.flatnonzero(np.isfinite(values))
        if kept.size == 0:
            return {f"{self.name} value": None, f"{self.name} file": None}
        # np.argmax/argmin return the first of equal values: the first row in file order.
        index = int(kept[type(self).pick(values[kept])])
        out: dict[str, Any] = {f"{self.name} value": float(values[index])}
        for suffix, value in governing(rows, column, index, self.options.keys).items():
            out[f"{self.name} {suffix}"] = value
        return out


class ArgmaxReduction(_Governing):
    """Largest value of each group of rows, with the file, load-case keys and arc length it
    comes from."""

    name = "argmax"
    pick = np.argmax


class ArgminReduction(_Governing):
    """Smallest value of each group of rows, with the file, load-case keys and arc length it
    comes from."""

    name = "argmin"
    pick = np.argmin


@hookimpl
def orcapost_register_reductions(register):
    for cls in (ArgmaxReduction, ArgminReduction):
        register(cls)
