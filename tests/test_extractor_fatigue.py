"""fatigue: damage and DEL equal references computed here from the `rainflow` package's cycles."""

from __future__ import annotations

import numpy as np
import pytest
import rainflow
from helpers import extract, first_archive, whole
from orcapost.archive import Archive
from orcapost.plugins.extractors.fatigue import FatigueExtractor
from pydantic import ValidationError

# DNVGL-RP-C203 (2016) Table 2-2, curve D in seawater with cathodic protection, typed in here
# independently of the library: m1 = 3, log a1 = 11.764 (N <= 1e6), m2 = 5, log a2 = 15.606.
D_SEAWATER = (3.0, 11.764, 5.0, 15.606, 1e6)


def reference_damage(series, factor, curve=D_SEAWATER) -> float:
    m1, log_a1, m2, log_a2, knee = curve
    total = 0.0
    for rng, _mean, count, _i0, _i1 in rainflow.extract_cycles(series):
        s = rng * factor
        if s == 0:
            continue
        n1 = 10 ** (log_a1 - m1 * np.log10(s))
        n = n1 if n1 <= knee else 10 ** (log_a2 - m2 * np.log10(s))
        total += count / n
    return total


def reference_del(series, m, n_eq) -> float:
    cycles = list(rainflow.extract_cycles(series))
    return (sum(c * r**m for r, _, c, _, _ in cycles) / n_eq) ** (1 / m)


def _tension(path, obj):
    with Archive(path) as archive:
        info = next(o for o in archive.objects if o["name"] == obj)
        grid = np.array(archive.column(f"{obj}/Effective Tension"))[whole(archive)]
        return np.asarray(info["arc_lengths"]), grid.astype(np.float64)


def test_damage_and_del_at_a_position_equal_the_rainflow_package(campaign):
    path = first_archive(campaign)
    out = extract(FatigueExtractor, path, object="Mooring1", variable="Effective Tension",
                  position="End B", sn_curve="DNV-RP-C203:D:seawater-cp", stress_factor=0.5,
                  scf=1.3, m=4.0, n_eq=1e6, outputs=["damage", "del", "cycles", "max_range"])
    _, grid = _tension(path, "Mooring1")
    top = grid[:, -1]
    assert out["x damage"] == pytest.approx(reference_damage(top.tolist(), 0.5 * 1.3), rel=1e-9)
    assert out["x del"] == pytest.approx(reference_del(top.tolist(), 4.0, 1e6), rel=1e-12)
    cycles = list(rainflow.extract_cycles(top.tolist()))
    assert out["x cycles"] == sum(c for _, _, c, _, _ in cycles)
    assert out["x max_range"] == max(r for r, _, _, _, _ in cycles)


def test_every_node_of_a_range_and_the_critical_arc_length(campaign):
    path = first_archive(campaign)
    out = extract(FatigueExtractor, path, object="Riser", variable="Effective Tension",
                  arc_length=[0, 300], m=3.0, with_arc_length=True)
    arcs, grid = _tension(path, "Riser")
    inside = np.flatnonzero(arcs <= 300)
    dels = [reference_del(grid[:, j].tolist(), 3.0, 1e7) for j in inside]
    assert out["x"] == pytest.approx(max(dels), rel=1e-12)
    assert out["x arc length"] == float(arcs[inside[int(np.argmax(dels))]])


def test_duration_has_no_arc_length_over_a_range_of_nodes(campaign):
    # It had one: the argmax of a value equal at every node, i.e. the first node's arc length.
    path = first_archive(campaign)
    out = extract(FatigueExtractor, path, object="Riser", variable="Effective Tension",
                  arc_length=[0, 300], m=3.0, outputs=["del", "cycles", "duration"],
                  with_arc_length=True)
    assert list(out) == ["x del", "x del arc length", "x cycles", "x cycles arc length",
                         "x duration"]
    column = FatigueExtractor.Options(label="x", object="Riser",
                                      variable="Effective Tension", arc_length=[0, 300], m=3.0,
                                      outputs=["del", "cycles", "duration"],
                                      with_arc_length=True)
    assert column.output_names() == list(out)


def test_user_curve_and_thickness_effect(campaign):
    path = first_archive(campaign)
    curve = {"m1": 3.0, "log_a1": 12.0, "k": 0.25, "t_ref": 25.0}
    out = extract(FatigueExtractor, path, object="Mooring2", variable="Effective Tension",
                  position="End A", sn_curve=curve, thickness=50.0)
    _, grid = _tension(path, "Mooring2")
    factor = (50.0 / 25.0) ** 0.25
    expected = sum(c * (r * factor) ** 3 / 1e12
                   for r, _, c, _, _ in rainflow.extract_cycles(grid[:, 0].tolist()))
    assert out["x"] == pytest.approx(expected, rel=1e-9)


def test_histogram_table_counts_every_cycle(campaign):
    path = first_archive(campaign)
    out = extract(FatigueExtractor, path, object="FPSO", variable="Heave", bins=[0, 0.5, 1, 5],
                  outputs=["cycles"])
    table = next(v for v in out.values() if isinstance(v, dict))["columns"]
    with Archive(path) as archive:
        heave = np.array(archive.column("FPSO/Heave"))[whole(archive)].astype(np.float64)
    ranges = np.array([(r, c) for r, _, c, _, _ in rainflow.extract_cycles(heave.tolist())])
    expected, _ = np.histogram(ranges[:, 0], bins=[0, 0.5, 1, 5], weights=ranges[:, 1])
    assert table["cycles"] == expected.tolist()
    assert table["range_low"] == [0, 0.5, 1] and sum(table["cycles"]) == out["x"]


@pytest.mark.parametrize(("options", "message"), [
    ({}, "give sn_curve"),
    ({"outputs": ["damage"], "m": 3}, "damage needs an sn_curve"),
    ({"sn_curve": "DNV-RP-C203:Q:air"}, "unknown S-N curve"),
    ({"m": 3, "bins": [1, 1]}, "increasing"),
    # A thickness whose factor would be 1 whatever it is: the damage silently that of 25 mm.
    ({"sn_curve": {"m1": 3.0, "log_a1": 12.164}, "thickness": 40}, "thickness exponent"),
    ({"m": 3, "thickness": 40}, "thickness applies to an sn_curve"),
])
def test_bad_options_are_config_errors(options, message):
    with pytest.raises(ValidationError, match=message):
        FatigueExtractor.Options(label="x", object="A", variable="B", **options)


def test_thickness_with_a_built_in_curve_or_a_user_k_is_accepted():
    for curve in ("DNV-RP-C203:D:air", {"m1": 3.0, "log_a1": 12.164, "k": 0.2}):
        column = FatigueExtractor.Options(label="x", object="A", variable="B", sn_curve=curve,
                                          thickness=40)
        assert column.thickness == 40


@pytest.mark.parametrize("edges", [[0.0, 0.2, 0.4], [0.3, 0.5, 1.0]])
def test_histogram_edges_that_miss_cycles_gain_bins_that_count_them(campaign, edges):
    """Given edges that do not reach the largest ranges (or start above the smallest), numpy
    drops the cycles outside: the most damaging ones were in no row. Every cycle is counted,
    in a bin from the last edge to the largest range (or from the smallest to the first)."""
    path = first_archive(campaign)
    out = extract(FatigueExtractor, path, object="FPSO", variable="Heave", bins=edges,
                  outputs=["cycles", "max_range"])
    table = next(v for v in out.values() if isinstance(v, dict))["columns"]
    with Archive(path) as archive:
        heave = np.array(archive.column("FPSO/Heave"))[whole(archive)].astype(np.float64)
    cycles = list(rainflow.extract_cycles(heave.tolist()))
    ranges = [r for r, _, _, _, _ in cycles]
    assert max(ranges) > edges[-1]
    assert sum(table["cycles"]) == pytest.approx(sum(c for _, _, c, _, _ in cycles))
    assert table["range_high"][-1] == pytest.approx(max(ranges))
    assert table["range_low"][-1] == edges[-1]
    if min(ranges) < edges[0]:
        assert table["range_low"][0] == pytest.approx(min(ranges))
        assert table["range_high"][0] == edges[0]
