"""Extremes validated against closed forms, scipy.stats maximum likelihood and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from orcapost.numerics import extremes as ex
from scipy import integrate, optimize, stats

# --- synthetic Gaussian sea-state responses ------------------------------------------------------


def jonswap(omega: np.ndarray, tp: float = 10.0, gamma: float = 3.3) -> np.ndarray:
    """JONSWAP spectral shape (unnormalised; only the shape matters here)."""
    wp = 2.0 * np.pi / tp
    sigma = np.where(omega <= wp, 0.07, 0.09)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        s = (
            omega**-5.0
            * np.exp(-1.25 * (wp / omega) ** 4)
            * gamma ** np.exp(-((omega - wp) ** 2) / (2.0 * sigma**2 * wp**2))
        )
    return np.where(omega > 0, s, 0.0)


def synthesize(seed: int, dt: float = 0.5, duration: float = 10800.0, mean: float = 0.0):
    """Random-phase Gaussian series on the FFT grid: periodic, with known discrete moments.

    Returns the series and the exact (m0, m2) of the component amplitudes a_k:
    m0 = sum a_k^2 / 2, m2 = sum omega_k^2 a_k^2 / 2.
    """
    n = int(round(duration / dt))
    rng = np.random.default_rng(seed)
    omega = 2.0 * np.pi * np.fft.rfftfreq(n, dt)
    amp = np.sqrt(2.0 * jonswap(omega) * (omega[1] - omega[0]))
    amp[0] = 0.0
    amp[-1] = 0.0  # no Nyquist component (it cannot carry a random phase)
    amp *= 1.0 / math.sqrt(np.sum(amp**2) / 2.0)  # unit standard deviation
    phase = rng.uniform(0.0, 2.0 * np.pi, omega.size)
    x = np.fft.irfft(amp * np.exp(1j * phase) * n / 2.0, n) + mean
    return x, float(np.sum(amp**2) / 2.0), float(np.sum(omega**2 * amp**2) / 2.0)


# --- Rayleigh -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "std", "tz", "duration"),
    [(0.0, 1.0, 8.0, 10800.0), (1500.0, 230.0, 11.3, 3600.0), (-4.0, 0.1, 3.0, 10.0)],
)
def test_rayleigh_mpm_closed_form(mean: float, std: float, tz: float, duration: float) -> None:
    n = duration / tz
    assert ex.rayleigh_mpm(mean, std, tz, duration) == pytest.approx(
        mean + std * math.sqrt(2.0 * math.log(n)), rel=1e-15
    )
    assert ex.rayleigh_mpm(mean, std, tz, duration, tail="lower") == pytest.approx(
        mean - std * math.sqrt(2.0 * math.log(n)), rel=1e-15
    )


def test_rayleigh_risk_forms() -> None:
    mean, std, tz, duration = 10.0, 2.0, 9.0, 10800.0
    n = duration / tz
    for risk in (0.01, 0.1, 0.5, 0.9):
        # OrcaFlex's formula, written out from its documentation.
        expected = mean + std * math.sqrt(2.0 * math.log(-n / math.log(1.0 - risk)))
        assert ex.rayleigh_extreme(mean, std, tz, duration, risk) == pytest.approx(expected)
        low = ex.rayleigh_extreme(mean, std, tz, duration, risk, tail="lower")
        assert low == pytest.approx(2 * mean - expected)
    # The MPM is the Cramer-form extreme at risk 1 - 1/e.
    mpm = ex.rayleigh_mpm(mean, std, tz, duration)
    assert ex.rayleigh_extreme(mean, std, tz, duration, 1 - math.exp(-1)) == pytest.approx(mpm)
    # Small risk: Ochi's approximation mean + std sqrt(2 ln(n / risk)).
    tiny = 1e-6
    assert ex.rayleigh_extreme(mean, std, tz, duration, tiny) == pytest.approx(
        mean + std * math.sqrt(2.0 * math.log(n / tiny)), rel=1e-6
    )
    # Larger risk gives a lower level.
    levels = [ex.rayleigh_extreme(mean, std, tz, duration, r) for r in (0.01, 0.1, 0.5, 0.9)]
    assert levels == sorted(levels, reverse=True)
    with pytest.raises(ValueError):
        ex.rayleigh_extreme(mean, std, tz, duration, 1.0)
    with pytest.raises(ValueError, match="too short"):
        ex.rayleigh_extreme(mean, std, tz, 5.0, 0.5)
    with pytest.raises(ValueError):
        ex.rayleigh_mpm(mean, std, tz, 5.0)
    with pytest.raises(ValueError):
        ex.rayleigh_mpm(mean, std, tz, duration, tail="both")  # type: ignore[arg-type]


def test_spectral_moments_on_synthetic_series() -> None:
    dt = 0.5
    x, m0, m2 = synthesize(seed=1, dt=dt, mean=3.0)
    fft = ex.spectral_moments(x, dt, method="fft")
    # The series is periodic on the FFT grid: the periodogram moments are exact.
    assert fft.m0 == pytest.approx(m0, rel=1e-10)
    assert fft.m2 == pytest.approx(m2, rel=1e-10)
    assert fft.tz == pytest.approx(2 * math.pi * math.sqrt(m0 / m2), rel=1e-10)
    # First differences see omega as 2 sin(omega dt / 2) / dt.
    n = x.size
    omega = 2.0 * np.pi * np.fft.rfftfreq(n, dt)
    spec = np.abs(np.fft.rfft(x - x.mean())) ** 2 * 2.0 / n**2
    m2_diff_theory = float(np.sum((2.0 * np.sin(omega * dt / 2.0) / dt) ** 2 * spec))
    diff = ex.spectral_moments(x, dt)
    assert diff.m0 == pytest.approx(m0, rel=1e-10)
    assert diff.m2 == pytest.approx(m2_diff_theory, rel=1e-3)  # n-1 differences, not circular
    # Tz is the mean zero up-crossing period: count up-crossings of the mean.
    y = x - x.mean()
    upcrossings = np.count_nonzero((y[:-1] < 0) & (y[1:] >= 0))
    assert n * dt / upcrossings == pytest.approx(diff.tz, rel=0.05)
    with pytest.raises(ValueError, match="constant"):
        ex.spectral_moments(np.ones(10), 0.1)


def test_rayleigh_extremes_on_gaussian_seeds_agree_with_observed_maxima() -> None:
    """400 independent 3-hour JONSWAP (gamma 3.3) seeds: observed maxima vs the Rayleigh model.

    Theory (OrcaFlex/Ochi, Cramer form): P(max <= mean + std sqrt(2u)) = exp(-n e^-u), n = T/Tz.
    Tolerances:
    - mean of the maxima (in std units, ~3.95): 2 % (0.08 std). The standard error over 400
      seeds is ~0.015 std (0.4 %); the model itself is asymptotic (Poisson up-crossings) and,
      the narrower the spectrum, the more up-crossings of high levels cluster, which lowers real
      maxima (0.05 % below the model for these seeds, ~1 % in trials with gamma = 7).
      Getting Tz wrong by a factor 2 moves the level by ~4.5 %, a sqrt(ln n) instead of
      sqrt(2 ln n) by 30 %: both fail.
    - exceedance fractions: binomial, 3 standard errors.
    The seeds are fixed, so the test is deterministic.
    """
    dt, duration = 0.5, 10800.0
    z_obs, z_theory, above_10pc, below_mpm = [], [], 0, 0
    seeds = range(400)
    for seed in seeds:
        x, _, _ = synthesize(seed, dt=dt, duration=duration, mean=50.0)
        r = ex.rayleigh_extremes(x, dt, duration)
        assert r.duration == duration and r.tail == "upper"
        top = float(x.max())
        z_obs.append((top - r.mean) / r.std)
        # E[(max - mean)/std] under the model, by quadrature of the survival function.
        n = r.n_peaks
        z_theory.append(
            integrate.quad(lambda z, n=n: -math.expm1(-n * math.exp(-z * z / 2.0)), 0.0, 12.0)[0]
        )
        above_10pc += top > r.extreme(0.1)
        below_mpm += top <= r.mpm
    k = len(seeds)
    assert np.mean(z_obs) == pytest.approx(np.mean(z_theory), rel=0.02)
    se = math.sqrt(0.1 * 0.9 / k)
    assert abs(above_10pc / k - 0.1) < 3 * se
    p = math.exp(-1.0)  # P(max <= MPM) = exp(-1) in the Cramer form
    assert abs(below_mpm / k - p) < 3 * math.sqrt(p * (1 - p) / k)


def test_rayleigh_lower_tail_mirrors_upper() -> None:
    x, _, _ = synthesize(seed=3, mean=5.0)
    up = ex.rayleigh_extremes(x, 0.5, 10800.0)
    low = ex.rayleigh_extremes(-x, 0.5, 10800.0, tail="lower")
    assert low.mpm == pytest.approx(-up.mpm, rel=1e-12)
    assert low.extreme(0.05) == pytest.approx(-up.extreme(0.05), rel=1e-12)


# --- peaks over threshold -----------------------------------------------------------------------


def loop_decluster(x: np.ndarray, u: float, r: int) -> tuple[list[int], list[float]]:
    """Runs declustering written as the plain definition, upper tail."""
    clusters: list[tuple[int, float]] = []
    below = r  # non-exceedances since the last exceedance
    for i, v in enumerate(x.tolist()):
        if v > u:
            if not clusters or below >= r:
                clusters.append((i, v))
            elif v > clusters[-1][1]:
                clusters[-1] = (i, v)
            below = 0
        else:
            below += 1
    return [i for i, _ in clusters], [v for _, v in clusters]


@pytest.mark.parametrize("r", [1, 2, 5, 40])
def test_decluster_matches_definition(r: int) -> None:
    x, _, _ = synthesize(seed=4, dt=0.5, duration=3600.0)
    x = np.round(x, 1)  # ties inside clusters too
    u = 1.0
    peaks = ex.decluster_peaks(x, u, r)
    idx, vals = loop_decluster(x, u, r)
    assert peaks.indices.tolist() == idx
    assert peaks.values.tolist() == vals
    assert peaks.duration == x.size and peaks.rate == len(idx) / x.size
    assert np.all(peaks.excesses > 0)
    # Time-based run length: 2.5 s at dt = 0.5 s is 5 samples.
    timed = ex.decluster_peaks(x, u, 2.5, dt=0.5)
    assert timed.indices.tolist() == loop_decluster(x, u, 5)[0]
    assert timed.duration == pytest.approx(x.size * 0.5)


def test_decluster_lower_tail_is_negated_upper() -> None:
    x, _, _ = synthesize(seed=5, duration=3600.0)
    low = ex.decluster_peaks(x, -1.2, 3, tail="lower")
    up = ex.decluster_peaks(-x, 1.2, 3)
    np.testing.assert_array_equal(low.indices, up.indices)
    np.testing.assert_array_equal(low.values, -up.values)
    np.testing.assert_array_equal(low.excesses, up.excesses)
    assert ex.decluster_peaks(x, 100.0).values.size == 0


def tight_fmin(func, x0, args=(), disp=0):
    """scipy's default fit optimizer (fmin) with tolerances tightened to the float limit.

    scipy's generic ``fit`` stops at xtol = 1e-4 (parameters off by ~1e-5 relative, measured);
    with this optimizer scipy's own maximum-likelihood fit is resolved to ~1e-7 or better
    (tighter settings change nothing but run to maxfun).
    """
    return optimize.fmin(
        func, x0, args=args, xtol=1e-11, ftol=1e-13, maxiter=20000, maxfun=20000, disp=0
    )


def _response_peaks(seed: int, threshold: float = 1.5) -> ex.Peaks:
    x, _, _ = synthesize(seed, duration=4 * 10800.0)
    return ex.decluster_peaks(x, threshold, 10.0, dt=0.5)


GPD_SAMPLES = [
    ("gpd xi=-0.2", lambda: stats.genpareto.rvs(-0.2, scale=2.0, size=80, random_state=10)),
    ("gpd xi=+0.2", lambda: stats.genpareto.rvs(0.2, scale=0.5, size=200, random_state=11)),
    ("gpd xi=+0.5", lambda: stats.genpareto.rvs(0.5, scale=3.0, size=40, random_state=12)),
    ("response peaks", lambda: _response_peaks(0).excesses),
]


@pytest.mark.parametrize(("label", "make"), GPD_SAMPLES)
def test_gpd_fit_matches_scipy_ml(label: str, make) -> None:
    y = make()
    xi, sigma = ex.gpd_mle(y)
    c, loc, scale = stats.genpareto.fit(y, floc=0.0, optimizer=tight_fmin)
    assert loc == 0.0
    assert xi == pytest.approx(c, rel=1e-6), label
    assert sigma == pytest.approx(scale, rel=1e-6), label
    # And ours is a maximum at least as high as scipy's (default and tightened) fits.
    loglik = lambda a, b: float(np.sum(stats.genpareto.logpdf(y, a, 0.0, b)))  # noqa: E731
    c0, _, s0 = stats.genpareto.fit(y, floc=0.0)
    assert loglik(xi, sigma) >= max(loglik(c, scale), loglik(c0, s0)) - 1e-9


def test_gpd_fit_exponential_excesses() -> None:
    # xi ~ 0: relative agreement on a near-zero shape is meaningless, compare absolutely.
    y = stats.expon.rvs(scale=1.7, size=300, random_state=13)
    xi, sigma = ex.gpd_mle(y)
    c, _, scale = stats.genpareto.fit(y, floc=0.0, optimizer=tight_fmin)
    assert abs(xi - c) < 1e-6 and sigma == pytest.approx(scale, rel=1e-6)


WEIBULL_SAMPLES = [
    ("weibull k=0.8", lambda: stats.weibull_min.rvs(0.8, scale=2.0, size=100, random_state=20)),
    ("weibull k=1.5", lambda: stats.weibull_min.rvs(1.5, scale=0.3, size=300, random_state=21)),
    ("weibull k=4", lambda: stats.weibull_min.rvs(4.0, scale=10.0, size=30, random_state=22)),
]


@pytest.mark.parametrize(("label", "make"), WEIBULL_SAMPLES)
def test_weibull_fit_matches_scipy_ml(label: str, make) -> None:
    y = make()
    k, lam = ex.weibull_mle(y)
    c, loc, scale = stats.weibull_min.fit(y, floc=0.0, optimizer=tight_fmin)
    assert k == pytest.approx(c, rel=1e-6), label
    assert lam == pytest.approx(scale, rel=1e-6), label


@pytest.mark.parametrize("seed", [1, 2])
def test_weibull_3p_on_peaks_with_location_at_threshold(seed: int) -> None:
    peaks = _response_peaks(seed)
    fit = ex.fit_weibull(peaks)
    c, loc, scale = stats.weibull_min.fit(peaks.values, floc=peaks.threshold, optimizer=tight_fmin)
    assert loc == peaks.threshold
    assert fit.shape == pytest.approx(c, rel=1e-6)
    assert fit.scale == pytest.approx(scale, rel=1e-6)
    assert fit.n_peaks == peaks.values.size and fit.rate == peaks.rate


def test_gpd_fit_on_lower_tail_peaks() -> None:
    x, _, _ = synthesize(7, duration=4 * 10800.0)
    peaks = ex.decluster_peaks(x, -1.5, 10.0, dt=0.5, tail="lower")
    fit = ex.fit_gpd(peaks)
    c, _, scale = stats.genpareto.fit(-1.5 - peaks.values, floc=0.0, optimizer=tight_fmin)
    assert fit.shape == pytest.approx(c, rel=1e-6) and fit.scale == pytest.approx(scale, rel=1e-6)
    # The lower-tail return level lies below the threshold.
    assert fit.return_level(10800.0) < -1.5


def test_pot_return_level_formula() -> None:
    fit = ex.PotFit("gpd", 0.15, 0.8, 2.0, "upper", 120, 0.01)
    duration, risk = 10800.0, 0.1
    q = -math.log(1 - risk) / (fit.rate * duration)
    assert fit.return_level(duration, risk) == pytest.approx(
        2.0 + stats.genpareto.isf(q, 0.15, scale=0.8), rel=1e-12
    )
    # Default risk 1 - 1/e: exceeded once on average in the duration.
    level = fit.return_level(duration)
    expected_exceedances = fit.rate * duration * stats.genpareto.sf(level - 2.0, 0.15, scale=0.8)
    assert expected_exceedances == pytest.approx(1.0, rel=1e-12)
    w = ex.PotFit("weibull", 1.3, 0.5, 2.0, "lower", 120, 0.01)
    assert w.return_level(duration, risk) == pytest.approx(
        2.0 - stats.weibull_min.isf(q, 1.3, scale=0.5), rel=1e-12
    )
    g0 = ex.PotFit("gpd", 0.0, 0.8, 0.0, "upper", 10, 0.01)
    assert g0.return_level(duration, risk) == pytest.approx(-0.8 * math.log(q), rel=1e-12)
    with pytest.raises(ValueError, match="too short"):
        fit.return_level(10.0, risk)


def test_pot_return_level_by_simulation() -> None:
    """Storms with Poisson(rate T) GPD peaks: the level is exceeded in a `risk` fraction."""
    fit = ex.PotFit("gpd", 0.1, 1.0, 0.0, "upper", 100, 0.01)
    duration, risk, storms = 10800.0, 0.1, 4000
    level = fit.return_level(duration, risk)
    rng = np.random.default_rng(42)
    counts = rng.poisson(fit.rate * duration, size=storms)
    maxima = np.array(
        [stats.genpareto.rvs(0.1, size=k, random_state=rng).max() if k else 0.0 for k in counts]
    )
    se = math.sqrt(risk * (1 - risk) / storms)
    assert abs(np.mean(maxima > level) - risk) < 3 * se


def test_return_level_ci_is_reproducible_and_brackets_the_value() -> None:
    fit = ex.fit_gpd(_response_peaks(3))
    a = ex.return_level_ci(fit, 10800.0, n_boot=200, seed=1)
    b = ex.return_level_ci(fit, 10800.0, n_boot=200, seed=1)
    assert a == b
    assert a.lower < a.value < a.upper
    assert a.value == fit.return_level(10800.0)
    wide = ex.return_level_ci(fit, 10800.0, n_boot=200, seed=1, level=0.99)
    assert wide.lower <= a.lower and wide.upper >= a.upper


def test_return_level_ci_coverage() -> None:
    """Over datasets from a known GPD, the 90 % bootstrap interval covers the true level.

    40 datasets of 150 peaks, 120 bootstrap resamples each. The percentile bootstrap is
    approximate for small samples; requiring >= 75 % coverage for a 90 % interval (binomial
    standard error 4.7 %) catches a broken interval (e.g. one built on the wrong distribution,
    or centred on the wrong level) without being flaky; seeds are fixed.
    """
    xi, sigma, n, rate, duration = 0.1, 1.0, 150, 0.01, 10800.0
    q = 1.0 / (rate * duration)
    truth = 3.0 + stats.genpareto.isf(q, xi, scale=sigma)
    covered = 0
    datasets = 40
    for i in range(datasets):
        y = stats.genpareto.rvs(xi, scale=sigma, size=n, random_state=1000 + i)
        shape, scale = ex.gpd_mle(y)
        fit = ex.PotFit("gpd", shape, scale, 3.0, "upper", n, rate)
        ci = ex.return_level_ci(fit, duration, level=0.9, n_boot=120, seed=i)
        covered += ci.lower <= truth <= ci.upper
    assert covered / datasets >= 0.75


# --- Gumbel -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_gumbel_fit_matches_scipy_ml(seed: int) -> None:
    rng = np.random.default_rng(seed)
    maxima = stats.gumbel_r.rvs(1500.0, 80.0, size=10 + 10 * seed, random_state=rng)
    fit = ex.fit_gumbel(maxima)
    loc, scale = stats.gumbel_r.fit(maxima)
    assert fit.loc == pytest.approx(loc, rel=1e-6) and fit.scale == pytest.approx(scale, rel=1e-6)
    minima = stats.gumbel_l.rvs(-300.0, 25.0, size=12 + 5 * seed, random_state=rng)
    low = ex.fit_gumbel(minima, tail="lower")
    loc_l, scale_l = stats.gumbel_l.fit(minima)
    assert low.loc == pytest.approx(loc_l, rel=1e-6)
    assert low.scale == pytest.approx(scale_l, rel=1e-6)


def test_gumbel_quantiles_and_design_values() -> None:
    up = ex.GumbelFit(loc=10.0, scale=2.0, tail="upper", n=10)
    low = ex.GumbelFit(loc=-5.0, scale=1.5, tail="lower", n=10)
    p = np.array([0.1, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(up.quantile(p), stats.gumbel_r.ppf(p, 10.0, 2.0), rtol=1e-12)
    np.testing.assert_allclose(low.quantile(p), stats.gumbel_l.ppf(p, -5.0, 1.5), rtol=1e-12)
    np.testing.assert_allclose(up.cdf(up.quantile(p)), p, rtol=1e-12)
    np.testing.assert_allclose(low.cdf(low.quantile(p)), p, rtol=1e-12)
    # 90 % non-exceedance maximum; for minima the value undercut with probability 10 %.
    assert up.extreme(0.9) == pytest.approx(stats.gumbel_r.ppf(0.9, 10.0, 2.0))
    assert low.extreme(0.9) == pytest.approx(stats.gumbel_l.ppf(0.1, -5.0, 1.5))
    assert low.extreme(0.9) < low.loc < up.loc < up.extreme(0.9)


def test_gumbel_of_seed_maxima_predicts_their_quantile() -> None:
    """Per-seed maxima of Gaussian seeds: the fitted 90 % value is exceeded by ~10 % of seeds."""
    maxima = np.array([synthesize(s, duration=3600.0)[0].max() for s in range(300)])
    fit = ex.fit_gumbel(maxima)
    assert abs(np.mean(maxima > fit.extreme(0.9)) - 0.1) < 3 * math.sqrt(0.09 / 300)


def test_fit_input_errors() -> None:
    with pytest.raises(ValueError):
        ex.gpd_mle([1.0])
    with pytest.raises(ValueError):
        ex.weibull_mle([1.0, -1.0])
    with pytest.raises(ValueError):
        ex.weibull_mle([2.0, 2.0, 2.0])
    with pytest.raises(ValueError):
        ex.fit_gumbel([3.0, 3.0])
    with pytest.raises(ValueError):
        ex.decluster_peaks(np.zeros(5), 1.0, 0)
