"""fatigue, wind-energy conventions: 1 Hz DEL, several slopes, residue, Goodman, range-mean
matrix, each against a reference built here from the `rainflow` package's cycles and numpy."""

from __future__ import annotations

import numpy as np
import pytest
import rainflow
from helpers import extract, first_archive, whole
from orcapost.api import ResultFileError
from orcapost.archive import Archive
from orcapost.plugins.extractors.fatigue import FatigueExtractor
from pydantic import ValidationError


def _series(path, name: str, node: int | None = None):
    with Archive(path) as archive:
        mask = whole(archive)
        values = np.array(archive.column(name))[mask].astype(np.float64)
        time = np.asarray(archive.time)[mask]
    return time, (values if node is None else values[:, node])


def _cycles(x):
    return np.array(list(rainflow.extract_cycles(x.tolist())))  # range, mean, count, i0, i1


def _del(ranges, counts, m, n_eq):
    return float((np.sum(counts * ranges**m) / n_eq) ** (1 / m))


def test_n_eq_per_second_is_the_record_duration(campaign):
    path = first_archive(campaign)
    out = extract(FatigueExtractor, path, object="FPSO", variable="Heave", m=4.0,
                  n_eq="per_second", outputs=["del", "duration"])
    time, heave = _series(path, "FPSO/Heave")
    c = _cycles(heave)
    duration = float(time[-1] - time[0])
    assert out["x duration"] == duration
    assert out["x del"] == pytest.approx(_del(c[:, 0], c[:, 2], 4.0, duration), rel=1e-12)


def test_several_slopes_give_one_named_output_each(campaign):
    path = first_archive(campaign)
    options = {"object": "FPSO", "variable": "Heave", "m": [4.0, 10.0], "n_eq": 1e6}
    out = extract(FatigueExtractor, path, **options)
    _, heave = _series(path, "FPSO/Heave")
    c = _cycles(heave)
    assert set(out) == {"x del m4", "x del m10"}
    assert out["x del m4"] == pytest.approx(_del(c[:, 0], c[:, 2], 4.0, 1e6), rel=1e-12)
    assert out["x del m10"] == pytest.approx(_del(c[:, 0], c[:, 2], 10.0, 1e6), rel=1e-12)
    column = FatigueExtractor.Options.model_validate({"label": "x", **options})
    assert column.output_names() == ["x del m4", "x del m10"]
    # One slope in a list is the plain `del`, as a float slope.
    single = extract(FatigueExtractor, path, object="FPSO", variable="Heave", m=[4.0], n_eq=1e6)
    assert single == {"x": out["x del m4"]}


def test_residue_full_counts_half_cycles_as_whole(campaign):
    path = first_archive(campaign)
    _, heave = _series(path, "FPSO/Heave")
    c = _cycles(heave)
    assert (c[:, 2] == 0.5).any()  # the test means something only with half cycles
    half = extract(FatigueExtractor, path, object="FPSO", variable="Heave", m=3.0,
                   outputs=["del", "cycles"])
    full = extract(FatigueExtractor, path, object="FPSO", variable="Heave", m=3.0,
                   residue="full", outputs=["del", "cycles"])
    assert half["x cycles"] == c[:, 2].sum()
    assert full["x cycles"] == float(len(c))
    assert half["x del"] == pytest.approx(_del(c[:, 0], c[:, 2], 3.0, 1e7), rel=1e-12)
    assert full["x del"] == pytest.approx(_del(c[:, 0], np.ones(len(c)), 3.0, 1e7), rel=1e-12)


def test_goodman_correction_is_the_hand_formula(campaign):
    path = first_archive(campaign)
    _, tension = _series(path, "Mooring1/Effective Tension", node=-1)
    c = _cycles(tension)
    ultimate = 4.0 * float(np.max(np.abs(tension)))
    out = extract(FatigueExtractor, path, object="Mooring1", variable="Effective Tension",
                  position="End B", m=3.0, goodman={"ultimate": ultimate})
    expected = 0.0
    for rng, mean, count, _, _ in c:  # S' = S / (1 - Sm / Su), cycle by cycle
        expected += count * (rng / (1.0 - mean / ultimate)) ** 3
    assert out["x"] == pytest.approx((expected / 1e7) ** (1 / 3), rel=1e-12)
    # Tension means are positive: the correction raises the DEL.
    plain = extract(FatigueExtractor, path, object="Mooring1", variable="Effective Tension",
                    position="End B", m=3.0)
    assert out["x"] > plain["x"]


def test_goodman_mean_at_the_ultimate_fails_with_the_reason(campaign):
    path = first_archive(campaign)
    with pytest.raises(ResultFileError, match="reaches the ultimate"):
        extract(FatigueExtractor, path, object="Mooring1", variable="Effective Tension",
                position="End B", m=3.0, goodman={"ultimate": 1e-3})


def test_range_mean_matrix_is_numpy_histogram2d_of_the_cycles(campaign):
    path = first_archive(campaign)
    r_edges, m_edges = [0, 0.5, 1.0, 5.0], [-3.0, -0.5, 0.0, 0.5, 3.0]
    out = extract(FatigueExtractor, path, object="FPSO", variable="Heave", outputs=["cycles"],
                  matrix={"range_bins": r_edges, "mean_bins": m_edges})
    table = out["x range-mean matrix"]["columns"]
    _, heave = _series(path, "FPSO/Heave")
    c = _cycles(heave)
    expected, _, _ = np.histogram2d(c[:, 0], c[:, 1], bins=[r_edges, m_edges], weights=c[:, 2])
    assert len(table["cycles"]) == expected.size
    got = np.zeros_like(expected)
    for lo, mlo, n in zip(table["range_low"], table["mean_low"], table["cycles"], strict=True):
        got[r_edges.index(lo), m_edges.index(mlo)] = n
    np.testing.assert_array_equal(got, expected)
    assert sum(table["cycles"]) == out["x"]  # every cycle inside the edges


def test_range_mean_matrix_edges_that_miss_cycles_gain_bins_that_count_them(campaign):
    """Edges inside the cycles' ranges and means: numpy's histogram2d dropped every cycle
    outside them, silently. Every cycle is counted, in bins out to the extreme range and mean."""
    path = first_archive(campaign)
    out = extract(FatigueExtractor, path, object="FPSO", variable="Heave", outputs=["cycles"],
                  matrix={"range_bins": [0.2, 0.4], "mean_bins": [-0.05, 0.05]})
    table = out["x range-mean matrix"]["columns"]
    _, heave = _series(path, "FPSO/Heave")
    c = _cycles(heave)
    assert c[:, 0].max() > 0.4 and c[:, 1].min() < -0.05 and c[:, 1].max() > 0.05  # premise
    assert sum(table["cycles"]) == pytest.approx(out["x"])
    assert max(table["range_high"]) == pytest.approx(c[:, 0].max())
    assert min(table["mean_low"]) == pytest.approx(c[:, 1].min())


@pytest.mark.parametrize(("options", "message"), [
    ({"m": [4, 4]}, "distinct"),
    ({"m": [4, -1]}, "> 0"),
    ({"m": 3, "n_eq": 0}, "n_eq"),
    ({"m": 3, "n_eq": "per_minute"}, "per_second"),
    ({"m": 3, "goodman": {"ultimate": -1}}, "greater than 0"),
    ({"m": 3, "residue": "quarter"}, "half"),
    ({"matrix": {"range_bins": [1, 1]}}, "increasing"),
])
def test_bad_wind_options_are_config_errors(options, message):
    with pytest.raises(ValidationError, match=message):
        FatigueExtractor.Options(label="x", object="A", variable="B", **options)


def test_range_mean_matrix_carries_its_units(campaign):
    # Ranges and means are in the variable's unit, as the range histogram's ranges are: the
    # matrix table had no units at all.
    out = extract(FatigueExtractor, first_archive(campaign), object="FPSO", variable="Heave",
                  outputs=["cycles"], matrix={"range_bins": 4, "mean_bins": 3})
    assert out["x range-mean matrix"].get("units") == {
        "arc_length": "m", "range_low": "m", "range_high": "m", "mean_low": "m",
        "mean_high": "m", "cycles": "-"}
