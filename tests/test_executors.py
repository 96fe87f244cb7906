"""Executors are components: registered by plugins, chosen by ``engine.executor`` with validated
options, sizing the run by their capacity; the processes executor's workers fit the memory
budget; the dask executor on a LocalCluster of 2 worker processes (1 thread each).

The dask tests use a test plugin (``orcapost_exectest``, below) installed as an entry point in a
folder put on ``sys.path`` before the cluster starts, so the spawned workers load it like any
installed plugin: an extractor that sleeps, or kills its own worker process on one file.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from helpers import statistics_config
from orcapost import hookimpl
from orcapost.components import Capacity, Executor, Extractor
from orcapost.config import ConfigError, load_config, validate_data
from orcapost.engine import Engine
from orcapost.errors import OrcapostError
from orcapost.run_report import RUN_REPORT_NAME
from orcapost.schemas.base import StrictModel
from orcapost.schemas.config import ColumnOptions
from pydantic import Field

TABLES = ("lines.csv", "vessel.csv")


def _silent(pm):
    return pm.registry.get("reporter", "silent").cls()


def _tables(directory: Path) -> dict[str, object]:
    return {name: pacsv.read_csv(directory / name) for name in TABLES}


def _report(directory: Path) -> dict:
    return json.loads((directory / RUN_REPORT_NAME).read_text(encoding="utf-8"))


# -- a third-party executor, registered through the hook ----------------------------------------


class SlotsOptions(StrictModel):
    slots: int = Field(default=3, ge=1)


class ThreeSlots(Executor):
    """Threads, but reporting a fixed number of slots and one core (a test double)."""

    name = "three_slots"
    Options = SlotsOptions

    def __init__(self, options=None) -> None:
        super().__init__(options)
        self.pools: list[ThreadPoolExecutor] = []
        self.closed = False

    def open(self) -> Capacity:
        return self.capacity()

    def capacity(self) -> Capacity:
        return Capacity(slots=self.options.slots, workers=self.options.slots, cpu_count=1,
                        memory_total=8_000_000_000, separate_processes=False)

    def start(self, workers: int):
        self.pools.append(ThreadPoolExecutor(max_workers=workers))
        return self.pools[-1]

    def metrics(self):
        return {"pools": len(self.pools)}

    def close(self) -> None:
        self.closed = True


class ThreeSlotsPlugin:
    @hookimpl
    def orcapost_register_executors(self, register):
        register(ThreeSlots)


def test_a_plugin_registers_an_executor_whose_capacity_sizes_the_run(pm, campaign, tmp_path):
    pm.register(ThreeSlotsPlugin(), name="three-slots")
    config = statistics_config(campaign, tmp_path / "out",
                               executor={"name": "three_slots", "slots": 3},
                               thread_policy={"name": "fixed"})
    engine = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm))
    summary = engine.run()
    assert summary.exit_code == 0 and summary.ok == 8
    assert isinstance(engine.executor, ThreeSlots) and engine.executor.closed
    report = _report(tmp_path / "out")
    settings = report["settings"]
    # fixed without threads runs as many as the executor's slots, never more.
    assert settings["ceiling"] == 3 and settings["initial_concurrency"] == 3
    assert settings["executor"] == {"name": "three_slots", "slots": 3}
    assert settings["capacity"]["slots"] == 3 and settings["capacity"]["cpu_count"] == 1
    assert report["workers"] == {"pools": 1}
    reference = statistics_config(campaign, tmp_path / "ref",
                                  thread_policy={"name": "fixed", "threads": 1})
    assert Engine(pm, validate_data(reference, pm.registry), reporter=_silent(pm)).run().ok == 8
    for name, table in _tables(tmp_path / "out").items():
        assert table.drop_columns(["path"]).equals(
            _tables(tmp_path / "ref")[name].drop_columns(["path"])), name


class FitsWithSources(ThreeSlots):
    """Records what the engine gives ``fit``."""

    name = "fits_with_sources"
    seen: list = []

    def fit(self, files, pm, sources=None) -> None:
        type(self).seen.append((len(files), sources))


class FitsWithoutSources(ThreeSlots):
    """An executor written before ``fit`` took the run's sources."""

    name = "fits_without_sources"
    seen: list = []

    def fit(self, files, pm) -> None:
        type(self).seen.append(len(files))


class FitPlugin:
    @hookimpl
    def orcapost_register_executors(self, register):
        register(FitsWithSources)
        register(FitsWithoutSources)


@pytest.mark.parametrize("memory_map", [False, True])
def test_fit_gets_the_runs_sources_as_the_config_set_them_up(pm, campaign, tmp_path,
                                                             memory_map):
    """The threads executor keeps large files on threads only when their source reads them in
    place: it learns that from the sources ``fit`` is given, with the config's options."""
    pm.register(FitPlugin(), name="fit-test")
    FitsWithSources.seen.clear()
    config = statistics_config(campaign, tmp_path / "out",
                               executor={"name": "fits_with_sources"},
                               thread_policy={"name": "fixed"})
    config["inputs"]["sources"] = [{"name": "archive", "memory_map": memory_map}]
    assert Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run().ok == 8
    [(count, sources)] = FitsWithSources.seen
    assert count == 8 and list(sources) == [".arrow"]
    assert sources[".arrow"].name == "archive"
    assert sources[".arrow"].reads_in_place is memory_map


def test_an_executor_whose_fit_takes_no_sources_still_runs(pm, campaign, tmp_path):
    pm.register(FitPlugin(), name="fit-test")
    FitsWithoutSources.seen.clear()
    config = statistics_config(campaign, tmp_path / "out",
                               executor={"name": "fits_without_sources"},
                               thread_policy={"name": "fixed"})
    assert Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run().ok == 8
    assert FitsWithoutSources.seen == [8]


def test_executor_options_are_validated_and_a_bare_name_is_shorthand(pm, campaign, tmp_path,
                                                                     write_config):
    base = statistics_config(campaign, tmp_path / "out")
    for form, name in (("processes", "processes"), ({"name": "processes"}, "processes"),
                       (None, "threads")):
        data = dict(base, engine=dict(base["engine"]))
        if form is not None:
            data["engine"]["executor"] = form
        assert validate_data(data, pm.registry).model.engine.executor.name == name
    data = dict(base, engine={"executor": {"name": "processes", "max_workers": 2,
                                           "worker_memory": "150MB"}})
    executor = validate_data(data, pm.registry).model.engine.executor
    assert executor.max_workers == 2 and executor.worker_memory == 150_000_000
    for bad, words in (({"name": "processes", "workers": 2}, "workers"),
                       ({"name": "dask", "address": "tcp://a:1", "scheduler_file": "s.json"},
                        "address or scheduler_file"),
                       ({"name": "fibres"}, "unknown name 'fibres'")):
        data = dict(base, engine={"executor": bad})
        with pytest.raises(ConfigError) as caught:
            load_config(write_config(data), pm.registry)
        assert "engine.executor" in str(caught.value) and words in str(caught.value), caught.value
    # --executor on the command line replaces the config's executor with that one's defaults.
    data = dict(base, engine={"executor": {"name": "dask", "licences": 2}})
    loaded = load_config(write_config(data), pm.registry,
                         overrides={"engine.executor": "threads"})
    assert loaded.model.engine.executor.name == "threads"


def test_small_batches_run_one_per_core_of_the_executors_workers(pm, campaign, tmp_path):
    """Batching reads the executor's cores (here one), not the coordinator's."""
    pm.register(ThreeSlotsPlugin(), name="three-slots")
    config = statistics_config(campaign, tmp_path / "out", executor="three_slots",
                               thread_policy={"name": "fixed", "threads": 3})
    running, peak = [0], [0]
    engine = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm))
    tasks = []
    original = ThreeSlots.start

    def counting_start(self, workers):
        pool = original(self, workers)
        submit = pool.submit

        def counted(fn, *args):
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            future = submit(fn, *args)
            tasks.append(len(args[1]))

            def done(_):
                running[0] -= 1
            future.add_done_callback(done)
            return future

        pool.submit = counted
        return pool

    ThreeSlots.start = counting_start
    try:
        summary = engine.run()
    finally:
        ThreeSlots.start = original
    assert summary.ok == 8
    assert peak[0] == 1 and sum(tasks) == 8 and len(tasks) < 8


# -- worker processes within the memory budget ---------------------------------------------------


def test_processes_never_exceed_the_cores_or_what_admission_allows(pm, campaign, tmp_path):
    """--threads 1024 under processes: the pool holds at most what the memory budget allows
    (here 2 worker processes by a low budget), files still all done, tables as threads."""
    from orcapost.monitor import process_rss

    worker = 100_000_000
    # Room for three workers of 100 MB beside what this process holds; the probe's worker
    # then takes part of it: two or fewer, never the four max_workers allows.
    budget = process_rss() + int(3.2 * (worker + 400_000))
    config = statistics_config(
        campaign, tmp_path / "out",
        executor={"name": "processes", "max_workers": 4, "worker_memory": "100MB"},
        thread_policy={"name": "fixed", "threads": 1024},
        memory_optimizers=[{"name": "admission", "reserve": 0, "budget": budget,
                            "learn": False}])
    engine = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm))
    summary = engine.run()
    assert summary.exit_code == 0 and summary.ok == 8, summary.failures
    report = _report(tmp_path / "out")
    ceiling = report["settings"]["ceiling"]
    assert 1 <= ceiling <= 2, report["decisions"]
    processes = {row["process"] for row in report["files"]}
    assert 1 <= len(processes) <= ceiling, processes
    # The probe measured a real worker; the estimate is a floor.
    capacity = report["settings"]["capacity"]
    assert capacity["separate_processes"] and capacity["worker_memory"] >= worker
    assert all(row["worker_rss"] is None or row["worker_rss"] > 20_000_000
               for row in report["files"])
    assert all(row["opened_at"] <= row["closed_at"] for row in report["files"])


def test_admission_allows_the_worker_processes_the_budget_holds():
    from orcapost.plugins.optimizers.admission import Admission
    from orcapost.results import FileInfo
    from test_optimizers import FakeMemory

    mb = 1_000_000
    admission = Admission(Admission.Options(reserve=0, budget=500 * mb, learn=False),
                          reading=FakeMemory(available=8000 * mb, rss=200 * mb))
    files = [FileInfo(Path(f"f{i}.sim"), 10 * mb) for i in range(9)]
    processes = Capacity(slots=64, workers=64, cpu_count=64, separate_processes=True,
                         worker_memory=90 * mb)
    # (500 - 200) MB of budget over 90 MB of worker and 10 MB of median file: 3 workers.
    assert admission.worker_limit(processes, files) == 3
    threads = Capacity(slots=None, workers=None, cpu_count=64)
    assert admission.worker_limit(threads, files) is None  # threads cost no process
    # Each running file also holds its worker: 200 + 3 x (10 + 90) fits, a fourth does not.
    admission.reading.worker_bytes = 90 * mb
    assert admission.admit(files[0], files[1:3])
    assert not admission.admit(files[0], files[1:4])


def test_processes_without_admission_stop_at_max_workers(pm, campaign, tmp_path):
    config = statistics_config(campaign, tmp_path / "out",
                               executor={"name": "processes", "max_workers": 2},
                               thread_policy={"name": "fixed", "threads": 1024})
    summary = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    assert summary.ok == 8
    report = _report(tmp_path / "out")
    assert report["settings"]["ceiling"] == 2
    assert len({row["process"] for row in report["files"]}) <= 2


class OnlyHereColumn(ColumnOptions):
    pass


class OnlyHere(Extractor):
    name = "onlyhere"
    Options = OnlyHereColumn

    def extract(self, file, column):
        return {column.label: 1.0}


class OnlyHerePlugin:
    """Registered on the coordinator only: no worker process or Dask worker has it."""

    @hookimpl
    def orcapost_register_extractors(self, register):
        register(OnlyHere)


def _only_here_config(campaign, out, executor):
    config = statistics_config(campaign, out, executor=executor)
    config["results"]["extra"] = {"columns": [{"label": "x", "kind": "onlyhere"}]}
    return config


def test_a_worker_process_without_the_configs_plugin_is_a_clear_error(pm, campaign, tmp_path):
    pm.register(OnlyHerePlugin(), name="onlyhere-plugin")
    config = _only_here_config(campaign, tmp_path / "out", {"name": "processes",
                                                            "max_workers": 1})
    with pytest.raises(OrcapostError) as caught:
        Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    message = str(caught.value)
    assert "worker " in message and f":{os.getpid()}" not in message
    assert "onlyhere" in message and caught.value.exit_code == 2
    assert not (tmp_path / "out" / "lines.csv").exists()  # nothing written


def test_the_probe_names_another_version_of_orcapost_or_of_a_plugin(campaign, tmp_path):
    """What a worker reports when its versions differ from the coordinator's, and the error
    naming the worker."""
    from orcapost import __version__
    from orcapost.task import PlanSpec, forget_plan, new_plan_key
    from orcapost.workers import check_probes, probe_worker

    spec = PlanSpec(key=new_plan_key(), config_data=statistics_config(campaign, tmp_path / "o"),
                    base_directory=str(tmp_path))
    expected = {"orcapost": "0.0.1", "extractors": {"statistics": {
        "plugin": "orcapost.plugins.extractors.statistics", "distribution": "orcapost 9.9"}}}
    try:
        probe = probe_worker(spec, expected)
    finally:
        forget_plan(spec.key)
    problems = " | ".join(probe["problems"])
    assert f"orcapost {__version__} is installed there" in problems and "0.0.1" in problems
    assert "'statistics' comes from orcapost (built-in) there" in problems
    assert "orcapost 9.9" in problems and probe["rss"] > 0
    same = dict(expected, orcapost=__version__, extractors={})
    again = PlanSpec(new_plan_key(), spec.config_data, spec.base_directory)
    try:
        assert probe_worker(again, same)["problems"] == []
    finally:
        forget_plan(again.key)
    with pytest.raises(OrcapostError) as caught:
        check_probes("dask", {"tcp://10.0.0.7:40123 (node07)": probe,
                              "tcp://10.0.0.8:1": RuntimeError("no route")})
    message = str(caught.value)
    assert "worker tcp://10.0.0.7:40123 (node07): orcapost" in message
    assert "worker tcp://10.0.0.8:1: the check failed (RuntimeError: no route)" in message


# -- dask ---------------------------------------------------------------------------------------

distributed = pytest.importorskip("distributed")

EXEC_PLUGIN = '''
"""Test plugin on the dask workers: a column that sleeps, or kills its own worker process."""
import os
import time

from orcapost.api import ColumnOptions, Extractor, hookimpl


class ExecTestColumn(ColumnOptions):
    seconds: float = 0.0
    kill: str | None = None
    hang: str | None = None


class ExecTest(Extractor):
    name = "exectest"
    Options = ExecTestColumn

    def extract(self, file, column):
        if column.kill and column.kill in file.path.name:
            os._exit(13)  # the worker process dies mid-file (os._exit: on Windows too)
        if column.hang and column.hang in file.path.name:
            time.sleep(120)
        time.sleep(column.seconds)
        return {column.label: float(os.getpid())}


@hookimpl
def orcapost_register_extractors(register):
    register(ExecTest)
'''


@pytest.fixture(scope="module")
def exec_site(tmp_path_factory):
    """The test plugin as an installed distribution, on this process's path (so spawned
    workers inherit it) for the module's dask tests."""
    site = tmp_path_factory.mktemp("execsite")
    dist = site / "orcapost_exectest-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: orcapost-exectest\n"
                                   "Version: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[orcapost]\nexectest = orcapost_exectest\n",
                                           encoding="utf-8")
    (site / "orcapost_exectest.py").write_text(textwrap.dedent(EXEC_PLUGIN), encoding="utf-8")
    sys.path.insert(0, str(site))
    try:
        yield site
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("orcapost_exectest", None)


@pytest.fixture(scope="module")
def cluster(exec_site):
    """A LocalCluster of 2 worker processes, 1 thread each, shared by the module's tests."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0")
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def exec_pm(pm, exec_site):
    import orcapost_exectest

    pm.register(orcapost_exectest, "exectest")
    return pm


def _dask(cluster, **options):
    return {"name": "dask", "address": cluster.scheduler_address, **options}


@pytest.mark.slow
def test_dask_tables_are_identical_to_threads(exec_pm, campaign, tmp_path, cluster):
    pm = exec_pm
    config = statistics_config(campaign, tmp_path / "dask", executor=_dask(cluster))
    engine = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm))
    summary = engine.run()
    assert summary.exit_code == 0 and summary.ok == 8, summary.failures
    reference = statistics_config(campaign, tmp_path / "threads",
                                  thread_policy={"name": "fixed", "threads": 2})
    assert Engine(pm, validate_data(reference, pm.registry), reporter=_silent(pm)).run().ok == 8
    for name, table in _tables(tmp_path / "dask").items():
        assert table.drop_columns(["path"]).equals(
            _tables(tmp_path / "threads")[name].drop_columns(["path"])), name
    report = _report(tmp_path / "dask")
    capacity = report["settings"]["capacity"]
    assert capacity["slots"] == 2 and capacity["workers"] == 2 and not capacity["local"]
    assert capacity["worker_memory"] > 0  # each worker's own memory, from the probe
    # The files ran in the workers, not in this process; the cluster's figures are reported.
    assert {row["process"].rsplit(":", 1)[1] for row in report["files"]} - {str(os.getpid())}
    assert str(os.getpid()) not in {row["process"].rsplit(":", 1)[1] for row in report["files"]}
    assert report["workers"]["workers"] == 2 and len(report["workers"]["worker_memory"]) == 2
    assert report["memory"]["peak_rss"] > 0


def _exectest_config(campaign, out, executor, **column):
    config = statistics_config(campaign, out, executor=executor,
                               thread_policy={"name": "fixed", "threads": 2})
    config["results"]["probe"] = {"columns": [{"label": "pid", "kind": "exectest", **column}]}
    return config


def _overlaps(rows) -> int:
    """How many files were opened while another was still open (open/close timestamps)."""
    spans = sorted((row["opened_at"], row["closed_at"]) for row in rows)
    overlapping, latest_close = 0, None
    for opened, closed in spans:
        if latest_close is not None and opened < latest_close:
            overlapping += 1
        latest_close = closed if latest_close is None else max(latest_close, closed)
    return overlapping


@pytest.mark.slow
def test_dask_licences_one_never_opens_two_files_at_once(exec_pm, campaign, tmp_path, cluster):
    pm = exec_pm
    # Without licences the two workers do open files side by side (the measure can fail) ...
    free = _exectest_config(campaign, tmp_path / "free", _dask(cluster), seconds=0.15)
    assert Engine(pm, validate_data(free, pm.registry), reporter=_silent(pm)).run().ok == 8
    assert _overlaps(_report(tmp_path / "free")["files"]) > 0
    # ... with licences: 1, over the whole cluster, never.
    one = _exectest_config(campaign, tmp_path / "one", _dask(cluster, licences=1),
                           seconds=0.15)
    summary = Engine(pm, validate_data(one, pm.registry), reporter=_silent(pm)).run()
    assert summary.exit_code == 0 and summary.ok == 8, summary.failures
    rows = _report(tmp_path / "one")["files"]
    assert len({row["process"] for row in rows}) == 2  # both workers ran files
    assert _overlaps(rows) == 0
    # The run's semaphore is gone from the cluster when the run ends: a long-lived cluster
    # kept one on its scheduler, and one (with its lease-refresh timer) on each worker, for
    # every run with licences.
    held = cluster.scheduler.extensions["semaphores"].max_leases
    assert not [name for name in held if name.startswith("orcapost-licences-")]

    def cached() -> int:
        from orcapost.plugins.executors import dask as executor

        return len(executor._SEMAPHORES)

    with distributed.Client(cluster, set_as_default=False) as client:
        assert set(client.run(cached).values()) == {0}


@pytest.mark.slow
def test_a_dask_worker_without_the_configs_plugin_is_a_clear_error(pm, campaign, tmp_path,
                                                                   cluster):
    pm.register(OnlyHerePlugin(), name="onlyhere-plugin")
    config = _only_here_config(campaign, tmp_path / "out", _dask(cluster))
    with pytest.raises(OrcapostError) as caught:
        Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    message = str(caught.value)
    workers = list(cluster.scheduler_info["workers"])
    assert all(address in message for address in workers), message
    assert "onlyhere" in message and caught.value.exit_code == 2
    assert not (tmp_path / "out").exists() or not (tmp_path / "out" / "lines.csv").exists()


@pytest.mark.slow
def test_a_killed_dask_worker_loses_only_its_file(exec_pm, campaign, tmp_path, monkeypatch):
    """The dask executor's own LocalCluster (no address); one file kills its worker process
    each time it is extracted: with allowed_failures 0 it goes through orcapost's quarantine,
    runs again alone, and only it fails."""
    pm = exec_pm
    victim = sorted(p.name for p in campaign.glob("*.arrow"))[2]
    config = _exectest_config(campaign, tmp_path / "out",
                              {"name": "dask", "n_workers": 2, "threads_per_worker": 1},
                              kill=victim)
    started = time.perf_counter()
    engine = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm))
    summary = engine.run()
    assert summary.failed == 1 and summary.ok == 7, summary.failures
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pydict()
    assert failures["file"] == [victim] and failures["stage"] == ["worker"]
    assert "died while processing this file, alone" in failures["reason"][0]
    assert engine.executor.client is None  # its cluster closed with the run
    assert time.perf_counter() - started < 120


@pytest.mark.slow
def test_a_file_timing_out_on_dask_fails_alone_and_the_others_run_once(exec_pm, campaign,
                                                                        tmp_path):
    """The hung file fails with stage timeout and its worker is restarted (a Dask task cannot
    be stopped: the hung call would hold the worker's one thread); replacing the pool for it
    cancels nothing on the other worker (those files are submitted once); the run does not wait
    for the hung call. Three files: each its own task (no batch to run again file by file)."""
    import shutil

    pm = exec_pm
    three = tmp_path / "three"
    three.mkdir()
    for path in sorted(campaign.glob("*.arrow"))[:3]:
        shutil.copy(path, three / path.name)
    victim = sorted(p.name for p in three.glob("*.arrow"))[0]
    config = _exectest_config(three, tmp_path / "out",
                              {"name": "dask", "n_workers": 2, "threads_per_worker": 1},
                              hang=victim, seconds=0.3)
    config["engine"]["file_timeout"] = 6.0
    started: dict[str, int] = {}

    class Count:
        @hookimpl
        def orcapost_file_started(self, file):
            started[file.path.name] = started.get(file.path.name, 0) + 1

    pm.register(Count(), name="count")
    began = time.perf_counter()
    engine = Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm))
    summary = engine.run()
    assert summary.failed == 1 and summary.ok == 2, summary.failures
    failures = pacsv.read_csv(tmp_path / "out" / "failures.csv").to_pydict()
    assert failures["file"] == [victim] and failures["stage"] == ["timeout"]
    assert started == dict.fromkeys(sorted(started), 1) and len(started) == 3, started
    reasons = [d["reason"] for d in engine.report["decisions"] if "file_timeout" in d["reason"]]
    assert len(reasons) == 1 and "its dask worker tcp://" in reasons[0], reasons
    assert "was restarted" in reasons[0] and engine.report["workers"]["restarted_workers"] == 1
    assert time.perf_counter() - began < 60  # not the hung file's 120 s


def test_a_worker_check_that_cannot_finish_is_a_clear_error(pm, campaign, tmp_path,
                                                              monkeypatch):
    """A probe that times out (a worker process that takes too long to start) or whose worker
    dies was an internal error (exit 3, 'please report it'): it is the machine's answer, named
    with the executor and what to do (exit 2), and nothing is written."""
    import psutil
    from orcapost.plugins.executors import processes

    def workers() -> set[int]:
        found = set()
        for child in psutil.Process().children(recursive=True):
            try:  # a worker killed as it is listed is gone before its command line is read
                if "spawn_main" in " ".join(child.cmdline()):
                    found.add(child.pid)
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue
        return found

    monkeypatch.setattr(processes, "PROBE_TIMEOUT", 0.001)  # no spawned worker starts so fast
    config = statistics_config(campaign, tmp_path / "out", executor={"name": "processes",
                                                                     "max_workers": 1})
    before = workers()
    with pytest.raises(OrcapostError) as caught:
        Engine(pm, validate_data(config, pm.registry), reporter=_silent(pm)).run()
    # The worker that did not answer is killed, not left to finish (a hung one would hold the
    # command at exit, which waits for a pool's processes).
    started = [psutil.Process(pid) for pid in workers() - before]
    _gone, alive = psutil.wait_procs(started, timeout=1.0)
    assert not alive
    message = str(caught.value)
    assert "processes executor" in message and "TimeoutError" in message
    assert caught.value.exit_code == 2
    assert not (tmp_path / "out" / "lines.csv").exists()


def _sigint_ignored() -> bool:
    import signal

    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


@pytest.fixture
def sigint_default():
    """Ctrl-C handled as by default in this process: a test run that ignores SIGINT (nohup, a
    background job) would hand that to its spawned workers, and the tests below would pass
    whatever orcapost does."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_processes_workers_leave_ctrl_c_to_the_coordinator(sigint_default):
    """A terminal's Ctrl-C reaches every process of its group: an idle worker of the
    ``processes`` executor would die of it with a KeyboardInterrupt traceback (the hybrid pool's
    workers already ignored it; the coordinator stops the run and kills its workers)."""
    from orcapost.engine import make_executor

    pool = make_executor("processes", 1)
    try:
        assert pool.submit(_sigint_ignored).result(timeout=120)
    finally:
        pool.shutdown()


@pytest.mark.slow
def test_the_dask_executors_own_workers_leave_ctrl_c_to_the_coordinator(sigint_default):
    """A terminal's Ctrl-C reaches the LocalCluster's worker processes too: they died of it with
    a KeyboardInterrupt traceback each (and the scheduler warned of lost tasks) while the
    coordinator was already stopping the run. The executor's preload makes them ignore it."""
    import dask
    from orcapost.plugins.executors.dask import DaskExecutor

    # The user's own worker preload (Dask's config) still runs beside orcapost's.
    user = "import os\nos.environ['ORCAPOST_TEST_PRELOAD'] = 'ran'\n"
    with dask.config.set({"distributed.worker.preload": [user]}):
        executor = DaskExecutor(DaskExecutor.Options(n_workers=1, threads_per_worker=1))
        executor.open()
    try:
        assert list(executor.client.run(_sigint_ignored).values()) == [True]
        assert list(executor.client.run(_user_preload_ran).values()) == ["ran"]
    finally:
        executor.close()


def _user_preload_ran():
    return os.environ.get("ORCAPOST_TEST_PRELOAD")


def test_the_dask_preloads_keep_the_users_and_their_arguments_in_step():
    import dask
    from orcapost.plugins.executors import dask as dask_executor

    ours = dask_executor.__name__
    with dask.config.set({"distributed.worker.preload": [],
                          "distributed.worker.preload-argv": []}):
        assert dask_executor._worker_preloads(dask) == ([ours], [])
    with dask.config.set({"distributed.worker.preload": "mine",
                          "distributed.worker.preload-argv": ["--flag"]}):  # one list for all
        assert dask_executor._worker_preloads(dask) == (["mine", ours], ["--flag"])
    with dask.config.set({"distributed.worker.preload": ["a", "b"],
                          "distributed.worker.preload-argv": [["--x"], []]}):  # one per preload
        assert dask_executor._worker_preloads(dask) == (["a", "b", ours], [["--x"], [], []])
