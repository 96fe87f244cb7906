"""The ``max``, ``min`` and ``mean`` reductions: one numpy reduction over a group's cells."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from orcapost.api import Reduction, ReductionOptions, hookimpl
from orcapost.plugins.reductions._common import finite


class _FiniteReduction(Reduction):
    """One numpy reduction over the group's non-empty cells, reported under the kind's name."""

    Options = ReductionOptions
    function: ClassVar[Callable[[np.ndarray], Any]]

    def reduce(self, column, values, rows):
        kept = finite(values)
        return {self.name: float(type(self).function(kept)) if kept.size else None}


class MaxReduction(_FiniteReduction):
    """Largest value in each group of rows."""

    name = "max"
    function = np.max


class MinReduction(_FiniteReduction):
    """Smallest value in each group of rows."""

    name = "min"
    function = np.min


class MeanReduction(_FiniteReduction):
    """Mean value over each group of rows (empty cells left out)."""

    name = "mean"
    function = np.mean


@hookimpl
def orcapost_register_reductions(register):
    for cls in (MaxReduction, MinReduction, MeanReduction):
        register(cls)
