"""The Rayleigh method warns, in the run report, when a series clearly breaks its assumptions
(issue 12): a trend and a step, a non-Gaussian series, a storm far longer than the record. The
tests' figures against independent references (scipy), and through a run."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pyarrow.csv as pacsv
import pytest
from orcapost.archive import ObjectData, SimulationData, Stage, TimeVariable, write_archive
from orcapost.config import validate_data
from orcapost.engine import Engine
from orcapost.names import RUN_REPORT_NAME
from orcapost.numerics.assumptions import (
    RayleighAssumptionWarning,
    check_rayleigh,
    reverse_arrangements,
    reverse_arrangements_z,
)
from orcapost.numerics.extremes import spectral_moments
from scipy import stats

DT = 0.5
TIME = np.arange(0.0, 10800.0, DT)


def _gaussian(seed: int = 1) -> np.ndarray:
    """A stationary Gaussian sea-state response, unit std (as benchmarks/bench_rayleigh_checks:
    random-phase components at random frequencies, so the record is not periodic)."""
    rng = np.random.default_rng(seed)
    f = np.sort(rng.uniform(0.05, 0.3, 300))
    amplitude = np.sqrt(2 * np.exp(-(((f - 0.1) / 0.03) ** 2)) * np.gradient(f))
    phase = rng.uniform(0, 2 * np.pi, f.size)
    x = (amplitude[:, None] * np.cos(2 * np.pi * f[:, None] * TIME + phase[:, None])).sum(0)
    return x / x.std()


def _trend_and_step(seed: int = 1) -> np.ndarray:
    return _gaussian(seed) + 2.0 * TIME / TIME[-1] + 2.0 * (TIME > TIME[-1] / 2)


@pytest.mark.parametrize("seed", range(5))
def test_reverse_arrangements_is_kendalls_tau_against_time(seed):
    values = np.random.default_rng(seed).normal(size=20)
    k = values.size
    brute = sum(values[i] > values[j] for i in range(k) for j in range(i + 1, k))
    assert reverse_arrangements(values) == brute
    tau = stats.kendalltau(np.arange(k), values).statistic
    assert brute == pytest.approx(k * (k - 1) / 2 * (1 - tau) / 2)  # no ties
    # Bendat & Piersol Table A.6, k = 20: 5 % acceptance region 64 < A <= 125.
    assert abs(reverse_arrangements_z(np.arange(20.0)[::-1])) > 3.29  # A = 190
    assert reverse_arrangements_z(np.arange(20.0)) == pytest.approx(-95 / np.sqrt(237.5))


def test_skewness_and_kurtosis_are_scipys():
    x = np.random.default_rng(3).gamma(2.0, size=5000)
    checks = check_rayleigh(x, DT, 100.0, tz=1.0)
    assert checks.skewness == pytest.approx(stats.skew(x), rel=1e-10)
    assert checks.excess_kurtosis == pytest.approx(stats.kurtosis(x), rel=1e-10)
    assert any("not Gaussian: skewness" in p for p in checks.problems())


def test_a_stationary_gaussian_series_passes_every_check():
    for seed in range(5):
        x = _gaussian(seed)
        checks = check_rayleigh(x, DT, 10800.0, spectral_moments(x, DT).tz)
        assert checks.segments == 20 and checks.problems() == [], checks


def test_a_sine_is_not_gaussian_and_a_short_record_is_an_extrapolation():
    sine = np.sin(2 * np.pi * TIME / 10.0)
    (problem,) = check_rayleigh(sine, DT, 10800.0, 10.0).problems()
    assert problem == "not Gaussian: excess kurtosis -1.50 (|excess kurtosis| > 1)"
    short = _gaussian()[:1200]  # 600 s for a 3-hour storm
    checks = check_rayleigh(short, DT, 10800.0, spectral_moments(short, DT).tz)
    assert checks.problems() == ["the storm (10800 s) is 18.0 times the record (600 s), more "
                                 "than 10 times"]


def test_the_extractor_warns_with_the_series_and_the_figure():
    from orcapost.plugins.extractors.extremes import ExtremesColumn, analyse

    column = ExtremesColumn(label="x", object="FPSO", variable="Heave")
    with pytest.warns(RayleighAssumptionWarning, match=r"Rayleigh method on FPSO / Heave: not "
                      r"stationary: .* means of 20 equal segments gives z = -\d"):
        analyse(TIME, _trend_and_step(), column, what="FPSO / Heave")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analyse(TIME, _gaussian(), column)


def _archive(path, heave):
    return write_archive(path, SimulationData(
        time=TIME, stages=[Stage(0, -10.0, 0.0), Stage(1, 0.0, float(TIME[-1]))],
        objects=[ObjectData("FPSO", "Vessel", [TimeVariable("Heave", "m", heave)])]))


def test_a_trend_and_a_step_warn_in_the_run_report_and_a_gaussian_series_does_not(pm, tmp_path):
    campaign = tmp_path / "campaign"
    campaign.mkdir()
    drifting, steady = _trend_and_step(), _gaussian()
    _archive(campaign / "drifting.arrow", drifting)
    _archive(campaign / "steady.arrow", steady)
    out = tmp_path / "out"
    config = {"version": 2, "inputs": {"directory": str(campaign)},
              "results": {"motions": {"columns": [
                  {"label": "heave mpm", "kind": "extremes", "object": "FPSO",
                   "variable": "Heave"}]}},
              "outputs": {"directory": str(out), "formats": ["csv"]}}
    summary = Engine(pm, validate_data(config, pm.registry)).run()
    assert summary.exit_code == 0
    report = json.loads((out / RUN_REPORT_NAME).read_text(encoding="utf-8"))
    (row,) = report["warnings"]  # the drifting file's; none for the steady one
    assert row["file"].endswith("drifting.arrow")
    assert (row["group"], row["column"], row["count"]) == ("motions", "heave mpm", 1)
    assert row["category"] == "RayleighAssumptionWarning"
    assert "FPSO / Heave: not stationary" in row["message"] and "z = -" in row["message"]
    # The value it warns about: an MPM above anything the drifting series reached.
    table = pacsv.read_csv(out / "motions.csv").to_pydict()
    values = dict(zip(table["file"], table["heave mpm"], strict=True))
    assert values["drifting.arrow"] > drifting.max()
    assert f"{values['drifting.arrow']:.6g}" in row["message"]
    assert f"{drifting.max():.6g}" in row["message"]
