"""The ``lifetime_damage`` reduction: probability-weighted lifetime fatigue damage.

Each row's damage is turned into a damage rate (over the seconds its file covers), averaged over
a load case's seeds, weighted by the load case's probability of occurrence and scaled to the
design life (docs/campaign-tables.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from orcapost.api import Reduction, ReductionOptions, StrictModel, float_values, hookimpl
from orcapost.plugins.reductions._common import finite
from pydantic import Field, model_validator

if TYPE_CHECKING:
    import pyarrow as pa

SECONDS_PER_YEAR = 365.25 * 24 * 3600.0


class Occurrence(StrictModel):
    where: dict[str, float | int | str] = Field(
        min_length=1, description="Metadata values that pick the load case (Hs: 2, heading: 0).")
    probability: float = Field(ge=0, le=1, description="Its probability of occurrence.")


class LifetimeDamageOptions(ReductionOptions):
    duration: float | str = Field(
        description="Seconds of exposure each file's damage covers, or the column holding them "
        "(e.g. a fatigue column's 'duration' output).")
    lifetime_years: float = Field(default=25.0, gt=0, description="Design life in years.")
    probability: str | None = Field(
        default=None, description="Metadata column giving each row's load-case probability.")
    occurrence: list[Occurrence] = Field(
        default_factory=list, description="Load-case probabilities by metadata values.")
    load_case: list[str] = Field(
        default_factory=list,
        description="Metadata columns identifying a load case; its rows (seeds) are averaged. "
        "Default: the keys of occurrence.where (or none: every row its own load case).")

    @model_validator(mode="after")
    def _one_source(self):
        if isinstance(self.duration, float) and not self.duration > 0:
            raise ValueError("duration must be > 0 seconds")
        if (self.probability is None) == (not self.occurrence):
            raise ValueError("give either probability (a metadata column) or occurrence "
                             "(a list of {where, probability}), not both and not neither")
        return self


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return str(a) == str(b)


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
        keys = list(o.load_case) or sorted({k for e in o.occurrence for k in e.where})
        named = [o.probability] if o.probability else []
        if isinstance(o.duration, str):
            named.append(o.duration)
        for key in [*keys, *named]:
            if key not in rows.column_names:
                raise ValueError(f"lifetime_damage: no metadata column {key!r}")
        table = {key: rows.column(key).to_pylist() for key in keys}
        cases: dict[tuple, list[int]] = {}
        for i in range(rows.num_rows):
            case = tuple(table[k][i] for k in keys) if keys else (i,)
            cases.setdefault(case, []).append(i)
        if isinstance(o.duration, str):
            durations = float_values(rows.column(o.duration))
        else:
            durations = np.full(rows.num_rows, o.duration)
        if np.any(durations[np.isfinite(durations)] <= 0):
            raise ValueError(f"lifetime_damage: {o.duration} has a duration <= 0")
        # Damage per second of each file, averaged over a load case's seeds, times the life.
        rates = values / durations
        damage = total = 0.0
        for indices in cases.values():
            p = self._probability(rows, indices[0])
            if p is None:
                continue
            seeds = finite(rates[indices])
            if seeds.size == 0:
                raise ValueError(f"lifetime_damage: {column} has no value for a load case of "
                                 f"probability {p}")
            damage += p * float(seeds.mean()) * o.lifetime_years * SECONDS_PER_YEAR
            total += p
        return {"lifetime damage": damage,
                "life years": o.lifetime_years / damage if damage > 0 else math.inf,
                "probability covered": total}

    def _probability(self, rows: pa.Table, i: int) -> float | None:
        if self.options.probability is not None:
            value = rows.column(self.options.probability)[i].as_py()
            return None if value is None else float(value)
        for entry in self.options.occurrence:
            if all(k in rows.column_names and _same(rows.column(k)[i].as_py(), v)
                   for k, v in entry.where.items()):
                return entry.probability
        return None


@hookimpl
def orcapost_register_reductions(register):
    register(LifetimeDamageReduction)
