"""The OrcaFlex source through the OrcFxAPI double: same tables as archives, vocabulary mapping,
thread affinity, licence retry, DLL errors, unfinished runs and the missing-OrcFxAPI message."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pyarrow.csv as pacsv
import pytest
from doubles.sim_campaign import write_campaign, write_pair
from helpers import statistics_config
from orcapost.demo import DemoSpec
from orcapost.errors import ResultFileError
from orcapost.plugins.sources import orcaflex
from orcapost.plugins.sources.archive import ArchiveResultFile
from orcapost.plugins.sources.orcaflex import OrcaFlexOptions, OrcaFlexResultFile
from orcapost.plugins.sources.orcaflex_vocabulary import (
    arclength_range,
    object_extra,
    period_argument,
    point_extra,
)
from orcapost.schemas.vocabulary import Period, Position

SPEC = DemoSpec(headings=(0.0, 45.0), wave_heights=(2.0, 6.0), seeds=(1,), file_size=120_000)


@pytest.fixture(scope="module")
def pair_campaign(tmp_path_factory):
    """The same 4 simulations as archives and as .sim files."""
    return write_campaign(tmp_path_factory.mktemp("pairs"), SPEC)


def _tables(directory):
    return {path.stem: pacsv.read_csv(path) for path in sorted(directory.glob("*.csv"))}


def _without_file_columns(table):
    return table.drop_columns(["file", "path", "size_bytes"])


def _sim(pair_campaign, index=0):
    return sorted(pair_campaign[1].glob("*.sim"))[index]


def _arrow(pair_campaign, index=0):
    return sorted(pair_campaign[0].glob("*.arrow"))[index]


#: Every other column kind, over what the OrcaFlex source resolves through OrcFxAPI.
VOCABULARY_COLUMNS = [
    {"label": "riser envelope", "kind": "range_graph", "object": "Riser",
     "variable": "Bend Moment", "arc_length": [100.0, 400.0], "statistics": ["max", "min"],
     "with_arc_length": True},
    {"label": "tension at 250", "kind": "range_graph", "object": "Riser",
     "variable": "Effective Tension", "arc_length": 250.0, "statistics": ["max", "mean"]},
    {"label": "static top", "kind": "static", "object": "Mooring*",
     "variable": "Effective Tension", "position": "End B"},
    {"label": "static s80", "kind": "static", "object": "Riser", "variable": "Bend Moment",
     "position": {"arc_length": 80.0}},
    {"label": "heave and pitch", "kind": "linked_statistics", "object": "FPSO",
     "variable": "Heave", "linked": ["Pitch", "Surge"], "statistics": ["max", "min"]},
    # Open-ended specified periods (legacy [t] and [NULL, NULL]) are clipped to the simulation.
    {"label": "heave from 20 s", "kind": "statistics", "object": "FPSO", "variable": "Heave",
     "period": [20.0, float("inf")], "statistics": ["max", "mean"]},
    {"label": "heave all logged", "kind": "statistics", "object": "FPSO", "variable": "Heave",
     "period": [float("-inf"), float("inf")], "statistics": ["min", "std"]},
    {"label": "waves", "kind": "metadata", "keys": ["Hs", "FPSO heading"],
     "data": [{"object": "Environment", "name": "WaveTp"},
              {"object": "FPSO", "name": "InitialHeading"}]},
]


def test_a_sim_campaign_gives_the_archive_campaigns_tables(double, pair_campaign, run_cli,
                                                           write_config, tmp_path):
    archives, sims = pair_campaign
    config = statistics_config(archives, tmp_path / "from-archives")
    config["results"]["more"] = {"columns": VOCABULARY_COLUMNS}
    run = run_cli("run", write_config(config, "archives.yml"), "--quiet")
    assert run.exit_code == 0, run.output
    config = statistics_config(sims, tmp_path / "from-sims")
    config["results"]["more"] = {"columns": VOCABULARY_COLUMNS}
    config["inputs"]["patterns"] = ["*.sim"]
    run = run_cli("run", write_config(config, "sims.yml"), "--quiet")
    assert run.exit_code == 0, run.output

    from_archives = _tables(tmp_path / "from-archives")
    from_sims = _tables(tmp_path / "from-sims")
    assert {"lines", "vessel", "more"} <= set(from_archives)
    assert set(from_sims) == set(from_archives)
    more = from_sims["more"]
    assert more.column("waves WaveTp").to_pylist() == more.column("Tp").to_pylist()
    assert "riser envelope max arc length" in more.column_names
    for group in from_archives:
        expected = _without_file_columns(from_archives[group])
        got = _without_file_columns(from_sims[group])
        assert got.num_rows == 4
        assert got.equals(expected), group
    # The load case comes from the model: wave data and the vessel's heading.
    lines = from_sims["lines"].to_pydict()
    assert lines["Hs"] == [2.0, 6.0, 2.0, 6.0] and lines["FPSO heading"] == [0.0, 10.0, 20.0, 30.0]
    assert set(lines["status"]) == {"ok"}
    # Every model was released, by the thread that created it.
    assert len(double._controls.released) == 4
    assert all(created == released for _, created, released in double._controls.released)


def test_positions_and_periods_map_onto_the_api(double):
    api = double
    assert object_extra(api, None) is None
    assert object_extra(api, Position.model_validate("End A")) is api.oeEndA
    assert object_extra(api, Position.model_validate("End B")) is api.oeEndB
    assert object_extra(api, Position.model_validate("Touchdown")) is api.oeTouchdown
    arc = object_extra(api, Position.model_validate({"arc_length": 12.5}))
    assert (arc.LinePoint, arc.ArcLength) == (api.ptArcLength, 12.5)
    node = object_extra(api, Position.model_validate({"node": 7}))
    assert (node.LinePoint, node.NodeNum) == (api.ptNodeNum, 7)

    assert period_argument(api, Period.model_validate("whole simulation")) == api.pnWholeSimulation
    assert period_argument(api, Period.model_validate("latest wave")) == api.pnLatestWave
    assert period_argument(api, Period.model_validate("static state")) == api.pnStaticState
    assert period_argument(api, Period.model_validate({"stage": 2})) == 2
    specified = period_argument(api, Period.model_validate([10, 20.5]))
    assert (specified.PeriodNum, specified.FromTime, specified.ToTime) == (
        api.pnSpecifiedPeriod, 10.0, 20.5)

    whole = arclength_range(api, None)
    assert whole.Mode == api.ArclengthRangeMode.EntireRange
    part = arclength_range(api, (100.0, 250.0))
    assert (part.Mode, part.FromArclength, part.ToArclength) == (
        api.ArclengthRangeMode.SpecifiedArclengths, 100.0, 250.0)

    assert point_extra(api, "Vessel", (1, 2, 3)).RigidBodyPos == [1.0, 2.0, 3.0]
    assert point_extra(api, "6D Buoy", (0, 0, -1)).RigidBodyPos == [0.0, 0.0, -1.0]
    assert point_extra(api, "Environment", (5, 0, 0)).EnvironmentPos == [5.0, 0.0, 0.0]
    with pytest.raises(ResultFileError, match="not to a Line"):
        point_extra(api, "Line", (0, 0, 0))


@pytest.mark.parametrize("position, period", [
    ("End A", "whole simulation"), ("End B", "latest wave"), ("Touchdown", {"stage": 1}),
    ({"arc_length": 100.0}, [5.0, 40.0]), ({"node": 3}, {"stage": 0}),
])
def test_time_histories_through_the_api_equal_the_archives(double, pair_campaign, position,
                                                          period):
    position, period = Position.model_validate(position), Period.model_validate(period)
    with OrcaFlexResultFile(_sim(pair_campaign), OrcaFlexOptions()) as sim, \
            ArchiveResultFile(_arrow(pair_campaign)) as archive:
        for var in ("Effective Tension", "Bend Moment"):
            got = sim.time_history("Riser", var, position, period)
            expected = archive.time_history("Riser", var, position, period)
            assert np.array_equal(got.time, expected.time)
            assert np.array_equal(got.values, expected.values)
            assert got.period == expected.period and got.units == expected.units
        vessel = sim.time_history("FPSO", "Heave", None, period)
        assert np.array_equal(vessel.values, archive.time_history("FPSO", "Heave", None,
                                                                  period).values)


def test_catalogue_metadata_statics_and_range_graphs_come_from_the_model(double, pair_campaign):
    with OrcaFlexResultFile(_sim(pair_campaign, 1), OrcaFlexOptions()) as sim, \
            ArchiveResultFile(_arrow(pair_campaign, 1)) as archive:
        catalogue = {o.name: o for o in sim.catalogue()}
        assert catalogue["Riser"].type == "Line" and catalogue["FPSO"].type == "Vessel"
        assert catalogue["Riser"].variables["Bend Moment"].units == "kN.m"
        assert catalogue["Riser"].variables["Bend Moment"].along_line
        assert not catalogue["FPSO"].variables["Heave"].along_line
        assert catalogue["Riser"].node_count == archive.catalogue()["Riser"].node_count
        assert sim.load_case() == archive.load_case()
        assert sim.stages() == archive.stages() and sim.latest_wave() == archive.latest_wave()
        assert sim.state() == "complete"
        assert sim.model_data("Environment", "WaveHs") == 6.0
        assert sim.model_data("FPSO", "InitialHeading") == 10.0
        with pytest.raises(ResultFileError, match="InvalidDataName"):
            sim.model_data("Environment", "NoSuchData")

        end_a = Position.model_validate("End A")
        arc = Position.model_validate({"arc_length": 130.0})
        for position in (end_a, arc):
            assert sim.static_value("Riser", "Effective Tension", position) == \
                archive.static_value("Riser", "Effective Tension", position)

        whole = Period.model_validate("whole simulation")
        arcs, grid = archive.range_values("Riser", "Bend Moment", whole, (100.0, 300.0))
        graph = sim.range_graph("Riser", "Bend Moment", whole, (100.0, 300.0))
        assert np.array_equal(graph.x, arcs)
        assert np.array_equal(graph.max, grid.max(axis=0))
        assert np.array_equal(graph.min, grid.min(axis=0))
        sim_arcs, sim_grid = sim.range_values("Riser", "Bend Moment", whole, (100.0, 300.0))
        assert np.array_equal(sim_arcs, arcs) and np.array_equal(sim_grid, grid)
        assert np.array_equal(sim.range_values("Riser", "Bend Moment", whole, 130.0)[1],
                              archive.range_values("Riser", "Bend Moment", whole, 130.0)[1])


def test_batched_time_histories_and_one_call_per_variable_agree(double, pair_campaign,
                                                                monkeypatch):
    calls = []
    original = double.GetMultipleTimeHistories

    def counting(specification, period=None):
        calls.append(len(specification))
        return original(specification, period)

    monkeypatch.setattr(double, "GetMultipleTimeHistories", counting)
    with OrcaFlexResultFile(_sim(pair_campaign), OrcaFlexOptions()) as sim:
        assert sim.batched()
        arcs, batched = sim.raw_line_values("Riser", "Bend Moment")
        assert calls == [len(arcs)]  # every node in one call
    monkeypatch.delattr(double, "GetMultipleTimeHistories")
    with OrcaFlexResultFile(_sim(pair_campaign), OrcaFlexOptions()) as sim:
        assert not sim.batched()
        _, one_by_one = sim.raw_line_values("Riser", "Bend Moment")
    assert calls == [len(arcs)]
    assert np.array_equal(batched, one_by_one)


def test_a_model_is_used_and_released_only_on_its_own_thread(double, pair_campaign):
    # The double enforces OrcaFlex's rule with the real error and status...
    model = double.Model(str(_sim(pair_campaign)), threadCount=1)
    errors = []
    worker = threading.Thread(target=lambda m: errors.append(_catch(lambda: m.objects)),
                              args=(model,))
    worker.start()
    worker.join()
    assert isinstance(errors[0], double.DLLError)
    assert errors[0].status == double.StatusCode.ThreadAffinityError == 68
    errors.clear()  # the error's traceback holds the model
    del model

    # ...and the source never breaks it: another thread gets a clear per-file error.
    opened = OrcaFlexResultFile(_sim(pair_campaign), OrcaFlexOptions(thread_count=2))
    found = []
    worker = threading.Thread(target=lambda: found.append(_catch(opened.catalogue)))
    worker.start()
    worker.join()
    assert isinstance(found[0], ResultFileError)
    assert "opened on another thread" in str(found[0])
    opened.close()
    released = double._controls.released
    assert [r[1] == r[2] for r in released] == [True, True]
    assert released[-1][2] == threading.get_ident()


def _catch(call):
    try:
        call()
    except Exception as exc:
        return exc
    return None


def test_licence_errors_are_retried_with_jittered_backoff(double, pair_campaign, monkeypatch):
    delays = []
    monkeypatch.setattr(orcaflex, "_sleep", delays.append)
    double._controls.licence_failures = 3
    options = OrcaFlexOptions(licence_retries=4, licence_delay=1.0)
    with OrcaFlexResultFile(_sim(pair_campaign), options) as sim:
        assert sim.attempts == 4
        assert sim.state() == "complete"
    assert len(delays) == 3
    for delay, nominal in zip(delays, (1.0, 2.0, 4.0), strict=True):
        assert 0.5 * nominal <= delay <= 1.5 * nominal
    assert len({d / n for d, n in zip(delays, (1.0, 2.0, 4.0), strict=True)}) == 3  # jittered


def test_licence_errors_fail_the_file_after_the_retries(double, pair_campaign, monkeypatch,
                                                        run_cli, write_config, tmp_path):
    monkeypatch.setattr(orcaflex, "_sleep", lambda seconds: None)
    double._controls.licence_failures = 100
    with pytest.raises(ResultFileError, match="no OrcaFlex licence after 3 attempts") as info:
        OrcaFlexResultFile(_sim(pair_campaign), OrcaFlexOptions(licence_retries=2))
    assert "LicensingError (25)" in str(info.value) and info.value.stage == "open"

    # In a run, the default options (5 retries) apply and the file becomes a failure row.
    config = statistics_config(pair_campaign[1], tmp_path / "out")
    config["inputs"]["patterns"] = ["*.sim"]
    config["engine"] = {"thread_policy": {"name": "fixed", "threads": 1}}
    double._controls.licence_failures = 6  # the first file uses them all up
    run = run_cli("run", write_config(config), "--quiet")
    assert run.exit_code == 1
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pydict()
    assert failures["stage"] == ["open"]
    assert "no OrcaFlex licence after 6 attempts" in failures["reason"][0]
    statuses = pacsv.read_csv(tmp_path / "out" / "lines.csv").to_pydict()["status"]
    assert sorted(statuses) == ["failed", "ok", "ok", "ok"]


def test_other_dll_errors_fail_the_file_with_the_dll_message(double, pair_campaign, tmp_path,
                                                             run_cli, write_config):
    sims = tmp_path / "sims"
    sims.mkdir()
    (sims / "broken.sim").write_bytes(b"not an OrcaFlex simulation")
    good = sims / _sim(pair_campaign).name
    good.write_bytes(_sim(pair_campaign).read_bytes())
    config = statistics_config(sims, tmp_path / "out")
    config["inputs"]["patterns"] = ["*.sim"]
    config["results"]["vessel"]["columns"].append(
        {"label": "stage 5", "kind": "statistics", "object": "FPSO", "variable": "Heave",
         "period": {"stage": 5}})
    run = run_cli("run", write_config(config), "--quiet")
    assert run.exit_code == 1
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pylist()
    by_file = {(f["file"], f["stage"]): f["reason"] for f in failures}
    assert "OrcFxAPI error FileReadError (7)" in by_file[("broken.sim", "open")]
    assert "OrcFxAPI error InvalidPeriod (12)" in by_file[(good.name, "extract")]
    rows = {r["file"]: r for r in pacsv.read_csv(tmp_path / "out" / "vessel.csv").to_pylist()}
    assert rows["broken.sim"]["status"] == "failed"
    assert rows[good.name]["status"] == "partial"
    assert rows[good.name]["heave max"] is not None  # the file's other columns are kept


@pytest.mark.parametrize("state", ["unfinished", "unstable"])
def test_an_unfinished_simulation_says_so_and_gives_the_period_used(double, tmp_path, run_cli,
                                                                    write_config, state):
    case = SPEC.load_cases()[0]
    archive, sim = write_pair(tmp_path / "pair", SPEC, case, stop_fraction=0.5, state=state)
    with ArchiveResultFile(archive) as reference:
        reached = float(reference.sample_times()[-1])
        stop = reference.stages()[-1].end
        expected = reference.time_history("FPSO", "Heave", None,
                                          Period.model_validate("whole simulation"))
    assert reached < stop
    config = statistics_config(sim.parent, tmp_path / "out")
    config["inputs"]["patterns"] = ["*.sim"]
    config["results"]["vessel"]["columns"].append(
        {"label": "heave window", "kind": "statistics", "object": "FPSO", "variable": "Heave",
         "statistics": ["max", "time_of_max"]})
    run = run_cli("run", write_config(config), "--quiet")
    assert run.exit_code == 1  # not everything is ok: the run says so
    row = pacsv.read_csv(tmp_path / "out" / "vessel.csv").to_pylist()[0]
    assert row["status"] == state and row["simulation_state"] == state
    assert row["time_reached"] == pytest.approx(reached) and row["stop_time"] == pytest.approx(stop)
    assert row["heave window max"] == pytest.approx(float(expected.values.max()))
    assert row["heave window time_of_max"] <= reached


def test_missing_orcfxapi_stops_a_run_with_one_message(monkeypatch, pair_campaign, run_cli,
                                                       write_config, tmp_path):
    config = statistics_config(pair_campaign[1], tmp_path / "out")
    config["inputs"]["patterns"] = ["*.sim"]
    path = write_config(config)
    # An earlier run's tables and journal must survive a run that cannot start.
    earlier = tmp_path / "out"
    earlier.mkdir()
    (earlier / "lines.csv").write_text("file,max\na.sim,1.0\n", encoding="utf-8")
    (earlier / "orcapost-journal.jsonl").write_text('{"kept": true}\n', encoding="utf-8")
    # Not installed at all:
    monkeypatch.setitem(sys.modules, "OrcFxAPI", None)
    absent = run_cli("run", path, "--quiet")
    # Installed but unloadable (this machine: the real OrcFxAPI needs winreg and the DLL):
    monkeypatch.delitem(sys.modules, "OrcFxAPI")
    unloadable = run_cli("run", path, "--quiet")
    for result in (absent, unloadable):
        assert result.exit_code == 2
        assert result.output.count("error:") == 1
        assert "OrcaFlex on Windows" in result.output and "orcapost export" in result.output
        assert "Traceback" not in result.output
    assert "ModuleNotFoundError" in unloadable.output or "Error" in unloadable.output
    assert sorted(p.name for p in earlier.iterdir()) == ["lines.csv", "orcapost-journal.jsonl"]
    assert (earlier / "lines.csv").read_text(encoding="utf-8") == "file,max\na.sim,1.0\n"
    assert (earlier / "orcapost-journal.jsonl").read_text(encoding="utf-8") == '{"kept": true}\n'


def test_source_options_come_from_the_config(double, pair_campaign, monkeypatch, run_cli,
                                             write_config, tmp_path):
    monkeypatch.setattr(orcaflex, "_sleep", lambda seconds: None)
    monkeypatch.setenv("ORCAPOST_ORCAFLEX_LICENCE_RETRIES", "9")  # the config's value wins
    config = statistics_config(pair_campaign[1], tmp_path / "out")
    config["inputs"]["patterns"] = ["*.sim"]
    config["inputs"]["sources"] = [{"name": "orcaflex", "licence_retries": 0}]
    config["engine"] = {"thread_policy": {"name": "fixed", "threads": 1}}
    double._controls.licence_failures = 1  # the first file fails at once: no retry
    run = run_cli("run", write_config(config), "--quiet")
    assert run.exit_code == 1
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pydict()
    assert "no OrcaFlex licence after 1 attempt (licence_retries: 0)" in failures["reason"][0]


def test_a_source_listed_twice_or_a_bad_source_option_is_a_config_error(pair_campaign, run_cli,
                                                                        write_config, tmp_path):
    config = statistics_config(pair_campaign[1], tmp_path / "out")
    config["inputs"]["sources"] = [{"name": "orcaflex"}, {"name": "orcaflex"}]
    twice = run_cli("validate", write_config(config))
    assert twice.exit_code == 2 and "source 'orcaflex' is listed twice" in twice.output
    config["inputs"]["sources"] = [{"name": "orcaflex", "licence_retries": -1}]
    bad = run_cli("validate", write_config(config))
    assert bad.exit_code == 2 and "licence_retries" in bad.output
    assert "Traceback" not in twice.output + bad.output


def test_machine_settings_come_from_the_environment(double, pair_campaign, monkeypatch, run_cli,
                                                   write_config, tmp_path):
    monkeypatch.setattr(orcaflex, "_sleep", lambda seconds: None)
    monkeypatch.setenv("ORCAPOST_ORCAFLEX_THREADS", "3")
    monkeypatch.setenv("ORCAPOST_ORCAFLEX_LICENCE_RETRIES", "1")
    monkeypatch.setenv("ORCAPOST_ORCAFLEX_LICENCE_DELAY", "0.5")
    config = statistics_config(pair_campaign[1], tmp_path / "out")
    config["inputs"]["patterns"] = ["*.sim"]
    config["engine"] = {"thread_policy": {"name": "fixed", "threads": 1}}
    double._controls.licence_failures = 2  # the first file: 1 try + 1 retry, then it fails
    run = run_cli("run", write_config(config), "--quiet")
    assert run.exit_code == 1
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pydict()
    assert "no OrcaFlex licence after 2 attempts (licence_retries: 1)" in failures["reason"][0]
    assert set(double._controls.thread_counts) == {3}  # Model(path, threadCount=3)

    monkeypatch.setenv("ORCAPOST_ORCAFLEX_LICENCE_RETRIES", "many")
    run = run_cli("run", write_config(config), "--quiet")
    assert run.exit_code == 2 and "ORCAPOST_ORCAFLEX_LICENCE_RETRIES='many'" in run.output
    assert "Traceback" not in run.output
