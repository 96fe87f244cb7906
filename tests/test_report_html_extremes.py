"""The extremes extractor's ``sample_output`` table (the values a fit was made to, with the
fit) and the report's figure of the fit against those data."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import extract, first_archive
from orcapost.plugins.extractors.extremes import ExtremesExtractor
from pydantic import ValidationError
from test_extractor_extremes import _cluster_peaks, _column, gaussian_sea

SAMPLE = "x extremes sample"


def test_the_sample_table_holds_the_peaks_fitted_and_the_fit(campaign):
    out = extract(ExtremesExtractor, first_archive(campaign), object="FPSO", variable="Heave",
                  method="weibull", threshold_quantile=0.8, details=True, sample_output=True)
    table = out[SAMPLE]["columns"]
    n = len(table["value"])
    assert n == out["x peaks"] >= 2  # one row per peak the fit used
    assert set(table["method"]) == {"weibull"} and set(table["tail"]) == {"upper"}
    assert table["shape"] == [out["x shape"]] * n and table["scale"] == [out["x scale"]] * n
    assert table["threshold"] == [out["x threshold"]] * n
    assert all(math.isnan(v) for v in table["loc"])
    assert min(table["value"]) > out["x threshold"]


def test_the_sample_of_a_pot_fit_is_the_declustered_peaks():
    from orcapost.plugins.extractors.extremes import analyse

    time, x = gaussian_sea(3, duration=3600.0)
    fitted: dict = {}
    analyse(time, x, _column(method="gpd", threshold_quantile=0.95), sample=fitted)
    peaks = _cluster_peaks(x, float(np.quantile(x, 0.95)))
    np.testing.assert_array_equal(np.sort(fitted["value"]), np.sort(peaks))


def test_a_gumbel_sample_is_the_block_maxima():
    from orcapost.plugins.extractors.extremes import analyse

    time, x = gaussian_sea(5, duration=3600.0, dt=0.5)
    fitted: dict = {}
    analyse(time, x, _column(method="gumbel", block=600.0, details=True), sample=fitted)
    np.testing.assert_array_equal(fitted["value"], x[:7200].reshape(6, 1200).max(axis=1))
    assert {"loc", "scale"} <= set(fitted) and "shape" not in fitted


def test_sample_output_is_refused_for_rayleigh():
    with pytest.raises(ValidationError, match="sample_output applies to the weibull"):
        _column(method="rayleigh", sample_output=True)
    assert SAMPLE in _column(method="gpd", sample_output=True).output_names()
    assert SAMPLE not in _column(method="gpd").output_names()


def test_the_report_draws_the_fit_against_the_data_of_the_most_extreme_file(tmp_path):
    pytest.importorskip("matplotlib", reason="the HTML report needs matplotlib")
    from orcapost.api import ReportConfig
    from orcapost.plugins.commands.report_html import draw, plan

    rows = {"file": ["A"] * 3 + ["B"] * 3, "object": ["FPSO"] * 6, "variable": ["Heave"] * 6,
            "method": ["gpd"] * 6, "tail": ["upper"] * 6,
            "value": [2.0, 2.5, 3.0, 2.2, 2.8, 4.0], "shape": [0.1] * 6, "scale": [0.5] * 6,
            "loc": [math.nan] * 6, "threshold": [1.8] * 6}
    pq.write_table(pa.table(rows), tmp_path / "vessel_x_extremes_sample.parquet")
    options = ReportConfig(timeline=False)
    (_, figure), = list(draw(plan(tmp_path, options), {}, options))
    ax = figure.figure.axes[0]
    data, curve = ax.get_lines()[0], ax.get_lines()[1]
    np.testing.assert_array_equal(data.get_xdata(), [4.0, 2.8, 2.2])  # file B, most extreme first
    np.testing.assert_allclose(data.get_ydata(), [0.25, 0.5, 0.75])
    # The curve is the GPD survival function of the excess: (1 + xi y / sigma)^(-1/xi).
    x, y = curve.get_xdata(), curve.get_ydata()
    np.testing.assert_allclose(y, (1 + 0.1 * (x - 1.8) / 0.5) ** (-1 / 0.1), rtol=1e-12)
    assert "B" in figure.caption and "gpd" in figure.caption


def test_the_sample_table_carries_the_series_unit(campaign):
    # The values, the scale, loc and threshold are in the series' unit (the shape has none): the
    # table carried no units, so the report's fit figure had a level axis without its unit.
    out = extract(ExtremesExtractor, first_archive(campaign), object="FPSO", variable="Heave",
                  method="weibull", threshold_quantile=0.8, sample_output=True)
    assert out[SAMPLE].get("units") == {"value": "m", "scale": "m", "loc": "m",
                                        "threshold": "m", "shape": "-"}
