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
from orcapost.plugins.reductions._weighting import WeightOptions, weighted_seed_mean
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
        if (finite(values) < 0).any():
            raise ValueError(f"lifetime_del: {column} has a negative DEL: not a DEL column")
        # Seeds are averaged in damage (DEL^m), not in DEL.
        damage, total = weighted_seed_mean(self.options, rows, self.name, column, values ** m)
        return {f"lifetime DEL m{m:g}": damage ** (1.0 / m) if damage is not None else None,
                "probability covered": total}


@hookimpl
def orcapost_register_reductions(register):
    register(LifetimeDelReduction)
