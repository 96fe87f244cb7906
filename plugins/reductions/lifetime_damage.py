"""The ``lifetime_damage`` reduction: probability-weighted lifetime fatigue damage.

Each row's damage is turned into a damage rate (over the seconds its file covers), averaged over
a load case's seeds, weighted by the load case's probability of occurrence (a column such as the
load-case table's, hours per year, ``occurrence`` entries or Weibull wind-speed bins) and scaled
to the design life (docs/campaign-tables.md).
"""

from __future__ import annotations

import math

import numpy as np
from orcapost.api import Reduction, float_values, hookimpl
from orcapost.plugins.reductions._weighting import Occurrence, WeightOptions, weighted_seed_mean
from pydantic import Field, model_validator

SECONDS_PER_YEAR = 365.25 * 24 * 3600.0

__all__ = ["LifetimeDamageOptions", "LifetimeDamageReduction", "Occurrence"]


class LifetimeDamageOptions(WeightOptions):
    duration: float | str = Field(
        description="Seconds of exposure each file's damage covers, or the column holding them "
        "(e.g. a fatigue column's 'duration' output).")
    lifetime_years: float = Field(default=25.0, gt=0, description="Design life in years.")

    @model_validator(mode="after")
    def _positive_duration(self):
        if isinstance(self.duration, float) and not self.duration > 0:
            raise ValueError("duration must be > 0 seconds")
        return self


class LifetimeDamageReduction(Reduction):
    """Probability-weighted lifetime fatigue damage from per-load-case occurrence."""

    name = "lifetime_damage"
    Options = LifetimeDamageOptions

    #: Units of the outputs: a Miner sum, years, a probability.
    UNITS = {"lifetime damage": "-", "life years": "years", "probability covered": "-"}

    def unit(self, suffix: str, unit: str | None) -> str | None:
        return self.UNITS.get(suffix, unit)

    def reduce(self, column, values, rows):
        o = self.options
        if isinstance(o.duration, str) and o.duration not in rows.column_names:
            raise ValueError(f"lifetime_damage: no metadata column {o.duration!r}")
        if isinstance(o.duration, str):
            durations = float_values(rows.column(o.duration))
        else:
            durations = np.full(rows.num_rows, o.duration)
        if np.any(durations[np.isfinite(durations)] <= 0):
            raise ValueError(f"lifetime_damage: {o.duration} has a duration <= 0")
        # Damage per second of each file, averaged over a load case's seeds, times the life.
        rate, total = weighted_seed_mean(o, rows, self.name, column, values / durations)
        if rate is None:
            return {"lifetime damage": None, "life years": None, "probability covered": total}
        damage = rate * o.lifetime_years * SECONDS_PER_YEAR
        return {"lifetime damage": damage,
                "life years": o.lifetime_years / damage if damage > 0 else math.inf,
                "probability covered": total}


@hookimpl
def orcapost_register_reductions(register):
    register(LifetimeDamageReduction)
