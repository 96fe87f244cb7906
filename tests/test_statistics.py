"""Table cells recomputed directly from the archives with numpy: they must match exactly."""

from __future__ import annotations

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from helpers import statistics_config
from orcapost.archive import Archive
from orcapost.config import load_config
from orcapost.engine import Engine
from orcapost.plugins.extractors.statistics import compute_statistics


@pytest.fixture(scope="module")
def tables(campaign, tmp_path_factory):
    from orcapost.pluginmanager import get_plugin_manager

    out = tmp_path_factory.mktemp("out")
    import yaml

    cfg = out / "c.yml"
    cfg.write_text(yaml.safe_dump(statistics_config(campaign, out / "results")))
    pm = get_plugin_manager(entry_points=False)
    summary = Engine(pm, load_config(cfg, pm.registry)).run()
    assert summary.exit_code == 0
    return {g: pq.read_table(out / "results" / f"{g}.parquet").to_pylist()
            for g in ("lines", "vessel")}, out / "results"


def _window(time, t0, t1):
    return (time >= t0 - 1e-9) & (time <= t1 + 1e-9)


def test_cells_match_numpy_on_the_archive(tables, campaign):
    rows, _ = tables
    assert len(rows["lines"]) == 8
    for row in rows["lines"]:
        with Archive(row["path"]) as archive:
            t = archive.time
            whole = _window(t, 0.0, t[-1])
            top = archive.column("Mooring3/Effective Tension")[:, -1][whole]
            assert row["Mooring3 top max"] == float(top.max())
            assert row["Mooring3 top mean"] == float(np.mean(top, dtype=np.float64))
            assert row["Mooring3 top std"] == float(np.std(top, dtype=np.float64))

            # Riser tension at 100 m over the latest wave: linear interpolation between nodes.
            arcs = np.asarray(archive.objects[-1]["arc_lengths"])
            grid = archive.column("Riser/Effective Tension")
            t0, t1 = archive.header["latest_wave"]
            window = _window(t, t0, t1)
            i = np.searchsorted(arcs, 100.0, side="right")
            w = (100.0 - arcs[i - 1]) / (arcs[i] - arcs[i - 1])
            lo, hi = grid[window, i - 1].astype(float), grid[window, i].astype(float)
            at100 = lo + w * (hi - lo)
            assert row["riser s100 max"] == float(at100.max())
            assert row["riser s100 p95"] == float(np.percentile(at100, 95))

    for row in rows["vessel"]:
        with Archive(row["path"]) as archive:
            t = archive.time
            heave = archive.column("FPSO/Heave")
            whole = heave[_window(t, 0.0, t[-1])]
            assert row["heave min"] == float(whole.min())
            assert row["heave abs_max"] == max(abs(float(whole.min())), abs(float(whole.max())))
            assert row["heave rms"] == float(np.sqrt(np.mean(whole.astype(np.float64) ** 2)))
            build = heave[_window(t, archive.stages[0].start, 0.0)]
            assert row["heave build-up"] == float(np.std(build, dtype=np.float64))


def test_touchdown_follows_the_moving_touchdown_point(tables):
    rows, _ = tables
    for row in rows["lines"][:2]:
        with Archive(row["path"]) as archive:
            arcs = np.asarray(archive.objects[-1]["arc_lengths"])
            grid = archive.column("Riser/Bend Moment").astype(np.float64)
            td = archive.column("Riser/#touchdown").astype(np.float64)
            t = archive.time
            whole = _window(t, 0.0, t[-1])
            at_td = np.array([np.interp(s, arcs, g) for s, g in zip(td, grid, strict=True)])
            assert row["riser tdp max"] == pytest.approx(float(at_td[whole].max()), rel=1e-12)
            assert row["riser tdp time_of_max"] == float(t[whole][np.argmax(at_td[whole])])


def test_csv_and_parquet_hold_the_same_table(tables):
    rows, results = tables
    csv_rows = pacsv.read_csv(results / "vessel.csv").to_pylist()
    assert len(csv_rows) == len(rows["vessel"])
    for text, row in zip(csv_rows, rows["vessel"], strict=True):
        assert list(text) == list(row)
        for name, value in row.items():
            # A float32 value (min, max of float32 samples) is written as float32's shortest
            # text: it reads back as the same float32 (docs/outputs.md#numbers-in-csv).
            assert text[name] == value or (
                isinstance(value, float) and np.float32(text[name]) == np.float32(value)
                and float(np.float32(text[name])) == value), name
    assert list(rows["vessel"][0])[:5] == ["file", "path", "size_bytes", "status",
                                           "simulation_state"]
    assert {"Hs", "Tp", "heading", "seed"} <= set(rows["vessel"][0])


def test_compute_statistics_conventions():
    t = np.arange(6.0)
    x = np.array([1.0, -4.0, 2.0, 4.0, 0.5, -1.0], dtype=np.float32)
    out = compute_statistics(t, x, ["max", "min", "abs_max", "range", "time_of_max",
                                    "time_of_min", "mean", "std", "p50"], ddof=0)
    assert out["max"] == 4.0 and out["min"] == -4.0 and out["abs_max"] == 4.0
    assert out["range"] == 8.0
    assert out["time_of_max"] == 3.0 and out["time_of_min"] == 1.0
    assert out["mean"] == pytest.approx(2.5 / 6)
    assert out["std"] == pytest.approx(np.std(x.astype(float)))
    assert out["p50"] == pytest.approx(0.75)
    assert list(out) == ["max", "min", "abs_max", "range", "time_of_max", "time_of_min",
                         "mean", "std", "p50"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "ddof"), [(n, ddof) for n in (1, 2, 7, 300, 100_003)
                                         for ddof in (0, 1) if n > ddof])
def test_mean_and_std_are_bit_identical_to_numpy(dtype, n, ddof):
    # compute_statistics calls numpy's reductions directly (sharing the mean with std): the
    # values must still be numpy's to the last bit, strided views included.
    rng = np.random.default_rng(n + ddof)
    x = (rng.standard_normal((n, 3)) * 7 + 1000).astype(dtype)[:, 1]
    out = compute_statistics(np.arange(n, dtype=float), x, ["mean", "std"], ddof)
    assert out["mean"] == float(np.mean(x, dtype=np.float64))
    assert out["std"] == float(np.std(x, dtype=np.float64, ddof=ddof))
