"""The ``std``, ``quantile``, ``mean_plus_k_std`` and ``exceedances`` reductions: the spread of
a group's values across seeds and load cases (docs/campaign-tables.md)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from orcapost.api import DIMENSIONLESS, Reduction, ReductionOptions, hookimpl
from orcapost.plugins.reductions._common import finite, percent
from pydantic import Field, field_validator


class StdOptions(ReductionOptions):
    ddof: int = Field(default=1, ge=0, description="Delta degrees of freedom: 1 (default) is "
                      "the sample standard deviation across seeds, 0 the population one.")


def _std(kept: np.ndarray, ddof: int) -> float | None:
    # Fewer values than ddof + 1 have no standard deviation: the cell stays empty.
    return float(np.std(kept, ddof=ddof)) if kept.size > ddof else None


class StdReduction(Reduction):
    """Standard deviation of each group's values (numpy.std, ddof 1 by default)."""

    name = "std"
    Options = StdOptions

    def reduce(self, column, values, rows):
        return {"std": _std(finite(values), self.options.ddof)}


class QuantileOptions(ReductionOptions):
    quantile: float | list[float] = Field(
        description="Probability (0.9) or probabilities of the empirical quantiles to report.")

    @field_validator("quantile")
    @classmethod
    def _in_unit_interval(cls, value):
        for q in value if isinstance(value, list) else [value]:
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"quantile {q} is not between 0 and 1")
        return value


class QuantileReduction(Reduction):
    """Empirical quantiles of each group's values (numpy.quantile, its default 'linear'
    method: Hyndman and Fan's definition 7)."""

    name = "quantile"
    Options = QuantileOptions

    def reduce(self, column, values, rows):
        kept = finite(values)
        qs = self.options.quantile if isinstance(self.options.quantile, list) \
            else [self.options.quantile]
        return {f"p{percent(q)}": float(np.quantile(kept, q)) if kept.size else None for q in qs}


class MeanPlusKStdOptions(StdOptions):
    k: float = Field(description="The multiple of the standard deviation added to the mean "
                     "(negative: subtracted, for minima).")


class MeanPlusKStdReduction(Reduction):
    """mean + k * std of each group's values (std with ddof 1 by default)."""

    name = "mean_plus_k_std"
    Options = MeanPlusKStdOptions

    def reduce(self, column, values, rows):
        kept = finite(values)
        std = _std(kept, self.options.ddof)
        value = float(kept.mean()) + self.options.k * std if std is not None else None
        return {f"mean{self.options.k:+.10g}std": value}  # k in full, as a quantile's p


class ExceedancesOptions(ReductionOptions):
    threshold: float = Field(description="The value counted against.")
    side: Literal["above", "below"] = Field(
        default="above", description="above: values > threshold; below: values < threshold.")


class ExceedancesReduction(Reduction):
    """How many of each group's values exceed a threshold (strictly), and what fraction."""

    name = "exceedances"
    Options = ExceedancesOptions

    def unit(self, suffix: str, unit: str | None) -> str | None:
        return DIMENSIONLESS  # a count and a fraction

    def reduce(self, column, values, rows):
        kept = finite(values)
        t = self.options.threshold
        over = kept > t if self.options.side == "above" else kept < t
        sign = ">" if self.options.side == "above" else "<"
        count = int(np.count_nonzero(over))
        # The threshold in full (':g' named 1234567.5 '1.23457e+06', another threshold).
        return {f"exceedances {sign}{t:.10g}": count,
                f"exceedance fraction {sign}{t:.10g}": count / kept.size if kept.size else None}


@hookimpl
def orcapost_register_reductions(register):
    for cls in (StdReduction, QuantileReduction, MeanPlusKStdReduction, ExceedancesReduction):
        register(cls)
