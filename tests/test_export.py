"""`orcapost export`: .sim files to archives through the double, then the same numbers anywhere."""

from __future__ import annotations

import os
import sys

import numpy as np
import pyarrow.csv as pacsv
import pytest
from click.testing import CliRunner
from doubles.sim_campaign import write_campaign, write_pair
from helpers import statistics_config
from orcapost.archive import Archive
from orcapost.cli import cli
from orcapost.demo import DemoSpec
from orcapost.plugins.commands.export import expand_inputs
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.plugins.sources.orcaflex import OrcaFlexOptions, OrcaFlexResultFile
from orcapost.schemas.vocabulary import Period, Position

SPEC = DemoSpec(headings=(0.0, 90.0), wave_heights=(3.0,), seeds=(1, 2), file_size=100_000)


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    return write_campaign(tmp_path_factory.mktemp("export"), SPEC)[1]


@pytest.fixture
def export(pm):
    """Invoke the CLI with the commands plugins add (as ``orcapost`` itself does)."""
    pm.hook.orcapost_register_commands(cli=cli)

    def invoke(*args):
        return CliRunner().invoke(cli, [str(a) for a in args], obj={"pm": pm},
                                  catch_exceptions=False)

    return invoke


def _values(table):
    return table.drop_columns(["file", "path", "size_bytes"])


def test_export_then_extract_gives_the_numbers_extracted_through_the_api(
        double, sims, export, run_cli, write_config, tmp_path):
    out = tmp_path / "archives"
    result = export("export", sims / "*.sim", "--output", out, "--threads", "2", "--quiet")
    assert result.exit_code == 0, result.output
    archives = sorted(out.glob("*.arrow"))
    assert [a.stem for a in archives] == sorted(s.stem for s in sims.glob("*.sim"))
    summary = pacsv.read_csv(out / "export.csv").to_pydict()
    assert summary["status"] == ["ok"] * 4 and summary["archive variables"] == [18] * 4

    config = statistics_config(sims, tmp_path / "via-api")
    config["inputs"]["patterns"] = ["*.sim"]
    assert run_cli("run", write_config(config, "a.yml"), "--quiet").exit_code == 0
    config = statistics_config(out, tmp_path / "via-archive")
    assert run_cli("run", write_config(config, "b.yml"), "--quiet").exit_code == 0
    for group in ("lines", "vessel"):
        via_api = pacsv.read_csv(tmp_path / "via-api" / f"{group}.csv")
        via_archive = pacsv.read_csv(tmp_path / "via-archive" / f"{group}.csv")
        assert _values(via_archive).equals(_values(via_api)), group

    # Series by series, every position and period, through the API and from the export.
    sim, archive = sorted(sims.glob("*.sim"))[1], archives[1]
    with OrcaFlexResultFile(sim, OrcaFlexOptions()) as api, ArchiveResultFile(archive) as copy:
        assert copy.load_case() == api.load_case()
        assert copy.stages() == api.stages() and copy.latest_wave() == api.latest_wave()
        for position in ("End A", "End B", "Touchdown", {"arc_length": 47.5}, {"node": 4}):
            for period in ("whole simulation", "latest wave", {"stage": 0}, [3.0, 9.5]):
                p, q = Position.model_validate(position), Period.model_validate(period)
                a = api.time_history("Riser", "Bend Moment", p, q)
                b = copy.time_history("Riser", "Bend Moment", p, q)
                assert np.array_equal(a.time, b.time) and np.array_equal(a.values, b.values)
        for position in ("End A", {"arc_length": 47.5}):
            p = Position.model_validate(position)
            assert copy.static_value("Riser", "Effective Tension", p) == \
                api.static_value("Riser", "Effective Tension", p)
        # Model data travels in the archive header.
        assert copy.model_data("Environment", "WaveHs") == api.model_data("Environment",
                                                                          "WaveHs") == 3.0
        assert copy.model_data("FPSO", "InitialHeading") == 10.0


def test_export_keeps_arc_lengths_touchdown_statics_and_stages(double, sims, export, tmp_path):
    out = tmp_path / "archives"
    sim = sorted(sims.glob("*.sim"))[0]
    assert export("export", sim, "--output", out, "--quiet").exit_code == 0
    with Archive(out / f"{sim.stem}.arrow") as written, Archive(sim) as original:
        assert written.header["stages"] == original.header["stages"]
        assert written.header["latest_wave"] == original.header["latest_wave"]
        assert written.header["state"] == "complete"
        assert written.header["load_case"]["FPSO heading"] == 0.0
        objects = {o["name"]: o for o in written.objects}
        source = {o["name"]: o for o in original.objects}
        for name in ("Riser", "Mooring1"):
            assert objects[name]["arc_lengths"] == source[name]["arc_lengths"]
            assert np.array_equal(written.column(objects[name]["touchdown_column"]),
                                  original.column(source[name]["touchdown_column"]))
            for var, original_var in zip(objects[name]["variables"], source[name]["variables"],
                                         strict=True):
                assert var["name"] == original_var["name"] and var["units"] == original_var["units"]
                assert var["static"] == original_var["static"]
                assert np.array_equal(written.column(var["column"]),
                                      original.column(original_var["column"]))
        assert np.array_equal(written.time, original.time)


def test_a_chosen_subset_by_glob_or_by_config(double, sims, export, write_config, tmp_path):
    sim = sorted(sims.glob("*.sim"))[0]
    by_glob = tmp_path / "glob"
    result = export("export", sim, "--output", by_glob, "--objects", "Mooring*",
                    "--variables", "Effective*", "--precision", "float32", "--quiet")
    assert result.exit_code == 0, result.output
    with Archive(by_glob / f"{sim.stem}.arrow") as written:
        assert [o["name"] for o in written.objects] == [f"Mooring{i}" for i in range(1, 7)]
        column = written.objects[0]["variables"][0]["column"]
        assert written.column(column).dtype == np.float32

    config = statistics_config(sims, tmp_path / "unused")
    config["results"]["meta"] = {"columns": [
        {"label": "water", "kind": "metadata", "data": [{"object": "Environment",
                                                          "name": "WaveTp"}]}]}
    by_config = tmp_path / "config"
    result = export("export", sim, "--output", by_config, "--config", write_config(config),
                    "--quiet")
    assert result.exit_code == 0, result.output
    with Archive(by_config / f"{sim.stem}.arrow") as written:
        kept = {o["name"]: [v["name"] for v in o["variables"]] for o in written.objects}
        assert written.header["model_data"]["Environment"]["WaveTp"] == SPEC.load_cases()[0]["Tp"]
    assert kept == {"FPSO": ["Heave"], "Riser": ["Effective Tension", "Bend Moment"],
                    **{f"Mooring{i}": ["Effective Tension"] for i in range(1, 7)}}


def test_an_unfinished_run_exports_with_its_state_and_a_bad_file_is_a_failure_row(
        double, export, tmp_path):
    case = SPEC.load_cases()[0]
    _, sim = write_pair(tmp_path / "pair", SPEC, case, stop_fraction=0.6, state="unfinished")
    (sim.parent / "broken.sim").write_bytes(b"\x00" * 64)
    out = tmp_path / "out"
    result = export("export", sim.parent, "--output", out, "--quiet")
    assert result.exit_code == 1
    rows = {r["file"]: r for r in pacsv.read_csv(out / "export.csv").to_pylist()}
    assert rows["broken.sim"]["status"] == "failed"
    assert rows[sim.name]["status"] == "unfinished"
    failures = pacsv.read_csv(out / "failures.csv").to_pydict()
    assert failures["file"] == ["broken.sim"] and "FileReadError" in failures["reason"][0]
    with Archive(out / f"{sim.stem}.arrow") as written:
        assert written.header["state"] == "unfinished"
        load_case = written.header["load_case"]
        assert load_case["time_reached"] == pytest.approx(float(written.time[-1]))
        assert load_case["time_reached"] < load_case["stop_time"]


def test_export_without_orcfxapi_is_one_message_and_exit_2(sims, export, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "OrcFxAPI", None)
    result = export("export", sims, "--output", tmp_path / "out")
    assert result.exit_code == 2
    assert "OrcaFlex on Windows" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing ran


def test_inputs_are_files_folders_or_patterns(tmp_path):
    from orcapost.errors import OrcapostError

    (tmp_path / "a").mkdir()
    for name in ("a/x.sim", "a/y.sim", "z.outb"):
        (tmp_path / name).write_bytes(b"")
    found = expand_inputs((str(tmp_path / "a"), str(tmp_path / "*.outb"),
                           str(tmp_path / "a" / "x.sim")))
    assert [p.name for p in found] == ["x.sim", "y.sim", "z.outb"]
    with pytest.raises(OrcapostError, match="matches no files"):
        expand_inputs((str(tmp_path / "*.nothing"),))
    with pytest.raises(OrcapostError, match="no such file"):
        expand_inputs((str(tmp_path / "missing.sim"),))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.sim").write_bytes(b"")
    with pytest.raises(OrcapostError, match="both be written as x.arrow"):
        expand_inputs((str(tmp_path / "a"), str(tmp_path / "b")))


def test_export_passes_model_threads_and_licence_settings(double, sims, export, monkeypatch,
                                                          tmp_path):
    from orcapost.plugins.sources import orcaflex

    delays = []
    monkeypatch.setattr(orcaflex, "_sleep", delays.append)
    for variable in orcaflex.ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    double._controls.licence_failures = 1
    sim = sorted(sims.glob("*.sim"))[0]
    result = export("export", sim, "--output", tmp_path / "out", "--model-threads", "2",
                    "--licence-retries", "1", "--licence-delay", "0.25", "--quiet")
    assert result.exit_code == 0, result.output
    assert double._controls.thread_counts == [2, 2]  # the failed try, then the open
    assert len(delays) == 1 and 0.125 <= delays[0] <= 0.375
    # Given as the run's source options: nothing leaks into the process environment.
    assert not any(os.environ.get(v) for v in orcaflex.ENVIRONMENT.values())
