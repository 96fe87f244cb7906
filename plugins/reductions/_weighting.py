"""Where a lifetime reduction's load-case weights come from: a probability or hours column (the
load-case table's, docs/campaign-tables.md#load-case-tables), ``occurrence`` entries, or Weibull
wind-speed bins."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from orcapost.api import ReductionOptions, StrictModel, float_values
from orcapost.plugins.reductions._common import finite
from pydantic import Field, model_validator

if TYPE_CHECKING:
    import pyarrow as pa

#: Hours in a year of 365.25 days: ``hours`` per year over this is a probability.
HOURS_PER_YEAR = 365.25 * 24.0
#: IEC 61400-1 reference wind speeds by turbine class (its table of basic parameters); under
#: normal wind conditions the annual mean wind speed at hub height is 0.2 V_ref, Rayleigh
#: distributed (P(V < v) = 1 - exp(-pi (v / 2 V_ave)^2)).
IEC_REFERENCE_SPEED = {"I": 50.0, "II": 42.5, "III": 37.5}


class Occurrence(StrictModel):
    where: dict[str, float | int | str] = Field(
        min_length=1, description="Metadata values that pick the load case (Hs: 2, heading: 0).")
    probability: float = Field(ge=0, le=1, description="Its probability of occurrence.")


class WeibullBins(StrictModel):
    """Probability of each wind-speed bin from a Weibull (or IEC class Rayleigh) distribution."""

    column: str = Field(min_length=1, description="Load-case column of each row's wind speed "
                        "(the bin centre, m/s).")
    k: float | None = Field(default=None, gt=0, description="Weibull shape k (with A, or with "
                            "mean_speed; default 2, Rayleigh, with mean_speed).")
    A: float | None = Field(default=None, gt=0, description="Weibull scale A (m/s).")
    mean_speed: float | None = Field(default=None, gt=0,
                                     description="Annual mean wind speed (m/s) instead of A.")
    iec_class: Literal["I", "II", "III"] | None = Field(
        default=None, description="IEC 61400-1 class: Rayleigh with mean 0.2 V_ref (10, 8.5, "
        "7.5 m/s).")
    bin_width: float | None = Field(
        default=None, gt=0, description="Bin width (m/s) around each wind speed; default: "
        "edges half-way between the wind speeds present.")

    @model_validator(mode="after")
    def _one_distribution(self):
        given = [self.A is not None, self.mean_speed is not None, self.iec_class is not None]
        if sum(given) != 1:
            raise ValueError("weibull needs exactly one of A (with k), mean_speed or iec_class")
        if self.A is not None and self.k is None:
            raise ValueError("weibull A needs its shape k")
        if self.iec_class is not None and self.k not in (None, 2.0):
            raise ValueError("an IEC class distribution is Rayleigh (k = 2): leave k out")
        return self

    def shape_scale(self) -> tuple[float, float]:
        """(k, A) of the distribution."""
        if self.A is not None:
            assert self.k is not None
            return self.k, self.A
        mean = self.mean_speed if self.mean_speed is not None else \
            0.2 * IEC_REFERENCE_SPEED[str(self.iec_class)]
        k = self.k or 2.0
        # mean = A * Gamma(1 + 1/k); for k = 2, A = 2 mean / sqrt(pi) (IEC's Rayleigh).
        return k, mean / math.gamma(1.0 + 1.0 / k)

    def bin_probabilities(self, speeds: np.ndarray) -> dict[float, float]:
        """Wind speed -> the probability of its bin, F(upper) - F(lower)."""
        from scipy import stats

        centres = np.unique(speeds[np.isfinite(speeds)])
        if centres.size == 0:
            raise ValueError(f"weibull: no wind speed in column {self.column!r}")
        if self.bin_width is not None:
            lower, upper = centres - self.bin_width / 2, centres + self.bin_width / 2
        else:
            if centres.size < 2:
                raise ValueError("weibull: one wind speed gives no bin edges; give bin_width")
            middle = (centres[1:] + centres[:-1]) / 2
            lower = np.concatenate([[centres[0] - (middle[0] - centres[0])], middle])
            upper = np.concatenate([middle, [centres[-1] + (centres[-1] - middle[-1])]])
        k, scale = self.shape_scale()
        cdf = stats.weibull_min(k, scale=scale).cdf
        p = cdf(upper) - cdf(np.maximum(lower, 0.0))
        return dict(zip(centres.tolist(), p.tolist(), strict=True))


class WeightOptions(ReductionOptions):
    """The options that say how much each load case counts."""

    probability: str | None = Field(
        default=None, description="Metadata column giving each row's load-case probability.")
    hours: str | None = Field(
        default=None, description="Metadata column giving each row's load case's hours per "
        f"year (probability = hours / {HOURS_PER_YEAR:g}).")
    occurrence: list[Occurrence] = Field(
        default_factory=list, description="Load-case probabilities by metadata values.")
    weibull: WeibullBins | None = Field(
        default=None, description="Probability of each wind-speed bin from a Weibull or IEC "
        "class distribution (shared evenly by the load cases in a bin).")
    load_case: list[str] = Field(
        default_factory=list,
        description="Metadata columns identifying a load case; its rows (seeds) are averaged. "
        "Default: the keys of occurrence.where (or none: every row its own load case).")

    @model_validator(mode="after")
    def _one_source(self):
        given = [self.probability is not None, self.hours is not None, bool(self.occurrence),
                 self.weibull is not None]
        if sum(given) != 1:
            raise ValueError("give either probability (a metadata column), hours (a column of "
                             "hours per year), occurrence (a list of {where, probability}) or "
                             "weibull (wind-speed bins): exactly one")
        return self

    def keys(self) -> list[str]:
        if self.load_case:
            return list(self.load_case)
        if self.weibull is not None:
            return [self.weibull.column]
        return sorted({k for e in self.occurrence for k in e.where})

    def needed(self) -> list[str]:
        named = [c for c in (self.probability, self.hours) if c is not None]
        if self.weibull is not None:
            named.append(self.weibull.column)
        return [*self.keys(), *named]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return str(a) == str(b)


def _speed(value: Any) -> float | None:
    """A wind-speed cell as a number (None: empty, text or not finite)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def load_cases(options: WeightOptions, rows: pa.Table, kind: str
               ) -> list[tuple[list[int], float | None]]:
    """The load cases of ``rows``: each one's row indices (its seeds) and probability (None:
    not given, left out)."""
    for key in options.needed():
        if key not in rows.column_names:
            raise ValueError(f"{kind}: no metadata column {key!r}")
    keys = options.keys()
    table = {key: rows.column(key).to_pylist() for key in keys}
    cases: dict[tuple, list[int]] = {}
    for i in range(rows.num_rows):
        case = tuple(table[k][i] for k in keys) if keys else (i,)
        cases.setdefault(case, []).append(i)
    named = options.probability or options.hours or (
        options.weibull.column if options.weibull is not None else None)
    cells = rows.column(named).to_pylist() if named is not None else []
    # Each load case's one value of the named column: its seeds must agree (an empty cell is
    # no value); read from the first row alone, seeds that disagree were weighted silently.
    values: list[Any] = []
    for case, indices in cases.items():
        found = list(dict.fromkeys(cells[j] for j in indices if cells[j] is not None)) \
            if named is not None else []
        if len(found) > 1:
            where = ", ".join(f"{k} = {v!r}" for k, v in zip(keys, case, strict=True)) \
                if keys else f"row {indices[0]}"
            raise ValueError(
                f"{kind}: the rows of the load case {where} give {named!r} {found[0]!r} and "
                f"{found[1]!r}: name every column that tells load cases apart in load_case")
        values.append(found[0] if found else None)
    bins: dict[float, float] = {}
    sharing: dict[float, int] = {}
    if options.weibull is not None:
        bins = options.weibull.bin_probabilities(
            float_values(rows.column(options.weibull.column)))
        for value in values:
            if (speed := _speed(value)) is not None:
                sharing[speed] = sharing.get(speed, 0) + 1
    out = []
    for indices, value in zip(cases.values(), values, strict=True):
        i = indices[0]
        p: float | None
        if options.probability is not None or options.hours is not None:
            p = None if value is None else float(value)
            if p is not None and options.hours is not None:
                p /= HOURS_PER_YEAR
        elif options.weibull is not None:
            found_speed = _speed(value)
            p = None if found_speed is None else bins[found_speed] / sharing[found_speed]
        else:
            p = next((e.probability for e in options.occurrence
                      if all(k in rows.column_names and _same(rows.column(k)[i].as_py(), v)
                             for k, v in e.where.items())), None)
        if p is not None and not (math.isfinite(p) and p >= 0):
            raise ValueError(f"{kind}: a load case has probability {p}; it must be >= 0")
        out.append((indices, p))
    return out


def weighted_seed_mean(options: WeightOptions, rows: pa.Table, kind: str, column: str,
                       values: np.ndarray) -> tuple[float | None, float]:
    """``sum_i p_i * mean over the seeds of load case i of values``, and ``sum_i p_i``: the
    weighting lifetime_damage (damage rates) and lifetime_del (DEL^m) share. The sum is None
    when no load case has a probability (an empty cell, not 0); a load case with a probability
    but no finite value is an error naming the column."""
    weighted = total = 0.0
    covered = False
    for indices, p in load_cases(options, rows, kind):
        if p is None:
            continue
        covered = True
        seeds = finite(values[indices])
        if seeds.size == 0:
            raise ValueError(f"{kind}: {column} has no value for a load case of probability {p}")
        weighted += p * float(seeds.mean())
        total += p
    return (weighted if covered else None), total
