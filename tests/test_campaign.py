"""Campaign tables: reductions over groups of rows, written beside the per-file tables, and
third-party reductions through orcapost_register_reductions."""

from __future__ import annotations

import math
import types

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from orcapost import hookimpl
from orcapost.components import Reduction
from orcapost.config import ConfigError, validate_data
from orcapost.engine import Engine
from orcapost.schemas.config import ReductionOptions
from scipy import optimize, stats

OCCURRENCE = [{"where": {"Hs": 2}, "probability": 0.6}, {"where": {"Hs": 6}, "probability": 0.3}]


def _config(campaign, out, campaign_tables):
    return {
        "version": 2, "inputs": {"directory": str(campaign)},
        "engine": {"thread_policy": {"name": "fixed", "threads": 2}},
        "results": {"riser": {"columns": [
            {"label": "top", "kind": "statistics", "object": "Riser",
             "variable": "Effective Tension", "position": "End A", "statistics": ["max", "min"]},
            {"label": "tdp", "kind": "fatigue", "object": "Riser", "variable": "Bend Moment",
             "position": {"arc_length": 300.0}, "sn_curve": "DNV-RP-C203:F:air",
             "stress_factor": 0.2},
        ]}},
        "campaign": campaign_tables,
        "outputs": {"directory": str(out), "formats": ["csv", "parquet"]},
    }


def _silent(pm):
    return pm.registry.get("reporter", "silent").cls()


def _run(pm, config):
    loaded = validate_data(config, pm.registry)
    summary = Engine(pm, loaded, reporter=_silent(pm)).run()
    assert summary.exit_code == 0, summary.failures
    return summary


def tight_fmin(func, x0, args=(), disp=0):
    return optimize.fmin(func, x0, args=args, xtol=1e-11, ftol=1e-13, maxiter=20000,
                         maxfun=20000, disp=0)


@pytest.fixture(scope="module")
def tables(campaign, tmp_path_factory):
    from orcapost.pluginmanager import get_plugin_manager

    out = tmp_path_factory.mktemp("campaign_out")
    _run(get_plugin_manager(entry_points=False), _config(campaign, out, [
        {"name": "by_heading", "group": "riser", "by": ["heading"], "reductions": [
            {"kind": "max", "columns": ["top max"]},
            {"kind": "min", "columns": ["top min"]},
            {"kind": "mean", "columns": ["top *"]},
        ]},
        {"name": "by_sea_state", "group": "riser", "by": ["heading", "Hs"], "reductions": [
            {"kind": "gumbel", "columns": ["top max"], "probabilities": [0.5, 0.9]},
        ]},
        {"name": "lifetime", "group": "riser", "reductions": [
            {"kind": "lifetime_damage", "columns": ["tdp"], "duration": 200.0,
             "lifetime_years": 20, "occurrence": OCCURRENCE, "load_case": ["heading", "Hs"]},
        ]},
    ]))
    rows = pq.read_table(out / "riser.parquet").to_pylist()
    return out, rows


def test_tables_are_written_beside_the_per_file_tables_in_every_format(tables):
    out, rows = tables
    assert len(rows) == 8
    for name in ("by_heading", "by_sea_state", "lifetime"):
        assert (out / f"{name}.csv").is_file()
        parquet = pq.read_table(out / f"{name}.parquet")
        text = pacsv.read_csv(out / f"{name}.csv").cast(parquet.schema)
        assert text.column_names == parquet.column_names
        for column in parquet.column_names:
            # CSV writes float32 values as float32's shortest text (docs/outputs.md): the same
            # float32, not the float64 widening's last digits.
            a, b = parquet[column].to_pylist(), text[column].to_pylist()
            assert a == b or np.array_equal(np.float32(a), np.float32(b)), column


def test_max_min_mean_over_groups_of_rows(tables):
    out, rows = tables
    table = pq.read_table(out / "by_heading.parquet").to_pylist()
    assert [r["heading"] for r in table] == [0.0, 45.0]
    for r in table:
        mine = [row for row in rows if row["heading"] == r["heading"]]
        assert r["files"] == len(mine) == 4
        assert r["top max max"] == max(row["top max"] for row in mine)
        assert r["top min min"] == min(row["top min"] for row in mine)
        assert r["top max mean"] == pytest.approx(np.mean([row["top max"] for row in mine]))
        assert r["top min mean"] == pytest.approx(np.mean([row["top min"] for row in mine]))


def test_gumbel_of_per_seed_maxima_equals_scipy(tables):
    out, rows = tables
    table = pq.read_table(out / "by_sea_state.parquet").to_pylist()
    assert len(table) == 4
    for r in table:
        maxima = [row["top max"] for row in rows
                  if row["heading"] == r["heading"] and row["Hs"] == r["Hs"]]
        loc, scale = stats.gumbel_r.fit(maxima, optimizer=tight_fmin)
        assert r["top max seeds"] == 2
        assert r["top max seed mean"] == pytest.approx(np.mean(maxima))
        assert r["top max gumbel loc"] == pytest.approx(loc, rel=1e-6)
        assert r["top max gumbel scale"] == pytest.approx(scale, rel=1e-6)
        assert r["top max gumbel p90"] == pytest.approx(stats.gumbel_r.ppf(0.9, loc, scale),
                                                        rel=1e-6)
        assert r["top max gumbel p50"] == pytest.approx(stats.gumbel_r.ppf(0.5, loc, scale),
                                                        rel=1e-6)


def test_lifetime_damage_weights_seed_means_by_occurrence(tables):
    out, rows = tables
    (r,) = pq.read_table(out / "lifetime.parquet").to_pylist()
    scale = 20 * 365.25 * 86400 / 200.0
    expected = 0.0
    for heading in (0.0, 45.0):
        for hs, p in ((2.0, 0.6), (6.0, 0.3)):
            seeds = [row["tdp"] for row in rows if row["heading"] == heading and row["Hs"] == hs]
            expected += p * np.mean(seeds) * scale
    assert r["tdp lifetime damage"] == pytest.approx(expected, rel=1e-12)
    assert r["tdp life years"] == pytest.approx(20 / expected, rel=1e-12)
    assert r["tdp probability covered"] == pytest.approx(2 * 0.9)


class _Spread(Reduction):
    """Largest minus smallest value of each group of rows."""

    name = "spread"

    class Options(ReductionOptions):
        scale: float = 1.0

    def reduce(self, column, values, rows):
        return {"spread": self.options.scale * float(np.nanmax(values) - np.nanmin(values)),
                "rows": rows.num_rows}


@hookimpl
def orcapost_register_reductions(register):
    register(_Spread)


def test_a_plugin_adds_a_reduction_through_the_hook(pm, campaign, tmp_path):
    plugin = types.ModuleType("spread_plugin")
    plugin.orcapost_register_reductions = orcapost_register_reductions
    pm.register(plugin, "spread_plugin")
    assert pm.registry.get("reduction", "spread").plugin == "spread_plugin"
    _run(pm, _config(campaign, tmp_path, [
        {"name": "spread", "group": "riser", "by": ["Hs"],
         "reductions": [{"kind": "spread", "columns": ["top max"], "scale": 2.0}]}]))
    rows = pq.read_table(tmp_path / "riser.parquet").to_pylist()
    table = pq.read_table(tmp_path / "spread.parquet").to_pylist()
    for r in table:
        mine = [row["top max"] for row in rows if row["Hs"] == r["Hs"]]
        assert r["top max spread"] == pytest.approx(2.0 * (max(mine) - min(mine)))
        assert r["top max rows"] == 4


def test_a_table_that_cannot_be_computed_says_why_and_the_rest_is_written(pm, campaign,
                                                                         tmp_path):
    _run(pm, _config(campaign, tmp_path, [
        {"name": "broken", "group": "riser", "by": ["wind"],
         "reductions": [{"kind": "max"}]}]))
    assert pq.read_table(tmp_path / "riser.parquet").num_rows == 8
    (row,) = pq.read_table(tmp_path / "broken.parquet").to_pylist()
    assert "no column 'wind'" in row["error"]


@pytest.mark.parametrize(("tables_", "message"), [
    ([{"name": "x", "group": "nope", "reductions": [{"kind": "max"}]}], "group 'nope'"),
    ([{"name": "riser", "group": "riser", "reductions": [{"kind": "max"}]}], "used twice"),
    ([{"name": "x", "group": "riser", "reductions": [{"kind": "maxx"}]}], "did you mean 'max'"),
    ([{"name": "x", "group": "riser", "reductions": [
        {"kind": "lifetime_damage", "duration": 1}]}], "either probability"),
])
def test_bad_campaign_config_is_a_located_config_error(pm, campaign, tmp_path, tables_, message):
    with pytest.raises(ConfigError, match=message):
        validate_data(_config(campaign, tmp_path, tables_), pm.registry)


def test_life_is_empty_without_damage():
    import pyarrow as pa
    from orcapost.plugins.reductions.lifetime_damage import LifetimeDamageReduction

    reduction = LifetimeDamageReduction(LifetimeDamageReduction.Options(
        duration=10, probability="p"))
    out = reduction.reduce("d", np.array([0.0, 0.0]), pa.table({"p": [0.5, 0.5]}))
    assert out["lifetime damage"] == 0.0 and math.isinf(out["life years"])


def test_lifetime_damage_reads_each_file_duration_from_a_column(pm, campaign, tmp_path):
    config = _config(campaign, tmp_path, [
        {"name": "life", "group": "riser", "reductions": [
            {"kind": "lifetime_damage", "columns": ["tdp damage"], "duration": "tdp duration",
             "occurrence": OCCURRENCE, "load_case": ["heading", "Hs"]}]}])
    config["results"]["riser"]["columns"][1]["outputs"] = ["damage", "duration"]
    _run(pm, config)
    rows = pq.read_table(tmp_path / "riser.parquet").to_pylist()
    (r,) = pq.read_table(tmp_path / "life.parquet").to_pylist()
    expected = 0.0
    for heading in (0.0, 45.0):
        for hs, p in ((2.0, 0.6), (6.0, 0.3)):
            rates = [row["tdp damage"] / row["tdp duration"] for row in rows
                     if row["heading"] == heading and row["Hs"] == hs]
            expected += p * np.mean(rates) * 25 * 365.25 * 86400
    assert all(row["tdp duration"] > 0 for row in rows)
    assert r["tdp damage lifetime damage"] == pytest.approx(expected, rel=1e-12)


class _Broken(Reduction):
    """A third-party reduction with a bug: it reads a metadata column that is not there."""

    name = "broken"
    Options = ReductionOptions

    def reduce(self, column, values, rows):
        return {"x": {}["no such key"]}


@hookimpl(specname="orcapost_register_reductions")
def _register_broken(register):
    register(_Broken)


def test_a_plugin_reduction_that_raises_any_error_leaves_a_one_row_error_table(pm, campaign,
                                                                               tmp_path):
    plugin = types.ModuleType("broken_plugin")
    plugin.orcapost_register_reductions = _register_broken
    pm.register(plugin, "broken_plugin")
    _run(pm, _config(campaign, tmp_path, [
        {"name": "bad", "group": "riser", "reductions": [{"kind": "broken",
                                                          "columns": ["top max"]}]},
        {"name": "good", "group": "riser", "reductions": [{"kind": "max",
                                                           "columns": ["top max"]}]}]))
    assert pq.read_table(tmp_path / "riser.parquet").num_rows == 8
    (row,) = pq.read_table(tmp_path / "bad.parquet").to_pylist()
    assert "KeyError" in row["error"] and "no such key" in row["error"]
    assert pq.read_table(tmp_path / "good.parquet").num_rows == 1


def test_a_value_column_renamed_for_clashing_with_a_load_case_column_is_the_one_reduced(
        pm, campaign, tmp_path):
    # The file-name's LC number, keyed "heading", clashes with the load-case heading (0, 45):
    # the value column is written as heading_2, and that is the one the campaign reduces.
    config = _config(campaign, tmp_path, [
        {"name": "lc", "group": "meta", "reductions": [{"kind": "max", "columns": ["*"]}]}])
    config["results"] = {"meta": {"columns": [
        {"label": "{key}", "kind": "metadata", "pattern": r"LC(?P<heading>\d+)"}]}}
    _run(pm, config)
    rows = pq.read_table(tmp_path / "meta.parquet").to_pylist()
    assert [r["heading_2"] for r in rows] == list(range(1, 9))
    assert {r["heading"] for r in rows} == {0.0, 45.0}
    (r,) = pq.read_table(tmp_path / "lc.parquet").to_pylist()
    assert "error" not in r, r
    assert r["heading_2 max"] == 8.0 and "heading max" not in r
