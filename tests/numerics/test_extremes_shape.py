"""GPD shapes <= -1 are refused (no likelihood maximum), valid shapes match scipy's ML fit, and
the goodness-of-fit figures are scipy's Kolmogorov-Smirnov test."""

from __future__ import annotations

import numpy as np
import pytest
from orcapost.numerics import extremes as ev
from scipy import optimize, stats


def tight_fmin(func, x0, args=(), disp=0):
    return optimize.fmin(func, x0, args=args, xtol=1e-11, ftol=1e-13, maxiter=20000,
                         maxfun=20000, disp=0)


def test_gpd_never_reports_a_shape_at_or_below_minus_one():
    refused = 0
    for seed in range(200):
        y = stats.genpareto.rvs(-1.5, scale=1.0, size=200, random_state=seed)
        try:
            xi, _ = ev.gpd_mle(y[y > 0])
        except ev.NoMaximumError as exc:
            assert "shape <= -1" in str(exc) or "no interior maximum" in str(exc)
            refused += 1
            continue
        assert xi > -1.0
    assert refused >= 190  # with 200 excesses the likelihood almost never has a maximum


@pytest.mark.parametrize("shape", [-0.7, -0.4, 0.0, 0.3])
@pytest.mark.parametrize("seed", range(5))
def test_gpd_valid_shapes_match_scipy(shape, seed):
    y = stats.genpareto.rvs(shape, scale=2.0, size=400, random_state=seed)
    xi, sigma = ev.gpd_mle(y)
    c, _, scale = stats.genpareto.fit(y, xi, floc=0.0, scale=sigma, optimizer=tight_fmin)
    ours = stats.genpareto.logpdf(y, xi, scale=sigma).sum()
    theirs = stats.genpareto.logpdf(y, c, scale=scale).sum()
    assert ours >= theirs - 1e-9 * abs(theirs)  # never a lower likelihood than scipy's
    assert xi == pytest.approx(c, abs=1e-5)
    assert sigma == pytest.approx(scale, rel=1e-5)


@pytest.mark.parametrize("distribution", ["gpd", "weibull"])
def test_excess_cdf_and_ks_are_scipys(distribution):
    if distribution == "gpd":
        y = stats.genpareto.rvs(-0.2, scale=1.5, size=300, random_state=3)
        shape, scale = ev.gpd_mle(y)
        law = stats.genpareto(shape, scale=scale)
    else:
        y = stats.weibull_min.rvs(1.3, scale=1.5, size=300, random_state=3)
        shape, scale = ev.weibull_mle(y)
        law = stats.weibull_min(shape, scale=scale)
    fit = ev.PotFit(distribution, shape, scale, 0.0, "upper", y.size, 1.0)
    probe = np.linspace(0.0, y.max() * 1.5, 50)
    np.testing.assert_allclose(fit.excess_cdf(probe), law.cdf(probe), rtol=1e-12, atol=1e-15)
    test = ev.goodness_of_fit(fit, y)
    reference = stats.kstest(y, law.cdf)
    assert test.n == y.size
    assert test.ks_statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert test.p_value == pytest.approx(reference.pvalue, rel=1e-9)


def test_ks_p_value_flags_a_clear_misfit():
    # Exponential data fitted as a GPD is fine; the same fit tested on uniform data is not.
    y = stats.expon.rvs(size=400, random_state=4)
    fit = ev.fit_gpd(ev.Peaks(y, np.arange(y.size), 0.0, "upper", 4000.0))
    assert ev.goodness_of_fit(fit, y).p_value > 0.01
    assert ev.goodness_of_fit(fit, np.linspace(0.01, 4.0, 400)).p_value < 1e-6


@pytest.mark.parametrize("tail", ["upper", "lower"])
def test_gumbel_ks_is_scipys(tail):
    x = stats.gumbel_r.rvs(loc=3.0, scale=0.5, size=80, random_state=5)
    x = x if tail == "upper" else -x
    fit = ev.fit_gumbel(x, tail)
    law = (stats.gumbel_r if tail == "upper" else stats.gumbel_l)(fit.loc, fit.scale)
    assert ev.goodness_of_fit(fit, x).p_value == pytest.approx(stats.kstest(x, law.cdf).pvalue,
                                                                rel=1e-9)


def test_a_bounded_tail_is_refused_from_the_scan_before_any_refinement(monkeypatch):
    # Shapes <= -1 lie at small t (xi grows with t): when the best admissible grid point borders
    # them, the likelihood has no maximum and the refinement must not run on that bracket.
    def refine(*args, **kwargs):
        raise AssertionError("refined a bracket that reaches shapes <= -1")

    monkeypatch.setattr(optimize, "brentq", refine)
    monkeypatch.setattr(optimize, "minimize_scalar", refine)
    y = stats.genpareto.rvs(-1.5, scale=1.0, size=200, random_state=0)
    with pytest.raises(ev.NoMaximumError, match="shape <= -1"):
        ev.gpd_mle(y[y > 0])


@pytest.mark.parametrize("excesses", [
    [0.05569893, 0.98605357, 0.11403685],
    [0.036, 0.069, 0.484, 0.396, 0.829, 0.085, 0.269, 0.835, 0.66, 0.589, 1.252, 0.116, 0.204,
     0.656, 0.656, 1.508, 1.495, 0.687, 0.957, 0.853],
])
def test_a_stationary_point_below_the_bounded_tail_edge_is_refused(excesses):
    """These excesses have a stationary point of the likelihood (xi 0.52 and -0.77, as scipy's
    genpareto.fit finds), but the likelihood is higher still as xi -> -1 (the uniform on
    [0, max]): a local maximum reported as the fit, a heavy tail for a bounded one."""
    y = np.asarray(excesses)
    uniform = -y.size * np.log(y.max())
    xi, sigma = stats.genpareto.fit(y, floc=0)[0], stats.genpareto.fit(y, floc=0)[2]
    assert np.sum(stats.genpareto.logpdf(y, xi, 0, sigma)) < uniform  # the premise
    with pytest.raises(ev.NoMaximumError, match="shape <= -1"):
        ev.gpd_mle(y)
