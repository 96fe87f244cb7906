"""Acceptance criteria (allowable, limits, utilisation and pass cells, the verdict table, the
run report's criteria section, exit code 4), governing-case and spread reductions, ranking
tables, load-case tables (CSV and .xlsx, joined by file name or keys) and lifetime DEL with
probability, hours or Weibull weights: each checked against numpy on the demo campaign."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from orcapost.config import ConfigError, validate_data
from orcapost.engine import Engine

CASES_CSV = ("file,probability,hours,wind\n"
             "LC00[1-2]_*,0.1,876.6,6\nLC00[3-4]_*,0.2,1753.2,10\n"
             "LC00[5-6]_*,0.3,2629.8,14\nLC00[7-8]_*,0.4,3506.4,18\n")
ALLOWABLE = 600.0  # kN: between the demo's sea states, so some files breach and some pass
ENVELOPE_MAX = 650.0


def _config(campaign, out, cases, campaign_tables=(), **outputs):
    return {
        "version": 2, "inputs": {"directory": str(campaign), "load_cases": str(cases)},
        "engine": {"thread_policy": {"name": "fixed", "threads": 2}},
        "results": {"riser": {"columns": [
            {"label": "top", "kind": "statistics", "object": "Riser",
             "variable": "Effective Tension", "position": "End A", "statistics": ["max", "min"],
             "allowable": ALLOWABLE, "criteria_outputs": ["utilisation", "pass"]},
            {"label": "env", "kind": "range_graph", "object": "Riser",
             "variable": "Effective Tension", "statistics": ["max", "min"],
             "with_arc_length": True, "limits": {"max": ENVELOPE_MAX, "min": 150.0},
             "criteria_outputs": ["utilisation", "pass"], "envelope_output": True},
            {"label": "del", "kind": "fatigue", "object": "Riser", "variable": "Bend Moment",
             "position": {"arc_length": 300.0}, "m": 3, "outputs": ["del"]},
        ]}},
        "campaign": list(campaign_tables),
        "outputs": {"directory": str(out), "formats": ["csv", "parquet"], **outputs},
    }


TABLES = [
    {"name": "gov", "group": "riser", "by": ["heading"], "reductions": [
        {"kind": "max", "columns": ["env max"], "governing": True},
        {"kind": "min", "columns": ["top min"]},
        {"kind": "argmax", "columns": ["top max", "env max"]},
        {"kind": "argmin", "columns": ["env min"]},
        {"kind": "std", "columns": ["top max"]},
        {"kind": "quantile", "columns": ["top max"], "quantile": [0.5, 0.9]},
        {"kind": "mean_plus_k_std", "columns": ["top max"], "k": 2},
        {"kind": "exceedances", "columns": ["top max"], "threshold": ALLOWABLE}]},
    {"name": "rank", "group": "riser", "by": ["heading"],
     "ranking": {"columns": ["env max"], "top": 3}},
    {"name": "life_p", "group": "riser", "reductions": [
        {"kind": "lifetime_del", "columns": ["del"], "m": 3, "probability": "probability",
         "load_case": ["heading", "Hs"]}]},
    {"name": "life_h", "group": "riser", "reductions": [
        {"kind": "lifetime_del", "columns": ["del"], "m": 3, "hours": "hours",
         "load_case": ["heading", "Hs"]}]},
    {"name": "life_w", "group": "riser", "reductions": [
        {"kind": "lifetime_del", "columns": ["del"], "m": 3,
         "weibull": {"column": "wind", "iec_class": "II"}, "load_case": ["heading", "Hs"]}]},
]


def _silent(pm):
    return pm.registry.get("reporter", "silent").cls()


@pytest.fixture(scope="module")
def run(campaign, tmp_path_factory):
    from orcapost.pluginmanager import get_plugin_manager

    pm = get_plugin_manager(entry_points=False)
    root = tmp_path_factory.mktemp("criteria")
    cases = root / "cases.csv"
    cases.write_text(CASES_CSV, encoding="utf-8")
    out = root / "out"
    loaded = validate_data(_config(campaign, out, cases, TABLES), pm.registry)
    summary = Engine(pm, loaded, reporter=_silent(pm)).run()
    assert summary.exit_code == 0, summary.failures
    rows = pq.read_table(out / "riser.parquet").to_pylist()
    return out, rows, summary


def _table(out, name):
    return pq.read_table(out / f"{name}.parquet").to_pylist()


def test_the_load_case_table_joins_by_file_pattern(run):
    _, rows, _ = run
    lc = {int(r["file"][2:5]): r for r in rows}
    for number, row in lc.items():
        assert row["probability"] == pytest.approx([0.1, 0.2, 0.3, 0.4][(number - 1) // 2])
        assert row["wind"] == [6, 10, 14, 18][(number - 1) // 2]
        assert row["heading"] in (0.0, 45.0)  # the file's own metadata is kept beside


def test_utilisation_and_pass_cells_equal_numpy(run):
    _, rows, _ = run
    top = np.array([r["top max"] for r in rows])
    assert [r["top max utilisation"] for r in rows] == pytest.approx(np.abs(top) / ALLOWABLE)
    assert [r["top max pass"] for r in rows] == list(np.abs(top) <= ALLOWABLE)
    env = np.array([r["env max"] for r in rows])
    assert [r["env max utilisation"] for r in rows] == pytest.approx(env / ENVELOPE_MAX)
    low = np.array([r["env min"] for r in rows])
    # Both limits: the governing side is the one of the larger utilisation (min / v for min).
    expected = np.maximum(low / ENVELOPE_MAX, 150.0 / low)
    assert [r["env min utilisation"] for r in rows] == pytest.approx(expected)
    assert [r["env min pass"] for r in rows] == list((low <= ENVELOPE_MAX) & (low >= 150.0))
    assert not all(r["top max pass"] for r in rows) and any(r["top max pass"] for r in rows)


def test_the_envelope_table_has_utilisation_and_pass_at_every_node(run):
    out, rows, _ = run
    envelope = pq.read_table(out / "riser_env_envelope.parquet").to_pylist()
    assert {r["file"] for r in envelope} == {r["file"] for r in rows}
    top = np.array([r["max"] for r in envelope])
    low = np.array([r["min"] for r in envelope])
    assert [r["max utilisation"] for r in envelope] == pytest.approx(
        np.maximum(top / ENVELOPE_MAX, 150.0 / top))
    assert [r["max pass"] for r in envelope] == list((top <= ENVELOPE_MAX) & (top >= 150.0))
    assert [r["min utilisation"] for r in envelope] == pytest.approx(
        np.maximum(low / ENVELOPE_MAX, 150.0 / low))
    assert [r["min pass"] for r in envelope] == list((low <= ENVELOPE_MAX) & (low >= 150.0))
    # The summary values are the governing nodes: the max envelope is within the upper limit
    # at every node exactly when its summary is, the min envelope above the lower limit at
    # every node exactly when its summary is.
    for r in rows:
        nodes = [e for e in envelope if e["file"] == r["file"]]
        assert all(e["max"] <= ENVELOPE_MAX for e in nodes) == (r["env max"] <= ENVELOPE_MAX)
        assert all(e["min"] >= 150.0 for e in nodes) == (r["env min"] >= 150.0)
        assert r["env max utilisation"] == pytest.approx(
            next(e["max utilisation"] for e in nodes if e["arc_length"] ==
                 r["env max arc length"] and e["max"] == r["env max"]))


def test_the_verdict_lists_every_breach_with_its_load_case_and_arc_length(run):
    out, rows, summary = run
    verdict = _table(out, "verdict")
    expected = []
    for r in rows:
        for name, bound, side in (("top max", ALLOWABLE, "abs"), ("top min", ALLOWABLE, "abs"),
                                  ("env max", ENVELOPE_MAX, "max"), ("env min", 150.0, "min")):
            v = r[name]
            breach = abs(v) > bound if side == "abs" else (v > bound if side == "max"
                                                           else v < bound)
            if breach:
                expected.append((r["file"], name, v, r.get(f"{name} arc length")))
    assert expected, "the demo values were chosen so that files breach"
    assert sorted((v["file"], v["output"], v["value"], v["arc_length"]) for v in verdict) == \
        sorted(expected)
    for v in verdict:
        row = next(r for r in rows if r["file"] == v["file"])
        assert (v["heading"], v["Hs"], v["seed"], v["probability"]) == \
            (row["heading"], row["Hs"], row["seed"], row["probability"])
        assert v["group"] == "riser" and v["column"] in ("top", "env")
        assert v["utilisation"] == pytest.approx(row[f"{v['output']} utilisation"])
    # Every sink writes it.
    assert pacsv.read_csv(out / "verdict.csv").num_rows == len(verdict)
    report = json.loads((out / "orcapost-run.json").read_text(encoding="utf-8"))["criteria"]
    assert report["verdict"] == "fail" and report["breaches"] == len(verdict)
    assert report["checked"] == 4 * len(rows)
    ucs = [r[f"{n} utilisation"] for r in rows for n in ("top max", "top min", "env max",
                                                          "env min")]
    assert report["governing"]["utilisation"] == pytest.approx(max(ucs))
    assert summary.criteria["breaches"] == len(verdict)


def test_argmax_argmin_name_the_governing_file_load_case_and_arc_length(run):
    out, rows, _ = run
    for g in _table(out, "gov"):
        mine = [r for r in rows if r["heading"] == g["heading"]]
        for column, pick, kind in (("top max", np.argmax, "argmax"),
                                   ("env max", np.argmax, "argmax"),
                                   ("env min", np.argmin, "argmin")):
            best = mine[int(pick([r[column] for r in mine]))]
            assert g[f"{column} {kind} value"] == best[column]
            assert g[f"{column} {kind} file"] == best["file"]
            assert g[f"{column} {kind} Hs"] == best["Hs"]
            assert g[f"{column} {kind} seed"] == best["seed"]
        assert g["env max argmax arc length"] == mine[int(np.argmax(
            [r["env max"] for r in mine]))]["env max arc length"]
        assert "top max argmax arc length" not in g  # not along arc length
        # max with governing: true says the same as argmax; min without it keeps one column.
        for suffix in ("file", "Hs", "seed", "arc length"):
            assert g[f"env max max {suffix}"] == g[f"env max argmax {suffix}"]
        assert g["env max max"] == g["env max argmax value"]
        assert [c for c in g if c.startswith("top min min")] == ["top min min"]


def test_std_quantiles_mean_plus_k_std_and_exceedances_equal_numpy(run):
    out, rows, _ = run
    for g in _table(out, "gov"):
        values = np.array([r["top max"] for r in rows if r["heading"] == g["heading"]])
        assert g["top max std"] == pytest.approx(np.std(values, ddof=1), rel=1e-12)
        assert g["top max p50"] == pytest.approx(np.quantile(values, 0.5), rel=1e-12)
        assert g["top max p90"] == pytest.approx(np.quantile(values, 0.9), rel=1e-12)
        assert g["top max mean+2std"] == pytest.approx(
            values.mean() + 2 * np.std(values, ddof=1), rel=1e-12)
        assert g[f"top max exceedances >{ALLOWABLE:g}"] == int((values > ALLOWABLE).sum())
        assert g[f"top max exceedance fraction >{ALLOWABLE:g}"] == \
            pytest.approx((values > ALLOWABLE).mean())


def test_the_ranking_table_lists_the_top_cases_per_column(run):
    out, rows, _ = run
    ranked = _table(out, "rank")
    for heading in (0.0, 45.0):
        mine = sorted((r for r in rows if r["heading"] == heading), key=lambda r: -r["env max"])
        got = [r for r in ranked if r["heading"] == heading]
        assert [r["rank"] for r in got] == [1, 2, 3]
        assert [r["file"] for r in got] == [r["file"] for r in mine[:3]]
        assert [r["value"] for r in got] == [r["env max"] for r in mine[:3]]
        assert [r["arc length"] for r in got] == [r["env max arc length"] for r in mine[:3]]


def _cases(rows):
    cases: dict = {}
    for r in rows:
        cases.setdefault((r["heading"], r["Hs"]), []).append(r)
    return cases


def test_lifetime_del_weights_damage_not_del(run):
    out, rows, _ = run
    expected = sum(case[0]["probability"] * np.mean([r["del"] ** 3 for r in case])
                   for case in _cases(rows).values()) ** (1 / 3)
    (p,) = _table(out, "life_p")
    (h,) = _table(out, "life_h")
    assert p["del lifetime DEL m3"] == pytest.approx(expected, rel=1e-12)
    # 876.6 h per year is probability 0.1: hours give the same lifetime DEL.
    assert h["del lifetime DEL m3"] == pytest.approx(expected, rel=1e-12)
    assert p["del probability covered"] == pytest.approx(0.1 + 0.2 + 0.3 + 0.4)


def test_weibull_bins_of_an_iec_class_are_rayleigh_with_mean_0_2_vref(run):
    out, rows, _ = run
    mean = 0.2 * 42.5  # class II
    cdf = lambda v: 1 - np.exp(-np.pi / 4 * (v / mean) ** 2)  # noqa: E731 - IEC 61400-1 eq.
    edges = {6: (4, 8), 10: (8, 12), 14: (12, 16), 18: (16, 20)}  # half-way between speeds
    sharing = {6: 1, 10: 1, 14: 1, 18: 1}  # one (heading, Hs) load case per wind speed here
    expected = 0.0
    covered = 0.0
    for case in _cases(rows).values():
        lo, hi = edges[case[0]["wind"]]
        p = (cdf(hi) - cdf(lo)) / sharing[case[0]["wind"]]
        expected += p * np.mean([r["del"] ** 3 for r in case])
        covered += p
    (w,) = _table(out, "life_w")
    assert w["del lifetime DEL m3"] == pytest.approx(expected ** (1 / 3), rel=1e-10)
    assert w["del probability covered"] == pytest.approx(covered, rel=1e-10)


def test_weibull_k_a_bins_equal_the_closed_form():
    from orcapost.plugins.reductions._weighting import WeibullBins

    bins = WeibullBins(column="v", k=2.2, A=9.5, bin_width=2.0)
    got = bins.bin_probabilities(np.array([5.0, 7.0, 7.0, 25.0]))
    cdf = lambda v: 1 - np.exp(-((v / 9.5) ** 2.2))  # noqa: E731
    assert got == pytest.approx({5.0: cdf(6) - cdf(4), 7.0: cdf(8) - cdf(6),
                                 25.0: cdf(26) - cdf(24)})
    mean = WeibullBins(column="v", mean_speed=8.0, k=3.0).shape_scale()
    assert mean == pytest.approx((3.0, 8.0 / math.gamma(1 + 1 / 3)))


def test_fail_on_breach_exits_4_and_the_default_exit_code_is_unchanged(
        campaign, tmp_path, write_config, run_cli):
    cases = tmp_path / "cases.csv"
    cases.write_text(CASES_CSV, encoding="utf-8")
    path = write_config(_config(campaign, tmp_path / "a", cases))
    result = run_cli("run", path, "--no-progress")
    assert result.exit_code == 0
    report = json.loads((tmp_path / "a" / "orcapost-run.json").read_text(encoding="utf-8"))
    governing = report["criteria"]["governing"]
    assert (f"criteria: fail, {report['criteria']['breaches']} breaches of "
            f"{report['criteria']['checked']} values checked; governing: "
            f"{governing['output']} = {governing['value']:.6g}") in result.output
    path = write_config(_config(campaign, tmp_path / "b", cases, fail_on_breach=True), "b.yml")
    result = run_cli("run", path, "-q")
    assert result.exit_code == 4
    assert (tmp_path / "b" / "verdict.csv").is_file()  # written whatever the exit code


def test_an_xlsx_table_joined_by_keys(pm, campaign, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "scatter"
    sheet.append(["Hs", "heading", "p"])
    for hs, heading, p in ((2, 0, 0.4), (6, 0, 0.1), (2, 45, 0.3), (6, 45, 0.2)):
        sheet.append([hs, heading, p])
    book.save(tmp_path / "cases.xlsx")
    config = _config(campaign, tmp_path / "out", tmp_path / "cases.xlsx")
    config["inputs"]["load_cases"] = {"path": str(tmp_path / "cases.xlsx"),
                                      "keys": ["Hs", "heading"], "sheet": "scatter"}
    summary = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    assert summary.exit_code == 0
    rows = pq.read_table(tmp_path / "out" / "riser.parquet").to_pylist()
    want = {(2.0, 0.0): 0.4, (6.0, 0.0): 0.1, (2.0, 45.0): 0.3, (6.0, 45.0): 0.2}
    assert [r["p"] for r in rows] == [want[(r["Hs"], r["heading"])] for r in rows]


def test_a_file_no_row_or_two_rows_join_is_a_failure_row(pm, campaign, tmp_path):
    cases = tmp_path / "cases.csv"
    # LC001 matches no row; LC002 matches two.
    cases.write_text("file,p\nLC002_*,0.1\n*_S02.arrow,0.2\nLC00[3-8]_*,0.3\n",
                     encoding="utf-8")
    config = _config(campaign, tmp_path / "out", cases)
    summary = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    assert summary.exit_code == 1
    failures = pq.read_table(tmp_path / "out" / "failures.parquet").to_pylist()
    why = {f["file"]: f["reason"] for f in failures if f["stage"] == "load_cases"}
    assert "no row" in why["LC001_H000_Hs2.0_S01.arrow"]
    assert "2 rows" in why["LC002_H000_Hs2.0_S02.arrow"]
    rows = {r["file"]: r for r in pq.read_table(tmp_path / "out" / "riser.parquet").to_pylist()}
    assert rows["LC001_H000_Hs2.0_S01.arrow"]["status"] == "partial"
    assert rows["LC001_H000_Hs2.0_S01.arrow"]["p"] is None
    assert rows["LC003_H000_Hs6.0_S01.arrow"]["p"] == 0.3


def test_a_table_column_that_contradicts_the_file_metadata_is_refused(pm, campaign, tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text("file,Hs\n*,99\n", encoding="utf-8")
    config = _config(campaign, tmp_path / "out", cases)
    summary = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    assert summary.exit_code == 1
    assert all("Hs = 99" in f.reason for f in summary.failures)


@pytest.mark.parametrize(("change", "message"), [
    (lambda c, t: c["inputs"].update(load_cases=str(t / "missing.csv")), "does not exist"),
    (lambda c, t: c["inputs"].update(load_cases={"path": str(t / "cases.csv"), "keys": ["x"]}),
     "no column 'x'"),
    (lambda c, t: c["results"]["riser"]["columns"][0].update(limits={"max": 1}),
     "not both"),
    (lambda c, t: c["results"]["riser"]["columns"][1].update(limits={"min": 0}),
     "utilisation of limit min 0"),
    (lambda c, t: c["results"]["riser"]["columns"][1].update(with_arc_length=False),
     "with_arc_length: true"),
    (lambda c, t: c["results"]["riser"]["columns"][2].update(check=["*"]),
     "need a criterion"),
    (lambda c, t: c["results"]["riser"]["columns"][0].update(
        statistics=["max", "time_of_max"]), "also writes 'top time_of_max'"),
    (lambda c, t: c["results"]["riser"]["columns"][2].update(
        outputs=["del", "duration"], allowable=10.0), "also writes 'del duration'"),
    (lambda c, t: c["campaign"].append({"name": "verdict", "group": "riser",
                                        "reductions": [{"kind": "max"}]}), "verdict table"),
    (lambda c, t: c["campaign"].append({"name": "x", "group": "riser"}), "either reductions"),
    (lambda c, t: c["results"]["riser"]["columns"].append(
        {"label": "top max pass", "kind": "statistics", "object": "Riser",
         "variable": "Bend Moment", "position": "End B", "statistics": ["max"]}),
     "'top max pass' is also written by column 0"),
    (lambda c, t: c["campaign"].append({"name": "x", "group": "riser", "reductions": [
        {"kind": "lifetime_del", "m": 3, "weibull": {"column": "wind", "k": 2}}]}),
     "exactly one of A"),
])
def test_bad_criteria_and_load_case_config_is_a_config_error(pm, campaign, tmp_path, change,
                                                             message):
    (tmp_path / "cases.csv").write_text(CASES_CSV, encoding="utf-8")
    config = _config(campaign, tmp_path / "out", tmp_path / "cases.csv")
    change(config, tmp_path)
    with pytest.raises(ConfigError, match=message):
        validate_data(config, pm.registry)


def test_two_reductions_writing_one_column_are_refused_not_overwritten(run, pm, campaign,
                                                                      tmp_path):
    (tmp_path / "cases.csv").write_text(CASES_CSV, encoding="utf-8")
    config = _config(campaign, tmp_path / "out", tmp_path / "cases.csv", [
        {"name": "twice", "group": "riser", "reductions": [
            {"kind": "std", "columns": ["top max"]},
            {"kind": "std", "columns": ["top max"], "ddof": 0}]}])
    Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    (row,) = _table(tmp_path / "out", "twice")
    assert "both write 'top max std'" in row["error"]


def test_the_shipped_criteria_config_is_yaml_that_validates(pm):
    from source_tree import REPO

    path = REPO / "configs" / "criteria_and_campaign.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["outputs"].get("fail_on_breach") is not None


def test_a_code_check_variable_read_through_the_orcaflex_source_is_checked_per_node(
        double, pm, tmp_path):
    """OrcaFlex's `API STD 2RD Method 1` is read through OrcFxAPI (the double) like any line
    variable; the allowable applies at every node and the verdict names the governing arc
    length, both equal to numpy over the simulated values."""
    from dataclasses import replace

    from doubles.sim_campaign import write_pair
    from helpers import SMALL_SPEC
    from orcapost.demo import simulate

    variable = "API STD 2RD Method 1"
    spec = replace(SMALL_SPEC, headings=(0.0,), seeds=(1,), file_size=200_000,
                   extra_lines=(("SLWR", (variable,)),))
    peaks = {}
    for case in spec.load_cases():
        write_pair(tmp_path, spec, case)
        sim = simulate(spec, case)  # the reference: the simulated values themselves
        line = next(o for o in sim.objects if o.name == "SLWR")
        grid = next(v.values for v in line.variables if v.name == variable)
        arcs = np.asarray(line.arc_lengths)
        inside = (arcs >= 0) & (arcs <= 50)
        kept = np.asarray(sim.time) >= 0  # whole simulation: from stage 1, build-up excluded
        per_node = np.asarray(grid, dtype=np.float64)[kept][:, inside].max(axis=0)
        node = int(np.argmax(per_node))
        peaks[Path(spec.file_name(case)).stem] = (float(per_node[node]),
                                                  float(arcs[inside][node]))
    allowable = float(np.mean([v for v, _ in peaks.values()]))  # one file breaches
    config = {
        "version": 2, "inputs": {"directory": str(tmp_path / "sims"), "patterns": ["*.sim"]},
        "engine": {"thread_policy": {"name": "fixed", "threads": 1}},
        "results": {"code_check": {"columns": [
            {"label": "M1", "kind": "range_graph", "object": "SLWR", "variable": variable,
             "arc_length": [0, 50], "statistics": ["max"], "with_arc_length": True,
             "allowable": allowable, "criteria_outputs": ["utilisation", "pass"]}]}},
        "outputs": {"directory": str(tmp_path / "out"), "formats": ["parquet"]},
    }
    summary = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    assert summary.exit_code == 0, summary.failures
    rows = {Path(r["file"]).stem: r for r in _table(tmp_path / "out", "code_check")}
    for stem, (peak, arc) in peaks.items():
        assert rows[stem]["M1"] == pytest.approx(peak, rel=1e-6)
        assert rows[stem]["M1 arc length"] == pytest.approx(arc)
        assert rows[stem]["M1 utilisation"] == pytest.approx(peak / allowable, rel=1e-6)
    (breach,) = _table(tmp_path / "out", "verdict")
    worst = max(peaks, key=lambda s: peaks[s][0])
    assert Path(breach["file"]).stem == worst
    assert breach["arc_length"] == pytest.approx(peaks[worst][1])
    assert breach["allowable"] == allowable and breach["side"] == "abs"


def test_check_selects_values_and_companions_and_text_are_never_checked(pm):
    from orcapost.criteria import checks, criteria_cells

    model = pm.registry.config_model()
    column = model.model_validate({
        "version": 2, "inputs": {"directory": "."},
        "results": {"g": {"columns": [{
            "label": "T", "kind": "statistics", "object": "Riser", "variable": "Effective Tension",
            "statistics": ["max", "time_of_max"], "limits": {"min": 50.0, "max": 900.0},
            "check": ["* max"], "criteria_outputs": ["utilisation", "pass"]}]}},
    }).results["g"].columns[0]
    values = {"T max": 950.0, "T max arc length": 10.0, "T time_of_max": 9999.0, "T text": "x"}
    (found,) = checks(column, values)
    assert (found.name, found.side, found.bound, found.passed) == ("T max", "max", 900.0, False)
    assert found.utilisation == pytest.approx(950 / 900) and found.arc_length == 10.0
    assert criteria_cells(column, values) == {"T max utilisation": pytest.approx(950 / 900),
                                              "T max pass": False}
    # Below a positive minimum the min side governs; at or below zero its ratio is undefined.
    (low,) = checks(column, {"T max": 40.0})
    assert (low.side, low.utilisation, low.passed) == ("min", pytest.approx(50 / 40), False)
    (slack,) = checks(column, {"T max": -5.0})
    assert (slack.side, slack.utilisation, slack.passed) == ("min", None, False)
    (inside,) = checks(column, {"T max": 600.0})
    assert inside.side == "max" and inside.utilisation == pytest.approx(600 / 900)
    assert inside.passed


def test_resume_reuses_checked_cells_and_a_changed_allowable_recomputes_them(
        pm, campaign, tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text(CASES_CSV, encoding="utf-8")
    out = tmp_path / "out"

    def run(allowable, resume):
        config = _config(campaign, out, cases)
        config["results"]["riser"]["columns"][0]["allowable"] = allowable
        summary = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm),
                         resume=resume).run()
        return summary, _table(out, "riser"), _table(out, "verdict")

    _, rows, verdict = run(ALLOWABLE, False)
    again, rows_again, verdict_again = run(ALLOWABLE, True)
    assert json.loads((out / "orcapost-run.json").read_text())["summary"]["reused"]["files"] == 8
    assert rows_again == rows and verdict_again == verdict
    higher = ALLOWABLE * 2
    _, rows_higher, verdict_higher = run(higher, True)
    assert [r["top max utilisation"] for r in rows_higher] == pytest.approx(
        [abs(r["top max"]) / higher for r in rows])
    assert not [v for v in verdict_higher if v["column"] == "top"]


def _report(out):
    return json.loads((out / "orcapost-run.json").read_text())


def test_an_unchanged_resume_keeps_the_verdict_in_the_run_report(pm, campaign, tmp_path):
    """An unchanged --resume confirms the published set without building its tables: the
    run report still carries the set's criteria section (it said 'pass' with no breaches)."""
    out = tmp_path / "out"
    config = _config(campaign, out, tmp_path / "unused.csv")
    del config["inputs"]["load_cases"]
    for resume in (False, True):
        Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm),
               resume=resume).run()
        report = _report(out)
        if resume:
            assert report["result_set"]["unchanged"] is True
    first_breaches = report["criteria"]["breaches"]
    assert report["criteria"]["verdict"] == "fail" and first_breaches


def test_resume_joins_the_load_case_table_as_it_is_now(pm, campaign, tmp_path):
    """The load-case table is joined when tables are built: an edited table is honoured by
    --resume (the published set is not confirmed as unchanged)."""
    cases = tmp_path / "cases.csv"
    cases.write_text(CASES_CSV, encoding="utf-8")
    out = tmp_path / "out"
    config = _config(campaign, out, cases)
    Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    cases.write_text(CASES_CSV.replace("0.1,876.6", "0.15,876.6"), encoding="utf-8")
    Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm), resume=True).run()
    assert _report(out)["result_set"]["unchanged"] is False
    probabilities = sorted({r["probability"] for r in _table(out, "riser")})
    assert probabilities == pytest.approx([0.15, 0.2, 0.3, 0.4])


def test_governing_spread_and_lifetime_del_outputs_carry_their_own_units(run):
    """Every output of a reduction took its value column's unit: a governing row's file name,
    heading and arc length were 'kN', an exceedance count 'kN', probability covered 'kN.m'."""
    from orcapost.units import table_units

    out, _, _ = run
    gov = table_units(pq.read_table(out / "gov.parquet"))
    for reduction in ("env max max", "env max argmax", "env min argmin", "top max argmax"):
        for key in ("file", "heading", "Hs", "seed", "probability", "wind"):
            assert f"{reduction} {key}" not in gov, (reduction, key)
    for reduction in ("env max max", "env max argmax", "env min argmin"):
        assert gov[f"{reduction} arc length"] == "m"
    assert gov["env max max"] == gov["top max argmax value"] == gov["env min argmin value"] \
        == "kN"
    assert gov["top max std"] == gov["top max p90"] == gov["top max mean+2std"] == "kN"
    assert gov[f"top max exceedances >{ALLOWABLE:g}"] == "-"
    assert gov[f"top max exceedance fraction >{ALLOWABLE:g}"] == "-"
    for name in ("life_p", "life_w"):
        life = table_units(pq.read_table(out / f"{name}.parquet"))
        assert life["del lifetime DEL m3"] == "kN.m"
        assert life["del probability covered"] == "-"


def test_a_checked_value_that_is_no_number_leaves_the_verdict_incomplete_not_pass(pm):
    """A NaN (or infinite) value among a column's checked values was silently skipped: with
    another value of the column checked, the pair counted as checked and the verdict said
    pass although one value was never compared with the allowable."""
    from orcapost.criteria import verdict
    from orcapost.results import FileResult

    model = pm.registry.config_model().model_validate({
        "version": 2, "inputs": {"directory": "."},
        "results": {"g": {"columns": [{
            "label": "T", "kind": "statistics", "object": "Riser", "variable": "Effective Tension",
            "statistics": ["max", "min"], "allowable": 900.0}]}},
    })
    def result(name, low):
        return FileResult(path=f"/c/{name}", size=1, outputs={"g": [["T max", "T min"]]},
                          values={"g": {"T max": 100.0, "T min": low}})

    for low in (math.nan, math.inf, None):
        found = verdict(model, [result("a.sim", 50.0), result("b.sim", low)], lambda r: {})
        report = found.report()
        assert report["verdict"] == "incomplete", low
        assert (report["checked"], report["unchecked"], report["breaches"]) == (3, 1, 0)
    found = verdict(model, [result("a.sim", 50.0)], lambda r: {})
    assert found.report()["verdict"] == "pass" and found.unchecked == 0


def test_a_csv_load_case_table_keeps_file_names_as_text_and_trims_its_header(tmp_path):
    """pyarrow inferred a file column of run numbers as integers (0001 became 1, so no file
    joined), and a header written 'file, p' kept ' p' (the xlsx reader trims its header)."""
    from orcapost.load_cases import check_join, join, read_load_cases

    path = tmp_path / "cases.csv"
    path.write_text("file, p ,Hs\n0001,0.25,2\n0002,0.75,4\n", encoding="utf-8")
    table = read_load_cases(path, file_column="file")
    assert table.columns == ["file", "p", "Hs"]
    check_join(table, None, "file")
    joined, why = join(table, None, "file", "0002.sim", {})
    assert why is None and joined == {"p": 0.75, "Hs": 4}
    # Joined by keys, the file column is an ordinary column: its numbers stay numbers.
    path.write_text("run,Hs\n0001,2\n", encoding="utf-8")
    assert read_load_cases(path).rows == [{"run": 1, "Hs": 2}]


def test_load_case_joins_look_rows_up_and_match_every_row_the_rules_match(monkeypatch):
    """The join scanned every row of the table for every file (3,000 files and rows: 15 s by
    keys, 31 s by file name); rows are looked up now, and the rows found are exactly those the
    rules (numbers as numbers, text as text, patterns, names or stems, case ignored) match."""
    import itertools

    from orcapost import load_cases
    from orcapost.load_cases import LoadCaseTable, _name_matches, _same, join

    cells = [2, 2.0, "2", "2.0", True, 1, 0, -0.0, None, "x", math.nan, "nan", 10**17]
    table = LoadCaseTable(Path("t.csv"), ["a", "b"],
                          [{"a": a, "b": b} for a, b in itertools.product(cells, ["y", 1])])
    for a, b in itertools.product(cells, ["y", 1.0, "1"]):
        load_case = {"a": a, "b": b}
        want = [i for i, row in enumerate(table.rows)
                if _same(row["a"], a) and _same(row["b"], b)]
        _, why = join(table, ["a", "b"], "file", "f.sim", load_case)
        assert (why is None) == (len(want) == 1), (a, b, want, why)
        if len(want) > 1:
            assert f"{len(want)} rows" in why
    names = ["LC001_H000.sim", "lc001_h000", "LC00[1-2]_*", "*", "*.SIM", "LC0?1_H000.sim",
             "LC001", "LC001_H0*0.sim", "[!L]*", "", None, 7]
    table = LoadCaseTable(Path("t.csv"), ["file"], [{"file": n} for n in names])
    for file_name in ("LC001_H000.sim", "lc002_x.sim", "7.sim", "B.sim", "LC001"):
        want = [i for i, row in enumerate(table.rows) if _name_matches(row["file"], file_name)]
        _, why = join(table, None, "file", file_name, {})
        assert (why is None) == (len(want) == 1), file_name
        if len(want) > 1:
            shown = ", ".join(str(i + 2) for i in want[:5])
            assert f"table rows {shown}" in why, (file_name, why)
    # Rows compared per join: a few, not the whole table (they were n per file: n^2).
    n = 400
    table = LoadCaseTable(Path("t.csv"), ["file", "Hs", "p"],
                          [{"file": f"LC{i:05d}_*", "Hs": float(i), "p": 1 / n} for i in range(n)])
    compared = []
    monkeypatch.setattr(load_cases, "_same", lambda a, b: compared.append(1) or _same(a, b))
    monkeypatch.setattr(load_cases, "_name_matches",
                        lambda p, name: compared.append(1) or _name_matches(p, name))
    for i in range(n):
        assert join(table, ["Hs"], "file", "f", {"Hs": i})[1] is None
        assert join(table, None, "file", f"LC{i:05d}_a.sim", {})[1] is None
    assert len(compared) <= 2 * n * 4


def test_quantile_and_gumbel_columns_are_named_by_their_probability_in_full():
    """'p{100 q:g}' kept six digits: quantile 0.9999995 was named p99.9999, and 0.1234567 and
    0.1234568 were both p12.3457, the second overwriting the first."""
    import pyarrow as pa
    from orcapost.plugins.reductions.gumbel import GumbelOptions, GumbelReduction
    from orcapost.plugins.reductions.spread import QuantileOptions, QuantileReduction

    values = np.arange(1.0, 101.0)
    rows = pa.table({"x": values})
    quantile = QuantileReduction(QuantileOptions(
        columns=["x"], quantile=[0.9, 0.9999995, 0.1234567, 0.1234568]))
    got = quantile.reduce("x", values, rows)
    assert list(got) == ["p90", "p99.99995", "p12.34567", "p12.34568"]
    assert got["p12.34568"] == pytest.approx(np.quantile(values, 0.1234568), rel=1e-15)
    gumbel = GumbelReduction(GumbelOptions(columns=["x"], probabilities=[0.9, 0.9999995]))
    assert {"gumbel p90", "gumbel p99.99995"} <= set(gumbel.reduce("x", values, rows))


def test_verdict_load_case_columns_named_like_its_own_are_kept_and_renamed(pm):
    """A load-case column named like a verdict column ('side', 'file') was dropped from the
    verdict table, overwrote the file name in the run report's governing row, and the report's
    breach rows named every load-case key 'lc:<key>'."""
    from orcapost.criteria import verdict, verdict_table
    from orcapost.results import FileResult

    model = pm.registry.config_model().model_validate({
        "version": 2, "inputs": {"directory": "."},
        "results": {"g": {"columns": [{
            "label": "T", "kind": "statistics", "object": "Riser", "variable": "Effective Tension",
            "statistics": ["max"], "allowable": 900.0}]}},
    })
    result = FileResult(path="/c/a.sim", size=1, outputs={"g": [["T max"]]},
                        values={"g": {"T max": 1000.0}})
    case = {"Hs": 2.0, "side": "port", "file": "scatter row 3"}
    found = verdict(model, [result], lambda r: case)
    table = verdict_table(found).to_pylist()
    assert table == [{"file": "a.sim", "Hs": 2.0, "side_2": "port", "file_2": "scatter row 3",
                      "group": "g", "column": "T", "output": "T max", "arc_length": None,
                      "value": 1000.0, "side": "abs", "allowable": 900.0,
                      "utilisation": pytest.approx(1000 / 900)}]
    report = found.report()
    (row,) = report["breach_rows"]
    assert {k: row[k] for k in table[0]} == table[0]
    assert report["governing"]["file"] == "a.sim" and report["governing"]["side_2"] == "port"
    assert report["governing"]["side"] == "abs" and not any(k.startswith("lc:") for k in row)


def test_a_lifetime_no_load_case_of_which_has_a_probability_is_empty_not_zero():
    """An occurrence list that matches no row (Hs 2.5 against 2.0 and 6.0) left every load
    case out, and lifetime_del wrote a lifetime DEL of 0.0 (lifetime_damage a damage of 0.0):
    a number for a life nothing covered."""
    import pyarrow as pa
    from orcapost.plugins.reductions.lifetime_damage import LifetimeDamageReduction
    from orcapost.plugins.reductions.lifetime_del import LifetimeDelReduction

    rows = pa.table({"Hs": [2.0, 6.0], "p": [None, None]})
    values = np.array([10.0, 20.0])
    nothing = {"occurrence": [{"where": {"Hs": 2.5}, "probability": 1.0}]}
    for options in (nothing, {"probability": "p"}):
        life = LifetimeDelReduction(LifetimeDelReduction.Options(m=3, **options))
        assert life.reduce("del", values, rows) == {"lifetime DEL m3": None,
                                                    "probability covered": 0.0}
        damage = LifetimeDamageReduction(LifetimeDamageReduction.Options(duration=10, **options))
        assert damage.reduce("d", values, rows) == {"lifetime damage": None,
                                                    "life years": None,
                                                    "probability covered": 0.0}
    # A load case of probability 0 is covered: its zero is a computed one.
    rows = pa.table({"Hs": [2.0, 6.0], "p": [0.0, 0.0]})
    life = LifetimeDelReduction(LifetimeDelReduction.Options(m=3, probability="p"))
    assert life.reduce("del", values, rows)["lifetime DEL m3"] == 0.0


def test_the_seeds_of_a_load_case_must_agree_on_its_probability_and_wind_speed():
    """A load case's probability (or wind speed) was read from its first row only: seeds that
    disagree (0.1 and 0.3, or 6 and 10 m/s, with load_case naming too few keys) were weighted
    by the first, silently."""
    import pyarrow as pa
    from orcapost.plugins.reductions.lifetime_del import LifetimeDelReduction

    values = np.array([10.0, 20.0, 30.0])
    rows = pa.table({"Hs": [2.0, 2.0, 6.0], "p": [0.1, 0.3, 0.6], "wind": [6.0, 10.0, 14.0]})
    life = LifetimeDelReduction(LifetimeDelReduction.Options(m=3, probability="p",
                                                             load_case=["Hs"]))
    with pytest.raises(ValueError, match=r"Hs = 2.*'p'.*0\.1.*0\.3"):
        life.reduce("del", values, rows)
    wind = LifetimeDelReduction(LifetimeDelReduction.Options(
        m=3, weibull={"column": "wind", "iec_class": "I"}, load_case=["Hs"]))
    with pytest.raises(ValueError, match=r"Hs = 2.*'wind'.*6.*10"):
        wind.reduce("del", values, rows)
    # Seeds that agree (an empty cell beside a value is no disagreement) are one load case.
    rows = pa.table({"Hs": [2.0, 2.0, 6.0], "p": [0.4, None, 0.6]})
    got = life.reduce("del", values, rows)
    assert got["lifetime DEL m3"] == pytest.approx(
        (0.4 * (10.0**3 + 20.0**3) / 2 + 0.6 * 30.0**3) ** (1 / 3))


def test_exceedance_and_mean_plus_k_std_columns_name_their_threshold_and_k_in_full():
    """':g' named a threshold of 1234567.5 N '>1.23457e+06' (a threshold not counted
    against) and k = 1.6448536 'mean+1.64485std'."""
    import pyarrow as pa
    from orcapost.plugins.reductions.spread import (
        ExceedancesOptions,
        ExceedancesReduction,
        MeanPlusKStdOptions,
        MeanPlusKStdReduction,
    )

    values = np.array([1234567.0, 1234568.0, 1234569.0])
    rows = pa.table({"x": values})
    over = ExceedancesReduction(ExceedancesOptions(columns=["x"], threshold=1234567.5))
    assert over.reduce("x", values, rows) == {"exceedances >1234567.5": 2,
                                               "exceedance fraction >1234567.5": 2 / 3}
    k = MeanPlusKStdReduction(MeanPlusKStdOptions(columns=["x"], k=1.6448536))
    assert list(k.reduce("x", values, rows)) == ["mean+1.6448536std"]
    assert list(MeanPlusKStdReduction(MeanPlusKStdOptions(columns=["x"], k=-2)).reduce(
        "x", values, rows)) == ["mean-2std"]


def test_a_breach_without_a_utilisation_governs_over_passing_values(pm):
    """The governing row was the largest utilisation: a riser in compression (-5 kN against a
    minimum of 50 kN, a utilisation not defined) breached, and the run's governing case was a
    passing file at 0.89."""
    from orcapost.cli import _verdict_line
    from orcapost.criteria import verdict
    from orcapost.results import FileResult

    model = pm.registry.config_model().model_validate({
        "version": 2, "inputs": {"directory": "."},
        "results": {"g": {"columns": [{
            "label": "T", "kind": "statistics", "object": "Riser", "variable": "Effective Tension",
            "statistics": ["min"], "limits": {"min": 50.0, "max": 900.0}}]}},
    })

    def result(name, value):
        return FileResult(path=f"/c/{name}", size=1, outputs={"g": [["T min"]]},
                          values={"g": {"T min": value}})

    found = verdict(model, [result("a.sim", 800.0), result("b.sim", -5.0),
                            result("c.sim", 40.0)], lambda r: {})
    report = found.report()
    assert report["breaches"] == 2
    assert report["governing"]["file"] == "b.sim" and report["governing"]["utilisation"] is None
    line = _verdict_line(report)
    assert "governing: T min = -5 in b.sim, utilisation not defined" in line
    # Among breaches with a utilisation, and among passing values, the largest governs.
    found = verdict(model, [result("a.sim", 800.0), result("c.sim", 40.0),
                            result("d.sim", 45.0)], lambda r: {})
    assert found.governing["file"] == "c.sim"
    assert verdict(model, [result("a.sim", 800.0), result("e.sim", 100.0)],
                   lambda r: {}).governing["file"] == "a.sim"
