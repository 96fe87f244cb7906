"""Short-term extremes: spectral moments, Rayleigh (OrcaFlex), peaks over threshold, Gumbel.

Conventions (derivations and references in ``docs/numerics.md``):

- ``tail="upper"`` analyses maxima, ``tail="lower"`` minima. Lower-tail methods work on the
  negated series internally and return values in the original units (so a lower-tail extreme is
  *below* the mean/threshold).
- ``risk`` is the probability that the storm extreme is *worse* than the returned value
  (exceeded for maxima, undercut for minima). ``risk = 1 - 1/e`` (~0.632) gives the most probable
  maximum / characteristic largest value.
- Durations and ``dt`` share one time unit (seconds in practice). Without ``dt`` (declustering),
  time is counted in samples.
- Shape conventions: GPD ``shape`` = xi = ``scipy.stats.genpareto`` ``c`` (xi > 0 heavy tail).
  Weibull ``shape`` = k = ``scipy.stats.weibull_min`` ``c``. GEV, for reference only: scipy's
  ``genextreme`` ``c`` is **minus** the usual xi (Gumbel is xi = c = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "GoodnessOfFit",
    "GumbelFit",
    "NoMaximumError",
    "Peaks",
    "PotFit",
    "RayleighExtremes",
    "ReturnLevel",
    "SpectralMoments",
    "decluster_peaks",
    "fit_gpd",
    "fit_gumbel",
    "fit_weibull",
    "goodness_of_fit",
    "gpd_mle",
    "gumbel_mle",
    "rayleigh_extreme",
    "rayleigh_extremes",
    "rayleigh_mpm",
    "return_level_ci",
    "spectral_moments",
    "weibull_mle",
]

Tail = Literal["upper", "lower"]
MPM_RISK = 1.0 - math.exp(-1.0)  # risk at which the Cramer/Poisson extreme equals the MPM


def _sign(tail: str) -> float:
    if tail == "upper":
        return 1.0
    if tail == "lower":
        return -1.0
    raise ValueError(f"tail must be 'upper' or 'lower', got {tail!r}")


def _check_risk(risk: float) -> None:
    if not 0.0 < risk < 1.0:
        raise ValueError(f"risk must be in (0, 1), got {risk}")


def _finite_1d(x: ArrayLike, what: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{what} contains NaN or inf")
    return a


# --- spectral moments and Rayleigh -------------------------------------------------------------


@dataclass(frozen=True)
class SpectralMoments:
    """``m0`` (variance), ``m2`` (variance of the derivative, in (unit/time)^2) and ``tz``."""

    m0: float
    m2: float
    tz: float  # mean zero up-crossing period 2*pi*sqrt(m0/m2)


def spectral_moments(
    x: ArrayLike, dt: float, *, method: Literal["diff", "fft"] = "diff"
) -> SpectralMoments:
    """Spectral moments m0, m2 of a sampled series and ``Tz = 2 pi sqrt(m0 / m2)``.

    ``m_k = int omega^k S(omega) d omega`` of the one-sided spectrum of the mean-removed series.
    ``m0`` is the (population, ddof=0) variance either way. For ``m2``:

    - ``"diff"`` (default): variance of the first difference divided by ``dt**2``, i.e. the
      variance of the derivative. Insensitive to the record not being periodic; each component
      of period P is weighted by ``sinc^2(pi dt / P)`` instead of 1, i.e. m2 is low by about
      ``(pi dt / P)^2 / 3`` (0.13 % at P = 50 dt; more if the spectrum has a long tail up to
      the Nyquist frequency, e.g. JONSWAP at dt = 0.5 s: ~3 %, Tz ~1.7 % high).
    - ``"fft"``: ``sum omega_k^2 P_k`` over the one-sided periodogram (``numpy.fft.rfft``); exact
      for a periodic band-limited record, but the jump between the two ends of a non-periodic
      record leaks into the high frequencies and inflates m2 slightly for short records.
    """
    a = _finite_1d(x, "series")
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt}")
    if a.size < 3:
        raise ValueError("spectral moments need at least 3 samples")
    m0 = float(np.var(a))
    if method == "diff":
        m2 = float(np.var(np.diff(a))) / dt**2
    elif method == "fft":
        n = a.size
        spec = np.fft.rfft(a - a.mean())
        power = (spec.real**2 + spec.imag**2) / n**2
        power[1 : (n + 1) // 2] *= 2.0  # one-sided: fold negative frequencies (not DC/Nyquist)
        omega = 2.0 * np.pi * np.fft.rfftfreq(n, dt)
        m2 = float(np.sum(omega**2 * power))
    else:
        raise ValueError(f"method must be 'diff' or 'fft', got {method!r}")
    if not (m0 > 0 and m2 > 0):
        raise ValueError("series is constant: Tz is undefined")
    return SpectralMoments(m0=m0, m2=m2, tz=2.0 * math.pi * math.sqrt(m0 / m2))


def _n_peaks(tz: float, duration: float) -> float:
    if not (tz > 0 and duration > 0):
        raise ValueError(f"tz and duration must be > 0, got tz={tz}, duration={duration}")
    return duration / tz


def rayleigh_mpm(
    mean: float, std: float, tz: float, duration: float, tail: Tail = "upper"
) -> float:
    """Most probable extreme, OrcaFlex/Ochi: ``mean +/- std * sqrt(2 ln(T / Tz))``."""
    n = _n_peaks(tz, duration)
    if n <= 1.0:
        raise ValueError(f"storm duration {duration} is not longer than Tz={tz}: no MPM")
    return mean + _sign(tail) * std * math.sqrt(2.0 * math.log(n))


def rayleigh_extreme(
    mean: float, std: float, tz: float, duration: float, risk: float, tail: Tail = "upper"
) -> float:
    """Extreme exceeded with probability ``risk`` in ``duration`` (OrcaFlex, Ochi/Cramer form).

    ``mean +/- std * sqrt(2 ln(-n / ln(1 - risk)))`` with ``n = T / Tz``: the storm maximum
    has ``P(max <= mean + std sqrt(2u)) = exp(-n exp(-u))`` (Poisson up-crossings of a narrow-band
    Gaussian process). ``risk = 1 - 1/e`` gives :func:`rayleigh_mpm`.
    """
    _check_risk(risk)
    n = _n_peaks(tz, duration)
    arg = -n / math.log1p(-risk)
    if arg <= 1.0:
        raise ValueError(
            f"storm duration {duration} too short for risk {risk} (T/Tz = {n:.3g}): "
            "the level would be below the mean"
        )
    return mean + _sign(tail) * std * math.sqrt(2.0 * math.log(arg))


@dataclass(frozen=True)
class RayleighExtremes:
    """Rayleigh extreme statistics of one series for a storm ``duration``."""

    mean: float
    std: float
    tz: float
    duration: float
    tail: Tail

    @property
    def n_peaks(self) -> float:
        """Expected number of peaks (zero up-crossings) in the storm, ``T / Tz``."""
        return self.duration / self.tz

    @property
    def mpm(self) -> float:
        return rayleigh_mpm(self.mean, self.std, self.tz, self.duration, self.tail)

    def extreme(self, risk: float) -> float:
        """Value the storm extreme is worse than with probability ``risk``."""
        return rayleigh_extreme(self.mean, self.std, self.tz, self.duration, risk, self.tail)


def rayleigh_extremes(
    x: ArrayLike,
    dt: float,
    duration: float,
    *,
    tail: Tail = "upper",
    method: Literal["diff", "fft"] = "diff",
) -> RayleighExtremes:
    """Fit the Rayleigh model to a series: sample mean, std (ddof=0), Tz from spectral moments."""
    a = _finite_1d(x, "series")
    _sign(tail)
    sm = spectral_moments(a, dt, method=method)
    return RayleighExtremes(
        mean=float(a.mean()), std=math.sqrt(sm.m0), tz=sm.tz, duration=float(duration), tail=tail
    )


# --- peaks over threshold ----------------------------------------------------------------------


@dataclass(frozen=True)
class Peaks:
    """Cluster peaks over a threshold (maxima for ``upper``, minima for ``lower``)."""

    values: np.ndarray  # peak values, original units
    indices: np.ndarray  # sample index of each peak
    threshold: float
    tail: Tail
    duration: float  # record length the peaks come from (n * dt, or n samples)

    @property
    def excesses(self) -> np.ndarray:
        """Distance beyond the threshold, > 0 (``threshold - value`` for the lower tail)."""
        return _sign(self.tail) * (self.values - self.threshold)

    @property
    def rate(self) -> float:
        """Peaks per unit time (per sample when no ``dt`` was given)."""
        return self.values.size / self.duration


def decluster_peaks(
    x: ArrayLike,
    threshold: float,
    run: float = 1,
    *,
    dt: float | None = None,
    tail: Tail = "upper",
) -> Peaks:
    """Runs declustering: one peak (the most extreme sample) per cluster of exceedances.

    A sample exceeds when ``x > threshold`` (``x < threshold`` for the lower tail). A cluster
    ends when at least ``run`` consecutive samples do not exceed; ``run`` is a number of samples
    when ``dt`` is None, else a time (converted to ``ceil(run / dt)`` samples). ``run=1``: every
    excursion above the threshold is its own cluster. Ties inside a cluster keep the first sample.
    """
    a = _finite_1d(x, "series")
    s = _sign(tail)
    if dt is None:
        r = int(math.ceil(run))
        duration = float(a.size)
    else:
        if not dt > 0:
            raise ValueError(f"dt must be > 0, got {dt}")
        r = int(math.ceil(run / dt - 1e-9))  # 10 s at dt=0.1 is 100 samples, not 101
        duration = a.size * dt
    if r < 1:
        raise ValueError(f"run must be at least one sample, got {run}")
    w = s * a
    u = s * float(threshold)
    exc = np.flatnonzero(w > u)
    if exc.size == 0:
        empty = np.empty(0)
        return Peaks(empty, np.empty(0, np.int64), float(threshold), tail, duration)
    # Non-exceeding samples between consecutive exceedances; a gap of >= r starts a new cluster.
    new = np.empty(exc.size, bool)
    new[0] = True
    new[1:] = np.diff(exc) - 1 >= r
    starts = np.flatnonzero(new)
    cluster = np.cumsum(new) - 1
    vals = w[exc]
    # Position of each cluster's maximum: sort by (cluster, -value, index); first of each group.
    order = np.lexsort((exc, -vals, cluster))
    first = order[starts]
    idx = exc[first]
    return Peaks(a[idx], idx.astype(np.int64), float(threshold), tail, duration)


class NoMaximumError(ValueError):
    """The likelihood has no maximum the fit could report (e.g. a GPD shape <= -1)."""


def _excesses(data: ArrayLike) -> np.ndarray:
    y = _finite_1d(data, "excesses")
    if y.size < 2:
        raise ValueError("need at least 2 excesses to fit")
    if np.any(y <= 0):
        raise ValueError("excesses must be > 0")
    return y


def weibull_mle(excesses: ArrayLike) -> tuple[float, float]:
    """2-parameter Weibull ML fit (location 0): ``(k, lam)`` = scipy ``weibull_min`` (c, scale).

    Solves the profile score ``sum y^k ln y / sum y^k - 1/k - mean(ln y) = 0`` (increasing in k,
    one root) with Brent's method to machine precision; ``lam = mean(y^k)^(1/k)``.
    """
    from scipy import optimize  # here, not at the top: scipy costs ~0.2 s to import

    y = _excesses(excesses)
    ly = np.log(y)
    top = float(ly.max())
    c = ly - top  # <= 0: y^k scaled by ymax^k so nothing overflows
    mean_c = float(c.mean())
    if mean_c == 0.0:
        raise ValueError("all excesses are equal: Weibull shape is unbounded")

    def score(k: float) -> float:
        w = np.exp(k * c)
        return float(np.dot(w, c) / w.sum()) - 1.0 / k - mean_c

    lo = 0.5 / -mean_c  # score(lo) <= -1/lo - mean_c < 0
    hi = 2.0 / -mean_c
    while score(hi) <= 0.0:
        hi *= 2.0
        if hi > 1e6:
            raise ValueError("Weibull shape diverges (excesses nearly equal)")
    k = optimize.brentq(score, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    lam = math.exp(top) * float(np.mean(np.exp(k * c))) ** (1.0 / k)
    return float(k), lam


def _gpd_ratio(t: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``mean(log1p(t u)) / t`` for each t (rows), exact at t = 0 (= mean(u))."""
    t = np.atleast_1d(t)
    tu = np.outer(t, u)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.log1p(tu).mean(axis=1) / t
    return np.where(t == 0.0, u.mean(), r)


def gpd_mle(excesses: ArrayLike) -> tuple[float, float]:
    """Generalised Pareto ML fit (location 0): ``(xi, sigma)`` = scipy ``genpareto`` (c, scale).

    Profile likelihood in ``theta = xi / sigma`` (Grimshaw 1993): for fixed theta the ML shape is
    ``xi = mean(log1p(theta y))`` and the profile log-likelihood is
    ``-n (log(xi / theta) + xi + 1)``. It is scanned on a log grid of ``t = theta * max(y)`` over
    (-1, inf), then the stationary point is solved with Brent's method on its derivative. Only
    xi > -1 is admitted (beyond, the likelihood is unbounded and the MLE does not exist).
    """
    from scipy import optimize  # here, not at the top: scipy costs ~0.2 s to import

    y = _excesses(excesses)
    ymax = float(y.max())
    u = y / ymax  # in (0, 1]
    neg_small = -(10.0 ** np.linspace(-8.0, -0.3, 50))
    neg_edge = -(1.0 - 10.0 ** np.linspace(-0.3, -12.0, 50))
    pos = 10.0 ** np.linspace(-8.0, 8.0, 130)
    grid = np.sort(np.concatenate([neg_edge, neg_small, pos]))

    def objective(t: np.ndarray) -> np.ndarray:  # -(profile log-lik)/n - 1, up to log(ymax)
        r = _gpd_ratio(t, u)  # xi / t
        return np.log(r) + r * t

    f = objective(grid)
    xi_grid = _gpd_ratio(grid, u) * grid
    f = np.where(xi_grid > -1.0, f, np.inf)
    i = int(np.argmin(f))
    if i == 0 or i == grid.size - 1 or not np.isfinite(f[i]):
        raise NoMaximumError("GPD likelihood has no interior maximum (shape outside (-1, inf))")
    if not np.isfinite(f[i - 1]):
        # The best admissible point borders shapes <= -1 (they lie below it: xi grows with t):
        # the likelihood keeps rising towards the end point, the signature of excesses with a
        # hard upper end (Smith 1985).
        raise NoMaximumError(_BOUNDED_TAIL)

    def dobjective(t: float) -> float:
        # d/dt [log(k/t) + k] with k = mean(log1p(t u)), k' = mean(u / (1 + t u)).
        kp = float(np.mean(u / (1.0 + t * u)))
        r = float(_gpd_ratio(np.array([t]), u)[0])
        return (kp / r - 1.0) / t + kp

    a, b = float(grid[i - 1]), float(grid[i + 1])
    da, db = dobjective(a), dobjective(b)
    if da < 0.0 < db:
        t_hat = optimize.brentq(dobjective, a, b, xtol=1e-300, rtol=4 * np.finfo(float).eps)
    else:  # derivative too flat to bracket numerically: fall back to a bounded minimisation
        res = optimize.minimize_scalar(
            lambda t: float(objective(np.array([t]))[0]),
            bounds=(a, b),
            method="bounded",
            options={"xatol": 1e-14},
        )
        t_hat = float(res.x)
    r = float(_gpd_ratio(np.array([t_hat]), u)[0])
    xi = r * t_hat
    sigma = r * ymax  # sigma = xi / theta = (xi / t) * ymax
    if not xi > -1.0:
        raise NoMaximumError(_BOUNDED_TAIL)
    if float(objective(np.array([t_hat]))[0]) > -1.0:
        # As xi -> -1 the profile likelihood tends to the uniform's on [0, ymax] (objective -1
        # here): a stationary point below it is a local maximum only, and the supremum lies at
        # the bounded-tail edge the rule refuses (a few excesses can look heavy-tailed so).
        raise NoMaximumError(_BOUNDED_TAIL)
    return float(xi), float(sigma)


_BOUNDED_TAIL = (
    "GPD shape <= -1: the likelihood has no maximum there (it grows without bound as the end "
    "point approaches the largest excess), so no fit is reported; the peaks have a hard bound "
    "at about the largest one: use method weibull, another threshold, or the largest peak")


@dataclass(frozen=True)
class PotFit:
    """A peaks-over-threshold model: excess distribution and peak rate.

    ``shape``/``scale``: GPD (xi, sigma) or Weibull (k, lambda) of the excesses over
    ``threshold`` (scipy ``genpareto``/``weibull_min`` with ``loc = 0``; equivalently the
    3-parameter Weibull of the peaks with location fixed at the threshold).
    """

    distribution: Literal["gpd", "weibull"]
    shape: float
    scale: float
    threshold: float
    tail: Tail
    n_peaks: int
    rate: float  # peaks per unit time

    def excess_isf(self, q: float | np.ndarray) -> float | np.ndarray:
        """Excess exceeded with probability ``q`` (inverse survival function)."""
        q = np.asarray(q, dtype=np.float64)
        if self.distribution == "gpd":
            xi, sigma = self.shape, self.scale
            if xi == 0.0:
                out = -sigma * np.log(q)
            else:
                out = sigma * np.expm1(-xi * np.log(q)) / xi
        else:
            out = self.scale * (-np.log(q)) ** (1.0 / self.shape)
        return out if out.ndim else float(out)

    def excess_cdf(self, y: float | np.ndarray) -> float | np.ndarray:
        """Probability that an excess is at most ``y`` (scipy ``genpareto``/``weibull_min`` cdf)."""
        y = np.maximum(np.asarray(y, dtype=np.float64), 0.0)
        if self.distribution == "gpd":
            xi, sigma = self.shape, self.scale
            if xi == 0.0:
                out = -np.expm1(-y / sigma)
            else:
                # Beyond the end point of a bounded tail (xi < 0) the cdf is 1.
                z = np.maximum(1.0 + xi * y / sigma, 0.0)
                with np.errstate(divide="ignore"):
                    out = -np.expm1(-np.log(z) / xi)
        else:
            out = -np.expm1(-((y / self.scale) ** self.shape))
        return out if out.ndim else float(out)

    def return_level(self, duration: float, risk: float = MPM_RISK) -> float:
        """Storm extreme worse than the returned level with probability ``risk``.

        Peaks arrive as a Poisson process of rate ``rate``: ``P(no peak beyond x in T) =
        exp(-rate T q(x))`` with ``q`` the excess survival function, so
        ``q = -ln(1 - risk) / (rate T)``. The default ``risk = 1 - 1/e`` is the level exceeded
        once on average in ``duration`` (``rate T q = 1``), the POT analogue of the MPM.
        """
        _check_risk(risk)
        if not duration > 0:
            raise ValueError(f"duration must be > 0, got {duration}")
        q = -math.log1p(-risk) / (self.rate * duration)
        if q >= 1.0:
            raise ValueError(
                f"duration {duration} too short for risk {risk}: fewer peaks expected "
                f"({self.rate * duration:.3g}) than the level needs (>{-math.log1p(-risk):.3g})"
            )
        return self.threshold + _sign(self.tail) * float(self.excess_isf(q))


def _fit(peaks: Peaks, distribution: Literal["gpd", "weibull"]) -> PotFit:
    y = peaks.excesses
    shape, scale = gpd_mle(y) if distribution == "gpd" else weibull_mle(y)
    return PotFit(distribution, shape, scale, peaks.threshold, peaks.tail, y.size, peaks.rate)


def fit_gpd(peaks: Peaks) -> PotFit:
    """ML fit of a generalised Pareto distribution to the excesses of declustered peaks."""
    return _fit(peaks, "gpd")


def fit_weibull(peaks: Peaks) -> PotFit:
    """ML fit of a Weibull (location = threshold) to the excesses of declustered peaks."""
    return _fit(peaks, "weibull")


@dataclass(frozen=True)
class GoodnessOfFit:
    """How well a fitted law describes the data it was fitted to.

    ``ks_statistic`` and ``p_value``: the one-sample Kolmogorov-Smirnov test of the data
    against the fitted cdf (``scipy.stats.kstest``, exact distribution for small samples). The
    parameters were estimated from the same data, so the p-value is too large (the test is
    conservative): a small p-value is a clear misfit, a large one no proof of a good fit.
    """

    n: int  # number of values tested (peaks, block maxima)
    ks_statistic: float
    p_value: float


def goodness_of_fit(fit: PotFit | GumbelFit, data: ArrayLike) -> GoodnessOfFit:
    """KS test of ``data`` against ``fit``: the excesses for a :class:`PotFit`, the block (or
    seed) extremes, in original units, for a :class:`GumbelFit`."""
    from scipy import stats  # only when asked for: scipy.stats costs ~0.3 s to import

    x = _finite_1d(data, "data")
    cdf = fit.excess_cdf if isinstance(fit, PotFit) else fit.cdf
    result = stats.kstest(x, lambda v: np.asarray(cdf(v)))
    return GoodnessOfFit(int(x.size), float(result.statistic), float(result.pvalue))


@dataclass(frozen=True)
class ReturnLevel:
    """A return level with its parametric-bootstrap confidence interval."""

    value: float
    lower: float  # confidence bounds in original units (lower <= upper)
    upper: float
    level: float  # confidence level, e.g. 0.95
    duration: float
    risk: float


def return_level_ci(
    fit: PotFit,
    duration: float,
    *,
    risk: float = MPM_RISK,
    level: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
) -> ReturnLevel:
    """Return level and its confidence interval by parametric bootstrap (percentile method).

    ``n_boot`` samples of ``n_peaks`` excesses are drawn from the fitted distribution with
    ``numpy.random.default_rng(seed)`` (reproducible), refitted by ML, and the return level's
    ``(1 - level)/2`` and ``(1 + level)/2`` quantiles are the bounds. The peak rate is held fixed
    (the interval reflects the uncertainty of the excess distribution only).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    value = fit.return_level(duration, risk)
    rng = np.random.default_rng(seed)
    mle = gpd_mle if fit.distribution == "gpd" else weibull_mle
    levels = np.empty(n_boot)
    ok = 0
    for _ in range(n_boot):
        # Inverse-transform sampling: excess_isf of a uniform is a draw from the excess law.
        y = np.asarray(fit.excess_isf(rng.uniform(size=fit.n_peaks)))
        try:
            shape, scale = mle(y)
        except ValueError:  # a degenerate resample (e.g. no interior ML maximum): skip it
            continue
        boot = PotFit(
            fit.distribution, shape, scale, fit.threshold, fit.tail, fit.n_peaks, fit.rate
        )
        levels[ok] = boot.return_level(duration, risk)
        ok += 1
    if ok < 0.9 * n_boot:
        raise ValueError(f"bootstrap failed: only {ok} of {n_boot} resamples could be fitted")
    lo, hi = np.quantile(levels[:ok], [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return ReturnLevel(float(value), float(lo), float(hi), level, float(duration), risk)


# --- Gumbel fit of per-seed extremes -----------------------------------------------------------


def gumbel_mle(maxima: ArrayLike) -> tuple[float, float]:
    """Gumbel (max) ML fit: ``(loc, scale)`` = scipy ``gumbel_r.fit``.

    The scale solves ``beta = mean(x) - sum x e^(-x/beta) / sum e^(-x/beta)`` (Brent's method,
    machine precision), then ``loc = -beta ln(mean e^(-x/beta))``; both evaluated with x shifted
    by min(x) so no exponential overflows.
    """
    from scipy import optimize  # here, not at the top: scipy costs ~0.2 s to import

    x = _finite_1d(maxima, "maxima")
    if x.size < 2:
        raise ValueError("need at least 2 values to fit a Gumbel distribution")
    xmin = float(x.min())
    z = x - xmin
    zbar = float(z.mean())
    if zbar == 0.0:
        raise ValueError("all values are equal: Gumbel scale is zero")

    def score(beta: float) -> float:
        w = np.exp(-z / beta)
        return beta - zbar + float(np.dot(w, z) / w.sum())

    lo = zbar * 1e-3
    while score(lo) >= 0.0:  # score(0+) = -zbar < 0; shrink until it shows
        lo *= 1e-3
        if lo < zbar * 1e-30:
            raise ValueError("Gumbel ML scale not bracketed")
    hi = max(float(np.std(z)), zbar)
    while score(hi) <= 0.0:  # score(beta) -> beta for large beta
        hi *= 2.0
    beta = optimize.brentq(score, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    loc = xmin - beta * math.log(float(np.mean(np.exp(-z / beta))))
    return float(loc), float(beta)


@dataclass(frozen=True)
class GumbelFit:
    """Gumbel fit of per-seed extremes.

    Upper tail: ``scipy.stats.gumbel_r(loc, scale)`` of the maxima. Lower tail:
    ``scipy.stats.gumbel_l(loc, scale)`` of the minima (fitted as ``gumbel_r`` of ``-x``).
    """

    loc: float
    scale: float
    tail: Tail
    n: int

    def cdf(self, x: float | np.ndarray) -> float | np.ndarray:
        z = (np.asarray(x, dtype=np.float64) - self.loc) / self.scale
        out = np.exp(-np.exp(-z)) if self.tail == "upper" else -np.expm1(-np.exp(z))
        return out if out.ndim else float(out)

    def quantile(self, p: float | np.ndarray) -> float | np.ndarray:
        """Inverse CDF: the value ``x`` with ``P(X <= x) = p`` (scipy ``ppf``)."""
        p = np.asarray(p, dtype=np.float64)
        if self.tail == "upper":
            out = self.loc - self.scale * np.log(-np.log(p))
        else:
            out = self.loc + self.scale * np.log(-np.log1p(-p))
        return out if out.ndim else float(out)

    def extreme(self, p: float) -> float:
        """Value not exceeded (maxima) / not undercut (minima) with probability ``p``.

        E.g. ``extreme(0.9)``: the 90 % non-exceedance maximum, or for minima the value the
        storm minimum stays above with probability 0.9.
        """
        return float(self.quantile(p if self.tail == "upper" else 1.0 - p))


def fit_gumbel(extremes: ArrayLike, tail: Tail = "upper") -> GumbelFit:
    """ML Gumbel fit of per-seed maxima (``upper``) or minima (``lower``)."""
    s = _sign(tail)
    x = _finite_1d(extremes, "extremes")
    loc, scale = gumbel_mle(s * x)
    return GumbelFit(loc=s * loc, scale=scale, tail=tail, n=int(x.size))
