"""Derived channels: the expression language (whitelisted ast, numpy evaluation, never eval),
the ``derived:`` config section (located errors) and every extractor reading a derived channel
as a variable -- checked against numpy on the demo data."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from orcapost.archive import HEADER_KEY
from orcapost.demo import DemoSpec, write_campaign
from orcapost.derived import ExpressionError, parse
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.schemas.vocabulary import Period

WHOLE = Period.model_validate("whole simulation")


# -- the language ------------------------------------------------------------------------------

def test_every_function_and_operator_matches_numpy():
    rng = np.random.default_rng(7)
    a, b, c = rng.normal(size=(3, 200))
    values = {"a": a, "b": b, "Effective Tension": c}
    cases = {
        "a + b - 2 * a / 4 ** 0.5": a + b - 2 * a / 4**0.5,
        "-a + +b": -a + b,
        "a ** 2": a**2,
        "abs(a)": np.abs(a),
        "sqrt(abs(a))": np.sqrt(np.abs(a)),
        "sin(a) + cos(b) + tan(a)": np.sin(a) + np.cos(b) + np.tan(a),
        "arctan2(a, b)": np.arctan2(a, b),
        "hypot(a, b)": np.hypot(a, b),
        "degrees(a) + radians(b)": np.degrees(a) + np.radians(b),
        "min(a, b)": np.minimum(a, b),
        "max(a, b, 'Effective Tension')": np.maximum(np.maximum(a, b), c),
        "'Effective Tension' / 1200": c / 1200,
        "2 * pi * a": 2 * np.pi * a,
        "sqrt(a**2 + b**2)": np.sqrt(a**2 + b**2),
        "1e3 * a": 1e3 * a,
    }
    for text, expected in cases.items():
        np.testing.assert_allclose(parse(text).evaluate(values), expected, rtol=1e-15,
                                   err_msg=text)
    assert parse("max(a, b, 'Effective Tension') + a").variables == ("a", "b",
                                                                      "Effective Tension")
    assert parse("2 * pi").variables == ()
    # numpy's semantics for what has no finite value (no warning, no exception).
    assert np.isinf(parse("1 / a").evaluate({"a": np.zeros(2)})).all()
    assert np.isnan(parse("sqrt(a)").evaluate({"a": -np.ones(2)})).all()


@pytest.mark.parametrize(("text", "message"), [
    ("__import__('os').system('echo no')", "only the listed functions can be called"),
    ("a.real", "attributes"),
    ("a[0]", "subscripts"),
    ("a > b", "comparisons"),
    ("a and b", "and/or"),
    ("a if b else 1", "if/else"),
    ("lambda: 1", "lambda"),
    ("(a, b)", "tuples"),
    ("log(a)", "unknown function 'log'"),
    ("eval('1')", "unknown function 'eval'"),
    ("sqrt(a, b)", "takes 1 argument, not 2"),
    ("max(a)", "two or more arguments"),
    ("hypot(a)", "takes 2 arguments"),
    ("sqrt(x=a)", "no keyword arguments"),
    ("a // b", "operator // is not allowed"),
    ("a % b", "operator % is not allowed"),
    ("~a", "operator ~ is not allowed"),
    ("True + a", "True is not a number"),
    ("1j * a", "not a real number"),
    ("sqrt + 1", "sqrt is a function"),
    ("a +", "not a valid expression"),
    ("", "an expression is needed"),
    ("'' + a", "empty quoted variable name"),
])
def test_anything_outside_the_language_is_refused_with_where(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


def test_the_error_says_the_column():
    with pytest.raises(ExpressionError, match=r"at column 7"):
        parse("a + b*foo(a)")


# -- the config section ------------------------------------------------------------------------

def _config(directory, out, derived, columns):
    return {"version": 2, "inputs": {"directory": str(directory)},
            "outputs": {"directory": str(out), "formats": ["csv", "parquet"]},
            "derived": derived, "results": {"g": {"columns": columns}}}


def test_a_bad_expression_is_a_located_validate_error(run_cli, write_config, tmp_path):
    column = [{"label": "a", "kind": "statistics", "object": "FPSO", "variable": "x"}]
    config = _config(tmp_path, tmp_path / "o", {"x": {"expression": "Heave + foo(Surge)"}},
                     column)
    result = run_cli("validate", write_config(config))
    assert result.exit_code == 2
    assert "derived.x.expression" in result.output and "unknown function 'foo'" in result.output
    config = _config(tmp_path, tmp_path / "o", {"x": "y + 1", "y": "2 * x"}, column)
    result = run_cli("validate", write_config(config))
    assert result.exit_code == 2 and "uses itself (x -> y -> x)" in result.output
    config = _config(tmp_path, tmp_path / "o", {"x": {"expresion": "Heave"}}, column)
    result = run_cli("validate", write_config(config))
    assert result.exit_code == 2 and "did you mean 'expression'" in result.output


# -- every extractor reads them, against numpy on the demo data ----------------------------------

SPEC = DemoSpec(headings=(45.0,), wave_heights=(4.0,), seeds=(1, 2), file_size=120_000)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("derived")
    return directory, write_campaign(directory, SPEC)


def _columns(path, *names):
    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    out = []
    for name in names:
        column = table.column(name).combine_chunks()
        if pa.types.is_fixed_size_list(column.type):
            out.append(column.values.to_numpy().reshape(len(column), -1).astype(np.float64))
        else:
            out.append(column.to_numpy().astype(np.float64))
    return json.loads(table.schema.metadata[HEADER_KEY]), out


DERIVED = {
    "Offset": {"expression": "hypot(Surge, Sway)", "unit": "m"},
    "Offset angle": {"expression": "degrees(arctan2(Sway, Surge))", "unit": "deg"},
    "T/MBL": {"expression": "'Effective Tension' / 1200", "objects": ["Mooring*"]},
    "T/MBL %": "100 * 'T/MBL'",  # a derived channel of a derived channel
    "Stress MPa": {"expression": "'ZZ Stress' / 1000", "unit": "MPa"},
    "Needs Foo": "Foo + Heave",
}


def test_every_extractor_reads_a_derived_channel_as_a_variable(demo, run_cli, write_config,
                                                               tmp_path):
    directory, paths = demo
    columns = [
        {"label": "offset", "kind": "statistics", "object": "FPSO", "variable": "Offset",
         "statistics": ["max", "mean", "std"]},
        {"label": "angle", "kind": "statistics", "object": "FPSO", "variable": "Offset angle",
         "statistics": ["mean"]},
        {"label": "tmbl", "kind": "statistics", "object": "Mooring1", "variable": "T/MBL %",
         "position": "End B", "statistics": ["max"]},
        {"label": "outer MPa", "kind": "statistics", "object": "Riser",
         "variable": "Stress MPa", "position": {"node": 1, "radial": "outer"},
         "statistics": ["max"]},
        {"label": "static tmbl", "kind": "static", "object": "Mooring2", "variable": "T/MBL",
         "position": {"node": 3}},
        {"label": "envelope", "kind": "range_graph", "object": "Mooring1", "variable": "T/MBL"},
        {"label": "linked", "kind": "linked_statistics", "object": "FPSO", "variable": "Offset",
         "linked": ["Heave"], "statistics": ["max"]},
        {"label": "history", "kind": "time_history", "object": "FPSO", "variable": "Offset",
         "period": "latest wave"},
        {"label": "extreme", "kind": "extremes", "object": "FPSO", "variable": "Offset"},
        {"label": "missing", "kind": "statistics", "object": "FPSO", "variable": "Needs Foo"},
        {"label": "not mooring", "kind": "statistics", "object": "FPSO", "variable": "T/MBL"},
    ]
    out = tmp_path / "out"
    result = run_cli("run", write_config(_config(directory, out, DERIVED, columns)), "--quiet")
    assert result.exit_code == 1  # the two refused columns are failure rows
    # Parquet holds each cell as computed (a CSV cell is its shortest text at the stored
    # precision: float32 values read back as the nearest float64 of that text).
    rows = {r["file"]: r for r in pq.read_table(out / "g.parquet").to_pylist()}
    failures = pacsv.read_csv(out / "failures.csv").to_pylist()
    assert {f["column"] for f in failures} == {"missing", "not mooring"}
    assert all("FPSO has no variable 'Foo'" in f["reason"] for f in failures
               if f["column"] == "missing")
    assert all("objects patterns do not match" in f["reason"] or "no variable" in f["reason"]
               for f in failures if f["column"] == "not mooring")
    for path in paths:
        header, (surge, sway, tension, ztension, zz_outer) = _columns(
            path, "FPSO/Surge", "FPSO/Sway", "Mooring1/Effective Tension",
            "Mooring2/Effective Tension", 'Riser/ZZ Stress@{"radial":"outer","theta":0.0}')
        with ArchiveResultFile(path) as file:
            window = file.period_slice(WHOLE)
        row = rows[path.name]
        offset = np.hypot(surge, sway)[window]
        assert row["offset max"] == pytest.approx(offset.max(), rel=1e-12)
        assert row["offset mean"] == pytest.approx(offset.mean(), rel=1e-12)
        assert row["offset std"] == pytest.approx(offset.std(), rel=1e-9)
        assert row["angle"] == pytest.approx(
            np.degrees(np.arctan2(sway, surge))[window].mean(), rel=1e-9)
        assert row["tmbl"] == pytest.approx(100 * (tension[window, -1] / 1200).max(), rel=1e-12)
        assert row["outer MPa"] == pytest.approx((zz_outer[window, 0] / 1000).max(), rel=1e-12)
        mooring2 = next(o for o in header["objects"] if o["name"] == "Mooring2")
        assert row["static tmbl"] == pytest.approx(mooring2["variables"][0]["static"][2] / 1200,
                                                   rel=1e-12)
        assert row["envelope"] == pytest.approx((tension[window] / 1200).max(), rel=1e-12)
        at = int(np.argmax(offset))
        heave = _columns(path, "FPSO/Heave")[1][0][window]
        assert row["linked max"] == pytest.approx(offset[at], rel=1e-12)
        assert row["linked max Heave"] == pytest.approx(heave[at], rel=1e-12)
        assert row["history samples"] > 0 and row["extreme"] > offset.max() * 0.5


def test_a_derived_channel_has_its_unit_and_is_listed_where_it_applies(demo):
    from orcapost.derived_file import DerivedChannels, with_derived
    from orcapost.schemas.derived import DerivedChannel

    _, paths = demo
    channels = DerivedChannels({k: DerivedChannel.model_validate(v) for k, v in DERIVED.items()})
    with with_derived(ArchiveResultFile(paths[0]), channels) as file:
        catalogue = file.catalogue()
        assert catalogue["FPSO"].variables["Offset"].units == "m"
        assert not catalogue["FPSO"].variables["Offset"].along_line
        assert catalogue["Mooring1"].variables["T/MBL %"].along_line
        assert "T/MBL" not in catalogue["FPSO"].variables  # objects: [Mooring*]
        assert "Needs Foo" not in catalogue["FPSO"].variables  # FPSO has no Foo
        series = file.time_history("FPSO", "Offset", None, WHOLE)
        assert series.units == "m"
        surge = file.time_history("FPSO", "Surge", None, WHOLE)
        np.testing.assert_array_equal(series.time, surge.time)
        # export's raw records of a derived channel are the expression over the raw records
        np.testing.assert_allclose(file.raw_time_values("FPSO", "Offset"),
                                   np.hypot(file.raw_time_values("FPSO", "Surge"),
                                            file.raw_time_values("FPSO", "Sway")))
        arcs, grid = file.raw_line_values("Mooring1", "T/MBL %")
        np.testing.assert_allclose(grid, 100 * file.raw_line_values(
            "Mooring1", "Effective Tension")[1] / 1200)
        np.testing.assert_allclose(file.raw_static("Mooring1", "T/MBL"),
                                   np.asarray(file.raw_static("Mooring1", "Effective Tension"))
                                   / 1200)


def test_export_config_exports_what_a_derived_channel_reads(pm, tmp_path, write_config):
    from orcapost.plugins.commands.export import selection_from_config

    config = _config(tmp_path, tmp_path / "o", {"Offset": "hypot(Surge, Sway)",
                                                "Offset %": "100 * Offset / 50",
                                                "MPa": "'ZZ Stress' / 1000"}, [
        {"label": "a", "kind": "statistics", "object": "FPSO", "variable": "Offset %"},
        {"label": "b", "kind": "statistics", "object": "Riser", "variable": "MPa",
         "position": {"node": 1, "radial": "outer"}}])
    pairs, _, points = selection_from_config(pm, write_config(config))
    assert pairs == [["FPSO", "Surge"], ["FPSO", "Sway"], ["Riser", "ZZ Stress"]]
    assert [(p["object"], p["variable"], p["position"]["radial"]) for p in points] == [
        ("Riser", "ZZ Stress", "outer")]


def test_derived_channels_run_in_worker_processes(demo, run_cli, write_config, tmp_path):
    directory, paths = demo
    columns = [{"label": "offset", "kind": "statistics", "object": "FPSO",
                "variable": "Offset", "statistics": ["max"]}]
    results = {}
    for executor in ("threads", "processes"):
        config = _config(directory, tmp_path / executor, {"Offset": "hypot(Surge, Sway)"},
                         columns)
        config["engine"] = {"executor": executor,
                            "thread_policy": {"name": "fixed", "threads": 2}}
        assert run_cli("run", write_config(config, f"{executor}.yml"), "--quiet").exit_code == 0
        results[executor] = pacsv.read_csv(tmp_path / executor / "g.csv").to_pydict()
    assert results["processes"]["offset"] == results["threads"]["offset"]
    assert len(results["threads"]["offset"]) == len(paths)


# -- what the language must refuse before anything is read (review) ------------------------------

@pytest.mark.parametrize("text", [
    "1" + "0" * 400 + " * a",  # an integer literal float() cannot convert (was OverflowError)
    "1e400 * a",  # a float literal that is already inf
])
def test_a_number_beyond_float64_is_refused_not_an_overflow_at_evaluation(text):
    with pytest.raises(ExpressionError, match="beyond float64's range"):
        parse(text)


@pytest.mark.parametrize("text", [
    "+".join(["a"] * 3000),  # Python's parser raised RecursionError (a traceback)
    "-" * 3000 + "a",
    "+".join(["a"] * 500),  # parsed, then checking/evaluating it recursed 500 deep
    "sqrt(" * 60 + "abs(" * 60 + "a" + ")" * 120,
])
def test_a_deeply_nested_expression_is_refused_in_words(text):
    with pytest.raises(ExpressionError, match="nested more than 100 levels"):
        parse(text)
    assert parse("+".join(["a"] * 90)).evaluate({"a": np.ones(2)}).tolist() == [90.0, 90.0]


def test_a_derived_channel_reading_no_variable_is_a_validate_error(run_cli, write_config,
                                                                    tmp_path):
    # It would be a variable of every object that every read of it fails ("reads no
    # variable"), so a `variable: "*"` column failed every file.
    column = [{"label": "a", "kind": "statistics", "object": "FPSO", "variable": "Heave"}]
    config = _config(tmp_path, tmp_path / "o", {"two pi": "2 * pi"}, column)
    result = run_cli("validate", write_config(config))
    assert result.exit_code == 2, result.output
    assert "derived" in result.output and "reads no variable" in result.output


def test_a_derived_channel_at_a_point_is_the_expression_at_that_point(demo):
    # export's per-point series of a derived channel (an export column's points with a
    # variable glob) asked the wrapped file for the channel and raised KeyError.
    from orcapost.derived_file import DerivedChannels, with_derived
    from orcapost.schemas.derived import DerivedChannel

    _, paths = demo
    channels = DerivedChannels({"MPa": DerivedChannel.model_validate("'ZZ Stress' / 1000")})
    outer = {"radial": "outer", "theta": 0.0}
    with with_derived(ArchiveResultFile(paths[0]), channels) as file:
        arcs, grid = file.raw_line_point_values("Riser", "MPa", outer)
        own_arcs, stress = file.raw_line_point_values("Riser", "ZZ Stress", outer)
        np.testing.assert_array_equal(arcs, own_arcs)
        np.testing.assert_allclose(grid, np.asarray(stress, np.float64) / 1000, rtol=1e-15)
        np.testing.assert_allclose(file.raw_point_static("Riser", "MPa", outer),
                                   np.asarray(file.raw_point_static("Riser", "ZZ Stress",
                                                                    outer)) / 1000)


def _chain(n: int) -> dict:
    """c0 = Heave, c1 = Surge, c_i = c_(i-1) + c_(i-2): every channel reads the two before."""
    chain = {"c0": "Heave", "c1": "Surge"}
    chain.update({f"c{i}": f"c{i - 1} + c{i - 2}" for i in range(2, n)})
    return chain


def test_channels_sharing_channels_are_checked_in_linear_time():
    # The cycle check walked every path: 2**(n/1.44) of them, minutes at n = 34.
    import threading

    from orcapost.schemas.derived import DerivedChannel, check_derived

    channels = {k: DerivedChannel.model_validate(v) for k, v in _chain(34).items()}
    worker = threading.Thread(target=check_derived, args=(channels,), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "check_derived walks every path"
    channels["c0"] = DerivedChannel.model_validate("c33")
    with pytest.raises(ValueError, match=r"uses itself \(c0 -> c33 -> c31 -> c29"):
        check_derived(channels)


def test_channels_sharing_channels_read_each_variable_once(demo, monkeypatch):
    # A channel several others use was evaluated, and its variables read, once per path to
    # it (Fibonacci(n) reads here).
    from orcapost.derived_file import DerivedChannels, with_derived
    from orcapost.schemas.derived import DerivedChannel

    _, paths = demo
    channels = DerivedChannels({k: DerivedChannel.model_validate(v)
                                for k, v in _chain(16).items()})
    reads: list[str] = []
    original = ArchiveResultFile.time_history

    def counted(self, obj, var, position, period):
        reads.append(var)
        return original(self, obj, var, position, period)

    monkeypatch.setattr(ArchiveResultFile, "time_history", counted)
    with with_derived(ArchiveResultFile(paths[0]), channels) as file:
        assert "c15" in file.catalogue()["FPSO"].variables
        series = file.time_history("FPSO", "c15", None, WHOLE).values
        assert sorted(reads) == ["Heave", "Surge"]
        heave = original(file.inner, "FPSO", "Heave", None, WHOLE).values.astype(np.float64)
        surge = original(file.inner, "FPSO", "Surge", None, WHOLE).values.astype(np.float64)
        # c_i = F(i) * Surge + F(i-1) * Heave (F the Fibonacci numbers, F(1) = F(2) = 1)
        np.testing.assert_allclose(series, 610 * surge + 377 * heave, rtol=1e-12, atol=1e-9)
        assert file.raw_static("FPSO", "c15") == pytest.approx(
            610 * file.raw_static("FPSO", "Surge") + 377 * file.raw_static("FPSO", "Heave"))


def test_an_expression_that_ends_too_early_names_no_column_0():
    # Columns are 1-based; Python's offset 0 ("a +") was reported as "at column 0".
    with pytest.raises(ExpressionError, match="ends too early") as caught:
        parse("a +")
    assert "column 0" not in str(caught.value)
    with pytest.raises(ExpressionError, match=r"at column 3"):
        parse("a b")
