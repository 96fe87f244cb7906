"""The ``gumbel`` reduction: mean and Gumbel fit of per-seed extremes in each group of rows."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from orcapost.api import DIMENSIONLESS, Reduction, ReductionOptions, hookimpl
from orcapost.numerics.extremes import fit_gumbel
from orcapost.plugins.reductions._common import finite, percent
from pydantic import Field, field_validator


class GumbelOptions(ReductionOptions):
    tail: Literal["upper", "lower"] = Field(
        default="upper", description="upper: per-seed maxima; lower: per-seed minima.")
    probabilities: list[float] = Field(
        default_factory=lambda: [0.9],
        description="Non-exceedance probabilities of the extreme to report (p90 = 0.9).")

    @field_validator("probabilities")
    @classmethod
    def _in_unit_interval(cls, value: list[float]) -> list[float]:
        for p in value:
            if not 0.0 < p < 1.0:
                raise ValueError(f"probability {p} is not between 0 and 1")
        return value


class GumbelReduction(Reduction):
    """Mean and maximum-likelihood Gumbel fit of per-seed extremes in each group of rows."""

    name = "gumbel"
    Options = GumbelOptions
    imports = ("scipy.optimize",)  # the fit's, imported at its first call

    def unit(self, suffix: str, unit: str | None) -> str | None:
        return DIMENSIONLESS if suffix == "seeds" else unit

    def reduce(self, column, values, rows):
        kept = finite(values)
        out: dict[str, Any] = {"seeds": int(kept.size),
                               "seed mean": float(kept.mean()) if kept.size else None}
        fit = None
        if kept.size >= 2 and np.ptp(kept) > 0:
            fit = fit_gumbel(kept, self.options.tail)
        out["gumbel loc"] = fit.loc if fit else None
        out["gumbel scale"] = fit.scale if fit else None
        for p in self.options.probabilities:
            out[f"gumbel p{percent(p)}"] = fit.extreme(p) if fit else None
        return out


@hookimpl
def orcapost_register_reductions(register):
    register(GumbelReduction)
