"""Spectral and distribution outputs against scipy.signal.welch, scipy.stats and numpy:
the spectrum and exceedance extractors, skewness/kurtosis/integrated statistics, band filters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import extract, first_archive, whole
from orcapost.api import ResultFileError
from orcapost.archive import Archive
from orcapost.plugins.extractors.exceedance import ExceedanceExtractor
from orcapost.plugins.extractors.fatigue import FatigueExtractor
from orcapost.plugins.extractors.spectrum import SpectrumExtractor, default_nperseg
from orcapost.plugins.extractors.statistics import StatisticsExtractor
from pydantic import ValidationError
from scipy import signal, stats


def extract_as_run(extractor_cls, path, **column):
    """One extractor on one archive, given the file view the engine gives it (filters)."""
    from orcapost.filtering import filtered_file
    from orcapost.plugins.sources.archive import ArchiveResultFile

    options = extractor_cls.Options.model_validate({"label": "x", **column})
    with ArchiveResultFile(path) as file:
        return extractor_cls(options).extract(filtered_file(file, options), options)


def _series(path, name="FPSO/Heave"):
    with Archive(path) as archive:
        mask = whole(archive)
        values = np.array(archive.column(name))[mask].astype(np.float64)
        time = np.asarray(archive.time, dtype=np.float64)[mask]
    return time, values


def test_skewness_kurtosis_and_integral_equal_scipy_and_the_trapezoid_sum(campaign):
    path = first_archive(campaign)
    out = extract(StatisticsExtractor, path, object="FPSO", variable="Heave",
                  statistics=["skewness", "kurtosis", "integrated"])
    t, x = _series(path)
    assert out["x skewness"] == pytest.approx(stats.skew(x, bias=True), rel=1e-12)
    assert out["x kurtosis"] == pytest.approx(stats.kurtosis(x, fisher=True, bias=True), rel=1e-12)
    # Hand formula: biased central moments, Fisher's excess kurtosis.
    d = x - x.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    assert out["x skewness"] == pytest.approx(m3 / m2**1.5, rel=1e-9)
    assert out["x kurtosis"] == pytest.approx(m4 / m2**2 - 3.0, rel=1e-9)
    trapezoid = float(np.sum(0.5 * (x[1:] + x[:-1]) * np.diff(t)))
    assert out["x integrated"] == pytest.approx(trapezoid, rel=1e-12, abs=1e-12)


def test_integral_of_a_known_series_is_exact():
    from orcapost.plugins.extractors.statistics import compute_statistics

    t = np.linspace(0.0, 10.0, 101)
    # The trapezoid rule is exact for a linear series: integral of 2t + 1 over [0, 10] = 110.
    assert compute_statistics(t, 2 * t + 1, ["integrated"])["integrated"] == pytest.approx(110.0)


def test_shape_statistics_of_a_constant_series_fail_with_the_reason():
    from orcapost.plugins.extractors.statistics import compute_statistics

    with pytest.raises(ResultFileError, match="constant"):
        compute_statistics(np.arange(5.0), np.full(5, 3.0), ["skewness"])


def test_spectrum_equals_scipy_welch_and_its_moments(campaign):
    path = first_archive(campaign)
    out = extract(SpectrumExtractor, path, object="FPSO", variable="Heave",
                  outputs=["m0", "m1", "m2", "m4", "hs", "tz", "tm01", "tp"])
    t, x = _series(path)
    fs = 1.0 / (t[1] - t[0])
    nperseg = default_nperseg(x.size)
    assert nperseg & (nperseg - 1) == 0 and nperseg <= x.size / 4 < 2 * nperseg
    f, p = signal.welch(x, fs=fs, nperseg=nperseg, noverlap=nperseg // 2, window="hann",
                        detrend="constant", scaling="density")
    table = out["x psd"]["columns"]
    np.testing.assert_allclose(table["frequency"], f, rtol=1e-12)
    np.testing.assert_allclose(table["psd"], p, rtol=1e-9)
    moments = {k: float(np.sum(0.5 * (f[1:] ** k * p[1:] + f[:-1] ** k * p[:-1]) * np.diff(f)))
               for k in (0, 1, 2, 4)}
    for k, value in moments.items():
        assert out[f"x m{k}"] == pytest.approx(value, rel=1e-9)
    assert out["x hs"] == pytest.approx(4 * np.sqrt(moments[0]), rel=1e-9)
    assert out["x tz"] == pytest.approx(np.sqrt(moments[0] / moments[2]), rel=1e-9)
    assert out["x tm01"] == pytest.approx(moments[0] / moments[1], rel=1e-9)
    assert out["x tp"] == pytest.approx(1 / f[1:][np.argmax(p[1:])], rel=1e-12)


def test_spectrum_of_a_sine_peaks_at_its_period():
    from orcapost.plugins.extractors.spectrum import SpectrumColumn, spectral_values, welch_psd

    t = np.arange(0, 2048, 0.5)
    x = 2.0 * np.sin(2 * np.pi * t / 12.8)  # 1/12.8 Hz is a Welch bin at nperseg 1024 (dt 0.5)
    column = SpectrumColumn(label="x", object="A", variable="B", nperseg=1024)
    f, p = welch_psd(t, x, column)
    out = spectral_values(f, p, ["tp", "m0", "tz"])
    assert out["tp"] == pytest.approx(12.8)
    assert out["m0"] == pytest.approx(2.0, rel=0.02)  # variance of 2 sin: 2
    assert out["tz"] == pytest.approx(12.8, rel=0.02)


def test_exceedance_table_is_the_empirical_survival_function(campaign):
    path = first_archive(campaign)
    out = extract(ExceedanceExtractor, path, object="FPSO", variable="Heave",
                  levels=[-1.0, 0.0, 0.5, 1.0])
    table = out["x exceedance"]["columns"]
    _, x = _series(path)
    expected = [(x > level).mean() for level in (-1.0, 0.0, 0.5, 1.0)]
    assert table["exceedance_probability"] == pytest.approx(expected, rel=0, abs=0)
    assert table["samples_above"] == [int((x > lv).sum()) for lv in (-1.0, 0.0, 0.5, 1.0)]
    counted = extract(ExceedanceExtractor, path, object="FPSO", variable="Heave", levels=5)
    grid = counted["x exceedance"]["columns"]
    np.testing.assert_array_equal(grid["level"], np.linspace(x.min(), x.max(), 5))
    assert grid["exceedance_probability"][-1] == 0.0
    assert grid["exceedance_probability"][0] == pytest.approx(1 - 1 / x.size)


def test_filters_equal_scipy_sosfiltfilt_in_every_series_extractor(campaign):
    path = first_archive(campaign)
    t, x = _series(path, "Mooring1/Effective Tension")
    x = x[:, -1]
    fs = 1.0 / (t[1] - t[0])
    for spec, btype, wn in (({"low_pass": 0.05}, "lowpass", 0.05),
                            ({"high_pass": 0.05}, "highpass", 0.05),
                            ({"band": [0.05, 0.3], "order": 2}, "bandpass", [0.05, 0.3])):
        sos = signal.butter(spec.get("order", 4), wn, btype=btype, fs=fs, output="sos")
        y = signal.sosfiltfilt(sos, x)
        out = extract_as_run(StatisticsExtractor, path, object="Mooring1",
                             variable="Effective Tension", position="End B",
                             statistics=["max", "std"], filter=spec)
        assert out["x max"] == pytest.approx(y.max(), rel=1e-12)
        assert out["x std"] == pytest.approx(y.std(), rel=1e-12)
    # The fatigue extractor counts the filtered series too (through the engine's file view).
    got = extract_as_run(FatigueExtractor, path, object="Mooring1", variable="Effective Tension",
                         position="End B", m=3.0, outputs=["max_range"],
                         filter={"low_pass": 0.05})
    low = signal.sosfiltfilt(signal.butter(4, 0.05, fs=fs, output="sos"), x)
    import rainflow

    assert got["x"] == max(r for r, *_ in rainflow.extract_cycles(low.tolist()))


def test_a_filter_above_nyquist_fails_with_the_reason(campaign):
    path = first_archive(campaign)
    with pytest.raises(ResultFileError, match="Nyquist"):
        extract_as_run(StatisticsExtractor, path, object="FPSO", variable="Heave",
                filter={"low_pass": 1e6})


@pytest.mark.parametrize(("spec", "message"), [
    ({}, "exactly one"),
    ({"low_pass": 0.1, "high_pass": 0.2}, "exactly one"),
    ({"band": [0.3, 0.1]}, "low < high"),
    ({"low_pass": -1}, "greater than 0"),
])
def test_bad_filters_are_config_errors(spec, message):
    with pytest.raises(ValidationError, match=message):
        StatisticsExtractor.Options(label="x", object="A", variable="B", filter=spec)


def test_a_run_filters_the_series_of_a_filtered_column(pm, campaign, tmp_path):
    """Through the engine (the file view is given in the task, not by the extractor)."""
    import pyarrow.csv as pacsv
    from orcapost.config import validate_data
    from orcapost.engine import Engine

    data = {"version": 2, "inputs": {"directory": str(campaign)},
            "results": {"lf": {"columns": [
                {"label": "lf", "kind": "statistics", "object": "Mooring1",
                 "variable": "Effective Tension", "position": "End B",
                 "statistics": ["max"], "filter": {"low_pass": 0.05}},
                {"label": "raw", "kind": "statistics", "object": "Mooring1",
                 "variable": "Effective Tension", "position": "End B", "statistics": ["max"]},
            ]}},
            "outputs": {"directory": str(tmp_path / "out"), "formats": ["csv"]}}
    loaded = validate_data(data, pm.registry, source="test")
    summary = Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls()).run()
    assert summary.exit_code == 0
    rows = {Path(r["file"]).name: r for r in pacsv.read_csv(tmp_path / "out" / "lf.csv").to_pylist()}
    path = first_archive(campaign)
    t, x = _series(path, "Mooring1/Effective Tension")
    sos = signal.butter(4, 0.05, fs=1.0 / (t[1] - t[0]), output="sos")
    row = rows[path.name]
    assert row["lf"] == pytest.approx(signal.sosfiltfilt(sos, x[:, -1]).max(), rel=1e-9)
    assert row["raw"] == pytest.approx(x[:, -1].max(), rel=1e-6)


def test_skewness_swaps_no_process_wide_warning_state(monkeypatch):
    """Files run on several threads at once: skewness ignored scipy's precision-loss warning
    with warnings.catch_warnings, which swaps the process's filter list (not thread-safe before
    Python 3.14): meanwhile every other thread's RuntimeWarning was ignored (missing from the
    run report), and two such blocks interleaved left ``ignore RuntimeWarning`` in place for
    the rest of the run. A constant series is caught before scipy is asked."""
    import warnings

    from orcapost.plugins.extractors import statistics as module
    from scipy import stats

    def swapped(*args, **kwargs):
        raise AssertionError("warnings.catch_warnings swaps process-wide state")

    monkeypatch.setattr(warnings, "catch_warnings", swapped)
    ramp = np.linspace(0.0, 1.0, 101) ** 2
    assert module._shape(ramp, "skewness") == pytest.approx(stats.skew(ramp, bias=True))
    for name in ("skewness", "kurtosis"):
        with pytest.raises(ResultFileError, match=f"{name} is undefined: the series is "
                                                  "constant"):
            module._shape(np.full(50, 3.5), name)
