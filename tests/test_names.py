"""Output names: checked before anything runs, after wildcards expand, and at every output path
(issue 12). Each test here failed before the checks existed."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pyarrow.csv as pacsv
import pytest
from helpers import first_archive
from orcapost.config import ConfigError, validate_data
from orcapost.engine import Engine
from orcapost.errors import OrcapostError
from orcapost.names import RESERVED_FILES, STAGING_PREFIX, WINDOWS_DEVICES, file_name_problem
from orcapost.outputs import STAGING_PREFIX as WRITER_STAGING
from orcapost.outputs import output_path, write_tables
from orcapost.results import FileResult
from orcapost.tables import FAILURES_TABLE, RunTables, extra_table
from orcapost.units import split_units


def _config(inputs, out, results, **extra):
    return {"version": 2, "inputs": {"directory": str(inputs)}, "results": results,
            "outputs": {"directory": str(out), "formats": ["csv"], **extra.pop("outputs", {})},
            **extra}


def _stat(label, obj="Riser", var="Effective Tension", **options):
    return {"label": label, "kind": "statistics", "object": obj, "variable": var,
            "position": "End A", **options}


# -- the reserved names are orcapost's own ---------------------------------------------------


def test_the_reserved_names_are_the_ones_orcapost_writes():
    # The writers take their names from orcapost.names: what is reserved is what is written
    # (it drifted once: the lock was reserved as orcapost.lock and written as orcapost-run.lock).
    from orcapost.journal import JOURNAL_NAME
    from orcapost.lock import LOCK_NAME
    from orcapost.run_report import RUN_REPORT_NAME
    from orcapost.shards import SHARD_RECORD_NAME

    assert set(RESERVED_FILES) == {JOURNAL_NAME, RUN_REPORT_NAME, LOCK_NAME, SHARD_RECORD_NAME}
    assert STAGING_PREFIX == WRITER_STAGING
    assert FAILURES_TABLE == "failures"


# -- plain file names: a property over generated names ----------------------------------------

_GOOD = ["mooring", "riser_top", "Hs 2.5", "a.b", "x-1", "..x", ".hidden", "CONSOLE", "COM10",
         "naïve", "LPT"]
_BAD_PARTS = ["/", "\\", ":", "..", "*", "?", '"', "<", ">", "|", "\x00", "\n"]


def _generated_names():
    """Good names, each with every bad part before, inside and after it, reserved device names
    in every case with and without suffixes, trailing dots and spaces, and absolute paths."""
    for good, bad in itertools.product(_GOOD, _BAD_PARTS):
        yield from (f"{bad}{good}", f"{good}{bad}", f"{good[:1]}{bad}{good[1:]}")
    for device in sorted(WINDOWS_DEVICES):
        for spelt in (device, device.lower(), device.title()):
            yield from (spelt, f"{spelt}.csv", f"{spelt} .txt")
    for good in _GOOD:
        yield from (f"{good}.", f"{good} ", f"/{good}", f"C:{good}", f"C:\\{good}",
                    f"../../{good}", f"{good}/..", f"\\\\server\\{good}")
    yield from _GOOD
    yield from ("", ".", "..", "x" * 256, "x" * 255)


GENERATED = sorted(set(_generated_names()))


def _windows_rejects(name: str) -> bool:
    """An independent statement of the rules (what POSIX and Windows both accept as one name
    in one folder)."""
    if name in ("", ".", "..") or len(name) > 255:
        return True
    if any(c in '<>:"/\\|?*' or ord(c) < 32 for c in name):
        return True
    if name.endswith((".", " ")):
        return True
    return name.split(".")[0].strip().upper() in WINDOWS_DEVICES


def test_a_name_is_a_plain_file_name_exactly_when_it_stays_in_its_folder(tmp_path):
    assert len(GENERATED) > 500
    for name in GENERATED:
        problem = file_name_problem(name)
        assert (problem is not None) == _windows_rejects(name), (name, problem)
        if problem is not None:
            with pytest.raises(OrcapostError, match="output file name"):
                output_path(tmp_path, name)
        else:
            path = output_path(tmp_path, name)
            assert path.parent == tmp_path and path.resolve().parent == tmp_path.resolve()


@pytest.mark.parametrize("name", [n for n in GENERATED if file_name_problem(n)][::40], ids=repr)
def test_validate_refuses_a_group_that_is_no_plain_file_name(pm, tmp_path, name):
    config = _config(tmp_path, tmp_path / "out", {name: {"columns": [_stat("x")]}})
    with pytest.raises(ConfigError) as caught:
        validate_data(config, pm.registry)
    assert caught.value.issues[0].keys == ("results", name)


# -- names checked before anything runs: `validate` and `run` both refuse, exit 2, located ------


BAD_CONFIGS = {
    "equal labels": ({"g": {"columns": [_stat("top"), _stat("top", var="Bend Moment")]}},
                     {}, "results.g.columns.1.label", "'top' is also written by column 0"),
    "a statistic's name is another label": (
        {"g": {"columns": [_stat("top", statistics=["max", "min"]), _stat("top max")]}},
        {}, "results.g.columns.1.label", "'top max' is also written by column 0"),
    "an interval bound is another label": (
        {"g": {"columns": [
            {"label": "Heave", "kind": "extremes", "method": "weibull", "confidence": 0.9,
             "object": "FPSO", "variable": "Heave"},
            _stat("Heave lower", obj="FPSO", var="Heave", position=None)]}},
        {}, "results.g.columns.1.label", "'Heave lower' is also written by column 0"),
    "an extra table's value name": (
        {"g": {"columns": [
            {"label": "Heave", "kind": "time_history", "object": "FPSO", "variable": "Heave"},
            _stat("Heave samples", obj="FPSO", var="Heave", position=None)]}},
        {}, "results.g.columns.1.label", "'Heave samples'"),
    "a group named failures": ({"failures": {"columns": [_stat("x")]}}, {}, "results.failures",
                               "failures table"),
    # One file on Windows and macOS: refused before the run, not after it, by write_tables.
    "a group named Failures": ({"Failures": {"columns": [_stat("x")]}}, {}, "results.Failures",
                               "failures table"),
    "naming that makes Failures": ({"ures": {"columns": [_stat("x")]}},
                                   {"outputs": {"naming": "Fail{group}"}}, "outputs.naming",
                                   "failures table"),
    "a group named like the run report": (
        {"orcapost-run.json": {"columns": [_stat("x")]}}, {}, "results.orcapost-run.json",
        "writes itself"),
    "a group named like the staging folder": (
        {f"{STAGING_PREFIX}x": {"columns": [_stat("x")]}}, {}, f"results.{STAGING_PREFIX}x",
        "staging"),
    "a group escaping the folder": ({"../../x": {"columns": [_stat("x")]}}, {},
                                    "results.../../x", "folder separator"),
    "a reserved Windows name": ({"NUL": {"columns": [_stat("x")]}}, {}, "results.NUL",
                                "device name"),
    "a trailing dot": ({"g.": {"columns": [_stat("x")]}}, {}, "results.g.", "dot or a space"),
    "naming with ..": ({"g": {"columns": [_stat("x")]}}, {"outputs": {"naming": "../{group}"}},
                       "outputs.naming", "folder separator"),
    "absolute naming": ({"g": {"columns": [_stat("x")]}}, {"outputs": {"naming": "/tmp/{group}"}},
                        "outputs.naming", "folder separator"),
    "naming with a drive": ({"g": {"columns": [_stat("x")]}},
                            {"outputs": {"naming": "C:{group}"}}, "outputs.naming", "drive"),
    "a legacy label escaping the folder": (
        {"g": {"columns": [_stat("x")]}},
        {"outputs": {"formats": [{"name": "legacy_csv", "label": "../up"}]}},
        "outputs.formats.0", "folder separator"),
    "two sinks writing one file": (
        {"g": {"columns": [_stat("x")]}},
        {"outputs": {"formats": ["csv", "legacy_csv"], "naming": "{config}_{group}"}},
        "outputs.formats.1", "one file would replace the other"),
    "groups one file apart by case": (
        {"Riser": {"columns": [_stat("x")]}, "riser": {"columns": [_stat("x")]}},
        {}, "outputs.naming", "one file would replace the other"),
    "a campaign table named like an extra table": (
        {"g": {"columns": [
            {"label": "Heave", "kind": "time_history", "object": "FPSO", "variable": "Heave",
             "layout": "long"}]}},
        {"campaign": [{"name": "g_Heave_time_history", "group": "g",
                       "reductions": [{"kind": "max"}]}]},
        "campaign.0.name", "extra table 'Heave time history'"),
    "a campaign table named failures": (
        {"g": {"columns": [_stat("x")]}},
        {"campaign": [{"name": "failures", "group": "g", "reductions": [{"kind": "max"}]}]},
        "campaign.0.name", "failures table"),
    "an extra table named like a group": (
        {"g": {"columns": [{"label": "e", "kind": "range_graph", "object": "Riser",
                            "variable": "Effective Tension", "envelope_output": True}]},
         "g_e_envelope": {"columns": [_stat("x")]}},
        {}, "results.g.columns.0.label", "the name of a result group"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS), ids=str)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_bad_name_is_refused_before_anything_runs(campaign, tmp_path, write_config, run_cli,
                                                    case, command):
    results, extra, where, words = BAD_CONFIGS[case]
    extra = {**extra, "outputs": {"formats": ["csv"], **extra.get("outputs", {})}}
    path = write_config(_config(campaign, tmp_path / "out", results, **extra))
    outcome = run_cli(command, path, *(["--quiet"] if command == "run" else []))
    assert outcome.exit_code == 2, outcome.output
    assert f" {where}: " in outcome.output and words in outcome.output, outcome.output
    assert f"{path}:" in outcome.output  # located: the file and its line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_names_that_cannot_collide_are_accepted(pm, tmp_path):
    results = {"g": {"columns": [
        _stat("top", statistics=["max", "min"]),
        _stat("top", var="Bend Moment"),  # "top max", "top min" and "top": distinct
        _stat("{object} top", obj="Mooring*"),  # what {object} becomes is the file's
        _stat("{object} top", obj="Mooring*", var="Bend Moment"),  # checked at run time
        {"label": "Heave", "kind": "extremes", "method": "weibull", "confidence": 0.9,
         "object": "FPSO", "variable": "Heave"},
    ]}}
    validate_data(_config(tmp_path, tmp_path / "out", results), pm.registry)


def test_shipped_extractors_name_their_outputs_as_they_write_them(campaign):
    """Each built-in column's output_names() is what its extractor writes (plain objects)."""
    from orcapost.plugins.extractors import (
        extremes,
        fatigue,
        linked_statistics,
        metadata,
        range_graph,
        static,
        statistics,
        time_history,
    )
    from orcapost.plugins.sources.archive import ArchiveResultFile
    from orcapost.units import split_units

    cases = [
        (statistics.StatisticsExtractor, dict(object="Riser", variable="Effective Tension",
                                              position="End A", statistics=["max", "p95"])),
        (statistics.StatisticsExtractor, dict(label="{statistic} of {object}", object="Riser",
                                              variable="Effective Tension", position="End A",
                                              statistics=["max"], nan_policy="omit")),
        (extremes.ExtremesExtractor, dict(object="FPSO", variable="Heave", method="weibull",
                                          confidence=0.9, bootstrap=20, details=True,
                                          goodness_of_fit=True)),
        (extremes.ExtremesExtractor, dict(object="FPSO", variable="Heave", details=True)),
        (extremes.ExtremesExtractor, dict(object="FPSO", variable="Heave", method="gumbel",
                                          block=5.0, details=True, goodness_of_fit=True)),
        (range_graph.RangeGraphExtractor, dict(object="Riser", variable="Effective Tension",
                                               statistics=["max", "min"], with_arc_length=True,
                                               envelope_output=True,
                                               arc_length=[[0, 100], [100, 200]])),
        (time_history.TimeHistoryExtractor, dict(object="FPSO", variable="Heave")),
        (linked_statistics.LinkedStatisticsExtractor, dict(
            object="Riser", variable="Effective Tension", position="End A",
            linked=["Bend Moment"])),
        (static.StaticExtractor, dict(object="Riser", variable="Effective Tension",
                                      position="End A")),
        (fatigue.FatigueExtractor, dict(object="Riser", variable="Bend Moment",
                                        arc_length=[300, 600], m=3, outputs=["del", "cycles"],
                                        with_arc_length=True, bins=5)),
        (metadata.MetadataExtractor, dict(label="case {key}", keys=["Hs"],
                                          pattern=r"LC(?P<number>\d+)_")),
    ]
    with ArchiveResultFile(first_archive(campaign)) as file:
        for cls, options in cases:
            column = cls.Options.model_validate({"label": "x", **options})
            written = set(split_units(cls(column).extract(file, column))[0])
            assert set(column.output_names()) == written, (cls.name, options)
            for title in column.extra_table_names():
                assert title in written


# -- collisions after expansion: the later column fails, naming both ----------------------------


def test_a_name_two_columns_write_once_objects_expand_fails_the_later_column(
        pm, campaign, tmp_path):
    results = {"g": {"columns": [
        _stat("{object} top", obj="Mooring*", position="End B"),
        _stat("Mooring1 top", obj="Riser"),  # known, but {object} above is the file's
        _stat("riser", obj="Riser"),
    ]}}
    loaded = validate_data(_config(campaign, tmp_path / "out", results), pm.registry)
    summary = Engine(pm, loaded, reporter=pm.registry.get("reporter", "silent").cls()).run()
    assert summary.exit_code == 1
    rows = pacsv.read_csv(tmp_path / "out" / "g.csv").to_pylist()
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pylist()
    assert len(failures) == len(rows) and {f["column"] for f in failures} == {"Mooring1 top"}
    reason = failures[0]["reason"]
    assert "'{object} top'" in reason and "'Mooring1 top'" in reason and "column 0" in reason
    mooring1 = pacsv.read_csv(tmp_path / "out" / "g.csv", read_options=None)
    # The first writer's value stands: End B of Mooring1, not the riser's End A.
    assert all(r["Mooring1 top"] != r["riser"] for r in rows)
    assert mooring1.num_rows == 8


# -- output paths -------------------------------------------------------------------------------


def test_output_path_refuses_a_link_out_of_the_folder(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    directory = tmp_path / "out"
    directory.mkdir()
    (directory / "g.csv").symlink_to(outside / "g.csv")
    with pytest.raises(OrcapostError, match="outside the output folder"):
        output_path(directory, "g", ".csv")
    assert output_path(directory, "h", ".csv") == directory / "h.csv"


def test_output_path_refuses_orcapost_s_own_files(tmp_path):
    # The same rule as validate's (names.reserved_problem): a sink writing .json files must
    # not replace the run report, whatever the case, even with a name only the run knows.
    for name, suffix in (("orcapost-run", ".json"), ("Orcapost-Journal", ".jsonl"),
                         (f"{STAGING_PREFIX}x", ".csv")):
        with pytest.raises(OrcapostError, match="orcapost"):
            output_path(tmp_path, name, suffix)


def _context(tmp_path, names=("g",)):
    config = SimpleNamespace(outputs=SimpleNamespace(naming="{group}"),
                             results={n: None for n in names})
    return SimpleNamespace(output_directory=tmp_path, config=config, config_stem="c")


def _sink(pm, name="csv"):
    return pm.registry.get("sink", name).cls()


def test_a_sink_returning_a_path_outside_the_staging_folder_is_refused(pm, tmp_path):
    from orcapost.plugins.sinks.csv import CsvSink

    outside = tmp_path / "elsewhere"
    outside.mkdir()

    class Astray(CsvSink):
        def write(self, name, table, directory):
            return super().write(name, table, outside)

    tables = RunTables(["g"])
    tables.add(FileResult(path=str(tmp_path / "a.arrow"), size=1, values={"g": {"x": 1.0}}))
    (tmp_path / "out").mkdir()
    with pytest.raises(OrcapostError, match="outside the output folder"):
        write_tables(tables, [Astray()], _context(tmp_path / "out"))
    assert not list((tmp_path / "out").glob("*.csv"))


@pytest.mark.parametrize("clash", ["extra table like a group", "campaign like an extra",
                                   "campaign like a group", "two files by case"])
def test_tables_named_alike_are_refused_before_any_table_is_replaced(pm, tmp_path, clash):
    out = tmp_path / "out"
    out.mkdir()
    groups = ["g", "g_x_a"] if clash == "extra table like a group" else ["g"]
    campaign = []
    if clash == "campaign like an extra":
        campaign = [SimpleNamespace(name="g_x_a")]
    elif clash == "campaign like a group":
        campaign = [SimpleNamespace(name="g")]
    elif clash == "two files by case":
        groups = ["g", "G"]
    tables = RunTables(groups, campaign)
    values = {name: {"v": 1.0} for name in groups}
    values["g"]["x"] = extra_table("x", {"t": [0.0, 1.0]}, layout="per_file")
    tables.add(FileResult(path=str(tmp_path / "a.arrow"), size=1, values=values))
    for name in ("g", "g_x_a"):
        (out / f"{name}.csv").write_text("previous\n")
    with pytest.raises(OrcapostError) as caught:
        write_tables(tables, [_sink(pm)], _context(out, groups))
    message = str(caught.value)
    assert "no table was written" in message
    if clash != "two files by case":
        assert "extra table" in message or "campaign table" in message
    assert (out / "g.csv").read_text() == "previous\n"
    assert (out / "g_x_a.csv").read_text() == "previous\n"
    assert not list(out.glob(f"{STAGING_PREFIX}*"))


def test_tables_with_distinct_names_are_written(pm, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    tables = RunTables(["g"], [])
    tables.add(FileResult(path=str(tmp_path / "a.arrow"), size=1, values={
        "g": {"v": 1.0, "x": extra_table("x", {"t": [0.0, 1.0]}, layout="per_file")}}))
    written = write_tables(tables, [_sink(pm)], _context(out))
    assert sorted(p.name for p in written) == ["g.csv", "g_x_a.csv"]
    assert pacsv.read_csv(out / "g_x_a.csv").column("t").to_pylist() == [0, 1]



# -- a property over generated configs: validate refuses exactly the configs whose columns would
#    write one name twice, as the extractors really name their outputs ------------------------

_LABELS = ["a", "a max", "a min", "a lower", "a upper", "a mean", "a tz", "a samples",
           "a time history", "b"]
#: Column shapes (without label) whose outputs share names with other labels in many ways.
_SHAPES = [
    {"kind": "statistics", "object": "Riser", "variable": "Effective Tension",
     "position": "End A", "statistics": ["max"]},
    {"kind": "statistics", "object": "Riser", "variable": "Effective Tension",
     "position": "End A", "statistics": ["max", "min"]},
    {"kind": "statistics", "object": "FPSO", "variable": "Heave", "statistics": ["mean", "max"]},
    {"kind": "extremes", "object": "FPSO", "variable": "Heave", "details": True},
    {"kind": "extremes", "object": "FPSO", "variable": "Heave", "method": "weibull",
     "confidence": 0.9, "bootstrap": 20, "threshold_quantile": 0.6},
    {"kind": "range_graph", "object": "Riser", "variable": "Effective Tension",
     "statistics": ["max", "mean"], "with_arc_length": True},
    {"kind": "time_history", "object": "FPSO", "variable": "Heave"},
    {"kind": "static", "object": "Riser", "variable": "Effective Tension", "position": "End A"},
]


def _written_names(pm, campaign, tmp_path) -> dict[tuple[int, str], set[str]]:
    """What each (shape, label) column really writes, by running its extractor on a file: the
    oracle, independent of the names the check predicts."""
    from orcapost.plugins.sources.archive import ArchiveResultFile

    written = {}
    with ArchiveResultFile(first_archive(campaign)) as file:
        for i, shape in enumerate(_SHAPES):
            for label in _LABELS:
                loaded = validate_data(_config(tmp_path, tmp_path / "out", {
                    "g": {"columns": [{"label": label, **shape}]}}), pm.registry)
                column = loaded.model.results["g"].columns[0]
                extractor = pm.registry.create("extractor", column, tag="kind")
                values, _units = split_units(extractor.extract(file, column))
                written[(i, label)] = set(values)
    return written


def test_validate_refuses_exactly_the_generated_configs_that_would_write_a_name_twice(
        pm, campaign, tmp_path):
    import random

    written = _written_names(pm, campaign, tmp_path)
    rng = random.Random(12)
    refused = accepted = 0
    for _ in range(300):
        picks = [(rng.randrange(len(_SHAPES)), rng.choice(_LABELS))
                 for _ in range(rng.randint(2, 4))]
        names = [written[pick] for pick in picks]
        twice = {(i, j) for j in range(len(names)) for i in range(j) if names[i] & names[j]}
        config = _config(tmp_path, tmp_path / "out", {"g": {"columns": [
            {"label": label, **_SHAPES[shape]} for shape, label in picks]}})
        try:
            validate_data(config, pm.registry)
        except ConfigError as error:
            assert twice, (picks, str(error))  # refused only when two columns do collide
            for issue in error.issues:
                assert issue.keys[:3] == ("results", "g", "columns"), str(error)
                later = issue.keys[3]
                assert any(j == later for _, j in twice), (picks, str(error))
            refused += 1
        else:
            assert not twice, (picks, twice)  # accepted only when no name is written twice
            accepted += 1
    assert refused > 50 and accepted > 50  # both sides of the property were exercised
# -- series_names is Namer's naming, written out for speed ----------------------------------

def _namer_reference(column, parts=None, suffixes=("",)):
    """What series_names gave when it built a Namer per column (before it was written out)."""
    from itertools import product

    from orcapost.extraction import Namer
    from orcapost.names import is_pattern, placeholders

    present = placeholders(column.label)
    known = {}
    for key in ("object", "variable"):
        value = getattr(column, key, None)
        if value is None:
            continue
        if is_pattern(value) and key in present:
            return []
        known[key] = value
    parts = parts or {}
    namer = Namer(column.label, [key for key, values in parts.items() if len(values) > 1])
    parts = {key: list(dict.fromkeys(values)) for key, values in parts.items()}
    names = []
    for combination in product(*parts.values()):
        base = namer(**known, **dict(zip(parts, combination, strict=True)))
        names.extend(base + suffix for suffix in suffixes)
    return names


@pytest.mark.parametrize("label", ["top", "{object} top", "{variable} at {object}",
                                   "{object} {statistic}", "{statistic}", "x {unknown}",
                                   "{object:>12}"])
@pytest.mark.parametrize("obj", ["Line1", "Line*", None])
@pytest.mark.parametrize("parts", [None, {}, {"statistic": ["max"]},
                                   {"statistic": ["max", "min", "max"]},
                                   {"statistic": ["max", "min"], "period": ["a", "b"]},
                                   {"statistic": ["max", "max"]}])
@pytest.mark.parametrize("suffixes", [("",), (" x", " y"), ["", " arc length"]])
def test_series_names_is_namers_naming(label, obj, parts, suffixes):
    from types import SimpleNamespace

    from orcapost.names import series_names

    column = SimpleNamespace(label=label, object=obj, variable="Effective Tension")
    assert series_names(column, parts, suffixes) == _namer_reference(column, parts, suffixes)
