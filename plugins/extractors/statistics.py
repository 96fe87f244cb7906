"""The ``statistics`` extractor: summary statistics of a time history.

Over the column's period, at its position: min, max, mean, std, abs_max, rms, range,
time_of_max, time_of_min, integrated, skewness, kurtosis, and percentiles written ``p<q>``
(``p50``, ``p99.9``).

Conventions (docs/extractors/statistics.md):

- ``std`` is the population standard deviation (``ddof: 0``) unless ``ddof`` says otherwise;
  sums are accumulated in float64 whatever the stored precision.
- ``rms`` is ``sqrt(mean(x**2))`` in float64; ``abs_max`` is ``max(|min|, |max|)``.
- ``p<q>`` is numpy's default (linear interpolation between order statistics).
- ``time_of_max``/``time_of_min`` give the first sample time where the extreme occurs.
- ``integrated`` is the time integral by the trapezoid rule over the samples' own times
  (``sum((x[i] + x[i+1]) / 2 * (t[i+1] - t[i]))``), in the variable's unit times seconds.
- ``skewness`` is ``scipy.stats.skew(x)`` (biased Fisher-Pearson coefficient g1 = m3 / m2^1.5);
  ``kurtosis`` is ``scipy.stats.kurtosis(x)`` (Fisher's excess kurtosis g2 = m4 / m2^2 - 3, biased:
  a normal series gives ~0), both with population central moments m_k, unaffected by ``ddof``.
- NaN/inf samples fail the column, or with ``nan_policy: omit`` are skipped (docs/numerics.md).
- Samples with t0 <= t <= t1 are used (both period ends included).
"""

from __future__ import annotations

import re
from typing import Annotated

import numpy as np
from orcapost.api import (
    DIMENSIONLESS,
    SECONDS,
    Extractor,
    ResultFileError,
    SampleGuard,
    SeriesColumn,
    hookimpl,
    series_names,
    with_units,
)
from pydantic import AfterValidator, Field, WithJsonSchema

PLAIN_STATISTICS = ("min", "max", "mean", "std", "abs_max", "rms", "range",
                    "time_of_max", "time_of_min", "integrated", "skewness", "kurtosis")
_PERCENTILE = re.compile(r"p(\d+(?:\.\d+)?)")


def _statistic(name: str) -> str:
    if name in PLAIN_STATISTICS:
        return name
    match = _PERCENTILE.fullmatch(name)
    if match and 0 <= float(match.group(1)) <= 100:
        return name
    raise ValueError(
        f"unknown statistic {name!r}: use {', '.join(PLAIN_STATISTICS)} or p<q> (p95, p99.9)"
    )


#: The statistics _statistic accepts, as a JSON Schema pattern (p<q>: 0 <= q <= 100).
STATISTIC_PATTERN = (rf"^({'|'.join(PLAIN_STATISTICS)}|p(100(\.0+)?|\d{{1,2}}(\.\d+)?))$")

Statistic = Annotated[str, AfterValidator(_statistic),
                      WithJsonSchema({"type": "string", "pattern": STATISTIC_PATTERN})]


class StatisticsColumn(SeriesColumn):
    statistics: list[Statistic] = Field(
        default_factory=lambda: ["max"], min_length=1,
        description="min, max, mean, std, abs_max, rms, range, time_of_max, time_of_min, "
        "integrated, skewness, kurtosis, p<q>.",
    )
    ddof: int = Field(default=0, ge=0, description="Delta degrees of freedom of std (0: population).")

    def output_names(self) -> list[str]:
        return series_names(self, {"statistic": self.statistics}) + self.omitted_names()


def compute_statistics(time: np.ndarray, x: np.ndarray, wanted: list[str], ddof: int = 0) -> dict:
    """The requested statistics of ``x`` (sampled at ``time``), as Python floats.

    The arithmetic is numpy's own, operation for operation (``x.mean(dtype=float64)`` and
    ``x.std(dtype=float64, ddof=ddof)`` give bit-identical values), but calls the ufunc
    reductions directly: the mean is computed once and shared by ``std``, which saves a pass
    over the data on large series and most of numpy's per-call overhead on small ones.
    """
    out: dict[str, float] = {}
    need = set(wanted)
    # Each is computed below when a statistic that reads it is wanted (NaN is never read).
    lo = hi = float("nan")
    if need & {"min", "max", "abs_max", "range"}:
        lo, hi = float(_minimum(x)), float(_maximum(x))
    mean = np.float64("nan")
    if need & {"mean", "std"}:
        count = x.shape[0]
        total = _sum(x, dtype=np.float64)
        mean = total / count
        out["mean"] = float(mean)
    for name in wanted:
        if name in out:
            continue
        if name == "min":
            out[name] = lo
        elif name == "max":
            out[name] = hi
        elif name == "abs_max":
            out[name] = max(abs(lo), abs(hi))
        elif name == "range":
            out[name] = hi - lo
        elif name == "std":
            out[name] = _std(x, mean, ddof)
        elif name == "rms":
            out[name] = float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
        elif name == "time_of_max":
            out[name] = float(time[int(np.argmax(x))])
        elif name == "time_of_min":
            out[name] = float(time[int(np.argmin(x))])
        elif name == "integrated":
            out[name] = _integral(time, x)
        elif name in ("skewness", "kurtosis"):
            out[name] = _shape(x, name)
    percentiles = [n for n in wanted if n.startswith("p")]
    if percentiles:
        qs = [float(n[1:]) for n in percentiles]
        for name, value in zip(percentiles, np.percentile(x, qs), strict=True):
            out[name] = float(value)
    return {name: out[name] for name in wanted}


def statistic_unit(statistic: str, unit: str) -> str:
    """The unit of a statistic of a variable in ``unit``: the variable's, but seconds for the
    times of the extremes, none for the shape figures (skewness, kurtosis) and the variable's
    times seconds for its time integral."""
    if statistic in ("time_of_max", "time_of_min"):
        return SECONDS
    if statistic in ("skewness", "kurtosis"):
        return DIMENSIONLESS
    if statistic == "integrated":
        return f"{unit}·s" if unit and unit != DIMENSIONLESS else SECONDS
    return unit


_minimum = np.minimum.reduce
_maximum = np.maximum.reduce
_sum = np.add.reduce


def _std(x: np.ndarray, mean: np.float64, ddof: int) -> float:
    # numpy's _var: deviations in float64, squared in place, summed, divided by n - ddof.
    deviations = np.subtract(x, np.asarray(mean, dtype=np.float64), dtype=np.float64)
    np.multiply(deviations, deviations, out=deviations)
    variance = _sum(deviations) / max(x.shape[0] - ddof, 0)
    return float(np.sqrt(variance))


def _integral(time: np.ndarray, x: np.ndarray) -> float:
    """Trapezoid-rule time integral on the samples' own times (unit * s); 0 for one sample."""
    from scipy.integrate import trapezoid

    return float(trapezoid(np.asarray(x, dtype=np.float64), np.asarray(time, dtype=np.float64)))


def _shape(x: np.ndarray, name: str) -> float:
    """scipy.stats' biased skewness (g1) or Fisher excess kurtosis (g2); NaN for a constant."""
    from scipy import stats

    values = np.asarray(x, dtype=np.float64)
    if values.size and _minimum(values) == _maximum(values):
        raise ResultFileError(f"{name} is undefined: the series is constant over the period")
    # No warnings.catch_warnings here: it swaps the process-wide filters, which other worker
    # threads share (it left "ignore RuntimeWarning" in place for the rest of a run; see
    # orcapost.pywarnings). scipy's precision-loss warning for a nearly constant series is
    # about this value: it goes to the run report with the file and column.
    with np.errstate(all="ignore"):  # numpy's error state is per thread
        value = float(stats.skew(values, bias=True) if name == "skewness"
                      else stats.kurtosis(values, fisher=True, bias=True))
    if not np.isfinite(value):
        raise ResultFileError(f"{name} is undefined: the series is constant over the period")
    return value


class StatisticsExtractor(Extractor):
    """Summary statistics of a time history over a period (min, max, mean, std, percentiles)."""

    name = "statistics"
    Options = StatisticsColumn

    def extract(self, file, column: StatisticsColumn) -> dict:
        out = {}
        units = {}
        guard = SampleGuard(column)
        for target, names in self.named_statistics(file, column, column.statistics):
            obj, var = target.obj.name, target.var.name
            series = file.time_history(obj, var, column.position, column.period)
            time, values = guard.series(f"{obj} / {var}", series.time, series.values)
            stats = compute_statistics(time, values, column.statistics, column.ddof)
            for statistic, value in stats.items():
                out[names[statistic]] = value
                units[names[statistic]] = statistic_unit(statistic, target.var.units)
        return with_units(guard.report(out), units)


@hookimpl
def orcapost_register_extractors(register):
    register(StatisticsExtractor)
