"""One NaN policy for every built-in series extractor: a NaN or inf sample fails the column
naming it, or (nan_policy: omit) is skipped at that instant for every series the column reads,
which must give what the same file without that instant gives. NaN at the first, a middle and
the last sample of the period."""

from __future__ import annotations

import re

import numpy as np
import pytest
from orcapost.archive import (
    LineVariable,
    ObjectData,
    SimulationData,
    Stage,
    TimeVariable,
    write_archive,
)
from orcapost.errors import ResultFileError
from orcapost.numerics.envelopes import envelopes
from orcapost.plugins.extractors.extremes import ExtremesColumn, ExtremesExtractor, analyse
from orcapost.plugins.extractors.fatigue import FatigueColumn, FatigueExtractor
from orcapost.plugins.extractors.linked_statistics import (
    LinkedStatisticsColumn,
    LinkedStatisticsExtractor,
)
from orcapost.plugins.extractors.range_graph import RangeGraphColumn, RangeGraphExtractor
from orcapost.plugins.extractors.statistics import StatisticsColumn, StatisticsExtractor
from orcapost.plugins.extractors.time_history import TimeHistoryColumn, TimeHistoryExtractor
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.units import split_units

N = 2001  # 0 to 200 s at 0.1 s
DT = 0.1


def _data(bad_row: int | None = None, bad=np.nan, drop: bool = False, only: str | None = None):
    """A vessel and a 4-node line; ``bad`` at ``bad_row`` in every series (or only in the
    series named ``only``), or that row dropped from everything (``drop``)."""
    rng = np.random.default_rng(7)
    time = np.arange(N) * DT
    t = time[:, None]
    heave = np.sin(2 * np.pi * time / 9.0) + 0.3 * rng.standard_normal(N)
    tension = 500 + 40 * np.sin(2 * np.pi * t / 11.0 + np.arange(4)) + rng.standard_normal((N, 4))
    moment = 3 * np.cos(2 * np.pi * t / 7.0) + rng.standard_normal((N, 4))
    series = {"heave": heave, "tension": tension, "moment": moment}
    if bad_row is not None and not drop:
        for name, values in series.items():
            if only in (None, name):
                values[bad_row] = bad
    if drop:
        keep = np.ones(N, bool)
        keep[bad_row] = False
        time = time[keep]
        series = {name: values[keep] for name, values in series.items()}
    return SimulationData(
        time=time, stages=[Stage(0, -10.0, 0.0), Stage(1, 0.0, 200.0)],
        objects=[
            ObjectData("FPSO", "Vessel", [TimeVariable("Heave", "m", series["heave"])]),
            ObjectData("Riser", "Line", [
                LineVariable("Effective Tension", "kN", series["tension"]),
                LineVariable("Bend Moment", "kN.m", series["moment"])],
                arc_lengths=np.array([0.0, 50.0, 100.0, 150.0])),
        ])


def _open(tmp_path, name, **kwargs):
    return ArchiveResultFile(write_archive(tmp_path / f"{name}.arrow", _data(**kwargs)))


COLUMNS = {
    "statistics": (StatisticsExtractor, StatisticsColumn, dict(
        object="Riser", variable="Effective Tension", position="End A",
        statistics=["max", "min", "mean", "std", "time_of_max", "time_of_min", "p90"])),
    "range_graph": (RangeGraphExtractor, RangeGraphColumn, dict(
        object="Riser", variable="Effective Tension", statistics=["max", "min", "mean", "std"],
        with_arc_length=True, envelope_output=True)),
    "linked_statistics": (LinkedStatisticsExtractor, LinkedStatisticsColumn, dict(
        object="Riser", variable="Effective Tension", position="End B",
        linked=["Bend Moment"])),
    "extremes": (ExtremesExtractor, ExtremesColumn, dict(
        object="FPSO", variable="Heave", details=True)),
    # The fitted methods read the series the same way; each is tested (they fit other data).
    "extremes weibull": (ExtremesExtractor, ExtremesColumn, dict(
        object="FPSO", variable="Heave", method="weibull", threshold_quantile=0.9)),
    "extremes gpd": (ExtremesExtractor, ExtremesColumn, dict(
        object="FPSO", variable="Heave", method="gpd", threshold_quantile=0.8,
        decluster=2.0)),
    "extremes gumbel": (ExtremesExtractor, ExtremesColumn, dict(
        object="FPSO", variable="Heave", method="gumbel", block=20.0)),
    "fatigue": (FatigueExtractor, FatigueColumn, dict(
        object="Riser", variable="Bend Moment", m=3.0, outputs=["del", "cycles", "max_range"])),
    "time_history": (TimeHistoryExtractor, TimeHistoryColumn, dict(
        object="FPSO", variable="Heave")),
}
ROWS = {"first": 0, "middle": N // 2, "last": N - 1}


def _extract(kind, file, **extra):
    extractor, model, options = COLUMNS[kind]
    column = model(label="x", **options, **extra)
    return split_units(extractor(column).extract(file, column))[0]


def _extract_statistics(file, column):
    return split_units(StatisticsExtractor(column).extract(file, column))[0]


def _plain(value):
    return value.to_pylist() if hasattr(value, "to_pylist") else (
        value.columns if hasattr(value, "columns") else value)


@pytest.mark.parametrize("where", ROWS)
@pytest.mark.parametrize("kind", COLUMNS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_sample_fails_the_column_naming_it(tmp_path, kind, where, bad):
    file = _open(tmp_path, "bad", bad_row=ROWS[where], bad=bad)
    with pytest.raises(ResultFileError, match=r"NaN|inf") as info:
        _extract(kind, file)
    assert "nan_policy: omit" in str(info.value)
    file.close()


@pytest.mark.parametrize("where", ROWS)
@pytest.mark.parametrize("kind", sorted(k for k in COLUMNS if not k.startswith("extremes")))
def test_omit_gives_what_the_file_without_that_instant_gives(tmp_path, kind, where):
    bad = _open(tmp_path, "bad", bad_row=ROWS[where])
    dropped = _open(tmp_path, "dropped", bad_row=ROWS[where], drop=True)
    got = _extract(kind, bad, nan_policy="omit")
    expected = _extract(kind, dropped)
    assert got.pop("x omitted samples") == (1 if kind != "range_graph" else 4) * (
        4 if kind == "fatigue" else 1)
    assert got.keys() == expected.keys()
    for key in got:
        assert _plain(got[key]) == _plain(expected[key]), key
    bad.close()
    dropped.close()


@pytest.mark.parametrize("where", ROWS)
@pytest.mark.parametrize("kind", [k for k in COLUMNS if k.startswith("extremes")])
def test_extremes_omit_analyses_the_finite_samples_on_the_stored_grid(tmp_path, where, kind):
    file = _open(tmp_path, "bad", bad_row=ROWS[where])
    clean = _data(bad_row=ROWS[where], drop=True)
    extractor, model, options = COLUMNS[kind]
    try:
        expected = analyse(clean.time, clean.objects[0].variables[0].values,
                           model(label="x", **options), dt=DT)
    except ValueError as refused:  # the GPD refuses this bounded sine: so must the omit
        with pytest.raises(ResultFileError, match=re.escape(str(refused))):
            _extract(kind, file, nan_policy="omit")
        return
    got = _extract(kind, file, nan_policy="omit")
    assert got.pop("x omitted samples") == 1
    assert got == {("x" if k == "value" else f"x {k}"): v for k, v in expected.items()}
    file.close()


@pytest.mark.parametrize("where", ROWS)
def test_linked_nan_skips_the_instant_for_the_primary_too(tmp_path, where):
    row = ROWS[where]
    file = _open(tmp_path, "bad", bad_row=row, only="moment")
    with pytest.raises(ResultFileError, match="Riser / Bend Moment: 1 NaN sample"):
        _extract("linked_statistics", file)
    got = _extract("linked_statistics", file, nan_policy="omit")
    assert got["x omitted samples"] == 1
    assert row * DT not in (got["x max time"], got["x min time"])
    file.close()


def test_statistics_reason_counts_and_locates(tmp_path):
    data = _data()
    data.objects[0].variables[0].values[[10, 20, 30]] = np.nan
    data.objects[0].variables[0].values[40] = -np.inf
    file = ArchiveResultFile(write_archive(tmp_path / "f.arrow", data))
    with pytest.raises(ResultFileError) as info:
        _extract_statistics(file, StatisticsColumn(label="x", object="FPSO", variable="Heave"))
    assert str(info.value) == ("FPSO / Heave: 3 NaN and 1 inf samples in 0 to 200 s (first at "
                               "1 s); nan_policy: omit skips them")
    file.close()


def test_all_samples_non_finite_fail_even_with_omit(tmp_path):
    data = _data()
    data.objects[0].variables[0].values[:] = np.nan
    file = ArchiveResultFile(write_archive(tmp_path / "f.arrow", data))
    with pytest.raises(ResultFileError, match="no finite sample"):
        _extract_statistics(file, StatisticsColumn(
            label="x", object="FPSO", variable="Heave", nan_policy="omit"))
    file.close()


@pytest.mark.parametrize("row", [0, 5, 9])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_envelopes_are_over_each_nodes_finite_samples(row, dtype):
    grid = np.random.default_rng(1).normal(size=(10, 3)).astype(dtype)
    grid[row, 1] = np.nan
    grid[(row + 3) % 10, 2] = np.inf
    env = envelopes(grid, ["max", "min", "mean", "std", "count"], ddof=1)
    for j in range(3):
        x = grid[:, j].astype(np.float64)
        x = x[np.isfinite(x)]
        assert env["count"][j] == x.size
        assert env["max"][j] == x.max() and env["min"][j] == x.min()
        assert env["mean"][j] == pytest.approx(x.mean(), rel=1e-12)
        assert env["std"][j] == pytest.approx(x.std(ddof=1), rel=1e-10)


def test_a_nan_static_value_fails_the_static_column(tmp_path):
    from orcapost.plugins.extractors.static import StaticColumn, StaticExtractor

    data = _data()
    data.objects[0].variables[0].static = float("nan")
    file = ArchiveResultFile(write_archive(tmp_path / "f.arrow", data))
    column = StaticColumn(label="x", object="FPSO", variable="Heave")
    with pytest.raises(ResultFileError, match="FPSO / Heave: the static value is nan"):
        StaticExtractor(column).extract(file, column)
    file.close()
