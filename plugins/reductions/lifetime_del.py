"""The ``lifetime_del`` reduction: the probability-weighted lifetime damage-equivalent load.

With Palmgren-Miner damage and one Woehler slope m, a record's DEL over N_eq reference cycles
satisfies N_eq * DEL^m = sum_j n_j * S_j^m. Extrapolating each load case i to its share p_i of
the life and keeping the reference count per record (the same N_eq, records of equal length,
or 1 Hz DELs per second of record) gives

    DEL_life = (sum_i p_i * mean_seeds(DEL_i^m)) ** (1/m)

(seeds are averaged in damage, DEL^m, not in DEL). Conventions and the derivation:
docs/campaign-tables.md#lifetime_del.
"""

from __future__ import annotations

from orcapost.api import DIMENSIONLESS, Reduction, hookimpl
from orcapost.plugins.reductions._common import finite
from orcapost.plugins.reductions._weighting import WeightOptions, load_cases
from pydantic import Field


class LifetimeDelOptions(WeightOptions):
    m: float = Field(gt=0, description="The Woehler slope the DELs were computed with.")


class LifetimeDelReduction(Reduction):
    """Probability-weighted lifetime damage-equivalent load from per-load-case DELs."""

    name = "lifetime_del"
    Options = LifetimeDelOptions

    def unit(self, suffix: str, unit: str | None) -> str | None:
        # The DEL is in its column's unit; the probability covered is a fraction of the life.
        return DIMENSIONLESS if suffix == "probability covered" else unit

    def reduce(self, column, values, rows):
        m = self.options.m
        total = weighted = 0.0
        covered = 0  # load cases with a probability: none leaves the DEL empty, not 0
        for indices, p in load_cases(self.options, rows, self.name):
            if p is None:
                continue
            covered += 1
            seeds = finite(values[indices])
            if seeds.size == 0:
                raise ValueError(f"lifetime_del: {column} has no value for a load case of "
                                 f"probability {p}")
            if (seeds < 0).any():
                raise ValueError(f"lifetime_del: {column} has a negative DEL: not a DEL column")
            weighted += p * float((seeds ** m).mean())
            total += p
        return {f"lifetime DEL m{m:g}": weighted ** (1.0 / m) if covered else None,
                "probability covered": total}


@hookimpl
def orcapost_register_reductions(register):
    register(LifetimeDelReduction)
