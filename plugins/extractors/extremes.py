"""The ``extremes`` extractor: short-term extreme values of a time history for a storm duration.

Methods (formulas, conventions and references: docs/extractors/extremes.md, docs/numerics.md):

- ``rayleigh``: OrcaFlex's Rayleigh extremes, mean, std and Tz = 2 pi sqrt(m0/m2) from the
  series; the most probable maximum ``mean + std sqrt(2 ln(T/Tz))``, or with ``risk`` the level
  exceeded with that probability (OrcaFlex's risk-factor form). A series that clearly breaks
  the method's assumptions (a trend or step, skewed or flat-topped, a storm more than 10 times
  the record) gets a ``RayleighAssumptionWarning``, which a run lists in its report.
- ``weibull`` / ``gpd``: peaks over a threshold, declustered by runs, maximum-likelihood fit of
  the excesses, return level for the storm duration (at ``risk``, default 1 - 1/e: exceeded once
  on average), optional parametric-bootstrap confidence interval.
- ``gumbel``: maxima of consecutive blocks of ``block`` seconds, maximum-likelihood Gumbel fit,
  extrapolated to the storm (n = T/block blocks: loc + scale ln n, the most probable storm
  maximum; or the level exceeded with probability ``risk``).

``tail: lower`` analyses minima (values in the original units, below the mean). A constant
series has no spread: every method returns the constant (and no details).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Literal

import numpy as np
from orcapost.api import (
    DIMENSIONLESS,
    SECONDS,
    Extractor,
    ResultFileError,
    SampleGuard,
    SeriesColumn,
    common_unit,
    extra_table,
    hookimpl,
    sample_interval,
    series_names,
    table_title,
    with_units,
)
from orcapost.numerics import extremes as ev
from orcapost.numerics.assumptions import RayleighAssumptionWarning, check_rayleigh
from pydantic import Field, model_validator


class ExtremesColumn(SeriesColumn):
    method: Literal["rayleigh", "weibull", "gpd", "gumbel"] = Field(
        default="rayleigh", description="rayleigh, weibull, gpd or gumbel.")
    storm_duration: float = Field(
        default=10800.0, gt=0, description="Storm duration T in seconds (default 3 hours).")
    tail: Literal["upper", "lower"] = Field(
        default="upper", description="upper: maxima; lower: minima.")
    risk: float | None = Field(
        default=None, gt=0, lt=1,
        description="Probability that the storm extreme is worse than the value; null: the "
        "most probable maximum (1 - 1/e for the fitted methods).")
    threshold: float | None = Field(
        default=None, description="weibull/gpd: absolute threshold; null: threshold_quantile.")
    threshold_quantile: float = Field(
        default=0.95, gt=0, lt=1,
        description="weibull/gpd: threshold as this quantile of the series (1 - q for lower).")
    decluster: float | None = Field(
        default=None, gt=0,
        description="weibull/gpd: seconds below the threshold that end a cluster; null: one "
        "sample (every excursion is a cluster).")
    confidence: float | None = Field(
        default=None, gt=0, lt=1,
        description="weibull/gpd: confidence level of the return level's interval (0.95).")
    bootstrap: int = Field(default=200, ge=20, description="Bootstrap resamples for the interval.")
    block: float = Field(default=600.0, gt=0, description="gumbel: block length in seconds.")
    spectral_method: Literal["diff", "fft"] = Field(
        default="diff", description="rayleigh: how m2 is estimated (docs/numerics.md).")
    goodness_of_fit: bool = Field(
        default=False, description="weibull/gpd/gumbel: also emit the number of peaks (blocks) "
        "fitted and the Kolmogorov-Smirnov p-value of the fit ('<label> ks p-value').")
    details: bool = Field(
        default=False, description="Also emit the fitted parameters (std, tz / shape, scale, "
        "threshold, peaks / loc, scale, blocks).")
    sample_output: bool = Field(
        default=False, description="weibull/gpd/gumbel: also write the fitted sample (the "
        "declustered peaks / the block maxima) with the fit's parameters, one row per value, "
        "as the extra table '<label> extremes sample' (the HTML report plots it).")

    def output_names(self) -> list[str]:
        suffixes = [""]
        if self.confidence is not None:
            suffixes += [" lower", " upper"]
        if self.details:
            suffixes += {"rayleigh": [" mean", " std", " tz"],
                         "gumbel": [" loc", " scale", " blocks"]}.get(
                self.method, [" shape", " scale", " threshold", " peaks"])
        if self.goodness_of_fit:
            suffixes += [" blocks" if self.method == "gumbel" else " peaks", " ks p-value"]
        return (series_names(self, suffixes=list(dict.fromkeys(suffixes)))
                + self.extra_table_names() + self.omitted_names())

    def extra_table_names(self) -> list[str]:
        return [table_title(self, "extremes sample")] if self.sample_output else []

    @model_validator(mode="after")
    def _fits(self):
        if self.confidence is not None and self.method not in ("weibull", "gpd"):
            raise ValueError("confidence applies to the weibull and gpd methods only")
        if self.sample_output and self.method == "rayleigh":
            raise ValueError("sample_output applies to the weibull, gpd and gumbel methods "
                             "(rayleigh fits no sample)")
        if self.goodness_of_fit and self.method == "rayleigh":
            raise ValueError("goodness_of_fit applies to the weibull, gpd and gumbel methods "
                             "(rayleigh fits no sample of peaks)")
        return self


class ExtremesExtractor(Extractor):
    """Rayleigh MPM, Weibull/GPD peaks-over-threshold or Gumbel storm extremes of a series."""

    name = "extremes"
    Options = ExtremesColumn

    def extract(self, file, column: ExtremesColumn) -> dict:
        out: dict = {}
        units: dict[str, str] = {}
        guard = SampleGuard(column)
        sample: dict[str, list] = {name: [] for name in SAMPLE_COLUMNS}
        sample_units: list[str] = []
        for target, base in self.named_targets(file, column):
            series = file.time_history(target.obj.name, target.var.name, column.position,
                                       column.period)
            # The sample interval is the stored grid's: omitted samples shorten the record. An
            # uneven grid has none: zero crossings, blocks and peak rates would be mistimed.
            dt = sample_interval(series.time, even="an extremes estimate")
            time, x = guard.series(f"{target.obj.name} / {target.var.name}", series.time,
                                   series.values)
            fitted: dict[str, Any] = {}
            try:
                values = analyse(time, x, column, dt=dt, sample=fitted,
                                 what=f"{target.obj.name} / {target.var.name}")
            except ValueError as exc:
                raise ResultFileError(f"{target.obj.name} / {target.var.name}: {exc}") from None
            for key, value in values.items():
                name = base if key == "value" else f"{base} {key}"
                out[name] = value
                units[name] = DETAIL_UNITS.get(key, target.var.units)
            if column.sample_output and fitted:
                sample_units.append(target.var.units)
                n = len(fitted["value"])
                sample["object"] += [target.obj.name] * n
                sample["variable"] += [target.var.name] * n
                sample["method"] += [column.method] * n
                sample["tail"] += [column.tail] * n
                sample["value"] += list(fitted["value"])
                for name in ("shape", "scale", "loc", "threshold"):
                    sample[name] += [fitted.get(name, math.nan)] * n
        if column.sample_output:
            title = table_title(column, "extremes sample")
            # The values and the fit's scale, loc and threshold are in the series' unit (one
            # column holds every matched series: a unit only when they share it).
            unit = common_unit(sample_units)
            out[title] = extra_table(title, sample, units={
                "value": unit, "scale": unit, "loc": unit, "threshold": unit,
                "shape": DIMENSIONLESS})
        return with_units(guard.report(out), units)


#: Units of the details that are not in the variable's unit (the others -- value, mean, std,
#: loc, scale, threshold, lower, upper -- are).
DETAIL_UNITS = {"tz": SECONDS, "blocks": DIMENSIONLESS, "peaks": DIMENSIONLESS,
                "shape": DIMENSIONLESS, "ks p-value": DIMENSIONLESS}


def _warn_unless_rayleigh_applies(x: np.ndarray, dt: float, storm: float, tz: float,
                                  value: float, tail: str, what: str) -> None:
    """A RayleighAssumptionWarning (into the run report, by file, group and column) when the
    series is clearly non-stationary or non-Gaussian, or the storm far outlasts the record
    (tests and thresholds: orcapost.numerics.assumptions, docs/numerics.md)."""
    problems = check_rayleigh(x, dt, storm, tz).problems()
    if problems:
        observed = float(x.max() if tail == "upper" else x.min())
        warnings.warn(RayleighAssumptionWarning(
            f"Rayleigh method on {what}: {'; '.join(problems)}. The method assumes a "
            f"stationary Gaussian series observed over the storm: its value {value:.6g} is "
            f"doubtful (the record's {'max' if tail == 'upper' else 'min'}: {observed:.6g})"),
            stacklevel=3)


#: The columns of the extremes sample table: the series, the method and tail, each fitted
#: value (peak or block maximum, in the series' units), and the fit's parameters repeated on
#: every row (NaN where the method has none: loc for weibull/gpd, shape and threshold for gumbel).
SAMPLE_COLUMNS = ("object", "variable", "method", "tail", "value", "shape", "scale", "loc",
                  "threshold")


def analyse(time: np.ndarray, values: np.ndarray, column: ExtremesColumn,
            dt: float | None = None, sample: dict[str, Any] | None = None,
            what: str = "the series") -> dict[str, float]:
    """The column's extreme (``value``) and its details, for one series (``dt``: the sample
    interval, by default that of ``time``; ``what``: the series, as warnings name it). A
    ``sample`` dict receives the fitted values and the fit's parameters (weibull, gpd, gumbel;
    nothing for a constant series)."""
    x = np.asarray(values, dtype=np.float64)
    dt = sample_interval(time) if dt is None else dt
    T = column.storm_duration
    out: dict[str, float] = {}
    if x.size and x.min() == x.max():
        # A constant response (a line that does not move) has no spread: its extreme is itself.
        return {"value": float(x[0])}
    if column.method == "rayleigh":
        rayleigh = ev.rayleigh_extremes(x, dt, T, tail=column.tail, method=column.spectral_method)
        out["value"] = rayleigh.mpm if column.risk is None else rayleigh.extreme(column.risk)
        _warn_unless_rayleigh_applies(x, dt, T, rayleigh.tz, out["value"], column.tail, what)
        if column.details:
            out.update(mean=rayleigh.mean, std=rayleigh.std, tz=rayleigh.tz)
        return out
    risk = ev.MPM_RISK if column.risk is None else column.risk
    if column.method == "gumbel":
        per_block = int(round(column.block / dt))
        blocks = x.size // per_block if per_block > 0 else 0
        if blocks < 2:
            raise ValueError(f"{column.block:g} s blocks: the record holds fewer than 2")
        sign = 1.0 if column.tail == "upper" else -1.0
        maxima = sign * (sign * x[: blocks * per_block].reshape(blocks, per_block)).max(axis=1)
        gumbel = ev.fit_gumbel(maxima, column.tail)
        if sample is not None:
            sample.update(value=maxima.tolist(), loc=gumbel.loc, scale=gumbel.scale)
        # The storm extreme is the largest of n = T / block independent block maxima:
        # P(storm max <= x) = F(x)^n, a Gumbel with loc + scale ln n.
        n = T / column.block
        shift = gumbel.scale * math.log(n)
        storm = ev.GumbelFit(gumbel.loc + (shift if column.tail == "upper" else -shift),
                             gumbel.scale, column.tail, gumbel.n)
        out["value"] = storm.extreme(1.0 - risk)
        if column.details:
            out.update(loc=gumbel.loc, scale=gumbel.scale, blocks=float(blocks))
        if column.goodness_of_fit:
            test = ev.goodness_of_fit(gumbel, maxima)
            out.update({"blocks": float(test.n), "ks p-value": test.p_value})
        return out
    q = column.threshold_quantile if column.tail == "upper" else 1.0 - column.threshold_quantile
    threshold = float(np.quantile(x, q)) if column.threshold is None else column.threshold
    peaks = ev.decluster_peaks(x, threshold, column.decluster if column.decluster else dt,
                               dt=dt, tail=column.tail)
    if peaks.values.size < 2:
        raise ValueError(f"{peaks.values.size} peak(s) beyond the threshold {threshold:g}: "
                         "lower the threshold")
    fit = ev.fit_gpd(peaks) if column.method == "gpd" else ev.fit_weibull(peaks)
    if sample is not None:
        sample.update(value=peaks.values.tolist(), shape=fit.shape, scale=fit.scale,
                      threshold=threshold)
    if column.confidence is None:
        out["value"] = fit.return_level(T, risk)
    else:
        level = ev.return_level_ci(fit, T, risk=risk, level=column.confidence,
                                   n_boot=column.bootstrap)
        out.update(value=level.value, lower=level.lower, upper=level.upper)
    if column.details:
        out.update(shape=fit.shape, scale=fit.scale, threshold=threshold,
                   peaks=float(fit.n_peaks))
    if column.goodness_of_fit:
        test = ev.goodness_of_fit(fit, peaks.excesses)
        out.update({"peaks": float(test.n), "ks p-value": test.p_value})
    return out


@hookimpl
def orcapost_register_extractors(register):
    register(ExtremesExtractor)
