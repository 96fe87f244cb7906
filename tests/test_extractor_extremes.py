"""extremes: closed forms, scipy.stats maximum likelihood on the same peaks, and a statistical
test of the Rayleigh MPM on long Gaussian series made the way the demo makes its waves."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import extract, first_archive, whole
from orcapost.archive import Archive
from orcapost.demo import jonswap
from orcapost.errors import ResultFileError
from orcapost.plugins.extractors.extremes import ExtremesColumn, ExtremesExtractor, analyse
from pydantic import ValidationError
from scipy import optimize, stats

EULER_GAMMA = 0.5772156649015329


def tight_fmin(func, x0, args=(), disp=0):
    # scipy's default fit optimizer stops at xtol 1e-4; tightened, its ML fit resolves to 1e-7.
    return optimize.fmin(func, x0, args=args, xtol=1e-11, ftol=1e-13, maxiter=20000,
                         maxfun=20000, disp=0)


def gaussian_sea(seed: int, duration: float = 10800.0, dt: float = 0.5, hs: float = 4.0,
                 tp: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """A JONSWAP elevation record by random phases and an inverse FFT, as the demo does."""
    n = int(duration / dt)
    omega = 2 * np.pi * np.fft.rfftfreq(n, dt)
    amplitude = np.sqrt(2 * jonswap(omega, hs, tp) * 2 * np.pi / (n * dt))
    phases = np.random.default_rng(seed).uniform(0, 2 * np.pi, omega.size)
    x = np.fft.irfft((n / 2) * amplitude * np.exp(1j * phases), n=n)
    return np.arange(n) * dt, x


def _column(**options) -> ExtremesColumn:
    return ExtremesColumn(label="x", object="FPSO", variable="Heave", **options)


def _tz(x: np.ndarray, dt: float) -> float:
    # Independent of the library: m0 = variance, m2 = variance of the derivative (differences).
    return 2 * math.pi * math.sqrt(np.var(x) / (np.var(np.diff(x)) / dt**2))


def test_rayleigh_mpm_and_risk_form_equal_the_closed_forms_on_an_archive(campaign):
    path = first_archive(campaign)
    mpm = extract(ExtremesExtractor, path, object="FPSO", variable="Heave", details=True)
    risky = extract(ExtremesExtractor, path, object="FPSO", variable="Heave", risk=0.1)
    low = extract(ExtremesExtractor, path, object="FPSO", variable="Heave", tail="lower")
    with Archive(path) as archive:
        mask = whole(archive)
        time = archive.time[mask]
        x = np.array(archive.column("FPSO/Heave"))[mask].astype(np.float64)
    dt = (time[-1] - time[0]) / (time.size - 1)
    mean, std, tz = x.mean(), x.std(), _tz(x, dt)
    n = 10800.0 / tz
    assert mpm["x tz"] == pytest.approx(tz, rel=1e-9)
    assert mpm["x"] == pytest.approx(mean + std * math.sqrt(2 * math.log(n)), rel=1e-9)
    assert risky["x"] == pytest.approx(
        mean + std * math.sqrt(2 * math.log(-n / math.log(1 - 0.1))), rel=1e-9)
    assert low["x"] == pytest.approx(mean - std * math.sqrt(2 * math.log(n)), rel=1e-9)


def test_rayleigh_mpm_predicts_the_maxima_of_long_gaussian_series():
    """Over 120 independent 3-hour seeds the Cramér model says: P(max <= MPM) = 1/e, and
    E[max] = mean + std (sqrt(2 ln n) + gamma / sqrt(2 ln n)). Tolerances are about 3 standard
    errors: 0.13 on the fraction (binomial, n = 120) and 0.1 std on the mean maximum (the
    maximum's spread is ~0.33 std per seed)."""
    column = _column()
    below, excess, expected = [], [], []
    for seed in range(120):
        time, x = gaussian_sea(seed)
        mpm = analyse(time, x, column)["value"]
        below.append(x.max() <= mpm)
        std = x.std()
        root = math.sqrt(2 * math.log(10800.0 / _tz(x, 0.5)))
        excess.append((x.max() - x.mean()) / std)
        expected.append(root + EULER_GAMMA / root)
    assert np.mean(below) == pytest.approx(math.exp(-1), abs=0.13)
    assert np.mean(excess) == pytest.approx(np.mean(expected), abs=0.1)


def _cluster_peaks(x: np.ndarray, threshold: float) -> np.ndarray:
    """Peaks of runs above the threshold (a run ends at the first sample not above it)."""
    above = x > threshold
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(int), [0]])))
    return np.array([x[a:b].max() for a, b in zip(edges[::2], edges[1::2], strict=True)])


@pytest.mark.parametrize("method", ["gpd", "weibull"])
def test_peaks_over_threshold_fits_equal_scipy_maximum_likelihood(method):
    time, x = gaussian_sea(7, duration=3 * 10800.0)
    column = _column(method=method, threshold_quantile=0.97, details=True)
    out = analyse(time, x, column)
    threshold = float(np.quantile(x, 0.97))
    peaks = _cluster_peaks(x, threshold)
    assert out["threshold"] == threshold and out["peaks"] == peaks.size
    dist = stats.genpareto if method == "gpd" else stats.weibull_min
    c, loc, scale = dist.fit(peaks - threshold, floc=0.0, optimizer=tight_fmin)
    assert out["shape"] == pytest.approx(c, rel=1e-6)
    assert out["scale"] == pytest.approx(scale, rel=1e-6)
    # Return level: exceeded once on average in the storm (Poisson peaks at the observed rate).
    rate = peaks.size / (x.size * 0.5)
    level = threshold + dist.isf(1.0 / (rate * 10800.0), c, 0.0, scale)
    assert out["value"] == pytest.approx(level, rel=1e-6)


def test_pot_confidence_interval_brackets_the_return_level():
    time, x = gaussian_sea(3, duration=2 * 10800.0)
    out = analyse(time, x, _column(method="gpd", threshold_quantile=0.95, confidence=0.9,
                                   bootstrap=60))
    assert out["lower"] < out["value"] < out["upper"]


@pytest.mark.parametrize("tail", ["upper", "lower"])
def test_gumbel_block_maxima_fit_equals_scipy(tail):
    time, x = gaussian_sea(11, duration=4 * 3600.0)
    out = analyse(time, x, _column(method="gumbel", block=600.0, tail=tail, details=True))
    blocks = x[: (x.size // 1200) * 1200].reshape(-1, 1200)
    if tail == "upper":
        loc, scale = stats.gumbel_r.fit(blocks.max(axis=1), optimizer=tight_fmin)
        storm = loc + scale * math.log(10800.0 / 600.0)
    else:
        loc, scale = stats.gumbel_l.fit(blocks.min(axis=1), optimizer=tight_fmin)
        storm = loc - scale * math.log(10800.0 / 600.0)
    assert out["loc"] == pytest.approx(loc, rel=1e-6)
    assert out["scale"] == pytest.approx(scale, rel=1e-6)
    assert out["value"] == pytest.approx(storm, rel=1e-6)  # the mode of the storm extreme
    # Gumbel is the GEV with shape 0; scipy's genextreme c is minus the usual xi.
    if tail == "upper":
        assert stats.genextreme.pdf(1.0, 0.0, loc, scale) == pytest.approx(
            stats.gumbel_r.pdf(1.0, loc, scale))


def test_too_few_peaks_is_a_per_file_error(campaign):
    with pytest.raises(ResultFileError, match="FPSO / Heave"):
        extract(ExtremesExtractor, first_archive(campaign), object="FPSO", variable="Heave",
                method="gpd", threshold=1e6)


def test_confidence_only_for_fitted_peaks():
    with pytest.raises(ValidationError, match="confidence"):
        _column(method="rayleigh", confidence=0.9)


@pytest.mark.parametrize("method", ["rayleigh", "gpd", "weibull", "gumbel"])
def test_a_constant_series_is_its_own_extreme(method):
    time = np.arange(5000) * 0.5
    out = analyse(time, np.full(time.size, 3.25), _column(method=method, details=True))
    assert out == {"value": 3.25}


def test_gpd_on_a_bounded_lower_tail_fails_instead_of_passing_the_bound():
    # A response that never goes below -1 (a slack line's tension floor): GPD shape -1.5 minima.
    rng = np.random.default_rng(0)
    x = -1.0 + 1.0 - stats.genpareto.rvs(-1.5, size=4000, random_state=rng)  # in [-1, ...)
    time = np.arange(x.size) * 0.5
    column = _column(method="gpd", tail="lower", threshold_quantile=0.9)
    with pytest.raises(ValueError, match="shape <= -1"):
        analyse(time, x, column)


@pytest.mark.parametrize("method", ["gpd", "weibull", "gumbel"])
def test_goodness_of_fit_reports_peaks_and_scipys_ks_p_value(method):
    time, x = gaussian_sea(3)
    got = analyse(time, x, _column(method=method, goodness_of_fit=True, details=True))
    assert set(got) >= {"value", "ks p-value"}
    assert 0.0 <= got["ks p-value"] <= 1.0
    if method == "gumbel":
        maxima = x[: int(got["blocks"]) * 1200].reshape(-1, 1200).max(axis=1)
        law = stats.gumbel_r(got["loc"], got["scale"])
        assert got["ks p-value"] == pytest.approx(stats.kstest(maxima, law.cdf).pvalue, rel=1e-9)
    else:
        assert got["peaks"] >= 2


def test_goodness_of_fit_is_refused_for_rayleigh():
    with pytest.raises(ValidationError, match="goodness_of_fit applies"):
        _column(method="rayleigh", goodness_of_fit=True)


def test_an_unevenly_sampled_record_is_refused_not_mistimed(tmp_path):
    """0.1 s steps, then 1 s: the mean step (neither) timed the zero crossings, so Rayleigh's
    Tz and MPM were wrong with status ok. Refused as a spectrum or a filter refuses it."""
    from orcapost.archive import ObjectData, SimulationData, Stage, TimeVariable, write_archive

    time = np.concatenate([np.arange(0.0, 300.0, 0.1), np.arange(300.0, 1800.01, 1.0)])
    heave = np.sin(2 * np.pi * time / 9.8)
    sim = SimulationData(time=time, stages=[Stage(0, -10.0, 0.0), Stage(1, 0.0, 1800.0)],
                         objects=[ObjectData("FPSO", "Vessel",
                                             [TimeVariable("Heave", "m", heave)])])
    path = write_archive(tmp_path / "uneven.arrow", sim)
    with pytest.raises(ResultFileError, match="constant sample interval"):
        extract(ExtremesExtractor, path, object="FPSO", variable="Heave", method="rayleigh")
